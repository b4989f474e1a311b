//! Inbox files that used to wait forever: a broken symlink, and a rejected file whose name is
//! too long for its `.reason` name. Each now gets its `rejected` verdict and is filed away.

mod common;

use common::daemon::{follow, next_verdict, Daemon};
use copydesk::model::Status;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn a_broken_link_and_a_long_named_rejection_get_verdicts_and_are_filed() {
    let d = Daemon::new("").start();
    let events = follow(&d.socket(), 0);
    let link = d.inbox.join("gone.txt");
    std::os::unix::fs::symlink(d.dir.path().join("nowhere.txt"), &link).expect("symlink");
    let long = "l".repeat(250) + ".txt"; // 254 bytes: no room left for ".reason"
    let tmp = d.dir.path().join("empty");
    std::fs::write(&tmp, "").expect("write");
    std::fs::rename(&tmp, d.inbox.join(&long)).expect("rename");
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let v = next_verdict(&events, WAIT).expect("a verdict for each");
        assert_eq!(v.status, Status::Rejected, "{v:?}");
        seen.push(v.file);
    }
    seen.sort();
    assert!(seen[0].ends_with("gone.txt"), "{seen:?}");
    assert!(seen[1].ends_with(&long), "{seen:?}");
    // Both leave the inbox, each with a reason beside it in .rejected/.
    let rejected = d.inbox.join(".rejected");
    let deadline = Instant::now() + WAIT;
    loop {
        let names: Vec<String> = std::fs::read_dir(&rejected)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let reasons = names.iter().filter(|n| n.ends_with(".reason")).count();
        if reasons == 2 && names.len() == 4 {
            assert!(names.contains(&long), "{names:?}");
            break;
        }
        assert!(Instant::now() < deadline, "not filed: {names:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        std::fs::symlink_metadata(&link).is_err(),
        "the link left the inbox"
    );
    assert!(
        !d.inbox.join(&long).exists(),
        "the long name left the inbox"
    );
}

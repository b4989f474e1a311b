//! A write that fails forever is reported, not retried in silence: a database that cannot
//! store the inbox's files time after time stops the daemon with the reason (which file, why)
//! and exit status 3, while a disk that is full only for a while is retried, with a wait that
//! doubles and a log line at each doubling. The full disk is a small tmpfs, which needs root:
//! without it that test says so and passes.

mod common;

use common::daemon::Daemon;
use common::mount::{fill, Mount};
use common::seed;
use std::time::{Duration, Instant};

const DAMAGED: i32 = 3;
/// Generous: the machine may be busy.
const WAIT: Duration = Duration::from_secs(120);

/// A daemon whose database lives on its own tmpfs, with one article stored.
fn daemon_on_tmpfs(size: &str) -> Option<(Daemon, Mount)> {
    let mut d = Daemon::new("");
    let Some(mount) = Mount::tmpfs(&d.db, size) else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return None;
    };
    d.spawn();
    std::fs::copy(seed("000"), d.inbox.join("000.txt")).expect("copy");
    assert!(
        common::daemon::wait_until(|| d.stats().articles == 1),
        "the first file is stored"
    );
    Some((d, mount))
}

#[test]
fn a_database_that_cannot_store_time_after_time_stops_the_daemon_with_status_3() {
    let mut d = Daemon::new("");
    d.spawn();
    std::fs::copy(seed("000"), d.inbox.join("000.txt")).expect("copy");
    assert!(
        common::daemon::wait_until(|| d.stats().articles == 1),
        "the first file is stored"
    );
    // Every sync fails from now on, and will go on failing (root or not): the file the store
    // rewrites after each sync of sled's files is a folder now.
    let marker = d.db.join("copydesk.db");
    std::fs::remove_file(&marker).expect("marker");
    std::fs::create_dir(&marker).expect("a folder in its place");
    std::fs::copy(seed("002"), d.inbox.join("002.txt")).expect("copy");
    let mut child = d.child.take().expect("the daemon runs");
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the daemon kept retrying: {}", d.log());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        common::daemon::wait_until(|| d.log().contains("is damaged")),
        "{}",
        d.log()
    );
    let log = d.log();
    assert_eq!(status.code(), Some(DAMAGED), "{log}");
    // The log says which file, why, and how often it was tried; each try was said too.
    assert!(log.contains("002.txt"), "{log}");
    assert!(log.contains("5 times in a row"), "{log}");
    assert!(log.contains("Is a directory"), "{log}");
    assert!(log.matches("retrying in 2 s").count() >= 4, "{log}");
    assert!(!log.contains("panicked"), "{log}");
    // The file was not lost: it waits in the inbox for a database that can store it.
    assert!(d.inbox.join("002.txt").exists());
}

#[test]
fn a_full_disk_is_retried_with_a_wait_that_doubles_until_space_returns() {
    let Some((d, mount)) = daemon_on_tmpfs("8m") else {
        return;
    };
    let filler = d.db.join("filler");
    fill(&filler);
    let body = std::fs::read_to_string(seed("003")).expect("seed");
    for i in 0..5 {
        std::fs::write(
            d.inbox.join(format!("n{i}.txt")),
            format!("Note {i} {i}.\n{body}"),
        )
        .expect("write");
    }
    // Two doublings said in the log, and the daemon still serving.
    assert!(
        d.wait_log("retrying in 2 s")
            && d.wait_log("retrying in 4 s")
            && d.wait_log("retrying in 8 s"),
        "{}",
        d.log()
    );
    assert!(d.log().contains("No space left on device"), "{}", d.log());
    assert!(!d.log().contains("is damaged"), "{}", d.log());
    std::fs::remove_file(&filler).expect("free space");
    assert!(
        common::daemon::wait_until(|| d.stats().articles == 6),
        "every file is stored once space returns: {}",
        d.log()
    );
    drop(mount);
}

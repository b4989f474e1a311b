//! Exactly once when reads fail: a daemon that runs out of file descriptors while files arrive
//! stores nothing for the files it cannot read, tries them again, and stores each exactly once
//! when descriptors come back. The limit is lowered on the running daemon with `prlimit(1)`
//! (the test says so and passes when the tool is missing).

mod common;

use common::daemon::{follow, next_verdict, wait_until, Daemon};
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(60);

/// Sets the soft limit on open files of a running process; false when `prlimit` cannot.
fn set_nofile(pid: u32, soft: u64, hard: u64) -> bool {
    Command::new("prlimit")
        .arg("--pid")
        .arg(pid.to_string())
        .arg(format!("--nofile={soft}:{hard}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The soft and hard limits on open files of a running process, from `/proc`.
fn nofile(pid: u32) -> (u64, u64) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("a line for open files");
    let mut n = line
        .split_whitespace()
        .filter_map(|w| w.parse::<u64>().ok());
    (n.next().expect("soft"), n.next().expect("hard"))
}

#[test]
fn files_read_while_descriptors_are_exhausted_are_stored_exactly_once() {
    let mut d = Daemon::new("after_ingest = \"move\"");
    d.spawn();
    let pid = d.child.as_ref().expect("running").id();
    // Following before the limit falls: this connection's descriptors are already open.
    let events = follow(&d.socket(), 0);
    let (soft, hard) = nofile(pid);
    // A soft limit of 0: every descriptor the daemon opens from now on is over it, while those
    // it holds (its database, socket, watcher and this follower) keep working.
    if !set_nofile(pid, 0, hard) {
        eprintln!("skipped: prlimit cannot lower the daemon's descriptor limit here");
        return;
    }
    let body = std::fs::read_to_string(common::seed("001")).expect("seed");
    let files = 20;
    for i in 0..files {
        // Written beside the inbox and renamed in, so each arrives whole.
        let tmp = d.dir.path().join(format!("f{i:02}.txt"));
        std::fs::write(&tmp, format!("Item {i} {i} {i}.\n{body}")).expect("write");
        std::fs::rename(&tmp, d.inbox.join(format!("f{i:02}.txt"))).expect("rename");
    }
    // Wait until the daemon has tried and failed to read them. Either line says a read was
    // tried while no descriptor was left (the second is what a build that stored the failure
    // as a rejection says when its sync fails).
    let failed = wait_until(|| {
        let log = d.log();
        log.contains("could not be read") || log.contains("ingest failed")
    });
    assert!(failed, "no failed read reported; the log:\n{}", d.log());
    assert!(
        events.try_recv().is_err(),
        "no verdict while no file can be read"
    );
    assert!(set_nofile(pid, soft, hard), "the limit is raised again");
    let mut verdicts: HashMap<String, usize> = HashMap::new();
    while verdicts.len() < files {
        let v = next_verdict(&events, WAIT).expect("every file gets a verdict once readable");
        assert_ne!(
            v.status,
            copydesk::model::Status::Rejected,
            "a passing failure is never a rejection: {v:?}"
        );
        *verdicts.entry(v.file).or_default() += 1;
    }
    // Every file is filed away once its verdict is durable.
    let deadline = Instant::now() + WAIT;
    while std::fs::read_dir(&d.inbox)
        .expect("inbox")
        .filter_map(|e| e.ok())
        .any(|e| e.path().is_file())
    {
        assert!(Instant::now() < deadline, "files left in the inbox");
        std::thread::sleep(Duration::from_millis(50));
    }
    let stats = d.stats();
    assert_eq!(
        stats.articles, files as u64,
        "one record per file: {stats:?}"
    );
    let records = match d
        .client()
        .call(copydesk::model::Request::List {
            query: Default::default(),
        })
        .expect("list")
    {
        copydesk::model::Response::Records { records, .. } => records,
        other => panic!("unexpected {other:?}"),
    };
    let mut per_file: HashMap<String, usize> = HashMap::new();
    for r in &records {
        *per_file.entry(r.file.clone()).or_default() += 1;
    }
    assert_eq!(per_file.len(), files, "{per_file:?}");
    assert!(per_file.values().all(|&n| n == 1), "{per_file:?}");
    assert!(verdicts.values().all(|&n| n == 1), "{verdicts:?}");
}

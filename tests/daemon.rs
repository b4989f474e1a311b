//! The daemon end to end: a real `copydesk serve` on a temporary inbox, database and socket;
//! files dropped the ways ingest jobs drop them; verdicts read back through the socket.

mod common;

use common::daemon::{follow, next_verdict, wait_until, Daemon};
use common::seed;
use copydesk::model::{EventKind, Request, Response, TriageState};
use std::io::Write;
use std::time::Duration;

/// How long a verdict may take: generous, for a busy machine (the wait ends at the verdict).
const WAIT: Duration = Duration::from_secs(60);

fn file_name(v: &copydesk::model::Verdict) -> String {
    std::path::Path::new(&v.file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn files_dropped_every_way_get_one_verdict_each() {
    // The settle time is well above the slow writer's pauses, even on a busy machine.
    let d = Daemon::new("settle_ms = 1500").start();
    let events = follow(&d.socket(), 0);

    // Renamed in: ready at once.
    let staging = d.dir.path().join("staging.txt");
    std::fs::copy(seed("000"), &staging).expect("copy");
    std::fs::rename(&staging, d.inbox.join("000.txt")).expect("rename");
    let v = next_verdict(&events, WAIT).expect("verdict for a renamed file");
    assert_eq!(
        (file_name(&v).as_str(), v.status.as_str()),
        ("000.txt", "unique")
    );

    // Written in place slowly, closed at the end: one verdict, for the whole text.
    let body = std::fs::read(seed("001")).expect("seed");
    let mut f = std::fs::File::create(d.inbox.join("001.txt")).expect("create");
    for chunk in body.chunks(body.len() / 4 + 1) {
        f.write_all(chunk).expect("write");
        f.flush().expect("flush");
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(f);
    let v = next_verdict(&events, WAIT).expect("verdict for a slow writer");
    assert_eq!(file_name(&v), "001.txt");
    assert_eq!(v.status.as_str(), "reprint", "{v:?}");
    assert!(
        v.matched.as_ref().is_some_and(|m| m.similarity > 0.9),
        "the whole text was read: {v:?}"
    );

    // Written, then held open by its writer: ready after settle_ms without change.
    let mut held = std::fs::File::create(d.inbox.join("003.txt")).expect("create");
    held.write_all(&std::fs::read(seed("003")).expect("seed"))
        .expect("write");
    held.flush().expect("flush");
    let v = next_verdict(&events, WAIT).expect("verdict while the writer holds the file");
    assert_eq!(file_name(&v), "003.txt");
    drop(held);

    // Ignored: hidden, temporary and partial names, and sub-folders.
    for name in [".hidden.txt", "draft.tmp", "upload.part"] {
        std::fs::copy(seed("002"), d.inbox.join(name)).expect("copy");
    }
    std::fs::create_dir(d.inbox.join("sub")).expect("mkdir");
    std::fs::copy(seed("002"), d.inbox.join("sub/002.txt")).expect("copy");
    assert!(
        next_verdict(&events, Duration::from_millis(1500)).is_none(),
        "ignored names stay ignored"
    );

    // A rejected file goes to .rejected/ with its reason beside it.
    std::fs::write(d.inbox.join("empty.txt"), b"").expect("write");
    let v = next_verdict(&events, WAIT).expect("verdict for an empty file");
    assert_eq!(v.status.as_str(), "rejected");
    // The reason is written first, the file moved last: once it has moved, both are there.
    let moved = d.inbox.join(".rejected/empty.txt");
    assert!(wait_until(|| moved.exists()), "moved to .rejected/");
    let reason =
        std::fs::read_to_string(d.inbox.join(".rejected/empty.txt.reason")).expect("reason file");
    assert!(reason.contains("empty"), "{reason}");
    assert!(!d.inbox.join("empty.txt").exists());
}

#[test]
fn restarts_ingest_what_arrived_meanwhile_and_nothing_twice() {
    let mut d = Daemon::new("");
    std::fs::copy(seed("000"), d.inbox.join("000.txt")).expect("copy");
    d.spawn();
    let events = follow(&d.socket(), 0);
    assert!(next_verdict(&events, WAIT).is_some(), "listed at start");
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "SIGTERM exits 0: {log}");

    std::fs::copy(seed("002"), d.inbox.join("002.txt")).expect("copy");
    d.spawn();
    let events = follow(&d.socket(), 1);
    let v = next_verdict(&events, WAIT).expect("the file that arrived while down");
    assert_eq!(file_name(&v), "002.txt");
    assert!(
        next_verdict(&events, Duration::from_millis(2500)).is_none(),
        "000.txt is not ingested again, even after a rescan"
    );
    assert_eq!(d.stats().articles, 2);

    // The same content under a new name is a duplicate.
    std::fs::copy(seed("000"), d.inbox.join("copy-of-000.txt")).expect("copy");
    let v = next_verdict(&events, WAIT).expect("verdict");
    assert_eq!(v.status.as_str(), "duplicate");
}

#[test]
fn two_followers_see_every_verdict_and_a_triage_from_the_command_line() {
    let d = Daemon::new("").start();
    let (a, b) = (follow(&d.socket(), 0), follow(&d.socket(), 0));
    for s in ["000", "001"] {
        std::fs::copy(seed(s), d.inbox.join(format!("{s}.txt"))).expect("copy");
    }
    let mut seen = [Vec::new(), Vec::new()];
    for (i, feed) in [&a, &b].into_iter().enumerate() {
        for _ in 0..2 {
            seen[i].push(file_name(&next_verdict(feed, WAIT).expect("verdict")));
        }
        seen[i].sort();
    }
    assert_eq!(seen[0], ["000.txt", "001.txt"]);
    assert_eq!(seen[0], seen[1]);

    let out = common::bin()
        .arg("--config")
        .arg(&d.config)
        .args(["triage", "2", "spiked", "--note", "wire copy"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for feed in [&a, &b] {
        let e = feed.recv_timeout(WAIT).expect("triage event");
        match e.kind {
            EventKind::Triage { id, triage, .. } => {
                assert_eq!(id, 2);
                assert_eq!(triage.state, TriageState::Spiked);
                assert_eq!(triage.note.as_deref(), Some("wire copy"));
                assert_eq!(
                    triage.by,
                    Some(copydesk::client::current_user()),
                    "named from the socket's peer credentials"
                );
            }
            other => panic!("expected a triage event, got {other:?}"),
        }
    }
}

#[test]
fn an_overrule_sticks() {
    let d = Daemon::new("").start();
    let events = follow(&d.socket(), 0);
    std::fs::copy(seed("000"), d.inbox.join("000.txt")).expect("copy");
    next_verdict(&events, WAIT).expect("verdict");
    std::fs::copy(seed("001"), d.inbox.join("001.txt")).expect("copy");
    let v = next_verdict(&events, WAIT).expect("verdict");
    assert_eq!(v.status.as_str(), "reprint");
    let mut c = d.client();
    let r = c
        .call(Request::Triage {
            ids: vec![2],
            action: copydesk::model::TriageAction::NotReprint,
            note: None,
            before: None,
        })
        .expect("triage");
    assert!(
        matches!(r, Response::Triaged { ref records } if records[0].status.as_str() == "unique"),
        "{r:?}"
    );
    let path = d.inbox.join("001.txt").display().to_string();
    match c.call(Request::Check { paths: vec![path] }).expect("check") {
        Response::Verdicts { verdicts } => assert_ne!(
            verdicts[0].status.as_str(),
            "reprint",
            "the detector does not flag the pair again"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn move_and_delete_after_ingest() {
    for (mode, kept_in_done) in [("move", true), ("delete", false)] {
        let d = Daemon::new(&format!("after_ingest = \"{mode}\"")).start();
        let events = follow(&d.socket(), 0);
        std::fs::copy(seed("000"), d.inbox.join("000.txt")).expect("copy");
        next_verdict(&events, WAIT).expect("verdict");
        let done = d.inbox.join("done/000.txt");
        wait_until(|| !d.inbox.join("000.txt").exists());
        assert!(
            !d.inbox.join("000.txt").exists(),
            "{mode}: gone from the inbox"
        );
        assert_eq!(done.exists(), kept_in_done, "{mode}");
    }
}

#[test]
fn a_second_daemon_on_the_same_database_is_refused_clearly() {
    let d = Daemon::new("").start();
    let out = common::bin()
        .arg("--config")
        .arg(&d.config)
        .arg("serve")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("in use by another copydesk process"), "{err}");
    // The commands go through the running daemon instead.
    let out = common::bin()
        .arg("--config")
        .arg(&d.config)
        .args(["stats", "--json"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_vanished_inbox_is_reported_and_watched_again_when_it_returns() {
    let mut d = Daemon::new("").start();
    let events = follow(&d.socket(), 0);
    std::fs::remove_dir_all(&d.inbox).expect("rm inbox");
    // The inbox's own watch reports it gone (a listing would say "cannot be listed").
    assert!(d.wait_log("went away"), "{}", d.log());
    std::fs::create_dir_all(&d.inbox).expect("mkdir inbox");
    std::fs::copy(seed("000"), d.inbox.join("000.txt")).expect("copy");
    let v = next_verdict(&events, WAIT).expect("ingested after the inbox came back");
    assert_eq!(file_name(&v), "000.txt");
    let (code, log) = d.stop();
    assert_eq!(code, Some(0));
    assert!(
        log.contains("went away") && log.contains("is back"),
        "{log}"
    );
}

#[test]
fn tail_follows_across_a_daemon_restart_without_gaps_or_repeats() {
    let mut d = Daemon::new("").start();
    let mut tail = common::bin()
        .arg("--config")
        .arg(&d.config)
        .args(["tail", "--json", "--after", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("tail runs");
    // Tail's lines as they come: the test waits on what tail printed, not on a pause.
    let stdout = tail.stdout.take().expect("piped");
    let (tx, lines) = std::sync::mpsc::channel::<u64>();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let v: serde_json::Value = serde_json::from_str(&line).expect("json");
            if tx.send(v["seq"].as_u64().expect("seq")).is_err() {
                return;
            }
        }
    });
    std::fs::copy(seed("000"), d.inbox.join("000.txt")).expect("copy");
    assert_eq!(
        lines.recv_timeout(WAIT).ok(),
        Some(1),
        "tail prints the first event"
    );
    d.kill9();
    // Arrives while the daemon is down; the restarted daemon ingests it from its listing.
    std::fs::copy(seed("002"), d.inbox.join("002.txt")).expect("copy");
    d.spawn();
    assert_eq!(
        lines.recv_timeout(WAIT).ok(),
        Some(2),
        "tail catches up after the restart"
    );
    let _ = tail.kill();
    let _ = tail.wait();
    let rest: Vec<u64> = lines.try_iter().collect();
    assert!(rest.is_empty(), "every event once: then {rest:?}");
}

#[test]
fn every_request_works_over_the_socket() {
    let d = Daemon::new("").start();
    let events = follow(&d.socket(), 0);
    for s in ["000", "001"] {
        std::fs::copy(seed(s), d.inbox.join(format!("{s}.txt"))).expect("copy");
        next_verdict(&events, WAIT).expect("verdict");
    }
    let mut c = d.client();
    for request in [
        Request::Show { id: 2 },
        Request::Compare { id: 2, other: 1 },
        Request::Story { id: 2 },
        Request::Stats,
        Request::List {
            query: Default::default(),
        },
    ] {
        // A refusal is an error now, with its kind.
        if let Err(e) = c.call(request.clone()) {
            panic!("{request:?}: {e}");
        }
    }
    match c.call(Request::Show { id: 999 }) {
        Err(copydesk::client::RemoteError::Refused(f)) => {
            assert_eq!(f.kind, copydesk::model::FailureKind::NoSuchArticle);
            assert_eq!(f.message, "no article with id 999");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let out = common::bin()
        .arg("--config")
        .arg(&d.config)
        .args(["show", "2"])
        .output()
        .expect("runs");
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("reprint"));
}

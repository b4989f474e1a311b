//! The daemon against curious and greedy socket clients, and against what can be put in its
//! inbox: paths outside the inbox and links are refused with the reason, the socket is private
//! until it is opened to its group, and every client's use of the daemon is bounded.

mod common;

use common::daemon::{follow, next_verdict, Daemon};
use common::seed;
use copydesk::model::{FailureKind, Request, Response, Verdict};
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// A file outside the inbox that a client must not get the daemon to read.
fn secret(d: &Daemon) -> std::path::PathBuf {
    let path = d.dir.path().join("secret.txt");
    let text = std::fs::read_to_string(seed("000")).expect("seed");
    std::fs::write(&path, format!("Payroll secret.\n\n{text}")).expect("secret");
    path
}

/// The refusal of a request, which must be one.
fn refusal(d: &Daemon, request: Request) -> String {
    match d.client().call(request) {
        Err(copydesk::client::RemoteError::Refused(f)) => {
            assert_eq!(f.kind, FailureKind::Invalid, "{f:?}");
            f.message
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn paths(p: &[&Path]) -> Vec<String> {
    p.iter().map(|p| p.display().to_string()).collect()
}

#[test]
fn requests_naming_paths_outside_the_inbox_are_refused_and_read_nothing() {
    let d = Daemon::new("").start();
    let secret = secret(&d);
    let inside = d.stage(&seed("002"));
    let dotdot = d.inbox.join("requests/../../secret.txt");
    let link = d.inbox.join("requests/innocent.txt");
    symlink(&secret, &link).expect("link");
    let cases: [(Vec<String>, &str); 6] = [
        (paths(&[&secret]), "outside the daemon's inbox"),
        (
            paths(&[Path::new("/etc/passwd")]),
            "outside the daemon's inbox",
        ),
        (paths(&[&dotdot]), "outside the daemon's inbox"),
        (paths(&[&link]), "it leads to"),
        // One bad path refuses the whole request: the good one is not read either.
        (paths(&[&inside, &secret]), "secret.txt"),
        (vec!["secret.txt".to_owned()], "not an absolute path"),
    ];
    for (paths, why) in cases {
        for request in [
            Request::Ingest {
                paths: paths.clone(),
            },
            Request::Check {
                paths: paths.clone(),
            },
        ] {
            let message = refusal(&d, request);
            assert!(message.contains(why), "{paths:?}: {message}");
            assert!(message.contains("inbox"), "the refusal says why: {message}");
        }
    }
    // A path that does not exist outside the inbox is refused the same way: the refusal says
    // nothing of what exists there.
    let message = refusal(
        &d,
        Request::Check {
            paths: vec!["/nonexistent/secret.txt".to_owned()],
        },
    );
    assert!(message.contains("outside the daemon's inbox"), "{message}");
    assert_eq!(d.stats().articles, 0, "nothing was stored");

    // Inside the inbox, requests work as before.
    match d.client().call(Request::Ingest {
        paths: paths(&[&inside]),
    }) {
        Ok(Response::Verdicts { verdicts }) => {
            assert_eq!(verdicts[0].status.as_str(), "unique", "{verdicts:?}")
        }
        other => panic!("{other:?}"),
    }
}

/// The `.reason` beside a rejected file, once the file has been filed away (the reason is
/// written first, the file moved after it, a moment after its verdict is announced).
fn rejected_reason(d: &Daemon, name: &str) -> String {
    let deadline = std::time::Instant::now() + WAIT;
    while std::fs::symlink_metadata(d.inbox.join(name)).is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "{name} is never filed away"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let note = d.inbox.join(".rejected").join(format!("{name}.reason"));
    std::fs::read_to_string(&note).unwrap_or_else(|e| panic!("{}: {e}", note.display()))
}

fn verdicts(events: &std::sync::mpsc::Receiver<copydesk::model::Event>, n: usize) -> Vec<Verdict> {
    let mut got: Vec<Verdict> = (0..n)
        .map(|i| next_verdict(events, WAIT).unwrap_or_else(|| panic!("verdict {i} of {n}")))
        .collect();
    got.sort_by(|a, b| a.file.cmp(&b.file));
    got
}

#[test]
fn links_in_the_inbox_are_rejected_with_the_reason() {
    let d = Daemon::new("").start();
    let events = follow(&d.socket(), 0);
    let secret = secret(&d);
    std::fs::create_dir_all(d.inbox.join("keep")).expect("folder");
    let inside = d.inbox.join("keep/inside.txt");
    std::fs::copy(seed("002"), &inside).expect("copy");
    symlink(&secret, d.inbox.join("a-secret.txt")).expect("link");
    symlink("/proc/self/maps", d.inbox.join("b-maps.txt")).expect("link");
    symlink(&inside, d.inbox.join("c-inside.txt")).expect("link");
    symlink(d.inbox.join("gone.txt"), d.inbox.join("d-broken.txt")).expect("link");
    let got = verdicts(&events, 4);
    for v in &got {
        assert_eq!(v.status.as_str(), "rejected", "{v:?}");
        let reason = v.reason.as_deref().unwrap_or("");
        assert!(reason.contains("symbolic link"), "{v:?}");
        assert!(reason.contains("follow_symlinks"), "says how: {v:?}");
    }
    for name in ["a-secret.txt", "b-maps.txt", "c-inside.txt", "d-broken.txt"] {
        assert!(
            rejected_reason(&d, name).contains("symbolic link"),
            "{name}"
        );
        assert!(!d.inbox.join(name).exists(), "{name} was filed away");
    }
    assert_eq!(d.stats().articles, 4);
}

#[test]
fn with_links_allowed_they_are_followed_only_inside_the_inbox() {
    let d = Daemon::new("follow_symlinks = true").start();
    let events = follow(&d.socket(), 0);
    let secret = secret(&d);
    std::fs::create_dir_all(d.inbox.join("keep")).expect("folder");
    let inside = d.inbox.join("keep/inside.txt");
    std::fs::copy(seed("002"), &inside).expect("copy");
    symlink(&inside, d.inbox.join("a-inside.txt")).expect("link");
    symlink(&secret, d.inbox.join("b-secret.txt")).expect("link");
    symlink("/proc/self/maps", d.inbox.join("c-maps.txt")).expect("link");
    // `..` inside a link's target is resolved before deciding.
    symlink(
        d.inbox.join("keep/../../secret.txt"),
        d.inbox.join("d-dotdot.txt"),
    )
    .expect("link");
    let got = verdicts(&events, 4);
    assert_eq!(got[0].status.as_str(), "unique", "{:?}", got[0]);
    for v in &got[1..] {
        assert_eq!(v.status.as_str(), "rejected", "{v:?}");
        assert!(
            v.reason
                .as_deref()
                .is_some_and(|r| r.contains("leads outside the inbox")),
            "{v:?}"
        );
    }
    // Over the socket too: a link inside the inbox to a file inside it may be named.
    let link = d.inbox.join("keep/link.txt");
    symlink(&inside, &link).expect("link");
    match d.client().call(Request::Check {
        paths: paths(&[&link]),
    }) {
        Ok(Response::Verdicts { verdicts }) => {
            assert_eq!(verdicts[0].status.as_str(), "duplicate", "{verdicts:?}")
        }
        other => panic!("{other:?}"),
    }
}

/// `sh -c SCRIPT` that then runs the copydesk binary with the arguments added after it.
fn through_shell(script: &str) -> std::process::Command {
    let mut c = std::process::Command::new("sh");
    c.arg("-c")
        .arg(format!("{script}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_copydesk"))
        .current_dir(std::env::temp_dir());
    c
}

/// Whatever the socket was bound through is gone: only the database's own files remain.
fn no_private_folder_left(d: &Daemon) {
    let left: Vec<String> = std::fs::read_dir(&d.db)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".cd"))
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn the_socket_is_private_under_a_permissive_umask() {
    use std::os::unix::fs::PermissionsExt;
    let mut d = Daemon::new("");
    d.spawn_through(through_shell("umask 000"));
    let mode = std::fs::metadata(d.socket())
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o660, "mode {mode:o}");
    no_private_folder_left(&d);
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(!d.socket().exists(), "removed at stop");
}

#[test]
fn a_failed_start_leaves_no_socket_behind() {
    let d = Daemon::new("socket_group = \"no-such-group-for-copydesk\"");
    std::fs::create_dir_all(&d.db).expect("db folder");
    let out = through_shell("umask 000")
        .arg("--config")
        .arg(&d.config)
        .arg("serve")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no group 'no-such-group-for-copydesk'"),
        "{err}"
    );
    assert!(!d.socket().exists(), "no socket left");
    no_private_folder_left(&d);
}

#[test]
fn the_open_files_limit_is_raised_to_the_hard_limit() {
    let hard = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(4).map(str::to_owned))
        })
        .and_then(|h| h.parse::<u64>().ok());
    let Some(hard) = hard.filter(|&h| h > 256) else {
        eprintln!("skipped: the hard limit on open files is 256 or less (or unknown)");
        return;
    };
    let mut d = Daemon::new("");
    d.spawn_through(through_shell("ulimit -Sn 256"));
    let pid = d.child.as_ref().expect("running").id();
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("a line for open files");
    let soft: u64 = line
        .split_whitespace()
        .nth(3)
        .and_then(|s| s.parse().ok())
        .expect("a number");
    assert_eq!(soft, hard, "{line}");
}

/// A raw connection to the daemon, greeted.
fn raw(
    d: &Daemon,
) -> (
    std::io::BufReader<std::os::unix::net::UnixStream>,
    std::os::unix::net::UnixStream,
) {
    use std::io::BufRead;
    let stream = std::os::unix::net::UnixStream::connect(d.socket()).expect("connects");
    let writer = stream.try_clone().expect("clone");
    let mut reader = std::io::BufReader::new(stream);
    let mut hello = String::new();
    reader.read_line(&mut hello).expect("hello");
    assert!(hello.contains("\"protocol\""), "{hello}");
    (reader, writer)
}

#[test]
fn an_overlong_request_line_is_refused_and_the_connection_closed() {
    use std::io::{BufRead, Write};
    let d = Daemon::new("max_request_bytes = 4096").start();
    let (mut reader, mut writer) = raw(&d);
    // 1 MB without a newline: the daemon stops reading after 4 KB, so the write may fail.
    let sender = std::thread::spawn(move || {
        let _ = writer.write_all(&vec![b'x'; 1 << 20]);
    });
    let mut line = String::new();
    reader.read_line(&mut line).expect("a reply");
    assert!(line.contains("longer than 4096 bytes"), "{line}");
    assert!(line.contains("\"kind\":\"invalid\""), "{line}");
    line.clear();
    // Closed: at the end of what was sent, or reset, as the daemon left the rest unread.
    match reader.read_line(&mut line) {
        Ok(0) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("expected the end, got {other:?}: {line}"),
    }
    sender.join().expect("sender");
    // A line within the limit is served, on this connection as on others.
    let (mut reader, mut writer) = raw(&d);
    writer
        .write_all(b"{\"req\":5,\"op\":\"stats\"}\n")
        .expect("writes");
    line.clear();
    reader.read_line(&mut line).expect("a reply");
    assert!(
        line.contains("\"req\":5") && line.contains("\"stats\""),
        "{line}"
    );
    assert_eq!(d.stats().articles, 0);
}

#[test]
fn clients_over_the_cap_are_told_so_and_the_others_served() {
    let d = Daemon::new("max_clients = 3").start();
    let mut held: Vec<copydesk::client::Remote> = (0..3).map(|_| d.client()).collect();
    for _ in 0..2 {
        match copydesk::client::Remote::try_connect(&d.socket()) {
            Err(copydesk::client::RemoteError::Refused(f)) => {
                assert_eq!(f.kind, FailureKind::Unavailable);
                assert!(f.message.contains("daemon.max_clients"), "{f:?}");
            }
            Err(e) => panic!("expected a refusal, got {e}"),
            Ok(_) => panic!("expected a refusal, got a connection"),
        }
    }
    for c in &mut held {
        assert!(matches!(c.call(Request::Stats), Ok(Response::Stats { .. })));
    }
    // Once one closes, a new client is served (the seat is freed when its thread ends).
    held.pop();
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        match copydesk::client::Remote::try_connect(&d.socket()) {
            Ok(Some(mut c)) => {
                assert!(matches!(c.call(Request::Stats), Ok(Response::Stats { .. })));
                break;
            }
            Err(copydesk::client::RemoteError::Refused(_))
                if std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20))
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
    }
}

#[test]
fn a_subscriber_that_falls_behind_is_told_and_dropped_and_resumes_without_gaps() {
    use std::io::{BufRead, Write};
    let d = Daemon::new("subscriber_queue = 8").start();
    let (mut reader, mut writer) = raw(&d);
    writer
        .write_all(b"{\"req\":1,\"op\":\"subscribe\",\"after\":0}\n")
        .expect("subscribes");
    // Far more events than the socket's buffer and the queue hold, while the subscriber reads
    // nothing: long names make each event line long.
    let folder = d.inbox.join("requests");
    std::fs::create_dir_all(&folder).expect("folder");
    let long = "n".repeat(180);
    for i in 0..2000 {
        let text = format!("Story {i}: the council met on day {i} and talked about item {i}.\n");
        std::fs::write(folder.join(format!("{i:05}-{long}.txt")), text).expect("write");
    }
    let mut c = d.client();
    match c.call(Request::Ingest {
        paths: vec![folder.display().to_string()],
    }) {
        Ok(Response::Verdicts { verdicts }) => assert_eq!(verdicts.len(), 2000),
        other => panic!("{other:?}"),
    }
    let total = d.stats().last_seq;
    assert!(total >= 2000, "{total}");

    // Now it reads: the events in order up to where it was dropped, the notice, the end.
    let mut seqs = Vec::new();
    let mut notice = None;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).expect("reads") == 0 {
            break;
        }
        let v: serde_json::Value = serde_json::from_str(&line).expect("JSON");
        if let Some(seq) = v.get("seq").and_then(serde_json::Value::as_u64) {
            assert!(notice.is_none(), "nothing after the notice: {line}");
            seqs.push(seq);
        } else if v.get("reply").and_then(|r| r.as_str()) == Some("error") {
            notice = Some(v["message"].as_str().expect("a message").to_owned());
        }
    }
    let notice = notice.expect("the subscriber is told why it is dropped");
    let last = *seqs.last().expect("some events came first");
    assert!(last < total, "dropped before the end: {last} of {total}");
    assert_eq!(seqs, (1..=last).collect::<Vec<_>>(), "no gap, no repeat");
    assert!(
        notice.contains("daemon.subscriber_queue")
            && notice.contains(&format!("subscribe again after event {last}")),
        "{notice}"
    );

    // Subscribing again after the last event seen gets the rest, in order.
    let events = follow(&d.socket(), last);
    let rest: Vec<u64> = (last + 1..=total)
        .map(|want| {
            let e = events.recv_timeout(WAIT).expect("the rest comes");
            assert_eq!(e.seq, want);
            e.seq
        })
        .collect();
    assert_eq!(rest.len() as u64, total - last);
}

/// Characters that must never reach a terminal raw from article data: C0 controls other than
/// the newline that ends a line, DEL, C1 controls, and bidi controls.
fn raw_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{9}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        || matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{61c}' | '\u{2028}' | '\u{2029}'
        )
}

#[test]
fn json_output_and_reason_files_carry_no_raw_controls_from_articles() {
    let d = Daemon::new("").start();
    let events = follow(&d.socket(), 0);
    let name = "evil\u{1b}[2J\u{202e}txt.exe\u{9b}31m.txt";
    let body = std::fs::read_to_string(seed("002")).expect("seed");
    let hostile_title =
        "Breaking\u{1b}]0;pwned\u{7} news \u{9b}31m red \u{202e}txet \u{2066}x\u{2069}";
    std::fs::write(d.inbox.join(name), format!("{hostile_title}\n\n{body}")).expect("write");
    // A JSON file whose keys are quoted back in the reason it is rejected with.
    std::fs::write(
        d.inbox.join("keys.json"),
        "{\"\\u001b]0;pwned\\u0007\": 1, \"\\u202e\\u009b\": 2}",
    )
    .expect("write");
    let got = verdicts(&events, 2);
    let rejected = got
        .iter()
        .find(|v| v.file.ends_with("keys.json"))
        .expect("keys.json");
    assert_eq!(rejected.status.as_str(), "rejected");
    assert!(
        rejected
            .reason
            .as_deref()
            .is_some_and(|r| r.contains('\u{1b}')),
        "the reason quotes the article, controls and all: {rejected:?}"
    );
    let note = rejected_reason(&d, "keys.json");
    assert!(note.contains("only the keys"), "{note}");
    assert!(!note.chars().any(raw_control), "{note:?}");

    let run = |args: &[&str]| {
        let out = common::bin()
            .arg("--config")
            .arg(&d.config)
            .args(args)
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let mut outputs = vec![run(&["list", "--json"])];
    for v in &got {
        let id = v.id.expect("stored").to_string();
        outputs.push(run(&["show", "--json", &id]));
    }
    for text in &outputs {
        assert!(!text.chars().any(raw_control), "{text:?}");
    }
    // Nothing is lost: the JSON reads back to the names and reasons as stored.
    let listed: Vec<serde_json::Value> = outputs[0]
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert!(
        listed
            .iter()
            .any(|r| r["file"].as_str().is_some_and(|f| f.ends_with(name))),
        "{listed:?}"
    );
    assert!(
        listed
            .iter()
            .any(|r| r["reason"].as_str() == rejected.reason.as_deref()),
        "{listed:?}"
    );
}

#[test]
fn sighup_stops_cleanly_and_removes_the_socket() {
    let mut d = Daemon::new("").start();
    let events = follow(&d.socket(), 0);
    std::fs::copy(seed("000"), d.inbox.join("000.txt")).expect("copy");
    assert!(next_verdict(&events, WAIT).is_some());
    let (code, log) = d.signal(nix::sys::signal::Signal::SIGHUP);
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("SIGHUP") && log.contains("stopped"), "{log}");
    assert!(!d.socket().exists(), "the socket is removed");
    // What was stored is there after a start.
    d.spawn();
    assert_eq!(d.stats().articles, 1);
}

#[test]
fn the_subscriptions_of_clients_that_left_end_while_no_event_comes() {
    use std::io::{BufRead, Write};
    let d = Daemon::new("").start();
    let pid = d.child.as_ref().expect("running").id();
    let fds = || {
        std::fs::read_dir(format!("/proc/{pid}/fd"))
            .map(|r| r.count())
            .expect("the daemon's descriptors")
    };
    let before = fds();
    for _ in 0..30 {
        let (mut reader, mut writer) = raw(&d);
        writer
            .write_all(b"{\"req\":1,\"op\":\"subscribe\",\"after\":0}\n")
            .expect("subscribes");
        let mut line = String::new();
        reader.read_line(&mut line).expect("a reply");
        assert!(line.contains("\"subscribed\""), "{line}");
    }
    // Each subscription held its client's socket; all are closed although no event came (the
    // daemon's own files may add a few meanwhile; 30 held would add 30).
    let deadline = std::time::Instant::now() + WAIT;
    while fds() >= before + 10 {
        assert!(
            std::time::Instant::now() < deadline,
            "{} descriptors, {before} before 30 clients subscribed and left",
            fds()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn idle_clients_cost_their_socket_and_no_thread() {
    let d = Daemon::new("").start();
    let pid = d.child.as_ref().expect("running").id();
    let count = |what: &str| {
        std::fs::read_dir(format!("/proc/{pid}/{what}"))
            .map(|r| r.count())
            .expect("the daemon's /proc")
    };
    // One client first, so that whatever the first one starts is counted before.
    let first = raw(&d);
    let (threads, fds) = (count("task"), count("fd"));
    let idle: Vec<_> = (0..100).map(|_| raw(&d)).collect();
    // The daemon's own work may start a thread or open a file meanwhile (sled, the search
    // indexer); a thread or two descriptors per client would add 100 or 200 here.
    let now = count("task");
    assert!(
        now < threads + 10,
        "no thread per idle client: {now} threads, {threads} before 100 came"
    );
    let with_all = count("fd");
    assert!(
        (fds + 100..fds + 110).contains(&with_all),
        "one descriptor per idle client: {with_all}, {fds} before 100 came"
    );
    drop(idle);
    drop(first);
    // The 101 clients' descriptors are given back (give or take the daemon's own files).
    let deadline = std::time::Instant::now() + WAIT;
    while count("fd") + 95 > with_all {
        assert!(
            std::time::Instant::now() < deadline,
            "{} descriptors, {with_all} with 101 clients",
            count("fd")
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

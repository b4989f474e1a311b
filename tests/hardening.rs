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

fn rejected_reason(d: &Daemon, name: &str) -> String {
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

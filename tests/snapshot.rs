//! The daemon saves its index at shutdown and reads it back at start, with the articles stored
//! since replayed from the database, also when it was killed with `kill -9` after the snapshot.

mod common;

use common::daemon::Daemon;
use common::seed;
use copydesk::model::Verdict;
use copydesk::model::{Request, Response};
use std::path::Path;

fn call(d: &Daemon, request: Request) -> Vec<Verdict> {
    match d.client().call(request).expect("answered") {
        Response::Verdicts { verdicts } => verdicts,
        other => panic!("unexpected {other:?}"),
    }
}

// The daemon reads only files inside its inbox: each is staged in a sub-folder of it first.
fn ingest(d: &Daemon, files: &[&Path]) -> Vec<Verdict> {
    let paths = files
        .iter()
        .map(|p| d.stage(p).display().to_string())
        .collect();
    call(d, Request::Ingest { paths })
}

fn check(d: &Daemon, file: &Path) -> Verdict {
    let paths = vec![d.stage(file).display().to_string()];
    call(d, Request::Check { paths }).remove(0)
}

#[test]
fn articles_stored_after_the_snapshot_are_found_after_kill_9() {
    // Saved at shutdown once a single article is new; never on the timer during the test.
    let mut d = Daemon::new("[store]\nsnapshot_min_articles = 1\nsnapshot_secs = 86400");
    let snapshot = d.db.join("index.snapshot");
    d.spawn();
    let first = ingest(&d, &[&seed("000_"), &seed("002_")]);
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("saved the index of 2 articles"), "{log}");
    assert!(snapshot.is_file());

    // After the snapshot: another story, then the process dies without saving.
    d.spawn();
    let later = ingest(&d, &[&seed("003_")]);
    assert_eq!(later[0].status.as_str(), "unique");
    d.kill9();
    let saved = std::fs::metadata(&snapshot).expect("kept").modified().ok();

    d.spawn();
    // Found through the snapshot: the clean text of the raw page stored first.
    let v = check(&d, &seed("001_"));
    assert_eq!(v.status.as_str(), "reprint", "{v:?}");
    assert_eq!(v.matched.as_ref().map(|m| m.id), first[0].id);
    // Found through the replayed fingerprints: a copy of the story stored after the snapshot.
    let copy = d.dir.path().join("copy-of-003.txt");
    let text = std::fs::read_to_string(seed("003_")).expect("seed");
    std::fs::write(
        &copy,
        format!("{text}\nThis copy was forwarded by a reader.\n"),
    )
    .expect("write");
    let v = check(&d, &copy);
    assert!(
        matches!(v.status.as_str(), "reprint" | "duplicate"),
        "{v:?}"
    );
    assert_eq!(v.matched.as_ref().map(|m| m.id), later[0].id);
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(!log.contains("not used"), "the snapshot was trusted: {log}");
    assert!(log.contains("saved the index of 3 articles"), "{log}");
    assert_ne!(
        std::fs::metadata(&snapshot).expect("kept").modified().ok(),
        saved,
        "saved again at the clean stop"
    );
}

#[test]
fn a_damaged_snapshot_is_logged_and_the_index_rebuilt() {
    let mut d = Daemon::new("[store]\nsnapshot_min_articles = 1\nsnapshot_secs = 86400");
    let snapshot = d.db.join("index.snapshot");
    d.spawn();
    let first = ingest(&d, &[&seed("000_")]);
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{log}");
    let mut bytes = std::fs::read(&snapshot).expect("saved");
    let len = bytes.len();
    bytes.truncate(len - len / 3);
    std::fs::write(&snapshot, bytes).expect("torn");

    d.spawn();
    let v = check(&d, &seed("001_"));
    assert_eq!(v.status.as_str(), "reprint", "{v:?}");
    assert_eq!(v.matched.as_ref().map(|m| m.id), first[0].id);
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(
        log.contains("is not used") && log.contains("rebuilding it from the database"),
        "{log}"
    );
}

//! The bounds on reading through the engine: a file over the time budget is stored as rejected
//! with the reason, a stop abandons the readings in hand with nothing stored, and the note of
//! the files in hand reads again, alone, a file that was alone in hand at one death, and sets
//! aside one alone in hand at two while the other files of its batch are stored once. No clock is raced: a zero budget is spent at the first
//! question, and deaths are notes left as a dead process leaves them.

use super::arrivals::Arrival;
use super::files::input_from;
use super::hand::Hand;
use super::Engine;
use crate::config::Settings;
use crate::model::Status;
use crate::text::Rejection;
use crate::worker::Stop;
use std::path::{Path, PathBuf};
use std::time::Duration;

const STORY: &str = "The council agreed late on Monday to extend the bus programme for two \
    more years, after a long debate about fares, routes and the depot by the river.";

fn settings(dir: &Path) -> Settings {
    Settings {
        db: dir.join("db"),
        inbox: dir.join("inbox"),
        ..Settings::default()
    }
}

fn page(n: usize) -> String {
    format!(
        "<html><body><article><h1>Story {n}</h1><p>{STORY} Number {n}.</p></article></body></html>"
    )
}

#[test]
fn a_file_over_the_time_budget_is_stored_rejected_with_the_reason() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut e = Engine::open(Settings {
        read_budget: Duration::ZERO,
        ..settings(dir.path())
    })
    .expect("opens");
    let v = e
        .ingest(&[input_from("slow.html", page(1).into_bytes())], 0)
        .expect("ingests");
    assert_eq!(v[0].status, Status::Rejected);
    assert!(v[0].id.is_some(), "a lasting rejection is stored: {v:?}");
    assert_eq!(
        v[0].reason.as_deref(),
        Some(Rejection::TooSlow { secs: 0 }.to_string().as_str())
    );
    assert_eq!(e.stats().expect("stats").articles, 1);
}

#[test]
fn a_stop_abandons_the_readings_in_hand_and_stores_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stop = Stop::default();
    let mut e = Engine::open(settings(dir.path()))
        .expect("opens")
        .stop_with(stop.clone());
    let first = e
        .ingest(&[input_from("a.html", page(1).into_bytes())], 0)
        .expect("ingests");
    assert_eq!(first[0].status, Status::Unique);
    stop.set();
    let inputs: Vec<_> = (2..200)
        .map(|n| input_from(&format!("p{n}.html"), page(n).into_bytes()))
        .collect();
    let v = e.ingest(&inputs, 0).expect("ingests");
    assert_eq!(v.len(), inputs.len());
    assert!(v.iter().all(|v| v.id.is_none()), "nothing is stored");
    assert!(v
        .iter()
        .all(|v| v.reason.as_deref() == Some(Rejection::Stopped.to_string().as_str())));
    assert_eq!(
        e.stats().expect("stats").articles,
        1,
        "what was decided before stays"
    );
}

/// Writes inbox files, returning their paths as the inbox names them.
fn drop_files(inbox: &Path, names: &[&str]) -> Vec<PathBuf> {
    std::fs::create_dir_all(inbox).expect("inbox");
    let inbox = inbox.canonicalize().expect("canonical");
    names
        .iter()
        .enumerate()
        .map(|(n, name)| {
            let p = inbox.join(name);
            std::fs::write(&p, page(n)).expect("write");
            p
        })
        .collect()
}

fn stored_count(dir: &Path) -> u64 {
    let e = Engine::open(settings(dir)).expect("opens");
    e.stats().expect("stats").articles
}

const SET_ASIDE: &str =
    "copydesk stopped three times while reading this file, twice with it alone; set aside";

/// Leaves the note a process leaves when it dies holding `files` (`alone`: a suspect by itself).
fn die_holding(db: &Path, files: &[String], alone: bool) {
    let (mut hand, _) = Hand::open(db).expect("note");
    hand.begin(files, alone).expect("noted");
}

#[test]
fn a_file_alone_in_hand_at_one_death_is_read_again_and_stored_normally() {
    let dir = tempfile::tempdir().expect("temp dir");
    let s = settings(dir.path());
    let files = drop_files(&s.inbox, &["a.html", "b.html", "c.html"]);
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    std::fs::create_dir_all(&s.db).expect("db");
    // A death with the batch in hand, then one with the second file alone in hand (an
    // operator's `kill -9` twice at the wrong moment, say).
    die_holding(&s.db, &names, false);
    {
        let mut e = Engine::open(s.clone()).expect("opens");
        let out = e.ingest_arrivals(&files[..1], 1).expect("ingests");
        assert!(matches!(&out[0].1, Arrival::Ingested(v) if v.status == Status::Unique));
    }
    die_holding(&s.db, &names[1..2], true);
    // One death alone is not enough: the next start reads it (alone, first), and it is stored
    // with its own verdict; nothing is set aside, and the note forgets it.
    let mut e = Engine::open(s.clone()).expect("opens");
    let out = e.ingest_arrivals(&files, 2).expect("ingests");
    assert_eq!(out.len(), 3);
    assert!(matches!(&out[0].1, Arrival::Already(_)), "{out:?}");
    for (path, arrival) in &out[1..] {
        match arrival {
            Arrival::Ingested(v) => {
                // These test pages share most of their words: a reprint of the first is a
                // normal verdict too; what matters is that the file was read, not set aside.
                assert_ne!(v.status, Status::Rejected, "{path:?}: {v:?}");
                assert!(v.reason.is_none() && v.id.is_some(), "{path:?}: {v:?}");
            }
            other => panic!("{path:?}: {other:?}"),
        }
    }
    drop(e);
    assert_eq!(stored_count(dir.path()), 3, "each file stored exactly once");
    let (hand, found) = Hand::open(&s.db).expect("note");
    assert_eq!(found, Default::default());
    assert!(hand.suspects().is_empty() && hand.strikes().is_empty());
    assert!(hand.set_aside().is_empty());
}

#[test]
fn a_file_alone_in_hand_at_two_deaths_is_set_aside_and_its_batch_stored_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let s = settings(dir.path());
    let files = drop_files(&s.inbox, &["a.html", "b.html", "poison.html", "d.html"]);
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    std::fs::create_dir_all(&s.db).expect("db");
    // First death: the whole batch was in hand.
    die_holding(&s.db, &names, false);
    // The restart reads each alone; the first two are read whole, then the poison page is in
    // hand, alone, at the second death.
    {
        let mut e = Engine::open(s.clone()).expect("opens");
        let out = e.ingest_arrivals(&files[..2], 1).expect("ingests");
        assert!(out.iter().all(
            |(_, a)| matches!(a, Arrival::Ingested(v) if v.status != Status::Rejected && v.id.is_some())
        ));
        let (_, found) = Hand::open(&s.db).expect("note");
        assert!(found.suspects.is_empty() && found.set_aside.is_empty());
    }
    die_holding(&s.db, &names[2..3], true);
    // The next start gives it a strike: still a suspect, read alone again first, and in hand
    // alone at the third death.
    {
        let (hand, found) = Hand::open(&s.db).expect("note");
        assert_eq!(found.struck, &names[2..3]);
        assert!(found.set_aside.is_empty() && hand.set_aside().is_empty());
        assert_eq!(hand.suspects(), &names[2..], "the rest are still suspects");
    }
    die_holding(&s.db, &names[2..3], true);
    // The next start sets the poison page aside, unread, reads the last suspect alone, and
    // recognises the files stored before.
    let mut e = Engine::open(s.clone()).expect("opens");
    let out = e.ingest_arrivals(&files, 2).expect("ingests");
    assert_eq!(out.len(), 4);
    for (path, arrival) in &out {
        match arrival {
            Arrival::Already(r) => assert!(path != &files[2] && r.status != Status::Rejected),
            Arrival::Ingested(v) if path == &files[2] => {
                assert_eq!(v.status, Status::Rejected);
                assert!(v.id.is_some(), "the set-aside file has its record");
                assert_eq!(v.reason.as_deref(), Some(SET_ASIDE));
            }
            Arrival::Ingested(v) => assert!(v.status != Status::Rejected, "{path:?}"),
            other => panic!("{path:?}: {other:?}"),
        }
    }
    drop(e);
    assert_eq!(stored_count(dir.path()), 4, "each file stored exactly once");
    let (hand, found) = Hand::open(&s.db).expect("note");
    assert_eq!(found.suspects.len() + found.set_aside.len(), 0);
    assert!(hand.suspects().is_empty() && hand.set_aside().is_empty());
    assert!(hand.strikes().is_empty());
}

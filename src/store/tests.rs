//! Unit tests of the store: reopening, locks, event groups.

use super::*;
use crate::model::{EventKind, Triage};

fn event(seq: u64) -> Event {
    Event {
        seq,
        at_ms: seq * 10,
        kind: EventKind::Triage {
            id: seq,
            triage: Triage::default(),
            status: Status::Unique,
            matched: None,
        },
    }
}

#[test]
fn a_database_closed_in_this_process_reopens_at_once_every_time() {
    // sled's threads may hold the lock a moment after the handle drops; the reopen waits
    // for them rather than calling the database locked by another process.
    let dir = tempfile::tempdir().expect("temp dir");
    for round in 0..30u64 {
        let store = Store::open(dir.path(), 1 << 20, 1 << 20)
            .unwrap_or_else(|e| panic!("reopen {round}: {e}"));
        let last = store.meta.get("test-round").expect("get");
        assert_eq!(
            last.map(|v| v.to_vec()),
            round.checked_sub(1).map(|r| r.to_be_bytes().to_vec()),
            "what the last round wrote is there"
        );
        store
            .meta
            .insert("test-round", &round.to_be_bytes())
            .expect("insert");
        store.sync().expect("sync");
    }
}

#[test]
fn a_database_held_open_elsewhere_is_locked_and_other_failures_are_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let held = Store::open(dir.path(), 1 << 20, 1 << 20).expect("open");
    let again = Store::open(dir.path(), 1 << 20, 1 << 20).err();
    assert!(matches!(again, Some(StoreError::Locked(_))), "{again:?}");
    drop(held);
    assert!(
        Store::open(dir.path(), 1 << 20, 1 << 20).is_ok(),
        "free again"
    );

    // A configuration sled cannot read is no lock: the database is damaged.
    let broken = tempfile::tempdir().expect("temp dir");
    drop(Store::open(broken.path(), 1 << 20, 1 << 20).expect("open"));
    std::fs::write(broken.path().join("conf"), b"not a sled config").expect("write");
    let err = Store::open(broken.path(), 1 << 20, 1 << 20).err();
    assert!(matches!(err, Some(StoreError::Damaged { .. })), "{err:?}");
}

#[test]
fn events_are_read_back_across_groups_and_single_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path(), 1 << 20, 1 << 20).expect("open");
    // A record of one event, as databases before groups have them.
    store
        .events
        .insert(
            1u64.to_be_bytes(),
            to_json(1, &schema::Event::from(&event(1))).expect("json"),
        )
        .expect("insert");
    store
        .commit::<NewArticle>(&[], &[event(2), event(3), event(4)])
        .expect("commit");
    store
        .commit::<NewArticle>(&[], &[event(5), event(6)])
        .expect("commit");
    assert_eq!(store.last_seq().expect("last"), 6);
    let seqs = |after, limit| -> Vec<u64> {
        let got = store.events_after(after, limit).expect("read");
        got.iter().map(|e| e.seq).collect()
    };
    assert_eq!(seqs(0, 100), [1, 2, 3, 4, 5, 6]);
    assert_eq!(seqs(2, 100), [3, 4, 5, 6], "from inside a group");
    assert_eq!(seqs(1, 2), [2, 3], "at most the limit");
    assert_eq!(seqs(6, 100), Vec::<u64>::new());
    assert_eq!(store.events_after(3, 1).expect("read")[0], event(4));
}

#[test]
fn an_overrule_is_found_after_a_triage_writes_it_and_after_a_reopen() {
    // `overruled` answers from memory while no overrule was ever written; one written by a
    // triage, in this process or before the open, is found in sled.
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let store = Store::open(dir.path(), 1 << 20, 1 << 20).expect("open");
        assert!(!store.overruled(7, 3).expect("look-up"));
        store
            .commit_triage(&[], &[], &[])
            .expect("a triage without overrules");
        assert!(!store.any_overrule.load(Ordering::SeqCst));
        store
            .commit_triage(&[], &[], &[(7, 3, "ed".into())])
            .expect("triage");
        assert!(store.overruled(7, 3).expect("look-up"));
        assert!(!store.overruled(7, 4).expect("look-up"));
    }
    let store = Store::open(dir.path(), 1 << 20, 1 << 20).expect("reopen");
    assert!(store.any_overrule.load(Ordering::SeqCst));
    assert!(store.overruled(7, 3).expect("look-up"));
    let empty = tempfile::tempdir().expect("temp dir");
    let fresh = Store::open(empty.path(), 1 << 20, 1 << 20).expect("open");
    assert!(!fresh.any_overrule.load(Ordering::SeqCst));
}

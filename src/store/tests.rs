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

/// Writes articles 1..=n as schema 6 kept them: three records in three trees.
fn write_apart(store: &Store, n: u64) -> Vec<(Content, FpRecord, StoryTokens)> {
    let mut out = Vec::new();
    for id in 1..=n {
        let content = Content {
            blocks: vec![crate::model::BlockInfo {
                hash: id,
                words: 3,
                kept: true,
                prose: false,
            }],
            paragraphs: vec![format!("The Council voted {id} times.")],
            site: 40 + id,
        };
        let fp = FpRecord {
            simhash: id * 7,
            exact: id * 11,
            anchors: vec![id, id + 1],
        };
        let tokens = StoryTokens {
            exact: id * 13,
            site: content.site,
            blocks: content.blocks.clone(),
            tokens: format!("the council voted {id} times"),
        };
        let text = content.paragraphs.join("\n");
        let shingles = codec::encode_story_tokens(
            tokens.exact,
            tokens.site,
            &tokens.blocks,
            &tokens.tokens,
            &text,
        );
        store
            .old
            .fps
            .insert(key(id), codec::encode_fp(&fp))
            .expect("insert");
        store
            .old
            .content
            .insert(key(id), codec::encode_content(&content, usize::MAX))
            .expect("insert");
        store
            .old
            .shingles
            .insert(key(id), shingles)
            .expect("insert");
        out.push((content, fp, tokens));
    }
    store
        .meta
        .insert("schema", &6u32.to_be_bytes())
        .expect("insert");
    store.sync().expect("sync");
    out
}

fn reads_as_written(store: &Store, written: &[(Content, FpRecord, StoryTokens)]) {
    for (i, (content, fp, tokens)) in written.iter().enumerate() {
        let id = i as u64 + 1;
        assert_eq!(
            store.content(id).expect("reads").as_ref(),
            Some(content),
            "{id}"
        );
        assert_eq!(
            store.fingerprint(id).expect("reads").as_ref(),
            Some(fp),
            "{id}"
        );
        assert_eq!(
            store.story_tokens(id).expect("reads").as_ref(),
            Some(tokens),
            "{id}"
        );
    }
}

#[test]
fn an_interrupted_merge_reads_every_article_and_is_finished_by_the_next_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    let written = {
        let store = Store::open(dir.path(), 1 << 20, 1 << 20).expect("open");
        assert!(!store.holds_old_records(), "a new database has none");
        let written = write_apart(&store, 7);
        drop(store);
        let store = Store::open(dir.path(), 1 << 20, 1 << 20).expect("reopen");
        assert!(store.holds_old_records());
        // Schema 6's records read where they are.
        reads_as_written(&store, &written);
        // Two batches of two moved, then the process stops (as after `kill -9` between
        // batches: each batch is one transaction, made durable here by the sync).
        assert_eq!(store.merge_batches(2, 2).expect("merges"), 4);
        assert_eq!(store.stories.len(), 4);
        assert_eq!(store.old.content.len(), 3);
        reads_as_written(&store, &written);
        written
    };
    let store = Store::open(dir.path(), 1 << 20, 1 << 20).expect("reopen");
    assert!(store.holds_old_records(), "the rest still waits");
    reads_as_written(&store, &written);
    assert_eq!(store.merge_old_records().expect("merges"), 3);
    assert!(!store.holds_old_records());
    assert_eq!(store.stories.len(), 7);
    assert!(
        store.old.fps.is_empty() && store.old.content.is_empty() && store.old.shingles.is_empty()
    );
    reads_as_written(&store, &written);
    // Every merged record is the one ingest writes: the words no longer repeat site and blocks.
    for r in store.stories.iter() {
        let (_, v) = r.expect("reads");
        let parts = codec::split_article(&v).expect("splits");
        assert_eq!(parts.words.map(|w| w[0]), Some(3));
    }
    drop(store);
    let store = Store::open(dir.path(), 1 << 20, 1 << 20).expect("reopen");
    assert!(!store.holds_old_records(), "nothing left to merge");
    reads_as_written(&store, &written);
}

#[test]
fn export_refuses_a_database_of_a_newer_schema_and_reads_a_damaged_version() {
    let dir = tempfile::tempdir().expect("temp dir");
    let newer = SCHEMA_VERSION + 1;
    {
        let store = Store::open(dir.path(), 1 << 20, 1 << 20).expect("open");
        store
            .meta
            .insert("schema", &newer.to_be_bytes())
            .expect("insert");
        store.sync().expect("sync");
    }
    match Store::open_readable(dir.path(), 1 << 20) {
        Err(StoreError::TooNew {
            found, supported, ..
        }) => assert_eq!((found, supported), (newer, SCHEMA_VERSION)),
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(_) => panic!("a newer schema's database was opened for export"),
    }
    // A version that does not read as one is damage: export is for damaged databases.
    {
        let store = Store::open_sled(dir.path(), 1 << 20, 1 << 20).expect("open");
        store.meta.insert("schema", &b"xy"[..]).expect("insert");
        store.sync().expect("sync");
    }
    let store = Store::open_readable(dir.path(), 1 << 20).expect("a damaged version still opens");
    assert_eq!(store.schema_version(), SCHEMA_VERSION);
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

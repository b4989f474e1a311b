//! The index snapshot against a real database: what a restart reads back (the snapshot plus the
//! fingerprints stored after it) answers as a rebuild from the database does, and every kind of
//! bad snapshot is refused and the index rebuilt.

use super::super::files::input_from;
use super::super::{Engine, IndexOrigin, Input};
use super::*;
use crate::fingerprint::SimHash;
use std::path::Path;

const WORDS: [&str; 32] = [
    "council", "harbour", "minister", "budget", "river", "school", "police", "festival", "court",
    "railway", "hospital", "market", "storm", "election", "bridge", "museum", "farmers", "union",
    "airport", "village", "report", "league", "vaccine", "tariff", "drought", "concert", "senate",
    "factory", "library", "protest", "coast", "energy",
];

/// Article `i`: a distinct story of about 90 words; every fifth one reprints the one before
/// (so that the SimHash tables hold near neighbours), with an extra sentence.
fn article(i: u64) -> Input {
    let story = if i % 5 == 4 { i - 1 } else { i };
    let mut text = story_text(story);
    if story != i {
        text.push_str("An editor's note was added to this copy.\n");
    }
    input_from(&format!("a/{i}.txt"), text.into_bytes())
}

/// Another copy of story `story`, with a line of its own.
fn reprint(story: u64) -> Input {
    let text = story_text(story) + "Copyright of this copy is the agency's.\n";
    input_from(&format!("b/{story}.txt"), text.into_bytes())
}

fn story_text(story: u64) -> String {
    let mut x = story.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut text = format!("Dispatch {story}\n\n");
    for s in 0..6 {
        let words: Vec<&str> = (0..15)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                WORDS[(x % 32) as usize]
            })
            .collect();
        text.push_str(&format!("Item {story}-{s} {}.\n\n", words.join(" ")));
    }
    text
}

fn settings(db: &Path) -> Settings {
    Settings {
        db: db.to_owned(),
        inbox: db.join("inbox"),
        ..Settings::default()
    }
}

fn ingest(engine: &mut Engine, range: std::ops::Range<u64>) {
    let inputs: Vec<Input> = range.map(article).collect();
    engine.ingest(&inputs, 1).expect("ingested");
}

/// Opens the database again and loads its index; returns the engine and where the index came from.
fn reopen(s: Settings) -> (Engine, IndexOrigin) {
    let mut engine = Engine::open(s).expect("opens");
    engine.load_index_now().expect("loads");
    let origin = engine.index_origin().expect("loaded").clone();
    (engine, origin)
}

/// `reopen` as the daemon does it: the snapshot read on its own thread while the database
/// opens, checked against the database when the index loads.
fn reopen_prefetching(s: Settings) -> (Engine, IndexOrigin) {
    let prefetch = Prefetch::start(&s);
    assert!(prefetch.is_some(), "a thread for the snapshot");
    let mut engine = Engine::open(s).expect("opens").serving(prefetch);
    engine.load_index_now().expect("loads");
    let origin = engine.index_origin().expect("loaded").clone();
    (engine, origin)
}

/// The loaded index answers every question as one rebuilt from the database does.
fn assert_same_as_rebuild(engine: &mut Engine) {
    let crate::engine::index::IndexParts {
        sim,
        anchors,
        ids,
        seen,
        mut docs,
    } = engine.rebuild().expect("rebuilt");
    let store = Arc::clone(&engine.store);
    let loaded = engine.load().expect("loaded");
    assert_eq!(loaded.ids, ids, "the same articles in the same slots");
    let mut loaded_docs = loaded.docs.clone();
    loaded_docs.compact();
    docs.compact();
    assert_eq!(loaded_docs, docs, "the same first article of each document");
    assert_eq!(loaded.sim.len(), sim.len());
    let mut seen_bytes = (Vec::new(), Vec::new());
    loaded.seen.write_to(&mut seen_bytes.0).expect("to memory");
    seen.write_to(&mut seen_bytes.1).expect("to memory");
    assert!(seen_bytes.0 == seen_bytes.1, "the same document filter");
    for (slot, &id) in ids.iter().enumerate() {
        let fp = sim.fingerprint(slot as u32);
        assert_eq!(loaded.sim.fingerprint(slot as u32), fp, "slot {slot}");
        assert_eq!(
            loaded.sim.near(fp),
            sim.near(fp),
            "neighbours of slot {slot}"
        );
        let stored = store.fingerprint(id).expect("reads").expect("stored");
        assert_eq!(SimHash(stored.simhash), fp);
        for &a in &stored.anchors {
            let (mut got, mut want) = (Vec::new(), Vec::new());
            loaded.anchors.postings(a, usize::MAX, |s| got.push(s));
            anchors.postings(a, usize::MAX, |s| want.push(s));
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "postings of an anchor of slot {slot}");
        }
    }
}

use std::sync::Arc;

#[test]
fn a_snapshot_and_the_articles_stored_after_it_answer_as_a_rebuild() {
    for (before, after) in [(0, 6), (12, 1), (23, 17), (40, 41)] {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("db");
        let mut engine = Engine::open(settings(&db)).expect("opens");
        ingest(&mut engine, 0..before);
        engine.load_index_now().expect("loads");
        let covered = engine.save_index(1).expect("saved");
        assert_eq!(covered.is_some(), before > 0, "nothing to save when empty");
        // More articles, then the process dies (no save at the end: as after `kill -9`).
        ingest(&mut engine, before..before + after);
        drop(engine);

        // Read ahead as the daemon does, or on first use.
        let (mut engine, origin) = if after % 2 == 0 {
            reopen(settings(&db))
        } else {
            reopen_prefetching(settings(&db))
        };
        if before > 0 {
            assert_eq!(
                origin,
                IndexOrigin::Snapshot {
                    covered: before,
                    replayed: after
                }
            );
        }
        assert_same_as_rebuild(&mut engine);
        // A new copy of the last story stored is found (ids are article numbers + 1).
        let story = (0..before + after)
            .rev()
            .find(|i| i % 5 != 4)
            .expect("a story");
        let v = engine.check(&[reprint(story)]).expect("checks");
        use crate::model::Status;
        assert!(
            matches!(v[0].status, Status::Reprint | Status::Duplicate),
            "{v:?}"
        );
        let id = v[0].matched.as_ref().expect("a match").id;
        assert!(id == story + 1 || id == story + 2, "{v:?}");
    }
}

#[test]
fn a_document_read_again_is_its_first_articles_duplicate_after_any_restart() {
    use crate::model::Status;
    // Story 3 again on a page of its own (a line the cleaning drops): the same story, another
    // document, so a duplicate that is no document's first.
    let page = |path: &str| {
        let text = story_text(3) + "Related:\n";
        input_from(path, text.into_bytes())
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let mut engine = Engine::open(settings(&db)).expect("opens");
    ingest(&mut engine, 0..10);
    let v = engine.ingest(&[page("c/1.txt")], 1).expect("ingested");
    assert_eq!(v[0].status, Status::Duplicate, "{v:?}");
    engine.load_index_now().expect("loads");
    engine.save_index(1).expect("saved");
    // Stored after the snapshot, then the process dies before saving another (`kill -9`).
    ingest(&mut engine, 10..15);
    // (file, id of the article it must be found a duplicate of): ids are article numbers + 1
    // up to 10, the page 11, then article numbers + 2.
    let cases = [
        (article(3), 4),
        (article(4), 4),
        (article(12), 14),
        (page("c/2.txt"), 4),
    ];
    let check = |engine: &mut Engine, how: &str| {
        for (input, id) in &cases {
            let v = engine.check(std::slice::from_ref(input)).expect("checks");
            assert_eq!(v[0].status, Status::Duplicate, "{how}: {v:?}");
            let got = v[0].matched.as_ref().expect("a match").id;
            assert_eq!(got, *id, "{how}: {} {v:?}", input.file);
        }
    };
    check(&mut engine, "as ingested");
    drop(engine);
    let (mut engine, origin) = reopen(settings(&db));
    assert!(
        matches!(origin, IndexOrigin::Snapshot { replayed: 5, .. }),
        "{origin:?}"
    );
    assert_same_as_rebuild(&mut engine);
    check(&mut engine, "from the snapshot and the articles after it");
    drop(engine);
    std::fs::remove_file(path(&db)).expect("snapshot removed");
    let (mut engine, origin) = reopen(settings(&db));
    assert_eq!(origin, IndexOrigin::Rebuilt { why: None });
    check(&mut engine, "rebuilt from the database");
}

#[test]
fn the_engine_saves_only_when_enough_was_added() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let mut engine = Engine::open(settings(&db)).expect("opens");
    ingest(&mut engine, 0..10);
    drop(engine);
    let mut engine = Engine::open(settings(&db)).expect("opens");
    assert!(
        engine.save_index(1).expect("saves").is_none(),
        "never loaded"
    );
    engine.load_index_now().expect("loads");
    assert!(engine.save_index(11).expect("saves").is_none());
    assert!(!path(&db).exists());
    let c = engine.save_index(10).expect("saves").expect("written");
    assert_eq!((c.slots, c.last_id), (10, 10));
    assert!(
        engine.save_index(1).expect("saves").is_none(),
        "nothing new"
    );
    ingest(&mut engine, 10..11);
    assert!(engine.save_index(1).expect("saves").is_some());
}

/// A database of 30 articles with a snapshot of them.
fn saved_db(db: &Path) {
    let mut engine = Engine::open(settings(db)).expect("opens");
    ingest(&mut engine, 0..30);
    engine.load_index_now().expect("loads");
    engine.save_index(1).expect("saves").expect("written");
}

/// Rewrites the snapshot with `f` applied, the checksum made right again (so that the checks
/// behind it are what refuses it) when `rehash`.
fn damage(db: &Path, rehash: bool, f: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = std::fs::read(path(db)).expect("a snapshot");
    f(&mut bytes);
    if rehash && bytes.len() >= 8 {
        let n = bytes.len() - 8;
        let digest = xxhash_rust::xxh3::xxh3_64(&bytes[..n]);
        bytes[n..].copy_from_slice(&digest.to_le_bytes());
    }
    std::fs::write(path(db), bytes).expect("written");
}

/// Refused both when read on first use and when read ahead while the database opened.
fn assert_refused(s: Settings, what: &str, because: &str) {
    for prefetching in [false, true] {
        let (mut engine, origin) = if prefetching {
            reopen_prefetching(s.clone())
        } else {
            reopen(s.clone())
        };
        match &origin {
            IndexOrigin::Rebuilt { why: Some(why) } => assert!(
                why.contains(because),
                "{what} (read ahead: {prefetching}): refused, but because {why}"
            ),
            other => panic!("{what} (read ahead: {prefetching}): not refused ({other:?})"),
        }
        assert_same_as_rebuild(&mut engine);
        drop(engine);
        // The rebuilt index is not saved by these engines, so the bad file is still there.
        assert!(
            path(&s.db).exists(),
            "{what}: the refused snapshot is left as it was"
        );
    }
}

/// Header fields: (offset, width).
const SCHEMA_AT: usize = 12;
const INSTANCE_AT: usize = 16;
const LAST_ID_AT: usize = 28;
const LAST_SEQ_AT: usize = 36;
const SLOTS_AT: usize = 44;

fn put(bytes: &mut [u8], at: usize, v: u64, width: usize) {
    bytes[at..at + width].copy_from_slice(&v.to_le_bytes()[..width]);
}

#[test]
fn every_kind_of_bad_snapshot_is_refused_and_the_index_rebuilt() {
    type Damage = Box<dyn FnOnce(&mut Vec<u8>)>;
    let cases: Vec<(&str, bool, Damage, &str)> = vec![
        ("torn", false, Box::new(|b| b.truncate(b.len() / 2)), ""),
        (
            "torn at the checksum",
            false,
            Box::new(|b| b.truncate(b.len() - 3)),
            "",
        ),
        ("empty", false, Box::new(|b| b.clear()), ""),
        (
            "a byte changed",
            false,
            Box::new(|b| {
                let m = b.len() / 3;
                b[m] ^= 0x40
            }),
            "",
        ),
        (
            "bytes appended",
            false,
            Box::new(|b| b.extend_from_slice(b"xx")),
            "checksum",
        ),
        (
            "not a snapshot",
            true,
            Box::new(|b| b[0] ^= 1),
            "not a copydesk index snapshot",
        ),
        (
            "another schema",
            true,
            Box::new(|b| put(b, SCHEMA_AT, 2, 4)),
            "schema",
        ),
        (
            "another database",
            true,
            Box::new(|b| b[INSTANCE_AT] ^= 1),
            "another database",
        ),
        (
            "ahead of the database",
            true,
            Box::new(|b| put(b, LAST_ID_AT, 31, 8)),
            "up to 31",
        ),
        (
            "events ahead",
            true,
            Box::new(|b| put(b, LAST_SEQ_AT, 1 << 40, 8)),
            "events",
        ),
        (
            "counts differ",
            true,
            Box::new(|b| put(b, SLOTS_AT, 29, 8)),
            "",
        ),
    ];
    for (what, rehash, f, because) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("db");
        saved_db(&db);
        damage(&db, rehash, f);
        assert_refused(settings(&db), what, because);
    }
}

#[test]
fn a_snapshot_whose_documents_name_other_articles_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    saved_db(&db);
    let n = {
        let (mut engine, _) = reopen(settings(&db));
        engine.load().expect("loaded").docs.len()
    };
    assert!(n >= 2, "{n} documents");
    // The documents' slots are the last array before the checksum: the first two swapped, each
    // document then names another article as its first (the file otherwise whole and in order).
    damage(&db, true, |b| {
        let at = b.len() - 8 - 4 * n;
        let (first, second) = (b[at..at + 4].to_vec(), b[at + 4..at + 8].to_vec());
        b[at..at + 4].copy_from_slice(&second);
        b[at + 4..at + 8].copy_from_slice(&first);
    });
    assert_refused(
        settings(&db),
        "documents naming other articles",
        "not stored from the document it names",
    );
}

#[test]
fn a_snapshot_of_another_database_or_other_settings_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    saved_db(&a);
    saved_db(&b);
    std::fs::copy(path(&a), path(&b)).expect("copied");
    assert_refused(settings(&b), "another database's", "another database");

    let other = Settings {
        simhash_max_distance: 4,
        ..settings(&a)
    };
    assert_refused(other, "other settings", "simhash_max_distance");
}

#[test]
fn a_database_restored_to_before_its_snapshot_is_rebuilt() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, backup) = (dir.path().join("db"), dir.path().join("backup"));
    let mut engine = Engine::open(settings(&db)).expect("opens");
    ingest(&mut engine, 0..20);
    engine.load_index_now().expect("loads");
    engine.save_index(1).expect("saves").expect("written");
    drop(engine);
    copy_dir(&db, &backup);
    let mut engine = Engine::open(settings(&db)).expect("opens");
    ingest(&mut engine, 20..40);
    engine.load_index_now().expect("loads");
    engine.save_index(1).expect("saves").expect("written");
    drop(engine);
    // The backup comes back, with the newer snapshot beside it.
    std::fs::copy(path(&db), path(&backup)).expect("copied");
    assert_refused(settings(&backup), "restored", "the database holds up to 20");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("made");
    for e in std::fs::read_dir(from).expect("listed") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copied");
        }
    }
}

#[test]
fn a_snapshot_read_ahead_is_checked_against_the_database_as_it_is_when_opened() {
    // The daemon reads the snapshot while the database opens: what it read must be trusted no
    // more than a snapshot read afterwards. Here articles are added between the read and the
    // open (a one-off command holding the database while the daemon waited for it).
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    saved_db(&db);
    let prefetch = Prefetch::start(&settings(&db));
    let mut engine = Engine::open(settings(&db)).expect("opens");
    ingest(&mut engine, 30..37);
    drop(engine);
    let mut engine = Engine::open(settings(&db))
        .expect("opens")
        .serving(prefetch);
    engine.load_index_now().expect("loads");
    assert_eq!(
        engine.index_origin(),
        Some(&IndexOrigin::Snapshot {
            covered: 30,
            replayed: 7
        })
    );
    assert_same_as_rebuild(&mut engine);

    // A snapshot read ahead from another database is refused when checked.
    let other = dir.path().join("other");
    saved_db(&other);
    std::fs::copy(path(&db), path(&other)).expect("copied");
    let prefetch = Prefetch::start(&settings(&other));
    let mut engine = Engine::open(settings(&other))
        .expect("opens")
        .serving(prefetch);
    engine.load_index_now().expect("loads");
    assert!(
        matches!(engine.index_origin(), Some(IndexOrigin::Rebuilt { why: Some(why) }) if why.contains("another database")),
        "{:?}",
        engine.index_origin()
    );
    assert_same_as_rebuild(&mut engine);
}

#[test]
fn a_snapshot_saved_after_the_read_ahead_found_none_is_read_when_the_index_loads() {
    // The daemon waited for the database while a one-off command held it; the command saved a
    // snapshot after the daemon's early read had found none.
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let prefetch = Prefetch::start(&settings(&db)).expect("a thread for the snapshot");
    assert!(wait_until(|| prefetch.is_finished()), "the early read ends");
    saved_db(&db);
    let mut engine = Engine::open(settings(&db))
        .expect("opens")
        .serving(Some(prefetch));
    engine.load_index_now().expect("loads");
    assert_eq!(
        engine.index_origin(),
        Some(&IndexOrigin::Snapshot {
            covered: 30,
            replayed: 0
        })
    );
    assert_same_as_rebuild(&mut engine);
}

/// Waits (up to a minute, yielding) until `done`: the thread's own pace, never a fixed sleep.
fn wait_until(done: impl Fn() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !done() {
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    true
}

#[test]
fn no_snapshot_read_ahead_means_a_rebuild() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let mut engine = Engine::open(settings(&db)).expect("opens");
    ingest(&mut engine, 0..12);
    drop(engine);
    let (mut engine, origin) = reopen_prefetching(settings(&db));
    assert_eq!(origin, IndexOrigin::Rebuilt { why: None });
    assert_same_as_rebuild(&mut engine);
}

#[test]
fn the_document_filter_made_again_from_the_documents_finds_every_duplicate_ingest_found() {
    // What `grow_seen_if_crowded` builds from the index of documents must let through every
    // document a look-up can find, or a file read again would go unseen: each article read
    // again is the same duplicate through the filter made again as through the one ingest
    // built (which also holds the documents of duplicates, never looked up).
    use crate::model::Status;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let mut engine = Engine::open(settings(&db)).expect("opens");
    ingest(&mut engine, 0..40);
    let inputs: Vec<Input> = (0..40).map(article).collect();
    let before = engine.check(&inputs).expect("checks");
    assert!(
        before.iter().all(|v| v.status == Status::Duplicate),
        "{before:?}"
    );
    assert!(
        !engine.grow_seen_if_crowded().expect("checked"),
        "40 documents do not crowd a filter"
    );
    let loaded = engine.load().expect("loaded");
    let n = loaded.ids.len();
    let firsts = loaded.docs.len();
    assert!(firsts < n, "duplicates among them are no document's first");
    loaded.seen = crate::engine::index::seen_from_docs(&loaded.docs, n);
    let again = engine.check(&inputs).expect("checks");
    assert_eq!(
        again, before,
        "the same verdicts through the filter made again"
    );
    // And after a restart, through the filter the snapshot holds.
    engine.load_index_now().expect("loads");
    engine.save_index(1).expect("saved");
    drop(engine);
    let (mut engine, _) = reopen_prefetching(settings(&db));
    let v = engine.check(&inputs).expect("checks");
    assert_eq!(v, before, "the same verdicts after a restart");
}

#[test]
fn the_templates_learned_again_with_the_index_are_those_ingest_learned() {
    // Distinct stories that all carry the same notice: a block of two or more new stories is
    // template, learned at ingest and learned again from the store when the index loads.
    let notice = "Follow our coverage of the region on the radio every morning at seven.";
    let inputs: Vec<Input> = (0..12u64)
        .map(|i| {
            let text = format!("{}{notice}\n", story_text(100 + i));
            input_from(&format!("n/{i}.txt"), text.into_bytes())
        })
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let s = settings(&db);
    let (learned, count) = {
        let mut engine = Engine::open(s.clone()).expect("opens");
        engine.ingest(&inputs, 1).expect("ingested");
        let loaded = engine.load().expect("loaded");
        let learned = (loaded.templates.snapshot(), loaded.templates.learned());
        engine.save_index(1).expect("saves").expect("written");
        learned
    };
    assert!(!learned.is_empty(), "the notice was learned");
    for prefetching in [false, true] {
        let (mut engine, origin) = if prefetching {
            reopen_prefetching(s.clone())
        } else {
            reopen(s.clone())
        };
        assert!(matches!(origin, IndexOrigin::Snapshot { .. }), "{origin:?}");
        let loaded = engine.load().expect("loaded");
        assert_eq!(
            loaded.templates.snapshot(),
            learned,
            "read ahead: {prefetching}"
        );
        assert_eq!(
            loaded.templates.learned(),
            count,
            "read ahead: {prefetching}"
        );
    }
}

#[test]
fn a_snapshot_holds_no_recent_postings_and_reads_back_as_a_rebuild() {
    // Saving merges the recent postings into the sorted base first, so a restart reads sorted
    // arrays alone; what it reads answers as before.
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let mut engine = Engine::open(settings(&db)).expect("opens");
    ingest(&mut engine, 0..40);
    let loaded = engine.load().expect("loaded");
    assert!(loaded.anchors.recent_postings() > 0 && loaded.sim.recent_postings() > 0);
    engine.save_index(1).expect("saves").expect("written");
    let loaded = engine.load().expect("loaded");
    assert_eq!(
        loaded.anchors.recent_postings() + loaded.sim.recent_postings(),
        0
    );
    assert_same_as_rebuild(&mut engine);
    drop(engine);
    let read = read(&path(&db), Settings::default().simhash_max_distance)
        .expect("reads")
        .expect("a snapshot");
    let saved = &read.saved;
    assert_eq!(
        saved.anchors.recent_postings() + saved.sim.recent_postings(),
        0
    );
    let (mut engine, origin) = reopen(settings(&db));
    assert!(
        matches!(origin, IndexOrigin::Snapshot { covered: 40, .. }),
        "{origin:?}"
    );
    ingest(&mut engine, 40..45);
    assert_same_as_rebuild(&mut engine);
}

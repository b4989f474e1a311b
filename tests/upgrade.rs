//! A database written by an older schema opens and keeps working. Version 1's 32-bit anchors
//! and version 2's SimHashes (SipHash of each shingle's text) are derived again from the stored
//! stories, so passage and SimHash look-ups keep working; version 3's content records (without
//! the page's site or the blocks' prose flags) are read as they are, and the version recorded.

mod common;

use common::{ingest, json_lines, seed};

/// Rewrites every fingerprint record in the version 1 layout (32-bit anchors, truncated here as
/// if an older copydesk had made them) and marks the database as version 1.
fn downgrade(db: &std::path::Path) {
    let sled = sled::open(db).expect("open the database directly");
    let fps = sled.open_tree("fps").expect("fps tree");
    let mut rewrites = 0;
    for r in fps.iter() {
        let (k, v) = r.expect("read");
        assert_eq!(v[0], 2, "records are written as version 2");
        let n = u32::from_le_bytes(v[17..21].try_into().expect("count")) as usize;
        let mut old = v[..17].to_vec();
        old[0] = 1;
        old.extend_from_slice(&(n as u32).to_le_bytes());
        for a in v[21..].chunks_exact(8) {
            old.extend_from_slice(&a[4..8]);
        }
        assert_eq!(old.len(), 21 + 4 * n);
        fps.insert(k, old).expect("write");
        rewrites += 1;
    }
    assert!(rewrites > 0);
    let meta = sled.open_tree("meta").expect("meta tree");
    meta.insert("schema", &1u32.to_be_bytes()).expect("write");
    sled.flush().expect("flush");
}

#[test]
fn a_version_1_database_is_upgraded_and_still_finds_shared_passages() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let first = ingest(&db, &[seed("002_")]);
    downgrade(&db);

    // The quoted blurb is found only through passage anchors.
    let file = seed("004_").display().to_string();
    let got = json_lines(&db, &["check", "--json", &file]);
    assert_eq!(got[0]["status"], "partial", "{got:?}");
    assert_eq!(got[0]["match"]["id"], first[0]["id"]);

    let sled = sled::open(&db).expect("open the database directly");
    let schema = sled
        .open_tree("meta")
        .unwrap()
        .get("schema")
        .unwrap()
        .unwrap();
    assert_eq!(schema.as_ref(), 4u32.to_be_bytes());
    for r in sled.open_tree("fps").unwrap().iter() {
        assert_eq!(r.expect("read").1[0], 2, "every record rewritten");
    }
}

/// The SimHash of each fingerprint record (bytes 1..9 of the version 2 layout), by key.
fn simhashes(db: &std::path::Path) -> Vec<(Vec<u8>, u64)> {
    let sled = sled::open(db).expect("open the database directly");
    let fps = sled.open_tree("fps").expect("fps tree");
    fps.iter()
        .map(|r| {
            let (k, v) = r.expect("read");
            let h = u64::from_le_bytes(v[1..9].try_into().expect("8 bytes"));
            (k.to_vec(), h)
        })
        .collect()
}

#[test]
fn a_version_2_database_gets_its_simhashes_derived_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let first = ingest(&db, &[seed("000_"), seed("002_")]);
    let written = simhashes(&db);
    assert_eq!(written.len(), 2);
    {
        // As a version 2 copydesk left it: other SimHashes (here each one's complement, far from
        // every other) and the version.
        let sled = sled::open(&db).expect("open the database directly");
        let fps = sled.open_tree("fps").expect("fps tree");
        for (k, h) in &written {
            let mut v = fps.get(k).expect("read").expect("present").to_vec();
            v[1..9].copy_from_slice(&(!h).to_le_bytes());
            fps.insert(k.as_slice(), v).expect("write");
        }
        let meta = sled.open_tree("meta").expect("meta tree");
        meta.insert("schema", &2u32.to_be_bytes()).expect("write");
        sled.flush().expect("flush");
    }

    // The clean text of the raw page stored first is still its reprint.
    let file = seed("001_").display().to_string();
    let got = json_lines(&db, &["check", "--json", &file]);
    assert_eq!(got[0]["status"], "reprint", "{got:?}");
    assert_eq!(got[0]["match"]["id"], first[0]["id"], "{got:?}");

    assert_eq!(
        simhashes(&db),
        written,
        "the SimHashes derived from the stored stories are the ones computed at ingest"
    );
    let sled = sled::open(&db).expect("open the database directly");
    let schema = sled
        .open_tree("meta")
        .unwrap()
        .get("schema")
        .unwrap()
        .unwrap();
    assert_eq!(schema.as_ref(), 4u32.to_be_bytes());
}

/// Rewrites every content record in the version 1 layout (no site, the flags byte holding only
/// `kept`) and marks the database as schema version 3, as the copydesk before page-level
/// evidence left it.
fn downgrade_content(db: &std::path::Path) -> usize {
    let sled = sled::open(db).expect("open the database directly");
    let content = sled.open_tree("content").expect("content tree");
    let mut rewrites = 0;
    for r in content.iter() {
        let (k, v) = r.expect("read");
        assert_eq!(v[0], 2, "records are written as version 2");
        let n = u32::from_le_bytes(v[9..13].try_into().expect("count")) as usize;
        let mut old = vec![1u8];
        old.extend_from_slice(&v[9..13]);
        for b in v[13..13 + n * 13].chunks_exact(13) {
            old.extend_from_slice(&b[..12]);
            old.push(b[12] & 1);
        }
        old.extend_from_slice(&v[13 + n * 13..]);
        content.insert(k, old).expect("write");
        rewrites += 1;
    }
    let meta = sled.open_tree("meta").expect("meta tree");
    meta.insert("schema", &3u32.to_be_bytes()).expect("write");
    sled.flush().expect("flush");
    rewrites
}

#[test]
fn a_version_3_database_is_read_as_it_is_and_marked_version_4() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let first = ingest(&db, &[seed("000_"), seed("002_")]);
    assert_eq!(downgrade_content(&db), 2);

    // Against stories stored without sites or prose flags: the clean copy is a reprint, another
    // story in the same template is not, a page quoting the same blurb is partial reuse.
    let later = ingest(&db, &[seed("001_"), seed("003_"), seed("004_")]);
    assert_eq!(later[0]["status"], "reprint", "{later:?}");
    assert_eq!(later[0]["match"]["id"], first[0]["id"]);
    assert_eq!(later[1]["status"], "unique", "{later:?}");
    assert_eq!(later[2]["status"], "partial", "{later:?}");
    assert_eq!(later[2]["match"]["id"], first[1]["id"]);

    let sled = sled::open(&db).expect("open the database directly");
    let schema = sled
        .open_tree("meta")
        .unwrap()
        .get("schema")
        .unwrap()
        .unwrap();
    assert_eq!(schema.as_ref(), 4u32.to_be_bytes());
    let versions: Vec<u8> = sled
        .open_tree("content")
        .unwrap()
        .iter()
        .map(|r| r.expect("read").1[0])
        .collect();
    assert_eq!(
        versions,
        [1, 1, 2, 2, 2],
        "old records read as they are, new ones in version 2"
    );
}

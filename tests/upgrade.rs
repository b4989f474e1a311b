//! Databases written by earlier copydesk: one written by release 0.1.0 (schema 2) opens and reads
//! the same, and older schemas are upgraded on open: version 1's 32-bit anchors and version 2's
//! SimHashes (SipHash of each shingle's text) are derived again from the stored stories, so
//! passage and SimHash look-ups keep working; version 3's content records (without the page's
//! site or the blocks' prose flags) are read as they are, and the version recorded; version 4's
//! articles get the shingle records verification reads, derived from their stored stories;
//! version 6's three records per article (fingerprint, content, shingle record, in three trees)
//! are merged into one, also when a merge was interrupted.

mod common;

use common::{ingest, json_lines, run, seed};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/release-0.1.0")
        .join(name)
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The database opened directly with sled, as a test writes or inspects it. Dropping it waits
/// until sled's threads have let go of the database's lock (a moment after the last handle goes),
/// so that what opens it next, in this process or the binary, finds it free.
struct Direct {
    db: Option<sled::Db>,
    path: PathBuf,
}

impl std::ops::Deref for Direct {
    type Target = sled::Db;
    fn deref(&self) -> &sled::Db {
        self.db.as_ref().expect("open until dropped")
    }
}

impl Drop for Direct {
    fn drop(&mut self) {
        drop(self.db.take());
        assert!(
            copydesk::store::wait_until_free(&self.path, std::time::Duration::from_secs(60)),
            "the database's lock is still held a minute after its handle was dropped"
        );
    }
}

fn open_direct(db: &Path) -> Direct {
    Direct {
        db: Some(sled::open(db).expect("open the database directly")),
        path: db.to_owned(),
    }
}

/// Writes every tree of `db.json` (keys and values byte for byte as 0.1.0 wrote them).
fn restore_release_0_1_0(db: &Path) {
    let dump: serde_json::Map<String, Value> =
        serde_json::from_slice(&std::fs::read(fixture("db.json")).expect("fixture")).expect("json");
    let sled = open_direct(db);
    for (name, pairs) in dump {
        let tree = sled.open_tree(&name).expect("tree");
        for pair in pairs.as_array().expect("pairs") {
            let kv = pair.as_array().expect("a pair");
            let (k, v) = (kv[0].as_str().expect("key"), kv[1].as_str().expect("value"));
            tree.insert(unhex(k), unhex(v)).expect("insert");
        }
    }
    sled.flush().expect("flush");
}

/// The parts of an article's record (schema 7's `stories` tree): fingerprint, content, words.
fn split(v: &[u8]) -> [Option<Vec<u8>>; 3] {
    assert_eq!(v[0], 1, "article records are version 1");
    let mut at = 1;
    [(); 3].map(|()| {
        let n = u32::from_le_bytes(v[at..at + 4].try_into().expect("4 bytes"));
        at += 4;
        (n != u32::MAX).then(|| {
            let part = v[at..at + n as usize].to_vec();
            at += n as usize;
            part
        })
    })
}

/// An article's record from its parts.
fn join(parts: &[Option<Vec<u8>>; 3]) -> Vec<u8> {
    let mut out = vec![1u8];
    for p in parts {
        match p {
            Some(p) => {
                out.extend_from_slice(&(p.len() as u32).to_le_bytes());
                out.extend_from_slice(p);
            }
            None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
        }
    }
    out
}

/// An article's key and the parts of its record.
type Parts = (Vec<u8>, [Option<Vec<u8>>; 3]);

/// Every article's record split into its parts, by key.
fn parts(db: &Path) -> Vec<Parts> {
    let sled = open_direct(db);
    let tree = sled.open_tree("stories").expect("stories tree");
    tree.iter()
        .map(|r| {
            let (k, v) = r.expect("read");
            (k.to_vec(), split(&v))
        })
        .collect()
}

/// Puts the database back as schema 6 kept it, every article's record split into the `fps`,
/// `content` and `shingles` trees (the words as a version 2 shingle record again, with the
/// content's site and blocks), but the first `merged` records, left as an interrupted merge
/// leaves them; marks it schema 6 when none is left merged, 7 otherwise (the merge records 7
/// before it starts).
fn split_records(db: &Path, merged: usize) {
    let sled = open_direct(db);
    let stories = sled.open_tree("stories").expect("stories tree");
    let trees = ["fps", "content", "shingles"].map(|t| sled.open_tree(t).expect("tree"));
    for r in stories.iter().skip(merged) {
        let (k, v) = r.expect("read");
        let [fp, content, words] = split(&v);
        let (fp, content, words) = (
            fp.expect("a fingerprint"),
            content.expect("content"),
            words.expect("the words"),
        );
        assert_eq!(words[0], 3, "words are written as version 3");
        // A version 2 shingle record: version, story hash, then the content's site and blocks,
        // then the words as they are.
        let mut shingles = vec![2u8];
        shingles.extend_from_slice(&words[1..9]);
        shingles.extend_from_slice(&content[1..after_blocks(&content, 1)]);
        shingles.extend_from_slice(&words[9..]);
        trees[0].insert(&k, fp).expect("write");
        trees[1].insert(&k, content).expect("write");
        trees[2].insert(&k, shingles).expect("write");
        stories.remove(&k).expect("remove");
    }
    let schema: u32 = if merged == 0 { 6 } else { 7 };
    let meta = sled.open_tree("meta").expect("meta tree");
    meta.insert("schema", &schema.to_be_bytes()).expect("write");
    sled.flush().expect("flush");
}

/// The schema version the database records.
fn schema_of(db: &Path) -> u32 {
    let sled = open_direct(db);
    let v = sled
        .open_tree("meta")
        .expect("meta tree")
        .get("schema")
        .expect("read")
        .expect("a schema version");
    u32::from_be_bytes(v.as_ref().try_into().expect("4 bytes"))
}

/// How many records each of schema 6's trees holds (`fps`, `content`, `shingles`).
fn apart(db: &Path) -> [usize; 3] {
    let sled = open_direct(db);
    ["fps", "content", "shingles"].map(|t| sled.open_tree(t).expect("tree").len())
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The differences meant: an untouched article's triage state reads "new" (0.1.0 said ""), and
/// every time in milliseconds has its RFC 3339 form beside it (`ingested_at`, `at`), and a record
/// says where its file is now (`location`, `null`: not moved).
fn with_new_for_untouched(mut v: Value) -> Value {
    match &mut v {
        Value::Object(map) => {
            if map.contains_key("ingested_ms") {
                map.entry("location").or_insert(Value::Null);
            }
            if let Some(Value::Object(t)) = map.get_mut("triage") {
                if t.get("state") == Some(&Value::from("")) {
                    t.insert("state".into(), "new".into());
                }
            }
            for (ms, at) in [("ingested_ms", "ingested_at"), ("at_ms", "at")] {
                if let Some(time) = map.get(ms).cloned() {
                    let text = time.as_u64().map(copydesk::model::rfc3339);
                    map.insert(at.into(), text.into());
                }
            }
            for (_, child) in map.iter_mut() {
                *child = with_new_for_untouched(child.take());
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                *item = with_new_for_untouched(item.take());
            }
        }
        _ => {}
    }
    v
}

fn expected(name: &str) -> Vec<Value> {
    lines(&std::fs::read_to_string(fixture(name)).expect("fixture"))
        .into_iter()
        .map(with_new_for_untouched)
        .collect()
}

fn stdout(db: &Path, args: &[&str]) -> String {
    let out = run(db, args);
    assert!(
        out.status.success(),
        "copydesk {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// A verdict's file as its name (the seeds lie elsewhere on this machine than where 0.1.0 ran).
fn file_name_only(mut v: Value) -> Value {
    let name = v["file"].as_str().map(|f| {
        Path::new(f)
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    });
    v["file"] = name.into();
    v
}

#[test]
fn a_database_written_by_release_0_1_0_opens_and_reads_the_same() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    restore_release_0_1_0(&db);

    assert_eq!(
        lines(&stdout(&db, &["list", "--json", "--limit", "0"])),
        expected("list.jsonl")
    );
    let shown: Vec<Value> = (1..=7)
        .flat_map(|id| lines(&stdout(&db, &["show", "--json", &id.to_string()])))
        .collect();
    assert_eq!(shown, expected("show.jsonl"));
    assert_eq!(
        lines(&stdout(&db, &["tail", "--json", "--after", "0"])),
        expected("tail.jsonl")
    );
    let strip = |mut v: Value| {
        let o = v.as_object_mut().expect("an object");
        o.remove("db");
        o.remove("db_bytes");
        v
    };
    assert_eq!(
        lines(&stdout(&db, &["stats", "--json"]))
            .into_iter()
            .map(strip)
            .collect::<Vec<_>>(),
        expected("stats.json")
            .into_iter()
            .map(strip)
            .collect::<Vec<_>>()
    );
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("watch");
    let checked = lines(&stdout(
        &db,
        &["check", "--json", &seeds.display().to_string()],
    ));
    assert_eq!(
        checked.into_iter().map(file_name_only).collect::<Vec<_>>(),
        expected("check.jsonl")
            .into_iter()
            .map(file_name_only)
            .collect::<Vec<_>>()
    );

    // It takes new work: the next article (the file of #2 again, so a duplicate of it) and a
    // triage.
    let again = dir.path().join("again.txt");
    std::fs::copy(seed("001_"), &again).expect("copy");
    let got = ingest(&db, &[again]);
    assert_eq!(
        (&got[0]["id"], &got[0]["status"], &got[0]["match"]["id"]),
        (&Value::from(8), &Value::from("duplicate"), &Value::from(2)),
        "{got:?}"
    );
    let triaged = json_lines(&db, &["triage", "--json", "7", "picked"]);
    assert_eq!(triaged[0]["triage"]["state"], "picked");

    // What is stored keeps 0.1.0's text forms: the untouched article is not rewritten, and the
    // new triage is stored as 0.1.0 stored it.
    let sled = open_direct(&db);
    let articles = sled.open_tree("articles").expect("articles");
    let stored = |id: u64| -> Value {
        let v = articles
            .get(id.to_be_bytes())
            .expect("read")
            .expect("stored");
        serde_json::from_slice(&v).expect("json")
    };
    assert_eq!(stored(1)["triage"]["state"], "");
    assert_eq!(stored(4)["triage"]["state"], "new");
    assert_eq!(stored(7)["triage"]["state"], "picked");
    assert_eq!(stored(8)["triage"]["state"], "");
}

/// Rewrites every fingerprint record in the version 1 layout (32-bit anchors, truncated here as
/// if an older copydesk had made them) and marks the database as version 1.
fn downgrade(db: &std::path::Path) {
    let sled = open_direct(db);
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
    split_records(&db, 0);
    downgrade(&db);

    // The quoted blurb is found only through passage anchors.
    let file = seed("004_").display().to_string();
    let got = json_lines(&db, &["check", "--json", &file]);
    assert_eq!(got[0]["status"], "partial", "{got:?}");
    assert_eq!(got[0]["match"]["id"], first[0]["id"]);

    assert_eq!(schema_of(&db), 8);
    assert_eq!(apart(&db), [0, 0, 0], "every record merged");
    for (_, [fp, ..]) in parts(&db) {
        assert_eq!(
            fp.expect("a fingerprint")[0],
            2,
            "every fingerprint rewritten"
        );
    }
}

/// The SimHash of each fingerprint (bytes 1..9 of the version 2 layout), by key.
fn simhashes(db: &std::path::Path) -> Vec<(Vec<u8>, u64)> {
    parts(db)
        .into_iter()
        .map(|(k, [fp, ..])| {
            let v = fp.expect("a fingerprint");
            let h = u64::from_le_bytes(v[1..9].try_into().expect("8 bytes"));
            (k, h)
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
    split_records(&db, 0);
    {
        // As a version 2 copydesk left it: other SimHashes (here each one's complement, far from
        // every other) and the version.
        let sled = open_direct(&db);
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
    assert_eq!(schema_of(&db), 8);
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
fn a_version_3_database_is_read_as_it_is_and_marked_current() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let first = ingest(&db, &[seed("000_"), seed("002_")]);
    split_records(&db, 0);
    assert_eq!(downgrade_content(&db), 2);

    // Against stories stored without sites or prose flags: the clean copy is a reprint, another
    // story in the same template is not, a page quoting the same blurb is partial reuse.
    let later = ingest(&db, &[seed("001_"), seed("003_"), seed("004_")]);
    assert_eq!(later[0]["status"], "reprint", "{later:?}");
    assert_eq!(later[0]["match"]["id"], first[0]["id"]);
    assert_eq!(later[1]["status"], "unique", "{later:?}");
    assert_eq!(later[2]["status"], "partial", "{later:?}");
    assert_eq!(later[2]["match"]["id"], first[1]["id"]);

    assert_eq!(schema_of(&db), 8);
    let versions: Vec<u8> = parts(&db)
        .into_iter()
        .map(|(_, [_, content, _])| content.expect("content")[0])
        .collect();
    assert_eq!(
        versions,
        [1, 1, 2, 2, 2],
        "old records read as they are, new ones in version 2"
    );
}

/// Every shingle record (schema 6's tree), by key.
fn shingle_records(db: &std::path::Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let sled = open_direct(db);
    let tree = sled.open_tree("shingles").expect("shingles tree");
    tree.iter()
        .map(|r| {
            let (k, v) = r.expect("read");
            (k.to_vec(), v.to_vec())
        })
        .collect()
}

/// What every article's record keeps of its words, by key.
fn words(db: &std::path::Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    parts(db)
        .into_iter()
        .map(|(k, [_, _, words])| (k, words.expect("the words")))
        .collect()
}

#[test]
fn a_version_4_database_gets_the_shingle_records_ingest_would_have_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let first = ingest(&db, &[seed("000_"), seed("002_")]);
    let written = words(&db);
    assert_eq!(written.len(), 2, "one record per article, written with it");
    split_records(&db, 0);
    {
        // As a version 4 copydesk left it: no shingle records.
        let sled = open_direct(&db);
        sled.drop_tree("shingles").expect("drop the tree");
        let meta = sled.open_tree("meta").expect("meta tree");
        meta.insert("schema", &4u32.to_be_bytes()).expect("write");
        sled.flush().expect("flush");
    }
    // `doctor` finds nothing wrong with a version 4 database, which has no records to check.
    let doctor = run(&db, &["doctor"]);
    assert!(doctor.status.success(), "{doctor:?}");

    // Against the records derived on open: the clean copy is a reprint, the blurb's quote is
    // partial reuse.
    let later = ingest(&db, &[seed("001_"), seed("004_")]);
    assert_eq!(later[0]["status"], "reprint", "{later:?}");
    assert_eq!(later[0]["match"]["id"], first[0]["id"]);
    assert_eq!(later[1]["status"], "partial", "{later:?}");
    assert_eq!(later[1]["match"]["id"], first[1]["id"]);

    let now = words(&db);
    assert_eq!(
        now[..2],
        written[..],
        "the records derived from the stored stories are the ones ingest wrote"
    );
    assert_eq!(now.len(), 4);
    assert_eq!(schema_of(&db), 8);
    // From version 5 on, a record without its shingle record is damage `doctor` names.
    {
        let sled = open_direct(&db);
        let stories = sled.open_tree("stories").expect("stories tree");
        let mut record = split(
            &stories
                .get(3u64.to_be_bytes())
                .expect("read")
                .expect("record 3"),
        );
        record[2] = None;
        stories
            .insert(3u64.to_be_bytes(), join(&record))
            .expect("write");
        sled.flush().expect("flush");
        // The tree's handle goes first: the database is let go with the last one.
        drop(stories);
    }
    let doctor = run(&db, &["doctor"]);
    assert!(!doctor.status.success(), "{doctor:?}");
    assert!(
        String::from_utf8_lossy(&doctor.stdout).contains("record 3: its shingle record is missing"),
        "{doctor:?}"
    );
}

/// Where the words start in a shingle record or the text in a content record: after the version
/// byte, two u64 (story hash and site) or one (site), the block count and 13 bytes a block.
fn after_blocks(value: &[u8], u64s: usize) -> usize {
    let at = 1 + 8 * u64s;
    let n = u32::from_le_bytes(value[at..at + 4].try_into().expect("4 bytes")) as usize;
    at + 4 + 13 * n
}

/// Rewrites every shingle record as schema 5 wrote it (the words compressed on their own, record
/// version 1) and marks the database as schema 5; returns the records as rewritten.
fn downgrade_shingles(db: &std::path::Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let records = shingle_records(db);
    let sled = open_direct(db);
    let shingles = sled.open_tree("shingles").expect("shingles tree");
    let content = sled.open_tree("content").expect("content tree");
    let mut rewritten = Vec::new();
    for (k, v) in records {
        assert_eq!(v[0], 2, "schema 6 compresses the words against the text");
        let c = content.get(&k).expect("read").expect("the content record");
        let text = lz4_flex::decompress_size_prepended(&c[after_blocks(&c, 1)..]).expect("text");
        let dict = text.to_ascii_lowercase();
        let at = after_blocks(&v, 2);
        let words = lz4_flex::block::decompress_size_prepended_with_dict(&v[at..], &dict)
            .expect("the words");
        let mut old = v[..at].to_vec();
        old[0] = 1;
        old.extend(lz4_flex::compress_prepend_size(&words));
        shingles.insert(&k, old.as_slice()).expect("write");
        rewritten.push((k, old));
    }
    let meta = sled.open_tree("meta").expect("meta tree");
    meta.insert("schema", &5u32.to_be_bytes()).expect("write");
    sled.flush().expect("flush");
    rewritten
}

#[test]
fn a_version_5_database_is_read_as_it_is_and_merged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let first = ingest(&db, &[seed("000_"), seed("002_")]);
    split_records(&db, 0);
    let old = downgrade_shingles(&db);
    assert_eq!(old.len(), 2);
    let doctor = run(&db, &["doctor"]);
    assert!(doctor.status.success(), "{doctor:?}");

    // Verified against the records schema 5 wrote: the clean copy is a reprint, the blurb's
    // quote is partial reuse, as against records of schema 6.
    let later = ingest(&db, &[seed("001_"), seed("004_")]);
    assert_eq!(later[0]["status"], "reprint", "{later:?}");
    assert_eq!(later[0]["match"]["id"], first[0]["id"]);
    assert_eq!(later[1]["status"], "partial", "{later:?}");
    assert_eq!(later[1]["match"]["id"], first[1]["id"]);

    let now = words(&db);
    assert_eq!(now[..2], old[..], "old records are kept as they are");
    let versions: Vec<u8> = now.iter().map(|(_, v)| v[0]).collect();
    assert_eq!(
        versions,
        [1, 1, 3, 3],
        "new records compressed against the text, without the site and blocks"
    );
    assert_eq!(schema_of(&db), 8);
    let doctor = run(&db, &["doctor"]);
    assert!(doctor.status.success(), "{doctor:?}");
}

/// What `export` prints of the database after its header: every article with its story and
/// page.
fn exported(db: &Path) -> Vec<String> {
    stdout(db, &["export"])
        .lines()
        .skip(1)
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_version_6_database_is_merged_into_one_record_per_article_even_when_interrupted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let first = ingest(&db, &[seed("000_"), seed("002_"), seed("003_")]);
    let written = parts(&db);
    let export = exported(&db);
    for merged in [0, 2] {
        // As schema 6 left it (0), and as a merge interrupted after its first batch leaves it
        // (each batch one transaction: some articles merged, the others apart, schema 7
        // recorded): read where the records are, by `doctor` and `export` before any upgrade.
        split_records(&db, merged);
        assert_eq!(apart(&db), [3 - merged; 3]);
        let doctor = run(&db, &["doctor"]);
        assert!(doctor.status.success(), "{doctor:?}");
        assert_eq!(exported(&db), export, "exported alike");
        // The next open (any command through the engine) merges them, byte for byte into the
        // records ingest wrote, and the stories are found again.
        let out = run(
            &db,
            &["check", "--json", &seed("001_").display().to_string()],
        );
        assert!(out.status.success(), "{out:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            said.contains("merged the records of") && said.contains("import"),
            "the operator is told how to get the smaller layout's memory: {said}"
        );
        let got = lines(&String::from_utf8(out.stdout).expect("utf-8"));
        assert_eq!(got[0]["status"], "reprint", "{got:?}");
        assert_eq!(got[0]["match"]["id"], first[0]["id"]);
        assert_eq!(apart(&db), [0, 0, 0], "every record merged");
        assert_eq!(parts(&db), written, "merged as ingest writes them");
        assert_eq!(schema_of(&db), 8);
        let doctor = run(&db, &["doctor"]);
        assert!(doctor.status.success(), "{doctor:?}");
    }
}

#[test]
fn a_version_7_database_drops_its_exact_tree_and_still_knows_a_file_read_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let first = ingest(&db, &[seed("000_"), seed("002_")]);
    // The same document under another name.
    let again = dir.path().join("again.txt");
    std::fs::copy(seed("000_"), &again).expect("copy");
    let stored = parts(&db);
    {
        // As schema 7 kept it: the `exact` tree, each document's hash (bytes 9..17 of the
        // fingerprint) → its first article.
        let sled = open_direct(&db);
        let exact = sled.open_tree("exact").expect("exact tree");
        for (k, [fp, ..]) in &stored {
            let fp = fp.as_ref().expect("a fingerprint");
            let doc = u64::from_le_bytes(fp[9..17].try_into().expect("8 bytes"));
            exact
                .insert(doc.to_be_bytes(), k.as_slice())
                .expect("write");
        }
        let meta = sled.open_tree("meta").expect("meta tree");
        meta.insert("schema", &7u32.to_be_bytes()).expect("write");
        sled.flush().expect("flush");
    }

    let file = again.display().to_string();
    for _ in 0..2 {
        // Upgraded on the first open (no snapshot: the index of documents made from the
        // records), as it is on the second.
        let got = json_lines(&db, &["check", "--json", &file]);
        assert_eq!(got[0]["status"], "duplicate", "{got:?}");
        assert_eq!(got[0]["match"]["id"], first[0]["id"], "{got:?}");
        assert_eq!(schema_of(&db), 8);
        let sled = open_direct(&db);
        assert!(
            !sled.tree_names().iter().any(|n| n.as_ref() == b"exact"),
            "the exact tree is dropped"
        );
    }
    assert_eq!(parts(&db), stored, "no record rewritten");
    let doctor = run(&db, &["doctor"]);
    assert!(doctor.status.success(), "{doctor:?}");
}

//! Tests of the index's folder: segments merge into files that a reopened folder trusts only when
//! whole. (`Engine::list` against a scan is tested beside the engine, `engine/search_tests.rs`.)

use super::dict;
use super::encode::Builder;
use super::folder::Folder;
use super::segment::Segment;
use super::{candidates, query_words};
use crate::model::ArticleId;
use proptest::prelude::*;
use std::ops::ControlFlow;

/// `n` articles with a word of their own (`w<id>`) and a shared one, as a folder would get them.
fn fill(folder: &mut Folder, from: ArticleId, n: u64, per_segment: u64) {
    let mut id = from;
    while id < from + n {
        let mut b = Builder::default();
        let lo = id;
        while id < (lo + per_segment).min(from + n) {
            b.add(
                folder.dict(),
                id,
                "title",
                &[format!("shared w{id}")],
                "src",
            );
            id += 1;
        }
        let seg = Segment::from_bytes(b.encode(folder.dict(), lo, id - 1)).expect("segment");
        folder.push(seg).expect("push");
    }
}

fn ids_with(folder: &mut Folder, word: &str) -> Vec<ArticleId> {
    let mut out = Vec::new();
    let snap = folder.snapshot();
    let words = query_words(word);
    candidates::<super::SearchError>(
        &snap,
        &words,
        Some("src"),
        None,
        None,
        1 << 20,
        |id, checked| {
            assert!(checked, "every piece read when the page is unbounded");
            out.push(id);
            Ok(ControlFlow::Continue(()))
        },
    )
    .expect("query");
    out
}

#[test]
fn segments_merge_into_files_that_a_reopened_folder_trusts_only_when_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("search");
    let mut folder = Folder::open(&path, 0).expect("open");
    // 9,000 articles in segments of 100: merged in memory, then into files of 8 x 800 or more.
    fill(&mut folder, 1, 9_000, 100);
    assert_eq!(folder.covered(), 9_000);
    assert_eq!(ids_with(&mut folder, "w4321"), [4321]);
    assert_eq!(
        ids_with(&mut folder, "w432"),
        [4329, 4328, 4327, 4326, 4325, 4324, 4323, 4322, 4321, 4320, 432]
    );
    assert_eq!(ids_with(&mut folder, "shared").len(), 9_000);
    let files = folder
        .snapshot()
        .segments
        .iter()
        .filter(|s| !s.is_in_memory())
        .count();
    assert!(files >= 1, "large merges are written to files");

    // A crash: what is in memory is lost, what the manifest names is kept.
    let on_disk = {
        let snap = folder.snapshot();
        snap.segments
            .iter()
            .filter(|s| !s.is_in_memory())
            .map(|s| s.hi)
            .max()
            .expect("a file")
    };
    drop(folder);
    let mut folder = Folder::open(&path, 9_000).expect("reopen");
    assert_eq!(folder.covered(), on_disk);
    fill(&mut folder, on_disk + 1, 9_000 - on_disk, 100);
    folder.persist().expect("persist");
    assert_eq!(ids_with(&mut folder, "w8999"), [8999]);
    drop(folder);
    assert_eq!(Folder::open(&path, 9_000).expect("reopen").covered(), 9_000);

    // An index ahead of the database (an older database put back) starts again.
    assert_eq!(Folder::open(&path, 8_999).expect("reopen").covered(), 0);

    // A damaged file: the index starts again, never half-trusted.
    let mut folder = Folder::open(&path, 9_000).expect("reopen");
    fill(&mut folder, 1, 9_000, 1_000);
    folder.persist().expect("persist");
    drop(folder);
    let seg = std::fs::read_dir(&path)
        .expect("list")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|e| e == "seg"))
        .expect("a segment file");
    let mut bytes = std::fs::read(&seg).expect("read");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&seg, bytes).expect("write");
    let folder = Folder::open(&path, 9_000).expect("reopen");
    assert_eq!(folder.covered(), 0);
    assert_eq!(
        files_in(&path),
        [(dict::FILE.to_owned(), 0)],
        "leftovers deleted, no manifest"
    );
}

/// The folder's files with their sizes, by name.
fn files_in(path: &std::path::Path) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = std::fs::read_dir(path)
        .expect("list")
        .map(|e| {
            let e = e.expect("entry");
            let len = e.metadata().expect("metadata").len();
            (e.file_name().to_string_lossy().into_owned(), len)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn segments_share_one_dictionary_across_merges_and_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("search");
    let mut folder = Folder::open(&path, 0).expect("open");
    fill(&mut folder, 1, 5_000, 100);
    // Each term once, however many segments hold it: "title", "shared" and one `w<id>` each.
    assert_eq!(folder.dict().len(), 5_002);
    folder.persist().expect("persist");
    drop(folder);
    let mut folder = Folder::open(&path, 6_000).expect("reopen");
    assert_eq!((folder.covered(), folder.dict().len()), (5_000, 5_002));
    // New articles after reopening: old terms keep their ids, new ones follow.
    fill(&mut folder, 5_001, 1_000, 100);
    assert_eq!(folder.dict().len(), 6_002);
    assert_eq!(ids_with(&mut folder, "w4999"), [4999]);
    assert_eq!(ids_with(&mut folder, "w5999"), [5999]);
    assert_eq!(ids_with(&mut folder, "shared").len(), 6_000);
    folder.persist().expect("persist");
    let snap = folder.snapshot();
    assert!(snap.segments.iter().all(|s| !s.is_in_memory()));
    assert!(snap.segments.iter().all(|s| s.bound <= snap.terms.len()));
}

#[test]
fn a_damaged_or_mismatched_dictionary_rebuilds_the_index() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("search");
    let make = || {
        let _ = std::fs::remove_dir_all(&path);
        let mut folder = Folder::open(&path, 0).expect("open");
        fill(&mut folder, 1, 300, 50);
        folder.persist().expect("persist");
        drop(folder);
        assert_eq!(Folder::open(&path, 300).expect("reopen").covered(), 300);
    };
    let terms = path.join(dict::FILE);
    let manifest = path.join("manifest");

    // A flipped byte in the dictionary.
    make();
    let mut bytes = std::fs::read(&terms).expect("read");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&terms, bytes).expect("write");
    assert_eq!(Folder::open(&path, 300).expect("reopen").covered(), 0);
    assert_eq!(files_in(&path), [(dict::FILE.to_owned(), 0)]);

    // A dictionary cut short.
    make();
    let bytes = std::fs::read(&terms).expect("read");
    std::fs::write(&terms, &bytes[..bytes.len() - 10]).expect("write");
    assert_eq!(Folder::open(&path, 300).expect("reopen").covered(), 0);

    // A manifest naming a whole, checked dictionary with fewer terms than the segments use.
    make();
    let bytes = std::fs::read(&terms).expect("read");
    let text = std::fs::read_to_string(&manifest).expect("read");
    let cut = bytes.iter().position(|&b| b == b'\n').expect("a term") + 1;
    let line = format!(
        "{} 1 {cut} {:016x}",
        dict::FILE,
        xxhash_rust::xxh3::xxh3_64(&bytes[..cut])
    );
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1] = &line;
    std::fs::write(&manifest, lines.join("\n") + "\n").expect("write");
    assert_eq!(Folder::open(&path, 300).expect("reopen").covered(), 0);

    // Terms past what the manifest names (a crash after the dictionary grew) are cut off.
    make();
    let len = std::fs::metadata(&terms).expect("stat").len();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&terms)
        .expect("open");
    std::io::Write::write_all(&mut f, b"orphan\n").expect("append");
    drop(f);
    let mut folder = Folder::open(&path, 300).expect("reopen");
    assert_eq!(folder.covered(), 300);
    assert_eq!(std::fs::metadata(&terms).expect("stat").len(), len);
    assert_eq!(ids_with(&mut folder, "w123"), [123]);
}

#[test]
fn a_piece_inside_thousands_of_terms_reads_them_all_from_memory_and_from_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("search");
    let mut folder = Folder::open(&path, 0).expect("open");
    // One segment of 9,000 articles with a term of their own each: its table spans many blocks.
    fill(&mut folder, 1, 9_000, 9_000);
    let want = |piece: &str| -> Vec<ArticleId> {
        (1..=9_000u64)
            .rev()
            .filter(|id| format!("w{id}").contains(piece))
            .collect()
    };
    for on_disk in [false, true] {
        assert_eq!(
            folder.snapshot().segments.iter().all(|s| !s.is_in_memory()),
            on_disk
        );
        for piece in ["w1", "99", "w8", "7", "w4567", "w9000", "0"] {
            assert_eq!(ids_with(&mut folder, piece), want(piece), "{piece}");
        }
        folder.persist().expect("persist");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// The candidates of a word that is one term are exactly the articles holding it, newest
    /// first, whatever the segments were built of and merged into, before and after the
    /// folder is written and reopened.
    #[test]
    fn candidates_are_the_articles_holding_the_word(
        docs in prop::collection::vec(prop::collection::vec(0usize..40, 0..6), 1..150),
        per in 1usize..20,
        word in 0usize..40,
        from in 0usize..3,
        len in 1usize..5,
    ) {
        let vocab = |k: usize| format!("{}{k}", ["bri", "dge", "cab", "bage"][k % 4]);
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("search");
        let mut folder = Folder::open(&path, 0).expect("open");
        for (k, chunk) in docs.chunks(per).enumerate() {
            let lo = (k * per) as u64 + 1;
            let mut b = Builder::default();
            for (i, d) in chunk.iter().enumerate() {
                let text: Vec<String> = d.iter().map(|&w| vocab(w)).collect();
                b.add(folder.dict(), lo + i as u64, "", &[text.join(" ")], "src");
            }
            let hi = lo + chunk.len() as u64 - 1;
            let seg = Segment::from_bytes(b.encode(folder.dict(), lo, hi)).expect("segment");
            folder.push(seg).expect("push");
        }
        let w = vocab(word);
        let q: String = w.chars().skip(from).take(len).collect();
        prop_assume!(!q.is_empty());
        let want: Vec<ArticleId> = (1..=docs.len() as u64)
            .rev()
            .filter(|&id| docs[id as usize - 1].iter().any(|&k| vocab(k).contains(&q)))
            .collect();
        prop_assert_eq!(&ids_with(&mut folder, &q), &want);
        folder.persist().expect("persist");
        drop(folder);
        let mut folder = Folder::open(&path, docs.len() as u64).expect("reopen");
        prop_assert_eq!(folder.covered(), docs.len() as u64);
        prop_assert_eq!(&ids_with(&mut folder, &q), &want);
    }
}

//! Tests of the index's folder: segments merge into files that a reopened folder trusts only when
//! whole. (`Engine::list` against a scan is tested beside the engine, `engine/search_tests.rs`.)

use super::folder::Folder;
use super::segment::{Builder, Segment};
use super::{candidates, query_words};
use crate::model::ArticleId;
use std::ops::ControlFlow;

/// `n` articles with a word of their own (`w<id>`) and a shared one, as a folder would get them.
fn fill(folder: &mut Folder, from: ArticleId, n: u64, per_segment: u64) {
    let mut id = from;
    while id < from + n {
        let mut b = Builder::default();
        let lo = id;
        while id < (lo + per_segment).min(from + n) {
            b.add(id, "title", &[format!("shared w{id}")], "src");
            id += 1;
        }
        let seg = Segment::from_bytes(b.encode(lo, id - 1)).expect("segment");
        folder.push(seg).expect("push");
    }
}

fn ids_with(folder: &Folder, word: &str) -> Vec<ArticleId> {
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
    assert_eq!(ids_with(&folder, "w4321"), [4321]);
    assert_eq!(
        ids_with(&folder, "w432"),
        [4329, 4328, 4327, 4326, 4325, 4324, 4323, 4322, 4321, 4320, 432]
    );
    assert_eq!(ids_with(&folder, "shared").len(), 9_000);
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
    assert_eq!(ids_with(&folder, "w8999"), [8999]);
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
        std::fs::read_dir(&path).expect("list").count(),
        0,
        "leftovers deleted, no manifest"
    );
}

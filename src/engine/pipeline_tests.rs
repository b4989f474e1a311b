//! The ingest pipeline's sharing of preparation (`chunks::Chunks`): every chunk prepared once
//! and handed to the deciding thread in order, whoever prepared it; a closed pipeline frees its
//! preparers; and a batch ingested in one call decides as the same files ingested one by one.

use super::chunks::Chunks;
use super::files::input_from;
use super::pipeline::Preparing;
use super::templates::SiteTemplates;
use super::{Engine, Input};
use crate::config::Settings;
use crate::model::Status;
use crate::worker::Stop;
use rustc_hash::FxHashSet;
use std::sync::mpsc;
use std::time::Duration;

/// A story of its own for every seed: words drawn from a small vocabulary by a xorshift.
fn text(seed: u64) -> String {
    const WORDS: [&str; 24] = [
        "council", "river", "bridge", "market", "school", "harbour", "storm", "farmers", "budget",
        "mayor", "police", "festival", "road", "hospital", "teachers", "families", "station",
        "winter", "village", "county", "election", "library", "museum", "workers",
    ];
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = format!("Story number {seed}\n\n");
    for _ in 0..4 {
        let words: Vec<&str> = (0..40)
            .map(|_| WORDS[(next() % WORDS.len() as u64) as usize])
            .collect();
        out.push_str(&words.join(" "));
        out.push_str(".\n\n");
    }
    out
}

fn inputs(n: usize) -> Vec<Input> {
    (0..n)
        .map(|i| input_from(&format!("f{i}.txt"), text(i as u64).into_bytes()))
        .collect()
}

/// Waits for a thread to end, with a generous deadline (a thread that never ends fails).
fn joined<T: Send>(thread: std::thread::ScopedJoinHandle<'_, T>, done: &mpsc::Receiver<()>) -> T {
    done.recv_timeout(Duration::from_secs(60))
        .expect("the thread ended within a minute");
    thread.join().expect("the thread did not panic")
}

#[test]
fn every_chunk_is_prepared_once_and_taken_in_order_whoever_prepares_it() {
    let templates = FxHashSet::default();
    let sites = SiteTemplates::default();
    let (stop, set_aside) = (Stop::default(), FxHashSet::default());
    let stage = Preparing {
        every: 40,
        max_text: 1 << 20,
        chrome_min: 2,
        templates: &templates,
        sites: &sites,
        budget: Duration::from_secs(600),
        stop: &stop,
        set_aside: &set_aside,
        measuring: false,
    };
    for n in [0, 1, 15, 16, 17, 70] {
        let files = inputs(n);
        // What preparing each file on its own gives.
        let want: Vec<u64> = stage
            .chunk(&files)
            .into_iter()
            .map(|(p, _)| p.expect("prepared").doc_hash)
            .collect();
        // No preparer thread (this thread prepares every chunk), one, and two; a small and a
        // large run-ahead.
        for (threads, ahead) in [(0, 1), (1, 1), (2, 1), (2, 16)] {
            let chunks = Chunks::new(&files, 16, ahead);
            let got: Vec<u64> = std::thread::scope(|s| {
                let preparers: Vec<_> = (0..threads)
                    .map(|_| s.spawn(|| chunks.prepare(&stage)))
                    .collect();
                let mut waited = Duration::ZERO;
                let mut got = Vec::new();
                let mut k = 0;
                while let Some(chunk) = chunks.take(k, &stage, &mut waited) {
                    assert!(chunk.len() <= 16, "a chunk holds at most 16 files");
                    got.extend(
                        chunk
                            .into_iter()
                            .map(|(p, _)| p.expect("prepared").doc_hash),
                    );
                    k += 1;
                }
                chunks.close();
                for p in preparers {
                    p.join().expect("a preparer does not panic");
                }
                got
            });
            assert_eq!(got, want, "{n} files, {threads} preparers, {ahead} ahead");
        }
    }
}

#[test]
fn closing_frees_preparers_waiting_for_the_deciding_thread() {
    let templates = FxHashSet::default();
    let sites = SiteTemplates::default();
    let (stop, set_aside) = (Stop::default(), FxHashSet::default());
    let stage = Preparing {
        every: 40,
        max_text: 1 << 20,
        chrome_min: 2,
        templates: &templates,
        sites: &sites,
        budget: Duration::from_secs(600),
        stop: &stop,
        set_aside: &set_aside,
        measuring: false,
    };
    let files = inputs(100);
    // One chunk ahead: the preparer claims chunk 0 and then waits for this thread to take it,
    // which it never does; closing must end its wait.
    let chunks = Chunks::new(&files, 16, 1);
    std::thread::scope(|s| {
        let (tx, done) = mpsc::channel();
        let (chunks, stage) = (&chunks, &stage);
        let preparer = s.spawn(move || {
            let out = chunks.prepare(stage);
            let _ = tx.send(());
            out
        });
        chunks.close();
        joined(preparer, &done);
    });
    // Nothing is claimed once closed: chunk 1 was never prepared, and this thread does not
    // prepare it either.
    let mut waited = Duration::ZERO;
    assert!(chunks.take(1, &stage, &mut waited).is_none());
}

#[test]
fn the_deciding_thread_prepares_no_further_ahead_than_the_preparers() {
    let templates = FxHashSet::default();
    let sites = SiteTemplates::default();
    let (stop, set_aside) = (Stop::default(), FxHashSet::default());
    let stage = Preparing {
        every: 40,
        max_text: 1 << 20,
        chrome_min: 2,
        templates: &templates,
        sites: &sites,
        budget: Duration::from_secs(600),
        stop: &stop,
        set_aside: &set_aside,
        measuring: false,
    };
    let files = inputs(100);
    let chunks = Chunks::new(&files, 16, 2);
    // While the writer's queue stays full, the deciding thread prepares chunks 0 and 1, then
    // no more until it takes one: a stalled writer does not leave the batch prepared in memory.
    assert!(chunks.prepare_one(&stage));
    assert!(chunks.prepare_one(&stage));
    assert!(!chunks.prepare_one(&stage), "two chunks ahead at most");
    let mut waited = Duration::ZERO;
    let first = chunks.take(0, &stage, &mut waited).expect("chunk 0");
    assert_eq!(first.len(), 16);
    assert!(chunks.prepare_one(&stage), "one more once chunk 0 is taken");
    assert!(!chunks.prepare_one(&stage));
    // Every chunk still comes, in order, prepared here when not ready; the last holds the 4
    // files left.
    let sizes: Vec<usize> = (1..)
        .map_while(|k| chunks.take(k, &stage, &mut waited))
        .map(|c| c.len())
        .collect();
    assert_eq!(sizes, vec![16, 16, 16, 16, 16, 4]);
    assert_eq!(
        waited,
        Duration::ZERO,
        "nothing to wait for without preparers"
    );
}

#[test]
fn a_batch_decides_as_its_files_one_by_one() {
    // Reprints at distances that cross the preparers' chunks (16 files) and the writer's (64,
    // then 16 at a time for the call's last 64 files), among files of their own.
    let n = 300;
    let copies: Vec<(usize, usize)> = vec![
        (3, 1),
        (20, 2),
        (40, 17),
        (70, 5),
        (100, 90),
        (149, 64),
        (250, 230),
        (270, 245),
        (285, 271),
        (299, 12),
    ];
    let files: Vec<Input> = (0..n)
        .map(|i| {
            let seed = copies
                .iter()
                .find(|&&(at, _)| at == i)
                .map_or(i as u64, |&(_, of)| of as u64);
            // A copy keeps the story but not the file's first line, so it is not the same file.
            let body = text(seed);
            let body = body
                .split_once('\n')
                .map_or(body.as_str(), |(_, rest)| rest);
            input_from(
                &format!("f{i}.txt"),
                format!("Copy {i}\n{body}").into_bytes(),
            )
        })
        .collect();
    let run = |batch: usize| {
        let dir = tempfile::tempdir().expect("temp dir");
        let settings = Settings {
            db: dir.path().join("db"),
            ..Settings::default()
        };
        let mut engine = Engine::open(settings).expect("opens");
        let mut out = Vec::new();
        for call in files.chunks(batch) {
            for v in engine.ingest(call, 1).expect("ingests") {
                out.push((v.status, v.matched.map(|m| m.id)));
            }
        }
        out
    };
    let together = run(n);
    assert_eq!(together, run(1), "in one call as one by one");
    for (i, (status, matched)) in together.iter().enumerate() {
        match copies.iter().find(|&&(at, _)| at == i) {
            Some(&(_, of)) => {
                assert_ne!(*status, Status::Unique, "file {i} copies file {of}");
                assert_eq!(*matched, Some(of as u64 + 1), "file {i} matched file {of}");
            }
            None => assert_eq!(*status, Status::Unique, "file {i}"),
        }
    }
}

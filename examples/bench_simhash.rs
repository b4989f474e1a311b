//! CPU cost of fingerprinting without criterion, so it can also be run in the dev profile
//! (where copydesk itself is built at opt-level 1 and only dependencies at 3): nanoseconds per
//! shingle of `SimHash::of_hashes` (what `prepare` spends on the SimHash, given the shingle
//! hashes it computes anyway), of `Tokens::shingle_hashes`, and of both together
//! (`Tokens::simhash`), and `prepare` per article, on one thread. Built as the crate ships: no
//! `target-cpu` flag.
//!
//! `cargo run --release --example bench_simhash` and `cargo run --example bench_simhash`

#[path = "../benches/support/synth.rs"]
mod synth;

use copydesk::config::Settings;
use copydesk::engine::prepare::{prepare, Prepared};
use copydesk::fingerprint::SimHash;
use std::hint::black_box;
use std::time::{Duration, Instant};
use synth::{Corpus, CorpusSpec};

/// How long each measurement runs; the best of `ROUNDS` rounds is reported.
const ROUND: Duration = Duration::from_millis(300);
const ROUNDS: usize = 5;
const ARTICLES: u64 = 16;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let profile = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    };
    let every = Settings::default().anchor_every_words;
    let corpus = Corpus::new(CorpusSpec::default());
    let texts: Vec<String> = (0..ARTICLES).map(|i| corpus.article(i)).collect();
    let prepared: Vec<Prepared> = texts
        .iter()
        .map(|t| prepare("a.txt", t.as_bytes(), every, &|_| false))
        .collect::<Result<_, _>>()?;
    let shingles: usize = prepared.iter().map(|p| p.shingles.len()).sum();

    let simhash = best_ns(|| {
        prepared.iter().for_each(|p| {
            black_box(SimHash::of_hashes(black_box(&p.shingles)));
        })
    }) / shingles as f64;
    let from_tokens = best_ns(|| {
        prepared.iter().for_each(|p| {
            black_box(black_box(&p.tokens).simhash());
        })
    }) / shingles as f64;
    let hashes = best_ns(|| {
        prepared.iter().for_each(|p| {
            black_box(black_box(&p.tokens).shingle_hashes());
        })
    }) / shingles as f64;
    let article = best_ns(|| {
        texts.iter().for_each(|t| {
            let _ = black_box(prepare("a.txt", black_box(t.as_bytes()), every, &|_| false));
        })
    }) / ARTICLES as f64;
    let per_article = shingles as f64 / ARTICLES as f64;

    println!(
        "{profile} profile, {ARTICLES} synthetic 5 KB articles, {per_article:.0} shingles each:"
    );
    println!(
        "  SimHash::of_hashes      {simhash:>7.1} ns per shingle ({:.1} us per article)",
        simhash * per_article / 1e3
    );
    println!(
        "  Tokens::shingle_hashes  {hashes:>7.1} ns per shingle ({:.1} us per article)",
        hashes * per_article / 1e3
    );
    println!(
        "  Tokens::simhash (both)  {from_tokens:>7.1} ns per shingle ({:.1} us per article)",
        from_tokens * per_article / 1e3
    );
    println!(
        "  prepare (one thread)    {:>7.1} us per article, simhash {:.0} % of it",
        article / 1e3,
        simhash * per_article / article * 100.0
    );
    println!(
        "RESULT simhash ({profile}): {simhash:.1} ns per shingle ({from_tokens:.1} with the shingle hashes); prepare {:.0} us per article on one thread",
        article / 1e3
    );
    Ok(())
}

/// Best time of one call of `f`, in ns, over `ROUNDS` rounds of `ROUND` each.
fn best_ns(mut f: impl FnMut()) -> f64 {
    f();
    let mut best = f64::MAX;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let mut calls = 0u32;
        while start.elapsed() < ROUND {
            f();
            calls += 1;
        }
        best = best.min(start.elapsed().as_nanos() as f64 / f64::from(calls));
    }
    best
}

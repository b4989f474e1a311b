//! Criterion benches of the ingest and look-up hot paths: `prepare` on a 5 KB article and its
//! steps (the SimHash step reported per shingle), verifying one candidate, and the in-memory
//! index at 1,000,000 stored fingerprints (built once, lazily, outside the timing loops).
//!
//! `cargo bench --bench engine` (about 2 to 3 minutes on 2 cores); filter with
//! `cargo bench --bench engine -- index_1m` and so on. See benches/README.md.

#[path = "support/synth.rs"]
mod synth;

use copydesk::config::Settings;
use copydesk::detect::{judge_with, NewSide, Side};
use copydesk::engine::prepare::{prepare, side_of, stored_shingles, stored_tokens, Prepared};
use copydesk::engine::stages;
use copydesk::fingerprint::{anchor_hashes, sample_anchors, SimHash};
use copydesk::store::codec::Content;
use copydesk::text::clean::clean;
use copydesk::text::{read_document, Document};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use std::cell::OnceCell;
use std::time::{Duration, Instant};
use synth::{near_query, novel_query, Corpus, CorpusSpec, Index, Query, Rng, Shape};

const STORED: u32 = 1_000_000;
const QUERIES: usize = 1_000;
const INDEX_SEED: u64 = 7;

/// Distinct articles the per-article benches cycle through: timing one article over and over
/// lets the branch predictor learn its bits, which flatters SimHash by about half.
const ARTICLES: usize = 64;

fn prepared(bytes: &[u8], every: usize) -> Prepared {
    prepare("bench.txt", bytes, every, &|_| false).expect("synthetic articles prepare")
}

/// An endless walk over `items`, one per call.
fn cycle<'a, T>(items: &'a [T]) -> impl FnMut() -> &'a T + 'a {
    let mut i = 0;
    move || {
        i = (i + 1) % items.len();
        &items[i]
    }
}

fn bench_prepare(c: &mut Criterion) {
    let every = Settings::default().anchor_every_words;
    let corpus = Corpus::new(CorpusSpec::default());
    let texts: Vec<String> = (0..ARTICLES as u64).map(|i| corpus.article(i)).collect();
    let preps: Vec<Prepared> = texts
        .iter()
        .map(|t| prepared(t.as_bytes(), every))
        .collect();
    let docs: Vec<Document> = texts
        .iter()
        .map(|t| read_document("bench.txt", t.as_bytes()).expect("reads"))
        .collect();
    let stories: Vec<Vec<String>> = docs
        .iter()
        .map(|d| clean(d, &|_| false).paragraphs)
        .collect();
    let mean = |f: &dyn Fn(usize) -> usize| (0..ARTICLES).map(f).sum::<usize>() / ARTICLES;
    let bytes = mean(&|i| texts[i].len()) as u64;
    let shingles = mean(&|i| preps[i].shingles.len()) as u64;
    eprintln!(
        "articles: {ARTICLES} distinct, mean {bytes} bytes, {} words, {shingles} shingles, \
         {} probes, {} anchors",
        mean(&|i| preps[i].tokens.len()),
        mean(&|i| preps[i].probes.len()),
        mean(&|i| preps[i].anchors.len()),
    );

    let mut g = c.benchmark_group("prepare");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("article_5kb", |b| {
        let mut next = cycle(&texts);
        b.iter(|| prepare("bench.txt", black_box(next().as_bytes()), every, &|_| false))
    });
    g.finish();

    let mut g = c.benchmark_group("prepare_step");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("read_document", |b| {
        let mut next = cycle(&texts);
        b.iter(|| read_document("bench.txt", black_box(next().as_bytes())))
    });
    g.bench_function("clean", |b| {
        let mut next = cycle(&docs);
        b.iter(|| clean(black_box(next()), &|_| false))
    });
    // A stored story's tokens, rebuilt from its paragraphs to verify a candidate (`clean`
    // gives a new story's tokens as it goes).
    g.bench_function("stored_tokens", |b| {
        let mut next = cycle(&stories);
        b.iter(|| stored_tokens(black_box(next())))
    });
    // Per shingle from here: criterion's elem/s is shingles per second.
    g.throughput(Throughput::Elements(shingles));
    g.bench_function("shingle_hashes", |b| {
        let mut next = cycle(&preps);
        b.iter(|| black_box(&next().tokens).shingle_hashes())
    });
    // What `prepare` spends on the SimHash: it has the shingle hashes already.
    g.bench_function("simhash", |b| {
        let mut next = cycle(&preps);
        b.iter(|| SimHash::of_hashes(black_box(&next().shingles)))
    });
    g.bench_function("anchors", |b| {
        let mut next = cycle(&preps);
        b.iter(|| sample_anchors(&anchor_hashes(black_box(&next().shingles)), every))
    });
    g.finish();
}

/// What `Engine::decide` does for each candidate (here an unrelated story, the common case):
/// judge the pair from the candidate's shingle record, the new story's shingles indexed once per
/// decision (`one_candidate`); and what it did before records were kept, or does for a stored
/// article without one: derive the record from the stored story first (`rederived`).
fn bench_verify(c: &mut Criterion) {
    let settings = Settings::default();
    let corpus = Corpus::new(CorpusSpec::default());
    let new = prepared(corpus.article(1).as_bytes(), settings.anchor_every_words);
    let old = prepared(corpus.article(2).as_bytes(), settings.anchor_every_words);
    let new_side = Side {
        shingles: &new.shingles,
        words: new.tokens.len(),
        blocks: &new.blocks,
        site: new.site,
    };
    let indexed = NewSide::of(&new_side);
    let stored = Content {
        blocks: old.blocks.clone(),
        paragraphs: old.paragraphs.clone(),
        site: old.site,
    };
    let record = stored_shingles(&stored);
    let mut g = c.benchmark_group("verify");
    g.bench_function("one_candidate", |b| {
        b.iter(|| {
            judge_with(
                &indexed,
                &new_side,
                &side_of(black_box(&record)),
                &settings.params,
            )
            .status
        })
    });
    g.bench_function("rederived", |b| {
        b.iter(|| {
            let record = stored_shingles(black_box(&stored));
            judge_with(&indexed, &new_side, &side_of(&record), &settings.params).status
        })
    });
    g.finish();
}

/// The 1M index and its queries, built on first use so filtered runs skip it.
struct Fixture {
    index: Index,
    near: Vec<Query>,
    novel: Vec<Query>,
}

fn fixture() -> Fixture {
    let settings = Settings::default();
    let corpus = Corpus::new(CorpusSpec::default());
    let shape = Shape::calibrate(&corpus, 64, settings.anchor_every_words);
    let t = Instant::now();
    let index = Index::loaded(&shape, INDEX_SEED, STORED, settings.simhash_max_distance);
    eprintln!(
        "built the index of {STORED} fingerprints ({} anchor postings) in {:.1} s",
        index.anchors.len(),
        t.elapsed().as_secs_f64()
    );
    let mut rng = Rng::new(11);
    let near = (0..QUERIES)
        .map(|_| {
            let slot = rng.below(STORED as usize) as u32;
            near_query(&shape, INDEX_SEED, slot, &mut rng)
        })
        .collect();
    let novel = (0..QUERIES)
        .map(|_| novel_query(&shape, &mut rng))
        .collect();
    Fixture { index, near, novel }
}

fn bench_index(c: &mut Criterion) {
    let max = Settings::default().max_candidates;
    let cell: OnceCell<Fixture> = OnceCell::new();
    let mut g = c.benchmark_group("index_1m");
    g.bench_function("simhash_near", |b| {
        let f = cell.get_or_init(fixture);
        let mut next = cycle(&f.near);
        b.iter(|| f.index.sim.near(black_box(next().simhash)))
    });
    g.bench_function("anchor_postings_all_probes", |b| {
        let f = cell.get_or_init(fixture);
        let mut next = cycle(&f.near);
        b.iter(|| {
            let mut hits = 0usize;
            f.index
                .anchors
                .postings_many(&next().probes, stages::MAX_POSTINGS, |_, n, _| hits += n);
            hits
        })
    });
    for (name, near) in [("candidates_near_dup", true), ("candidates_novel", false)] {
        g.bench_function(name, |b| {
            let f = cell.get_or_init(fixture);
            let mut next = cycle(if near { &f.near } else { &f.novel });
            b.iter(|| {
                let q = next();
                let i = &f.index;
                stages::candidates(
                    &i.sim,
                    &i.anchors,
                    &i.ids,
                    black_box(q.simhash),
                    &q.probes,
                    max,
                )
            })
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_prepare, bench_verify, bench_index
}
criterion_main!(benches);

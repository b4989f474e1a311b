//! Text search at archive scale: builds (or reuses) a database of N synthetic ~5 KB articles
//! through `Engine::ingest`, lets the search indexer catch up, then times `Engine::list` with text
//! (a page of 100, newest first) from a fresh process: rare words, common words, two-word AND
//! queries, a source filter with a word, and words no article holds; the scan it replaces on a
//! few of them; the indexer's CPU per article; disk and resident memory.
//!
//! `cargo run --release --example bench_search -- [--articles 1000000] [--batch 5000]
//!  [--vocabulary 1000000] [--queries 200] [--scan-queries 2] [--db PATH] [--seed N]`
//!
//! `--real DIR` instead ingests every page under DIR (`.html`, `.txt`; the corpora in
//! `../shared/corpus`), then times words and word pairs taken from the stored stories with the
//! index and with the scan, and checks that both give the same articles.
//!
//! `--db` keeps the database for later runs (one with N articles or more is reused as it is);
//! without it a temporary one is built and removed. A vocabulary of 1,000,000 words (proper
//! names drawn from all of it) makes the index's term lists as long as a real archive's.

#[path = "../benches/support/synth.rs"]
mod synth;

use copydesk::config::Settings;
use copydesk::engine::{Engine, Input};
use copydesk::model::ListQuery;
use std::time::{Duration, Instant};
use synth::{
    check_flags, dir_bytes, flag, process_cpu_seconds, quantile, rss_mb, Corpus, CorpusSpec, Rng,
};

const TARGET_MS: f64 = 100.0;
const PAGE: usize = 100;
/// Outlets the articles come from, the first ones far more often.
const SOURCES: usize = 40;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let known = [
        "--articles",
        "--batch",
        "--vocabulary",
        "--queries",
        "--scan-queries",
        "--db",
        "--seed",
        "--query-only",
        "--real",
    ];
    check_flags(&args, &known)?;
    let n: u64 = flag(&args, "--articles", 1_000_000)?;
    let spec = CorpusSpec {
        seed: flag(&args, "--seed", CorpusSpec::default().seed)?,
        vocabulary: flag(&args, "--vocabulary", 1_000_000)?,
        ..CorpusSpec::default()
    };
    let temp = tempfile::tempdir()?;
    let db: std::path::PathBuf = flag(&args, "--db", temp.path().join("db"))?;
    if let Some(i) = args.iter().position(|a| a == "--real") {
        let dir = args.get(i + 1).ok_or("--real needs a folder")?;
        return real(
            std::path::Path::new(dir),
            &db,
            flag(&args, "--queries", 200)?,
        );
    }
    let corpus = Corpus::new(spec);
    if args.iter().any(|a| a == "--query-only") {
        return query(&args, &corpus, &db, n);
    }
    build(&args, &corpus, &db, n)?;
    // The queries run in a fresh process, so that its memory is what serving them takes.
    let mut child = std::process::Command::new(std::env::current_exe()?);
    child.args(&args).arg("--query-only");
    if !args.iter().any(|a| a == "--db") {
        child.arg("--db").arg(&db);
    }
    let status = child.status()?;
    if !status.success() {
        return Err(format!("the query run failed: {status}").into());
    }
    Ok(())
}

fn settings(db: &std::path::Path, index: bool) -> Settings {
    Settings {
        db: db.to_owned(),
        search_index: index,
        ..Settings::default()
    }
}

/// Article `i` as a JSON file with a title, a body and an outlet.
fn input(corpus: &Corpus, i: u64) -> Input {
    let text = corpus.article(i);
    let (title, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let json = serde_json::json!({ "title": title, "body": body, "source": source(i) });
    copydesk::engine::files::input_from(
        &format!("synthetic/{i:07}.json"),
        json.to_string().into_bytes(),
    )
}

fn source(i: u64) -> String {
    let mut rng = Rng::for_item(7, i);
    // Roughly Zipf: outlet k about as often as 1 / (k + 1).
    let k = ((SOURCES as f64 + 1.0).powf(rng.unit()) - 1.0) as usize;
    format!("Outlet {k}")
}

fn build(
    args: &[String],
    corpus: &Corpus,
    db: &std::path::Path,
    n: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let batch: u64 = flag(args, "--batch", 5_000)?;
    let mut engine = Engine::open(settings(db, true))?;
    let have = engine.last_id();
    if have < n {
        let t = Instant::now();
        for from in (have..n).step_by(batch as usize) {
            let inputs: Vec<Input> = (from..(from + batch).min(n))
                .map(|i| input(corpus, i))
                .collect();
            engine.ingest(&inputs, copydesk::engine::files::now_ms())?;
            if (from / batch) % 20 == 0 {
                eprintln!("  {} articles stored", from + inputs.len() as u64);
            }
        }
        println!(
            "built {} articles in {:.0} s ({:.0}/s, generation included)",
            n - have,
            t.elapsed().as_secs_f64(),
            (n - have) as f64 / t.elapsed().as_secs_f64()
        );
    }
    let last = engine.last_id();
    // The indexer waits while ingest runs; now it has the machine to itself.
    let search = engine.search().ok_or("the search index is off")?;
    let covered = search.snapshot().covered;
    let (t, cpu) = (Instant::now(), process_cpu_seconds());
    if !search.wait_covered(last, Instant::now() + Duration::from_secs(6 * 3600)) {
        return Err(format!("the indexer did not catch up: {:?}", search.failure()).into());
    }
    let secs = t.elapsed().as_secs_f64();
    let indexed = last - covered;
    if indexed > 0 {
        let cpu = process_cpu_seconds().zip(cpu).map_or(0.0, |(b, a)| b - a);
        println!(
            "indexed {indexed} articles after ingest in {secs:.1} s: {:.0} articles/s, {:.1} us CPU per article (merges included)",
            indexed as f64 / secs,
            cpu * 1e6 / indexed as f64
        );
        println!(
            "RESULT search indexing: {:.1} us CPU per article ({indexed} articles)",
            cpu * 1e6 / indexed as f64
        );
    }
    let t = Instant::now();
    drop(engine);
    println!(
        "closed (memory segments written) in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A query class: its name and the query text for sample `k`.
type Class<'a> = (
    &'a str,
    Box<dyn Fn(&mut Rng) -> (String, Option<String>) + 'a>,
);

fn query(
    args: &[String],
    corpus: &Corpus,
    db: &std::path::Path,
    n: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let queries: usize = flag(args, "--queries", 200)?;
    let scan_queries: usize = flag(args, "--scan-queries", 2)?;
    let words_of = |i: u64| -> Vec<String> {
        corpus
            .article(i)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 1)
            .map(str::to_lowercase)
            .collect()
    };
    // The rarest-looking word of an article: its longest (long words sit deep in the vocabulary).
    let rare = move |rng: &mut Rng| -> String {
        let ws = words_of(rng.below(n as usize) as u64);
        ws.iter()
            .max_by_key(|w| (w.len(), w.as_str().to_owned()))
            .cloned()
            .unwrap_or_default()
    };
    let common = [
        "said",
        "government",
        "people",
        "year",
        "first",
        "new",
        "after",
        "would",
    ];
    let classes: Vec<Class> = vec![
        ("rare word", Box::new(move |rng| (rare(rng), None))),
        (
            "common word",
            Box::new(move |rng| (common[rng.below(common.len())].to_owned(), None)),
        ),
        (
            "two words (AND)",
            Box::new(move |rng| {
                let ws = words_of(rng.below(n as usize) as u64);
                let a = &ws[rng.below(ws.len())];
                let b = &ws[rng.below(ws.len())];
                (format!("{a} {b}"), None)
            }),
        ),
        (
            "rare + common (AND)",
            Box::new(move |rng| {
                (
                    format!("{} {}", rare(rng), common[rng.below(common.len())]),
                    None,
                )
            }),
        ),
        (
            "source + word",
            Box::new(move |rng| {
                let i = rng.below(n as usize) as u64;
                let ws = words_of(i);
                (ws[rng.below(ws.len())].clone(), Some(source(i)))
            }),
        ),
        (
            "word in no article",
            Box::new(|rng| (format!("zq{}x", rng.next_u64() % 1_000_000), None)),
        ),
    ];

    let rss_before = rss_mb().map_or(0.0, |m| m.1);
    if scan_queries > 0 {
        // The scan that text queries used before the index, on the same database.
        let engine = Engine::open(settings(db, false))?;
        let mut rng = Rng::new(99);
        for (name, make) in classes.iter().filter(|c| c.0 != "common word") {
            let mut times = Vec::new();
            for _ in 0..scan_queries {
                let (text, source) = make(&mut rng);
                let t = Instant::now();
                engine.list(&list_query(text, source))?;
                times.push(t.elapsed());
            }
            times.sort_unstable();
            println!(
                "scan, {name}: median {:.0} ms of {scan_queries}",
                ms(quantile(&times, 0.5))
            );
        }
    }
    let t = Instant::now();
    let engine = Engine::open(settings(db, true))?;
    let last = engine.last_id();
    let search = engine.search().ok_or("the search index is off")?;
    if !search.wait_covered(last, Instant::now() + Duration::from_secs(3600)) {
        return Err(format!("the index is not ready: {:?}", search.failure()).into());
    }
    println!(
        "restart: index of {last} articles checked and ready in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let mut rng = Rng::new(42);
    let mut worst: f64 = 0.0;
    for (name, make) in &classes {
        let (mut times, mut hits) = (Vec::new(), 0usize);
        for _ in 0..queries {
            let (text, source) = make(&mut rng);
            let t = Instant::now();
            hits += engine.list(&list_query(text, source))?.0.len();
            times.push(t.elapsed());
        }
        times.sort_unstable();
        let (p50, p99) = (ms(quantile(&times, 0.5)), ms(quantile(&times, 0.99)));
        worst = worst.max(p99);
        println!(
            "RESULT search {name} at {last} articles: p50 {p50:.2} ms, p99 {p99:.2} ms, max {:.2} ms ({queries} queries, {:.1} hits each, page of {PAGE})",
            ms(times.last().copied()),
            hits as f64 / queries as f64
        );
    }
    let snap = search.snapshot();
    let rss_after = rss_mb().map_or(0.0, |m| m.1);
    println!(
        "segments: {} ({} terms in the largest)",
        snap.segments.len(),
        snap.segments.iter().map(|s| s.terms()).max().unwrap_or(0)
    );
    let index_bytes = dir_bytes(&db.join(copydesk::search::DIR));
    println!(
        "RESULT search index on disk: {:.0} MB ({:.0} bytes per article; the database {:.0} MB); resident memory {:.0} MB (process before opening {:.0} MB)",
        index_bytes as f64 / 1e6,
        index_bytes as f64 / last.max(1) as f64,
        dir_bytes(db) as f64 / 1e6,
        rss_after,
        rss_before
    );
    println!(
        "RESULT search p99 worst class: {worst:.1} ms, target < {TARGET_MS:.0} ms: {}",
        if worst < TARGET_MS { "met" } else { "MISSED" }
    );
    Ok(())
}

fn list_query(text: String, source: Option<String>) -> ListQuery {
    ListQuery {
        text: Some(text),
        source,
        limit: Some(PAGE),
        ..ListQuery::default()
    }
}

fn ms(d: Option<Duration>) -> f64 {
    d.map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

/// Pages under `dir`, recursively.
fn pages(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            pages(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "html" || x == "txt") {
            out.push(p);
        }
    }
    Ok(())
}

fn real(
    dir: &std::path::Path,
    db: &std::path::Path,
    queries: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut paths = Vec::new();
    pages(dir, &mut paths)?;
    paths.sort();
    let inputs: Vec<Input> = paths
        .iter()
        .map(|p| {
            Ok(copydesk::engine::files::input_from(
                &p.display().to_string(),
                std::fs::read(p)?,
            ))
        })
        .collect::<std::io::Result<_>>()?;
    let mut engine = Engine::open(settings(db, true))?;
    engine.ingest(&inputs, 0)?;
    let last = engine.last_id();
    let search = engine.search().ok_or("the search index is off")?;
    let (t, cpu) = (Instant::now(), process_cpu_seconds());
    if !search.wait_covered(last, Instant::now() + Duration::from_secs(3600)) {
        return Err(format!("the indexer did not catch up: {:?}", search.failure()).into());
    }
    let cpu = process_cpu_seconds().zip(cpu).map_or(0.0, |(b, a)| b - a);
    println!(
        "real pages: {last} stored from {}; indexed in {:.2} s, {:.0} us CPU per article",
        dir.display(),
        t.elapsed().as_secs_f64(),
        cpu * 1e6 / last.max(1) as f64
    );
    // Queries: one or two words as written in a stored story (case, punctuation and all).
    let mut rng = Rng::new(5);
    let mut texts = Vec::new();
    while texts.len() < queries {
        let id = 1 + rng.below(last as usize) as u64;
        let words: Vec<String> = engine
            .show(id)?
            .paragraphs
            .iter()
            .flat_map(|p| p.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .collect();
        if words.is_empty() {
            continue;
        }
        let a = &words[rng.below(words.len())];
        texts.push(if rng.chance(0.5) {
            a.clone()
        } else {
            format!("{a} {}", words[rng.below(words.len())])
        });
    }
    type Answers = (Vec<Vec<u64>>, Vec<Duration>);
    let run = |engine: &Engine| -> Result<Answers, Box<dyn std::error::Error>> {
        let (mut ids, mut times) = (Vec::new(), Vec::new());
        for text in &texts {
            let t = Instant::now();
            let (got, _) = engine.list(&list_query(text.clone(), None))?;
            times.push(t.elapsed());
            ids.push(got.iter().map(|r| r.id).collect());
        }
        times.sort_unstable();
        Ok((ids, times))
    };
    let (indexed, itimes) = run(&engine)?;
    drop(engine);
    let (scanned, stimes) = run(&Engine::open(settings(db, false))?)?;
    let same = indexed.iter().zip(&scanned).filter(|(a, b)| a == b).count();
    println!(
        "RESULT search real pages: {same} of {} queries give the same articles with the index as with the scan; index p50 {:.2} ms p99 {:.2} ms, scan p50 {:.2} ms p99 {:.2} ms",
        texts.len(),
        ms(quantile(&itimes, 0.5)),
        ms(quantile(&itimes, 0.99)),
        ms(quantile(&stimes, 0.5)),
        ms(quantile(&stimes, 0.99))
    );
    if same != texts.len() {
        return Err("the index and the scan disagree".into());
    }
    Ok(())
}

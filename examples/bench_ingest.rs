//! Batch ingest throughput, end to end: N distinct synthetic ~5 KB articles through
//! `Engine::ingest` into a fresh temporary database, B per call (each call durable on return).
//! Reports articles/s and the database size. For where the time goes, see `bench_phases`.
//!
//! `cargo run --release --example bench_ingest -- [--articles 20000] [--batch 1000]
//!  [--stock 0.1] [--seed N] [--recent N] [--show-article]`
//!
//! `--recent N` keeps N candidates' shingle records per generation in memory (the engine's
//! default otherwise); the run reports how many candidate reads memory answered.

#[path = "../benches/support/synth.rs"]
mod synth;

use copydesk::config::Settings;
use copydesk::engine::{Engine, Input, StageTimes, ThreadTimes};
use copydesk::model::Status;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use synth::{check_flags, flag, quantile, Corpus, CorpusSpec};

/// Issue 13's targets: 20,000 articles/s without stock phrases, 10,000/s where stock phrases
/// open sentences (each article then has candidates to verify).
fn target_articles_per_s(stock: f64) -> f64 {
    if stock > 0.0 {
        10_000.0
    } else {
        20_000.0
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    check_flags(
        &args,
        &[
            "--articles",
            "--batch",
            "--stock",
            "--seed",
            "--recent",
            "--show-article",
        ],
    )?;
    let n: usize = flag(&args, "--articles", 20_000)?;
    let batch: usize = flag(&args, "--batch", 1_000)?;
    let spec = CorpusSpec {
        seed: flag(&args, "--seed", CorpusSpec::default().seed)?,
        stock_rate: flag(&args, "--stock", CorpusSpec::default().stock_rate)?,
        ..CorpusSpec::default()
    };
    let corpus = Corpus::new(spec);
    if args.iter().any(|a| a == "--show-article") {
        print!("{}", corpus.article(0));
        return Ok(());
    }

    let t = Instant::now();
    let inputs: Vec<Input> = (0..n as u64).map(|i| corpus.input(i)).collect();
    let bytes: u64 = inputs
        .iter()
        .filter_map(|i| i.data.as_ref().ok())
        .map(|d| d.size)
        .sum();
    println!(
        "generated {n} articles, mean {:.0} bytes, in {:.2} s (not timed below)",
        bytes as f64 / n.max(1) as f64,
        t.elapsed().as_secs_f64()
    );

    let dir = tempfile::tempdir()?;
    let settings = Settings {
        db: dir.path().join("db"),
        ..Settings::default()
    };
    let t = Instant::now();
    let mut engine = Engine::open(settings)?;
    let open = t.elapsed();
    let recent: usize = flag(&args, "--recent", 0)?;
    if recent > 0 {
        engine.keep_recent_records(recent);
    }
    engine.measure_ingest();

    let mut statuses: BTreeMap<Status, usize> = BTreeMap::new();
    let mut batches: Vec<Duration> = Vec::new();
    let cpu_start = process_cpu_seconds();
    let start = Instant::now();
    for chunk in inputs.chunks(batch.max(1)) {
        let t = Instant::now();
        let verdicts = engine.ingest(chunk, copydesk::engine::files::now_ms())?;
        batches.push(t.elapsed());
        for v in verdicts {
            *statuses.entry(v.status).or_default() += 1;
        }
    }
    let total = start.elapsed().as_secs_f64();
    let cpu = process_cpu_seconds()
        .zip(cpu_start)
        .map(|(end, start)| end - start);
    let (from_memory, from_store) = engine.shingle_reads();
    let stages = engine.stage_times();
    drop(engine);
    println!(
        "candidates' shingle records: {from_memory} read from memory, {from_store} from the store"
    );
    let run = Run {
        articles: n,
        batch,
        stock: corpus.spec().stock_rate,
        open,
        batches,
        total,
        cpu,
        db_bytes: dir_bytes(&dir.path().join("db")),
    };
    report(&run, &statuses);
    if let Some(stages) = stages {
        report_stages(&stages, n);
    }
    Ok(())
}

/// Where each stage's thread spent the calls' time, per article: on a core, waiting for one,
/// and blocked (on what).
fn report_stages(t: &StageTimes, n: usize) {
    let us = |d: Duration| d.as_secs_f64() * 1e6 / n.max(1) as f64;
    let share = |d: Duration| 100.0 * d.as_secs_f64() / t.wall.as_secs_f64().max(1e-9);
    let thread = |name: &str, x: &ThreadTimes| {
        format!(
            "{name}: on a core {:.1} us ({:.0} % of the wall), waiting for a core {:.1}, blocked {:.1}",
            us(x.on_core),
            share(x.on_core),
            us(x.waiting_for_core),
            us(x.blocked())
        )
    };
    println!(
        "stages, per article over {} calls ({:.1} us of wall each):",
        t.calls,
        us(t.wall)
    );
    println!(
        "  {}; blocked on the preparers {:.1}, on the writer's queue {:.1}, on the last write and sync {:.1}",
        thread("deciding", &t.deciding),
        us(t.deciding_on_preparers),
        us(t.deciding_on_writer),
        us(t.deciding_on_drain)
    );
    println!(
        "  deciding, of its time: reading {} candidates' records from the store {:.1}",
        t.deciding_reads,
        us(t.deciding_reading)
    );
    println!(
        "  {}; blocked with a chunk ready {:.1}",
        thread("preparers (summed)", &t.preparing),
        us(t.preparers_blocked)
    );
    println!(
        "  {}; idle {:.1}, syncing {:.1}",
        thread("writer", &t.writing),
        us(t.writer_idle),
        us(t.syncing)
    );
}

/// What one run measured.
struct Run {
    articles: usize,
    batch: usize,
    stock: f64,
    open: Duration,
    /// Time of each `Engine::ingest` call, in order.
    batches: Vec<Duration>,
    total: f64,
    /// CPU seconds the process used over the timed calls (all threads), when the OS tells.
    cpu: Option<f64>,
    db_bytes: u64,
}

fn report(run: &Run, statuses: &BTreeMap<Status, usize>) {
    let n = run.articles;
    let mut sorted = run.batches.clone();
    sorted.sort_unstable();
    let ms = |d: Option<Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1e3);
    println!("Engine::open: {:.1} ms", run.open.as_secs_f64() * 1e3);
    println!(
        "batches: {} of {}; per batch ms: first {:.1}, median {:.1}, p90 {:.1}, max {:.1}",
        run.batches.len(),
        run.batch,
        ms(run.batches.first().copied()),
        ms(quantile(&sorted, 0.5)),
        ms(quantile(&sorted, 0.9)),
        ms(sorted.last().copied())
    );
    let every = (run.batches.len() / 5).max(1);
    let trend: Vec<String> = run
        .batches
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0 || i + 1 == run.batches.len())
        .map(|(i, d)| format!("#{}={:.0}", i + 1, d.as_secs_f64() * 1e3))
        .collect();
    println!("batch ms over the run: {}", trend.join(" "));
    let verdicts: Vec<String> = statuses
        .iter()
        .map(|(s, c)| format!("{}={c}", s.as_str()))
        .collect();
    println!("verdicts: {}", verdicts.join(" "));
    println!(
        "database: {:.1} MB on disk ({:.0} bytes per article)",
        run.db_bytes as f64 / 1e6,
        run.db_bytes as f64 / n.max(1) as f64
    );
    println!(
        "total: {:.2} s for {n} articles, durable at the end",
        run.total
    );
    if let Some(cpu) = run.cpu {
        // Steadier than wall time on a shared machine: what the work costs, whatever waited.
        println!(
            "cpu: {:.0} us per article (all threads; {:.2} of {} cores busy)",
            cpu * 1e6 / n.max(1) as f64,
            cpu / run.total,
            std::thread::available_parallelism().map_or(1, |p| p.get())
        );
    }
    let rate = n as f64 / run.total;
    let target = target_articles_per_s(run.stock);
    println!(
        "RESULT ingest (stock {}): {rate:.0} articles/s ({n} x ~5 KB, batches of {}) \
         target >= {target:.0}: {}",
        run.stock,
        run.batch,
        verdict(rate >= target, rate / target)
    );
}

/// "met" or "MISSED", with the measured share of the target.
fn verdict(met: bool, ratio: f64) -> String {
    let word = if met { "met" } else { "MISSED" };
    format!("{word} ({:.0} % of target)", ratio * 100.0)
}

/// User plus system CPU seconds of this process so far, from /proc/self/stat (Linux); `None`
/// elsewhere.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name and state.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / USER_HZ)
}

/// The kernel's clock tick for /proc times: 100 on every Linux architecture copydesk builds for.
const USER_HZ: f64 = 100.0;

/// Bytes of the regular files under `dir` (what the database takes on disk).
fn dir_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(_) => e.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}

//! Where batch ingest spends its time: runs the engine's own stages (`engine::stages::Stepper`
//! over a real `Engine`) on the same synthetic articles as `bench_ingest`, one after another,
//! timing each: prepare (parallel), exact look-up, candidate search, the decision, admission,
//! and the durable commit. Nothing here re-implements a stage: each timing is a call into the
//! engine. The engine's `ingest` overlaps the stages (preparer threads, its thread deciding, a
//! writer thread committing each chunk), so its wall time is less than this sum: compare with
//! `bench_ingest`.
//!
//! The exact look-up and the candidate search are timed as calls of their own before the
//! decision, which makes them again (they only read); "verify and judge" is the decision's time
//! less theirs: verifying each candidate (content fetched, re-tokenised, judged) and learning.
//!
//! `cargo run --release --example bench_phases -- [--articles 20000] [--batch 1000]
//!  [--stock 0.1] [--seed N]`

#[path = "../benches/support/synth.rs"]
mod synth;

use copydesk::config::Settings;
use copydesk::engine::stages::Stepper;
use copydesk::engine::{Engine, Input};
use copydesk::model::Status;
use std::time::{Duration, Instant};
use synth::{check_flags, flag, Corpus, CorpusSpec};

type Error = Box<dyn std::error::Error>;

/// Time and counts per stage, summed over the run.
#[derive(Default)]
struct Phases {
    prepare: Duration,
    exact: Duration,
    candidates: Duration,
    decide: Duration,
    admit: Duration,
    commit: Duration,
    articles: usize,
    candidates_found: usize,
    with_candidates: usize,
    flagged: usize,
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    check_flags(&args, &["--articles", "--batch", "--stock", "--seed"])?;
    let n: usize = flag(&args, "--articles", 20_000)?;
    let batch: usize = flag(&args, "--batch", 1_000)?;
    let corpus = Corpus::new(CorpusSpec {
        seed: flag(&args, "--seed", CorpusSpec::default().seed)?,
        stock_rate: flag(&args, "--stock", CorpusSpec::default().stock_rate)?,
        ..CorpusSpec::default()
    });
    let inputs: Vec<Input> = (0..n as u64).map(|i| corpus.input(i)).collect();

    let dir = tempfile::tempdir()?;
    let mut engine = Engine::open(Settings {
        db: dir.path().join("db"),
        ..Settings::default()
    })?;
    engine.load_index_now()?;
    let mut ph = Phases::default();
    let start = Instant::now();
    for chunk in inputs.chunks(batch.max(1)) {
        batch_of(&mut engine, chunk, &mut ph)?;
    }
    let total = start.elapsed();
    report(&ph, total, n, batch, corpus.spec().stock_rate);
    Ok(())
}

/// One `Engine::ingest` call, stage by stage.
fn batch_of(engine: &mut Engine, inputs: &[Input], ph: &mut Phases) -> Result<(), Error> {
    let mut steps = Stepper::new(engine, copydesk::engine::files::now_ms())?;
    let t = Instant::now();
    let prepared = steps.prepare(inputs)?;
    ph.prepare += t.elapsed();
    for (input, prep) in inputs.iter().zip(prepared) {
        let prep = prep.map_err(|r| format!("synthetic '{}' rejected: {r}", input.file))?;
        let t = Instant::now();
        let exact = steps.exact(&prep)?;
        ph.exact += t.elapsed();
        if exact.is_none() {
            let t = Instant::now();
            let found = steps.candidates(&prep)?;
            ph.candidates += t.elapsed();
            ph.candidates_found += found.len();
            ph.with_candidates += usize::from(!found.is_empty());
        }
        let t = Instant::now();
        let step = steps.decide(input, prep)?;
        ph.decide += t.elapsed();
        ph.flagged += usize::from(step.status() != Status::Unique);
        let t = Instant::now();
        steps.admit(input, step)?;
        ph.admit += t.elapsed();
        ph.articles += 1;
    }
    let t = Instant::now();
    steps.commit()?;
    ph.commit += t.elapsed();
    Ok(())
}

fn report(ph: &Phases, total: Duration, n: usize, batch: usize, stock: f64) {
    let secs = total.as_secs_f64();
    let per = |d: Duration| d.as_secs_f64() * 1e6 / ph.articles.max(1) as f64;
    // Timed apart before the decision, which makes both again.
    let verify = ph.decide.saturating_sub(ph.exact + ph.candidates);
    let measured = ph.prepare + ph.exact + ph.candidates + ph.decide + ph.admit + ph.commit;
    println!(
        "stepped ingest of {n} articles in batches of {batch}: {secs:.2} s, {:.0} articles/s \
         (exact look-up and candidate search run twice: timed alone, then inside the decision)",
        n as f64 / secs
    );
    println!(
        "{:<40} {:>8} {:>12} {:>7}",
        "stage", "s", "us/article", "share"
    );
    let rows = [
        ("prepare (parallel, wall)", ph.prepare),
        ("exact look-up (filter, sled get)", ph.exact),
        ("candidate search (index)", ph.candidates),
        ("decide (all of the decision)", ph.decide),
        ("  verify and judge (decide less above)", verify),
        ("admit (index push, templates)", ph.admit),
        ("commit (events, transaction, fsync)", ph.commit),
    ];
    for (name, d) in rows {
        println!(
            "{name:<40} {:>8.2} {:>12.1} {:>6.1}%",
            d.as_secs_f64(),
            per(d),
            d.as_secs_f64() / secs * 100.0
        );
    }
    println!(
        "candidates: {:.2} per article on average; {:.1} % of articles had at least one; {} \
         flagged (not unique); untimed: {:.2} s",
        ph.candidates_found as f64 / ph.articles.max(1) as f64,
        ph.with_candidates as f64 * 100.0 / ph.articles.max(1) as f64,
        ph.flagged,
        total.saturating_sub(measured).as_secs_f64()
    );
    let serial = total.saturating_sub(ph.prepare);
    println!(
        "RESULT phases (stock {stock}): prepare {:.0} us/article (wall, parallel), serial rest \
         {:.0} us/article (verify {:.0}, candidates {:.0}, commit {:.0})",
        per(ph.prepare),
        per(serial),
        per(verify),
        per(ph.candidates),
        per(ph.commit)
    );
}

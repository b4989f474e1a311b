//! Restarting the daemon at N stored articles (default 1,000,000): how soon the first verdict
//! comes back after the process starts (socket up, database open, index loaded, one `check`),
//! with the index rebuilt from the database (no snapshot) and read from its snapshot; how long
//! the shutdown takes (it writes the snapshot); and the daemon's resident memory serving, then
//! after ingesting more. A second child measures memory by part in one process: the process
//! alone, the database open, the index loaded (with the templates learned), after verdicts.
//!
//! Each daemon is this example started again (`serve`), a fresh process as after a restart.
//!
//! `cargo run --release --example bench_restart -- [ARTICLES] [--db DIR] [--runs 5] [--fill-only]
//! [--restarts-only] [--cache-mb MB] [--words N]`
//! An existing `--db` with enough articles is reused; otherwise articles are added to reach N
//! (about 3 minutes for 1,000,000 on 2 cores), printing the rate of each 100,000 (the ingest
//! curve); `--fill-only` stops there.

#[path = "../benches/support/fill.rs"]
mod fill;

use copydesk::client::Remote;
use copydesk::config::Settings;
use copydesk::engine::files::now_ms;
use copydesk::engine::snapshot;
use copydesk::engine::Engine;
use copydesk::model::{Request, Response};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error>;

const USAGE: &str = "usage: bench_restart [ARTICLES] [--db DIR] [--runs N] [--fill-only] \
                     [--restarts-only] [--cache-mb MB] [--words N]";

/// The first argument that is not one of the run's (a mistyped flag, or `--help`), so that it
/// is refused before a run of minutes starts rather than ignored.
fn unknown_argument(args: &[String]) -> Option<&str> {
    const WITH_VALUE: [&str; 4] = ["--db", "--runs", "--cache-mb", "--words"];
    const ALONE: [&str; 2] = ["--fill-only", "--restarts-only"];
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if WITH_VALUE.contains(&a) {
            i += 2;
            continue;
        }
        let articles = i == 0 && !a.starts_with('-');
        if !(articles || ALONE.contains(&a)) {
            return Some(a);
        }
        i += 1;
    }
    None
}

const TARGET_FIRST_VERDICT_S: f64 = 0.5;
const TARGET_RSS_MB: f64 = 200.0;
/// Articles ingested through the socket after the first verdict of each run.
const INGESTED_PER_RUN: u64 = 2_000;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => return serve(&args[1..]),
        Some("parts") => return parts(&args[1..]),
        _ => {}
    }
    if let Some(unknown) = unknown_argument(&args) {
        eprintln!("bench_restart: {unknown}: not an argument of this benchmark\n{USAGE}");
        std::process::exit(2);
    }
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let n: u64 = match args.first().filter(|a| !a.starts_with("--")) {
        Some(a) => a.replace('_', "").parse()?,
        None => 1_000_000,
    };
    let runs: usize = flag("--runs").map_or(Ok(5), |s| s.parse())?;
    let tmp = tempfile::tempdir()?;
    let db = flag("--db").map_or_else(|| tmp.path().join("db"), PathBuf::from);
    let mut settings = settings(&db, &tmp.path().join("inbox"));
    // sled's cache for every process of the run (default: the configuration's default).
    let cache_mb = flag("--cache-mb").map(|s| s.parse::<u64>()).transpose()?;
    if let Some(mb) = cache_mb {
        settings.cache_bytes = mb << 20;
    }
    // Words the filled articles draw from (default 48: see `fill::set_vocabulary`).
    if let Some(words) = flag("--words") {
        fill::set_vocabulary(words.parse()?);
    }
    fill::fill(&settings, n)?;
    if args.iter().any(|a| a == "--fill-only") {
        return Ok(());
    }
    let mut next = Engine::open(settings.clone())?.stats()?.articles;
    copydesk::store::wait_until_free(&db, Duration::from_secs(60));
    // The daemon reads only files inside its inbox: requests go in a sub-folder it never watches.
    let requests = settings.inbox.join("requests");
    std::fs::create_dir_all(&requests)?;
    let probe = requests.join("probe.txt");
    std::fs::write(&probe, article_bytes(u64::MAX / 2))?;

    // The first start without a snapshot: the index is rebuilt, and saved at shutdown.
    // `--restarts-only` keeps the snapshot there (for interleaved runs of two builds).
    let restarts_only = args.iter().any(|a| a == "--restarts-only");
    let mut rebuilt_s = f64::NAN;
    if !restarts_only || !snapshot::path(&db).exists() {
        let _ = std::fs::remove_file(snapshot::path(&db));
        let rebuilt = restart(&settings, &probe, &requests, &mut next)?;
        rebuilt_s = rebuilt.first_verdict_s;
        println!(
            "without a snapshot (rebuilt from the database): first verdict {:.2} s, RSS {:.0} MB, \
             {:.0} MB after ingesting {INGESTED_PER_RUN} more; shutdown (writing the snapshot) {:.2} s",
            rebuilt.first_verdict_s, rebuilt.rss_mb, rebuilt.rss_after_mb, rebuilt.shutdown_s
        );
    }
    let size = std::fs::metadata(snapshot::path(&db)).map_or(0, |m| m.len());
    println!("snapshot: {:.0} MB", size as f64 / 1e6);
    let mut results = Vec::new();
    for run in 0..runs {
        let r = restart(&settings, &probe, &requests, &mut next)?;
        println!(
            "run {run}: from the snapshot: first verdict {:.3} s, RSS {:.0} MB, {:.0} MB after \
             ingesting {INGESTED_PER_RUN} more ({:.0}/s); shutdown {:.2} s",
            r.first_verdict_s, r.rss_mb, r.rss_after_mb, r.ingest_rate, r.shutdown_s
        );
        results.push(r);
    }
    let median = |f: fn(&Restart) -> f64| {
        let mut v: Vec<f64> = results.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let first = median(|r| r.first_verdict_s);
    let rss = median(|r| r.rss_after_mb.max(r.rss_mb));
    println!(
        "RESULT restart: first verdict {first:.3} s (median of {runs}) at {n} articles from the \
         snapshot, {:.2} s rebuilt; target <= {TARGET_FIRST_VERDICT_S} s: {}",
        rebuilt_s,
        if first <= TARGET_FIRST_VERDICT_S {
            "met"
        } else {
            "MISSED"
        }
    );
    println!(
        "RESULT daemon memory: resident {rss:.0} MB (median of {runs}) serving {n} articles after \
         a restart and {INGESTED_PER_RUN} ingests; target <= {TARGET_RSS_MB} MB: {}",
        if rss <= TARGET_RSS_MB {
            "met"
        } else {
            "MISSED"
        }
    );
    println!(
        "RESULT daemon memory after the first verdict: resident {:.0} MB (median of {runs}); \
         {INGESTED_PER_RUN} ingests through the socket at {:.0} articles/s (median); sled cache \
         {} MB",
        median(|r| r.rss_mb),
        median(|r| r.ingest_rate),
        settings.cache_bytes >> 20
    );
    if restarts_only {
        return Ok(());
    }
    let status = Command::new(std::env::current_exe()?)
        .args(["parts", &db.display().to_string()])
        .arg(tmp.path().join("inbox"))
        .arg((settings.cache_bytes >> 20).to_string())
        .status()?;
    if !status.success() {
        return Err("the memory-by-part child failed".into());
    }
    Ok(())
}

fn settings(db: &Path, inbox: &Path) -> Settings {
    Settings {
        db: db.to_owned(),
        inbox: inbox.to_owned(),
        ..Settings::default()
    }
}

fn article_bytes(i: u64) -> Vec<u8> {
    match fill::article(i).data {
        Ok(f) => f.bytes,
        Err(_) => Vec::new(),
    }
}

struct Restart {
    first_verdict_s: f64,
    rss_mb: f64,
    rss_after_mb: f64,
    /// Articles a second over the ingest through the socket.
    ingest_rate: f64,
    shutdown_s: f64,
}

/// Starts a daemon, times its first verdict, reads its memory, ingests a few thousand articles,
/// reads it again, and stops it.
fn restart(s: &Settings, probe: &Path, requests: &Path, next: &mut u64) -> Result<Restart, Error> {
    let socket = s.socket_path();
    let start = Instant::now();
    let mut child = Command::new(std::env::current_exe()?)
        .args(["serve", &s.db.display().to_string()])
        .arg(&s.inbox)
        .arg((s.cache_bytes >> 20).to_string())
        .spawn()?;
    let mut remote = loop {
        if let Some(r) = Remote::try_connect(&socket).ok().flatten() {
            break r;
        }
        if start.elapsed() > Duration::from_secs(600) {
            stop(&mut child)?;
            return Err("the daemon did not start".into());
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let paths = vec![probe.display().to_string()];
    let answer = remote.call(Request::Check { paths })?;
    let first_verdict_s = start.elapsed().as_secs_f64();
    if !matches!(answer, Response::Verdicts { .. }) {
        stop(&mut child)?;
        return Err(format!("no verdict: {answer:?}").into());
    }
    let rss_mb = rss_mb_of(child.id()).unwrap_or(f64::NAN);
    let dir = requests.join(format!("batch-{next}"));
    std::fs::create_dir_all(&dir)?;
    let mut paths = Vec::new();
    for i in *next..*next + INGESTED_PER_RUN {
        let p = dir.join(format!("{i}.txt"));
        std::fs::write(&p, article_bytes(i))?;
        paths.push(p.display().to_string());
    }
    *next += INGESTED_PER_RUN;
    let t = Instant::now();
    remote.call(Request::Ingest { paths })?;
    let ingest_rate = INGESTED_PER_RUN as f64 / t.elapsed().as_secs_f64();
    let rss_after_mb = rss_mb_of(child.id()).unwrap_or(f64::NAN);
    drop(remote);
    let t = Instant::now();
    stop(&mut child)?;
    Ok(Restart {
        first_verdict_s,
        rss_mb,
        rss_after_mb,
        ingest_rate,
        shutdown_s: t.elapsed().as_secs_f64(),
    })
}

fn stop(child: &mut Child) -> Result<(), Error> {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )?;
    child.wait()?;
    Ok(())
}

fn rss_mb_of(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// CPU seconds this process has used (user and system), from `/proc/self/stat`.
fn own_cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and stime are 12th and 13th.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: Vec<f64> = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse().ok())
        .collect();
    ticks.iter().sum::<f64>() / 100.0
}

fn own_rss_mb() -> f64 {
    rss_mb_of(std::process::id()).unwrap_or(f64::NAN)
}

/// The child: a daemon on the database until it is told to stop.
fn serve(args: &[String]) -> Result<(), Error> {
    let [db, inbox, ..] = args else {
        return Err("serve DB INBOX".into());
    };
    let mut settings = settings(Path::new(db), Path::new(inbox));
    if let Some(mb) = args.get(2) {
        settings.cache_bytes = mb.parse::<u64>()? << 20;
    }
    let mut runtime = copydesk::daemon::runtime::Runtime::start(&settings)?;
    let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGTERM])?;
    signals.forever().next();
    runtime.stop();
    Ok(())
}

/// The child: memory by part, in one process, step by step.
fn parts(args: &[String]) -> Result<(), Error> {
    let [db, inbox, ..] = args else {
        return Err("parts DB INBOX [CACHE_MB]".into());
    };
    let mut settings = settings(Path::new(db), Path::new(inbox));
    if let Some(mb) = args.get(2) {
        settings.cache_bytes = mb.parse::<u64>()? << 20;
    }
    let base = own_rss_mb();
    let (t, cpu) = (Instant::now(), own_cpu_s());
    let mut engine = Engine::open(settings.clone())?;
    let (open_s, open_cpu) = (t.elapsed().as_secs_f64(), own_cpu_s() - cpu);
    let opened = own_rss_mb();
    let (t, cpu) = (Instant::now(), own_cpu_s());
    engine.load_index_now()?;
    let (load_s, load_cpu) = (t.elapsed().as_secs_f64(), own_cpu_s() - cpu);
    let loaded = own_rss_mb();
    let arrays = engine.index_heap_bytes().unwrap_or_default();
    let n = engine.stats()?.articles;
    let inputs: Vec<_> = (0..1_000)
        .map(|i| fill::article(u64::MAX / 4 + i))
        .collect();
    engine.check(&inputs)?;
    let checked = own_rss_mb();
    let mut next = n + 10_000_000;
    for _ in 0..5 {
        let inputs: Vec<_> = (next..next + 1_000).map(fill::article).collect();
        engine.ingest(&inputs, now_ms())?;
        next += 1_000;
    }
    let ingested = own_rss_mb();
    println!("memory by part at {n} articles (resident, MB; one process, step by step):");
    println!("  process before opening the database   {base:>6.0}");
    println!(
        "  + the database opened (sled)           {:>6.0}  in {open_s:.2} s ({open_cpu:.2} s CPU; cache_capacity {} MB)",
        opened - base,
        settings.cache_bytes >> 20
    );
    let (index_s, templates_s) = engine.index_load_secs().unwrap_or_default();
    println!(
        "  + the index loaded, templates learned  {:>6.0}  in {load_s:.2} s ({load_cpu:.2} s CPU; index \
         {index_s:.2} s, templates {templates_s:.2} s; {:?})",
        loaded - opened,
        engine.index_origin()
    );
    let mb = |b: usize| b as f64 / 1e6;
    let total: usize = arrays.iter().map(|a| a.1).sum();
    let list: Vec<String> = arrays
        .iter()
        .map(|(name, b)| format!("{name} {:.1}", mb(*b)))
        .collect();
    println!(
        "      of which the index's arrays        {:>6.0}  ({})",
        mb(total),
        list.join(", ")
    );
    println!(
        "  + 1,000 checks                         {:>6.0}",
        checked - loaded
    );
    println!(
        "  + 5,000 ingests (1,000 a call)         {:>6.0}",
        ingested - checked
    );
    println!("  total                                  {ingested:>6.0}");
    Ok(())
}

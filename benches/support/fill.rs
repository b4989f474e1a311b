//! Filling a database with synthetic 120-word articles through `Engine::ingest`, in batches of
//! 5,000, reusing one that already holds enough: shared by `tui_bench` and `bench_restart`.

#![allow(dead_code)]

use copydesk::config::Settings;
use copydesk::engine::files::{input_from, now_ms};
use copydesk::engine::Engine;
use std::time::Instant;

type Error = Box<dyn std::error::Error>;

/// Ingests synthetic articles until the database holds `n`.
pub fn fill(settings: &Settings, n: u64) -> Result<(), Error> {
    std::fs::create_dir_all(&settings.inbox)?;
    let mut engine = Engine::open(settings.clone())?;
    let have = engine.stats()?.articles;
    if have >= n {
        println!("database {} holds {have} articles", settings.db.display());
        return Ok(());
    }
    println!(
        "adding {} articles to {} …",
        n - have,
        settings.db.display()
    );
    let start = Instant::now();
    let batch = 5_000;
    let mut next = have;
    // Each 100,000 (or the last stretch) on its own: the ingest curve as the archive grows. The
    // CPU each article took (all threads of this process) beside the rate: on a shared machine
    // the rate also follows what else runs, the CPU an article costs much less.
    // And the candidates verified an article (their records read from memory or the store):
    // what the deciding thread's work grows with besides the index.
    let (mut lap, mut lap_from, mut lap_cpu) = (Instant::now(), have, cpu_seconds());
    let mut lap_reads = reads(&engine);
    let (mut first_lap, mut last_lap) = (None, 0.0);
    let (mut first_cpu, mut last_cpu) = (None, 0.0);
    while next < n {
        let end = (next + batch).min(n);
        let inputs: Vec<_> = (next..end).map(article).collect();
        engine.ingest(&inputs, now_ms())?;
        next = end;
        if next % 100_000 == 0 || next == n {
            let rate = (next - have) as f64 / start.elapsed().as_secs_f64();
            let lap_rate = (next - lap_from) as f64 / lap.elapsed().as_secs_f64();
            let cpu = cpu_seconds();
            let cpu_us = (cpu - lap_cpu) * 1e6 / (next - lap_from) as f64;
            let read = reads(&engine);
            let candidates = (read - lap_reads) as f64 / (next - lap_from) as f64;
            println!(
                "  {next} articles ({rate:.0}/s since the start, {lap_rate:.0}/s over the last {}, \
                 {cpu_us:.0} µs of CPU and {candidates:.2} candidates verified an article)",
                next - lap_from
            );
            lap_reads = read;
            first_lap.get_or_insert(lap_rate);
            last_lap = lap_rate;
            first_cpu.get_or_insert(cpu_us);
            last_cpu = cpu_us;
            (lap, lap_from, lap_cpu) = (Instant::now(), next, cpu);
        }
    }
    if let (Some(first), true) = (first_lap, have == 0 && n >= 200_000) {
        // The target: the last 100,000 within 20% of the first.
        let ratio = last_lap / first;
        println!(
            "RESULT ingest curve: {first:.0}/s over the first 100,000, {last_lap:.0}/s over the \
             last 100,000 of {n} ({:.0}% of the first); target >= 80%: {}",
            ratio * 100.0,
            if ratio >= 0.8 { "met" } else { "MISSED" }
        );
        if let Some(first_cpu) = first_cpu {
            println!(
                "  CPU an article: {first_cpu:.0} µs over the first 100,000, {last_cpu:.0} µs over \
                 the last ({:.0}% of the first's rate, were the cores all this process's)",
                first_cpu / last_cpu * 100.0
            );
        }
    }
    drop(engine);
    // sled's threads hold the folder's lock a moment after the engine is dropped: a daemon
    // started in another process right after the fill would find it held.
    copydesk::store::wait_until_free(&settings.db, std::time::Duration::from_secs(60));
    Ok(())
}

/// Words the articles draw from: the 48 below (the default), or as many made from them with a
/// number (`council7`): with 48, chance 5-word windows shared with stored articles make
/// candidates to verify in proportion to the archive (about 1.3 an article at 1,000,000).
static VOCABULARY: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(48);

/// Sets the number of words articles draw from (at least 48), for the whole process.
pub fn set_vocabulary(words: u64) {
    VOCABULARY.store(words.max(48), std::sync::atomic::Ordering::Relaxed);
}

/// A distinct article of about 120 words from a small vocabulary.
pub fn article(i: u64) -> copydesk::engine::Input {
    const WORDS: [&str; 48] = [
        "council",
        "harbour",
        "minister",
        "budget",
        "river",
        "school",
        "police",
        "festival",
        "court",
        "railway",
        "hospital",
        "market",
        "storm",
        "election",
        "bridge",
        "museum",
        "farmers",
        "union",
        "airport",
        "village",
        "report",
        "league",
        "vaccine",
        "tariff",
        "drought",
        "concert",
        "senate",
        "factory",
        "library",
        "protest",
        "coast",
        "energy",
        "housing",
        "transit",
        "research",
        "wildfire",
        "treaty",
        "schools",
        "mayor",
        "province",
        "exports",
        "museum's",
        "workers",
        "nurses",
        "football",
        "ferry",
        "tunnel",
        "orchestra",
    ];
    /// The word `x` picks from the vocabulary.
    fn word(x: u64) -> String {
        let n = x % VOCABULARY.load(std::sync::atomic::Ordering::Relaxed);
        match n / 48 {
            0 => WORDS[n as usize].to_owned(),
            k => format!("{}{k}", WORDS[(n % 48) as usize]),
        }
    }
    let mut x = i
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut text = format!(
        "Dispatch {i}: the {} and the {}\n\n",
        word(next()),
        word(next())
    );
    for s in 0..8 {
        let words: Vec<String> = (0..15).map(|_| word(next())).collect();
        text.push_str(&format!("Item {i}-{s} {}.\n", words.join(" ")));
    }
    input_from(&format!("bench/{i:08}.txt"), text.into_bytes())
}

/// CPU seconds this process has used (user and system, every thread), from `/proc/self/stat`
/// (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and stime are 12th and 13th.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: f64 = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}

/// Candidates' records read so far, from memory or from the store.
fn reads(engine: &Engine) -> u64 {
    let (memory, store) = engine.shingle_reads();
    memory + store
}

//! Daemon benchmark: a real `copydesk serve` (the release binary) on a temporary inbox; files
//! renamed into the inbox at a steady rate, the time from rename to the verdict reaching a
//! subscribed client; then a burst of files all at once, timed until the last verdict arrives.
//!
//! `cargo build --release && cargo run --release --example bench_daemon -- [RATE] [SECONDS] [BURST]`
//! (defaults: 50 files/s for 20 s, then a burst of 10,000).

use copydesk::client::{Client, Remote};
use copydesk::model::EventKind;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (rate, seconds, burst) = (arg(0, 50), arg(1, 20), arg(2, 10_000));
    let dir = tempfile::tempdir()?;
    let (inbox, staging) = (dir.path().join("inbox"), dir.path().join("staging"));
    std::fs::create_dir_all(&inbox)?;
    std::fs::create_dir_all(&staging)?;
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[paths]\ninbox = \"{}\"\ndb = \"{}\"\n",
            inbox.display(),
            dir.path().join("db").display()
        ),
    )?;
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/copydesk");
    let mut daemon = Daemon(
        Command::new(&bin)
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .spawn()?,
    );
    let socket = dir.path().join("db/copydesk.sock");
    let remote = wait_for(&socket)?;
    let mut client = Client::Remote(remote);
    let feed = client.subscribe(0)?.events;
    let body = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("watch/001_c4e9c11f7ab693e6.txt"),
    )?;

    // Arrivals are timestamped by their own thread, as they come.
    let (arrived_tx, arrived) = std::sync::mpsc::channel::<(String, Instant)>();
    std::thread::spawn(move || {
        for e in feed {
            if let EventKind::Verdict { verdict } = e.kind {
                let name = Path::new(&verdict.file)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if arrived_tx.send((name, Instant::now())).is_err() {
                    break;
                }
            }
        }
    });

    // Steady rate: rename in, one file every 1/rate s.
    let n = (rate * seconds) as usize;
    let gap = Duration::from_secs_f64(1.0 / rate as f64);
    let mut sent: HashMap<String, Instant> = HashMap::new();
    let start = Instant::now();
    for i in 0..n {
        let name = format!("steady{i:06}.txt");
        let staged = staging.join(&name);
        std::fs::write(&staged, format!("Steady item {i} {i}.\n{body}"))?;
        let due = start + gap * i as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        sent.insert(name.clone(), Instant::now());
        std::fs::rename(&staged, inbox.join(&name))?;
    }
    let mut latencies = Vec::with_capacity(n);
    while latencies.len() < n {
        let (name, at) = arrived
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| format!("only {} of {n} verdicts arrived", latencies.len()))?;
        if let Some(t) = sent.remove(&name) {
            latencies.push(at - t);
        }
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e3;
    println!("steady {rate} files/s for {seconds} s ({n} files): rename -> verdict at a subscriber: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms", pct(0.5), pct(0.99), pct(1.0));

    // Burst: stage everything, then rename all in as fast as possible.
    let mut names = Vec::with_capacity(burst as usize);
    for i in 0..burst {
        let name = format!("burst{i:06}.txt");
        std::fs::write(staging.join(&name), format!("Burst item {i} {i}.\n{body}"))?;
        names.push(name);
    }
    let mut got = 0usize;
    let t0 = Instant::now();
    for name in &names {
        std::fs::rename(staging.join(name), inbox.join(name))?;
    }
    let renamed = t0.elapsed();
    while got < names.len() {
        match arrived.recv_timeout(Duration::from_secs(30)) {
            Ok(_) => got += 1,
            Err(_) => return Err(format!("burst: only {got} of {burst} verdicts arrived").into()),
        }
    }
    let all = t0.elapsed();
    let stats = match client.call(copydesk::model::Request::Stats)? {
        copydesk::model::Response::Stats { stats } => stats,
        _ => return Err("no stats".into()),
    };
    let left = std::fs::read_dir(&inbox)?.count();
    println!(
        "burst of {burst}: renamed in {:.2} s; last verdict after {:.2} s: {:.0} files/s sustained; {} articles stored; {} files in the inbox (kept)",
        renamed.as_secs_f64(),
        all.as_secs_f64(),
        burst as f64 / all.as_secs_f64(),
        stats.articles,
        left
    );
    daemon.stop();
    Ok(())
}

fn wait_for(socket: &Path) -> Result<Remote, Box<dyn std::error::Error>> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(r)) = Remote::try_connect(socket) {
            return Ok(r);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err("the daemon did not start".into())
}

struct Daemon(Child);

impl Daemon {
    fn stop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let _ = self.0.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

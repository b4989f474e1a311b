//! Dashboard benchmark: with N articles in the database (default 1,000,000), how soon the first
//! frame is drawn, how long a key press takes to answer (update + draw, p50/p99), how long the
//! engine takes to answer the pages behind `G` and `g`, and whether memory stays flat while
//! scrolling through many pages. Frames are drawn on ratatui's `TestBackend` at 120x40.
//!
//! The engine runs as a daemon in a child process (this example started again with `serve`), as
//! on a newsroom server, so the figures are the dashboard's own; `--in-process` runs it here.
//!
//! `cargo run --release --example tui_bench -- [ARTICLES] [--db DIR] [--in-process] [--scroll ROWS]`
//! An existing `--db` with enough articles is reused; otherwise articles are added to reach N.

#[path = "../benches/support/fill.rs"]
mod fill;

use copydesk::config::Settings;
use copydesk::engine::files::now_ms;
use copydesk::tui::action::{Action, Command, Input};
use copydesk::tui::app::{App, Effect};
use copydesk::tui::feed::{Feed, ToUi};
use copydesk::tui::keymap::Keymap;
use copydesk::tui::theme::Theme;
use copydesk::tui::views;
use fill::fill;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        return serve(&args[1..]);
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
    let scroll: usize = flag("--scroll").map_or(Ok(20_000), |s| s.parse())?;
    let in_process = args.iter().any(|a| a == "--in-process");
    let tmp = tempfile::tempdir()?;
    let db = flag("--db").map_or_else(|| tmp.path().join("db"), PathBuf::from);
    let settings = Settings {
        inbox: tmp.path().join("inbox"),
        db: db.clone(),
        ..Settings::default()
    };
    std::fs::create_dir_all(&settings.inbox)?;

    let mut daemon = None;
    if in_process {
        fill(&settings, n)?;
    } else {
        // The child fills the database and serves it, so this process never opens it and its
        // memory is the dashboard's alone.
        let exe = std::env::current_exe()?;
        let child = std::process::Command::new(exe)
            .args(["serve", &db.display().to_string()])
            .arg(settings.inbox.display().to_string())
            .arg(n.to_string())
            .spawn()?;
        daemon = Some(child);
        let socket = settings.socket_path();
        let deadline = Instant::now() + Duration::from_secs(3600);
        while copydesk::client::Remote::try_connect(&socket)
            .ok()
            .flatten()
            .is_none()
        {
            if Instant::now() > deadline {
                return Err("the daemon did not start".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let result = measure(&settings, scroll);
    if let Some(mut child) = daemon {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = child.wait();
    }
    result
}

/// The child: a daemon on the database until it is told to stop.
fn serve(args: &[String]) -> Result<(), Error> {
    let (db, inbox, n) = match args {
        [db, inbox, n, ..] => (PathBuf::from(db), PathBuf::from(inbox), n.parse()?),
        _ => return Err("serve DB INBOX ARTICLES".into()),
    };
    let settings = Settings {
        db,
        inbox,
        ..Settings::default()
    };
    fill(&settings, n)?;
    let mut runtime = copydesk::daemon::runtime::Runtime::start(&settings)?;
    let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGTERM])?;
    signals.forever().next();
    runtime.stop();
    Ok(())
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

struct Bench {
    app: App,
    rx: Receiver<Input>,
    feed: Feed,
    term: Terminal<TestBackend>,
    theme: Theme,
}

impl Bench {
    fn draw(&mut self) -> Result<(), Error> {
        let (app, theme) = (&mut self.app, &self.theme);
        self.term.draw(|f| views::draw(f, app, theme))?;
        Ok(())
    }

    fn apply(&mut self, action: Action) {
        for e in self.app.update(action) {
            if let Effect::Request(r) = e {
                self.feed.send(r);
            }
        }
    }

    /// Takes what the feed has said (waiting up to `wait` for the first message).
    fn pump(&mut self, wait: Duration) -> Result<usize, Error> {
        let mut n = 0;
        if let Ok(Input::Feed(m)) = self.rx.recv_timeout(wait) {
            self.apply(Action::Feed(m));
            n += 1;
        }
        while let Ok(Input::Feed(m)) = self.rx.try_recv() {
            self.apply(Action::Feed(m));
            n += 1;
        }
        if n > 0 {
            self.draw()?;
        }
        Ok(n)
    }

    /// Waits until no page request is in flight.
    fn settle(&mut self) -> Result<Duration, Error> {
        let t = Instant::now();
        while self.app.list.loading.is_some() && t.elapsed() < Duration::from_secs(600) {
            self.pump(Duration::from_millis(5))?;
        }
        Ok(t.elapsed())
    }

    /// One key press: update and draw, timed.
    fn press(&mut self, c: Command) -> Result<Duration, Error> {
        let t = Instant::now();
        self.apply(Action::Command(c));
        self.draw()?;
        Ok(t.elapsed())
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn measure(settings: &Settings, scroll: usize) -> Result<(), Error> {
    let start = Instant::now();
    let (tx, rx) = mpsc::channel();
    let feed = Feed::start(settings.clone(), ToUi::new(tx))?;
    let mut b = Bench {
        app: App::new(Keymap::default(), now_ms()),
        rx,
        feed,
        term: Terminal::new(TestBackend::new(120, 40))?,
        theme: Theme::new(true),
    };
    b.draw()?;
    let first_frame = start.elapsed();
    while b.app.list.rows.is_empty() && start.elapsed() < Duration::from_secs(600) {
        b.pump(Duration::from_millis(5))?;
    }
    let first_rows = start.elapsed();
    let mode = format!("{:?}", b.app.conn.mode);
    println!("mode: {mode}");
    println!(
        "first frame (connecting…): {:.1} ms after start",
        ms(first_frame)
    );
    println!(
        "first frame with the newest articles: {:.1} ms after start",
        ms(first_rows)
    );

    // Key presses: a few hundred j/k/ctrl-d/ctrl-u presses near the top, as an editor reads.
    let mut times = Vec::new();
    let pattern = [
        Command::Down,
        Command::Down,
        Command::PageDown,
        Command::Up,
        Command::PageUp,
        Command::Down,
    ];
    for i in 0..600 {
        times.push(b.press(pattern[i % pattern.len()])?);
        b.pump(Duration::ZERO)?;
    }
    let t = b.press(Command::Bottom)?;
    times.push(t);
    let oldest = b.settle()?;
    println!(
        "G: key answered in {:.2} ms; the oldest page arrived {:.0} ms later (selected #{:?})",
        ms(t),
        ms(oldest),
        b.app.list.selected_id()
    );
    let t = b.press(Command::Top)?;
    times.push(t);
    let newest = b.settle()?;
    println!(
        "g: key answered in {:.2} ms; the newest page arrived {:.0} ms later",
        ms(t),
        ms(newest)
    );
    times.sort();
    println!(
        "key press → frame over {} presses: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        times.len(),
        ms(pct(&times, 0.5)),
        ms(pct(&times, 0.99)),
        ms(pct(&times, 1.0))
    );

    // Memory while scrolling down through many pages.
    let before = rss_kib();
    let t = Instant::now();
    let mut moved = 0;
    let mut max_rows = 0;
    let mut waits = Vec::new();
    while moved < scroll {
        let at = b.app.list.selected;
        b.press(Command::PageDown)?;
        b.pump(Duration::ZERO)?;
        if b.app.list.selected == at {
            waits.push(b.settle()?);
            if b.app.list.selected == at && b.app.list.at_end {
                break;
            }
            continue;
        }
        moved += b.app.list.selected.abs_diff(at).max(1);
        max_rows = max_rows.max(b.app.list.rows.len());
    }
    let after = rss_kib();
    waits.sort();
    println!(
        "scrolled {moved} rows in {:.1} s: RSS {:.1} MiB before, {:.1} MiB after; at most {max_rows} rows held",
        t.elapsed().as_secs_f64(),
        before as f64 / 1024.0,
        after as f64 / 1024.0
    );
    if !waits.is_empty() {
        println!(
            "  waited for {} older pages at the window's edge: median {:.0} ms, max {:.0} ms",
            waits.len(),
            ms(pct(&waits, 0.5)),
            ms(pct(&waits, 1.0))
        );
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

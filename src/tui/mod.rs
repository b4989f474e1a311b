//! The live triage dashboard (`copydesk` with no command): terminal setup and teardown, a panic
//! hook that restores the terminal, and the one loop that draws, takes input and feed messages
//! from a single channel, and carries out the app's effects. The state lives in `app`, drawing
//! in `views`, the engine connection in `feed`. Never opens sled or the inbox itself.

pub mod action;
pub mod app;
pub(crate) mod clipboard;
pub mod feed;
pub mod input;
pub mod keymap;
pub mod paging;
pub mod theme;
pub mod views;
pub(crate) mod watchdog;

use crate::config::Settings;
use crate::worker::Worker;
use action::{Action, Input};
use anyhow::{bail, Context, Result};
use app::{App, Effect};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use feed::{Feed, ToUi};
use keymap::Keymap;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{IsTerminal, Stdout, Write};
use std::panic::PanicHookInfo;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use theme::Theme;

/// How often the clock ticks (ages, rate, counts).
const TICK: Duration = Duration::from_secs(1);
/// Messages taken in one go before the next frame, so a burst costs one redraw.
const BATCH: usize = 512;

static PANICKED: AtomicBool = AtomicBool::new(false);

/// The wall clock in ms since the epoch: the ages and the rate the dashboard shows. (The engine
/// stamps articles with its own clock; the dashboard only reads it.)
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Whether colour is wanted: not with `--no-color`, nor when NO_COLOR is set and not empty.
pub(crate) fn wants_color(no_color: bool) -> bool {
    !no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Checks the config's `[dashboard.keys]` as the dashboard would read them; every command calls
/// it, so a bad binding fails `serve` or `list` too, not only the next dashboard.
pub fn check_keys(keys: &std::collections::BTreeMap<String, String>) -> Result<()> {
    Keymap::new(keys)?;
    Ok(())
}

pub fn run(settings: &Settings, no_color: bool) -> Result<()> {
    // Bad key bindings are reported before the terminal changes.
    let keymap = Keymap::new(&settings.keys)?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!("the dashboard needs a terminal; in scripts use `copydesk list`, `tail` or `triage`");
    }
    let theme = Theme::new(wants_color(no_color));
    let mut app = App::new(keymap, now_ms());
    app.mouse = settings.mouse;

    let screen = Screen::enter(settings.mouse)?;
    let hook = PanicHook::install(settings.mouse);
    let (tx, rx) = mpsc::channel::<Input>();
    let mut reader = spawn_reader(tx.clone())?;
    let mut feed = Feed::start(settings.clone(), ToUi::new(tx))?;
    let result = event_loop(&mut app, &theme, &screen, &rx, &feed);

    // The terminal first: the editor gets the shell back while the engine stops.
    reader.stop();
    drop(screen);
    drop(hook);
    feed.stop();
    if PANICKED.load(Ordering::SeqCst) {
        bail!("the dashboard stopped after an internal error (the message above says where); the terminal was restored and the database is intact");
    }
    if let Some(why) = &app.conn.lost {
        eprintln!("copydesk: quit while the engine was unreachable: {why}");
    }
    result
}

fn event_loop(
    app: &mut App,
    theme: &Theme,
    screen: &Screen,
    rx: &mpsc::Receiver<Input>,
    feed: &Feed,
) -> Result<()> {
    let mut terminal = screen.terminal()?;
    let mut next_tick = Instant::now() + TICK;
    loop {
        if PANICKED.load(Ordering::SeqCst) {
            return Ok(());
        }
        // Every wake-up is input, a feed message or the clock: each is worth a frame.
        terminal
            .draw(|f| views::draw(f, app, theme))
            .context("drawing the dashboard")?;
        let wait = next_tick.saturating_duration_since(Instant::now());
        let first = match rx.recv_timeout(wait) {
            Ok(input) => Some(input),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        };
        let mut actions: Vec<Action> = Vec::new();
        if Instant::now() >= next_tick {
            next_tick = Instant::now() + TICK;
            actions.push(Action::Tick { now_ms: now_ms() });
        }
        let inputs = first
            .into_iter()
            .chain(std::iter::from_fn(|| rx.try_recv().ok()).take(BATCH));
        for input in inputs {
            match input {
                Input::Feed(msg) => actions.push(Action::Feed(msg)),
                Input::Term(ev) => {
                    // Translated one at a time: a key may open a prompt that takes the next.
                    for a in actions.drain(..) {
                        if perform(app.update(a), app, feed, &mut terminal)? {
                            return Ok(());
                        }
                    }
                    if let Some(a) = input::to_action(app, &ev) {
                        if perform(app.update(a), app, feed, &mut terminal)? {
                            return Ok(());
                        }
                    }
                }
            }
        }
        for a in actions {
            if perform(app.update(a), app, feed, &mut terminal)? {
                return Ok(());
            }
        }
    }
}

type Term = Terminal<CrosstermBackend<Stdout>>;

/// Carries out effects; true when the app wants to quit.
fn perform(effects: Vec<Effect>, app: &mut App, feed: &Feed, terminal: &mut Term) -> Result<bool> {
    for e in effects {
        match e {
            Effect::Quit => return Ok(true),
            Effect::Request(r) => feed.send(r),
            Effect::Copy { what, text } => {
                let (seq, cut) = clipboard::osc52(&text);
                let out = terminal.backend_mut();
                out.write_all(seq.as_bytes())
                    .and_then(|()| out.flush())
                    .context("writing to the terminal")?;
                app.say(format!(
                    "copied the {what}{} to the clipboard (OSC 52; your terminal must allow it)",
                    if cut { " (its first 64 KiB)" } else { "" }
                ));
            }
        }
    }
    Ok(false)
}

/// The thread that reads the terminal's input; it looks at its stop flag every 100 ms.
fn spawn_reader(tx: mpsc::Sender<Input>) -> Result<Worker> {
    Ok(Worker::spawn("dashboard-input", move |stop| {
        while !stop.is_set() {
            match crossterm::event::poll(Duration::from_millis(100)) {
                Ok(true) => match crossterm::event::read() {
                    Ok(ev) => {
                        if tx.send(Input::Term(ev)).is_err() {
                            return;
                        }
                    }
                    Err(_) => return,
                },
                Ok(false) => {}
                Err(_) => return,
            }
        }
    })?)
}

/// The terminal in dashboard mode (raw, alternate screen, mouse reporting); restored on drop.
struct Screen {
    mouse: bool,
}

impl Screen {
    fn enter(mouse: bool) -> Result<Screen> {
        enable_raw_mode().context("cannot put the terminal in raw mode")?;
        let screen = Screen { mouse };
        let mut out = std::io::stdout();
        crossterm::execute!(out, EnterAlternateScreen, crossterm::cursor::Hide)?;
        if mouse {
            crossterm::execute!(out, EnableMouseCapture)?;
        }
        Ok(screen)
    }

    fn terminal(&self) -> Result<Term> {
        let mut t = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
        t.clear()?;
        Ok(t)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore(self.mouse);
    }
}

/// Puts the terminal back as the shell had it. Safe to call twice.
fn restore(mouse: bool) {
    let mut out = std::io::stdout();
    if mouse {
        let _ = crossterm::execute!(out, DisableMouseCapture);
    }
    let _ = crossterm::execute!(out, LeaveAlternateScreen, crossterm::cursor::Show);
    let _ = disable_raw_mode();
}

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Restores the terminal before any panic message is printed (from any thread: a feed or engine
/// panic must not leave the editor's terminal raw); put back as it was on drop.
struct PanicHook {
    previous: Arc<Hook>,
}

impl PanicHook {
    fn install(mouse: bool) -> PanicHook {
        let previous: Arc<Hook> = Arc::new(std::panic::take_hook());
        let prev = previous.clone();
        std::panic::set_hook(Box::new(move |info| {
            restore(mouse);
            PANICKED.store(true, Ordering::SeqCst);
            prev(info);
            eprintln!("copydesk: the dashboard hit an internal error and stops; the terminal has been restored.");
        }));
        PanicHook { previous }
    }
}

impl Drop for PanicHook {
    fn drop(&mut self) {
        let _ = std::panic::take_hook();
        let prev = self.previous.clone();
        std::panic::set_hook(Box::new(move |info| prev(info)));
    }
}

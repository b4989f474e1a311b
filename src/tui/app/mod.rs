//! The dashboard's state and `update`: every key, click, tick and feed answer goes through
//! `App::update`, which changes the state and returns effects (requests for the feed, a clipboard
//! copy, quit) for the run loop to carry out. Pure: no terminal, no engine, no clock of its own
//! (time comes in `Action::Tick`), so it is tested without either.

pub mod list;
pub(crate) mod reading;
pub mod text;
pub(crate) mod triage;

mod commandline;
mod commands;
mod events;
mod find;
mod input;

use super::action::{Action, Command, Views};
use super::feed::FeedRequest;
use super::keymap::Keymap;
use crate::client::Mode;
use crate::model::{ArticleId, Stats};
use list::{Filters, ListWindow};
use ratatui::layout::{Position, Rect};
use reading::{Comparing, Preview, Reading, StoryView};
use std::collections::VecDeque;
use triage::{Marks, UndoLog};

/// How long a notice or an error stays in the status bar (by the dashboard's clock, which ticks
/// every second); the next key or click clears it sooner.
pub(crate) const SAY_MS: u64 = 5_000;
/// Views stacked above the list; deeper ones are dropped.
const MAX_VIEWS: usize = 8;
/// Longest text a prompt takes.
const MAX_PROMPT: usize = 200;

/// What the run loop does for the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Request(FeedRequest),
    /// Put text on the clipboard (OSC 52); `what` names it for the status line.
    Copy {
        what: &'static str,
        text: String,
    },
    Quit,
}

/// A view above the list, with its own state.
#[derive(Debug)]
pub enum View {
    Detail(Box<Reading>),
    Compare(Box<Comparing>),
    Story(StoryView),
}

/// Which pane of the list screen the keys move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pane {
    List,
    Preview,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PromptKind {
    Search,
    Source,
    ReprintOf,
    Note,
    /// A command by name (`:pick`, `:filter source=…`).
    Command,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prompt {
    pub(crate) kind: PromptKind,
    pub(crate) text: String,
}

/// The connection as the status bar shows it.
#[derive(Debug, Clone, Default)]
pub struct Conn {
    pub mode: Option<Mode>,
    pub(crate) inbox: String,
    pub(crate) you: String,
    /// Why the connection is down, while it is.
    pub(crate) lost: Option<String>,
}

/// Where the last frame put things, for the mouse and for paging by screenfuls.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hits {
    pub(crate) list: Rect,
    pub(crate) preview: Rect,
    pub(crate) left: Rect,
    pub(crate) right: Rect,
    /// The compare view showed one inline text (a narrow terminal).
    pub(crate) inline: bool,
    pub page_rows: usize,
}

pub struct App {
    pub(crate) keymap: Keymap,
    /// Mouse reporting is on (the help says what it does).
    pub(crate) mouse: bool,
    pub(crate) now_ms: u64,
    pub conn: Conn,
    pub(crate) stats: Option<Stats>,
    stats_wanted: bool,
    stats_in_flight: bool,
    /// Arrival times (ms) of recent verdicts, for the rate.
    pub(crate) arrivals: VecDeque<u64>,
    /// The status bar's message: at most one of the two (the newest wins), until `said_ms` is
    /// `SAY_MS` old or the next key or click.
    pub(crate) last_error: Option<String>,
    pub(crate) notice: Option<String>,
    pub(crate) said_ms: u64,
    /// A request the engine is slow to answer.
    pub(crate) waiting: Option<String>,
    pub(crate) filters: Filters,
    pub list: ListWindow,
    pub(crate) marks: Marks,
    pub(crate) undo: UndoLog,
    pub views: Vec<View>,
    pub(crate) focus: Pane,
    pub(crate) preview: Preview,
    /// The help overlay's scroll, while it is open.
    pub(crate) help: Option<usize>,
    pub(crate) prompt: Option<Prompt>,
    pub hits: Hits,
    pending_copy: Option<ArticleId>,
}

impl App {
    pub fn new(keymap: Keymap, now_ms: u64) -> App {
        App {
            keymap,
            mouse: true,
            now_ms,
            conn: Conn::default(),
            stats: None,
            stats_wanted: true,
            stats_in_flight: false,
            arrivals: VecDeque::new(),
            last_error: None,
            notice: None,
            said_ms: now_ms,
            waiting: None,
            filters: Filters::default(),
            list: ListWindow::default(),
            marks: Marks::default(),
            undo: UndoLog::default(),
            views: Vec::new(),
            focus: Pane::List,
            preview: Preview::default(),
            help: None,
            prompt: None,
            hits: Hits::default(),
            pending_copy: None,
        }
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut fx = Vec::new();
        match action {
            Action::Tick { now_ms } => {
                self.now_ms = now_ms;
                if now_ms.saturating_sub(self.said_ms) >= SAY_MS {
                    self.quiet();
                }
                self.want_stats(&mut fx);
            }
            Action::Resize => {}
            Action::Feed(msg) => self.on_feed(msg, &mut fx),
            Action::Prompt(input) => self.on_prompt(input, &mut fx),
            Action::Command(c) if self.help.is_some() => self.on_help(c, &mut fx),
            Action::Command(c) => {
                self.quiet();
                self.on_command(c, &mut fx);
            }
            Action::Click { column, row } => {
                self.quiet();
                self.on_click(Position::new(column, row), &mut fx)
            }
            Action::Scroll { column, row, lines } => {
                self.on_wheel(Position::new(column, row), lines, &mut fx)
            }
        }
        if self.views.is_empty() && self.preview.follow(self.list.selected_id()) {
            if let Some(id) = self.preview.id {
                fx.push(Effect::Request(FeedRequest::Show { id }));
            }
        }
        fx
    }

    /// Puts a notice in the status bar, replacing whatever it said.
    pub(crate) fn say(&mut self, notice: impl Into<String>) {
        self.notice = Some(notice.into());
        self.last_error = None;
        self.said_ms = self.now_ms;
    }

    /// Puts an error in the status bar, replacing whatever it said.
    pub(crate) fn fail(&mut self, error: impl Into<String>) {
        self.last_error = Some(error.into());
        self.notice = None;
        self.said_ms = self.now_ms;
    }

    /// Clears the status bar's message.
    fn quiet(&mut self) {
        self.notice = None;
        self.last_error = None;
    }

    fn want_stats(&mut self, fx: &mut Vec<Effect>) {
        if self.stats_wanted
            && !self.stats_in_flight
            && self.conn.lost.is_none()
            && self.conn.mode.is_some()
        {
            self.stats_wanted = false;
            self.stats_in_flight = true;
            fx.push(Effect::Request(FeedRequest::Stats));
        }
    }

    /// Verdicts in the last minute.
    pub(crate) fn rate_per_min(&self) -> usize {
        let since = self.now_ms.saturating_sub(60_000);
        self.arrivals.iter().filter(|&&t| t > since).count()
    }

    pub(crate) fn page_step(&self) -> isize {
        (self.hits.page_rows / 2).max(1) as isize
    }

    fn on_help(&mut self, c: Command, fx: &mut Vec<Effect>) {
        let scroll = self.help.get_or_insert(0);
        match c {
            Command::Down => *scroll += 1,
            Command::Up => *scroll = scroll.saturating_sub(1),
            Command::Help | Command::Back | Command::Close => self.help = None,
            Command::Quit => fx.push(Effect::Quit),
            _ => {}
        }
    }

    /// The current view as the command table names it (for which commands it takes), and its
    /// name for people.
    pub(crate) fn view(&self) -> (Views, &'static str) {
        match self.views.last() {
            None => (Views::LIST, "incoming list"),
            Some(View::Detail(_)) => (Views::ARTICLE, "article"),
            Some(View::Compare(_)) => (Views::COMPARE, "compare"),
            Some(View::Story(_)) => (Views::STORY, "story"),
        }
    }
}

/// Paragraphs as one text for the clipboard.
pub(crate) fn join_text(paragraphs: &[String]) -> String {
    paragraphs
        .iter()
        .map(|p| crate::text::sanitize::sanitize_display(p))
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod keys_tests;
#[cfg(test)]
mod tests;

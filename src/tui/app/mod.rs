//! The dashboard's state and `update`: every key, click, tick and feed answer goes through
//! `App::update`, which changes the state and returns effects (requests for the feed, a clipboard
//! copy, quit) for the run loop to carry out. Pure: no terminal, no engine, no clock of its own
//! (time comes in `Action::Tick`), so it is tested without either.

pub mod list;
pub mod reading;
pub mod text;
pub mod triage;

mod events;

use super::action::{Action, Command, PromptInput};
use super::feed::FeedRequest;
use super::keymap::Keymap;
use crate::client::Mode;
use crate::daemon::protocol::TriageAction;
use crate::engine::Stats;
use crate::store::{ArticleId, ArticleRecord};
use crate::text::sanitize::sanitize_line;
use list::{Filters, ListWindow};
use ratatui::layout::{Position, Rect};
use reading::{Comparing, Preview, Reading, StoryView};
use std::collections::VecDeque;
use triage::{undo_steps, Marks, Prior, UndoLog};

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
    Detail(Reading),
    Compare(Comparing),
    Story(StoryView),
}

/// Which pane of the list screen the keys move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    List,
    Preview,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Search,
    Source,
    ReprintOf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
}

/// The connection as the status bar shows it.
#[derive(Debug, Clone, Default)]
pub struct Conn {
    pub mode: Option<Mode>,
    pub inbox: String,
    pub you: String,
    /// Why the connection is down, while it is.
    pub lost: Option<String>,
}

/// Where the last frame put things, for the mouse and for paging by screenfuls.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hits {
    pub list: Rect,
    pub preview: Rect,
    pub text: Rect,
    pub left: Rect,
    pub right: Rect,
    /// The compare view showed one inline text (a narrow terminal).
    pub inline: bool,
    pub page_rows: usize,
}

pub struct App {
    pub keymap: Keymap,
    /// Mouse reporting is on (the help says what it does).
    pub mouse: bool,
    pub now_ms: u64,
    pub conn: Conn,
    pub stats: Option<Stats>,
    stats_wanted: bool,
    stats_in_flight: bool,
    /// Arrival times (ms) of recent verdicts, for the rate.
    pub arrivals: VecDeque<u64>,
    pub last_error: Option<String>,
    pub notice: Option<String>,
    pub filters: Filters,
    pub list: ListWindow,
    pub marks: Marks,
    pub undo: UndoLog,
    pub views: Vec<View>,
    pub focus: Pane,
    pub preview: Preview,
    /// The help overlay's scroll, while it is open.
    pub help: Option<usize>,
    pub prompt: Option<Prompt>,
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
                self.want_stats(&mut fx);
            }
            Action::Resize => {}
            Action::Feed(msg) => self.on_feed(msg, &mut fx),
            Action::Prompt(input) => self.on_prompt(input, &mut fx),
            Action::Command(c) if self.help.is_some() => self.on_help(c, &mut fx),
            Action::Command(c) => {
                self.notice = None;
                self.on_command(c, &mut fx);
            }
            Action::Click { column, row } => self.on_click(Position::new(column, row), &mut fx),
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

    fn want_stats(&mut self, fx: &mut Vec<Effect>) {
        if self.stats_wanted && !self.stats_in_flight && self.conn.lost.is_none() {
            if self.conn.mode.is_some() {
                self.stats_wanted = false;
                self.stats_in_flight = true;
                fx.push(Effect::Request(FeedRequest::Stats));
            }
        }
    }

    /// Verdicts in the last minute.
    pub fn rate_per_min(&self) -> usize {
        let since = self.now_ms.saturating_sub(60_000);
        self.arrivals.iter().filter(|&&t| t > since).count()
    }

    pub fn page_step(&self) -> isize {
        (self.hits.page_rows / 2).max(1) as isize
    }

    fn on_help(&mut self, c: Command, _fx: &mut [Effect]) {
        let scroll = self.help.get_or_insert(0);
        match c {
            Command::Down => *scroll += 1,
            Command::Up => *scroll = scroll.saturating_sub(1),
            Command::Help | Command::Back | Command::Quit => self.help = None,
            _ => {}
        }
    }

    fn on_command(&mut self, c: Command, fx: &mut Vec<Effect>) {
        match c {
            Command::Quit => return fx.push(Effect::Quit),
            Command::Help => return self.help = Some(0),
            Command::Undo => return self.undo_last(fx),
            Command::Pick => return self.triage(TriageAction::Picked, fx),
            Command::Spike => return self.triage(TriageAction::Spiked, fx),
            Command::Reset => return self.triage(TriageAction::New, fx),
            Command::NotReprint => return self.triage(TriageAction::NotReprint, fx),
            Command::ReprintOf => return self.open_prompt(PromptKind::ReprintOf, String::new()),
            Command::CopyTitle | Command::CopyUrl | Command::CopyText => return self.copy(c, fx),
            _ => {}
        }
        match self.views.last_mut() {
            None => self.list_command(c, fx),
            Some(View::Story(_)) => self.story_command(c, fx),
            Some(View::Detail(_) | View::Compare(_)) => self.reading_command(c, fx),
        }
    }

    fn request(fx: &mut Vec<Effect>, r: Option<FeedRequest>) {
        if let Some(r) = r {
            fx.push(Effect::Request(r));
        }
    }

    fn list_command(&mut self, c: Command, fx: &mut Vec<Effect>) {
        let step = self.page_step();
        let f = &self.filters;
        if self.focus == Pane::Preview {
            let s = &mut self.preview.scroll;
            match c {
                Command::Down => return *s += 1,
                Command::Up => return *s = s.saturating_sub(1),
                Command::PageDown => return *s += step as usize,
                Command::PageUp => return *s = s.saturating_sub(step as usize),
                Command::Top => return *s = 0,
                Command::Bottom => return *s = usize::MAX,
                _ => {}
            }
        }
        let r = match c {
            Command::Down => self.list.move_by(1, f),
            Command::Up => self.list.move_by(-1, f),
            Command::PageDown => self.list.move_by(step, f),
            Command::PageUp => self.list.move_by(-step, f),
            Command::Top => self.list.top(f),
            Command::Bottom => self.list.bottom(f),
            Command::Refresh => self.list.reload(f, false),
            Command::NextPane => {
                self.focus = match self.focus {
                    Pane::List => Pane::Preview,
                    Pane::Preview => Pane::List,
                };
                None
            }
            Command::Back => {
                if !self.marks.is_empty() {
                    self.marks.clear();
                } else if self.focus == Pane::Preview {
                    self.focus = Pane::List;
                } else if self.filters.text.is_some() {
                    self.filters.text = None;
                    return self.reload(fx);
                }
                None
            }
            Command::Mark => {
                if let Some(r) = self.list.selected_record() {
                    self.marks.toggle(r);
                }
                self.list.move_by(1, &self.filters)
            }
            Command::Search => {
                let text = self.filters.text.clone().unwrap_or_default();
                return self.open_prompt(PromptKind::Search, text);
            }
            Command::FilterSource => {
                let text = (self.filters.source.clone())
                    .or_else(|| self.list.selected_record().and_then(|r| r.source.clone()))
                    .map(|s| sanitize_line(&s))
                    .unwrap_or_default();
                return self.open_prompt(PromptKind::Source, text);
            }
            Command::FilterVerdict => {
                self.filters.cycle_status();
                return self.reload(fx);
            }
            Command::FilterTriage => {
                self.filters.cycle_triage();
                return self.reload(fx);
            }
            Command::ClearFilters => {
                self.filters = Filters::default();
                return self.reload(fx);
            }
            Command::Open | Command::Compare | Command::Story => {
                if let Some(r) = self.list.selected_record().cloned() {
                    self.open(c, r, fx);
                }
                None
            }
            _ => None,
        };
        Self::request(fx, r);
    }

    /// The list under new filters.
    fn reload(&mut self, fx: &mut Vec<Effect>) {
        let r = self.list.reload(&self.filters, true);
        Self::request(fx, r);
    }

    fn story_command(&mut self, c: Command, fx: &mut Vec<Effect>) {
        let step = self.page_step();
        let Some(View::Story(s)) = self.views.last_mut() else {
            return;
        };
        let last = s.records.len().saturating_sub(1);
        match c {
            Command::Down => s.selected = (s.selected + 1).min(last),
            Command::Up => s.selected = s.selected.saturating_sub(1),
            Command::PageDown => s.selected = (s.selected + step as usize).min(last),
            Command::PageUp => s.selected = s.selected.saturating_sub(step as usize),
            Command::Top => s.selected = 0,
            Command::Bottom => s.selected = last,
            Command::Back => {
                self.views.pop();
            }
            Command::Mark => {
                if let Some(r) = s.selected_record() {
                    self.marks.toggle(r);
                }
                s.selected = (s.selected + 1).min(last);
            }
            Command::Open | Command::Compare | Command::Story => {
                if let Some(r) = s.selected_record().cloned() {
                    self.open(c, r, fx);
                }
            }
            _ => {}
        }
    }

    fn reading_command(&mut self, c: Command, fx: &mut Vec<Effect>) {
        let step = self.page_step() as usize;
        let inline = self.hits.inline;
        let record = self.current_record().cloned();
        let scroll = match self.views.last_mut() {
            Some(View::Detail(r)) => &mut r.scroll,
            Some(View::Compare(cmp)) => {
                if c == Command::NextPane {
                    cmp.focus = 1 - cmp.focus.min(1);
                    return;
                }
                &mut cmp.scroll[if inline { 0 } else { cmp.focus.min(1) }]
            }
            _ => return,
        };
        match c {
            Command::Down => *scroll = scroll.saturating_add(1),
            Command::Up => *scroll = scroll.saturating_sub(1),
            Command::PageDown => *scroll = scroll.saturating_add(step),
            Command::PageUp => *scroll = scroll.saturating_sub(step),
            Command::Top => *scroll = 0,
            Command::Bottom => *scroll = usize::MAX,
            Command::Back => {
                self.views.pop();
            }
            Command::Compare | Command::Story => {
                if let Some(r) = record {
                    self.open(c, r, fx);
                }
            }
            _ => {}
        }
    }

    /// Opens the detail, compare or story view of an article.
    fn open(&mut self, c: Command, r: ArticleRecord, fx: &mut Vec<Effect>) {
        let (view, request) = match c {
            Command::Open => {
                let request = match &r.matched {
                    Some(m) => FeedRequest::Compare {
                        id: r.id,
                        other: m.id,
                    },
                    None => FeedRequest::Show { id: r.id },
                };
                (View::Detail(Reading::new(r)), request)
            }
            Command::Compare => {
                let Some(m) = &r.matched else {
                    self.last_error = Some(format!(
                        "#{} matches no earlier article, so there is nothing to compare; R names one",
                        r.id
                    ));
                    return;
                };
                let request = FeedRequest::Compare {
                    id: r.id,
                    other: m.id,
                };
                (View::Compare(Comparing::new(r.id, m.id)), request)
            }
            _ => (
                View::Story(StoryView::new(r.id)),
                FeedRequest::Story { id: r.id },
            ),
        };
        if self.views.len() >= MAX_VIEWS {
            self.views.remove(0);
        }
        self.views.push(view);
        fx.push(Effect::Request(request));
    }

    /// The article the current view is about.
    pub fn current_record(&self) -> Option<&ArticleRecord> {
        match self.views.last() {
            None => self.list.selected_record(),
            Some(View::Detail(r)) => Some(&r.record),
            Some(View::Compare(c)) => c.this.as_ref(),
            Some(View::Story(s)) => s.selected_record(),
        }
    }

    /// What a triage command applies to: the marked articles on the list and story views when
    /// any are marked, else the current article.
    fn targets(&self) -> Vec<(ArticleId, Prior)> {
        let lists = matches!(self.views.last(), None | Some(View::Story(_)));
        if lists && !self.marks.is_empty() {
            return self.marks.priors();
        }
        self.current_record()
            .map(|r| vec![(r.id, Prior::of(r))])
            .unwrap_or_default()
    }

    fn triage(&mut self, action: TriageAction, fx: &mut Vec<Effect>) {
        let targets = self.targets();
        if targets.is_empty() {
            self.last_error = Some("nothing selected to triage".into());
            return;
        }
        if let TriageAction::ReprintOf { other } = action {
            if targets.iter().any(|(id, _)| *id == other) {
                self.last_error = Some(format!("#{other} cannot be a reprint of itself"));
                return;
            }
        }
        self.undo.sent(undo_steps(&action, &targets));
        let ids: Vec<ArticleId> = targets.iter().map(|(id, _)| *id).collect();
        self.notice = Some(format!("{} → {} article(s)…", action.label(), ids.len()));
        if self.marks.len() == ids.len() && ids.iter().all(|id| self.marks.contains(*id)) {
            self.marks.clear();
        }
        fx.push(Effect::Request(FeedRequest::Triage {
            ids,
            action,
            undo: false,
        }));
    }

    fn undo_last(&mut self, fx: &mut Vec<Effect>) {
        let Some(steps) = self.undo.pop() else {
            self.notice = Some("nothing to undo".into());
            return;
        };
        self.notice = Some("undoing the last triage…".into());
        for (action, ids) in steps {
            fx.push(Effect::Request(FeedRequest::Triage {
                ids,
                action,
                undo: true,
            }));
        }
    }

    fn open_prompt(&mut self, kind: PromptKind, text: String) {
        self.prompt = Some(Prompt { kind, text });
    }

    fn on_prompt(&mut self, input: PromptInput, fx: &mut Vec<Effect>) {
        let Some(p) = self.prompt.as_mut() else {
            return;
        };
        match input {
            PromptInput::Char(c) if !c.is_control() && p.text.chars().count() < MAX_PROMPT => {
                p.text.push(c)
            }
            PromptInput::Char(_) => {}
            PromptInput::Backspace => {
                p.text.pop();
            }
            PromptInput::Clear => p.text.clear(),
            PromptInput::Cancel => self.prompt = None,
            PromptInput::Submit => {
                let Some(Prompt { kind, text }) = self.prompt.take() else {
                    return;
                };
                let text = text.trim().to_owned();
                let value = (!text.is_empty()).then_some(text.clone());
                match kind {
                    PromptKind::Search => {
                        self.filters.text = value;
                        self.reload(fx);
                    }
                    PromptKind::Source => {
                        self.filters.source = value;
                        self.reload(fx);
                    }
                    PromptKind::ReprintOf => match text.trim_start_matches('#').parse() {
                        Ok(other) => self.triage(TriageAction::ReprintOf { other }, fx),
                        Err(_) => {
                            self.last_error =
                                Some(format!("'{text}' is not an article id; type a number"))
                        }
                    },
                }
            }
        }
    }

    fn copy(&mut self, c: Command, fx: &mut Vec<Effect>) {
        let Some(r) = self.current_record() else {
            self.last_error = Some("nothing selected to copy".into());
            return;
        };
        let (id, title, url) = (r.id, sanitize_line(&r.title), r.url.clone());
        match c {
            Command::CopyTitle => fx.push(Effect::Copy {
                what: "title",
                text: title,
            }),
            Command::CopyUrl => match url {
                Some(u) => fx.push(Effect::Copy {
                    what: "URL",
                    text: sanitize_line(&u),
                }),
                None => self.last_error = Some(format!("#{id} has no URL")),
            },
            _ => match self.text_of(id) {
                Some(text) => fx.push(Effect::Copy { what: "text", text }),
                None => {
                    self.pending_copy = Some(id);
                    fx.push(Effect::Request(FeedRequest::Show { id }));
                }
            },
        }
    }

    /// The sanitised text of an article, when one of the views holds it.
    fn text_of(&self, id: ArticleId) -> Option<String> {
        let paragraphs = self
            .views
            .iter()
            .rev()
            .find_map(|v| match v {
                View::Detail(r) if r.id == id && r.loaded => Some(&r.paragraphs),
                View::Compare(c) if c.id == id && c.this.is_some() => Some(&c.paragraphs),
                _ => None,
            })
            .or_else(|| {
                (self.preview.detail.as_ref())
                    .filter(|d| d.record.id == id)
                    .map(|d| &d.paragraphs)
            })?;
        Some(join_text(paragraphs))
    }

    fn on_click(&mut self, at: Position, fx: &mut Vec<Effect>) {
        if self.help.take().is_some() {
            return;
        }
        let hits = self.hits;
        match self.views.last_mut() {
            None if hits.list.contains(at) => {
                self.focus = Pane::List;
                let index = self.list.offset + usize::from(at.y - hits.list.y);
                if index == self.list.selected {
                    if let Some(r) = self.list.selected_record().cloned() {
                        self.open(Command::Open, r, fx);
                    }
                } else {
                    let r = self.list.select(index, &self.filters);
                    Self::request(fx, r);
                }
            }
            None if hits.preview.contains(at) => self.focus = Pane::Preview,
            Some(View::Story(s)) if hits.list.contains(at) => {
                let index = s.offset + usize::from(at.y - hits.list.y);
                if index == s.selected {
                    if let Some(r) = s.selected_record().cloned() {
                        self.open(Command::Open, r, fx);
                    }
                } else if index < s.records.len() {
                    s.selected = index;
                }
            }
            Some(View::Compare(c)) if hits.left.contains(at) => c.focus = 0,
            Some(View::Compare(c)) if hits.right.contains(at) => c.focus = 1,
            _ => {}
        }
    }

    fn on_wheel(&mut self, at: Position, lines: i32, fx: &mut Vec<Effect>) {
        let by = |s: &mut usize| *s = s.saturating_add_signed(lines as isize);
        if let Some(h) = self.help.as_mut() {
            return by(h);
        }
        let hits = self.hits;
        match self.views.last_mut() {
            None if hits.preview.contains(at) => by(&mut self.preview.scroll),
            None => {
                let r = self.list.move_by(lines as isize, &self.filters);
                Self::request(fx, r);
            }
            Some(View::Story(s)) => {
                by(&mut s.selected);
                s.selected = s.selected.min(s.records.len().saturating_sub(1));
            }
            Some(View::Detail(r)) => by(&mut r.scroll),
            Some(View::Compare(c)) => {
                let pane = if hits.inline || hits.left.contains(at) {
                    0
                } else {
                    1
                };
                by(&mut c.scroll[pane]);
            }
        }
    }
}

/// Paragraphs as one text for the clipboard.
pub fn join_text(paragraphs: &[String]) -> String {
    paragraphs
        .iter()
        .map(|p| crate::text::sanitize::sanitize_display(p))
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests;

//! The app's commands: moving through the list, the story and the reading views, opening
//! views, and triage with undo. Part of `App::update`; pure like it.

use super::find::Step;
use super::list::Filters;
use super::reading::{Comparing, Reading, StoryView};
use super::triage::{undo_steps, Prior};
use super::{App, Effect, Pane, PromptKind, View, MAX_VIEWS};
use crate::model::{ArticleId, ArticleRecord, TriageAction, TriageState};
use crate::text::sanitize::sanitize_line;
use crate::tui::action::Command;
use crate::tui::feed::FeedRequest;

impl App {
    pub(super) fn on_command(&mut self, c: Command, fx: &mut Vec<Effect>) {
        // A key does only what the current view's help lists (as in less, an unbound letter
        // does nothing): a list command never acts from the article view.
        if !c.spec().help.contains(self.view().0) {
            return;
        }
        match c {
            Command::Quit => return fx.push(Effect::Quit),
            Command::Close => return self.close(fx),
            Command::Help => return self.help = Some(0),
            Command::Search => return self.open_prompt(PromptKind::Search, String::new()),
            Command::SearchNext => return self.search_step(Step::Next, fx),
            Command::SearchPrev => return self.search_step(Step::Prev, fx),
            Command::CommandLine => return self.open_prompt(PromptKind::Command, String::new()),
            Command::Undo => return self.undo_last(fx),
            Command::Pick => return self.triage(TriageAction::Picked, fx),
            Command::Spike => return self.triage(TriageAction::Spiked, fx),
            Command::Reset => return self.triage(TriageAction::New, fx),
            Command::NotReprint => return self.triage(TriageAction::NotReprint, fx),
            Command::ReprintOf => return self.open_prompt(PromptKind::ReprintOf, String::new()),
            Command::Note => {
                let note = self.current_record().and_then(|r| r.triage.note.clone());
                return self.open_prompt(PromptKind::Note, note.unwrap_or_default());
            }
            Command::CopyTitle | Command::CopyUrl | Command::CopyText => return self.copy(c, fx),
            _ => {}
        }
        match self.views.last_mut() {
            None => self.list_command(c, fx),
            Some(View::Story(_)) => self.story_command(c, fx),
            Some(View::Detail(_) | View::Compare(_)) => self.reading_command(c, fx),
        }
    }

    pub(super) fn request(fx: &mut Vec<Effect>, r: Option<FeedRequest>) {
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
    pub(super) fn reload(&mut self, fx: &mut Vec<Effect>) {
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

    /// `q`: back out of the view on top (help and prompts close on their own keys), and quit
    /// from the list.
    fn close(&mut self, fx: &mut Vec<Effect>) {
        if self.views.pop().is_none() {
            fx.push(Effect::Quit);
        }
    }

    /// Opens the detail, compare or story view of an article.
    pub(super) fn open(&mut self, c: Command, r: ArticleRecord, fx: &mut Vec<Effect>) {
        let (view, request) = match c {
            Command::Open => {
                let request = match &r.matched {
                    Some(m) => FeedRequest::Compare {
                        id: r.id,
                        other: m.id,
                    },
                    None => FeedRequest::Show { id: r.id },
                };
                (View::Detail(Box::new(Reading::new(r))), request)
            }
            Command::Compare => {
                let Some(m) = &r.matched else {
                    self.fail(format!(
                        "#{} matches no earlier article, so there is nothing to compare; R names one",
                        r.id
                    ));
                    return;
                };
                let request = FeedRequest::Compare {
                    id: r.id,
                    other: m.id,
                };
                (View::Compare(Box::new(Comparing::new(r.id, m.id))), request)
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
    pub(crate) fn current_record(&self) -> Option<&ArticleRecord> {
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

    pub(super) fn triage(&mut self, action: TriageAction, fx: &mut Vec<Effect>) {
        let targets = self.targets();
        if targets.is_empty() {
            self.fail("nothing selected to triage");
            return;
        }
        if let TriageAction::ReprintOf { other } = action {
            if targets.iter().any(|(id, _)| *id == other) {
                self.fail(format!("#{other} cannot be a reprint of itself"));
                return;
            }
        }
        self.undo.sent(undo_steps(&action, &targets));
        let ids: Vec<ArticleId> = targets.iter().map(|(id, _)| *id).collect();
        let before = targets.iter().map(|(_, p)| p.state).collect();
        let note = None;
        self.say(format!("{} → {} article(s)…", action, ids.len()));
        if self.marks.len() == ids.len() && ids.iter().all(|id| self.marks.contains(*id)) {
            self.marks.clear();
        }
        fx.push(Effect::Request(FeedRequest::Triage {
            ids,
            action,
            before,
            note,
            undo: false,
        }));
    }

    /// Notes the targets, each keeping its state (one request per state; nothing to undo).
    pub(super) fn note(&mut self, note: Option<String>, fx: &mut Vec<Effect>) {
        let targets = self.targets();
        if targets.is_empty() {
            self.fail("nothing selected to note");
            return;
        }
        let mut by_state: Vec<(TriageState, Vec<ArticleId>)> = Vec::new();
        for (id, prior) in &targets {
            match by_state.iter_mut().find(|(s, _)| *s == prior.state) {
                Some((_, ids)) => ids.push(*id),
                None => by_state.push((prior.state, vec![*id])),
            }
        }
        self.say(format!("noting {} article(s)…", targets.len()));
        for (state, ids) in by_state {
            self.undo.sent(Vec::new());
            fx.push(Effect::Request(FeedRequest::Triage {
                before: vec![state; ids.len()],
                ids,
                action: TriageAction::from(state),
                note: note.clone(),
                undo: false,
            }));
        }
    }

    fn undo_last(&mut self, fx: &mut Vec<Effect>) {
        let Some(steps) = self.undo.pop() else {
            self.say("nothing to undo");
            return;
        };
        self.say("undoing the last triage…");
        for (action, targets) in steps {
            let (ids, before) = targets.into_iter().unzip();
            fx.push(Effect::Request(FeedRequest::Triage {
                ids,
                action,
                before,
                note: None,
                undo: true,
            }));
        }
    }
}

//! Typing into prompts, copying to the clipboard, and the mouse. Part of `App::update`; pure
//! like it.

use super::{join_text, App, Effect, Pane, Prompt, PromptKind, View, MAX_PROMPT};
use crate::model::{ArticleId, TriageAction};
use crate::text::sanitize::sanitize_line;
use crate::tui::action::{Command, PromptInput};
use crate::tui::feed::FeedRequest;
use ratatui::layout::Position;

impl App {
    pub(super) fn open_prompt(&mut self, kind: PromptKind, text: String) {
        self.prompt = Some(Prompt { kind, text });
    }

    pub(super) fn on_prompt(&mut self, input: PromptInput, fx: &mut Vec<Effect>) {
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
                    PromptKind::Search => self.apply_search(value, fx),
                    PromptKind::Command => self.run_line(&text, fx),
                    PromptKind::Source => {
                        self.filters.source = value;
                        self.reload(fx);
                    }
                    PromptKind::ReprintOf => match text.trim_start_matches('#').parse() {
                        Ok(other) => self.triage(TriageAction::ReprintOf { other }, fx),
                        Err(_) => {
                            self.fail(format!("'{text}' is not an article id; type a number"))
                        }
                    },
                    PromptKind::Note => self.note(value, fx),
                }
            }
        }
    }

    pub(super) fn copy(&mut self, c: Command, fx: &mut Vec<Effect>) {
        let Some(r) = self.current_record() else {
            self.fail("nothing selected to copy");
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
                None => self.fail(format!("#{id} has no URL")),
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

    pub(super) fn on_click(&mut self, at: Position, fx: &mut Vec<Effect>) {
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

    pub(super) fn on_wheel(&mut self, at: Position, lines: i32, fx: &mut Vec<Effect>) {
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

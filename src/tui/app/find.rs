//! The current search inside an article: where its words occur (as the engine's search matches
//! them: `search::highlight` on the normalised text, so "bridge" finds "BRIDGE’s"), which
//! occurrence `n`/`N` went to last, and whether the view should scroll to it. Pure state; the
//! view turns "scroll to occurrence k" into a line, since only it knows how the text wraps.

use super::text::Range;
use super::{App, Effect, View};
use crate::search::highlight::find;
use crate::search::terms::query_words;

/// The occurrences of the search in one article.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Found {
    /// Every occurrence, in reading order.
    pub(crate) ranges: Vec<Range>,
    /// The occurrence `n`/`N` went to last.
    pub(crate) current: Option<usize>,
    /// The view should scroll to the current occurrence when it next draws.
    pub(crate) jump: bool,
}

/// Which way `n`/`N` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Next,
    Prev,
}

/// Where a step landed, for the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Landed {
    /// On occurrence `at` (0-based) of `of`.
    At { at: usize, of: usize },
    /// On occurrence `at` of `of`, after going round the end of the text.
    Wrapped { at: usize, of: usize },
    /// The search's words do not occur here.
    Nowhere,
}

impl Found {
    /// The occurrences of `query`'s words in `paragraphs` (none when there is no query).
    pub(crate) fn of(paragraphs: &[String], query: Option<&str>) -> Found {
        let ranges = match query {
            Some(q) => find(paragraphs, &query_words(q))
                .into_iter()
                .map(|h| (h.paragraph, h.start, h.end))
                .collect(),
            None => Vec::new(),
        };
        Found {
            ranges,
            current: None,
            jump: false,
        }
    }

    /// Goes to the next or previous occurrence, round the ends as less and vim do.
    pub(crate) fn step(&mut self, step: Step) -> Landed {
        let of = self.ranges.len();
        if of == 0 {
            return Landed::Nowhere;
        }
        let (at, wrapped) = match (self.current, step) {
            (None, Step::Next) => (0, false),
            (None, Step::Prev) => (of - 1, false),
            (Some(c), Step::Next) if c + 1 < of => (c + 1, false),
            (Some(_), Step::Next) => (0, true),
            (Some(c), Step::Prev) if c > 0 => (c - 1, false),
            (Some(_), Step::Prev) => (of - 1, true),
        };
        self.current = Some(at);
        self.jump = true;
        if wrapped {
            Landed::Wrapped { at, of }
        } else {
            Landed::At { at, of }
        }
    }

    /// The current occurrence as a one-range slice (for marking it).
    pub(crate) fn current_range(&self) -> &[Range] {
        match self.current {
            Some(c) => self.ranges.get(c..=c).unwrap_or(&[]),
            None => &[],
        }
    }
}

impl App {
    /// `n`/`N`: in the article view, the next or previous occurrence of the search's words; in
    /// the list, which the search filters so that every row matches, the next or previous row.
    pub(super) fn search_step(&mut self, step: Step, fx: &mut Vec<Effect>) {
        let Some(query) = self.filters.text.clone() else {
            self.notice = Some("no search yet: / starts one".into());
            return;
        };
        match self.views.last_mut() {
            Some(View::Detail(r)) => {
                if !r.loaded {
                    self.notice = Some("the article is still loading".into());
                    return;
                }
                let landed = r.found.step(step);
                r.mark();
                let round = match step {
                    Step::Next => "went round to the top",
                    Step::Prev => "went round to the bottom",
                };
                self.notice = Some(match landed {
                    Landed::At { at, of } => format!("'{query}': {} of {of}", at + 1),
                    Landed::Wrapped { at, of } => {
                        format!("'{query}': {} of {of} ({round})", at + 1)
                    }
                    Landed::Nowhere => format!("'{query}' does not occur in this article's text"),
                });
            }
            None => {
                let before = self.list.selected;
                let delta = if step == Step::Next { 1 } else { -1 };
                let r = self.list.move_by(delta, &self.filters);
                Self::request(fx, r);
                if self.list.selected == before {
                    let (edge, word) = match step {
                        Step::Next => (self.list.at_end, "later"),
                        Step::Prev => (self.list.at_top, "newer"),
                    };
                    if edge {
                        self.notice = Some(format!("no {word} article matches '{query}'"));
                    }
                }
            }
            _ => {}
        }
    }

    /// A search typed at the `/` prompt (or `:search`): it filters the list, and an open article
    /// marks its words and goes to the first.
    pub(super) fn apply_search(&mut self, query: Option<String>, fx: &mut Vec<Effect>) {
        self.filters.text = query;
        self.reload(fx);
        let query = self.filters.text.as_deref();
        for v in &mut self.views {
            if let View::Detail(r) = v {
                r.search(query);
            }
        }
        if query.is_some() && matches!(self.views.last(), Some(View::Detail(_))) {
            self.search_step(Step::Next, fx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occurrences_fold_as_the_search_does_and_steps_go_round() {
        let p = vec![
            "The BRIDGE\u{2019}s closure.".to_owned(),
            "No word here.".to_owned(),
            "A bridge, and a Bridge.".to_owned(),
        ];
        let mut f = Found::of(&p, Some("bridge"));
        let words: Vec<&str> = f.ranges.iter().map(|r| &p[r.0][r.1..r.2]).collect();
        assert_eq!(words, vec!["BRIDGE", "bridge", "Bridge"]);
        assert_eq!(f.step(Step::Next), Landed::At { at: 0, of: 3 });
        assert!(f.jump);
        assert_eq!(f.step(Step::Prev), Landed::Wrapped { at: 2, of: 3 });
        assert_eq!(f.current_range(), &[(2, 16, 22)]);
        assert_eq!(f.step(Step::Next), Landed::Wrapped { at: 0, of: 3 });
        assert_eq!(f.step(Step::Next), Landed::At { at: 1, of: 3 });
        let mut none = Found::of(&p, Some("tunnel"));
        assert_eq!(none.step(Step::Next), Landed::Nowhere);
        assert_eq!(Found::of(&p, None).ranges, vec![]);
    }
}

//! State of the views that read articles: the list's preview pane, the detail view (one article
//! with the passages it shares with its match), the compare view (an article beside its match,
//! with word differences) and the story view (every article of one story). Pure state, filled
//! from the feed's answers.

use super::find::Found;
use super::text::{layered, word_diff, Mark, Para, Range, WordDiff};
use crate::model::{ArticleId, ArticleRecord, Comparison, Detail, MatchRef, Status, Triage};

/// Keeps a shown record current with a triage change.
pub(crate) fn refresh(
    r: &mut ArticleRecord,
    triage: &Triage,
    status: Status,
    matched: &Option<MatchRef>,
) {
    r.triage = triage.clone();
    r.status = status;
    r.matched = matched.clone();
}

/// The list's preview of the selected article.
#[derive(Debug, Default)]
pub(crate) struct Preview {
    /// The article asked for; the answer for any other is dropped.
    pub(crate) id: Option<ArticleId>,
    pub(crate) detail: Option<Box<Detail>>,
    pub(crate) text: Vec<Para>,
    pub(crate) scroll: usize,
}

impl Preview {
    /// Starts following a newly selected article; true when it must be fetched.
    pub(crate) fn follow(&mut self, id: Option<ArticleId>) -> bool {
        if self.id == id {
            return false;
        }
        self.id = id;
        self.detail = None;
        self.text.clear();
        self.scroll = 0;
        id.is_some()
    }

    /// Takes the selected article's text, with the search's words (if any) marked.
    pub(crate) fn fill(&mut self, detail: &Detail, query: Option<&str>) {
        if self.id == Some(detail.record.id) {
            let found = Found::of(&detail.paragraphs, query);
            self.text = layered(&detail.paragraphs, &[(&found.ranges, Mark::Found)]);
            self.detail = Some(Box::new(detail.clone()));
        }
    }
}

/// The detail view.
#[derive(Debug)]
pub struct Reading {
    pub(crate) id: ArticleId,
    /// The record as the list had it, until the full article arrives.
    pub(crate) record: ArticleRecord,
    pub(crate) paragraphs: Vec<String>,
    /// The passages shared with the match.
    shared: Vec<Range>,
    /// Where the current search occurs.
    pub(crate) found: Found,
    pub text: Vec<Para>,
    pub loaded: bool,
    pub(crate) scroll: usize,
}

impl Reading {
    pub(crate) fn new(record: ArticleRecord) -> Reading {
        Reading {
            id: record.id,
            record,
            paragraphs: Vec::new(),
            shared: Vec::new(),
            found: Found::default(),
            text: Vec::new(),
            loaded: false,
            scroll: 0,
        }
    }

    pub(crate) fn fill_detail(&mut self, d: &Detail, query: Option<&str>) {
        if d.record.id == self.id {
            self.record = d.record.clone();
            self.paragraphs = d.paragraphs.clone();
            self.shared.clear();
            self.loaded = true;
            self.search(query);
        }
    }

    /// The article with what it shares with its match highlighted.
    pub(crate) fn fill_comparison(&mut self, c: &Comparison, query: Option<&str>) {
        if c.left.record.id == self.id
            && self.record.matched.as_ref().map(|m| m.id) == Some(c.right.record.id)
        {
            self.record = c.left.record.clone();
            self.paragraphs = c.left.paragraphs.clone();
            self.shared = (c.left_shared.iter())
                .map(|&(p, s, e)| (p as usize, s as usize, e as usize))
                .collect();
            self.loaded = true;
            self.search(query);
        }
    }

    /// Finds a new search's words (none for `None`) and marks them.
    pub(crate) fn search(&mut self, query: Option<&str>) {
        self.found = Found::of(&self.paragraphs, query);
        self.mark();
    }

    /// Cuts the text into marked pieces again: shared passages, the search's occurrences, and
    /// the current one above both.
    pub(crate) fn mark(&mut self) {
        let f = &self.found;
        self.text = layered(
            &self.paragraphs,
            &[
                (&self.shared, Mark::Shared),
                (&f.ranges, Mark::Found),
                (f.current_range(), Mark::Current),
            ],
        );
    }
}

/// The compare view: the match (older) on the left, the article on the right.
#[derive(Debug)]
pub struct Comparing {
    pub(crate) id: ArticleId,
    pub(crate) other: ArticleId,
    pub(crate) this: Option<ArticleRecord>,
    pub(crate) original: Option<ArticleRecord>,
    pub(crate) paragraphs: Vec<String>,
    pub(crate) similarity: f32,
    pub(crate) diff: Option<WordDiff>,
    /// Scroll of the left and right panes (side by side) or of the inline text (index 0).
    pub(crate) scroll: [usize; 2],
    /// The pane the scroll keys move: 0 left, 1 right.
    pub(crate) focus: usize,
}

impl Comparing {
    pub(crate) fn new(id: ArticleId, other: ArticleId) -> Comparing {
        Comparing {
            id,
            other,
            this: None,
            original: None,
            paragraphs: Vec::new(),
            similarity: 0.0,
            diff: None,
            scroll: [0, 0],
            focus: 1,
        }
    }

    pub(crate) fn fill(&mut self, c: &Comparison) {
        if c.left.record.id == self.id && c.right.record.id == self.other {
            self.diff = Some(word_diff(&c.right.paragraphs, &c.left.paragraphs));
            self.this = Some(c.left.record.clone());
            self.original = Some(c.right.record.clone());
            self.paragraphs = c.left.paragraphs.clone();
            self.similarity = c.similarity;
        }
    }
}

/// The story view.
#[derive(Debug)]
pub struct StoryView {
    pub(crate) id: ArticleId,
    pub records: Vec<ArticleRecord>,
    pub(crate) loaded: bool,
    pub(crate) selected: usize,
    pub(crate) offset: usize,
}

impl StoryView {
    pub(crate) fn new(id: ArticleId) -> StoryView {
        StoryView {
            id,
            records: Vec::new(),
            loaded: false,
            selected: 0,
            offset: 0,
        }
    }

    pub(crate) fn fill(&mut self, id: ArticleId, records: Vec<ArticleRecord>) {
        if id == self.id {
            // Start on the article the story was opened from.
            self.selected = records.iter().position(|r| r.id == id).unwrap_or(0);
            self.records = records;
            self.loaded = true;
        }
    }

    pub(crate) fn selected_record(&self) -> Option<&ArticleRecord> {
        self.records.get(self.selected)
    }
}

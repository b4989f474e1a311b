//! The incoming list as the dashboard holds it: the filters, and a bounded window of records
//! (newest first) paged in from the engine as the selection nears either edge. The selection is an
//! article, not a row: new arrivals and pages added above it never move it. Pure state: it asks
//! for pages by returning requests and never talks to the engine itself.

use crate::model::{ArticleId, ArticleRecord, ListQuery, MatchRef, Status, Triage, TriageKind};
use crate::tui::feed::{FeedRequest, PageKind};
use crate::tui::paging::{MAX_ARRIVALS, PAGE};
use std::collections::VecDeque;

/// The most records the window holds; pages beyond it are dropped from the far edge.
pub const WINDOW_MAX: usize = 5 * PAGE;

/// The verdicts the filter cycles through, most wanted first.
const STATUS_CYCLE: [Status; 5] = [
    Status::Reprint,
    Status::Duplicate,
    Status::Partial,
    Status::Unique,
    Status::Rejected,
];

/// What the list shows: every field narrows; all empty shows everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Filters {
    pub(crate) status: Option<Status>,
    pub(crate) triage: Option<TriageKind>,
    pub(crate) source: Option<String>,
    pub(crate) text: Option<String>,
}

impl Filters {
    pub(crate) fn query(&self) -> ListQuery {
        ListQuery {
            status: self.status,
            triage: self.triage,
            source: self.source.clone(),
            text: self.text.clone(),
            limit: Some(PAGE),
            ..ListQuery::default()
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        *self == Filters::default()
    }

    pub(crate) fn cycle_status(&mut self) {
        self.status = match self.status {
            None => Some(STATUS_CYCLE[0]),
            Some(s) => STATUS_CYCLE
                .iter()
                .position(|&c| c == s)
                .and_then(|i| STATUS_CYCLE.get(i + 1).copied()),
        };
    }

    pub(crate) fn cycle_triage(&mut self) {
        // In the order of `TriageKind::ALL`, then back to all.
        let cycle = TriageKind::ALL;
        self.triage = match self.triage {
            None => Some(cycle[0]),
            Some(t) => cycle
                .iter()
                .position(|&c| c == t)
                .and_then(|i| cycle.get(i + 1).copied()),
        };
    }
}

/// The window of records and the selection in it.
#[derive(Debug, Default)]
pub struct ListWindow {
    pub rows: VecDeque<ArticleRecord>,
    pub selected: usize,
    /// The first row on screen (the view keeps the selection visible).
    pub(crate) offset: usize,
    /// The first row is the newest article that passes the filters.
    pub at_top: bool,
    /// The last row is the oldest article that passes the filters.
    pub at_end: bool,
    /// Bumped when the filters change: pages asked for under older filters are dropped.
    pub(crate) gen: u64,
    /// The page request in flight, if any (one at a time).
    pub loading: Option<PageKind>,
    /// A first page has arrived under the current filters.
    pub(crate) loaded: bool,
    /// Articles that arrived while the window was away from the top.
    pub(crate) new_above: u64,
    /// Arrivals to fetch, and whether a fetch is in flight.
    pending: Vec<ArticleId>,
    arrivals_in_flight: bool,
    /// Select the newest row when the next top page lands (`g`, refresh).
    select_first: bool,
    /// Select the oldest row when the oldest page lands (`G`).
    select_last: bool,
}

impl ListWindow {
    pub(crate) fn selected_record(&self) -> Option<&ArticleRecord> {
        self.rows.get(self.selected)
    }

    pub fn selected_id(&self) -> Option<ArticleId> {
        self.selected_record().map(|r| r.id)
    }

    fn page(&mut self, kind: PageKind, filters: &Filters) -> Option<FeedRequest> {
        if self.loading.is_some() {
            return None;
        }
        self.loading = Some(kind.clone());
        Some(FeedRequest::Page {
            gen: self.gen,
            kind,
            query: filters.query(),
        })
    }

    /// A fresh list from the newest. `clear` drops the rows now (the filters changed); otherwise
    /// they stay until the page lands and the selection keeps its article if it is still there.
    pub(crate) fn reload(&mut self, filters: &Filters, clear: bool) -> Option<FeedRequest> {
        self.gen += 1;
        self.loading = None;
        self.pending.clear();
        self.arrivals_in_flight = false;
        self.new_above = 0;
        if clear {
            self.rows.clear();
            self.selected = 0;
            self.offset = 0;
            self.loaded = false;
            self.at_top = false;
            self.at_end = false;
        }
        self.page(PageKind::Top, filters)
    }

    /// Ids per page in the window: how far above the first row a page of newer ones may reach.
    fn span_hint(&self) -> u64 {
        let (Some(first), Some(last)) = (self.rows.front(), self.rows.back()) else {
            return PAGE as u64;
        };
        let ids = first.id.saturating_sub(last.id) + 1;
        (ids * PAGE as u64 / self.rows.len().max(1) as u64).max(PAGE as u64 / 2)
    }

    /// Moves the selection by `delta` rows (clamped to what is loaded) and asks for the next
    /// page when it nears an edge of the window.
    pub(crate) fn move_by(&mut self, delta: isize, filters: &Filters) -> Option<FeedRequest> {
        if self.rows.is_empty() {
            return None;
        }
        let last = self.rows.len() - 1;
        self.selected = self.selected.saturating_add_signed(delta).min(last);
        self.need_page(filters)
    }

    /// The page the window needs next, if any.
    pub(crate) fn need_page(&mut self, filters: &Filters) -> Option<FeedRequest> {
        let (Some(first), Some(last)) = (self.rows.front(), self.rows.back()) else {
            return None;
        };
        let (first, last) = (first.id, last.id);
        if !self.at_end && self.selected + PAGE / 2 >= self.rows.len() {
            return self.page(PageKind::Older { after: last }, filters);
        }
        if !self.at_top && self.selected < PAGE / 2 {
            let span = self.span_hint();
            return self.page(PageKind::Newer { first, span }, filters);
        }
        None
    }

    /// `g`: the newest article; reloads when the window is away from the top.
    pub(crate) fn top(&mut self, filters: &Filters) -> Option<FeedRequest> {
        if self.at_top {
            self.selected = 0;
            return None;
        }
        self.select_first = true;
        self.reload(filters, false)
    }

    /// `G`: the oldest article; fetches the oldest page when the window does not hold it.
    pub(crate) fn bottom(&mut self, filters: &Filters) -> Option<FeedRequest> {
        if self.at_end || self.rows.is_empty() {
            self.selected = self.rows.len().saturating_sub(1);
            return None;
        }
        let span = self.span_hint();
        // A page in flight is superseded: the generation drops its answer.
        self.gen += 1;
        self.loading = None;
        self.select_last = true;
        self.page(PageKind::Oldest { span }, filters)
    }

    /// Takes a page; returns the next request if the window still needs one.
    pub(crate) fn apply_page(
        &mut self,
        gen: u64,
        kind: PageKind,
        records: Vec<ArticleRecord>,
        reached: (bool, bool),
        filters: &Filters,
    ) -> Option<FeedRequest> {
        if gen != self.gen || self.loading.as_ref() != Some(&kind) {
            return None;
        }
        self.loading = None;
        let (reached_top, reached_end) = reached;
        let keep = self.selected_id();
        match kind {
            PageKind::Top => {
                self.rows = records.into();
                self.at_top = true;
                self.at_end = reached_end;
                self.new_above = 0;
                let found = keep.and_then(|id| self.index_of(id));
                self.selected = match found {
                    Some(i) if !self.select_first => i,
                    _ => 0,
                };
                if self.selected == 0 {
                    self.offset = 0;
                }
                self.select_first = false;
                self.loaded = true;
            }
            PageKind::Older { after } => {
                if self.rows.back().map(|r| r.id) != Some(after) {
                    return None;
                }
                self.rows.extend(records);
                self.at_end = reached_end;
                self.trim_front();
            }
            PageKind::Newer { first, .. } => {
                if self.rows.front().map(|r| r.id) != Some(first) {
                    return None;
                }
                self.prepend(records, true);
                self.at_top = reached_top;
                if reached_top {
                    self.new_above = 0;
                }
            }
            PageKind::Oldest { .. } => {
                self.rows = records.into();
                self.at_end = true;
                self.at_top = reached_top;
                self.selected = self.rows.len().saturating_sub(1);
                self.offset = self.selected;
                self.select_last = false;
            }
        }
        self.clamp();
        self.need_page(filters)
    }

    /// A page request failed: stop waiting so a later move asks again.
    pub(crate) fn page_failed(&mut self) {
        self.loading = None;
        self.select_first = false;
        self.select_last = false;
    }

    fn index_of(&self, id: ArticleId) -> Option<usize> {
        self.rows.iter().position(|r| r.id == id)
    }

    /// Adds newer records above, keeping the selection on its article. `keep_view` keeps the
    /// rows on screen where they are; otherwise (arrivals while the top of the list is in view)
    /// the new rows show and the rows below move down.
    fn prepend(&mut self, newer: Vec<ArticleRecord>, keep_view: bool) {
        let had_rows = !self.rows.is_empty();
        let first = self.rows.front().map(|r| r.id);
        let mut added = 0;
        for r in newer
            .into_iter()
            .rev()
            .filter(|r| first.is_none_or(|f| r.id > f))
        {
            self.rows.push_front(r);
            added += 1;
        }
        if had_rows {
            self.selected += added;
            if keep_view {
                self.offset += added;
            }
        }
        self.trim_back();
    }

    fn trim_front(&mut self) {
        let excess = self.rows.len().saturating_sub(WINDOW_MAX);
        let drop = excess.min(self.selected.saturating_sub(PAGE / 2));
        if drop > 0 {
            self.rows.drain(..drop);
            self.selected -= drop;
            self.offset = self.offset.saturating_sub(drop);
            self.at_top = false;
        }
    }

    fn trim_back(&mut self) {
        let keep = WINDOW_MAX.max(self.selected + PAGE / 2 + 1);
        if self.rows.len() > keep {
            self.rows.truncate(keep);
            self.at_end = false;
        }
    }

    fn clamp(&mut self) {
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    /// A new article exists. Returns a request for the records of arrivals when the window
    /// shows the top and none is in flight.
    pub(crate) fn arrived(&mut self, id: ArticleId, filters: &Filters) -> Option<FeedRequest> {
        if !self.loaded || self.rows.front().is_some_and(|r| r.id >= id) {
            return None;
        }
        if !self.at_top {
            self.new_above += 1;
            return None;
        }
        self.pending.push(id);
        if self.pending.len() > MAX_ARRIVALS {
            // A flood: leave the window where it is and say how many wait above.
            self.new_above += self.pending.len() as u64;
            self.pending.clear();
            self.at_top = false;
            return None;
        }
        self.fetch_arrivals(filters)
    }

    fn fetch_arrivals(&mut self, filters: &Filters) -> Option<FeedRequest> {
        if self.arrivals_in_flight || self.pending.is_empty() {
            return None;
        }
        self.arrivals_in_flight = true;
        Some(FeedRequest::Arrivals {
            gen: self.gen,
            ids: std::mem::take(&mut self.pending),
            query: filters.query(),
        })
    }

    /// Records of arrivals that pass the filters.
    pub(crate) fn apply_arrivals(
        &mut self,
        gen: u64,
        records: Vec<ArticleRecord>,
        filters: &Filters,
    ) -> Option<FeedRequest> {
        // One answer per request, whatever its generation: the next may go.
        self.arrivals_in_flight = false;
        if gen != self.gen {
            return self.fetch_arrivals(filters);
        }
        if self.at_top {
            let keep_view = self.offset > 0;
            self.prepend(records, keep_view);
        }
        self.fetch_arrivals(filters)
    }

    pub(crate) fn arrivals_failed(&mut self) {
        self.arrivals_in_flight = false;
    }

    /// A triage change seen in the event log or an answer: the row shows it at once. A row that
    /// no longer passes a triage filter stays until the list is reloaded, so nothing moves
    /// under the editor's cursor.
    pub(crate) fn update(
        &mut self,
        id: ArticleId,
        triage: &Triage,
        status: Status,
        matched: &Option<MatchRef>,
    ) {
        if let Some(r) = self.rows.iter_mut().find(|r| r.id == id) {
            super::reading::refresh(r, triage, status, matched);
        }
    }

    /// Selects the row at `index` if it exists.
    pub(crate) fn select(&mut self, index: usize, filters: &Filters) -> Option<FeedRequest> {
        if index < self.rows.len() {
            self.selected = index;
        }
        self.need_page(filters)
    }
}

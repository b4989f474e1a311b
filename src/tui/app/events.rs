//! How the app takes what the feed says: connection changes, pages, articles, comparisons,
//! counts, triage answers and the live event log. Part of `App::update`; pure like it.

use super::reading::refresh;
use super::{join_text, App, Effect, View};
use crate::model::{ArticleId, EventKind, MatchRef, Status, Triage};
use crate::tui::feed::{FeedMsg, FeedRequest};

/// Arrival times kept for the rate.
const RATE_MEMORY: usize = 10_000;

impl App {
    pub(super) fn on_feed(&mut self, msg: FeedMsg, fx: &mut Vec<Effect>) {
        if !matches!(msg, FeedMsg::Event(_) | FeedMsg::Waiting { .. }) {
            self.waiting = None;
        }
        match msg {
            FeedMsg::Waiting { what, secs } => {
                self.waiting = Some(format!(
                    "the engine has not answered the {what} for {secs} s; still waiting"
                ));
            }
            FeedMsg::Connected { mode, inbox, you } => {
                let before = self.conn.mode.replace(mode);
                self.conn.inbox = inbox;
                self.conn.you = you;
                // Lost before the first connection is the daemon starting, not an outage.
                if self.conn.lost.take().is_some() && before.is_some() {
                    self.say("reconnected; caught up from the event log");
                }
                if !self.list.loaded && self.list.loading.is_none() {
                    let r = self.list.reload(&self.filters, false);
                    Self::request(fx, r);
                }
                self.stats_wanted = true;
                self.want_stats(fx);
            }
            FeedMsg::Lost { reason } => {
                self.conn.lost = Some(reason);
                self.list.page_failed();
                self.list.arrivals_failed();
                self.stats_in_flight = false;
            }
            FeedMsg::Page {
                gen,
                kind,
                records,
                reached_top,
                reached_end,
            } => {
                let r = self.list.apply_page(
                    gen,
                    kind,
                    records,
                    (reached_top, reached_end),
                    &self.filters,
                );
                Self::request(fx, r);
            }
            FeedMsg::Arrived { gen, records } => {
                let r = self.list.apply_arrivals(gen, records, &self.filters);
                Self::request(fx, r);
            }
            FeedMsg::Detail(d) => {
                let query = self.filters.text.as_deref();
                self.preview.fill(&d, query);
                for v in &mut self.views {
                    if let View::Detail(r) = v {
                        r.fill_detail(&d, query);
                    }
                }
                if self.pending_copy == Some(d.record.id) {
                    self.pending_copy = None;
                    fx.push(Effect::Copy {
                        what: "text",
                        text: join_text(&d.paragraphs),
                    });
                }
            }
            FeedMsg::Comparison(c) => {
                let query = self.filters.text.as_deref();
                for v in &mut self.views {
                    match v {
                        View::Detail(r) => r.fill_comparison(&c, query),
                        View::Compare(cmp) => cmp.fill(&c),
                        View::Story(_) => {}
                    }
                }
            }
            FeedMsg::Story { id, records } => {
                for v in &mut self.views {
                    if let View::Story(s) = v {
                        s.fill(id, records.clone());
                    }
                }
            }
            FeedMsg::Stats(s) => {
                self.stats = Some(s);
                self.stats_in_flight = false;
            }
            FeedMsg::Triaged { records, undo } => {
                if undo {
                    self.say(format!("undone on {} article(s)", records.len()));
                } else {
                    self.undo.confirmed();
                    if let Some(r) = records.first() {
                        let who = r.triage.by.as_deref().unwrap_or("?");
                        self.say(format!(
                            "{} by {} on {} article(s); u undoes",
                            r.triage.state,
                            crate::text::sanitize::sanitize_line(who),
                            records.len()
                        ));
                    }
                }
                for r in &records {
                    self.changed(r.id, &r.triage, r.status, &r.matched);
                }
                self.stats_wanted = true;
            }
            FeedMsg::Event(e) => match e.kind {
                EventKind::Verdict { verdict } => {
                    self.arrivals.push_back(e.at_ms);
                    while self.arrivals.len() > RATE_MEMORY {
                        self.arrivals.pop_front();
                    }
                    self.stats_wanted = true;
                    if let Some(id) = verdict.id {
                        let r = self.list.arrived(id, &self.filters);
                        Self::request(fx, r);
                    }
                }
                EventKind::Triage {
                    id,
                    triage,
                    status,
                    matched,
                } => {
                    self.changed(id, &triage, status, &matched);
                    self.stats_wanted = true;
                }
            },
            FeedMsg::Report(r) => self.fail(format!("inbox: {r}")),
            FeedMsg::Failed { request, message } => {
                match *request {
                    FeedRequest::Page { .. } => self.list.page_failed(),
                    FeedRequest::Arrivals { .. } => self.list.arrivals_failed(),
                    FeedRequest::Stats => self.stats_in_flight = false,
                    FeedRequest::Triage { undo: false, .. } => self.undo.refused(),
                    _ => {}
                }
                self.fail(message);
            }
        }
    }

    /// A triage change, from an answer or from the event log: every view shows it at once.
    fn changed(
        &mut self,
        id: ArticleId,
        triage: &Triage,
        status: Status,
        matched: &Option<MatchRef>,
    ) {
        self.list.update(id, triage, status, matched);
        self.marks.update(id, triage, matched);
        if let Some(d) = self.preview.detail.as_mut().filter(|d| d.record.id == id) {
            refresh(&mut d.record, triage, status, matched);
        }
        for v in &mut self.views {
            match v {
                View::Detail(r) if r.id == id => refresh(&mut r.record, triage, status, matched),
                View::Compare(c) => {
                    for r in [c.this.as_mut(), c.original.as_mut()].into_iter().flatten() {
                        if r.id == id {
                            refresh(r, triage, status, matched);
                        }
                    }
                }
                View::Story(s) => {
                    for r in s.records.iter_mut().filter(|r| r.id == id) {
                        refresh(r, triage, status, matched);
                    }
                }
                View::Detail(_) => {}
            }
        }
    }
}

//! Paging a newest-first listing through the engine's `ListQuery` (`before` + `limit`), so the
//! dashboard holds a bounded window of records however large the database: a page older than
//! the window, one newer than it (found by probing `before` ids above the window's first row),
//! the oldest page, and the records of new arrivals that pass the filters. Runs on the feed
//! thread; must not hold state between calls.

use super::feed::{unexpected, Engine, PageKind};
use crate::model::{ArticleId, ArticleRecord, ListQuery, Request, Response};
use anyhow::{bail, Result};

/// Records per page.
pub(crate) const PAGE: usize = 200;
/// Probes one page request may make before it gives up.
const MAX_PROBES: usize = 32;
/// A span this wide is "everything above": probe without `before`.
const ALL_IDS: u64 = 1 << 40;
/// The most arrivals fetched in one request.
pub(crate) const MAX_ARRIVALS: usize = 2_000;

/// One page, newest first.
#[derive(Debug, Default)]
pub(crate) struct Page {
    pub(crate) records: Vec<ArticleRecord>,
    pub(crate) reached_top: bool,
    pub(crate) reached_end: bool,
}

fn list(
    engine: &mut dyn Engine,
    q: &ListQuery,
    before: Option<ArticleId>,
    limit: usize,
) -> Result<Vec<ArticleRecord>> {
    let query = ListQuery {
        before,
        limit: Some(limit),
        ..q.clone()
    };
    match engine.call(Request::List { query })? {
        Response::Records { records, .. } => Ok(records),
        other => Err(unexpected(&other)),
    }
}

pub(crate) fn fetch(engine: &mut dyn Engine, kind: &PageKind, q: &ListQuery) -> Result<Page> {
    match *kind {
        PageKind::Top => {
            let records = list(engine, q, None, PAGE)?;
            Ok(Page {
                reached_top: true,
                reached_end: records.len() < PAGE,
                records,
            })
        }
        PageKind::Older { after } => {
            let records = list(engine, q, Some(after), PAGE)?;
            Ok(Page {
                reached_top: false,
                reached_end: records.len() < PAGE,
                records,
            })
        }
        PageKind::Newer { first, span } => newer(engine, q, first, span),
        PageKind::Oldest { span } => oldest(engine, q, span),
    }
}

fn before_for(first: ArticleId, span: u64) -> Option<ArticleId> {
    (span < ALL_IDS)
        .then(|| first.checked_add(span)?.checked_add(1))
        .flatten()
}

/// Records newer than `first`, the nearest ones, without a gap. A listing answers the newest
/// `PAGE` below `before`; when all of them are above `first` and the lowest is not `first + 1`,
/// matches may lie between, so the probe narrows to below that lowest one. An empty range widens.
fn newer(engine: &mut dyn Engine, q: &ListQuery, first: ArticleId, span: u64) -> Result<Page> {
    let mut span = span.max(1);
    for _ in 0..MAX_PROBES {
        let before = before_for(first, span);
        let newer: Vec<ArticleRecord> = list(engine, q, before, PAGE)?
            .into_iter()
            .filter(|r| r.id > first)
            .collect();
        match newer.last() {
            Some(low) if newer.len() == PAGE && low.id > first + 1 => {
                span = low.id - first - 1;
            }
            None if before.is_some() => span = span.saturating_mul(8),
            _ => {
                return Ok(Page {
                    records: newer,
                    reached_top: before.is_none(),
                    reached_end: false,
                })
            }
        }
    }
    bail!("could not find the articles above #{first}; press g to go to the newest")
}

/// The oldest page: probes `before` from a low guess, down while pages come back full, up while
/// they come back empty.
fn oldest(engine: &mut dyn Engine, q: &ListQuery, span: u64) -> Result<Page> {
    let mut before = before_for(0, span.max(1));
    let mut last_full: Option<Vec<ArticleRecord>> = None;
    for _ in 0..MAX_PROBES {
        let records = list(engine, q, before, PAGE)?;
        // Ids start at 1: a page that reaches #1 is the oldest, full or not.
        if records.len() == PAGE && records.last().is_some_and(|r| r.id > 1) {
            before = records.last().map(|r| r.id);
            last_full = Some(records);
            continue;
        }
        if records.is_empty() {
            if let Some(full) = last_full {
                return Ok(Page {
                    records: full,
                    reached_top: false,
                    reached_end: true,
                });
            }
            if let Some(b) = before {
                before = before_for(0, b.saturating_mul(8));
                continue;
            }
        }
        return Ok(Page {
            reached_top: before.is_none() && last_full.is_none(),
            reached_end: true,
            records,
        });
    }
    bail!("could not find the oldest articles; try a narrower filter")
}

/// The records of newly arrived articles that pass `q`, newest first: one listing of the id
/// range they span (a range scan in the engine, however large the database), filtered there.
pub fn arrivals(
    engine: &mut dyn Engine,
    ids: &[ArticleId],
    q: &ListQuery,
) -> Result<Vec<ArticleRecord>> {
    let (Some(&lo), Some(&hi)) = (ids.iter().min(), ids.iter().max()) else {
        return Ok(Vec::new());
    };
    let span = usize::try_from(hi - lo + 1).unwrap_or(usize::MAX);
    let query = ListQuery {
        after: lo.checked_sub(1),
        ..q.clone()
    };
    let mut records = list(engine, &query, hi.checked_add(1), span.min(MAX_ARRIVALS))?;
    records.retain(|r| ids.contains(&r.id));
    Ok(records)
}

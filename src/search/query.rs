//! Answering a query from a snapshot of the index: the articles that hold every word (as far as
//! the terms can tell) and the source, newest first, within an id range. Reads segments only;
//! records and texts are the caller's to check.

use super::folder::Snapshot;
use super::segment::Bits;
use super::terms::Word;
use super::SearchError;
use crate::store::ArticleId;
use std::ops::ControlFlow;

/// Calls `visit` with each candidate id, newest first, above `after` and below `before`, until
/// it breaks. A candidate's terms contain every piece of every word, and its normalised source
/// is `source` when one is given: so it holds every exact word (`Word::is_exact`), and an
/// article that is not a candidate matches no query with these words. Words that are not exact
/// are left for the caller to confirm on the text.
pub fn candidates<E: From<SearchError>>(
    snapshot: &Snapshot,
    words: &[Word],
    source: Option<&str>,
    after: Option<ArticleId>,
    before: Option<ArticleId>,
    mut visit: impl FnMut(ArticleId) -> Result<ControlFlow<()>, E>,
) -> Result<(), E> {
    let after = after.unwrap_or(0);
    let before = before.unwrap_or(ArticleId::MAX);
    // Longer pieces first: they tend to be rarer, and an empty set ends a segment's work early.
    let mut pieces: Vec<&str> = words
        .iter()
        .flat_map(|w| w.pieces.iter().map(String::as_str))
        .collect();
    pieces.sort_unstable_by_key(|p| std::cmp::Reverse(p.len()));
    pieces.dedup();
    let mut buf = Vec::new();
    for seg in snapshot.segments.iter().rev() {
        if seg.hi <= after || seg.lo >= before {
            continue;
        }
        let mut set: Option<Bits> = None;
        let io = |e: std::io::Error| E::from(SearchError::Io(e));
        if let Some(s) = source {
            set = Some(seg.with_source(s, &mut buf).map_err(io)?);
        }
        for p in &pieces {
            if set.as_ref().is_some_and(Bits::is_empty) {
                break;
            }
            let s = seg.with_piece(p, &mut buf).map_err(io)?;
            match &mut set {
                Some(acc) => acc.and(&s),
                None => set = Some(s),
            }
        }
        let set = set.unwrap_or_else(|| seg.all());
        for offset in set.iter_rev() {
            let id = seg.lo + offset as u64;
            if id >= before {
                continue;
            }
            if id <= after {
                break;
            }
            if visit(id)?.is_break() {
                return Ok(());
            }
        }
    }
    Ok(())
}

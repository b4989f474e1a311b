//! Answering a query from a snapshot of the index: the articles that hold every word (as far as
//! the terms can tell) and the source, newest first, within an id range. Each piece of a word is
//! looked up once in the shared dictionary (one substring search over every term), then by id
//! in each segment. Reads the index only; records and texts are the caller's to check.

use super::bits::Bits;
use super::dict::Expansion;
use super::folder::Snapshot;
use super::terms::Word;
use super::SearchError;
use crate::model::ArticleId;
use std::ops::ControlFlow;

/// Rough costs on this project's machine, in nanoseconds: a term looked up in a segment (a block
/// of its table read), one posting decoded, and one article's words confirmed on its text (a
/// record and a compressed story read, the story normalised).
const TERM_NS: u64 = 1_000;
const POSTING_NS: u64 = 5;
const CHECK_NS: u64 = 40_000;

/// Calls `visit` with each candidate id, newest first, above `after` and below `before`, until
/// it breaks. A candidate's normalised source is `source` when one is given, and an article
/// that is not a candidate matches no query with these words. With `checked` true, the
/// candidate's terms contain every piece of every word, so it holds every exact word
/// (`Word::is_exact`) and only the other words are left to confirm on the text; with `checked`
/// false, some piece was too common to be worth reading its postings (it would have cost more
/// than confirming the words on the candidates' texts), and every word must be confirmed.
/// `page` is how many matches the caller wants, which bounds what confirming costs.
#[allow(clippy::too_many_arguments)]
pub fn candidates<E: From<SearchError>>(
    snapshot: &Snapshot,
    words: &[Word],
    source: Option<&str>,
    after: Option<ArticleId>,
    before: Option<ArticleId>,
    page: usize,
    mut visit: impl FnMut(ArticleId, bool) -> Result<ControlFlow<()>, E>,
) -> Result<(), E> {
    let after = after.unwrap_or(0);
    let before = before.unwrap_or(ArticleId::MAX);
    let mut pieces: Vec<&str> = words
        .iter()
        .flat_map(|w| w.pieces.iter().map(String::as_str))
        .collect();
    pieces.sort_unstable();
    pieces.dedup();
    let mut expansions: Vec<Expansion> = pieces.iter().map(|p| snapshot.terms.expand(p)).collect();
    // A piece in no term at all: no indexed article holds the word (see `Word::pieces`).
    if expansions.iter().any(|e| e.ids.is_empty()) {
        return Ok(());
    }
    // The rarest pieces first: the set shrinks fastest, and an empty one ends the work.
    expansions.sort_unstable_by_key(|e| e.df);
    let total = snapshot
        .segments
        .iter()
        .map(|s| u64::from(s.docs))
        .sum::<u64>()
        .max(1);
    let mut buf = Vec::new();
    let io = |e: std::io::Error| E::from(SearchError::Io(e));
    for seg in snapshot.segments.iter().rev() {
        if seg.hi <= after || seg.lo >= before {
            continue;
        }
        let docs = u64::from(seg.docs.max(1));
        let mut set: Option<Bits> = match source {
            Some(s) => Some(seg.with_source(s, &mut buf).map_err(io)?),
            None => None,
        };
        let mut checked = true;
        for e in &expansions {
            let held = match &set {
                Some(s) if s.is_empty() => break,
                Some(s) => s.count() as u64,
                None => docs,
            };
            // This segment's share of the piece's postings, as the counts estimate it.
            let postings = e.df.saturating_mul(docs) / total;
            let read = e.ids.len() as u64 * TERM_NS + postings * POSTING_NS;
            // Confirming instead: the candidates visited before a page fills, at most every
            // candidate so far (about page / the share of articles holding the piece, taking
            // the piece and what narrowed the candidates down as unrelated).
            let visits = held.min((page as u64).saturating_mul(docs) / postings.max(1));
            if read > visits.saturating_mul(CHECK_NS) {
                checked = false;
                continue;
            }
            let u = seg.union(&e.ids, &mut buf).map_err(io)?;
            match &mut set {
                Some(acc) => acc.and(&u),
                None => set = Some(u),
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
            if visit(id, checked)?.is_break() {
                return Ok(());
            }
        }
    }
    Ok(())
}

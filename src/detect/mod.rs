//! The verdict: given a new page and a verified candidate, decide whether the new one is a
//! duplicate, a reprint or a partial reuse of it, or unrelated. Pure: values in, values out.

pub mod index;
pub(crate) mod page;
pub(crate) mod verify;

use crate::model::{BlockInfo, Status};
use page::{Evidence, Page};
use std::collections::HashSet;
use verify::Overlap;

/// Thresholds of the verdict (validated from config).
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Coverage, in either direction, from which a text is the same story.
    pub(crate) reprint_min: f32,
    /// Words in shared passages from which two stories are partial reuse.
    pub(crate) partial_min_words: u32,
    /// Shortest run of shared words that counts as a passage.
    pub(crate) passage_min_words: u32,
    /// Short blocks (menus, labels) two pages must share to be counted as one site's template.
    pub(crate) chrome_min_blocks: usize,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            reprint_min: 0.6,
            partial_min_words: 25,
            passage_min_words: 8,
            chrome_min_blocks: 3,
        }
    }
}

/// One side of a comparison: the story's shingles and words, and every block of its page.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    pub shingles: &'a [u64],
    pub words: usize,
    pub blocks: &'a [BlockInfo],
    /// The site the page names (`site_key`), 0 when it names none.
    pub site: u64,
}

impl Side<'_> {
    fn page(&self) -> Page<'_> {
        Page {
            blocks: self.blocks,
            site: self.site,
        }
    }
}

/// The verdict of one comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub status: Status,
    /// How much of one story the other covers (the larger share): what a flag reports.
    pub similarity: f32,
    pub(crate) overlap: Overlap,
    /// What the whole pages say of each other.
    pub(crate) evidence: Evidence,
}

/// Judges a new page against one earlier page.
///
/// The stories' overlap proposes (a story covering most of the other's words is the same story;
/// shared passages are partial reuse); the whole pages dispose: a reprint or a duplicate needs
/// the pages' own prose to agree (`page::evidence`), so an extraction that took the same sidebar
/// for both stories, or a story that quotes all of a short one, is no reprint.
pub fn judge(new: &Side, old: &Side, p: &Params) -> Judgement {
    judge_with(&NewSide::of(new), new, old, p)
}

/// A new story's shingles indexed once for judging it against each of its candidates.
pub struct NewSide(verify::Indexed);

impl NewSide {
    pub fn of(new: &Side) -> NewSide {
        NewSide(verify::Indexed::new(new.shingles, new.words))
    }
}

/// `judge`, with the new story's shingles indexed beforehand (`NewSide::of(new)`).
pub fn judge_with(indexed: &NewSide, new: &Side, old: &Side, p: &Params) -> Judgement {
    let overlap = indexed.0.overlap(old.shingles, old.words);
    let similarity = overlap.similarity();
    let (new_passages, old_passages) = overlap.passage_words(p.passage_min_words);
    let shares_passages = new_passages.max(old_passages) >= p.partial_min_words;
    // The pages are weighed only when the stories would be flagged: most candidates share a
    // stock phrase or two and are settled by the stories alone.
    let evidence = if similarity >= p.reprint_min || shares_passages {
        page::evidence(&new.page(), &old.page(), &overlap, p.chrome_min_blocks)
    } else {
        Evidence::default()
    };
    let status = if similarity >= p.reprint_min && !evidence.different {
        Status::Reprint
    } else if shares_passages && !template_explains(new, old, &overlap, p, &evidence) {
        Status::Partial
    } else {
        Status::Unique
    };
    Judgement {
        status,
        similarity,
        overlap,
        evidence,
    }
}

/// Whether what two stories share is template. When the pages share chrome (the page evidence
/// says so), template is every whole block found verbatim on both pages: the shared passages
/// must lie in those, like a footer or a teaser list, not in prose that was quoted. Otherwise
/// template is what lies at the edges of both stories, before or after each story's own text (a
/// caption, an author's note, a notice, a server's warnings): a story quotes another inside
/// itself, with its own text around the quote. (Sub-headings quoted with a passage sit inside
/// the story, so they are no evidence of a template.)
fn template_explains(new: &Side, old: &Side, overlap: &Overlap, p: &Params, ev: &Evidence) -> bool {
    if !ev.some_chrome {
        // Passage words outside a story's edges.
        let inside = |runs: &[(u32, u32)], (lead, trail): (u32, u32)| -> u32 {
            runs.iter()
                .filter(|&&(a, b)| b - a >= p.passage_min_words)
                .map(|&(a, b)| b.min(trail).saturating_sub(a.max(lead)))
                .sum()
        };
        return inside(&overlap.new_runs, ev.new.edges) < p.passage_min_words
            && inside(&overlap.old_runs, ev.old.edges) < p.passage_min_words;
    }
    let template: HashSet<u64> = old.blocks.iter().map(|b| b.hash).collect();
    // Word ranges of the new story's kept blocks that are template.
    let mut verbatim = Vec::new();
    let mut at = 0u32;
    for b in new.blocks.iter().filter(|b| b.kept) {
        if template.contains(&b.hash) {
            match verbatim.last_mut() {
                Some((_, end)) if *end == at => *end = at + b.words,
                _ => verbatim.push((at, at + b.words)),
            }
        }
        at += b.words;
    }
    // Shared words outside those blocks must not add up to a passage of their own.
    let outside: u32 = overlap
        .new_runs
        .iter()
        .filter(|&&(a, b)| b - a >= p.passage_min_words)
        .map(|&(a, b)| {
            let inside: u32 = verbatim
                .iter()
                .map(|&(s, e)| e.min(b).saturating_sub(s.max(a)))
                .sum();
            (b - a) - inside
        })
        .sum();
    outside < p.passage_min_words
}

//! The verdict: given a new story and a verified candidate, decide whether the new one is a
//! duplicate, a reprint or a partial reuse of it, or unrelated. Pure: values in, values out.

pub mod index;
pub(crate) mod verify;

use crate::model::{BlockInfo, Status};
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

/// One side of a comparison.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    pub shingles: &'a [u64],
    pub words: usize,
    pub blocks: &'a [BlockInfo],
}

/// The verdict of one comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub status: Status,
    pub similarity: f32,
    pub(crate) overlap: Overlap,
}

/// Blocks shorter than this are labels and menu items, the chrome of a site's template.
const CHROME_MAX_WORDS: u32 = 15;

/// Judges a new story against one earlier story.
pub fn judge(new: &Side, old: &Side, p: &Params) -> Judgement {
    let overlap = verify::overlap(new.shingles, new.words, old.shingles, old.words);
    let similarity = overlap.similarity();
    let (new_passages, old_passages) = overlap.passage_words(p.passage_min_words);
    let status = if similarity >= p.reprint_min {
        Status::Reprint
    } else if new_passages.max(old_passages) >= p.partial_min_words
        && !template_explains(new, old, &overlap, p)
    {
        Status::Partial
    } else {
        Status::Unique
    };
    Judgement {
        status,
        similarity,
        overlap,
    }
}

/// Whether what two stories share is their site's template: the pages share several chrome
/// blocks (labels, menu items) outside the new story, and the shared passages lie in whole blocks
/// found verbatim on both pages, like a footer, not in prose that was quoted. (Sub-headings
/// quoted with a passage sit inside the story, so they are no evidence of a template.)
fn template_explains(new: &Side, old: &Side, overlap: &Overlap, p: &Params) -> bool {
    let old_hashes: HashSet<u64> = old.blocks.iter().map(|b| b.hash).collect();
    let chrome: HashSet<u64> = new
        .blocks
        .iter()
        .filter(|b| !b.kept && b.words > 0 && b.words < CHROME_MAX_WORDS)
        .filter(|b| old_hashes.contains(&b.hash))
        .map(|b| b.hash)
        .collect();
    if chrome.len() < p.chrome_min_blocks {
        return false;
    }
    // Word ranges of the new story's kept blocks that occur verbatim on the old page.
    let mut verbatim = Vec::new();
    let mut at = 0u32;
    for b in new.blocks.iter().filter(|b| b.kept) {
        if old_hashes.contains(&b.hash) {
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

//! Candidate verification: how much of each text the other covers, measured over word shingles.
//! A word counts as covered when a shingle containing it occurs in the other text, which keeps
//! the measure steady under light edits (an edit uncovers its own words, not its neighbours').
//! Shingles are matched as a multiset: a passage repeated five times in one text is covered by
//! five copies in the other, not by one, so a page that repeats itself is not "all reused" when
//! one copy of the repeated part was quoted.

use crate::fingerprint::SHINGLE_WORDS;
use rustc_hash::FxHashMap as HashMap;

/// What two texts share.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Overlap {
    /// Share of the new text's words covered by the old text.
    pub(crate) new_coverage: f32,
    /// Share of the old text's words covered by the new text.
    pub(crate) old_coverage: f32,
    /// Runs of covered words in the new text, as word ranges `[start, end)`.
    pub(crate) new_runs: Vec<(u32, u32)>,
    /// Runs of covered words in the old text.
    pub(crate) old_runs: Vec<(u32, u32)>,
}

impl Overlap {
    pub(crate) fn similarity(&self) -> f32 {
        self.new_coverage.max(self.old_coverage)
    }

    /// Words in runs of at least `min_run` words, on the new side and the old side.
    pub(crate) fn passage_words(&self, min_run: u32) -> (u32, u32) {
        let sum = |runs: &[(u32, u32)]| {
            runs.iter()
                .map(|&(a, b)| b - a)
                .filter(|&len| len >= min_run)
                .sum::<u32>()
        };
        (sum(&self.new_runs), sum(&self.old_runs))
    }
}

/// Compares two texts by their positional shingle hashes and word counts.
pub(crate) fn overlap(new: &[u64], new_words: usize, old: &[u64], old_words: usize) -> Overlap {
    let new_cov = covered(new, new_words, counts(old));
    let old_cov = covered(old, old_words, counts(new));
    Overlap {
        new_coverage: share(&new_cov),
        old_coverage: share(&old_cov),
        new_runs: runs(&new_cov),
        old_runs: runs(&old_cov),
    }
}

fn counts(shingles: &[u64]) -> HashMap<u64, u32> {
    let mut m = HashMap::with_capacity_and_hasher(shingles.len(), Default::default());
    for &h in shingles {
        *m.entry(h).or_insert(0) += 1;
    }
    m
}

fn covered(shingles: &[u64], words: usize, mut other: HashMap<u64, u32>) -> Vec<bool> {
    let mut cov = vec![false; words];
    for (i, h) in shingles.iter().enumerate() {
        let left = other.get_mut(h).filter(|n| **n > 0);
        if let Some(n) = left {
            *n -= 1;
            let end = (i + SHINGLE_WORDS).min(words);
            cov[i..end].iter_mut().for_each(|c| *c = true);
        }
    }
    cov
}

fn share(cov: &[bool]) -> f32 {
    if cov.is_empty() {
        return 0.0;
    }
    cov.iter().filter(|&&c| c).count() as f32 / cov.len() as f32
}

fn runs(cov: &[bool]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &c) in cov.iter().chain(std::iter::once(&false)).enumerate() {
        match (c, start) {
            (true, None) => start = Some(i as u32),
            (false, Some(s)) => {
                out.push((s, i as u32));
                start = None;
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::Tokens;

    fn ov(a: &str, b: &str) -> Overlap {
        let (ta, tb) = (Tokens::new(a), Tokens::new(b));
        overlap(
            &ta.shingle_hashes(),
            ta.len(),
            &tb.shingle_hashes(),
            tb.len(),
        )
    }

    #[test]
    fn identical_texts_cover_each_other() {
        let o = ov("a b c d e f g", "a b c d e f g");
        assert_eq!((o.new_coverage, o.old_coverage), (1.0, 1.0));
        assert_eq!(o.new_runs, [(0, 7)]);
    }

    #[test]
    fn a_text_cut_short_is_covered_by_the_whole() {
        let o = ov("a b c d e", "a b c d e f g h i j");
        assert_eq!(o.new_coverage, 1.0);
        assert_eq!(o.old_coverage, 0.5);
    }

    #[test]
    fn one_edit_uncovers_only_its_neighbourhood() {
        let o = ov("a b c d X f g h i j", "a b c d e f g h i j");
        assert_eq!(o.new_runs, [(0, 4), (5, 10)]);
        assert!((o.new_coverage - 0.9).abs() < 1e-6);
    }

    #[test]
    fn a_repeated_passage_is_covered_once_per_copy() {
        // The old text says the same thing three times; the new one quotes it once.
        let o = ov("x y z a b c d q r s", "a b c d a b c d a b c d");
        assert!((o.old_coverage - 4.0 / 12.0).abs() < 1e-6, "{o:?}");
        assert_eq!(o.new_runs, [(3, 7)]);
    }

    #[test]
    fn unrelated_texts_share_nothing() {
        let o = ov("one two three four", "five six seven eight");
        assert_eq!(o.similarity(), 0.0);
        assert!(o.new_runs.is_empty());
    }
}

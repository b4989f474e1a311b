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
    Indexed::new(new, new_words).overlap(old, old_words)
}

/// Bits of the filter `Indexed` keeps: 2 KB, so that for a story of 800 words about one
/// look-up in twenty of a shingle the story does not hold passes it.
const FILTER_BITS: u32 = 14;

/// A text's shingles indexed once for comparison with many others (a new story with each of
/// its candidates): per distinct hash, the positions where it occurs, in order. Comparing then
/// costs one look-up per shingle of the other text, and work in proportion to what the two
/// share, rather than a hash map of each text built per pair.
pub(crate) struct Indexed {
    words: usize,
    /// One bit per value of a hash's low `FILTER_BITS` bits, set for the text's hashes: most
    /// shingles of another text are not in this one, and the bit says so without a look-up.
    filter: Vec<u64>,
    /// Hash → its group: the positions `positions[starts[g]..starts[g + 1]]`.
    groups: HashMap<u64, u32>,
    starts: Vec<u32>,
    positions: Vec<u32>,
}

impl Indexed {
    pub(crate) fn new(shingles: &[u64], words: usize) -> Indexed {
        let mut groups: HashMap<u64, u32> =
            HashMap::with_capacity_and_hasher(shingles.len(), Default::default());
        let mut of_position = Vec::with_capacity(shingles.len());
        let mut sizes: Vec<u32> = Vec::new();
        for h in shingles {
            let next = sizes.len() as u32;
            let g = *groups.entry(*h).or_insert(next);
            if g == next {
                sizes.push(0);
            }
            sizes[g as usize] += 1;
            of_position.push(g);
        }
        let mut starts = Vec::with_capacity(sizes.len() + 1);
        let mut at = 0u32;
        for n in &sizes {
            starts.push(at);
            at += n;
        }
        starts.push(at);
        // Filled in text order, so each group's positions ascend.
        let mut fill = starts.clone();
        let mut positions = vec![0u32; shingles.len()];
        for (i, g) in of_position.into_iter().enumerate() {
            positions[fill[g as usize] as usize] = i as u32;
            fill[g as usize] += 1;
        }
        let mut filter = vec![0u64; (1 << FILTER_BITS) / 64];
        for h in shingles {
            let bit = (*h as usize) & ((1 << FILTER_BITS) - 1);
            filter[bit / 64] |= 1 << (bit % 64);
        }
        Indexed {
            words,
            filter,
            groups,
            starts,
            positions,
        }
    }

    fn group(&self, g: u32) -> &[u32] {
        &self.positions[self.starts[g as usize] as usize..self.starts[g as usize + 1] as usize]
    }

    /// What this text (the new one) and `old` share. Shingles match as a multiset: the k-th
    /// occurrence of a hash in one text is covered when the other holds it more than k times.
    pub(crate) fn overlap(&self, old: &[u64], old_words: usize) -> Overlap {
        // Per shared group: how often the old text holds its hash.
        let mut held: HashMap<u32, u32> = HashMap::default();
        let mut old_starts = Vec::new();
        for (j, h) in old.iter().enumerate() {
            let bit = (*h as usize) & ((1 << FILTER_BITS) - 1);
            if self.filter[bit / 64] & (1 << (bit % 64)) == 0 {
                continue;
            }
            let Some(&g) = self.groups.get(h) else {
                continue;
            };
            let k = held.entry(g).or_insert(0);
            if (*k as usize) < self.group(g).len() {
                old_starts.push(j as u32);
            }
            *k += 1;
        }
        let mut new_starts: Vec<u32> = held
            .iter()
            .flat_map(|(&g, &n)| {
                let at = self.group(g);
                at[..at.len().min(n as usize)].iter().copied()
            })
            .collect();
        new_starts.sort_unstable();
        let (new_runs, new_covered) = runs_of(&new_starts, self.words);
        let (old_runs, old_covered) = runs_of(&old_starts, old_words);
        Overlap {
            new_coverage: share(new_covered, self.words),
            old_coverage: share(old_covered, old_words),
            new_runs,
            old_runs,
        }
    }
}

/// The runs of words covered by the shingles starting at `starts` (ascending) in a text of
/// `words` words, and how many words they hold.
fn runs_of(starts: &[u32], words: usize) -> (Vec<(u32, u32)>, usize) {
    let words = words as u32;
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for &s in starts.iter().filter(|&&s| s < words) {
        let end = (s + SHINGLE_WORDS as u32).min(words);
        match runs.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(end),
            _ => runs.push((s, end)),
        }
    }
    let covered = runs.iter().map(|&(a, b)| (b - a) as usize).sum();
    (runs, covered)
}

fn share(covered: usize, words: usize) -> f32 {
    if words == 0 {
        return 0.0;
    }
    covered as f32 / words as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::Tokens;
    use proptest::prelude::*;

    /// The comparison as it was first written, a hash map of each text per pair and a flag per
    /// word: what `Indexed::overlap` must answer exactly.
    fn reference(new: &[u64], new_words: usize, old: &[u64], old_words: usize) -> Overlap {
        fn counts(shingles: &[u64]) -> HashMap<u64, u32> {
            let mut m = HashMap::default();
            for &h in shingles {
                *m.entry(h).or_insert(0) += 1;
            }
            m
        }
        fn covered(shingles: &[u64], words: usize, mut other: HashMap<u64, u32>) -> Vec<bool> {
            let mut cov = vec![false; words];
            for (i, h) in shingles.iter().enumerate() {
                if let Some(n) = other.get_mut(h).filter(|n| **n > 0) {
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
        let new_cov = covered(new, new_words, counts(old));
        let old_cov = covered(old, old_words, counts(new));
        Overlap {
            new_coverage: share(&new_cov),
            old_coverage: share(&old_cov),
            new_runs: runs(&new_cov),
            old_runs: runs(&old_cov),
        }
    }

    /// Shingle hashes of a text of `words` words drawn from a small alphabet, so that texts
    /// repeat themselves and share much (as `Tokens::shingle_hashes` makes them: one per word
    /// that starts a full shingle, or one for a text shorter than a shingle).
    fn text(alphabet: u64) -> impl Strategy<Value = (Vec<u64>, usize)> {
        (0usize..60).prop_flat_map(move |words| {
            let n = match words {
                0 => 0,
                w if w < SHINGLE_WORDS => 1,
                w => w - SHINGLE_WORDS + 1,
            };
            (prop::collection::vec(0..alphabet, n), Just(words))
        })
    }

    proptest! {
        #[test]
        fn indexed_overlap_is_exactly_the_reference(
            (new, new_words) in text(6),
            (old, old_words) in text(6),
            (wide, wide_words) in text(40),
        ) {
            let index = Indexed::new(&new, new_words);
            prop_assert_eq!(index.overlap(&old, old_words), reference(&new, new_words, &old, old_words));
            // One index serves every candidate.
            prop_assert_eq!(index.overlap(&wide, wide_words), reference(&new, new_words, &wide, wide_words));
            prop_assert_eq!(overlap(&wide, wide_words, &new, new_words), reference(&wide, wide_words, &new, new_words));
        }
    }

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

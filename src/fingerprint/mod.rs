//! Fingerprints of a cleaned story: word shingles, the 64-bit SimHash of their hashes
//! (`simhash.rs`), the exact hash, and the passage anchors the near-duplicate index keys on.
//! Pure; knows nothing of storage.

mod simhash;

pub use self::simhash::SimHash;
use crate::text::normalize::word_spans;
use xxhash_rust::xxh3::xxh3_64;

/// Words per shingle for SimHash features and for verification.
pub(crate) const SHINGLE_WORDS: usize = 3;
/// Words per passage anchor: long enough to be specific to one text.
pub(crate) const ANCHOR_WORDS: usize = 5;

/// A story's tokens: normalised words joined by single spaces, with each word's byte range, so a
/// shingle is a slice of `joined` and costs no allocation.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    pub(crate) joined: String,
    pub(crate) spans: Vec<(u32, u32)>,
}

impl Tokens {
    pub(crate) fn new(norm: &str) -> Tokens {
        Tokens::from_spans(norm, &word_spans(norm))
    }

    /// Tokens of `norm` whose words were already found: `words` is `word_spans(norm)`.
    pub(crate) fn from_spans(norm: &str, words: &[(usize, usize)]) -> Tokens {
        let mut joined = String::with_capacity(norm.len());
        let mut spans = Vec::with_capacity(words.len());
        for &(a, b) in words {
            if !joined.is_empty() {
                joined.push(' ');
            }
            let start = joined.len() as u32;
            joined.push_str(&norm[a..b]);
            spans.push((start, joined.len() as u32));
        }
        Tokens { joined, spans }
    }

    /// Tokens whose words were joined, one space apart, as `joined` (words hold no space):
    /// how a story's tokens are kept and read back.
    pub fn from_joined(joined: String) -> Tokens {
        let mut spans = Vec::with_capacity(joined.len() / 5);
        let mut start = 0u32;
        if !joined.is_empty() {
            // A byte loop: `match_indices(' ')` searches afresh for every space, a few bytes
            // apart, and was most of reading a record back.
            for (i, &b) in joined.as_bytes().iter().enumerate() {
                if b == b' ' {
                    spans.push((start, i as u32));
                    start = i as u32 + 1;
                }
            }
            spans.push((start, joined.len() as u32));
        }
        Tokens { joined, spans }
    }

    /// The words, one space apart.
    pub fn joined(&self) -> &str {
        &self.joined
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The text of the `k` words starting at word `i` (fewer at the end).
    pub(crate) fn shingle(&self, i: usize, k: usize) -> &str {
        let last = (i + k).min(self.spans.len()) - 1;
        &self.joined[self.spans[i].0 as usize..self.spans[last].1 as usize]
    }

    /// Start positions of the `k`-word shingles: every word that starts a full shingle, or just
    /// the first word when the text is shorter than one shingle.
    fn shingle_starts(&self, k: usize) -> std::ops::Range<usize> {
        match self.spans.len() {
            0 => 0..0,
            n if n < k => 0..1,
            n => 0..n - k + 1,
        }
    }

    /// Positional hashes of the `SHINGLE_WORDS`-word shingles.
    pub fn shingle_hashes(&self) -> Vec<u64> {
        self.shingle_starts(SHINGLE_WORDS)
            .map(|i| xxh3_64(self.shingle(i, SHINGLE_WORDS).as_bytes()))
            .collect()
    }

    /// SimHash over the word shingles (`SimHash::of_hashes` of `shingle_hashes`, for a caller
    /// that does not keep the hashes).
    pub fn simhash(&self) -> SimHash {
        SimHash::of_hashes(&self.shingle_hashes())
    }
}

/// Anchor hashes of every `ANCHOR_WORDS`-word window, derived from the positional shingle hashes
/// (two overlapping 3-word shingles span one 5-word window), so no text is hashed twice.
pub fn anchor_hashes(shingles: &[u64]) -> Vec<u64> {
    let gap = ANCHOR_WORDS - SHINGLE_WORDS;
    if shingles.len() <= gap {
        return shingles.to_vec();
    }
    (0..shingles.len() - gap)
        .map(|i| mix(shingles[i], shingles[i + gap]))
        .collect()
}

fn mix(a: u64, b: u64) -> u64 {
    let x = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.rotate_left(29);
    (x ^ (x >> 32)).wrapping_mul(0xD6E8_FEB8_6659_FD93)
}

/// The anchors a stored story is indexed under: one every `every` positions, and the last. Any
/// passage of at least `every + ANCHOR_WORDS - 1` words shared with a later text contains one.
pub fn sample_anchors(all: &[u64], every: usize) -> Vec<u64> {
    let every = every.max(1);
    let mut out: Vec<u64> = all.iter().step_by(every).copied().collect();
    if let Some(&last) = all.last() {
        if (all.len() - 1) % every != 0 {
            out.push(last);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Exact hash of a story's paragraphs as written: equal only for identical text.
pub fn exact_hash<'a>(paragraphs: impl IntoIterator<Item = &'a str>) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for p in paragraphs {
        h.update(p.as_bytes());
        h.update(b"\n");
    }
    h.digest()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_join_words_with_single_spaces() {
        let t = Tokens::new("peru's \"tough laws\" - alone");
        assert_eq!(t.joined, "peru's tough laws alone");
        assert_eq!(t.shingle(1, 3), "tough laws alone");
        assert_eq!(t.shingle(2, 3), "laws alone");
    }

    #[test]
    fn tokens_read_back_from_their_joined_words() {
        for text in [
            "peru's \"tough laws\" - alone",
            "",
            "one",
            "東京 café naïve 3.5",
        ] {
            let t = Tokens::new(text);
            let back = Tokens::from_joined(t.joined.clone());
            assert_eq!(back.spans, t.spans, "{text}");
            assert_eq!(back.shingle_hashes(), t.shingle_hashes());
        }
    }

    proptest::proptest! {
        #[test]
        fn joined_words_split_at_every_space(joined in "\\PC{0,300}") {
            // What `from_joined` did with `match_indices(' ')`.
            let mut want = Vec::new();
            let mut start = 0u32;
            if !joined.is_empty() {
                for (i, _) in joined.match_indices(' ') {
                    want.push((start, i as u32));
                    start = i as u32 + 1;
                }
                want.push((start, joined.len() as u32));
            }
            proptest::prop_assert_eq!(Tokens::from_joined(joined).spans, want);
        }
    }

    #[test]
    fn short_texts_still_get_one_shingle() {
        let t = Tokens::new("two words");
        assert_eq!(t.shingle_hashes().len(), 1);
        assert!(Tokens::new("").shingle_hashes().is_empty());
    }

    #[test]
    fn simhash_is_close_for_close_texts_and_far_for_different_ones() {
        let a =
            Tokens::new(&"the quick brown fox jumps over the lazy dog and runs away ".repeat(8));
        let mut b_text = "the quick brown fox jumps over the lazy dog and runs away ".repeat(8);
        b_text.push_str("today");
        let b = Tokens::new(&b_text);
        let c =
            Tokens::new(&"prices of coffee and cacao rose sharply in markets this week ".repeat(8));
        assert!(a.simhash().distance(b.simhash()) <= 3);
        assert!(a.simhash().distance(c.simhash()) > 10);
    }

    #[test]
    fn sampled_anchors_cover_every_long_passage() {
        let all: Vec<u64> = (0..100).collect();
        let sampled = sample_anchors(&all, 10);
        for start in 0..=90 {
            assert!(all[start..start + 10].iter().any(|a| sampled.contains(a)));
        }
        assert!(sampled.contains(&99));
    }

    #[test]
    fn exact_hash_sees_typography() {
        let a = exact_hash(["Peru's laws"]);
        let b = exact_hash(["Peru\u{2019}s laws"]);
        assert_ne!(a, b);
        assert_eq!(a, exact_hash(["Peru's laws"]));
    }
}

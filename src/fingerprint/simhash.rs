//! The 64-bit SimHash of a story, computed from the xxh3 hashes of its shingles (which the
//! fingerprints need anyway), with a counting loop that is fast on any x86-64 without a
//! `target-cpu` flag. Pure; knows nothing of storage.
//!
//! The rule is the `simhash` crate's: a bit is set when more of the features' hashes have it
//! set than not. What differs is the feature hash (xxh3 of the shingle, not SipHash) and the
//! loop: the crate adds ±1 to 64 counters per feature, which needs AVX2's per-lane shifts to
//! vectorise; here each hash adds its bits into eight 64-bit words of eight byte counters (bit
//! `8j + i` of a hash lands in byte `j` of word `i`), shifts by constants only, so the baseline
//! SSE2 build runs it in a few nanoseconds a feature.

/// A 64-bit SimHash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SimHash(pub u64);

/// Hashes counted in byte counters before they are emptied into wide ones (a byte holds 255).
const BYTE_ROUND: usize = 255;
/// The low bit of each byte.
const LOW_BITS: u64 = 0x0101_0101_0101_0101;

impl SimHash {
    pub fn distance(self, other: SimHash) -> u32 {
        simhash::hamming_distance(self.0, other.0)
    }

    /// The SimHash of features given by their 64-bit hashes: bit `b` is set when more than half
    /// of `hashes` have bit `b` set. Each hash counts as often as it occurs.
    pub fn of_hashes(hashes: &[u64]) -> SimHash {
        let mut counts = [0u32; 64];
        for round in hashes.chunks(BYTE_ROUND) {
            // Byte `j` of `words[i]` counts bit `8j + i` over this round.
            let mut words = [0u64; 8];
            for &h in round {
                for (i, w) in words.iter_mut().enumerate() {
                    *w += (h >> i) & LOW_BITS;
                }
            }
            for (i, w) in words.iter().enumerate() {
                for j in 0..8 {
                    counts[8 * j + i] += ((w >> (8 * j)) & 0xff) as u32;
                }
            }
        }
        // More ones than zeros: 2 * ones > n (the crate's "weight > 0").
        let n = hashes.len() as u64;
        let bits = counts
            .iter()
            .enumerate()
            .filter(|&(_, &c)| 2 * u64::from(c) > n)
            .fold(0u64, |acc, (b, _)| acc | 1 << b);
        SimHash(bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::hash::{Hash, Hasher};

    /// The definition, one bit at a time.
    fn by_definition(hashes: &[u64]) -> u64 {
        (0..64)
            .filter(|&b| {
                let ones = hashes.iter().filter(|&&h| h >> b & 1 == 1).count();
                ones > hashes.len() - ones
            })
            .fold(0, |acc, b| acc | 1 << b)
    }

    /// The hash the `simhash` crate gives a feature: SipHash-2-4 with zero keys over the
    /// `Hash` of a `&str`.
    #[allow(deprecated)]
    fn crate_feature_hash(s: &str) -> u64 {
        let mut h = std::hash::SipHasher::new();
        s.hash(&mut h);
        h.finish()
    }

    #[test]
    fn no_features_give_zero() {
        assert_eq!(SimHash::of_hashes(&[]), SimHash(0));
    }

    #[test]
    fn a_tie_leaves_the_bit_clear() {
        // Bit 0 is set in both, bit 1 in one of two: a tie.
        assert_eq!(SimHash::of_hashes(&[0b01, 0b11]), SimHash(0b01));
        assert_eq!(SimHash::of_hashes(&[u64::MAX, 0]), SimHash(0));
        assert_eq!(SimHash::of_hashes(&[u64::MAX; 3]), SimHash(u64::MAX));
    }

    proptest! {
        #[test]
        fn counting_in_bytes_equals_the_definition(
            hashes in prop::collection::vec(any::<u64>(), 0..700),
            skew in any::<u64>(),
        ) {
            // Skewed hashes (many sharing bits) test counts near and past a byte's 255.
            let skewed: Vec<u64> = hashes.iter().map(|&h| h | skew).collect();
            prop_assert_eq!(SimHash::of_hashes(&hashes).0, by_definition(&hashes));
            prop_assert_eq!(SimHash::of_hashes(&skewed).0, by_definition(&skewed));
        }

        #[test]
        fn fed_the_crates_feature_hashes_it_is_the_crates_simhash(
            words in prop::collection::vec("[a-z]{1,8}( [a-z]{1,8}){0,2}", 0..300),
        ) {
            let hashes: Vec<u64> = words.iter().map(|w| crate_feature_hash(w)).collect();
            let reference = simhash::simhash_stream(words.iter().map(String::as_str));
            prop_assert_eq!(SimHash::of_hashes(&hashes).0, reference);
        }
    }
}

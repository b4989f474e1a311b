//! The near-duplicate index: SimHash look-up within a Hamming radius over block tables (the
//! permuted-table scheme of Manku, Jain and Das Sarma: split the 64 bits into radius+1 blocks;
//! two hashes within the radius agree exactly on at least one block), and an inverted index of
//! passage anchors. Articles are numbered by dense slots; the caller maps slots to article ids.
//!
//! Both rest on [`Buckets`], a multimap from 64-bit keys to slots laid out for millions of
//! postings: 4 bytes of slot and 2 bytes of key a posting, grouped by a directory of the keys'
//! top bits.

mod buckets;
mod docs;
pub(crate) mod persist;

use crate::fingerprint::SimHash;
pub(crate) use buckets::Buckets;
pub use docs::DocIndex;

/// SimHash tables: one per block, keyed by the block's bits.
#[derive(Debug)]
pub struct SimIndex {
    max_distance: u32,
    /// (shift, width) of each block.
    blocks: Vec<(u32, u32)>,
    tables: Vec<Buckets>,
    fps: Vec<u64>,
}

/// Directory bits of a SimHash table: a block of up to this many bits is its own bucket.
const SIM_DIR_BITS: u32 = 16;

impl SimIndex {
    pub fn new(max_distance: u32) -> SimIndex {
        let count = (max_distance.min(31) + 1) as usize;
        let mut blocks = Vec::with_capacity(count);
        let mut shift = 0;
        for i in 0..count as u32 {
            // Spread 64 bits as evenly as possible: the first blocks take the remainder.
            let width = 64 / count as u32 + u32::from(i < 64 % count as u32);
            blocks.push((shift, width));
            shift += width;
        }
        SimIndex {
            max_distance,
            tables: blocks
                .iter()
                .map(|&(_, w)| Buckets::new(w.min(SIM_DIR_BITS), w > SIM_DIR_BITS))
                .collect(),
            blocks,
            fps: Vec::new(),
        }
    }

    /// Builds the index of `fps` (slot `i` has `fps[i]`) at once.
    pub fn build(max_distance: u32, fps: Vec<u64>) -> SimIndex {
        let mut idx = SimIndex::new(max_distance);
        for b in 0..idx.blocks.len() {
            let (dir_bits, tagged) = (idx.tables[b].base_bits, idx.tables[b].tagged);
            let table = Buckets::build(dir_bits, tagged, |f| {
                for (slot, &fp) in fps.iter().enumerate() {
                    f(idx.key(b, fp), slot as u32);
                }
                Ok::<(), std::convert::Infallible>(())
            });
            let Ok(table) = table;
            idx.tables[b] = table;
        }
        idx.fps = fps;
        idx
    }

    pub(crate) fn max_distance(&self) -> u32 {
        self.max_distance
    }

    pub fn len(&self) -> usize {
        self.fps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fps.is_empty()
    }

    /// Bytes held by the tables and fingerprints.
    pub fn heap_bytes(&self) -> usize {
        self.fps.capacity() * 8 + self.tables.iter().map(Buckets::heap_bytes).sum::<usize>()
    }

    /// Block `block` of `fp`, moved to the top bits: the table's key.
    fn key(&self, block: usize, fp: u64) -> u64 {
        let (shift, width) = self.blocks[block];
        (fp >> shift) << (64 - width)
    }

    /// Adds the fingerprint of the next slot (slots are dense: 0, 1, 2, ...); returns the slot.
    pub fn push(&mut self, fp: SimHash) -> u32 {
        let slot = self.fps.len() as u32;
        self.fps.push(fp.0);
        for b in 0..self.blocks.len() {
            let key = self.key(b, fp.0);
            self.tables[b].insert(key, slot);
        }
        slot
    }

    /// Merges every table's recent additions into its sorted base.
    pub(crate) fn compact(&mut self) {
        self.tables.iter_mut().for_each(Buckets::compact);
    }

    #[cfg(test)]
    /// Postings of every table not yet merged into the sorted base.
    pub(crate) fn recent_postings(&self) -> usize {
        self.tables.iter().map(|t| t.recent.len()).sum()
    }

    pub(crate) fn fingerprint(&self, slot: u32) -> SimHash {
        SimHash(self.fps[slot as usize])
    }

    /// Every slot within `max_distance` of `fp`, with its distance, each once, in slot order.
    pub fn near(&self, fp: SimHash) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for b in 0..self.blocks.len() {
            let want = self.key(b, fp.0);
            self.tables[b].get(want, usize::MAX, |slot| {
                let other = self.fps[slot as usize];
                // A bucket may hold other blocks (when the block is wider than the directory):
                // report a slot from the first block it agrees on, so no set is needed.
                let agrees = self.key(b, other) == want;
                let first_agreeing = (0..b).all(|e| self.key(e, other) != self.key(e, fp.0));
                let dist = (other ^ fp.0).count_ones();
                if agrees && first_agreeing && dist <= self.max_distance {
                    out.push((slot, dist));
                }
            });
        }
        out.sort_unstable();
        out
    }
}

/// Directory bits of the anchor index: 2^20 buckets (4 MB), about 21 postings each at 1,000,000
/// stored articles, which the 16-bit tags tell apart but for a false hit in 3,000 probes.
const ANCHOR_DIR_BITS: u32 = 20;

/// Bits of a new [`SeenFilter`], and the fewest it has: 2^23, 1 MB.
pub(crate) const SEEN_MIN_BITS: u32 = 23;
/// The most bits a [`SeenFilter`] grows to (512 MB, for 268 million documents): the second
/// position is taken from the hash's upper half.
pub(crate) const SEEN_MAX_BITS: u32 = 32;
/// Bits a document a filter is made for (`SeenFilter::for_documents`): one absent document in
/// 200 passes; it is made again when it holds one document per 8 bits, where one in 30 passes.
const SEEN_BITS_PER_DOCUMENT: usize = 16;
const SEEN_CROWDED_BITS_PER_DOCUMENT: usize = 8;

/// A Bloom filter of the document hashes stored so far, three bits a hash: says without a read
/// from the store that a document was never seen. It errs only the other way, for about one
/// absent document in 30 at one document per 8 bits (`(1 - e^(-3n/m))^3`), which the store then
/// answers. A filter of fixed size saturates as the archive grows (at 10,000,000 documents in
/// 2^23 bits, nine absent documents in ten would pass, each a random read of the `exact` tree),
/// so the engine makes it again, larger, from the stored fingerprints when it is `crowded`.
#[derive(Debug, Clone)]
pub struct SeenFilter {
    bits: Vec<u64>,
    /// log2 of the number of bits.
    log2: u32,
}

impl Default for SeenFilter {
    fn default() -> SeenFilter {
        SeenFilter::with_log2(SEEN_MIN_BITS)
    }
}

impl SeenFilter {
    fn with_log2(log2: u32) -> SeenFilter {
        SeenFilter {
            bits: vec![0; 1 << (log2 - 6)],
            log2,
        }
    }

    /// An empty filter sized for `n` documents (16 bits each, a power of two, at least 2^23).
    pub fn for_documents(n: usize) -> SeenFilter {
        let want = n.saturating_mul(SEEN_BITS_PER_DOCUMENT).max(1);
        // log2 of the next power of two, without overflowing at the largest counts.
        let log2 = (usize::BITS - (want - 1).leading_zeros()).clamp(SEEN_MIN_BITS, SEEN_MAX_BITS);
        SeenFilter::with_log2(log2)
    }

    /// A filter of `words` 64-bit words as `bits_words` hands them out, if that is a size a
    /// filter has.
    pub(crate) fn from_words(bits: Vec<u64>) -> Option<SeenFilter> {
        let n = bits.len();
        let log2 = n.trailing_zeros() + 6;
        let valid = n.is_power_of_two() && (SEEN_MIN_BITS..=SEEN_MAX_BITS).contains(&log2);
        valid.then_some(SeenFilter { bits, log2 })
    }

    pub(crate) fn words(&self) -> &[u64] {
        &self.bits
    }

    /// Whether `n` documents crowd the filter (fewer than 8 bits each): time to make it again
    /// for them, unless it is as large as a filter grows.
    pub fn crowded(&self, n: usize) -> bool {
        self.log2 < SEEN_MAX_BITS
            && n.saturating_mul(SEEN_CROWDED_BITS_PER_DOCUMENT) > 1 << self.log2
    }

    /// Three bit positions from one hash (document hashes are uniform already; the third is
    /// mixed so the three are independent). At 2^23 bits they are what they were before filters
    /// grew, so a saved filter of that size reads the same.
    fn positions(&self, hash: u64) -> [usize; 3] {
        let mask = (1u64 << self.log2) - 1;
        let mixed = hash.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        [hash & mask, (hash >> 32) & mask, mixed >> (64 - self.log2)].map(|p| p as usize)
    }

    pub fn insert(&mut self, hash: u64) {
        for p in self.positions(hash) {
            self.bits[p >> 6] |= 1 << (p & 63);
        }
    }

    /// False when `hash` was never inserted.
    pub fn may_contain(&self, hash: u64) -> bool {
        self.positions(hash)
            .iter()
            .all(|&p| self.bits[p >> 6] & (1 << (p & 63)) != 0)
    }

    pub fn heap_bytes(&self) -> usize {
        self.bits.capacity() * 8
    }
}

/// Inverted index of passage anchors (64-bit hashes of 5-word windows) to the slots of the
/// articles indexed under them.
#[derive(Debug)]
pub struct AnchorIndex(Buckets);

impl Default for AnchorIndex {
    fn default() -> AnchorIndex {
        AnchorIndex::new()
    }
}

impl AnchorIndex {
    pub fn new() -> AnchorIndex {
        AnchorIndex(Buckets::new(ANCHOR_DIR_BITS, true))
    }

    /// Builds an index from every (anchor, slot) posting at once, in two passes (see
    /// [`Buckets::build`]).
    pub fn build<E>(
        pass: impl FnMut(&mut dyn FnMut(u64, u32)) -> Result<(), E>,
    ) -> Result<AnchorIndex, E> {
        Buckets::build(ANCHOR_DIR_BITS, true, pass).map(AnchorIndex)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.len() == 0
    }

    /// Bytes held by the index's arrays (for stats and benchmarks).
    pub fn heap_bytes(&self) -> usize {
        self.0.heap_bytes()
    }

    pub fn insert(&mut self, slot: u32, anchors: &[u64]) {
        for &a in anchors {
            self.0.insert(a, slot);
        }
    }

    /// Merges recent additions into the sorted base.
    pub fn compact(&mut self) {
        self.0.compact();
    }

    #[cfg(test)]
    /// Postings not yet merged into the sorted base.
    pub(crate) fn recent_postings(&self) -> usize {
        self.0.recent.len()
    }

    #[cfg(test)]
    /// How many articles an anchor points at.
    pub(crate) fn count(&self, anchor: u64) -> usize {
        self.0.count(anchor)
    }

    #[cfg(test)]
    /// Calls `f` with the postings of `anchor`, unless there are more than `max_postings`: an
    /// anchor that common says nothing about any one article. Returns how many there are.
    pub(crate) fn postings(&self, anchor: u64, max_postings: usize, f: impl FnMut(u32)) -> usize {
        self.0.get(anchor, max_postings, f)
    }

    /// `postings` for many anchors at once, faster than one by one: calls `f(i, n, slots)` for
    /// each anchor `anchors[i]` that has `n` postings, 1 to `max_postings` of them.
    pub fn postings_many(
        &self,
        anchors: &[u64],
        max_postings: usize,
        f: impl FnMut(usize, usize, &[u32]),
    ) {
        self.0.get_many(anchors, max_postings, f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn blocks_cover_all_64_bits() {
        for k in 0..8 {
            let idx = SimIndex::new(k);
            let total: u32 = idx.blocks.iter().map(|b| b.1).sum();
            assert_eq!(total, 64, "radius {k}");
        }
    }

    #[test]
    fn seen_filter_never_forgets_and_rarely_errs() {
        let hash = |i: u64| xxhash_rust::xxh3::xxh3_64(&i.to_le_bytes());
        let mut seen = SeenFilter::default();
        for i in 0..100_000 {
            seen.insert(hash(i));
        }
        assert!((0..100_000).all(|i| seen.may_contain(hash(i))));
        // At 100,000 hashes in 2^23 bits, about 5 in 100,000 absent ones pass.
        let passed = (100_000..200_000)
            .filter(|&i| seen.may_contain(hash(i)))
            .count();
        assert!(passed < 100, "{passed} false hits");
    }

    #[test]
    fn a_seen_filter_is_sized_for_its_documents_and_says_when_they_crowd_it() {
        let bits = |f: &SeenFilter| f.words().len() * 64;
        assert_eq!(bits(&SeenFilter::default()), 1 << 23);
        assert_eq!(bits(&SeenFilter::for_documents(0)), 1 << 23);
        assert_eq!(bits(&SeenFilter::for_documents(1_000_000)), 1 << 24);
        assert_eq!(bits(&SeenFilter::for_documents(10_000_000)), 1 << 28);
        assert_eq!(bits(&SeenFilter::for_documents(usize::MAX)), 1 << 32);
        let f = SeenFilter::default();
        assert!(!f.crowded(1 << 20), "8 bits each");
        assert!(f.crowded((1 << 20) + 1));
        assert!(
            !SeenFilter::for_documents(usize::MAX).crowded(usize::MAX),
            "no larger filter"
        );
        // Made again for the documents that crowded it, a filter is no longer crowded.
        for n in [(1 << 20) + 1, 3_000_000, 10_000_000] {
            assert!(!SeenFilter::for_documents(n).crowded(n), "{n}");
        }
        // Sizes a filter has read back; others do not.
        for n in [0usize, 1 << 16, 3 << 17, 1 << 27] {
            assert!(SeenFilter::from_words(vec![0; n]).is_none(), "{n} words");
        }
        let f = SeenFilter::from_words(vec![0; 1 << 20]).expect("2^26 bits");
        assert!(!f.crowded(1 << 23) && f.crowded((1 << 23) + 1));
    }

    #[test]
    fn a_larger_seen_filter_errs_as_rarely_at_the_documents_it_was_made_for() {
        // Hashes 0..n in a filter made for n: never forgotten, and about one absent in 200
        // passes (16 bits each), where the smallest filter at that count passes about one in 30
        // (8 bits each, the count that crowds it).
        let hash = |i: u64| xxhash_rust::xxh3::xxh3_64(&i.to_le_bytes());
        let n = 2_000_000u64;
        let mut small = SeenFilter::default();
        let mut grown = SeenFilter::for_documents(n as usize);
        for i in 0..n {
            small.insert(hash(i));
            grown.insert(hash(i));
        }
        assert!(small.crowded(n as usize) && !grown.crowded(n as usize));
        assert!((0..n).step_by(7).all(|i| grown.may_contain(hash(i))));
        let absent = n..n + 100_000;
        let passed = |f: &SeenFilter| absent.clone().filter(|&i| f.may_contain(hash(i))).count();
        let (small_passed, grown_passed) = (passed(&small), passed(&grown));
        assert!(grown_passed < 1_000, "{grown_passed} of 100,000 passed");
        assert!(
            small_passed > 5 * grown_passed.max(1),
            "{small_passed} against {grown_passed}"
        );
    }

    #[test]
    fn anchors_survive_compaction() {
        let [a7, a9, a11] = [7u64, 9, 11].map(|a| a.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut idx = AnchorIndex::new();
        idx.insert(0, &[a7, a9]);
        idx.insert(1, &[a9]);
        idx.compact();
        idx.insert(2, &[a9, a11]);
        let mut got = Vec::new();
        idx.postings(a9, 10, |s| got.push(s));
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2]);
        assert_eq!(idx.count(a7), 1);
        let mut none = Vec::new();
        idx.postings(a9, 2, |s| none.push(s));
        assert!(none.is_empty(), "over max_postings");
    }

    fn flip(fp: u64, bits: &[u8]) -> u64 {
        bits.iter().fold(fp, |f, &b| f ^ (1u64 << (b % 64)))
    }

    proptest! {
        #[test]
        fn index_answers_exactly_what_a_brute_force_scan_answers(
            radius in 0u32..6,
            base in prop::collection::vec(any::<u64>(), 1..40),
            flips in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..8), 0..60),
            query_flips in prop::collection::vec(any::<u8>(), 0..8),
            compact_at in 0usize..100,
        ) {
            // Stored hashes cluster around a few bases, as near-duplicates do.
            let stored: Vec<u64> = flips.iter().enumerate()
                .map(|(i, f)| flip(base[i % base.len()], f)).chain(base.iter().copied()).collect();
            // Three ways to the same index: pushed one by one (with a merge into the base part
            // way), and built at once.
            let mut pushed = SimIndex::new(radius);
            for (i, &fp) in stored.iter().enumerate() {
                if i == compact_at { pushed.compact(); }
                pushed.push(SimHash(fp));
            }
            let built = SimIndex::build(radius, stored.clone());
            let query = flip(base[0], &query_flips);
            let brute: Vec<(u32, u32)> = stored.iter().enumerate()
                .map(|(i, &fp)| (i as u32, (fp ^ query).count_ones()))
                .filter(|&(_, d)| d <= radius).collect();
            prop_assert_eq!(pushed.near(SimHash(query)), brute.clone());
            prop_assert_eq!(built.near(SimHash(query)), brute);
        }

        #[test]
        fn anchor_postings_match_a_scan(entries in prop::collection::vec((0u64..50, any::<u16>()), 0..300),
                                        compact_at in prop::collection::vec(0usize..300, 0..3)) {
            // Keys that differ in the directory bits, in the tag bits, or only below both (those
            // are not told apart, by design).
            let key = |a: u64| match a % 3 {
                0 => a.wrapping_mul(0x9E37_79B9_7F4A_7C15),
                1 => a << 30,
                _ => a << 60 >> 40,
            };
            let same = |a: u64, b: u64| (key(a) >> 28) == (key(b) >> 28);
            let mut idx = AnchorIndex::new();
            let mut postings = Vec::new();
            for (slot, &(anchor, _)) in entries.iter().enumerate() {
                if compact_at.contains(&slot) { idx.compact(); }
                idx.insert(slot as u32, &[key(anchor)]);
                postings.push((key(anchor), slot as u32));
            }
            let built = AnchorIndex::build(|f| {
                postings.iter().for_each(|&(k, s)| f(k, s));
                Ok::<(), ()>(())
            }).expect("no error");
            for probe in 0u64..50 {
                let key = key(probe);
                let mut got = Vec::new();
                idx.postings(key, usize::MAX, |s| got.push(s));
                got.sort_unstable();
                let mut from_bulk = Vec::new();
                built.postings(key, usize::MAX, |s| from_bulk.push(s));
                let want: Vec<u32> = entries.iter().enumerate()
                    .filter(|(_, &(a, _))| same(a, probe)).map(|(s, _)| s as u32).collect();
                prop_assert_eq!(&got, &want);
                prop_assert_eq!(from_bulk, want);
            }
            // All probes at once, as the engine asks.
            let probes: Vec<u64> = (0u64..50).map(key).collect();
            let mut many = vec![Vec::new(); probes.len()];
            idx.postings_many(&probes, usize::MAX, |i, n, slots| {
                assert_eq!(n, slots.len());
                many[i] = slots.to_vec();
            });
            for (i, &p) in probes.iter().enumerate() {
                let mut one = Vec::new();
                idx.postings(p, usize::MAX, |s| one.push(s));
                many[i].sort_unstable();
                one.sort_unstable();
                prop_assert_eq!(&many[i], &one);
            }
        }
    }
}

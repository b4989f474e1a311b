//! The near-duplicate index: SimHash look-up within a Hamming radius over block tables (the
//! permuted-table scheme of Manku, Jain and Das Sarma: split the 64 bits into radius+1 blocks;
//! two hashes within the radius agree exactly on at least one block), and an inverted index of
//! passage anchors. Articles are numbered by dense slots; the caller maps slots to article ids.

use crate::fingerprint::SimHash;
use std::collections::HashMap;

/// SimHash tables: one per block, keyed by the block's bits.
#[derive(Debug)]
pub struct SimIndex {
    max_distance: u32,
    /// (shift, width) of each block.
    blocks: Vec<(u32, u32)>,
    tables: Vec<HashMap<u64, Vec<u32>>>,
    fps: Vec<u64>,
}

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
            tables: vec![HashMap::new(); count],
            blocks,
            fps: Vec::new(),
        }
    }

    pub fn max_distance(&self) -> u32 {
        self.max_distance
    }

    pub fn len(&self) -> usize {
        self.fps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fps.is_empty()
    }

    fn key(&self, block: usize, fp: u64) -> u64 {
        let (shift, width) = self.blocks[block];
        let mask = if width >= 64 {
            u64::MAX
        } else {
            (1u64 << width) - 1
        };
        (fp >> shift) & mask
    }

    /// Adds the fingerprint of the next slot (slots are dense: 0, 1, 2, ...); returns the slot.
    pub fn push(&mut self, fp: SimHash) -> u32 {
        let slot = self.fps.len() as u32;
        self.fps.push(fp.0);
        for b in 0..self.blocks.len() {
            let key = self.key(b, fp.0);
            self.tables[b].entry(key).or_default().push(slot);
        }
        slot
    }

    pub fn fingerprint(&self, slot: u32) -> SimHash {
        SimHash(self.fps[slot as usize])
    }

    /// Every slot within `max_distance` of `fp`, with its distance, each once, in slot order.
    pub fn near(&self, fp: SimHash) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for b in 0..self.blocks.len() {
            let Some(slots) = self.tables[b].get(&self.key(b, fp.0)) else {
                continue;
            };
            for &slot in slots {
                let other = self.fps[slot as usize];
                // Report a slot from the first block it agrees on, so no set is needed.
                let first_agreeing = (0..b).all(|e| self.key(e, other) != self.key(e, fp.0));
                let dist = (other ^ fp.0).count_ones();
                if first_agreeing && dist <= self.max_distance {
                    out.push((slot, dist));
                }
            }
        }
        out.sort_unstable();
        out
    }
}

/// Inverted index of passage anchors: a sorted base with a bucket directory for O(1) look-ups,
/// and a small map of recent additions merged into the base (linearly, in place) when it fills.
#[derive(Debug, Default)]
pub struct AnchorIndex {
    dir_bits: u32,
    /// `dir[b]..dir[b + 1]` is the range of `base` whose anchors start with bucket `b`.
    dir: Vec<u32>,
    /// (anchor << 32 | slot), sorted.
    base: Vec<u64>,
    recent: HashMap<u32, Vec<u32>>,
    recent_len: usize,
}

/// Postings held in the recent map before they are merged into the base. Fixed, so the map stays
/// small (a few MB) however large the base grows.
const RECENT_MAX: usize = 1 << 17;

impl AnchorIndex {
    pub fn new() -> AnchorIndex {
        AnchorIndex::default()
    }

    /// Builds an index from every (anchor, slot) posting at once: one sort, no merging.
    pub fn bulk(mut entries: Vec<u64>) -> AnchorIndex {
        entries.sort_unstable();
        let mut idx = AnchorIndex {
            base: entries,
            ..AnchorIndex::default()
        };
        idx.rebuild_dir();
        idx
    }

    /// A posting as `bulk` takes it.
    pub fn posting(anchor: u32, slot: u32) -> u64 {
        u64::from(anchor) << 32 | u64::from(slot)
    }

    pub fn len(&self) -> usize {
        self.base.len() + self.recent_len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held by the index's arrays (for stats and benchmarks).
    pub fn heap_bytes(&self) -> usize {
        self.base.capacity() * 8
            + self.dir.capacity() * 4
            + self.recent_len * 4
            + self.recent.len() * 40
    }

    pub fn insert(&mut self, slot: u32, anchors: &[u32]) {
        for &a in anchors {
            self.recent.entry(a).or_default().push(slot);
        }
        self.recent_len += anchors.len();
        if self.recent_len >= RECENT_MAX {
            self.compact();
        }
    }

    /// Merges recent additions into the sorted base, from the back so no second copy of the base
    /// is needed, and rebuilds the directory.
    pub fn compact(&mut self) {
        if self.recent_len == 0 {
            return;
        }
        let mut fresh: Vec<u64> = Vec::with_capacity(self.recent_len);
        for (anchor, slots) in self.recent.drain() {
            fresh.extend(slots.iter().map(|&s| AnchorIndex::posting(anchor, s)));
        }
        self.recent_len = 0;
        fresh.sort_unstable();
        let (n, m) = (self.base.len(), fresh.len());
        self.base.reserve_exact(m);
        self.base.resize(n + m, 0);
        let (mut i, mut j) = (n, m);
        for k in (0..n + m).rev() {
            if j == 0 {
                break;
            }
            if i > 0 && self.base[i - 1] > fresh[j - 1] {
                self.base[k] = self.base[i - 1];
                i -= 1;
            } else {
                self.base[k] = fresh[j - 1];
                j -= 1;
            }
        }
        self.rebuild_dir();
    }

    fn rebuild_dir(&mut self) {
        let want = (self.base.len() / 4).max(256).ilog2().min(24);
        self.dir_bits = want;
        let buckets = 1usize << want;
        self.dir.clear();
        self.dir.resize(buckets + 1, 0);
        let shift = 32 - want;
        for &e in &self.base {
            self.dir[((e >> 32) as u32 >> shift) as usize + 1] += 1;
        }
        for b in 0..buckets {
            self.dir[b + 1] += self.dir[b];
        }
    }

    fn bucket(&self, anchor: u32) -> usize {
        (anchor >> (32 - self.dir_bits)) as usize
    }

    /// How many articles an anchor points at.
    pub fn count(&self, anchor: u32) -> usize {
        self.base_postings(anchor).len() + self.recent.get(&anchor).map_or(0, Vec::len)
    }

    fn base_postings(&self, anchor: u32) -> &[u64] {
        if self.base.is_empty() {
            return &[];
        }
        let b = self.bucket(anchor);
        let range = &self.base[self.dir[b] as usize..self.dir[b + 1] as usize];
        let start = range.partition_point(|&e| ((e >> 32) as u32) < anchor);
        let end = start + range[start..].partition_point(|&e| ((e >> 32) as u32) == anchor);
        &range[start..end]
    }

    /// Calls `f` with the postings of `anchor`, unless there are more than `max_postings`: an
    /// anchor that common says nothing about any one article. Returns how many there are.
    pub fn postings(&self, anchor: u32, max_postings: usize, mut f: impl FnMut(u32)) -> usize {
        let in_base = self.base_postings(anchor);
        let recent = self.recent.get(&anchor).map_or(&[][..], Vec::as_slice);
        let n = in_base.len() + recent.len();
        if n <= max_postings {
            in_base.iter().for_each(|&e| f(e as u32));
            recent.iter().for_each(|&s| f(s));
        }
        n
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
    fn anchors_survive_compaction() {
        let mut idx = AnchorIndex::new();
        idx.insert(0, &[7, 9]);
        idx.insert(1, &[9]);
        idx.compact();
        idx.insert(2, &[9, 11]);
        let mut got = Vec::new();
        idx.postings(9, 10, |s| got.push(s));
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2]);
        let mut none = Vec::new();
        idx.postings(9, 2, |s| none.push(s));
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
        ) {
            // Stored hashes cluster around a few bases, as near-duplicates do.
            let stored: Vec<u64> = flips.iter().enumerate()
                .map(|(i, f)| flip(base[i % base.len()], f)).chain(base.iter().copied()).collect();
            let mut idx = SimIndex::new(radius);
            for &fp in &stored { idx.push(SimHash(fp)); }
            let query = flip(base[0], &query_flips);
            let brute: Vec<(u32, u32)> = stored.iter().enumerate()
                .map(|(i, &fp)| (i as u32, (fp ^ query).count_ones()))
                .filter(|&(_, d)| d <= radius).collect();
            prop_assert_eq!(idx.near(SimHash(query)), brute);
        }

        #[test]
        fn anchor_postings_match_a_scan(entries in prop::collection::vec((0u32..50, any::<u16>()), 0..300),
                                        compact_at in 0usize..300) {
            let mut idx = AnchorIndex::new();
            let mut bulk = Vec::new();
            for (slot, &(anchor, _)) in entries.iter().enumerate() {
                if slot == compact_at { idx.compact(); }
                idx.insert(slot as u32, &[anchor.wrapping_mul(0x9E37_79B9)]);
                bulk.push(AnchorIndex::posting(anchor.wrapping_mul(0x9E37_79B9), slot as u32));
            }
            let bulk = AnchorIndex::bulk(bulk);
            for probe in 0u32..50 {
                let key = probe.wrapping_mul(0x9E37_79B9);
                let mut got = Vec::new();
                idx.postings(key, usize::MAX, |s| got.push(s));
                got.sort_unstable();
                let mut from_bulk = Vec::new();
                bulk.postings(key, usize::MAX, |s| from_bulk.push(s));
                let want: Vec<u32> = entries.iter().enumerate()
                    .filter(|(_, &(a, _))| a == probe).map(|(s, _)| s as u32).collect();
                prop_assert_eq!(&got, &want);
                prop_assert_eq!(from_bulk, want);
            }
        }
    }
}

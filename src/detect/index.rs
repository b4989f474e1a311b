//! The near-duplicate index: SimHash look-up within a Hamming radius over block tables (the
//! permuted-table scheme of Manku, Jain and Das Sarma: split the 64 bits into radius+1 blocks;
//! two hashes within the radius agree exactly on at least one block), and an inverted index of
//! passage anchors. Articles are numbered by dense slots; the caller maps slots to article ids.
//!
//! Both rest on [`Buckets`], a multimap from 64-bit keys to slots laid out for millions of
//! postings: 4 bytes of slot and 2 bytes of key a posting, grouped by a directory of the keys'
//! top bits.

use crate::fingerprint::SimHash;
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::ops::{Index, IndexMut, Range};

/// Entries per block of a [`Blocks`] array: 4M (16 MB of slots), so that each block is its own
/// allocation from the system; small in unit tests, so that they cross blocks.
const BLOCK_BITS: u32 = if cfg!(test) { 12 } else { 22 };
const BLOCK: usize = 1 << BLOCK_BITS;

/// A growable array kept in fixed blocks: growing never moves what is there, so the index grows
/// without a second copy of itself (a large `Vec` that reallocates needs both for a moment).
#[derive(Debug, Default)]
struct Blocks<T> {
    blocks: Vec<Vec<T>>,
    len: usize,
}

impl<T: Copy + Default> Blocks<T> {
    fn len(&self) -> usize {
        self.len
    }

    /// Grows to `n` entries, the new ones `T::default()`.
    fn grow_to(&mut self, n: usize) {
        while self.len < n {
            if self.blocks.last().is_none_or(|b| b.len() == BLOCK) {
                self.blocks.push(Vec::with_capacity(BLOCK));
            }
            let last = self.blocks.last_mut().expect("pushed above");
            let add = (BLOCK - last.len()).min(n - self.len);
            last.resize(last.len() + add, T::default());
            self.len += add;
        }
    }

    /// Entries `range`, borrowed when they lie in one block (nearly always).
    fn range(&self, range: Range<usize>) -> Cow<'_, [T]> {
        if range.is_empty() {
            return Cow::Borrowed(&[]);
        }
        let (first, last) = (range.start >> BLOCK_BITS, (range.end - 1) >> BLOCK_BITS);
        if first == last {
            let at = first << BLOCK_BITS;
            Cow::Borrowed(&self.blocks[first][range.start - at..range.end - at])
        } else {
            Cow::Owned(range.map(|i| self[i]).collect())
        }
    }

    /// Bytes in use (a block's untouched tail is reserved, not resident).
    fn heap_bytes(&self) -> usize {
        self.len * std::mem::size_of::<T>()
    }
}

impl<T> Index<usize> for Blocks<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.blocks[i >> BLOCK_BITS][i & (BLOCK - 1)]
    }
}

impl<T> IndexMut<usize> for Blocks<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.blocks[i >> BLOCK_BITS][i & (BLOCK - 1)]
    }
}

/// Postings held in the recent table before they are merged into the sorted base. Fixed, so the
/// table stays small (a few MB when full) however large the base grows.
const RECENT_MAX: usize = 1 << 17;

/// The postings added since the last merge, by short key. The slots of one key lie together, so
/// a key with many recent postings (a SimHash block that near-duplicates share) reads as a slice.
#[derive(Debug, Default)]
struct Recent {
    by_key: FxHashMap<u64, Vec<u32>>,
    len: usize,
}

impl Recent {
    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn push(&mut self, short: u64, slot: u32) {
        self.by_key.entry(short).or_default().push(slot);
        self.len += 1;
    }

    /// Appends the slots of a short key to `out`, oldest first.
    fn slots_into(&self, short: u64, out: &mut Vec<u32>) {
        if let Some(slots) = self.by_key.get(&short) {
            out.extend_from_slice(slots);
        }
    }

    /// Takes every posting out, emptying the table.
    fn drain(&mut self) -> Vec<(u64, u32)> {
        let mut out = Vec::with_capacity(self.len);
        for (short, slots) in self.by_key.drain() {
            out.extend(slots.into_iter().map(|s| (short, s)));
        }
        self.len = 0;
        out
    }

    fn heap_bytes(&self) -> usize {
        // Per key: the map's entry (key, vector header, control byte) and the slots.
        self.by_key.capacity() * 41 + self.len * 4
    }
}

/// Bits of a key kept with each posting, below the directory's bits.
const TAG_BITS: u32 = 16;

/// A multimap from 64-bit keys to slots. A key is known by its top `dir_bits` bits (its bucket:
/// the directory says where the bucket's postings lie) and, when `tagged`, the next 16 bits (its
/// tag, stored with the posting). Keys that agree on those bits are not told apart: callers
/// either check candidates exactly (SimHash distance) or accept a rare false hit (anchors, one in
/// 65,536 per posting of the bucket). Postings sit in a sorted base, ordered by (bucket, tag,
/// slot), and a small table of recent additions that is merged into the base, in place, when full.
#[derive(Debug)]
pub(crate) struct Buckets {
    dir_bits: u32,
    tagged: bool,
    /// `dir[b]..dir[b + 1]` is the range of the base holding bucket `b` (empty until the base is).
    dir: Vec<u32>,
    slots: Blocks<u32>,
    /// The tag of each posting of the base (empty when untagged).
    tags: Blocks<u16>,
    /// Recent postings by short key (bucket and tag).
    recent: Recent,
    /// One bit per group of short keys, set when the group has a recent posting since the last
    /// merge: most look-ups skip the table (a 128 KB bit set stays in cache; the table does not).
    recent_bits: Vec<u64>,
}

/// Bits of `Buckets::recent_bits`.
const RECENT_FILTER_BITS: u32 = 20;

impl Buckets {
    /// `dir_bits` (1 to 24) sets the directory: 2^dir_bits buckets, 4 bytes each.
    pub(crate) fn new(dir_bits: u32, tagged: bool) -> Buckets {
        Buckets {
            dir_bits: dir_bits.clamp(1, 24),
            tagged,
            dir: Vec::new(),
            slots: Blocks::default(),
            tags: Blocks::default(),
            recent: Recent::default(),
            recent_bits: vec![0; 1 << (RECENT_FILTER_BITS - 6)],
        }
    }

    /// Builds the index in two passes over every (key, slot) posting: `pass` is called twice and
    /// must hand over the same postings both times. The first pass counts each bucket, the second
    /// places the postings, so no more memory is needed than the index itself.
    pub(crate) fn build<E>(
        dir_bits: u32,
        tagged: bool,
        mut pass: impl FnMut(&mut dyn FnMut(u64, u32)) -> Result<(), E>,
    ) -> Result<Buckets, E> {
        let mut b = Buckets::new(dir_bits, tagged);
        let buckets = 1usize << b.dir_bits;
        let mut dir = vec![0u32; buckets + 1];
        let shift = 64 - b.dir_bits;
        pass(&mut |key, _| dir[(key >> shift) as usize + 1] += 1)?;
        for i in 0..buckets {
            dir[i + 1] += dir[i];
        }
        let total = dir[buckets] as usize;
        let mut next = dir.clone();
        b.slots.grow_to(total);
        if tagged {
            b.tags.grow_to(total);
        }
        pass(&mut |key, slot| {
            let (bucket, tag) = b.split(key);
            let at = &mut next[bucket];
            // A second pass with more postings than the first is a caller's bug; skip them.
            if *at < dir[bucket + 1] {
                b.slots[*at as usize] = slot;
                if tagged {
                    b.tags[*at as usize] = tag;
                }
                *at += 1;
            }
        })?;
        drop(next);
        b.dir = dir;
        for bucket in 0..buckets {
            b.sort_bucket(bucket);
        }
        Ok(b)
    }

    fn sort_bucket(&mut self, bucket: usize) {
        let range = self.dir[bucket] as usize..self.dir[bucket + 1] as usize;
        if range.len() < 2 {
            return;
        }
        if self.tagged {
            let mut pairs: Vec<(u16, u32)> = range
                .clone()
                .map(|i| (self.tags[i], self.slots[i]))
                .collect();
            pairs.sort_unstable();
            for (i, (t, s)) in range.zip(pairs) {
                self.tags[i] = t;
                self.slots[i] = s;
            }
        } else {
            let mut slots = self.slots.range(range.clone()).into_owned();
            slots.sort_unstable();
            for (i, s) in range.zip(slots) {
                self.slots[i] = s;
            }
        }
    }

    /// (bucket, tag) of a key.
    fn split(&self, key: u64) -> (usize, u16) {
        let bucket = (key >> (64 - self.dir_bits)) as usize;
        let tag = if self.tagged {
            (key >> (64 - self.dir_bits - TAG_BITS)) as u16
        } else {
            0
        };
        (bucket, tag)
    }

    fn short(&self, key: u64) -> u64 {
        let (bucket, tag) = self.split(key);
        (bucket as u64) << TAG_BITS | u64::from(tag)
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len() + self.recent.len()
    }

    /// Bytes held by the arrays (for stats and benchmarks).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.heap_bytes()
            + self.tags.heap_bytes()
            + self.dir.capacity() * 4
            + self.recent.heap_bytes()
            + self.recent_bits.capacity() * 8
    }

    /// The two bits of `recent_bits` for a short key (a Bloom filter with two hashes: when the
    /// table is full, one look-up in 20 of an absent key passes it, against one in 8 with one).
    fn filter_bits(short: u64) -> [usize; 2] {
        let h = short.wrapping_mul(0xD6E8_FEB8_6659_FD93);
        [
            (h >> (64 - RECENT_FILTER_BITS)) as usize,
            ((h >> (64 - 2 * RECENT_FILTER_BITS)) & ((1 << RECENT_FILTER_BITS) - 1)) as usize,
        ]
    }

    /// Appends the recent slots of a short key to `out`, oldest first.
    fn recent_slots_into(&self, short: u64, out: &mut Vec<u32>) {
        if self.maybe_recent(short) {
            self.recent.slots_into(short, out);
        }
    }

    /// Whether a short key may have recent postings (false: it has none).
    fn maybe_recent(&self, short: u64) -> bool {
        let set = |i: usize| self.recent_bits[i >> 6] & (1 << (i & 63)) != 0;
        Buckets::filter_bits(short).into_iter().all(set)
    }

    pub(crate) fn insert(&mut self, key: u64, slot: u32) {
        let short = self.short(key);
        for i in Buckets::filter_bits(short) {
            self.recent_bits[i >> 6] |= 1 << (i & 63);
        }
        self.recent.push(short, slot);
        if self.recent.len() >= RECENT_MAX {
            self.compact();
        }
    }

    /// The base's postings of a key, as a range of `slots`.
    fn base_range(&self, key: u64) -> Range<usize> {
        if self.dir.is_empty() {
            return 0..0;
        }
        let bucket = self.split(key).0;
        let (a, b) = (self.dir[bucket] as usize, self.dir[bucket + 1] as usize);
        self.tag_range(key, a..b)
    }

    /// The postings of `key` within its bucket's range `a..b` of the base.
    fn tag_range(&self, key: u64, bucket: Range<usize>) -> Range<usize> {
        if !self.tagged || bucket.is_empty() {
            return bucket;
        }
        let tag = self.split(key).1;
        let tags = self.tags.range(bucket.clone());
        let start = tags.partition_point(|&t| t < tag);
        let end = start + tags[start..].partition_point(|&t| t == tag);
        bucket.start + start..bucket.start + end
    }

    #[cfg(test)]
    /// How many postings a key has.
    pub(crate) fn count(&self, key: u64) -> usize {
        let mut recent = Vec::new();
        self.recent_slots_into(self.short(key), &mut recent);
        self.base_range(key).len() + recent.len()
    }

    /// Calls `f` with each slot of a key, unless there are more than `max`; returns how many
    /// there are.
    pub(crate) fn get(&self, key: u64, max: usize, mut f: impl FnMut(u32)) -> usize {
        let range = self.base_range(key);
        let mut recent = Vec::new();
        self.recent_slots_into(self.short(key), &mut recent);
        let n = range.len() + recent.len();
        if n <= max {
            self.slots.range(range).iter().for_each(|&s| f(s));
            recent.iter().for_each(|&s| f(s));
        }
        n
    }

    /// `get` for many keys at once: calls `f(i, n, slots)` for each key `keys[i]` that has `n`
    /// postings, 1 to `max`. The directory is read for every key before any postings are, so the
    /// memory loads overlap instead of waiting one after another.
    pub(crate) fn get_many(
        &self,
        keys: &[u64],
        max: usize,
        mut f: impl FnMut(usize, usize, &[u32]),
    ) {
        let ranges: Vec<(u32, u32)> = if self.dir.is_empty() {
            Vec::new()
        } else {
            let shift = 64 - self.dir_bits;
            keys.iter()
                .map(|&k| {
                    let b = (k >> shift) as usize;
                    (self.dir[b], self.dir[b + 1])
                })
                .collect()
        };
        // Touch each range's first tag, again all before any is searched: the loads overlap, and
        // the searches below find their cache lines loaded.
        if self.tagged {
            let touched = ranges
                .iter()
                .filter(|&&(a, b)| a < b)
                .fold(0u16, |acc, &(a, _)| acc ^ self.tags[a as usize]);
            std::hint::black_box(touched);
        }
        // The recent filter too, for every key before any chain is walked.
        let maybe_recent: Vec<bool> = keys
            .iter()
            .map(|&k| self.maybe_recent(self.short(k)))
            .collect();
        let mut recent = Vec::new();
        let mut both = Vec::new();
        for (i, &key) in keys.iter().enumerate() {
            let (a, b) = ranges
                .get(i)
                .map_or((0, 0), |&(a, b)| (a as usize, b as usize));
            let range = self.tag_range(key, a..b);
            recent.clear();
            if maybe_recent[i] {
                self.recent.slots_into(self.short(key), &mut recent);
            }
            let n = range.len() + recent.len();
            if n == 0 || n > max {
                continue;
            }
            if recent.is_empty() {
                f(i, n, &self.slots.range(range));
            } else {
                both.clear();
                both.extend_from_slice(&self.slots.range(range));
                both.extend_from_slice(&recent);
                f(i, n, &both);
            }
        }
    }

    /// Merges the recent postings into the base, from the back so that no second copy of the
    /// base is needed, and updates the directory.
    pub(crate) fn compact(&mut self) {
        if self.recent.is_empty() {
            return;
        }
        let buckets = 1usize << self.dir_bits;
        if self.dir.is_empty() {
            self.dir = vec![0; buckets + 1];
        }
        let mut fresh = self.recent.drain();
        self.recent_bits.fill(0);
        fresh.sort_unstable();
        let (n, m) = (self.slots.len(), fresh.len());
        self.slots.grow_to(n + m);
        if self.tagged {
            self.tags.grow_to(n + m);
        }
        // The bucket of base posting i - 1, found by walking the directory down as i falls.
        let mut bucket = buckets - 1;
        let (mut i, mut j) = (n, m);
        for k in (0..n + m).rev() {
            if j == 0 {
                break;
            }
            let take_base = i > 0 && {
                while self.dir[bucket] as usize > i - 1 {
                    bucket -= 1;
                }
                let tag = if self.tagged { self.tags[i - 1] } else { 0 };
                let short = (bucket as u64) << TAG_BITS | u64::from(tag);
                (short, self.slots[i - 1]) > fresh[j - 1]
            };
            if take_base {
                self.slots[k] = self.slots[i - 1];
                if self.tagged {
                    self.tags[k] = self.tags[i - 1];
                }
                i -= 1;
            } else {
                let (short, slot) = fresh[j - 1];
                self.slots[k] = slot;
                if self.tagged {
                    self.tags[k] = short as u16;
                }
                j -= 1;
            }
        }
        // Per-bucket counts, plus the fresh ones, summed again into offsets.
        for b in (0..buckets).rev() {
            self.dir[b + 1] -= self.dir[b];
        }
        for &(short, _) in &fresh {
            self.dir[(short >> TAG_BITS) as usize + 1] += 1;
        }
        for b in 0..buckets {
            self.dir[b + 1] += self.dir[b];
        }
    }
}

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
            let (dir_bits, tagged) = (idx.tables[b].dir_bits, idx.tables[b].tagged);
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

    #[cfg(test)]
    /// Merges every table's recent additions into its sorted base.
    pub(crate) fn compact(&mut self) {
        self.tables.iter_mut().for_each(Buckets::compact);
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

/// Bits of a [`SeenFilter`]: 2^23, 1 MB.
const SEEN_BITS: u32 = 23;

/// A Bloom filter of the document hashes stored so far, three bits a hash: says without a read
/// from the store that a document was never seen. It errs only the other way, for about one
/// absent document in 30 at 1,000,000 stored (`(1 - e^(-3n/m))^3`), which the store then answers.
#[derive(Debug, Clone)]
pub struct SeenFilter {
    bits: Vec<u64>,
}

impl Default for SeenFilter {
    fn default() -> SeenFilter {
        SeenFilter {
            bits: vec![0; 1 << (SEEN_BITS - 6)],
        }
    }
}

impl SeenFilter {
    /// Three bit positions from one hash (document hashes are uniform already; the third is
    /// mixed so the three are independent).
    fn positions(hash: u64) -> [usize; 3] {
        let mask = (1u64 << SEEN_BITS) - 1;
        let mixed = hash.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        [hash & mask, (hash >> 32) & mask, mixed >> (64 - SEEN_BITS)].map(|p| p as usize)
    }

    pub fn insert(&mut self, hash: u64) {
        for p in SeenFilter::positions(hash) {
            self.bits[p >> 6] |= 1 << (p & 63);
        }
    }

    /// False when `hash` was never inserted.
    pub fn may_contain(&self, hash: u64) -> bool {
        SeenFilter::positions(hash)
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

    #[test]
    fn blocks_grow_without_moving_and_read_across_their_ends() {
        let mut b: Blocks<u32> = Blocks::default();
        b.grow_to(BLOCK - 2);
        let first = b.blocks[0].as_ptr();
        b.grow_to(2 * BLOCK + 3);
        assert_eq!(b.blocks[0].as_ptr(), first, "the first block did not move");
        for i in 0..b.len() {
            b[i] = i as u32;
        }
        let across: Vec<u32> = (BLOCK as u32 - 3..BLOCK as u32 + 4).collect();
        assert_eq!(&*b.range(BLOCK - 3..BLOCK + 4), &across[..]);
        assert!(matches!(b.range(5..9), Cow::Borrowed(_)));
    }

    #[test]
    fn buckets_spanning_blocks_answer_like_a_scan() {
        // Two buckets of 15,000 postings, each across several blocks.
        let key = |i: u64| (i % 2) << 63 | (i % 1_000) << 48;
        let n = 30_000u32;
        let built = Buckets::build(1, true, |f| {
            (0..n).for_each(|s| f(key(u64::from(s)), s));
            Ok::<(), ()>(())
        })
        .expect("built");
        let mut pushed = Buckets::new(1, true);
        (0..n).for_each(|s| pushed.insert(key(u64::from(s)), s));
        pushed.compact();
        for probe in [0u64, 1, 777, 998, 999] {
            let want: Vec<u32> = (0..n)
                .filter(|&s| key(u64::from(s)) == key(probe))
                .collect();
            for idx in [&built, &pushed] {
                let mut got = Vec::new();
                idx.get(key(probe), usize::MAX, |s| got.push(s));
                got.sort_unstable();
                assert_eq!(got, want, "probe {probe}");
                let mut many = Vec::new();
                idx.get_many(&[key(probe)], usize::MAX, |_, _, s| {
                    many.extend_from_slice(s)
                });
                many.sort_unstable();
                assert_eq!(many, want, "probe {probe}, many");
            }
        }
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

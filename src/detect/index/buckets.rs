//! [`Buckets`], the multimap under both indexes: 64-bit keys to dense slots, laid out for
//! millions of postings (4 bytes of slot and 2 bytes of key a posting, grouped by a directory of
//! the keys' top bits), with recent additions in a small map merged in place when it fills. Pure:
//! no I/O (its snapshot encoding is in `persist.rs`).

use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::ops::{Index, IndexMut, Range};

/// Entries per block of a [`Blocks`] array: 4M (16 MB of slots), so that each block is its own
/// allocation from the system; small in unit tests, so that they cross blocks.
pub(super) const BLOCK_BITS: u32 = if cfg!(test) { 12 } else { 22 };
pub(super) const BLOCK: usize = 1 << BLOCK_BITS;

/// A growable array kept in fixed blocks: growing never moves what is there, so the index grows
/// without a second copy of itself (a large `Vec` that reallocates needs both for a moment).
#[derive(Debug, Default)]
pub(super) struct Blocks<T> {
    pub(super) blocks: Vec<Vec<T>>,
    len: usize,
}

impl<T: Copy + Default> Blocks<T> {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Grows to `n` entries, the new ones `T::default()`.
    pub(super) fn grow_to(&mut self, n: usize) {
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
    pub(super) fn range(&self, range: Range<usize>) -> Cow<'_, [T]> {
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
pub(super) const RECENT_MAX: usize = 1 << 17;

/// The postings added since the last merge, by short key. The slots of one key lie together, so
/// a key with many recent postings (a SimHash block that near-duplicates share) reads as a slice.
#[derive(Debug, Default)]
pub(super) struct Recent {
    pub(super) by_key: FxHashMap<u64, Vec<u32>>,
    len: usize,
}

impl Recent {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn push(&mut self, short: u64, slot: u32) {
        self.by_key.entry(short).or_default().push(slot);
        self.len += 1;
    }

    /// Adds the slots of a short key that has none yet; false (and nothing added) when it has.
    fn push_list(&mut self, short: u64, slots: Vec<u32>) -> bool {
        if slots.is_empty() {
            return true;
        }
        match self.by_key.entry(short) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(v) => {
                self.len += slots.len();
                v.insert(slots);
                true
            }
        }
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
pub(super) const TAG_BITS: u32 = 16;

/// A multimap from 64-bit keys to slots. A key is known by its short key: its top `base_bits`
/// bits and, when `tagged`, the next 16 bits (its tag, stored with the posting). Keys that agree
/// on those bits are not told apart: callers either check candidates exactly (SimHash distance)
/// or accept a rare false hit (anchors: one in 2^36 per posting). Postings sit in a sorted base,
/// ordered by (short key, slot), and a small table of recent additions that is merged into the
/// base, in place, when full.
///
/// The directory is indexed by the top `dir_bits` bits of the key. Untagged, that is the whole
/// short key. Tagged, it starts at `base_bits` and grows with the postings (`wanted_dir_bits`:
/// at most 256 postings a bucket on average), and a probe finds its tag by interpolation
/// (`tag_run`): one directory entry and about one cache line of tags a probe however large the
/// archive (a binary search over the 210 tags of a bucket at 10,000,000 articles waited on four
/// or five loads in a row). The tag stays the 16 bits below `base_bits` (its top bits repeat the
/// bucket's once the directory is wider), so the order of the postings, and what a probe
/// matches, do not depend on the directory's width.
#[derive(Debug)]
pub(crate) struct Buckets {
    pub(super) dir_bits: u32,
    /// The key bits above the tag: the directory's width when it was made, and its least.
    pub(super) base_bits: u32,
    pub(super) tagged: bool,
    /// `dir[b]..dir[b + 1]` is the range of the base holding bucket `b` (empty until the base is).
    pub(super) dir: Vec<u32>,
    pub(super) slots: Blocks<u32>,
    /// The tag of each posting of the base (empty when untagged).
    pub(super) tags: Blocks<u16>,
    /// Recent postings by short key (bucket and tag).
    pub(super) recent: Recent,
    /// One bit per group of short keys, set when the group has a recent posting since the last
    /// merge: most look-ups skip the table (a 128 KB bit set stays in cache; the table does not).
    pub(super) recent_bits: Vec<u64>,
}

/// Bits of `Buckets::recent_bits`.
const RECENT_FILTER_BITS: u32 = 20;

/// The widest directory a tagged table grows to: 2^26 buckets (256 MB), enough for a billion
/// postings at 16 a bucket.
pub(super) const MAX_DIR_BITS: u32 = 26;

/// Postings a bucket of a tagged table holds on average before its directory doubles. A probe
/// reads about one cache line of a bucket whatever its size (`tag_run`), so buckets may be large
/// and the directory small (4 bytes a bucket, 1.5% of the postings' bytes here): a directory
/// that stays in the cache saves a memory load a probe. Growing keeps the guesses close (a
/// guess is off by about the square root of the bucket's size) at a billion postings.
const POSTINGS_PER_BUCKET: usize = 256;

/// Where in a bucket of `n` tags `tag` most likely lies: tags are the bits of uniform hashes, so
/// a bucket's sorted tags rise about evenly from 0 to 65,535 (interpolation search).
pub(super) fn tag_guess(tag: u16, n: usize) -> usize {
    (usize::from(tag) * n) >> TAG_BITS
}

/// Steps a probe walks from its guess before it searches instead (a bucket whose tags are not
/// spread evenly: a SimHash table's, where near-duplicates share bits).
const WALK_MAX: usize = 16;

/// The run of `tag` in sorted `tags`. It starts at `tag_guess`, nearly always in the cache line
/// of the guess or the next, so a probe costs one memory load that can be issued before any
/// other probe's tags arrive; a binary search over a bucket of hundreds of tags waits on
/// several loads in a row. A walk longer than `WALK_MAX` ends in a binary search.
pub(super) fn tag_run(tags: &[u16], tag: u16) -> Range<usize> {
    let n = tags.len();
    if n == 0 {
        return 0..0;
    }
    let mut i = tag_guess(tag, n).min(n - 1);
    let start = if tags[i] < tag {
        // Forward to the first tag not below `tag`.
        let mut steps = 0;
        while i < n && tags[i] < tag && steps < WALK_MAX {
            i += 1;
            steps += 1;
        }
        if i < n && tags[i] < tag {
            i + tags[i..].partition_point(|&t| t < tag)
        } else {
            i
        }
    } else {
        // Back while the tag before is not below `tag`.
        let mut steps = 0;
        while i > 0 && tags[i - 1] >= tag && steps < WALK_MAX {
            i -= 1;
            steps += 1;
        }
        if i > 0 && tags[i - 1] >= tag {
            tags[..i].partition_point(|&t| t < tag)
        } else {
            i
        }
    };
    let mut end = start;
    while end < n && tags[end] == tag && end - start < WALK_MAX {
        end += 1;
    }
    if end < n && tags[end] == tag {
        end += tags[end..].partition_point(|&t| t == tag);
    }
    start..end
}

/// The directory bits a tagged table with `base_bits` wants for `postings`: the fewest that keep
/// the mean bucket at or below `POSTINGS_PER_BUCKET`, at least `base_bits`.
pub(super) fn wanted_dir_bits(base_bits: u32, postings: usize) -> u32 {
    let buckets = postings.div_ceil(POSTINGS_PER_BUCKET).max(1);
    let bits = usize::BITS - (buckets - 1).leading_zeros();
    bits.clamp(
        base_bits,
        MAX_DIR_BITS.min(base_bits + TAG_BITS).max(base_bits),
    )
}

impl Buckets {
    /// `dir_bits` (1 to 24) sets the directory: 2^dir_bits buckets, 4 bytes each (a tagged
    /// table's directory grows from there with its postings).
    pub(crate) fn new(dir_bits: u32, tagged: bool) -> Buckets {
        let dir_bits = dir_bits.clamp(1, 24);
        Buckets {
            dir_bits,
            base_bits: dir_bits,
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
        b.grow_directory();
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
            (key >> (64 - self.base_bits - TAG_BITS)) as u16
        } else {
            0
        };
        (bucket, tag)
    }

    /// The short key of a key: its top `base_bits` bits, then its tag (zero when untagged).
    fn short(&self, key: u64) -> u64 {
        let tag = self.split(key).1;
        (key >> (64 - self.base_bits)) << TAG_BITS | u64::from(tag)
    }

    /// The bucket of a short key in the directory as it is.
    fn bucket_of_short(&self, short: u64) -> usize {
        (short >> (self.base_bits + TAG_BITS - self.dir_bits)) as usize
    }

    /// The short key of a base posting in `bucket` with `tag`.
    fn short_of(&self, bucket: usize, tag: u16) -> u64 {
        ((bucket as u64) >> (self.dir_bits - self.base_bits)) << TAG_BITS | u64::from(tag)
    }

    /// Widens a tagged table's directory to what its postings want (`wanted_dir_bits`), in one
    /// pass over the tags: the postings stay where they are, only the buckets get finer.
    fn grow_directory(&mut self) {
        let want = wanted_dir_bits(self.base_bits, self.slots.len());
        if !self.tagged || want <= self.dir_bits || self.dir.is_empty() {
            return;
        }
        let old_buckets = 1usize << self.dir_bits;
        let mut dir = vec![0u32; (1usize << want) + 1];
        let shift = self.base_bits + TAG_BITS - want;
        for bucket in 0..old_buckets {
            let range = self.dir[bucket] as usize..self.dir[bucket + 1] as usize;
            for &tag in self.tags.range(range).iter() {
                dir[(self.short_of(bucket, tag) >> shift) as usize + 1] += 1;
            }
        }
        for i in 0..1usize << want {
            dir[i + 1] += dir[i];
        }
        self.dir = dir;
        self.dir_bits = want;
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
    pub(super) fn filter_bits(short: u64) -> [usize; 2] {
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
        self.insert_recent(self.short(key), slot);
        if self.recent.len() >= RECENT_MAX {
            self.compact();
        }
    }

    /// Adds a posting by short key to the recent table and its filter.
    pub(super) fn insert_recent(&mut self, short: u64, slot: u32) {
        for i in Buckets::filter_bits(short) {
            self.recent_bits[i >> 6] |= 1 << (i & 63);
        }
        self.recent.push(short, slot);
    }

    /// Adds a short key's recent postings at once (a snapshot's, as read); false when the key
    /// has some already.
    pub(super) fn insert_recent_list(&mut self, short: u64, slots: Vec<u32>) -> bool {
        for i in Buckets::filter_bits(short) {
            self.recent_bits[i >> 6] |= 1 << (i & 63);
        }
        self.recent.push_list(short, slots)
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
        let found = tag_run(&tags, tag);
        bucket.start + found.start..bucket.start + found.end
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
    /// postings, 1 to `max`. The directory is read for every key, then every key's tags, before
    /// any postings are, so the memory loads overlap instead of waiting one after another.
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
        // Touch the tag each probe's search starts at (`tag_guess`), all before any is searched:
        // the loads overlap, and the searches below find their cache lines loaded.
        if self.tagged {
            let tag_shift = 64 - self.base_bits - TAG_BITS;
            let touched = keys.iter().zip(&ranges).filter(|(_, &(a, b))| a < b).fold(
                0u16,
                |acc, (&k, &(a, b))| {
                    let at = tag_guess((k >> tag_shift) as u16, (b - a) as usize);
                    acc ^ self.tags[a as usize + at]
                },
            );
            std::hint::black_box(touched);
        }
        // Every key's postings in its bucket, all found before any is used.
        let found: Vec<Range<usize>> = keys
            .iter()
            .zip(&ranges)
            .map(|(&key, &(a, b))| self.tag_range(key, a as usize..b as usize))
            .collect();
        // The recent filter too, for every key before any chain is walked.
        let maybe_recent: Vec<bool> = keys
            .iter()
            .map(|&k| self.maybe_recent(self.short(k)))
            .collect();
        let mut recent = Vec::new();
        let mut both = Vec::new();
        for (i, &key) in keys.iter().enumerate() {
            let range = found.get(i).cloned().unwrap_or(0..0);
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
                let short = self.short_of(bucket, tag);
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
            let bucket = self.bucket_of_short(short);
            self.dir[bucket + 1] += 1;
        }
        for b in 0..buckets {
            self.dir[b + 1] += self.dir[b];
        }
        self.grow_directory();
    }
}

#[cfg(test)]
#[path = "buckets_tests.rs"]
mod tests;

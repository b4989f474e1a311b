//! The document index: for each document hash (the hash of a whole file as read), the slot of the
//! first article read from such a document, so that a file read again is known as a duplicate
//! without asking the database. It holds hashes and slots; the engine says which articles are a
//! document's first (a duplicate never is) and maps slots to ids. It decides nothing.
//!
//! Laid out for millions of documents: a sorted array of hashes beside their slots (12 bytes a
//! document), and the recent ones in a small map merged into the arrays when it fills. Until
//! schema 8 this was the `exact` tree in sled, whose keys are random: each article's insert and
//! each look-up touched a random leaf, which past a few hundred thousand articles was no longer in
//! sled's cache and was read back from its log, and sled kept a page-table entry per node of it.

use rustc_hash::FxHashMap;

/// Recent documents held in the map before they are merged into the sorted arrays: a merge
/// moves the whole arrays (12 MB at 1,000,000 documents), so it is rare, and the map stays
/// small (about 2 MB).
const RECENT_MAX: usize = 1 << 16;

/// Document hash → slot of its first article.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DocIndex {
    /// Ascending, each once.
    hashes: Vec<u64>,
    /// `slots[i]` is the first article of `hashes[i]`.
    slots: Vec<u32>,
    /// Documents added since the last merge (none of them in the arrays).
    recent: FxHashMap<u64, u32>,
}

impl DocIndex {
    pub fn new() -> DocIndex {
        DocIndex::default()
    }

    /// The index of `pairs` (hash, slot), in any order: where a hash comes more than once, its
    /// lowest slot (its first article) is kept.
    pub fn from_pairs(mut pairs: Vec<(u64, u32)>) -> DocIndex {
        pairs.sort_unstable();
        pairs.dedup_by_key(|p| p.0);
        let (hashes, slots) = pairs.into_iter().unzip();
        DocIndex {
            hashes,
            slots,
            recent: FxHashMap::default(),
        }
    }

    /// The sorted arrays as read back (`persist`): `None` unless the hashes ascend strictly, the
    /// two arrays are as long and every slot is below `slots_max`.
    pub(crate) fn from_sorted(hashes: Vec<u64>, slots: Vec<u32>, slots_max: u32) -> Option<Self> {
        let valid = hashes.len() == slots.len()
            && hashes.windows(2).all(|w| w[0] < w[1])
            && slots.iter().all(|&s| s < slots_max);
        valid.then(|| DocIndex {
            hashes,
            slots,
            recent: FxHashMap::default(),
        })
    }

    /// The slot of the first article of the document with this hash, if any.
    pub fn get(&self, hash: u64) -> Option<u32> {
        if let Ok(i) = self.hashes.binary_search(&hash) {
            return Some(self.slots[i]);
        }
        self.recent.get(&hash).copied()
    }

    /// Records `slot` as the first article of its document, unless the document has one already.
    /// Slots are given in ascending order.
    pub fn insert_first(&mut self, hash: u64, slot: u32) {
        if self.get(hash).is_some() {
            return;
        }
        self.insert_unseen(hash, slot);
    }

    /// `insert_first` of a document the caller knows is not held (a filter of every document
    /// held said so): no look-up.
    pub fn insert_unseen(&mut self, hash: u64, slot: u32) {
        debug_assert!(self.get(hash).is_none(), "a document held already");
        self.recent.insert(hash, slot);
        if self.recent.len() >= RECENT_MAX {
            self.compact();
        }
    }

    /// Merges the recent documents into the sorted arrays, in place from the back (the arrays
    /// grow by the recent ones and nothing else is allocated).
    pub fn compact(&mut self) {
        if self.recent.is_empty() {
            return;
        }
        let mut recent: Vec<(u64, u32)> = self.recent.drain().collect();
        recent.sort_unstable();
        let old = self.hashes.len();
        let total = old + recent.len();
        self.hashes.resize(total, 0);
        self.slots.resize(total, 0);
        // Fill from the end: the larger of the two heads goes last. No hash is in both.
        let (mut i, mut j) = (old, recent.len());
        for out in (0..total).rev() {
            let take_recent = i == 0 || (j > 0 && recent[j - 1].0 > self.hashes[i - 1]);
            if take_recent {
                j -= 1;
                (self.hashes[out], self.slots[out]) = recent[j];
            } else {
                i -= 1;
                self.hashes[out] = self.hashes[i];
                self.slots[out] = self.slots[i];
            }
        }
    }

    /// Every document's hash, in no particular order.
    pub fn hashes(&self) -> impl Iterator<Item = u64> + '_ {
        self.hashes
            .iter()
            .copied()
            .chain(self.recent.keys().copied())
    }

    /// Documents held.
    pub fn len(&self) -> usize {
        self.hashes.len() + self.recent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sorted arrays (recent documents not included: `compact` first).
    pub(crate) fn sorted(&self) -> (&[u64], &[u32]) {
        (&self.hashes, &self.slots)
    }

    /// Whether every document is in the sorted arrays.
    pub(crate) fn is_compact(&self) -> bool {
        self.recent.is_empty()
    }

    /// Bytes held on the heap (the map's by its capacity).
    pub fn heap_bytes(&self) -> usize {
        self.hashes.capacity() * 8 + self.slots.capacity() * 4 + self.recent.capacity() * 16
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// Whatever the order of inserts and merges, the index answers as a map that keeps each
        /// hash's first slot.
        #[test]
        fn answers_as_a_map_keeping_the_first(
            hashes in proptest::collection::vec(0u64..400, 0..600),
            merge_every in 1usize..50,
        ) {
            let mut index = DocIndex::new();
            let mut model: BTreeMap<u64, u32> = BTreeMap::new();
            for (slot, &h) in hashes.iter().enumerate() {
                index.insert_first(h, slot as u32);
                model.entry(h).or_insert(slot as u32);
                if slot % merge_every == 0 {
                    index.compact();
                }
            }
            for h in 0..400 {
                prop_assert_eq!(index.get(h), model.get(&h).copied());
            }
            prop_assert_eq!(index.len(), model.len());
            index.compact();
            let (sorted, slots) = index.sorted();
            prop_assert!(sorted.windows(2).all(|w| w[0] < w[1]));
            prop_assert_eq!(sorted.to_vec(), model.keys().copied().collect::<Vec<_>>());
            prop_assert_eq!(slots.to_vec(), model.values().copied().collect::<Vec<_>>());
            let rebuilt = DocIndex::from_pairs(
                hashes.iter().enumerate().map(|(s, &h)| (h, s as u32)).rev().collect(),
            );
            prop_assert_eq!(rebuilt, index);
        }
    }

    #[test]
    fn merges_when_the_recent_map_fills() {
        let mut index = DocIndex::new();
        for slot in 0..RECENT_MAX as u32 {
            index.insert_first(u64::from(slot).wrapping_mul(0x9E37_79B9_7F4A_7C15), slot);
        }
        assert!(index.is_compact(), "merged once it held {RECENT_MAX}");
        assert_eq!(index.len(), RECENT_MAX);
        assert_eq!(index.get(0x9E37_79B9_7F4A_7C15), Some(1));
        assert_eq!(index.get(7), None);
    }

    #[test]
    fn read_back_arrays_are_checked() {
        assert!(DocIndex::from_sorted(vec![1, 2], vec![0, 1], 2).is_some());
        assert!(
            DocIndex::from_sorted(vec![2, 1], vec![0, 1], 2).is_none(),
            "order"
        );
        assert!(
            DocIndex::from_sorted(vec![1, 1], vec![0, 1], 2).is_none(),
            "repeat"
        );
        assert!(
            DocIndex::from_sorted(vec![1, 2], vec![0], 2).is_none(),
            "lengths"
        );
        assert!(
            DocIndex::from_sorted(vec![1, 2], vec![0, 2], 2).is_none(),
            "slot"
        );
    }
}

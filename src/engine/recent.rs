//! The shingle records of recently verified candidates, kept in memory so that a story that is
//! a candidate for many new ones (the recent story a day's reprints copy, a page of a template
//! many pages share) is read from the store once. Bounded; owned by the deciding thread. It
//! holds copies of what the store holds, which is never rewritten, so it is never stale; it is
//! emptied when a write fails, since ids not written are given again.

use crate::model::ArticleId;
use crate::store::codec::ShingleRecord;
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// Records kept per generation: at most twice this many are held (about 7 KB each for a story
/// of 800 words). Measured with `bench_ingest --stock 0.1` (see ARCHITECTURE.md).
pub(super) const RECENT_RECORDS: usize = 2_048;

/// Two generations: a record found in the older one is moved to the newer; when the newer one
/// is full it becomes the older one and the oldest are dropped. A least-recently-used cache in
/// all that matters here, at the cost of a hash map look-up or two.
pub(super) struct Recent {
    per_generation: usize,
    young: FxHashMap<ArticleId, Arc<ShingleRecord>>,
    old: FxHashMap<ArticleId, Arc<ShingleRecord>>,
    /// Look-ups answered, and not answered, since the engine opened (for the benchmarks).
    pub(super) hits: u64,
    pub(super) misses: u64,
}

impl Recent {
    pub(super) fn new(per_generation: usize) -> Recent {
        Recent {
            per_generation: per_generation.max(1),
            young: FxHashMap::default(),
            old: FxHashMap::default(),
            hits: 0,
            misses: 0,
        }
    }

    pub(super) fn get(&mut self, id: ArticleId) -> Option<Arc<ShingleRecord>> {
        if let Some(r) = self.young.get(&id) {
            self.hits += 1;
            return Some(Arc::clone(r));
        }
        match self.old.remove(&id) {
            Some(r) => {
                self.hits += 1;
                self.put(id, Arc::clone(&r));
                Some(r)
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    pub(super) fn put(&mut self, id: ArticleId, record: Arc<ShingleRecord>) {
        if self.young.len() >= self.per_generation {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(id, record);
    }

    pub(super) fn clear(&mut self) {
        self.young.clear();
        self.old.clear();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(words: u32) -> Arc<ShingleRecord> {
        Arc::new(ShingleRecord {
            words,
            ..ShingleRecord::default()
        })
    }

    #[test]
    fn holds_at_most_two_generations_and_keeps_what_is_used() {
        let mut r = Recent::new(3);
        for id in 1..=3 {
            r.put(id, record(id as u32));
        }
        // 1 is used again, so it moves to the newer generation when that fills.
        r.put(4, record(4)); // 1, 2, 3 become the older generation
        assert_eq!(r.get(1).map(|x| x.words), Some(1));
        for id in 5..=8 {
            r.put(id, record(id as u32));
        }
        assert!(r.len() <= 6, "{} held", r.len());
        assert!(
            r.get(2).is_none() && r.get(3).is_none(),
            "the unused are dropped"
        );
        assert_eq!(r.get(8).map(|x| x.words), Some(8));
        r.clear();
        assert_eq!(r.len(), 0);
        assert!(r.get(8).is_none());
    }
}

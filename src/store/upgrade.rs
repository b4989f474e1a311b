//! The store's side of a schema upgrade: walking the stored articles and writing what the engine
//! derives from each one's stored story (`engine/upgrade.rs` says what changed per version). It
//! derives nothing itself. The caller records the new version last, once everything is durable,
//! so an interrupted upgrade runs again.

use super::codec::{self, Content, FpRecord};
use super::{id_of, Store, StoreError};

/// Articles read per batch of an upgrade: each batch is derived in parallel, then written.
const BATCH: usize = 4_096;

/// `f` of every item, on one scoped thread per core, each taking a contiguous share; in order.
fn par_map<T: Send, U: Send>(mut items: Vec<T>, f: &(impl Fn(T) -> U + Sync)) -> Vec<U> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let share = items.len().div_ceil(cores).max(1);
    let mut shares = Vec::with_capacity(cores);
    while !items.is_empty() {
        let at = items.len().saturating_sub(share);
        shares.push(items.split_off(at));
    }
    shares.reverse();
    std::thread::scope(|s| {
        let threads: Vec<_> = shares
            .into_iter()
            .map(|part| s.spawn(move || part.into_iter().map(f).collect::<Vec<_>>()))
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().expect("an upgrade thread does not panic"))
            .collect()
    })
}

impl Store {
    /// Rewrites every stored fingerprint as `f` makes it from the article's content and its old
    /// record; durable on return. Safe to repeat if interrupted. Returns how many fingerprints
    /// were rewritten.
    pub(crate) fn upgrade_fingerprints(
        &self,
        f: impl Fn(&Content, FpRecord) -> FpRecord + Sync,
    ) -> Result<u64, StoreError> {
        let mut rewritten = 0u64;
        let mut todo: Vec<(sled::IVec, Content, FpRecord)> = Vec::with_capacity(BATCH);
        let encode = |(k, content, old): (sled::IVec, Content, FpRecord)| {
            (k, codec::encode_fp(&f(&content, old)))
        };
        let mut flush = |todo: &mut Vec<(sled::IVec, Content, FpRecord)>| {
            let new = par_map(std::mem::take(todo), &encode);
            rewritten += new.len() as u64;
            let mut batch = sled::Batch::default();
            new.into_iter().for_each(|(k, v)| batch.insert(k, v));
            self.fps.apply_batch(batch)
        };
        for r in self.fps.iter() {
            let (k, v) = r?;
            let Some(id) = id_of(&k) else {
                return Err(StoreError::Corrupt(None, "a fingerprint key".into()));
            };
            let old = codec::decode_fp(&v).ok_or_else(|| {
                StoreError::Corrupt(Some(id), "fingerprint does not decode".into())
            })?;
            let Some(content) = self.content(id)? else {
                continue;
            };
            todo.push((k, content, old));
            if todo.len() == BATCH {
                flush(&mut todo)?;
            }
        }
        flush(&mut todo)?;
        self.sync()?;
        Ok(rewritten)
    }

    /// Writes the `shingles` value `f` encodes from each stored content that has none; durable
    /// on return. Safe to repeat if interrupted. Returns how many values were written.
    pub(crate) fn fill_shingles(
        &self,
        f: impl Fn(&Content) -> Vec<u8> + Sync,
    ) -> Result<u64, StoreError> {
        let mut written = 0u64;
        let mut todo: Vec<(sled::IVec, Content)> = Vec::with_capacity(BATCH);
        let encode = |(k, content): (sled::IVec, Content)| (k, f(&content));
        let mut flush = |todo: &mut Vec<(sled::IVec, Content)>| {
            let new = par_map(std::mem::take(todo), &encode);
            written += new.len() as u64;
            let mut batch = sled::Batch::default();
            new.into_iter().for_each(|(k, v)| batch.insert(k, v));
            self.shingles.apply_batch(batch)
        };
        for r in self.content.iter() {
            let (k, v) = r?;
            let Some(id) = id_of(&k) else {
                return Err(StoreError::Corrupt(None, "a content key".into()));
            };
            if self.shingles.contains_key(&k)? {
                continue;
            }
            let content = codec::decode_content(&v)
                .ok_or_else(|| StoreError::Corrupt(Some(id), "content does not decode".into()))?;
            todo.push((k, content));
            if todo.len() == BATCH {
                flush(&mut todo)?;
            }
        }
        flush(&mut todo)?;
        self.sync()?;
        Ok(written)
    }
}

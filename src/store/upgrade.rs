//! The store's side of a schema upgrade: walking the stored articles and writing what the engine
//! derives from each one's stored story (`engine/upgrade.rs` says what changed per version), and
//! merging the three records older schemas kept per article into one (schema 7), and dropping
//! the `exact` tree (schema 8). It derives
//! nothing itself. The caller records the new version once what the older steps derived is
//! durable, so an interrupted upgrade runs again; the merge runs whenever the older trees still
//! hold records, so one interrupted after the version was recorded is finished by the next open.

use super::codec::{self, ArticleParts, Content, FpRecord};
use super::{id_of, Store, StoreError};
use sled::Transactional;

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

/// The trees in which schemas up to 6 kept an article's fingerprint, content and words apart.
pub(super) struct OldTrees {
    pub(super) fps: sled::Tree,
    pub(super) content: sled::Tree,
    pub(super) shingles: sled::Tree,
    /// Whether they may still hold records (cleared once the merge has emptied them): until
    /// then, an article without a record is looked for in them.
    holding: std::sync::atomic::AtomicBool,
}

/// An article's stored parts: its record (schema 7), or the records older schemas kept apart.
pub(super) enum Kept {
    One(sled::IVec),
    Apart([Option<sled::IVec>; 3]),
}

impl Kept {
    /// The parts, each as encoded on its own.
    pub(super) fn parts(&self, id: u64) -> Result<ArticleParts<'_>, StoreError> {
        match self {
            Kept::One(v) => codec::split_article(v).ok_or_else(|| {
                StoreError::Corrupt(Some(id), "the article's record does not split".into())
            }),
            Kept::Apart([fp, content, words]) => Ok(ArticleParts {
                fp: fp.as_deref(),
                content: content.as_deref(),
                words: words.as_deref(),
            }),
        }
    }
}

impl OldTrees {
    pub(super) fn open(db: &sled::Db) -> Result<OldTrees, StoreError> {
        let trees = OldTrees {
            fps: db.open_tree("fps")?,
            content: db.open_tree("content")?,
            shingles: db.open_tree("shingles")?,
            holding: false.into(),
        };
        let holding =
            !(trees.fps.is_empty() && trees.content.is_empty() && trees.shingles.is_empty());
        trees
            .holding
            .store(holding, std::sync::atomic::Ordering::Relaxed);
        Ok(trees)
    }

    pub(super) fn holding(&self) -> bool {
        self.holding.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The parts kept apart for the article under `k`, if any.
    pub(super) fn get(&self, k: [u8; 8]) -> Result<Option<Kept>, StoreError> {
        if !self.holding() {
            return Ok(None);
        }
        let parts = [
            self.fps.get(k)?,
            self.content.get(k)?,
            self.shingles.get(k)?,
        ];
        Ok(parts
            .iter()
            .any(Option::is_some)
            .then_some(Kept::Apart(parts)))
    }

    /// The highest id they hold.
    pub(super) fn last_id(&self) -> Option<u64> {
        [&self.fps, &self.content, &self.shingles]
            .into_iter()
            .filter_map(|t| t.last().ok().flatten())
            .filter_map(|(k, _)| id_of(&k))
            .max()
    }
}

impl Store {
    /// Drops the `exact` tree of schemas up to 7 (documents' first articles: the engine keeps
    /// them in memory since schema 8), durably; `false` when there is none (dropped before, or a
    /// database made at schema 8). Run after the version is recorded, on every open, so a drop
    /// cut short is done by the next.
    pub(crate) fn drop_exact_tree(&self) -> Result<bool, StoreError> {
        if !self.db.tree_names().iter().any(|n| n.as_ref() == b"exact") {
            return Ok(false);
        }
        self.db.drop_tree("exact")?;
        self.sync()?;
        Ok(true)
    }

    /// Whether records of an older schema wait to be merged (`merge_old_records`).
    pub(crate) fn holds_old_records(&self) -> bool {
        self.old.holding()
    }

    /// Merges every article's fingerprint, content and shingle record, kept apart by schemas up
    /// to 6, into its one record; durable on return. Each batch moves its articles in one
    /// transaction (each article's parts are either still apart or merged, never both or
    /// neither), so a merge interrupted at any point, even by `kill -9`, is finished by running
    /// it again. Returns how many articles were merged.
    pub(crate) fn merge_old_records(&self) -> Result<u64, StoreError> {
        self.merge_batches(BATCH, usize::MAX)
    }

    /// `merge_old_records` in batches of `batch` articles, stopping after `most` batches (an
    /// interrupted merge, for the tests).
    pub(super) fn merge_batches(&self, batch: usize, most: usize) -> Result<u64, StoreError> {
        let old = &self.old;
        let mut merged = 0u64;
        let mut batches = 0;
        // Each tree in turn, from its first key: every article with content has all three
        // parts there, so the first pass moves nearly all.
        for tree in [&old.content, &old.fps, &old.shingles] {
            // Past the keys merged: sled may keep the emptied nodes a while, so each batch
            // starts where the last one ended rather than walking them again.
            let mut from: Vec<u8> = Vec::new();
            loop {
                if batches == most {
                    self.sync()?;
                    return Ok(merged);
                }
                let keys: Vec<sled::IVec> = tree
                    .range(from.as_slice()..)
                    .keys()
                    .take(batch)
                    .collect::<Result<_, _>>()?;
                let Some(last) = keys.last() else {
                    break;
                };
                from = last.to_vec();
                from.push(0);
                let mut records = Vec::with_capacity(keys.len());
                for k in &keys {
                    let id = id_of(k).ok_or_else(|| StoreError::Corrupt(None, "a key".into()))?;
                    let parts = [old.fps.get(k)?, old.content.get(k)?, old.shingles.get(k)?];
                    let words = match &parts[2] {
                        Some(w) => Some(codec::words_of_shingle_record(w).ok_or_else(|| {
                            StoreError::Corrupt(Some(id), "shingle record does not decode".into())
                        })?),
                        None => None,
                    };
                    let record = codec::encode_article(ArticleParts {
                        fp: parts[0].as_deref(),
                        content: parts[1].as_deref(),
                        words: words.as_deref(),
                    });
                    records.push((k.clone(), record));
                }
                (&self.stories, &old.fps, &old.content, &old.shingles)
                    .transaction(|(stories, fps, content, shingles)| {
                        for (k, record) in &records {
                            stories.insert(k, record.as_slice())?;
                            fps.remove(k)?;
                            content.remove(k)?;
                            shingles.remove(k)?;
                        }
                        Ok(())
                    })
                    .map_err(|e: sled::transaction::TransactionError<()>| match e {
                        sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
                        sled::transaction::TransactionError::Abort(()) => {
                            StoreError::Corrupt(None, "transaction aborted".into())
                        }
                    })?;
                merged += records.len() as u64;
                batches += 1;
            }
        }
        self.sync()?;
        old.holding
            .store(false, std::sync::atomic::Ordering::Relaxed);
        Ok(merged)
    }

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
            self.old.fps.apply_batch(batch)
        };
        for r in self.old.fps.iter() {
            let (k, v) = r?;
            let Some(id) = id_of(&k) else {
                return Err(StoreError::Corrupt(None, "a fingerprint key".into()));
            };
            let old = codec::decode_fp(&v).ok_or_else(|| {
                StoreError::Corrupt(Some(id), "fingerprint does not decode".into())
            })?;
            let Some(content) = self.old.content.get(&k)? else {
                continue;
            };
            let content = codec::decode_content(&content)
                .ok_or_else(|| StoreError::Corrupt(Some(id), "content does not decode".into()))?;
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
            self.old.shingles.apply_batch(batch)
        };
        for r in self.old.content.iter() {
            let (k, v) = r?;
            let Some(id) = id_of(&k) else {
                return Err(StoreError::Corrupt(None, "a content key".into()));
            };
            if self.old.shingles.contains_key(&k)? {
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

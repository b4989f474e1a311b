//! Reading the stored fingerprints in order of ids, for the engine's in-memory index: each
//! article's fingerprint, and for the index of documents whether it was its document's first
//! (from its record). It reads; it writes and decides nothing.

use super::codec::{self, FpRecord};
use super::{id_of, key, schema, Store, StoreError};
use crate::model::ArticleId;

impl Store {
    /// Fingerprints of committed articles, oldest first (ids past the last record, left by a
    /// crash between writes, are skipped).
    pub(crate) fn for_each_fingerprint(
        &self,
        f: impl FnMut(ArticleId, FpRecord),
    ) -> Result<(), StoreError> {
        self.for_each_fingerprint_after(0, f)
    }

    /// `for_each_fingerprint` of the articles with ids above `after`.
    pub(crate) fn for_each_fingerprint_after(
        &self,
        after: ArticleId,
        mut f: impl FnMut(ArticleId, FpRecord),
    ) -> Result<(), StoreError> {
        self.fingerprints_after(after, |id, fp| {
            f(id, fp);
            Ok(())
        })
    }

    /// `for_each_fingerprint_after`, with whether each article was the first read from its
    /// document (`fp.exact`): whether the detector did not find it a duplicate (its verdict as
    /// its record keeps it, or the one editors overruled). What the engine's index of documents
    /// is made again from: the `exact` tree held an article when, and only when, it was that.
    pub(crate) fn for_each_indexed_after(
        &self,
        after: ArticleId,
        mut f: impl FnMut(ArticleId, FpRecord, bool),
    ) -> Result<(), StoreError> {
        // The records are read beside the fingerprints, in the same order of ids.
        let mut records = self.articles.range(key(after.saturating_add(1))..);
        let mut record = records.next().transpose()?;
        self.fingerprints_after(after, |id, fp| {
            let first = loop {
                match &record {
                    Some((k, v)) if id_of(k) == Some(id) => {
                        break !schema::admitted_duplicate(Some(id), v)?
                    }
                    Some((k, _)) if id_of(k).is_some_and(|k| k < id) => {
                        record = records.next().transpose()?;
                    }
                    // No record: not committed, so no document's first.
                    _ => break false,
                }
            };
            f(id, fp, first);
            Ok(())
        })
    }

    /// The ids of the articles the detector found duplicates (their verdict as their records
    /// keep it, or the one editors overruled): the articles that are no document's first.
    pub(crate) fn duplicate_ids(&self) -> Result<rustc_hash::FxHashSet<ArticleId>, StoreError> {
        let mut out = rustc_hash::FxHashSet::default();
        for r in self.articles.iter() {
            let (k, v) = r?;
            let id = id_of(&k);
            if schema::admitted_duplicate(id, &v)? {
                out.extend(id);
            }
        }
        Ok(out)
    }

    fn fingerprints_after(
        &self,
        after: ArticleId,
        mut f: impl FnMut(ArticleId, FpRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let last = self.next_id()?.saturating_sub(1);
        // The upgrade (`Engine::open`) has merged what older schemas kept apart before the
        // index is read.
        for r in self.stories.range(key(after.saturating_add(1))..) {
            let (k, v) = r?;
            let id =
                id_of(&k).ok_or_else(|| StoreError::Corrupt(None, "a fingerprint key".into()))?;
            if id > last {
                break;
            }
            let parts = codec::split_article(&v).ok_or_else(|| {
                StoreError::Corrupt(Some(id), "the article's record does not split".into())
            })?;
            let Some(fp) = parts.fp else {
                continue;
            };
            let fp = codec::decode_fp(fp).ok_or_else(|| {
                StoreError::Corrupt(Some(id), "fingerprint does not decode".into())
            })?;
            f(id, fp)?;
        }
        Ok(())
    }

    /// The fingerprint record of one article.
    pub(crate) fn fingerprint(&self, id: ArticleId) -> Result<Option<FpRecord>, StoreError> {
        let Some(kept) = self.kept(id)? else {
            return Ok(None);
        };
        match kept.parts(id)?.fp {
            None => Ok(None),
            Some(v) => codec::decode_fp(v)
                .map(Some)
                .ok_or_else(|| StoreError::Corrupt(Some(id), "fingerprint does not decode".into())),
        }
    }
}

//! The engine's in-memory index: where it comes from (its snapshot and the fingerprints stored
//! since, or a rebuild from every stored fingerprint) and when it is saved. It decides nothing;
//! `Engine::decide` and `candidates` read it, `admit` adds to it.

use super::templates::{SiteTemplates, Templates};
use super::{snapshot, Engine, EngineError};
use crate::detect::index::{AnchorIndex, DocIndex, SeenFilter, SimIndex};
use crate::fingerprint::SimHash;
use crate::model::ArticleId;
use crate::model::Status;
use crate::store::StoreError;

/// The in-memory index, read from its snapshot (or rebuilt from the store's fingerprints) on
/// first use.
pub(super) struct Loaded {
    pub(super) sim: SimIndex,
    pub(super) anchors: AnchorIndex,
    pub(super) ids: Vec<ArticleId>,
    /// The document hashes stored: most new documents need no look-up in `docs`.
    pub(super) seen: SeenFilter,
    /// Each document's first article, by slot (a duplicate is never one).
    pub(super) docs: DocIndex,
    pub(super) templates: Templates,
    /// Templates learned per site; shared with the preparers of an ingest call, copied when
    /// learning while they hold it.
    pub(super) sites: std::sync::Arc<SiteTemplates>,
}

/// Learned site template blocks held in memory, in all: about 40 bytes each with their indexes,
/// so 4 MB; the sites that learned least recently are forgotten first.
const SITE_TEMPLATE_MAX_BLOCKS: usize = 100_000;

/// Where the in-memory index came from when it was last loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexOrigin {
    /// Read from its snapshot, with the fingerprints stored after it added.
    Snapshot { covered: u64, replayed: u64 },
    /// Built from every stored fingerprint; `why` says why no snapshot was used, if one exists.
    Rebuilt { why: Option<String> },
}

/// The parts of the index that its snapshot holds (templates are learned again from the store).
pub(super) struct IndexParts {
    pub(super) sim: SimIndex,
    pub(super) anchors: AnchorIndex,
    pub(super) ids: Vec<ArticleId>,
    pub(super) seen: SeenFilter,
    pub(super) docs: DocIndex,
}

impl Engine {
    pub(super) fn load(&mut self) -> Result<&mut Loaded, EngineError> {
        if self.loaded.is_none() {
            let started = std::time::Instant::now();
            let prefetch = self.prefetch.take();
            let (parts, origin) = self.load_index(prefetch)?;
            let IndexParts {
                sim,
                anchors,
                ids,
                seen,
                docs,
            } = parts;
            let index_secs = started.elapsed().as_secs_f64();
            // Templates after the index (a thread of their own beside it made the first load no
            // faster on two busy cores, in three runs at 1,000,000, and held about 20 MB more).
            let (templates, sites, templates_secs) = self.learn_templates()?;
            self.saved_slots = match origin {
                IndexOrigin::Snapshot { covered, .. } => covered as usize,
                IndexOrigin::Rebuilt { .. } => 0,
            };
            self.origin = Some(origin);
            let loaded = Loaded {
                sim,
                anchors,
                ids,
                seen,
                docs,
                templates,
                sites: std::sync::Arc::new(sites),
            };
            self.load_secs = Some((index_secs, templates_secs));
            self.loaded = Some(loaded);
            // A snapshot saved with fewer articles may hold a filter they now crowd; nothing
            // is admitted before the first load, so every article indexed is stored.
            self.grow_seen_if_crowded()?;
        }
        Ok(self.loaded.as_mut().expect("loaded above"))
    }

    /// The templates learned again from the store (each site's, and the blocks of the newest
    /// unique stories), with the seconds it took.
    fn learn_templates(&self) -> Result<(Templates, SiteTemplates, f64), EngineError> {
        let started = std::time::Instant::now();
        let s = &self.settings;
        let mut templates = Templates::new(s.template_window_articles, s.template_min_articles);
        let mut sites = SiteTemplates::new(SITE_TEMPLATE_MAX_BLOCKS);
        for (site, stamp, blocks) in self.store.site_templates()? {
            sites.restore(site, stamp, &blocks);
        }
        let mut recent = self.store.recent_blocks(s.template_window_articles)?;
        recent.reverse();
        for (id, blocks) in recent {
            // As at ingest: only new stories teach templates, never reprints of one.
            if self
                .store
                .record(id)?
                .is_some_and(|r| r.status == Status::Unique)
            {
                templates.learn(blocks);
            }
        }
        Ok((templates, sites, started.elapsed().as_secs_f64()))
    }

    /// The index from its snapshot and the fingerprints stored since, or rebuilt from every stored
    /// fingerprint when there is no snapshot to trust; with the number of articles the snapshot
    /// covers.
    fn load_index(
        &self,
        prefetch: Option<snapshot::Prefetch>,
    ) -> Result<(IndexParts, IndexOrigin), EngineError> {
        // A snapshot read while the database opened is checked against it now. When that read
        // found none, or one refused, the file is read once more: the process that held the
        // database while this one waited for it may have saved a snapshot since.
        let early = prefetch.map(|prefetch| {
            prefetch.finish().and_then(|read| {
                read.map(|unchecked| snapshot::check(&self.store, &self.settings, unchecked))
                    .transpose()
            })
        });
        let found = match early {
            Some(Ok(Some(saved))) => Ok(Some(saved)),
            _ => snapshot::load(&self.store, &self.settings),
        };
        match found {
            Ok(Some(saved)) => {
                let covered = saved.ids.len() as u64;
                let parts = self.replay(saved)?;
                let replayed = parts.ids.len() as u64 - covered;
                Ok((parts, IndexOrigin::Snapshot { covered, replayed }))
            }
            Ok(None) => Ok((self.rebuild()?, IndexOrigin::Rebuilt { why: None })),
            Err(why) => {
                eprintln!(
                    "copydesk: the saved index '{}' is not used ({why}); rebuilding it from the \
                     database",
                    snapshot::path(self.store.path()).display()
                );
                let why = Some(why.to_string());
                Ok((self.rebuild()?, IndexOrigin::Rebuilt { why }))
            }
        }
    }

    /// The index from its snapshot, with the fingerprints stored since added as `admit` adds them.
    fn replay(&self, saved: snapshot::Saved) -> Result<IndexParts, EngineError> {
        let snapshot::Saved {
            mut sim,
            mut anchors,
            mut ids,
            mut seen,
            mut docs,
            covered,
        } = saved;
        self.store
            .for_each_indexed_after(covered.last_id, |id, fp, first| {
                let slot = sim.push(SimHash(fp.simhash));
                anchors.insert(slot, &fp.anchors);
                ids.push(id);
                seen.insert(fp.exact);
                if first {
                    docs.insert_first(fp.exact, slot);
                }
            })?;
        Ok(IndexParts {
            sim,
            anchors,
            ids,
            seen,
            docs,
        })
    }

    /// The index built from every stored fingerprint.
    pub(super) fn rebuild(&self) -> Result<IndexParts, EngineError> {
        // Which articles the detector found duplicates (no document's first) is in their
        // records, read on a thread of their own beside the fingerprints: the two scans take
        // about as long (at 1,000,000 articles, reading the records after the fingerprints made
        // a rebuild 1.3 s longer).
        let store = &self.store;
        let (parts, duplicates) = std::thread::scope(|s| {
            let duplicates = std::thread::Builder::new()
                .name("copydesk-records".into())
                .spawn_scoped(s, || store.duplicate_ids())
                .ok();
            let parts = self.rebuild_fingerprints();
            let duplicates = match duplicates {
                Some(t) => t.join().unwrap_or_else(|_| {
                    Err(StoreError::Corrupt(
                        None,
                        "reading the records stopped".into(),
                    ))
                }),
                None => store.duplicate_ids(),
            };
            (parts, duplicates)
        });
        let (parts, mut firsts) = parts?;
        let duplicates = duplicates?;
        if !duplicates.is_empty() {
            firsts.retain(|&(_, slot)| !duplicates.contains(&parts.ids[slot as usize]));
        }
        Ok(IndexParts {
            docs: DocIndex::from_pairs(firsts),
            ..parts
        })
    }

    /// `rebuild` but for the index of documents: with every article's (document, slot), for the
    /// caller to keep the documents' firsts of.
    fn rebuild_fingerprints(&self) -> Result<(IndexParts, Vec<(u64, u32)>), EngineError> {
        let (mut fps, mut ids, mut firsts) = (Vec::new(), Vec::new(), Vec::new());
        // Sized for every id given so far (at least the articles stored).
        let mut seen = SeenFilter::for_documents(self.next_id.saturating_sub(1) as usize);
        // Two passes over the stored fingerprints (see `AnchorIndex::build`); the first also
        // collects the SimHashes and ids.
        let mut first = true;
        let anchors = AnchorIndex::build(|f| {
            let collect = std::mem::take(&mut first);
            let mut slot = 0u32;
            self.store.for_each_fingerprint(|id, fp| {
                if collect {
                    fps.push(fp.simhash);
                    ids.push(id);
                    // The fingerprint's exact hash is the document's hash (`admit`).
                    seen.insert(fp.exact);
                    firsts.push((fp.exact, slot));
                }
                fp.anchors.iter().for_each(|&a| f(a, slot));
                slot += 1;
            })
        })?;
        let sim = SimIndex::build(self.settings.simhash_max_distance, fps);
        let parts = IndexParts {
            sim,
            anchors,
            ids,
            seen,
            docs: DocIndex::new(),
        };
        Ok((parts, firsts))
    }

    /// Makes the document filter again, larger, from the index of documents when the articles
    /// indexed crowd it (`SeenFilter::crowded`: one in 30 new documents would then be looked up
    /// in `docs` for nothing, nine in ten at 10,000,000 in the first filter's size). Returns
    /// whether it did. The new filter holds every document `docs` holds, which is every one a
    /// look-up can find (it once read every stored fingerprint again: seconds at millions of
    /// articles, in the middle of an ingest).
    pub(super) fn grow_seen_if_crowded(&mut self) -> Result<bool, EngineError> {
        let n = match &self.loaded {
            Some(l) if l.seen.crowded(l.ids.len()) => l.ids.len(),
            _ => return Ok(false),
        };
        let started = std::time::Instant::now();
        let seen = match &self.loaded {
            Some(l) => seen_from_docs(&l.docs, n),
            None => return Ok(false),
        };
        tracing::info!(
            "document filter made again for {n} articles ({} MB) in {:.2} s",
            seen.heap_bytes() >> 20,
            started.elapsed().as_secs_f64()
        );
        if let Some(l) = self.loaded.as_mut() {
            l.seen = seen;
        }
        Ok(true)
    }

    /// Where the in-memory index came from, once it is loaded.
    pub fn index_origin(&self) -> Option<&IndexOrigin> {
        self.origin.as_ref()
    }

    /// Bytes held by each part of the loaded index (its arrays, as `heap_bytes` counts them), for
    /// benchmarks and stats: SimHash tables, anchor index, slot ids, document filter.
    pub fn index_heap_bytes(&self) -> Option<[(&'static str, usize); 5]> {
        self.loaded.as_ref().map(|l| {
            [
                ("simhash", l.sim.heap_bytes()),
                ("anchors", l.anchors.heap_bytes()),
                ("ids", l.ids.capacity() * 8),
                ("seen", l.seen.heap_bytes()),
                ("docs", l.docs.heap_bytes()),
            ]
        })
    }

    /// Seconds the last load took: the index (snapshot and replay, or rebuild), then the
    /// templates learned again from the newest stories.
    pub fn index_load_secs(&self) -> Option<(f64, f64)> {
        self.load_secs
    }

    /// Loads the in-memory index now if it is not yet (it is otherwise loaded on first use).
    pub fn load_index_now(&mut self) -> Result<(), EngineError> {
        self.load().map(|_| ())
    }

    /// Writes the in-memory index to its snapshot when at least `min_new` articles were added
    /// since the snapshot on disk (and at least one): a restart then reads it instead of
    /// rebuilding. Returns what the new snapshot covers, if one was written. Call it between
    /// commands only: the index then holds committed articles alone.
    pub(crate) fn save_index(
        &mut self,
        min_new: usize,
    ) -> Result<Option<snapshot::Covered>, snapshot::SnapshotError> {
        let last_seq = self.last_seq();
        let Some(loaded) = &mut self.loaded else {
            return Ok(None);
        };
        let new = loaded.ids.len().saturating_sub(self.saved_slots);
        if new == 0 || new < min_new {
            return Ok(None);
        }
        // Recent postings merged into the sorted base first: the snapshot then holds sorted
        // arrays alone, read back in bulk, where a restart would otherwise rebuild a map of up
        // to 131,072 recent postings entry by entry before its first verdict. The merge costs
        // the save what it saves the start (0.2 s at 3,000,000 articles in `bench_lookup`).
        loaded.sim.compact();
        loaded.anchors.compact();
        loaded.docs.compact();
        let covered = snapshot::save(&self.store, loaded, last_seq)?;
        self.saved_slots = loaded.ids.len();
        Ok(Some(covered))
    }
}

/// A document filter sized for `n` articles holding every document of `docs`.
pub(super) fn seen_from_docs(docs: &DocIndex, n: usize) -> SeenFilter {
    let mut seen = SeenFilter::for_documents(n);
    docs.hashes().for_each(|h| seen.insert(h));
    seen
}

//! The sled schema: trees, key layout, records, the schema version, durable commits. It stores
//! and fetches; it decides nothing.
//!
//! Trees (ids are u64 big-endian, so keys sort by arrival):
//! - `meta`: `schema` → u32; `count/<status>` → u64 counters.
//! - `articles`: id → `schema::Record` (JSON). Written last in a commit: the commit point.
//! - `stories`: id → the article's one record (`codec::encode_article`), written once and never
//!   changed: its fingerprint (`FpRecord`, what the in-memory index is rebuilt from), its
//!   content (blocks, site and the LZ4-compressed cleaned story) and its words (what verifying
//!   it as a candidate needs with the content's blocks and site, `codec::StoryTokens`: the
//!   story's normalised words LZ4-compressed against its text, and the story hash). Up to
//!   schema 6 the three parts were three trees (`fps`, `content`, `shingles`); the upgrade
//!   merges them (`upgrade.rs`), and until it is done their records are read where they are.
//! - (`exact`, up to schema 7: hash of a document as read → id of the first article read from
//!   such a document. Since schema 8 the engine keeps that in memory, `detect::index::DocIndex`,
//!   made again from each article's fingerprint and record: `for_each_indexed_after`.)
//! - `paths`: file path → `schema::Path` (the latest ingest of that path).
//! - `events`: last sequence number of a commit → its `schema::Event`s (a JSON array): the log clients
//!   follow and catch up from.
//! - `overrules`: story hash ++ other id → editor's name: pairs the detector must not flag again.
//! - `templates`: site key → that site's learned template blocks (`codec::encode_site`), written
//!   with the article whose verdict learned them.

pub mod codec;
mod export;
pub use export::Salvaged;
mod lock;
mod os;
pub use lock::wait_until_free;
use os::{open_catching_panics, random_u64, sync_dir_files};
pub(crate) use os::{runs_out, SEARCH_DIR};
mod scan;
mod schema;
mod upgrade;
mod verify;

use crate::model::{ArticleId, ArticleRecord, Event, Health, Status};
use codec::{Content, FpRecord, ShingleRecord, StoryTokens};
use serde::Serialize;
use sled::transaction::TransactionError;
use sled::Transactional;
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// 2: anchors are 64-bit; 3: the SimHash is taken over the shingles' xxh3 hashes. Older
/// databases are upgraded on open (`engine/upgrade.rs`).
/// 4: content records carry the page's site and each block's prose flag (content version 2;
/// version 1 records are read as they are, see `codec::decode_content`), and the `templates`
/// tree holds what was learned per site. A version 3 database needs no rewrite: opening it
/// records version 4, so an older copydesk, which cannot read the new records, refuses it.
/// 5: the `shingles` tree holds each article's shingle record; the upgrade derives them from the
/// stored stories.
/// 6: shingle records (version 2) hold their words compressed against the story's text in the
/// `content` record; version 1 records are read as they are, so the upgrade rewrites nothing.
/// 7: an article's fingerprint, content and words are one record in the `stories` tree (one
/// key where there were three: sled's resident page table grows with its nodes); the words no
/// longer repeat the content's site and blocks. The upgrade merges the three trees' records.
/// 8: no `exact` tree: each document's first article is kept in the in-memory index (its random
/// keys cost every write a random leaf, and every look-up one, read back from sled's log once
/// the archive outgrew its cache). The upgrade drops the tree (`drop_exact_tree`).
pub(crate) const SCHEMA_VERSION: u32 = 8;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database '{0}' is in use by another copydesk process (is `copydesk serve` running?); stop it or use its socket")]
    Locked(PathBuf),
    #[error("the database '{path}' cannot be opened: {message}")]
    Open { path: PathBuf, message: String },
    #[error("the database '{path}' has schema version {found}, newer than this copydesk ({supported}); upgrade copydesk")]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("database error: {0}")]
    Sled(#[from] sled::Error),
    #[error("cannot make the database durable: {0}")]
    Sync(std::io::Error),
    #[error("{what} is corrupt: {1}", what = what_is_corrupt(*.0))]
    Corrupt(Option<ArticleId>, String),
    /// Found damaged when opened: copydesk stops rather than serve it empty or half.
    #[error("the database '{path}' is damaged: {message}. Stop here: `copydesk doctor` says what is readable; restore the folder from a backup or move it aside")]
    Damaged { path: PathBuf, message: String },
}

impl StoreError {
    /// Whether the database itself is damaged (as opposed to busy, full or read-only).
    pub fn is_damage(&self) -> bool {
        match self {
            StoreError::Damaged { .. } | StoreError::Corrupt(..) => true,
            StoreError::Sled(e) => matches!(e, sled::Error::Corruption { .. }),
            _ => false,
        }
    }
}

fn what_is_corrupt(id: Option<ArticleId>) -> String {
    id.map_or_else(|| "the database".to_owned(), |id| format!("record {id}"))
}

/// Identity of a file as last ingested from one path: the same path, size, mtime and content is
/// the same file, not a new arrival.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathEntry {
    pub id: ArticleId,
    pub size: u64,
    /// `None` when the file system gave no modification time.
    pub mtime_ns: Option<i128>,
    /// `None` when the file could not be read.
    pub content_hash: Option<u64>,
}

/// A change to one site's learned template, written with the article that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteWrite {
    /// The site's template is now these blocks (oldest first), learned last at `stamp`.
    Put {
        site: u64,
        stamp: u64,
        blocks: Vec<u64>,
    },
    /// The site's template was forgotten (to stay within bounds).
    Remove { site: u64 },
}

/// One article as a commit writes it.
pub struct NewArticle {
    pub record: ArticleRecord,
    pub fp: Option<FpRecord>,
    pub content: Option<Content>,
    /// `content` already encoded (`codec::encode_content` with the store's text cap), when a
    /// preparer thread did it; encoded at write otherwise.
    pub packed_content: Option<Vec<u8>>,
    /// The story's shingle record as prepared, for the articles after it in the same batch to
    /// be verified against (what the store keeps is `packed_shingles`).
    pub shingles: Option<std::sync::Arc<ShingleRecord>>,
    /// What the article's record keeps of the story's words (`codec::encode_story_words`; the
    /// text capped as `packed_content`'s), written with the article.
    pub packed_shingles: Option<Vec<u8>>,
    /// Set when this article is the first read from its document (the hash of all its blocks):
    /// for the articles after it in the same batch. The store keeps no index of documents (the
    /// engine's is in memory); it is the article's fingerprint and record that say it again.
    pub exact_first: Option<u64>,
    pub path: Option<PathEntry>,
    /// Template changes this article's verdict learned.
    pub sites: Vec<SiteWrite>,
}

pub struct Store {
    path: PathBuf,
    db: sled::Db,
    meta: sled::Tree,
    articles: sled::Tree,
    /// Per article, its one record (`codec::encode_article`).
    stories: sled::Tree,
    /// The trees of schema 6 and before, read until the upgrade has merged them into `stories`.
    old: upgrade::OldTrees,
    paths: sled::Tree,
    events: sled::Tree,
    overrules: sled::Tree,
    /// Whether `overrules` may hold anything: false from an open that found it empty until a
    /// triage writes one, so that verifying a candidate asks sled nothing while no editor has
    /// overruled a flag (a read per candidate was a tenth of deciding with stock phrases).
    any_overrule: AtomicBool,
    templates: sled::Tree,
    max_text_bytes: usize,
}

/// The writes of one commit, tree by tree.
#[derive(Default)]
struct Writes {
    stories: sled::Batch,
    articles: sled::Batch,
    paths: sled::Batch,
    events: sled::Batch,
    overrules: sled::Batch,
    templates: sled::Batch,
}

fn to_json<T: Serialize>(id: ArticleId, value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(Some(id), e.to_string()))
}

fn record_from_json(id: Option<ArticleId>, v: &[u8]) -> Result<ArticleRecord, StoreError> {
    serde_json::from_slice::<schema::Record>(v)
        .map_err(|e| StoreError::Corrupt(id, e.to_string()))?
        .into_model()
}

/// Events are stored in groups, one key per commit: the key is the last sequence number of the
/// group, the value a JSON array of its events (a single JSON object in databases written before
/// groups, read alike).
fn event_batch(events: &[Event]) -> Result<sled::Batch, StoreError> {
    let mut batch = sled::Batch::default();
    if let Some(last) = events.last() {
        let group: Vec<schema::Event> = events.iter().map(Into::into).collect();
        batch.insert(&last.seq.to_be_bytes(), to_json(last.seq, &group)?);
    }
    Ok(batch)
}

/// The events of one stored group.
fn event_group(last: Option<u64>, v: &[u8]) -> Result<Vec<Event>, StoreError> {
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(last, e.to_string());
    let group: Vec<schema::Event> = if v.first() == Some(&b'[') {
        serde_json::from_slice(v).map_err(corrupt)?
    } else {
        vec![serde_json::from_slice(v).map_err(corrupt)?]
    };
    group.into_iter().map(schema::Event::into_model).collect()
}

fn overrule_key(story_hash: u64, other: ArticleId) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&story_hash.to_be_bytes());
    k[8..].copy_from_slice(&other.to_be_bytes());
    k
}

fn key(id: ArticleId) -> [u8; 8] {
    id.to_be_bytes()
}

fn id_of(k: &[u8]) -> Option<ArticleId> {
    k.try_into().ok().map(u64::from_be_bytes)
}

impl Drop for Store {
    fn drop(&mut self) {
        lock::closed(&self.path);
    }
}

impl Store {
    /// Whether the folder holds a database (sled's `db` file), without creating or opening it.
    pub fn exists(path: &Path) -> bool {
        path.join("db").is_file()
    }

    pub fn open(path: &Path, cache_bytes: u64, max_text_bytes: usize) -> Result<Store, StoreError> {
        std::fs::create_dir_all(path).map_err(|e| StoreError::Open {
            path: path.to_owned(),
            message: if path.exists() && !path.is_dir() {
                "it is a file, not a folder; give --db (or [paths] db) a folder".into()
            } else {
                e.to_string()
            },
        })?;
        let store = Store::open_sled(path, cache_bytes, max_text_bytes)?;
        let marker = verify::read_marker(path);
        // Checked before anything is written, so a damaged database stays as it was found.
        store.check_opened(marker, store.meta.is_empty())?;
        store.check_schema()?;
        if marker.is_none() {
            // A new database, or one of an earlier release: marked from now on (on a read-only
            // file system it cannot be, and is checked without).
            let _ = store.sync();
        }
        Ok(store)
    }

    /// Checks the database in `path` without changing it: what `copydesk doctor` reports. A
    /// database sled cannot open is reported as such, not as an error.
    pub fn doctor(path: &Path, cache_bytes: u64) -> Result<Health, StoreError> {
        if !path.join("db").is_file() {
            return Err(StoreError::Open {
                path: path.to_owned(),
                message: "there is no database in this folder".into(),
            });
        }
        let mut health = match Store::open_sled(path, cache_bytes, usize::MAX) {
            Ok(store) => {
                let was_empty = store.meta.is_empty();
                let mut h = store.verify()?;
                let marker = verify::read_marker(path);
                if let Some(p) = verify::marker_problem(marker, was_empty, store.last_seq()?) {
                    h.problems.insert(0, p);
                }
                h
            }
            Err(StoreError::Damaged { message, .. }) => Health {
                problems: vec![message],
                ..Health::default()
            },
            Err(e) => return Err(e),
        };
        health.db = path.display().to_string();
        Ok(health)
    }

    /// Opens sled in `path` and its trees.
    fn open_sled(
        path: &Path,
        cache_bytes: u64,
        max_text_bytes: usize,
    ) -> Result<Store, StoreError> {
        let config = sled::Config::new()
            .path(path)
            .cache_capacity(cache_bytes)
            .mode(sled::Mode::HighThroughput);
        let panicked = std::cell::RefCell::new(None);
        let db = lock::open_waiting_for_own_close(path, || {
            open_catching_panics(&config).map_err(|why| {
                let bug = sled::Error::ReportableBug(why.clone());
                *panicked.borrow_mut() = Some(why);
                bug
            })?
        })
        .map_err(|e| match e {
            sled::Error::Io(ref io) if io.kind() == std::io::ErrorKind::ReadOnlyFilesystem => {
                StoreError::Open {
                    path: path.to_owned(),
                    message:
                        "it is on a read-only file system; make it writable or use --db elsewhere"
                            .into(),
                }
            }
            sled::Error::Corruption { .. } | sled::Error::ReportableBug(_) => StoreError::Damaged {
                path: path.to_owned(),
                message: match panicked.borrow_mut().take() {
                    Some(why) => format!("sled stopped reading its data file ({why})"),
                    None => "sled finds its data file corrupt".to_owned(),
                },
            },
            _ if lock::held(path) => StoreError::Locked(path.to_owned()),
            // Out of space or descriptors: kept as sled's I/O error, so that it is retried as
            // the passing failure it is (`EngineError::is_exhaustion`).
            sled::Error::Io(io) if runs_out(&io) => StoreError::Sled(sled::Error::Io(io)),
            other => StoreError::Open {
                path: path.to_owned(),
                message: other.to_string(),
            },
        })?;
        let overrules = db.open_tree("overrules")?;
        let store = Store {
            path: path.to_owned(),
            meta: db.open_tree("meta")?,
            articles: db.open_tree("articles")?,
            stories: db.open_tree("stories")?,
            old: upgrade::OldTrees::open(&db)?,
            paths: db.open_tree("paths")?,
            events: db.open_tree("events")?,
            any_overrule: AtomicBool::new(!overrules.is_empty()),
            overrules,
            templates: db.open_tree("templates")?,
            db,
            max_text_bytes,
        };
        Ok(store)
    }

    /// The schema version the database was written with.
    pub(crate) fn schema(&self) -> Result<u32, StoreError> {
        Ok(self
            .meta
            .get("schema")?
            .and_then(|v| v.as_ref().try_into().ok().map(u32::from_be_bytes))
            .unwrap_or(SCHEMA_VERSION))
    }

    /// Records the current schema version, durably: for upgrades that rewrite nothing.
    pub(crate) fn record_schema(&self) -> Result<(), StoreError> {
        self.meta.insert("schema", &SCHEMA_VERSION.to_be_bytes())?;
        self.sync()
    }

    fn check_schema(&self) -> Result<(), StoreError> {
        match self.meta.get("schema")? {
            None => {
                self.meta.insert("schema", &SCHEMA_VERSION.to_be_bytes())?;
                Ok(())
            }
            Some(v) => {
                let found = v
                    .as_ref()
                    .try_into()
                    .map(u32::from_be_bytes)
                    .unwrap_or(u32::MAX);
                if found > SCHEMA_VERSION {
                    Err(StoreError::TooNew {
                        path: self.path.clone(),
                        found,
                        supported: SCHEMA_VERSION,
                    })
                } else {
                    Ok(())
                }
            }
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The id the next article gets: one past the last committed record.
    pub fn next_id(&self) -> Result<ArticleId, StoreError> {
        Ok(self
            .articles
            .last()?
            .and_then(|(k, _)| id_of(&k))
            .map_or(1, |id| id + 1))
    }

    /// Writes articles with their fingerprints, content, path entries, events and
    /// counters in one sled transaction (all or nothing, even after `kill -9`), and makes it
    /// durable before returning.
    pub fn commit<A: Borrow<NewArticle>>(
        &self,
        items: &[A],
        events: &[Event],
    ) -> Result<(), StoreError> {
        self.write_articles(items, events)?;
        self.sync()
    }

    /// `commit` without the final `sync`: atomic, but durable only once `sync` returns. A batch
    /// written as several of these, then synced, is durable as a whole; after a crash, a prefix of
    /// them is found, each whole.
    pub(crate) fn write_articles<A: Borrow<NewArticle>>(
        &self,
        items: &[A],
        events: &[Event],
    ) -> Result<(), StoreError> {
        let mut w = Writes::default();
        let mut counts: BTreeMap<Status, i64> = BTreeMap::new();
        for a in items {
            let a = a.borrow();
            let k = key(a.record.id);
            let fp = a.fp.as_ref().map(codec::encode_fp);
            let encoded;
            let content = match (&a.packed_content, &a.content) {
                (Some(packed), _) => Some(packed.as_slice()),
                (None, Some(c)) => {
                    encoded = codec::encode_content(c, self.max_text_bytes);
                    Some(encoded.as_slice())
                }
                (None, None) => None,
            };
            let parts = codec::ArticleParts {
                fp: fp.as_deref(),
                content,
                words: a.packed_shingles.as_deref(),
            };
            if parts != codec::ArticleParts::default() {
                w.stories.insert(&k, codec::encode_article(parts));
            }
            let record = schema::Record::from(&a.record);
            w.articles.insert(&k, to_json(a.record.id, &record)?);
            if let Some(p) = &a.path {
                let path = schema::Path::from(p);
                w.paths
                    .insert(a.record.file.as_bytes(), to_json(a.record.id, &path)?);
            }
            for change in &a.sites {
                match change {
                    SiteWrite::Put {
                        site,
                        stamp,
                        blocks,
                    } => w
                        .templates
                        .insert(&site.to_be_bytes(), codec::encode_site(*stamp, blocks)),
                    SiteWrite::Remove { site } => w.templates.remove(&site.to_be_bytes()),
                }
            }
            *counts.entry(a.record.status).or_default() += 1;
        }
        w.events = event_batch(events)?;
        self.transact(w, &counts)
    }

    /// Replaces records after a triage change, with its events, overrules and the counters of
    /// changed statuses, in one transaction; durable on return.
    pub(crate) fn commit_triage(
        &self,
        changes: &[(ArticleRecord, Status)],
        events: &[Event],
        overrules: &[(u64, ArticleId, String)],
    ) -> Result<(), StoreError> {
        let mut w = Writes::default();
        if !overrules.is_empty() {
            // Before the write: a look-up meanwhile asks sled, which answers as it stands.
            self.any_overrule.store(true, Ordering::SeqCst);
        }
        for (story_hash, other, by) in overrules {
            w.overrules
                .insert(&overrule_key(*story_hash, *other), by.as_bytes());
        }
        let mut counts: BTreeMap<Status, i64> = BTreeMap::new();
        for (record, before) in changes {
            w.articles.insert(
                &key(record.id),
                to_json(record.id, &schema::Record::from(record))?,
            );
            if record.status != *before {
                *counts.entry(*before).or_default() -= 1;
                *counts.entry(record.status).or_default() += 1;
            }
        }
        w.events = event_batch(events)?;
        self.transact(w, &counts)?;
        self.sync()
    }

    /// Applies writes and counter changes in one sled transaction.
    fn transact(&self, w: Writes, counts: &BTreeMap<Status, i64>) -> Result<(), StoreError> {
        let trees = (
            &self.stories,
            &self.articles,
            &self.paths,
            &self.events,
            &self.overrules,
            &self.templates,
            &self.meta,
        );
        trees
            .transaction(
                |(stories, articles, paths, events, overrules, templates, meta)| {
                    stories.apply_batch(&w.stories)?;
                    articles.apply_batch(&w.articles)?;
                    paths.apply_batch(&w.paths)?;
                    events.apply_batch(&w.events)?;
                    overrules.apply_batch(&w.overrules)?;
                    templates.apply_batch(&w.templates)?;
                    for (status, n) in counts {
                        let k = schema::Status::counter_key(*status);
                        let before = meta
                            .get(k.as_bytes())?
                            .and_then(|v| v.as_ref().try_into().ok())
                            .map_or(0, u64::from_be_bytes);
                        meta.insert(
                            k.as_bytes(),
                            &before.saturating_add_signed(*n).to_be_bytes(),
                        )?;
                    }
                    Ok(())
                },
            )
            .map_err(|e: TransactionError<()>| match e {
                TransactionError::Storage(e) => StoreError::Sled(e),
                TransactionError::Abort(()) => {
                    StoreError::Corrupt(None, "transaction aborted".into())
                }
            })
    }

    /// Whether an editor ruled that the story with this hash is not a reprint of `other`.
    pub fn overruled(&self, story_hash: u64, other: ArticleId) -> Result<bool, StoreError> {
        if !self.any_overrule.load(Ordering::SeqCst) {
            return Ok(false);
        }
        Ok(self
            .overrules
            .contains_key(overrule_key(story_hash, other))?)
    }

    /// The sequence number of the latest event (0 when none).
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        Ok(self
            .events
            .last()?
            .and_then(|(k, _)| id_of(&k))
            .unwrap_or(0))
    }

    /// Events after `after`, oldest first, at most `limit`.
    pub(crate) fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>, StoreError> {
        let mut out = Vec::new();
        // The first group that ends after `after` may start before it.
        for r in self.events.range((after + 1).to_be_bytes()..) {
            let (k, v) = r?;
            let group = event_group(id_of(&k), &v)?;
            out.extend(group.into_iter().filter(|e| e.seq > after));
            if out.len() >= limit {
                out.truncate(limit);
                break;
            }
        }
        Ok(out)
    }

    /// Makes everything written so far durable. sled 0.34's `flush` writes its buffers but does
    /// not fsync on Linux, so the files are synced here as well.
    pub(crate) fn sync(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        sync_dir_files(&self.path).map_err(StoreError::Sync)?;
        verify::write_marker(&self.path, self.last_seq()?).map_err(StoreError::Sync)
    }

    pub(crate) fn record(&self, id: ArticleId) -> Result<Option<ArticleRecord>, StoreError> {
        self.articles
            .get(key(id))?
            .map(|v| record_from_json(Some(id), &v))
            .transpose()
    }

    pub fn content(&self, id: ArticleId) -> Result<Option<Content>, StoreError> {
        let Some(kept) = self.kept(id)? else {
            return Ok(None);
        };
        match kept.parts(id)?.content {
            None => Ok(None),
            Some(v) => codec::decode_content(v)
                .map(Some)
                .ok_or_else(|| StoreError::Corrupt(Some(id), "content does not decode".into())),
        }
    }

    /// What the article's record keeps of its words (with its content's site and blocks), if
    /// it is there. A schema 5 record read in an older layout holds its site and blocks itself.
    pub(crate) fn story_tokens(&self, id: ArticleId) -> Result<Option<StoryTokens>, StoreError> {
        let Some(kept) = self.kept(id)? else {
            return Ok(None);
        };
        let parts = kept.parts(id)?;
        let Some(words) = parts.words else {
            return Ok(None);
        };
        codec::decode_stored_story_tokens(words, parts.content)
            .map(Some)
            .ok_or_else(|| StoreError::Corrupt(Some(id), "shingle record does not decode".into()))
    }

    /// The stored parts of an article (`None` when it has none: a rejection, or no record):
    /// its record, or until the upgrade has merged them, the parts older schemas kept apart.
    fn kept(&self, id: ArticleId) -> Result<Option<upgrade::Kept>, StoreError> {
        if let Some(v) = self.stories.get(key(id))? {
            return Ok(Some(upgrade::Kept::One(v)));
        }
        self.old.get(key(id))
    }

    pub(crate) fn path_entry(&self, file: &str) -> Result<Option<PathEntry>, StoreError> {
        Ok(self
            .paths
            .get(file.as_bytes())?
            .and_then(|v| serde_json::from_slice::<schema::Path>(&v).ok())
            .map(PathEntry::from))
    }

    /// Records from the newest down.
    /// Records newest first with ids above `after` and below `before`, each bound when given (a
    /// range scan: paging deep into a large database costs no more than the first page).
    pub(crate) fn records_rev(
        &self,
        after: Option<ArticleId>,
        before: Option<ArticleId>,
    ) -> impl Iterator<Item = Result<ArticleRecord, StoreError>> + '_ {
        let from = after.map_or(0, |a| a.saturating_add(1));
        let to = before.unwrap_or(ArticleId::MAX).max(from);
        self.articles.range(key(from)..key(to)).rev().map(|r| {
            let (k, v) = r.map_err(StoreError::Sled)?;
            record_from_json(id_of(&k), &v)
        })
    }

    /// A number drawn when the database was first opened by a copydesk that knows it: what
    /// tells this database from a copy of another (an index snapshot names the one it is of).
    pub(crate) fn instance(&self) -> Result<u64, StoreError> {
        if let Some(v) = self.meta.get("instance")? {
            if let Ok(b) = <[u8; 8]>::try_from(v.as_ref()) {
                return Ok(u64::from_be_bytes(b));
            }
        }
        let drawn = random_u64();
        self.meta.insert("instance", &drawn.to_be_bytes())?;
        self.sync()?;
        Ok(drawn)
    }

    /// Block lists of the newest `n` articles with content, newest first.
    pub(crate) fn recent_blocks(&self, n: usize) -> Result<Vec<(ArticleId, Vec<u64>)>, StoreError> {
        let mut out = Vec::new();
        for r in self.stories.iter().rev() {
            if out.len() == n {
                break;
            }
            let (k, v) = r?;
            let id = id_of(&k).ok_or_else(|| StoreError::Corrupt(None, "a content key".into()))?;
            // The block list alone: the text is not decompressed.
            let content = codec::split_article(&v).and_then(|p| p.content);
            if let Some(hashes) = content.and_then(codec::decode_block_hashes) {
                out.push((id, hashes));
            }
        }
        Ok(out)
    }

    /// Every site's learned template: (site, stamp, blocks oldest first).
    pub(crate) fn site_templates(&self) -> Result<Vec<(u64, u64, Vec<u64>)>, StoreError> {
        let mut out = Vec::new();
        for r in self.templates.iter() {
            let (k, v) = r?;
            let site = id_of(&k).unwrap_or(0);
            let (stamp, blocks) = codec::decode_site(&v)
                .ok_or_else(|| StoreError::Corrupt(None, format!("site template {site:x}")))?;
            out.push((site, stamp, blocks));
        }
        Ok(out)
    }

    /// Articles per status, from the counters.
    pub(crate) fn counts(&self) -> Result<BTreeMap<Status, u64>, StoreError> {
        let mut out = BTreeMap::new();
        for s in Status::ALL {
            let n = self
                .meta
                .get(schema::Status::counter_key(s))?
                .and_then(|v| v.as_ref().try_into().ok())
                .map_or(0, u64::from_be_bytes);
            out.insert(s, n);
        }
        Ok(out)
    }

    /// Bytes the database takes on disk.
    pub(crate) fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.db.size_on_disk()?)
    }
}

#[cfg(test)]
mod tests;

//! The engine: the single writer. It owns the store and the in-memory index, runs the ingest
//! pipeline (prepare in parallel, decide and commit in order), and answers queries. It neither
//! draws nor watches folders.

pub(crate) mod arrivals;
mod chunks;
mod decide;
pub mod files;
mod hand;
pub mod import;
mod index;
#[cfg(test)]
mod judge_tests;
mod pipeline;
#[cfg(test)]
mod pipeline_tests;
mod pipeline_times;
#[doc(hidden)]
pub use pipeline_times::{StageTimes, ThreadTimes};
pub mod prepare;
pub(crate) mod queries;
mod reading;
#[cfg(test)]
mod reading_tests;
mod recent;
pub(crate) mod service;
pub mod snapshot;
pub mod templates;
#[cfg(test)]
mod tests;
pub(crate) mod triage;
mod upgrade;

#[cfg(test)]
mod search_tests;
#[cfg(test)]
mod shingles_tests;
#[doc(hidden)]
pub mod stages;

use crate::config::Settings;
use crate::model::{
    ArticleId, ArticleRecord, Event, EventKind, Failure, FailureKind, MatchRef, Status, Triage,
    TriageState, Verdict,
};
use crate::store::codec::{Content, FpRecord, ShingleRecord};
use crate::store::{NewArticle, PathEntry, SiteWrite, Store, StoreError};
use crate::text::Rejection;
use crate::worker::Stop;
use decide::prepare_input_with;
use files::FileData;
pub(crate) use index::IndexOrigin;
use index::Loaded;
use prepare::{packed_shingles, Prepared, TemplateView};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no article with id {0}")]
    NoSuchArticle(ArticleId),
    #[error("no article was ingested from '{0}'")]
    NoSuchFile(String),
    #[error("#{0} cannot be a reprint of itself")]
    ReprintOfItself(ArticleId),
    #[error("cannot start an ingest thread: {0}")]
    Thread(std::io::Error),
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
    /// A socket client named a path the daemon does not read (why is said).
    #[error("{0}")]
    OutsideInbox(String),
    /// Compare-and-set refused: the article is no longer in the state the change replaces.
    #[error(
        "#{id} was changed meanwhile: {} (you expected {expected}); nothing was changed",
        changed_by(found)
    )]
    Stale {
        id: ArticleId,
        expected: TriageState,
        found: Box<Triage>,
    },
}

/// "spiked by bob at 2024-06-01 12:03:04 UTC".
fn changed_by(t: &Triage) -> String {
    let mut s = format!("{} by {}", t.state, t.by.as_deref().unwrap_or("someone"));
    if let Some(at) = t.at_ms {
        s.push_str(&format!(" at {}", crate::model::utc(at)));
    }
    s
}

impl EngineError {
    /// Whether the database itself is damaged: worth stopping for, not retrying.
    pub fn is_damage(&self) -> bool {
        matches!(self, EngineError::Store(e) if e.is_damage())
    }

    /// Whether the database failed underneath (a full disk, an I/O error), as opposed to a bad
    /// request: the engine is then reopened before the next command.
    pub(crate) fn is_storage_failure(&self) -> bool {
        matches!(
            self,
            EngineError::Store(StoreError::Sled(_) | StoreError::Sync(_))
        )
    }

    /// Whether the database could not be written because something ran out that comes back by
    /// itself (disk space, descriptors, memory), told by the I/O error's kind and number: a
    /// failure worth retrying for as long as it takes, unlike one that repeats for a lasting
    /// cause.
    pub(crate) fn is_exhaustion(&self) -> bool {
        match self {
            EngineError::Store(StoreError::Sync(e) | StoreError::Sled(sled::Error::Io(e))) => {
                crate::store::runs_out(e)
            }
            _ => false,
        }
    }

    /// Whether the database is held by another process (sled's lock).
    pub(crate) fn is_locked(&self) -> bool {
        matches!(self, EngineError::Store(StoreError::Locked(_)))
    }

    /// What a client is told: the kind of failure, and this error's message.
    pub(crate) fn failure(&self) -> Failure {
        let kind = match self {
            e if e.is_damage() => FailureKind::Corrupt,
            e if e.is_exhaustion() => FailureKind::Exhausted,
            EngineError::Store(StoreError::Sled(_) | StoreError::Sync(_)) => FailureKind::Storage,
            EngineError::Store(
                StoreError::Locked(_) | StoreError::Open { .. } | StoreError::TooNew { .. },
            ) => FailureKind::Unavailable,
            EngineError::Store(StoreError::Corrupt(..) | StoreError::Damaged { .. }) => {
                FailureKind::Corrupt
            }
            EngineError::NoSuchArticle(_) | EngineError::NoSuchFile(_) => {
                FailureKind::NoSuchArticle
            }
            EngineError::ReprintOfItself(_) | EngineError::OutsideInbox(_) => FailureKind::Invalid,
            EngineError::Stale { .. } => FailureKind::Conflict,
            EngineError::Thread(_) => FailureKind::Internal,
            EngineError::Search(_) => FailureKind::Storage,
        };
        Failure {
            kind,
            message: self.to_string(),
        }
    }
}

/// One file handed to the engine.
#[derive(Debug, Clone)]
pub struct Input {
    /// The path as the caller names it; stored as the article's `file`.
    pub file: String,
    pub data: Result<FileData, Rejection>,
}

pub struct Engine {
    settings: Settings,
    /// Shared with the writer thread of `ingest`.
    store: Arc<Store>,
    loaded: Option<Loaded>,
    /// Articles of the loaded index that its snapshot on disk covers (0: none does).
    saved_slots: usize,
    /// Where the loaded index came from, and how long loading it took.
    origin: Option<IndexOrigin>,
    load_secs: Option<(f64, f64)>,
    next_id: ArticleId,
    next_seq: u64,
    /// Events committed but not yet handed to followers.
    outbox: Vec<Event>,
    /// The search index's background thread, started on first use (`search`): a one-off
    /// command that asks no text query never opens the index.
    search: std::sync::OnceLock<crate::search::Indexer>,
    /// Set when the process is stopping: readings in hand are abandoned (`Rejection::Stopped`).
    stop: Stop,
    /// Files to be rejected without reading: set aside by `hand` after they were in hand, alone,
    /// at two deaths of the process.
    set_aside: FxHashSet<String>,
    /// The daemon's durable note of the files in hand (`None` until the inbox hands in files).
    hand: Option<hand::Hand>,
    /// Shingle records of recently verified candidates.
    recent: recent::Recent,
    /// The index snapshot being read while the database opened (`serving`), taken by the
    /// first load.
    prefetch: Option<snapshot::Prefetch>,
    /// Set by `serving`: the engine thread loads the index as soon as it starts, then starts
    /// the search indexer.
    serving: bool,
    /// Where the ingests' stages spent their time, once `measure_ingest` asked for it.
    stage_times: Option<StageTimes>,
}

/// What a verdict decided, before it is written.
struct Decision {
    status: Status,
    matched: Option<MatchRef>,
    story: Option<ArticleId>,
    /// The highest story similarity, at or above the reprint threshold, of a candidate the
    /// pages' own prose showed to be another story (0 when none).
    turned_down: f32,
    /// Site templates the comparisons found: (site key, blocks).
    learned: Vec<(u64, Vec<u64>)>,
    /// What learning them changed, to persist with the article.
    writes: Vec<SiteWrite>,
}

/// A verdict of `check_detailed`, with what the page-level evidence turned down.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub verdict: Verdict,
    /// The highest story similarity of a candidate that the pages' own prose showed to be
    /// another story, 0 when none: how near the extracted stories came to a false flag.
    pub turned_down: f32,
}

/// Articles of the current batch, not yet committed (or not yet known to be), that later ones
/// may match.
#[derive(Default)]
struct Pending {
    items: Vec<Arc<NewArticle>>,
    by_id: FxHashMap<ArticleId, usize>,
    exact: FxHashMap<u64, ArticleId>,
}

impl Pending {
    fn add(&mut self, article: Arc<NewArticle>) {
        let id = article.record.id;
        if let Some(h) = article.exact_first {
            self.exact.entry(h).or_insert(id);
        }
        self.by_id.insert(id, self.items.len());
        self.items.push(article);
    }
}

/// Files per transaction of the ingest pipeline's writer: small enough that the stages overlap,
/// large enough that each transaction is worth its cost.
const CHUNK: usize = 64;

/// Files per chunk prepared at once: small, so that deciding starts soon after a call begins, and
/// so that when the deciding thread prepares a chunk itself (the one it needs was not ready) it
/// is back to deciding soon.
const PREP_CHUNK: usize = 16;

/// Chunks the preparer threads may claim past the one the deciding thread needs: a bound on the
/// memory prepared files hold (about 256 files), loose enough that the preparers never wait
/// while the deciding thread has work of its own (measured: 4 left them idle a third of the
/// time with stock phrases).
const PREPARED_AHEAD: usize = 16;

/// How often, at most, an ingest that reports as it goes syncs and reports: often enough that a
/// script sees progress, seldom enough that syncing per chunk does not slow the ingest.
const REPORT_EVERY: Duration = Duration::from_millis(200);

/// Chunks waiting for the writer: one, so that when the deciding thread is done little writing
/// is left to do on one core while the other idles.
const WRITES_QUEUED: usize = 1;

impl Engine {
    pub fn open(settings: Settings) -> Result<Engine, EngineError> {
        let store = Store::open(&settings.db, settings.cache_bytes, settings.max_text_bytes)?;
        upgrade::upgrade(&store, store.schema()?, settings.anchor_every_words)?;
        let next_id = store.next_id()?;
        let next_seq = store.last_seq()? + 1;
        let store = Arc::new(store);
        Ok(Engine {
            settings,
            store,
            loaded: None,
            saved_slots: 0,
            origin: None,
            load_secs: None,
            next_id,
            next_seq,
            outbox: Vec::new(),
            search: std::sync::OnceLock::new(),
            stop: Stop::default(),
            set_aside: FxHashSet::default(),
            hand: None,
            recent: recent::Recent::new(recent::RECENT_RECORDS),
            prefetch: None,
            serving: false,
            stage_times: None,
        })
    }

    /// The engine a daemon serves: its index loaded as soon as its thread starts, from what
    /// `prefetch` read while the database opened when given (checked against the database
    /// first, as a snapshot read now would be), and the search indexer started after that, so
    /// that it does not compete with the first verdict for the cores.
    pub(crate) fn serving(mut self, prefetch: Option<snapshot::Prefetch>) -> Engine {
        self.prefetch = prefetch;
        self.serving = true;
        self
    }

    /// Whether this engine was made by `serving`.
    pub(crate) fn is_serving(&self) -> bool {
        self.serving
    }

    /// Readings in hand are abandoned once `stop` is set (the daemon's stop request).
    pub(crate) fn stop_with(mut self, stop: Stop) -> Engine {
        self.stop = stop;
        self
    }

    /// The stop request readings heed.
    pub(crate) fn stopping(&self) -> Stop {
        self.stop.clone()
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// Candidates' shingle records read from memory and from the store since the engine opened
    /// (for the benchmarks).
    #[doc(hidden)]
    pub fn shingle_reads(&self) -> (u64, u64) {
        (self.recent.hits, self.recent.misses)
    }

    /// Keeps `n` shingle records per generation in memory from now on, instead of
    /// `RECENT_RECORDS` (for the benchmarks, to measure that choice).
    #[doc(hidden)]
    pub fn keep_recent_records(&mut self, n: usize) {
        self.recent = recent::Recent::new(n);
    }

    /// Measures where each ingest's stages spend their time from now on (for the benchmarks:
    /// a few reads of `/proc` per thread and call).
    #[doc(hidden)]
    pub fn measure_ingest(&mut self) {
        self.stage_times.get_or_insert_with(StageTimes::default);
    }

    /// What `measure_ingest` measured so far.
    #[doc(hidden)]
    pub fn stage_times(&self) -> Option<StageTimes> {
        self.stage_times
    }

    /// The id of the newest article stored (0 when none is).
    pub fn last_id(&self) -> ArticleId {
        self.next_id - 1
    }

    /// The search indexer (`None` when the settings turn it off), started here on first use:
    /// by the daemon at start, by a one-off command at its first text query. Tests and
    /// benchmarks wait on it until it covers an article.
    pub fn search(&self) -> Option<&crate::search::Indexer> {
        if !self.settings.search_index {
            return None;
        }
        // Every article up to `next_id - 1` is durable here: ingest (which advances it) syncs
        // before it returns, and takes `&mut self`.
        Some(self.search.get_or_init(|| {
            crate::search::Indexer::start(
                self.settings.db.join(crate::search::DIR),
                Arc::clone(&self.store),
                self.next_id - 1,
            )
        }))
    }

    /// Ingests files in order: one verdict each, all durable before this returns.
    ///
    /// A pipeline of three stages: preparer threads (one per core but this one) preparing chunks
    /// of `PREP_CHUNK` files against the templates learned before the call, this thread
    /// deciding and admitting each file in order (and preparing the next chunk itself rather
    /// than wait for one), and a writer thread committing `CHUNK` files a transaction; the last
    /// step syncs. The stages overlap, so the cores stay busy.
    pub fn ingest(&mut self, inputs: &[Input], now_ms: u64) -> Result<Vec<Verdict>, EngineError> {
        self.ingest_reporting(inputs, now_ms, None)
    }

    /// `ingest`, telling `on_commit` each chunk's verdicts, in order, once they are durable
    /// (synced first; chunks written within `REPORT_EVERY` of each other share one sync), so
    /// a caller stopped midway knows which files landed.
    pub(crate) fn ingest_reporting(
        &mut self,
        inputs: &[Input],
        now_ms: u64,
        on_commit: Option<OnCommit<'_>>,
    ) -> Result<Vec<Verdict>, EngineError> {
        if inputs.is_empty() {
            // Nothing to write, so nothing to sync (which needs descriptors that may be short).
            return Ok(Vec::new());
        }
        self.writing(|engine| engine.ingest_pipelined(inputs, now_ms, on_commit))
    }

    /// Runs one write of articles (an ingest, a chunk of an import). The search indexer, if
    /// started, waits while it runs, and follows what it made durable (one started later begins
    /// from what is durable then); after a failure the index and counters are read again from
    /// the store, since the in-memory ones may hold what did not land.
    pub(crate) fn writing<T>(
        &mut self,
        write: impl FnOnce(&mut Self) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        // Between writes every article the index holds is committed: the one moment the
        // document filter may be made again from the store.
        self.grow_seen_if_crowded()?;
        if let Some(s) = self.search.get() {
            s.begin_ingest();
        }
        let result = write(self);
        if let Some(s) = self.search.get() {
            s.end_ingest(result.is_ok().then(|| self.next_id - 1));
        }
        if result.is_err() {
            self.loaded = None;
            self.recent.clear();
            self.next_id = self.store.next_id().unwrap_or(self.next_id);
            self.next_seq = self.store.last_seq().map_or(self.next_seq, |s| s + 1);
        }
        result
    }

    /// Numbers events in order.
    fn events_for(&mut self, kinds: impl Iterator<Item = EventKind>, now_ms: u64) -> Vec<Event> {
        kinds
            .map(|kind| {
                let seq = self.next_seq;
                self.next_seq += 1;
                Event {
                    seq,
                    at_ms: now_ms,
                    kind,
                }
            })
            .collect()
    }

    /// Events committed since the last call, for followers.
    pub(crate) fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.outbox)
    }

    pub(crate) fn last_seq(&self) -> u64 {
        self.next_seq - 1
    }

    /// The verdict each file would get now; nothing is stored.
    pub fn check(&mut self, inputs: &[Input]) -> Result<Vec<Verdict>, EngineError> {
        Ok(self
            .check_detailed(inputs)?
            .into_iter()
            .map(|c| c.verdict)
            .collect())
    }

    /// `check`, with what the page-level evidence turned down for each file (the evaluation's
    /// margins).
    pub fn check_detailed(&mut self, inputs: &[Input]) -> Result<Vec<Checked>, EngineError> {
        let prepared = self.prepare_all(inputs)?;
        let window = self.load()?.templates.snapshot();
        let pending = Pending::default();
        let mut out = Vec::with_capacity(inputs.len());
        for (input, prep) in inputs.iter().zip(prepared) {
            out.push(match prep {
                Err(rejection) => Checked {
                    verdict: refused(input, &rejection),
                    turned_down: 0.0,
                },
                Ok(prep) => {
                    let d = self.decide_learning(input, prep, &pending, &window, 0, false)?;
                    Checked {
                        verdict: Verdict {
                            file: input.file.clone(),
                            id: None,
                            status: d.decision.status,
                            title: d.prep.title,
                            matched: d.decision.matched,
                            reason: None,
                            again: false,
                        },
                        turned_down: d.decision.turned_down,
                    }
                }
            });
        }
        Ok(out)
    }

    /// Prepares every input, in order, on one scoped thread per core (each takes a contiguous
    /// share of the inputs).
    fn prepare_all(
        &mut self,
        inputs: &[Input],
    ) -> Result<Vec<Result<Prepared, Rejection>>, EngineError> {
        let every = self.settings.anchor_every_words;
        let chrome_min = self.settings.params.chrome_min_blocks;
        let budget = self.settings.read_budget;
        let stop = self.stop.clone();
        let stop = &stop;
        let loaded = self.load()?;
        let (templates, sites) = (&loaded.templates, &*loaded.sites);
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let share = inputs.len().div_ceil(cores).max(1);
        std::thread::scope(|s| {
            let preparers = inputs
                .chunks(share)
                .map(|chunk| {
                    std::thread::Builder::new()
                        .name("copydesk-check".into())
                        .spawn_scoped(s, move || {
                            let is_template = |h: u64| templates.is_template(h);
                            let view = TemplateView {
                                window: &is_template,
                                sites: Some(sites),
                                chrome_min_blocks: chrome_min,
                            };
                            chunk
                                .iter()
                                .map(|input| {
                                    let halt = reading::Reading::begin(stop, budget);
                                    prepare_input_with(input, every, &view, &halt)
                                })
                                .collect::<Vec<_>>()
                        })
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(thread_error)?;
            Ok(preparers
                .into_iter()
                .flat_map(|p| p.join().expect("a preparer thread does not panic"))
                .collect())
        })
    }

    /// Adds a prepared article to the index and the template window, and builds its write.
    fn admit(
        &mut self,
        id: ArticleId,
        input: &Input,
        prep: Prepared,
        packed: Option<pipeline::Packed>,
        d: Decision,
        now_ms: u64,
    ) -> Result<NewArticle, EngineError> {
        let loaded = self.load()?;
        let slot = loaded.sim.push(prep.simhash);
        loaded.anchors.insert(slot, &prep.anchors);
        loaded.ids.push(id);
        // A document the filter never saw is in no index of documents: no look-up (a binary
        // search over millions of hashes) to keep its first article first.
        let unseen = !loaded.seen.may_contain(prep.doc_hash);
        loaded.seen.insert(prep.doc_hash);
        let exact_first = (d.status != Status::Duplicate).then_some(prep.doc_hash);
        match exact_first {
            Some(h) if unseen => loaded.docs.insert_unseen(h, slot),
            Some(h) => loaded.docs.insert_first(h, slot),
            None => {}
        }
        if d.status == Status::Unique {
            loaded.templates.learn(prep.blocks.iter().map(|b| b.hash));
        }
        let data = input.data.as_ref().ok();
        // Encoded by a preparer thread when there was one; here otherwise (the content, at
        // write).
        let (packed_content, packed_shingles) = match packed {
            Some(p) => (Some(p.content), p.shingles),
            None => (None, packed_shingles(&prep, self.settings.max_text_bytes)),
        };
        Ok(NewArticle {
            record: ArticleRecord {
                id,
                file: input.file.clone(),
                location: None,
                status: d.status,
                title: prep.title,
                matched: d.matched,
                reason: None,
                story: d.story.unwrap_or(id),
                source: prep.source,
                url: prep.url,
                published: prep.published,
                words: prep.tokens.len() as u32,
                size: data.map_or(0, |f| f.size),
                ingested_ms: now_ms,
                triage: Default::default(),
            },
            fp: Some(FpRecord {
                simhash: prep.simhash.0,
                exact: prep.doc_hash,
                anchors: prep.anchors,
            }),
            shingles: Some(Arc::new(ShingleRecord {
                words: prep.tokens.len() as u32,
                exact: prep.exact,
                site: prep.site,
                blocks: prep.blocks.clone(),
                shingles: prep.shingles,
            })),
            packed_shingles: Some(packed_shingles),
            content: Some(Content {
                blocks: prep.blocks,
                paragraphs: prep.paragraphs,
                site: prep.site,
            }),
            packed_content,
            exact_first,
            path: path_entry(id, input),
            sites: d.writes,
        })
    }
}

/// Hears verdicts once they are durable (from the writer thread, hence `Send`).
pub(crate) type OnCommit<'a> = &'a mut (dyn FnMut(&[Verdict]) + Send);

/// The verdicts of articles just made durable, emptying the list.
fn committed(items: &mut Vec<Arc<NewArticle>>) -> Vec<Verdict> {
    items.drain(..).map(|a| Verdict::of(&a.record)).collect()
}

fn thread_error(e: std::io::Error) -> EngineError {
    EngineError::Thread(e)
}

/// The verdict of a file refused with `why`, before anything is stored.
fn refused(input: &Input, why: &Rejection) -> Verdict {
    let name = std::path::Path::new(&input.file)
        .file_name()
        .map_or_else(|| input.file.clone(), |n| n.to_string_lossy().into_owned());
    Verdict {
        file: input.file.clone(),
        id: None,
        status: Status::Rejected,
        title: crate::text::sanitize::sanitize_line(&name),
        matched: None,
        reason: Some(why.to_string()),
        again: false,
    }
}

fn rejected(id: ArticleId, input: &Input, why: &Rejection, now_ms: u64) -> NewArticle {
    let v = refused(input, why);
    NewArticle {
        record: ArticleRecord {
            id,
            file: v.file,
            location: None,
            status: v.status,
            title: v.title,
            matched: None,
            reason: v.reason,
            story: id,
            source: None,
            url: None,
            published: None,
            words: 0,
            size: input.data.as_ref().map_or(0, |d| d.size),
            ingested_ms: now_ms,
            triage: Default::default(),
        },
        fp: None,
        content: None,
        packed_content: None,
        shingles: None,
        packed_shingles: None,
        exact_first: None,
        path: path_entry(id, input),
        sites: Vec::new(),
    }
}

/// The identity of the file an input was read from, so that it is not ingested twice.
fn path_entry(id: ArticleId, input: &Input) -> Option<PathEntry> {
    match &input.data {
        Ok(f) => Some(PathEntry {
            id,
            size: f.size,
            mtime_ns: f.mtime_ns,
            content_hash: Some(xxhash_rust::xxh3::xxh3_64(&f.bytes)),
        }),
        Err(_) => {
            files::identity(std::path::Path::new(&input.file)).map(|(size, mtime_ns)| PathEntry {
                id,
                size,
                mtime_ns,
                content_hash: None,
            })
        }
    }
}

//! The ingest pipeline (`Engine::ingest_pipelined`): preparing chunks of files (decode, clean,
//! fingerprint, and the records encoded for the store) on preparer threads and, whenever it would
//! otherwise wait, on the deciding thread (`chunks::Chunks`); deciding and admitting each file in order on
//! the engine's own thread; and writing decided files durably on a writer thread, telling a
//! caller what landed. Only the deciding thread decides or touches the in-memory index.

pub(super) use super::chunks::{Chunks, CloseOnDrop};
use super::decide::prepare_input_with;
pub(super) use super::pipeline_times::{timed, StageTimes, ThreadClock, ThreadTimes};
use super::prepare::{packed_shingles_of, Prepared, TemplateView};
use super::reading::Reading;
use super::templates::SiteTemplates;
use super::{
    committed, refused, rejected, thread_error, Engine, EngineError, Input, OnCommit, Pending,
    CHUNK, PREPARED_AHEAD, PREP_CHUNK, REPORT_EVERY, WRITES_QUEUED,
};
use crate::model::{Event, EventKind, Verdict};
use crate::store::codec::{encode_content_text, stored_text};
use crate::store::{NewArticle, Store, StoreError};
use crate::text::Rejection;
use crate::worker::Stop;
use rustc_hash::FxHashSet;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// One file prepared: its story and fingerprints (or why it was refused), and its records as the
/// store keeps them.
pub(super) type PreparedFile = (Result<Prepared, Rejection>, Option<Packed>);

/// A prepared story's records encoded for the store, off the deciding thread.
pub(super) struct Packed {
    /// The content record (`codec::encode_content`, the text capped and compressed).
    pub(super) content: Vec<u8>,
    /// The shingle record (`prepare::packed_shingles`), its words compressed against the text.
    pub(super) shingles: Vec<u8>,
}

impl Packed {
    pub(super) fn of(prep: &Prepared, max_text: usize) -> Packed {
        // The text as stored, joined once: the content record compresses it, and the shingle
        // record's words are compressed against it.
        let text = stored_text(&prep.paragraphs, max_text);
        Packed {
            content: encode_content_text(&prep.blocks, &text, prep.site),
            shingles: packed_shingles_of(prep, max_text, &text),
        }
    }
}

/// What preparing needs, shared by the preparer threads.
pub(super) struct Preparing<'a> {
    pub(super) every: usize,
    pub(super) max_text: usize,
    pub(super) chrome_min: usize,
    /// Blocks recurring across recent new stories, as the batch began.
    pub(super) templates: &'a FxHashSet<u64>,
    pub(super) sites: &'a SiteTemplates,
    /// How long each file's reading may take (`limits.read_budget_secs`).
    pub(super) budget: Duration,
    /// Set when the process is stopping: the reading in hand is abandoned.
    pub(super) stop: &'a Stop,
    /// Files set aside without reading (three deaths with each in hand, the last two alone).
    pub(super) set_aside: &'a FxHashSet<String>,
    /// Whether to measure where the thread's time goes (`StageTimes`).
    pub(super) measuring: bool,
}

impl Preparing<'_> {
    /// Prepares one chunk of files: each file read, cleaned and fingerprinted, and its records
    /// encoded (the content compressed) here too, off the writer and the deciding thread.
    pub(super) fn chunk(&self, chunk: &[Input]) -> Vec<PreparedFile> {
        let is_template = |h: u64| self.templates.contains(&h);
        let view = TemplateView {
            window: &is_template,
            sites: Some(self.sites),
            chrome_min_blocks: self.chrome_min,
        };
        chunk
            .iter()
            .map(|input| {
                let prep = if self.set_aside.contains(&input.file) {
                    Err(Rejection::SetAside)
                } else {
                    // Each file's time is its own, counted from when its reading begins.
                    let halt = Reading::begin(self.stop, self.budget);
                    let began = Instant::now();
                    let prep = prepare_input_with(input, self.every, &view, &halt);
                    tracing::debug!(
                        file = ?input.file,
                        read_ms = began.elapsed().as_millis() as u64,
                        refused = ?prep.as_ref().err(),
                        "read"
                    );
                    prep
                };
                let packed = prep.as_ref().ok().map(|p| Packed::of(p, self.max_text));
                (prep, packed)
            })
            .collect()
    }
}

/// Writes each decided chunk in one transaction, in order, then syncs. With `on_commit`, what
/// was written is made durable and told once `REPORT_EVERY` has passed since the last time, or
/// when no chunk came meanwhile, so a caller stopped midway knows which files landed.
pub(super) fn write(
    store: &Store,
    write_rx: &mpsc::Receiver<(Vec<Arc<NewArticle>>, Vec<Event>)>,
    mut on_commit: Option<OnCommit<'_>>,
    measuring: bool,
) -> Result<Option<WriterTimes>, StoreError> {
    let clock = ThreadClock::start(measuring);
    let (mut idle, mut syncing) = (Duration::ZERO, Duration::ZERO);
    let mut unsynced: Vec<Arc<NewArticle>> = Vec::new();
    let mut synced_at = Instant::now();
    let mut next = timed(measuring, &mut idle, || write_rx.recv().ok());
    while let Some((items, events)) = next {
        store.write_articles(&items, &events)?;
        let Some(report) = on_commit.as_mut() else {
            next = timed(measuring, &mut idle, || write_rx.recv().ok());
            continue;
        };
        unsynced.extend(items);
        let wait = REPORT_EVERY.saturating_sub(synced_at.elapsed());
        let more = if wait.is_zero() {
            Err(mpsc::RecvTimeoutError::Timeout)
        } else {
            write_rx.recv_timeout(wait)
        };
        next = match more {
            Ok(more) => Some(more),
            Err(mpsc::RecvTimeoutError::Disconnected) => None,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                timed(measuring, &mut syncing, || store.sync())?;
                synced_at = Instant::now();
                report(&committed(&mut unsynced));
                timed(measuring, &mut idle, || write_rx.recv().ok())
            }
        };
    }
    timed(measuring, &mut syncing, || store.sync())?;
    if let Some(report) = on_commit.as_mut() {
        if !unsynced.is_empty() {
            report(&committed(&mut unsynced));
        }
    }
    Ok(clock.map(|c| WriterTimes {
        thread: c.stop(),
        idle,
        syncing,
    }))
}

/// Files a call must hold for its last `CHUNK` to be written a prepared chunk at a time.
const TAIL_SPLIT_MIN: usize = 4 * CHUNK;

/// The writer thread's times (`StageTimes::writing`), what it waited for a chunk, and its syncs.
pub(super) struct WriterTimes {
    pub(super) thread: ThreadTimes,
    pub(super) idle: Duration,
    pub(super) syncing: Duration,
}

impl Engine {
    /// `Engine::ingest`'s pipeline: preparer threads (one per core) prepare chunks of
    /// `PREP_CHUNK` files in turn, this thread decides and admits each file in order, and a
    /// writer thread writes them `CHUNK` at a time, each in one transaction; the last step syncs.
    pub(super) fn ingest_pipelined(
        &mut self,
        inputs: &[Input],
        now_ms: u64,
        on_commit: Option<OnCommit<'_>>,
    ) -> Result<Vec<Verdict>, EngineError> {
        let every = self.settings.anchor_every_words;
        let max_text = self.settings.max_text_bytes;
        let chrome_min = self.settings.params.chrome_min_blocks;
        let templates = self.load()?.templates.snapshot();
        let sites = Arc::clone(&self.load()?.sites);
        let store = Arc::clone(&self.store);
        let budget = self.settings.read_budget;
        let (stop, set_aside) = (self.stop.clone(), self.set_aside.clone());
        let mut pending = Pending::default();
        let mut verdicts = Vec::with_capacity(inputs.len());
        let mut events = Vec::with_capacity(inputs.len());
        let measuring = self.stage_times.is_some();
        let clock = ThreadClock::start(measuring);
        let mut times = StageTimes::default();
        let chunks = Chunks::new(inputs, PREP_CHUNK, PREPARED_AHEAD);
        let chunks = &chunks;
        let stage = Preparing {
            every,
            max_text,
            chrome_min,
            templates: &templates,
            sites: &sites,
            budget,
            stop: &stop,
            set_aside: &set_aside,
            measuring,
        };
        let stage = &stage;
        std::thread::scope(|s| -> Result<(), EngineError> {
            // Preparers: one per core but the one deciding, which prepares too whenever the
            // chunk it needs is not ready. Plain threads: idle rayon workers spin, taking the
            // cores the other stages need.
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            let preparers = cores.saturating_sub(1).clamp(1, 7);
            let _close = CloseOnDrop(chunks);
            let mut preparer_threads = Vec::with_capacity(preparers);
            for p in 0..preparers {
                let preparer = std::thread::Builder::new().name(format!("copydesk-prep-{p}"));
                let thread = preparer
                    .spawn_scoped(s, move || chunks.prepare(stage))
                    .map_err(thread_error)?;
                preparer_threads.push(thread);
            }
            let templates = &templates;
            let store = &*store;
            let waited = &mut times.deciding_on_preparers;
            let prep_rx = (0..).map_while(|k| chunks.take(k, stage, waited));
            let (write_tx, write_rx) =
                mpsc::sync_channel::<(Vec<Arc<NewArticle>>, Vec<Event>)>(WRITES_QUEUED);
            let writer = std::thread::Builder::new()
                .name("copydesk-write".into())
                .spawn_scoped(s, move || write(store, &write_rx, on_commit, measuring))
                .map_err(thread_error)?;
            let mut at = 0;
            let mut on_writer = Duration::ZERO;
            let mut items = Vec::with_capacity(CHUNK);
            let mut stored = Vec::with_capacity(CHUNK);
            for prepared in prep_rx {
                if at + prepared.len() == inputs.len() {
                    // Every file is read: a death from here on is not one file's doing.
                    self.reading_ended();
                }
                for (prep, packed) in prepared {
                    let input = &inputs[at];
                    at += 1;
                    // A file that could not be read for now, or whose reading was abandoned
                    // because the process is stopping, gets no record (and no id): it is read
                    // again later, so a record now would store it twice.
                    if let Err(why) = prep.as_ref().map(|_| ()) {
                        if why.stores_nothing() {
                            verdicts.push(refused(input, why));
                            continue;
                        }
                    }
                    let id = self.next_id;
                    self.next_id += 1;
                    let article = match prep {
                        Err(rejection) => rejected(id, input, &rejection, now_ms),
                        Ok(prep) => {
                            let d =
                                self.decide_learning(input, prep, &pending, templates, id, true)?;
                            let packed = if d.prepared_again {
                                Some(Packed::of(&d.prep, max_text))
                            } else {
                                packed
                            };
                            self.admit(id, input, d.prep, packed, d.decision, now_ms)?
                        }
                    };
                    let article = Arc::new(article);
                    let verdict = Verdict::of(&article.record);
                    verdicts.push(verdict.clone());
                    stored.push(verdict);
                    pending.add(Arc::clone(&article));
                    items.push(article);
                }
                // The writer takes `CHUNK` files a transaction (fewer transactions cost less
                // than smaller ones), and what is left once the files run out. In a call of
                // several transactions, the last `CHUNK` files go as each prepared chunk is
                // decided, so that what is left to write once deciding ends, with the sync after
                // it, is one small chunk; a small call (the daemon's) stays one transaction.
                let tail = inputs.len() >= TAIL_SPLIT_MIN && inputs.len() - at < CHUNK;
                if items.len() < CHUNK && at < inputs.len() && !tail {
                    continue;
                }
                let chunk_events = self.events_for(
                    std::mem::take(&mut stored)
                        .into_iter()
                        .map(|verdict| EventKind::Verdict { verdict }),
                    now_ms,
                );
                events.extend(chunk_events.iter().cloned());
                let mut chunk = (
                    std::mem::replace(&mut items, Vec::with_capacity(CHUNK)),
                    chunk_events,
                );
                // While the writer's queue is full, prepare files rather than wait.
                let sent = loop {
                    match write_tx.try_send(chunk) {
                        Err(mpsc::TrySendError::Full(back)) => chunk = back,
                        sent => break sent.is_ok(),
                    }
                    if !chunks.prepare_one(stage) {
                        break timed(measuring, &mut on_writer, || write_tx.send(chunk)).is_ok();
                    }
                };
                if !sent {
                    break; // the writer failed: its error is returned below
                }
            }
            self.reading_ended();
            chunks.close();
            drop(write_tx);
            let drained = Instant::now();
            let wrote = writer.join().expect("the writer thread does not panic")?;
            if let Some(w) = wrote {
                times.deciding_on_drain = drained.elapsed();
                times.deciding_on_writer = on_writer;
                times.writing = w.thread;
                times.writer_idle = w.idle;
                times.syncing = w.syncing;
            }
            for thread in preparer_threads {
                if let Some((t, blocked)) = thread.join().expect("a preparer does not panic") {
                    times.preparing.add(t);
                    times.preparers_blocked += blocked;
                }
            }
            Ok(())
        })?;
        if let (Some(clock), Some(sum)) = (clock, self.stage_times.as_mut()) {
            times.deciding = clock.stop();
            times.wall = times.deciding.wall;
            times.calls = 1;
            sum.add(&times);
        }
        self.outbox.extend(events);
        Ok(verdicts)
    }
}

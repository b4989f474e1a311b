//! Two stages of the ingest pipeline, each run on threads of its own by `Engine::ingest_pipelined`:
//! preparing chunks of files (decode, clean, fingerprint, and the records encoded for the store),
//! and writing decided chunks durably, telling a caller what landed. Deciding, between them, is
//! the engine's own thread; neither stage decides or touches the in-memory index.

use super::decide::prepare_input_with;
use super::prepare::{packed_shingles_of, Prepared, TemplateView};
use super::reading::Reading;
use super::templates::SiteTemplates;
use super::{committed, Input, OnCommit, CHUNK, REPORT_EVERY};
use crate::model::Event;
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
}

impl Preparing<'_> {
    /// Prepares preparer `p`'s share of `inputs` (chunk k goes to preparer k mod `preparers`),
    /// sending each chunk in order; stops early when the receiving end is gone.
    pub(super) fn run(
        &self,
        inputs: &[Input],
        p: usize,
        preparers: usize,
        tx: &mpsc::SyncSender<Vec<PreparedFile>>,
    ) {
        let is_template = |h: u64| self.templates.contains(&h);
        let view = TemplateView {
            window: &is_template,
            sites: Some(self.sites),
            chrome_min_blocks: self.chrome_min,
        };
        for chunk in inputs.chunks(CHUNK).skip(p).step_by(preparers) {
            // The records are encoded (the content compressed) here too, off the writer and
            // the deciding thread.
            let prepared: Vec<_> = chunk
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
                .collect();
            if tx.send(prepared).is_err() {
                return; // the call failed: stop early
            }
        }
    }
}

/// Writes each decided chunk in one transaction, in order, then syncs. With `on_commit`, what
/// was written is made durable and told once `REPORT_EVERY` has passed since the last time, or
/// when no chunk came meanwhile, so a caller stopped midway knows which files landed.
pub(super) fn write(
    store: &Store,
    write_rx: &mpsc::Receiver<(Vec<Arc<NewArticle>>, Vec<Event>)>,
    mut on_commit: Option<OnCommit<'_>>,
) -> Result<(), StoreError> {
    let mut unsynced: Vec<Arc<NewArticle>> = Vec::new();
    let mut synced_at = Instant::now();
    let mut next = write_rx.recv().ok();
    while let Some((items, events)) = next {
        store.write_articles(&items, &events)?;
        let Some(report) = on_commit.as_mut() else {
            next = write_rx.recv().ok();
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
                store.sync()?;
                synced_at = Instant::now();
                report(&committed(&mut unsynced));
                write_rx.recv().ok()
            }
        };
    }
    store.sync()?;
    if let Some(report) = on_commit.as_mut() {
        if !unsynced.is_empty() {
            report(&committed(&mut unsynced));
        }
    }
    Ok(())
}

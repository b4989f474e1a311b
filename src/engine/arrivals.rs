//! Files arriving in the inbox: ingested once. A file already ingested from the same path with
//! the same size, modification time and content is recognised and not ingested again, which is
//! what makes a rescan, or a restart after `kill -9`, safe. A file that cannot be read for now
//! (no descriptors left, an I/O error) is handed back to be tried again, with nothing stored.
//! The files in hand are noted (`hand.rs`): after a death, the files a batch held are read
//! again one at a time, and one held alone at two deaths is set aside (rejected unread).

use super::files::{identity, read_file, FileData, Reach};
use super::{Engine, EngineError, Input, OnCommit};
use crate::model::{ArticleId, ArticleRecord, Verdict};
use crate::text::Rejection;
use std::path::{Path, PathBuf};

/// What happened to one arrival.
#[derive(Debug, Clone)]
pub(crate) enum Arrival {
    /// Ingested now.
    Ingested(Verdict),
    /// Ingested before (same path, size, mtime and content): here is its record.
    Already(Box<ArticleRecord>),
    /// Not read whole, for a passing reason (the words say which): nothing was stored, and the
    /// file is to be offered again later.
    Retry(String),
    /// Its reading was abandoned because copydesk is stopping: nothing was stored, and the
    /// file stays in the inbox, to be read at the next start.
    Abandoned,
}

impl Engine {
    /// Records where the inbox moved an article's file (after_ingest = "move"), durably, so
    /// listings and `show` name where it is now; `file` stays the path it was ingested from.
    pub(crate) fn moved(&mut self, id: ArticleId, location: String) -> Result<(), EngineError> {
        let mut record = self
            .store()
            .record(id)?
            .ok_or(EngineError::NoSuchArticle(id))?;
        record.location = Some(location);
        let status = record.status;
        self.store().commit_triage(&[(record, status)], &[], &[])?;
        Ok(())
    }

    /// Ingests the files not ingested before, in order; all durable on return.
    pub(crate) fn ingest_arrivals(
        &mut self,
        paths: &[PathBuf],
        now_ms: u64,
    ) -> Result<Vec<(PathBuf, Arrival)>, EngineError> {
        let max = self.settings().max_file_bytes;
        // What arrives in the inbox is read only inside it: a link is refused unless the
        // settings allow links, and then followed only to a file in the inbox.
        let links = self.settings().follow_symlinks;
        let reach = Reach::inbox(&self.settings().inbox, links).unwrap_or(Reach::Inside {
            root: self.settings().inbox.clone(),
            links,
        });
        let mut out: Vec<(PathBuf, Option<Arrival>)> = Vec::with_capacity(paths.len());
        let mut fresh = Vec::new();
        let mut known = false;
        for path in paths {
            let file = path.display().to_string();
            let data = read_file(path, max, &reach);
            if let Err(why) = &data {
                if why.is_transient() {
                    out.push((path.clone(), Some(Arrival::Retry(why.to_string()))));
                    continue;
                }
            }
            if let Some(rec) = self.already(&file, &data)? {
                known = true;
                out.push((path.clone(), Some(Arrival::Already(Box::new(rec)))));
            } else {
                fresh.push(Input { file, data });
                out.push((path.clone(), None));
            }
        }
        if known {
            // A record found again may be one whose call failed at its sync (descriptors ran
            // out, say): it is reported, and its file filed away, only once it is durable.
            self.store().sync()?;
        }
        let mut verdicts = self.ingest_noted(fresh, now_ms)?.into_iter();
        let stopping = self.stop.is_set();
        let arrivals: Vec<(PathBuf, Arrival)> = out
            .into_iter()
            .filter_map(|(p, a)| match a {
                Some(a) => Some((p, a)),
                None => verdicts.next().map(|v| match v.id {
                    Some(_) => (p, Arrival::Ingested(v)),
                    None if stopping => (p, Arrival::Abandoned),
                    None => (p, Arrival::Retry(v.reason.unwrap_or_default())),
                }),
            })
            .collect();
        if let Some(hand) = self.hand.as_mut() {
            for (path, arrival) in &arrivals {
                if matches!(arrival, Arrival::Ingested(_) | Arrival::Already(_)) {
                    hand.settled(&path.display().to_string());
                }
            }
        }
        Ok(arrivals)
    }

    /// Ingests arrivals with the files in hand noted (`hand.rs`): suspects of an earlier death
    /// each alone first, then the rest in one batch (files set aside are rejected there, unread).
    /// Verdicts in the inputs' order.
    fn ingest_noted(
        &mut self,
        fresh: Vec<Input>,
        now_ms: u64,
    ) -> Result<Vec<Verdict>, EngineError> {
        if fresh.is_empty() {
            return Ok(Vec::new());
        }
        self.open_hand();
        let (suspects, set_aside) = match &self.hand {
            Some(h) => (h.suspects().to_vec(), h.set_aside().to_vec()),
            None => Default::default(),
        };
        self.set_aside = set_aside.into_iter().collect();
        let mut verdicts: Vec<Option<Verdict>> = vec![None; fresh.len()];
        let (mut alone, mut rest) = (Vec::new(), Vec::new());
        for (i, input) in fresh.into_iter().enumerate() {
            if suspects.contains(&input.file) && !self.set_aside.contains(&input.file) {
                alone.push((i, input));
            } else {
                rest.push((i, input));
            }
        }
        for (i, input) in alone {
            if self.stop.is_set() {
                // Stopping: not read now, and still a suspect at the next start.
                verdicts[i] = Some(super::refused(&input, &Rejection::Stopped));
                continue;
            }
            tracing::info!(file = ?input.file, "reading alone a file that was in hand when copydesk stopped");
            let batch = [input];
            let v = self.ingest_in_hand(&batch, true, now_ms)?;
            verdicts[i] = v.into_iter().next();
        }
        let (at, batch): (Vec<usize>, Vec<Input>) = rest.into_iter().unzip();
        let result = self.ingest_in_hand(&batch, false, now_ms);
        // Set aside for the inbox's arrivals only: a command naming the file reads it.
        self.set_aside.clear();
        for (i, v) in at.into_iter().zip(result?) {
            verdicts[i] = Some(v);
        }
        Ok(verdicts.into_iter().flatten().collect())
    }

    /// `ingest`, with `inputs` noted as in hand while they are read.
    fn ingest_in_hand(
        &mut self,
        inputs: &[Input],
        alone: bool,
        now_ms: u64,
    ) -> Result<Vec<Verdict>, EngineError> {
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        // The index is loaded first (at the first batch after a start), so that the note names
        // the files only while they are read.
        self.load()?;
        if let Some(hand) = self.hand.as_mut() {
            let files: Vec<String> = inputs.iter().map(|i| i.file.clone()).collect();
            if let Err(e) = hand.begin(&files, alone) {
                tracing::warn!(
                    "cannot note the files in hand in '{}': {e}; a file that stops copydesk may be read first again after a restart",
                    self.settings().db.join(super::hand::FILE).display()
                );
            }
        }
        tracing::info!(
            files = inputs.len(),
            first = ?inputs[0].file,
            alone,
            "reading files from the inbox"
        );
        let result = self.ingest(inputs, now_ms);
        if let (Ok(verdicts), Some(hand)) = (&result, self.hand.as_mut()) {
            for (input, v) in inputs.iter().zip(verdicts) {
                if v.id.is_some() {
                    hand.settled(&input.file);
                }
            }
        }
        self.reading_ended();
        result
    }

    /// Notes that no file is being read any more (the files of the batch are all prepared).
    pub(super) fn reading_ended(&mut self) {
        if let Some(hand) = self.hand.as_mut() {
            if let Err(e) = hand.end_reading() {
                tracing::warn!("cannot note that reading has ended: {e}");
            }
        }
    }

    /// Opens the note of the files in hand, once, saying what a process that died left in it.
    fn open_hand(&mut self) {
        if self.hand.is_some() {
            return;
        }
        let db = self.settings().db.clone();
        match super::hand::Hand::open(&db) {
            Ok((hand, found)) => {
                say_found(&db, &found);
                self.hand = Some(hand);
            }
            Err(e) => tracing::warn!(
                "cannot open the note of the files in hand in '{}': {e}; a file that stops copydesk may be read first again after a restart",
                db.display()
            ),
        }
    }

    /// Ingests files as a command asks: a file ingested before (same path, size, mtime and
    /// content) is reported with its stored id and status and `again` set, and not stored twice;
    /// the others are ingested. `on_commit` hears every verdict once, in the files' order, as
    /// soon as it and the ones before it are durable.
    pub(crate) fn ingest_once(
        &mut self,
        inputs: Vec<Input>,
        now_ms: u64,
        on_commit: OnCommit<'_>,
    ) -> Result<Vec<Verdict>, EngineError> {
        let mut known = Vec::with_capacity(inputs.len());
        let mut fresh = Vec::new();
        for input in inputs {
            match self.already(&input.file, &input.data)? {
                Some(rec) => known.push(Some(Verdict {
                    again: true,
                    ..Verdict::of(&rec)
                })),
                None => {
                    known.push(None);
                    fresh.push(input);
                }
            }
        }
        let mut order = InOrder {
            known,
            at: 0,
            report: on_commit,
        };
        let mut tell = |vs: &[Verdict]| order.fresh(vs);
        let verdicts = self.ingest_reporting(&fresh, now_ms, Some(&mut tell))?;
        order.rest();
        let mut verdicts = verdicts.into_iter();
        Ok(order
            .known
            .into_iter()
            .filter_map(|k| k.or_else(|| verdicts.next()))
            .collect())
    }

    /// The record of a file ingested before from the same path. A file read now is the same
    /// when its size, mtime and content are; one refused now (too large, not a regular file,
    /// unreadable) when its size and mtime are, whatever its earlier record holds.
    fn already(
        &self,
        file: &str,
        data: &Result<FileData, Rejection>,
    ) -> Result<Option<ArticleRecord>, EngineError> {
        let Some(entry) = self.store().path_entry(file)? else {
            return Ok(None);
        };
        let same = match data {
            Ok(d) => {
                d.size == entry.size
                    && d.mtime_ns == entry.mtime_ns
                    && Some(xxhash_rust::xxh3::xxh3_64(&d.bytes)) == entry.content_hash
            }
            Err(_) => identity(std::path::Path::new(file)) == Some((entry.size, entry.mtime_ns)),
        };
        if !same {
            return Ok(None);
        }
        Ok(self.store().record(entry.id)?)
    }
}

/// Logs what the note of a process that died says.
fn say_found(db: &Path, found: &super::hand::Found) {
    if found.unreadable {
        tracing::warn!(
            "the note of the files in hand '{}' is damaged; starting without it",
            db.join(super::hand::FILE).display()
        );
    }
    if !found.suspects.is_empty() {
        tracing::warn!(
            files = ?found.suspects,
            "copydesk stopped while reading {} file(s); each is read again alone, before the others",
            found.suspects.len()
        );
    }
    for file in &found.struck {
        tracing::warn!(
            file = ?file,
            "copydesk stopped while reading this file alone; it is read alone once more, and set aside if copydesk stops again while reading it"
        );
    }
    for file in &found.set_aside {
        tracing::warn!(
            file = ?file,
            "copydesk stopped three times while reading this file, twice with it alone; it is set aside (rejected, unread)"
        );
    }
}

/// Puts the verdicts of files ingested now between those of files ingested before, in the
/// order the files were given.
struct InOrder<'a> {
    /// Per file: its verdict when it was ingested before, `None` when it is ingested now.
    known: Vec<Option<Verdict>>,
    /// The first file not yet reported.
    at: usize,
    report: OnCommit<'a>,
}

impl InOrder<'_> {
    /// Reports `fresh`, the next files ingested now, each after the files ingested before that
    /// precede it.
    fn fresh(&mut self, fresh: &[Verdict]) {
        let mut out = Vec::with_capacity(fresh.len());
        for v in fresh {
            self.known_run(&mut out);
            if self.at < self.known.len() {
                out.push(v.clone());
                self.at += 1;
            }
        }
        (self.report)(&out);
    }

    /// Reports the files ingested before that remain.
    fn rest(&mut self) {
        let mut out = Vec::new();
        self.known_run(&mut out);
        if !out.is_empty() {
            (self.report)(&out);
        }
    }

    fn known_run(&mut self, out: &mut Vec<Verdict>) {
        while let Some(Some(v)) = self.known.get(self.at) {
            out.push(v.clone());
            self.at += 1;
        }
    }
}

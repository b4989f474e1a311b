//! Files arriving in the inbox: ingested once. A file already ingested from the same path with
//! the same size, modification time and content is recognised and not ingested again, which is
//! what makes a rescan, or a restart after `kill -9`, safe. A file that cannot be read for now
//! (no descriptors left, an I/O error) is handed back to be tried again, with nothing stored.

use super::files::{identity, read_file, FileData, Reach};
use super::{Engine, EngineError, Input, OnCommit};
use crate::model::{ArticleId, ArticleRecord, Verdict};
use crate::text::Rejection;
use std::path::PathBuf;

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
        let mut verdicts = self.ingest(&fresh, now_ms)?.into_iter();
        Ok(out
            .into_iter()
            .filter_map(|(p, a)| match a {
                Some(a) => Some((p, a)),
                None => verdicts.next().map(|v| (p, Arrival::Ingested(v))),
            })
            .collect())
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

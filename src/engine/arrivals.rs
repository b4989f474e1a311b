//! Files arriving in the inbox: ingested once. A file already ingested from the same path with
//! the same size, modification time and content is recognised and not ingested again, which is
//! what makes a rescan, or a restart after `kill -9`, safe. A file that cannot be read for now
//! (no descriptors left, an I/O error) is handed back to be tried again, with nothing stored.

use super::files::{identity, read_file, FileData, Reach};
use super::{Engine, EngineError, Input};
use crate::model::{ArticleRecord, Verdict};
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

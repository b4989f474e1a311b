//! Reading a database for `copydesk export`: every article with its story and page, and the
//! triage events, a page at a time, taking what reads and naming what does not. Works on a
//! database the checks at open refuse (`Store::open_readable`), since rebuilding one from what
//! is readable is the point. Reads only; decides nothing.

use super::{codec, event_group, id_of, key, record_from_json, schema, Store, StoreError};
use crate::model::export::{Article, ExportPage, Identity, Page, Skipped, TriageEvent};
use crate::model::{ArticleId, EventKind, Status};
use std::path::Path;

impl Store {
    /// Opens sled in `path` without the checks at open and without writing anything: for an
    /// export of a database that may be damaged.
    pub fn open_readable(path: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        if !Store::exists(path) {
            return Err(StoreError::Open {
                path: path.to_owned(),
                message: "there is no database in this folder".into(),
            });
        }
        let store = Store::open_sled(path, cache_bytes, usize::MAX)?;
        // A newer copydesk may keep an article's parts where this one does not look: its
        // export would name every article's text missing. What reads as a version is trusted;
        // an unreadable one is damage, which is what this open is for.
        if let Ok(Some(v)) = store.meta.get("schema") {
            if let Ok(found) = <[u8; 4]>::try_from(v.as_ref()).map(u32::from_be_bytes) {
                if found > super::SCHEMA_VERSION {
                    return Err(StoreError::TooNew {
                        path: path.to_owned(),
                        found,
                        supported: super::SCHEMA_VERSION,
                    });
                }
            }
        }
        Ok(store)
    }

    /// The schema version recorded in the database, as stored (without the default a new
    /// database gets).
    pub fn schema_version(&self) -> u32 {
        self.schema().unwrap_or(super::SCHEMA_VERSION)
    }

    /// Up to `limit` articles with ids above `after`, oldest first. A record, story or page
    /// that does not read is skipped and named; when sled cannot walk past a damaged place, the
    /// ids after it are read one by one up to the highest id any tree knows.
    pub fn export_articles(&self, after: ArticleId, limit: usize) -> ExportPage {
        let mut page = ExportPage {
            schema: self.schema_version(),
            ..ExportPage::default()
        };
        if after == 0 {
            page.skipped.extend(self.lost_end());
            page.skipped.extend(self.lost_records());
        }
        let mut last = after;
        let mut walked = 0;
        let mut broken = false;
        for r in self.articles.range(key(after.saturating_add(1))..) {
            if walked == limit {
                page.next = Some(last);
                return page;
            }
            match r {
                Ok((k, v)) => {
                    let Some(id) = id_of(&k) else {
                        page.skipped.push(skip("a record's key", "it is not an id"));
                        continue;
                    };
                    self.export_one(id, &v, &mut page);
                    last = id;
                    walked += 1;
                }
                Err(e) => {
                    page.skipped.push(skip(
                        &format!("the records after {last}"),
                        &super::verify::unreadable(&e),
                    ));
                    broken = true;
                    break;
                }
            }
        }
        if !broken {
            return page;
        }
        // Past a damaged place: id by id, each read on its own.
        let end = self.highest_id();
        let mut id = last.saturating_add(1);
        while id <= end {
            if walked == limit {
                page.next = Some(id - 1);
                return page;
            }
            match self.articles.get(key(id)) {
                Ok(Some(v)) => self.export_one(id, &v, &mut page),
                Ok(None) => {}
                Err(e) => page.skipped.push(skip(
                    &format!("record {id}"),
                    &super::verify::unreadable(&e),
                )),
            }
            walked += 1;
            id += 1;
        }
        page
    }

    /// What the marker says the database held and it no longer does (a data file that lost its
    /// end opens as a shorter database, and would export as one in silence).
    fn lost_end(&self) -> Option<Skipped> {
        let marker = super::verify::read_marker(&self.path);
        let last = self.last_seq().unwrap_or(0);
        let problem = super::verify::marker_problem(marker, self.meta.is_empty(), last)?;
        Some(skip(
            &format!("whatever came after event {last}"),
            &format!("{problem}; what it recorded is not in this export"),
        ))
    }

    /// Records the database no longer holds while its counters count them or its verdict events
    /// name them: a damaged data file may open with some records gone and the rest still there.
    fn lost_records(&self) -> Option<Skipped> {
        let held = self.articles.iter().keys().filter(Result::is_ok).count() as u64;
        let counted: u64 = self.counts().map_or(0, |c| c.values().sum());
        let mut named = std::collections::BTreeSet::new();
        for (k, v) in self.events.iter().flatten() {
            for e in event_group(id_of(&k), &v).unwrap_or_default() {
                if let EventKind::Verdict { verdict } = e.kind {
                    named.extend(verdict.id);
                }
            }
        }
        let missing: Vec<ArticleId> = named
            .into_iter()
            .filter(|&id| !self.articles.contains_key(key(id)).unwrap_or(false))
            .collect();
        let lost = (missing.len() as u64).max(counted.saturating_sub(held));
        if lost == 0 {
            return None;
        }
        let which = match (missing.first(), missing.last()) {
            (Some(first), Some(last)) => format!(" (ids {first} to {last} among them)"),
            _ => String::new(),
        };
        Some(skip(
            &format!("{lost} records{which}"),
            &format!(
                "the counters count {counted} articles and the events name {} that are not here, \
                 but {held} records are in the database: sled's data file lost the others",
                missing.len()
            ),
        ))
    }

    /// The highest id the records, fingerprints or texts hold, as far as they read.
    fn highest_id(&self) -> ArticleId {
        [&self.articles, &self.stories]
            .into_iter()
            .filter_map(|t| t.last().ok().flatten())
            .filter_map(|(k, _)| id_of(&k))
            .chain(self.old.last_id())
            .max()
            .unwrap_or(0)
    }

    /// One article with its story and page, or a note of why it cannot be exported.
    fn export_one(&self, id: ArticleId, v: &[u8], page: &mut ExportPage) {
        let what = format!("record {id}");
        let record = match record_from_json(Some(id), v) {
            Ok(r) => r,
            Err(e) => return page.skipped.push(skip(&what, &e.to_string())),
        };
        let identity = self
            .paths
            .get(record.file.as_bytes())
            .ok()
            .flatten()
            .and_then(|v| serde_json::from_slice::<schema::Path>(&v).ok())
            .map(super::PathEntry::from)
            .filter(|p| p.id == id)
            .map(|p| Identity {
                size: p.size,
                mtime_ns: p.mtime_ns.and_then(|t| i64::try_from(t).ok()),
                content_hash: p.content_hash,
            });
        if record.status == Status::Rejected {
            page.articles
                .push(Article::new(&record, Vec::new(), None, identity));
            return;
        }
        let kept = match self.kept(id) {
            Ok(kept) => kept,
            Err(StoreError::Sled(e)) => {
                return page.skipped.push(skip(
                    &what,
                    &format!("its text {}", super::verify::unreadable(&e)),
                ))
            }
            Err(e) => return page.skipped.push(skip(&what, &e.to_string())),
        };
        let parts = match kept.as_ref().map(|k| k.parts(id)).transpose() {
            Ok(parts) => parts.unwrap_or_default(),
            Err(e) => return page.skipped.push(skip(&what, &e.to_string())),
        };
        let content = match parts.content {
            Some(c) => match codec::decode_content(c) {
                Some(c) => c,
                None => return page.skipped.push(skip(&what, "its text does not decode")),
            },
            None => return page.skipped.push(skip(&what, "its text is missing")),
        };
        // The document's hash is only in the fingerprint; without it an import derives one.
        let doc_hash = parts.fp.and_then(codec::decode_fp).map(|fp| fp.exact);
        let exported = Page {
            site: content.site,
            doc_hash,
            blocks: content.blocks.iter().map(Into::into).collect(),
        };
        page.articles.push(Article::new(
            &record,
            content.paragraphs,
            Some(exported),
            identity,
        ));
    }

    /// Triage events after event `after`, oldest first, from at most `limit` stored groups. A
    /// group that does not read is skipped and named.
    pub fn export_triage(&self, after: u64, limit: usize) -> ExportPage {
        let mut page = ExportPage {
            schema: self.schema_version(),
            ..ExportPage::default()
        };
        let mut last = after;
        for (n, r) in self.events.range((after + 1).to_be_bytes()..).enumerate() {
            if n == limit {
                page.next = Some(last);
                break;
            }
            let (k, v) = match r {
                Ok(kv) => kv,
                Err(e) => {
                    page.skipped.push(skip(
                        &format!("the events after {last}"),
                        &super::verify::unreadable(&e),
                    ));
                    break;
                }
            };
            let seq = id_of(&k);
            last = seq.unwrap_or(last);
            match event_group(seq, &v) {
                Ok(group) => page.triage.extend(group.into_iter().filter_map(|e| {
                    let EventKind::Triage { id, triage, .. } = e.kind else {
                        return None;
                    };
                    (e.seq > after).then(|| TriageEvent {
                        seq: e.seq,
                        at_ms: e.at_ms,
                        at: crate::model::rfc3339(e.at_ms),
                        id,
                        state: triage.state.to_string(),
                        by: triage.by,
                        note: triage.note,
                    })
                })),
                Err(e) => page
                    .skipped
                    .push(skip(&format!("the events up to {last}"), &e.to_string())),
            }
        }
        page
    }
}

/// A copy of a database whose data file sled cannot open whole, cut to the longest beginning of
/// it that sled opens: what an export reads then. The copy lives in a temporary folder (as large
/// as that beginning), removed when this is dropped.
pub struct Salvaged {
    pub store: Store,
    /// Bytes of the data file the copy holds, of `size`.
    pub kept: u64,
    pub size: u64,
    /// Why the whole file did not open.
    pub why: String,
    _dir: tempfile::TempDir,
}

/// Cuts are looked for to this many bytes: sled's own unit of writing is larger.
const SALVAGE_STEP: u64 = 4096;

impl Salvaged {
    /// Copies the database in `path` (sled's files; not the search index) and finds, by
    /// bisection, the longest beginning of its data file that sled opens. Only the copy is
    /// opened.
    pub fn open(path: &Path, cache_bytes: u64, why: String) -> Result<Salvaged, StoreError> {
        let fail = |e: std::io::Error| StoreError::Open {
            path: path.to_owned(),
            message: format!("cannot copy it to read what survives: {e}"),
        };
        let dir = tempfile::Builder::new()
            .prefix("copydesk-salvage-")
            .tempdir()
            .map_err(fail)?;
        copy_files(path, dir.path(), 0).map_err(fail)?;
        let data = path.join("db");
        let size = std::fs::metadata(&data).map_err(fail)?.len();
        let opens = |len: u64| -> Result<bool, std::io::Error> {
            copy_prefix(&data, &dir.path().join("db"), len)?;
            Ok(Store::open_sled(dir.path(), cache_bytes, usize::MAX).is_ok())
        };
        // `lo` opens (an empty file does), `hi` does not (the whole file did not).
        let (mut lo, mut hi) = (0u64, size);
        while hi - lo > SALVAGE_STEP {
            let mid = (lo + (hi - lo) / 2) / SALVAGE_STEP * SALVAGE_STEP;
            let mid = mid.max(lo + 1);
            if opens(mid).map_err(fail)? {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        copy_prefix(&data, &dir.path().join("db"), lo).map_err(fail)?;
        let store = Store::open_sled(dir.path(), cache_bytes, usize::MAX)?;
        Ok(Salvaged {
            store,
            kept: lo,
            size,
            why,
            _dir: dir,
        })
    }

    /// What the copy lacks, said as an export's skipped item.
    pub fn lost(&self) -> Skipped {
        skip(
            &format!(
                "the data file after byte {} of {} ({:.0}%)",
                self.kept,
                self.size,
                100.0 * self.kept as f64 / self.size.max(1) as f64
            ),
            &format!(
                "{}; what reads before it was exported from a copy cut there",
                self.why
            ),
        )
    }
}

/// Copies the files of a database folder (and its `blobs` folder), not the data file itself
/// (copied by `copy_prefix`), the search index or the socket.
fn copy_files(from: &Path, to: &Path, depth: u32) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let kind = entry.file_type()?;
        if kind.is_file() && !(depth == 0 && name == "db") {
            std::fs::copy(entry.path(), to.join(&name))?;
        } else if kind.is_dir() && depth == 0 && name == "blobs" {
            std::fs::create_dir_all(to.join(&name))?;
            copy_files(&entry.path(), &to.join(&name), 1)?;
        }
    }
    Ok(())
}

/// Writes the first `len` bytes of `from` to `to`, replacing it.
fn copy_prefix(from: &Path, to: &Path, len: u64) -> std::io::Result<()> {
    use std::io::Read;
    let mut src = std::fs::File::open(from)?.take(len);
    let mut dst = std::fs::File::create(to)?;
    std::io::copy(&mut src, &mut dst)?;
    Ok(())
}

fn skip(what: &str, why: &str) -> Skipped {
    Skipped {
        what: what.to_owned(),
        why: why.to_owned(),
    }
}

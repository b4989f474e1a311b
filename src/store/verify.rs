//! Whether a database is what it claims to be: a marker file beside sled's own (so a data file
//! truncated to nothing is told from a new database), a quick look at the newest records when
//! the store opens, and the whole walk `copydesk doctor` runs. Reads only; repairs nothing.

use super::{codec, event_group, id_of, key, record_from_json, schema, Store, StoreError};
use crate::model::{ArticleId, Health, Status};
use std::io::Write;
use std::path::Path;

/// The file that says a copydesk database was created in this folder.
pub(crate) const MARKER: &str = "copydesk.db";
/// Records the quick check at open reads, newest first.
const NEWEST: usize = 32;

/// The marker: absent (`None`), or present with the last event number it says the database
/// had reached when last synced (`Some(None)` when that line does not read).
pub(crate) fn read_marker(path: &Path) -> Option<Option<u64>> {
    let text = std::fs::read_to_string(path.join(MARKER)).ok()?;
    Some(
        text.lines()
            .find_map(|l| l.strip_prefix(PROGRESS))
            .and_then(|n| n.trim().parse().ok()),
    )
}

/// Records, durably, that the database has reached event `last_seq`: called after every sync
/// of sled's files, so the marker never says more than what is on disk.
pub(crate) fn write_marker(path: &Path, last_seq: u64) -> std::io::Result<()> {
    let marker = path.join(MARKER);
    let new = !marker.exists();
    let mut f = std::fs::File::create(&marker)?;
    f.write_all(
        format!(
            "copydesk database: sled's files in this folder hold its data\n{PROGRESS}{last_seq}\n"
        )
        .as_bytes(),
    )?;
    f.sync_all()?;
    if new {
        std::fs::File::open(path)?.sync_all()?;
    }
    Ok(())
}

/// The marker's line naming the last event synced.
const PROGRESS: &str = "last event: ";

/// What the marker and the opened database say together, as a problem if they disagree.
pub(crate) fn marker_problem(
    marker: Option<Option<u64>>,
    was_empty: bool,
    last_seq: u64,
) -> Option<String> {
    let progress = marker?;
    if was_empty {
        return Some(format!(
            "it opened empty, yet a database was created here before ('{MARKER}'); sled's data \
             file 'db' was truncated or replaced"
        ));
    }
    match progress {
        Some(reached) if last_seq < reached => Some(format!(
            "it ends at event {last_seq}, but it had reached event {reached} when last synced; \
             sled's data file lost its end (truncated or damaged)"
        )),
        _ => None,
    }
}

impl Store {
    /// The quick check when a store opens: a database created here before must not open empty,
    /// and its newest records, their fingerprints and contents, and its newest events must read.
    pub(crate) fn check_opened(
        &self,
        marker: Option<Option<u64>>,
        was_empty: bool,
    ) -> Result<(), StoreError> {
        if let Some(p) = marker_problem(marker, was_empty, self.last_seq()?) {
            return Err(self.damaged(p));
        }
        let mut problems = Vec::new();
        for r in self.articles.iter().rev().take(NEWEST) {
            let (k, v) =
                r.map_err(|e| self.damaged(format!("the newest records {}", unreadable(&e))))?;
            self.check_article(id_of(&k), &v, &mut problems)?;
        }
        for r in self.events.iter().rev().take(2) {
            let (k, v) = r?;
            if let Err(e) = event_group(id_of(&k), &v) {
                problems.push(e.to_string());
            }
        }
        match problems.first() {
            Some(p) => Err(self.damaged(format!("{p} (and {} more)", problems.len() - 1))),
            None => Ok(()),
        }
    }

    /// Reads every record, fingerprint, content, shingle record and event, and compares the counters with the
    /// records: what `copydesk doctor` reports.
    pub fn verify(&self) -> Result<Health, StoreError> {
        let mut h = Health::default();
        self.counters_or_problem(&mut h);
        for r in self.articles.iter() {
            let (k, v) = match r {
                Ok(kv) => kv,
                Err(e) => {
                    h.problems.push(format!(
                        "the records after {} {}",
                        h.articles,
                        unreadable(&e)
                    ));
                    break;
                }
            };
            if let Some(status) = self.check_article(id_of(&k), &v, &mut h.problems)? {
                h.articles += 1;
                *h.by_status.entry(status).or_default() += 1;
            }
        }
        for s in Status::ALL {
            let (found, counted) = (
                h.by_status.get(&s).copied().unwrap_or(0),
                h.counted.get(&s).copied().unwrap_or(0),
            );
            if found != counted {
                h.problems.push(format!(
                    "{found} {s} records, but the counter says {counted}"
                ));
            }
        }
        for r in self.events.iter() {
            let r = r.map_err(|e| StoreError::Corrupt(None, unreadable(&e)));
            match r.and_then(|(k, v)| event_group(id_of(&k), &v)) {
                Ok(group) => h.events += group.len() as u64,
                Err(e) => h.problems.push(format!("an event does not read: {e}")),
            }
        }
        for r in self.paths.iter() {
            let (k, v) = match r {
                Ok(kv) => kv,
                Err(e) => {
                    h.problems
                        .push(format!("the path identities {}", unreadable(&e)));
                    break;
                }
            };
            let entry = serde_json::from_slice::<schema::Path>(&v).map(super::PathEntry::from);
            match entry {
                Ok(e) if self.articles.contains_key(key(e.id)).unwrap_or(false) => {}
                Ok(e) => h.problems.push(format!(
                    "the path '{}' names record {}, which is missing",
                    String::from_utf8_lossy(&k),
                    e.id
                )),
                Err(e) => h.problems.push(format!(
                    "the path '{}' does not read: {e}",
                    String::from_utf8_lossy(&k)
                )),
            }
        }
        Ok(h)
    }

    /// Checks one record and what belongs to it; its status when the record reads.
    fn check_article(
        &self,
        id: Option<ArticleId>,
        v: &[u8],
        problems: &mut Vec<String>,
    ) -> Result<Option<Status>, StoreError> {
        let Some(id) = id else {
            problems.push("a record's key is not an id".into());
            return Ok(None);
        };
        let rec = match record_from_json(Some(id), v) {
            Ok(rec) => rec,
            Err(e) => {
                problems.push(e.to_string());
                return Ok(None);
            }
        };
        if rec.status != Status::Rejected {
            let kept = match self.kept(id) {
                Ok(kept) => kept,
                Err(StoreError::Sled(e)) => {
                    problems.push(format!("record {id}: its story {}", unreadable(&e)));
                    return Ok(Some(rec.status));
                }
                Err(e) => return Err(e),
            };
            let parts = match kept.as_ref().map(|k| k.parts(id)).transpose() {
                Ok(parts) => parts.unwrap_or_default(),
                Err(e) => {
                    problems.push(e.to_string());
                    return Ok(Some(rec.status));
                }
            };
            match parts.fp {
                Some(fp) if codec::decode_fp(fp).is_some() => {}
                Some(_) => problems.push(format!("record {id}: its fingerprint does not decode")),
                None => problems.push(format!("record {id}: its fingerprint is missing")),
            }
            match parts.content {
                Some(c) if codec::decode_content(c).is_some() => {}
                Some(_) => problems.push(format!("record {id}: its text does not decode")),
                None => problems.push(format!("record {id}: its text is missing")),
            }
            // Written with the record since schema 5 (an older database gets them when the
            // engine opens it, after this check). Words compressed against the story's text
            // are read with it.
            match parts.words {
                Some(s) if codec::decode_stored_story_tokens(s, parts.content).is_some() => {}
                Some(_) => {
                    problems.push(format!("record {id}: its shingle record does not decode"))
                }
                None if !self.keeps_shingles()? => {}
                None => problems.push(format!("record {id}: its shingle record is missing")),
            }
        }
        Ok(Some(rec.status))
    }

    /// Whether the database says it was written with a shingle record per article (schema 5
    /// on); one that says nothing of its schema is older.
    fn keeps_shingles(&self) -> Result<bool, StoreError> {
        let found = self.meta.get("schema")?;
        Ok(found
            .and_then(|v| v.as_ref().try_into().ok().map(u32::from_be_bytes))
            .is_some_and(|v| v >= 5))
    }

    /// Checks what `doctor` may meet before the walk: the counters.
    pub(crate) fn counters_or_problem(&self, h: &mut Health) {
        match self.counts() {
            Ok(c) => h.counted = c,
            Err(e) => h.problems.push(format!("the counters cannot be read: {e}")),
        }
    }

    fn damaged(&self, message: String) -> StoreError {
        StoreError::Damaged {
            path: self.path.clone(),
            message,
        }
    }
}

/// What a sled read error means, in words ("cannot be read: the data file is corrupt there").
pub(super) fn unreadable(e: &sled::Error) -> String {
    match e {
        sled::Error::Corruption { .. } => {
            "cannot be read: sled's data file is corrupt there".into()
        }
        other => format!("cannot be read: {other}"),
    }
}

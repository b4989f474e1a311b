//! What the `articles`, `paths` and `events` trees hold, as their own types: JSON values whose
//! field names and text forms are the database's, converted explicitly from and to the domain's
//! values. Nothing here is sent to clients, so a change of the wire protocol cannot change what is
//! stored. `tests::golden` keeps the stored encoding of each schema version.
//!
//! An article's triage state is kept in the text form it has always had: "" for an article no
//! editor touched, else "new", "picked", "spiked", "not-reprint" or "reprint-of #12".

use super::{PathEntry, StoreError};
use crate::model::{self, ArticleId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Status {
    Unique,
    Duplicate,
    Reprint,
    Partial,
    Rejected,
}

impl Status {
    /// The name in the `meta` tree's counter keys (`count/<name>`).
    pub(super) fn counter_key(s: model::Status) -> String {
        let name = match Status::from(s) {
            Status::Unique => "unique",
            Status::Duplicate => "duplicate",
            Status::Reprint => "reprint",
            Status::Partial => "partial",
            Status::Rejected => "rejected",
        };
        format!("count/{name}")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Match {
    id: ArticleId,
    file: String,
    similarity: f32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Triage {
    state: String,
    by: Option<String>,
    at_ms: Option<u64>,
    note: Option<String>,
    /// The detector's verdict under an editors' overrule; absent otherwise (and in records
    /// written before it was kept), so earlier records read and write back unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    overruled: Option<Detected>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Detected {
    status: Status,
    #[serde(rename = "match")]
    matched: Option<Match>,
    story: ArticleId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Record {
    id: ArticleId,
    file: String,
    status: Status,
    title: String,
    #[serde(rename = "match")]
    matched: Option<Match>,
    reason: Option<String>,
    story: ArticleId,
    source: Option<String>,
    url: Option<String>,
    published: Option<String>,
    words: u32,
    size: u64,
    ingested_ms: u64,
    #[serde(default)]
    triage: Triage,
    /// Where the daemon moved the file after ingest; absent (as in records written before it
    /// was kept) when it was not moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    location: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Verdict {
    file: String,
    id: Option<ArticleId>,
    status: Status,
    title: String,
    #[serde(rename = "match")]
    matched: Option<Match>,
    reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Event {
    pub(super) seq: u64,
    at_ms: u64,
    #[serde(flatten)]
    kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum EventKind {
    Verdict {
        #[serde(flatten)]
        verdict: Verdict,
    },
    Triage {
        id: ArticleId,
        triage: Triage,
        status: Status,
        #[serde(rename = "match")]
        matched: Option<Match>,
    },
}

/// The identity of a file as last ingested from one path (`paths` tree). Unknown values are
/// stored as 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Path {
    id: ArticleId,
    size: u64,
    mtime_ns: i128,
    content_hash: u64,
}

impl From<model::Status> for Status {
    fn from(s: model::Status) -> Status {
        match s {
            model::Status::Unique => Status::Unique,
            model::Status::Duplicate => Status::Duplicate,
            model::Status::Reprint => Status::Reprint,
            model::Status::Partial => Status::Partial,
            model::Status::Rejected => Status::Rejected,
        }
    }
}

impl From<Status> for model::Status {
    fn from(s: Status) -> model::Status {
        match s {
            Status::Unique => model::Status::Unique,
            Status::Duplicate => model::Status::Duplicate,
            Status::Reprint => model::Status::Reprint,
            Status::Partial => model::Status::Partial,
            Status::Rejected => model::Status::Rejected,
        }
    }
}

impl From<&model::MatchRef> for Match {
    fn from(m: &model::MatchRef) -> Match {
        Match {
            id: m.id,
            file: m.file.clone(),
            similarity: m.similarity,
        }
    }
}

impl From<Match> for model::MatchRef {
    fn from(m: Match) -> model::MatchRef {
        model::MatchRef {
            id: m.id,
            file: m.file,
            similarity: m.similarity,
        }
    }
}

impl From<&model::Triage> for Triage {
    fn from(t: &model::Triage) -> Triage {
        Triage {
            state: if t.is_set() {
                t.state.to_string()
            } else {
                String::new()
            },
            by: t.by.clone(),
            at_ms: t.at_ms,
            note: t.note.clone(),
            overruled: t.overruled.as_ref().map(|d| Detected {
                status: d.status.into(),
                matched: d.matched.as_ref().map(Into::into),
                story: d.story,
            }),
        }
    }
}

impl Triage {
    fn into_model(self, id: Option<ArticleId>) -> Result<model::Triage, StoreError> {
        let state = match self.state.as_str() {
            "" => model::TriageState::New,
            text => model::TriageState::parse(text).ok_or_else(|| {
                StoreError::Corrupt(id, format!("'{text}' is not a triage state"))
            })?,
        };
        Ok(model::Triage {
            state,
            by: self.by,
            at_ms: self.at_ms,
            note: self.note,
            overruled: self.overruled.map(|d| model::Detected {
                status: d.status.into(),
                matched: d.matched.map(Into::into),
                story: d.story,
            }),
        })
    }
}

impl From<&model::ArticleRecord> for Record {
    fn from(r: &model::ArticleRecord) -> Record {
        Record {
            id: r.id,
            file: r.file.clone(),
            status: r.status.into(),
            title: r.title.clone(),
            matched: r.matched.as_ref().map(Into::into),
            reason: r.reason.clone(),
            story: r.story,
            source: r.source.clone(),
            url: r.url.clone(),
            published: r.published.clone(),
            words: r.words,
            size: r.size,
            ingested_ms: r.ingested_ms,
            triage: (&r.triage).into(),
            location: r.location.clone(),
        }
    }
}

/// What an article's record says of its verdict as the detector gave it (its status, or the one
/// editors overruled), read without the rest of the record: for the index of documents, made
/// again from every record when no snapshot holds it.
#[derive(Deserialize)]
struct Admitted {
    status: Status,
    #[serde(default)]
    triage: AdmittedTriage,
}

#[derive(Deserialize, Default)]
struct AdmittedTriage {
    #[serde(default)]
    overruled: Option<AdmittedStatus>,
}

#[derive(Deserialize)]
struct AdmittedStatus {
    status: Status,
}

/// Whether the detector found the article in this record (JSON) a duplicate.
pub(super) fn admitted_duplicate(id: Option<ArticleId>, v: &[u8]) -> Result<bool, StoreError> {
    // Most records are not: one without the word anywhere is not parsed (a rebuild reads every
    // record).
    if memchr::memmem::find(v, b"duplicate").is_none() {
        return Ok(false);
    }
    let a: Admitted =
        serde_json::from_slice(v).map_err(|e| StoreError::Corrupt(id, e.to_string()))?;
    let status = a.triage.overruled.map_or(a.status, |d| d.status);
    Ok(status == Status::Duplicate)
}

impl Record {
    pub(super) fn into_model(self) -> Result<model::ArticleRecord, StoreError> {
        Ok(model::ArticleRecord {
            triage: self.triage.into_model(Some(self.id))?,
            id: self.id,
            file: self.file,
            location: self.location,
            status: self.status.into(),
            title: self.title,
            matched: self.matched.map(Into::into),
            reason: self.reason,
            story: self.story,
            source: self.source,
            url: self.url,
            published: self.published,
            words: self.words,
            size: self.size,
            ingested_ms: self.ingested_ms,
        })
    }
}

impl From<&model::Verdict> for Verdict {
    fn from(v: &model::Verdict) -> Verdict {
        Verdict {
            file: v.file.clone(),
            id: v.id,
            status: v.status.into(),
            title: v.title.clone(),
            matched: v.matched.as_ref().map(Into::into),
            reason: v.reason.clone(),
        }
    }
}

impl From<Verdict> for model::Verdict {
    fn from(v: Verdict) -> model::Verdict {
        model::Verdict {
            file: v.file,
            id: v.id,
            status: v.status.into(),
            title: v.title,
            matched: v.matched.map(Into::into),
            reason: v.reason,
            again: false,
        }
    }
}

impl From<&model::Event> for Event {
    fn from(e: &model::Event) -> Event {
        Event {
            seq: e.seq,
            at_ms: e.at_ms,
            kind: match &e.kind {
                model::EventKind::Verdict { verdict } => EventKind::Verdict {
                    verdict: verdict.into(),
                },
                model::EventKind::Triage {
                    id,
                    triage,
                    status,
                    matched,
                } => EventKind::Triage {
                    id: *id,
                    triage: triage.into(),
                    status: (*status).into(),
                    matched: matched.as_ref().map(Into::into),
                },
            },
        }
    }
}

impl Event {
    pub(super) fn into_model(self) -> Result<model::Event, StoreError> {
        Ok(model::Event {
            seq: self.seq,
            at_ms: self.at_ms,
            kind: match self.kind {
                EventKind::Verdict { verdict } => model::EventKind::Verdict {
                    verdict: verdict.into(),
                },
                EventKind::Triage {
                    id,
                    triage,
                    status,
                    matched,
                } => model::EventKind::Triage {
                    id,
                    triage: triage.into_model(Some(id))?,
                    status: status.into(),
                    matched: matched.map(Into::into),
                },
            },
        })
    }
}

impl From<&PathEntry> for Path {
    fn from(p: &PathEntry) -> Path {
        Path {
            id: p.id,
            size: p.size,
            mtime_ns: p.mtime_ns.unwrap_or(0),
            content_hash: p.content_hash.unwrap_or(0),
        }
    }
}

impl From<Path> for PathEntry {
    fn from(p: Path) -> PathEntry {
        PathEntry {
            id: p.id,
            size: p.size,
            mtime_ns: (p.mtime_ns != 0).then_some(p.mtime_ns),
            content_hash: (p.content_hash != 0).then_some(p.content_hash),
        }
    }
}

#[cfg(test)]
mod tests;

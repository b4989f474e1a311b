//! What clients ask of the engine and what it answers, the listing query, and the events
//! followers see: the same values whichever transport carries them (the daemon's socket, or a
//! channel to an engine in this process).

use super::{ArticleId, ArticleRecord, Comparison, Detail, MatchRef, Stats, Status, Triage};
use super::{TriageAction, TriageKind, TriageState, Verdict};
use serde::Serialize;

/// Which articles a listing wants. Every field narrows; all empty lists everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    pub status: Option<Status>,
    pub triage: Option<TriageKind>,
    /// The publisher, case-insensitive, as the dashboard's filter.
    pub source: Option<String>,
    /// Text the file's path must contain (as stored, case-sensitive).
    pub file: Option<String>,
    /// Only articles ingested at or after this time (milliseconds since the epoch).
    pub since_ms: Option<u64>,
    /// Words that must all occur in the title or the text (case-insensitive).
    pub text: Option<String>,
    /// Only articles older than this id (paging down a newest-first list).
    pub before: Option<ArticleId>,
    /// Only articles newer than this id (fetching arrivals).
    pub after: Option<ArticleId>,
    /// At most this many (`None`: the engine's maximum).
    pub limit: Option<usize>,
}

/// A request to the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Ingest files (absolute paths, read by the engine's process), one verdict each.
    Ingest {
        paths: Vec<String>,
    },
    /// The verdict each file would get; nothing stored.
    Check {
        paths: Vec<String>,
    },
    /// One article given as its bytes (standard input), stored as `name` when `ingest`, else
    /// only checked. Ingested again with the same name and content, it is reported `again`.
    Article {
        name: String,
        bytes: Vec<u8>,
        ingest: bool,
    },
    List {
        query: ListQuery,
    },
    Show {
        id: ArticleId,
    },
    /// The article last ingested from a file, by the path it was ingested from.
    ShowFile {
        file: String,
    },
    /// An article and what it shares with another: for the compare view.
    Compare {
        id: ArticleId,
        other: ArticleId,
    },
    /// Every article of one story (the original first).
    Story {
        id: ArticleId,
    },
    Stats,
    Triage {
        ids: Vec<ArticleId>,
        action: TriageAction,
        note: Option<String>,
        /// Compare-and-set: the state each article (in `ids`' order) is expected to be in. When
        /// any is not, nothing changes and the refusal (`FailureKind::Conflict`) says who changed
        /// it meanwhile and when. `None`: no expectation (a one-off command).
        before: Option<Vec<TriageState>>,
    },
    /// A page of an export (`copydesk export`): what reads after `after` (an id, or an event
    /// number), at most `limit` items, and what did not read.
    Export {
        part: super::export::ExportPart,
        after: u64,
        limit: usize,
    },
}

/// The engine's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    Verdicts {
        verdicts: Vec<Verdict>,
    },
    Records {
        records: Vec<ArticleRecord>,
        /// Set when a listing was cut at the most one answer holds while more records match:
        /// that most. Page on with `before` the oldest record's id.
        capped_at: Option<usize>,
    },
    Detail {
        detail: Box<Detail>,
    },
    Comparison {
        comparison: Box<Comparison>,
    },
    Stats {
        stats: Stats,
    },
    Triaged {
        records: Vec<ArticleRecord>,
    },
    Exported {
        page: Box<super::export::ExportPage>,
    },
}

/// Why the engine did not carry out a request: a kind callers can act on, and a message for
/// people that names what failed and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// No article has the id asked for.
    NoSuchArticle,
    /// The request cannot be carried out as asked (an article as a reprint of itself).
    Invalid,
    /// The database failed underneath (a full disk, an I/O error); it is reopened for the next
    /// request, which may succeed.
    Storage,
    /// The database could not be written because something ran out that comes back by itself
    /// (disk space, descriptors, memory): worth retrying later, for as long as it takes. On the
    /// wire it is `storage`, as before it was told apart.
    Exhausted,
    /// The database cannot be opened (held by another process, read-only, newer than this
    /// copydesk).
    Unavailable,
    /// Stored data does not read back.
    Corrupt,
    /// A triage change expected an article in a state it is no longer in: someone changed it
    /// meanwhile (the message says who and when).
    Conflict,
    /// Anything else (a thread that could not start).
    Internal,
}

/// Something that happened, in the order it happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub seq: u64,
    /// In JSON `at_ms` and `at` (RFC 3339).
    #[serde(flatten, serialize_with = "at_fields")]
    pub at_ms: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}

fn at_fields<S: serde::Serializer>(ms: &u64, s: S) -> Result<S::Ok, S::Error> {
    super::time_fields("", Some(*ms), s)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    Verdict {
        #[serde(flatten)]
        verdict: Verdict,
    },
    Triage {
        id: ArticleId,
        triage: Triage,
        status: Status,
        #[serde(rename = "match")]
        matched: Option<MatchRef>,
    },
}

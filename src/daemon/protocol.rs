//! The wire protocol between clients and the daemon: newline-delimited JSON over a Unix socket.
//! These are the wire's own message types, versioned by `PROTOCOL_VERSION`, with explicit
//! conversions from and to the domain values of `model`; nothing else in copydesk serialises for
//! the wire, so a change elsewhere cannot change what travels here. `tests::golden` keeps the
//! encoding of every message as released for this version.
//!
//! On connect the server sends a `Hello` line. Each request line is `{"req": N, ...Request}`; each
//! reply is `{"req": N, ...Response}` (a request that cannot be read is answered with `req` 0).
//! After a `subscribe` request, event lines `{"event": "verdict" | "triage", "seq": S, ...}`
//! follow as they happen; a client that reconnects subscribes with `after` set to the last `seq`
//! it saw and first gets what it missed. An ingest sent with `"stream": true` is answered with
//! `progress` replies (same `req`) as its verdicts become durable, then its `verdicts` reply.
//!
//! Limits are said in `error` replies: a client over `max_clients` gets one with `req` 0 instead
//! of the greeting; a request line over `max_request_bytes` gets one with `req` 0; a subscriber
//! that falls too far behind gets one answering its `subscribe` (naming the last event it was
//! sent); each connection then closes. A `records` reply cut at the daemon's most says so in
//! `capped_at` (absent otherwise, so older clients read it unchanged).

use crate::model::{self, ArticleId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bumped on any incompatible change of the messages below.
pub(crate) const PROTOCOL_VERSION: u32 = 2;

/// The first line the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Hello {
    pub(crate) copydesk: String,
    pub(crate) protocol: u32,
    /// The sequence number of the latest event handed to the socket's clients when this one was
    /// greeted (an event being written then may follow it; `stats` asks the engine itself).
    pub(crate) last_seq: u64,
    pub(crate) inbox: String,
    pub(crate) db: String,
    /// The name the server knows this client by (from the socket's peer credentials).
    pub(crate) you: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Unique,
    Duplicate,
    Reprint,
    Partial,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub(crate) enum TriageAction {
    New,
    Picked,
    Spiked,
    NotReprint,
    ReprintOf { other: ArticleId },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum TriageKind {
    New,
    Picked,
    Spiked,
    NotReprint,
    ReprintOf,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct ListQuery {
    pub(crate) status: Option<Status>,
    pub(crate) triage: Option<TriageKind>,
    pub(crate) source: Option<String>,
    pub(crate) text: Option<String>,
    /// Added with `list --file`: sent only when set, so queries without it encode as before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) file: Option<String>,
    /// Added with `list --since`: sent only when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) since_ms: Option<u64>,
    pub(crate) before: Option<ArticleId>,
    pub(crate) after: Option<ArticleId>,
    /// 0: the engine's maximum.
    pub(crate) limit: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum Request {
    Ingest {
        paths: Vec<String>,
    },
    Check {
        paths: Vec<String>,
    },
    /// Added in 0.2.1: one article's bytes (standard input, base64 on the wire), ingested or
    /// only checked.
    Article {
        name: String,
        #[serde(with = "base64_bytes")]
        bytes: Vec<u8>,
        ingest: bool,
    },
    List {
        query: ListQuery,
    },
    Show {
        id: ArticleId,
    },
    /// Added with `show PATH`: the article last ingested from that path.
    ShowFile {
        file: String,
    },
    Compare {
        id: ArticleId,
        other: ArticleId,
    },
    Story {
        id: ArticleId,
    },
    Stats,
    Triage {
        ids: Vec<ArticleId>,
        action: TriageAction,
        note: Option<String>,
        /// The state each article is expected to be in (compare-and-set); absent: no check.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<Vec<State>>,
    },
    /// Events after `after`, then every new one as it happens.
    Subscribe {
        after: u64,
    },
    /// Added with `copydesk export`: a page of the export (articles after an id, or triage
    /// events after an event number).
    Export {
        part: ExportPart,
        after: u64,
        limit: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ExportPart {
    Articles,
    Triage,
}

/// Something an export page could not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Skipped {
    pub(crate) what: String,
    pub(crate) why: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Match {
    pub(crate) id: ArticleId,
    pub(crate) file: String,
    pub(crate) similarity: f32,
}

/// A triage state in its text form, on its own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct State(#[serde(with = "state_text")] pub(crate) model::TriageState);

/// The detector's verdict under an editors' overrule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Detected {
    pub(crate) status: Status,
    #[serde(rename = "match")]
    pub(crate) matched: Option<Match>,
    pub(crate) story: ArticleId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Triage {
    /// The state's text form: "new", "picked", "spiked", "not-reprint", "reprint-of #12"
    /// ("" from daemons before 0.2, read as "new").
    #[serde(with = "state_text")]
    pub(crate) state: model::TriageState,
    pub(crate) by: Option<String>,
    pub(crate) at_ms: Option<u64>,
    pub(crate) note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) overruled: Option<Detected>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Record {
    pub(crate) id: ArticleId,
    pub(crate) file: String,
    pub(crate) status: Status,
    pub(crate) title: String,
    #[serde(rename = "match")]
    pub(crate) matched: Option<Match>,
    pub(crate) reason: Option<String>,
    pub(crate) story: ArticleId,
    pub(crate) source: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) published: Option<String>,
    pub(crate) words: u32,
    pub(crate) size: u64,
    pub(crate) ingested_ms: u64,
    pub(crate) triage: Triage,
    /// Added with `location`: sent only when the file was moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) location: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Verdict {
    pub(crate) file: String,
    pub(crate) id: Option<ArticleId>,
    pub(crate) status: Status,
    pub(crate) title: String,
    #[serde(rename = "match")]
    pub(crate) matched: Option<Match>,
    pub(crate) reason: Option<String>,
    /// Ingested before, not stored again. Sent only when true, so lines read by earlier
    /// clients, and the encoding of every other verdict, are unchanged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) again: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Detail {
    #[serde(flatten)]
    pub(crate) record: Record,
    pub(crate) paragraphs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Comparison {
    pub(crate) left: Detail,
    pub(crate) right: Detail,
    pub(crate) similarity: f32,
    pub(crate) left_shared: Vec<(u32, u32, u32)>,
    pub(crate) right_shared: Vec<(u32, u32, u32)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Stats {
    pub(crate) articles: u64,
    pub(crate) by_status: BTreeMap<Status, u64>,
    pub(crate) db_bytes: u64,
    pub(crate) db: String,
    pub(crate) last_seq: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub(crate) enum Response {
    Verdicts {
        verdicts: Vec<Verdict>,
    },
    Records {
        records: Vec<Record>,
        /// Added in 0.2 without a version change: absent unless a listing was cut at the
        /// daemon's most (older clients ignore it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
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
        records: Vec<Record>,
    },
    Subscribed {
        last_seq: u64,
    },
    /// A page of an export. Its articles and triage events travel as the export format's own
    /// lines (`model::export`, frozen by `EXPORT_FORMAT`, a contract of its own), not as copies
    /// of them.
    Exported {
        articles: Vec<model::export::Article>,
        triage: Vec<model::export::TriageEvent>,
        skipped: Vec<Skipped>,
        next: Option<u64>,
        schema: u32,
    },
    /// Verdicts of a streamed ingest now durable, in order; the full `verdicts` reply follows.
    Progress {
        verdicts: Vec<Verdict>,
    },
    Error {
        message: String,
        /// Absent from daemons before 0.2 (read as `internal`).
        #[serde(default)]
        kind: FailureKind,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FailureKind {
    NoSuchArticle,
    Invalid,
    Storage,
    Unavailable,
    Corrupt,
    Conflict,
    /// Also any kind a newer daemon names that this client does not know.
    #[default]
    #[serde(other)]
    Internal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Event {
    pub(crate) seq: u64,
    pub(crate) at_ms: u64,
    #[serde(flatten)]
    pub(crate) kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum EventKind {
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

/// A line from the server: a greeting, a reply to request `id`, or an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum ServerLine {
    Reply {
        #[serde(rename = "req")]
        id: u64,
        #[serde(flatten)]
        response: Response,
    },
    Event(Event),
    Hello(Hello),
}

/// A line from a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ClientLine {
    /// The request's number; named `req` on the wire, apart from requests' own `id` fields.
    #[serde(rename = "req")]
    pub(crate) id: u64,
    #[serde(flatten)]
    pub(crate) request: Request,
    /// For an ingest: send `progress` replies with the verdicts as they become durable, before
    /// the full reply. Sent only when true; a daemon before 0.2.1 ignores it and replies once.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) stream: bool,
}

/// A request as the server takes it: one for the engine, or a subscription the server keeps.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Incoming {
    Engine(model::Request),
    Subscribe { after: u64 },
}

/// A reply as a client takes it: the engine's answer or refusal, or the start of a subscription.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reply {
    Engine(model::Response),
    Refused(model::Failure),
    Subscribed {
        last_seq: u64,
    },
    /// Verdicts of a streamed ingest, before its reply.
    Progress(Vec<model::Verdict>),
}

/// Bytes on the wire: standard base64 in a string.
mod base64_bytes {
    use base64::Engine as _;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(|e| D::Error::custom(format!("bytes are not base64: {e}")))
    }
}

/// The triage state's text form on the wire.
mod state_text {
    use crate::model::TriageState;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(state: &TriageState, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(state)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TriageState, D::Error> {
        let text = String::deserialize(d)?;
        if text.is_empty() {
            // What daemons before 0.2 sent for an article no editor touched.
            return Ok(TriageState::New);
        }
        TriageState::parse(&text)
            .ok_or_else(|| D::Error::custom(format!("'{text}' is not a triage state")))
    }
}

mod convert;

#[cfg(test)]
mod tests;

//! The wire protocol between clients and the engine: newline-delimited JSON over a Unix socket.
//! The same `Request`, `Response` and `Event` values travel in-process, so a client sees no
//! difference between the two transports.
//!
//! On connect the server sends a `Hello` line. Each request line is `{"req": N, ...Request}`; each
//! reply is `{"req": N, ...Response}` (a request that cannot be read is answered with `req` 0). After a `subscribe` request, event lines
//! `{"event": "verdict" | "triage", "seq": S, ...}` follow as they happen; a client that
//! reconnects subscribes with `after` set to the last `seq` it saw and first gets what it missed.

use crate::detect::Status;
use crate::engine::{Detail, Stats, Verdict};
use crate::store::{state_or_new, ArticleId, ArticleRecord, Triage};
use serde::{Deserialize, Serialize};

/// Bumped on any incompatible change of the messages below.
pub const PROTOCOL_VERSION: u32 = 2;

/// The first line the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    pub copydesk: String,
    pub protocol: u32,
    /// The sequence number of the latest event.
    pub last_seq: u64,
    pub inbox: String,
    pub db: String,
    /// The name the server knows this client by (from the socket's peer credentials).
    pub you: String,
}

/// An editor's triage action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum TriageAction {
    /// Back to untriaged.
    New,
    /// The desk takes it.
    Picked,
    /// Dropped.
    Spiked,
    /// Overrule: this is not a reprint (or partial) of what it was matched with.
    NotReprint,
    /// Overrule: this is a reprint of another article.
    ReprintOf { other: ArticleId },
}

impl TriageAction {
    /// Parses the command line's STATE (and OTHER for `reprint-of`).
    pub fn parse(state: &str, other: Option<ArticleId>) -> Result<TriageAction, String> {
        match (state, other) {
            ("new" | "reset", None) => Ok(TriageAction::New),
            ("picked" | "pick", None) => Ok(TriageAction::Picked),
            ("spiked" | "spike", None) => Ok(TriageAction::Spiked),
            ("not-reprint", None) => Ok(TriageAction::NotReprint),
            ("reprint-of", Some(other)) => Ok(TriageAction::ReprintOf { other }),
            ("reprint-of", None) => Err("reprint-of needs the id of the original: `triage ID reprint-of OTHER_ID`".into()),
            (s, Some(_)) if s != "reprint-of" => Err(format!("'{s}' takes no other id; only reprint-of does")),
            (s, _) => Err(format!("'{s}' is not a triage state; use new, picked, spiked, not-reprint or reprint-of OTHER_ID")),
        }
    }

    pub fn label(&self) -> String {
        match self {
            TriageAction::New => "new".into(),
            TriageAction::Picked => "picked".into(),
            TriageAction::Spiked => "spiked".into(),
            TriageAction::NotReprint => "not-reprint".into(),
            TriageAction::ReprintOf { other } => format!("reprint-of #{other}"),
        }
    }

    /// The action that sets a stored triage state: the inverse of `label` ("" is "new").
    pub fn from_label(state: &str) -> Option<TriageAction> {
        match state_or_new(state) {
            "new" => Some(TriageAction::New),
            "picked" => Some(TriageAction::Picked),
            "spiked" => Some(TriageAction::Spiked),
            "not-reprint" => Some(TriageAction::NotReprint),
            s => s
                .strip_prefix("reprint-of #")
                .and_then(|n| n.parse().ok())
                .map(|other| TriageAction::ReprintOf { other }),
        }
    }
}

/// Which articles a listing wants. Every field narrows; all empty lists everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub status: Option<Status>,
    /// Triage state: new, picked, spiked, not-reprint, reprint-of.
    pub triage: Option<String>,
    pub source: Option<String>,
    /// Words that must all occur in the title or the text (case-insensitive).
    pub text: Option<String>,
    /// Only articles older than this id (paging down a newest-first list).
    pub before: Option<ArticleId>,
    /// Only articles newer than this id (fetching arrivals).
    pub after: Option<ArticleId>,
    pub limit: usize,
}

/// A request to the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Ingest files (absolute paths, read by the engine's process), one verdict each.
    Ingest {
        paths: Vec<String>,
    },
    /// The verdict each file would get; nothing stored.
    Check {
        paths: Vec<String>,
    },
    List {
        query: ListQuery,
    },
    Show {
        id: ArticleId,
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
    },
    /// Events after `after`, then every new one as it happens.
    Subscribe {
        after: u64,
    },
}

/// Shared word ranges of two texts, for highlighting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub left: Detail,
    pub right: Detail,
    pub similarity: f32,
    /// Byte ranges, within each paragraph, of the passages the texts share: (paragraph, start, end).
    pub left_shared: Vec<(u32, u32, u32)>,
    pub right_shared: Vec<(u32, u32, u32)>,
}

/// The engine's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Response {
    Verdicts { verdicts: Vec<Verdict> },
    Records { records: Vec<ArticleRecord> },
    Detail { detail: Box<Detail> },
    Comparison { comparison: Box<Comparison> },
    Stats { stats: Stats },
    Triaged { records: Vec<ArticleRecord> },
    Subscribed { last_seq: u64 },
    Error { message: String },
}

/// Something that happened, in the order it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub at_ms: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
        matched: Option<crate::store::MatchRef>,
    },
}

/// A line from the server: a greeting, a reply to request `id`, or an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ServerLine {
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
pub struct ClientLine {
    /// The request's number; named `req` on the wire, apart from requests' own `id` fields.
    #[serde(rename = "req")]
    pub id: u64,
    #[serde(flatten)]
    pub request: Request,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_as_json_lines() {
        let line = ClientLine {
            id: 7,
            request: Request::Triage {
                ids: vec![3],
                action: TriageAction::ReprintOf { other: 1 },
                note: Some("same wire copy".into()),
            },
        };
        let text = serde_json::to_string(&line).expect("serialises");
        assert!(
            text.contains(r#""op":"triage""#) && text.contains(r#""state":"reprint-of""#),
            "{text}"
        );
        assert_eq!(
            serde_json::from_str::<ClientLine>(&text).expect("parses"),
            line
        );
    }

    #[test]
    fn triage_labels_read_back_as_their_actions() {
        for a in [
            TriageAction::New,
            TriageAction::Picked,
            TriageAction::Spiked,
            TriageAction::NotReprint,
            TriageAction::ReprintOf { other: 42 },
        ] {
            assert_eq!(TriageAction::from_label(&a.label()), Some(a));
        }
        assert_eq!(TriageAction::from_label(""), Some(TriageAction::New));
        assert_eq!(TriageAction::from_label("reprint-of #x"), None);
    }

    #[test]
    fn requests_with_an_article_id_round_trip() {
        for request in [
            Request::Show { id: 3 },
            Request::Compare { id: 3, other: 1 },
            Request::Story { id: 3 },
        ] {
            let line = ClientLine { id: 9, request };
            let text = serde_json::to_string(&line).expect("serialises");
            assert_eq!(
                serde_json::from_str::<ClientLine>(&text).expect("parses"),
                line,
                "{text}"
            );
        }
    }

    #[test]
    fn events_round_trip_as_json_lines() {
        let event = Event {
            seq: 4,
            at_ms: 9,
            kind: EventKind::Triage {
                id: 2,
                triage: Triage {
                    state: "spiked".into(),
                    by: Some("ed".into()),
                    at_ms: Some(9),
                    note: None,
                },
                status: Status::Reprint,
                matched: None,
            },
        };
        let line = serde_json::to_string(&ServerLine::Event(event.clone())).expect("serialises");
        assert!(line.contains(r#""event":"triage""#), "{line}");
        assert_eq!(
            serde_json::from_str::<ServerLine>(&line).expect("parses"),
            ServerLine::Event(event)
        );
    }

    #[test]
    fn triage_states_parse_with_clear_errors() {
        assert_eq!(
            TriageAction::parse("spiked", None),
            Ok(TriageAction::Spiked)
        );
        assert!(TriageAction::parse("reprint-of", None).is_err());
        let err = TriageAction::parse("maybe", None).expect_err("unknown");
        assert!(err.contains("'maybe'"), "{err}");
    }
}

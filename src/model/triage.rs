//! Triage: what editors decide about an article (`TriageState`, with who and when in `Triage`),
//! the actions that change it (`TriageAction`), and the kinds a listing filters by
//! (`TriageKind`). States are types; their text form ("new", "reprint-of #12") is for people and
//! for the layers that store or send it.

use super::{ArticleId, MatchRef, Status};
use serde::{Serialize, Serializer};
use std::fmt;

/// An editor's decision on an article.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum TriageState {
    /// No decision yet (or reset).
    #[default]
    New,
    /// The desk takes it.
    Picked,
    /// Dropped.
    Spiked,
    /// Overruled: not a reprint (or partial) of what it was matched with.
    NotReprint,
    /// Overruled: a reprint of this article.
    ReprintOf(ArticleId),
}

/// A triage state without its article: what a listing filters by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TriageKind {
    New,
    Picked,
    Spiked,
    NotReprint,
    ReprintOf,
}

impl TriageKind {
    pub const ALL: [TriageKind; 5] = [
        TriageKind::New,
        TriageKind::Picked,
        TriageKind::Spiked,
        TriageKind::NotReprint,
        TriageKind::ReprintOf,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TriageKind::New => "new",
            TriageKind::Picked => "picked",
            TriageKind::Spiked => "spiked",
            TriageKind::NotReprint => "not-reprint",
            TriageKind::ReprintOf => "reprint-of",
        }
    }

    pub fn parse(s: &str) -> Option<TriageKind> {
        TriageKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for TriageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TriageState {
    pub fn kind(self) -> TriageKind {
        match self {
            TriageState::New => TriageKind::New,
            TriageState::Picked => TriageKind::Picked,
            TriageState::Spiked => TriageKind::Spiked,
            TriageState::NotReprint => TriageKind::NotReprint,
            TriageState::ReprintOf(_) => TriageKind::ReprintOf,
        }
    }

    /// Reads the text form (`Display`): "new", "picked", "spiked", "not-reprint",
    /// "reprint-of #12".
    pub fn parse(s: &str) -> Option<TriageState> {
        if let Some(n) = s.strip_prefix("reprint-of #") {
            // Digits only: `u64::from_str` would take a leading '+'.
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            return n.parse().ok().map(TriageState::ReprintOf);
        }
        Some(match TriageKind::parse(s)? {
            TriageKind::New => TriageState::New,
            TriageKind::Picked => TriageState::Picked,
            TriageKind::Spiked => TriageState::Spiked,
            TriageKind::NotReprint => TriageState::NotReprint,
            TriageKind::ReprintOf => return None,
        })
    }
}

impl fmt::Display for TriageState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TriageState::ReprintOf(other) => write!(f, "reprint-of #{other}"),
            state => f.write_str(state.kind().as_str()),
        }
    }
}

/// In JSON output, the text form.
impl Serialize for TriageState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An editor's decision on an article, with who made it and when.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Triage {
    pub state: TriageState,
    pub by: Option<String>,
    /// In JSON `at_ms` and `at` (RFC 3339).
    #[serde(flatten, serialize_with = "at_fields")]
    pub at_ms: Option<u64>,
    pub note: Option<String>,
    /// The detector's own verdict, kept beside the editors' overrule of it (`not-reprint`,
    /// `reprint-of`); a reset to `new` puts it back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overruled: Option<Detected>,
}

fn at_fields<S: Serializer>(ms: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    super::time_fields("", *ms, s)
}

/// What the detector said of an article before editors overruled it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detected {
    pub status: Status,
    #[serde(rename = "match")]
    pub matched: Option<MatchRef>,
    pub story: ArticleId,
}

impl Triage {
    /// Whether an editor ever triaged the article (a reset to new counts).
    pub fn is_set(&self) -> bool {
        self.state != TriageState::New || self.by.is_some() || self.at_ms.is_some()
    }
}

/// An editor's triage action: sets the state; the overrules change the verdict too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A triage state the command line cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriageParseError {
    #[error("reprint-of needs the id of the original: `triage ID reprint-of OTHER_ID`")]
    MissingOther,
    #[error("'{0}' takes no other id; only reprint-of does")]
    UnexpectedOther(String),
    #[error(
        "'{0}' is not a triage state; use new, picked, spiked, not-reprint or reprint-of OTHER_ID"
    )]
    Unknown(String),
}

impl TriageAction {
    /// Parses the command line's STATE (and OTHER for `reprint-of`).
    pub fn parse(state: &str, other: Option<ArticleId>) -> Result<TriageAction, TriageParseError> {
        match (state, other) {
            ("new" | "reset", None) => Ok(TriageAction::New),
            ("picked" | "pick", None) => Ok(TriageAction::Picked),
            ("spiked" | "spike", None) => Ok(TriageAction::Spiked),
            ("not-reprint", None) => Ok(TriageAction::NotReprint),
            ("reprint-of", Some(other)) => Ok(TriageAction::ReprintOf { other }),
            ("reprint-of", None) => Err(TriageParseError::MissingOther),
            (s, Some(_)) => Err(TriageParseError::UnexpectedOther(s.to_owned())),
            (s, None) => Err(TriageParseError::Unknown(s.to_owned())),
        }
    }

    /// The state the action sets.
    pub fn state(self) -> TriageState {
        match self {
            TriageAction::New => TriageState::New,
            TriageAction::Picked => TriageState::Picked,
            TriageAction::Spiked => TriageState::Spiked,
            TriageAction::NotReprint => TriageState::NotReprint,
            TriageAction::ReprintOf { other } => TriageState::ReprintOf(other),
        }
    }
}

/// The action that sets a state (for undo).
impl From<TriageState> for TriageAction {
    fn from(state: TriageState) -> TriageAction {
        match state {
            TriageState::New => TriageAction::New,
            TriageState::Picked => TriageAction::Picked,
            TriageState::Spiked => TriageAction::Spiked,
            TriageState::NotReprint => TriageAction::NotReprint,
            TriageState::ReprintOf(other) => TriageAction::ReprintOf { other },
        }
    }
}

/// Named by the state it sets: "spiked", "reprint-of #12".
impl fmt::Display for TriageAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.state().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATES: [TriageState; 5] = [
        TriageState::New,
        TriageState::Picked,
        TriageState::Spiked,
        TriageState::NotReprint,
        TriageState::ReprintOf(42),
    ];

    #[test]
    fn states_read_back_from_their_text_and_actions_set_them() {
        for s in STATES {
            assert_eq!(TriageState::parse(&s.to_string()), Some(s), "{s}");
            assert_eq!(TriageAction::from(s).state(), s);
            assert_eq!(TriageAction::from(s).to_string(), s.to_string());
        }
        assert_eq!(TriageState::ReprintOf(42).to_string(), "reprint-of #42");
        for bad in [
            "",
            "reprint-of",
            "reprint-of #",
            "reprint-of #x",
            "reprint-of #+4",
            "Picked",
        ] {
            assert_eq!(TriageState::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn json_output_names_every_state_in_its_text_form() {
        let json = serde_json::to_string(&Triage::default()).expect("serialises");
        assert_eq!(
            json,
            r#"{"state":"new","by":null,"at_ms":null,"at":null,"note":null}"#
        );
        let json = serde_json::to_string(&TriageState::ReprintOf(3)).expect("serialises");
        assert_eq!(json, r#""reprint-of #3""#);
    }

    #[test]
    fn kinds_group_states_for_filters() {
        let kinds: Vec<TriageKind> = STATES.iter().map(|s| s.kind()).collect();
        assert_eq!(kinds, TriageKind::ALL);
        for k in TriageKind::ALL {
            assert_eq!(TriageKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn command_line_states_parse_with_clear_errors() {
        assert_eq!(
            TriageAction::parse("spiked", None),
            Ok(TriageAction::Spiked)
        );
        assert_eq!(TriageAction::parse("pick", None), Ok(TriageAction::Picked));
        assert_eq!(
            TriageAction::parse("reprint-of", Some(1)),
            Ok(TriageAction::ReprintOf { other: 1 })
        );
        assert_eq!(
            TriageAction::parse("reprint-of", None),
            Err(TriageParseError::MissingOther)
        );
        assert!(matches!(
            TriageAction::parse("spiked", Some(1)),
            Err(TriageParseError::UnexpectedOther(_))
        ));
        let err = TriageAction::parse("maybe", None).expect_err("unknown");
        assert!(err.to_string().contains("'maybe'"), "{err}");
    }
}

//! The domain's values, below everything that uses them: ids, verdicts, article records, triage,
//! events, listing queries, and the requests and answers of the engine. Plain values: this module
//! imports nothing else from copydesk and does no I/O.
//!
//! Their serde form is the JSON the command line prints (`--json`). The wire protocol
//! (`daemon::protocol`) and the database (`store::schema`) have types of their own with explicit
//! conversions from and to these, so renaming a field here cannot change either.

mod article;
pub mod export;
mod health;
mod request;
mod time;
mod triage;

pub use article::{ArticleRecord, BlockInfo, Comparison, Detail, MatchRef, Stats, Verdict};
pub use health::Health;
pub use request::{Event, EventKind, Failure, FailureKind, ListQuery, Request, Response};
pub(crate) use time::both as time_fields;
pub use time::{rfc3339, utc, Since};
pub use triage::{Detected, Triage, TriageAction, TriageKind, TriageParseError, TriageState};

use serde::Serialize;

/// An article's number: assigned in order of arrival, from 1.
pub type ArticleId = u64;

/// What copydesk says of an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Unique,
    Duplicate,
    Reprint,
    Partial,
    Rejected,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Unique,
        Status::Duplicate,
        Status::Reprint,
        Status::Partial,
        Status::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unique => "unique",
            Status::Duplicate => "duplicate",
            Status::Reprint => "reprint",
            Status::Partial => "partial",
            Status::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_from_their_names() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!(Status::parse("Unique"), None);
    }
}

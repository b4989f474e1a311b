//! What a check of the database found (`copydesk doctor`): records read by status, the stored
//! counters, events, and each problem in words. A plain value; the store fills it in.

use super::Status;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Health {
    /// The database folder checked.
    pub db: String,
    /// Records that read, in all and by status.
    pub articles: u64,
    pub by_status: BTreeMap<Status, u64>,
    /// The counters the statistics show, as stored.
    pub counted: BTreeMap<Status, u64>,
    /// Events that read.
    pub events: u64,
    /// Each problem found, in words; none when the database is sound.
    pub problems: Vec<String>,
}

impl Health {
    pub fn is_sound(&self) -> bool {
        self.problems.is_empty()
    }
}

//! An article as copydesk knows it: its record (verdict, match, facts, triage), the verdict as
//! reported, the article with its story, two articles compared, and the counts. Values only.

use super::{ArticleId, Status, Triage};
use serde::Serialize;
use std::collections::BTreeMap;

/// A block of a page as the cleaner judged it: what template learning and verification keep of
/// the page beside its story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockInfo {
    /// Hash of the block's normalised text: the key of template learning.
    pub hash: u64,
    pub words: u32,
    /// Whether the block is part of the story.
    pub kept: bool,
    /// Whether the block reads as prose (long, with sentences) and is no known boilerplate
    /// (learned template, link list, teaser): what the verdict weighs as a page's own text.
    pub prose: bool,
}

/// What the match of a verdict points at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchRef {
    pub id: ArticleId,
    pub file: String,
    pub similarity: f32,
}

/// One ingested file and its verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleRecord {
    pub id: ArticleId,
    /// The path it was ingested from: its identity (re-ingests, `show PATH`, matches name it).
    pub file: String,
    /// Where the file is now when the daemon moved it after ingest (`after_ingest = "move"`).
    pub location: Option<String>,
    pub status: Status,
    pub title: String,
    #[serde(rename = "match")]
    pub matched: Option<MatchRef>,
    pub reason: Option<String>,
    /// The first article of this story (itself when the article is no reprint).
    pub story: ArticleId,
    pub source: Option<String>,
    pub url: Option<String>,
    pub published: Option<String>,
    pub words: u32,
    pub size: u64,
    /// In JSON `ingested_ms` and `ingested_at` (RFC 3339).
    #[serde(flatten, serialize_with = "ingested_fields")]
    pub ingested_ms: u64,
    pub triage: Triage,
}

fn ingested_fields<S: serde::Serializer>(ms: &u64, s: S) -> Result<S::Ok, S::Error> {
    super::time_fields("ingested", Some(*ms), s)
}

/// A verdict as reported to callers (one JSON line per file).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub file: String,
    /// `None` when nothing was stored (`check`).
    pub id: Option<ArticleId>,
    pub status: Status,
    pub title: String,
    #[serde(rename = "match")]
    pub matched: Option<MatchRef>,
    pub reason: Option<String>,
    /// True when the file had been ingested before (same path, size, modification time and
    /// content): `id` and `status` are the stored ones and nothing was stored now. In JSON only
    /// when true, so verdict lines and events read as they always did.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub again: bool,
}

impl Verdict {
    /// The verdict a stored record carries.
    pub fn of(r: &ArticleRecord) -> Verdict {
        Verdict {
            file: r.file.clone(),
            id: Some(r.id),
            status: r.status,
            title: r.title.clone(),
            matched: r.matched.clone(),
            reason: r.reason.clone(),
            again: false,
        }
    }
}

/// An article with its story, for `show`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detail {
    #[serde(flatten)]
    pub record: ArticleRecord,
    pub paragraphs: Vec<String>,
}

/// Two articles side by side with the passages they share, for highlighting.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub left: Detail,
    pub right: Detail,
    pub similarity: f32,
    /// Byte ranges, within each paragraph, of the passages the texts share: (paragraph, start, end).
    pub left_shared: Vec<(u32, u32, u32)>,
    pub right_shared: Vec<(u32, u32, u32)>,
}

/// Counts and the database's size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub articles: u64,
    pub by_status: BTreeMap<Status, u64>,
    pub db_bytes: u64,
    pub db: String,
    /// The sequence number of the latest event (0 when none).
    pub last_seq: u64,
}

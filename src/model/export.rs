//! The export format (`copydesk export`, read back by `copydesk import`): one JSON object per
//! line, each tagged by what it is: a `header` (the format's version and the schema it came
//! from), an `article` per stored article oldest first, `triage` events placed among the
//! articles in the order they happened, and an `end` line with the counts (so a cut-off file
//! is told from a whole one). These are the format's own types with explicit conversions from
//! and to the domain values, so changing a record elsewhere cannot silently change a file
//! written by an earlier release. Plain values: no I/O.

use super::{ArticleId, ArticleRecord, BlockInfo, MatchRef, Status, Triage, TriageState};
use serde::{Deserialize, Serialize};

/// Bumped on any change an earlier `import` could not read.
pub const EXPORT_FORMAT: u32 = 1;

/// One line of an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Line {
    Header(Header),
    Article(Box<Article>),
    Triage(TriageEvent),
    End(End),
}

/// What the export is and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// `EXPORT_FORMAT` of the copydesk that wrote it.
    pub format: u32,
    /// The database's schema version.
    pub schema: u32,
    /// The copydesk version that wrote it.
    pub copydesk: String,
    /// The database folder it was read from.
    pub db: String,
    pub exported_at_ms: u64,
    pub exported_at: String,
}

/// One stored article: its record, its story as stored, and what ingest derives its verdict
/// from (the page's blocks, the site it names, the hash of the document as read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    pub id: ArticleId,
    pub file: String,
    pub location: Option<String>,
    pub status: String,
    pub title: String,
    #[serde(rename = "match")]
    pub matched: Option<Match>,
    pub reason: Option<String>,
    pub story: ArticleId,
    pub source: Option<String>,
    pub url: Option<String>,
    pub published: Option<String>,
    pub words: u32,
    pub size: u64,
    pub ingested_ms: u64,
    pub ingested_at: String,
    /// The triage state as it stands (the `triage` lines say how it came to be).
    pub triage: TriageNow,
    /// The cleaned story, one paragraph each (empty for a rejected file).
    pub paragraphs: Vec<String>,
    /// What the verdict was derived from; `null` for a rejected file.
    pub page: Option<Page>,
    /// The identity of the file it was read from (size, modification time, content hash), so a
    /// re-ingest of the same file is recognised after an import; `null` when not stored.
    pub identity: Option<Identity>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    pub id: ArticleId,
    pub file: String,
    pub similarity: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriageNow {
    pub state: String,
    pub by: Option<String>,
    pub at_ms: Option<u64>,
    pub at: Option<String>,
    pub note: Option<String>,
}

/// The page an article's story was taken from, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// The site key the page names (16 hex digits; 0 when none).
    #[serde(with = "hex")]
    pub site: u64,
    /// The hash of the whole document as read (what tells an identical file); `null` when its
    /// fingerprint could not be read.
    #[serde(with = "hex_opt")]
    pub doc_hash: Option<u64>,
    /// Every block of the page: story or not, prose or not.
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    #[serde(with = "hex")]
    pub hash: u64,
    pub words: u32,
    pub kept: bool,
    pub prose: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub size: u64,
    /// Nanoseconds since the epoch (an i64 until the year 2262; JSON readers, the socket's
    /// included, take no wider integer).
    pub mtime_ns: Option<i64>,
    #[serde(with = "hex_opt")]
    pub content_hash: Option<u64>,
}

/// An editor's triage change, as it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriageEvent {
    pub seq: u64,
    pub at_ms: u64,
    pub at: String,
    /// The article, by its id in the exported database.
    pub id: ArticleId,
    pub state: String,
    pub by: Option<String>,
    pub note: Option<String>,
}

/// The last line: what the export holds and what it skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct End {
    pub articles: u64,
    pub triage: u64,
    /// Records, stories and event groups that could not be read (each said on standard error).
    pub skipped: u64,
}

/// Something an export could not read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// What it was ("record 12", "the events up to 40").
    pub what: String,
    pub why: String,
}

/// A page of an export as the store reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportPage {
    pub articles: Vec<Article>,
    pub triage: Vec<TriageEvent>,
    pub skipped: Vec<Skipped>,
    /// Where the next page starts (an id, or an event number); `None` when this was the last.
    pub next: Option<u64>,
    /// The database's schema version.
    pub schema: u32,
}

/// Which part of an export a request reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportPart {
    /// Articles, oldest first, paged by id.
    Articles,
    /// Triage events, oldest first, paged by event number.
    Triage,
}

impl Article {
    /// The article as exported from its record, story and page.
    pub fn new(
        r: &ArticleRecord,
        paragraphs: Vec<String>,
        page: Option<Page>,
        identity: Option<Identity>,
    ) -> Article {
        Article {
            id: r.id,
            file: r.file.clone(),
            location: r.location.clone(),
            status: r.status.as_str().to_owned(),
            title: r.title.clone(),
            matched: r.matched.as_ref().map(|m| Match {
                id: m.id,
                file: m.file.clone(),
                similarity: m.similarity,
            }),
            reason: r.reason.clone(),
            story: r.story,
            source: r.source.clone(),
            url: r.url.clone(),
            published: r.published.clone(),
            words: r.words,
            size: r.size,
            ingested_ms: r.ingested_ms,
            ingested_at: super::rfc3339(r.ingested_ms),
            triage: TriageNow {
                state: r.triage.state.to_string(),
                by: r.triage.by.clone(),
                at_ms: r.triage.at_ms,
                at: r.triage.at_ms.map(super::rfc3339),
                note: r.triage.note.clone(),
            },
            paragraphs,
            page,
            identity,
        }
    }

    /// The verdict as exported, read back.
    pub fn status(&self) -> Result<Status, String> {
        Status::parse(&self.status).ok_or_else(|| format!("'{}' is not a verdict", self.status))
    }

    /// The stored triage as exported, read back (the detector's overruled verdict is not
    /// exported: an import derives it again by replaying the triage lines).
    pub fn triage(&self) -> Result<Triage, String> {
        Ok(Triage {
            state: parse_state(&self.triage.state)?,
            by: self.triage.by.clone(),
            at_ms: self.triage.at_ms,
            note: self.triage.note.clone(),
            overruled: None,
        })
    }

    pub fn matched(&self) -> Option<MatchRef> {
        self.matched.as_ref().map(|m| MatchRef {
            id: m.id,
            file: m.file.clone(),
            similarity: m.similarity,
        })
    }
}

impl Page {
    pub fn blocks(&self) -> Vec<BlockInfo> {
        self.blocks
            .iter()
            .map(|b| BlockInfo {
                hash: b.hash,
                words: b.words,
                kept: b.kept,
                prose: b.prose,
            })
            .collect()
    }
}

impl From<&BlockInfo> for Block {
    fn from(b: &BlockInfo) -> Block {
        Block {
            hash: b.hash,
            words: b.words,
            kept: b.kept,
            prose: b.prose,
        }
    }
}

/// A triage state's text form read back; `""` (an article no editor touched, as early
/// releases stored it) is `new`.
pub fn parse_state(s: &str) -> Result<TriageState, String> {
    if s.is_empty() {
        return Ok(TriageState::New);
    }
    TriageState::parse(s).ok_or_else(|| format!("'{s}' is not a triage state"))
}

/// u64 hashes as 16 hex digits: JSON numbers past 2^53 do not survive every reader.
mod hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:016x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map_err(serde::de::Error::custom)
    }

    pub fn parse(text: &str) -> Result<u64, String> {
        if text.len() != 16 {
            return Err(format!("'{text}' is not 16 hex digits"));
        }
        u64::from_str_radix(text, 16).map_err(|_| format!("'{text}' is not 16 hex digits"))
    }
}

mod hex_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => super::hex::serialize(v, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|t| super::hex::parse(&t).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_hex_and_read_back_exactly() {
        let page = Page {
            site: u64::MAX,
            doc_hash: None,
            blocks: vec![Block {
                hash: 0x0123_4567_89ab_cdef,
                words: 3,
                kept: true,
                prose: false,
            }],
        };
        let json = serde_json::to_string(&page).expect("json");
        assert!(json.contains("\"ffffffffffffffff\""), "{json}");
        assert!(json.contains("\"0123456789abcdef\""), "{json}");
        let back: Page = serde_json::from_str(&json).expect("reads");
        assert_eq!(back, page);
        let bad = json.replace("0123456789abcdef", "123");
        assert!(serde_json::from_str::<Page>(&bad).is_err());
    }

    #[test]
    fn a_line_names_its_kind_and_unknown_kinds_are_refused() {
        let end = Line::End(End {
            articles: 2,
            triage: 1,
            skipped: 0,
        });
        let json = serde_json::to_string(&end).expect("json");
        assert_eq!(json, r#"{"end":{"articles":2,"triage":1,"skipped":0}}"#);
        assert_eq!(serde_json::from_str::<Line>(&json).expect("reads"), end);
        assert!(serde_json::from_str::<Line>(r#"{"other":{}}"#).is_err());
    }

    #[test]
    fn triage_states_read_back_and_the_empty_one_is_new() {
        for s in ["new", "picked", "spiked", "not-reprint", "reprint-of #12"] {
            assert_eq!(parse_state(s).expect(s).to_string(), s);
        }
        assert_eq!(parse_state(""), Ok(TriageState::New));
        assert!(parse_state("maybe").is_err());
    }
}

//! Bytes to text: decoding, the per-format readers, normalisation, boilerplate stripping and
//! display sanitising. Everything here is pure: values in, values out; no files, clocks or threads.

pub(crate) mod budget;
pub mod clean;
pub(crate) mod decode;
pub(crate) mod html;
pub mod interrupt;
pub(crate) mod json;
mod layout;
pub(crate) mod normalize;
pub(crate) mod plain;
pub mod sanitize;
pub(crate) mod title;

use interrupt::{Interrupt, Uninterrupted};
use std::fmt;

/// How a file's bytes are to be read, chosen from its extension (and sniffed when unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Text,
    Html,
    Json,
}

impl Format {
    /// The format named by a file name's extension; `None` when the extension says nothing.
    pub(crate) fn from_name(name: &str) -> Option<Format> {
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
        match ext.as_str() {
            "txt" | "md" | "markdown" | "text" => Some(Format::Text),
            "html" | "htm" | "xhtml" => Some(Format::Html),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// The kind of a block of text, as the reader saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Heading,
    Paragraph,
    ListItem,
}

/// One block (paragraph, heading, list item) of a document, whitespace collapsed, in the
/// original case and punctuation (normalisation happens later).
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub text: String,
    pub kind: BlockKind,
    /// Share of the block's characters that sit inside links (HTML only; 0.0 otherwise).
    pub link_density: f32,
    /// The innermost element holding the block, an index into [`Document::nodes`] (HTML only;
    /// 0, the root, otherwise).
    pub node: u32,
}

impl Block {
    pub(crate) fn paragraph(text: impl Into<String>) -> Block {
        Block {
            text: text.into(),
            kind: BlockKind::Paragraph,
            link_density: 0.0,
            node: 0,
        }
    }
}

/// A block-level element of an HTML page: the page's structure, as the cleaner weighs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    /// The enclosing element's index; the root is its own parent.
    pub parent: u32,
    /// The element's tag name (`"root"` for the root).
    pub tag: &'static str,
    /// A hash of the element's id and classes (0 for none): elements built alike hash alike.
    pub style: u64,
}

/// A document as read from one file, before boilerplate stripping.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// A title the file states (HTML `<title>`/`og:title`/`h1`, JSON `title`); plain text has none.
    pub(crate) title: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) published: Option<String>,
    pub blocks: Vec<Block>,
    /// The page's block-level elements in document order, the root first, so a parent always
    /// comes before its children (HTML only; empty for formats without structure).
    pub nodes: Vec<Node>,
    /// The texts an HTML page states as its main text apart from its markup (its `<meta>`
    /// description; JSON-LD: an article's body, a recipe's ingredients and steps), as written;
    /// empty when it states none.
    pub(crate) stated: Vec<String>,
}

/// Why a file cannot be ingested, in words an editor understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the file is empty")]
    Empty,
    #[error("the file looks binary, not text ({0})")]
    Binary(String),
    #[error("the file is {size} bytes, over the limit of {max} bytes (max_file_bytes)")]
    TooLarge { size: u64, max: u64 },
    #[error("not a regular file ({0})")]
    NotRegular(String),
    #[error("the file cannot be read: {0}")]
    Unreadable(String),
    /// A symbolic link the daemon will not follow (why is said).
    #[error("a symbolic link, not read: {0}")]
    Link(String),
    /// A read that failed for a passing reason (no descriptors left, an I/O error, no memory):
    /// the file is tried again later, never stored as rejected.
    #[error("the file cannot be read for now: {0}")]
    Unavailable(String),
    /// Markup over the structural budget (`budget.rs`): parsing it would take minutes.
    #[error("the page is too complex to read: {0}")]
    TooComplex(String),
    #[error("the JSON is not an article: {0}")]
    BadJson(String),
    #[error("the file holds no article text")]
    NoText,
    /// Reading took longer than the time budget (`limits.read_budget_secs`).
    #[error("the file took longer than {secs} s to read (read_budget_secs)")]
    TooSlow { secs: u64 },
    /// Reading was abandoned because copydesk is stopping: nothing is stored for the file,
    /// which is read again at the next start.
    #[error(
        "reading was stopped: copydesk is stopping, and reads the file again at its next start"
    )]
    Stopped,
    /// The file was in hand at a death, then alone at two more (`engine/hand.rs`).
    #[error(
        "copydesk stopped three times while reading this file, twice with it alone; set aside"
    )]
    SetAside,
    /// The reader failed (a bug met on this input): the file is set aside, the desk goes on.
    #[error("copydesk failed while reading this file ({0}); set aside")]
    Failed(String),
}

impl Rejection {
    /// Whether the file may read fine later: it is retried, and no verdict is stored for it.
    pub fn is_transient(&self) -> bool {
        matches!(self, Rejection::Unavailable(_))
    }

    /// Whether no record is stored for the file: it was not read whole for a passing reason,
    /// or its reading was abandoned because copydesk is stopping.
    pub fn stores_nothing(&self) -> bool {
        matches!(self, Rejection::Unavailable(_) | Rejection::Stopped)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Text => "text",
            Format::Html => "html",
            Format::Json => "json",
        })
    }
}

/// Reads a document from a file's name and bytes: decodes, picks the reader by extension (or by
/// sniffing the content when the extension is unknown), and rejects what is not an article.
pub fn read_document(name: &str, bytes: &[u8]) -> Result<Document, Rejection> {
    read_document_within(name, bytes, &Uninterrupted)
}

/// [`read_document`], asking `halt` between its steps (and while parsing markup) whether to go
/// on; when it says no, reading ends with its reason.
pub fn read_document_within(
    name: &str,
    bytes: &[u8],
    halt: &dyn Interrupt,
) -> Result<Document, Rejection> {
    halt.check()?;
    let text = decode::decode(bytes)?;
    halt.check()?;
    let format = Format::from_name(name).unwrap_or_else(|| sniff(&text));
    let doc = match format {
        Format::Text => plain::parse_plain(&text),
        Format::Html => {
            budget::check_html(&text)?;
            html::parse_html_within(&text, halt)?
        }
        Format::Json => json::parse_json(&text)?,
    };
    halt.check()?;
    if doc.blocks.iter().all(|b| b.text.trim().is_empty()) {
        return Err(Rejection::NoText);
    }
    Ok(doc)
}

/// Guesses the format of a file whose extension says nothing.
fn sniff(text: &str) -> Format {
    let head: String = text
        .trim_start()
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    if head.starts_with('{') {
        Format::Json
    } else if head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.contains("<body")
    {
        Format::Html
    } else {
        Format::Text
    }
}

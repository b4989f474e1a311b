//! Full-text search over the stored articles: an inverted index of the words of each article's
//! normalised title and text (and its source), kept in segment files beside the database and
//! brought up to date by a background thread that follows the articles the engine has made
//! durable. It answers which articles can hold a query's words, newest first, so `Engine::list`
//! reads only those; and where the words lie in an article's paragraphs, for highlighting.
//!
//! The index is derived data: it never decides what matches (that is `terms::mentions`, the
//! scan's own test), only which articles to look at, and it is rebuilt from the database when it
//! does not check out. It writes nothing to sled and must not slow ingest: see `indexer`.

mod bits;
pub mod dict;
pub mod encode;
pub mod folder;
pub mod highlight;
pub mod indexer;
pub mod query;
pub mod segment;
pub mod terms;

pub use folder::Snapshot;
pub use indexer::Indexer;
pub use query::candidates;
pub use terms::{query_words, Word};

/// The folder of the index inside the database folder.
pub const DIR: &str = crate::store::SEARCH_DIR;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("the search index is damaged ({0}); it is rebuilt from the database")]
    Damaged(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

#[cfg(test)]
mod tests;

//! copydesk: a newsroom monitor that watches an inbox of scraped articles and flags reprints and
//! near-duplicates. The binary (`main.rs`) is a thin layer over this library.

/// jemalloc, for every binary built on this library (the command, its tests and benchmarks): the
/// ingest pipeline frees on one thread what another allocated, for every article, which glibc's
/// allocator serialises on a lock. Measured with `examples/bench_ingest` (seven interleaved pairs
/// of runs): 11% more articles a second and 8% less CPU an article than glibc, with the same
/// resident memory at 1,000,000 fingerprints (`examples/bench_lookup`: 182 MB against 180 MB,
/// measured with an earlier layout of the index's recent postings).
/// mimalloc was as fast but held 216 MB there, over the 200 MB budget.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

// The layers, bottom up (tests/layering.rs keeps the rules). Visibility is `pub(crate)` unless
// something outside the library uses an item: the binary (`cli`, `commands`, `config`, `tui::run`,
// `eval`), the tests, and the benchmarks and examples, which drive the engine's stages, the store
// and the dashboard's state directly.

// Domain values: imports nothing else from copydesk.
pub mod model;
// Starting, stopping and joining background threads.
mod worker;

// The pure core: values in, values out; no files, sockets, threads or clocks.
pub mod detect;
pub mod fingerprint;
pub mod text;

// The database: its schema, codecs and durable commits.
pub mod store;
// Full-text search: an inverted index of the articles' words, kept beside the database.
pub mod search;
// The single writer: ingest, queries, triage, and the thread that serves them.
pub mod engine;
// Watching the inbox.
mod inbox;
// The socket: the wire protocol, the server, the client end and the daemon's runtime.
pub mod daemon;
// One client API over the socket or an engine in this process.
pub mod client;
// The dashboard.
pub mod tui;

pub mod cli;
pub mod commands;
pub mod config;
// The dev evaluation: built with the `eval` feature (and for the library's own tests), never into
// the binary `cargo install` makes.
#[cfg(any(test, feature = "eval"))]
#[cfg_attr(not(feature = "eval"), allow(dead_code))]
pub mod eval;

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

pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod daemon;
pub mod detect;
pub mod engine;
pub mod eval;
pub mod fingerprint;
pub mod inbox;
pub mod search;
pub mod store;
pub mod text;
pub mod tui;

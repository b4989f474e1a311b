//! copydesk: a newsroom monitor that watches an inbox of scraped articles and flags reprints and
//! near-duplicates. The binary (`main.rs`) is a thin layer over this library.

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
pub mod store;
pub mod text;
pub mod tui;

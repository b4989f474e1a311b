//! The command line: clap definitions, and turning flags plus config into settings.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "copydesk",
    version,
    about = "Newsroom monitor: flags reprints and near-duplicates among the articles dropped in an inbox",
    after_help = "Without a command, copydesk opens the live triage dashboard: attached to the daemon \
                  when one serves the database, else running the engine and the inbox watcher itself."
)]
pub struct Cli {
    /// Config file (default: ./config.toml when present, else built-in defaults).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database folder, overriding the config's paths.db.
    #[arg(long, global = true, value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// Inbox folder, overriding the config's paths.inbox.
    #[arg(long, global = true, value_name = "DIR")]
    pub inbox: Option<PathBuf>,
    /// Dashboard without colour (bold, reverse and underline only); also when NO_COLOR is set.
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Print one JSON object per line (ingest, check, list, show, stats, tail, triage, eval);
    /// before or after the command.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ingest files and folders (their regular files, in name order) now: one verdict per file.
    Ingest {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// The verdict each file would get, storing nothing.
    Check {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Articles, newest first.
    List {
        /// Only this verdict: unique, duplicate, reprint, partial or rejected.
        #[arg(long, value_name = "S", value_parser = parse_status)]
        status: Option<crate::model::Status>,
        #[arg(long, value_name = "N", default_value_t = 50)]
        limit: usize,
    },
    /// One article: its verdict, its match and its cleaned text.
    Show { id: u64 },
    /// Counts per verdict and the database size.
    Stats,
    /// Run the daemon in the foreground: watch the inbox, ingest, serve clients on the socket.
    Serve,
    /// Follow verdicts and triage changes as they happen.
    Tail {
        /// Start after this event sequence number (default: only new events).
        #[arg(long, value_name = "SEQ")]
        after: Option<u64>,
    },
    /// Set an article's triage state: new, picked, spiked, not-reprint, or reprint-of OTHER_ID.
    Triage {
        id: u64,
        #[arg(value_name = "STATE")]
        state: String,
        /// For reprint-of: the id of the original.
        #[arg(value_name = "OTHER_ID")]
        other: Option<u64>,
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Measure detection and extraction on corpus folders, each recognised by what it holds.
    #[cfg(feature = "eval")]
    Eval {
        /// Corpus folders: one sub-folder per page with article.txt, page.txt and page.html
        /// (detection, and the story against the gold article), or HTML pages with
        /// snippets.json (extraction).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
}

fn parse_status(s: &str) -> Result<crate::model::Status, String> {
    crate::model::Status::parse(s).ok_or_else(|| {
        format!("'{s}' is not a verdict; use unique, duplicate, reprint, partial or rejected")
    })
}

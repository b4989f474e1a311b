//! The command line: clap definitions, completions and the manual made from them, and the log
//! subscriber the flags choose. Must not read the config or touch the engine.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "copydesk",
    version = env!("COPYDESK_VERSION"),
    about = "Newsroom monitor: flags reprints and near-duplicates among the articles dropped in an inbox",
    after_help = "Without a command, copydesk opens the live triage dashboard, a client of the daemon: \
                  when none serves the database, it starts `copydesk serve` in the background (logging to \
                  <db>/copydesk.log), which keeps running after the dashboard quits.\n\n\
                  Exit status: 0 done (a batch with rejected files too, unless --strict); 1 failed \
                  (a missing path, no database for a command that reads, an engine refusal; with \
                  --strict, a rejected file); 2 usage error; 3 the database is damaged."
)]
pub struct Cli {
    /// Config file. Without it: $COPYDESK_CONFIG, else the first of ./config.toml,
    /// $XDG_CONFIG_HOME/copydesk/config.toml (~/.config/...) and /etc/copydesk/config.toml that
    /// exists, else built-in defaults. Relative paths in a config are taken from its folder.
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
    /// Print one JSON object per line (ingest, check, list, show, stats, tail, triage, config, export, import, eval);
    /// before or after the command.
    #[arg(long, global = true)]
    pub json: bool,
    /// Log level for `serve` and other commands' background work: error, warn, info, debug or
    /// trace, or a filter such as `copydesk=debug` (default: info for serve, warn otherwise;
    /// RUST_LOG when this flag is absent). Logs go to standard error: plain when it is not a
    /// terminal, without timestamps under systemd (journald adds its own).
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ingest files and folders (their regular files, in name order) now: one verdict per file,
    /// printed as it is stored. A file ingested before (same path, size, modification time and
    /// content) is reported with its stored verdict, marked again, and not stored twice.
    Ingest {
        #[command(flatten)]
        batch: Batch,
    },
    /// The verdict each file would get, storing nothing.
    Check {
        #[command(flatten)]
        batch: Batch,
    },
    /// Articles, newest first, a page at a time: when a page is full, standard error says how
    /// to get the next one (`--before` the last id shown).
    List {
        /// Only this verdict: unique, duplicate, reprint, partial or rejected.
        #[arg(long, value_name = "S", value_parser = parse_status)]
        status: Option<crate::model::Status>,
        /// Only this triage state: new, picked, spiked, not-reprint or reprint-of.
        #[arg(long, value_name = "STATE", value_parser = parse_triage)]
        triage: Option<crate::model::TriageKind>,
        /// Only this publisher, case-insensitive, as the dashboard's filter.
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
        /// Only articles whose file path (as ingested) contains this text.
        #[arg(long, value_name = "TEXT")]
        file: Option<String>,
        /// Only articles ingested at or after TIME: RFC 3339 (2024-06-01T12:00:00Z, or with an
        /// offset such as +02:00) or a duration back from now (90s, 30m, 2h, 3d, 1w).
        #[arg(long, value_name = "TIME", value_parser = crate::model::Since::parse)]
        since: Option<crate::model::Since>,
        /// Only articles older than this id (the next page: the last id of this one).
        #[arg(long, value_name = "ID")]
        before: Option<u64>,
        /// Only articles newer than this id.
        #[arg(long, value_name = "ID")]
        after: Option<u64>,
        /// At most this many (0: as many as one answer holds, 10,000).
        #[arg(long, value_name = "N", default_value_t = 50)]
        limit: usize,
    },
    /// One article: its verdict, its match and its cleaned text. ARTICLE is an id (`12` or
    /// `#12`) or the path of a file: the article last ingested from it, found by the path as
    /// given or made absolute (`./12` for a file named 12).
    Show {
        #[arg(value_name = "ARTICLE")]
        article: String,
    },
    /// Counts per verdict and the database size.
    Stats,
    /// Check the database without changing it: every record, fingerprint, text and event must
    /// read and the counters must match the records. Exits with 3 when it is damaged.
    Doctor,
    /// Write every article (its record, story and page), and the editors' triage changes, as JSON
    /// lines, oldest first: what `import` rebuilds a database from. Reads what is readable, from
    /// the daemon when one serves the database, else from the database itself, damaged or not:
    /// what cannot be read is skipped, said on standard error, and the exit status is 3.
    Export {
        /// Write to this file (whole or not at all) instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Rebuild an empty database from an export (FILE, or `-` for standard input): every article
    /// is decided again in order, and the triage replayed. Lines that cannot be taken are said
    /// with their number and skipped; the exit status is then 1.
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Run the daemon in the foreground: watch the inbox, ingest, serve clients on the socket.
    Serve {
        /// Started by a dashboard: a session of its own, no terminal; quietly leaves when another
        /// daemon already serves the database.
        #[arg(long, hide = true)]
        background: bool,
    },
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
    /// Print the effective settings and where each came from (the file, a flag,
    /// $STATE_DIRECTORY or the default).
    Config,
    /// Print a completion script for SHELL to standard output
    /// (e.g. `copydesk completions bash > ~/.local/share/bash-completion/completions/copydesk`).
    Completions {
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to standard output (e.g. `copydesk man | man -l -`);
    /// `copydesk man ingest` prints copydesk-ingest(1).
    Man {
        #[arg(value_name = "COMMAND")]
        command: Option<String>,
    },
    /// Measure detection and extraction on corpus folders, each recognised by what it holds.
    #[cfg(feature = "eval")]
    Eval {
        /// Corpus folders: one sub-folder per page with article.txt, page.txt and page.html
        /// (detection, and the story against the gold article), or HTML pages with
        /// snippets.json (extraction).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// For an extraction corpus, also print why each missed main-text passage was missed.
        #[arg(long)]
        misses: bool,
    },
}

/// What `ingest` and `check` take.
#[derive(Debug, clap::Args)]
pub struct Batch {
    /// Files and folders; `-` alone reads one article from standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The name an article read from standard input is stored and reported under.
    #[arg(long, value_name = "NAME", default_value = "stdin")]
    pub name: String,
    /// Exit with status 1 when any file is rejected (else rejections are verdicts like any other).
    #[arg(long)]
    pub strict: bool,
}

fn parse_triage(s: &str) -> Result<crate::model::TriageKind, String> {
    crate::model::TriageKind::parse(s).ok_or_else(|| {
        format!("'{s}' is not a triage state; use new, picked, spiked, not-reprint or reprint-of")
    })
}

fn parse_status(s: &str) -> Result<crate::model::Status, String> {
    crate::model::Status::parse(s).ok_or_else(|| {
        format!("'{s}' is not a verdict; use unique, duplicate, reprint, partial or rejected")
    })
}

/// Writes the completion script for `shell`.
pub fn completions(
    shell: clap_complete::Shell,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let mut command = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut command, "copydesk", out);
    out.flush()
}

/// Writes the manual page of copydesk, or of one subcommand (`copydesk-ingest(1)`, as git
/// names its pages); the main page lists every subcommand.
pub fn man_page(subcommand: Option<&str>, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let command = <Cli as clap::CommandFactory>::command();
    let page = match subcommand {
        None => command,
        Some(name) => {
            let Some(sub) = command.find_subcommand(name) else {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("no command '{name}'; `copydesk --help` lists them"),
                ));
            };
            let title = format!("copydesk-{}", sub.get_name());
            let synopsis = format!("copydesk {}", sub.get_name());
            sub.clone()
                .display_name(title)
                .bin_name(synopsis)
                .version(env!("COPYDESK_VERSION"))
        }
    };
    clap_mangen::Man::new(page).render(out)?;
    out.flush()
}

/// A `--log-level` that is neither a level nor a filter.
#[derive(Debug, thiserror::Error)]
#[error(
    "--log-level '{level}' is not a level or filter ({why}); use error, warn, info, debug or trace"
)]
pub struct LogLevelError {
    level: String,
    why: String,
}

/// Starts the log subscriber on standard error. The filter is `--log-level`, else `RUST_LOG`,
/// else `default`. Colours only on a terminal; under systemd (`$JOURNAL_STREAM` set) neither
/// colours nor timestamps, since journald stamps each line itself.
pub fn init_logs(flag: Option<&str>, default: &str) -> Result<(), LogLevelError> {
    use tracing_subscriber::EnvFilter;
    let filter = match flag {
        Some(level) => EnvFilter::try_new(level).map_err(|e| LogLevelError {
            level: level.to_owned(),
            why: e.to_string(),
        })?,
        // A bad RUST_LOG is not worth refusing to run over: the default applies.
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default)),
    };
    let journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(terminal && !journald);
    // A second subscriber (a test calling this twice) is not an error worth reporting.
    let _ = if journald {
        builder.without_time().try_init()
    } else {
        builder.try_init()
    };
    Ok(())
}

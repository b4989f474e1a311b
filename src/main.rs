//! The `copydesk` binary: parses arguments, dispatches to the library, prints errors (`{:#}`)
//! and sets the exit status. No logic lives here.

use anyhow::Result;
use clap::Parser;
use copydesk::cli::{Cli, Command};
use copydesk::commands;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // The reader of our output went away (`copydesk list | head`): nothing more to say.
        Err(e) if e.chain().any(is_output_closed) => ExitCode::SUCCESS,
        Err(e) => {
            let message = format!("{e:#}");
            eprintln!("copydesk: {}", message.replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let mut settings = copydesk::config::load_settings(cli.config.as_deref())?;
    if let Some(db) = cli.db {
        settings.db = db;
    }
    if let Some(inbox) = cli.inbox {
        settings.inbox = inbox;
    }
    let (s, json) = (&settings, cli.json);
    let mut out = Stdout(std::io::stdout().lock());
    match cli.command {
        Some(Command::Ingest { paths }) => commands::ingest(s, &paths, json, false, &mut out)?,
        Some(Command::Check { paths }) => commands::ingest(s, &paths, json, true, &mut out)?,
        Some(Command::List { status, limit }) => commands::list(s, status, limit, json, &mut out)?,
        Some(Command::Show { id }) => commands::show(s, id, json, &mut out)?,
        Some(Command::Stats) => commands::stats(s, json, &mut out)?,
        Some(Command::Serve) => commands::serve(s)?,
        Some(Command::Tail { after }) => commands::tail(s, after, json, &mut out)?,
        Some(Command::Triage {
            id,
            state,
            other,
            note,
        }) => commands::triage(s, id, &state, other, note, json, &mut out)?,
        #[cfg(feature = "eval")]
        Some(Command::Eval { dirs }) => {
            use anyhow::Context;
            return copydesk::eval::command::run_dirs(&dirs, json, &mut out)
                .context("evaluation failed");
        }
        None => {
            drop(out);
            copydesk::tui::run(s, cli.no_color)?
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Standard output whose closing by its reader is an `OutputClosed` error, told apart from any
/// other broken pipe (a daemon's socket, say).
struct Stdout<'a>(std::io::StdoutLock<'a>);

#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
struct OutputClosed;

fn is_output_closed(e: &(dyn std::error::Error + 'static)) -> bool {
    e.downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
        .is_some_and(|inner| inner.is::<OutputClosed>())
}

fn closed(e: std::io::Error) -> std::io::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::io::Error::new(e.kind(), OutputClosed)
    } else {
        e
    }
}

impl std::io::Write for Stdout<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(closed)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(closed)
    }
}

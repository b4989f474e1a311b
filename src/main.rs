//! The `copydesk` binary: parses arguments, dispatches to the library, prints errors (`{:#}`)
//! and sets the exit status. No logic lives here.

use anyhow::{Context, Result};
use clap::Parser;
use copydesk::cli::{Cli, Command};
use copydesk::commands;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
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
    let s = &settings;
    let mut out = std::io::stdout().lock();
    match cli.command {
        Some(Command::Ingest { json, paths }) => {
            commands::ingest(s, &paths, json, false, &mut out)?
        }
        Some(Command::Check { json, paths }) => commands::ingest(s, &paths, json, true, &mut out)?,
        Some(Command::List {
            json,
            status,
            limit,
        }) => commands::list(s, status, limit, json, &mut out)?,
        Some(Command::Show { json, id }) => commands::show(s, id, json, &mut out)?,
        Some(Command::Stats { json }) => commands::stats(s, json, &mut out)?,
        Some(Command::Serve) => commands::serve(s)?,
        Some(Command::Tail { json, after }) => commands::tail(s, after, json, &mut out)?,
        Some(Command::Triage {
            json,
            id,
            state,
            other,
            note,
        }) => commands::triage(s, id, &state, other, note, json, &mut out)?,
        Some(Command::Eval { json, dir }) => {
            return copydesk::eval::run_command(&dir, json, &mut out).context("evaluation failed");
        }
        None => {
            drop(out);
            copydesk::tui::run(s, cli.no_color)?
        }
    }
    Ok(ExitCode::SUCCESS)
}

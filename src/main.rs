//! The `copydesk` binary: parses arguments, dispatches to the library, prints results and errors
//! (`{:#}`), and sets the exit status. No logic lives here.

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
            eprintln!("copydesk: {e:#}");
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
    let mut out = std::io::stdout().lock();
    match cli.command {
        Some(Command::Ingest { json, paths }) => {
            commands::ingest(settings, &paths, json, false, &mut out)
        }
        Some(Command::Check { json, paths }) => {
            commands::ingest(settings, &paths, json, true, &mut out)
        }
        Some(Command::List {
            json,
            status,
            limit,
        }) => commands::list(settings, status, limit, json, &mut out),
        Some(Command::Show { json, id }) => commands::show(settings, id, json, &mut out),
        Some(Command::Stats { json }) => commands::stats(settings, json, &mut out),
        Some(Command::Eval { json, dir }) => {
            copydesk::eval::run_command(&dir, json, &mut out).context("evaluation failed")
        }
        None => anyhow::bail!("the dashboard is not built yet; try `copydesk --help`"),
    }
}

//! The `copydesk` binary: parses arguments, dispatches to the library, prints errors (`{:#}`)
//! and sets the exit status. No logic lives here.

use anyhow::Result;
use clap::Parser;
use copydesk::cli::{Cli, Command};
use copydesk::commands;
use copydesk::config::ConfigError;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // The reader of our output went away (`copydesk list | head`): nothing more to say.
        Err(e) if e.chain().any(is_output_closed) => ExitCode::SUCCESS,
        Err(e) => {
            let message = format!("{e:#}");
            // A TOML error keeps the toml crate's lines (the faulty line with a caret under it);
            // every other message is one line.
            let parse_error = e.chain().any(|c| {
                matches!(
                    c.downcast_ref::<ConfigError>(),
                    Some(ConfigError::Parse { .. })
                )
            });
            if parse_error {
                eprintln!("copydesk: {message}");
            } else {
                eprintln!("copydesk: {}", message.replace('\n', " "));
            }
            if e.chain().any(copydesk::client::is_damage) {
                ExitCode::from(commands::EXIT_DAMAGED)
            } else if e.is::<commands::UsageError>() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    // Completions and the manual describe the command line only: no config is read for them.
    let command = match cli.command {
        Some(Command::Completions { shell }) => {
            let mut out = Stdout(std::io::stdout().lock());
            copydesk::cli::completions(shell, &mut out)?;
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Man { command }) => {
            let mut out = Stdout(std::io::stdout().lock());
            copydesk::cli::man_page(command.as_deref(), &mut out)?;
            return Ok(ExitCode::SUCCESS);
        }
        other => other,
    };
    // The dashboard owns the terminal, where log lines would tear its screen: it logs nothing.
    if command.is_some() {
        let default = if matches!(command, Some(Command::Serve { .. })) {
            "info"
        } else {
            "warn"
        };
        copydesk::cli::init_logs(cli.log_level.as_deref(), default)?;
    }
    let flags = copydesk::config::Overrides {
        config: cli.config,
        db: cli.db,
        inbox: cli.inbox,
    };
    let loaded = copydesk::config::load(&flags, &copydesk::config::Env::from_process())?;
    // Every command checks the whole config, the dashboard's keys included, so that a typo
    // fails `serve` at once and not the first dashboard opened a week later.
    copydesk::tui::check_keys(&loaded.settings.keys)?;
    let (s, json) = (&loaded.settings, cli.json);
    let mut out = Stdout(std::io::stdout().lock());
    match command {
        Some(Command::Ingest { batch }) => {
            let rejected = commands::ingest(s, &batch.paths, &batch.name, json, false, &mut out)?;
            return Ok(strict_status(&batch, rejected));
        }
        Some(Command::Check { batch }) => {
            let rejected = commands::ingest(s, &batch.paths, &batch.name, json, true, &mut out)?;
            return Ok(strict_status(&batch, rejected));
        }
        Some(Command::List {
            status,
            triage,
            source,
            file,
            since,
            before,
            after,
            limit,
        }) => {
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            let query = copydesk::model::ListQuery {
                status,
                triage,
                source,
                file,
                since_ms: since.map(|s| s.resolve(now_ms)),
                before,
                after,
                // `--limit 0`: as many as one answer holds.
                limit: (limit != 0).then_some(limit),
                ..Default::default()
            };
            commands::list(s, query, json, &mut out)?
        }
        Some(Command::Show { article }) => commands::show(s, &article, json, &mut out)?,
        Some(Command::Stats) => commands::stats(s, json, &mut out)?,
        Some(Command::Doctor) => {
            if !commands::doctor(s, json, &mut out)? {
                return Ok(ExitCode::from(commands::EXIT_DAMAGED));
            }
        }
        Some(Command::Export { output }) => {
            let skipped = commands::export(s, output.as_deref(), &mut out)?;
            if skipped > 0 {
                eprintln!(
                    "copydesk: the export is partial: {skipped} unreadable part(s) skipped (said above); everything that reads was exported"
                );
                return Ok(ExitCode::from(commands::EXIT_DAMAGED));
            }
        }
        Some(Command::Import { file }) => {
            let done = commands::import(s, &file, json, &mut out)?;
            if done.refused > 0 || !done.whole {
                return Ok(ExitCode::FAILURE);
            }
        }
        Some(Command::Serve { background }) => commands::serve(s, background)?,
        Some(Command::Tail { after }) => commands::tail(s, after, json, &mut out)?,
        Some(Command::Triage {
            id,
            state,
            other,
            note,
        }) => commands::triage(s, id, &state, other, note, json, &mut out)?,
        Some(Command::Config) => copydesk::config::write_report(&loaded, json, &mut out)?,
        Some(Command::Completions { .. } | Command::Man { .. }) => {}
        #[cfg(feature = "eval")]
        Some(Command::Eval { dirs, misses }) => {
            use anyhow::Context;
            return copydesk::eval::command::run_dirs(&dirs, json, misses, &mut out)
                .context("evaluation failed");
        }
        None => {
            drop(out);
            copydesk::tui::run(s, cli.no_color)?
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Rejected files are verdicts like any other (status 0), unless `--strict` asks for 1.
fn strict_status(batch: &copydesk::cli::Batch, rejected: usize) -> ExitCode {
    if batch.strict && rejected > 0 {
        eprintln!("copydesk: {rejected} file(s) rejected (--strict)");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
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

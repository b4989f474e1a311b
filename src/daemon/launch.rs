//! Starting the daemon for a client that found none: `copydesk serve --background` as a child of
//! this executable, detached (a session of its own, standard input from /dev/null, its output
//! appended to `<db>/copydesk.log`), so it outlives the dashboard that started it, as tmux's or
//! `emacs --daemon`'s server outlives its first client. Whether two such starts race is decided
//! by the database's lock inside `serve`, not here. Must not wait on the daemon or talk to it.

use crate::config::Settings;
use anyhow::{Context, Result};
use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A log larger than this is moved to `copydesk.log.1` before the next start appends to it.
const LOG_KEEP_BYTES: u64 = 4 << 20;

/// A daemon this process started.
pub(crate) struct Launched {
    child: Child,
    started: Instant,
    exited: Option<ExitStatus>,
    log: PathBuf,
}

/// The log a background daemon writes, in the database folder.
pub(crate) fn log_path(settings: &Settings) -> PathBuf {
    settings.db.join("copydesk.log")
}

/// Starts `copydesk serve --background` with this process's own options (`--config`, `--db`,
/// `--inbox`, ...: a dashboard's arguments are all global options), environment and folder, so
/// the daemon reads the same settings the dashboard did.
pub(crate) fn launch(settings: &Settings) -> Result<Launched> {
    let exe = std::env::current_exe().context("cannot find the copydesk executable to start")?;
    std::fs::create_dir_all(&settings.db).with_context(|| {
        format!(
            "cannot create the database folder '{}'",
            settings.db.display()
        )
    })?;
    let log = log_path(settings);
    if std::fs::metadata(&log).is_ok_and(|m| m.len() > LOG_KEEP_BYTES) {
        let _ = std::fs::rename(&log, log.with_extension("log.1"));
    }
    let out = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .with_context(|| format!("cannot open the daemon's log '{}'", log.display()))?;
    let err = out
        .try_clone()
        .with_context(|| format!("cannot open the daemon's log '{}'", log.display()))?;
    let child = Command::new(&exe)
        .args(std::env::args_os().skip(1))
        .args(["serve", "--background"])
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .with_context(|| format!("cannot start '{} serve'", exe.display()))?;
    Ok(Launched {
        child,
        started: Instant::now(),
        exited: None,
        log,
    })
}

impl Launched {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn log(&self) -> &Path {
        &self.log
    }

    /// How long ago it was started.
    pub(crate) fn age(&self) -> Duration {
        self.started.elapsed()
    }

    /// Its exit status once it has exited (reaped here, so it leaves no zombie behind).
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().ok().flatten();
        }
        self.exited
    }

    /// The last line of its log, for telling the editor why it stopped.
    pub(crate) fn last_words(&self) -> Option<String> {
        last_line(&self.log)
    }
}

/// The last non-empty line of a file, read from its last 4 KiB.
fn last_line(path: &Path) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(4096))).ok()?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail).ok()?;
    String::from_utf8_lossy(&tail)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_words_are_the_last_line_that_says_something() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("copydesk.log");
        assert_eq!(last_line(&log), None, "no log yet");
        std::fs::write(&log, "copydesk: serving\ncopydesk: cannot listen\n\n").expect("write");
        assert_eq!(last_line(&log).as_deref(), Some("copydesk: cannot listen"));
    }
}

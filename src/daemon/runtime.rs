//! A running newsroom monitor: the engine service, the socket server and the inbox watcher,
//! started together and stopped in order (the reading in hand abandoned, then the inbox, which
//! files away what was decided; then the socket; then the engine). `copydesk serve` runs one headless (the dashboard starts `serve` in
//! the background when no daemon serves the database: `launch.rs`). Starting waits, bounded, for a
//! one-off command that holds the database, and gives way to a daemon that already serves it.

use super::remote::Remote;
use super::server::{Limits, Server, ServerInfo};
use crate::config::Settings;
use crate::engine::files::Reach;
use crate::engine::service::Service;
use crate::engine::snapshot::Prefetch;
use crate::engine::Engine;
use crate::inbox::Inbox;
/// What the inbox tells the daemon (a problem for the log, or a failure to stop for).
pub(crate) use crate::inbox::Report;
use crate::worker::Stop;
use anyhow::{Context, Result};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// How long `serve` waits for another process's hold on the database to end: a one-off command
/// (`stats`, `list`, an `ingest` of a folder) lets go by then; anything longer is not short-lived.
pub const LOCK_WAIT: Duration = Duration::from_secs(120);

/// How a start ended.
pub enum Started {
    Serving(Box<Runtime>),
    /// Another daemon already serves the database (it holds the lock and answers on the socket).
    AlreadyServed,
    /// Asked to stop while waiting for the database.
    Stopped,
}

pub struct Runtime {
    /// Set first when stopping: the engine abandons the reading in hand (the files stay in the
    /// inbox, unrecorded, and are read at the next start) instead of finishing it.
    stopping: Stop,
    service: Option<Service>,
    server: Option<Server>,
    inbox: Option<Inbox>,
    /// Problems the inbox reports (a vanished inbox, a failed move): for the log or status bar.
    pub(crate) reports: Receiver<Report>,
}

impl Runtime {
    pub fn start(settings: &Settings) -> Result<Runtime> {
        raise_open_files();
        // The index snapshot is read while sled opens the database.
        let prefetch = Prefetch::start(settings);
        let engine = Engine::open(settings.clone())?;
        Runtime::serve(settings, engine.serving(prefetch))
    }

    /// Starts once the database is free: while another process holds it, looks whether a daemon
    /// answers on the socket (then gives way) and otherwise waits for the holder to finish, up
    /// to `wait`; `waiting` is told once when the wait begins; `stopped` ends the wait.
    pub fn start_when_free(
        settings: &Settings,
        wait: Duration,
        waiting: impl FnOnce(&str),
        stopped: impl Fn() -> bool,
    ) -> Result<Started> {
        raise_open_files();
        let deadline = Instant::now() + wait;
        let mut waiting = Some(waiting);
        let mut prefetch = Prefetch::start(settings);
        loop {
            let error = match Engine::open(settings.clone()) {
                Ok(engine) => {
                    return Runtime::serve(settings, engine.serving(prefetch.take()))
                        .map(|r| Started::Serving(Box::new(r)))
                }
                Err(e) if e.is_locked() => e,
                Err(e) => return Err(e.into()),
            };
            if Remote::try_connect(&settings.socket_path())
                .ok()
                .flatten()
                .is_some()
            {
                return Ok(Started::AlreadyServed);
            }
            if stopped() {
                return Ok(Started::Stopped);
            }
            if Instant::now() >= deadline {
                return Err(anyhow::Error::new(error).context(format!(
                    "waited {} s for the process holding the database to finish",
                    wait.as_secs()
                )));
            }
            if let Some(tell) = waiting.take() {
                tell(&format!(
                    "the database '{}' is held by another copydesk process (a one-off command?); waiting up to {} s for it to finish",
                    settings.db.display(),
                    wait.as_secs()
                ));
            }
            // Polls the lock: sled offers no way to block on it.
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Serves `engine` (made by `Engine::serving`: its thread loads the index at once, then
    /// starts the search indexer, which keeps the search index up to date from then on; one-off
    /// commands start it at their first text query).
    fn serve(settings: &Settings, engine: Engine) -> Result<Runtime> {
        let stopping = Stop::default();
        let service = Service::start_stoppable(engine, stopping.clone());
        let info = ServerInfo {
            inbox: settings.inbox.display().to_string(),
            db: settings.db.display().to_string(),
        };
        let socket = settings.socket_path();
        // Clients may name only files in the inbox (created now, so that it can be resolved).
        std::fs::create_dir_all(&settings.inbox)
            .with_context(|| format!("cannot create the inbox '{}'", settings.inbox.display()))?;
        let reach = Reach::inbox(&settings.inbox, settings.follow_symlinks)
            .with_context(|| format!("cannot resolve the inbox '{}'", settings.inbox.display()))?;
        let server = Server::start(
            &socket,
            settings.socket_group.as_deref(),
            service.handle().confined(reach),
            info,
            Limits::of(settings),
        )?;
        let (tx, reports) = mpsc::channel();
        let inbox = Inbox::start(settings, service.handle(), tx)
            .with_context(|| format!("cannot create the inbox '{}'", settings.inbox.display()))?;
        Ok(Runtime {
            stopping,
            service: Some(service),
            server: Some(server),
            inbox: Some(inbox),
            reports,
        })
    }

    /// Stops in order; everything ingested is durable. A reading in hand is abandoned first,
    /// so a stop waits for no file (the inbox says which files are left for the next start).
    pub fn stop(&mut self) {
        self.stopping.set();
        if let Some(mut inbox) = self.inbox.take() {
            inbox.stop();
        }
        if let Some(mut server) = self.server.take() {
            server.stop();
        }
        if let Some(service) = self.service.take() {
            service.shutdown();
        }
    }
}

/// Raises the soft limit on open files as far as the hard limit allows: each client costs
/// descriptors, and running out of them makes reading the inbox fail. Returns the soft limit now
/// in force, if it can be read.
pub(crate) fn raise_open_files() -> Option<u64> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
    if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        return Some(hard);
    }
    Some(soft)
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop();
    }
}

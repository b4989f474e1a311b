//! A running newsroom monitor: the engine service, the socket server and the inbox watcher,
//! started together and stopped in order (inbox first, so the file in hand finishes; then the
//! socket; then the engine). `copydesk serve` runs one headless; the dashboard runs one in its own
//! process when no daemon serves the database.

use super::server::{Limits, Server, ServerInfo};
use crate::config::Settings;
use crate::engine::files::Reach;
use crate::engine::service::{Service, ServiceHandle};
use crate::engine::Engine;
use crate::inbox::Inbox;
use anyhow::{Context, Result};
use std::sync::mpsc::{self, Receiver};

pub struct Runtime {
    service: Option<Service>,
    server: Option<Server>,
    inbox: Option<Inbox>,
    /// Problems the inbox reports (a vanished inbox, a failed move): for the log or status bar.
    pub(crate) reports: Receiver<String>,
}

impl Runtime {
    pub fn start(settings: &Settings) -> Result<Runtime> {
        raise_open_files();
        let engine = Engine::open(settings.clone())?;
        let service = Service::start(engine);
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
            service: Some(service),
            server: Some(server),
            inbox: Some(inbox),
            reports,
        })
    }

    pub(crate) fn handle(&self) -> Option<ServiceHandle> {
        self.service.as_ref().map(Service::handle)
    }

    /// Stops in order; everything ingested is durable.
    pub fn stop(&mut self) {
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

//! One API for "talk to the engine", over two transports: the daemon's Unix socket when a daemon
//! runs for the database, or an engine started in this process when none does. Callers send the
//! same requests and get the same responses and events either way.

use crate::config::Settings;
pub use crate::daemon::remote::{Remote, RemoteError};
pub use crate::engine::import::{Importer, Note};
use crate::engine::service::{Service, ServiceError, ServiceHandle};
use crate::engine::{Engine, EngineError};
use crate::model::{Event, Failure, Request, Response, Verdict};
use crate::store::StoreError;
use std::sync::mpsc::{self, Receiver};

/// Why a client got no answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Remote(RemoteError),
    /// The engine refused the request (either transport).
    #[error(transparent)]
    Refused(Failure),
    /// The engine in this process has stopped.
    #[error("the engine has stopped")]
    EngineGone,
    /// The database could not be opened in this process.
    #[error(transparent)]
    Open(#[from] EngineError),
    /// A command that only reads found no daemon and no database, and created none.
    #[error("no database at '{}' (give --db, or ingest files or start `copydesk serve` to create one)", .0.display())]
    NoDatabase(std::path::PathBuf),
}

impl ClientError {
    /// Whether the connection to the engine is gone (as opposed to a refused request): worth
    /// reconnecting.
    pub(crate) fn is_disconnect(&self) -> bool {
        match self {
            ClientError::Remote(e) => e.is_disconnect(),
            ClientError::EngineGone => true,
            ClientError::Refused(_) | ClientError::Open(_) | ClientError::NoDatabase(_) => false,
        }
    }
}

impl From<RemoteError> for ClientError {
    fn from(e: RemoteError) -> ClientError {
        match e {
            RemoteError::Refused(failure) => ClientError::Refused(failure),
            e => ClientError::Remote(e),
        }
    }
}

impl From<ServiceError> for ClientError {
    fn from(e: ServiceError) -> ClientError {
        match e {
            ServiceError::Gone => ClientError::EngineGone,
            ServiceError::Refused(failure) => ClientError::Refused(failure),
        }
    }
}

type Result<T> = std::result::Result<T, ClientError>;

/// How long a command waits for a database another process holds: a daemon that is starting
/// answers on its socket within it, and a one-off command has usually finished.
const LOCKED_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Which transport a client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Daemon,
    InProcess,
}

/// A connection to the engine.
pub enum Client {
    Remote(Remote),
    Local(Local),
}

/// An engine in this process, as a client sees it.
pub struct Local {
    handle: ServiceHandle,
    /// Set when this client started the engine and owns it.
    _service: Option<Service>,
    who: String,
}

/// A live feed of events: the backlog first, then each new one.
pub struct Subscription {
    pub events: Receiver<Event>,
}

impl Client {
    /// Attaches to the daemon if one serves this database, else opens the database here. While
    /// another process holds the database (a daemon starting, not listening yet, or another
    /// one-off command), tries both again until one works or `LOCKED_WAIT` has passed.
    pub fn connect_or_open(settings: &Settings) -> Result<Client> {
        let deadline = std::time::Instant::now() + LOCKED_WAIT;
        loop {
            if let Some(remote) = Remote::try_connect(&settings.socket_path())? {
                return Ok(Client::Remote(remote));
            }
            match Engine::open(settings.clone()) {
                Ok(engine) => {
                    let service = Service::start(engine);
                    return Ok(Client::Local(Local {
                        handle: service.handle(),
                        _service: Some(service),
                        who: current_user(),
                    }));
                }
                Err(e) if e.is_locked() && std::time::Instant::now() < deadline => {
                    // Polls: neither the socket nor sled's lock can be waited on.
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => return Err(ClientError::Open(e)),
            }
        }
    }

    /// `connect_or_open` for a command that only reads (or changes existing articles): when no
    /// daemon serves the database and there is none, it says so and creates nothing.
    pub fn connect_existing(settings: &Settings) -> Result<Client> {
        if let Some(remote) = Remote::try_connect(&settings.socket_path())? {
            return Ok(Client::Remote(remote));
        }
        // A file where the folder should be is left to `open`, which explains it and changes
        // nothing.
        if !settings.db.is_file() && !crate::store::Store::exists(&settings.db) {
            return Err(ClientError::NoDatabase(settings.db.clone()));
        }
        Client::connect_or_open(settings)
    }

    pub(crate) fn mode(&self) -> Mode {
        match self {
            Client::Remote(_) => Mode::Daemon,
            Client::Local(_) => Mode::InProcess,
        }
    }

    /// Sends one request and waits for its answer; a refusal is an `Err`.
    pub fn call(&mut self, request: Request) -> Result<Response> {
        Ok(match self {
            Client::Remote(r) => r.call(request)?,
            Client::Local(local) => local.handle.call(request, &local.who)?,
        })
    }

    /// `call`, and for an ingest, `on_verdicts` hears the verdicts as they become durable, in
    /// order, before the whole reply arrives (from a daemon that streams them; an earlier daemon
    /// sends them only in the reply).
    pub fn call_streaming(
        &mut self,
        request: Request,
        on_verdicts: &mut dyn FnMut(Vec<Verdict>),
    ) -> Result<Response> {
        Ok(match self {
            Client::Remote(r) => r.call_streaming(request, on_verdicts)?,
            Client::Local(local) => {
                local
                    .handle
                    .call_streaming(request, &local.who, on_verdicts)?
            }
        })
    }

    /// Follows events after `after`. Over the socket this opens a second connection, so requests
    /// and events never wait on each other.
    pub fn subscribe(&mut self, after: u64) -> Result<Subscription> {
        match self {
            Client::Remote(r) => Ok(Subscription {
                events: r.subscribe(after)?,
            }),
            Client::Local(Local { handle, .. }) => {
                let (_, backlog, live) = handle.subscribe(after)?;
                let (tx, rx) = mpsc::channel();
                std::thread::spawn(move || {
                    for e in backlog.into_iter().chain(live) {
                        if tx.send(e).is_err() {
                            break;
                        }
                    }
                });
                Ok(Subscription { events: rx })
            }
        }
    }
}

/// Where `copydesk export` reads: the daemon serving the database (which reads its own store),
/// or, when none does, the database opened here for reading only, without the checks that
/// refuse a damaged one (`Store::open_readable`): exporting what still reads is the point.
pub enum ExportSource {
    Daemon(Remote),
    Store(Box<crate::store::Store>),
    /// A database whose data file sled cannot open whole: a copy of the beginning it opens.
    Salvaged(Box<crate::store::Salvaged>),
}

impl ExportSource {
    pub fn open(settings: &Settings) -> Result<ExportSource> {
        let deadline = std::time::Instant::now() + LOCKED_WAIT;
        loop {
            if let Some(remote) = Remote::try_connect(&settings.socket_path())? {
                return Ok(ExportSource::Daemon(remote));
            }
            if !crate::store::Store::exists(&settings.db) {
                return Err(ClientError::NoDatabase(settings.db.clone()));
            }
            match crate::store::Store::open_readable(&settings.db, settings.cache_bytes) {
                Ok(store) => return Ok(ExportSource::Store(Box::new(store))),
                // sled cannot read the data file whole (it stops at a damaged place): what
                // the beginning before it holds is still worth exporting.
                Err(StoreError::Damaged { message, .. }) => {
                    return crate::store::Salvaged::open(
                        &settings.db,
                        settings.cache_bytes,
                        message,
                    )
                    .map(|s| ExportSource::Salvaged(Box::new(s)))
                    .map_err(|e| ClientError::Open(EngineError::Store(e)));
                }
                // A daemon starting, or another one-off command: as `connect_or_open` waits.
                Err(StoreError::Locked(_)) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => return Err(ClientError::Open(EngineError::Store(e))),
            }
        }
    }

    /// One page of the export: at most `limit` items after `after`.
    pub fn page(
        &mut self,
        part: crate::model::export::ExportPart,
        after: u64,
        limit: usize,
    ) -> Result<crate::model::export::ExportPage> {
        use crate::model::export::ExportPart;
        match self {
            ExportSource::Daemon(remote) => {
                match remote.call(Request::Export { part, after, limit })? {
                    Response::Exported { page } => Ok(*page),
                    other => Err(ClientError::Refused(Failure {
                        kind: crate::model::FailureKind::Internal,
                        message: format!("unexpected answer from the daemon: {other:?}"),
                    })),
                }
            }
            ExportSource::Store(store) => Ok(match part {
                ExportPart::Articles => store.export_articles(after, limit),
                ExportPart::Triage => store.export_triage(after, limit),
            }),
            ExportSource::Salvaged(s) => Ok(match part {
                ExportPart::Articles => {
                    let mut page = s.store.export_articles(after, limit);
                    if after == 0 {
                        page.skipped.insert(0, s.lost());
                    }
                    page
                }
                ExportPart::Triage => s.store.export_triage(after, limit),
            }),
        }
    }
}

/// Starts `copydesk import` into the database, in this process: refused while a daemon serves
/// it (an import is one writer's long work on an empty database) and when it holds articles.
pub fn importer(settings: &Settings) -> Result<Importer> {
    use crate::engine::import::ImportError;
    if Remote::try_connect(&settings.socket_path())?.is_some() {
        return Err(ClientError::Refused(Failure {
            kind: crate::model::FailureKind::Unavailable,
            message: format!(
                "a daemon serves '{}'; import into a database nobody serves (give --db a new folder)",
                settings.db.display()
            ),
        }));
    }
    let engine = Engine::open(settings.clone())?;
    Importer::new(engine).map_err(|e| match e {
        ImportError::Engine(e) => ClientError::Open(e),
        e @ ImportError::NotEmpty(..) => ClientError::Refused(Failure {
            kind: crate::model::FailureKind::Invalid,
            message: e.to_string(),
        }),
    })
}

/// Checks the database in this process (`copydesk doctor`); refused while a daemon holds it.
pub fn doctor(settings: &Settings) -> Result<crate::model::Health> {
    crate::store::Store::doctor(&settings.db, settings.cache_bytes)
        .map_err(|e| ClientError::Open(EngineError::Store(e)))
}

/// Whether an error says the database is damaged (so the process stops with its own exit
/// status instead of being restarted into the same damage).
pub fn is_damage(e: &(dyn std::error::Error + 'static)) -> bool {
    if let Some(e) = e.downcast_ref::<StoreError>() {
        return e.is_damage();
    }
    if let Some(e) = e.downcast_ref::<EngineError>() {
        return e.is_damage();
    }
    match e.downcast_ref::<ClientError>() {
        Some(ClientError::Open(e)) => e.is_damage(),
        Some(ClientError::Refused(f)) => f.kind == crate::model::FailureKind::Corrupt,
        _ => false,
    }
}

/// The user this process runs as, by name.
pub fn current_user() -> String {
    let uid = nix::unistd::getuid();
    nix::unistd::User::from_uid(uid)
        .ok()
        .flatten()
        .map_or_else(|| format!("uid {uid}"), |u| u.name)
}

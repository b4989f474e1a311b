//! One API for "talk to the engine", over two transports: the daemon's Unix socket when a daemon
//! runs for the database, or an engine started in this process when none does. Callers send the
//! same requests and get the same responses and events either way.

use crate::config::Settings;
use crate::daemon::protocol::{
    ClientLine, Event, Hello, Request, Response, ServerLine, PROTOCOL_VERSION,
};
use crate::engine::service::{Service, ServiceHandle};
use crate::engine::{Engine, EngineError};
use crate::store::StoreError;
use anyhow::{anyhow, bail, Context, Result};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};

/// Which transport a client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Daemon,
    InProcess,
}

/// A connection to the engine.
pub enum Client {
    Remote(Remote),
    Local {
        handle: ServiceHandle,
        /// Set when this client started the engine and owns it.
        service: Option<Service>,
        who: String,
    },
}

/// A live feed of events: the backlog first, then each new one.
pub struct Subscription {
    pub last_seq: u64,
    pub events: Receiver<Event>,
}

impl Client {
    /// Attaches to the daemon if one serves this database, else opens the database here.
    pub fn connect_or_open(settings: &Settings) -> Result<Client> {
        if let Some(remote) = Remote::try_connect(&settings.socket_path())? {
            return Ok(Client::Remote(remote));
        }
        let engine = match Engine::open(settings.clone()) {
            Ok(e) => e,
            // Locked: a daemon is starting and not listening yet; give it a moment. Any other
            // failure is reported at once.
            Err(e @ EngineError::Store(StoreError::Locked(_))) => {
                for _ in 0..40 {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    if let Some(remote) = Remote::try_connect(&settings.socket_path())? {
                        return Ok(Client::Remote(remote));
                    }
                }
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        };
        let service = Service::start(engine);
        Ok(Client::Local {
            handle: service.handle(),
            service: Some(service),
            who: current_user(),
        })
    }

    /// A client of an engine already running in this process.
    pub fn local(handle: ServiceHandle) -> Client {
        Client::Local {
            handle,
            service: None,
            who: current_user(),
        }
    }

    pub fn mode(&self) -> Mode {
        match self {
            Client::Remote(_) => Mode::Daemon,
            Client::Local { .. } => Mode::InProcess,
        }
    }

    /// Sends one request and waits for its answer; an engine error becomes an `Err`.
    pub fn call(&mut self, request: Request) -> Result<Response> {
        let response = match self {
            Client::Remote(r) => r.call(request)?,
            Client::Local { handle, who, .. } => handle.call(request, who)?,
        };
        match response {
            Response::Error { message } => Err(anyhow!(message)),
            r => Ok(r),
        }
    }

    /// Follows events after `after`. Over the socket this opens a second connection, so requests
    /// and events never wait on each other.
    pub fn subscribe(&mut self, after: u64) -> Result<Subscription> {
        match self {
            Client::Remote(r) => r.subscribe(after),
            Client::Local { handle, .. } => {
                let (last_seq, backlog, live) = handle.subscribe(after)?;
                let (tx, rx) = mpsc::channel();
                std::thread::spawn(move || {
                    for e in backlog.into_iter().chain(live) {
                        if tx.send(e).is_err() {
                            break;
                        }
                    }
                });
                Ok(Subscription {
                    last_seq,
                    events: rx,
                })
            }
        }
    }

    /// The daemon's greeting (remote only).
    pub fn hello(&self) -> Option<&Hello> {
        match self {
            Client::Remote(r) => Some(&r.hello),
            Client::Local { .. } => None,
        }
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

/// A connection to the daemon's socket.
pub struct Remote {
    path: PathBuf,
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    next_id: u64,
    pub hello: Hello,
}

impl Remote {
    /// Connects if a daemon listens on `path`; `None` when nothing does (no socket file, or a
    /// stale one left by a daemon that was killed).
    pub fn try_connect(path: &Path) -> Result<Option<Remote>> {
        let stream = match UnixStream::connect(path) {
            Ok(s) => s,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound
                        | std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(None)
            }
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("cannot connect to the daemon's socket '{}'", path.display())
                })
            }
        };
        Remote::handshake(path, stream).map(Some)
    }

    fn handshake(path: &Path, stream: UnixStream) -> Result<Remote> {
        let writer = stream.try_clone()?;
        let mut reader = BufReader::new(stream);
        let hello = match read_line(&mut reader)? {
            Some(ServerLine::Hello(h)) => h,
            other => bail!(
                "the daemon at '{}' did not greet as expected: {other:?}",
                path.display()
            ),
        };
        if hello.protocol != PROTOCOL_VERSION {
            bail!(
                "the daemon at '{}' speaks protocol {}, this copydesk speaks {}; run the same version",
                path.display(),
                hello.protocol,
                PROTOCOL_VERSION
            );
        }
        Ok(Remote {
            path: path.to_owned(),
            reader,
            writer,
            next_id: 1,
            hello,
        })
    }

    fn send(&mut self, request: Request) -> Result<u64> {
        let id = self.next_id;
        self.next_id += 1;
        let mut line = serde_json::to_vec(&ClientLine { id, request })?;
        line.push(b'\n');
        self.writer
            .write_all(&line)
            .context("the daemon closed the connection")?;
        Ok(id)
    }

    pub fn call(&mut self, request: Request) -> Result<Response> {
        let id = self.send(request)?;
        loop {
            match read_line(&mut self.reader)? {
                Some(ServerLine::Reply { id: got, response }) if got == id => return Ok(response),
                Some(ServerLine::Reply { id: 0, response }) => {
                    bail!("the daemon could not read the request: {response:?}")
                }
                Some(_) => continue,
                None => {
                    // An I/O error, so that callers tell a lost connection from a refusal.
                    let eof = std::io::ErrorKind::UnexpectedEof;
                    return Err(std::io::Error::new(eof, "the daemon closed the connection").into());
                }
            }
        }
    }

    fn subscribe(&mut self, after: u64) -> Result<Subscription> {
        let stream = UnixStream::connect(&self.path).with_context(|| {
            format!(
                "cannot connect to the daemon's socket '{}'",
                self.path.display()
            )
        })?;
        let mut feed = Remote::handshake(&self.path, stream)?;
        let last_seq = match feed.call(Request::Subscribe { after })? {
            Response::Subscribed { last_seq } => last_seq,
            Response::Error { message } => bail!(message),
            other => bail!("unexpected answer to subscribe: {other:?}"),
        };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            while let Ok(Some(line)) = read_line(&mut feed.reader) {
                if let ServerLine::Event(e) = line {
                    if tx.send(e).is_err() {
                        break;
                    }
                }
            }
        });
        Ok(Subscription {
            last_seq,
            events: rx,
        })
    }
}

fn read_line(reader: &mut BufReader<UnixStream>) -> Result<Option<ServerLine>> {
    let mut line = String::new();
    if reader
        .read_line(&mut line)
        .context("reading from the daemon")?
        == 0
    {
        return Ok(None);
    }
    serde_json::from_str(&line).map(Some).with_context(|| {
        format!(
            "the daemon sent a line this copydesk cannot read: {}",
            line.trim()
        )
    })
}

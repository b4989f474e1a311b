//! The client end of the daemon's socket: connects, checks the greeting and the protocol version,
//! sends requests and reads their replies, and follows events on a second connection. It speaks
//! the wire (`protocol`) and hands domain values (`model`) to its caller.

use super::protocol::{self, ClientLine, Hello, Reply, ServerLine, PROTOCOL_VERSION};
use crate::model::{Event, Failure, Request, Response};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};

/// What can go wrong talking to the daemon.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("cannot connect to the daemon's socket '{}': {source}", path.display())]
    Connect {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the daemon closed the connection")]
    Closed,
    #[error("talking to the daemon failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the daemon sent a line this copydesk cannot read ({source}): {line}")]
    Unreadable {
        line: String,
        source: serde_json::Error,
    },
    #[error("the daemon at '{}' did not greet as expected", path.display())]
    NoGreeting { path: PathBuf },
    #[error("the daemon at '{}' speaks protocol {theirs}, this copydesk speaks {ours}; run the same version", path.display())]
    Version {
        path: PathBuf,
        theirs: u32,
        ours: u32,
    },
    #[error("the daemon could not read the request: {0}")]
    BadRequest(String),
    /// The engine behind the daemon refused the request.
    #[error(transparent)]
    Refused(Failure),
    #[error("the daemon answered with something unexpected: {0}")]
    Unexpected(String),
}

impl RemoteError {
    /// Whether the connection itself is gone (as opposed to a refused or unreadable request).
    pub(crate) fn is_disconnect(&self) -> bool {
        matches!(
            self,
            RemoteError::Connect { .. } | RemoteError::Closed | RemoteError::Io(_)
        )
    }
}

type Result<T> = std::result::Result<T, RemoteError>;

/// A connection to the daemon's socket.
pub struct Remote {
    path: PathBuf,
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    next_id: u64,
    hello: Hello,
}

impl Remote {
    /// The daemon's inbox, as its greeting names it.
    pub(crate) fn inbox(&self) -> &str {
        &self.hello.inbox
    }

    /// The name the daemon knows this client by.
    pub(crate) fn you(&self) -> &str {
        &self.hello.you
    }

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
            Err(source) => {
                return Err(RemoteError::Connect {
                    path: path.to_owned(),
                    source,
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
            // Turned away instead of greeted (too many clients): the daemon says why.
            Some(ServerLine::Reply { id: 0, response }) => {
                return Err(match Reply::from(response) {
                    Reply::Refused(failure) => RemoteError::Refused(failure),
                    other => RemoteError::Unexpected(format!("{other:?}")),
                })
            }
            _ => {
                return Err(RemoteError::NoGreeting {
                    path: path.to_owned(),
                })
            }
        };
        if hello.protocol != PROTOCOL_VERSION {
            return Err(RemoteError::Version {
                path: path.to_owned(),
                theirs: hello.protocol,
                ours: PROTOCOL_VERSION,
            });
        }
        Ok(Remote {
            path: path.to_owned(),
            reader,
            writer,
            next_id: 1,
            hello,
        })
    }

    fn send(&mut self, request: protocol::Request) -> Result<u64> {
        let id = self.next_id;
        self.next_id += 1;
        let mut line = serde_json::to_vec(&ClientLine { id, request }).map_err(|e| {
            RemoteError::Io(std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
        })?;
        line.push(b'\n');
        self.writer.write_all(&line)?;
        Ok(id)
    }

    fn call_wire(&mut self, request: protocol::Request) -> Result<Reply> {
        let id = self.send(request)?;
        loop {
            match read_line(&mut self.reader)? {
                Some(ServerLine::Reply { id: got, response }) if got == id => {
                    return Ok(response.into())
                }
                Some(ServerLine::Reply { id: 0, response }) => {
                    return Err(RemoteError::BadRequest(match response {
                        protocol::Response::Error { message, .. } => message,
                        other => format!("{other:?}"),
                    }))
                }
                Some(_) => continue,
                None => return Err(RemoteError::Closed),
            }
        }
    }

    /// Sends one request and waits for its answer.
    pub fn call(&mut self, request: Request) -> Result<Response> {
        match self.call_wire(request.into())? {
            Reply::Engine(response) => Ok(response),
            Reply::Refused(failure) => Err(RemoteError::Refused(failure)),
            other => Err(RemoteError::Unexpected(format!("{other:?}"))),
        }
    }

    /// Follows events after `after` on a connection of its own, so requests and events never
    /// wait on each other.
    pub(crate) fn subscribe(&mut self, after: u64) -> Result<Receiver<Event>> {
        let stream = UnixStream::connect(&self.path).map_err(|source| RemoteError::Connect {
            path: self.path.clone(),
            source,
        })?;
        let mut feed = Remote::handshake(&self.path, stream)?;
        match feed.call_wire(protocol::Request::Subscribe { after })? {
            Reply::Subscribed { .. } => {}
            Reply::Refused(failure) => return Err(RemoteError::Refused(failure)),
            other => return Err(RemoteError::Unexpected(format!("{other:?}"))),
        }
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            while let Ok(Some(line)) = read_line(&mut feed.reader) {
                if let ServerLine::Event(e) = line {
                    if tx.send(e.into()).is_err() {
                        break;
                    }
                }
            }
        });
        Ok(rx)
    }
}

fn read_line(reader: &mut BufReader<UnixStream>) -> Result<Option<ServerLine>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    serde_json::from_str(&line)
        .map(Some)
        .map_err(|source| RemoteError::Unreadable {
            line: line.trim().to_owned(),
            source,
        })
}

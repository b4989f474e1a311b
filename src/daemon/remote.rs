//! The client end of the daemon's socket: connects, checks the greeting and the protocol version,
//! sends requests and reads their replies, and follows events on a second connection. It speaks
//! the wire (`protocol`) and hands domain values (`model`) to its caller.

use super::protocol::{self, ClientLine, Hello, Reply, ServerLine, PROTOCOL_VERSION};
use crate::model::{Event, Request, Response};
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};

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
    pub fn inbox(&self) -> &str {
        &self.hello.inbox
    }

    /// The name the daemon knows this client by.
    pub fn you(&self) -> &str {
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

    fn send(&mut self, request: protocol::Request) -> Result<u64> {
        let id = self.next_id;
        self.next_id += 1;
        let mut line = serde_json::to_vec(&ClientLine { id, request })?;
        line.push(b'\n');
        self.writer
            .write_all(&line)
            .context("the daemon closed the connection")?;
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

    /// Sends one request and waits for its answer.
    pub fn call(&mut self, request: Request) -> Result<Response> {
        match self.call_wire(request.into())? {
            Reply::Engine(response) => Ok(response),
            other => bail!("unexpected answer from the daemon: {other:?}"),
        }
    }

    /// Follows events after `after` on a connection of its own, so requests and events never
    /// wait on each other. Returns the latest sequence number and the feed.
    pub fn subscribe(&mut self, after: u64) -> Result<(u64, Receiver<Event>)> {
        let stream = UnixStream::connect(&self.path).with_context(|| {
            format!(
                "cannot connect to the daemon's socket '{}'",
                self.path.display()
            )
        })?;
        let mut feed = Remote::handshake(&self.path, stream)?;
        let last_seq = match feed.call_wire(protocol::Request::Subscribe { after })? {
            Reply::Subscribed { last_seq } => last_seq,
            Reply::Engine(Response::Error { message }) => bail!(message),
            other => bail!("unexpected answer to subscribe: {other:?}"),
        };
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
        Ok((last_seq, rx))
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

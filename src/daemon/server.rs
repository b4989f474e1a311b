//! The Unix socket server: accepts clients, greets them, names them from the socket's peer
//! credentials, and relays their requests to the engine service and its events to them. One
//! thread reads each connection and one writes to it, so a slow reader never stalls the engine.

use super::protocol::{
    ClientLine, FailureKind, Hello, Incoming, Response, ServerLine, PROTOCOL_VERSION,
};
use crate::engine::service::{ServiceError, ServiceHandle};
use crate::model;
use crate::worker::{Stop, Worker};
use anyhow::{Context, Result};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// What the greeting tells clients.
#[derive(Debug, Clone)]
pub(crate) struct ServerInfo {
    pub(crate) inbox: String,
    pub(crate) db: String,
}

/// The listening socket; removed when stopped.
pub(crate) struct Server {
    path: PathBuf,
    worker: Worker,
}

impl Server {
    /// Binds the socket (replacing a stale one: the caller holds the database, so no other daemon
    /// can be serving it), sets mode 0660 and the group, and starts accepting.
    pub(crate) fn start(
        path: &Path,
        group: Option<&str>,
        engine: ServiceHandle,
        info: ServerInfo,
    ) -> Result<Server> {
        if path.exists() {
            std::fs::remove_file(path)
                .with_context(|| format!("cannot remove the stale socket '{}'", path.display()))?;
        }
        let listener = UnixListener::bind(path)
            .with_context(|| format!("cannot listen on '{}'", path.display()))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
        if let Some(name) = group {
            let g = nix::unistd::Group::from_name(name)?.with_context(|| {
                format!("daemon.socket_group: no group '{name}' on this machine")
            })?;
            nix::unistd::chown(path, None, Some(g.gid))
                .with_context(|| format!("cannot give '{}' to group '{name}'", path.display()))?;
        }
        listener.set_nonblocking(true)?;
        let worker = Worker::spawn("socket", move |stop| {
            accept_loop(listener, engine, info, stop)
        })?;
        Ok(Server {
            path: path.to_owned(),
            worker,
        })
    }

    pub(crate) fn stop(&mut self) {
        self.worker.stop();
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(listener: UnixListener, engine: ServiceHandle, info: ServerInfo, stop: Stop) {
    while !stop.is_set() {
        match listener.accept() {
            Ok((stream, _)) => {
                let (engine, info) = (engine.clone(), info.clone());
                let _ = std::thread::Builder::new()
                    .name("client".into())
                    .spawn(move || serve_client(stream, engine, info));
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => {
                eprintln!("copydesk: accepting a client failed: {e}");
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}

/// The name of the user at the other end of the socket.
pub(crate) fn peer_name(stream: &UnixStream) -> String {
    use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
    match getsockopt(stream, PeerCredentials) {
        Ok(cred) => {
            let uid = nix::unistd::Uid::from_raw(cred.uid());
            nix::unistd::User::from_uid(uid)
                .ok()
                .flatten()
                .map_or_else(|| format!("uid {uid}"), |u| u.name)
        }
        Err(_) => "unknown".to_owned(),
    }
}

fn serve_client(stream: UnixStream, engine: ServiceHandle, info: ServerInfo) {
    let _ = stream.set_nonblocking(false);
    let who = peer_name(&stream);
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let (out, lines) = mpsc::channel::<ServerLine>();
    let writer = std::thread::spawn(move || write_lines(write_half, lines));
    let last_seq = match engine.call(model::Request::Stats, &who) {
        Ok(model::Response::Stats { stats }) => stats.last_seq,
        _ => 0,
    };
    let hello = Hello {
        copydesk: env!("CARGO_PKG_VERSION").to_owned(),
        protocol: PROTOCOL_VERSION,
        last_seq,
        inbox: info.inbox,
        db: info.db,
        you: who.clone(),
    };
    if out.send(ServerLine::Hello(hello)).is_err() {
        return;
    }
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if line.trim().is_empty() {
            continue;
        }
        let reply = match serde_json::from_str::<ClientLine>(&line) {
            Err(e) => ServerLine::Reply {
                id: 0,
                response: Response::Error {
                    message: format!("cannot read the request: {e}"),
                    kind: FailureKind::Invalid,
                },
            },
            Ok(ClientLine { id, request }) => match Incoming::from(request) {
                Incoming::Subscribe { after } => match subscribe(&engine, after, id, &out) {
                    Some(()) => continue,
                    None => break,
                },
                Incoming::Engine(request) => match engine.call(request, &who) {
                    Ok(response) => ServerLine::Reply {
                        id,
                        response: response.into(),
                    },
                    Err(ServiceError::Refused(failure)) => ServerLine::Reply {
                        id,
                        response: failure.into(),
                    },
                    Err(ServiceError::Gone) => break,
                },
            },
        };
        if out.send(reply).is_err() {
            break;
        }
    }
    drop(out);
    let _ = writer.join();
}

/// Answers a subscription, then forwards the backlog and every new event to the connection.
fn subscribe(
    engine: &ServiceHandle,
    after: u64,
    id: u64,
    out: &mpsc::Sender<ServerLine>,
) -> Option<()> {
    let (last_seq, backlog, live) = match engine.subscribe(after) {
        Ok(follow) => follow,
        Err(ServiceError::Refused(failure)) => {
            let response = failure.into();
            return out.send(ServerLine::Reply { id, response }).ok();
        }
        Err(ServiceError::Gone) => return None,
    };
    out.send(ServerLine::Reply {
        id,
        response: Response::Subscribed { last_seq },
    })
    .ok()?;
    for e in backlog {
        out.send(ServerLine::Event(e.into())).ok()?;
    }
    let out = out.clone();
    std::thread::spawn(move || {
        for e in live {
            if out.send(ServerLine::Event(e.into())).is_err() {
                break;
            }
        }
    });
    Some(())
}

fn write_lines(mut stream: UnixStream, lines: mpsc::Receiver<ServerLine>) {
    for line in lines {
        let Ok(mut bytes) = serde_json::to_vec(&line) else {
            continue;
        };
        bytes.push(b'\n');
        if stream.write_all(&bytes).is_err() {
            break;
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

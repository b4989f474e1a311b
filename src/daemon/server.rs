//! The Unix socket server: binds the socket privately before opening it to its group, accepts
//! clients up to `max_clients` (one more is told so and closed), and hands each to
//! `connection`. It owns the socket file and the limits, not what is said on a connection.

use super::connection::serve_client;
use super::protocol::{FailureKind, Response, ServerLine};
use crate::config::Settings;
use crate::engine::service::ServiceHandle;
use crate::worker::{Stop, Worker};
use anyhow::{Context, Result};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What the greeting tells clients.
#[derive(Debug, Clone)]
pub(crate) struct ServerInfo {
    pub(crate) inbox: String,
    pub(crate) db: String,
}

/// What one client may use of the daemon.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Clients served at once.
    pub(crate) max_clients: usize,
    /// The longest request line, in bytes (without its newline).
    pub(crate) max_request_bytes: usize,
    /// Lines waiting for a client at most; a subscriber further behind is dropped.
    pub(crate) queue: usize,
}

impl Limits {
    pub(crate) fn of(settings: &Settings) -> Limits {
        Limits {
            max_clients: settings.max_clients,
            max_request_bytes: settings.max_request_bytes,
            queue: settings.subscriber_queue,
        }
    }
}

/// The listening socket; removed when stopped.
pub(crate) struct Server {
    path: PathBuf,
    worker: Worker,
}

impl Server {
    /// Binds the socket (replacing a stale one: the caller holds the database, so no other daemon
    /// can be serving it), sets mode 0660 and the group, and starts accepting. The socket is
    /// bound in a private folder and moved into place only once its mode and group are set, so
    /// it is never reachable by others whatever the umask; a failed start leaves nothing behind.
    pub(crate) fn start(
        path: &Path,
        group: Option<&str>,
        engine: ServiceHandle,
        info: ServerInfo,
        limits: Limits,
    ) -> Result<Server> {
        let gid = match group {
            Some(name) => Some(
                nix::unistd::Group::from_name(name)?
                    .with_context(|| {
                        format!("daemon.socket_group: no group '{name}' on this machine")
                    })?
                    .gid,
            ),
            None => None,
        };
        let listener = bind_private(path, |socket| {
            std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o660))?;
            if let (Some(gid), Some(name)) = (gid, group) {
                nix::unistd::chown(socket, None, Some(gid)).with_context(|| {
                    format!("cannot give '{}' to group '{name}'", path.display())
                })?;
            }
            Ok(())
        })?;
        listener.set_nonblocking(true)?;
        let worker = Worker::spawn("socket", move |stop| {
            accept_loop(listener, engine, info, limits, stop)
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

/// Binds a socket at `path` through a private folder beside it (mode 0700): bound there, opened
/// up by `open` (mode, group), then renamed into place, replacing a stale socket. On any failure
/// the folder and the socket in it are removed.
pub(crate) fn bind_private(
    path: &Path,
    open: impl FnOnce(&Path) -> Result<()>,
) -> Result<UnixListener> {
    use std::os::unix::fs::DirBuilderExt;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    // A short name: a socket's path is limited to 107 bytes.
    let private = parent.join(format!(".cd{}", std::process::id()));
    if private.exists() {
        let _ = std::fs::remove_dir_all(&private);
    }
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&private)
        .with_context(|| format!("cannot create the folder '{}'", private.display()))?;
    let result = (|| {
        let socket = private.join("s");
        let listener = UnixListener::bind(&socket)
            .with_context(|| format!("cannot listen on '{}'", path.display()))?;
        open(&socket)?;
        if std::fs::symlink_metadata(path).is_ok() {
            std::fs::remove_file(path)
                .with_context(|| format!("cannot remove the stale socket '{}'", path.display()))?;
        }
        std::fs::rename(&socket, path)
            .with_context(|| format!("cannot listen on '{}'", path.display()))?;
        Ok(listener)
    })();
    let _ = std::fs::remove_dir_all(&private);
    result
}

fn accept_loop(
    listener: UnixListener,
    engine: ServiceHandle,
    info: ServerInfo,
    limits: Limits,
    stop: Stop,
) {
    let clients = Arc::new(AtomicUsize::new(0));
    while !stop.is_set() {
        match listener.accept() {
            Ok((stream, _)) => {
                if clients.load(Ordering::SeqCst) >= limits.max_clients {
                    turn_away(stream, limits.max_clients);
                    continue;
                }
                let seat = Seat::take(&clients);
                let (engine, info) = (engine.clone(), info.clone());
                let _ = std::thread::Builder::new()
                    .name("client".into())
                    .spawn(move || {
                        serve_client(stream, engine, info, limits);
                        drop(seat);
                    });
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => {
                tracing::warn!("accepting a client failed: {e}");
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}

/// One client's place among those served; given back when dropped (also when its thread could
/// not start, as the closure holding it is dropped then).
struct Seat(Arc<AtomicUsize>);

impl Seat {
    fn take(clients: &Arc<AtomicUsize>) -> Seat {
        clients.fetch_add(1, Ordering::SeqCst);
        Seat(clients.clone())
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Tells a client over the limit why it is not served, instead of a greeting, and closes. The
/// line is short and the connection new, so writing it cannot block.
fn turn_away(mut stream: UnixStream, max: usize) {
    let line = ServerLine::Reply {
        id: 0,
        response: Response::Error {
            message: format!(
                "the daemon is serving as many clients as it may ({max}, daemon.max_clients); try again when one has closed"
            ),
            kind: FailureKind::Unavailable,
        },
    };
    if let Ok(mut bytes) = serde_json::to_vec(&line) {
        bytes.push(b'\n');
        let _ = stream.set_nonblocking(true);
        let _ = stream.write_all(&bytes);
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_is_out_of_reach_until_opened_and_a_failure_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.sock");
        let listener = bind_private(&path, |socket| {
            let folder = socket.parent().expect("a folder");
            let mode = std::fs::metadata(folder)
                .expect("folder")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700, "only the daemon's user reaches it");
            assert!(!path.exists(), "not in place before it is opened");
            Ok(())
        })
        .expect("binds");
        let _client = UnixStream::connect(&path).expect("reachable once in place");
        assert!(listener.accept().is_ok());
        let other = dir.path().join("t.sock");
        assert!(bind_private(&other, |_| anyhow::bail!("no such group")).is_err());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("lists")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["s.sock"], "nothing left of the failed bind");
    }
}

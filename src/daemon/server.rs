//! The Unix socket server: binds the socket privately before opening it to its group and starts
//! the event loop that serves clients up to `max_clients` (one more is told so and closed). It
//! owns the socket file and the limits, not what is said on a connection.

use super::event_loop;
use crate::config::Settings;
use crate::engine::service::ServiceHandle;
use crate::worker::Worker;
use anyhow::{Context, Result};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
        let poll = mio::Poll::new().context("cannot start the socket's event loop")?;
        let waker = Arc::new(
            mio::Waker::new(poll.registry(), event_loop::WAKER)
                .context("cannot start the socket's event loop")?,
        );
        let wake = waker.clone();
        let worker = Worker::spawn("socket", move |stop| {
            event_loop::run(listener, poll, waker, engine, info, limits, stop)
        })?
        .on_stop(move || {
            let _ = wake.wake();
        });
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
        let _client =
            std::os::unix::net::UnixStream::connect(&path).expect("reachable once in place");
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

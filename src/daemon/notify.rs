//! Readiness for systemd (`Type=notify`): a datagram with `READY=1` (or `STOPPING=1`) to the Unix
//! socket `$NOTIFY_SOCKET` names, a path or an abstract name (`@...`). Without `$NOTIFY_SOCKET`
//! (not started by systemd) it does nothing. Must not decide when the daemon is ready: the
//! caller sends once its socket serves.

use std::os::unix::net::UnixDatagram;

/// Sends `state` (`READY=1`, `STOPPING=1`, ...) to the service manager, if one asked for it.
pub(crate) fn notify(state: &str) -> std::io::Result<()> {
    let Some(target) = std::env::var_os("NOTIFY_SOCKET") else {
        return Ok(());
    };
    let socket = UnixDatagram::unbound()?;
    let target = target.to_string_lossy().into_owned();
    match target.strip_prefix('@') {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
            socket.send_to_addr(state.as_bytes(), &addr)?;
        }
        None => {
            socket.send_to(state.as_bytes(), &target)?;
        }
    }
    Ok(())
}

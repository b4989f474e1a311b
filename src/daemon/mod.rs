//! The daemon's socket, both ends: the wire protocol, the server that relays clients' requests to
//! the engine service and its events to them, the client end (`remote`), and the runtime that
//! starts it all. It owns no business logic. Nothing outside this module speaks the wire.

pub(crate) mod connection;
pub(crate) mod event_loop;
pub(crate) mod launch;
pub(crate) mod notify;
pub(crate) mod protocol;
pub(crate) mod remote;
pub mod runtime;
pub(crate) mod server;
pub(crate) mod workers;

//! The daemon side: the Unix socket server and the wire protocol. It owns no business logic:
//! requests go to the engine service, events come from it.

pub mod protocol;
pub mod runtime;
pub mod server;

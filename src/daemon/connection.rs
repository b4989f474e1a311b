//! One client's connection: the greeting, request lines read with a length cap, replies, and at
//! most one subscription, whose events are paged from the database and then followed live. All
//! lines for the client wait in one bounded queue; a subscriber that falls further behind than
//! that queue holds is told so and dropped (it resubscribes from the last event it saw). It
//! owns no business logic: requests go to the engine service as they are.

use super::protocol::{
    ClientLine, FailureKind, Hello, Incoming, Response, ServerLine, PROTOCOL_VERSION,
};
use super::server::{Limits, ServerInfo};
use crate::engine::service::{ServiceError, ServiceHandle};
use crate::model::{self, Event};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

/// Stored events read from the database at a time when replaying a backlog.
const PAGE: usize = 512;
/// A client that takes nothing for this long while lines wait for it is closed.
const STALLED: Duration = Duration::from_secs(60);
/// The engine's queue for one subscriber holds at most this many events (its slots are taken up
/// front); a burst larger than it is read back from the database instead.
const ENGINE_QUEUE: usize = 1024;
/// How often an idle subscription looks whether its client has gone.
const LOOK: Duration = Duration::from_millis(500);

/// A line for the client. Boxed: the queue allocates all its slots up front, so a slot the size
/// of a pointer keeps an idle connection's queue small (4,096 unboxed lines cost 0.8 MB).
enum Outgoing {
    Line(Box<ServerLine>),
    /// Written, and then the connection is closed.
    Last(Box<ServerLine>),
}

impl Outgoing {
    fn line(line: ServerLine) -> Outgoing {
        Outgoing::Line(Box::new(line))
    }

    fn last(line: ServerLine) -> Outgoing {
        Outgoing::Last(Box::new(line))
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

fn error(id: u64, kind: FailureKind, message: String) -> ServerLine {
    ServerLine::Reply {
        id,
        response: Response::Error { message, kind },
    }
}

/// Serves one client until it closes, breaks the rules, or the engine stops.
pub(crate) fn serve_client(
    stream: UnixStream,
    engine: ServiceHandle,
    info: ServerInfo,
    limits: Limits,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_write_timeout(Some(STALLED));
    let who = peer_name(&stream);
    tracing::info!(client = ?who, "client connected");
    let _left = Left(who.clone());
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let (out, lines) = mpsc::sync_channel::<Outgoing>(limits.queue);
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
    let closed = Arc::new(AtomicBool::new(false));
    if out.send(Outgoing::line(ServerLine::Hello(hello))).is_ok() {
        read_requests(stream, &engine, &who, limits, &out, &closed);
    }
    // A subscription's pump, idle while no event comes, sees this and ends.
    closed.store(true, Ordering::SeqCst);
    drop(out);
    let _ = writer.join();
}

/// Logs a client's leaving however its connection ends.
struct Left(String);

impl Drop for Left {
    fn drop(&mut self) {
        tracing::info!(client = ?self.0, "client left");
    }
}

/// Reads request lines and answers each, until the client closes or sends a line too long.
fn read_requests(
    stream: UnixStream,
    engine: &ServiceHandle,
    who: &str,
    limits: Limits,
    out: &SyncSender<Outgoing>,
    closed: &Arc<AtomicBool>,
) {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    let mut subscribed = false;
    loop {
        line.clear();
        let cap = limits.max_request_bytes as u64 + 1;
        match (&mut reader).take(cap).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text_len = line.len() - usize::from(line.last() == Some(&b'\n'));
        if text_len > limits.max_request_bytes {
            let _ = out.send(Outgoing::last(error(
                0,
                FailureKind::Invalid,
                format!(
                    "the request line is longer than {} bytes (daemon.max_request_bytes); the connection is closed",
                    limits.max_request_bytes
                ),
            )));
            break;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let reply = match serde_json::from_slice::<ClientLine>(&line) {
            Err(e) => error(
                0,
                FailureKind::Invalid,
                format!("cannot read the request: {e}"),
            ),
            Ok(ClientLine { id, request }) => match Incoming::from(request) {
                Incoming::Subscribe { .. } if subscribed => error(
                    id,
                    FailureKind::Invalid,
                    "this connection is subscribed already; open another to subscribe again"
                        .to_owned(),
                ),
                Incoming::Subscribe { after } => {
                    match subscribe(engine, after, id, limits, out, closed) {
                        Some(()) => {
                            subscribed = true;
                            continue;
                        }
                        None => break,
                    }
                }
                Incoming::Engine(request) => match engine.call(request, who) {
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
        if out.send(Outgoing::line(reply)).is_err() {
            break;
        }
    }
}

/// Answers a subscription and starts its pump; `None` when the connection or engine is gone.
fn subscribe(
    engine: &ServiceHandle,
    after: u64,
    id: u64,
    limits: Limits,
    out: &SyncSender<Outgoing>,
    closed: &Arc<AtomicBool>,
) -> Option<()> {
    let (last_seq, live) = match engine.follow(limits.queue.min(ENGINE_QUEUE)) {
        Ok(follow) => follow,
        Err(ServiceError::Refused(failure)) => {
            let response = failure.into();
            return out
                .send(Outgoing::line(ServerLine::Reply { id, response }))
                .ok();
        }
        Err(ServiceError::Gone) => return None,
    };
    let reply = ServerLine::Reply {
        id,
        response: Response::Subscribed { last_seq },
    };
    out.send(Outgoing::line(reply)).ok()?;
    let pump = Pump {
        engine: engine.clone(),
        out: out.clone(),
        id,
        queue: limits.queue,
        cursor: after,
        caught_up_at: last_seq,
        closed: closed.clone(),
    };
    std::thread::Builder::new()
        .name("subscriber".into())
        .spawn(move || pump.run(last_seq, live))
        .ok()
        .map(|_| ())
}

/// Feeds one subscriber: stored events in pages, then live ones, with no gap and no repeat.
struct Pump {
    engine: ServiceHandle,
    out: SyncSender<Outgoing>,
    /// The subscription's request number.
    id: u64,
    queue: usize,
    /// The last event handed to the client's queue.
    cursor: u64,
    /// The latest event when the client subscribed: the backlog up to it is sent at the
    /// client's own pace; after it, the client must keep within `queue` events.
    caught_up_at: u64,
    /// Set when the client's connection has ended.
    closed: Arc<AtomicBool>,
}

/// Why a pump stopped.
enum Halt {
    /// The client or the engine is gone.
    Gone,
    /// The client fell behind by more than the queue holds.
    Behind,
}

impl Pump {
    fn run(mut self, mut last_seq: u64, mut live: Receiver<Event>) {
        let halt = loop {
            if let Err(h) = self.replay(last_seq).and_then(|()| self.follow(&live)) {
                break h;
            }
            // The engine dropped this follower (a burst larger than its queue): follow again and
            // read what was missed from the database.
            match self.engine.follow(self.queue.min(ENGINE_QUEUE)) {
                Ok((seq, rx)) => (last_seq, live) = (seq, rx),
                Err(_) => break Halt::Gone,
            }
        };
        if let Halt::Behind = halt {
            let message = format!(
                "this subscriber fell more than {} events behind (daemon.subscriber_queue) and is dropped; subscribe again after event {} to go on",
                self.queue, self.cursor
            );
            let _ = self.out.send(Outgoing::last(error(
                self.id,
                FailureKind::Unavailable,
                message,
            )));
        }
    }

    /// Sends the stored events after the cursor up to `last_seq`, a page at a time.
    fn replay(&mut self, last_seq: u64) -> Result<(), Halt> {
        while self.cursor < last_seq {
            let page = self
                .engine
                .events(self.cursor, PAGE)
                .map_err(|_| Halt::Gone)?;
            if page.is_empty() {
                break;
            }
            for e in page {
                self.send(e)?;
            }
        }
        Ok(())
    }

    /// Sends live events until the engine drops this follower, or the client goes.
    fn follow(&mut self, live: &Receiver<Event>) -> Result<(), Halt> {
        loop {
            match live.recv_timeout(LOOK) {
                Ok(e) if e.seq > self.cursor => self.send(e)?,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) if self.closed.load(Ordering::SeqCst) => {
                    return Err(Halt::Gone)
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
        }
    }

    fn send(&mut self, e: Event) -> Result<(), Halt> {
        let seq = e.seq;
        let line = Outgoing::line(ServerLine::Event(e.into()));
        if seq <= self.caught_up_at {
            self.out.send(line).map_err(|_| Halt::Gone)?;
        } else {
            match self.out.try_send(line) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => return Err(Halt::Behind),
                Err(TrySendError::Disconnected(_)) => return Err(Halt::Gone),
            }
        }
        self.cursor = seq;
        Ok(())
    }
}

fn write_lines(mut stream: UnixStream, lines: Receiver<Outgoing>) {
    for item in lines {
        let (line, last) = match item {
            Outgoing::Line(l) => (l, false),
            Outgoing::Last(l) => (l, true),
        };
        let Ok(mut bytes) = serde_json::to_vec(&line) else {
            continue;
        };
        bytes.push(b'\n');
        if stream.write_all(&bytes).is_err() || last {
            break;
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

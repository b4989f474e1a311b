//! The socket's event loop: one thread accepts clients and reads and writes every connection
//! without blocking, so an idle client costs its socket's descriptor and a few hundred bytes,
//! never a thread. What can wait (the user name a greeting looks up, calls, pages of stored
//! events) runs on a small pool of workers whose answers come back to the loop as notes; live
//! events reach every subscriber through one follower of the engine. A greeting never waits on
//! the engine: a client is greeted while the engine reads a large batch. It owns the connections' lives and the
//! order of what is said on each, not the engine's answers.

use super::connection::{encode, error, peer_uid, Asked, Conn, Next, Subscription};
use super::protocol::{FailureKind, Hello, Response, ServerLine, PROTOCOL_VERSION};
use super::server::{Limits, ServerInfo};
use super::workers::{self, Job, Note, Notes};
use crate::engine::service::ServiceHandle;
use crate::model::{Event, Failure};
use crate::worker::Stop;
use mio::net::{UnixListener, UnixStream};
use mio::{Events, Interest, Poll, Token, Waker};
use std::collections::HashMap;
use std::io::{ErrorKind, Write};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::time::Duration;

const LISTENER: Token = Token(0);
/// The token of the waker that notes (and a stop) use to wake the loop.
pub(crate) const WAKER: Token = Token(1);
/// Stored events read from the database at a time when replaying a backlog.
const PAGE: usize = 512;
/// A client that takes nothing for this long while lines wait for it is closed.
const STALLED: Duration = Duration::from_secs(60);
/// How often the loop looks for stalled clients while lines wait.
const TICK: Duration = Duration::from_secs(1);
/// Notes waiting for the loop at most: a worker or the follower with one more waits, so a loop
/// that falls behind slows its senders down (the engine then drops the follower) rather than
/// piling notes up; the loop takes at most this many per turn, so sockets are served meanwhile.
const NOTES: usize = 1024;

/// Where live events stand for the loop.
enum Live {
    /// Not yet followed: clients are not accepted until it is.
    Pending,
    /// The latest event seen.
    At(u64),
    Refused(Failure),
}

/// Serves clients on `listener` until `stop` is set (and `waker` woken).
pub(crate) fn run(
    listener: std::os::unix::net::UnixListener,
    mut poll: Poll,
    waker: Arc<Waker>,
    engine: ServiceHandle,
    info: ServerInfo,
    limits: Limits,
    stop: Stop,
) {
    let (tx, notes_rx) = mpsc::sync_channel(NOTES);
    let notes = Notes::new(tx, waker);
    let jobs = workers::start(&engine, &notes);
    let mut listener = UnixListener::from_std(listener);
    let mut state = Loop {
        conns: HashMap::new(),
        next: 2,
        live: Live::Pending,
        accept_later: false,
        jobs,
        info,
        limits,
    };
    let mut events = Events::with_capacity(256);
    let mut more_notes = false;
    while !stop.is_set() {
        let timeout = if more_notes {
            Some(Duration::ZERO)
        } else {
            (state.accept_later || state.any_waiting()).then_some(TICK)
        };
        if let Err(e) = poll.poll(&mut events, timeout) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            tracing::error!("the socket's event loop failed: {e}");
            break;
        }
        for event in &events {
            match event.token() {
                LISTENER => state.accept(&listener, &poll),
                WAKER => {}
                token => state.serve(token, &poll),
            }
        }
        let was_pending = matches!(state.live, Live::Pending);
        let mut taken = 0;
        while taken < NOTES {
            let Ok(note) = notes_rx.try_recv() else {
                break;
            };
            state.note(note, &poll);
            taken += 1;
        }
        more_notes = taken == NOTES;
        if was_pending && !matches!(state.live, Live::Pending) {
            // Clients are taken from here on (those who came meanwhile wait in the backlog).
            if let Err(e) = poll
                .registry()
                .register(&mut listener, LISTENER, Interest::READABLE)
            {
                tracing::error!("cannot listen for clients: {e}");
                break;
            }
            state.accept(&listener, &poll);
        }
        if state.accept_later {
            state.accept(&listener, &poll);
        }
        state.close_stalled(&poll);
    }
    for (_, conn) in state.conns.drain() {
        if let Some(who) = conn.who {
            tracing::info!(client = ?who, "client left");
        }
    }
}

struct Loop {
    conns: HashMap<Token, Conn>,
    /// The next connection's token; never reused, so a late note cannot reach a newcomer.
    next: usize,
    live: Live,
    /// Accepting failed for want of a resource: tried again at the next tick.
    accept_later: bool,
    jobs: Sender<Job>,
    info: ServerInfo,
    limits: Limits,
}

impl Loop {
    fn any_waiting(&self) -> bool {
        self.conns.values().any(|c| c.waiting() > 0)
    }

    fn accept(&mut self, listener: &UnixListener, poll: &Poll) {
        self.accept_later = false;
        loop {
            match listener.accept() {
                Ok((stream, _)) => {
                    if self.conns.len() >= self.limits.max_clients {
                        turn_away(stream, self.limits.max_clients);
                        continue;
                    }
                    let token = Token(self.next);
                    self.next += 1;
                    let mut conn = Conn::new(stream);
                    let interest = Interest::READABLE | Interest::WRITABLE;
                    if let Err(e) = poll.registry().register(conn.stream(), token, interest) {
                        tracing::warn!("cannot serve a client: {e}");
                        continue;
                    }
                    let uid = peer_uid(conn.stream());
                    self.conns.insert(token, conn);
                    self.ask(Job::Greet { conn: token, uid });
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    // Out of descriptors, say: the client waits in the backlog, and the loop
                    // tries again at its next tick rather than spinning on the error now.
                    tracing::warn!("accepting a client failed: {e}");
                    self.accept_later = true;
                    return;
                }
            }
        }
    }

    fn ask(&self, job: Job) {
        // The workers end only when the loop does.
        let _ = self.jobs.send(job);
    }

    /// Writes what waits for a client, takes its requests while it may, asks for a page of
    /// stored events when it has room, and closes it once nothing more will be said.
    fn serve(&mut self, token: Token, poll: &Poll) {
        let Some(conn) = self.conns.get_mut(&token) else {
            return;
        };
        conn.flush();
        let limits = self.limits;
        while !conn.busy && !conn.closing && conn.waiting() < limits.queue {
            match conn.next_line(limits.max_request_bytes) {
                Next::Wait => break,
                Next::Ended => {
                    conn.sub = None;
                    break;
                }
                Next::TooLong => conn.push_last(&error(
                    0,
                    FailureKind::Invalid,
                    format!(
                        "the request line is longer than {} bytes (daemon.max_request_bytes); the connection is closed",
                        limits.max_request_bytes
                    ),
                )),
                Next::Line(line) => match conn.take_request(&line) {
                    Asked::Answered => {}
                    Asked::Call {
                        id,
                        request,
                        stream,
                    } => {
                        conn.busy = true;
                        let who = conn.who.clone().unwrap_or_default();
                        let job = Job::Call {
                            conn: token,
                            who,
                            id,
                            request,
                            stream,
                        };
                        let _ = self.jobs.send(job);
                    }
                    Asked::Subscribe { id, after } => subscribe(conn, &self.live, id, after),
                },
            }
        }
        if let Some(job) = page_job(token, conn, limits.queue) {
            let _ = self.jobs.send(job);
        }
        if conn.is_over() {
            self.close(token, poll);
        }
    }

    fn note(&mut self, note: Note, poll: &Poll) {
        let token = match note {
            Note::Greeted { conn, who } => {
                let Some(c) = self.conns.get_mut(&conn) else {
                    return;
                };
                tracing::info!(client = ?who, "client connected");
                let hello = Hello {
                    copydesk: env!("CARGO_PKG_VERSION").to_owned(),
                    protocol: PROTOCOL_VERSION,
                    // The latest event the socket has handed out: its clients' view.
                    last_seq: match self.live {
                        Live::At(seq) => seq,
                        Live::Pending | Live::Refused(_) => 0,
                    },
                    inbox: self.info.inbox.clone(),
                    db: self.info.db.clone(),
                    you: who.clone(),
                };
                c.who = Some(who);
                c.busy = false;
                c.push(&ServerLine::Hello(hello));
                conn
            }
            Note::Progress { conn, line } => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.push(&line);
                }
                conn
            }
            Note::Replied { conn, line } => {
                let Some(c) = self.conns.get_mut(&conn) else {
                    return;
                };
                c.busy = false;
                match line {
                    Some(line) => c.push(&line),
                    // The engine is gone: what waits is written, then the connection closes.
                    None => {
                        c.closing = true;
                        c.sub = None;
                    }
                }
                conn
            }
            Note::Page { conn, events } => {
                let Some(c) = self.conns.get_mut(&conn) else {
                    return;
                };
                let latest = match self.live {
                    Live::At(seq) => seq,
                    _ => 0,
                };
                took_page(c, events, latest);
                conn
            }
            Note::Following(seq) => return self.following(seq),
            Note::NoFollowing(failure) => {
                self.live = Live::Refused(failure);
                return;
            }
            Note::Live(e) => return self.live_event(e, poll),
        };
        self.serve(token, poll);
    }

    /// The engine followed (again) from `seq`: subscribers that were following live may have
    /// missed events up to it, which are stored, so they read them from the database.
    fn following(&mut self, seq: u64) {
        let latest = match self.live {
            Live::At(at) => at.max(seq),
            _ => seq,
        };
        self.live = Live::At(latest);
        let mut asks = Vec::new();
        for (&token, conn) in &mut self.conns {
            if let Some(sub) = &mut conn.sub {
                if sub.cursor < latest {
                    sub.replaying = true;
                }
            }
            asks.extend(page_job(token, conn, self.limits.queue));
        }
        for job in asks {
            self.ask(job);
        }
    }

    /// A live event, for every subscriber that is following live.
    fn live_event(&mut self, e: Event, poll: &Poll) {
        if let Live::At(seq) = self.live {
            if e.seq <= seq {
                return;
            }
        }
        self.live = Live::At(e.seq);
        let queue = self.limits.queue;
        let seq = e.seq;
        let Some(bytes) = encode(&ServerLine::Event(e.into())) else {
            return;
        };
        let mut dropped = Vec::new();
        for (&token, conn) in &mut self.conns {
            let Some(sub) = conn.sub else {
                continue;
            };
            if sub.replaying || seq <= sub.cursor {
                continue;
            }
            if conn.waiting() >= queue {
                let message = format!(
                    "this subscriber fell more than {queue} events behind (daemon.subscriber_queue) and is dropped; subscribe again after event {} to go on",
                    sub.cursor
                );
                conn.push_last(&error(sub.id, FailureKind::Unavailable, message));
                dropped.push(token);
            } else {
                conn.push_live(seq, bytes.clone());
            }
        }
        for token in dropped {
            self.serve(token, poll);
        }
    }

    fn close_stalled(&mut self, poll: &Poll) {
        let stalled: Vec<Token> = self
            .conns
            .iter()
            .filter(|(_, c)| c.waiting() > 0 && c.moved_at.elapsed() > STALLED)
            .map(|(&t, _)| t)
            .collect();
        for token in stalled {
            if let Some(c) = self.conns.get_mut(&token) {
                tracing::info!(client = ?c.who, "client took nothing for {} s; closed", STALLED.as_secs());
                c.broken();
            }
            self.close(token, poll);
        }
    }

    fn close(&mut self, token: Token, poll: &Poll) {
        if let Some(mut conn) = self.conns.remove(&token) {
            let _ = poll.registry().deregister(conn.stream());
            let _ = conn.stream().shutdown(std::net::Shutdown::Both);
            if let Some(who) = &conn.who {
                tracing::info!(client = ?who, "client left");
            }
        }
    }
}

/// Starts a subscription: the reply, then stored events from the database until the subscriber
/// has caught up with live ones.
fn subscribe(conn: &mut Conn, live: &Live, id: u64, after: u64) {
    let latest = match live {
        Live::At(seq) => *seq,
        Live::Refused(failure) => {
            let response = failure.clone().into();
            return conn.push(&ServerLine::Reply { id, response });
        }
        // Clients are accepted only once the engine is followed; said for completeness.
        Live::Pending => {
            let message = "the daemon is starting; subscribe again in a moment".to_owned();
            return conn.push(&error(id, FailureKind::Unavailable, message));
        }
    };
    conn.sub = Some(Subscription {
        id,
        cursor: after,
        replaying: after < latest,
        page_asked: false,
    });
    conn.push(&ServerLine::Reply {
        id,
        response: Response::Subscribed { last_seq: latest },
    });
}

/// The next page of stored events for a subscriber that is replaying and has room for some.
fn page_job(token: Token, conn: &mut Conn, queue: usize) -> Option<Job> {
    let room = queue.saturating_sub(conn.waiting());
    let sub = conn.sub.as_mut()?;
    if !sub.replaying || sub.page_asked || room == 0 || conn.closing {
        return None;
    }
    sub.page_asked = true;
    Some(Job::Page {
        conn: token,
        after: sub.cursor,
        limit: room.min(PAGE),
    })
}

/// A page of stored events came: queued in order; an empty page or one reaching the latest live
/// event ends the replay.
fn took_page(conn: &mut Conn, events: Option<Vec<Event>>, latest: u64) {
    let Some(sub) = &mut conn.sub else {
        return;
    };
    sub.page_asked = false;
    let id = sub.id;
    let Some(events) = events else {
        return conn.push_last(&error(
            id,
            FailureKind::Unavailable,
            "the engine has stopped".to_owned(),
        ));
    };
    if events.is_empty() {
        if let Some(sub) = &mut conn.sub {
            sub.replaying = false;
        }
        return;
    }
    for e in events {
        if conn.sub.is_some_and(|s| e.seq > s.cursor) {
            conn.push_event(e);
        }
    }
    if let Some(sub) = &mut conn.sub {
        if sub.cursor >= latest {
            sub.replaying = false;
        }
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
        let _ = stream.write_all(&bytes);
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::super::server::Server;
    use super::*;
    use std::io::{BufRead, BufReader};

    #[test]
    fn a_client_is_greeted_while_the_engine_is_busy() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.sock");
        let info = ServerInfo {
            inbox: "inbox".to_owned(),
            db: "db".to_owned(),
        };
        let limits = Limits {
            max_clients: 4,
            max_request_bytes: 1024,
            queue: 16,
        };
        let engine = ServiceHandle::busy_for_tests();
        let mut server = Server::start(&path, None, engine, info, limits).expect("starts");
        for _ in 0..2 {
            let stream = std::os::unix::net::UnixStream::connect(&path).expect("connects");
            // Generous: the greeting comes at once; only a greeting that waits on the engine,
            // which never answers here, would reach this.
            stream
                .set_read_timeout(Some(Duration::from_secs(120)))
                .expect("timeout");
            let mut reader = BufReader::new(&stream);
            let mut hello = String::new();
            reader.read_line(&mut hello).expect("greeted");
            assert!(
                hello.contains("\"protocol\"") && hello.contains("\"last_seq\":0"),
                "{hello}"
            );
            // A call waits for the busy engine; the next client is greeted all the same.
            (&stream)
                .write_all(b"{\"req\":1,\"op\":\"stats\"}\n")
                .expect("asks");
        }
        server.stop();
    }
}

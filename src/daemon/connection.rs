//! One client's connection as the event loop holds it: a non-blocking socket, the bytes read but
//! not yet taken as request lines (at most one line's limit), the lines waiting to be written (a
//! bounded queue), and at most one subscription's place in the event stream. No thread and no
//! second descriptor: an idle client costs its socket and this struct. It owns reading and
//! writing bytes and what a request line asks for, not the engine (`event_loop` runs the calls).

use super::protocol::{ClientLine, FailureKind, Incoming, Response, ServerLine};
use crate::model::{self, Event};
use mio::net::UnixStream;
use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::rc::Rc;
use std::time::Instant;

/// Bytes read from a socket at a time.
const CHUNK: usize = 16 * 1024;

/// What a connection's next line is.
pub(crate) enum Next {
    /// A whole line, without its newline.
    Line(Vec<u8>),
    /// Nothing whole yet: wait for the socket.
    Wait,
    /// The client sent more than a line may hold without a newline.
    TooLong,
    /// The client has closed its side (or the socket failed).
    Ended,
}

/// What a request line asks of the loop.
pub(crate) enum Asked {
    /// Nothing more: a reply (or nothing, for a blank line) was queued.
    Answered,
    /// A call for the engine, answered later.
    Call {
        id: u64,
        request: model::Request,
        stream: bool,
    },
    /// A subscription from after this event.
    Subscribe { id: u64, after: u64 },
}

/// A subscriber's place in the event stream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Subscription {
    /// The subscription's request number.
    pub(crate) id: u64,
    /// The last event queued for the client.
    pub(crate) cursor: u64,
    /// Stored events are read from the database, a page at a time at the client's pace, until
    /// the cursor reaches the latest event the loop has seen; then live events follow, and a
    /// client that lets more than the queue wait is dropped.
    pub(crate) replaying: bool,
    /// A page of stored events has been asked for and not yet come.
    pub(crate) page_asked: bool,
}

/// One client.
pub(crate) struct Conn {
    stream: UnixStream,
    /// Who is at the other end, once the greeting has looked it up.
    pub(crate) who: Option<String>,
    /// Bytes read and not yet taken as lines.
    input: Vec<u8>,
    /// How much of `input` is known to hold no newline.
    scanned: usize,
    /// Serialised lines waiting for the client, and how much of the first is written. A live
    /// event is serialised once and shared by every subscriber's queue.
    output: VecDeque<Rc<[u8]>>,
    written: usize,
    /// When the client last took something (or lines began to wait for it).
    pub(crate) moved_at: Instant,
    /// A call (or the greeting) is with the engine; no other request is taken meanwhile.
    pub(crate) busy: bool,
    /// The client's side has ended: no more requests.
    pub(crate) read_done: bool,
    /// Close once what waits is written (a last line was queued).
    pub(crate) closing: bool,
    pub(crate) sub: Option<Subscription>,
}

impl Conn {
    pub(crate) fn new(stream: UnixStream) -> Conn {
        Conn {
            stream,
            who: None,
            input: Vec::new(),
            scanned: 0,
            output: VecDeque::new(),
            written: 0,
            moved_at: Instant::now(),
            busy: true,
            read_done: false,
            closing: false,
            sub: None,
        }
    }

    pub(crate) fn stream(&mut self) -> &mut UnixStream {
        &mut self.stream
    }

    /// Lines waiting to be written.
    pub(crate) fn waiting(&self) -> usize {
        self.output.len()
    }

    /// Nothing more will be said on this connection: close it.
    pub(crate) fn is_over(&self) -> bool {
        self.output.is_empty()
            && (self.closing || (self.read_done && !self.busy && !self.page_pending()))
    }

    fn page_pending(&self) -> bool {
        self.sub.is_some_and(|s| s.page_asked)
    }

    /// Takes the next request line, reading from the socket as needed.
    pub(crate) fn next_line(&mut self, max: usize) -> Next {
        loop {
            if let Some(at) = memchr::memchr(b'\n', &self.input[self.scanned..]) {
                let end = self.scanned + at;
                let mut line: Vec<u8> = self.input.drain(..=end).collect();
                line.pop();
                self.scanned = 0;
                return Next::Line(line);
            }
            self.scanned = self.input.len();
            if self.input.len() > max {
                return Next::TooLong;
            }
            if self.read_done {
                // A last line without its newline is still a line.
                if self.input.is_empty() {
                    return Next::Ended;
                }
                self.scanned = 0;
                return Next::Line(std::mem::take(&mut self.input));
            }
            let mut chunk = [0u8; CHUNK];
            match self.stream.read(&mut chunk) {
                Ok(0) => self.read_done = true,
                Ok(n) => self.input.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Next::Wait,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.read_done = true;
                    self.input.clear();
                }
            }
        }
    }

    /// Reads what a request line asks; queues the reply to what it can answer itself.
    pub(crate) fn take_request(&mut self, line: &[u8]) -> Asked {
        if line.iter().all(u8::is_ascii_whitespace) {
            return Asked::Answered;
        }
        match serde_json::from_slice::<ClientLine>(line) {
            // A request whose number reads is answered under it, so that a script that sent
            // several knows which one was refused.
            Err(e) => self.push(&error(
                request_number(line),
                FailureKind::Invalid,
                format!("cannot read the request: {e}"),
            )),
            Ok(ClientLine {
                id,
                request,
                stream,
            }) => match Incoming::from(request) {
                Incoming::Subscribe { .. } if self.sub.is_some() => self.push(&error(
                    id,
                    FailureKind::Invalid,
                    "this connection is subscribed already; open another to subscribe again"
                        .to_owned(),
                )),
                Incoming::Subscribe { after } => return Asked::Subscribe { id, after },
                Incoming::Engine(request) => {
                    return Asked::Call {
                        id,
                        request,
                        stream,
                    }
                }
            },
        }
        Asked::Answered
    }

    /// Queues a line and writes what the socket takes now.
    pub(crate) fn push(&mut self, line: &ServerLine) {
        if let Some(bytes) = encode(line) {
            self.push_bytes(bytes);
        }
    }

    /// Queues a line already serialised.
    pub(crate) fn push_bytes(&mut self, bytes: Rc<[u8]>) {
        if self.output.is_empty() {
            self.moved_at = Instant::now();
        }
        self.output.push_back(bytes);
        self.flush();
    }

    /// Queues a last line: the connection closes once it is written.
    pub(crate) fn push_last(&mut self, line: &ServerLine) {
        self.push(line);
        self.closing = true;
        self.sub = None;
    }

    /// Queues a stored event for the subscriber.
    pub(crate) fn push_event(&mut self, e: Event) {
        let seq = e.seq;
        if let Some(bytes) = encode(&ServerLine::Event(e.into())) {
            self.push_live(seq, bytes);
        }
    }

    /// Queues an event, serialised, for the subscriber.
    pub(crate) fn push_live(&mut self, seq: u64, bytes: Rc<[u8]>) {
        if let Some(sub) = &mut self.sub {
            sub.cursor = seq;
        }
        self.push_bytes(bytes);
    }

    /// Writes waiting lines until the socket takes no more. A failed write ends the connection.
    pub(crate) fn flush(&mut self) {
        while let Some(front) = self.output.front() {
            match self.stream.write(&front[self.written..]) {
                Ok(0) => return self.broken(),
                Ok(n) => {
                    self.moved_at = Instant::now();
                    self.written += n;
                    if self.written == front.len() {
                        self.output.pop_front();
                        self.written = 0;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return self.broken(),
            }
        }
    }

    /// The client cannot be written to: nothing more is said or read.
    pub(crate) fn broken(&mut self) {
        self.output.clear();
        self.written = 0;
        self.closing = true;
        self.read_done = true;
        self.sub = None;
    }
}

/// The number of a request that does not read whole, when its `req` does; else 0.
fn request_number(line: &[u8]) -> u64 {
    #[derive(serde::Deserialize)]
    struct Numbered {
        req: u64,
    }
    serde_json::from_slice::<Numbered>(line).map_or(0, |n| n.req)
}

/// A line as sent: JSON and a newline.
pub(crate) fn encode(line: &ServerLine) -> Option<Rc<[u8]>> {
    let mut bytes = serde_json::to_vec(line).ok()?;
    bytes.push(b'\n');
    Some(bytes.into())
}

/// An error reply.
pub(crate) fn error(id: u64, kind: FailureKind, message: String) -> ServerLine {
    ServerLine::Reply {
        id,
        response: Response::Error { message, kind },
    }
}

/// The name of the user with this id, or the id.
pub(crate) fn user_name(uid: Option<u32>) -> String {
    match uid {
        Some(uid) => {
            let uid = nix::unistd::Uid::from_raw(uid);
            nix::unistd::User::from_uid(uid)
                .ok()
                .flatten()
                .map_or_else(|| format!("uid {uid}"), |u| u.name)
        }
        None => "unknown".to_owned(),
    }
}

/// The user id at the other end of the socket.
pub(crate) fn peer_uid(stream: &UnixStream) -> Option<u32> {
    use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
    getsockopt(stream, PeerCredentials).ok().map(|c| c.uid())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Conn, std::os::unix::net::UnixStream) {
        let (a, b) = std::os::unix::net::UnixStream::pair().expect("pair");
        a.set_nonblocking(true).expect("non-blocking");
        (Conn::new(UnixStream::from_std(a)), b)
    }

    #[test]
    fn lines_are_taken_whole_across_reads_and_a_last_one_without_newline_too() {
        let (mut c, mut peer) = pair();
        assert!(matches!(c.next_line(100), Next::Wait));
        peer.write_all(b"{\"a\":").expect("writes");
        assert!(matches!(c.next_line(100), Next::Wait));
        peer.write_all(b"1}\n\nlast").expect("writes");
        assert!(matches!(c.next_line(100), Next::Line(l) if l == b"{\"a\":1}"));
        assert!(matches!(c.next_line(100), Next::Line(l) if l.is_empty()));
        assert!(matches!(c.next_line(100), Next::Wait));
        drop(peer);
        assert!(matches!(c.next_line(100), Next::Line(l) if l == b"last"));
        assert!(matches!(c.next_line(100), Next::Ended));
    }

    #[test]
    fn a_request_that_does_not_read_is_refused_under_its_number_when_that_reads() {
        use std::io::BufRead;
        let (mut c, peer) = pair();
        for line in [
            &b"{\"req\":7,\"op\":\"nosuch\"}"[..],
            b"not json",
            b"{\"req\":\"x\"}",
        ] {
            assert!(matches!(c.take_request(line), Asked::Answered));
        }
        let mut reader = std::io::BufReader::new(peer);
        let mut replies = Vec::new();
        for _ in 0..3 {
            let mut text = String::new();
            reader.read_line(&mut text).expect("a reply");
            let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            assert_eq!(v["kind"], "invalid", "{text}");
            replies.push(v["req"].as_u64().expect("a number"));
        }
        assert_eq!(replies, [7, 0, 0]);
    }

    #[test]
    fn a_line_over_the_limit_is_caught_before_more_is_read() {
        let (mut c, mut peer) = pair();
        peer.write_all(&[b'x'; 300]).expect("writes");
        assert!(matches!(c.next_line(100), Next::TooLong));
        assert!(c.input.len() <= CHUNK, "reading stopped: {}", c.input.len());
    }

    #[test]
    fn lines_wait_while_the_client_reads_nothing_and_go_when_it_reads() {
        use std::io::BufRead;
        let (mut c, peer) = pair();
        let line = error(7, FailureKind::Invalid, "x".repeat(10_000));
        for _ in 0..100 {
            c.push(&line);
        }
        assert!(c.waiting() > 0, "a socket buffer holds less than 1 MB");
        peer.set_nonblocking(false).expect("blocking");
        let reader = std::thread::spawn(move || {
            let mut reader = std::io::BufReader::new(peer);
            let mut text = String::new();
            (0..100)
                .map(|_| {
                    text.clear();
                    reader.read_line(&mut text).expect("reads");
                    text.contains("\"req\":7")
                })
                .filter(|&whole| whole)
                .count()
        });
        while c.waiting() > 0 {
            c.flush();
            std::thread::yield_now();
        }
        assert_eq!(reader.join().expect("reader"), 100, "every line, whole");
        assert!(!c.is_over(), "the client may still ask");
        c.push_last(&line);
        assert!(c.is_over() || c.waiting() == 1);
    }
}

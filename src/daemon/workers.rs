//! The socket's helpers off the event loop: four workers that do what may wait for clients (the
//! user name a greeting looks up, a call to the engine, a page of stored events) and the one
//! follower of the engine's events for every subscriber. Each sends what it gets back to the loop as a note and wakes it.
//! They own no connection and say nothing on the wire themselves.

use super::connection::user_name;
use super::protocol::{Response, ServerLine};
use crate::engine::service::{ServiceError, ServiceHandle};
use crate::model::{self, Event, Failure};
use mio::{Token, Waker};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};

/// Workers asking the engine for clients. The engine answers one command at a time, so more
/// would only wait in its queue; with a few, clients' calls wait their turn there, in the order
/// asked, rather than behind one long call in the workers' queue.
const WORKERS: usize = 4;
/// Events the engine keeps for the follower; a burst larger than this drops it, and it follows
/// again (subscribers read what it missed from the database). Slots are taken up front.
const FOLLOWER_QUEUE: usize = 1024;
/// What the loop hands a worker.
pub(crate) enum Job {
    Greet {
        conn: Token,
        uid: Option<u32>,
    },
    Call {
        conn: Token,
        who: String,
        id: u64,
        request: model::Request,
        stream: bool,
    },
    Page {
        conn: Token,
        after: u64,
        limit: usize,
    },
}

/// What comes back to the loop, from a worker or the follower.
pub(crate) enum Note {
    Greeted {
        conn: Token,
        who: String,
    },
    /// A line for a connection whose call goes on (a streamed ingest's progress).
    Progress {
        conn: Token,
        line: ServerLine,
    },
    /// A call's reply; `None` when the engine is gone.
    Replied {
        conn: Token,
        line: Option<ServerLine>,
    },
    Page {
        conn: Token,
        events: Option<Vec<Event>>,
    },
    /// The engine's latest event when it was followed (again: what came between is stored).
    Following(u64),
    /// The engine refuses followers (its database could not be opened).
    NoFollowing(Failure),
    Live(Event),
}

/// Sends notes to the loop and wakes it.
#[derive(Clone)]
pub(crate) struct Notes {
    tx: SyncSender<Note>,
    waker: Arc<Waker>,
}

impl Notes {
    pub(crate) fn send(&self, note: Note) {
        if self.tx.send(note).is_ok() {
            let _ = self.waker.wake();
        }
    }
}

impl Notes {
    pub(crate) fn new(tx: SyncSender<Note>, waker: Arc<Waker>) -> Notes {
        Notes { tx, waker }
    }
}

/// Starts the workers and the follower; jobs for the workers go to the sender returned, and
/// they end when it is dropped (after the job in hand).
pub(crate) fn start(engine: &ServiceHandle, notes: &Notes) -> Sender<Job> {
    let (jobs, jobs_rx) = mpsc::channel::<Job>();
    let jobs_rx = Arc::new(Mutex::new(jobs_rx));
    for n in 0..WORKERS {
        let (engine, notes, jobs_rx) = (engine.clone(), notes.clone(), jobs_rx.clone());
        // Threads that fail to start leave fewer workers; the loop goes on with those that did.
        let _ = std::thread::Builder::new()
            .name(format!("client-worker-{n}"))
            .spawn(move || work(&engine, &notes, &jobs_rx));
    }
    let (engine, notes) = (engine.clone(), notes.clone());
    let _ = std::thread::Builder::new()
        .name("follower".into())
        .spawn(move || follow(&engine, &notes));
    jobs
}

/// A worker: takes jobs until the loop ends, asks the engine, and sends the answers back.
fn work(engine: &ServiceHandle, notes: &Notes, jobs: &Mutex<Receiver<Job>>) {
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else {
            return;
        };
        notes.send(match job {
            // Only the name: the greeting waits on no engine, busy as it may be.
            Job::Greet { conn, uid } => Note::Greeted {
                conn,
                who: user_name(uid),
            },
            Job::Call {
                conn,
                who,
                id,
                request,
                stream,
            } => Note::Replied {
                conn,
                line: call(engine, notes, conn, &who, id, request, stream),
            },
            Job::Page { conn, after, limit } => Note::Page {
                conn,
                events: engine.events(after, limit).ok(),
            },
        });
    }
}

/// Asks the engine; for a streamed request, each batch of durable verdicts goes to the client as
/// a `progress` reply meanwhile. `None` when the engine is gone.
fn call(
    engine: &ServiceHandle,
    notes: &Notes,
    conn: Token,
    who: &str,
    id: u64,
    request: model::Request,
    stream: bool,
) -> Option<ServerLine> {
    let answer = if stream {
        engine.call_streaming(request, who, &mut |verdicts| {
            let response = Response::Progress {
                verdicts: verdicts.into_iter().map(Into::into).collect(),
            };
            let line = ServerLine::Reply { id, response };
            notes.send(Note::Progress { conn, line });
        })
    } else {
        engine.call(request, who)
    };
    let response = match answer {
        Ok(response) => response.into(),
        Err(ServiceError::Refused(failure)) => failure.into(),
        Err(ServiceError::Gone) => return None,
    };
    Some(ServerLine::Reply { id, response })
}

/// Follows the engine's events for every subscriber at once, following again when the engine
/// drops it (a burst larger than its queue); ends with the engine.
fn follow(engine: &ServiceHandle, notes: &Notes) {
    loop {
        let live = match engine.follow(FOLLOWER_QUEUE) {
            Ok((seq, live)) => {
                notes.send(Note::Following(seq));
                live
            }
            Err(ServiceError::Refused(failure)) => return notes.send(Note::NoFollowing(failure)),
            Err(ServiceError::Gone) => return,
        };
        for e in live {
            notes.send(Note::Live(e));
        }
    }
}

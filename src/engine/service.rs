//! The engine as a service: one thread owns the `Engine` (the single writer) and takes commands
//! from a channel: requests from clients, arrivals from the inbox, subscriptions. Events are
//! handed to followers through bounded channels with `try_send`, so a slow follower is dropped
//! (it reconnects and catches up by sequence number) and never blocks the engine. Between
//! commands it saves the index (`Engine::save_index`): when it has been idle a moment and the
//! last save is `snapshot_secs` old, when busy only once it is twice that old, and at shutdown.

use super::arrivals::Arrival;
use super::files::{expand_paths, now_ms, read_inputs};
use super::{Engine, EngineError};
use crate::daemon::protocol::{Event, Request, Response};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Events a follower may fall behind by before it is dropped.
pub const FOLLOWER_QUEUE: usize = 65_536;
/// Events replayed to a subscriber at most; older ones are gone from its view.
const MAX_BACKLOG: usize = 1_000_000;
/// No command for this long: the engine is idle, a good moment to save the index.
const IDLE: Duration = Duration::from_secs(1);

pub type ArrivalResult = Result<Vec<(PathBuf, Arrival)>, String>;

/// A new follower: the latest sequence number, the backlog, and the live feed.
pub type Follow = (u64, Vec<Event>, Receiver<Event>);

enum Command {
    Request {
        request: Request,
        who: String,
        reply: Sender<Response>,
    },
    Subscribe {
        after: u64,
        reply: Sender<Result<Follow, String>>,
    },
    Arrivals {
        paths: Vec<PathBuf>,
        reply: Sender<ArrivalResult>,
    },
    Shutdown,
}

/// The engine is gone (it stopped or panicked).
#[derive(Debug, thiserror::Error)]
#[error("the engine has stopped")]
pub struct EngineGone;

/// A cheap, cloneable way to talk to the engine thread.
#[derive(Clone)]
pub struct ServiceHandle {
    tx: Sender<Command>,
}

impl ServiceHandle {
    pub fn call(&self, request: Request, who: &str) -> Result<Response, EngineGone> {
        let (reply, rx) = mpsc::channel();
        self.tx
            .send(Command::Request {
                request,
                who: who.to_owned(),
                reply,
            })
            .map_err(|_| EngineGone)?;
        rx.recv().map_err(|_| EngineGone)
    }

    /// Events after `after` now, and a receiver of every later one. Returns the latest sequence
    /// number as well.
    pub fn subscribe(&self, after: u64) -> Result<Follow, EngineGone> {
        let (reply, rx) = mpsc::channel();
        self.tx
            .send(Command::Subscribe { after, reply })
            .map_err(|_| EngineGone)?;
        rx.recv().map_err(|_| EngineGone)?.map_err(|_| EngineGone)
    }

    pub fn arrivals(&self, paths: Vec<PathBuf>) -> Result<ArrivalResult, EngineGone> {
        let (reply, rx) = mpsc::channel();
        self.tx
            .send(Command::Arrivals { paths, reply })
            .map_err(|_| EngineGone)?;
        rx.recv().map_err(|_| EngineGone)
    }
}

/// The running engine thread.
pub struct Service {
    handle: ServiceHandle,
    thread: Option<JoinHandle<()>>,
}

impl Service {
    pub fn start(engine: Engine) -> Service {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("engine".into())
            .spawn(move || run(engine, rx))
            .ok();
        Service {
            handle: ServiceHandle { tx },
            thread,
        }
    }

    pub fn handle(&self) -> ServiceHandle {
        self.handle.clone()
    }

    /// Finishes the command in hand, then stops; everything committed is durable.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.handle.tx.send(Command::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(engine: Engine, rx: Receiver<Command>) {
    let settings = engine.settings().clone();
    let mut engine = Some(engine);
    let mut followers: Vec<SyncSender<Event>> = Vec::new();
    let every = Duration::from_secs(settings.snapshot_secs);
    let mut saved_at = Instant::now();
    loop {
        let cmd = match rx.recv_timeout(IDLE) {
            Ok(Command::Shutdown) | Err(RecvTimeoutError::Disconnected) => break,
            Ok(cmd) => cmd,
            Err(RecvTimeoutError::Timeout) => {
                if saved_at.elapsed() >= every {
                    save_index(engine.as_mut(), &mut saved_at);
                }
                continue;
            }
        };
        // After a storage failure (a full disk, say) sled refuses every later write, so the
        // database is reopened; until it opens again, every command gets the reason.
        let e = match engine.as_mut() {
            Some(e) => e,
            None => match Engine::open(settings.clone()) {
                Ok(e) => engine.insert(e),
                Err(err) => {
                    refuse(cmd, &err.to_string());
                    continue;
                }
            },
        };
        let failed = execute(e, cmd, &mut followers);
        let events = e.take_events();
        if failed {
            engine = None;
        }
        if !events.is_empty() {
            followers.retain(|f| {
                events.iter().all(|e| match f.try_send(e.clone()) {
                    Ok(()) => true,
                    Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
                })
            });
        }
        if saved_at.elapsed() >= 2 * every {
            save_index(engine.as_mut(), &mut saved_at);
        }
    }
    save_index(engine.as_mut(), &mut saved_at);
}

/// Saves the index if enough was added since the last save; a failure is logged and the
/// engine goes on (the next start rebuilds the index, or replays more).
fn save_index(engine: Option<&mut Engine>, saved_at: &mut Instant) {
    *saved_at = Instant::now();
    let Some(e) = engine else { return };
    let min = e.settings().snapshot_min_articles;
    match e.save_index(min) {
        Ok(Some(covered)) => eprintln!(
            "copydesk: saved the index of {} articles (up to id {}) in {:.2} s",
            covered.slots,
            covered.last_id,
            saved_at.elapsed().as_secs_f64()
        ),
        Ok(None) => {}
        Err(err) => eprintln!("copydesk: cannot save the index: {err}"),
    }
}

/// Carries out one command; true when the database failed underneath.
fn execute(e: &mut Engine, cmd: Command, followers: &mut Vec<SyncSender<Event>>) -> bool {
    match cmd {
        Command::Shutdown => false,
        Command::Request {
            request,
            who,
            reply,
        } => {
            let (response, failed) = match handle(e, request, &who) {
                Ok(r) => (r, false),
                Err(err) => (
                    Response::Error {
                        message: err.to_string(),
                    },
                    err.is_storage_failure(),
                ),
            };
            let _ = reply.send(response);
            failed
        }
        Command::Arrivals { paths, reply } => {
            let r = e.ingest_arrivals(&paths, now_ms());
            let failed = r.as_ref().is_err_and(EngineError::is_storage_failure);
            let _ = reply.send(r.map_err(|err| err.to_string()));
            failed
        }
        Command::Subscribe { after, reply } => {
            let r = e
                .store()
                .events_after(after, MAX_BACKLOG)
                .map_err(|err| err.to_string());
            let _ = reply.send(r.map(|backlog| {
                let (tx, rx) = mpsc::sync_channel(FOLLOWER_QUEUE);
                followers.push(tx);
                (e.last_seq(), backlog, rx)
            }));
            false
        }
    }
}

/// Answers a command when the database cannot be opened.
fn refuse(cmd: Command, why: &str) {
    match cmd {
        Command::Request { reply, .. } => {
            let _ = reply.send(Response::Error {
                message: why.to_owned(),
            });
        }
        Command::Arrivals { reply, .. } => {
            let _ = reply.send(Err(why.to_owned()));
        }
        Command::Subscribe { reply, .. } => {
            let _ = reply.send(Err(why.to_owned()));
        }
        Command::Shutdown => {}
    }
}

fn handle(engine: &mut Engine, request: Request, who: &str) -> Result<Response, EngineError> {
    let max = engine.settings().max_file_bytes;
    let inputs = |paths: &[String]| {
        let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        read_inputs(&expand_paths(&paths), max)
    };
    Ok(match request {
        Request::Ingest { paths } => Response::Verdicts {
            verdicts: engine.ingest(&inputs(&paths), now_ms())?,
        },
        Request::Check { paths } => Response::Verdicts {
            verdicts: engine.check(&inputs(&paths))?,
        },
        Request::List { query } => Response::Records {
            records: engine.list(&query)?,
        },
        Request::Show { id } => Response::Detail {
            detail: Box::new(engine.show(id)?),
        },
        Request::Compare { id, other } => Response::Comparison {
            comparison: Box::new(engine.compare(id, other)?),
        },
        Request::Story { id } => Response::Records {
            records: engine.story(id)?,
        },
        Request::Stats => Response::Stats {
            stats: engine.stats()?,
        },
        Request::Triage { ids, action, note } => Response::Triaged {
            records: engine.triage(&ids, &action, note, who, now_ms())?,
        },
        Request::Subscribe { .. } => Response::Error {
            message: "subscribe through ServiceHandle::subscribe".into(),
        },
    })
}

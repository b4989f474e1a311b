//! The engine as a service: one thread owns the `Engine` (the single writer) and takes commands
//! from a channel: requests from clients, arrivals from the inbox, subscriptions. Events are
//! handed to followers through bounded channels with `try_send`, so a slow follower is dropped
//! (it reconnects and catches up by sequence number) and never blocks the engine. Between
//! commands it saves the index (`Engine::save_index`): when it has been idle a moment and the
//! last save is `snapshot_secs` old, when busy only once it is twice that old, and at shutdown.

use super::arrivals::Arrival;
use super::files::{expand_paths, now_ms, read_inputs_within, Reach};
use super::{Engine, EngineError};
use crate::model::{ArticleId, Event, Failure, Request, Response, Verdict};
use crate::worker::{Stop, Worker};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TrySendError};
use std::time::{Duration, Instant};

/// Events a follower may fall behind by before it is dropped.
pub(crate) const FOLLOWER_QUEUE: usize = 65_536;
/// Events replayed to a subscriber at most; older ones are gone from its view.
const MAX_BACKLOG: usize = 1_000_000;
/// Items one export page holds at most.
const EXPORT_PAGE_MAX: usize = 1_000;
/// No command for this long: the engine is idle, a good moment to save the index.
const IDLE: Duration = Duration::from_secs(1);

/// What became of each file handed in from the inbox.
pub(crate) type Arrivals = Vec<(PathBuf, Arrival)>;

/// A new follower: the latest sequence number, the backlog, and the live feed.
pub(crate) type Follow = (u64, Vec<Event>, Receiver<Event>);

enum Command {
    Request {
        request: Request,
        who: String,
        reach: Reach,
        reply: Sender<Result<Response, Failure>>,
        /// For an ingest: hears verdicts as they become durable, before the reply.
        progress: Option<Sender<Vec<Verdict>>>,
    },
    Subscribe {
        after: u64,
        reply: Sender<Result<Follow, Failure>>,
    },
    Arrivals {
        paths: Vec<PathBuf>,
        reply: Sender<Result<Arrivals, Failure>>,
    },
    /// The inbox moved an ingested article's file (after_ingest = "move").
    Moved {
        id: ArticleId,
        location: String,
        reply: Sender<Result<(), Failure>>,
    },
    Follow {
        queue: usize,
        reply: Sender<Result<(u64, Receiver<Event>), Failure>>,
    },
    Events {
        after: u64,
        limit: usize,
        reply: Sender<Result<Vec<Event>, Failure>>,
    },
    Shutdown,
}

/// Why a command to the engine thread has no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum ServiceError {
    /// The engine is gone (it stopped or panicked).
    #[error("the engine has stopped")]
    Gone,
    /// The engine refused the command.
    #[error(transparent)]
    Refused(#[from] Failure),
}

/// Sends a command built around a reply channel and waits for the answer.
fn ask<T>(
    tx: &Sender<Command>,
    command: impl FnOnce(Sender<Result<T, Failure>>) -> Command,
) -> Result<T, ServiceError> {
    let (reply, rx) = mpsc::channel();
    tx.send(command(reply)).map_err(|_| ServiceError::Gone)?;
    Ok(rx.recv().map_err(|_| ServiceError::Gone)??)
}

/// A cheap, cloneable way to talk to the engine thread.
#[derive(Clone)]
pub(crate) struct ServiceHandle {
    tx: Sender<Command>,
    /// Where the engine may open the files this handle's requests name.
    reach: Reach,
}

impl ServiceHandle {
    pub(crate) fn call(&self, request: Request, who: &str) -> Result<Response, ServiceError> {
        ask(&self.tx, |reply| Command::Request {
            request,
            who: who.to_owned(),
            reach: self.reach.clone(),
            reply,
            progress: None,
        })
    }

    /// `call`, and for an ingest, `on_verdicts` hears the verdicts as they become durable
    /// (every one of them, in order, before this returns the whole reply).
    pub(crate) fn call_streaming(
        &self,
        request: Request,
        who: &str,
        on_verdicts: &mut dyn FnMut(Vec<Verdict>),
    ) -> Result<Response, ServiceError> {
        let (progress, verdicts) = mpsc::channel();
        let (reply, rx) = mpsc::channel();
        self.tx
            .send(Command::Request {
                request,
                who: who.to_owned(),
                reply,
                reach: self.reach.clone(),
                progress: Some(progress),
            })
            .map_err(|_| ServiceError::Gone)?;
        // The engine drops its end when the command is done, before it replies.
        for v in verdicts {
            on_verdicts(v);
        }
        Ok(rx.recv().map_err(|_| ServiceError::Gone)??)
    }

    /// A handle whose requests may name only files within `reach` (the socket's clients).
    pub(crate) fn confined(&self, reach: Reach) -> ServiceHandle {
        ServiceHandle {
            tx: self.tx.clone(),
            reach,
        }
    }

    /// Events after `after` now, and a receiver of every later one. Returns the latest sequence
    /// number as well.
    pub(crate) fn subscribe(&self, after: u64) -> Result<Follow, ServiceError> {
        ask(&self.tx, |reply| Command::Subscribe { after, reply })
    }

    /// The latest sequence number, and a receiver of every later event; the receiver ends when
    /// it falls `queue` events behind (read the missed ones with [`ServiceHandle::events`]).
    pub(crate) fn follow(&self, queue: usize) -> Result<(u64, Receiver<Event>), ServiceError> {
        ask(&self.tx, |reply| Command::Follow { queue, reply })
    }

    /// Stored events after `after`, at most `limit` of them.
    pub(crate) fn events(&self, after: u64, limit: usize) -> Result<Vec<Event>, ServiceError> {
        ask(&self.tx, |reply| Command::Events {
            after,
            limit,
            reply,
        })
    }

    /// Ingests files from the inbox that were not ingested before.
    pub(crate) fn arrivals(&self, paths: Vec<PathBuf>) -> Result<Arrivals, ServiceError> {
        ask(&self.tx, |reply| Command::Arrivals { paths, reply })
    }

    /// Records where an article's file is now, after the inbox moved it.
    pub(crate) fn moved(&self, id: ArticleId, location: String) -> Result<(), ServiceError> {
        ask(&self.tx, |reply| Command::Moved {
            id,
            location,
            reply,
        })
    }
}

#[cfg(test)]
impl ServiceHandle {
    /// A handle to an engine that is always busy: it answers `follow` (with no events) and
    /// holds every other command unanswered, for tests of what must not wait on the engine.
    pub(crate) fn busy_for_tests() -> ServiceHandle {
        let (tx, rx) = mpsc::channel::<Command>();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            let mut feeds = Vec::new();
            for cmd in rx {
                match cmd {
                    Command::Follow { reply, .. } => {
                        let (feed, live) = mpsc::sync_channel(1);
                        feeds.push(feed);
                        let _ = reply.send(Ok((0, live)));
                    }
                    other => held.push(other),
                }
            }
        });
        ServiceHandle {
            tx,
            reach: Reach::Anywhere,
        }
    }
}

/// The running engine thread; stopped (after the command in hand) when dropped.
pub(crate) struct Service {
    handle: ServiceHandle,
    /// `None` when the thread could not start: every call then finds the engine gone.
    worker: Option<Worker>,
}

impl Service {
    pub(crate) fn start(engine: Engine) -> Service {
        Service::start_stoppable(engine, Stop::default())
    }

    /// `start`, with `stopping` abandoning the reading in hand once set (the daemon's stop
    /// request), so that a stop is not kept waiting by a slow file.
    pub(crate) fn start_stoppable(engine: Engine, stopping: Stop) -> Service {
        let (tx, rx) = mpsc::channel();
        let shutdown = tx.clone();
        let worker = Worker::spawn("engine", move |_| run(engine.stop_with(stopping), rx))
            .ok()
            .map(|w| {
                w.on_stop(move || {
                    let _ = shutdown.send(Command::Shutdown);
                })
            });
        Service {
            handle: ServiceHandle {
                tx,
                reach: Reach::Anywhere,
            },
            worker,
        }
    }

    pub(crate) fn handle(&self) -> ServiceHandle {
        self.handle.clone()
    }

    /// Finishes the command in hand, then stops; everything committed is durable.
    pub(crate) fn shutdown(mut self) {
        if let Some(w) = self.worker.as_mut() {
            w.stop();
        }
    }
}

fn run(engine: Engine, rx: Receiver<Command>) {
    let settings = engine.settings().clone();
    // A database reopened after a failure keeps the stop request.
    let stopping = engine.stopping();
    let mut engine = Some(engine);
    let mut followers: Vec<SyncSender<Event>> = Vec::new();
    let every = Duration::from_secs(settings.snapshot_secs);
    let mut saved_at = Instant::now();
    if let Some(e) = engine.as_mut().filter(|e| e.is_serving()) {
        // A daemon's first verdict should not wait for the index, and the search indexer
        // starts after it so that the two do not share the cores. A failure here is the
        // first command's to report, as it would be without this.
        if let Err(err) = e.load_index_now() {
            tracing::warn!("cannot load the index at start: {err}");
        }
        e.search();
    }
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
                Ok(e) => engine.insert(e.stop_with(stopping.clone())),
                Err(err) => {
                    refuse(cmd, err.failure());
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
        Ok(Some(covered)) => tracing::info!(
            "saved the index of {} articles (up to id {}) in {:.2} s",
            covered.slots,
            covered.last_id,
            saved_at.elapsed().as_secs_f64()
        ),
        Ok(None) => tracing::debug!("index snapshot up to date; not saved"),
        Err(err) => tracing::warn!("cannot save the index snapshot: {err}"),
    }
}

/// Carries out one command; true when the database failed underneath.
fn execute(e: &mut Engine, cmd: Command, followers: &mut Vec<SyncSender<Event>>) -> bool {
    match cmd {
        Command::Shutdown => false,
        Command::Request {
            request,
            who,
            reach,
            reply,
            progress,
        } => {
            let started = Instant::now();
            let result = handle(e, request, &who, &reach, progress);
            if let Ok(Response::Verdicts { verdicts }) = &result {
                log_verdicts(verdicts.iter(), started, &who);
            }
            let failed = result.as_ref().is_err_and(EngineError::is_storage_failure);
            let _ = reply.send(result.map_err(|err| err.failure()));
            failed
        }
        Command::Arrivals { paths, reply } => {
            let started = Instant::now();
            let r = e.ingest_arrivals(&paths, now_ms());
            if let Ok(arrivals) = &r {
                let verdicts = arrivals.iter().filter_map(|(_, a)| match a {
                    Arrival::Ingested(v) => Some(v),
                    Arrival::Already(_) | Arrival::Retry(_) | Arrival::Abandoned => None,
                });
                log_verdicts(verdicts, started, "inbox");
            }
            let failed = r.as_ref().is_err_and(EngineError::is_storage_failure);
            let _ = reply.send(r.map_err(|err| err.failure()));
            failed
        }
        Command::Moved {
            id,
            location,
            reply,
        } => {
            let r = e.moved(id, location);
            let failed = r.as_ref().is_err_and(EngineError::is_storage_failure);
            let _ = reply.send(r.map_err(|err| err.failure()));
            failed
        }
        Command::Follow { queue, reply } => {
            let (tx, rx) = mpsc::sync_channel(queue.max(1));
            followers.push(tx);
            let _ = reply.send(Ok((e.last_seq(), rx)));
            false
        }
        Command::Events {
            after,
            limit,
            reply,
        } => {
            let r = e
                .store()
                .events_after(after, limit)
                .map_err(|err| EngineError::from(err).failure());
            let _ = reply.send(r);
            false
        }
        Command::Subscribe { after, reply } => {
            let r = e
                .store()
                .events_after(after, MAX_BACKLOG)
                .map_err(|err| EngineError::from(err).failure());
            let _ = reply.send(r.map(|backlog| {
                let (tx, rx) = mpsc::sync_channel(FOLLOWER_QUEUE);
                followers.push(tx);
                (e.last_seq(), backlog, rx)
            }));
            false
        }
    }
}

/// One log line per file handled. Files go through the engine in batches whose stages overlap,
/// so a file's own time is not measured: each line carries its batch's size and time (a file
/// dropped alone in the inbox is a batch of one). Paths are untrusted: `?` quotes and escapes them.
fn log_verdicts<'a>(verdicts: impl Iterator<Item = &'a Verdict>, started: Instant, who: &str) {
    let ms = started.elapsed().as_millis() as u64;
    let verdicts: Vec<&Verdict> = verdicts.collect();
    let batch = verdicts.len();
    for v in verdicts {
        let matched = v.matched.as_ref().map(|m| m.id);
        // A check stores nothing: worth a line only when debugging.
        match v.id {
            Some(id) => tracing::info!(
                verdict = %v.status.as_str(), id, matched, file = ?v.file, batch, batch_ms = ms,
                by = ?who, "ingested"
            ),
            None => tracing::debug!(
                verdict = %v.status.as_str(), matched, file = ?v.file, batch, batch_ms = ms,
                by = ?who, "checked"
            ),
        }
    }
}

/// Answers a command when the database cannot be opened.
fn refuse(cmd: Command, why: Failure) {
    match cmd {
        Command::Request { reply, .. } => {
            let _ = reply.send(Err(why));
        }
        Command::Arrivals { reply, .. } => {
            let _ = reply.send(Err(why));
        }
        Command::Moved { reply, .. } => {
            let _ = reply.send(Err(why));
        }
        Command::Subscribe { reply, .. } => {
            let _ = reply.send(Err(why));
        }
        Command::Follow { reply, .. } => {
            let _ = reply.send(Err(why));
        }
        Command::Events { reply, .. } => {
            let _ = reply.send(Err(why));
        }
        Command::Shutdown => {}
    }
}

fn handle(
    engine: &mut Engine,
    request: Request,
    who: &str,
    reach: &Reach,
    progress: Option<Sender<Vec<Verdict>>>,
) -> Result<Response, EngineError> {
    let max = engine.settings().max_file_bytes;
    // Every path named is checked before any is read, so a refused request reads nothing.
    let inputs = |paths: &[String]| {
        let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        if let Some(why) = paths.iter().find_map(|p| reach.refuse(p)) {
            return Err(EngineError::OutsideInbox(why));
        }
        Ok(read_inputs_within(&expand_paths(&paths), max, reach))
    };
    Ok(match request {
        Request::Ingest { paths } => {
            let mut tell = |v: &[Verdict]| {
                if let Some(p) = &progress {
                    let _ = p.send(v.to_vec());
                }
            };
            Response::Verdicts {
                verdicts: engine.ingest_once(inputs(&paths)?, now_ms(), &mut tell)?,
            }
        }
        Request::Article {
            name,
            bytes,
            ingest: true,
        } => {
            let mut tell = |v: &[Verdict]| {
                if let Some(p) = &progress {
                    let _ = p.send(v.to_vec());
                }
            };
            let input = super::files::input_from(&name, bytes);
            Response::Verdicts {
                verdicts: engine.ingest_once(vec![input], now_ms(), &mut tell)?,
            }
        }
        Request::Article { name, bytes, .. } => Response::Verdicts {
            verdicts: engine.check(&[super::files::input_from(&name, bytes)])?,
        },
        Request::Check { paths } => Response::Verdicts {
            verdicts: engine.check(&inputs(&paths)?)?,
        },
        Request::List { query } => {
            let (records, capped_at) = engine.list(&query)?;
            Response::Records { records, capped_at }
        }
        Request::Show { id } => Response::Detail {
            detail: Box::new(engine.show(id)?),
        },
        Request::ShowFile { file } => Response::Detail {
            detail: Box::new(engine.show_file(&file)?),
        },
        Request::Compare { id, other } => Response::Comparison {
            comparison: Box::new(engine.compare(id, other)?),
        },
        Request::Story { id } => Response::Records {
            records: engine.story(id)?,
            capped_at: None,
        },
        Request::Stats => Response::Stats {
            stats: engine.stats()?,
        },
        Request::Triage {
            ids,
            action,
            note,
            before,
        } => Response::Triaged {
            records: engine.triage(&ids, &action, note, before.as_deref(), who, now_ms())?,
        },
        Request::Export { part, after, limit } => {
            use crate::model::export::ExportPart;
            // A page is bounded whatever the client asks, so one request costs little.
            let limit = limit.clamp(1, EXPORT_PAGE_MAX);
            Response::Exported {
                page: Box::new(match part {
                    ExportPart::Articles => engine.store().export_articles(after, limit),
                    ExportPart::Triage => engine.store().export_triage(after, limit),
                }),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::model::FailureKind;
    use crate::store::StoreError;

    #[test]
    fn refusals_reach_callers_typed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let settings = Settings {
            db: dir.path().join("db"),
            ..Settings::default()
        };
        let service = Service::start(Engine::open(settings).expect("open"));
        let h = service.handle();
        match h.call(Request::Show { id: 7 }, "ed") {
            Err(ServiceError::Refused(f)) => {
                assert_eq!(f.kind, FailureKind::NoSuchArticle);
                assert_eq!(f.message, "no article with id 7");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        let locked = EngineError::Store(StoreError::Locked("db".into())).failure();
        assert_eq!(locked.kind, FailureKind::Unavailable);
        service.shutdown();
        assert_eq!(h.call(Request::Stats, "ed"), Err(ServiceError::Gone));
    }

    #[test]
    fn a_serving_engine_loads_its_index_at_start_without_being_asked() {
        let dir = tempfile::tempdir().expect("temp dir");
        let settings = Settings {
            db: dir.path().join("db"),
            snapshot_min_articles: 1,
            search_index: false,
            ..Settings::default()
        };
        let mut engine = Engine::open(settings.clone()).expect("open");
        let inputs: Vec<_> = (0..3)
            .map(|i| {
                crate::engine::files::input_from(
                    &format!("a/{i}.txt"),
                    format!("Story {i}\n\nThe council met on day {i} to talk about the harbour and the budget.\n")
                        .into_bytes(),
                )
            })
            .collect();
        engine.ingest(&inputs, 1).expect("ingested");
        drop(engine);
        let snapshot = crate::engine::snapshot::path(&settings.db);

        // Asked nothing, an engine that is not serving never loads its index, so there is
        // nothing to save when it stops.
        let service = Service::start(Engine::open(settings.clone()).expect("open"));
        service.shutdown();
        assert!(!snapshot.exists());

        // A serving one loads it first thing (its index is then saved at shutdown).
        let prefetch = crate::engine::snapshot::Prefetch::start(&settings);
        let engine = Engine::open(settings.clone())
            .expect("open")
            .serving(prefetch);
        let service = Service::start(engine);
        service.shutdown();
        assert!(snapshot.exists(), "the index was loaded and saved");
    }
}

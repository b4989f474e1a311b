//! The feed thread: connects to the daemon's socket (starting `copydesk serve` in the background
//! when none answers: the dashboard is always a client, and quitting it never stops the engine),
//! answers the app's requests one at a time (collapsing bursts), follows the event log, and
//! reconnects every second when the daemon goes away (starting it again if it died), catching up
//! from the last event sequence seen. Must not draw or hold UI state.

use super::{execute, unexpected, FeedMsg, FeedRequest, ToUi, RETRY};
use crate::client::{Client, ClientError, Remote};
use crate::config::Settings;
use crate::daemon::launch::{self, Launched};
use crate::daemon::runtime::LOCK_WAIT;
use crate::model::{Request, Response};
use crate::tui::watchdog::Watchdog;
use crate::worker as thread;
use anyhow::Result;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Whether an error means the connection itself is gone (as opposed to a refused request).
fn is_disconnect(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<ClientError>()
            .is_some_and(ClientError::is_disconnect)
    })
}

enum Cmd {
    Request(FeedRequest),
    /// The event feed of connection number `.0` ended.
    EventsClosed(u64),
    Shutdown,
}

/// The running feed thread.
pub struct Feed {
    tx: Sender<Cmd>,
    thread: thread::Worker,
}

/// How long quitting waits for a feed that is stuck on a daemon that does not answer.
const STOP_WAIT: Duration = Duration::from_secs(3);

impl Feed {
    /// Starts the feed thread; it connects on its own and says `Connected` when it has.
    pub fn start(settings: Settings, ui: ToUi) -> Result<Feed> {
        let (tx, rx) = mpsc::channel();
        let (own, shutdown) = (tx.clone(), tx.clone());
        let thread = thread::Worker::spawn("dashboard-feed", move |_| {
            Worker::new(settings, ui, own).run(&rx);
        })?
        .on_stop(move || {
            let _ = shutdown.send(Cmd::Shutdown);
        });
        Ok(Feed { tx, thread })
    }

    pub fn send(&self, request: FeedRequest) {
        let _ = self.tx.send(Cmd::Request(request));
    }

    /// Stops the feed; the daemon, whoever started it, keeps running for the other clients. A
    /// feed stuck waiting on a daemon is left behind after a short wait: the process is ending.
    pub(crate) fn stop(&mut self) {
        self.thread.stop_within(STOP_WAIT);
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Worker {
    settings: Settings,
    ui: ToUi,
    own: Sender<Cmd>,
    client: Option<Client>,
    /// The daemon this dashboard started in the background, while it is worth watching.
    launched: Option<Launched>,
    /// Set once connected: after an outage the feed catches up from `last_seq`.
    connected_once: bool,
    last_seq: Arc<AtomicU64>,
    watchdog: Watchdog,
    /// Numbers connections, so the event thread of an old one neither forwards nor closes.
    conn: Arc<AtomicU64>,
    next_try: Instant,
    /// What the app was last told about the outage: said once, not once per retry.
    lost_said: Option<String>,
}

/// How long the dashboard waits for the daemon it started to open its socket before saying so
/// plainly: the daemon itself may wait `LOCK_WAIT` for a one-off command holding the database.
const SOCKET_WAIT: Duration = LOCK_WAIT.saturating_add(Duration::from_secs(30));
/// A daemon that stopped with an error is started again no sooner than this.
const RESTART_GAP: Duration = Duration::from_secs(10);

impl Worker {
    fn new(settings: Settings, ui: ToUi, own: Sender<Cmd>) -> Worker {
        Worker {
            settings,
            watchdog: Watchdog::start(ui.clone()),
            ui,
            own,
            client: None,
            launched: None,
            connected_once: false,
            last_seq: Arc::new(AtomicU64::new(0)),
            conn: Arc::new(AtomicU64::new(0)),
            next_try: Instant::now(),
            lost_said: None,
        }
    }

    fn run(mut self, rx: &Receiver<Cmd>) {
        loop {
            if self.client.is_none() && Instant::now() >= self.next_try {
                if let Err(e) = self.connect() {
                    self.next_try = Instant::now() + RETRY;
                    self.lost(format!("{e:#}"));
                }
            }
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(Cmd::Shutdown) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(Cmd::EventsClosed(n)) => self.events_closed(n),
                Ok(Cmd::Request(first)) => {
                    let mut batch = vec![first];
                    let mut stop = false;
                    while let Ok(cmd) = rx.try_recv() {
                        match cmd {
                            Cmd::Request(r) => batch.push(r),
                            Cmd::EventsClosed(n) => self.events_closed(n),
                            Cmd::Shutdown => stop = true,
                        }
                    }
                    for request in collapse(batch) {
                        self.serve(request);
                    }
                    if stop {
                        break;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
        // The daemon, started here or not, stays: other clients and the inbox need it.
        self.client = None;
    }

    fn serve(&mut self, request: FeedRequest) {
        let request = Box::new(request);
        let Some(client) = self.client.as_mut() else {
            let _ = self.ui.send(FeedMsg::Failed {
                request,
                message: "not connected to the engine; reconnecting".into(),
            });
            return;
        };
        self.watchdog.begin(describe(&request));
        let result = execute(client, (*request).clone());
        self.watchdog.end();
        match result {
            Ok(msg) => {
                let _ = self.ui.send(msg);
            }
            Err(e) => {
                let disconnect = is_disconnect(&e);
                let _ = self.ui.send(FeedMsg::Failed {
                    message: format!("{}: {e:#}", describe(&request)),
                    request,
                });
                if disconnect {
                    self.drop_connection(format!("{e:#}"));
                }
            }
        }
    }

    fn events_closed(&mut self, n: u64) {
        if n == self.conn.load(Ordering::SeqCst) {
            self.drop_connection("the event feed closed".into());
        }
    }

    fn drop_connection(&mut self, reason: String) {
        self.conn.fetch_add(1, Ordering::SeqCst);
        if self.client.take().is_some() {
            self.lost_said = None;
            self.lost(reason);
        }
        self.next_try = Instant::now() + RETRY;
    }

    fn lost(&mut self, reason: String) {
        // Said once per outage and reason, not once per retry.
        if self.lost_said.as_deref() != Some(reason.as_str()) {
            self.lost_said = Some(reason.clone());
            let _ = self.ui.send(FeedMsg::Lost { reason });
        }
    }

    /// When no daemon answers: starts one in the background, or says how the one started here
    /// is doing. Always an error (the reason the feed is not connected yet); the next retry
    /// finds the socket once the daemon listens.
    fn start_daemon(&mut self) -> anyhow::Error {
        if let Some(launched) = self.launched.as_mut() {
            match launched.exited() {
                None if launched.age() < SOCKET_WAIT => {
                    return anyhow::anyhow!(
                        "starting the engine in the background (pid {}, log '{}')",
                        launched.pid(),
                        launched.log().display()
                    )
                }
                None => {
                    return anyhow::anyhow!(
                        "the engine started in the background (pid {}) has not opened its socket '{}' after {} s; see its log '{}'",
                        launched.pid(),
                        self.settings.socket_path().display(),
                        SOCKET_WAIT.as_secs(),
                        launched.log().display()
                    )
                }
                // It gave way to another daemon (whose socket answers on the next try), or was
                // stopped on purpose: look again, and start one if none answers then.
                Some(status) if status.success() => {
                    self.launched = None;
                    return anyhow::anyhow!(
                        "the engine started in the background has left; looking for the daemon again"
                    );
                }
                Some(status) if launched.age() < RESTART_GAP => {
                    let why = launched.last_words().unwrap_or_default();
                    return anyhow::anyhow!(
                        "the engine started in the background stopped ({status}): {why} (log '{}'); starting it again shortly",
                        launched.log().display()
                    );
                }
                Some(_) => {}
            }
        }
        match launch::launch(&self.settings) {
            Ok(launched) => {
                let said = anyhow::anyhow!(
                    "starting the engine in the background (pid {}, log '{}')",
                    launched.pid(),
                    launched.log().display()
                );
                self.launched = Some(launched);
                said
            }
            Err(e) => e.context("no daemon serves the database, and starting one failed"),
        }
    }

    /// Attaches to the daemon, starting it in the background when none answers.
    fn connect(&mut self) -> Result<()> {
        let Some(remote) = Remote::try_connect(&self.settings.socket_path())? else {
            return Err(self.start_daemon());
        };
        let inbox = remote.inbox().to_owned();
        let you = remote.you().to_owned();
        let mut client = Client::Remote(remote);
        let mode = client.mode();
        // The first time, follow from now (the list is fetched fresh); after an outage, from the
        // last event seen, so nothing is missed.
        let after = if self.connected_once {
            self.last_seq.load(Ordering::SeqCst)
        } else {
            match client.call(Request::Stats)? {
                Response::Stats { stats } => stats.last_seq,
                other => return Err(unexpected(&other)),
            }
        };
        self.last_seq.fetch_max(after, Ordering::SeqCst);
        let sub = client.subscribe(after)?;
        let n = self.conn.fetch_add(1, Ordering::SeqCst) + 1;
        let (ui, own) = (self.ui.clone(), self.own.clone());
        let (seen, current) = (self.last_seq.clone(), self.conn.clone());
        std::thread::Builder::new()
            .name("dashboard-events".into())
            .spawn(move || {
                for e in sub.events {
                    if current.load(Ordering::SeqCst) != n {
                        return;
                    }
                    seen.fetch_max(e.seq, Ordering::SeqCst);
                    if !ui.send(FeedMsg::Event(e)) {
                        return;
                    }
                }
                let _ = own.send(Cmd::EventsClosed(n));
            })?;
        self.connected_once = true;
        self.client = Some(client);
        self.lost_said = None;
        let _ = self.ui.send(FeedMsg::Connected { mode, inbox, you });
        Ok(())
    }
}

/// Keeps the order of requests but only the latest of each slot.
fn collapse(batch: Vec<FeedRequest>) -> Vec<FeedRequest> {
    let mut out: Vec<FeedRequest> = Vec::with_capacity(batch.len());
    for r in batch.into_iter().rev() {
        let superseded = r
            .slot()
            .is_some_and(|s| out.iter().any(|o| o.slot() == Some(s)));
        if !superseded {
            out.push(r);
        }
    }
    out.reverse();
    out
}

fn describe(r: &FeedRequest) -> String {
    match r {
        FeedRequest::Page { .. } => "listing".into(),
        FeedRequest::Arrivals { .. } => "new arrivals".into(),
        FeedRequest::Show { id } => format!("article #{id}"),
        FeedRequest::Compare { id, other } => format!("compare #{id} with #{other}"),
        FeedRequest::Story { id } => format!("story of #{id}"),
        FeedRequest::Stats => "counts".into(),
        FeedRequest::Triage {
            action, ids, undo, ..
        } => {
            let undoing = if *undo { "undo: " } else { "" };
            format!("{undoing}{} on {} article(s)", action, ids.len())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ListQuery, TriageAction, TriageState};
    use crate::tui::feed::PageKind;

    #[test]
    fn bursts_collapse_to_the_latest_of_each_kind_in_order() {
        let page = |gen| FeedRequest::Page {
            gen,
            kind: PageKind::Top,
            query: ListQuery::default(),
        };
        let triage = FeedRequest::Triage {
            ids: vec![1],
            action: TriageAction::Spiked,
            before: vec![TriageState::New],
            note: None,
            undo: false,
        };
        let out = collapse(vec![
            page(1),
            FeedRequest::Show { id: 1 },
            triage.clone(),
            page(2),
            FeedRequest::Show { id: 2 },
            triage.clone(),
        ]);
        assert_eq!(
            out,
            vec![triage.clone(), page(2), FeedRequest::Show { id: 2 }, triage]
        );
    }
}

//! The feed thread: connects (the daemon's socket, else an engine, inbox watcher and socket
//! server started in this process), answers the app's requests one at a time (collapsing bursts),
//! follows the event log, and reconnects every second when the daemon goes away, catching up from
//! the last event sequence seen. Must not draw or hold UI state.

use super::{execute, unexpected, FeedMsg, FeedRequest, ToUi, RETRY};
use crate::client::{current_user, Client, ClientError, Mode, Remote};
use crate::config::Settings;
use crate::daemon::runtime::Runtime;
use crate::model::{Request, Response};
use crate::tui::watchdog::Watchdog;
use crate::worker as thread;
use anyhow::{anyhow, Result};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    /// Set while the worker runs an engine of its own, which must stop in full before exit.
    owns_engine: Arc<AtomicBool>,
}

/// How long quitting waits for a feed that is stuck on a daemon that does not answer.
const STOP_WAIT: Duration = Duration::from_secs(3);

impl Feed {
    /// Starts the feed thread; it connects on its own and says `Connected` when it has.
    pub fn start(settings: Settings, ui: ToUi) -> Result<Feed> {
        let (tx, rx) = mpsc::channel();
        let owns_engine = Arc::new(AtomicBool::new(false));
        let (own, shutdown) = (tx.clone(), tx.clone());
        let owns = owns_engine.clone();
        let thread = thread::Worker::spawn("dashboard-feed", move |_| {
            Worker::new(settings, ui, own, owns).run(&rx);
        })?
        .on_stop(move || {
            let _ = shutdown.send(Cmd::Shutdown);
        });
        Ok(Feed {
            tx,
            thread,
            owns_engine,
        })
    }

    pub fn send(&self, request: FeedRequest) {
        let _ = self.tx.send(Cmd::Request(request));
    }

    /// Stops the feed and, when it started one, the in-process engine (durably, in order). A
    /// feed stuck waiting on a daemon is left behind after a short wait: the process is ending.
    pub(crate) fn stop(&mut self) {
        if self.owns_engine.load(Ordering::SeqCst) {
            self.thread.stop();
        } else {
            self.thread.stop_within(STOP_WAIT);
        }
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
    runtime: Option<Runtime>,
    /// Set once the first connection chose a transport; a lost daemon is only ever replaced by
    /// the daemon again (starting an engine here would lock it out of its database).
    mode: Option<Mode>,
    last_seq: Arc<AtomicU64>,
    owns_engine: Arc<AtomicBool>,
    watchdog: Watchdog,
    /// Numbers connections, so the event thread of an old one neither forwards nor closes.
    conn: Arc<AtomicU64>,
    next_try: Instant,
    lost_said: bool,
}

impl Worker {
    fn new(settings: Settings, ui: ToUi, own: Sender<Cmd>, owns_engine: Arc<AtomicBool>) -> Worker {
        Worker {
            settings,
            watchdog: Watchdog::start(ui.clone()),
            owns_engine,
            ui,
            own,
            client: None,
            runtime: None,
            mode: None,
            last_seq: Arc::new(AtomicU64::new(0)),
            conn: Arc::new(AtomicU64::new(0)),
            next_try: Instant::now(),
            lost_said: false,
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
            self.forward_reports();
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
        self.client = None;
        if let Some(mut runtime) = self.runtime.take() {
            runtime.stop();
        }
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
            self.lost_said = false;
            self.lost(reason);
        }
        self.next_try = Instant::now() + RETRY;
    }

    fn lost(&mut self, reason: String) {
        // Said once per outage, not once per retry.
        if !self.lost_said {
            self.lost_said = true;
            let _ = self.ui.send(FeedMsg::Lost { reason });
        }
    }

    fn forward_reports(&mut self) {
        if let Some(rt) = &self.runtime {
            while let Ok(r) = rt.reports.try_recv() {
                let _ = self.ui.send(FeedMsg::Report(r));
            }
        }
    }

    /// Attaches to the daemon, or (the first time, when none answers) starts the engine here.
    fn connect(&mut self) -> Result<()> {
        let socket = self.settings.socket_path();
        // Once an engine runs here, it is the one to use; its own socket would only echo it.
        let remote = match self.runtime {
            Some(_) => None,
            None => Remote::try_connect(&socket)?,
        };
        let (mut client, inbox, you) = match remote {
            Some(remote) => {
                let inbox = remote.inbox().to_owned();
                let you = remote.you().to_owned();
                (Client::Remote(remote), inbox, you)
            }
            None if self.mode == Some(Mode::Daemon) => {
                anyhow::bail!(
                    "the daemon at '{}' is gone; trying again every second",
                    socket.display()
                )
            }
            None => {
                if self.runtime.is_none() {
                    self.runtime = Some(Runtime::start(&self.settings)?);
                    self.owns_engine.store(true, Ordering::SeqCst);
                }
                let handle = self
                    .runtime
                    .as_ref()
                    .and_then(Runtime::handle)
                    .ok_or_else(|| anyhow!("the engine started in this process has stopped"))?;
                let inbox = self.settings.inbox.display().to_string();
                (Client::local(handle), inbox, current_user())
            }
        };
        let mode = client.mode();
        // The first time, follow from now (the list is fetched fresh); after an outage, from the
        // last event seen, so nothing is missed.
        let after = match self.mode {
            None => match client.call(Request::Stats)? {
                Response::Stats { stats } => stats.last_seq,
                other => return Err(unexpected(&other)),
            },
            Some(_) => self.last_seq.load(Ordering::SeqCst),
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
        self.mode = Some(mode);
        self.client = Some(client);
        self.lost_said = false;
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
        FeedRequest::Triage { action, ids, .. } => {
            format!("{} on {} article(s)", action, ids.len())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ListQuery, TriageAction};
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

//! Watches the request the feed has in hand: when the engine has not answered it for a while (a
//! long scan of a large database, a daemon that stopped answering), the editor is told instead
//! of being left guessing. Must not touch the request or the connection.

use super::feed::{FeedMsg, ToUi};
use crate::worker::Worker;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long an answer may take before the editor is told.
pub(crate) const SLOW: Duration = Duration::from_secs(3);

#[derive(Default)]
struct InHand {
    since: Option<Instant>,
    what: String,
    said: bool,
}

/// The watching thread; stopped when dropped.
pub(crate) struct Watchdog {
    in_hand: Arc<Mutex<InHand>>,
    /// `None` when the thread could not start: the editor is then not told of slow answers.
    _thread: Option<Worker>,
}

impl Watchdog {
    pub(crate) fn start(ui: ToUi) -> Watchdog {
        let in_hand = Arc::new(Mutex::new(InHand::default()));
        let state = in_hand.clone();
        let thread = Worker::spawn("dashboard-watchdog", move |stop| {
            while !stop.is_set() {
                std::thread::sleep(Duration::from_millis(250));
                let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
                let Some(since) = s.since else { continue };
                if !s.said && since.elapsed() >= SLOW {
                    s.said = true;
                    ui.send(FeedMsg::Waiting {
                        what: s.what.clone(),
                        secs: since.elapsed().as_secs(),
                    });
                }
            }
        })
        .ok();
        Watchdog {
            in_hand,
            _thread: thread,
        }
    }

    pub(crate) fn begin(&self, what: String) {
        let mut s = self.in_hand.lock().unwrap_or_else(PoisonError::into_inner);
        *s = InHand {
            since: Some(Instant::now()),
            what,
            said: false,
        };
    }

    pub(crate) fn end(&self) {
        let mut s = self.in_hand.lock().unwrap_or_else(PoisonError::into_inner);
        s.since = None;
    }
}

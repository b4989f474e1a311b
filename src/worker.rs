//! One way to run a background thread: the thread gets a stop flag; its owner stops it (the flag,
//! then an optional wake-up for a thread blocked on a channel) and joins it, when asked or when
//! dropped. The engine's service, the socket server, the inbox watcher and the dashboard's threads
//! all run this way. Knows nothing of what the threads do.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A thread's stop flag: set by its owner (or by the thread itself, to end on its own).
#[derive(Debug, Clone, Default)]
pub(crate) struct Stop(Arc<AtomicBool>);

impl Stop {
    pub(crate) fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    pub(crate) fn set(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A running thread, stopped and joined on drop.
pub(crate) struct Worker {
    stop: Stop,
    /// Called after the flag is set, for a thread that waits on something other than the flag.
    wake: Option<Box<dyn Fn() + Send>>,
    /// Closed when the thread's body has returned (or panicked).
    done: Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts `body` on a thread named `name`, with the flag it must watch.
    pub(crate) fn spawn(
        name: &str,
        body: impl FnOnce(Stop) + Send + 'static,
    ) -> std::io::Result<Worker> {
        let stop = Stop::default();
        let flag = stop.clone();
        let (finished, done) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                // Dropped when the body returns or unwinds: `done` then says it has ended.
                let _finished: Sender<()> = finished;
                body(flag);
            })?;
        Ok(Worker {
            stop,
            wake: None,
            done,
            thread: Some(thread),
        })
    }

    /// Also calls `wake` when stopping: for a body that blocks on a channel, say, rather than
    /// looking at its flag.
    pub(crate) fn on_stop(mut self, wake: impl Fn() + Send + 'static) -> Worker {
        self.wake = Some(Box::new(wake));
        self
    }

    #[cfg(test)]
    /// Whether the body has returned.
    pub(crate) fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Asks the thread to stop and waits until it has. Safe to call twice.
    pub(crate) fn stop(&mut self) {
        self.signal();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Asks the thread to stop and waits at most `wait` for it; a thread still busy then is left
    /// to end on its own (the process is ending). True when it ended.
    pub(crate) fn stop_within(&mut self, wait: Duration) -> bool {
        self.signal();
        let Some(t) = self.thread.take() else {
            return true;
        };
        match self.done.recv_timeout(wait) {
            Err(mpsc::RecvTimeoutError::Timeout) => false,
            _ => {
                let _ = t.join();
                true
            }
        }
    }

    fn signal(&self) {
        self.stop.set();
        if let Some(wake) = &self.wake {
            wake();
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_is_stopped_and_joined_by_its_flag_or_its_wake_up() {
        let (tx, rx) = mpsc::channel::<u32>();
        let mut w = Worker::spawn("test-flag", move |stop| {
            while !stop.is_set() {
                std::thread::sleep(Duration::from_millis(1));
            }
            let _ = tx.send(1);
        })
        .expect("spawns");
        w.stop();
        assert_eq!(
            rx.try_recv(),
            Ok(1),
            "the body ran to its end before stop returned"
        );
        assert!(w.is_finished());

        // A body blocked on a channel is woken by what `on_stop` sends.
        let (tx, rx) = mpsc::channel::<()>();
        let wake = tx.clone();
        let w = Worker::spawn("test-wake", move |_| {
            let _ = rx.recv();
        })
        .expect("spawns")
        .on_stop(move || {
            let _ = wake.send(());
        });
        drop(w); // joins: would hang if the wake-up were not sent
        drop(tx);
    }

    #[test]
    fn stop_within_leaves_a_stuck_body_behind() {
        let (release, stuck) = mpsc::channel::<()>();
        let mut w = Worker::spawn("test-stuck", move |_| {
            let _ = stuck.recv();
        })
        .expect("spawns");
        assert!(!w.stop_within(Duration::from_millis(10)));
        release.send(()).expect("the body still waits");
        // Left behind: dropping the worker does not wait for it.
        drop(w);

        let mut w = Worker::spawn("test-quick", |_| {}).expect("spawns");
        assert!(w.stop_within(Duration::from_secs(60)));
    }
}

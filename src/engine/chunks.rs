//! The files of one ingest call, in chunks shared by the preparer threads and the deciding
//! thread (`Chunks`): who prepares which chunk, and handing them to the deciding thread in
//! order. Prepares through `pipeline::Preparing`; decides nothing.

use super::pipeline::{PreparedFile, Preparing};
use super::pipeline_times::{timed, ThreadClock, ThreadTimes};
use super::Input;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// The chunks of one ingest call's files, shared by the preparer threads and the deciding
/// thread. Each chunk is claimed once, in order, by whoever is free: a preparer, up to
/// `ahead` chunks past the one the deciding thread needs (so that the preparers keep pace with
/// deciding rather than race ahead and leave it alone on a core at the end), or the deciding
/// thread itself when the chunk it needs is not ready, which then prepares the next unclaimed
/// chunk rather than wait. So no core idles while there is a file to prepare, and a core does
/// not go to preparing far ahead while deciding, the serial stage, waits for one.
pub(super) struct Chunks<'i> {
    inputs: &'i [Input],
    size: usize,
    count: usize,
    ahead: usize,
    state: Mutex<ChunkState>,
    changed: Condvar,
}

struct ChunkState {
    /// The first chunk nobody has claimed.
    next: usize,
    /// The chunk the deciding thread needs next.
    wanted: usize,
    /// Prepared chunks not yet taken, by index.
    ready: Vec<Option<Vec<PreparedFile>>>,
    /// Set when the deciding thread stops taking chunks (the call ended or failed) or a
    /// preparer died: nothing more is claimed.
    closed: bool,
}

impl<'i> Chunks<'i> {
    pub(super) fn new(inputs: &'i [Input], size: usize, ahead: usize) -> Chunks<'i> {
        let size = size.max(1);
        let count = inputs.len().div_ceil(size);
        Chunks {
            inputs,
            size,
            count,
            ahead: ahead.max(1),
            state: Mutex::new(ChunkState {
                next: 0,
                wanted: 0,
                ready: (0..count).map(|_| None).collect(),
                closed: false,
            }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ChunkState> {
        // A preparer that panicked while holding the lock left the state whole (every update
        // is a single assignment), so it is used as it is.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'g>(&self, state: MutexGuard<'g, ChunkState>) -> MutexGuard<'g, ChunkState> {
        self.changed.wait(state).unwrap_or_else(|e| e.into_inner())
    }

    fn files(&self, k: usize) -> &'i [Input] {
        let start = k * self.size;
        &self.inputs[start..(start + self.size).min(self.inputs.len())]
    }

    fn put(&self, k: usize, prepared: Vec<PreparedFile>) {
        self.lock().ready[k] = Some(prepared);
        self.changed.notify_all();
    }

    /// Nothing more is claimed; waiting threads return.
    pub(super) fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_all();
    }

    /// A preparer thread's work: claims and prepares chunks until none is left or the call
    /// ends. When measuring, returns the thread's times and how long it waited for the
    /// deciding thread to catch up.
    pub(super) fn prepare(&self, stage: &Preparing) -> Option<(ThreadTimes, Duration)> {
        let clock = ThreadClock::start(stage.measuring);
        let mut blocked = Duration::ZERO;
        // Should this thread die, the deciding thread must not wait for its chunk forever.
        let _close = CloseOnPanic(self);
        loop {
            let mut s = self.lock();
            let k = loop {
                if s.closed || s.next >= self.count {
                    break None;
                }
                if s.next < s.wanted + self.ahead {
                    s.next += 1;
                    break Some(s.next - 1);
                }
                s = timed(stage.measuring, &mut blocked, || self.wait(s));
            };
            drop(s);
            let Some(k) = k else { break };
            self.put(k, stage.chunk(self.files(k)));
        }
        clock.map(|c| (c.stop(), blocked))
    }

    /// Chunk `k`, for the deciding thread, in order: taken when ready; when not, the first
    /// unclaimed chunk is prepared here meanwhile; `None` once closed (a preparer died).
    /// `waited` gains the time spent waiting when there was nothing left to prepare.
    pub(super) fn take(
        &self,
        k: usize,
        stage: &Preparing,
        waited: &mut Duration,
    ) -> Option<Vec<PreparedFile>> {
        if k >= self.count {
            return None;
        }
        let mut s = self.lock();
        loop {
            if let Some(prepared) = s.ready[k].take() {
                s.wanted = k + 1;
                drop(s);
                // Room for the preparers to claim one more.
                self.changed.notify_all();
                return Some(prepared);
            }
            if s.closed {
                return None;
            }
            if s.next < self.count && s.next < s.wanted + self.ahead {
                drop(s);
                self.prepare_one(stage);
                s = self.lock();
                continue;
            }
            s = timed(stage.measuring, waited, || self.wait(s));
        }
    }
}

impl Chunks<'_> {
    /// Claims the first unclaimed chunk, if any within `ahead` of the one the deciding thread
    /// needs, and prepares it on this thread: what the deciding thread does rather than wait.
    /// False when there is none (so a writer stalled for long does not leave the whole batch
    /// prepared in memory).
    pub(super) fn prepare_one(&self, stage: &Preparing) -> bool {
        let k = {
            let mut s = self.lock();
            if s.closed || s.next >= self.count || s.next >= s.wanted + self.ahead {
                return false;
            }
            s.next += 1;
            s.next - 1
        };
        let prepared = stage.chunk(self.files(k));
        self.lock().ready[k] = Some(prepared);
        true
    }
}

/// Closes the chunks when dropped while its thread panics.
struct CloseOnPanic<'c, 'i>(&'c Chunks<'i>);

impl Drop for CloseOnPanic<'_, '_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.close();
        }
    }
}

/// Closes the chunks when dropped: the deciding thread's guard, so that the preparers stop
/// however the call ends.
pub(super) struct CloseOnDrop<'c, 'i>(pub(super) &'c Chunks<'i>);

impl Drop for CloseOnDrop<'_, '_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

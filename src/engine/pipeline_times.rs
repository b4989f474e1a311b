//! Where each thread of the ingest pipeline spends its time (`StageTimes`), measured only when a
//! benchmark asks (`Engine::measure_ingest`): on a core, waiting for one, and blocked, and on
//! what. Measures; decides nothing.

use std::time::{Duration, Instant};

/// Where each stage of the ingests since `Engine::measure_ingest` spent its time, summed over
/// the calls, for the benchmarks (hidden from the docs): each thread's time on a core and
/// waiting for one (the kernel's per-thread `schedstat`, Linux only; zero elsewhere), the rest
/// of its time blocked, and what it was blocked on. Measuring costs a few reads of `/proc` per
/// thread and call, so it is off unless asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct StageTimes {
    /// Ingest calls measured, and their wall time.
    pub calls: u64,
    pub wall: Duration,
    /// The deciding thread (the caller's).
    pub deciding: ThreadTimes,
    /// Of which: waiting for the next prepared chunk (the first chunk included).
    pub deciding_on_preparers: Duration,
    /// Of which: waiting for room in the writer's queue.
    pub deciding_on_writer: Duration,
    /// Of which: from handing the last chunk to the writer to the call's return (the last
    /// writes and the sync).
    pub deciding_on_drain: Duration,
    /// Of its time: reading candidates' records from the store (those not in memory), and how
    /// many it read.
    pub deciding_reading: Duration,
    pub deciding_reads: u64,
    /// The preparer threads, summed.
    pub preparing: ThreadTimes,
    /// Of which: blocked with a chunk ready, the deciding thread not taking it.
    pub preparers_blocked: Duration,
    /// The writer thread.
    pub writing: ThreadTimes,
    /// Of which: waiting for a chunk to write.
    pub writer_idle: Duration,
    /// Of which: syncing (sled's flush and the files' fsync).
    pub syncing: Duration,
}

/// One thread's (or several threads' summed) wall time, time on a core, and time runnable but
/// waiting for one.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadTimes {
    pub wall: Duration,
    pub on_core: Duration,
    pub waiting_for_core: Duration,
}

impl StageTimes {
    pub(crate) fn add(&mut self, o: &StageTimes) {
        self.calls += o.calls;
        self.wall += o.wall;
        self.deciding.add(o.deciding);
        self.deciding_on_preparers += o.deciding_on_preparers;
        self.deciding_on_writer += o.deciding_on_writer;
        self.deciding_on_drain += o.deciding_on_drain;
        self.deciding_reading += o.deciding_reading;
        self.deciding_reads += o.deciding_reads;
        self.preparing.add(o.preparing);
        self.preparers_blocked += o.preparers_blocked;
        self.writing.add(o.writing);
        self.writer_idle += o.writer_idle;
        self.syncing += o.syncing;
    }
}

impl ThreadTimes {
    pub(crate) fn add(&mut self, other: ThreadTimes) {
        self.wall += other.wall;
        self.on_core += other.on_core;
        self.waiting_for_core += other.waiting_for_core;
    }

    /// The time neither on a core nor waiting for one: blocked.
    pub fn blocked(&self) -> Duration {
        self.wall
            .saturating_sub(self.on_core)
            .saturating_sub(self.waiting_for_core)
    }
}

/// A thread's clock, started when measuring: `stop` gives its `ThreadTimes` since.
pub(super) struct ThreadClock {
    began: Instant,
    sched: (u64, u64),
}

impl ThreadClock {
    pub(super) fn start(measuring: bool) -> Option<ThreadClock> {
        measuring.then(|| ThreadClock {
            began: Instant::now(),
            sched: schedstat(),
        })
    }

    pub(super) fn stop(self) -> ThreadTimes {
        let (on, waited) = schedstat();
        ThreadTimes {
            wall: self.began.elapsed(),
            on_core: Duration::from_nanos(on.saturating_sub(self.sched.0)),
            waiting_for_core: Duration::from_nanos(waited.saturating_sub(self.sched.1)),
        }
    }
}

/// This thread's nanoseconds on a core and runnable waiting for one
/// (`/proc/thread-self/schedstat`'s first two fields; zeros where there is none).
fn schedstat() -> (u64, u64) {
    let Ok(s) = std::fs::read_to_string("/proc/thread-self/schedstat") else {
        return (0, 0);
    };
    let mut fields = s.split_whitespace().map(|f| f.parse::<u64>().unwrap_or(0));
    (fields.next().unwrap_or(0), fields.next().unwrap_or(0))
}

/// Time spent in `f` when `timing`, added to `into`.
pub(super) fn timed<T>(timing: bool, into: &mut Duration, f: impl FnOnce() -> T) -> T {
    if !timing {
        return f();
    }
    let t = Instant::now();
    let out = f();
    *into += t.elapsed();
    out
}

//! Bounds on reading one file, in time: the file's own deadline (`limits.read_budget_secs`) and
//! the process's stop request, asked by the text readers between their steps
//! (`text::interrupt`), and a reader's panic turned into a rejection. The structural budget
//! (`text/budget.rs`) bounds the work between two of those questions. Must not decide verdicts.

use crate::text::interrupt::Interrupt;
use crate::text::Rejection;
use crate::worker::Stop;
use std::time::{Duration, Instant};

/// The bounds of one file's reading, from the moment it begins.
pub(super) struct Reading<'a> {
    stop: &'a Stop,
    deadline: Instant,
    secs: u64,
}

impl<'a> Reading<'a> {
    /// Reading that begins now, given `budget`, and ended early by `stop`. (A budget of zero,
    /// which only tests set, is spent at the first question, whatever the machine's speed.)
    pub(super) fn begin(stop: &'a Stop, budget: Duration) -> Reading<'a> {
        Reading {
            stop,
            deadline: Instant::now() + budget,
            secs: budget.as_secs(),
        }
    }
}

impl Interrupt for Reading<'_> {
    fn check(&self) -> Result<(), Rejection> {
        // A stop comes first: a file abandoned is read again, while one over budget is refused.
        if self.stop.is_set() {
            return Err(Rejection::Stopped);
        }
        if Instant::now() >= self.deadline {
            return Err(Rejection::TooSlow { secs: self.secs });
        }
        Ok(())
    }
}

/// Runs a reader, turning a panic (a bug met on hostile input) into a rejection that names it,
/// so one file cannot take the engine down.
pub(super) fn guarded<T>(read: impl FnOnce() -> Result<T, Rejection>) -> Result<T, Rejection> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)) {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_owned());
            Err(Rejection::Failed(what))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_comes_before_the_deadline_and_both_say_why() {
        let stop = Stop::default();
        let hour = Duration::from_secs(3600);
        assert_eq!(Reading::begin(&stop, hour).check(), Ok(()));
        assert_eq!(
            Reading::begin(&stop, Duration::ZERO).check(),
            Err(Rejection::TooSlow { secs: 0 })
        );
        assert_eq!(
            Rejection::TooSlow { secs: 7 }.to_string(),
            "the file took longer than 7 s to read (read_budget_secs)"
        );
        stop.set();
        assert_eq!(
            Reading::begin(&stop, Duration::ZERO).check(),
            Err(Rejection::Stopped)
        );
        assert_eq!(Reading::begin(&stop, hour).check(), Err(Rejection::Stopped));
    }

    #[test]
    fn a_reader_that_panics_is_a_rejection() {
        let failed = guarded::<()>(|| panic!("index out of bounds"));
        assert_eq!(failed, Err(Rejection::Failed("index out of bounds".into())));
        assert_eq!(guarded(|| Ok(3)), Ok(3));
    }
}

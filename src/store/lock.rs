//! The database folder's lock as this process sees it: whether a lock sled could not take is held
//! by another process or only by this one's last handle, still closing.
//!
//! sled releases its file lock when its I/O threads let go of the database, which can be a moment
//! after the last `sled::Db` handle is dropped. A reopen in the same process (the dashboard opening
//! the database in-process after a one-shot command closed it, or a test) would otherwise fail as
//! "locked by another process". So this process remembers the folders it has closed, and a reopen of
//! one of those waits for the lock to be released, with a generous deadline; a lock held by another
//! process still fails at once. It decides nothing about the data and opens nothing but the lock file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Folders this process has had open and closed.
static CLOSED_HERE: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// How long a reopen waits for this process's own closing handle. sled's threads let go within
/// milliseconds; the deadline only bounds a wait that never ends.
const OWN_CLOSE_DEADLINE: Duration = Duration::from_secs(20);

fn key(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_owned())
}

/// Records that this process has closed its handle on the folder.
pub(super) fn closed(path: &Path) {
    if let Ok(mut set) = CLOSED_HERE.lock() {
        set.insert(key(path));
    }
}

fn closed_here(path: &Path) -> bool {
    CLOSED_HERE
        .lock()
        .map(|set| set.contains(&key(path)))
        .unwrap_or(false)
}

/// Whether the folder's lock file is locked right now (by any process, this one included).
pub(super) fn held(path: &Path) -> bool {
    use nix::errno::Errno;
    use nix::fcntl::{Flock, FlockArg};
    let Ok(file) = std::fs::File::open(path.join("db")) else {
        return false;
    };
    matches!(
        Flock::lock(file, FlockArg::LockExclusiveNonblock),
        Err((_, Errno::EWOULDBLOCK))
    )
}

/// Waits until no open file holds the folder's lock (polling: a lock cannot be waited on without
/// taking it), up to `deadline`; whether it is free. For a caller that opened the database with
/// sled directly (a test that writes an older layout) before something else opens it.
pub fn wait_until_free(path: &Path, deadline: Duration) -> bool {
    let until = Instant::now() + deadline;
    while held(path) {
        if Instant::now() >= until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// Opens with `open`, and while it fails because this process's own closed handle still holds
/// the lock, tries again until the lock is released or the deadline passes. Any other failure,
/// and a lock held by another process, is returned at once.
pub(super) fn open_waiting_for_own_close<T, E>(
    path: &Path,
    mut open: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    let deadline = Instant::now() + OWN_CLOSE_DEADLINE;
    loop {
        match open() {
            Err(_) if closed_here(path) && held(path) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_never_closed_here_is_not_waited_for() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut tries = 0;
        let r: Result<(), ()> = open_waiting_for_own_close(dir.path(), || {
            tries += 1;
            Err(())
        });
        assert!(r.is_err());
        assert_eq!(
            tries, 1,
            "a failure not caused by this process's own handle is final"
        );
    }

    #[test]
    fn a_folder_closed_here_and_not_locked_fails_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        closed(dir.path());
        let mut tries = 0;
        let r: Result<(), ()> = open_waiting_for_own_close(dir.path(), || {
            tries += 1;
            Err(())
        });
        assert!(r.is_err());
        assert_eq!(tries, 1, "with no lock held, the failure is not the lock's");
    }
}

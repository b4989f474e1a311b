//! Watching the inbox: when a file is complete, and what happens to it after its verdict.
//! Watcher events are hints; the truth is a listing of the inbox, taken at start, after a watcher
//! overflow and every `rescan_secs`. Ingest is idempotent (the engine recognises a file it has
//! seen), so a hint too many costs nothing and a missed one is caught by the next listing.

use crate::config::{AfterIngest, Settings, WatcherKind};
use crate::engine::arrivals::Arrival;
use crate::engine::service::{ServiceError, ServiceHandle};
use crate::model::{ArticleId, Failure, FailureKind, Status};
use crate::text::sanitize::sanitize_line;
use crate::worker::{Stop, Worker};
use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{Event, EventKind, RecursiveMode, Watcher};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant, SystemTime};

/// Where rejected files go, inside the inbox.
pub(crate) const REJECTED_DIR: &str = ".rejected";
/// How long to wait before retrying after the engine failed (disk full, read-only database); it
/// doubles with each failure in a row, up to `RETRY_MAX`.
const RETRY: Duration = Duration::from_secs(2);
const RETRY_MAX: Duration = Duration::from_secs(60);
/// The same lasting failure this many times in a row stops the daemon: it would fail forever.
const FAILURES_BEFORE_STOP: u32 = 5;
/// The first wait before a file that could not be read for now is tried again; it doubles with
/// each failed try, up to `RETRY_READ_MAX`.
const RETRY_READ: Duration = Duration::from_secs(1);
const RETRY_READ_MAX: Duration = Duration::from_secs(60);
/// Files handed to the engine in one batch, at most.
const BATCH: usize = 512;

/// Whether a name in the inbox is never an article: hidden, or still being written under a
/// temporary name.
pub(crate) fn ignored(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.') || lower.ends_with(".tmp") || lower.ends_with(".part")
}

/// What the inbox tells the daemon.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Report {
    /// A problem for the log (a vanished inbox, a failed move, a failure retried).
    Problem(String),
    /// The database cannot store the inbox's files and will not: damaged, or failing the same
    /// way time after time. The inbox has stopped; the daemon should stop with this.
    Fatal(Failure),
}

/// The engine's failures to store the inbox's files, in a row.
#[derive(Debug, Default)]
struct Failing {
    /// The wait before the next try (zero: no failure in a row).
    wait: Duration,
    /// The last failure, and how many times in a row it came.
    last: Option<(FailureKind, String)>,
    same: u32,
}

/// The running watcher; stopped after the batch in hand when dropped.
pub(crate) struct Inbox {
    worker: Worker,
}

impl Inbox {
    /// Starts watching. Problems (a vanished inbox, a failed move) are reported on `report`.
    pub(crate) fn start(
        settings: &Settings,
        engine: ServiceHandle,
        report: Sender<Report>,
    ) -> std::io::Result<Inbox> {
        std::fs::create_dir_all(&settings.inbox)?;
        let mut settings = settings.clone();
        // Watchers report absolute paths; files are stored under their absolute path too.
        settings.inbox = settings.inbox.canonicalize()?;
        let worker = Worker::spawn("inbox", move |stop| {
            Watch::new(settings, engine, report, stop).run()
        })?;
        Ok(Inbox { worker })
    }

    /// Stops after the batch in hand.
    pub(crate) fn stop(&mut self) {
        self.worker.stop();
    }
}

/// A file seen but not yet ingested.
struct Waiting {
    /// When it may be ingested, if unchanged.
    ready_at: Instant,
    /// Size and mtime when last looked at: a change restarts the settle time.
    seen: Option<(u64, SystemTime)>,
}

struct Watch {
    settings: Settings,
    engine: ServiceHandle,
    report: Sender<Report>,
    stop: Stop,
    settle: Duration,
    failing: Failing,
    waiting: HashMap<PathBuf, Waiting>,
    /// Files already handled and kept in the inbox, by their size and mtime.
    known: HashMap<PathBuf, (u64, SystemTime)>,
    /// Files that could not be read for now, by how many tries failed in a row.
    unread: HashMap<PathBuf, u32>,
    next_listing: Instant,
    inbox_missing: bool,
}

type Hints = Receiver<notify::Result<Event>>;

impl Watch {
    fn new(settings: Settings, engine: ServiceHandle, report: Sender<Report>, stop: Stop) -> Watch {
        Watch {
            failing: Failing::default(),
            settle: Duration::from_millis(settings.settle_ms),
            settings,
            engine,
            report,
            stop,
            waiting: HashMap::new(),
            known: HashMap::new(),
            unread: HashMap::new(),
            next_listing: Instant::now(),
            inbox_missing: false,
        }
    }

    fn say(&self, message: String) {
        let _ = self.report.send(Report::Problem(message));
    }

    fn watcher(&self) -> notify::Result<(Box<dyn Watcher + Send>, Hints)> {
        let (tx, rx) = mpsc::channel();
        let mut w: Box<dyn Watcher + Send> = match self.settings.watcher {
            WatcherKind::Native => Box::new(notify::recommended_watcher(tx)?),
            WatcherKind::Poll => {
                let config = notify::Config::default()
                    .with_poll_interval(Duration::from_millis(self.settings.poll_ms));
                Box::new(notify::PollWatcher::new(tx, config)?)
            }
        };
        w.watch(&self.settings.inbox, RecursiveMode::NonRecursive)?;
        Ok((w, rx))
    }

    fn run(mut self) {
        let mut watch: Option<(Box<dyn Watcher + Send>, Hints)> = None;
        while !self.stop.is_set() {
            if watch.is_none() {
                match self.watcher() {
                    Ok(w) => watch = Some(w),
                    Err(e) if !self.inbox_missing => self.say(format!(
                        "cannot watch the inbox '{}': {e}; listing it every {} s instead",
                        self.settings.inbox.display(),
                        self.settings.rescan_secs
                    )),
                    Err(_) => {}
                }
            }
            // When the inbox comes back after going missing, watch it afresh.
            if Instant::now() >= self.next_listing && self.list() {
                watch = None;
                continue;
            }
            let wait = self.next_wake();
            let mut lost_watch = false;
            if let Some((_, hints)) = &watch {
                match hints.recv_timeout(wait) {
                    Ok(first) => {
                        let mut batch = vec![first];
                        batch.extend(hints.try_iter());
                        for hint in batch {
                            self.hint(hint);
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => lost_watch = true,
                }
            } else {
                std::thread::sleep(wait.min(Duration::from_millis(200)));
            }
            if lost_watch {
                watch = None;
            }
            self.ingest_ready();
        }
    }

    /// How long the loop may sleep: until the next file settles or the next listing.
    fn next_wake(&self) -> Duration {
        let now = Instant::now();
        let next = self
            .waiting
            .values()
            .map(|w| w.ready_at)
            .min()
            .unwrap_or(self.next_listing)
            .min(self.next_listing);
        next.saturating_duration_since(now)
            .clamp(Duration::from_millis(1), Duration::from_millis(500))
    }

    /// Lists the inbox: every file not handled yet waits to be ingested. Returns true when the
    /// inbox was missing and is back.
    fn list(&mut self) -> bool {
        self.next_listing = Instant::now() + Duration::from_secs(self.settings.rescan_secs);
        let entries = match std::fs::read_dir(&self.settings.inbox) {
            Ok(e) => e,
            Err(e) => {
                if !self.inbox_missing {
                    self.say(format!(
                        "the inbox '{}' cannot be listed ({e}); waiting for it to come back",
                        self.settings.inbox.display()
                    ));
                }
                self.inbox_missing = true;
                self.next_listing = Instant::now() + Duration::from_secs(1);
                return false;
            }
        };
        let came_back = std::mem::replace(&mut self.inbox_missing, false);
        let before = self.waiting.len();
        if came_back {
            self.say(format!(
                "the inbox '{}' is back",
                self.settings.inbox.display()
            ));
        }
        for entry in entries.flatten() {
            let path = entry.path();
            if !self.is_candidate(&path) || self.waiting.contains_key(&path) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            let seen = meta.modified().ok().map(|m| (meta.len(), m));
            if seen.is_some() && self.known.get(&path) == seen.as_ref() {
                continue;
            }
            // Old enough to be complete: ready now; else let it settle.
            let age = seen.and_then(|(_, m)| m.elapsed().ok()).unwrap_or_default();
            let ready_at = Instant::now() + self.settle.saturating_sub(age);
            self.waiting.insert(path, Waiting { ready_at, seen });
        }
        tracing::info!(
            new = self.waiting.len() - before,
            waiting = self.waiting.len(),
            next_in_s = self.settings.rescan_secs,
            "listed the inbox"
        );
        came_back
    }

    /// A regular file directly in the inbox, not ignored.
    fn is_candidate(&self, path: &Path) -> bool {
        path.parent() == Some(self.settings.inbox.as_path())
            && path
                .file_name()
                .is_some_and(|n| !ignored(&n.to_string_lossy()))
            && std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_dir())
    }

    fn hint(&mut self, hint: notify::Result<Event>) {
        let event = match hint {
            Ok(e) => e,
            Err(e) => {
                self.say(format!(
                    "the inbox watcher reported: {e}; listing the inbox"
                ));
                self.next_listing = Instant::now();
                return;
            }
        };
        if event.need_rescan() {
            tracing::info!("the inbox watcher lost events; listing the inbox");
            self.next_listing = Instant::now();
        }
        // The inbox itself deleted or moved away: its watch is gone with it, even when a folder
        // of the same name is made at once. Marked missing, it is listed now (and every second
        // while absent); the listing that finds it re-arms the watch, so files dropped in the
        // new folder do not wait for the next rescan.
        let inbox_gone = matches!(
            event.kind,
            EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_))
        ) && event.paths.iter().any(|p| p == &self.settings.inbox);
        if inbox_gone && !self.inbox_missing {
            self.say(format!(
                "the inbox '{}' went away; waiting for it to come back",
                self.settings.inbox.display()
            ));
            self.inbox_missing = true;
            self.next_listing = Instant::now();
        }
        let now = Instant::now();
        let candidates: Vec<PathBuf> = event
            .paths
            .iter()
            .filter(|p| self.is_candidate(p))
            .cloned()
            .collect();
        match event.kind {
            // Renamed or moved in, or closed by its writer: complete now.
            EventKind::Modify(ModifyKind::Name(RenameMode::To))
            | EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
                for p in candidates {
                    self.waiting.insert(
                        p,
                        Waiting {
                            ready_at: now,
                            seen: None,
                        },
                    );
                }
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
                if let Some(from) = event.paths.first() {
                    self.waiting.remove(from);
                }
                if let Some(to) = event.paths.get(1).filter(|p| self.is_candidate(p)) {
                    self.waiting.insert(
                        to.clone(),
                        Waiting {
                            ready_at: now,
                            seen: None,
                        },
                    );
                }
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::From)) | EventKind::Remove(_) => {
                for p in &event.paths {
                    self.waiting.remove(p);
                    self.known.remove(p);
                }
            }
            // Attributes (the access time our own read changes) say nothing of the content.
            EventKind::Modify(ModifyKind::Metadata(_)) => {}
            // Written to: wait until it has been still for settle_ms.
            EventKind::Create(_) | EventKind::Modify(_) => {
                for p in candidates {
                    self.waiting.insert(
                        p,
                        Waiting {
                            ready_at: now + self.settle,
                            seen: None,
                        },
                    );
                }
            }
            _ => {}
        }
    }

    /// Hands the files that are ready to the engine, then files them away.
    fn ingest_ready(&mut self) {
        let now = Instant::now();
        let mut ready: Vec<PathBuf> = Vec::new();
        let settle = self.settle;
        self.waiting.retain(|path, w| {
            if w.ready_at > now || ready.len() >= BATCH {
                return true;
            }
            // A link is looked at, not followed: one that is broken, or leads where the
            // engine will not read, still gets its verdict (rejected, with the reason).
            let Ok(meta) = std::fs::symlink_metadata(path) else {
                return false; // gone before it was read
            };
            let seen = meta.modified().ok().map(|m| (meta.len(), m));
            if w.seen.is_some() && seen != w.seen {
                // Still being written by a writer that holds it open.
                w.seen = seen;
                w.ready_at = now + settle;
                return true;
            }
            ready.push(path.clone());
            false
        });
        if ready.is_empty() {
            return;
        }
        ready.sort();
        match self.engine.arrivals(ready.clone()) {
            Ok(outcomes) => {
                self.failing = Failing::default();
                let mut unread = Vec::new();
                let mut abandoned = Vec::new();
                for (path, arrival) in outcomes {
                    match arrival {
                        Arrival::Retry(why) => unread.push((path, why)),
                        Arrival::Abandoned => abandoned.push(path),
                        arrival => {
                            self.unread.remove(&path);
                            self.file_away(&path, &arrival);
                        }
                    }
                }
                self.retry_later(unread);
                self.left_for_next_start(abandoned);
            }
            Err(ServiceError::Refused(e)) => self.engine_failed(ready, e),
            Err(ServiceError::Gone) => self.stop.set(),
        }
    }

    /// The engine could not store `ready`. A damaged database, or the same lasting failure
    /// `FAILURES_BEFORE_STOP` times in a row, stops the inbox and is reported as fatal (retrying
    /// would fail forever, in silence). A resource run out (disk space, descriptors) is retried
    /// however long it lasts, after a wait that doubles with each failure in a row, said in the
    /// log at each doubling; any other failure is retried after `RETRY`, said each time.
    fn engine_failed(&mut self, ready: Vec<PathBuf>, e: Failure) {
        let first = ready
            .first()
            .map_or_else(String::new, |p| p.display().to_string());
        let others = match ready.len() {
            0 | 1 => String::new(),
            n => format!(" (and {} other files)", n - 1),
        };
        let key = (e.kind, e.message.clone());
        let f = &mut self.failing;
        f.same = if f.last.as_ref() == Some(&key) {
            f.same + 1
        } else {
            1
        };
        f.last = Some(key);
        let lasting = e.kind != FailureKind::Exhausted && f.same >= FAILURES_BEFORE_STOP;
        if e.kind == FailureKind::Corrupt || lasting {
            let times = if f.same > 1 {
                format!(", {} times in a row", f.same)
            } else {
                String::new()
            };
            let message = format!(
                "the database '{}' is damaged: it cannot store '{}'{others}{times} ({}). Stop here: `copydesk doctor` says what is readable; `copydesk export` saves what reads; restore the folder from a backup or move it aside",
                self.settings.db.display(),
                sanitize_line(&first),
                e.message
            );
            let _ = self.report.send(Report::Fatal(Failure {
                kind: FailureKind::Corrupt,
                message,
            }));
            self.stop.set();
            return;
        }
        // A resource run out may take long to come back: the wait doubles. Anything else is
        // tried again soon, as it either passes or stops the daemon after a few tries.
        let wait = if f.wait.is_zero() || e.kind != FailureKind::Exhausted {
            RETRY
        } else {
            f.wait.saturating_mul(2).min(RETRY_MAX)
        };
        let doubled = wait != f.wait || e.kind != FailureKind::Exhausted;
        f.wait = wait;
        if doubled {
            self.say(format!(
                "ingest of '{first}'{others} failed, retrying in {} s: {e}",
                wait.as_secs()
            ));
        }
        for p in ready {
            self.waiting.insert(
                p,
                Waiting {
                    ready_at: Instant::now() + wait,
                    seen: None,
                },
            );
        }
    }

    /// Offers files that could not be read for now again later, each after a wait that doubles
    /// with every failed try (descriptors or memory may take a while to come back).
    fn retry_later(&mut self, unread: Vec<(PathBuf, String)>) {
        let Some((first, why)) = unread.first() else {
            return;
        };
        let mut longest = Duration::ZERO;
        for (path, _) in &unread {
            let tries = self.unread.entry(path.clone()).or_insert(0);
            let wait = RETRY_READ
                .saturating_mul(1 << (*tries).min(16))
                .min(RETRY_READ_MAX);
            *tries = tries.saturating_add(1);
            longest = longest.max(wait);
            self.waiting.insert(
                path.clone(),
                Waiting {
                    ready_at: Instant::now() + wait,
                    seen: None,
                },
            );
        }
        let others = match unread.len() {
            1 => String::new(),
            n => format!(" (and {} other files)", n - 1),
        };
        self.say(format!(
            "'{}'{others} could not be read ({why}); nothing was stored, trying again within {} s",
            first.display(),
            longest.as_secs()
        ));
    }

    /// Says which files copydesk stopped reading (it is stopping): nothing was stored for them
    /// and they stay in the inbox, to be read at the next start.
    fn left_for_next_start(&mut self, abandoned: Vec<PathBuf>) {
        if abandoned.is_empty() {
            return;
        }
        tracing::info!(
            files = ?abandoned,
            "stopping: {} file(s) not read to the end; nothing was stored for them, they stay in the inbox and are read again at the next start",
            abandoned.len()
        );
        for path in abandoned {
            // Offered again should this process go on after all.
            self.waiting.insert(
                path,
                Waiting {
                    ready_at: Instant::now() + RETRY,
                    seen: None,
                },
            );
        }
    }

    /// After a durable verdict: rejected files to `.rejected/` with a reason beside them; others
    /// kept, moved or deleted as configured.
    fn file_away(&mut self, path: &Path, arrival: &Arrival) {
        let (status, reason) = match arrival {
            Arrival::Ingested(v) => (v.status, v.reason.clone()),
            Arrival::Already(r) => (r.status, r.reason.clone()),
            Arrival::Retry(_) | Arrival::Abandoned => return,
        };
        let result = if status == Status::Rejected {
            self.reject(path, reason.as_deref().unwrap_or("rejected"))
        } else {
            match self.settings.after_ingest {
                AfterIngest::Keep => {
                    if let Ok(meta) = std::fs::metadata(path) {
                        if let Ok(m) = meta.modified() {
                            self.known.insert(path.to_owned(), (meta.len(), m));
                        }
                    }
                    Ok(())
                }
                AfterIngest::Move => move_into(path, &self.settings.done_path()).map(|to| {
                    let id = match arrival {
                        Arrival::Ingested(v) => v.id,
                        Arrival::Already(r) => Some(r.id),
                        Arrival::Retry(_) | Arrival::Abandoned => None,
                    };
                    if let Some(id) = id {
                        self.record_move(id, &to);
                    }
                }),
                AfterIngest::Delete => std::fs::remove_file(path),
            }
        };
        if let Err(e) = result {
            self.say(format!(
                "'{}' was ingested but could not be filed away: {e}",
                path.display()
            ));
        }
    }

    /// Tells the engine where a moved file is now (a failure is said, not fatal: the file is
    /// filed away either way, and its record keeps naming where it was ingested from).
    fn record_move(&mut self, id: ArticleId, to: &Path) {
        if let Err(e) = self.engine.moved(id, to.display().to_string()) {
            self.say(format!(
                "#{id} was moved to '{}' but its record could not say so: {e}",
                to.display()
            ));
        }
    }

    /// Writes the reason first and moves the file second, so a crash in between leaves the
    /// file in the inbox, where it is filed away again after the restart.
    fn reject(&self, path: &Path, reason: &str) -> std::io::Result<()> {
        let dir = self.settings.inbox.join(REJECTED_DIR);
        let target = free_name(path, &dir)?;
        let name = target.file_name().unwrap_or_default();
        // The reason may quote the article (a JSON key, say): it is written as one clean line.
        std::fs::write(
            dir.join(fit(name, ".reason")),
            format!("{}\n", sanitize_line(reason)),
        )?;
        std::fs::rename(path, &target)
    }
}

/// A path in `dir` (created if needed) for `path`'s name, with `.1`, `.2`, ... added when the
/// name is taken.
fn free_name(path: &Path, dir: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("no file name"))?;
    let mut target = dir.join(name);
    let mut n = 1;
    while target.symlink_metadata().is_ok() {
        target = dir.join(fit(name, &format!(".{n}")));
        n += 1;
    }
    Ok(target)
}

/// The longest file name most file systems take, in bytes.
const NAME_MAX: usize = 255;

/// `name` with `suffix` added, shortened when the two are longer than a file name may be: the
/// name's start, a hash of the whole name (so names that start alike stay apart), the suffix.
fn fit(name: &std::ffi::OsStr, suffix: &str) -> std::ffi::OsString {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let bytes = name.as_bytes();
    if bytes.len() + suffix.len() <= NAME_MAX {
        let mut out = name.to_os_string();
        out.push(suffix);
        return out;
    }
    let hash = format!("~{:016x}", xxhash_rust::xxh3::xxh3_64(bytes));
    let mut keep = NAME_MAX - suffix.len() - hash.len();
    // Cut between characters when the name is UTF-8.
    while keep > 0 && bytes.get(keep).is_some_and(|b| b & 0xc0 == 0x80) {
        keep -= 1;
    }
    let mut out = bytes[..keep].to_vec();
    out.extend_from_slice(hash.as_bytes());
    out.extend_from_slice(suffix.as_bytes());
    std::ffi::OsString::from_vec(out)
}

/// Moves a file into a folder (created if needed), keeping its name, or adding `.1`, `.2`, ...
/// when the name is taken. Returns the new path.
pub(crate) fn move_into(path: &Path, dir: &Path) -> std::io::Result<PathBuf> {
    let target = free_name(path, dir)?;
    std::fs::rename(path, &target)?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_and_hidden_names_are_ignored() {
        for name in [".hidden.txt", "story.txt.tmp", "story.PART", ".rejected"] {
            assert!(ignored(name), "{name}");
        }
        assert!(!ignored("story.txt"));
    }

    #[test]
    fn long_names_are_shortened_to_fit_with_their_suffix() {
        use std::os::unix::ffi::OsStrExt;
        let short = std::ffi::OsStr::new("story.txt");
        assert_eq!(fit(short, ".reason"), "story.txt.reason");
        for len in [248, 251, 255] {
            let long = "é".repeat(len / 2) + &"x".repeat(len % 2);
            let fitted = fit(std::ffi::OsStr::new(&long), ".reason");
            assert!(fitted.as_bytes().len() <= NAME_MAX, "{len}");
            assert!(fitted.to_str().is_some(), "cut between characters");
            assert!(fitted.to_string_lossy().ends_with(".reason"));
            let other = fit(std::ffi::OsStr::new(&(long.clone() + "y")), ".reason");
            assert_ne!(fitted, other, "names that start alike stay apart");
        }
        // Filing away works for such names: the file and its reason land side by side.
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("n".repeat(253));
        std::fs::write(&f, "x").expect("write");
        let done = dir.path().join("rejected");
        let target = move_into(&f, &done).expect("moves");
        let name = target.file_name().expect("name");
        std::fs::write(done.join(fit(name, ".reason")), "why").expect("reason fits");
        let again = dir.path().join("n".repeat(255));
        std::fs::write(&again, "x").expect("write");
        std::fs::write(done.join("n".repeat(255)), "taken").expect("write");
        assert!(
            move_into(&again, &done).is_ok(),
            "a taken long name gets a shortened one"
        );
    }

    #[test]
    fn moving_keeps_names_apart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let done = dir.path().join("done");
        for _ in 0..2 {
            let f = dir.path().join("a.txt");
            std::fs::write(&f, "x").expect("write");
            move_into(&f, &done).expect("moves");
        }
        assert!(done.join("a.txt").exists() && done.join("a.txt.1").exists());
    }
}

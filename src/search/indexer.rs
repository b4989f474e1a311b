//! The indexer thread: follows the articles the engine has made durable, by id, and adds them
//! to the index in the background. It reads the database and writes only its own folder. It
//! yields to ingest: it starts no work while an ingest call runs, and takes at most `SLICE`
//! articles before looking again, so a burst is indexed after it, not during it.

use super::encode::Builder;
use super::folder::{Folder, Snapshot};
use super::segment::Segment;
use super::SearchError;
use crate::model::ArticleId;
use crate::store::Store;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Instant;

/// Articles indexed between two looks at the engine (a few milliseconds of work).
const SLICE: u64 = 64;
/// Articles gathered before they are published as a segment, when more are waiting.
const FREEZE: u32 = 1024;

#[derive(Default)]
struct State {
    /// Every article up to this id is durable in the database.
    durable: ArticleId,
    /// An ingest call is running.
    busy: bool,
    stop: bool,
    /// Why the indexer stopped early, if it did.
    failed: Option<String>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    snapshot: RwLock<Arc<Snapshot>>,
    /// Signalled whenever a snapshot is published.
    published: Condvar,
}

/// The running indexer, owned by the engine. Dropping it stops the thread after its slice and
/// writes what it holds in memory to a file.
pub struct Indexer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Indexer {
    /// Starts indexing the database into `dir`; `durable` is its last article now.
    pub fn start(dir: PathBuf, store: Arc<Store>, durable: ArticleId) -> Indexer {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                durable,
                ..State::default()
            }),
            wake: Condvar::new(),
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            published: Condvar::new(),
        });
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("copydesk-search".into())
            .spawn(move || {
                if let Err(e) = run(&dir, &store, &theirs) {
                    theirs.lock().failed = Some(e.to_string());
                    theirs.published.notify_all();
                }
            })
            .ok();
        Indexer { shared, thread }
    }

    /// The index as it stands: what queries read.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(
            &self
                .shared
                .snapshot
                .read()
                .unwrap_or_else(|e| e.into_inner()),
        )
    }

    /// An ingest call begins: the indexer starts no new slice until it ends.
    pub fn begin_ingest(&self) {
        self.shared.lock().busy = true;
    }

    /// An ingest call ended; every article up to `durable` is now durable.
    pub fn end_ingest(&self, durable: Option<ArticleId>) {
        let mut s = self.shared.lock();
        s.busy = false;
        if let Some(d) = durable {
            s.durable = s.durable.max(d);
        }
        drop(s);
        self.shared.wake.notify_all();
    }

    /// Waits until the index covers `id` or `deadline` passes; whether it does. For tests and
    /// benchmarks, which must not depend on timing.
    pub fn wait_covered(&self, id: ArticleId, deadline: Instant) -> bool {
        let mut s = self.shared.lock();
        loop {
            if self.snapshot().covered >= id {
                return true;
            }
            let now = Instant::now();
            if now >= deadline || s.failed.is_some() || self.thread.is_none() {
                return false;
            }
            s = self
                .shared
                .published
                .wait_timeout(s, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Why indexing stopped, if it failed.
    pub fn failure(&self) -> Option<String> {
        self.shared.lock().failed.clone()
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn publish(&self, folder: &mut Folder) {
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(folder.snapshot());
        // Under the state lock, so that a waiter cannot miss it between its check and its wait.
        let _s = self.lock();
        self.published.notify_all();
    }

    /// Waits for work: the last durable id past `done` while no ingest runs. `None` on stop.
    fn next_work(&self, done: ArticleId) -> Option<ArticleId> {
        let mut s = self.lock();
        loop {
            if s.stop {
                return None;
            }
            if !s.busy && s.durable > done {
                return Some(s.durable);
            }
            s = self.wake.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn more_waiting(&self, done: ArticleId) -> bool {
        let s = self.lock();
        s.durable > done && !s.stop
    }
}

fn run(dir: &std::path::Path, store: &Store, shared: &Shared) -> Result<(), SearchError> {
    let last = shared.lock().durable;
    let mut folder = Folder::open(dir, last)?;
    shared.publish(&mut folder);
    let mut builder = Builder::default();
    // The first id the builder's segment covers, and the last id read.
    let mut start = folder.covered() + 1;
    let mut done = folder.covered();
    while let Some(durable) = shared.next_work(done) {
        let to = durable.min(done + SLICE);
        // Newest first from the store; indexed oldest first.
        let mut records = store
            .records_rev(Some(done), Some(to + 1))
            .collect::<Result<Vec<_>, _>>()?;
        records.reverse();
        for r in records {
            let content = store.content(r.id)?;
            let paragraphs = content.map(|c| c.paragraphs).unwrap_or_default();
            builder.add(
                folder.dict(),
                r.id,
                &r.title,
                &paragraphs,
                r.source.as_deref().unwrap_or(""),
            );
        }
        done = to;
        if builder.docs() >= FREEZE || !shared.more_waiting(done) {
            let seg = std::mem::take(&mut builder).encode(folder.dict(), start, done);
            folder.push(Segment::from_bytes(seg)?)?;
            start = done + 1;
            shared.publish(&mut folder);
        }
    }
    if done >= start {
        let seg = std::mem::take(&mut builder).encode(folder.dict(), start, done);
        folder.push(Segment::from_bytes(seg)?)?;
    }
    folder.persist()?;
    shared.publish(&mut folder);
    Ok(())
}

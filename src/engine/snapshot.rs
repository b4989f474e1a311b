//! The saved in-memory index: a file in the database folder holding the SimHash tables, the
//! anchor index, the slot ids, the document filter and the index of documents (each document's
//! first article) as they stood after a given article, so
//! that a restart reads them back and replays only the fingerprints stored since, instead of
//! rebuilding everything from the stored fingerprints (the `stories` tree). It owns the file
//! (header, checksum, the durable write) and the checks that tell whether a snapshot may be
//! trusted; the arrays' encoding is `detect::index::persist`'s. It decides nothing and writes
//! nothing to the database.
//!
//! A snapshot is trusted only when all of these hold, else the index is rebuilt from sled:
//! its magic and format; a checksum (xxh3) over every byte; the database's schema version and
//! instance number (a copy of another database's snapshot is refused); the index settings; a
//! covered article and event sequence number not ahead of the database; ids strictly ascending;
//! and sampled slots and documents whose stored fingerprints match.

use super::Loaded;
use crate::config::Settings;
use crate::detect::index::persist::PersistError;
use crate::detect::index::persist::{read_word, read_words, write_word, write_words, Budget};
use crate::detect::index::{AnchorIndex, DocIndex, SeenFilter, SimIndex};
use crate::model::ArticleId;
use crate::store::{Store, StoreError};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::Xxh3;

/// The snapshot's name inside the database folder.
pub(crate) const FILE_NAME: &str = "index.snapshot";
const MAGIC: u64 = u64::from_le_bytes(*b"cdindex\0");
/// 1: the first layout (header, SimIndex, AnchorIndex, ids, SeenFilter, checksum).
/// 2: the index of documents (`DocIndex`) after the filter, for schema 8 (a format 1 snapshot is
/// refused: its database kept the documents in its `exact` tree).
const FORMAT: u32 = 2;
/// Slots whose stored fingerprints are compared with the snapshot's, spread over the index.
const SAMPLED_SLOTS: usize = 16;
/// Write buffer: large enough that the file streams at the disk's speed.
const BUFFER_BYTES: usize = 1 << 20;
/// Read buffer, for the header and small arrays: smaller than the chunks the large arrays are
/// read in (`persist`), which then go straight from the file to the chunk.
const READ_BUFFER_BYTES: usize = 1 << 16;

#[derive(Debug, thiserror::Error)]
pub(crate) enum SnapshotError {
    #[error("cannot read or write it: {0}")]
    Io(#[from] io::Error),
    #[error(transparent)]
    Persist(#[from] PersistError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Stale(String),
}

/// What a snapshot covers: every stored article up to `last_id` (and no other), taken when the
/// latest event was `last_seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Covered {
    pub(crate) last_id: ArticleId,
    pub(crate) last_seq: u64,
    pub(crate) slots: u64,
}

/// The index read back from a snapshot.
pub(super) struct Saved {
    pub(crate) sim: SimIndex,
    pub(crate) anchors: AnchorIndex,
    pub(crate) ids: Vec<ArticleId>,
    pub(crate) seen: SeenFilter,
    pub(crate) docs: DocIndex,
    pub(crate) covered: Covered,
}

pub fn path(db: &Path) -> PathBuf {
    db.join(FILE_NAME)
}

/// A writer that hashes what passes through it.
struct Hashing<T> {
    inner: T,
    hash: Xxh3,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// The header's fields that must match the database and settings.
struct Header {
    schema: u32,
    instance: u64,
    max_distance: u32,
    covered: Covered,
}

/// Writes the index in `loaded` as the database's snapshot, covering everything up to `last_seq`:
/// to a temporary file, fsynced, then renamed over the old one (and the folder fsynced), so a
/// crash at any point leaves the old snapshot or the new one, whole. Returns what it covers.
pub(super) fn save(
    store: &Store,
    loaded: &Loaded,
    last_seq: u64,
) -> Result<Covered, SnapshotError> {
    let covered = Covered {
        last_id: loaded.ids.last().copied().unwrap_or(0),
        last_seq,
        slots: loaded.ids.len() as u64,
    };
    let header = Header {
        schema: store.schema()?,
        instance: store.instance()?,
        max_distance: loaded.sim.max_distance(),
        covered,
    };
    let dir = store.path();
    let tmp = dir.join(format!("{FILE_NAME}.tmp"));
    let file = File::create(&tmp)?;
    let mut w = Hashing {
        inner: BufWriter::with_capacity(BUFFER_BYTES, file),
        hash: Xxh3::new(),
    };
    write_header(&mut w, &header)?;
    loaded.sim.write_to(&mut w)?;
    loaded.anchors.write_to(&mut w)?;
    write_words(&mut w, &loaded.ids)?;
    loaded.seen.write_to(&mut w)?;
    loaded.docs.write_to(&mut w)?;
    let digest = w.hash.digest();
    let mut buffered = w.inner;
    buffered.write_all(&digest.to_le_bytes())?;
    let file = buffered
        .into_inner()
        .map_err(io::IntoInnerError::into_error)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path(dir))?;
    File::open(dir)?.sync_all()?;
    Ok(covered)
}

fn write_header<W: Write>(w: &mut W, h: &Header) -> io::Result<()> {
    write_word(w, MAGIC)?;
    write_word(w, FORMAT)?;
    write_word(w, h.schema)?;
    write_word(w, h.instance)?;
    write_word(w, h.max_distance)?;
    write_word(w, h.covered.last_id)?;
    write_word(w, h.covered.last_seq)?;
    write_word(w, h.covered.slots)
}

fn stale<T>(why: impl Into<String>) -> Result<T, SnapshotError> {
    Err(SnapshotError::Stale(why.into()))
}

/// Reads the database's snapshot: `Ok(None)` when there is none, an error saying why when it
/// cannot be trusted (the caller then rebuilds the index from the database).
pub(super) fn load(store: &Store, settings: &Settings) -> Result<Option<Saved>, SnapshotError> {
    match read(&path(store.path()), settings.simhash_max_distance)? {
        None => Ok(None),
        Some(unchecked) => check(store, settings, unchecked).map(Some),
    }
}

/// A snapshot as its file holds it, whole and with a matching checksum, not yet checked against
/// the database (`check`): what `Prefetch` reads while the database opens.
pub(crate) struct Unchecked {
    header: Header,
    saved: Saved,
}

/// Reads a snapshot file without the database: its magic, format, the index setting it was
/// saved with, every array (each length checked against the file before it is allocated) and
/// the checksum over every byte. `Ok(None)` when there is no file.
pub(crate) fn read(file: &Path, max_distance: u32) -> Result<Option<Unchecked>, SnapshotError> {
    let file = match File::open(file) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let len = file.metadata()?.len();
    let mut budget = Budget(len.saturating_sub(8));
    let mut r = Hashing {
        inner: BufReader::with_capacity(READ_BUFFER_BYTES, file),
        hash: Xxh3::new(),
    };
    let magic: u64 = read_word(&mut r, &mut budget)?;
    let format: u32 = read_word(&mut r, &mut budget)?;
    if magic != MAGIC || format != FORMAT {
        return stale("it is not a copydesk index snapshot of this format");
    }
    let header = Header {
        schema: read_word(&mut r, &mut budget)?,
        instance: read_word(&mut r, &mut budget)?,
        max_distance: read_word(&mut r, &mut budget)?,
        covered: Covered {
            last_id: read_word(&mut r, &mut budget)?,
            last_seq: read_word(&mut r, &mut budget)?,
            slots: read_word(&mut r, &mut budget)?,
        },
    };
    if header.max_distance != max_distance {
        return stale("it was saved with another simhash_max_distance");
    }
    let slots = u32::try_from(header.covered.slots).or_else(|_| stale("too many articles"))?;
    let sim = SimIndex::read_from(&mut r, max_distance, &mut budget)?;
    let anchors = AnchorIndex::read_from(&mut r, slots, &mut budget)?;
    let mut ids: Vec<ArticleId> = read_words(&mut r, &mut budget)?;
    // Room to grow without doubling the array at the next article (reserved, not resident).
    ids.reserve_exact(ids.len() / 4);
    let seen = SeenFilter::read_from(&mut r, &mut budget)?;
    let docs = DocIndex::read_from(&mut r, slots, &mut budget)?;
    let digest = r.hash.digest();
    let mut rest = Vec::new();
    r.inner.read_to_end(&mut rest)?;
    if rest != digest.to_le_bytes() {
        return stale("its checksum does not match (a torn or damaged file)");
    }
    let saved = Saved {
        sim,
        anchors,
        ids,
        seen,
        docs,
        covered: header.covered,
    };
    Ok(Some(Unchecked { header, saved }))
}

/// A snapshot read by `read`, trusted only if it agrees with the database (see the module's
/// head).
pub(super) fn check(
    store: &Store,
    settings: &Settings,
    unchecked: Unchecked,
) -> Result<Saved, SnapshotError> {
    let Unchecked { header, saved } = unchecked;
    check_header(store, settings, &header)?;
    check_against_store(store, &saved)?;
    Ok(saved)
}

/// The database's snapshot read on a thread of its own, started before the database is opened
/// (sled's open and the snapshot's read take about as long, on different resources); the
/// engine checks what it read against the database when it loads the index.
pub(crate) struct Prefetch(std::thread::JoinHandle<Result<Option<Unchecked>, SnapshotError>>);

impl Prefetch {
    /// Starts reading the snapshot of the database in `settings.db`; `None` if no thread could
    /// be started (the engine then reads it itself).
    pub(crate) fn start(settings: &Settings) -> Option<Prefetch> {
        let file = path(&settings.db);
        let max_distance = settings.simhash_max_distance;
        std::thread::Builder::new()
            .name("copydesk-snapshot".into())
            .spawn(move || read(&file, max_distance))
            .ok()
            .map(Prefetch)
    }

    /// Whether the thread has read what it will (for tests that need the read to be over).
    #[cfg(test)]
    pub(super) fn is_finished(&self) -> bool {
        self.0.is_finished()
    }

    /// What the thread read (a thread that panicked counts as a snapshot not to be trusted).
    pub(super) fn finish(self) -> Result<Option<Unchecked>, SnapshotError> {
        self.0
            .join()
            .unwrap_or_else(|_| stale("reading it stopped with a panic"))
    }
}

fn check_header(store: &Store, settings: &Settings, h: &Header) -> Result<(), SnapshotError> {
    if h.schema != store.schema()? {
        return stale(format!(
            "it was saved at schema {}, the database is at {}",
            h.schema,
            store.schema()?
        ));
    }
    if h.instance != store.instance()? {
        return stale("it is the snapshot of another database");
    }
    if h.max_distance != settings.simhash_max_distance {
        return stale("it was saved with another simhash_max_distance");
    }
    let last_id = store.next_id()?.saturating_sub(1);
    if h.covered.last_id > last_id {
        return stale(format!(
            "it covers articles up to {}, the database holds up to {last_id}",
            h.covered.last_id
        ));
    }
    if h.covered.last_seq > store.last_seq()? {
        return stale("it covers events the database does not hold");
    }
    Ok(())
}

/// Counts and ids consistent, and sampled slots as the database stores them.
fn check_against_store(store: &Store, s: &Saved) -> Result<(), SnapshotError> {
    let n = s.covered.slots as usize;
    if s.sim.len() != n || s.ids.len() != n {
        return stale("its parts hold different numbers of articles");
    }
    if s.ids.windows(2).any(|w| w[0] >= w[1])
        || s.ids.last().copied().unwrap_or(0) != s.covered.last_id
    {
        return stale("its article ids are out of order");
    }
    let step = (n / SAMPLED_SLOTS).max(1);
    let sampled = (0..n).step_by(step).chain(n.checked_sub(1));
    for slot in sampled {
        let id = s.ids[slot];
        let fp = store.fingerprint(id)?;
        let matches = fp.is_some_and(|fp| {
            fp.simhash == s.sim.fingerprint(slot as u32).0 && s.seen.may_contain(fp.exact)
        });
        if !matches {
            return stale(format!("article {id} is stored with another fingerprint"));
        }
    }
    // Sampled documents: the article each names as its first is stored from that document.
    let (hashes, firsts) = s.docs.sorted();
    let step = (hashes.len() / SAMPLED_SLOTS).max(1);
    for i in (0..hashes.len()).step_by(step) {
        let id = s.ids[firsts[i] as usize];
        if store
            .fingerprint(id)?
            .is_none_or(|fp| fp.exact != hashes[i])
        {
            return stale(format!(
                "article {id} is not stored from the document it names"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;

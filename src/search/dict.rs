//! The term dictionary every segment shares: each distinct term of the text once, numbered in the
//! order it was first seen, so that segments hold term ids instead of term lists of their own,
//! and a query's substring search over the terms is one pass, whatever the number of segments.
//! Kept in the index's folder as `terms` (each term followed by `\n`), appended to and never
//! rewritten; the manifest names how many terms and bytes of it count and their checksum.
//!
//! It owns the terms and their numbering, not the segments or the manifest (see `folder`).
//! Article counts per term (`df`) are kept beside the terms for queries to weigh a piece's
//! cost: they are estimates, rebuilt from the segments at open, never needed for correctness.

use super::SearchError;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// The dictionary's file in the index's folder.
pub const FILE: &str = "terms";
/// Published terms are held in chunks of about this many bytes: small enough that adding a few
/// new terms copies little, large enough that a query searches a handful of them.
const CHUNK_BYTES: usize = 1 << 20;

/// Terms with consecutive ids, immutable once published (but for their article counts).
#[derive(Debug)]
struct Chunk {
    /// Id of the first term.
    first: u32,
    /// The terms, each followed by `\n` (no term holds one: see `terms::is_term_char`).
    blob: Vec<u8>,
    /// Where each term's `\n` lies in `blob`.
    ends: Vec<u32>,
    /// Articles holding each term, over every segment (an estimate; see the header).
    df: Box<[AtomicU32]>,
}

impl Chunk {
    fn new(first: u32, blob: Vec<u8>, ends: Vec<u32>, df: Vec<u32>) -> Chunk {
        Chunk {
            first,
            blob,
            ends,
            df: df.into_iter().map(AtomicU32::new).collect(),
        }
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn term(&self, i: usize) -> &[u8] {
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1] as usize + 1
        };
        &self.blob[start..self.ends[i] as usize]
    }
}

/// The terms that contain a piece of a query word: their ids, ascending, and how many
/// postings they have over every segment (at least as the counts stood).
#[derive(Debug, Clone, Default)]
pub struct Expansion {
    pub ids: Vec<u32>,
    pub df: u64,
}

/// The terms as queries read them: a snapshot of the published chunks.
#[derive(Debug, Clone, Default)]
pub struct Terms {
    chunks: Vec<Arc<Chunk>>,
    len: u32,
}

impl Terms {
    /// How many terms there are (ids below this).
    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every term containing `piece`: one substring search over all the terms.
    pub fn expand(&self, piece: &str) -> Expansion {
        let mut out = Expansion::default();
        if piece.is_empty() {
            return out;
        }
        let finder = memchr::memmem::Finder::new(piece.as_bytes());
        for c in &self.chunks {
            let (mut from, mut i) = (0usize, 0usize);
            while let Some(at) = finder.find(&c.blob[from..]) {
                let end = (from + at + piece.len()) as u32;
                // The term holding the match: the first whose end is at or after the match's
                // end, found by galloping on from the last one (matches come in order).
                i = gallop(&c.ends, i, end);
                if i >= c.len() {
                    break;
                }
                out.ids.push(c.first + i as u32);
                out.df += u64::from(c.df[i].load(Ordering::Relaxed));
                from = c.ends[i] as usize + 1;
                i += 1;
            }
        }
        out
    }
}

/// The first index at or after `from` whose value is at or above `v`, in ascending `ends`.
fn gallop(ends: &[u32], from: usize, v: u32) -> usize {
    let mut step = 1;
    let mut hi = from;
    while hi < ends.len() && ends[hi] < v {
        hi = from + step;
        step *= 2;
    }
    let lo = from + step / 4;
    let hi = hi.min(ends.len());
    let lo = lo.min(hi).max(from);
    lo + ends[lo..hi].partition_point(|&e| e < v)
}

/// What the manifest records of the dictionary: the terms that count, their bytes, their
/// checksum (xxh3 of those bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Durable {
    pub terms: u32,
    pub bytes: u64,
    pub checksum: u64,
}

/// The dictionary as the indexer holds it: published chunks, terms added since, a map from term
/// to id, and the file.
pub struct Dictionary {
    file: File,
    chunks: Vec<Arc<Chunk>>,
    pending: Chunk,
    pending_df: Vec<u32>,
    /// Every id, found by its term's hash: the terms themselves stay in the chunks, so this
    /// costs about 5 bytes a term (a map from hash to id took 17, a third of the dictionary).
    ids: hashbrown::HashTable<u32>,
    len: u32,
    durable: Durable,
    /// The checksum's state over the durable bytes, to go on from.
    hasher: xxhash_rust::xxh3::Xxh3,
}

impl std::fmt::Debug for Dictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dictionary({} terms)", self.len)
    }
}

fn hash(term: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(term)
}

/// Term `id`, from the published chunks or the pending one.
fn term_of<'a>(chunks: &'a [Arc<Chunk>], pending: &'a Chunk, id: u32) -> &'a [u8] {
    if id >= pending.first {
        return pending.term((id - pending.first) as usize);
    }
    let k = chunks.partition_point(|c| c.first <= id);
    let c = &chunks[k.saturating_sub(1)];
    c.term((id - c.first) as usize)
}

impl Dictionary {
    /// Opens the dictionary of `dir`: the first `durable.terms` terms of its file, checked
    /// against the manifest's figures, or a new empty one when `durable` is `None`. Bytes past
    /// what the manifest names (terms of segments a crash lost) are cut off.
    pub fn open(dir: &Path, durable: Option<Durable>) -> Result<Dictionary, SearchError> {
        let path: PathBuf = dir.join(FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        let want = durable.unwrap_or(Durable {
            terms: 0,
            bytes: 0,
            checksum: xxhash_rust::xxh3::xxh3_64(b""),
        });
        let damaged = |what: &str| SearchError::Damaged(format!("{}: {what}", path.display()));
        if file.metadata()?.len() < want.bytes {
            return Err(damaged("shorter than the manifest says"));
        }
        let mut bytes = Vec::new();
        (&file).take(want.bytes).read_to_end(&mut bytes)?;
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(&bytes);
        if hasher.digest() != want.checksum || bytes.len() as u64 != want.bytes {
            return Err(damaged("fails its checksum"));
        }
        let mut d = Dictionary {
            file: {
                file.set_len(want.bytes)?;
                file.seek(SeekFrom::End(0))?;
                file
            },
            chunks: Vec::new(),
            pending: Chunk::new(0, Vec::new(), Vec::new(), Vec::new()),
            pending_df: Vec::new(),
            ids: hashbrown::HashTable::new(),
            len: 0,
            durable: want,
            hasher,
        };
        if let Some(body) = bytes.strip_suffix(b"\n") {
            for term in body.split(|&b| b == b'\n') {
                if term.is_empty() || d.lookup(term).is_some() {
                    return Err(damaged("an empty or repeated term"));
                }
                d.insert(term);
            }
        } else if !bytes.is_empty() {
            return Err(damaged("ends inside a term"));
        }
        if d.len != want.terms {
            return Err(damaged(
                "holds another number of terms than the manifest says",
            ));
        }
        d.seal();
        Ok(d)
    }

    /// How many terms there are.
    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn lookup(&self, term: &[u8]) -> Option<u32> {
        let (chunks, pending) = (&self.chunks, &self.pending);
        self.ids
            .find(hash(term), |&id| term_of(chunks, pending, id) == term)
            .copied()
    }

    fn insert(&mut self, term: &[u8]) -> u32 {
        let id = self.len;
        let p = &mut self.pending;
        p.blob.extend_from_slice(term);
        p.ends.push(p.blob.len() as u32);
        p.blob.push(b'\n');
        self.pending_df.push(0);
        self.len += 1;
        let (chunks, pending) = (&self.chunks, &self.pending);
        self.ids
            .insert_unique(hash(term), id, |&i| hash(term_of(chunks, pending, i)));
        id
    }

    /// The id of `term`, numbering it when it is new.
    pub fn id(&mut self, term: &str) -> u32 {
        match self.lookup(term.as_bytes()) {
            Some(id) => id,
            None => self.insert(term.as_bytes()),
        }
    }

    /// Counts `n` more articles holding term `id`.
    pub fn add_df(&mut self, id: u32, n: u32) {
        if id >= self.pending.first {
            if let Some(d) = self.pending_df.get_mut((id - self.pending.first) as usize) {
                *d = d.saturating_add(n);
            }
        } else if let Some(c) = self.chunks.get(
            self.chunks
                .partition_point(|c| c.first <= id)
                .saturating_sub(1),
        ) {
            if let Some(d) = c.df.get((id - c.first) as usize) {
                d.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    /// Publishes the terms added since the last call into the chunks queries read: appended to
    /// the last chunk (a copy of it) while it is small, as a new chunk otherwise.
    fn seal(&mut self) {
        if self.pending.ends.is_empty() {
            return;
        }
        let next = self.len;
        let mut pending = std::mem::replace(
            &mut self.pending,
            Chunk::new(next, Vec::new(), Vec::new(), Vec::new()),
        );
        let mut df = std::mem::take(&mut self.pending_df);
        let small = self
            .chunks
            .last()
            .is_some_and(|c| c.blob.len() + pending.blob.len() <= CHUNK_BYTES);
        if small {
            let Some(last) = self.chunks.pop() else {
                return;
            };
            let mut blob = last.blob.clone();
            let base = blob.len() as u32;
            blob.extend_from_slice(&pending.blob);
            let mut ends = last.ends.clone();
            ends.extend(pending.ends.iter().map(|e| e + base));
            let mut counts: Vec<u32> = last.df.iter().map(|d| d.load(Ordering::Relaxed)).collect();
            counts.append(&mut df);
            self.chunks
                .push(Arc::new(Chunk::new(last.first, blob, ends, counts)));
        } else {
            let first = pending.first;
            self.chunks.push(Arc::new(Chunk::new(
                first,
                std::mem::take(&mut pending.blob),
                std::mem::take(&mut pending.ends),
                df,
            )));
        }
    }

    /// The terms as they stand, for a snapshot.
    pub fn terms(&mut self) -> Terms {
        self.seal();
        Terms {
            chunks: self.chunks.clone(),
            len: self.len,
        }
    }

    /// Writes every term not yet in the file to it, durably, and returns what the manifest
    /// should record. Segments name terms by id, so this comes before a manifest names them.
    pub fn sync(&mut self) -> Result<Durable, SearchError> {
        self.seal();
        if self.durable.terms == self.len {
            return Ok(self.durable);
        }
        let from = self.durable.terms;
        let k = self
            .chunks
            .partition_point(|c| c.first <= from)
            .saturating_sub(1);
        let mut written = 0u64;
        for c in &self.chunks[k..] {
            let start = if from > c.first {
                c.ends[(from - c.first - 1) as usize] as usize + 1
            } else {
                0
            };
            let bytes = &c.blob[start..];
            self.file.write_all(bytes)?;
            self.hasher.update(bytes);
            written += bytes.len() as u64;
        }
        self.file.sync_all()?;
        self.durable = Durable {
            terms: self.len,
            bytes: self.durable.bytes + written,
            checksum: self.hasher.digest(),
        };
        Ok(self.durable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gallop_finds_the_first_end_at_or_above() {
        let ends = [3, 7, 9, 20, 21, 40, 41, 42, 90];
        for from in 0..ends.len() {
            for v in 0..100 {
                let want = from + ends[from..].partition_point(|&e| e < v);
                assert_eq!(gallop(&ends, from, v), want, "from {from}, v {v}");
            }
        }
    }

    #[test]
    fn terms_keep_their_ids_across_syncs_and_reopening() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut d = Dictionary::open(dir.path(), None).expect("open");
        let a = d.id("bridge");
        let b = d.id("bridges");
        assert_eq!((a, b, d.id("bridge")), (0, 1, 0));
        d.add_df(a, 2);
        let t = d.terms();
        let e = t.expand("idge");
        assert_eq!((e.ids, e.df), (vec![0, 1], 2));
        let durable = d.sync().expect("sync");
        // Published chunks grow by copies: the old snapshot still reads what it read.
        let c = d.id("cabbage");
        d.add_df(b, 1);
        assert_eq!(t.expand("cab").ids, Vec::<u32>::new());
        assert_eq!(d.terms().expand("ge").ids, [0, 1, 2]);
        assert_eq!(d.terms().expand("ge").df, 3);
        drop(d);
        // Reopened at the manifest's figures: "cabbage" was never recorded, so it is cut off.
        let mut d = Dictionary::open(dir.path(), Some(durable)).expect("reopen");
        assert_eq!(d.len(), 2);
        assert_eq!(d.id("bridges"), 1);
        assert_eq!(d.id("cabbage"), c);
        let durable = d.sync().expect("sync");
        drop(d);
        let d = Dictionary::open(dir.path(), Some(durable)).expect("reopen");
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn a_dictionary_that_does_not_match_its_manifest_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut d = Dictionary::open(dir.path(), None).expect("open");
        for t in ["alpha", "beta", "gamma"] {
            d.id(t);
        }
        let durable = d.sync().expect("sync");
        drop(d);
        let path = dir.path().join(FILE);
        let good = std::fs::read(&path).expect("read");
        let mut bad = good.clone();
        bad[1] ^= 0x20;
        std::fs::write(&path, &bad).expect("write");
        assert!(Dictionary::open(dir.path(), Some(durable)).is_err());
        std::fs::write(&path, &good[..good.len() - 3]).expect("write");
        assert!(Dictionary::open(dir.path(), Some(durable)).is_err());
        std::fs::write(&path, &good).expect("write");
        let fewer = Durable {
            terms: 2,
            ..durable
        };
        assert!(Dictionary::open(dir.path(), Some(fewer)).is_err());
        assert!(Dictionary::open(dir.path(), Some(durable)).is_ok());
    }
}

//! One segment of the search index, open for queries: the postings of a contiguous range of
//! article ids, immutable once built, held in memory or in a file. It answers which of its
//! articles hold given terms (by the dictionary's ids) or a source. Building and merging are
//! `encode`'s; the terms themselves are the shared dictionary's (`dict`). It knows nothing of
//! sled, threads or the index's folder.
//!
//! Layout (little-endian): `MAGIC`; the postings of every text term, in id order, then of every
//! source (ids less the segment's first id, ascending, as LEB128 deltas); the text table (a
//! 16-byte entry a term: its id, its article count, where its postings end); the source table
//! (the sources sorted, each followed by `\n`; their ends; where their postings end; article
//! counts); the footer: first and last id, documents, where the two tables start, the text
//! table's length, the bound on its term ids, and an xxh3 checksum of everything before it.
//! Only every `BLOCK`th text entry's id is kept in memory; a look-up reads one block.

use super::bits::{decode_ids, Bits};
use super::SearchError;
use crate::model::ArticleId;
use std::fs::File;
use std::io::{BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;

pub(super) const MAGIC: &[u8; 8] = b"cdsrch02";
/// The footer's fields, the checksum and `MAGIC`.
pub(super) const FOOTER: usize = 9 * 8;
/// Bytes of a text table entry.
pub(super) const ENTRY: usize = 16;
/// Text entries a block: what one look-up reads (1 KiB).
const BLOCK: usize = 64;
/// Blocks of the text table read at once when the terms looked up fall in them (64 KiB).
const WINDOW: usize = 64;
/// Postings of two terms less than this apart are read in one go, up to `SPAN` bytes.
const GAP: u64 = 16 << 10;
const SPAN: u64 = 4 << 20;

/// Where a segment's bytes are read from.
enum Data {
    Memory(Vec<u8>),
    File(File),
}

impl Data {
    fn read_at(&self, out: &mut Vec<u8>, from: u64, to: u64) -> std::io::Result<()> {
        out.clear();
        match self {
            Data::Memory(bytes) => {
                let range = usize::try_from(from).ok().zip(usize::try_from(to).ok());
                match range.and_then(|(a, b)| bytes.get(a..b)) {
                    Some(b) => out.extend_from_slice(b),
                    None => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                }
            }
            Data::File(f) => {
                out.resize((to - from) as usize, 0);
                f.read_exact_at(out, from)?;
            }
        }
        Ok(())
    }
}

/// A text table entry: a term id, how many of the segment's articles hold it, and where its
/// postings end (from the start of the postings; they start where the previous entry's end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    pub id: u32,
    pub df: u32,
    pub end: u64,
}

impl Entry {
    pub(super) fn parse(b: &[u8]) -> Entry {
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut end = [0u8; 8];
        end.copy_from_slice(&b[8..16]);
        Entry {
            id: u32_at(0),
            df: u32_at(4),
            end: u64::from_le_bytes(end),
        }
    }
}

/// The sources of a segment, held in memory (a few dozen outlets, not a vocabulary).
#[derive(Default, Clone)]
pub(super) struct Sources {
    pub blob: Vec<u8>,
    /// Where the first source's postings start, from the start of the postings.
    pub post_start: u64,
    /// End of each source in `blob` (its `\n` follows).
    pub term_ends: Vec<u32>,
    /// End of each source's postings, from the start of the postings.
    pub post_ends: Vec<u64>,
}

impl Sources {
    pub(super) fn len(&self) -> usize {
        self.term_ends.len()
    }

    pub(super) fn term(&self, i: usize) -> &[u8] {
        let start = if i == 0 {
            0
        } else {
            self.term_ends[i - 1] as usize + 1
        };
        &self.blob[start..self.term_ends[i] as usize]
    }

    pub(super) fn postings_range(&self, i: usize) -> (u64, u64) {
        let start = if i == 0 {
            self.post_start
        } else {
            self.post_ends[i - 1]
        };
        (start, self.post_ends[i])
    }
}

/// An immutable segment, open for queries.
pub struct Segment {
    pub lo: ArticleId,
    pub hi: ArticleId,
    pub docs: u32,
    /// Its size in bytes, and the checksum in its footer.
    pub bytes: u64,
    pub checksum: u64,
    /// Every text term id it holds is below this.
    pub bound: u32,
    text_at: u64,
    text_n: usize,
    /// The id of every `BLOCK`th text entry.
    firsts: Vec<u32>,
    pub(super) sources: Sources,
    data: Data,
}

impl std::fmt::Debug for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Segment({}..={}, {} docs)", self.lo, self.hi, self.docs)
    }
}

/// Reads little-endian values from a byte slice, checking every length.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        (self.0.len() >= n).then(|| {
            let (a, b) = self.0.split_at(n);
            self.0 = b;
            a
        })
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)?.try_into().ok().map(u64::from_le_bytes)
    }
}

struct Footer {
    lo: u64,
    hi: u64,
    docs: u32,
    text_at: u64,
    text_n: u64,
    source_at: u64,
    bound: u32,
    checksum: u64,
}

impl Footer {
    /// The footer of a segment of `len` bytes, from its last `FOOTER` bytes, with every offset
    /// checked to lie in order inside the segment.
    fn parse(tail: &[u8], len: u64) -> Result<Footer, SearchError> {
        let damaged = || SearchError::Damaged("footer".into());
        let mut c = Cursor(tail);
        let mut next = || c.u64().ok_or_else(damaged);
        let f = Footer {
            lo: next()?,
            hi: next()?,
            docs: u32::try_from(next()?).map_err(|_| damaged())?,
            text_at: next()?,
            text_n: next()?,
            source_at: next()?,
            bound: u32::try_from(next()?).map_err(|_| damaged())?,
            checksum: next()?,
        };
        let text_end = f
            .text_n
            .checked_mul(ENTRY as u64)
            .and_then(|b| b.checked_add(f.text_at));
        if c.0 != MAGIC
            || f.hi < f.lo
            || u64::from(f.docs) > f.hi - f.lo + 1
            || f.text_at < MAGIC.len() as u64
            || text_end != Some(f.source_at)
            || f.source_at > len.saturating_sub(FOOTER as u64)
        {
            return Err(damaged());
        }
        Ok(f)
    }
}

impl Segment {
    /// A segment held in memory, from `encode`.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Segment, SearchError> {
        let len = bytes.len() as u64;
        if bytes.len() < MAGIC.len() + FOOTER || &bytes[..MAGIC.len()] != MAGIC {
            return Err(SearchError::Damaged("too short".into()));
        }
        let footer = Footer::parse(&bytes[bytes.len() - FOOTER..], len)?;
        let checksum = xxhash_rust::xxh3::xxh3_64(&bytes[..bytes.len() - 16]);
        if checksum != footer.checksum {
            return Err(SearchError::Damaged("checksum".into()));
        }
        let tables = &bytes[footer.text_at as usize..bytes.len() - FOOTER];
        let (firsts, sources) = parse_tables(tables, &footer, &mut |_, _| {})?;
        Ok(Segment::new(
            footer,
            len,
            firsts,
            sources,
            Data::Memory(bytes),
        ))
    }

    fn new(f: Footer, bytes: u64, firsts: Vec<u32>, sources: Sources, data: Data) -> Segment {
        Segment {
            lo: f.lo,
            hi: f.hi,
            docs: f.docs,
            bytes,
            checksum: f.checksum,
            bound: f.bound,
            text_at: f.text_at,
            text_n: f.text_n as usize,
            firsts,
            sources,
            data,
        }
    }

    /// Opens a segment file, checking its checksum over every byte: a damaged file is an error,
    /// never half-trusted. `on_term` is told each text term's id and article count.
    pub fn open(path: &Path, on_term: &mut dyn FnMut(u32, u32)) -> Result<Segment, SearchError> {
        let damaged = |what: &str| SearchError::Damaged(format!("{} {what}", path.display()));
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        if len < (MAGIC.len() + FOOTER) as u64 {
            return Err(damaged("is truncated"));
        }
        let mut tail = vec![0u8; FOOTER];
        file.read_exact_at(&mut tail, len - FOOTER as u64)?;
        let footer = Footer::parse(&tail, len).map_err(|_| damaged("has a bad footer"))?;
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        let mut reader = BufReader::with_capacity(1 << 20, &file).take(len - 16);
        let mut tables = Vec::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut at = 0u64;
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            // Keep what lies past the postings: the tables.
            let end = at + n as u64;
            if end > footer.text_at {
                let from = footer.text_at.saturating_sub(at) as usize;
                tables.extend_from_slice(&buf[from..n]);
            }
            at = end;
        }
        if hasher.digest() != footer.checksum || at != len - 16 {
            return Err(damaged("fails its checksum"));
        }
        let mut head = [0u8; 8];
        file.read_exact_at(&mut head, 0)?;
        if &head != MAGIC {
            return Err(damaged("is not a segment"));
        }
        let table_len = tables.len().saturating_sub(FOOTER - 16);
        let (firsts, sources) = parse_tables(&tables[..table_len], &footer, on_term)?;
        Ok(Segment::new(footer, len, firsts, sources, Data::File(file)))
    }

    pub fn is_in_memory(&self) -> bool {
        matches!(self.data, Data::Memory(_))
    }

    /// Distinct terms of the text field.
    pub fn terms(&self) -> usize {
        self.text_n
    }

    /// The bytes of this segment when it is held in memory.
    pub(super) fn memory_bytes(&self) -> Option<&[u8]> {
        match &self.data {
            Data::Memory(b) => Some(b),
            Data::File(_) => None,
        }
    }

    /// Reads the postings at `from..to` (from the start of the postings) into `out`.
    pub(super) fn read_postings(
        &self,
        from: u64,
        to: u64,
        out: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        let base = MAGIC.len() as u64;
        self.data.read_at(out, base + from, base + to)
    }

    /// Text entries `from..to` into `out`, parsed.
    pub(super) fn entries(
        &self,
        from: usize,
        to: usize,
        buf: &mut Vec<u8>,
        out: &mut Vec<Entry>,
    ) -> std::io::Result<()> {
        let at = |i: usize| self.text_at + (i * ENTRY) as u64;
        self.data.read_at(buf, at(from), at(to))?;
        out.clear();
        out.extend(buf.chunks_exact(ENTRY).map(Entry::parse));
        Ok(())
    }

    fn or_postings(
        &self,
        from: u64,
        to: u64,
        set: &mut Bits,
        buf: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        self.read_postings(from, to, buf)?;
        decode_ids(buf, |id| set.set(id as usize));
        Ok(())
    }

    /// A set of this segment's articles, empty.
    pub fn empty_set(&self) -> Bits {
        Bits::new((self.hi - self.lo + 1) as usize)
    }

    /// The articles holding any of the text terms `ids` (ascending). Postings that lie close
    /// together (a piece inside many terms) are read in one go.
    pub fn union(&self, ids: &[u32], buf: &mut Vec<u8>) -> std::io::Result<Bits> {
        let mut set = self.empty_set();
        let ranges = self.postings_of(ids)?;
        let mut k = 0;
        while k < ranges.len() {
            let (start, mut end) = ranges[k];
            let mut j = k + 1;
            while j < ranges.len() && ranges[j].0 <= end + GAP && ranges[j].1 - start <= SPAN {
                end = ranges[j].1;
                j += 1;
            }
            self.read_postings(start, end, buf)?;
            for &(a, b) in &ranges[k..j] {
                decode_ids(&buf[(a - start) as usize..(b - start) as usize], |id| {
                    set.set(id as usize)
                });
            }
            k = j;
        }
        Ok(set)
    }

    /// Where the postings of those of `ids` (ascending) that this segment holds lie, ascending.
    /// A block of the text table is read with the blocks of the ids that follow within `WINDOW`
    /// blocks, in one read.
    fn postings_of(&self, ids: &[u32]) -> std::io::Result<Vec<(u64, u64)>> {
        let block_of = |id: u32| self.firsts.partition_point(|&f| f <= id).checked_sub(1);
        let (mut out, mut entries, mut raw) = (Vec::new(), Vec::new(), Vec::new());
        // The blocks read, and the index of `entries[0]` in the table.
        let (mut loaded, mut first) = (0..0, 0usize);
        for (k, &id) in ids.iter().enumerate() {
            if id >= self.bound {
                break;
            }
            let Some(b) = block_of(id) else {
                continue;
            };
            if !loaded.contains(&b) {
                let last = ids[k + 1..]
                    .iter()
                    .map_while(|&n| block_of(n).filter(|&nb| nb < b + WINDOW))
                    .last()
                    .unwrap_or(b);
                // With the entry before the block: its end is where the block's postings start.
                first = (b * BLOCK).saturating_sub(1);
                let to = ((last + 1) * BLOCK).min(self.text_n);
                self.entries(first, to, &mut raw, &mut entries)?;
                loaded = b..last + 1;
            }
            let lo = b * BLOCK - first;
            let hi = ((b + 1) * BLOCK).min(self.text_n) - first;
            let at = lo + entries[lo..hi].partition_point(|e| e.id < id);
            if at < hi && entries[at].id == id {
                let start = if at == 0 { 0 } else { entries[at - 1].end };
                out.push((start, entries[at].end));
            }
        }
        Ok(out)
    }

    /// The articles whose normalised source is `source`.
    pub fn with_source(&self, source: &str, buf: &mut Vec<u8>) -> std::io::Result<Bits> {
        let mut set = self.empty_set();
        let t = &self.sources;
        let (mut k, mut b) = (0, t.len());
        while k < b {
            let mid = (k + b) / 2;
            if t.term(mid) < source.as_bytes() {
                k = mid + 1;
            } else {
                b = mid;
            }
        }
        if k < t.len() && t.term(k) == source.as_bytes() {
            let (a, b) = t.postings_range(k);
            self.or_postings(a, b, &mut set, buf)?;
        }
        Ok(set)
    }

    /// Every id this segment covers, as a set (for a query without words the index answers).
    pub fn all(&self) -> Bits {
        let mut set = self.empty_set();
        (0..set.len).for_each(|i| set.set(i));
        set
    }
}

/// Parses the tables (`bytes` runs from the text table to the footer): the text table checked
/// (ids ascending below the bound, ends ascending within the postings) and reduced to every
/// `BLOCK`th id, each entry told to `on_term`; the sources kept whole.
fn parse_tables(
    bytes: &[u8],
    f: &Footer,
    on_term: &mut dyn FnMut(u32, u32),
) -> Result<(Vec<u32>, Sources), SearchError> {
    let damaged = || SearchError::Damaged("term tables".into());
    let postings_len = f.text_at - MAGIC.len() as u64;
    let mut c = Cursor(bytes);
    let text = c
        .take(usize::try_from(f.text_n).map_err(|_| damaged())? * ENTRY)
        .ok_or_else(damaged)?;
    let mut firsts = Vec::with_capacity(text.len() / ENTRY / BLOCK + 1);
    let (mut last_id, mut last_end) = (None::<u32>, 0u64);
    for (k, raw) in text.chunks_exact(ENTRY).enumerate() {
        let e = Entry::parse(raw);
        if last_id.is_some_and(|l| l >= e.id) || e.id >= f.bound || e.end < last_end {
            return Err(damaged());
        }
        if k % BLOCK == 0 {
            firsts.push(e.id);
        }
        on_term(e.id, e.df);
        (last_id, last_end) = (Some(e.id), e.end);
    }
    let sources = (|| -> Option<Sources> {
        let n = usize::try_from(c.u64()?).ok()?;
        let blob_len = usize::try_from(c.u64()?).ok()?;
        let post_start = c.u64()?;
        let blob = c.take(blob_len)?.to_vec();
        let mut nums = |max: u64| -> Option<Vec<u64>> {
            let raw = c.take(n.checked_mul(8)?)?;
            let v: Vec<u64> = raw
                .chunks_exact(8)
                .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
                .collect();
            // Ascending and in bounds, so that no look-up can index out of range.
            (v.windows(2).all(|w| w[0] <= w[1]) && v.iter().all(|&x| x <= max)).then_some(v)
        };
        let term_ends: Vec<u32> = nums(blob_len as u64)?
            .into_iter()
            .map(|e| e as u32)
            .collect();
        // Each source followed by its `\n`: ends at least one apart.
        if term_ends.windows(2).any(|w| w[1] <= w[0]) {
            return None;
        }
        let post_ends = nums(postings_len)?;
        if post_start < last_end || post_ends.first().is_some_and(|&e| e < post_start) {
            return None;
        }
        let blob_ok = blob.len() == term_ends.last().map_or(0, |&e| e as usize + 1);
        Some(Sources {
            blob,
            post_start,
            term_ends,
            post_ends,
        })
        .filter(|_| blob_ok)
    })()
    .ok_or_else(damaged)?;
    if !c.0.is_empty() || last_end > postings_len || sources.post_start > postings_len {
        return Err(damaged());
    }
    Ok((firsts, sources))
}

//! One segment of the search index: the terms of a contiguous range of article ids with the
//! articles holding each, immutable once built. Builds from articles, merges, encodes to bytes
//! (kept in memory or written to a file) and answers which of its articles hold a term or a
//! piece of one. It knows nothing of sled, threads or the index's folder.
//!
//! Layout (little-endian): `MAGIC`, the postings of every term (ids less the segment's first id,
//! ascending, as LEB128 deltas), then the two fields' tables (terms sorted, each followed by
//! `\n`; term ends; postings ends; document counts), then the footer: first and last id,
//! documents, where the tables start, and an xxh3 checksum of everything before it.

use super::terms::for_each_term;
use super::SearchError;
use crate::model::ArticleId;
use crate::text::normalize::normalize;
use rustc_hash::FxHashMap;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

const MAGIC: &[u8; 8] = b"cdsrch01";
const FOOTER: usize = 8 + 8 + 8 + 8 + 8 + 8;

/// The two fields: words of the title and text, and the normalised source (one term).
pub const TEXT: usize = 0;
pub const SOURCE: usize = 1;
const FIELDS: usize = 2;

/// Collects articles, in id order, into a segment.
#[derive(Default)]
pub struct Builder {
    lo: Option<ArticleId>,
    docs: u32,
    fields: [Terms; FIELDS],
}

impl Builder {
    /// Adds one article. Ids must grow; the first one fixes the segment's start.
    pub fn add(&mut self, id: ArticleId, title: &str, paragraphs: &[String], source: &str) {
        let lo = *self.lo.get_or_insert(id);
        let local = (id - lo) as u32;
        self.docs += 1;
        // The article's distinct terms first, in a small table that stays in cache: the field's
        // large one is then visited once per distinct term, not once per word.
        let norms: Vec<String> = std::iter::once(title)
            .chain(paragraphs.iter().map(String::as_str))
            .map(normalize)
            .collect();
        let mut mine: Vec<(u64, &str)> = Vec::with_capacity(1024);
        for n in &norms {
            for_each_term(n, |t| {
                mine.push((xxhash_rust::xxh3::xxh3_64(t.as_bytes()), t))
            });
        }
        mine.sort_unstable();
        mine.dedup();
        let text = &mut self.fields[TEXT];
        for (h, t) in mine {
            text.add(h, t, local);
        }
        let source = normalize(source);
        self.fields[SOURCE].add(
            xxhash_rust::xxh3::xxh3_64(source.as_bytes()),
            &source,
            local,
        );
    }

    pub fn docs(&self) -> u32 {
        self.docs
    }

    /// The segment of ids `lo..=hi` (`lo` at or before the first article added, `hi` at or
    /// after the last), as bytes.
    pub fn encode(self, lo: ArticleId, hi: ArticleId) -> Vec<u8> {
        let shift = self.lo.map_or(0, |first| (first - lo) as u32);
        let mut w = Encoder::new(Vec::new(), lo, hi);
        let mut tables = Vec::with_capacity(FIELDS);
        for field in self.fields {
            let mut table = w.table();
            for (term, mut ids) in field.sorted() {
                ids.iter_mut().for_each(|i| *i += shift);
                w.postings(&mut table, &term, &ids);
            }
            tables.push(table);
        }
        w.finish(self.docs, &tables)
            .expect("writing to memory cannot fail")
    }
}

/// One field's terms while a segment is built, each with the articles holding it. Looked up by
/// a 64-bit hash of the term (one short hash and one compare a term, against hashing and
/// comparing strings in a map of strings: half the indexing CPU), with a map of strings for the
/// rare terms whose hash another term has.
#[derive(Default)]
struct Terms {
    by_hash: FxHashMap<u64, u32>,
    collided: FxHashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
    postings: Vec<Vec<u32>>,
}

impl Terms {
    /// Records that article `local` holds `term`, whose hash is `h` (articles come in order,
    /// so a repeat of the term in the same article is the last posting).
    fn add(&mut self, h: u64, term: &str, local: u32) {
        let i = match self.by_hash.get(&h) {
            Some(&i) if *self.names[i as usize] == *term => i,
            Some(_) => match self.collided.get(term) {
                Some(&i) => i,
                None => {
                    let i = self.new_term(term);
                    self.collided.insert(term.into(), i);
                    i
                }
            },
            None => {
                let i = self.new_term(term);
                self.by_hash.insert(h, i);
                i
            }
        };
        let p = &mut self.postings[i as usize];
        if p.last() != Some(&local) {
            p.push(local);
        }
    }

    fn new_term(&mut self, term: &str) -> u32 {
        self.names.push(term.into());
        self.postings.push(Vec::new());
        (self.names.len() - 1) as u32
    }

    /// The terms in byte order, with their articles.
    fn sorted(self) -> Vec<(Box<str>, Vec<u32>)> {
        let mut all: Vec<(Box<str>, Vec<u32>)> =
            self.names.into_iter().zip(self.postings).collect();
        all.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        all
    }
}

/// A field's term table as written, built term by term.
#[derive(Default, Clone)]
struct Table {
    blob: Vec<u8>,
    /// Where the first term's postings start, from the start of the postings.
    post_start: u64,
    /// End of each term in `blob` (its `\n` follows).
    term_ends: Vec<u32>,
    /// End of each term's postings, from the start of the postings.
    post_ends: Ends,
    /// Articles per term: kept while a table is written, not when one is read (what a query
    /// needs of it, the cost of reading postings, their length in bytes tells).
    dfs: Vec<u32>,
}

/// Ascending offsets held in 4.5 bytes each instead of 8: a 64-bit base for every `ENDS_BLOCK`
/// of them, and each as 32 bits above its base. (A block's postings would need 4 GiB to
/// overflow that: over 50 million articles holding each of its terms.) Tables in memory are
/// what an open index costs, and there is a row per term per segment.
#[derive(Default, Clone)]
struct Ends {
    bases: Vec<u64>,
    low: Vec<u32>,
}

const ENDS_BLOCK: usize = 16;

impl Ends {
    fn push(&mut self, v: u64) -> Option<()> {
        if self.low.len() % ENDS_BLOCK == 0 {
            self.bases.push(v);
        }
        let base = *self.bases.last()?;
        self.low.push(u32::try_from(v.checked_sub(base)?).ok()?);
        Some(())
    }

    fn get(&self, i: usize) -> u64 {
        self.bases[i / ENDS_BLOCK] + u64::from(self.low[i])
    }

    fn len(&self) -> usize {
        self.low.len()
    }
}

impl Table {
    fn len(&self) -> usize {
        self.term_ends.len()
    }

    fn term(&self, i: usize) -> &[u8] {
        let start = if i == 0 {
            0
        } else {
            self.term_ends[i - 1] as usize + 1
        };
        &self.blob[start..self.term_ends[i] as usize]
    }

    fn postings_range(&self, i: usize) -> (u64, u64) {
        let start = if i == 0 {
            self.post_start
        } else {
            self.post_ends.get(i - 1)
        };
        (start, self.post_ends.get(i))
    }
}

/// Writes a segment: postings as they come, then the tables and the footer.
struct Encoder<W: Write> {
    out: W,
    hasher: xxhash_rust::xxh3::Xxh3,
    written: u64,
    lo: ArticleId,
    hi: ArticleId,
    buf: Vec<u8>,
}

impl<W: Write> Encoder<W> {
    fn new(out: W, lo: ArticleId, hi: ArticleId) -> Encoder<W> {
        let mut e = Encoder {
            out,
            hasher: xxhash_rust::xxh3::Xxh3::new(),
            written: 0,
            lo,
            hi,
            buf: Vec::new(),
        };
        e.buf.extend_from_slice(MAGIC);
        e
    }

    /// An empty table whose postings start here.
    fn table(&self) -> Table {
        Table {
            post_start: self.written + self.buf.len() as u64 - MAGIC.len() as u64,
            ..Table::default()
        }
    }

    fn emit(&mut self) -> std::io::Result<()> {
        self.hasher.update(&self.buf);
        self.out.write_all(&self.buf)?;
        self.written += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    /// Adds a term and its ascending local ids to `table`.
    fn postings(&mut self, table: &mut Table, term: &str, ids: &[u32]) {
        let mut prev = 0u32;
        for (k, &id) in ids.iter().enumerate() {
            put_varint(&mut self.buf, if k == 0 { id } else { id - prev });
            prev = id;
        }
        table.blob.extend_from_slice(term.as_bytes());
        table.term_ends.push(table.blob.len() as u32);
        table.blob.push(b'\n');
        table
            .post_ends
            .push(self.written + self.buf.len() as u64 - MAGIC.len() as u64)
            .expect("a segment's postings stay far below 4 GiB a block of terms");
        table.dfs.push(ids.len() as u32);
    }

    fn flush_if_large(&mut self) -> std::io::Result<()> {
        if self.buf.len() >= 1 << 20 {
            self.emit()?;
        }
        Ok(())
    }

    fn finish(mut self, docs: u32, tables: &[Table]) -> std::io::Result<W> {
        let tables_at = self.written + self.buf.len() as u64;
        for t in tables {
            put_u64(&mut self.buf, t.len() as u64);
            put_u64(&mut self.buf, t.blob.len() as u64);
            put_u64(&mut self.buf, t.post_start);
            self.buf.extend_from_slice(&t.blob);
            t.term_ends
                .iter()
                .for_each(|&e| put_u64(&mut self.buf, e.into()));
            (0..t.post_ends.len()).for_each(|i| put_u64(&mut self.buf, t.post_ends.get(i)));
            t.dfs.iter().for_each(|&d| put_u64(&mut self.buf, d.into()));
            self.flush_if_large()?;
        }
        put_u64(&mut self.buf, self.lo);
        put_u64(&mut self.buf, self.hi);
        put_u64(&mut self.buf, docs.into());
        put_u64(&mut self.buf, tables_at);
        self.emit()?;
        let sum = self.hasher.digest();
        let mut tail = Vec::with_capacity(16);
        put_u64(&mut tail, sum);
        tail.extend_from_slice(MAGIC);
        self.out.write_all(&tail)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Where a segment's postings are read from.
enum Data {
    Memory(Vec<u8>),
    File(File),
}

/// An immutable segment, open for queries.
pub struct Segment {
    pub lo: ArticleId,
    pub hi: ArticleId,
    pub docs: u32,
    /// Its size in bytes, and the checksum in its footer.
    pub bytes: u64,
    pub checksum: u64,
    tables: [Table; FIELDS],
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

impl Segment {
    /// A segment held in memory, from `Builder::encode` or a merge.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Segment, SearchError> {
        let (tables_at, footer) = check_footer(&bytes)?;
        let checksum = xxhash_rust::xxh3::xxh3_64(&bytes[..bytes.len() - 16]);
        if checksum != footer.checksum {
            return Err(SearchError::Damaged("checksum".into()));
        }
        let tables = parse_tables(&bytes[tables_at..bytes.len() - FOOTER], tables_at as u64)?;
        Ok(Segment {
            lo: footer.lo,
            hi: footer.hi,
            docs: footer.docs,
            bytes: bytes.len() as u64,
            checksum,
            tables,
            data: Data::Memory(bytes),
        })
    }

    /// Opens a segment file, checking its checksum over every byte: a damaged file is an error,
    /// never half-trusted.
    pub fn open(path: &Path) -> Result<Segment, SearchError> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        if len < (MAGIC.len() + FOOTER) as u64 {
            return Err(SearchError::Damaged(format!(
                "{} is truncated",
                path.display()
            )));
        }
        let mut tail = vec![0u8; FOOTER];
        file.read_exact_at(&mut tail, len - FOOTER as u64)?;
        let footer = Footer::parse(&tail)?;
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        let mut reader = BufReader::with_capacity(1 << 20, &file).take(len - 16);
        let mut tables_bytes = Vec::new();
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
            if end > footer.tables_at {
                let from = footer.tables_at.saturating_sub(at) as usize;
                tables_bytes.extend_from_slice(&buf[from..n]);
            }
            at = end;
        }
        if hasher.digest() != footer.checksum || at != len - 16 {
            return Err(SearchError::Damaged(format!(
                "{} fails its checksum",
                path.display()
            )));
        }
        let table_len = tables_bytes.len().saturating_sub(FOOTER - 16);
        let tables = parse_tables(&tables_bytes[..table_len], footer.tables_at)?;
        Ok(Segment {
            lo: footer.lo,
            hi: footer.hi,
            docs: footer.docs,
            bytes: len,
            checksum: footer.checksum,
            tables,
            data: Data::File(file),
        })
    }

    /// Writes this segment to `path` (durable on return) and reopens it from there.
    pub fn persist(&self, path: &Path) -> Result<Segment, SearchError> {
        let Data::Memory(bytes) = &self.data else {
            return Segment::open(path);
        };
        write_durably(path, bytes)?;
        Segment::open(path)
    }

    pub fn is_in_memory(&self) -> bool {
        matches!(self.data, Data::Memory(_))
    }

    /// Distinct terms of the text field.
    pub fn terms(&self) -> usize {
        self.tables[TEXT].len()
    }

    fn read_postings(&self, field: usize, i: usize, out: &mut Vec<u8>) -> std::io::Result<()> {
        let (a, b) = self.tables[field].postings_range(i);
        let start = MAGIC.len() as u64 + a;
        out.clear();
        match &self.data {
            Data::Memory(bytes) => {
                out.extend_from_slice(&bytes[start as usize..(MAGIC.len() as u64 + b) as usize])
            }
            Data::File(f) => {
                out.resize((b - a) as usize, 0);
                f.read_exact_at(out, start)?;
            }
        }
        Ok(())
    }

    /// Adds to `set` (bit `id - lo`) the articles holding term `i` of `field`.
    fn or_postings(
        &self,
        field: usize,
        i: usize,
        set: &mut Bits,
        buf: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        self.read_postings(field, i, buf)?;
        let mut id = 0u32;
        let mut first = true;
        decode_varints(buf, |d| {
            id = if first { d } else { id.wrapping_add(d) };
            first = false;
            set.set(id as usize);
        });
        Ok(())
    }

    /// A set of this segment's articles, empty.
    pub fn empty_set(&self) -> Bits {
        Bits::new((self.hi - self.lo + 1) as usize)
    }

    /// The terms of the text that contain `piece`, and how many postings they have in all.
    pub fn expand(&self, piece: &str) -> Expansion {
        let t = &self.tables[TEXT];
        let finder = memchr::memmem::Finder::new(piece.as_bytes());
        let (mut terms, mut postings) = (Vec::new(), 0u64);
        let mut from = 0;
        while let Some(at) = finder.find(&t.blob[from..]) {
            let end = (from + at + piece.len()) as u32;
            let i = t.term_ends.partition_point(|&e| e < end);
            if i >= t.len() {
                break;
            }
            terms.push(i as u32);
            // Postings are a byte or two each: their length stands in for their number.
            let (a, b) = t.postings_range(i);
            postings += b - a;
            from = t.term_ends[i] as usize + 1;
        }
        Expansion { terms, postings }
    }

    /// The articles holding any of the expansion's terms.
    pub fn union(&self, e: &Expansion, buf: &mut Vec<u8>) -> std::io::Result<Bits> {
        let mut set = self.empty_set();
        for &i in &e.terms {
            self.or_postings(TEXT, i as usize, &mut set, buf)?;
        }
        Ok(set)
    }

    /// The articles holding a term of the text that contains `piece`.
    pub fn with_piece(&self, piece: &str, buf: &mut Vec<u8>) -> std::io::Result<Bits> {
        self.union(&self.expand(piece), buf)
    }

    /// The articles whose normalised source is `source`.
    pub fn with_source(&self, source: &str, buf: &mut Vec<u8>) -> std::io::Result<Bits> {
        let mut set = self.empty_set();
        let t = &self.tables[SOURCE];
        let (mut a, mut b) = (0, t.len());
        while a < b {
            let mid = (a + b) / 2;
            if t.term(mid) < source.as_bytes() {
                a = mid + 1;
            } else {
                b = mid;
            }
        }
        if a < t.len() && t.term(a) == source.as_bytes() {
            let i = a;
            self.or_postings(SOURCE, i, &mut set, buf)?;
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

/// The terms of a segment that contain a piece of a query word.
#[derive(Debug, Clone, Default)]
pub struct Expansion {
    pub terms: Vec<u32>,
    /// Their postings in all: what reading them costs, and at most how many articles hold them.
    pub postings: u64,
}

/// A set of a segment's articles, a bit each.
#[derive(Debug, Clone)]
pub struct Bits {
    words: Vec<u64>,
    len: usize,
}

impl Bits {
    fn new(len: usize) -> Bits {
        Bits {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    fn set(&mut self, i: usize) {
        if let Some(w) = self.words.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }

    pub fn and(&mut self, other: &Bits) {
        self.words
            .iter_mut()
            .zip(&other.words)
            .for_each(|(a, b)| *a &= b);
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Members from the highest down, as offsets.
    pub fn iter_rev(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().rev().flat_map(|(k, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let top = 63 - w.leading_zeros() as usize;
                    w &= !(1u64 << top);
                    k * 64 + top
                })
            })
        })
    }
}

fn decode_varints(bytes: &[u8], mut f: impl FnMut(u32)) {
    let mut v = 0u32;
    let mut shift = 0;
    for &b in bytes {
        v |= u32::from(b & 0x7F).checked_shl(shift).unwrap_or(0);
        if b < 0x80 {
            f(v);
            v = 0;
            shift = 0;
        } else {
            shift += 7;
        }
    }
}

struct Footer {
    lo: u64,
    hi: u64,
    docs: u32,
    tables_at: u64,
    checksum: u64,
}

impl Footer {
    fn parse(tail: &[u8]) -> Result<Footer, SearchError> {
        let damaged = || SearchError::Damaged("footer".into());
        let mut c = Cursor(tail);
        let lo = c.u64().ok_or_else(damaged)?;
        let hi = c.u64().ok_or_else(damaged)?;
        let docs = c.u64().ok_or_else(damaged)?;
        let tables_at = c.u64().ok_or_else(damaged)?;
        let checksum = c.u64().ok_or_else(damaged)?;
        if c.0 != MAGIC || hi < lo || docs > hi - lo + 1 || tables_at < MAGIC.len() as u64 {
            return Err(damaged());
        }
        Ok(Footer {
            lo,
            hi,
            docs: docs as u32,
            tables_at,
            checksum,
        })
    }
}

fn check_footer(bytes: &[u8]) -> Result<(usize, Footer), SearchError> {
    if bytes.len() < MAGIC.len() + FOOTER || &bytes[..MAGIC.len()] != MAGIC {
        return Err(SearchError::Damaged("too short".into()));
    }
    let footer = Footer::parse(&bytes[bytes.len() - FOOTER..])?;
    let tables_at = usize::try_from(footer.tables_at)
        .ok()
        .filter(|&t| t <= bytes.len() - FOOTER)
        .ok_or_else(|| SearchError::Damaged("tables".into()))?;
    Ok((tables_at, footer))
}

/// Parses both fields' tables; `tables_at` bounds the postings they point into.
fn parse_tables(bytes: &[u8], tables_at: u64) -> Result<[Table; FIELDS], SearchError> {
    let damaged = || SearchError::Damaged("term tables".into());
    let postings_len = tables_at - MAGIC.len() as u64;
    let mut c = Cursor(bytes);
    let mut read = || -> Option<Table> {
        let n = usize::try_from(c.u64()?).ok()?;
        let blob_len = usize::try_from(c.u64()?).ok()?;
        let post_start = c.u64()?;
        let blob = c.take(blob_len)?.to_vec();
        let mut nums = |max: u64, ascending: bool| -> Option<Vec<u64>> {
            let raw = c.take(n.checked_mul(8)?)?;
            let v: Vec<u64> = raw
                .chunks_exact(8)
                .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
                .collect();
            // Ends ascending and in bounds, so that no look-up can index out of range.
            let sorted = !ascending || v.windows(2).all(|w| w[0] <= w[1]);
            (sorted && v.iter().all(|&x| x <= max)).then_some(v)
        };
        let term_ends: Vec<u32> = nums(blob_len as u64, true)?
            .into_iter()
            .map(|e| e as u32)
            .collect();
        let ends = nums(postings_len, true)?;
        if ends.first().is_some_and(|&e| e < post_start) || post_start > postings_len {
            return None;
        }
        let mut post_ends = Ends::default();
        for e in ends {
            post_ends.push(e)?;
        }
        // Read to check the layout; a query needs no article counts (see `Table::dfs`).
        nums(u64::from(u32::MAX), false)?;
        Some(Table {
            blob,
            post_start,
            term_ends,
            post_ends,
            dfs: Vec::new(),
        })
    };
    let text = read().ok_or_else(damaged)?;
    let source = read().ok_or_else(damaged)?;
    if !c.0.is_empty() {
        return Err(damaged());
    }
    Ok([text, source])
}

/// Writes `bytes` to `path` through a temporary file, fsynced, renamed into place, and the
/// folder fsynced: after a crash the file is whole or absent.
pub fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Merges segments of adjacent id ranges (oldest first) into one, written through `out`.
pub fn merge<W: Write>(parts: &[&Segment], out: W) -> Result<W, SearchError> {
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return Err(SearchError::Damaged("nothing to merge".into()));
    };
    let (lo, hi) = (first.lo, last.hi);
    let mut w = Encoder::new(out, lo, hi);
    let mut tables = Vec::with_capacity(FIELDS);
    let mut buf = Vec::new();
    let mut ids: Vec<u32> = Vec::new();
    for field in 0..FIELDS {
        let mut table = w.table();
        // A k-way merge by term: each part's terms are sorted.
        let mut next = vec![0usize; parts.len()];
        while let Some(term) = parts
            .iter()
            .zip(&next)
            .filter(|(p, &i)| i < p.tables[field].len())
            .map(|(p, &i)| p.tables[field].term(i))
            .min()
            .map(<[u8]>::to_vec)
        {
            ids.clear();
            for (p, i) in parts.iter().zip(next.iter_mut()) {
                if *i < p.tables[field].len() && p.tables[field].term(*i) == term.as_slice() {
                    let shift = (p.lo - lo) as u32;
                    p.read_postings(field, *i, &mut buf)?;
                    let (mut id, mut firstv) = (0u32, true);
                    decode_varints(&buf, |d| {
                        id = if firstv { d } else { id.wrapping_add(d) };
                        firstv = false;
                        ids.push(id + shift);
                    });
                    *i += 1;
                }
            }
            let term = String::from_utf8(term).map_err(|_| SearchError::Damaged("term".into()))?;
            w.postings(&mut table, &term, &ids);
            w.flush_if_large()?;
        }
        tables.push(table);
    }
    let docs = parts.iter().map(|p| p.docs).sum();
    Ok(w.finish(docs, &tables)?)
}

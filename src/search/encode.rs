//! Writing segments: a `Builder` gathers articles, in id order, into a new segment; `merge`
//! joins segments of adjacent id ranges into one. Both name text terms by the shared
//! dictionary's ids (see `dict`) and write the layout `segment` reads. No threads; the only I/O
//! is the writer handed in (memory or a file) and `write_durably`.

use super::bits::{decode_ids, put_varint};
use super::dict::Dictionary;
use super::segment::{Entry, Segment, Sources, ENTRY, MAGIC};
use super::terms::for_each_term;
use super::SearchError;
use crate::model::ArticleId;
use crate::text::normalize::normalize;
use rustc_hash::FxHashMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;

/// Collects articles, in id order, into a segment.
#[derive(Default)]
pub struct Builder {
    lo: Option<ArticleId>,
    docs: u32,
    /// Text term id to its slot in `text`.
    slots: FxHashMap<u32, u32>,
    text: Vec<(u32, Vec<u32>)>,
    /// Normalised source to the articles from it.
    sources: FxHashMap<String, Vec<u32>>,
}

impl Builder {
    /// Adds one article, numbering its new terms in `dict`. Ids must grow; the first one fixes
    /// the segment's start.
    pub fn add(
        &mut self,
        dict: &mut Dictionary,
        id: ArticleId,
        title: &str,
        paragraphs: &[String],
        source: &str,
    ) {
        let lo = *self.lo.get_or_insert(id);
        let local = (id - lo) as u32;
        self.docs += 1;
        let norms: Vec<String> = std::iter::once(title)
            .chain(paragraphs.iter().map(String::as_str))
            .map(normalize)
            .collect();
        // The article's distinct terms first, in a small table that stays in cache: the
        // dictionary's large one is then visited once per distinct term, not once per word.
        let mut mine: Vec<&str> = Vec::with_capacity(1024);
        for n in &norms {
            for_each_term(n, |t| mine.push(t));
        }
        mine.sort_unstable();
        mine.dedup();
        for t in mine {
            let term = dict.id(t);
            let next = self.text.len() as u32;
            let slot = *self.slots.entry(term).or_insert(next);
            if slot == next {
                self.text.push((term, Vec::new()));
            }
            self.text[slot as usize].1.push(local);
        }
        self.sources
            .entry(normalize(source))
            .or_default()
            .push(local);
    }

    pub fn docs(&self) -> u32 {
        self.docs
    }

    /// The segment of ids `lo..=hi` (`lo` at or before the first article added, `hi` at or
    /// after the last), as bytes; its terms' article counts are added to `dict`.
    pub fn encode(self, dict: &mut Dictionary, lo: ArticleId, hi: ArticleId) -> Vec<u8> {
        let shift = self.lo.map_or(0, |first| (first - lo) as u32);
        let mut w = Encoder::new(Vec::new(), lo, hi);
        let mut text = self.text;
        text.sort_unstable_by_key(|t| t.0);
        for (term, mut ids) in text {
            dict.add_df(term, ids.len() as u32);
            ids.iter_mut().for_each(|i| *i += shift);
            w.text(term, &ids);
        }
        let mut sources: Vec<(String, Vec<u32>)> = self.sources.into_iter().collect();
        sources.sort_unstable();
        w.start_sources();
        for (source, mut ids) in sources {
            ids.iter_mut().for_each(|i| *i += shift);
            w.source(source.as_bytes(), &ids);
        }
        w.finish(self.docs, dict.len())
            .expect("writing to memory cannot fail")
    }
}

/// Writes a segment: postings as they come, then the tables and the footer.
struct Encoder<W: Write> {
    out: W,
    hasher: xxhash_rust::xxh3::Xxh3,
    /// Bytes written to `out`, and bytes waiting in `buf`.
    written: u64,
    buf: Vec<u8>,
    lo: ArticleId,
    hi: ArticleId,
    text: Vec<u8>,
    sources: Sources,
}

impl<W: Write> Encoder<W> {
    fn new(out: W, lo: ArticleId, hi: ArticleId) -> Encoder<W> {
        let mut e = Encoder {
            out,
            hasher: xxhash_rust::xxh3::Xxh3::new(),
            written: 0,
            buf: Vec::new(),
            lo,
            hi,
            text: Vec::new(),
            sources: Sources::default(),
        };
        e.buf.extend_from_slice(MAGIC);
        e
    }

    /// Where the postings written so far end, from the start of the postings.
    fn postings_end(&self) -> u64 {
        self.written + self.buf.len() as u64 - MAGIC.len() as u64
    }

    fn emit(&mut self) -> std::io::Result<()> {
        self.hasher.update(&self.buf);
        self.out.write_all(&self.buf)?;
        self.written += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    fn flush_if_large(&mut self) -> std::io::Result<()> {
        if self.buf.len() >= 1 << 20 {
            self.emit()?;
        }
        Ok(())
    }

    fn put_ids(&mut self, ids: &[u32]) {
        let mut prev = 0u32;
        for (k, &id) in ids.iter().enumerate() {
            put_varint(&mut self.buf, if k == 0 { id } else { id - prev });
            prev = id;
        }
    }

    /// The postings of text term `term` (ids ascending, after every smaller term's).
    fn text(&mut self, term: u32, ids: &[u32]) {
        self.put_ids(ids);
        let end = self.postings_end();
        self.text.extend_from_slice(&term.to_le_bytes());
        self.text
            .extend_from_slice(&(ids.len() as u32).to_le_bytes());
        self.text.extend_from_slice(&end.to_le_bytes());
    }

    fn start_sources(&mut self) {
        self.sources.post_start = self.postings_end();
    }

    /// The postings of a source (in byte order, after every text term's).
    fn source(&mut self, source: &[u8], ids: &[u32]) {
        self.put_ids(ids);
        let s = &mut self.sources;
        s.blob.extend_from_slice(source);
        s.term_ends.push(s.blob.len() as u32);
        s.blob.push(b'\n');
        let end = self.postings_end();
        self.sources.post_ends.push(end);
    }

    fn finish(mut self, docs: u32, bound: u32) -> std::io::Result<W> {
        let text_at = self.written + self.buf.len() as u64;
        let text = std::mem::take(&mut self.text);
        for chunk in text.chunks(1 << 20) {
            self.buf.extend_from_slice(chunk);
            self.flush_if_large()?;
        }
        let source_at = self.written + self.buf.len() as u64;
        let s = std::mem::take(&mut self.sources);
        put_u64(&mut self.buf, s.term_ends.len() as u64);
        put_u64(&mut self.buf, s.blob.len() as u64);
        put_u64(&mut self.buf, s.post_start);
        self.buf.extend_from_slice(&s.blob);
        s.term_ends
            .iter()
            .for_each(|&e| put_u64(&mut self.buf, e.into()));
        s.post_ends.iter().for_each(|&e| put_u64(&mut self.buf, e));
        for v in [
            self.lo,
            self.hi,
            docs.into(),
            text_at,
            (text.len() / ENTRY) as u64,
            source_at,
            bound.into(),
        ] {
            put_u64(&mut self.buf, v);
        }
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

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
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

/// A segment's text entries read in order, a run of them at a time (a merge of large segments
/// never holds a whole table).
struct Entries<'a> {
    seg: &'a Segment,
    /// Index of the next run's first entry, the run, where we are in it.
    next: usize,
    run: Vec<Entry>,
    at: usize,
    /// Where the current entry's postings start.
    start: u64,
    raw: Vec<u8>,
}

const RUN: usize = 4096;

impl<'a> Entries<'a> {
    fn new(seg: &'a Segment) -> Entries<'a> {
        Entries {
            seg,
            next: 0,
            run: Vec::new(),
            at: 0,
            start: 0,
            raw: Vec::new(),
        }
    }

    /// The current entry, with where its postings start.
    fn peek(&mut self) -> std::io::Result<Option<(Entry, u64)>> {
        if self.at == self.run.len() {
            let to = (self.next + RUN).min(self.seg.terms());
            if self.next == to {
                return Ok(None);
            }
            self.seg
                .entries(self.next, to, &mut self.raw, &mut self.run)?;
            (self.next, self.at) = (to, 0);
        }
        Ok(Some((self.run[self.at], self.start)))
    }

    fn advance(&mut self) {
        if let Some(e) = self.run.get(self.at) {
            self.start = e.end;
            self.at += 1;
        }
    }
}

/// Merges segments of adjacent id ranges (oldest first) into one, written through `out`; its
/// term ids are below `bound` (the dictionary's length).
pub fn merge<W: Write>(parts: &[&Segment], bound: u32, out: W) -> Result<W, SearchError> {
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return Err(SearchError::Damaged("nothing to merge".into()));
    };
    let (lo, hi) = (first.lo, last.hi);
    let mut w = Encoder::new(out, lo, hi);
    let mut buf = Vec::new();
    let mut ids: Vec<u32> = Vec::new();
    let shifts: Vec<u32> = parts.iter().map(|p| (p.lo - lo) as u32).collect();
    // A k-way merge by term id: each part's entries are in id order.
    let mut cursors: Vec<Entries> = parts.iter().map(|p| Entries::new(p)).collect();
    loop {
        let mut min = None;
        for c in cursors.iter_mut() {
            if let Some((e, _)) = c.peek()? {
                min = Some(min.map_or(e.id, |m: u32| m.min(e.id)));
            }
        }
        let Some(term) = min else { break };
        ids.clear();
        for (c, &shift) in cursors.iter_mut().zip(&shifts) {
            if let Some((e, start)) = c.peek()?.filter(|(e, _)| e.id == term) {
                c.seg.read_postings(start, e.end, &mut buf)?;
                decode_ids(&buf, |id| ids.push(id + shift));
                c.advance();
            }
        }
        w.text(term, &ids);
        w.flush_if_large()?;
    }
    // The sources: a k-way merge by name.
    w.start_sources();
    let mut next = vec![0usize; parts.len()];
    while let Some(source) = parts
        .iter()
        .zip(&next)
        .filter(|(p, &i)| i < p.sources.len())
        .map(|(p, &i)| p.sources.term(i))
        .min()
        .map(<[u8]>::to_vec)
    {
        ids.clear();
        for ((p, i), &shift) in parts.iter().zip(next.iter_mut()).zip(&shifts) {
            if *i < p.sources.len() && p.sources.term(*i) == source.as_slice() {
                let (a, b) = p.sources.postings_range(*i);
                p.read_postings(a, b, &mut buf)?;
                decode_ids(&buf, |id| ids.push(id + shift));
                *i += 1;
            }
        }
        w.source(&source, &ids);
    }
    let docs = parts.iter().map(|p| p.docs).sum();
    Ok(w.finish(docs, bound)?)
}

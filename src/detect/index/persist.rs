//! The index's arrays written to and read back from a byte stream, for the engine's snapshot
//! (`engine/snapshot.rs` owns the file, its header and checksum). Everything is little-endian,
//! read straight into the block arrays (no second copy of the index), and checked as it is read:
//! lengths against the bytes left, directories against their postings, every slot against the
//! number of articles, so a damaged stream gives an error, never a panic or a wrong index.
//! No files here: any `Read` or `Write`.

use super::buckets::{Blocks, Buckets, MAX_DIR_BITS, RECENT_MAX, TAG_BITS};
use super::{AnchorIndex, DocIndex, SeenFilter, SimIndex, ANCHOR_DIR_BITS};
use std::io::{self, Read, Write};

#[derive(Debug, thiserror::Error)]
pub(crate) enum PersistError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("the saved index is inconsistent: {0}")]
    Invalid(&'static str),
}

type Result<T> = std::result::Result<T, PersistError>;

fn invalid<T>(why: &'static str) -> Result<T> {
    Err(PersistError::Invalid(why))
}

/// Bytes converted per write or read: large enough for full-speed I/O (a read this large
/// bypasses a smaller `BufReader`'s buffer: one copy from the kernel, none through the buffer),
/// small enough to stay in the cache while the checksum and the conversion pass over it.
const CHUNK_BYTES: usize = 1 << 20;

/// A fixed-size little-endian value of the arrays.
pub(crate) trait Word: Copy + Default {
    const SIZE: usize;
    fn put(self, out: &mut [u8]);
    fn get(bytes: &[u8]) -> Self;
}

macro_rules! word {
    ($t:ty) => {
        impl Word for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn put(self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_le_bytes());
            }
            fn get(bytes: &[u8]) -> Self {
                let mut b = [0u8; std::mem::size_of::<$t>()];
                b.copy_from_slice(bytes);
                <$t>::from_le_bytes(b)
            }
        }
    };
}
word!(u16);
word!(u32);
word!(u64);

/// Bytes a reader may still hand over: a length read from the stream is checked against it
/// before anything is allocated for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget(pub u64);

impl Budget {
    fn take(&mut self, n: u64, size: usize) -> Result<usize> {
        let bytes = n.checked_mul(size as u64);
        match bytes {
            Some(b) if b <= self.0 => {
                self.0 -= b;
                usize::try_from(n).or_else(|_| invalid("a length beyond this machine"))
            }
            _ => invalid("a length beyond the end of the file"),
        }
    }
}

pub(crate) fn write_word<W: Write + ?Sized, T: Word>(w: &mut W, v: T) -> io::Result<()> {
    let mut b = [0u8; 8];
    v.put(&mut b[..T::SIZE]);
    w.write_all(&b[..T::SIZE])
}

pub(crate) fn read_word<R: Read + ?Sized, T: Word>(r: &mut R, budget: &mut Budget) -> Result<T> {
    budget.take(1, T::SIZE)?;
    let mut b = [0u8; 8];
    r.read_exact(&mut b[..T::SIZE])?;
    Ok(T::get(&b[..T::SIZE]))
}

/// Writes the values of `items`, without their count.
fn write_all_words<W: Write + ?Sized, T: Word>(w: &mut W, items: &[T]) -> io::Result<()> {
    let mut buf = vec![0u8; CHUNK_BYTES];
    for chunk in items.chunks(CHUNK_BYTES / T::SIZE) {
        for (v, out) in chunk.iter().zip(buf.chunks_exact_mut(T::SIZE)) {
            v.put(out);
        }
        w.write_all(&buf[..chunk.len() * T::SIZE])?;
    }
    Ok(())
}

/// Fills `items` from the stream.
fn read_all_words<R: Read + ?Sized, T: Word>(r: &mut R, items: &mut [T]) -> io::Result<()> {
    let mut buf = vec![0u8; CHUNK_BYTES];
    for chunk in items.chunks_mut(CHUNK_BYTES / T::SIZE) {
        let bytes = &mut buf[..chunk.len() * T::SIZE];
        r.read_exact(bytes)?;
        for (v, b) in chunk.iter_mut().zip(bytes.chunks_exact(T::SIZE)) {
            *v = T::get(b);
        }
    }
    Ok(())
}

/// A count, then the values.
pub(crate) fn write_words<W: Write + ?Sized, T: Word>(w: &mut W, items: &[T]) -> io::Result<()> {
    write_word(w, items.len() as u64)?;
    write_all_words(w, items)
}

pub(crate) fn read_words<R: Read + ?Sized, T: Word>(
    r: &mut R,
    budget: &mut Budget,
) -> Result<Vec<T>> {
    let n: u64 = read_word(r, budget)?;
    let n = budget.take(n, T::SIZE)?;
    let mut out = vec![T::default(); n];
    read_all_words(r, &mut out)?;
    Ok(out)
}

fn write_blocks<W: Write + ?Sized, T: Word>(w: &mut W, b: &Blocks<T>) -> io::Result<()> {
    write_word(w, b.len() as u64)?;
    b.blocks
        .iter()
        .try_for_each(|block| write_all_words(w, block))
}

fn read_blocks<R: Read + ?Sized, T: Word>(r: &mut R, budget: &mut Budget) -> Result<Blocks<T>> {
    let n: u64 = read_word(r, budget)?;
    let n = budget.take(n, T::SIZE)?;
    let mut b = Blocks::default();
    b.grow_to(n);
    for block in &mut b.blocks {
        read_all_words(r, block)?;
    }
    Ok(b)
}

impl Buckets {
    fn write_to<W: Write + ?Sized>(&self, w: &mut W) -> io::Result<()> {
        write_word(w, self.dir_bits)?;
        write_word(w, u32::from(self.tagged))?;
        write_words(w, &self.dir)?;
        write_blocks(w, &self.slots)?;
        if self.tagged {
            write_blocks(w, &self.tags)?;
        }
        // Recent postings by short key (in key order, so equal indexes write equal bytes), each
        // key's slots oldest first.
        let mut keys: Vec<(&u64, &Vec<u32>)> = self.recent.by_key.iter().collect();
        keys.sort_unstable_by_key(|&(k, _)| *k);
        write_word(w, keys.len() as u64)?;
        for (&short, slots) in keys {
            write_word(w, short)?;
            write_words(w, slots)?;
        }
        Ok(())
    }

    /// Reads a table written by `write_to` whose layout must be `like`'s and whose slots must be
    /// below `slots`.
    fn read_from<R: Read + ?Sized>(
        r: &mut R,
        like: &Buckets,
        slots: u32,
        budget: &mut Budget,
    ) -> Result<Buckets> {
        let mut b = Buckets::new(like.base_bits, like.tagged);
        let dir_bits: u32 = read_word(r, budget)?;
        let tagged: u32 = read_word(r, budget)?;
        // A tagged table's directory may have grown from its base (never past MAX_DIR_BITS).
        let widths = if b.tagged {
            b.base_bits..=MAX_DIR_BITS.min(b.base_bits + TAG_BITS).max(b.base_bits)
        } else {
            b.base_bits..=b.base_bits
        };
        if !widths.contains(&dir_bits) || tagged != u32::from(b.tagged) {
            return invalid("a table's layout differs from this copydesk's");
        }
        b.dir_bits = dir_bits;
        b.dir = read_words(r, budget)?;
        b.slots = read_blocks(r, budget)?;
        if b.tagged {
            b.tags = read_blocks(r, budget)?;
        }
        b.check_base(slots)?;
        let keys: u64 = read_word(r, budget)?;
        for _ in 0..keys {
            let short: u64 = read_word(r, budget)?;
            let list: Vec<u32> = read_words(r, budget)?;
            let tag_mask = (1u64 << TAG_BITS) - 1;
            if short >> TAG_BITS >= 1 << b.base_bits || (!b.tagged && short & tag_mask != 0) {
                return invalid("a recent posting's key is out of range");
            }
            if list.iter().any(|&s| s >= slots) || b.recent.len() + list.len() > RECENT_MAX {
                return invalid("a recent posting is out of range");
            }
            // The key's list as it was read (a key written twice is a damaged file).
            if !b.insert_recent_list(short, list) {
                return invalid("a recent posting's key is written twice");
            }
        }
        Ok(b)
    }

    /// The base is what `compact` and `build` leave: a directory of ascending offsets ending at
    /// the number of postings, tags ascending within each bucket, slots below `slots`.
    fn check_base(&self, slots: u32) -> Result<()> {
        let n = self.slots.len();
        if self.tagged && self.tags.len() != n {
            return invalid("a table has as many tags as postings");
        }
        if self.dir.is_empty() {
            return if n == 0 {
                Ok(())
            } else {
                invalid("postings without a directory")
            };
        }
        if self.dir.len() != (1 << self.dir_bits) + 1
            || self.dir[0] != 0
            || self.dir.last().map(|&e| e as usize) != Some(n)
            || self.dir.windows(2).any(|w| w[0] > w[1])
        {
            return invalid("a table's directory does not match its postings");
        }
        for block in &self.slots.blocks {
            // The largest slot (a loop that vectorises) rather than a search that stops early.
            if block.iter().copied().max().is_some_and(|m| m >= slots) {
                return invalid("a posting names an article beyond the index");
            }
        }
        if self.tagged {
            for w in self.dir.windows(2) {
                let tags = self.tags.range(w[0] as usize..w[1] as usize);
                if tags.windows(2).any(|t| t[0] > t[1]) {
                    return invalid("a bucket's tags are out of order");
                }
            }
        }
        Ok(())
    }
}

impl SimIndex {
    /// Writes the fingerprints and every table.
    pub(crate) fn write_to<W: Write + ?Sized>(&self, w: &mut W) -> io::Result<()> {
        write_word(w, self.max_distance)?;
        write_words(w, &self.fps)?;
        write_word(w, self.tables.len() as u32)?;
        self.tables.iter().try_for_each(|t| t.write_to(w))
    }

    /// Reads an index written by `write_to` with the radius `max_distance`.
    pub(crate) fn read_from<R: Read + ?Sized>(
        r: &mut R,
        max_distance: u32,
        budget: &mut Budget,
    ) -> Result<SimIndex> {
        let mut idx = SimIndex::new(max_distance);
        let radius: u32 = read_word(r, budget)?;
        if radius != max_distance {
            return invalid("it was saved for another simhash_max_distance");
        }
        idx.fps = read_words(r, budget)?;
        // Room to grow without doubling the array at the next article (reserved, not resident).
        idx.fps.reserve_exact(idx.fps.len() / 4);
        let slots = u32::try_from(idx.fps.len()).or_else(|_| invalid("too many articles"))?;
        let tables: u32 = read_word(r, budget)?;
        if tables as usize != idx.tables.len() {
            return invalid("it has another number of SimHash tables");
        }
        for t in 0..idx.tables.len() {
            idx.tables[t] = Buckets::read_from(r, &idx.tables[t], slots, budget)?;
        }
        Ok(idx)
    }
}

impl AnchorIndex {
    pub(crate) fn write_to<W: Write + ?Sized>(&self, w: &mut W) -> io::Result<()> {
        self.0.write_to(w)
    }

    /// Reads an index written by `write_to` whose slots are below `slots`.
    pub(crate) fn read_from<R: Read + ?Sized>(
        r: &mut R,
        slots: u32,
        budget: &mut Budget,
    ) -> Result<AnchorIndex> {
        let like = Buckets::new(ANCHOR_DIR_BITS, true);
        Buckets::read_from(r, &like, slots, budget).map(AnchorIndex)
    }
}

impl SeenFilter {
    pub(crate) fn write_to<W: Write + ?Sized>(&self, w: &mut W) -> io::Result<()> {
        write_words(w, self.words())
    }

    pub(crate) fn read_from<R: Read + ?Sized>(
        r: &mut R,
        budget: &mut Budget,
    ) -> Result<SeenFilter> {
        let bits = read_words(r, budget)?;
        match SeenFilter::from_words(bits) {
            Some(filter) => Ok(filter),
            None => invalid("the document filter has a size no filter has"),
        }
    }
}

impl DocIndex {
    /// The sorted hashes, then their slots (the recent documents merged in first).
    pub(crate) fn write_to<W: Write + ?Sized>(&self, w: &mut W) -> io::Result<()> {
        let merged;
        let whole = if self.is_compact() {
            self
        } else {
            merged = {
                let mut m = self.clone();
                m.compact();
                m
            };
            &merged
        };
        let (hashes, slots) = whole.sorted();
        write_words(w, hashes)?;
        write_words(w, slots)
    }

    /// Reads what `write_to` wrote, for an index of `slots` articles.
    pub(crate) fn read_from<R: Read + ?Sized>(
        r: &mut R,
        slots: u32,
        budget: &mut Budget,
    ) -> Result<DocIndex> {
        let hashes: Vec<u64> = read_words(r, budget)?;
        let firsts: Vec<u32> = read_words(r, budget)?;
        match DocIndex::from_sorted(hashes, firsts, slots) {
            Some(docs) => Ok(docs),
            None => invalid("the document index is out of order or names an unknown article"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::SimHash;
    use proptest::prelude::*;

    fn save(sim: &SimIndex, anchors: &AnchorIndex, seen: &SeenFilter) -> Vec<u8> {
        let mut out = Vec::new();
        sim.write_to(&mut out).expect("to memory");
        anchors.write_to(&mut out).expect("to memory");
        seen.write_to(&mut out).expect("to memory");
        out
    }

    fn load(bytes: &[u8], radius: u32) -> Result<(SimIndex, AnchorIndex, SeenFilter)> {
        let mut r = bytes;
        let mut budget = Budget(bytes.len() as u64);
        let sim = SimIndex::read_from(&mut r, radius, &mut budget)?;
        let anchors = AnchorIndex::read_from(&mut r, sim.len() as u32, &mut budget)?;
        let seen = SeenFilter::read_from(&mut r, &mut budget)?;
        Ok((sim, anchors, seen))
    }

    /// Every answer of the two indexes, for the probes given.
    fn answers(sim: &SimIndex, anchors: &AnchorIndex, probes: &[u64]) -> Vec<Vec<u32>> {
        let mut out = Vec::new();
        for &p in probes {
            out.push(sim.near(SimHash(p)).into_iter().map(|(s, _)| s).collect());
            let mut got = Vec::new();
            anchors.postings(p, usize::MAX, |s| got.push(s));
            got.sort_unstable();
            out.push(got);
        }
        out
    }

    proptest! {
        #[test]
        fn a_saved_index_reads_back_to_one_that_answers_as_a_rebuild_does(
            fps in prop::collection::vec(any::<u64>(), 0..120),
            anchor_sets in prop::collection::vec(prop::collection::vec(0u64..60, 0..6), 0..120),
            compact_at in 0usize..130,
            radius in 0u32..5,
        ) {
            // Keys from a small set, so that keys share buckets and tags; some fingerprints
            // near others.
            let anchor = |a: u64| a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (a % 7) << 40;
            let fps: Vec<u64> = fps.iter().enumerate()
                .map(|(i, &f)| if i % 3 == 2 { fps[i - 1] ^ (f & 0x11) } else { f }).collect();
            let n = fps.len().min(anchor_sets.len());
            let (mut sim, mut anchors, mut seen) =
                (SimIndex::new(radius), AnchorIndex::new(), SeenFilter::default());
            for i in 0..n {
                if i == compact_at {
                    sim.compact();
                    anchors.compact();
                }
                let slot = sim.push(SimHash(fps[i]));
                let keys: Vec<u64> = anchor_sets[i].iter().map(|&a| anchor(a)).collect();
                anchors.insert(slot, &keys);
                seen.insert(fps[i]);
            }
            let bytes = save(&sim, &anchors, &seen);
            let (sim2, anchors2, seen2) = load(&bytes, radius).expect("reads back");
            prop_assert_eq!(save(&sim2, &anchors2, &seen2), bytes, "saved again, the same bytes");
            prop_assert_eq!(&seen2.bits, &seen.bits);

            let rebuilt_sim = SimIndex::build(radius, fps[..n].to_vec());
            let rebuilt_anchors = AnchorIndex::build(|f| {
                for (slot, set) in anchor_sets[..n].iter().enumerate() {
                    set.iter().for_each(|&a| f(anchor(a), slot as u32));
                }
                Ok::<(), ()>(())
            }).expect("built");
            let probes: Vec<u64> = fps[..n].iter().copied().chain((0..60).map(anchor)).collect();
            prop_assert_eq!(
                answers(&sim2, &anchors2, &probes),
                answers(&rebuilt_sim, &rebuilt_anchors, &probes)
            );
        }

        #[test]
        fn a_damaged_stream_is_refused_or_read_without_panic(
            fps in prop::collection::vec(any::<u64>(), 1..40),
            cut in any::<prop::sample::Index>(),
            flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..), 0..4),
        ) {
            let mut sim = SimIndex::new(3);
            let mut anchors = AnchorIndex::new();
            for (i, &f) in fps.iter().enumerate() {
                let slot = sim.push(SimHash(f));
                anchors.insert(slot, &[f, f.rotate_left(i as u32)]);
                if i == fps.len() / 2 {
                    sim.compact();
                    anchors.compact();
                }
            }
            let bytes = save(&sim, &anchors, &SeenFilter::default());
            // Cut short: always refused.
            let cut = cut.index(bytes.len());
            prop_assert!(load(&bytes[..cut], 3).is_err());
            // Bytes changed: refused, or read into an index that answers without panicking
            // (the snapshot's checksum catches these; this layer must only stay safe).
            let mut bad = bytes.clone();
            for (at, x) in &flips {
                let at = at.index(bad.len());
                bad[at] ^= x;
            }
            if let Ok((s, a, _)) = load(&bad, 3) {
                let probes: Vec<u64> = fps.clone();
                answers(&s, &a, &probes);
            }
        }
    }

    #[test]
    fn a_grown_directory_reads_back_and_a_wider_one_than_allowed_is_refused() {
        let key = |i: u64| xxhash_rust::xxh3::xxh3_64(&(i % 5_000).to_le_bytes());
        let mut b = Buckets::new(4, true);
        for s in 0..20_000u32 {
            b.insert(key(u64::from(s)), s);
        }
        b.compact();
        b.insert(key(3), 20_000);
        assert!(b.dir_bits > 4, "grown");
        let mut bytes = Vec::new();
        b.write_to(&mut bytes).expect("to memory");
        let like = Buckets::new(4, true);
        let read = |bytes: &[u8]| {
            let mut r = bytes;
            Buckets::read_from(&mut r, &like, 20_001, &mut Budget(bytes.len() as u64))
        };
        let back = read(&bytes).expect("reads back");
        assert_eq!(back.dir_bits, b.dir_bits);
        let mut again = Vec::new();
        back.write_to(&mut again).expect("to memory");
        assert_eq!(again, bytes, "saved again, the same bytes");
        for p in (0..5_100).map(key) {
            let (mut want, mut got) = (Vec::new(), Vec::new());
            b.get(p, usize::MAX, |s| want.push(s));
            back.get(p, usize::MAX, |s| got.push(s));
            assert_eq!(got, want);
        }
        // Directory widths no table of this base has: narrower than its base, or wider than
        // its short key.
        for bits in [3u32, 21] {
            let mut bad = bytes.clone();
            bad[..4].copy_from_slice(&bits.to_le_bytes());
            assert!(
                matches!(read(&bad), Err(PersistError::Invalid(_))),
                "{bits}"
            );
        }
    }

    #[test]
    fn recent_postings_read_back_whole_and_a_key_written_twice_is_refused() {
        let mut b = Buckets::new(20, true);
        b.insert(7 << 40, 0);
        b.insert(7 << 40, 1);
        let mut bytes = Vec::new();
        b.write_to(&mut bytes).expect("to memory");
        let like = Buckets::new(20, true);
        let read = |bytes: &[u8]| {
            let mut r = bytes;
            Buckets::read_from(&mut r, &like, 2, &mut Budget(bytes.len() as u64))
        };
        let back = read(&bytes).expect("reads back");
        let mut got = Vec::new();
        back.get(7 << 40, usize::MAX, |s| got.push(s));
        assert_eq!(got, [0, 1], "oldest first");
        // The recent part is its key count, then each key (8 bytes), its slot count and slots:
        // one key with two slots is the last 24 bytes. Written twice, it is refused.
        let entry = bytes[bytes.len() - 24..].to_vec();
        let count_at = bytes.len() - 32;
        assert_eq!(bytes[count_at..count_at + 8], 1u64.to_le_bytes(), "one key");
        let mut twice = bytes.clone();
        twice[count_at..count_at + 8].copy_from_slice(&2u64.to_le_bytes());
        twice.extend_from_slice(&entry);
        assert!(
            matches!(read(&twice), Err(PersistError::Invalid(why)) if why.contains("twice")),
            "refused as a key written twice"
        );
    }

    #[test]
    fn another_radius_or_a_huge_length_is_refused() {
        let mut sim = SimIndex::new(3);
        sim.push(SimHash(42));
        let bytes = save(&sim, &AnchorIndex::new(), &SeenFilter::default());
        assert!(matches!(load(&bytes, 4), Err(PersistError::Invalid(_))));
        let mut huge = bytes.clone();
        // The fingerprint count, just after the radius.
        huge[4..12].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(load(&huge, 3), Err(PersistError::Invalid(_))));
    }
}

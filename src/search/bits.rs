//! A set of a segment's articles, a bit each, and the LEB128 varints postings are written in.
//! Plain values: no I/O.

/// A set of a segment's articles (offsets from its first id), a bit each.
#[derive(Debug, Clone)]
pub struct Bits {
    words: Vec<u64>,
    pub(super) len: usize,
}

impl Bits {
    pub(super) fn new(len: usize) -> Bits {
        Bits {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    pub(super) fn set(&mut self, i: usize) {
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

pub(super) fn put_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Calls `f` with each id of a posting list (LEB128 deltas, the first one as it is).
pub(super) fn decode_ids(bytes: &[u8], mut f: impl FnMut(u32)) {
    let (mut v, mut shift) = (0u32, 0u32);
    let (mut id, mut first) = (0u32, true);
    for &b in bytes {
        v |= u32::from(b & 0x7F).checked_shl(shift).unwrap_or(0);
        if b < 0x80 {
            id = if first { v } else { id.wrapping_add(v) };
            first = false;
            f(id);
            v = 0;
            shift = 0;
        } else {
            shift += 7;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_round_trip_and_sets_iterate_downwards() {
        let ids = [0u32, 1, 127, 128, 300, 70_000, 70_001];
        let mut bytes = Vec::new();
        let mut prev = 0;
        for (k, &i) in ids.iter().enumerate() {
            put_varint(&mut bytes, if k == 0 { i } else { i - prev });
            prev = i;
        }
        let mut back = Vec::new();
        decode_ids(&bytes, |i| back.push(i));
        assert_eq!(back, ids);
        let mut set = Bits::new(70_002);
        ids.iter().for_each(|&i| set.set(i as usize));
        let down: Vec<usize> = set.iter_rev().collect();
        assert_eq!(down, [70_001, 70_000, 300, 128, 127, 1, 0]);
        assert_eq!(set.count(), 7);
    }
}

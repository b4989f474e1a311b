//! Binary layout of the fingerprint and content values: compact, versioned, and decoded without
//! allocation-heavy formats on the hot path. Decoding checks every length and never panics.

use crate::model::BlockInfo;

/// Fingerprints of one stored article: what the index is rebuilt from.
#[derive(Debug, Clone, PartialEq)]
pub struct FpRecord {
    pub simhash: u64,
    pub exact: u64,
    pub anchors: Vec<u64>,
}

/// The stored story: its blocks (for template evidence) and its paragraphs.
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    pub blocks: Vec<BlockInfo>,
    pub paragraphs: Vec<String>,
}

/// Version 1 had 32-bit anchors: they are read (for the schema upgrade) but not kept.
const FP_VERSION: u8 = 2;
const CONTENT_VERSION: u8 = 1;

pub(crate) fn encode_fp(fp: &FpRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(21 + fp.anchors.len() * 8);
    out.push(FP_VERSION);
    out.extend_from_slice(&fp.simhash.to_le_bytes());
    out.extend_from_slice(&fp.exact.to_le_bytes());
    out.extend_from_slice(&(fp.anchors.len() as u32).to_le_bytes());
    for a in &fp.anchors {
        out.extend_from_slice(&a.to_le_bytes());
    }
    out
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)?.try_into().ok().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)?.try_into().ok().map(u64::from_le_bytes)
    }
}

pub(crate) fn decode_fp(bytes: &[u8]) -> Option<FpRecord> {
    let mut r = Reader(bytes);
    let version = r.u8()?;
    let width = match version {
        1 => 4,
        FP_VERSION => 8,
        _ => return None,
    };
    let simhash = r.u64()?;
    let exact = r.u64()?;
    let n = r.u32()? as usize;
    let raw = r.take(n.checked_mul(width)?)?;
    let anchors = if version == FP_VERSION {
        raw.chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect()
    } else {
        Vec::new()
    };
    Some(FpRecord {
        simhash,
        exact,
        anchors,
    })
}

/// Encodes content; the text is capped at `max_text_bytes` (whole paragraphs) and compressed.
pub(crate) fn encode_content(c: &Content, max_text_bytes: usize) -> Vec<u8> {
    encode_content_parts(&c.blocks, &c.paragraphs, max_text_bytes)
}

/// `encode_content` of the parts of a `Content`, for a caller that has not built one yet.
pub(crate) fn encode_content_parts(
    blocks: &[BlockInfo],
    paragraphs: &[String],
    max_text_bytes: usize,
) -> Vec<u8> {
    let mut text = String::new();
    for p in paragraphs {
        if !text.is_empty() && text.len() + p.len() + 1 > max_text_bytes {
            break;
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(p);
    }
    let header = 5 + blocks.len() * 13;
    let bound = lz4_flex::block::get_maximum_output_size(text.len());
    let mut out = Vec::with_capacity(header + 4 + bound);
    out.push(CONTENT_VERSION);
    out.extend_from_slice(&(blocks.len() as u32).to_le_bytes());
    for b in blocks {
        out.extend_from_slice(&b.hash.to_le_bytes());
        out.extend_from_slice(&b.words.to_le_bytes());
        out.push(u8::from(b.kept));
    }
    // What `compress_prepend_size` writes (the text's length, then the block), compressed in
    // place rather than into a buffer of its own.
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    let at = out.len();
    out.resize(at + bound, 0);
    let n = lz4_flex::block::compress_into(text.as_bytes(), &mut out[at..])
        .expect("the output is sized to the compression bound");
    out.truncate(at + n);
    out
}

/// The block hashes of encoded content, without decompressing its text.
pub(crate) fn decode_block_hashes(bytes: &[u8]) -> Option<Vec<u64>> {
    let mut r = Reader(bytes);
    if r.u8()? != CONTENT_VERSION {
        return None;
    }
    let n = r.u32()? as usize;
    let mut hashes = Vec::with_capacity(n.min(1 << 16));
    for _ in 0..n {
        hashes.push(r.u64()?);
        r.take(5)?;
    }
    Some(hashes)
}

pub(crate) fn decode_content(bytes: &[u8]) -> Option<Content> {
    let mut r = Reader(bytes);
    if r.u8()? != CONTENT_VERSION {
        return None;
    }
    let n = r.u32()? as usize;
    let mut blocks = Vec::with_capacity(n.min(1 << 16));
    for _ in 0..n {
        blocks.push(BlockInfo {
            hash: r.u64()?,
            words: r.u32()?,
            kept: r.u8()? != 0,
        });
    }
    let text = lz4_flex::decompress_size_prepended(r.0).ok()?;
    let text = String::from_utf8(text).ok()?;
    let paragraphs = if text.is_empty() {
        Vec::new()
    } else {
        text.split('\n').map(str::to_owned).collect()
    };
    Some(Content { blocks, paragraphs })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fingerprints_round_trip(simhash: u64, exact: u64, anchors: Vec<u64>) {
            let fp = FpRecord { simhash, exact, anchors };
            prop_assert_eq!(decode_fp(&encode_fp(&fp)), Some(fp));
        }

        #[test]
        fn content_round_trips(paragraphs in prop::collection::vec("[^\n]{1,40}", 0..10),
                               blocks in prop::collection::vec((any::<u64>(), any::<u32>(), any::<bool>()), 0..10)) {
            let c = Content {
                blocks: blocks.into_iter().map(|(hash, words, kept)| BlockInfo { hash, words, kept }).collect(),
                paragraphs,
            };
            let encoded = encode_content(&c, usize::MAX);
            let hashes: Vec<u64> = c.blocks.iter().map(|b| b.hash).collect();
            prop_assert_eq!(decode_block_hashes(&encoded), Some(hashes));
            prop_assert_eq!(decode_content(&encoded), Some(c));
        }

        #[test]
        fn decoding_garbage_never_panics(bytes: Vec<u8>) {
            let _ = decode_fp(&bytes);
            let _ = decode_content(&bytes);
            let _ = decode_block_hashes(&bytes);
        }
    }

    #[test]
    fn long_text_is_capped_at_whole_paragraphs() {
        let c = Content {
            blocks: vec![],
            paragraphs: vec!["a".repeat(600), "b".repeat(600)],
        };
        let back = decode_content(&encode_content(&c, 1000)).expect("decodes");
        assert_eq!(back.paragraphs, ["a".repeat(600)]);
    }
}

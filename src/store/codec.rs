//! Binary layout of the fingerprint, content, words and article values: compact, versioned, and
//! decoded without allocation-heavy formats on the hot path. Decoding checks every length and
//! never panics.

use crate::model::BlockInfo;

/// Fingerprints of one stored article: what the index is rebuilt from.
#[derive(Debug, Clone, PartialEq)]
pub struct FpRecord {
    pub simhash: u64,
    pub exact: u64,
    pub anchors: Vec<u64>,
}

/// The stored page: every block (the page-level evidence of the verdict, template learning),
/// the site the page names, and the story's paragraphs.
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    pub blocks: Vec<BlockInfo>,
    pub paragraphs: Vec<String>,
    /// The site key the page names (`detect::page::site_key`), 0 when none (and in version 1).
    pub site: u64,
}

/// Version 1 had 32-bit anchors: they are read (for the schema upgrade) but not kept.
const FP_VERSION: u8 = 2;
/// Version 2 adds the page's site key after the version byte, and each block's prose flag (bit 1
/// of the flags byte; bit 0 is `kept`). Version 1 records are read with no site and the flag
/// derived from what they hold (see `prose_of_v1`).
const CONTENT_VERSION: u8 = 2;
const KEPT_BIT: u8 = 1;
const PROSE_BIT: u8 = 2;

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
    encode_content_text(
        &c.blocks,
        &stored_text(&c.paragraphs, max_text_bytes),
        c.site,
    )
}

/// The story's text as the content record keeps it: the paragraphs `paragraphs_kept` keeps
/// under `max_text_bytes`, one newline apart.
pub(crate) fn stored_text(paragraphs: &[String], max_text_bytes: usize) -> String {
    let mut text = String::new();
    for p in &paragraphs[..paragraphs_kept(paragraphs, max_text_bytes)] {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(p);
    }
    text
}

/// `encode_content` of blocks, the text as `stored_text` makes it, and the site.
pub(crate) fn encode_content_text(blocks: &[BlockInfo], text: &str, site: u64) -> Vec<u8> {
    let header = 13 + blocks.len() * 13;
    let bound = lz4_flex::block::get_maximum_output_size(text.len());
    let mut out = Vec::with_capacity(header + 4 + bound);
    out.push(CONTENT_VERSION);
    out.extend_from_slice(&site.to_le_bytes());
    out.extend_from_slice(&(blocks.len() as u32).to_le_bytes());
    for b in blocks {
        out.extend_from_slice(&b.hash.to_le_bytes());
        out.extend_from_slice(&b.words.to_le_bytes());
        out.push((u8::from(b.kept) * KEPT_BIT) | (u8::from(b.prose) * PROSE_BIT));
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

/// How many of `paragraphs`, from the first, the stored text holds under the cap of
/// `max_text_bytes` (whole paragraphs, one newline apart; the first always).
pub(crate) fn paragraphs_kept(paragraphs: &[String], max_text_bytes: usize) -> usize {
    // The length of the text so far, as `stored_text` joins it.
    let mut len = 0usize;
    for (i, p) in paragraphs.iter().enumerate() {
        if len > 0 && len + p.len() + 1 > max_text_bytes {
            return i;
        }
        len += p.len() + usize::from(len > 0);
    }
    paragraphs.len()
}

/// The block hashes of encoded content, without decompressing its text.
pub(crate) fn decode_block_hashes(bytes: &[u8]) -> Option<Vec<u64>> {
    let mut r = Reader(bytes);
    match r.u8()? {
        1 => {}
        CONTENT_VERSION => {
            r.u64()?; // the site
        }
        _ => return None,
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
    let (site, blocks) = content_head(&mut r)?;
    let text = lz4_flex::decompress_size_prepended(r.0).ok()?;
    let text = String::from_utf8(text).ok()?;
    let paragraphs = if text.is_empty() {
        Vec::new()
    } else {
        text.split('\n').map(str::to_owned).collect()
    };
    Some(Content {
        blocks,
        paragraphs,
        site,
    })
}

/// The site and blocks at the head of encoded content, `r` left at its text.
fn content_head(r: &mut Reader<'_>) -> Option<(u64, Vec<BlockInfo>)> {
    let version = r.u8()?;
    let site = match version {
        1 => 0,
        CONTENT_VERSION => r.u64()?,
        _ => return None,
    };
    let n = r.u32()? as usize;
    let mut blocks = Vec::with_capacity(n.min(1 << 16));
    for _ in 0..n {
        let (hash, words, flags) = (r.u64()?, r.u32()?, r.u8()?);
        let kept = flags & KEPT_BIT != 0;
        blocks.push(BlockInfo {
            hash,
            words,
            kept,
            prose: if version == 1 {
                prose_of_v1(words, kept)
            } else {
                flags & PROSE_BIT != 0
            },
        });
    }
    Some((site, blocks))
}

/// The story's text of encoded content (`stored_text`), without building its paragraphs.
pub(crate) fn decode_content_text(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut r = Reader(bytes);
    match r.u8()? {
        1 => {}
        CONTENT_VERSION => {
            r.u64()?; // the site
        }
        _ => return None,
    }
    let n = r.u32()? as usize;
    r.take(n.checked_mul(13)?)?;
    lz4_flex::decompress_size_prepended(r.0).ok()
}

/// What verifying a candidate needs of an article, in memory: its story's positional shingle
/// hashes (`Tokens::shingle_hashes`), word count and `exact_hash`, and the page's blocks and
/// site. The store keeps it as `StoryTokens`, from which the engine derives it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShingleRecord {
    /// Words of the story.
    pub words: u32,
    /// `exact_hash` of the story's paragraphs.
    pub exact: u64,
    /// The site key the page names, 0 when none.
    pub site: u64,
    pub blocks: Vec<BlockInfo>,
    pub shingles: Vec<u64>,
}

/// What an article's record keeps for verification (its words part, with its content part's
/// blocks and site), so that a candidate is verified without its story being decoded and
/// normalised again: the story's words as `Tokens` joins them
/// (normalised, one space apart; a word holds no space), its `exact_hash`, and the page's
/// blocks and site. Its shingle hashes are the words' `Tokens::shingle_hashes`, computed on
/// reading: 8 random bytes a word would not compress, and the words compress to a third of that.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoryTokens {
    pub exact: u64,
    pub site: u64,
    pub blocks: Vec<BlockInfo>,
    /// The normalised words, one space apart.
    pub tokens: String,
}

/// Version 1: the words LZ4-compressed on their own (schema 5). Read, no longer written.
const TOKENS_VERSION_ALONE: u8 = 1;
/// Version 2 (schema 6): the words LZ4-compressed against the story's stored text with its ASCII
/// letters in lower case (`tokens_dictionary`), which holds nearly all of them in order: about
/// 0.8 KB for a 5 KB article where alone they took 3.8 KB, and half the CPU to compress. Reading
/// one needs the article's content record.
const TOKENS_VERSION_DICT: u8 = 2;

/// The dictionary a version 2 record's words are compressed against: the story's text as the
/// content record keeps it (`stored_text`), ASCII letters lowered (the words are normalised to
/// lower case; other characters are left as they are, so this is the same on every reading).
pub(crate) fn tokens_dictionary(text: &[u8]) -> Vec<u8> {
    let mut dict = text.to_vec();
    dict.make_ascii_lowercase();
    dict
}

/// Whether reading an encoded shingle record needs its story's stored text
/// (`decode_story_tokens`'s `text`).
pub(crate) fn story_tokens_need_text(bytes: &[u8]) -> bool {
    matches!(bytes.first(), Some(&(TOKENS_VERSION_DICT | WORDS_VERSION)))
}

/// The record's bytes as schema 6 wrote them (version 2): a version, the story hash and site, the
/// blocks as content records write them, then the words' length and the words LZ4-compressed
/// against `tokens_dictionary(text)`, where `text` is the story as its content record keeps it
/// (`stored_text`). Schema 7 writes `encode_story_words` instead.
#[cfg(test)]
pub(crate) fn encode_story_tokens(
    exact: u64,
    site: u64,
    blocks: &[BlockInfo],
    tokens: &str,
    text: &str,
) -> Vec<u8> {
    let bound = words_bound(tokens);
    let mut out = Vec::with_capacity(25 + blocks.len() * 13 + bound);
    out.push(TOKENS_VERSION_DICT);
    out.extend_from_slice(&exact.to_le_bytes());
    out.extend_from_slice(&site.to_le_bytes());
    out.extend_from_slice(&(blocks.len() as u32).to_le_bytes());
    for b in blocks {
        out.extend_from_slice(&b.hash.to_le_bytes());
        out.extend_from_slice(&b.words.to_le_bytes());
        out.push((u8::from(b.kept) * KEPT_BIT) | (u8::from(b.prose) * PROSE_BIT));
    }
    push_words(&mut out, tokens, text);
    out
}

/// Version 3 (schema 7): the words part of an article's record (`encode_article`): the story
/// hash, then the words compressed as in version 2. The site and blocks are the content part's,
/// which version 2 repeated.
const WORDS_VERSION: u8 = 3;

/// What schema 7 keeps of a story's words in its article's record: a version, the story hash,
/// the words' length and the words LZ4-compressed against `tokens_dictionary(text)`, where `text`
/// is the story as the content part keeps it (`stored_text`).
pub(crate) fn encode_story_words(exact: u64, tokens: &str, text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(9 + words_bound(tokens));
    out.push(WORDS_VERSION);
    out.extend_from_slice(&exact.to_le_bytes());
    push_words(&mut out, tokens, text);
    out
}

/// A schema 6 shingle record (version 2) as schema 7 keeps it (version 3): the same words, the
/// site and blocks dropped (the content part holds them). Other versions are kept as they are
/// (version 1 holds its own; version 3 is already so). `None` when the record is damaged.
pub(crate) fn words_of_shingle_record(record: &[u8]) -> Option<Vec<u8>> {
    if record.first() != Some(&TOKENS_VERSION_DICT) {
        return Some(record.to_vec());
    }
    let mut r = Reader(record);
    r.u8()?;
    let exact = r.u64()?;
    r.u64()?; // the site
    let n = r.u32()? as usize;
    r.take(n.checked_mul(13)?)?;
    let mut out = Vec::with_capacity(9 + r.0.len());
    out.push(WORDS_VERSION);
    out.extend_from_slice(&exact.to_le_bytes());
    out.extend_from_slice(r.0);
    Some(out)
}

/// A stored shingle record or words part read back beside its article's content record
/// (`content`, as the store keeps it): the story's text (and, for a words part, the site and
/// blocks) are taken from it only when the record needs them. What the store, `doctor` and the
/// tests all read records with.
pub(crate) fn decode_stored_story_tokens(
    record: &[u8],
    content: Option<&[u8]>,
) -> Option<StoryTokens> {
    if record.first() == Some(&WORDS_VERSION) {
        let mut c = Reader(content?);
        let (site, blocks) = content_head(&mut c)?;
        let text = lz4_flex::decompress_size_prepended(c.0).ok()?;
        let mut r = Reader(record);
        r.u8()?;
        let exact = r.u64()?;
        return Some(StoryTokens {
            exact,
            site,
            blocks,
            tokens: words_against(r.0, &text)?,
        });
    }
    let text = if story_tokens_need_text(record) {
        Some(decode_content_text(content?)?)
    } else {
        None
    };
    decode_story_tokens(record, text.as_deref())
}

/// A shingle record read back. A version 2 record needs `text`, its story's stored text (the
/// content record's, `decode_content_text`); `None` when it is missing or the record is damaged.
pub(crate) fn decode_story_tokens(bytes: &[u8], text: Option<&[u8]>) -> Option<StoryTokens> {
    let mut r = Reader(bytes);
    let version = r.u8()?;
    if version != TOKENS_VERSION_ALONE && version != TOKENS_VERSION_DICT {
        return None;
    }
    let (exact, site) = (r.u64()?, r.u64()?);
    let n = r.u32()? as usize;
    let mut blocks = Vec::with_capacity(n.min(1 << 16));
    for _ in 0..n {
        let (hash, words, flags) = (r.u64()?, r.u32()?, r.u8()?);
        blocks.push(BlockInfo {
            hash,
            words,
            kept: flags & KEPT_BIT != 0,
            prose: flags & PROSE_BIT != 0,
        });
    }
    let tokens = if version == TOKENS_VERSION_DICT {
        words_against(r.0, text?)?
    } else {
        String::from_utf8(lz4_flex::decompress_size_prepended(r.0).ok()?).ok()?
    };
    Some(StoryTokens {
        exact,
        site,
        blocks,
        tokens,
    })
}

/// The most bytes `push_words` adds for `tokens`.
fn words_bound(tokens: &str) -> usize {
    4 + lz4_flex::block::get_maximum_output_size(tokens.len())
}

/// Appends the words' length and the words LZ4-compressed against `tokens_dictionary(text)`
/// (versions 2 and 3 alike).
fn push_words(out: &mut Vec<u8>, tokens: &str, text: &str) {
    out.extend_from_slice(&(tokens.len() as u32).to_le_bytes());
    let at = out.len();
    out.resize(at + words_bound(tokens) - 4, 0);
    let dict = tokens_dictionary(text.as_bytes());
    let n = lz4_flex::block::compress_into_with_dict(tokens.as_bytes(), &mut out[at..], &dict)
        .expect("the output is sized to the compression bound");
    out.truncate(at + n);
}

/// The words `push_words` appended (`bytes` from their length on), read against the story's
/// stored text; `None` when they do not decode.
fn words_against(bytes: &[u8], text: &[u8]) -> Option<String> {
    let dict = tokens_dictionary(text);
    let words = lz4_flex::block::decompress_size_prepended_with_dict(bytes, &dict).ok()?;
    String::from_utf8(words).ok()
}

/// An article's record (schema 7, the `stories` tree): what schemas up to 6 kept under one key
/// in each of three trees, under one key in one: its fingerprint (`encode_fp`), its content
/// (`encode_content`) and its words (`encode_story_words`), each as it is encoded on its own,
/// length first. sled holds a page-table entry for every node of every tree, resident whether
/// the node is cached or not, so every key an article adds costs memory for as long as the
/// database is open.
const ARTICLE_VERSION: u8 = 1;
/// The length that says a part is absent.
const ABSENT: u32 = u32::MAX;

/// The parts of an article's record, each as encoded on its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ArticleParts<'a> {
    pub fp: Option<&'a [u8]>,
    pub content: Option<&'a [u8]>,
    pub words: Option<&'a [u8]>,
}

/// The record of an article from its parts, each as encoded on its own.
pub(crate) fn encode_article(parts: ArticleParts<'_>) -> Vec<u8> {
    let len = |p: Option<&[u8]>| p.map_or(0, <[u8]>::len);
    let mut out = Vec::with_capacity(13 + len(parts.fp) + len(parts.content) + len(parts.words));
    out.push(ARTICLE_VERSION);
    for part in [parts.fp, parts.content, parts.words] {
        match part {
            Some(p) => {
                out.extend_from_slice(&(p.len() as u32).to_le_bytes());
                out.extend_from_slice(p);
            }
            None => out.extend_from_slice(&ABSENT.to_le_bytes()),
        }
    }
    out
}

/// The parts of an article's record, without decoding them; `None` when it is damaged.
pub(crate) fn split_article(bytes: &[u8]) -> Option<ArticleParts<'_>> {
    let mut r = Reader(bytes);
    if r.u8()? != ARTICLE_VERSION {
        return None;
    }
    let mut part = || match r.u32()? {
        ABSENT => Some(None),
        n => r.take(n as usize).map(Some),
    };
    let parts = ArticleParts {
        fp: part()?,
        content: part()?,
        words: part()?,
    };
    r.0.is_empty().then_some(parts)
}

/// A site's learned template: when it last learned (a stamp), then its blocks.
pub(crate) fn encode_site(stamp: u64, blocks: &[u64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + blocks.len() * 8);
    out.extend_from_slice(&stamp.to_le_bytes());
    out.extend_from_slice(&(blocks.len() as u32).to_le_bytes());
    for b in blocks {
        out.extend_from_slice(&b.to_le_bytes());
    }
    out
}

pub(crate) fn decode_site(bytes: &[u8]) -> Option<(u64, Vec<u64>)> {
    let mut r = Reader(bytes);
    let stamp = r.u64()?;
    let n = r.u32()? as usize;
    let raw = r.take(n.checked_mul(8)?)?;
    let blocks = raw
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    Some((stamp, blocks))
}

/// The prose flag of a block stored before blocks carried one, from what the record holds: a
/// block of the story long enough to hold a sentence, or any block as long as a paragraph. (The
/// cleaner's own test also needs the text, which only the story's blocks keep.)
fn prose_of_v1(words: u32, kept: bool) -> bool {
    words >= if kept { 15 } else { 40 }
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
        fn content_round_trips(paragraphs in prop::collection::vec("[^\n]{1,40}", 0..10), site: u64,
                               blocks in prop::collection::vec((any::<u64>(), any::<u32>(), any::<bool>(), any::<bool>()), 0..10)) {
            let c = Content {
                blocks: blocks.into_iter().map(|(hash, words, kept, prose)| BlockInfo { hash, words, kept, prose }).collect(),
                paragraphs,
                site,
            };
            let encoded = encode_content(&c, usize::MAX);
            let hashes: Vec<u64> = c.blocks.iter().map(|b| b.hash).collect();
            prop_assert_eq!(decode_block_hashes(&encoded), Some(hashes));
            prop_assert_eq!(decode_content(&encoded), Some(c));
        }

        #[test]
        fn story_tokens_round_trip(exact: u64, site: u64, tokens in "[a-z ]{0,200}", text in "\\PC{0,300}",
                                   blocks in prop::collection::vec((any::<u64>(), any::<u32>(), any::<bool>(), any::<bool>()), 0..10)) {
            let r = StoryTokens {
                exact,
                site,
                blocks: blocks.into_iter().map(|(hash, words, kept, prose)| BlockInfo { hash, words, kept, prose }).collect(),
                tokens,
            };
            // Against any text (the words need not be in it), and against the text they came from.
            let encoded = encode_story_tokens(r.exact, r.site, &r.blocks, &r.tokens, &text);
            prop_assert!(story_tokens_need_text(&encoded));
            prop_assert_eq!(decode_story_tokens(&encoded, Some(text.as_bytes())), Some(r.clone()));
            prop_assert_eq!(decode_story_tokens(&encoded, None), None);
            let upper = r.tokens.to_uppercase();
            let encoded = encode_story_tokens(r.exact, r.site, &r.blocks, &r.tokens, &upper);
            prop_assert_eq!(decode_story_tokens(&encoded, Some(upper.as_bytes())), Some(r));
        }

        #[test]
        fn article_records_split_into_their_parts(fp in prop::option::of(prop::collection::vec(any::<u8>(), 0..40)),
                                                  content in prop::option::of(prop::collection::vec(any::<u8>(), 0..40)),
                                                  words in prop::option::of(prop::collection::vec(any::<u8>(), 0..40))) {
            let parts = ArticleParts { fp: fp.as_deref(), content: content.as_deref(), words: words.as_deref() };
            let record = encode_article(parts);
            prop_assert_eq!(split_article(&record), Some(parts));
            // Cut short or given a byte too many, it does not split.
            prop_assert_eq!(split_article(&record[..record.len() - 1]), None);
            let mut longer = record.clone();
            longer.push(0);
            prop_assert_eq!(split_article(&longer), None);
        }

        #[test]
        fn story_words_read_beside_their_content(exact: u64, tokens in "[a-z ]{0,200}", paragraphs in prop::collection::vec("[^\n]{1,40}", 0..6), site: u64,
                                                 blocks in prop::collection::vec((any::<u64>(), any::<u32>(), any::<bool>(), any::<bool>()), 0..10)) {
            let blocks: Vec<BlockInfo> = blocks.into_iter().map(|(hash, words, kept, prose)| BlockInfo { hash, words, kept, prose }).collect();
            let c = Content { blocks: blocks.clone(), paragraphs, site };
            let content = encode_content(&c, usize::MAX);
            let text = stored_text(&c.paragraphs, usize::MAX);
            let words = encode_story_words(exact, &tokens, &text);
            let want = StoryTokens { exact, site, blocks: blocks.clone(), tokens: tokens.clone() };
            prop_assert_eq!(decode_stored_story_tokens(&words, Some(&content)), Some(want.clone()));
            prop_assert_eq!(decode_stored_story_tokens(&words, None), None);
            // A schema 6 record of the same story converts to the same words.
            let v2 = encode_story_tokens(exact, site, &blocks, &tokens, &text);
            prop_assert_eq!(words_of_shingle_record(&v2), Some(words));
            prop_assert_eq!(decode_story_tokens(&v2, Some(text.as_bytes())), Some(want));
        }

        #[test]
        fn site_templates_round_trip(stamp: u64, blocks: Vec<u64>) {
            prop_assert_eq!(decode_site(&encode_site(stamp, &blocks)), Some((stamp, blocks)));
        }

        #[test]
        fn decoding_garbage_never_panics(bytes: Vec<u8>) {
            let _ = decode_fp(&bytes);
            let _ = decode_content(&bytes);
            let _ = decode_site(&bytes);
            let _ = decode_block_hashes(&bytes);
            let _ = decode_story_tokens(&bytes, None);
            let _ = decode_story_tokens(&bytes, Some(&bytes));
            let _ = decode_content_text(&bytes);
            let _ = split_article(&bytes);
            let _ = words_of_shingle_record(&bytes);
            let _ = decode_stored_story_tokens(&bytes, Some(&bytes));
        }
    }

    #[test]
    fn story_tokens_compress_against_texts_longer_than_lz4s_window() {
        // 150 KB of text: the compressor sees only the dictionary's last 64 KB.
        let mut x = 1u64;
        let words: Vec<String> = (0..25_000)
            .map(|_| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                format!("Word{}", x >> 52)
            })
            .collect();
        let text = words.join(" ");
        let tokens = text.to_lowercase();
        let encoded = encode_story_tokens(1, 2, &[], &tokens, &text);
        let back = decode_story_tokens(&encoded, Some(text.as_bytes())).expect("decodes");
        assert_eq!(back.tokens, tokens);
    }

    #[test]
    fn version_1_shingle_records_are_read_without_the_text() {
        // Schema 5 wrote the words compressed on their own.
        let blocks = [BlockInfo {
            hash: 5,
            words: 3,
            kept: true,
            prose: false,
        }];
        let tokens = "the council voted";
        let mut v1 = vec![TOKENS_VERSION_ALONE];
        v1.extend_from_slice(&7u64.to_le_bytes());
        v1.extend_from_slice(&9u64.to_le_bytes());
        v1.extend_from_slice(&1u32.to_le_bytes());
        v1.extend_from_slice(&5u64.to_le_bytes());
        v1.extend_from_slice(&3u32.to_le_bytes());
        v1.push(KEPT_BIT);
        v1.extend(lz4_flex::compress_prepend_size(tokens.as_bytes()));
        assert!(!story_tokens_need_text(&v1));
        let want = StoryTokens {
            exact: 7,
            site: 9,
            blocks: blocks.to_vec(),
            tokens: tokens.into(),
        };
        assert_eq!(decode_story_tokens(&v1, None), Some(want));
    }

    #[test]
    fn the_stored_text_is_read_back_from_the_content_record() {
        let c = Content {
            blocks: vec![],
            paragraphs: vec!["The council voted.".into(), "Traders object.".into()],
            site: 3,
        };
        let text = decode_content_text(&encode_content(&c, usize::MAX)).expect("decodes");
        assert_eq!(text, stored_text(&c.paragraphs, usize::MAX).as_bytes());
        assert_eq!(text, b"The council voted.\nTraders object.");
    }

    #[test]
    fn a_shingle_record_is_read_beside_its_content_record() {
        let c = Content {
            blocks: vec![],
            paragraphs: vec!["The Council voted.".into(), "Traders object.".into()],
            site: 3,
        };
        let content = encode_content(&c, usize::MAX);
        let text = stored_text(&c.paragraphs, usize::MAX);
        let tokens = "the council voted traders object";
        let record = encode_story_tokens(1, 3, &[], tokens, &text);
        let back = decode_stored_story_tokens(&record, Some(&content)).expect("decodes");
        assert_eq!(back.tokens, tokens);
        assert_eq!(decode_stored_story_tokens(&record, None), None);
        assert_eq!(
            decode_stored_story_tokens(&record, Some(b"not a record")),
            None
        );
    }

    #[test]
    fn version_1_content_is_read_with_prose_derived() {
        let c = Content {
            blocks: vec![
                BlockInfo {
                    hash: 1,
                    words: 20,
                    kept: true,
                    prose: true,
                },
                BlockInfo {
                    hash: 2,
                    words: 20,
                    kept: false,
                    prose: true,
                },
                BlockInfo {
                    hash: 3,
                    words: 50,
                    kept: false,
                    prose: true,
                },
                BlockInfo {
                    hash: 4,
                    words: 3,
                    kept: true,
                    prose: false,
                },
            ],
            paragraphs: vec!["a b".into()],
            site: 7,
        };
        // Version 1: no site after the version byte, and the flags byte is `kept` alone.
        let mut v1 = encode_content(&c, usize::MAX);
        v1.drain(1..9);
        v1[0] = 1;
        for (i, b) in c.blocks.iter().enumerate() {
            v1[5 + i * 13 + 12] = u8::from(b.kept);
        }
        let back = decode_content(&v1).expect("decodes");
        assert_eq!(back.site, 0);
        let prose: Vec<bool> = back.blocks.iter().map(|b| b.prose).collect();
        assert_eq!(prose, [true, false, true, false]);
        assert_eq!(back.paragraphs, c.paragraphs);
    }

    #[test]
    fn long_text_is_capped_at_whole_paragraphs() {
        let c = Content {
            blocks: vec![],
            paragraphs: vec!["a".repeat(600), "b".repeat(600)],
            site: 0,
        };
        let back = decode_content(&encode_content(&c, 1000)).expect("decodes");
        assert_eq!(back.paragraphs, ["a".repeat(600)]);
    }
}

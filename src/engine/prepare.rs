//! Preparing one file for the verdict: bytes to document, document to story, story to
//! fingerprints. Pure and independent per file, so a batch prepares in parallel.

use crate::detect::page::site_key;
use crate::detect::Side;
use crate::engine::templates::SiteTemplates;
use crate::fingerprint::{anchor_hashes, exact_hash, sample_anchors, SimHash, Tokens};
use crate::store::codec::{
    encode_story_words, paragraphs_kept, stored_text, Content, ShingleRecord, StoryTokens,
};
use crate::text::clean::{clean_with, BlockInfo};
use crate::text::interrupt::{Interrupt, Uninterrupted};
use crate::text::normalize::normalize;
use crate::text::sanitize::sanitize_line;
use crate::text::{read_document_within, Rejection};

/// An article ready for look-up.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub title: String,
    pub url: Option<String>,
    pub source: Option<String>,
    pub published: Option<String>,
    /// The site the page names (`site_key`), 0 when none.
    pub site: u64,
    /// The site whose learned template was applied (named or found by the page's blocks), 0
    /// when none.
    pub template_site: u64,
    pub paragraphs: Vec<String>,
    pub blocks: Vec<BlockInfo>,
    pub tokens: Tokens,
    pub shingles: Vec<u64>,
    /// Anchor hashes at every position: what the look-up probes with.
    pub probes: Vec<u64>,
    /// The sampled anchors the article is indexed under.
    pub anchors: Vec<u64>,
    pub simhash: SimHash,
    /// Hash of the cleaned story as written: equal stories are duplicates.
    pub exact: u64,
    /// Hash of the whole document as read: equal files are duplicates whatever was learned since.
    pub doc_hash: u64,
}

/// What preparing a page consults: the templates learned across stories, and per site.
pub struct TemplateView<'a> {
    /// Blocks recurring across recent new stories (`templates::Templates`).
    pub window: &'a (dyn Fn(u64) -> bool + Sync),
    pub sites: Option<&'a SiteTemplates>,
    /// Blocks a page must share with a site's template to be of that site, when it names none.
    pub chrome_min_blocks: usize,
}

/// Reads, cleans and fingerprints one file. `is_template` answers from the learned templates.
pub fn prepare(
    name: &str,
    bytes: &[u8],
    anchor_every: usize,
    is_template: &(dyn Fn(u64) -> bool + Sync),
) -> Result<Prepared, Rejection> {
    let view = TemplateView {
        window: is_template,
        sites: None,
        chrome_min_blocks: 0,
    };
    prepare_with(name, bytes, anchor_every, &view)
}

/// `prepare` against the templates in `view`: those of the page's site as well.
pub fn prepare_with(
    name: &str,
    bytes: &[u8],
    anchor_every: usize,
    view: &TemplateView,
) -> Result<Prepared, Rejection> {
    prepare_within(name, bytes, anchor_every, view, &Uninterrupted)
}

/// `prepare_with`, asking `halt` between its stages (and while the page is parsed) whether to
/// go on: a time budget spent or a stop requested ends it with the reason.
pub fn prepare_within(
    name: &str,
    bytes: &[u8],
    anchor_every: usize,
    view: &TemplateView,
    halt: &dyn Interrupt,
) -> Result<Prepared, Rejection> {
    let doc = read_document_within(name, bytes, halt)?;
    let doc_hash = exact_hash(doc.blocks.iter().map(|b| b.text.as_str()));
    let site = site_key(doc.url.as_deref(), doc.source.as_deref());
    let mut template_site = 0;
    let cleaned = clean_with(&doc, |hashes| {
        let sites = view.sites;
        let chosen = sites
            .and_then(|t| t.site_for(site, hashes, view.chrome_min_blocks))
            .unwrap_or(0);
        template_site = chosen;
        move |h| (view.window)(h) || sites.is_some_and(|t| t.contains(chosen, h))
    });
    halt.check()?;
    if cleaned.paragraphs.is_empty() {
        return Err(Rejection::NoText);
    }
    let tokens = Tokens {
        joined: cleaned.words,
        spans: cleaned.word_spans,
    };
    if tokens.is_empty() {
        return Err(Rejection::NoText);
    }
    let shingles = tokens.shingle_hashes();
    halt.check()?;
    let probes = anchor_hashes(&shingles);
    let anchors = sample_anchors(&probes, anchor_every);
    let opt_line = |s: Option<String>| s.map(|v| sanitize_line(&v)).filter(|v| !v.is_empty());
    Ok(Prepared {
        site,
        template_site,
        title: sanitize_line(&cleaned.title),
        url: opt_line(doc.url),
        source: opt_line(doc.source),
        published: opt_line(doc.published),
        simhash: SimHash::of_hashes(&shingles),
        exact: exact_hash(cleaned.paragraphs.iter().map(String::as_str)),
        doc_hash,
        paragraphs: cleaned.paragraphs,
        blocks: cleaned.blocks,
        tokens,
        shingles,
        probes,
        anchors,
    })
}

/// Tokens of a stored story, rebuilt from its paragraphs exactly as `clean` normalised them.
pub fn stored_tokens(paragraphs: &[String]) -> Tokens {
    let norm: Vec<String> = paragraphs.iter().map(|p| normalize(p)).collect();
    Tokens::new(&norm.join("\n"))
}

/// The shingle record of a stored story: what `decide` verifies a candidate against, derived
/// from the story exactly as `stored_tokens` and `exact_hash` derived it before the record was
/// kept (an article stored without its words kept has its record derived this way).
pub fn stored_shingles(content: &Content) -> ShingleRecord {
    let tokens = stored_tokens(&content.paragraphs);
    ShingleRecord {
        words: tokens.len() as u32,
        exact: exact_hash(content.paragraphs.iter().map(String::as_str)),
        site: content.site,
        blocks: content.blocks.clone(),
        shingles: tokens.shingle_hashes(),
    }
}

/// A candidate's side of a verification, from its shingle record.
pub fn side_of(record: &ShingleRecord) -> Side<'_> {
    Side {
        shingles: &record.shingles,
        words: record.words as usize,
        blocks: &record.blocks,
        site: record.site,
    }
}

/// The shingle record of what an article's record keeps of its words: their shingle hashes.
pub fn shingles_of(kept: StoryTokens) -> ShingleRecord {
    let tokens = Tokens::from_joined(kept.tokens);
    ShingleRecord {
        words: tokens.len() as u32,
        exact: kept.exact,
        site: kept.site,
        blocks: kept.blocks,
        shingles: tokens.shingle_hashes(),
    }
}

/// The words part of a stored story's record (`codec::encode_story_words`): its words as
/// `stored_tokens` joins them and its `exact_hash`, the words compressed against its text as
/// stored (an upgrade from before schema 5 derives them with it).
pub fn story_tokens(content: &Content) -> Vec<u8> {
    let tokens = stored_tokens(&content.paragraphs);
    encode_story_words(
        exact_hash(content.paragraphs.iter().map(String::as_str)),
        tokens.joined(),
        &content.paragraphs.join("\n"),
    )
}

/// The words part of the record of a prepared story whose text the store caps at `max_text`
/// bytes, encoded. When the store keeps the story whole (every paragraph, none holding a line
/// break, which the stored text would split), it is the story's own tokens: `clean` makes the
/// story's words those of its normalised paragraphs (`stored_tokens` of them), so nothing is
/// derived twice. Otherwise it is derived from the story as stored.
pub fn packed_shingles(prep: &Prepared, max_text: usize) -> Vec<u8> {
    packed_shingles_of(prep, max_text, &stored_text(&prep.paragraphs, max_text))
}

/// `packed_shingles`, given the story's text as the content record keeps it (`stored_text`).
pub(crate) fn packed_shingles_of(prep: &Prepared, max_text: usize, text: &str) -> Vec<u8> {
    let whole = paragraphs_kept(&prep.paragraphs, max_text) == prep.paragraphs.len()
        && !prep.paragraphs.iter().any(|p| p.contains('\n'));
    if whole {
        return encode_story_words(prep.exact, prep.tokens.joined(), text);
    }
    story_tokens(&Content {
        blocks: prep.blocks.clone(),
        paragraphs: if text.is_empty() {
            Vec::new()
        } else {
            text.split('\n').map(str::to_owned).collect()
        },
        site: prep.site,
    })
}

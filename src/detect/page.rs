//! Page-level evidence for the verdict: what two whole pages share and what each holds of its
//! own, from every block of both pages (hash, words, kept, prose) and the overlap of their
//! stories. The extracted story can be wrong (a recurring sidebar taken for it); the pages' own
//! prose cannot hide that way, so a pair is one story only when what the pages share explains the
//! prose of each. Pure, and cheap: block hashes and word counts, no text.
//!
//! Prose is read in bodies: runs of prose blocks with no long run of short blocks (a menu, a list
//! of links) inside. A page's prose is shared (found verbatim on the other page, or in its story
//! by shingles) or its own.

use super::verify::Overlap;
use crate::model::BlockInfo;
use rustc_hash::FxHashSet;

/// One whole page, as its blocks were stored.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    pub blocks: &'a [BlockInfo],
    /// The site the page names (see `site_key`), 0 when it names none.
    pub site: u64,
}

/// One page's prose, weighed against the other page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holding {
    /// Prose words in blocks found verbatim (whole) on the other page.
    pub verbatim: u32,
    /// Prose words of the story, not found verbatim, whose words the other story covers.
    pub covered: u32,
    /// Prose words the other page does not explain at all: the page's own.
    pub own: u32,
    /// The most own prose in one body: the page's own story, if it has one.
    pub own_body: u32,
    /// The most shared prose in one body.
    pub shared_body: u32,
    /// Own prose in the body holding the most shared prose: what the page's story adds to the
    /// shared one.
    pub own_beside_shared: u32,
    /// Hashes of the verbatim blocks that sit inside the page's story, with the story's own
    /// text (prose, or a list, a sub-heading) before and after them: where a story quotes a
    /// passage. A template's blocks (a caption, an author's note, a notice, a teaser list) come
    /// before or after a story.
    pub inside: Vec<u64>,
    /// The story's edges, in its words: before its first block of own text, and from the end of
    /// its last (`[0, .0)` and `[.1, words)`); the whole story when it has none.
    pub edges: (u32, u32),
}

impl Holding {
    /// Prose the other page explains.
    pub fn shared(&self) -> u32 {
        self.verbatim + self.covered
    }

    /// Whether the page holds a body of own prose at least as long as the longest body of what
    /// it shares (and a paragraph at least): a story of its own beside a shared sidebar.
    fn own_body_outweighs_shared(&self) -> bool {
        self.own_body >= BODY_MIN_WORDS && self.own_body >= self.shared_body
    }

    /// Whether the page holds own prose, in all, of at least `share` of the longest shared body
    /// (and a paragraph at least): a story broken by captions or lists is several small bodies.
    fn own_prose_of(&self, share: f32) -> bool {
        self.own >= BODY_MIN_WORDS && self.own as f32 >= share * self.shared_body as f32
    }
}

/// What the two pages say about each other (all false and empty when not weighed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    pub new: Holding,
    pub old: Holding,
    /// The pages are of one site: they name the same site, or (when either names none) they
    /// share most of their chrome.
    pub same_site: bool,
    /// The pages share some chrome, in more than one place on the new page (a header label, a
    /// footer line): a weaker sign of one template, enough to read shared whole blocks as
    /// template rather than quotes.
    pub some_chrome: bool,
    /// The pages are different stories, whatever their extracted stories share.
    pub different: bool,
    /// The blocks the pages share that are their site's template, when they are different
    /// stories of one site that each hold prose of their own: learned from this first pair.
    pub template: Option<Vec<u64>>,
}

/// Words of a body of prose: a paragraph's worth (what the cleaner counts as prose without
/// sentence punctuation), so a credit line or a dateline is never a story of its own.
pub const BODY_MIN_WORDS: u32 = 40;

/// Blocks shorter than this are labels and menu items, the chrome of a site's template.
pub const CHROME_MAX_WORDS: u32 = 15;

/// Share of a page's chrome that another page of its site holds too: most of it (menus, section
/// names and footers recur on every page of a site, while sister sites built on one system, or
/// any two sites with generic labels such as "Share", have some lines in common).
const SAME_SITE_CHROME_SHARE: f32 = 0.5;

/// How much more own prose than shared prose a story of another site must add to the shared
/// part to be a story of its own: twice, so the shared part is under a third of it (a third of
/// one story set inside another is partial reuse).
const OWN_OVER_SHARED: u32 = 2;

/// Of the longest shared body, what the own prose of one of two pages that both hold some must
/// reach to make them different stories.
const HALF: f32 = 0.5;

/// Short blocks in a row that end a body of prose: more than the few sub-headings, captions or
/// labels a story sets between its paragraphs (the cleaner charges the first three in a row
/// little for that reason); menus and link lists come in longer runs.
const BODY_BREAK_SHORT_BLOCKS: u32 = 4;

/// Evidence over both pages. `overlap` compares their stories (new first); `chrome_min_blocks`
/// is the fewest chrome blocks two pages of one site share.
pub fn evidence(new: &Page, old: &Page, overlap: &Overlap, chrome_min_blocks: usize) -> Evidence {
    let new_hashes: FxHashSet<u64> = new.blocks.iter().map(|b| b.hash).collect();
    let old_hashes: FxHashSet<u64> = old.blocks.iter().map(|b| b.hash).collect();
    let new_h = holding(new.blocks, &old_hashes, &overlap.new_runs);
    let old_h = holding(old.blocks, &new_hashes, &overlap.old_runs);
    let same_site = if new.site != 0 && old.site != 0 {
        new.site == old.site
    } else {
        shares_chrome(new.blocks, old.blocks, chrome_min_blocks)
    };
    let different = if same_site {
        // Pages of one site share their template, and an extraction may take a part of it (a
        // sidebar, a teaser list) for the story of both. They are different stories when one
        // holds a body of own prose outweighing every body of what it shares, or when each holds
        // own prose (a paragraph or more) and one holds at least half the longest shared body. A
        // story updated in place, or saved twice with a line changed, differs in a paragraph or
        // a few lines beside a story it shares whole.
        let (n, o) = (&new_h, &old_h);
        n.own_body_outweighs_shared()
            || o.own_body_outweighs_shared()
            || (n.own_prose_of(0.0) && o.own_prose_of(0.0))
                && (n.own_prose_of(HALF) || o.own_prose_of(HALF))
    } else {
        // Pages of different sites share no template, so what their stories share is story. A
        // story that adds to the shared part prose of its own more than twice as long (in the
        // same body) is a story of its own: one that quotes all of a short one. Other bodies on
        // the page (teaser lists, other stories it links to) are no evidence: a raw page that
        // holds a clean story is a reprint of it.
        let adds_story = |h: &Holding| {
            h.own_beside_shared >= BODY_MIN_WORDS
                && h.own_beside_shared > OWN_OVER_SHARED * h.shared()
        };
        adds_story(&new_h) || adds_story(&old_h)
    };
    // Blocks two pages of one site share, while each holds prose of its own, are the site's
    // template; but never a passage inside either story.
    let learnable = same_site && different && new_h.own_prose_of(0.0) && old_h.own_prose_of(0.0);
    let template = learnable.then(|| {
        let mut shared: Vec<u64> = new
            .blocks
            .iter()
            .filter(|b| b.words > 0 && old_hashes.contains(&b.hash))
            .map(|b| b.hash)
            .filter(|h| !new_h.inside.contains(h) && !old_h.inside.contains(h))
            .collect();
        shared.sort_unstable();
        shared.dedup();
        shared
    });
    Evidence {
        new: new_h,
        old: old_h,
        same_site,
        some_chrome: same_site || spread_chrome(new.blocks, old.blocks, chrome_min_blocks),
        different,
        template,
    }
}

/// Prose words of one body, by what the other page makes of them.
#[derive(Debug, Default)]
struct Body {
    shared: u32,
    own: u32,
}

impl Body {
    /// Ends the body: its figures go to the page's.
    fn close(&mut self, h: &mut Holding) {
        h.own_body = h.own_body.max(self.own);
        if self.shared > h.shared_body {
            h.shared_body = self.shared;
            h.own_beside_shared = self.own;
        }
        *self = Body::default();
    }
}

/// Weighs one page's prose blocks against the other page: found there verbatim, covered by its
/// story (`runs` are the covered word ranges of this page's story), or the page's own.
fn holding(blocks: &[BlockInfo], other: &FxHashSet<u64>, runs: &[(u32, u32)]) -> Holding {
    let mut h = Holding::default();
    let mut body = Body::default();
    let mut shorts = 0u32;
    let mut at = 0u32; // the story's word position of the next kept block
    let mut run = 0usize; // the first run that may reach the next kept block
    for b in blocks {
        let covered = if b.kept {
            let (start, end) = (at, at + b.words);
            at = end;
            while run < runs.len() && runs[run].1 <= start {
                run += 1;
            }
            runs[run..]
                .iter()
                .take_while(|&&(a, _)| a < end)
                .map(|&(a, z)| z.min(end) - a.max(start))
                .sum::<u32>()
        } else {
            0
        };
        if !b.prose {
            if b.words > 0 {
                shorts += 1;
                if shorts == BODY_BREAK_SHORT_BLOCKS {
                    body.close(&mut h);
                }
            }
            continue;
        }
        shorts = 0;
        if other.contains(&b.hash) {
            h.verbatim += b.words;
            body.shared += b.words;
        } else if covered * 2 >= b.words {
            h.covered += b.words;
            body.shared += b.words;
        } else {
            h.own += b.words;
            body.own += b.words;
        }
    }
    body.close(&mut h);
    (h.inside, h.edges) = inside_story(blocks, other, runs);
    h
}

/// The verbatim blocks of the story (`other` holds the other page's hashes) with own text of the
/// story both before and after them, and the story's edges (see `Holding::edges`); `runs` are
/// the covered word ranges of the story.
fn inside_story(
    blocks: &[BlockInfo],
    other: &FxHashSet<u64>,
    runs: &[(u32, u32)],
) -> (Vec<u64>, (u32, u32)) {
    // Per kept block: verbatim on the other page, or the story's own text.
    let mut kept = Vec::new();
    let mut at = 0u32;
    let (mut first_own, mut last_own_end) = (None, 0u32);
    for b in blocks.iter().filter(|b| b.kept) {
        let (start, end) = (at, at + b.words);
        at = end;
        let verbatim = other.contains(&b.hash);
        let covered: u32 = runs
            .iter()
            .map(|&(a, z)| z.min(end).saturating_sub(a.max(start)))
            .sum();
        let own = b.words > 0 && !verbatim && covered * 2 < b.words;
        if own {
            first_own.get_or_insert(start);
            last_own_end = end;
        }
        kept.push((b.hash, verbatim, own));
    }
    let edges = match first_own {
        Some(first) => (first, last_own_end),
        None => (at, 0),
    };
    let mut after: Vec<bool> = vec![false; kept.len() + 1];
    for i in (0..kept.len()).rev() {
        after[i] = after[i + 1] || kept[i].2;
    }
    let mut before = false;
    let mut out = Vec::new();
    for (i, &(hash, verbatim, own)) in kept.iter().enumerate() {
        if verbatim && before && after[i + 1] {
            out.push(hash);
        }
        before |= own;
    }
    (out, edges)
}

/// Whether two pages share their site's chrome: at least `min_blocks` short blocks outside both
/// stories, most of the chrome of one of them, spread over more than one place on the new page
/// (a header and a footer). Sites share a few generic labels ("Home", "Sport"), sister sites on
/// one system a third of their chrome; a fact box quoted with a passage comes in one run.
fn shares_chrome(new: &[BlockInfo], old: &[BlockInfo], min_blocks: usize) -> bool {
    let (shared, runs) = shared_chrome(new, old);
    let new_chrome = new
        .iter()
        .filter(is_chrome)
        .map(|b| b.hash)
        .collect::<FxHashSet<_>>();
    let old_chrome = old
        .iter()
        .filter(is_chrome)
        .map(|b| b.hash)
        .collect::<FxHashSet<_>>();
    let smaller = new_chrome.len().min(old_chrome.len());
    shared >= min_blocks.max(1)
        && runs > 1
        && shared as f32 >= SAME_SITE_CHROME_SHARE * smaller as f32
}

/// Whether the pages share at least `min_blocks` short blocks outside both stories, not all in
/// one run on the new page: a site's chrome is spread over its header, sidebars and footer, while
/// lines quoted with a passage (a fact box) come together.
fn spread_chrome(new: &[BlockInfo], old: &[BlockInfo], min_blocks: usize) -> bool {
    let (shared, runs) = shared_chrome(new, old);
    shared >= min_blocks.max(1) && runs > 1
}

/// The distinct chrome blocks the pages share, and in how many runs they lie on the new page.
fn shared_chrome(new: &[BlockInfo], old: &[BlockInfo]) -> (usize, usize) {
    let old_chrome: FxHashSet<u64> = old.iter().filter(is_chrome).map(|b| b.hash).collect();
    let mut shared = FxHashSet::default();
    let (mut runs, mut last) = (0usize, None);
    for (i, b) in new.iter().enumerate() {
        if is_chrome(&b) && old_chrome.contains(&b.hash) {
            shared.insert(b.hash);
            if last.is_none_or(|l| l + 1 != i) {
                runs += 1;
            }
            last = Some(i);
        }
    }
    (shared.len(), runs)
}

fn is_chrome(b: &&BlockInfo) -> bool {
    !b.kept && !b.prose && b.words > 0 && b.words < CHROME_MAX_WORDS
}

/// The key of the site a page names: the host of its URL (canonical or `og:url`, JSON `url`),
/// without a leading `www.`, or else its stated site name (`og:site_name`, JSON `source`); 0
/// when it names neither.
pub fn site_key(url: Option<&str>, source: Option<&str>) -> u64 {
    let host = url.and_then(|u| {
        let u = u.trim();
        let rest = u.split_once("://").map(|(_, r)| r)?;
        let rest = rest.split(['/', '?', '#']).next()?;
        let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
        let host = rest.split(':').next()?.to_ascii_lowercase();
        let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
        host.contains('.').then_some(host)
    });
    let key = match (host, source.map(str::trim).filter(|s| !s.is_empty())) {
        (Some(h), _) => format!("host:{h}"),
        (None, Some(s)) => format!("name:{}", s.to_lowercase()),
        (None, None) => return 0,
    };
    xxhash_rust::xxh3::xxh3_64(key.as_bytes()).max(1)
}

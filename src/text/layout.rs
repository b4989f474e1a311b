//! The page's structure as evidence for the story (HTML only): which element holds the story,
//! and which of the short blocks in it read as story. Works on the block-level elements the
//! HTML reader records ([`Node`]); must not judge a block's own text (that is `clean`'s).
//!
//! Two pieces of evidence pick the story's element. The core (the densest run of prose that
//! `clean` finds) lives in the smallest element holding most of its prose. Text density over the
//! tree names a second element: the one whose blocks add up to the most text outside links,
//! less twice their link text and a little per block, so that a wrapper holding the story's
//! lists, sub-headings and short paragraphs beats one holding the prose alone, while menus and
//! teaser lists weigh it down. When that element encloses the core, it is the story's; else
//! the core's element is.
//!
//! Inside it, prose is story. A short block is story when the elements between it and the
//! nearest element holding prose are plain text structure (paragraphs, lists, tables, quotes,
//! headings, and boxes holding nothing but a table or a list), or are built like the elements around the story's prose (the same tags and
//! classes): a site wraps each of its story's paragraphs alike, and its bylines, tag lists,
//! author boxes and share prompts otherwise. Two parts sites set apart from the story's
//! element are story too: its lead (the paragraph right under its headline, in the headline's
//! own element) and code boxes between its paragraphs.

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::{Block, BlockKind, Document, Node};

/// Elements that structure text, not a page.
#[rustfmt::skip]
const TEXT_TAGS: &[&str] = &[
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "table", "tbody",
    "thead", "tfoot", "tr", "td", "th", "blockquote", "pre", "center",
];

/// Share of the core's prose that the core's element holds.
const CORE_SHARE: f64 = 0.8;
/// What a word inside a link costs in the density of an element, against a word outside links.
const LINK_COST: f64 = 2.0;
/// What each block costs in the density of an element: many short blocks are a menu.
const BLOCK_COST: f64 = 2.0;

/// How `clean` judged a block, with its word count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Judged {
    /// Prose.
    Prose(u32),
    /// A short line: story only where the structure says so.
    Short(u32),
    /// Never story (learned template, link list, teaser).
    Bad(u32),
}

/// Which blocks are story, given the core `start..=end` (block indices); `None` when the
/// document has no structure to weigh.
pub(super) fn story_blocks(
    doc: &Document,
    judged: &[Judged],
    core: (usize, usize),
) -> Option<Vec<bool>> {
    if doc.nodes.len() < 2
        || doc
            .blocks
            .iter()
            .any(|b| b.node as usize >= doc.nodes.len())
    {
        return None;
    }
    let nodes = &doc.nodes;
    let prose = subtree_sums(
        nodes,
        doc.blocks.iter().zip(judged).map(|(b, j)| match j {
            Judged::Prose(words) => (b.node, i64::from(*words)),
            _ => (b.node, 0),
        }),
    );
    let container = story_container(doc, judged, core);
    let wrappers = wrappers(doc);
    let under = under_node(nodes, container);
    let prose_paths: Vec<u64> = {
        let mut paths: Vec<u64> = doc
            .blocks
            .iter()
            .zip(judged)
            .filter(|(b, j)| matches!(j, Judged::Prose(_)) && under[b.node as usize])
            .map(|(b, _)| prose_path(nodes, &prose, container, b))
            .collect();
        paths.sort_unstable();
        paths.dedup();
        paths
    };
    let mut keep: Vec<bool> = doc
        .blocks
        .iter()
        .zip(judged)
        .enumerate()
        .map(|(i, (b, j))| {
            let placed = under[b.node as usize] || (core.0..=core.1).contains(&i);
            match j {
                Judged::Bad(_) => false,
                Judged::Prose(_) => placed,
                Judged::Short(_) => {
                    placed && {
                        let (path, plain) = short_path(nodes, &prose, &wrappers, container, b);
                        plain || prose_paths.binary_search(&path).is_ok()
                    }
                }
            }
        })
        .collect();
    keep_headings_of_story(doc, judged, &under, &mut keep);
    keep_lead(doc, judged, &mut keep);
    keep_code_inside_story(doc, judged, &under, &mut keep);
    Some(keep)
}

/// Words a line after the headline needs to be the story's lead rather than a kicker or a date.
const LEAD_MIN_WORDS: u32 = 5;

/// The story's lead (standfirst): the paragraph right after the story's headline (the last `h1`
/// before the story, or its first line), set inside the headline's own element (the story's
/// header), with no other prose before the story goes on. Sites set it apart from the body, so
/// neither the core nor the story's element reaches it.
fn keep_lead(doc: &Document, judged: &[Judged], keep: &mut [bool]) {
    let Some(first) = keep.iter().position(|&k| k) else {
        return;
    };
    let nodes = &doc.nodes;
    let Some(h1) = (0..=first)
        .rev()
        .find(|&i| nodes[doc.blocks[i].node as usize].tag == "h1")
    else {
        return;
    };
    let header = nodes[doc.blocks[h1].node as usize].parent as usize;
    let Some(lead) = (h1 + 1..keep.len()).find(|&i| !doc.blocks[i].text.trim().is_empty()) else {
        return;
    };
    let resumes = (lead + 1..keep.len())
        .find(|&i| keep[i])
        .unwrap_or(keep.len());
    let is_lead = !keep[lead]
        && doc.blocks[lead].kind != BlockKind::ListItem
        && encloses(nodes, header, doc.blocks[lead].node as usize)
        && match judged[lead] {
            Judged::Short(words) => words >= LEAD_MIN_WORDS,
            Judged::Prose(_) => true,
            Judged::Bad(_) => false,
        }
        && !judged[lead + 1..resumes]
            .iter()
            .any(|j| matches!(j, Judged::Prose(_)));
    if is_lead {
        keep[lead] = true;
    }
}

/// Preformatted text (code, a command) inside the story's element with story on both sides is
/// the story's, however the site wraps it: a code box is built unlike the story's paragraphs.
fn keep_code_inside_story(doc: &Document, judged: &[Judged], under: &[bool], keep: &mut [bool]) {
    let shown: Vec<usize> = (0..keep.len())
        .filter(|&i| !doc.blocks[i].text.trim().is_empty())
        .collect();
    let was = keep.to_vec();
    for w in shown.windows(3) {
        let (before, i, after) = (w[0], w[1], w[2]);
        if !was[i]
            && was[before]
            && was[after]
            && matches!(judged[i], Judged::Short(_))
            && doc.blocks[i].link_density == 0.0
            && under[doc.blocks[i].node as usize]
            && doc.nodes[doc.blocks[i].node as usize].tag == "pre"
        {
            keep[i] = true;
        }
    }
}

/// A short heading inside the story's element, between parts of the story, that introduces a
/// paragraph of the story is the story's own sub-heading, however the site wraps it.
fn keep_headings_of_story(doc: &Document, judged: &[Judged], under: &[bool], keep: &mut [bool]) {
    let first = keep.iter().position(|&k| k).unwrap_or(keep.len());
    for i in (first + 1..keep.len().saturating_sub(1)).rev() {
        let b = &doc.blocks[i];
        if !keep[i]
            && b.kind == BlockKind::Heading
            && matches!(judged[i], Judged::Short(_))
            && under[b.node as usize]
            && keep[i + 1]
            && matches!(judged[i + 1], Judged::Prose(_))
        {
            keep[i] = true;
        }
    }
}

/// The element that holds the story: the densest element when it encloses the core's element,
/// else the core's element.
fn story_container(doc: &Document, judged: &[Judged], core: (usize, usize)) -> u32 {
    let nodes = &doc.nodes;
    let core_prose = subtree_sums(
        nodes,
        (core.0..=core.1).filter_map(|i| match judged[i] {
            Judged::Prose(words) => Some((doc.blocks[i].node, i64::from(words))),
            _ => None,
        }),
    );
    let need = (core_prose[0] as f64 * CORE_SHARE).ceil() as i64;
    // Children come after their parents, so the last node holding enough is the smallest.
    let core_node = (0..nodes.len())
        .rev()
        .find(|&n| core_prose[n] >= need)
        .unwrap_or(0);
    let density = subtree_sums(
        nodes,
        doc.blocks
            .iter()
            .zip(judged)
            .map(|(b, j)| (b.node, density(b, *j))),
    );
    let densest = (0..nodes.len()).max_by_key(|&n| (density[n], n));
    match densest {
        Some(d) if density[d] > 0 && encloses(nodes, d, core_node) => to_u32(d),
        _ => to_u32(core_node),
    }
}

/// A block's weight in the density of the elements around it.
fn density(block: &Block, judged: Judged) -> i64 {
    let words = match judged {
        // Boilerplate that is not a link list (a learned template, a teaser) counts against.
        Judged::Bad(words) if block.link_density <= 0.5 => return -i64::from(words.max(8)),
        Judged::Prose(words) | Judged::Short(words) | Judged::Bad(words) => f64::from(words),
    };
    let linked = f64::from(block.link_density);
    (words * (1.0 - linked) - LINK_COST * words * linked - BLOCK_COST).round() as i64
}

/// Sums values given per node over every subtree (a node's sum includes its descendants').
fn subtree_sums(nodes: &[Node], values: impl Iterator<Item = (u32, i64)>) -> Vec<i64> {
    let mut sums = vec![0i64; nodes.len()];
    for (node, value) in values {
        if let Some(s) = sums.get_mut(node as usize) {
            *s += value;
        }
    }
    // Parents come before their children, so one backward pass carries every sum up.
    for n in (1..nodes.len()).rev() {
        let parent = nodes[n].parent as usize;
        sums[parent] += sums[n];
    }
    sums
}

/// Which nodes lie under `top` (itself included).
fn under_node(nodes: &[Node], top: u32) -> Vec<bool> {
    let mut under = vec![false; nodes.len()];
    for n in 0..nodes.len() {
        under[n] = n == top as usize || (n > 0 && under[nodes[n].parent as usize]);
    }
    under
}

/// Whether node `a` is node `b` or one of its ancestors.
fn encloses(nodes: &[Node], a: usize, b: usize) -> bool {
    let mut n = b;
    loop {
        if n == a {
            return true;
        }
        if n == 0 {
            return false;
        }
        n = nodes[n].parent as usize;
    }
}

/// Which elements only wrap a table or a list (no text of their own, no other child element): a
/// box a site sets around one to scroll or frame it, which makes it no less text structure. A
/// box around a lone paragraph stays a box (a note, a reading time, a call to subscribe).
fn wrappers(doc: &Document) -> Vec<bool> {
    let nodes = &doc.nodes;
    let mut children = vec![0u32; nodes.len()];
    let mut child_text = vec![false; nodes.len()];
    for n in &nodes[1..] {
        children[n.parent as usize] += 1;
        child_text[n.parent as usize] = matches!(n.tag, "table" | "ul" | "ol" | "dl");
    }
    let mut own_text = vec![false; nodes.len()];
    for b in &doc.blocks {
        own_text[b.node as usize] = true;
    }
    (0..nodes.len())
        .map(|n| children[n] == 1 && !own_text[n] && child_text[n])
        .collect()
}

/// The path of elements above a prose block up to the nearest element holding other prose too:
/// how the site wraps one of its story's paragraphs.
fn prose_path(nodes: &[Node], prose: &[i64], container: u32, block: &Block) -> u64 {
    let own = prose[block.node as usize];
    path_hash(nodes, container, block.node, |n| prose[n] == own)
}

/// The path of elements above a short block up to the nearest element holding prose, and
/// whether those elements are plain text structure.
fn short_path(
    nodes: &[Node],
    prose: &[i64],
    wrappers: &[bool],
    container: u32,
    block: &Block,
) -> (u64, bool) {
    let mut plain = true;
    let mut n = block.node as usize;
    while n != container as usize && n != 0 && prose[n] == 0 {
        plain &= TEXT_TAGS.contains(&nodes[n].tag) || wrappers[n];
        n = nodes[n].parent as usize;
    }
    (
        path_hash(nodes, container, block.node, |n| prose[n] == 0),
        plain,
    )
}

/// Hashes the tags and classes of the elements from `from` upwards while `climb` holds (stopping
/// at the container and the root), and the element where the climb stopped.
fn path_hash(nodes: &[Node], container: u32, from: u32, climb: impl Fn(usize) -> bool) -> u64 {
    let mut hash = 0u64;
    let mut n = from as usize;
    while n != container as usize && n != 0 && climb(n) {
        hash = xxh3_64_with_seed(nodes[n].tag.as_bytes(), hash ^ nodes[n].style);
        n = nodes[n].parent as usize;
    }
    xxh3_64_with_seed(&(n as u64).to_le_bytes(), hash)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::html::parse_html;

    const PROSE: &str = "The council met on Monday and agreed, after a long debate that ran \
        late into the night, to extend the programme for another two years.";

    fn judge(doc: &Document) -> Vec<Judged> {
        doc.blocks
            .iter()
            .map(|b| {
                let words = u32::try_from(b.text.split_whitespace().count()).unwrap_or(0);
                if b.link_density > 0.5 {
                    Judged::Bad(words)
                } else if words >= 15 {
                    Judged::Prose(words)
                } else {
                    Judged::Short(words)
                }
            })
            .collect()
    }

    fn kept(html: &str, core: (usize, usize)) -> Vec<String> {
        let doc = parse_html(html);
        let judged = judge(&doc);
        let keep = story_blocks(&doc, &judged, core).expect("an HTML page has structure");
        doc.blocks
            .iter()
            .zip(keep)
            .filter(|(_, k)| *k)
            .map(|(b, _)| b.text.clone())
            .collect()
    }

    #[test]
    fn short_lines_of_the_story_are_kept_and_its_furniture_is_not() {
        let html = format!(
            r#"<body><div class="menu"><a href="/">Home</a> <a href="/n">News</a></div>
            <div class="post"><div class="meta"><span>12 May 2024</span></div>
            <div class="entry"><p>{PROSE}</p><p>Moderator: A. Person</p>
            <ul><li>Two talks (30 mins)</li><li>Questions</li></ul><p>{PROSE}</p>
            <div class="tags"><p>Filed under</p></div></div></div>
            <div class="more"><p>Other story one</p><p>Other story two</p></div></body>"#
        );
        // The core: the two prose paragraphs and what lies between them.
        let doc = parse_html(&html);
        let first = doc.blocks.iter().position(|b| b.text == PROSE).unwrap_or(0);
        let last = doc
            .blocks
            .iter()
            .rposition(|b| b.text == PROSE)
            .unwrap_or(0);
        assert_eq!(
            kept(&html, (first, last)),
            [
                PROSE,
                "Moderator: A. Person",
                "Two talks (30 mins)",
                "Questions",
                PROSE
            ]
        );
    }

    #[test]
    fn a_table_or_list_in_a_box_of_its_own_inside_the_story_is_story() {
        let html = format!(
            r#"<body><main><div class="body"><p>{PROSE}</p>
            <div class="table-scroll"><table><tr><td>Term</td><td>One to three years</td></tr>
            </table></div><p>{PROSE}</p><div class="box"><ul><li>Lower rate</li><li>No deposit</li>
            </ul></div><p>{PROSE}</p><div class="promo"><p>Read our guide</p></div>
            <div class="tools"><span>Print</span><ul><li>Share</li></ul></div><p>{PROSE}</p>
            </div></main></body>"#
        );
        let doc = parse_html(&html);
        let last = doc
            .blocks
            .iter()
            .rposition(|b| b.text == PROSE)
            .unwrap_or(0);
        // A box around a single paragraph, or around a list and a line of its own, is built
        // apart from the story; a box holding only a table or a list is not.
        assert_eq!(
            kept(&html, (0, last)),
            [
                PROSE,
                "Term",
                "One to three years",
                PROSE,
                "Lower rate",
                "No deposit",
                PROSE,
                PROSE
            ]
        );
    }

    #[test]
    fn short_paragraphs_wrapped_like_the_prose_are_story() {
        let html = format!(
            r#"<body><main><div class="text"><p>{PROSE}</p></div><div class="text"><p>Short one.</p></div>
            <div class="text"><p>{PROSE}</p></div><div class="note"><p>Note this</p></div></main></body>"#
        );
        let doc = parse_html(&html);
        let last = doc
            .blocks
            .iter()
            .rposition(|b| b.text == PROSE)
            .unwrap_or(0);
        assert_eq!(kept(&html, (0, last)), [PROSE, "Short one.", PROSE]);
    }

    #[test]
    fn a_sub_heading_between_parts_of_the_story_is_kept_however_it_is_wrapped() {
        let html = format!(
            r#"<body><article><div class="box"><h2>Kicker</h2></div><section><p>{PROSE}</p></section>
            <section class="sub"><div><h2>What comes next</h2></div></section>
            <section><p>{PROSE}</p></section><div class="box"><h2>More</h2></div></article></body>"#
        );
        let doc = parse_html(&html);
        let last = doc
            .blocks
            .iter()
            .rposition(|b| b.text == PROSE)
            .unwrap_or(0);
        assert_eq!(kept(&html, (1, last)), [PROSE, "What comes next", PROSE]);
    }

    #[test]
    fn the_lead_under_the_headline_is_the_storys_and_a_kicker_is_not() {
        let lead = "Penalties for those who refuse to self-isolate are to be raised";
        let html = format!(
            r#"<body><div class="head"><h1>Five places added</h1><div class="sub"><p>{lead}</p></div>
            </div><div class="body"><div class="text"><p>{PROSE}</p><p>{PROSE}</p></div></div></body>"#
        );
        let core = |html: &str| {
            let doc = parse_html(html);
            let first = doc.blocks.iter().position(|b| b.text == PROSE);
            let last = doc.blocks.iter().rposition(|b| b.text == PROSE);
            (first.unwrap_or(0), last.unwrap_or(0))
        };
        assert_eq!(kept(&html, core(&html)), [lead, PROSE, PROSE]);
        // A line of a few words under the headline (a date, a kicker) is not a lead.
        let html = html.replace(lead, "12 May 2024");
        assert_eq!(kept(&html, core(&html)), [PROSE, PROSE]);
        // Nor is a paragraph outside the headline's element.
        let html = format!(
            r#"<body><div class="head"><h1>Five places added</h1></div><div class="promo"><p>{lead}</p>
            </div><div class="body"><div class="text"><p>{PROSE}</p><p>{PROSE}</p></div></div></body>"#
        );
        assert_eq!(kept(&html, core(&html)), [PROSE, PROSE]);
    }

    #[test]
    fn code_with_story_on_both_sides_is_story_however_it_is_wrapped() {
        let html = format!(
            r#"<body><div class="post"><p>{PROSE}</p><div class="code"><pre>make install</pre></div>
            <p>{PROSE}</p><div class="box"><span>Share this</span></div></div>
            <div class="more"><p>Other story</p></div></body>"#
        );
        // The wrapped code between two paragraphs is kept; the line after the story is not.
        assert_eq!(kept(&html, (0, 2)), [PROSE, "make install", PROSE]);
    }

    #[test]
    fn documents_without_structure_are_left_to_the_core() {
        let doc = crate::text::plain::parse_plain("a\nb");
        let judged = [Judged::Short(1), Judged::Short(1)];
        assert_eq!(story_blocks(&doc, &judged, (0, 1)), None);
    }
}

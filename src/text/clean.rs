//! Boilerplate stripping: finds the story in a document's blocks. Evidence is per block (length,
//! sentence punctuation, link density, teaser ellipses, learned template blocks) and structural:
//! the story's core is the densest run of blocks, found as a maximum-sum segment, so menus,
//! teaser lists and footers around it fall away; on an HTML page the element holding it decides
//! which short blocks around the core are story (`layout`); in text without markup the story
//! starts after its headline when the page names it twice, and never runs across a menu. The
//! title is `title`'s. No rule depends on one language, and none names a site.

use super::layout::{self, Judged};
use super::normalize::{is_ascii_space, normalize, word_count, word_spans};
use super::title;
use super::{BlockKind, Document};
use xxhash_rust::xxh3::xxh3_64;

/// A block of the document as the cleaner judged it (a domain value: stored and verified too).
pub(crate) use crate::model::BlockInfo;

/// A document reduced to its story.
#[derive(Debug, Clone, PartialEq)]
pub struct Cleaned {
    /// The title, unsanitised (sanitise before display).
    pub title: String,
    /// The story's paragraphs in their original wording (whitespace collapsed).
    pub paragraphs: Vec<String>,
    /// The story's words, normalised for comparison and joined by single spaces: what its
    /// fingerprints are built from.
    pub(crate) words: String,
    /// The byte range of each word in `words`.
    pub(crate) word_spans: Vec<(u32, u32)>,
    /// Every block of the document, kept or not.
    pub blocks: Vec<BlockInfo>,
}

/// Hash of a normalised block, as stored for template learning.
pub(crate) fn block_hash(norm: &str) -> u64 {
    xxh3_64(norm.as_bytes())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Prose: long, with sentences.
    Good,
    /// Short lines: headings, bylines, menu items. Kept only inside the story.
    Short,
    /// Never part of the story: learned template, link lists, teasers.
    Bad,
}

/// Words a block needs, with sentence punctuation, to count as prose.
const PROSE_MIN_WORDS: usize = 15;
/// Words after which a block counts as prose even without sentence punctuation.
const LONG_MIN_WORDS: usize = 40;
/// What a short block costs the segment around it: enough that a run of menu lines or teasers
/// separates two blocks of prose, small enough that a sub-heading does not.
const SHORT_COST: i64 = 8;
/// What each of the first `CHEAP_RUN` short blocks in a row costs: sub-headings, captions and the
/// labels of a list (a recipe's "Meal 1 / Eat every 2-3 hours") come a few at a time between
/// prose, while menus and link lists come in long runs.
const CHEAP_COST: i64 = 2;
const CHEAP_RUN: usize = 3;

/// Lines in a row, each of at most `MENU_LINE_WORDS` words, that make a menu in text without
/// markup; and what each of its lines costs.
const MENU_RUN: usize = 6;
const MENU_LINE_WORDS: usize = 3;
const MENU_COST: i64 = 4 * SHORT_COST;

/// Strips boilerplate. `is_template` tells whether a block hash was learned as site template.
pub fn clean(doc: &Document, is_template: &dyn Fn(u64) -> bool) -> Cleaned {
    clean_with(doc, |_| is_template)
}

/// `clean`, with the template test chosen once the hashes of all the document's blocks are known
/// (`choose` gets them in order): which site's learned template applies depends on the blocks a
/// page holds.
pub fn clean_with<F: Fn(u64) -> bool>(doc: &Document, choose: impl FnOnce(&[u64]) -> F) -> Cleaned {
    let norms: Vec<String> = doc.blocks.iter().map(|b| normalize(&b.text)).collect();
    // Words never run across blocks (a newline always ends one), so each block is split once.
    let spans: Vec<Vec<(usize, usize)>> = norms.iter().map(|n| word_spans(n)).collect();
    let hashes: Vec<u64> = norms.iter().map(|n| block_hash(n)).collect();
    let is_template = choose(&hashes);
    let mut blocks = Vec::with_capacity(norms.len());
    let mut classes = Vec::with_capacity(norms.len());
    let mut values = Vec::with_capacity(norms.len());
    let mut template = Vec::with_capacity(norms.len());
    // Short blocks in a row so far.
    let mut run = 0usize;
    for ((block, &hash), spans) in doc.blocks.iter().zip(&hashes).zip(&spans) {
        let words = spans.len();
        template.push(is_template(hash));
        let class = classify(&block.text, words, block.link_density, is_template(hash));
        run = if class == Class::Short { run + 1 } else { 0 };
        let value = match class {
            Class::Good => words as i64,
            Class::Short if block.kind == BlockKind::Heading || run <= CHEAP_RUN => -CHEAP_COST,
            Class::Short => -SHORT_COST,
            Class::Bad => -(words as i64).max(SHORT_COST),
        };
        blocks.push(BlockInfo {
            hash,
            words: u32::try_from(words).unwrap_or(u32::MAX),
            kept: false,
            prose: class == Class::Good,
        });
        classes.push(class);
        values.push(value);
    }
    if doc.nodes.is_empty() {
        mark_menus(doc, &classes, &mut values);
    }
    // A scraped page saved as text names its story twice: first line, and again above the story.
    let headline = if doc.nodes.is_empty() && doc.title.is_none() {
        title::headline_again(doc, &norms)
    } else {
        None
    };
    let core = match headline {
        Some(h) => max_segment(&values[h + 1..])
            .map(|(a, b)| (a + h + 1, b + h + 1))
            .or_else(|| max_segment(&values)),
        None => max_segment(&values),
    };
    let structured = core.and_then(|core| {
        let judged: Vec<Judged> = classes
            .iter()
            .zip(&blocks)
            .map(|(class, info)| match class {
                Class::Good => Judged::Prose(info.words),
                Class::Short => Judged::Short(info.words),
                Class::Bad => Judged::Bad(info.words),
            })
            .collect();
        layout::story_blocks(doc, &judged, core)
    });
    let mut keep: Vec<bool> = match (structured, core) {
        (Some(keep), _) => keep,
        (None, Some((start, end))) => (0..classes.len())
            .map(|i| i >= start && i <= end && classes[i] != Class::Bad)
            .collect(),
        // No prose at all (a short note): keep what is not known boilerplate, or everything.
        (None, None) if classes.iter().any(|&c| c != Class::Bad) => {
            classes.iter().map(|&c| c != Class::Bad).collect()
        }
        (None, None) => vec![true; classes.len()],
    };
    keep_stated_story(doc, &norms, &template, &mut keep);
    drop_dangling_introducers(doc, &norms, &mut keep);
    drop_title_blocks(doc, &norms, &mut keep);
    // Evidence that leaves nothing (a page of tables under a long heading, the heading then
    // dropped as introducing nothing) is no story: the page is read as one without prose.
    if !keep.iter().zip(&norms).any(|(&k, n)| k && !n.is_empty()) {
        for (k, class) in keep.iter_mut().zip(&classes) {
            *k = *class != Class::Bad;
        }
    }
    let kept = |i: &usize| keep[*i] && !norms[*i].is_empty();
    let mut paragraphs = Vec::with_capacity((0..norms.len()).filter(kept).count());
    let mut words =
        String::with_capacity((0..norms.len()).filter(kept).map(|i| norms[i].len()).sum());
    let mut word_spans =
        Vec::with_capacity((0..norms.len()).filter(kept).map(|i| spans[i].len()).sum());
    for (i, info) in blocks.iter_mut().enumerate() {
        if kept(&i) {
            info.kept = true;
            paragraphs.push(doc.blocks[i].text.clone());
            push_words(&mut words, &mut word_spans, &norms[i], &spans[i]);
        }
    }
    let first_kept = (0..keep.len()).find(|i| kept(i));
    let title = title::choose(
        doc,
        headline,
        first_kept,
        paragraphs.first().map_or("", String::as_str),
    );
    Cleaned {
        title,
        paragraphs,
        words,
        word_spans,
        blocks,
    }
}

/// Appends the words of `norm` at `ranges` (ascending, as `word_spans` gives them) to `words`,
/// one space apart, with the range of each in `words`. Words one space apart in `norm` are
/// copied as one run (most of prose): a copy per word was a twentieth of preparing a story.
fn push_words(
    words: &mut String,
    spans: &mut Vec<(u32, u32)>,
    norm: &str,
    ranges: &[(usize, usize)],
) {
    // The run of `norm` copied as it is, not yet appended.
    let mut run: Option<(usize, usize)> = None;
    for &(a, b) in ranges {
        match run {
            Some((start, end)) if a == end + 1 && norm.as_bytes()[end] == b' ' => {
                let at = words.len() + (a - start);
                spans.push((at as u32, (at + b - a) as u32));
                run = Some((start, b));
            }
            _ => {
                if let Some((start, end)) = run {
                    words.push_str(&norm[start..end]);
                }
                if !words.is_empty() {
                    words.push(' ');
                }
                spans.push((words.len() as u32, (words.len() + b - a) as u32));
                run = Some((a, b));
            }
        }
    }
    if let Some((start, end)) = run {
        words.push_str(&norm[start..end]);
    }
}

fn classify(text: &str, words: usize, link_density: f32, template: bool) -> Class {
    let trimmed = text.trim_end();
    let teaser = trimmed.ends_with('…') || trimmed.ends_with("...");
    if template || link_density > 0.5 || (teaser && words < PROSE_MIN_WORDS) {
        Class::Bad
    } else if teaser && words < LONG_MIN_WORDS * 2 {
        // A paragraph cut short with an ellipsis: a teaser when it stands among other page
        // furniture, a story's line when the structure around it says so.
        Class::Short
    } else if words >= LONG_MIN_WORDS || (words >= PROSE_MIN_WORDS && sentence_ends(text) > 0) {
        Class::Good
    } else {
        Class::Short
    }
}

/// Counts sentence endings: terminal punctuation of any script followed by a space, a closing
/// quote or the end.
fn sentence_ends(text: &str) -> usize {
    if text.is_ascii() {
        let b = text.as_bytes();
        return (0..b.len())
            .filter(|&i| {
                matches!(b[i], b'.' | b'!' | b'?')
                    && b.get(i + 1)
                        .is_none_or(|&n| is_ascii_space(n) || matches!(n, b'"' | b'\'' | b')'))
            })
            .count();
    }
    let mut chars = text.chars().peekable();
    let mut n = 0;
    while let Some(c) = chars.next() {
        if matches!(c, '.' | '!' | '?' | '。' | '！' | '？' | '؟' | '।' | '۔')
            && chars.peek().is_none_or(|&next| {
                next.is_whitespace() || matches!(next, '"' | '\'' | '”' | '’' | '»' | ')' | '」')
            })
        {
            n += 1;
        }
    }
    n
}

/// In text without markup, a run of [`MENU_RUN`] or more lines of one to three words that end no
/// sentence is a menu (sections, share buttons, footer links): the story does not run across one,
/// so each of its lines costs as much as a long run of short lines may.
fn mark_menus(doc: &Document, classes: &[Class], values: &mut [i64]) {
    let menu_line = |i: usize| {
        let t = doc.blocks[i].text.trim();
        classes[i] == Class::Short
            && word_count(t) <= MENU_LINE_WORDS
            && sentence_ends(t) == 0
            && !t.ends_with(['!', '?'])
    };
    let mut i = 0;
    while i < values.len() {
        let mut j = i;
        while j < values.len() && menu_line(j) {
            j += 1;
        }
        if j - i >= MENU_RUN {
            for v in &mut values[i..j] {
                *v = -MENU_COST;
            }
        }
        i = j.max(i + 1);
    }
}

/// Words a block needs to be found as a part of the page's stated main text, unless it is a whole
/// stated item (an ingredient) by itself: a lone word is found inside any article body.
const STATED_MIN_WORDS: usize = 2;

/// A block the page states as part of its main text apart from its markup (a line of its
/// description, an ingredient, a step, a line of the article's body, found on whole words with
/// its own punctuation) is story wherever the site set it, links or not: the page says so
/// itself. Learned template blocks stay out.
fn keep_stated_story(doc: &Document, norms: &[String], template: &[bool], keep: &mut [bool]) {
    if doc.stated.is_empty() {
        return;
    }
    // Each stated item, normalised, between spaces and on a line of its own: a block found
    // between two spaces is found on whole words with its own punctuation, and never across two
    // items.
    let mut stated = String::new();
    let mut items = std::collections::HashSet::new();
    for item in &doc.stated {
        let norm = normalize(item);
        if norm.is_empty() {
            continue;
        }
        stated.push(' ');
        stated.push_str(&norm);
        stated.push_str(" \n");
        items.insert(norm);
    }
    let lists = nearest_lists(doc);
    let in_list = |i: usize| {
        lists
            .get(doc.blocks[i].node as usize)
            .is_some_and(Option::is_some)
    };
    let mut needle = String::new();
    let mut found = vec![false; keep.len()];
    for i in 0..keep.len() {
        // A kept block is searched for only where it can vouch for its table or list.
        if template[i] || norms[i].is_empty() || (keep[i] && !in_list(i)) {
            continue;
        }
        if !items.contains(&norms[i]) && word_count(&norms[i]) < STATED_MIN_WORDS {
            continue;
        }
        needle.clear();
        needle.push(' ');
        needle.push_str(&norms[i]);
        needle.push(' ');
        if stated.contains(needle.as_str()) {
            keep[i] = true;
            found[i] = true;
        }
    }
    keep_lists_of_stated_lines(doc, &lists, template, &found, keep);
}

/// The nearest table or list at or above each node of an HTML page (none for other pages).
fn nearest_lists(doc: &Document) -> Vec<Option<usize>> {
    let mut lists: Vec<Option<usize>> = Vec::with_capacity(doc.nodes.len());
    for (n, node) in doc.nodes.iter().enumerate() {
        let list = if matches!(node.tag, "table" | "ul" | "ol" | "dl") {
            Some(n)
        } else if n == 0 {
            None
        } else {
            // Parents come before their children.
            lists.get(node.parent as usize).copied().flatten()
        };
        lists.push(list);
    }
    lists
}

/// Stated lines a table or list needs before its other lines are taken as stated too.
const STATED_LIST_MIN: usize = 2;

/// A table or list holding several lines the page states as its main text is a part of the
/// story: its other cells and items are the rest of the same stated lines, split by the markup
/// (an ingredient's amount in one cell and its name, or a link to it, in the next).
fn keep_lists_of_stated_lines(
    doc: &Document,
    lists: &[Option<usize>],
    template: &[bool],
    found: &[bool],
    keep: &mut [bool],
) {
    let list_of = |node: u32| lists.get(node as usize).copied().flatten();
    // Per table or list: its lines, and how many of them the page states.
    let mut lines = std::collections::HashMap::<usize, (usize, usize)>::new();
    for (i, b) in doc.blocks.iter().enumerate() {
        if let Some(list) = list_of(b.node) {
            let count = lines.entry(list).or_default();
            *count = (count.0 + 1, count.1 + usize::from(found[i]));
        }
    }
    // Several stated lines, and a third of the list or more: a sidebar's link list that shares
    // a line or two with the story is not the story's.
    let stated = |list: usize| {
        lines
            .get(&list)
            .is_some_and(|&(all, found)| found >= STATED_LIST_MIN && found * 3 >= all)
    };
    for (i, b) in doc.blocks.iter().enumerate() {
        if !keep[i] && !template[i] && list_of(b.node).is_some_and(stated) {
            keep[i] = true;
        }
    }
}

/// A heading or a line ending in a colon introduces what follows it: when what follows is not
/// story, neither is the introduction (`Related posts`, `More on this:` before a teaser list).
fn drop_dangling_introducers(doc: &Document, norms: &[String], keep: &mut [bool]) {
    let (mut next_kept, mut story_after) = (false, false);
    for i in (0..keep.len()).rev() {
        if norms[i].is_empty() {
            continue;
        }
        let text = doc.blocks[i].text.trim_end();
        // A heading as long as prose, with story after it, is the story's lead. Words are
        // counted only for a heading or a line ending in a colon: counting every block's was a
        // sixth of preparing an article.
        let lead = || story_after && word_count(text) >= PROSE_MIN_WORDS;
        // A line ending in a colon introduces; a paragraph ending in one is story of its own.
        let introduces = (doc.blocks[i].kind == BlockKind::Heading && !lead())
            || (text.ends_with([':', '：']) && word_count(text) < PROSE_MIN_WORDS);
        if keep[i] && introduces && !next_kept {
            keep[i] = false;
        }
        next_kept = keep[i];
        story_after |= keep[i];
    }
}

/// The page's headline is its title, not its story: a kept block that says exactly what the
/// page's stated title says is left out of the story, unless nothing else would be left.
fn drop_title_blocks(doc: &Document, norms: &[String], keep: &mut [bool]) {
    let Some(title) = doc
        .title
        .as_deref()
        .map(normalize)
        .filter(|t| !t.is_empty())
    else {
        return;
    };
    let titles: Vec<usize> = (0..keep.len())
        .filter(|&i| keep[i] && norms[i] == title)
        .collect();
    if titles.len() < keep.iter().filter(|&&k| k).count() {
        for i in titles {
            keep[i] = false;
        }
    }
}

/// The maximum-sum contiguous segment of block values (Kadane), or `None` when no value is
/// positive, i.e. there is no prose.
fn max_segment(values: &[i64]) -> Option<(usize, usize)> {
    let mut best: Option<(i64, usize, usize)> = None;
    let (mut sum, mut start) = (0i64, 0usize);
    for (i, &v) in values.iter().enumerate() {
        if sum <= 0 {
            sum = 0;
            start = i;
        }
        sum += v;
        if sum > 0 && best.is_none_or(|(b, _, _)| sum > b) {
            best = Some((sum, start, i));
        }
    }
    best.map(|(_, s, e)| (s, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Block;

    fn doc(lines: &[&str]) -> Document {
        Document {
            blocks: lines.iter().map(|l| Block::paragraph(*l)).collect(),
            ..Document::default()
        }
    }

    const PROSE: &str = "The committee met on Monday and agreed, after a long debate that ran \
        late into the night, to extend the programme for another two years.";

    #[test]
    fn keeps_the_story_and_drops_menus_and_teasers() {
        let d = doc(&[
            "Home",
            "News",
            "Sport",
            "A Headline About The Committee",
            "By A Reporter",
            PROSE,
            "Analysis",
            PROSE,
            "Share",
            "Related Content",
            "PERU / 2 MAR 2015",
            "Police in Peru have shot down a drug plane in the notorious region, in a move…",
            "About us",
            "Contact",
            "Privacy",
        ]);
        let c = clean(&d, &|_| false);
        assert_eq!(c.paragraphs, [PROSE, "Analysis", PROSE]);
        // The words are those of the kept paragraphs, normalised, one space apart.
        let norms: Vec<String> = c.paragraphs.iter().map(|p| normalize(p)).collect();
        let all = norms.join("\n");
        let want: Vec<&str> = word_spans(&all).iter().map(|&(a, b)| &all[a..b]).collect();
        assert_eq!(c.words, want.join(" "));
        let got: Vec<&str> = c
            .word_spans
            .iter()
            .map(|&(a, b)| &c.words[a as usize..b as usize])
            .collect();
        assert_eq!(got, want);
        assert_eq!(c.title, "A Headline About The Committee");
        assert_eq!(c.blocks.iter().filter(|b| b.kept).count(), 3);
    }

    #[test]
    fn learned_template_blocks_are_dropped_even_inside_the_story() {
        let footer = "We encourage readers to copy and distribute our work for non-commercial \
            purposes, with attribution in the byline and links to the original article.";
        let d = doc(&[PROSE, footer, PROSE]);
        let footer_hash = block_hash(&normalize(footer));
        let c = clean(&d, &|h| h == footer_hash);
        assert_eq!(c.paragraphs, [PROSE, PROSE]);
    }

    #[test]
    fn a_scraped_page_starts_its_story_after_its_headline_and_not_across_a_menu() {
        let d = doc(&[
            "Storm floods the harbour town overnight - The Coast Times",
            "Home",
            "Teaser one is a long paragraph about another story entirely, written to read like \
             prose, so that only the headline tells it is not this story.",
            "Storm floods the harbour town overnight",
            "By A Reporter",
            PROSE,
            PROSE,
            "News",
            "Sport",
            "Weather",
            "Culture",
            "Travel",
            "Opinion",
            "A second teaser is another long paragraph about yet another story, which a story \
             across the menu above would swallow.",
        ]);
        let c = clean(&d, &|_| false);
        assert_eq!(c.paragraphs, [PROSE, PROSE]);
        assert_eq!(c.title, "Storm floods the harbour town overnight");
    }

    #[test]
    fn a_headline_in_the_story_is_its_title_not_its_text() {
        let mut d = doc(&["Council extends the programme", PROSE, PROSE]);
        d.title = Some("Council extends the programme".to_owned());
        let c = clean(&d, &|_| false);
        assert_eq!(c.paragraphs, [PROSE, PROSE]);
        assert_eq!(c.title, "Council extends the programme");
    }

    #[test]
    fn an_introduction_to_nothing_is_not_story() {
        let mut d = doc(&[
            PROSE,
            "Read more:",
            "Another story",
            PROSE,
            "Its next part:",
            PROSE,
        ]);
        d.blocks[2].link_density = 1.0;
        let c = clean(&d, &|_| false);
        assert_eq!(c.paragraphs, [PROSE, PROSE, "Its next part:", PROSE]);
    }

    #[test]
    fn a_lead_set_as_a_heading_is_story_when_story_follows() {
        let lead = "The council agreed late on Monday to extend the programme for two more \
            years after a debate that ran into the night";
        let html = format!(
            r#"<body><article><h2>{lead}</h2><p><a href="/x">Read more</a></p><p>{PROSE}</p>
            <p>{PROSE}</p><h2>{lead}</h2></article></body>"#
        );
        let c = clean(&crate::text::html::parse_html(&html), &|_| false);
        // The lead before the story is kept across the link; the same words after it are not.
        assert_eq!(c.paragraphs, [lead, PROSE, PROSE]);
    }

    #[test]
    fn a_paragraph_ending_in_a_colon_is_story_even_before_what_is_not() {
        let intro = "To tell the tool which version of the language you are on, add these two \
            lines to the file at the top of your project:";
        let mut d = doc(&[PROSE, intro, "Menu item", PROSE, "See also:", "Link"]);
        d.blocks[2].link_density = 1.0;
        d.blocks[5].link_density = 1.0;
        let c = clean(&d, &|_| false);
        assert_eq!(c.paragraphs, [PROSE, intro, PROSE]);
    }

    #[test]
    fn lines_the_pages_structured_data_states_as_its_text_are_story() {
        let html = format!(
            r#"<html><head><script type="application/ld+json">{{"@type": "Recipe",
            "recipeIngredient": ["200 g plain flour", "3 ripe plums, halved", "Salt"],
            "recipeInstructions": [{{"@type": "HowToStep", "text": "Rub the butter into the flour."}}]}}
            </script></head><body><div class="box"><b>You need</b><ul><li>200 g</li>
            <li><a href="/flour">plain flour</a></li><li>3 ripe plums, halved</li><li>Salt</li>
            </ul></div><div class="text"><p>{PROSE}</p><p>{PROSE}</p></div>
            <div class="steps"><p>Rub the butter into the flour.</p></div>
            <div class="more"><p>More plum recipes</p><p>Salt and pepper</p></div></body></html>"#
        );
        let c = clean(&crate::text::html::parse_html(&html), &|_| false);
        // The ingredients beside the story (one a link) and the step after it are kept; a line
        // the data never states is not.
        assert_eq!(
            c.paragraphs,
            [
                "200 g",
                "plain flour",
                "3 ripe plums, halved",
                "Salt",
                PROSE,
                PROSE,
                "Rub the butter into the flour."
            ]
        );
        // The same page without its structured data keeps only the prose.
        let bare = html.replace("application/ld+json", "text/plain");
        let c = clean(&crate::text::html::parse_html(&bare), &|_| false);
        assert_eq!(c.paragraphs, [PROSE, PROSE]);
    }

    #[test]
    fn a_table_holding_stated_lines_is_story_cell_by_cell() {
        let html = format!(
            r#"<html><head><script type="application/ld+json">{{"@type": "Recipe",
            "recipeIngredient": ["200 g plain flour", "3 ripe plums, halved", "1 pinch salt"]}}
            </script></head><body><div class="box"><table>
            <tr><td class="amount">200 g</td><td class="name"><a href="/flour">plain flour</a></td></tr>
            <tr><td class="amount">3</td><td class="name">ripe plums, halved</td></tr>
            <tr><td class="amount">1 pinch</td><td class="name">salt</td></tr></table></div>
            <div class="text"><p>{PROSE}</p><p>{PROSE}</p></div><div class="more"><ul>
            <li><a href="/a">Plum tart</a></li><li><a href="/b">Plum jam</a></li>
            <li><a href="/c">Plain flour</a></li><li><a href="/d">Salt dough</a></li>
            <li><a href="/e">Ripe plums, halved</a></li><li><a href="/f">Jam jars</a></li>
            <li><a href="/g">Cake tins</a></li></ul></div></body></html>"#
        );
        let c = clean(&crate::text::html::parse_html(&html), &|_| false);
        // Every cell of the table is kept, the stated ones and the rest of their lines (`3`,
        // `salt`). The link list keeps its two stated lines, as any stated line is kept, but
        // two of seven do not make it the story's.
        assert_eq!(
            c.paragraphs,
            [
                "200 g",
                "plain flour",
                "3",
                "ripe plums, halved",
                "1 pinch",
                "salt",
                PROSE,
                PROSE,
                "Plain flour",
                "Ripe plums, halved"
            ]
        );
    }

    #[test]
    fn a_line_the_pages_description_states_is_story() {
        let html = format!(
            r#"<html><head><meta property="og:description" content="Ten towns flooded
            overnight as rivers rose a metre in an hour."></head><body>
            <div class="intro"><span>Ten towns flooded overnight</span></div>
            <div class="text"><p>{PROSE}</p><p>{PROSE}</p></div>
            <div class="more"><p>More flood news</p><p>towns flood</p><p>rose a metre.</p></div></body></html>"#
        );
        let c = clean(&crate::text::html::parse_html(&html), &|_| false);
        assert_eq!(c.paragraphs, ["Ten towns flooded overnight", PROSE, PROSE]);
        let bare = html.replace("og:description", "og:image");
        let c = clean(&crate::text::html::parse_html(&bare), &|_| false);
        assert_eq!(c.paragraphs, [PROSE, PROSE]);
    }

    #[test]
    fn a_page_whose_only_prose_is_a_heading_keeps_its_lines() {
        // A results page: a heading long enough, with an abbreviation's dot, to read as prose,
        // then a table of short cells. The heading introduces no prose, so it is dropped; the
        // page's lines are its story all the same, and its link list stays out.
        let html = r#"<body><div class="menu"><p><a href="/a">Club one</a></p>
            <p><a href="/b">Club two</a></p></div><div class="post"><h2>Results of the regional
            relay championship held by the Town Sports e.V. on a sunny Saturday in May at the
            old stadium</h2><table><tr><td>1.</td><td>North Relay Club</td><td>50,59</td></tr>
            <tr><td>2.</td><td>South Runners</td><td>54,18</td></tr></table></div></body>"#;
        let c = clean(&crate::text::html::parse_html(html), &|_| false);
        assert!(
            c.paragraphs.iter().any(|p| p == "North Relay Club"),
            "{c:?}"
        );
        assert!(c.paragraphs.iter().any(|p| p == "54,18"), "{c:?}");
        assert!(c.paragraphs.iter().all(|p| !p.starts_with("Club")), "{c:?}");
    }

    #[test]
    fn a_short_note_keeps_its_lines() {
        let c = clean(&doc(&["Meeting moved", "to Friday at noon"]), &|_| false);
        assert_eq!(c.paragraphs.len(), 2);
        assert_eq!(c.title, "Meeting moved");
    }

    #[test]
    fn prose_is_recognised_in_other_scripts() {
        let ko = "대통령은 월요일 회의에서 마약 정책에 대한 새로운 접근 방식이 필요하다고 말했으며 \
            각국 정부가 성공적인 정책에 대한 정보를 공유해야 한다고 강조했다. 회의는 이틀 동안 계속된다.";
        let words = crate::text::normalize::word_count(ko);
        assert_eq!(classify(ko, words, 0.0, false), Class::Good);
    }

    #[test]
    fn sentence_ends_count_alike_in_ascii_and_beyond() {
        let ascii = "It rose. Did it? \"Yes.\" (Twice.) 3.5 percent...end";
        assert_eq!(sentence_ends(ascii), 4);
        // The same text with one non-ASCII letter takes the general path.
        assert_eq!(sentence_ends(&ascii.replace("Yes", "Sí")), 4);
        assert_eq!(sentence_ends("終わった。 次へ！"), 2);
    }

    #[test]
    fn max_segment_finds_the_dense_run() {
        assert_eq!(
            max_segment(&[-8, -8, 30, -8, 40, -8, -8, -8, -8, 20]),
            Some((2, 4))
        );
        assert_eq!(max_segment(&[-8, -2]), None);
    }

    proptest::proptest! {
        #[test]
        fn words_copied_in_runs_are_the_words_one_by_one(
            blocks in proptest::collection::vec("[a-c1 ,.'-]{0,40}|[a-cé東 ,.]{0,20}", 0..6),
        ) {
            let (mut words, mut spans) = (String::new(), Vec::new());
            let (mut want, mut want_spans) = (String::new(), Vec::new());
            for block in &blocks {
                let norm = normalize(block);
                let ranges = word_spans(&norm);
                push_words(&mut words, &mut spans, &norm, &ranges);
                for &(a, b) in &ranges {
                    if !want.is_empty() {
                        want.push(' ');
                    }
                    let start = want.len() as u32;
                    want.push_str(&norm[a..b]);
                    want_spans.push((start, want.len() as u32));
                }
            }
            proptest::prop_assert_eq!(words, want);
            proptest::prop_assert_eq!(spans, want_spans);
        }
    }
}

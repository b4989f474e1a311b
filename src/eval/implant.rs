//! Setting a story into a page in place of the page's own story, as a site that republishes a
//! wire story does, or as several stories of one site share its template. The page's own story
//! is found by its gold article text: the densest run of lines (page.txt) or paragraph elements
//! (page.html) whose words are the article's. Pure; for the eval only.

use crate::text::normalize::{normalize, word_spans};
use rustc_hash::FxHashSet;
use xxhash_rust::xxh3::xxh3_64;

/// The byte range of a page's own story in its source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Share of a line's shingles that must be the article's for the line to be article text.
const LINE_MATCH: f32 = 0.8;
/// Share of the article's words the span must hold: the page holds its story there.
const ARTICLE_FOUND: f32 = 0.7;

/// Words in a shingle.
const SHINGLE: usize = 3;

/// The hashes of a text's 3-word shingles, its words normalised as the engine normalises them,
/// and its number of words. (The eval compares texts on its own: it stands beside the engine's
/// fingerprints, not on them.)
fn shingles(text: &str) -> (Vec<u64>, usize) {
    let norm = normalize(text);
    let words: Vec<&str> = word_spans(&norm)
        .iter()
        .map(|&(a, z)| &norm[a..z])
        .collect();
    let hashes = words
        .windows(SHINGLE)
        .map(|w| xxh3_64(w.join(" ").as_bytes()))
        .collect();
    (hashes, words.len())
}

/// The article's 3-word shingles.
fn shingle_set(article: &str) -> (FxHashSet<u64>, usize) {
    let (hashes, words) = shingles(article);
    (hashes.into_iter().collect(), words)
}

/// Words of a piece of page text, and whether it is article text.
fn weigh(text: &str, article: &FxHashSet<u64>) -> (usize, bool) {
    let (sh, words) = shingles(text);
    if words < SHINGLE {
        return (words, false);
    }
    let found = sh.iter().filter(|h| article.contains(h)).count();
    (words, found as f32 >= LINE_MATCH * sh.len() as f32)
}

/// The densest run of pieces: article words count for it, other words against it (a maximum-sum
/// segment), so a lead repeated far away in a teaser does not stretch the span. Returns the
/// first and last piece and the article words inside.
fn densest(pieces: &[(usize, bool)]) -> Option<(usize, usize, usize)> {
    let mut best: Option<(i64, usize, usize)> = None;
    let (mut sum, mut start) = (0i64, 0usize);
    for (i, &(words, matched)) in pieces.iter().enumerate() {
        if sum <= 0 {
            sum = 0;
            start = i;
        }
        sum += if matched {
            words as i64
        } else {
            -(words.max(1) as i64)
        };
        if sum > 0 && best.is_none_or(|(b, _, _)| sum > b) {
            best = Some((sum, start, i));
        }
    }
    let (_, s, e) = best?;
    let found = pieces[s..=e].iter().filter(|p| p.1).map(|p| p.0).sum();
    Some((s, e, found))
}

/// Where the article lies in a plain-text page: from the first to the last of its lines.
pub(crate) fn story_span_txt(page: &str, article: &str) -> Option<Span> {
    let (set, article_words) = shingle_set(article);
    let mut lines = Vec::new();
    let mut at = 0;
    for line in page.split_inclusive('\n') {
        if !line.trim().is_empty() {
            lines.push((at, at + line.trim_end().len(), weigh(line, &set)));
        }
        at += line.len();
    }
    let pieces: Vec<(usize, bool)> = lines.iter().map(|l| l.2).collect();
    let (s, e, found) = densest(&pieces)?;
    (found as f32 >= ARTICLE_FOUND * article_words as f32).then(|| Span {
        start: lines[s].0,
        end: lines[e].1,
    })
}

/// Where the article lies in an HTML page: from the first to the last paragraph element (`<p>`)
/// holding its text.
pub(crate) fn story_span_html(page: &str, article: &str) -> Option<Span> {
    let (set, article_words) = shingle_set(article);
    let paras = paragraph_elements(page);
    let pieces: Vec<(usize, bool)> = paras
        .iter()
        .map(|&(a, b)| weigh(&element_text(&page[a..b]), &set))
        .collect();
    let (s, e, found) = densest(&pieces)?;
    (found as f32 >= ARTICLE_FOUND * article_words as f32).then(|| Span {
        start: paras[s].0,
        end: paras[e].1,
    })
}

/// Elements whose content is no text of the page (a script may hold a copy of the story).
const OPAQUE: [(&str, &str); 6] = [
    ("<!--", "-->"),
    ("<script", "</script"),
    ("<style", "</style"),
    ("<noscript", "</noscript"),
    ("<template", "</template"),
    ("<textarea", "</textarea"),
];

/// Byte ranges of the `<p>…</p>` elements of a page, in order (ASCII case-insensitive), outside
/// scripts, styles and comments.
fn paragraph_elements(page: &str) -> Vec<(usize, usize)> {
    let lower = page.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find('<').map(|i| i + from) {
        if let Some((_, close)) = OPAQUE.iter().find(|(open, _)| lower[i..].starts_with(open)) {
            from = lower[i + 1..]
                .find(close)
                .map_or(lower.len(), |c| i + 1 + c + close.len());
            continue;
        }
        if !lower[i..].starts_with("<p") {
            from = i + 1;
            continue;
        }
        let next = lower.as_bytes().get(i + 2).copied();
        if !matches!(next, Some(b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'/')) {
            from = i + 2;
            continue;
        }
        let Some(close) = lower[i..].find("</p>").map(|c| c + i + 4) else {
            break;
        };
        out.push((i, close));
        from = close;
    }
    out
}

/// The text of an HTML fragment.
fn element_text(fragment: &str) -> String {
    scraper::Html::parse_fragment(fragment)
        .root_element()
        .text()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The page with `span` replaced by `paragraphs`, as lines of plain text.
pub(crate) fn implant_txt(page: &str, span: Span, paragraphs: &[String]) -> String {
    format!(
        "{}{}{}",
        &page[..span.start],
        paragraphs.join("\n\n"),
        &page[span.end..]
    )
}

/// The page with `span` replaced by `paragraphs`, as paragraph elements.
pub(crate) fn implant_html(page: &str, span: Span, paragraphs: &[String]) -> String {
    let body: Vec<String> = paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>", escape(p)))
        .collect();
    format!(
        "{}{}{}",
        &page[..span.start],
        body.join("\n"),
        &page[span.end..]
    )
}

/// The page with `paragraphs` set inside its story (`span`), after the middle paragraph element
/// of it: another story's passage quoted in this one.
pub(crate) fn insert_html(page: &str, span: Span, paragraphs: &[String]) -> String {
    let inside: Vec<(usize, usize)> = paragraph_elements(&page[span.start..span.end]);
    let at = inside
        .get(inside.len().saturating_sub(1) / 2)
        .map_or(span.end, |&(_, end)| span.start + end);
    let body: Vec<String> = paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>", escape(p)))
        .collect();
    format!("{}\n{}\n{}", &page[..at], body.join("\n"), &page[at..])
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLE: &str = "The council voted on Monday to close the old bridge for repairs.\n\n\
        Engineers said the work would take three months and cost two million.";

    #[test]
    fn finds_and_replaces_the_story_in_plain_text() {
        let page =
            "Home\nNews\n\nThe council voted on Monday to close the old bridge for repairs.\n\n\
            Engineers said the work would take three months and cost two million.\n\nContact us\n";
        let span = story_span_txt(page, ARTICLE).expect("found");
        let new = implant_txt(page, span, &["A new story.".into(), "Its end.".into()]);
        assert_eq!(
            new,
            "Home\nNews\n\nA new story.\n\nIts end.\n\nContact us\n"
        );
    }

    #[test]
    fn finds_and_replaces_the_story_in_html() {
        let page = "<html><body><nav><p>Home</p></nav><div><P class=x>The council voted on Monday \
            to close the old <b>bridge</b> for repairs.</P><p>Engineers said the work would take \
            three months and cost two million.</p></div><p>Footer</p></body></html>";
        let span = story_span_html(page, ARTICLE).expect("found");
        let new = implant_html(page, span, &["A & B.".into()]);
        assert!(
            new.contains("<div><p>A &amp; B.</p></div><p>Footer</p>"),
            "{new}"
        );
        assert!(!new.contains("council"));
    }

    #[test]
    fn a_page_without_the_article_has_no_span() {
        assert_eq!(
            story_span_txt("Home\nSomething else entirely here\n", ARTICLE),
            None
        );
        assert_eq!(
            story_span_html("<p>Nothing of it at all</p>", ARTICLE),
            None
        );
    }
}

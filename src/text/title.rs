//! Titles that name the story: what a page states (reconciled from its `og:title`, `<title>` and
//! headings), or for text without markup the headline nearest the story, where a scraped page's
//! first line (its saved `<title>`) names it. Never a URL, a bare site name, or a line that
//! does not read as a headline. Must not choose the story's blocks (that is `clean`'s).

use super::normalize::{normalize, word_count};
use super::{BlockKind, Document};

/// `Headline of the day | The Daily Site` becomes `Headline of the day` when the part kept has at
/// least three words and the part dropped is short enough to be a site name.
pub(crate) fn strip_site_suffix(title: &str) -> &str {
    for separator in [" | ", " - ", " – ", " — ", " :: ", " · "] {
        if let Some((head, site)) = title.rsplit_once(separator) {
            if head.split_whitespace().count() >= 3 && site.split_whitespace().count() <= 5 {
                return head.trim_end();
            }
        }
    }
    title
}

/// Whether a stated title can name a story: it has letters, is not a URL or a file path, and is
/// not a paragraph.
pub(crate) fn is_plausible(title: &str) -> bool {
    let t = title.trim();
    let lower = t.to_ascii_lowercase();
    let url = lower.starts_with("http:")
        || lower.starts_with("https:")
        || lower.starts_with("www.")
        || lower.contains("://")
        || (!t.contains(' ') && t.contains('/'))
        || (!t.contains(' ') && t.contains('.') && !t.ends_with('.'));
    t.chars().any(char::is_alphabetic) && !url && word_count(t) <= 40
}

/// A scraped page saved as text starts with its `<title>`, and the page states the headline
/// again just above the story. When the first block reads as a title and comes again later,
/// returns the index of that later block: the story is after it. `norms` are the blocks'
/// normalised texts.
pub(super) fn headline_again(doc: &Document, norms: &[String]) -> Option<usize> {
    let first = doc.blocks.first()?.text.trim();
    if !looks_like_title(first) && !looks_like_title(strip_site_suffix(first)) {
        return None;
    }
    let (whole, head) = (normalize(first), normalize(strip_site_suffix(first)));
    norms
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, n)| !n.is_empty() && (**n == head || **n == whole))
        .map(|(i, _)| i)
}

/// The title of a document: the one it states when plausible; else the repeated headline above
/// the story; else the first line when it reads as a title; else the heading nearest the story;
/// else the story's first words.
pub(super) fn choose(
    doc: &Document,
    headline: Option<usize>,
    story_start: Option<usize>,
    story_text: &str,
) -> String {
    if let Some(t) = doc.title.as_deref().filter(|t| is_plausible(t)) {
        return t.trim().to_owned();
    }
    if let Some(i) = headline {
        return doc.blocks[i].text.trim().to_owned();
    }
    let before = story_start.and_then(|s| title_before(doc, s));
    let first = doc
        .blocks
        .first()
        .map(|b| strip_site_suffix(b.text.trim()))
        .filter(|t| looks_like_title(t) && story_start.is_some_and(|s| s > 0));
    before
        .or(first.map(str::to_owned))
        .unwrap_or_else(|| title_from_text(story_text))
}

/// In a scraped page's header (breadcrumbs, a section label, the title, a byline), the
/// heading-like block nearest the story among the longest ones, since a title outweighs the
/// labels and bylines around it. A marked heading right above the story wins.
fn title_before(doc: &Document, story_start: usize) -> Option<String> {
    let above = &doc.blocks[..story_start.min(doc.blocks.len())];
    if let Some(h) = above.last().filter(|b| b.kind == BlockKind::Heading) {
        if looks_like_title(h.text.trim()) {
            return Some(h.text.trim().to_owned());
        }
    }
    let candidates: Vec<&str> = above
        .iter()
        .rev()
        .take(8)
        .map(|b| b.text.trim())
        .filter(|t| looks_like_title(t))
        .collect();
    let longest = candidates.iter().map(|t| word_count(t)).max()?;
    candidates
        .into_iter()
        .find(|t| word_count(t) * 5 >= longest * 4)
        .map(str::to_owned)
}

/// Whether a line reads as a headline: a few words, not shouted, not a date or a count, not a
/// sentence or a teaser, not a breadcrumb trail, and not a URL.
pub(super) fn looks_like_title(text: &str) -> bool {
    // Each run between spaces that holds a letter or digit holds a word of its own, so 26 such
    // runs are over the 25 words a headline may have: said without counting the words of a
    // block that may be megabytes long (the time to read a file is bounded).
    let runs = text
        .split_whitespace()
        .filter(|t| t.chars().any(char::is_alphanumeric));
    if runs.take(26).count() > 25 {
        return false;
    }
    let words = word_count(text);
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    let shouting = letters.len() > 3 && upper * 10 > letters.len() * 7;
    let digits = text.chars().filter(char::is_ascii_digit).count();
    (3..=25).contains(&words)
        && !shouting
        && digits * 4 < text.len()
        && !text.ends_with('.')
        && !text.ends_with('…')
        && !text.contains(" / ")
        && is_plausible(text)
}

/// A title made from the first words of the text, for files that state none. No ellipsis is
/// baked in: the title is a value scripts read, and whoever shows it cut (the dashboard's
/// columns) marks the cut itself. Records stored by earlier releases keep the "…" they got.
pub fn title_from_text(text: &str) -> String {
    const WORDS: usize = 12;
    text.split_whitespace()
        .take(WORDS)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Block;

    #[test]
    fn a_title_has_at_most_25_words_however_long_the_block() {
        let words = |n: usize| vec!["Harbour"; n].join(" ");
        assert!(looks_like_title(&words(25)));
        assert!(!looks_like_title(&words(26)));
        // Runs without a letter or digit are no words: still a title.
        assert!(looks_like_title(&format!("{} {}", words(25), "— · —")));
        assert!(!looks_like_title(&words(2_000_000)));
    }

    #[test]
    fn urls_and_paths_are_not_titles() {
        for t in [
            "https://news.example/2024/05/storm",
            "www.example.com",
            "example.com/news/storm-hits",
            "news.example.com",
            "12345",
            "",
        ] {
            assert!(!is_plausible(t), "{t}");
        }
        for t in [
            "Storm hits the coast",
            "Brexit",
            "3.5% growth expected in Q2 says the bank.",
        ] {
            assert!(is_plausible(t), "{t}");
        }
    }

    #[test]
    fn site_suffixes_are_stripped_only_from_long_enough_titles() {
        assert_eq!(
            strip_site_suffix("Council approves the budget - The Gazette"),
            "Council approves the budget"
        );
        assert_eq!(strip_site_suffix("Brexit - BBC News"), "Brexit - BBC News");
    }

    fn doc(lines: &[&str]) -> Document {
        Document {
            blocks: lines.iter().map(|l| Block::paragraph(*l)).collect(),
            ..Document::default()
        }
    }

    #[test]
    fn a_scraped_pages_headline_is_found_again_above_its_story() {
        let d = doc(&[
            "Storm floods the harbour town overnight - The Coast Times",
            "Home",
            "Storm floods the harbour town overnight",
            "By A Reporter",
            "The story.",
        ]);
        let norms: Vec<String> = d.blocks.iter().map(|b| normalize(&b.text)).collect();
        assert_eq!(headline_again(&d, &norms), Some(2));
        assert_eq!(
            choose(&d, Some(2), Some(4), "The story."),
            "Storm floods the harbour town overnight"
        );
        // A first line that is not a headline anchors nothing.
        let menu = doc(&["Menu", "x", "Menu"]);
        let norms: Vec<String> = menu.blocks.iter().map(|b| normalize(&b.text)).collect();
        assert_eq!(headline_again(&menu, &norms), None);
    }

    #[test]
    fn a_stated_url_gives_way_to_the_headline_nearest_the_story() {
        let mut d = doc(&[
            "Skip to content",
            "Latest reviews",
            "The new touring bike rides well on long roads",
            "The story starts here and goes on.",
        ]);
        d.title = Some("https://bikes.example/reviews/touring".to_owned());
        assert_eq!(
            choose(&d, None, Some(3), "The story starts here and goes on."),
            "The new touring bike rides well on long roads"
        );
        d.title = Some("Touring bike review: long roads, light steps".to_owned());
        assert_eq!(
            choose(&d, None, Some(3), ""),
            "Touring bike review: long roads, light steps"
        );
    }

    #[test]
    fn without_any_headline_the_first_words_serve() {
        let d = doc(&["just a note without a headline."]);
        assert_eq!(
            choose(&d, None, Some(0), "just a note without a headline."),
            "just a note without a headline."
        );
        let long = "one two three four five six seven eight nine ten eleven twelve thirteen.";
        let d = doc(&[long]);
        assert_eq!(
            choose(&d, None, Some(0), long),
            "one two three four five six seven eight nine ten eleven twelve",
            "the first twelve words, with no display ellipsis baked in"
        );
    }
}

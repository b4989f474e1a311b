//! Where a query's words lie in an article's text, as byte ranges of the text as stored: what a
//! view needs to highlight matches and step between them. Pure functions; the ranges always lie
//! on character boundaries of the text given, however it normalises.

use super::terms::Word;
use crate::text::normalize::normalize;
use unicode_segmentation::UnicodeSegmentation;

/// One place a query word occurs: paragraph `paragraph`, bytes `start..end` of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    pub paragraph: usize,
    pub start: usize,
    pub end: usize,
}

/// Every place in `paragraphs` where a word of `words` occurs (as `Engine::list` matches it: in
/// the normalised text), in reading order, overlapping places joined.
pub fn find(paragraphs: &[String], words: &[Word]) -> Vec<Hit> {
    let mut out = Vec::new();
    for (i, p) in paragraphs.iter().enumerate() {
        out.extend(find_in(p, words).into_iter().map(|(start, end)| Hit {
            paragraph: i,
            start,
            end,
        }));
    }
    out
}

/// `find` within one text (a paragraph or a title): byte ranges, sorted, overlaps joined.
pub fn find_in(text: &str, words: &[Word]) -> Vec<(usize, usize)> {
    if words.is_empty() {
        return Vec::new();
    }
    let (norm, map) = normalize_mapped(text);
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for w in words {
        if w.text.is_empty() {
            continue;
        }
        for (at, m) in norm.match_indices(w.text.as_str()) {
            ranges.push((map.start_of(at), map.end_of(at + m.len() - 1)));
        }
    }
    ranges.sort_unstable();
    let mut joined: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match joined.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => joined.push((s, e)),
        }
    }
    joined
}

/// For each piece of the normalised text, where it came from in the original.
struct Map {
    /// (start in the normalised text, start and end in the original), by normalised start.
    pieces: Vec<(usize, usize, usize)>,
}

impl Map {
    fn piece(&self, norm_at: usize) -> (usize, usize, usize) {
        let i = self.pieces.partition_point(|p| p.0 <= norm_at);
        self.pieces[i.saturating_sub(1)]
    }
    fn start_of(&self, norm_at: usize) -> usize {
        self.piece(norm_at).1
    }
    fn end_of(&self, norm_at: usize) -> usize {
        self.piece(norm_at).2
    }
}

/// The text normalised one grapheme cluster at a time (white space collapsed between them, as
/// `normalize` does), with where each normalised piece came from. Equal to `normalize(text)` for
/// all but contrived text (normalisation does not reach across clusters); where it differs,
/// highlighting is approximate, never out of bounds.
fn normalize_mapped(text: &str) -> (String, Map) {
    let mut norm = String::with_capacity(text.len());
    let mut pieces = Vec::new();
    let mut space_at: Option<usize> = None;
    for (at, g) in text.grapheme_indices(true) {
        if g.chars().all(char::is_whitespace) {
            space_at.get_or_insert(at);
            continue;
        }
        let n = normalize(g);
        if n.is_empty() {
            continue;
        }
        if let Some(s) = space_at.take().filter(|_| !norm.is_empty()) {
            pieces.push((norm.len(), s, at));
            norm.push(' ');
        }
        pieces.push((norm.len(), at, at + g.len()));
        norm.push_str(&n);
    }
    if pieces.is_empty() {
        pieces.push((0, 0, 0));
    }
    (norm, Map { pieces })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::terms::query_words;
    use proptest::prelude::*;

    #[test]
    fn finds_words_as_written_in_the_original() {
        let p = vec![
            "The  Bridge\u{2019}s “CLOSURE” was ﬁnal.".to_owned(),
            "No match here".to_owned(),
            "bridges and a bridge".to_owned(),
        ];
        let hits = find(&p, &query_words("bridge's final"));
        let texts: Vec<&str> = hits
            .iter()
            .map(|h| &p[h.paragraph][h.start..h.end])
            .collect();
        assert_eq!(texts, ["Bridge\u{2019}s", "ﬁnal"]);
        let hits = find(&p, &query_words("BRIDGE"));
        let texts: Vec<(usize, &str)> = hits
            .iter()
            .map(|h| (h.paragraph, &p[h.paragraph][h.start..h.end]))
            .collect();
        assert_eq!(texts, [(0, "Bridge"), (2, "bridge"), (2, "bridge")]);
        assert!(find(&p, &[]).is_empty());
    }

    proptest! {
        /// A paragraph has a hit exactly when the scan finds the word in it, and each hit is
        /// text that normalises to the word.
        #[test]
        fn hits_agree_with_the_scan(
            p in "[ a-cA-C.'\u{2019}\u{e9}\u{301}\u{a0}\u{fb01}\u{200b}-]{0,40}",
            q in "[a-cA-C'\u{e9}\u{fb01}]{1,3}",
        ) {
            // A combining mark after an invisible character joins the letter before it only
            // when the whole text is normalised at once: the contrived case left approximate.
            prop_assume!(!p.contains("\u{200b}\u{301}"));
            let norm = normalize(&p);
            for w in query_words(&q) {
                let hits = find_in(&p, std::slice::from_ref(&w));
                prop_assert_eq!(!hits.is_empty(), norm.contains(&w.text), "{:?} in {:?}", w.text, p);
                for (s, e) in hits {
                    prop_assert!(normalize(&p[s..e]).contains(&w.text));
                }
            }
        }
    }
}

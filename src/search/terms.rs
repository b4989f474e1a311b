//! Search terms: how normalised text splits into the terms the index keeps, and how the words of
//! a query map onto them. Pure functions, no I/O. The index and the scan agree through these: a
//! query word matches an article when it occurs in the normalised title or in a normalised
//! paragraph (a substring, as `Engine::list` has always matched), and the index only narrows
//! down which articles can hold it.

use crate::text::normalize::normalize;

/// Whether a character of normalised text belongs to a term. Any split is correct for search
/// (see `Word`); this one keeps words whole: letters, digits and the marks that go with them,
/// never white space or punctuation. Context-free, so that the same characters split the same
/// way in a query and in an article.
pub fn is_term_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    if c.is_alphanumeric() {
        return true;
    }
    // Non-ASCII characters that are not letters or digits: combining marks stay in their word;
    // white space, punctuation and symbols split.
    !(c.is_whitespace()
        || c.is_control()
        || matches!(c,
            '\u{00A0}'..='\u{00BF}'
            | '\u{00D7}' | '\u{00F7}'
            | '\u{2000}'..='\u{2BFF}'
            | '\u{3000}'..='\u{303F}'
            | '\u{FE10}'..='\u{FE6F}'
            | '\u{FF00}'..='\u{FF0F}'
            | '\u{FF1A}'..='\u{FF20}'
            | '\u{FF3B}'..='\u{FF40}'
            | '\u{FF5B}'..='\u{FF65}'
            | '\u{1F000}'..='\u{1FAFF}'))
}

/// Characters of scripts written without spaces between words: each is a term of its own, so
/// that a sentence of Chinese is not one term.
fn stands_alone(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3FFFF}')
}

/// Calls `f` with every term of normalised text, in order: maximal runs of term characters,
/// with each character that stands alone a term of its own.
pub fn for_each_term<'a>(norm: &'a str, mut f: impl FnMut(&'a str)) {
    let b = norm.as_bytes();
    if norm.is_ascii() {
        // The common case: a byte scan.
        let mut start = None;
        for (i, &c) in b.iter().enumerate() {
            match (c.is_ascii_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    f(&norm[s..i]);
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            f(&norm[s..]);
        }
        return;
    }
    let mut start = None;
    for (i, c) in norm.char_indices() {
        let alone = stands_alone(c);
        let term = !alone && is_term_char(c);
        if let Some(s) = start.filter(|_| !term) {
            f(&norm[s..i]);
            start = None;
        }
        if alone {
            f(&norm[i..i + c.len_utf8()]);
        } else if term && start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        f(&norm[s..]);
    }
}

/// One word of a query: a run of non-space characters of the normalised query, which must occur
/// as written in an article's normalised title or in one of its normalised paragraphs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word as it must occur.
    pub text: String,
    /// Its terms. Wherever the word occurs, each of them occurs inside one of the text's terms
    /// (the split is context-free, and a piece of a run lies within a run), so an article whose
    /// terms contain every piece is a candidate, and one that lacks a piece cannot match.
    pub pieces: Vec<String>,
}

impl Word {
    /// Whether the index answers this word exactly: a word that is one term occurs in a text
    /// exactly when some term of the text contains it. Other words (with punctuation, several
    /// terms, or none) are confirmed on the article's text.
    pub fn is_exact(&self) -> bool {
        self.pieces.len() == 1 && self.pieces[0] == self.text
    }
}

/// The words of a query, as `Engine::list` reads `ListQuery.text`: normalised, split at white
/// space. No words means no text condition.
pub fn query_words(text: &str) -> Vec<Word> {
    let norm = normalize(text);
    norm.split_whitespace()
        .map(|w| {
            let mut pieces: Vec<String> = Vec::new();
            for_each_term(w, |t| {
                if !pieces.iter().any(|p| p == t) {
                    pieces.push(t.to_owned());
                }
            });
            Word {
                text: w.to_owned(),
                pieces,
            }
        })
        .collect()
}

/// Whether every word occurs in the title or in some paragraph, both normalised here: the
/// definition of a text match, which the scan applies to every article and the index to the
/// words it cannot answer exactly.
pub fn mentions<'a>(
    words: &[&Word],
    title: &str,
    paragraphs: impl IntoIterator<Item = &'a String>,
) -> bool {
    let title = normalize(title);
    let mut missing: Vec<&Word> = words
        .iter()
        .copied()
        .filter(|w| !title.contains(w.text.as_str()))
        .collect();
    if missing.is_empty() {
        return true;
    }
    for p in paragraphs {
        let p = normalize(p);
        missing.retain(|w| !p.contains(w.text.as_str()));
        if missing.is_empty() {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn terms(s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for_each_term(s, |t| out.push(t));
        out
    }

    #[test]
    fn splits_words_numbers_and_scripts() {
        assert_eq!(
            terms("peru's \"tough laws\" - 2,000 u.s."),
            ["peru", "s", "tough", "laws", "2", "000", "u", "s"]
        );
        assert_eq!(
            terms("él dijo: «no» 대통령은"),
            ["él", "dijo", "no", "대통령은"]
        );
        assert_eq!(terms("中国人 ok"), ["中", "国", "人", "ok"]);
        assert_eq!(terms("नमस्ते दुनिया"), ["नमस्ते", "दुनिया"]);
    }

    #[test]
    fn query_words_keep_their_punctuation_and_know_their_pieces() {
        let words = query_words("Bridge  “U.S.” 中国");
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["bridge", "\"u.s.\"", "中国"]);
        assert!(words[0].is_exact());
        assert_eq!(words[1].pieces, ["u", "s"]);
        assert!(!words[1].is_exact());
        assert!(!words[2].is_exact());
        assert!(query_words("  ").is_empty());
        assert!(query_words("--").iter().all(|w| w.pieces.is_empty()));
    }

    proptest! {
        /// The property the index stands on: wherever a word occurs in a normalised text, each
        /// of its pieces lies inside one of the text's terms.
        #[test]
        fn pieces_of_an_occurring_word_lie_inside_terms(
            text in "[a-c0-9 .,'\"\u{e9}\u{4e2d}\u{56fd}\u{2014}-]{0,40}",
            from in 0usize..40,
            len in 1usize..12,
        ) {
            let norm = normalize(&text);
            let chars: Vec<(usize, char)> = norm.char_indices().collect();
            prop_assume!(from < chars.len());
            let end = chars.get(from + len).map_or(norm.len(), |&(i, _)| i);
            let sub = &norm[chars[from].0..end];
            let mut doc_terms = Vec::new();
            for_each_term(&norm, |t| doc_terms.push(t));
            for w in query_words(sub) {
                prop_assert!(norm.contains(&w.text));
                for p in &w.pieces {
                    prop_assert!(doc_terms.iter().any(|t| t.contains(p.as_str())),
                        "piece {p:?} of {:?} in no term of {norm:?}", w.text);
                }
                if w.is_exact() {
                    prop_assert!(doc_terms.iter().any(|t| t.contains(w.text.as_str())));
                }
            }
        }

        /// An exact word occurs in a text exactly when a term of the text contains it.
        #[test]
        fn exact_words_match_exactly_through_terms(
            text in "[a-c .\u{e9}\u{4e2d}-]{0,30}",
            word in "[a-c\u{e9}\u{4e2d}]{1,3}",
        ) {
            let norm = normalize(&text);
            for w in query_words(&word).into_iter().filter(Word::is_exact) {
                let mut hit = false;
                for_each_term(&norm, |t| hit |= t.contains(w.text.as_str()));
                prop_assert_eq!(hit, norm.contains(w.text.as_str()));
            }
        }
    }
}

//! Normalisation for comparison: Unicode NFKC, typographic quotes, dashes and spaces folded, case
//! folded, whitespace collapsed; and the word tokens fingerprints are built from. Pure functions.

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};
use unicode_segmentation::UnicodeSegmentation;

/// Normalises text for comparison. Idempotent: `normalize(&normalize(s)) == normalize(s)`.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    if s.is_ascii() {
        fold_into(s, &mut out);
        return out;
    }
    // Lower-casing can leave text that is not NFKC (and NFKC can expose upper case), so fold until
    // the text stops changing; real text settles in one or two rounds.
    let mut current = nfkc(s);
    for _ in 0..4 {
        out.clear();
        fold_into(&current, &mut out);
        let next = nfkc(&out);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

fn nfkc(s: &str) -> String {
    if is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        s.to_owned()
    } else {
        s.nfkc().collect()
    }
}

/// Folds typography and case, collapses whitespace, trims.
fn fold_into(s: &str, out: &mut String) {
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() || is_invisible(c) {
            pending_space |= c.is_whitespace();
            continue;
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '`' | '\u{00B4}' => {
                out.push('\'')
            }
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
            | '\u{00BB}' => out.push('"'),
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => {
                out.push('-')
            }
            c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            c => out.extend(c.to_lowercase()),
        }
    }
}

/// Format characters that carry no text: zero-width spaces and joiners, soft hyphens, BOMs, bidi
/// marks. They are dropped before comparison.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    ) || c.is_control()
}

/// The word tokens of normalised text (UAX #29 words: CJK ideographs one by one, apostrophes kept
/// inside words), as byte ranges into `norm`.
pub fn word_spans(norm: &str) -> Vec<(usize, usize)> {
    norm.unicode_word_indices()
        .map(|(at, w)| (at, at + w.len()))
        .collect()
}

/// Counts the words of a display text the way `word_spans` does, without allocating the spans.
pub fn word_count(text: &str) -> usize {
    text.unicode_words().count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_typography_and_case() {
        assert_eq!(
            normalize("Peru\u{2019}s \u{201C}Tough\u{00A0}Laws\u{201D} \u{2014} ALONE"),
            "peru's \"tough laws\" - alone"
        );
    }

    #[test]
    fn folds_compatibility_forms() {
        assert_eq!(normalize("ﬁnance …"), "finance ...");
        assert_eq!(normalize("ＡＢＣ"), "abc");
    }

    #[test]
    fn drops_invisible_characters() {
        assert_eq!(normalize("co\u{200B}ca\u{00AD}ine"), "cocaine");
        assert_eq!(normalize("  a \t\n b  "), "a b");
    }

    #[test]
    fn splits_words_across_scripts() {
        let norm = normalize("El presidente dijo: «no» 대통령은 말했다 中国人");
        let words: Vec<&str> = word_spans(&norm)
            .iter()
            .map(|&(a, b)| &norm[a..b])
            .collect();
        assert_eq!(
            words,
            [
                "el",
                "presidente",
                "dijo",
                "no",
                "대통령은",
                "말했다",
                "中",
                "国",
                "人"
            ]
        );
    }

    proptest! {
        #[test]
        fn normalising_twice_changes_nothing(s in "\\PC{0,80}") {
            let once = normalize(&s);
            prop_assert_eq!(normalize(&once), once);
        }

        #[test]
        fn normalising_any_unicode_twice_changes_nothing(s in any::<String>()) {
            let once = normalize(&s);
            prop_assert_eq!(normalize(&once), once);
        }

        #[test]
        fn output_has_no_runs_of_space(s in "[ a-zA-Z\u{00A0}\u{2003}\t\n]{0,60}") {
            let out = normalize(&s);
            prop_assert!(!out.contains("  "));
            prop_assert_eq!(out.trim(), out.as_str());
        }
    }
}

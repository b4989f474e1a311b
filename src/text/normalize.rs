//! Normalisation for comparison: Unicode NFKC, typographic quotes, dashes and spaces folded, case
//! folded, whitespace collapsed; and the word tokens fingerprints are built from. Pure functions.

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};
use unicode_segmentation::UnicodeSegmentation;

/// Normalises text for comparison. Idempotent: `normalize(&normalize(s)) == normalize(s)`.
pub(crate) fn normalize(s: &str) -> String {
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
    if s.is_ascii() {
        fold_ascii_into(s.as_bytes(), out);
    } else {
        fold_chars_into(s, out);
    }
}

/// `fold_into` for any text, a character at a time.
fn fold_chars_into(s: &str, out: &mut String) {
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

/// `fold_into` for ASCII text, a byte at a time: what `fold_into` does to each ASCII character.
fn fold_ascii_into(s: &[u8], out: &mut String) {
    if is_collapsed_ascii(s) {
        // Printable, single spaces, trimmed (as most blocks come): case and backticks only.
        let start = out.len();
        out.push_str(std::str::from_utf8(s).expect("ASCII"));
        out[start..].make_ascii_lowercase();
        if s.contains(&b'`') {
            let folded = out[start..].replace('`', "'");
            out.truncate(start);
            out.push_str(&folded);
        }
        return;
    }
    let mut bytes = std::mem::take(out).into_bytes();
    bytes.reserve(s.len());
    let mut pending_space = false;
    for &b in s {
        if is_ascii_space(b) || b.is_ascii_control() {
            pending_space |= is_ascii_space(b);
            continue;
        }
        if pending_space && !bytes.is_empty() {
            bytes.push(b' ');
        }
        pending_space = false;
        bytes.push(if b == b'`' {
            b'\''
        } else {
            b.to_ascii_lowercase()
        });
    }
    *out = String::from_utf8(bytes).expect("ASCII in, ASCII out");
}

/// Whether a byte is ASCII white space as `char::is_whitespace` has it: tab, LF, VT, FF, CR and
/// space (`u8::is_ascii_whitespace` leaves out VT).
pub(crate) fn is_ascii_space(b: u8) -> bool {
    b.is_ascii_whitespace() || b == 0x0B
}

/// Whether ASCII text is printable, trimmed, with single spaces only: what collapsing white space
/// and dropping control characters leave unchanged.
pub(crate) fn is_collapsed_ascii(s: &[u8]) -> bool {
    // Folds without early exits, so that both loops vectorise: 0.1 us for 5 KB, against 5.6 us
    // for `all` and `windows(2).any`, and this runs twice on every byte of every file.
    let printable = s.iter().fold(true, |ok, &b| ok & (0x20..0x7F).contains(&b));
    let doubled = s
        .iter()
        .zip(s.iter().skip(1))
        .fold(false, |d, (&a, &b)| d | ((a == b' ') & (b == b' ')));
    s.first() != Some(&b' ') && s.last() != Some(&b' ') && printable && !doubled
}

/// The word tokens of normalised text (UAX #29 words: CJK ideographs one by one, apostrophes kept
/// inside words), as byte ranges into `norm`.
pub(crate) fn word_spans(norm: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(norm.len() / 5);
    for_each_word(norm, |a, b| out.push((a, b)));
    out
}

/// Counts the words of a display text the way `word_spans` does, without allocating the spans.
pub(crate) fn word_count(text: &str) -> usize {
    let mut n = 0;
    for_each_word(text, |_, _| n += 1);
    n
}

/// Calls `f` with the byte range of every UAX #29 word of `text` that has a letter or digit, as
/// `unicode_word_indices` gives them. ASCII text, the common case, takes a direct scan.
fn for_each_word(text: &str, f: impl FnMut(usize, usize)) {
    if !text.is_ascii() {
        let mut f = f;
        for (at, w) in text.unicode_word_indices() {
            f(at, at + w.len());
        }
        return;
    }
    for_each_ascii_word(text.as_bytes(), f);
}

/// The ASCII word classes of 64 bytes in a row, a bit per byte (bit `j` for byte `j`).
#[derive(Clone, Copy, Default)]
struct Classes {
    letter: u64,
    digit: u64,
    /// Letters, digits and the underscore (UAX #29 ExtendNumLet): they run together into words.
    word: u64,
    /// `:`, `.` and `'`: inside a word between two letters (UAX #29 WB6/7).
    mid_letter: u64,
    /// `,`, `;`, `.` and `'`: inside a word between two digits (WB11/12).
    mid_num: u64,
}

impl Classes {
    /// The classes of up to 64 bytes (missing bytes are in no class). Branch-free byte by byte,
    /// so that it vectorises: a scan that branches at every word's end mispredicts about once a
    /// word, which was most of splitting a story into words.
    fn of(chunk: &[u8]) -> Classes {
        let mut bytes = [0u8; 64];
        bytes[..chunk.len()].copy_from_slice(chunk);
        let (mut letter, mut digit, mut word) = ([0u8; 64], [0u8; 64], [0u8; 64]);
        let (mut mid_letter, mut mid_num) = ([0u8; 64], [0u8; 64]);
        for (j, &c) in bytes.iter().enumerate() {
            let is_letter = u8::from((c | 0x20).wrapping_sub(b'a') < 26);
            let is_digit = u8::from(c.wrapping_sub(b'0') < 10);
            let dot_or_apostrophe = u8::from(c == b'.') | u8::from(c == b'\'');
            letter[j] = is_letter;
            digit[j] = is_digit;
            word[j] = is_letter | is_digit | u8::from(c == b'_');
            mid_letter[j] = dot_or_apostrophe | u8::from(c == b':');
            mid_num[j] = dot_or_apostrophe | u8::from(c == b',') | u8::from(c == b';');
        }
        Classes {
            letter: bits(&letter),
            digit: bits(&digit),
            word: bits(&word),
            mid_letter: bits(&mid_letter),
            mid_num: bits(&mid_num),
        }
    }
}

/// 64 flags, each 0 or 1, as the bits of a word: eight at a time by one multiplication (each
/// flag's bit lands in the top byte at its place, and no two products carry into each other).
fn bits(flags: &[u8; 64]) -> u64 {
    let mut out = 0u64;
    for (k, eight) in flags.chunks_exact(8).enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(eight);
        let packed = u64::from_le_bytes(b).wrapping_mul(0x0102_0408_1020_4080) >> 56;
        out |= packed << (8 * k);
    }
    out
}

/// `for_each_word` of ASCII text, 64 bytes at a time: a byte is in a word when it is a word
/// character, or a mid-word character between two letters (or two digits); a word is a run of
/// such bytes, reported when it holds a letter or a digit.
fn for_each_ascii_word(b: &[u8], mut f: impl FnMut(usize, usize)) {
    let mut chunks = b.chunks(64);
    let Some(first) = chunks.next() else { return };
    let mut cur = Classes::of(first);
    // The last letter and digit bits of the chunk before, for a mid-word character at bit 0.
    let (mut letter_before, mut digit_before) = (0u64, 0u64);
    let mut start: Option<usize> = None;
    let mut alnum = false;
    let mut base = 0usize;
    loop {
        let next = chunks.next().map(Classes::of);
        let after = next.unwrap_or_default();
        let letter_around =
            (cur.letter << 1 | letter_before) & (cur.letter >> 1 | after.letter << 63);
        let digit_around = (cur.digit << 1 | digit_before) & (cur.digit >> 1 | after.digit << 63);
        let inside = cur.word | (cur.mid_letter & letter_around) | (cur.mid_num & digit_around);
        let alnums = cur.letter | cur.digit;
        let mut at = 0u32;
        while at < 64 {
            let rest = !0u64 << at;
            match start {
                Some(s) => {
                    let outside = !inside & rest;
                    if outside == 0 {
                        alnum |= alnums & rest != 0;
                        break; // the word goes on into the next chunk
                    }
                    let end = outside.trailing_zeros();
                    alnum |= alnums & rest & !(!0u64 << end) != 0;
                    if alnum {
                        f(s, base + end as usize);
                    }
                    start = None;
                    at = end;
                }
                None => {
                    let within = inside & rest;
                    if within == 0 {
                        break;
                    }
                    at = within.trailing_zeros();
                    start = Some(base + at as usize);
                    alnum = false;
                }
            }
        }
        letter_before = cur.letter >> 63;
        digit_before = cur.digit >> 63;
        base += 64;
        match next {
            Some(n) => cur = n,
            None => break,
        }
    }
    if let (Some(s), true) = (start, alnum) {
        f(s, b.len());
    }
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
        fn words_across_chunk_boundaries_are_unicode_words(
            s in "([a-c1-2_]{0,9}[ :.,;'\\-]{0,2}){0,40}",
            pad in 0usize..70,
        ) {
            // Mid-word characters and words placed at every offset from a 64-byte boundary.
            let s = format!("{}{s}", " ".repeat(pad));
            let want: Vec<(usize, usize)> =
                s.unicode_word_indices().map(|(at, w)| (at, at + w.len())).collect();
            prop_assert_eq!(word_spans(&s), want.clone());
            prop_assert_eq!(word_count(&s), want.len());
        }

        #[test]
        fn ascii_words_are_unicode_words(s in "[a-zA-Z0-9_:.,;'\" \t\n!?()-]{0,200}") {
            let want: Vec<(usize, usize)> =
                s.unicode_word_indices().map(|(at, w)| (at, at + w.len())).collect();
            prop_assert_eq!(word_spans(&s), want);
        }

        #[test]
        fn collapsed_ascii_is_printable_trimmed_and_single_spaced(s in "[ a-z.\t\x01\x7f]{0,150}") {
            let b = s.as_bytes();
            let want = !s.starts_with(' ')
                && !s.ends_with(' ')
                && b.iter().all(|c| (0x20..0x7F).contains(c))
                && !s.contains("  ");
            prop_assert_eq!(is_collapsed_ascii(b), want);
        }

        #[test]
        fn ascii_folding_is_the_general_folding(s in "[\\x00-\\x7f]{0,60}") {
            let (mut fast, mut general) = (String::new(), String::new());
            fold_ascii_into(s.as_bytes(), &mut fast);
            fold_chars_into(&s, &mut general);
            prop_assert_eq!(fast, general);
        }

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

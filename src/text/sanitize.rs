//! Display sanitising: turns untrusted article text into text that is safe to print on a terminal.
//! Owns which characters and escape sequences never reach the screen; must not change anything a
//! reader would see (no normalisation, no trimming of multi-line text).

/// The display copy of untrusted article text: every control character, terminal escape sequence
/// (with its parameters), bidi control and zero-width character is removed; tabs become spaces and
/// Unicode line/paragraph separators become `\n`. Newlines are kept.
pub(crate) fn sanitize_display(s: &str) -> String {
    if !s.chars().any(needs_work) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 introducers that some terminals honour in UTF-8 mode: CSI, OSC, DCS, SOS, PM, APC.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' => out.push(' '),
            '\u{2028}' | '\u{2029}' => out.push('\n'),
            c if is_dropped(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// [`sanitize_display`] for one-line fields (titles, paths): newlines become spaces and the result
/// is trimmed.
pub fn sanitize_line(s: &str) -> String {
    let display = sanitize_display(s);
    let line = if display.contains('\n') {
        display.replace('\n', " ")
    } else {
        display
    };
    let trimmed = line.trim();
    if trimmed.len() == line.len() {
        line
    } else {
        trimmed.to_owned()
    }
}

/// Characters that never appear in sanitised output (other than those rewritten: tab, U+2028,
/// U+2029).
fn is_dropped(c: char) -> bool {
    match c {
        '\n' => false,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        // Bidi embeddings, overrides, isolates and marks: they can reorder what the reader sees.
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}' => {
            true
        }
        '\u{200b}' | '\u{2060}' | '\u{feff}' => true,
        _ => false,
    }
}

/// Whether `c` is removed or rewritten, so the text needs a copy.
fn needs_work(c: char) -> bool {
    is_dropped(c) || matches!(c, '\t' | '\u{2028}' | '\u{2029}')
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// Skips what follows an ESC: a CSI or string sequence, or an escape with optional intermediates
/// (`ESC ( B`) and one final character. A bare ESC before a non-printable character goes alone.
fn skip_escape(chars: &mut Chars<'_>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']' | 'P' | 'X' | '^' | '_') => {
            chars.next();
            skip_string(chars);
        }
        Some(' '..='/') => {
            while chars.next_if(|c| (' '..='/').contains(c)).is_some() {}
            chars.next_if(|c| ('0'..='~').contains(c));
        }
        Some('0'..='~') => {
            chars.next();
        }
        _ => {}
    }
}

/// Skips a CSI sequence's parameter and intermediate bytes and its final byte. A malformed sequence
/// ends at the first character that cannot belong to it, which is kept.
fn skip_csi(chars: &mut Chars<'_>) {
    while chars.next_if(|c| (' '..='?').contains(c)).is_some() {}
    chars.next_if(|c| ('@'..='~').contains(c));
}

/// Skips a control string (OSC, DCS, SOS, PM, APC) up to and including its terminator: BEL, ST
/// or `ESC \`. Any other ESC ends the string and is left to start a sequence of its own. A newline
/// (kept) ends it too, so that a stray `ESC ]` in a scraped article does not swallow the rest of
/// the text; what follows is printed without the ESC and so cannot act as a sequence.
fn skip_string(chars: &mut Chars<'_>) {
    while let Some(c) = chars.next_if(|&c| c != '\n' && c != '\u{1b}') {
        if matches!(c, '\u{7}' | '\u{9c}') {
            return;
        }
    }
    let mut ahead = chars.clone();
    if ahead.next() == Some('\u{1b}') && ahead.next() == Some('\\') {
        *chars = ahead;
    }
}

/// JSON for output that a terminal may show (`--json`): the same JSON serde_json writes, except
/// that every character [`sanitize_display`] would remove or rewrite is written as a `\uXXXX`
/// escape instead of raw (serde_json escapes only C0 controls; this adds DEL, C1 controls, bidi
/// controls, zero-width characters and U+2028/U+2029). Nothing is lost: a JSON parser reads back
/// exactly the strings given, while the bytes written hold none of those characters.
pub(crate) fn to_safe_json<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, EscapeControls);
    value.serialize(&mut ser)?;
    Ok(out)
}

/// serde_json's compact formatter, escaping what [`to_safe_json`] promises.
struct EscapeControls;

impl serde_json::ser::Formatter for EscapeControls {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if needs_work(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                // Every such character is in the Basic Multilingual Plane: one escape each.
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn safe_json_escapes_what_a_terminal_would_act_on_and_reads_back_the_same() {
        let hostile = [
            "\x1b]0;pwned\x07 title",
            "\u{9b}31mC1 \u{85}next line\u{9d}osc",
            "abc\u{202e}txt.exe \u{2066}isolate\u{2069} \u{200f}",
            "zero\u{200b}width\u{feff} del\x7f lines\u{2028}\u{2029}",
            "plain é 中文 😀 \"quoted\" back\\slash\ttab\nnewline",
        ];
        let value = serde_json::json!({ "title": hostile[0], "list": hostile[1..] });
        let bytes = to_safe_json(&value).expect("serialises");
        let text = std::str::from_utf8(&bytes).expect("UTF-8");
        assert!(!text.chars().any(forbidden), "{text:?}");
        assert!(!text.contains('\n'), "one line: {text:?}");
        assert!(
            text.contains("\\u202e") && text.contains("\\u009b"),
            "{text}"
        );
        assert!(
            text.contains("中文 😀"),
            "other text is written as it is: {text}"
        );
        let back: serde_json::Value = serde_json::from_slice(&bytes).expect("valid JSON");
        assert_eq!(back, value);
    }

    proptest! {
        #[test]
        fn safe_json_is_lossless_and_clean(s in "\\PC*|[\\x00-\\x{a0}\\x{2028}-\\x{206f}]*") {
            let bytes = to_safe_json(&s).expect("serialises");
            let text = std::str::from_utf8(&bytes).expect("UTF-8");
            prop_assert!(!text.chars().any(forbidden));
            prop_assert_eq!(serde_json::from_slice::<String>(&bytes).expect("reads"), s);
        }
    }

    fn forbidden(c: char) -> bool {
        c == '\t' || c == '\u{2028}' || c == '\u{2029}' || is_dropped(c)
    }

    #[test]
    fn removes_csi_sequences_whole() {
        assert_eq!(sanitize_display("a\x1b[31mred\x1b[0m b"), "ared b");
        assert_eq!(sanitize_display("\x1b[38;2;255;0;0mx"), "x");
        assert_eq!(sanitize_display("\x1b[?25lhidden cursor"), "hidden cursor");
        assert_eq!(sanitize_display("\u{9b}31mc1"), "c1");
    }

    #[test]
    fn removes_osc_title_and_clipboard() {
        assert_eq!(sanitize_display("a\x1b]0;pwned\x07b"), "ab");
        assert_eq!(sanitize_display("a\x1b]2;title\x1b\\b"), "ab");
        assert_eq!(
            sanitize_display("a\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07b"),
            "ab"
        );
        assert_eq!(
            sanitize_display("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"),
            "link"
        );
        assert_eq!(sanitize_display("a\u{9d}0;t\u{9c}b"), "ab");
        assert_eq!(sanitize_display("a\x1b]0;t\x1b[31mb"), "ab");
    }

    #[test]
    fn removes_dcs_and_short_escapes() {
        assert_eq!(sanitize_display("a\x1bPq#0;2;0;0;0\x1b\\b"), "ab");
        assert_eq!(sanitize_display("a\x1bcb"), "ab");
        assert_eq!(sanitize_display("a\x1b(Bb"), "ab");
        assert_eq!(sanitize_display("a\x1b7b\x1b8"), "ab");
    }

    #[test]
    fn stray_escape_does_not_swallow_text() {
        assert_eq!(sanitize_display("a\x1b\nb"), "a\nb");
        assert_eq!(
            sanitize_display("a\x1b]unterminated\nnext line"),
            "a\nnext line"
        );
        assert_eq!(sanitize_display("end\x1b"), "end");
        assert_eq!(sanitize_display("end\x1b["), "end");
    }

    #[test]
    fn removes_controls_bidi_and_zero_width() {
        assert_eq!(sanitize_display("a\u{0}b\u{7}c\u{7f}d\u{85}e"), "abcde");
        assert_eq!(sanitize_display("a\r\nb"), "a\nb");
        assert_eq!(sanitize_display("a\tb"), "a b");
        assert_eq!(sanitize_display("abc\u{202e}fed\u{202c}"), "abcfed");
        assert_eq!(sanitize_display("\u{2067}x\u{2069}\u{200e}\u{61c}"), "x");
        assert_eq!(
            sanitize_display("\u{feff}zero\u{200b}width\u{2060}"),
            "zerowidth"
        );
        assert_eq!(
            sanitize_display("one\u{2028}two\u{2029}three"),
            "one\ntwo\nthree"
        );
    }

    #[test]
    fn keeps_joiners_and_other_scripts() {
        let text = "Zoë says: «بسیار خوب» 👩\u{200d}💻 日本語";
        assert_eq!(sanitize_display(text), text);
    }

    #[test]
    fn line_fields_lose_newlines_and_edges() {
        assert_eq!(sanitize_line("  A\ntitle\x1b[1m!\t "), "A title!");
        assert_eq!(sanitize_line("plain"), "plain");
        assert_eq!(sanitize_line("\u{2028}x\u{2029}"), "x");
    }

    /// Strings rich in the characters that start, continue and end escape sequences.
    fn hostile() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            any::<char>(),
            prop::sample::select(vec![
                '\x1b', '[', ']', 'P', '\\', '\x07', '\u{9b}', '\u{9c}', '\u{9d}', ';', '3', 'm',
                '\n', '\t', '\r', '\u{202e}', '\u{2028}', '\u{feff}', '(', 'B', ' ',
            ]),
        ];
        prop::collection::vec(piece, 0..64).prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #[test]
        fn output_has_no_forbidden_chars(s in hostile()) {
            let display = sanitize_display(&s);
            prop_assert!(!display.chars().any(forbidden), "{display:?}");
            let line = sanitize_line(&s);
            prop_assert!(!line.chars().any(|c| forbidden(c) || c == '\n'), "{line:?}");
        }

        #[test]
        fn sanitising_is_idempotent(s in hostile()) {
            let once = sanitize_display(&s);
            prop_assert_eq!(sanitize_display(&once), once.clone());
            let line = sanitize_line(&s);
            prop_assert_eq!(sanitize_line(&line), line.clone());
        }

        #[test]
        fn printable_text_passes_through(s in "[\\PC\n&&[^\u{2028}\u{2029}]]{0,80}") {
            prop_assert_eq!(sanitize_display(&s), s.clone());
        }

        #[test]
        fn printable_line_passes_through(s in "[\\PC&&[^\u{2028}\u{2029}\\s]]([\\PC&&[^\u{2028}\u{2029}]]{0,60}[\\PC&&[^\u{2028}\u{2029}\\s]])?") {
            prop_assert_eq!(sanitize_line(&s), s.clone());
        }
    }
}

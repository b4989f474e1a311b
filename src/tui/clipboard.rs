//! Copy to the editor's clipboard over SSH: the OSC 52 sequence, built here and nowhere else,
//! with the text base64-encoded so nothing in it can act as a terminal sequence. Must not write
//! to the terminal itself (the run loop does) or copy unsanitised article text.

use base64::Engine as _;

/// The most text sent in one copy: terminals drop longer OSC 52 payloads.
pub(crate) const MAX_COPY_BYTES: usize = 64 * 1024;

/// The OSC 52 sequence that puts `text` on the clipboard, and whether `text` was cut to fit.
pub(crate) fn osc52(text: &str) -> (String, bool) {
    let mut end = text.len().min(MAX_COPY_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let payload = base64::engine::general_purpose::STANDARD.encode(&text.as_bytes()[..end]);
    (format!("\x1b]52;c;{payload}\x07"), end < text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_travels_base64_encoded() {
        let (seq, cut) = osc52("evil\x1b]0;title\x07 é");
        assert!(!cut);
        assert!(seq.starts_with("\x1b]52;c;") && seq.ends_with('\x07'));
        let body = &seq[7..seq.len() - 1];
        assert!(body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)));
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("base64");
        assert_eq!(decoded, "evil\x1b]0;title\x07 é".as_bytes());
    }

    #[test]
    fn long_text_is_cut_on_a_char_boundary() {
        let text = "é".repeat(MAX_COPY_BYTES);
        let (seq, cut) = osc52(&text);
        assert!(cut);
        assert!(seq.len() < MAX_COPY_BYTES * 2);
    }
}

//! Bytes to text: picks the encoding (BOM, UTF-8, Windows-1252 fallback), rejects binary files,
//! drops stray control characters and unifies line endings. Must not interpret the text (no
//! parsing, no normalisation).

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

use super::Rejection;

/// At or above this share of binary bytes (C0 control characters other than tab, newline,
/// carriage return and form feed, NUL included) a file is taken for binary; below it, they are
/// stray bytes a scraper left in a text, and are dropped. Measured: the real pages of the dev
/// corpora have at most 0.011% (25 in a page), compressed or random data 11%, executables
/// 35-38%, text saved as UTF-16 without a byte-order mark about 50%.
const MAX_CONTROL_SHARE: f64 = 0.05;

/// Signatures of common binary formats that end up in an inbox by mistake, with the words that
/// name them in a rejection.
#[rustfmt::skip]
const MAGIC: &[(&[u8], &str)] = &[
    (b"%PDF-", "PDF document"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"PK\x03\x04", "ZIP archive or Office document such as .docx"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Office document such as .doc"),
    (b"\x7fELF", "ELF executable"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"SQLite format 3\0", "SQLite database"),
];

/// Decodes a file's bytes to text with `\n` line endings.
///
/// UTF-16 needs a BOM; UTF-8 may have one (it is stripped); anything that is not valid UTF-8 is read
/// as Windows-1252, which maps every byte. Empty or whitespace-only input is [`Rejection::Empty`];
/// known binary signatures and a share of binary bytes of [`MAX_CONTROL_SHARE`] or more are
/// [`Rejection::Binary`]; fewer binary bytes (a stray NUL) are dropped from the text.
pub(crate) fn decode(bytes: &[u8]) -> Result<String, Rejection> {
    if let Some((_, what)) = MAGIC.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return Err(Rejection::Binary((*what).to_owned()));
    }
    let text = match Encoding::for_bom(bytes) {
        Some((encoding, _)) if encoding == UTF_16LE || encoding == UTF_16BE => {
            let (text, _) = encoding.decode_with_bom_removal(bytes);
            check_chars(&text)?;
            text
        }
        // A UTF-8 BOM says what the encoding is, so malformed sequences become U+FFFD.
        Some(_) => {
            check_bytes(bytes)?;
            UTF_8.decode_with_bom_removal(bytes).0
        }
        None => {
            check_bytes(bytes)?;
            match std::str::from_utf8(bytes) {
                Ok(text) => Cow::Borrowed(text),
                Err(_) => WINDOWS_1252.decode_without_bom_handling(bytes).0,
            }
        }
    };
    let text = drop_controls(text);
    if text.chars().all(|c| c.is_whitespace() || c == '\u{feff}') {
        return Err(Rejection::Empty);
    }
    Ok(unify_newlines(text))
}

/// Removes the binary control characters left in a text; text without any is returned as it is.
fn drop_controls(text: Cow<'_, str>) -> Cow<'_, str> {
    // A fold without an early exit, so that it vectorises: nearly every text has none, and
    // `any` looked at it a byte at a time.
    let controls = text
        .bytes()
        .fold(false, |seen, b| seen | is_binary_control(u32::from(b)));
    if !controls {
        return text;
    }
    Cow::Owned(
        text.chars()
            .filter(|&c| !is_binary_control(u32::from(c)))
            .collect(),
    )
}

/// Whether a C0 control character (NUL included) marks binary content; tab, newline, carriage
/// return and form feed are at home in text.
fn is_binary_control(c: u32) -> bool {
    c < 0x20 && !matches!(c, 0x09 | 0x0a | 0x0c | 0x0d)
}

/// The binary check on raw bytes, for every encoding where ASCII bytes are ASCII characters.
fn check_bytes(bytes: &[u8]) -> Result<(), Rejection> {
    let controls = bytes
        .iter()
        .filter(|&&b| is_binary_control(u32::from(b)))
        .count();
    if looks_utf16(bytes) {
        return Err(Rejection::Binary(
            "it looks like UTF-16 without a byte-order mark: save it as UTF-8".to_owned(),
        ));
    }
    check_share(controls, bytes.len())
}

/// Text saved as UTF-16 without a byte-order mark has NUL in every other byte (the high bytes of
/// ASCII characters), which says how to fix the file.
fn looks_utf16(bytes: &[u8]) -> bool {
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in bytes.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    let pairs = bytes.len() / 2;
    pairs > 0 && bytes.len() % 2 == 0 && even.max(odd) * 10 >= pairs * 9 && even.min(odd) == 0
}

/// The binary check on decoded text, for UTF-16.
fn check_chars(text: &str) -> Result<(), Rejection> {
    let mut total = 0;
    let mut controls = 0;
    for c in text.chars() {
        total += 1;
        controls += usize::from(is_binary_control(u32::from(c)));
    }
    check_share(controls, total)
}

fn check_share(controls: usize, total: usize) -> Result<(), Rejection> {
    let share = controls as f64 / total.max(1) as f64;
    if share >= MAX_CONTROL_SHARE {
        let percent = (share * 100.0).round();
        return Err(Rejection::Binary(format!(
            "{percent}% of it is control characters"
        )));
    }
    Ok(())
}

/// Turns `\r\n` and lone `\r` into `\n`; text without `\r` is returned as it is, without a copy
/// when it is already owned.
fn unify_newlines(text: Cow<'_, str>) -> String {
    if !text.contains('\r') {
        return text.into_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest: &str = &text;
    while let Some(at) = rest.find('\r') {
        out.push_str(&rest[..at]);
        out.push('\n');
        rest = &rest[at + 1..];
        rest = rest.strip_prefix('\n').unwrap_or(rest);
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary_reason(bytes: &[u8]) -> String {
        match decode(bytes) {
            Err(Rejection::Binary(reason)) => reason,
            other => panic!("expected a binary rejection, got {other:?}"),
        }
    }

    #[test]
    fn plain_utf8_passes_through() {
        assert_eq!(
            decode("Zoë’s café\n".as_bytes()),
            Ok("Zoë’s café\n".to_owned())
        );
    }

    #[test]
    fn utf8_bom_is_stripped() {
        assert_eq!(decode(b"\xef\xbb\xbfhello"), Ok("hello".to_owned()));
    }

    #[test]
    fn utf16_with_bom_is_decoded() {
        let le: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain("Hé\r\nx".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&le), Ok("Hé\nx".to_owned()));
        let be: Vec<u8> = [0xfe, 0xff]
            .into_iter()
            .chain("Hé".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(&be), Ok("Hé".to_owned()));
    }

    #[test]
    fn invalid_utf8_falls_back_to_windows_1252() {
        assert_eq!(
            decode(b"caf\xe9 \x93quoted\x94 \x80"),
            Ok("café “quoted” €".to_owned())
        );
    }

    #[test]
    fn line_endings_become_newlines() {
        assert_eq!(
            decode(b"a\r\nb\rc\n\r\nd\r"),
            Ok("a\nb\nc\n\nd\n".to_owned())
        );
    }

    #[test]
    fn empty_and_blank_input_is_rejected() {
        assert_eq!(decode(b""), Err(Rejection::Empty));
        assert_eq!(decode(b" \n\t\r\n"), Err(Rejection::Empty));
        assert_eq!(decode(b"\xef\xbb\xbf  \n"), Err(Rejection::Empty));
        assert_eq!(decode(&[0xff, 0xfe, b' ', 0]), Err(Rejection::Empty));
        assert_eq!(decode(b"\xef\xbb\xbf\xef\xbb\xbf"), Err(Rejection::Empty));
    }

    #[test]
    fn binary_signatures_are_named() {
        assert_eq!(binary_reason(b"%PDF-1.7\n..."), "PDF document");
        assert_eq!(binary_reason(b"\x89PNG\r\n\x1a\n\0\0"), "PNG image");
        assert_eq!(binary_reason(b"\xff\xd8\xff\xe0"), "JPEG image");
        assert_eq!(binary_reason(b"GIF89a..."), "GIF image");
        assert!(binary_reason(b"PK\x03\x04\x14\0").contains(".docx"));
        assert_eq!(binary_reason(b"\x1f\x8b\x08\0"), "gzip archive");
    }

    #[test]
    fn mostly_control_bytes_are_binary() {
        let bomless: Vec<u8> = "plain words"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(binary_reason(&bomless).contains("UTF-16 without a byte-order mark"));
        let noise: Vec<u8> = (0..100u8)
            .map(|i| if i % 5 == 0 { 0x01 } else { b'a' })
            .collect();
        assert_eq!(binary_reason(&noise), "20% of it is control characters");
        let utf16: Vec<u8> = [0xff, 0xfe, b'a', 0, 0, 0].to_vec();
        assert_eq!(binary_reason(&utf16), "50% of it is control characters");
        // Compressed data: about one byte in nine is a control byte.
        let packed: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert!(binary_reason(&packed).ends_with("of it is control characters"));
    }

    #[test]
    fn stray_nul_and_control_bytes_are_dropped() {
        let mut page = b"<p>A real news page, ".repeat(10);
        page.extend_from_slice(b"with one stray\0 NUL and a \x1b bell\x07.</p>\n");
        let text = decode(&page).expect("a page with a few stray bytes is text");
        assert!(text.ends_with("with one stray NUL and a  bell.</p>\n"));
        assert!(!text.contains(['\0', '\x1b', '\x07']));
        // In Windows-1252 and in UTF-16 alike.
        assert_eq!(
            decode(b"caf\xe9\0 ok, and some more words to make a line").as_deref(),
            Ok("café ok, and some more words to make a line")
        );
        let le: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain(
                "ab\0cd efgh ijkl mnop qrst uvwx"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        assert_eq!(decode(&le).as_deref(), Ok("abcd efgh ijkl mnop qrst uvwx"));
        // Once the stray bytes are dropped, nothing but spaces may be left.
        let mut blank = vec![b' '; 100];
        blank[50] = 0;
        assert_eq!(decode(&blank), Err(Rejection::Empty));
    }

    #[test]
    fn a_few_controls_are_tolerated() {
        let mut text = "word ".repeat(20).into_bytes();
        text.extend_from_slice(b"\x0c\x1b[0m\x08");
        assert_eq!(decode(&text), Ok(format!("{}\x0c[0m", "word ".repeat(20))));
    }

    #[test]
    fn text_without_controls_is_kept_as_it_is() {
        let plain = "tab\there, form feed\x0c, lines\r\n and more\n";
        assert!(matches!(drop_controls(Cow::Borrowed(plain)), Cow::Borrowed(t) if t == plain));
        // A control byte at any place, the last included, is found.
        for at in [0, 7, plain.len()] {
            let mut with = plain.to_owned();
            with.insert(at, '\x01');
            assert_eq!(drop_controls(Cow::Owned(with)), plain);
        }
    }
}

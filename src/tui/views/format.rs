//! Small text helpers the views share: verdict badges, triage labels, ages and UTC times (from a
//! clock passed in, never read here), and fitting text to a column by display width. Untrusted
//! strings are sanitised here before they are measured or shown.

use crate::model::{ArticleRecord, Status};
use crate::text::sanitize::sanitize_line;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The verdict badge: "REPRINT of #12 97%", "PARTIAL #3 41%", "UNIQUE".
pub(crate) fn badge(r: &ArticleRecord) -> String {
    let pct = |s: f32| (s * 100.0).round() as u32;
    match (r.status, &r.matched) {
        (Status::Reprint, Some(m)) => format!("REPRINT of #{} {}%", m.id, pct(m.similarity)),
        (Status::Duplicate, Some(m)) => format!("DUPLICATE #{} {}%", m.id, pct(m.similarity)),
        (Status::Partial, Some(m)) => format!("PARTIAL #{} {}%", m.id, pct(m.similarity)),
        (s, _) => s.as_str().to_ascii_uppercase(),
    }
}

/// The triage state and who set it: "spiked by ana", "new".
pub(crate) fn triage_label(r: &ArticleRecord) -> String {
    let state = r.triage.state.to_string();
    match &r.triage.by {
        Some(by) => format!("{state} by {}", sanitize_line(by)),
        None => state,
    }
}

/// How long ago, in at most four columns: "now", "42s", "7m", "3h", "12d", "9w".
pub(crate) fn age(now_ms: u64, then_ms: u64) -> String {
    let s = now_ms.saturating_sub(then_ms) / 1000;
    match s {
        0..=4 => "now".into(),
        5..=59 => format!("{s}s"),
        60..=3_599 => format!("{}m", s / 60),
        3_600..=86_399 => format!("{}h", s / 3_600),
        86_400..=604_799 => format!("{}d", s / 86_400),
        _ => format!("{}w", (s / 604_800).min(999)),
    }
}

/// "2024-05-01 12:03:04 UTC".
pub(crate) fn utc(ms: u64) -> String {
    crate::model::utc(ms)
}

/// `s` cut to `width` columns (with "…" when cut) and padded to exactly `width`.
pub(crate) fn fit(s: &str, width: usize) -> String {
    let mut out = cut(s, width);
    let w = out.width();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    out
}

/// `s` cut to at most `width` columns, with "…" when cut.
pub(crate) fn cut(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// `s` right-aligned in `width` columns.
pub(crate) fn right(s: &str, width: usize) -> String {
    let s = cut(s, width);
    let pad = width.saturating_sub(s.width());
    format!("{}{s}", " ".repeat(pad))
}

/// A record's source, file name or "—", sanitised.
pub(crate) fn source(r: &ArticleRecord) -> String {
    r.source
        .as_deref()
        .map(sanitize_line)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "—".into())
}

/// The last part of a path, sanitised.
pub(crate) fn file_name(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    sanitize_line(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_short() {
        assert_eq!(age(10_000, 9_000), "now");
        assert_eq!(age(100_000, 58_000), "42s");
        assert_eq!(age(3 * 3_600_000 + 5, 5), "3h");
        assert_eq!(age(0, 5), "now");
    }

    #[test]
    fn utc_times_are_calendar_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_709_210_096_000), "2024-02-29 12:34:56 UTC");
    }

    #[test]
    fn fitting_counts_columns_not_bytes() {
        assert_eq!(fit("日本語", 5), "日本…");
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(right("7m", 4), "  7m");
    }
}

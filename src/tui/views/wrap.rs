//! Word wrapping of styled text to a width, by display columns, so the reading views know how many
//! lines a text takes (for scrolling) and draw only the lines on screen. Takes text that is
//! already sanitised; must not style anything itself.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Builds wrapped lines. Pieces pushed without a space between them are one word (a change
/// marker stays on its word's line).
pub(crate) struct Wrapper {
    width: usize,
    lines: Vec<Line<'static>>,
    spans: Vec<Span<'static>>,
    used: usize,
    /// The word being collected, in its styled pieces, and its width.
    word: Vec<(String, Style)>,
    word_w: usize,
}

impl Wrapper {
    pub(crate) fn new(width: usize) -> Wrapper {
        Wrapper {
            width: width.max(1),
            lines: Vec::new(),
            spans: Vec::new(),
            used: 0,
            word: Vec::new(),
            word_w: 0,
        }
    }

    /// The line being filled: where text pushed next starts (or the line after, if its first
    /// word does not fit).
    pub(crate) fn line_now(&self) -> usize {
        self.lines.len()
    }

    /// Ends the current line (an empty one if nothing is on it).
    pub(crate) fn newline(&mut self) {
        self.place_word();
        self.end_line();
    }

    fn end_line(&mut self) {
        if let Some(last) = self.spans.last_mut() {
            let trimmed = last.content.trim_end().to_owned();
            last.content = trimmed.into();
        }
        self.lines.push(Line::from(std::mem::take(&mut self.spans)));
        self.used = 0;
    }

    fn put(&mut self, text: &str, style: Style) {
        match self.spans.last_mut() {
            Some(last) if last.style == style => last.content.to_mut().push_str(text),
            _ => self.spans.push(Span::styled(text.to_owned(), style)),
        }
        self.used += text.width();
    }

    /// Adds text, breaking lines between words (and inside a word longer than a line).
    pub(crate) fn push(&mut self, text: &str, style: Style) {
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.newline();
            }
            for piece in line.split_inclusive(' ') {
                let bare = piece.trim_end_matches(' ');
                if !bare.is_empty() {
                    self.word_w += bare.width();
                    self.word.push((bare.to_owned(), style));
                }
                if bare.len() < piece.len() {
                    self.place_word();
                    if self.used > 0 && self.used < self.width {
                        self.put(&piece[bare.len()..], style);
                    }
                }
            }
        }
    }

    /// Puts the collected word on the line, or on the next if it does not fit.
    fn place_word(&mut self) {
        if self.word.is_empty() {
            return;
        }
        let pieces = std::mem::take(&mut self.word);
        let w = std::mem::take(&mut self.word_w);
        if self.used > 0 && self.used + w > self.width {
            self.end_line();
        }
        for (text, style) in pieces {
            if w <= self.width {
                self.put(&text, style);
                continue;
            }
            for c in text.chars() {
                if self.used + c.width().unwrap_or(0) > self.width {
                    self.end_line();
                }
                let mut buf = [0u8; 4];
                self.put(c.encode_utf8(&mut buf), style);
            }
        }
    }

    /// Adds one whole line of spans as it is (headers), cut to the width by ratatui.
    pub(crate) fn line(&mut self, line: Line<'static>) {
        self.place_word();
        if self.used > 0 || !self.spans.is_empty() {
            self.end_line();
        }
        self.lines.push(line);
    }

    pub(crate) fn finish(mut self) -> Vec<Line<'static>> {
        self.place_word();
        if self.used > 0 || !self.spans.is_empty() {
            self.end_line();
        }
        self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line<'_>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn wraps_between_words_and_splits_long_ones() {
        let mut w = Wrapper::new(10);
        w.push("the quick brown fox jumps", Style::default());
        w.newline();
        w.push("abcdefghijklmno", Style::default());
        assert_eq!(
            text(&w.finish()),
            vec!["the quick", "brown fox", "jumps", "abcdefghij", "klmno"]
        );
    }

    #[test]
    fn pieces_without_a_space_between_stay_together() {
        let mut w = Wrapper::new(12);
        w.push("one two ", Style::default());
        w.push("{+", Style::default().bold());
        w.push("three+}", Style::default());
        assert_eq!(text(&w.finish()), vec!["one two", "{+three+}"]);
    }

    #[test]
    fn styles_join_across_pieces_and_wide_chars_count_double() {
        let mut w = Wrapper::new(6);
        w.push("日本語 です", Style::default());
        let lines = w.finish();
        assert_eq!(text(&lines), vec!["日本語", "です"]);
    }
}

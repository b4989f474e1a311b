//! Word wrapping of styled text to a width, by display columns, so the reading views know how many
//! lines a text takes (for scrolling) and draw only the lines on screen. Takes text that is
//! already sanitised; must not style anything itself.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Builds wrapped lines.
pub struct Wrapper {
    width: usize,
    lines: Vec<Line<'static>>,
    spans: Vec<Span<'static>>,
    used: usize,
}

impl Wrapper {
    pub fn new(width: usize) -> Wrapper {
        Wrapper {
            width: width.max(1),
            lines: Vec::new(),
            spans: Vec::new(),
            used: 0,
        }
    }

    /// Ends the current line (an empty one if nothing is on it).
    pub fn newline(&mut self) {
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
    pub fn push(&mut self, text: &str, style: Style) {
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.newline();
            }
            for word in line.split_inclusive(' ') {
                self.word(word, style);
            }
        }
    }

    fn word(&mut self, word: &str, style: Style) {
        let bare = word.trim_end_matches(' ');
        let w = bare.width();
        if self.used > 0 && self.used + w > self.width {
            self.newline();
        }
        if self.used == 0 && bare.is_empty() {
            return; // no spaces at the start of a line
        }
        if w <= self.width {
            self.put(word, style);
            return;
        }
        for c in word.chars() {
            let cw = c.width().unwrap_or(0);
            if self.used + cw > self.width {
                self.newline();
            }
            if !(self.used == 0 && c == ' ') {
                let mut buf = [0u8; 4];
                self.put(c.encode_utf8(&mut buf), style);
            }
        }
    }

    /// Adds one whole line of spans as it is (headers), cut to the width by ratatui.
    pub fn line(&mut self, line: Line<'static>) {
        if self.used > 0 {
            self.newline();
        }
        self.lines.push(line);
    }

    pub fn finish(mut self) -> Vec<Line<'static>> {
        if self.used > 0 || !self.spans.is_empty() {
            self.newline();
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
    fn styles_join_across_pieces_and_wide_chars_count_double() {
        let mut w = Wrapper::new(6);
        w.push("日本語 です", Style::default());
        let lines = w.finish();
        assert_eq!(text(&lines), vec!["日本語", "です"]);
    }
}

//! Article text prepared for reading: paragraphs cut into marked pieces (shared passages and a
//! search's words for the detail view and the preview, word-level differences for the compare view, with `[-removed-]` and `{+added+}`
//! markers so they read without colour). Every piece is sanitised here, after cutting, so byte
//! ranges from the engine stay valid and nothing from an article reaches the screen raw.

use crate::text::normalize::normalize;
use crate::text::sanitize::sanitize_display;
use similar::{Algorithm, DiffOp};
use std::time::{Duration, Instant};
use unicode_segmentation::UnicodeSegmentation;

/// How a piece of text is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Plain,
    /// A passage the article shares with its match.
    Shared,
    /// Words only the older text has.
    Removed,
    /// Words only the newer text has.
    Added,
    /// The `[-`, `-]`, `{+`, `+}` around changes.
    Marker,
    /// Where a word of the current search occurs.
    Found,
    /// The occurrence `n`/`N` went to last.
    Current,
}

/// A paragraph as marked pieces.
pub(crate) type Para = Vec<(String, Mark)>;

/// The longest a word diff may compute before it settles for a coarser answer.
const DIFF_DEADLINE: Duration = Duration::from_millis(150);

/// A byte range of a paragraph: `(paragraph, start, end)`.
pub(crate) type Range = (usize, usize, usize);

/// Paragraphs with several layers of ranges marked; where layers overlap, the later one shows
/// (so a search match shows inside a shared passage). Ranges are cut to char boundaries.
pub(crate) fn layered(paragraphs: &[String], layers: &[(&[Range], Mark)]) -> Vec<Para> {
    paragraphs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mine: Vec<(usize, usize, Mark)> = layers
                .iter()
                .flat_map(|(ranges, mark)| {
                    ranges
                        .iter()
                        .filter(move |r| r.0 == i)
                        .map(move |r| (boundary(p, r.1), boundary(p, r.2), *mark))
                })
                .filter(|(s, e, _)| s < e)
                .collect();
            let mut cuts: Vec<usize> = mine.iter().flat_map(|r| [r.0, r.1]).collect();
            cuts.extend([0, p.len()]);
            cuts.sort_unstable();
            cuts.dedup();
            let mut out: Para = Vec::new();
            for w in cuts.windows(2) {
                let (s, e) = (w[0], w[1]);
                let mark = mine
                    .iter()
                    .rev()
                    .find(|r| r.0 <= s && e <= r.1)
                    .map_or(Mark::Plain, |r| r.2);
                push(&mut out, &p[s..e], mark);
            }
            out
        })
        .collect()
}

/// The nearest char boundary at or before `i`, within `s`.
fn boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn push(out: &mut Para, text: &str, mark: Mark) {
    let clean = sanitize_display(text);
    if clean.is_empty() {
        return;
    }
    match out.last_mut() {
        Some((t, m)) if *m == mark => t.push_str(&clean),
        _ => out.push((clean, mark)),
    }
}

/// Two texts with their word-level differences: the older side with removals marked, the newer
/// with additions marked, and one inline text with both.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct WordDiff {
    pub(crate) old: Vec<Para>,
    pub(crate) new: Vec<Para>,
    pub(crate) inline: Vec<Para>,
    /// Words removed and added.
    pub(crate) removed: usize,
    pub(crate) added: usize,
}

/// A word with the spaces after it; `None` between paragraphs.
type Token<'a> = Option<&'a str>;

fn tokens(paragraphs: &[String]) -> Vec<Token<'_>> {
    let punct = |t: &str| !t.chars().any(char::is_alphanumeric);
    let mut out: Vec<Token<'_>> = Vec::new();
    for (i, p) in paragraphs.iter().enumerate() {
        if i > 0 {
            out.push(None);
        }
        let mut start: Option<usize> = None;
        for (at, piece) in p.split_word_bound_indices() {
            if piece.trim().is_empty() {
                continue; // joins the word before it
            }
            if let Some(s) = start {
                // A run of punctuation is one token ("..." as "…" is), so that a difference
                // in how it is typed is folded away, as detection folds it.
                if punct(&p[s..at]) && punct(piece) {
                    continue;
                }
                out.push(Some(&p[s..at]));
            }
            start = Some(at);
        }
        if let Some(s) = start {
            out.push(Some(&p[s..]));
        }
    }
    out
}

/// What two tokens are compared by: the word normalised as detection normalises it (NFKC,
/// quotes, dashes and spaces folded, lower case), so only real changes are marked.
fn key(t: &Token<'_>) -> Option<String> {
    t.map(|w| normalize(w.trim_end()))
}

/// Builds paragraphs from tokens and marks.
struct Writer {
    paras: Vec<Para>,
    open: Option<Mark>,
    /// The spaces after the last word, placed once the next word shows whether they fall
    /// inside a marked run or after its end (so `[-old-] new` reads well).
    space: String,
}

impl Writer {
    fn new() -> Writer {
        Writer {
            paras: vec![Vec::new()],
            open: None,
            space: String::new(),
        }
    }

    fn last(&mut self) -> &mut Para {
        if self.paras.is_empty() {
            self.paras.push(Vec::new());
        }
        let n = self.paras.len() - 1;
        &mut self.paras[n]
    }

    fn close(&mut self) {
        match self.open.take() {
            Some(Mark::Removed) => push(self.last(), "-]", Mark::Marker),
            Some(Mark::Added) => push(self.last(), "+}", Mark::Marker),
            _ => {}
        }
    }

    fn flush_space(&mut self, mark: Mark) {
        if !self.space.is_empty() {
            let space = std::mem::take(&mut self.space);
            push(self.last(), &space, mark);
        }
    }

    fn token(&mut self, t: Token<'_>, mark: Mark) {
        let Some(text) = t else {
            self.close();
            self.space.clear();
            self.paras.push(Vec::new());
            return;
        };
        if self.open == Some(mark) {
            self.flush_space(mark);
        } else {
            let replaced = self.open == Some(Mark::Removed) && mark == Mark::Added;
            self.close();
            if replaced {
                // `[-old-]{+new+} next`: the new words bring their own space.
                self.space.clear();
            }
            self.flush_space(Mark::Plain);
            match mark {
                Mark::Removed => push(self.last(), "[-", Mark::Marker),
                Mark::Added => push(self.last(), "{+", Mark::Marker),
                _ => {}
            }
            self.open = Some(mark);
        }
        let word = text.trim_end();
        push(self.last(), word, mark);
        self.space = text[word.len()..].to_owned();
    }

    fn finish(mut self) -> Vec<Para> {
        self.close();
        self.paras
    }
}

/// The word-level differences from `old` to `new` (the `similar` crate's diff of word tokens).
pub(crate) fn word_diff(old: &[String], new: &[String]) -> WordDiff {
    let (a, b) = (tokens(old), tokens(new));
    let (ka, kb): (Vec<_>, Vec<_>) = (a.iter().map(key).collect(), b.iter().map(key).collect());
    let ops = similar::capture_diff_slices_deadline(
        Algorithm::Myers,
        &ka,
        &kb,
        Some(Instant::now() + DIFF_DEADLINE),
    );
    let (mut wo, mut wn, mut wi) = (Writer::new(), Writer::new(), Writer::new());
    let (mut removed, mut added) = (0, 0);
    for op in ops {
        let (o, n) = (op.old_range(), op.new_range());
        match op {
            DiffOp::Equal { .. } => {
                for (i, j) in o.zip(n) {
                    wo.token(a[i], Mark::Plain);
                    wn.token(b[j], Mark::Plain);
                    wi.token(b[j], Mark::Plain);
                }
            }
            DiffOp::Delete { .. } | DiffOp::Insert { .. } | DiffOp::Replace { .. } => {
                for i in o {
                    removed += usize::from(a[i].is_some());
                    wo.token(a[i], Mark::Removed);
                    wi.token(a[i], Mark::Removed);
                }
                for j in n {
                    added += usize::from(b[j].is_some());
                    wn.token(b[j], Mark::Added);
                    wi.token(b[j], Mark::Added);
                }
            }
        }
    }
    WordDiff {
        old: wo.finish(),
        new: wn.finish(),
        inline: wi.finish(),
        removed,
        added,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(paras: &[Para]) -> Vec<String> {
        paras
            .iter()
            .map(|p| p.iter().map(|(t, _)| t.as_str()).collect())
            .collect()
    }

    #[test]
    fn shared_ranges_are_cut_on_char_boundaries_and_sanitised() {
        let p = vec!["Zoë said \u{1b}]0;pwned\u{7}hello world".to_string()];
        // "said" is bytes 5..9; the end of "hello" falls inside the escape-free text.
        let h = layered(&p, &[(&[(0, 5, 9), (0, 3, 4), (9, 0, 1)], Mark::Shared)]);
        assert_eq!(text(&h), vec!["Zoë said hello world"]);
        assert!(h[0].contains(&("said".to_string(), Mark::Shared)));
        assert!(!h[0].iter().any(|(t, _)| t.contains('\u{1b}')));
    }

    #[test]
    fn word_changes_are_marked_readably_without_colour() {
        let old = vec![
            "The president spoke on Monday.".to_string(),
            "Same end.".to_string(),
        ];
        let new = vec![
            "The president spoke on Tuesday.".to_string(),
            "Same end.".to_string(),
        ];
        let d = word_diff(&old, &new);
        assert_eq!(
            text(&d.inline),
            vec!["The president spoke on [-Monday-]{+Tuesday+}.", "Same end."]
        );
        assert_eq!(text(&d.old)[0], "The president spoke on [-Monday-].");
        assert_eq!(text(&d.new)[0], "The president spoke on {+Tuesday+}.");
        assert_eq!((d.removed, d.added), (1, 1));
    }

    #[test]
    fn typography_alone_is_no_change() {
        let old = vec![
            "\"Don't,\" she said - it's the  end... of the WORLD\u{2014}or not.".to_string(),
            "The \u{FB01}nal word.".to_string(),
        ];
        let new = vec![
            "\u{201C}Don\u{2019}t,\u{201D} she said \u{2013} it\u{2019}s the end\u{2026} of the world\u{2013}or\u{00A0}not.".to_string(),
            "The final   word.".to_string(),
        ];
        let d = word_diff(&old, &new);
        assert_eq!((d.removed, d.added), (0, 0), "{:?}", text(&d.inline));
        let marks = |paras: &[Para]| {
            paras
                .iter()
                .flatten()
                .filter(|(_, m)| *m != Mark::Plain)
                .count()
        };
        assert_eq!(marks(&d.old) + marks(&d.new) + marks(&d.inline), 0);
        // The text shows as written on each side.
        assert!(text(&d.new)[0].starts_with("\u{201C}Don\u{2019}t"));
        // A real change among typographic ones is still marked.
        let changed = vec!["\u{201C}Won\u{2019}t,\u{201D} she said".to_string()];
        let d = word_diff(&old[..1], &changed);
        assert_eq!(d.added, 1, "{:?}", text(&d.inline));
        assert!(
            text(&d.inline)[0].starts_with("\u{201C}[-Don't-]{+Won\u{2019}t+},\u{201D} she said"),
            "{:?}",
            text(&d.inline)
        );
    }

    #[test]
    fn an_added_paragraph_is_marked_whole() {
        let old = vec!["One.".to_string()];
        let new = vec!["One.".to_string(), "Credit line".to_string()];
        let d = word_diff(&old, &new);
        assert_eq!(text(&d.new), vec!["One.", "{+Credit line+}"]);
    }
}

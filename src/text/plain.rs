//! The reader for plain text and Markdown: lines or hard-wrapped paragraphs to blocks, with
//! Markdown markers and simple inline markup removed. Must not judge content (boilerplate is
//! `clean`'s job) nor change wording or case.

use std::borrow::Cow;

use super::{Block, BlockKind, Document};
use crate::text::normalize::{is_ascii_space, is_collapsed_ascii};

/// Characters that mark a list item at the start of a line. The ASCII ones need a space after
/// them, so that `-5 °C` and `**bold**` stay paragraphs.
const BULLETS: &[char] = &['-', '*', '+', '•', '◦', '▪', '‣', '●', '○', '■', '□', '·'];

/// A line of hard-wrapped prose is at least this long (in characters) ...
const WRAPPED_MIN_CHARS: usize = 40;
/// ... and at most this long.
const WRAPPED_MAX_CHARS: usize = 80;

/// Reads a `.txt` or `.md` file: every non-empty line is a block, unless the text is hard-wrapped,
/// when the lines of a paragraph join into one block. Plain text states no title.
pub(crate) fn parse_plain(text: &str) -> Document {
    Document {
        blocks: text_blocks(text),
        ..Document::default()
    }
}

/// Splits text into blocks as [`parse_plain`] does; the JSON reader uses it for article bodies.
pub(crate) fn text_blocks(text: &str) -> Vec<Block> {
    let wrapped = is_hard_wrapped(text);
    let mut blocks = Vec::new();
    let mut pending: Option<(BlockKind, String)> = None;
    for line in text.lines() {
        let Some((kind, content)) = split_marker(line) else {
            push_block(&mut blocks, pending.take());
            continue;
        };
        match (&mut pending, kind) {
            (Some((_, raw)), BlockKind::Paragraph) if wrapped => {
                raw.push(' ');
                raw.push_str(content);
            }
            _ => {
                push_block(&mut blocks, pending.take());
                pending = Some((kind, content.to_owned()));
            }
        }
        if !wrapped || kind == BlockKind::Heading {
            push_block(&mut blocks, pending.take());
        }
    }
    push_block(&mut blocks, pending.take());
    blocks
}

/// Collapses every run of whitespace to one space and trims the ends.
pub(crate) fn collapse_whitespace(s: &str) -> String {
    if s.is_ascii() {
        if is_collapsed_ascii(s.as_bytes()) {
            return s.to_owned();
        }
        // The same, over bytes: faster than `split_whitespace`, which decodes characters.
        let words: Vec<&[u8]> = s
            .as_bytes()
            .split(|&b| is_ascii_space(b))
            .filter(|w| !w.is_empty())
            .collect();
        return String::from_utf8(words.join(&b' ')).expect("ASCII in, ASCII out");
    }
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

fn push_block(blocks: &mut Vec<Block>, pending: Option<(BlockKind, String)>) {
    let Some((kind, raw)) = pending else { return };
    let text = collapse_whitespace(&strip_inline(&raw));
    if !text.is_empty() {
        blocks.push(Block {
            kind,
            ..Block::paragraph(text)
        });
    }
}

/// Whether paragraphs are separated by blank lines and their lines were wrapped at a fixed width:
/// most lines followed by a line of plain prose (one that would join them) are 40 to 80
/// characters long and do not end a sentence.
fn is_hard_wrapped(text: &str) -> bool {
    let (mut joinable, mut wrapped, mut separated) = (0usize, 0usize, false);
    let mut previous: Option<&str> = None;
    for line in text.lines().map(str::trim) {
        let prose = matches!(split_marker(line), Some((BlockKind::Paragraph, _)));
        match previous {
            Some(prev) if !prev.is_empty() && prose => {
                joinable += 1;
                wrapped += usize::from(looks_wrapped(prev));
            }
            Some(prev) if !prev.is_empty() && line.is_empty() => separated = true,
            _ => {}
        }
        previous = Some(line);
    }
    separated && joinable >= 2 && wrapped * 2 > joinable
}

fn looks_wrapped(line: &str) -> bool {
    let chars = line.chars().count();
    let ends_sentence = line.ends_with(['.', '!', '?', ':', '"', '”', '…']);
    (WRAPPED_MIN_CHARS..=WRAPPED_MAX_CHARS).contains(&chars) && !ends_sentence
}

/// A line's kind and its text without Markdown block markers; `None` for a blank line or a rule.
fn split_marker(line: &str) -> Option<(BlockKind, &str)> {
    let mut rest = line.trim();
    while let Some(quoted) = rest.strip_prefix('>') {
        rest = quoted.trim_start();
    }
    if rest.is_empty() || is_rule(rest) {
        return None;
    }
    if let Some(heading) = heading_text(rest) {
        return Some((BlockKind::Heading, heading));
    }
    if let Some(item) = list_item_text(rest) {
        return Some((BlockKind::ListItem, item));
    }
    Some((BlockKind::Paragraph, rest))
}

/// A thematic break or setext underline: `---`, `* * *`, `===`.
fn is_rule(s: &str) -> bool {
    const MARKS: [char; 4] = ['-', '*', '_', '='];
    s.starts_with(MARKS)
        && s.chars().all(|c| MARKS.contains(&c) || c.is_whitespace())
        && s.matches(MARKS).count() >= 3
}

/// The text of an ATX heading (`## Title ##`), without its opening and closing hashes.
fn heading_text(s: &str) -> Option<&str> {
    let hashes = s.len() - s.trim_start_matches('#').len();
    let rest = &s[hashes..];
    if !(1..=6).contains(&hashes) || !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
        return None;
    }
    let rest = rest.trim();
    let unclosed = rest.trim_end_matches('#');
    if unclosed.is_empty() || unclosed.ends_with(char::is_whitespace) {
        Some(unclosed.trim_end())
    } else {
        Some(rest)
    }
}

/// The text of a bulleted (`- `, `• `) or numbered (`1. `, `2) `) list item.
fn list_item_text(s: &str) -> Option<&str> {
    let first = s.chars().next()?;
    if BULLETS.contains(&first) {
        let rest = &s[first.len_utf8()..];
        let spaced = rest.is_empty() || rest.starts_with(char::is_whitespace);
        return (spaced || !first.is_ascii()).then(|| rest.trim_start());
    }
    let digits = s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let rest = s[digits..].strip_prefix(['.', ')'])?;
    ((1..=3).contains(&digits) && rest.starts_with(char::is_whitespace)).then(|| rest.trim_start())
}

/// Removes `**`, `__` and backticks, and turns `[text](url)` and `![alt](url)` into their text.
fn strip_inline(s: &str) -> Cow<'_, str> {
    let linked = strip_links(s);
    if linked.contains("**") || linked.contains("__") || linked.contains('`') {
        Cow::Owned(linked.replace("**", "").replace("__", "").replace('`', ""))
    } else {
        linked
    }
}

fn strip_links(s: &str) -> Cow<'_, str> {
    if !s.contains("](") {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find('[') {
        let (before, from) = rest.split_at(open);
        if let Some((label, after)) = link_at(from) {
            out.push_str(before.strip_suffix('!').unwrap_or(before));
            out.push_str(label);
            rest = after;
        } else {
            out.push_str(before);
            out.push('[');
            rest = &from[1..];
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// A `[label](target)` link at the start of `s`: its label and the text after it.
fn link_at(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_prefix('[')?;
    let close = inner.find(']')?;
    let label = &inner[..close];
    let target = inner[close + 1..].strip_prefix('(')?;
    let end = target.find(')')?;
    (!label.contains('[')).then(|| (label, &target[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn ascii_collapsing_is_the_general_collapsing(s in "[ a-z.\t\n\x0b\x0c\r\x01]{0,40}") {
            let general: Vec<&str> = s.split_whitespace().collect();
            prop_assert_eq!(collapse_whitespace(&s), general.join(" "));
        }
    }

    fn texts(text: &str) -> Vec<(BlockKind, String)> {
        parse_plain(text)
            .blocks
            .into_iter()
            .map(|b| (b.kind, b.text))
            .collect()
    }

    fn para(s: &str) -> (BlockKind, String) {
        (BlockKind::Paragraph, s.to_owned())
    }

    #[test]
    fn each_line_is_a_block() {
        let doc = parse_plain("First line.\n\n  Second   line\twith  gaps \nThird\n");
        assert_eq!(doc.title, None);
        assert_eq!(
            texts("First line.\n\n  Second   line\twith  gaps \nThird\n"),
            [
                para("First line."),
                para("Second line with gaps"),
                para("Third")
            ]
        );
    }

    #[test]
    fn hard_wrapped_paragraphs_are_joined() {
        let text = "The council voted on Tuesday to approve the new budget for\n\
                    the coming year, after a debate that lasted well into the\n\
                    night and ended in a narrow majority.\n\
                    \n\
                    Opponents said the plan would cut services that many of the\n\
                    poorest residents depend on.\n";
        let blocks = texts(text);
        assert_eq!(blocks.len(), 2);
        assert!(blocks[0].1.starts_with("The council voted"));
        assert!(blocks[0].1.ends_with("narrow majority."));
        assert!(blocks[0].1.contains("budget for the coming year"));
        assert!(blocks[1]
            .1
            .ends_with("many of the poorest residents depend on."));
    }

    #[test]
    fn short_lines_without_blank_lines_stay_apart() {
        let text = "Markets fall as investors weigh the latest inflation data\n\
                    Council approves budget after a long night of debate here\n\
                    Storm warning issued for the coast through the weekend now\n";
        assert_eq!(texts(text).len(), 3);
    }

    #[test]
    fn markdown_markers_set_the_kind() {
        let text = "# Big **news** #\n- first item\n* second\n+ third\n• fourth\n12. twelfth\n\
                    > quoted `code` line\n---\n-5 degrees and *calm*\n#hashtag";
        assert_eq!(
            texts(text),
            [
                (BlockKind::Heading, "Big news".to_owned()),
                (BlockKind::ListItem, "first item".to_owned()),
                (BlockKind::ListItem, "second".to_owned()),
                (BlockKind::ListItem, "third".to_owned()),
                (BlockKind::ListItem, "fourth".to_owned()),
                (BlockKind::ListItem, "twelfth".to_owned()),
                para("quoted code line"),
                para("-5 degrees and *calm*"),
                para("#hashtag"),
            ]
        );
    }

    #[test]
    fn links_become_their_text() {
        assert_eq!(
            texts("See [the report](https://x.org/r) and ![a chart](c.png), [not a link]."),
            [para("See the report and a chart, [not a link].")]
        );
        assert_eq!(texts("a [b] (c) [d](e"), [para("a [b] (c) [d](e")]);
    }

    #[test]
    fn list_items_in_wrapped_text_keep_their_continuations() {
        let text = "Here is a paragraph of prose that was wrapped at a fixed width\n\
                    by the tool that wrote the file, and it goes on a bit more\n\
                    \n\
                    - a list item that is long enough to wrap onto a second line\n\
                    \x20 and continues here\n\
                    - another item\n\
                    ## A heading\n\
                    after the heading comes more text that is wrapped as well so\n\
                    it joins\n";
        let blocks = texts(text);
        assert_eq!(blocks.len(), 5, "{blocks:?}");
        assert_eq!(blocks[1].0, BlockKind::ListItem);
        assert!(blocks[1].1.ends_with("second line and continues here"));
        assert_eq!(blocks[2], (BlockKind::ListItem, "another item".to_owned()));
        assert_eq!(blocks[3], (BlockKind::Heading, "A heading".to_owned()));
        assert!(blocks[4].1.ends_with("wrapped as well so it joins"));
    }

    #[test]
    fn blank_and_marker_only_input_has_no_blocks() {
        assert!(texts("").is_empty());
        assert!(texts(" \n\n\t\n").is_empty());
        assert!(texts("#\n-\n> \n***\n").is_empty());
    }

    #[test]
    fn heading_keeps_a_trailing_hash_in_a_word() {
        assert_eq!(
            texts("## Learning C#"),
            [(BlockKind::Heading, "Learning C#".to_owned())]
        );
    }
}

//! Why the story misses marked passages (`copydesk eval --misses` on an extraction corpus): each
//! `with` passage the story lacks is put in one bucket by where the page holds it: in blocks
//! the cleaner dropped (before, inside or after the story's span; prose, a short line, link
//! text), in elements the HTML reader leaves out (by tag, hidden, class or role), only in the
//! page's markup (scripts, JSON-LD, attributes), or nowhere in its text (a folding mismatch).
//! Reads the corpus and runs the shipped reader and cleaner; must not change what they do.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;

use super::extraction::{fold, half, Case};
use crate::text::clean::clean;
use crate::text::{read_document, BlockKind};

/// Where a missed passage sits, in words a person can act on.
pub fn bucket(case: &Case, passage: &str) -> String {
    let Ok(doc) = read_document(&case.file, &case.html) else {
        return "page rejected".to_owned();
    };
    let cleaned = clean(&doc, &|_| false);
    let want = fold(passage);
    // The folded blocks joined by spaces, with the byte where each starts.
    let mut all = String::new();
    let mut starts = Vec::with_capacity(doc.blocks.len());
    for b in &doc.blocks {
        if !all.is_empty() {
            all.push(' ');
        }
        starts.push(all.len());
        all.push_str(&fold(&b.text));
    }
    if let Some(at) = all.find(&want) {
        let block_at = |byte: usize| starts.partition_point(|&s| s <= byte).saturating_sub(1);
        let (a, z) = (block_at(at), block_at(at + want.len().saturating_sub(1)));
        let kept: Vec<bool> = cleaned.blocks.iter().map(|b| b.kept).collect();
        let first = kept.iter().position(|&k| k);
        let last = kept.iter().rposition(|&k| k);
        if kept[a..=z].iter().any(|&k| k) {
            return "blocks: spans kept and dropped blocks".to_owned();
        }
        let place = match (first, last) {
            (None, _) | (_, None) => "no story kept",
            (Some(f), _) if z < f => "before the story",
            (_, Some(l)) if a > l => "after the story",
            _ => "inside the story's span",
        };
        let b = &doc.blocks[a];
        let what = if b.link_density > 0.5 {
            "link text"
        } else if cleaned.blocks[a].prose {
            "prose"
        } else if b.kind == BlockKind::Heading {
            "heading"
        } else if b.kind == BlockKind::ListItem {
            "list item"
        } else {
            "short line"
        };
        return format!("dropped {place}: {what}");
    }
    let text = crate::text::decode::decode(&case.html).unwrap_or_default();
    if crate::text::Format::from_name(&case.file) == Some(crate::text::Format::Html) {
        for (why, part) in crate::text::html::left_out_parts(&text) {
            if fold(&part).contains(&want) {
                return format!("left out by the reader: {why}");
            }
        }
    }
    if fold(&text).contains(&want) {
        "only in markup (script, JSON-LD, attribute)".to_owned()
    } else {
        "not in the page's text as folded".to_owned()
    }
}

/// Prints, for the tuning and the check half, how many missed passages fall in each bucket,
/// then one line per missed passage (half, bucket, file, the passage's start) and per `without`
/// passage the story keeps.
pub fn print(
    cases: &[Case],
    pages: &[super::extraction::PageScore],
    out: &mut impl Write,
) -> Result<()> {
    let mut counts: BTreeMap<String, [usize; 2]> = BTreeMap::new();
    let mut lines = Vec::new();
    for (case, page) in cases.iter().zip(pages) {
        let h = half(&case.file);
        for p in &page.missing {
            let b = bucket(case, p);
            counts.entry(b.clone()).or_default()[h] += 1;
            let start: String = p.chars().take(70).collect();
            lines.push(format!(
                "{} | {b} | {} | {start}",
                ["tune", "check"][h],
                case.file
            ));
        }
        for p in &page.kept {
            let start: String = p.chars().take(70).collect();
            lines.push(format!(
                "{} | boilerplate kept | {} | {start}",
                ["tune", "check"][h],
                case.file
            ));
        }
    }
    writeln!(
        out,
        "missed `with` passages by cause: tuning half, check half"
    )?;
    let mut sorted: Vec<_> = counts.into_iter().collect();
    sorted.sort_by_key(|(_, [t, c])| std::cmp::Reverse(t + c));
    for (b, [t, c]) in sorted {
        writeln!(out, "{t:>5} {c:>5}  {b}")?;
    }
    for l in lines {
        writeln!(out, "{l}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(html: &str) -> Case {
        Case {
            file: "p.html".to_owned(),
            html: html.as_bytes().to_vec(),
            with: Vec::new(),
            without: Vec::new(),
        }
    }

    const PROSE: &str = "The council met on Monday and agreed, after a long debate that ran late \
        into the night, to extend the programme for another two years.";

    #[test]
    fn missed_passages_are_put_where_the_page_holds_them() {
        let html = format!(
            r#"<html><head><script type="application/ld+json">{{"x":"only in json"}}</script>
            </head><body><article><p>{PROSE}</p><p>{PROSE}</p>
            <figure><figcaption>A caption of the photo</figcaption></figure></article>
            <div class="related"><p>A related story</p></div>
            <div><p><a href="/a">link one here</a></p></div><img alt="only in an attribute">
            </body></html>"#
        );
        let c = case(&html);
        assert_eq!(
            bucket(&c, "caption of the"),
            "left out by the reader: <figcaption>"
        );
        assert_eq!(bucket(&c, "related story"), "left out by the reader: class");
        assert_eq!(bucket(&c, "only in json"), "left out by the reader: <head>");
        assert_eq!(
            bucket(&c, "in an attribute"),
            "only in markup (script, JSON-LD, attribute)"
        );
        assert_eq!(
            bucket(&c, "no such words"),
            "not in the page's text as folded"
        );
        assert_eq!(bucket(&c, "link one"), "dropped after the story: link text");
    }
}

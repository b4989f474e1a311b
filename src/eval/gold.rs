//! Story against gold (`copydesk eval DIR` on a corpus of pages with their `article.txt`): how
//! much of the gold article the story copydesk keeps of `page.txt` and of `page.html` holds, and
//! how much of that story is not article. Reads the corpus, runs the shipped reader and cleaner;
//! must not tune anything to the corpus.
//!
//! Both figures count words as a multiset (normalised as copydesk compares text: NFKC, case,
//! quotes and dashes folded, UAX #29 words): `held` is the share of the article's words the story
//! has, `not article` the share of the story's words the article does not have.

use std::collections::HashMap;
use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::extraction::copydesk_story;
use super::Page;
use crate::text::normalize::{normalize, word_spans};

/// Word counts over a set of pages.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Overlap {
    pub pages: usize,
    /// Words of the gold articles.
    pub article_words: usize,
    /// Words of the stories.
    pub story_words: usize,
    /// Words the two have in common, as multisets.
    pub shared_words: usize,
}

impl Overlap {
    /// Share of the article's words that the story holds.
    pub fn held(&self) -> f64 {
        self.shared_words as f64 / self.article_words.max(1) as f64
    }
    /// Share of the story's words that are not the article's.
    pub fn not_article(&self) -> f64 {
        1.0 - self.shared_words as f64 / self.story_words.max(1) as f64
    }
}

/// One page's overlap, for the worst-pages list.
#[derive(Debug, Clone, Serialize)]
pub struct PageOverlap {
    pub name: String,
    pub overlap: Overlap,
}

/// The overlap of one story with its gold article.
pub fn overlap(story: &str, article: &str) -> Overlap {
    let bag = |text: &str| {
        let norm = normalize(text);
        let mut counts: HashMap<String, usize> = HashMap::new();
        for (a, b) in word_spans(&norm) {
            *counts.entry(norm[a..b].to_owned()).or_default() += 1;
        }
        counts
    };
    let (story, article) = (bag(story), bag(article));
    let shared = story
        .iter()
        .map(|(w, &n)| n.min(article.get(w).copied().unwrap_or(0)))
        .sum();
    Overlap {
        pages: 1,
        article_words: article.values().sum(),
        story_words: story.values().sum(),
        shared_words: shared,
    }
}

/// The overlaps of the stories of `page.txt` and of `page.html`, summed over the corpus.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub page_txt: Overlap,
    pub page_html: Overlap,
    pub page_txt_pages: Vec<PageOverlap>,
    pub page_html_pages: Vec<PageOverlap>,
}

pub fn run(pages: &[Page]) -> Report {
    let mut report = Report {
        page_txt: Overlap::default(),
        page_html: Overlap::default(),
        page_txt_pages: Vec::new(),
        page_html_pages: Vec::new(),
    };
    for p in pages {
        for (file, bytes, sum, list) in [
            (
                "page.txt",
                &p.page_txt,
                &mut report.page_txt,
                &mut report.page_txt_pages,
            ),
            (
                "page.html",
                &p.page_html,
                &mut report.page_html,
                &mut report.page_html_pages,
            ),
        ] {
            let o = overlap(&copydesk_story(file, bytes), &p.article);
            sum.pages += 1;
            sum.article_words += o.article_words;
            sum.story_words += o.story_words;
            sum.shared_words += o.shared_words;
            list.push(PageOverlap {
                name: p.name.clone(),
                overlap: o,
            });
        }
    }
    report
}

/// Prints the two overlaps and the pages whose story is furthest from the gold.
pub fn print(r: &Report, json: bool, out: &mut impl Write) -> Result<()> {
    if json {
        #[derive(Serialize)]
        struct Line<'a> {
            kind: &'static str,
            page_txt: &'a Overlap,
            page_html: &'a Overlap,
        }
        serde_json::to_writer(
            &mut *out,
            &Line {
                kind: "story against gold",
                page_txt: &r.page_txt,
                page_html: &r.page_html,
            },
        )?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "story against gold article (words as a multiset): held = share of the article's words \
         in the story, not article = share of the story's words the article lacks"
    )?;
    for (name, sum, list) in [
        ("page.txt", &r.page_txt, &r.page_txt_pages),
        ("page.html", &r.page_html, &r.page_html_pages),
    ] {
        let short = list
            .iter()
            .filter(|p| p.overlap.held() < 0.9 || p.overlap.not_article() > 0.1)
            .count();
        writeln!(
            out,
            "{name:<10} held {:.3}  not article {:.3}  pages off by over 10% either way: {short}",
            sum.held(),
            sum.not_article()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_counts_words_as_a_multiset() {
        let o = overlap("Menu. The cat sat; the END", "the cat sat on the mat end");
        assert_eq!((o.article_words, o.story_words, o.shared_words), (7, 6, 5));
        assert!((o.held() - 5.0 / 7.0).abs() < 1e-9);
        assert!((o.not_article() - 1.0 / 6.0).abs() < 1e-9);
        let empty = overlap("", "words here");
        assert_eq!((empty.held(), empty.not_article()), (0.0, 1.0));
    }
}

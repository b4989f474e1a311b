//! The eval's kinds built from whole pages of sites: several pages of one site with different
//! stories (every flag among them is false), one site's story inside another site's page in
//! place of that page's own (a reprint of the story, never of the host page), and a part of one
//! story, at most 40% of each side, inside another (partial reuse, never a reprint).

use super::implant::{
    implant_html, implant_txt, insert_html, story_span_html, story_span_txt, Span,
};
use super::report::{describe, KindReport, PartialReport};
use super::variants::{self, paragraphs, Rng};
use super::{engine_with, form, Form, Page};
use crate::config::Settings;
use crate::engine::files::input_from;
use crate::engine::Input;
use crate::model::Status;
use anyhow::Result;
use serde::Serialize;

/// Flags among pages that are all different stories.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct NegativeReport {
    pub(crate) kind: String,
    /// Pages checked, each against all before it.
    pub(crate) pages: usize,
    /// Pairs of those pages from one site.
    pub(crate) same_site_pairs: usize,
    /// Flags of any kind (every one is false), and of them reprints or duplicates.
    pub(crate) flags: usize,
    pub(crate) false_reprints: usize,
    /// The highest similarity any flag reported.
    pub(crate) max_flag_similarity: f32,
    /// The highest story similarity the page-level evidence turned down: how close the
    /// extracted stories came to calling two of these stories one.
    pub(crate) max_turned_down: f32,
    pub(crate) misses: Vec<String>,
}

/// A page's story span in each form, where the page holds its gold article findably.
pub(super) struct Spans {
    pub(crate) txt: Option<Span>,
    pub(crate) html: Option<Span>,
}

pub(super) fn spans(pages: &[Page]) -> Vec<Spans> {
    pages
        .iter()
        .map(|p| Spans {
            txt: story_span_txt(&String::from_utf8_lossy(&p.page_txt), &p.article),
            html: story_span_html(&String::from_utf8_lossy(&p.page_html), &p.article),
        })
        .collect()
}

/// `host`'s page in `form` with `story`'s article in place of its own; `None` where the host's
/// own story cannot be found in that form.
fn wrap(host: &Page, spans: &Spans, story: &Page, f: Form) -> Option<(String, Vec<u8>)> {
    let paras = paragraphs(&story.article);
    let name = |ext: &str| format!("{}+{}/wrapped.{ext}", host.name, story.name);
    match f {
        Form::PageTxt => spans.txt.map(|sp| {
            let page = String::from_utf8_lossy(&host.page_txt);
            (name("txt"), implant_txt(&page, sp, &paras).into_bytes())
        }),
        Form::PageHtml => spans.html.map(|sp| {
            let page = String::from_utf8_lossy(&host.page_html);
            (name("html"), implant_html(&page, sp, &paras).into_bytes())
        }),
        Form::Article => None,
    }
}

/// Checks `pages` (name, bytes) one after another, each against all before it, and counts the
/// flags: every page is a different story.
fn run_negatives(batch: &[(String, Vec<u8>)], r: &mut NegativeReport) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let mut engine = engine_with(&[], tmp.path())?;
    for (name, bytes) in batch {
        let input = [input_from(name, bytes.clone())];
        let checked = engine.check_detailed(&input)?;
        engine.ingest(&input, 0)?;
        let Some(c) = checked.first() else { continue };
        r.pages += 1;
        r.max_turned_down = r.max_turned_down.max(c.turned_down);
        if let Some(m) = &c.verdict.matched {
            r.flags += 1;
            r.max_flag_similarity = r.max_flag_similarity.max(m.similarity);
            if matches!(c.verdict.status, Status::Reprint | Status::Duplicate) {
                r.false_reprints += 1;
            }
            r.misses.push(format!("{name}: {}", describe(&c.verdict)));
        }
    }
    Ok(())
}

fn same_site_pairs(pages: &[&Page]) -> usize {
    let mut n = 0;
    for (i, a) in pages.iter().enumerate() {
        n += pages[i + 1..]
            .iter()
            .filter(|b| !a.site.is_empty() && b.site == a.site)
            .count();
    }
    n
}

fn negative_report(kind: &str) -> NegativeReport {
    NegativeReport {
        kind: kind.to_owned(),
        pages: 0,
        same_site_pairs: 0,
        flags: 0,
        false_reprints: 0,
        max_flag_similarity: 0.0,
        max_turned_down: 0.0,
        misses: Vec::new(),
    }
}

/// Stories of this many other folders are set into each page's template.
const STORIES_PER_TEMPLATE: usize = 3;

/// Several pages of one site with different stories: every page of the corpus in one form
/// (sites with several pages are the hard part), and each page's template holding its own story
/// and other folders' stories, in both forms.
pub(super) fn run_same_site(pages: &[Page], spans: &[Spans]) -> Result<Vec<NegativeReport>> {
    let mut out = Vec::new();
    for (f, label) in [(Form::PageTxt, "page.txt"), (Form::PageHtml, "page.html")] {
        let mut r = negative_report(&format!("every page, {label}"));
        let all: Vec<&Page> = pages.iter().collect();
        r.same_site_pairs = same_site_pairs(&all);
        let batch: Vec<_> = pages.iter().map(|p| form(p, f)).collect();
        run_negatives(&batch, &mut r)?;
        out.push(r);
    }
    for (f, label) in [(Form::PageTxt, "page.txt"), (Form::PageHtml, "page.html")] {
        let mut r = negative_report(&format!("stories in one template, {label}"));
        for (i, host) in pages.iter().enumerate() {
            // The site's own pages first, then other folders' stories in this page's template.
            let mut batch: Vec<_> = pages
                .iter()
                .filter(|p| p.name == host.name || (!host.site.is_empty() && p.site == host.site))
                .map(|p| form(p, f))
                .collect();
            let others = (1..pages.len())
                .map(|k| &pages[(i + k * 7) % pages.len()])
                .filter(|p| p.site != host.site || host.site.is_empty())
                .take(STORIES_PER_TEMPLATE);
            batch.extend(others.filter_map(|story| wrap(host, &spans[i], story, f)));
            if batch.len() < 2 {
                continue;
            }
            r.same_site_pairs += batch.len() * (batch.len() - 1) / 2;
            run_negatives(&batch, &mut r)?;
        }
        out.push(r);
    }
    Ok(out)
}

/// One site's story inside another site's page, in place of that page's own story. Three turns,
/// so every folder plays each part once: a stored story (in `stored_form`), a host (its own page
/// in `query_form` is stored: the host's earlier story), and a story never stored. Each story,
/// stored or not, arrives inside a host of another site in `query_form`: a flag must name the
/// story's stored page (never the host's), and a story never stored must not be flagged.
pub(super) fn run_wrapped(
    pages: &[Page],
    spans: &[Spans],
    stored_form: Form,
    query_form: Form,
    kind: &str,
) -> Result<KindReport> {
    let mut r = KindReport::new(kind);
    let found = |j: usize| match query_form {
        Form::PageTxt => spans[j].txt.is_some(),
        _ => spans[j].html.is_some(),
    };
    for turn in 0..3 {
        let part = |i: usize| (i + turn) % 3;
        let hosts: Vec<usize> = (0..pages.len())
            .filter(|&j| part(j) == 1 && found(j))
            .collect();
        let mut inputs: Vec<Input> = hosts
            .iter()
            .map(|&j| {
                let (name, bytes) = form(&pages[j], query_form);
                input_from(&name, bytes)
            })
            .collect();
        for p in (0..pages.len())
            .filter(|&i| part(i) == 0)
            .map(|i| &pages[i])
        {
            let (name, bytes) = form(p, stored_form);
            inputs.push(input_from(&name, bytes));
        }
        let tmp = tempfile::tempdir()?;
        let mut engine = engine_with(&inputs, tmp.path())?;
        let mut queries = Vec::new();
        let mut cases = Vec::new();
        for i in (0..pages.len()).filter(|&i| part(i) != 1) {
            // The next host of another site.
            let host = (0..hosts.len())
                .map(|k| hosts[(i + k) % hosts.len()])
                .find(|&j| pages[j].site != pages[i].site || pages[i].site.is_empty());
            let Some(j) = host else { continue };
            let Some((name, bytes)) = wrap(&pages[j], &spans[j], &pages[i], query_form) else {
                continue;
            };
            queries.push(input_from(&name, bytes));
            cases.push((i, j));
        }
        let checked = engine.check_detailed(&queries)?;
        for ((i, j), c) in cases.into_iter().zip(checked) {
            let v = &c.verdict;
            let is_stored = part(i) == 0;
            let flagged = matches!(v.status, Status::Reprint | Status::Duplicate);
            let right = v
                .matched
                .as_ref()
                .is_some_and(|m| m.file == form(&pages[i], stored_form).0);
            let host_matched = v
                .matched
                .as_ref()
                .is_some_and(|m| m.file == form(&pages[j], query_form).0);
            let what = if host_matched {
                " (the host's own story)"
            } else {
                ""
            };
            r.count(
                is_stored,
                flagged,
                right,
                v.matched.as_ref().map_or(0.0, |m| m.similarity),
                c.turned_down,
                format!(
                    "{}: {}{what}",
                    queries_name(&pages[j], &pages[i]),
                    describe(v)
                ),
            );
        }
    }
    r.finish();
    Ok(r)
}

fn queries_name(host: &Page, story: &Page) -> String {
    format!("{} in {}", story.name, host.name)
}

/// Largest share of the source, and of the result, that partial reuse borrows.
const PARTIAL_MAX_SHARE: f64 = 0.4;

/// A part of each stored story (20% to 40% of its words, whole paragraphs) inside an unstored
/// page's story, where it is at most 40% of the result too: in the host's article text, and in
/// its whole HTML page.
pub(super) fn run_partial_share(
    pages: &[Page],
    spans: &[Spans],
    halves: &[Vec<bool>],
    as_html: bool,
) -> Result<PartialReport> {
    let kind = if as_html {
        "up to 40% inside another page.html"
    } else {
        "up to 40% inside another story"
    };
    let mut r = PartialReport::new(kind);
    for stored in halves {
        let tmp = tempfile::tempdir()?;
        let inputs: Vec<Input> = pages
            .iter()
            .zip(stored)
            .filter(|(_, &s)| s)
            .map(|(p, _)| {
                let (name, bytes) = form(p, Form::Article);
                input_from(&name, bytes)
            })
            .collect();
        let mut engine = engine_with(&inputs, tmp.path())?;
        let hosts: Vec<usize> = (0..pages.len())
            .filter(|&j| !stored[j] && (!as_html || spans[j].html.is_some()))
            .collect();
        let mut queries = Vec::new();
        let mut sources = Vec::new();
        for (n, (i, p)) in pages
            .iter()
            .enumerate()
            .filter(|(i, _)| stored[*i])
            .enumerate()
        {
            let mut rng = Rng::new(&format!("share/{}", p.name));
            let share = 0.2 + 0.2 * (rng.below(1001) as f64 / 1000.0);
            // Partial reuse is shared passages of `partial_min_words` or more.
            let min_words = Settings::default().params.partial_min_words as usize;
            let Some(borrowed) = variants::borrow(&p.article, share, PARTIAL_MAX_SHARE, min_words)
            else {
                continue;
            };
            let words: usize = borrowed.iter().map(|b| b.split_whitespace().count()).sum();
            // A host whose story is long enough that the borrowed part is at most 40% of it.
            let fits = |h: &Page| {
                let host_words = h.article.split_whitespace().count() as f64;
                words as f64 <= PARTIAL_MAX_SHARE * (host_words + words as f64)
            };
            let Some(&j) = (0..hosts.len())
                .map(|k| &hosts[(n + k) % hosts.len().max(1)])
                .find(|&&j| fits(&pages[j]))
            else {
                continue;
            };
            let host = &pages[j];
            let (name, bytes) = if as_html {
                let page = String::from_utf8_lossy(&host.page_html);
                let Some(sp) = spans[j].html else { continue };
                let text = insert_html(&page, sp, &borrowed);
                (format!("{}+{}/share.html", host.name, p.name), text)
            } else {
                let text = variants::insert_paragraphs(&host.article, &borrowed);
                (format!("{}+{}/share.txt", host.name, p.name), text)
            };
            queries.push(input_from(&name, bytes.into_bytes()));
            sources.push((i, name));
        }
        let checked = engine.check_detailed(&queries)?;
        for ((i, name), c) in sources.into_iter().zip(checked) {
            let src = form(&pages[i], Form::Article).0;
            r.count(&c.verdict, &src, &name);
        }
    }
    r.finish();
    Ok(r)
}

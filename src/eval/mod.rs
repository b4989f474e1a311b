//! The dev evaluation (`copydesk eval DIR`): builds variants from a corpus of pages with their
//! gold article text, runs them through a real engine on a temporary database, and reports
//! precision and recall per kind. Half of the folders are stored; variants of the other half are
//! the negatives (same sites, so shared templates are tested too). Whole pages of sites give the
//! harder kinds (`sites.rs`): different stories in one site's template, one site's story inside
//! another site's page, a part of one story inside another page.

pub mod command;
pub mod extraction;
pub(crate) mod gold;
pub(crate) mod implant;
pub(crate) mod misses;
pub(crate) mod report;
pub(crate) mod sites;
pub(crate) mod variants;

use crate::config::Settings;
use crate::engine::files::input_from;
use crate::engine::{Engine, Input};
use crate::model::Status;
use anyhow::{bail, Context, Result};
use report::{describe, print_report, KindReport, PartialReport, Report};
use std::io::Write;
use std::path::Path;
use variants::Rng;

/// One corpus folder.
pub(crate) struct Page {
    pub(crate) name: String,
    /// The site the page is from (`meta.json`'s `site`), empty when unknown: groups pages of
    /// one site, nothing more.
    pub(crate) site: String,
    pub(crate) article: String,
    pub(crate) page_txt: Vec<u8>,
    pub(crate) page_html: Vec<u8>,
}

pub(crate) fn load_corpus(dir: &Path) -> Result<Vec<Page>> {
    let mut pages = Vec::new();
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read corpus folder '{}'", dir.display()))?;
    for e in entries {
        let path = e?.path();
        let article = path.join("article.txt");
        if !article.is_file() {
            continue;
        }
        let read = |f: &str| {
            std::fs::read(path.join(f))
                .with_context(|| format!("cannot read '{}'", path.join(f).display()))
        };
        let site = std::fs::read(path.join("meta.json"))
            .ok()
            .and_then(|m| serde_json::from_slice::<serde_json::Value>(&m).ok())
            .and_then(|m| m["site"].as_str().map(str::to_owned))
            .unwrap_or_default();
        pages.push(Page {
            site,
            name: path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            article: String::from_utf8_lossy(&read("article.txt")?).into_owned(),
            page_txt: read("page.txt")?,
            page_html: read("page.html")?,
        });
    }
    pages.sort_by(|a, b| a.name.cmp(&b.name));
    if pages.len() < 4 {
        bail!(
            "corpus folder '{}' holds {} pages with article.txt; the evaluation needs at least 4",
            dir.display(),
            pages.len()
        );
    }
    Ok(pages)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Article,
    PageTxt,
    PageHtml,
}

fn form(p: &Page, f: Form) -> (String, Vec<u8>) {
    match f {
        Form::Article => (
            format!("{}/article.txt", p.name),
            p.article.clone().into_bytes(),
        ),
        Form::PageTxt => (format!("{}/page.txt", p.name), p.page_txt.clone()),
        Form::PageHtml => (format!("{}/page.html", p.name), p.page_html.clone()),
    }
}

type Make = fn(&Page, &mut Rng) -> (String, Vec<u8>);

/// The reprint kinds: what is stored, and the variant that arrives.
fn kinds() -> Vec<(&'static str, Form, Make)> {
    vec![
        ("page.txt after article", Form::Article, |p, _| {
            form(p, Form::PageTxt)
        }),
        ("article after page.txt", Form::PageTxt, |p, _| {
            form(p, Form::Article)
        }),
        ("page.html after article", Form::Article, |p, _| {
            form(p, Form::PageHtml)
        }),
        ("article after page.html", Form::PageHtml, |p, _| {
            form(p, Form::Article)
        }),
        ("page.html after page.txt", Form::PageTxt, |p, _| {
            form(p, Form::PageHtml)
        }),
        ("typographic changes", Form::Article, |p, r| {
            (
                format!("{}/typo.txt", p.name),
                variants::typographic(&p.article, r).into_bytes(),
            )
        }),
        ("dateline, credit, edits", Form::Article, |p, r| {
            let rate = 0.05 + 0.10 * (r.below(1001) as f64 / 1000.0);
            (
                format!("{}/edited.txt", p.name),
                variants::dateline_edit(&p.article, rate, r).into_bytes(),
            )
        }),
        ("cut short", Form::Article, |p, r| {
            let keep = 0.5 + 0.2 * (r.below(1001) as f64 / 1000.0);
            (
                format!("{}/short.txt", p.name),
                variants::cut_short(&p.article, keep).into_bytes(),
            )
        }),
    ]
}

fn engine_with(stored: &[Input], dir: &Path) -> Result<Engine> {
    let settings = Settings {
        db: dir.to_owned(),
        ..Settings::default()
    };
    let mut engine = Engine::open(settings)?;
    engine.ingest(stored, 0)?;
    Ok(engine)
}

/// Runs every kind twice, storing one half of the folders and then the other, so every page is
/// a positive once and a negative once.
pub(crate) fn run(pages: &[Page]) -> Result<Report> {
    let halves: Vec<Vec<bool>> = (0..2)
        .map(|h| (0..pages.len()).map(|i| i % 2 == h).collect())
        .collect();
    let mut reprint_kinds = Vec::new();
    for (kind, stored_form, make) in kinds() {
        let mut report = KindReport::new(kind);
        for stored in &halves {
            run_kind(pages, stored, kind, stored_form, make, &mut report)?;
        }
        report.finish();
        reprint_kinds.push(report);
    }
    let spans = sites::spans(pages);
    for (stored_form, query_form, kind) in [
        (
            Form::PageTxt,
            Form::PageTxt,
            "page.txt inside another site's",
        ),
        (
            Form::PageHtml,
            Form::PageHtml,
            "page.html inside another site's",
        ),
        (
            Form::Article,
            Form::PageHtml,
            "article inside another site's html",
        ),
    ] {
        reprint_kinds.push(sites::run_wrapped(
            pages,
            &spans,
            stored_form,
            query_form,
            kind,
        )?);
    }
    let mut partial = PartialReport::new("a third inside another story");
    for stored in &halves {
        run_partial(pages, stored, &mut partial)?;
    }
    partial.finish();
    let partial_kinds = vec![
        partial,
        sites::run_partial_share(pages, &spans, &halves, false)?,
        sites::run_partial_share(pages, &spans, &halves, true)?,
    ];
    Ok(Report {
        reprint_kinds,
        partial_kinds,
        negative_kinds: sites::run_same_site(pages, &spans)?,
    })
}

/// One kind with one half stored: adds its counts to `r`.
fn run_kind(
    pages: &[Page],
    stored: &[bool],
    kind: &str,
    stored_form: Form,
    make: Make,
    r: &mut KindReport,
) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let inputs: Vec<Input> = pages
        .iter()
        .zip(stored)
        .filter(|(_, &s)| s)
        .map(|(p, _)| {
            let (name, bytes) = form(p, stored_form);
            input_from(&name, bytes)
        })
        .collect();
    let mut engine = engine_with(&inputs, tmp.path())?;
    let queries: Vec<Input> = pages
        .iter()
        .map(|p| {
            let (name, bytes) = make(p, &mut Rng::new(&format!("{kind}/{}", p.name)));
            input_from(&name, bytes)
        })
        .collect();
    let checked = engine.check_detailed(&queries)?;
    for ((p, &is_stored), c) in pages.iter().zip(stored).zip(&checked) {
        let v = &c.verdict;
        let flagged = matches!(v.status, Status::Reprint | Status::Duplicate);
        let right = v
            .matched
            .as_ref()
            .is_some_and(|m| m.file == form(p, stored_form).0);
        let similarity = v.matched.as_ref().map_or(0.0, |m| m.similarity);
        r.count(
            is_stored,
            flagged,
            right,
            similarity,
            c.turned_down,
            format!("{}: {}", p.name, describe(v)),
        );
    }
    Ok(())
}

/// A third of each stored story inside an unstored one, as long as the inserted part is at most
/// half of the result: adds its counts to `r`.
fn run_partial(pages: &[Page], stored: &[bool], r: &mut PartialReport) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let inputs: Vec<Input> = pages
        .iter()
        .zip(stored)
        .filter(|(_, &s)| s)
        .map(|(p, _)| input_from(&form(p, Form::Article).0, p.article.clone().into_bytes()))
        .collect();
    let mut engine = engine_with(&inputs, tmp.path())?;
    let hosts: Vec<&Page> = pages
        .iter()
        .zip(stored)
        .filter(|(_, &s)| !s)
        .map(|(p, _)| p)
        .collect();
    let mut queries = Vec::new();
    let mut sources = Vec::new();
    let sources_pages = pages.iter().zip(stored).filter(|(_, &s)| s).map(|(p, _)| p);
    for (i, p) in sources_pages.enumerate() {
        let mut rng = Rng::new(&format!("partial/{}", p.name));
        let host_words = |h: &Page| h.article.split_whitespace().count();
        let wanted = p.article.split_whitespace().count() / 3;
        let Some(host) = (0..hosts.len())
            .map(|k| hosts[(i + k) % hosts.len()])
            .find(|h| host_words(h) >= wanted)
        else {
            continue;
        };
        let (text, _) = variants::partial(&p.article, &host.article, &mut rng);
        queries.push(input_from(
            &format!("{}+{}/partial.txt", host.name, p.name),
            text.into_bytes(),
        ));
        sources.push(form(p, Form::Article).0);
    }
    let verdicts = engine.check(&queries)?;
    for ((v, src), q) in verdicts.iter().zip(&sources).zip(&queries) {
        r.count(v, src, &q.file);
    }
    Ok(())
}

/// `copydesk eval DIR`: prints the report; fails when a target is missed.
pub fn run_command(dir: &Path, json: bool, out: &mut impl Write) -> Result<std::process::ExitCode> {
    let pages = load_corpus(dir)?;
    let report = run(&pages)?;
    if json {
        for k in &report.reprint_kinds {
            serde_json::to_writer(&mut *out, k)?;
            writeln!(out)?;
        }
        for p in &report.partial_kinds {
            serde_json::to_writer(&mut *out, p)?;
            writeln!(out)?;
        }
        for n in &report.negative_kinds {
            serde_json::to_writer(&mut *out, n)?;
            writeln!(out)?;
        }
    } else {
        print_report(&report, pages.len(), out)?;
    }
    Ok(if report.targets_met() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}

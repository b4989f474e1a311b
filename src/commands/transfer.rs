//! `copydesk export` and `copydesk import`: a database as JSON lines (`model::export`) and
//! back. Export reads what reads and names what does not; import decides every article again
//! through the engine and names every line it cannot take. Printing and files only: the
//! reading is the store's, the deciding the engine's.

use super::json_line;
use crate::client::ExportSource;
use crate::config::Settings;
use crate::model::export::{End, ExportPage, ExportPart, Header, Line, TriageEvent, EXPORT_FORMAT};
use crate::text::sanitize::sanitize_line;
use anyhow::{bail, Context, Result};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// Items asked for per page: small enough that one answer stays small over the socket.
const PAGE: usize = 500;

/// `copydesk export`: writes the database as JSON lines to `output` (a file written whole or
/// not at all: a temporary beside it, synced, then renamed) or to `out`. Returns how many
/// records, texts or event groups could not be read (each said on standard error).
pub fn export(settings: &Settings, output: Option<&Path>, out: &mut impl Write) -> Result<u64> {
    let mut source = ExportSource::open(settings)?;
    let mut skipped = 0u64;
    let mut say = |page: &ExportPage| {
        for s in &page.skipped {
            skipped += 1;
            eprintln!(
                "copydesk: export: skipped {}: {}",
                sanitize_line(&s.what),
                sanitize_line(&s.why)
            );
        }
    };
    // Triage events first, in full (editors' changes are few beside articles), so that they
    // can be written among the articles in the order they happened.
    let mut triage: Vec<TriageEvent> = Vec::new();
    let mut after = 0;
    loop {
        let page = source.page(ExportPart::Triage, after, PAGE)?;
        say(&page);
        triage.extend(page.triage);
        match page.next {
            Some(next) if next > after => after = next,
            _ => break,
        }
    }
    let mut file = match output {
        Some(path) => Some(Partial::create(path)?),
        None => None,
    };
    let mut counts = End {
        articles: 0,
        triage: 0,
        skipped: 0,
    };
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let mut after = 0;
    let mut header = true;
    let mut next_triage = triage.into_iter().peekable();
    loop {
        let page = source.page(ExportPart::Articles, after, PAGE)?;
        say(&page);
        let w: &mut dyn Write = match &mut file {
            Some(f) => &mut f.writer,
            None => out,
        };
        if std::mem::take(&mut header) {
            json_line(
                w,
                &Line::Header(Header {
                    format: EXPORT_FORMAT,
                    schema: page.schema,
                    copydesk: env!("CARGO_PKG_VERSION").to_owned(),
                    db: settings.db.display().to_string(),
                    exported_at_ms: now_ms,
                    exported_at: crate::model::rfc3339(now_ms),
                }),
            )?;
        }
        for a in page.articles {
            while let Some(t) = next_triage.next_if(|t| t.at_ms < a.ingested_ms) {
                json_line(w, &Line::Triage(t))?;
                counts.triage += 1;
            }
            json_line(w, &Line::Article(Box::new(a)))?;
            counts.articles += 1;
        }
        match page.next {
            Some(next) if next > after => after = next,
            _ => break,
        }
    }
    let w: &mut dyn Write = match &mut file {
        Some(f) => &mut f.writer,
        None => out,
    };
    for t in next_triage {
        json_line(w, &Line::Triage(t))?;
        counts.triage += 1;
    }
    counts.skipped = skipped;
    json_line(w, &Line::End(counts))?;
    w.flush()?;
    if let Some(f) = file {
        f.finish()?;
    }
    Ok(skipped)
}

/// A file written under a temporary name beside its own, renamed into place once whole and
/// synced: a failed export never leaves a file that looks complete.
struct Partial {
    writer: std::io::BufWriter<std::fs::File>,
    temp: PathBuf,
    path: PathBuf,
}

impl Partial {
    fn create(path: &Path) -> Result<Partial> {
        let name = path
            .file_name()
            .with_context(|| format!("'{}' names no file", path.display()))?;
        let temp = path.with_file_name(format!(
            ".{}.partial-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        let f = std::fs::File::create(&temp)
            .with_context(|| format!("cannot write '{}'", temp.display()))?;
        Ok(Partial {
            writer: std::io::BufWriter::new(f),
            temp,
            path: path.to_owned(),
        })
    }

    fn finish(mut self) -> Result<()> {
        let what = || format!("cannot write '{}'", self.path.display());
        self.writer.flush().with_context(what)?;
        self.writer.get_ref().sync_all().with_context(what)?;
        std::fs::rename(&self.temp, &self.path).with_context(what)?;
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .with_context(what)?;
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        // Renamed already when finished; otherwise the half-written file goes.
        let _ = std::fs::remove_file(&self.temp);
    }
}

/// What `copydesk import` did, for the exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Lines refused (each said on standard error with its number).
    pub refused: u64,
    /// Whether the input ended with its `end` line.
    pub whole: bool,
}

/// `copydesk import FILE` (`-`: standard input) into an empty database.
pub fn import(
    settings: &Settings,
    file: &Path,
    json: bool,
    out: &mut impl Write,
) -> Result<ImportOutcome> {
    let mut input: Box<dyn BufRead> = if file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(file)
            .with_context(|| format!("cannot read '{}'", file.display()))?;
        Box::new(std::io::BufReader::new(f))
    };
    // The database is opened (made) only once the input shows an export's header, so a file
    // that is none leaves nothing behind.
    let mut importer: Option<crate::client::Importer> = None;
    let not_export = |why: &str| {
        anyhow::anyhow!(
            "'{}' is not a copydesk export: its first line is no export header{why}",
            file.display()
        )
    };
    let say = |notes: Vec<crate::client::Note>| {
        for n in notes {
            eprintln!(
                "copydesk: import: line {}: {}",
                n.line,
                sanitize_line(&n.message)
            );
        }
    };
    let mut bytes = Vec::new();
    let (mut number, mut end) = (0u64, None::<End>);
    // Lines of each kind read, to hold against what the end line says was written.
    let (mut articles, mut triage) = (0u64, 0u64);
    loop {
        bytes.clear();
        if input
            .read_until(b'\n', &mut bytes)
            .context("cannot read the export")?
            == 0
        {
            break;
        }
        number += 1;
        let text = match (std::str::from_utf8(&bytes), importer.as_mut()) {
            (Ok(t), _) => t.trim(),
            (Err(e), None) => return Err(not_export(&format!(" (not UTF-8: {e})"))),
            (Err(e), Some(importer)) => {
                importer.refuse(number, format!("not UTF-8: {e}"));
                say(importer.take_notes());
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        let line = match (serde_json::from_str::<Line>(text), importer.as_mut()) {
            (Ok(line), _) => line,
            (Err(e), None) => return Err(not_export(&format!(" ({e})"))),
            (Err(e), Some(importer)) => {
                importer.refuse(number, format!("not an export line: {e}"));
                say(importer.take_notes());
                continue;
            }
        };
        let Some(importer) = importer.as_mut() else {
            let Line::Header(h) = line else {
                return Err(not_export(""));
            };
            if h.format > EXPORT_FORMAT {
                bail!(
                    "'{}' is in export format {}, newer than this copydesk's ({EXPORT_FORMAT}); import it with a newer copydesk",
                    file.display(),
                    h.format
                );
            }
            importer = Some(crate::client::importer(settings)?);
            continue;
        };
        match line {
            _ if end.is_some() => importer.refuse(number, "a line after the end line".into()),
            Line::Header(_) => importer.refuse(number, "a second header".into()),
            Line::Article(a) => {
                articles += 1;
                importer.article(number, *a)?;
            }
            Line::Triage(t) => {
                triage += 1;
                importer.triage(number, t)?;
            }
            Line::End(e) => end = Some(e),
        }
        say(importer.take_notes());
    }
    let Some(importer) = importer else {
        bail!("'{}' is empty: no export header", file.display());
    };
    let (done, notes) = importer.finish()?;
    say(notes);
    let whole = match &end {
        None => {
            eprintln!("copydesk: import: the export has no end line: it was cut off; what it held was imported");
            false
        }
        Some(e) if (e.articles, e.triage) != (articles, triage) => {
            eprintln!(
                "copydesk: import: the export's end line says it holds {} articles and {} triage changes, but {articles} and {triage} were read: lines are missing; what it held was imported",
                e.articles, e.triage
            );
            false
        }
        Some(_) => true,
    };
    if json {
        json_line(
            out,
            &serde_json::json!({
                "articles": done.articles,
                "triage": done.triage,
                "changed": done.changed,
                "refused": done.refused,
                "whole": whole,
            }),
        )?;
    } else {
        writeln!(
            out,
            "imported {} articles and {} triage changes; {} verdicts differ from the export's; {} lines refused",
            done.articles, done.triage, done.changed, done.refused
        )?;
    }
    Ok(ImportOutcome {
        refused: done.refused,
        whole,
    })
}

//! The batch commands (`ingest`, `check`, `list`, `show`, `stats`): gather inputs, call the
//! engine, print verdicts as text for people or JSON lines for scripts.

use crate::config::Settings;
use crate::detect::Status;
use crate::engine::files::read_file;
use crate::engine::{Engine, Input, Verdict};
use crate::store::ArticleRecord;
use crate::text::sanitize::sanitize_line;
use crate::text::Rejection;
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Files to ingest from the command line's paths: files as given, folders as their regular
/// files in name order (hidden names and sub-folders skipped).
pub fn expand_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                        .filter(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
                        .map(|e| e.path())
                        .collect()
                })
                .unwrap_or_default();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    out
}

pub fn read_inputs(files: &[PathBuf], max_bytes: u64) -> Vec<Input> {
    files
        .iter()
        .map(|p| Input {
            file: p.display().to_string(),
            data: read_file(p, max_bytes),
        })
        .collect()
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

pub fn ingest(
    settings: Settings,
    paths: &[PathBuf],
    json: bool,
    dry_run: bool,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let files = expand_paths(paths);
    let inputs = read_inputs(&files, settings.max_file_bytes);
    let mut engine = Engine::open(settings)?;
    let verdicts = if dry_run {
        engine.check(&inputs)?
    } else {
        engine.ingest(&inputs, now_ms())?
    };
    for v in &verdicts {
        print_verdict(v, json, out)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn print_verdict(v: &Verdict, json: bool, out: &mut impl Write) -> Result<()> {
    if json {
        serde_json::to_writer(&mut *out, v)?;
        writeln!(out)?;
        return Ok(());
    }
    let id = v.id.map_or_else(|| "-".to_owned(), |id| format!("#{id}"));
    let what = match (&v.matched, v.status) {
        (Some(m), _) => format!(
            "{} of #{} ({:.0}%)",
            v.status.as_str(),
            m.id,
            m.similarity * 100.0
        ),
        (None, Status::Rejected) => format!("rejected: {}", v.reason.as_deref().unwrap_or("")),
        (None, s) => s.as_str().to_owned(),
    };
    writeln!(
        out,
        "{id:>6}  {what:<28}  {}  {}",
        sanitize_line(&v.file),
        v.title
    )?;
    Ok(())
}

fn record_line(r: &ArticleRecord, json: bool, out: &mut impl Write) -> Result<()> {
    if json {
        serde_json::to_writer(&mut *out, r)?;
        writeln!(out)?;
        return Ok(());
    }
    let m = r.matched.as_ref().map_or_else(String::new, |m| {
        format!("of #{} ({:.0}%)", m.id, m.similarity * 100.0)
    });
    writeln!(
        out,
        "{:>6}  {:<10} {:<14} {:<8}  {}",
        format!("#{}", r.id),
        r.status.as_str(),
        m,
        sanitize_line(&r.triage.state),
        r.title
    )?;
    Ok(())
}

pub fn list(
    settings: Settings,
    status: Option<Status>,
    limit: usize,
    json: bool,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let engine = Engine::open(settings)?;
    for r in engine.list(status, limit)? {
        record_line(&r, json, out)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn show(settings: Settings, id: u64, json: bool, out: &mut impl Write) -> Result<ExitCode> {
    let engine = Engine::open(settings)?;
    let d = engine.show(id)?;
    if json {
        serde_json::to_writer(&mut *out, &d)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let r = &d.record;
    writeln!(out, "#{}  {}", r.id, r.title)?;
    writeln!(out, "file:    {}", sanitize_line(&r.file))?;
    writeln!(out, "verdict: {}", r.status.as_str())?;
    if let Some(m) = &r.matched {
        writeln!(
            out,
            "match:   #{} {} ({:.1}%)",
            m.id,
            sanitize_line(&m.file),
            m.similarity * 100.0
        )?;
    }
    if let Some(reason) = &r.reason {
        writeln!(out, "reason:  {}", sanitize_line(reason))?;
    }
    for (label, v) in [
        ("source:", &r.source),
        ("url:", &r.url),
        ("date:", &r.published),
    ] {
        if let Some(v) = v {
            writeln!(out, "{label:<8} {v}")?;
        }
    }
    writeln!(out)?;
    for p in &d.paragraphs {
        writeln!(out, "{}\n", crate::text::sanitize::sanitize_display(p))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn stats(settings: Settings, json: bool, out: &mut impl Write) -> Result<ExitCode> {
    let engine = Engine::open(settings)?;
    let s = engine.stats()?;
    if json {
        serde_json::to_writer(&mut *out, &s)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "articles: {}", s.articles)?;
    for (status, n) in &s.by_status {
        writeln!(out, "  {:<10} {n}", status.as_str())?;
    }
    writeln!(
        out,
        "database: {} ({:.1} MB)",
        sanitize_line(&s.db),
        s.db_bytes as f64 / 1e6
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Reads one file as an input (for callers outside the CLI, such as the eval).
pub fn input_from(name: &str, bytes: Vec<u8>) -> Input {
    Input {
        file: name.to_owned(),
        data: if bytes.is_empty() {
            Err(Rejection::Empty)
        } else {
            Ok(crate::engine::files::FileData {
                size: bytes.len() as u64,
                bytes,
                mtime_ns: 0,
            })
        },
    }
}

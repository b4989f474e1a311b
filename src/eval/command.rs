//! `copydesk eval DIR...`: recognises each corpus folder by what it holds and runs the
//! measures that fit it. Must not measure anything itself.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};

use super::{extraction, gold, load_corpus};

/// Runs every folder's evaluation in turn; fails when a folder's targets are missed. `misses`
/// adds, for an extraction corpus, why each missed passage was missed.
pub fn run_dirs(
    dirs: &[impl AsRef<Path>],
    json: bool,
    misses: bool,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let mut met = true;
    for (i, dir) in dirs.iter().enumerate() {
        let dir = dir.as_ref();
        if i > 0 && !json {
            writeln!(out)?;
        }
        if extraction::is_corpus(dir) {
            met &= extraction::run_command(dir, json, misses, out)?;
        } else if has_gold_pages(dir) {
            met &= super::run_command(dir, json, out)? == ExitCode::SUCCESS;
            gold::print(&gold::run(&load_corpus(dir)?), json, out)?;
        } else {
            bail!(
                "'{}' is not a corpus: it needs snippets.json (extraction) or sub-folders with \
                 article.txt, page.txt and page.html (detection)",
                dir.display()
            );
        }
    }
    Ok(if met {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn has_gold_pages(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.path().join("article.txt").is_file())
    })
}

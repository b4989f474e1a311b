//! Helpers shared by the integration tests: run the real binary on a temporary database.

#![allow(dead_code)]

pub mod daemon;
pub mod mount;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_copydesk"));
    // No config.toml from the working folder: tests name everything they use.
    c.current_dir(std::env::temp_dir());
    // Nor from the environment of whoever runs the tests (a shell under systemd, say).
    for var in [
        "COPYDESK_CONFIG",
        "STATE_DIRECTORY",
        "NOTIFY_SOCKET",
        "JOURNAL_STREAM",
    ] {
        c.env_remove(var);
    }
    // With no config, data goes to $XDG_STATE_HOME/copydesk: a scratch one, never the home of
    // whoever runs the tests.
    c.env(
        "XDG_STATE_HOME",
        std::env::temp_dir().join("copydesk-tests-state"),
    );
    c
}

pub fn seed(prefix: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("watch");
    std::fs::read_dir(&dir)
        .expect("watch/ ships the seeds")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("no seed {prefix} in {}", dir.display()))
}

pub fn run(db: &Path, args: &[&str]) -> Output {
    let out = bin()
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("the binary runs");
    out
}

/// Runs a command that must succeed and returns its JSON lines.
pub fn json_lines(db: &Path, args: &[&str]) -> Vec<Value> {
    let out = run(db, args);
    assert!(
        out.status.success(),
        "copydesk {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

pub fn ingest(db: &Path, files: &[PathBuf]) -> Vec<Value> {
    let mut args = vec!["ingest", "--json"];
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    json_lines(db, &args)
}

/// A database of `n` distinct articles (the seed's text under a numbered title), built by the
/// binary's `ingest`.
pub fn database(dir: &Path, n: usize) -> PathBuf {
    let files = dir.join("files");
    std::fs::create_dir_all(&files).expect("files");
    let body = std::fs::read_to_string(seed("001")).expect("seed");
    for i in 0..n {
        std::fs::write(
            files.join(format!("a{i:04}.txt")),
            format!("Report {i}\n\nItem {i} of {n}, {i} times over. {i} {i}.\n{body}"),
        )
        .expect("write");
    }
    let db = dir.join("db");
    let out = run(&db, &["ingest", files.to_str().expect("utf-8 path")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

/// A copy of the files of a database folder (sled's data, the marker, the snapshot), for tests
/// that damage one.
pub fn copy_files(db: &Path, to: &Path) -> PathBuf {
    std::fs::create_dir_all(to).expect("copy dir");
    for e in std::fs::read_dir(db).expect("db").flatten() {
        if e.path().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
    to.to_owned()
}

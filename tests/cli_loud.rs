//! Commands that fail loudly: a missing path is an error and stores nothing, commands that read
//! never create a database, `-` reads one article from standard input, and the exit status says
//! what happened (0 done, 1 failed, 2 usage; `--strict` makes rejections 1).

mod common;

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

const STORY: &str = "Harbour fees rise again\n\nThe harbour board voted on Tuesday to raise \
                     mooring fees for the third year running, citing repairs to the north \
                     breakwater and a shortfall in the maintenance budget.\n\nFishermen said the \
                     increase would push smaller boats to the river moorings upstream, where the \
                     council charges half as much.\n";

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// Runs copydesk with `input` on standard input.
fn with_stdin(db: &Path, args: &[&str], input: &str) -> Output {
    let mut child = common::bin()
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let written = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes());
    // A command refused for its arguments exits without reading its input, and may do so before
    // the input is written: a closed pipe is then no failure of the test's.
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write: {e}");
    }
    child.wait_with_output().expect("runs")
}

#[test]
fn a_missing_path_is_an_error_and_stores_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = tmp.path().join("db");
    let real = tmp.path().join("real.txt");
    std::fs::write(&real, STORY).expect("write");
    let missing = tmp.path().join("nonexistent");
    for command in ["ingest", "check"] {
        let out = common::bin()
            .arg("--db")
            .arg(&db)
            .args([command, "--json"])
            .arg(&real)
            .arg(&missing)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "{command}: {}", stderr(&out));
        assert!(stderr(&out).contains("nonexistent"), "{}", stderr(&out));
        assert!(out.stdout.is_empty(), "no verdict printed");
        assert!(!db.exists(), "{command} created the database");
    }
    // The same through an existing database: still nothing stored.
    let out = common::run(&db, &["ingest", "--json", real.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = common::run(&db, &["ingest", missing.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let listed = json(&common::run(&db, &["list", "--json", "--limit", "0"]));
    assert_eq!(listed.len(), 1, "{listed:?}");
}

#[test]
fn commands_that_read_never_create_a_database() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let deep = tmp.path().join("nonexistent/deep/db");
    let commands: [&[&str]; 5] = [
        &["stats"],
        &["list"],
        &["show", "1"],
        &["tail", "--after", "0"],
        &["triage", "1", "picked"],
    ];
    for args in commands {
        let out = common::run(&deep, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("no database at"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            !tmp.path().join("nonexistent").exists(),
            "{args:?} created a folder"
        );
        // Without --db: the config's default, ./db, in the current folder.
        let out = common::bin()
            .current_dir(tmp.path())
            .args(args)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(!tmp.path().join("db").exists(), "{args:?} created ./db");
        assert!(
            !tmp.path().join("inbox").exists(),
            "{args:?} created ./inbox"
        );
    }
}

#[test]
fn a_dash_reads_one_article_from_standard_input() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = tmp.path().join("db");
    let checked = with_stdin(&db, &["check", "--json", "-"], STORY);
    assert!(checked.status.success(), "{}", stderr(&checked));
    let checked = json(&checked);
    assert_eq!(checked.len(), 1);
    assert_eq!(checked[0]["status"], "unique");
    assert_eq!(checked[0]["file"], "stdin");
    assert!(checked[0]["id"].is_null(), "check stores nothing");

    let args = ["ingest", "--json", "--name", "wire/harbour.txt", "-"];
    let first = with_stdin(&db, &args, STORY);
    assert!(first.status.success(), "{}", stderr(&first));
    let first = json(&first);
    assert_eq!(first[0]["file"], "wire/harbour.txt");
    assert_eq!(first[0]["status"], "unique");
    assert!(first[0]["id"].is_u64());
    // The same name and content again: reported with its id, not stored twice.
    let again = json(&with_stdin(&db, &args, STORY));
    assert_eq!(again[0]["again"], true, "{again:?}");
    assert_eq!(again[0]["id"], first[0]["id"]);
    let shown = json(&common::run(&db, &["show", "--json", "1"]));
    assert_eq!(shown[0]["file"], "wire/harbour.txt");

    let out = with_stdin(&db, &["ingest", "-", "other.txt"], STORY);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn rejections_exit_0_unless_strict() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = tmp.path().join("db");
    let dir = tmp.path().join("in");
    std::fs::create_dir_all(&dir).expect("folder");
    std::fs::write(dir.join("a.txt"), STORY).expect("write");
    std::fs::write(dir.join("b.txt"), "").expect("write");
    let dir = dir.to_str().expect("utf-8");
    let out = common::run(&db, &["check", "--json", dir]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let verdicts = json(&out);
    assert_eq!(verdicts.len(), 2);
    assert_eq!(verdicts[1]["status"], "rejected");
    let out = common::run(&db, &["check", "--strict", dir]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = common::run(&db, &["ingest", "--strict", "--json", dir]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(json(&out).len(), 2, "every verdict is printed all the same");
}

#[test]
fn usage_errors_exit_2_and_help_documents_the_exit_status() {
    let out = common::bin().arg("ingest").output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let out = common::bin().arg("--help").output().expect("runs");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Exit status: 0 done"), "{help}");
    assert!(help.contains("2 usage error"), "{help}");
}

#[test]
fn list_pages_with_a_cursor_and_says_when_a_page_is_full() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = tmp.path().join("db");
    let dir = tmp.path().join("in");
    std::fs::create_dir_all(&dir).expect("folder");
    for i in 0..5 {
        std::fs::write(
            dir.join(format!("{i}.txt")),
            format!("Story {i}\n\n{i} {STORY}"),
        )
        .expect("write");
    }
    let out = common::run(&db, &["ingest", dir.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ids = |args: &[&str]| -> (Vec<u64>, String) {
        let out = common::run(&db, args);
        assert!(out.status.success(), "{}", stderr(&out));
        let ids = json(&out)
            .iter()
            .map(|r| r["id"].as_u64().expect("id"))
            .collect();
        (ids, stderr(&out))
    };
    let (page, note) = ids(&["list", "--json", "--limit", "2"]);
    assert_eq!(page, [5, 4]);
    assert!(note.contains("--before 4"), "{note}");
    let (page, note) = ids(&["list", "--json", "--limit", "2", "--before", "4"]);
    assert_eq!(page, [3, 2]);
    assert!(note.contains("--before 2"), "{note}");
    let (page, note) = ids(&["list", "--json", "--limit", "2", "--before", "2"]);
    assert_eq!(page, [1]);
    assert!(note.is_empty(), "the last page says nothing: {note}");
    let (page, _) = ids(&["list", "--json", "--after", "3"]);
    assert_eq!(page, [5, 4]);
    let help = common::bin()
        .args(["list", "--help"])
        .output()
        .expect("runs");
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("[default: 50]"), "{help}");
}

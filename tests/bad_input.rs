//! Every kind of bad input gets the verdict `rejected` with a reason a person understands, the
//! other files of the batch are still ingested, and nothing crashes.

mod common;

use common::{ingest, json_lines, run, seed};
use std::path::PathBuf;

fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

#[test]
fn bad_files_are_rejected_with_reasons_and_good_ones_still_land() {
    let db = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let empty = write(d, "empty.txt", b"");
    let blank = write(d, "blank.txt", b" \n\t\n");
    let binary = write(d, "photo.txt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0");
    let nul = write(d, "nul.txt", b"abc\0def\0ghi\0\x01\x02\x03\x04");
    let json_array = write(d, "list.json", b"[1, 2, 3]");
    let json_no_body = write(d, "nobody.json", br#"{"title": "A title"}"#);
    // A path that does not exist is an error, not a rejection (tests/cli_loud.rs); a broken
    // link exists and is rejected.
    let broken = d.join("broken.txt");
    std::os::unix::fs::symlink(d.join("nowhere"), &broken).expect("symlink");
    let sub = d.join("pipe.txt");
    let made = std::process::Command::new("mkfifo")
        .arg(&sub)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let big = write(d, "big.txt", &vec![b'a'; 2048]);
    let files = vec![
        empty,
        blank,
        binary,
        nul,
        json_array,
        json_no_body,
        broken,
        sub,
        seed("001"),
    ];
    let v = ingest(db.path(), &files);
    assert_eq!(v.len(), files.len(), "one verdict per file");
    let reasons: Vec<(&str, &str)> = v
        .iter()
        .map(|x| {
            (
                x["status"].as_str().unwrap_or(""),
                x["reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let expect = [
        "empty",
        "empty",
        "PNG",
        "binary",
        "array",
        "\"body\"",
        "broken link",
        "pipe",
    ];
    for (i, want) in expect.iter().enumerate() {
        assert_eq!(
            reasons[i].0,
            "rejected",
            "{}: {:?}",
            files[i].display(),
            v[i]
        );
        assert!(
            reasons[i].1.contains(want),
            "{}: reason {:?} lacks {want:?}",
            files[i].display(),
            reasons[i].1
        );
    }
    assert_eq!(v[8]["status"], "unique", "the good file still lands");

    // Larger than max_file_bytes, set through a config file.
    let cfg = write(d, "small.toml", b"[limits]\nmax_file_bytes = 1024\n");
    let out = run(
        db.path(),
        &[
            "--config",
            &cfg.display().to_string(),
            "ingest",
            "--json",
            &big.display().to_string(),
        ],
    );
    let line = String::from_utf8_lossy(&out.stdout);
    assert!(
        line.contains("\"rejected\"") && line.contains("2048 bytes"),
        "{line}"
    );

    let stats = json_lines(db.path(), &["stats", "--json"]);
    assert_eq!(stats[0]["by_status"]["rejected"], 9);
    assert_eq!(
        stats[0]["articles"], 10,
        "rejections are stored too: nothing is lost"
    );
}

#[test]
fn other_encodings_are_read() {
    let db = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "Caf\u{e9} owners in Lima said on Monday that the price of coffee had doubled \
        since March, and that customers were buying less as a result of the increase.";
    let mut utf16le = vec![0xFF, 0xFE];
    utf16le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let mut utf16be = vec![0xFE, 0xFF];
    utf16be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    let mut bom8 = vec![0xEF, 0xBB, 0xBF];
    bom8.extend(text.as_bytes());
    let cp1252: Vec<u8> = text
        .chars()
        .map(|c| if c == '\u{e9}' { 0xE9 } else { c as u8 })
        .collect();
    let files = [
        write(dir.path(), "a.txt", text.as_bytes()),
        write(dir.path(), "b.txt", &utf16le),
        write(dir.path(), "c.txt", &utf16be),
        write(dir.path(), "d.txt", &bom8),
        write(dir.path(), "e.txt", &cp1252),
    ];
    let v = ingest(db.path(), &files);
    assert_eq!(v[0]["status"], "unique");
    for x in &v[1..] {
        assert_eq!(
            x["status"], "duplicate",
            "same text in another encoding: {x}"
        );
        assert_eq!(x["match"]["id"], v[0]["id"]);
    }
}

#[test]
fn json_articles_are_read() {
    let db = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let body = std::fs::read_to_string(seed("001")).expect("seed");
    let article = serde_json::json!({"title": "Humala on drug policy", "body": body, "url": "https://example.org/a", "source": "Desk"});
    let f = write(dir.path(), "a.json", article.to_string().as_bytes());
    let v = ingest(db.path(), &[seed("000"), f]);
    assert_eq!(v[1]["status"], "reprint", "{}", v[1]);
    assert_eq!(v[1]["title"], "Humala on drug policy");
    let shown = json_lines(db.path(), &["show", "--json", &v[1]["id"].to_string()]);
    assert_eq!(shown[0]["url"], "https://example.org/a");
    assert_eq!(shown[0]["source"], "Desk");
}

#[test]
fn a_locked_database_gets_a_clear_message() {
    let db = tempfile::tempdir().expect("tempdir");
    let _held = copydesk::store::Store::open(db.path(), 1 << 20, 1 << 16).expect("open");
    let out = run(db.path(), &["list"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("in use by another copydesk process"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn a_database_path_that_is_a_file_gets_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "not-a-folder", b"notes");
    let out = run(&file, &["stats"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("it is a file, not a folder"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert_eq!(std::fs::read(&file).expect("still there"), b"notes");
}

#[test]
fn bad_arguments_and_config_fail_with_one_line() {
    let db = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write(dir.path(), "bad.toml", b"[detect]\nreprint_min = 7\n");
    let out = run(db.path(), &["--config", &cfg.display().to_string(), "list"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("detect.reprint_min") && err.lines().count() == 1,
        "{err}"
    );
    ingest(db.path(), &[seed("000_")]);
    let out = run(db.path(), &["show", "999"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no article with id 999"));
}

#[test]
fn output_closed_by_its_reader_ends_quietly() {
    let db = tempfile::tempdir().expect("tempdir");
    ingest(db.path(), &[seed("000_"), seed("003_")]);
    let mut child = common::bin()
        .arg("--db")
        .arg(db.path())
        .args(["list", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    drop(child.stdout.take()); // as `copydesk list | head -0` would
    let out = child.wait_with_output().expect("waits");
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

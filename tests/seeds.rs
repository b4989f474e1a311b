//! The seed cases of the design card, in both arrival orders, through the real binary.

mod common;

use common::{ingest, seed};
use serde_json::Value;

fn status(v: &Value) -> &str {
    v["status"].as_str().expect("status is a string")
}

fn assert_flags(second: &Value, first: &Value, want: &[&str]) {
    assert!(
        want.contains(&status(second)),
        "expected {want:?}, got {second}"
    );
    assert_eq!(
        second["match"]["id"], first["id"],
        "match names the earlier article: {second}"
    );
    assert_eq!(
        second["match"]["file"], first["file"],
        "match.file is where it was ingested from"
    );
    let sim = second["match"]["similarity"].as_f64().expect("similarity");
    assert!((0.0..=1.0).contains(&sim));
}

#[test]
fn the_raw_page_and_the_clean_text_are_one_story_in_either_order() {
    for (a, b) in [("000", "001"), ("001", "000")] {
        let db = tempfile::tempdir().expect("tempdir");
        let v = ingest(db.path(), &[seed(a), seed(b)]);
        assert_eq!(status(&v[0]), "unique");
        assert_flags(&v[1], &v[0], &["reprint"]);
        assert!(v[1]["match"]["similarity"].as_f64() > Some(0.9), "{}", v[1]);
    }
}

#[test]
fn another_story_in_the_same_site_template_is_not_flagged() {
    for (a, b) in [("000", "003"), ("003", "000")] {
        let db = tempfile::tempdir().expect("tempdir");
        let v = ingest(db.path(), &[seed(a), seed(b)]);
        assert_eq!(status(&v[1]), "unique", "{} after {}: {}", b, a, v[1]);
        assert!(v[1]["match"].is_null());
    }
}

#[test]
fn pages_quoting_the_same_blurb_are_partial_reuse_in_either_order() {
    for (a, b) in [("002", "004"), ("004", "002")] {
        let db = tempfile::tempdir().expect("tempdir");
        let v = ingest(db.path(), &[seed(a), seed(b)]);
        assert_flags(&v[1], &v[0], &["partial"]);
    }
}

#[test]
fn all_five_in_either_order() {
    for order in [
        ["000", "001", "002", "003", "004"],
        ["004", "003", "002", "001", "000"],
    ] {
        let db = tempfile::tempdir().expect("tempdir");
        let files: Vec<_> = order.iter().map(|s| seed(s)).collect();
        let v = ingest(db.path(), &files);
        let by = |s: &str| &v[order.iter().position(|o| *o == s).expect("in order")];
        let second_of = |x: &str, y: &str| {
            let (px, py) = (
                order.iter().position(|o| *o == x),
                order.iter().position(|o| *o == y),
            );
            if px > py {
                (by(x), by(y))
            } else {
                (by(y), by(x))
            }
        };
        let (later, earlier) = second_of("000", "001");
        assert_flags(later, earlier, &["reprint"]);
        let (later, earlier) = second_of("002", "004");
        assert_flags(later, earlier, &["partial"]);
        assert_eq!(status(by("003")), "unique", "{order:?}: {}", by("003"));
    }
}

#[test]
fn ingesting_the_same_file_again_is_a_duplicate() {
    let db = tempfile::tempdir().expect("tempdir");
    let first = ingest(db.path(), &[seed("000"), seed("003")]);
    let again = ingest(db.path(), &[seed("000")]);
    assert_flags(&again[0], &first[0], &["duplicate"]);
}

#[test]
fn check_stores_nothing() {
    let db = tempfile::tempdir().expect("tempdir");
    ingest(db.path(), &[seed("000")]);
    let args = ["check", "--json", &seed("001").display().to_string()].map(str::to_owned);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let v = common::json_lines(db.path(), &args);
    assert_eq!(status(&v[0]), "reprint");
    assert!(v[0]["id"].is_null());
    let listed = common::json_lines(db.path(), &["list", "--json"]);
    assert_eq!(listed.len(), 1, "check stored nothing");
}

#[test]
fn json_is_asked_for_before_or_after_the_command() {
    let db = tempfile::tempdir().expect("tempdir");
    ingest(db.path(), &[seed("000")]);
    let before = common::json_lines(db.path(), &["--json", "list"]);
    let after = common::json_lines(db.path(), &["list", "--json"]);
    assert_eq!(before, after);
    assert_eq!(before[0]["triage"]["state"], "new", "untriaged reads new");
    let plain = common::run(db.path(), &["list"]);
    assert!(
        serde_json::from_slice::<Value>(&plain.stdout).is_err(),
        "without --json, lines for people"
    );
}

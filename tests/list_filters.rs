//! `list --source/--file/--since`, `show PATH`, RFC 3339 times beside the milliseconds and
//! derived titles without a display ellipsis, through the real binary.

mod common;

use common::{bin, json_lines, run, seed};
use serde_json::Value;
use std::path::Path;

fn ids(lines: &[Value]) -> Vec<u64> {
    lines
        .iter()
        .map(|v| v["id"].as_u64().expect("an id"))
        .collect()
}

/// Three articles in three files under `dir`: two JSON files naming their publisher, and a
/// plain text file with no title of its own.
fn three(dir: &Path) -> Vec<String> {
    let article = |seed_prefix: &str, source: &str| {
        let body = std::fs::read_to_string(seed(seed_prefix)).expect("seed");
        serde_json::json!({"title": format!("A story from {source}"), "body": body, "source": source})
            .to_string()
    };
    std::fs::create_dir_all(dir.join("desk")).expect("mkdir");
    std::fs::create_dir_all(dir.join("wire")).expect("mkdir");
    let files = [
        (dir.join("desk/peru.json"), article("002", "Desk Weekly")),
        (dir.join("wire/other.json"), article("004", "Wire Service")),
        (
            dir.join("wire/plain.txt"),
            "the river council voted on tuesday to close the old bridge to lorries after \
             engineers found cracks in two of its piers, a decision that traders in the market \
             town say will cost them dearly through the winter months ahead of the elections."
                .to_owned(),
        ),
    ];
    files
        .iter()
        .map(|(path, text)| {
            std::fs::write(path, text).expect("write");
            path.display().to_string()
        })
        .collect()
}

#[test]
fn list_filters_by_source_file_and_time() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = tmp.path().join("db");
    let files = three(&tmp.path().join("in"));
    let mut stored = Vec::new();
    for f in &files {
        // One run each, so each has its own ingest time.
        stored.extend(json_lines(&db, &["ingest", "--json", f]));
    }
    let all = ids(&stored);
    assert_eq!(all.len(), 3, "{stored:?}");

    let list = |args: &[&str]| {
        let mut a = vec!["list", "--json"];
        a.extend_from_slice(args);
        ids(&json_lines(&db, &a))
    };
    assert_eq!(
        list(&["--source", "desk weekly"]),
        [all[0]],
        "case-insensitive"
    );
    assert_eq!(list(&["--source", "WIRE SERVICE"]), [all[1]]);
    assert_eq!(
        list(&["--source", "wire"]),
        Vec::<u64>::new(),
        "the whole name"
    );
    assert_eq!(list(&["--file", "/wire/"]), [all[2], all[1]]);
    assert_eq!(
        list(&["--file", "plain.txt", "--source", "wire service"]),
        Vec::<u64>::new()
    );
    assert_eq!(
        list(&["--file", "/wire/", "--before", &all[2].to_string()]),
        [all[1]]
    );

    // --since: every article ingested at or after the time given, as RFC 3339 (the second
    // article's own time, read back from its record) or as a duration.
    let records = json_lines(&db, &["list", "--json"]);
    let second = records
        .iter()
        .find(|r| r["id"] == all[1])
        .expect("the second record");
    let since = second["ingested_at"]
        .as_str()
        .expect("ingested_at")
        .to_owned();
    let since_ms = second["ingested_ms"].as_u64().expect("ingested_ms");
    let want: Vec<u64> = records
        .iter()
        .filter(|r| r["ingested_ms"].as_u64().expect("ms") >= since_ms)
        .map(|r| r["id"].as_u64().expect("id"))
        .collect();
    assert!(want.contains(&all[1]) && want.contains(&all[2]), "{want:?}");
    assert_eq!(list(&["--since", &since]), want);
    assert_eq!(list(&["--since", "1w"]), [all[2], all[1], all[0]]);
    assert_eq!(list(&["--since", "2000-01-01T01:00:00+01:00"]).len(), 3);
    assert_eq!(
        list(&["--since", "2999-01-01T00:00:00Z"]),
        Vec::<u64>::new()
    );

    let bad = run(&db, &["list", "--since", "yesterday"]);
    assert_eq!(bad.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("RFC 3339"));
}

#[test]
fn show_finds_an_article_by_the_path_it_came_from() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = tmp.path().join("db");
    let inbox = tmp.path().join("in");
    let files = three(&inbox);
    let stored = json_lines(&db, &["ingest", "--json", &files[0], &files[1], &files[2]]);
    let all = ids(&stored);

    let show = |cwd: &Path, article: &str| {
        let out = bin()
            .current_dir(cwd)
            .arg("--db")
            .arg(&db)
            .args(["show", "--json", article])
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "show {article}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        v["id"].as_u64().expect("id")
    };
    assert_eq!(show(tmp.path(), &files[1]), all[1], "the path as stored");
    assert_eq!(show(&inbox, "wire/plain.txt"), all[2], "relative to here");
    assert_eq!(show(&inbox.join("wire"), "./plain.txt"), all[2]);
    assert_eq!(show(tmp.path(), &all[0].to_string()), all[0], "an id");
    assert_eq!(show(tmp.path(), &format!("#{}", all[0])), all[0]);

    let missing = run(&db, &["show", "/no/such/file.txt"]);
    assert_eq!(missing.status.code(), Some(1));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("no article was ingested from '/no/such/file.txt'"),
        "{err}"
    );
}

#[test]
fn times_come_as_rfc3339_too_and_derived_titles_carry_no_ellipsis() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = tmp.path().join("db");
    let files = three(&tmp.path().join("in"));
    let v = json_lines(&db, &["ingest", "--json", &files[2]]);
    let id = v[0]["id"].to_string();
    assert_eq!(
        v[0]["title"],
        "the river council voted on tuesday to close the old bridge to"
    );
    json_lines(&db, &["triage", "--json", &id, "picked"]);
    let shown = &json_lines(&db, &["show", "--json", &id])[0];
    assert!(!shown["title"].as_str().expect("title").contains('…'));
    let check = |at: &Value, ms: &Value| {
        let at = at.as_str().expect("an RFC 3339 string");
        let ms = ms.as_u64().expect("milliseconds");
        assert_eq!(at, copydesk::model::rfc3339(ms));
        assert!(at.ends_with('Z') && at.contains('T'), "{at}");
    };
    check(&shown["ingested_at"], &shown["ingested_ms"]);
    check(&shown["triage"]["at"], &shown["triage"]["at_ms"]);
    for e in json_lines(&db, &["tail", "--json", "--after", "0"]) {
        check(&e["at"], &e["at_ms"]);
    }
}

#[test]
fn a_file_the_daemon_moved_is_named_where_it_is_now() {
    use common::daemon::{wait_until, Daemon};
    let d = Daemon::new("after_ingest = \"move\"").start();
    let command = |args: &[&str]| {
        let out = bin()
            .arg("--config")
            .arg(&d.config)
            .args(args)
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("JSON"))
            .collect::<Vec<_>>()
    };
    let arrived = d.inbox.join("000.txt");
    std::fs::copy(seed("000"), &arrived).expect("copy");
    let done = d.inbox.join("done/000.txt");
    let done_text = done.display().to_string();
    // The move and then its record: waited for as conditions, with a generous deadline.
    assert!(
        wait_until(|| command(&["list", "--json"])
            .first()
            .is_some_and(|r| r["location"] == done_text.as_str())),
        "the record never named {done_text}: {:?}\n{}",
        command(&["list", "--json"]),
        d.log()
    );
    assert!(done.exists() && !arrived.exists());
    let listed = &command(&["list", "--json"])[0];
    assert_eq!(listed["file"], arrived.display().to_string().as_str());
    let by_old = &command(&["show", "--json", &arrived.display().to_string()])[0];
    let by_new = &command(&["show", "--json", &done_text])[0];
    assert_eq!(by_old["id"], listed["id"]);
    assert_eq!(by_new["id"], listed["id"]);
    assert_eq!(by_new["location"], done_text.as_str());
}

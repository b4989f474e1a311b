//! Batch ingest from the command line as scripts use it: a re-run stores nothing twice and says
//! so, in this process and through a daemon alike, and a run killed midway has printed only
//! what landed and is finished by running it again.

mod common;

use common::daemon::Daemon;
use copydesk::model::{Request, Response};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

/// Words to build distinct synthetic articles from.
const WORDS: &[&str] = &[
    "harbour",
    "council",
    "budget",
    "river",
    "station",
    "market",
    "school",
    "bridge",
    "mayor",
    "report",
    "weather",
    "festival",
    "police",
    "hospital",
    "railway",
    "museum",
    "election",
    "farmers",
    "teachers",
    "tourists",
    "storm",
    "library",
    "court",
    "factory",
    "airport",
    "minister",
    "village",
    "ferry",
    "stadium",
    "garden",
    "workers",
    "prices",
    "plans",
    "voted",
    "opened",
    "closed",
    "rose",
    "fell",
    "delayed",
    "approved",
    "warned",
    "announced",
    "said",
];

/// `n` files of a few sentences each, every one its own story (a seeded generator, so runs
/// repeat).
fn write_articles(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).expect("folder");
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for i in 0..n {
        let mut text = format!("Story number {i}\n\n");
        for _ in 0..4 {
            let words: Vec<&str> = (0..18)
                .map(|_| WORDS[(next() % WORDS.len() as u64) as usize])
                .collect();
            text.push_str(&format!("Item {i}: {}.\n\n", words.join(" ")));
        }
        std::fs::write(dir.join(format!("a{i:05}.txt")), text).expect("write");
    }
}

fn lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// Every stored article's file, with how many records name it.
fn stored_files(args: &[&str]) -> BTreeMap<String, usize> {
    let out = common::bin()
        .args(args)
        .args(["list", "--json", "--limit", "0"])
        .output()
        .expect("list runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files = BTreeMap::new();
    for r in lines(&out.stdout) {
        let file = r["file"].as_str().expect("file").to_owned();
        *files.entry(file).or_insert(0) += 1;
    }
    files
}

/// Ingests `dir` twice with `args` (naming the database or config) and checks the second run.
fn twice(args: &[&str], dir: &Path, n: usize) {
    let run = || {
        let out = common::bin()
            .args(args)
            .args(["ingest", "--json"])
            .arg(dir)
            .output()
            .expect("ingest runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Standard error is no terminal here: no progress bar.
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains('\r') && !err.contains(" files"), "{err}");
        lines(&out.stdout)
    };
    let first = run();
    assert_eq!(first.len(), n);
    assert!(first.iter().all(|v| v.get("again").is_none()), "{first:?}");
    let second = run();
    assert_eq!(second.len(), n, "one line per file again");
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(b["again"], true, "{b}");
        assert_eq!(a["id"], b["id"], "the stored id is reported");
        assert_eq!(a["status"], b["status"]);
        assert_eq!(a["file"], b["file"]);
    }
    let stored = stored_files(args);
    assert_eq!(stored.len(), n, "nothing stored the second time");
    assert!(stored.values().all(|&k| k == 1));
}

#[test]
fn ingesting_a_folder_twice_stores_nothing_the_second_time() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("in");
    write_articles(&dir, 40);
    let db = tmp.path().join("db").display().to_string();
    twice(&["--db", &db], &dir, 40);
    // A changed file is new again; the others stay as they were.
    let changed = dir.join("a00003.txt");
    let mut text = std::fs::read_to_string(&changed).expect("read");
    text.push_str("A correction was added later.\n");
    std::fs::write(&changed, text).expect("write");
    let out = common::bin()
        .args(["--db", &db, "ingest", "--json"])
        .arg(&dir)
        .output()
        .expect("ingest runs");
    let third = lines(&out.stdout);
    let fresh: Vec<&Value> = third.iter().filter(|v| v["again"] != true).collect();
    assert_eq!(fresh.len(), 1, "{third:?}");
    assert!(fresh[0]["file"]
        .as_str()
        .expect("file")
        .ends_with("a00003.txt"));
}

#[test]
fn ingesting_a_folder_twice_through_a_daemon_stores_nothing_the_second_time() {
    let d = Daemon::new("").start();
    // The daemon reads only inside its inbox; a sub-folder of it is never watched.
    let dir = d.inbox.join("requests/batch");
    write_articles(&dir, 40);
    let config = d.config.display().to_string();
    twice(&["--config", &config], &dir, 40);
    assert_eq!(d.stats().articles, 40);
    // A streamed ingest hears every verdict in `progress` replies before the reply itself.
    let more = d.inbox.join("requests/more");
    write_articles(&more, 10);
    let mut heard = Vec::new();
    let request = Request::Ingest {
        paths: vec![more.display().to_string()],
    };
    let reply = d
        .client()
        .call_streaming(request, &mut |v| heard.extend(v))
        .expect("ingest");
    let Response::Verdicts { verdicts } = reply else {
        panic!("unexpected {reply:?}");
    };
    assert_eq!(heard, verdicts, "every verdict streamed, in order");
    assert_eq!(d.stats().articles, 50);
}

#[test]
fn kill_9_of_an_ingest_then_a_rerun_stores_every_file_exactly_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("in");
    let n = 3000;
    write_articles(&dir, n);
    let db = tmp.path().join("db").display().to_string();
    let mut child = common::bin()
        .args(["--db", &db, "ingest", "--json"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ingest starts");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    // Killed once the first verdicts are out: those files, at least, have landed.
    let mut printed = Vec::new();
    let mut line = String::new();
    while printed.is_empty() && out.read_line(&mut line).expect("read") > 0 {
        printed.push(serde_json::from_str::<Value>(&line).expect("a JSON verdict"));
        line.clear();
    }
    child.kill().expect("kill -9");
    let _ = child.wait();
    // What it printed before it died counts too.
    while out.read_line(&mut line).unwrap_or(0) > 0 {
        if let Ok(v) = serde_json::from_str::<Value>(&line) {
            printed.push(v);
        }
        line.clear();
    }
    assert!(!printed.is_empty(), "verdicts are printed as they land");
    eprintln!("the killed run printed {} of {n} verdicts", printed.len());

    let rerun = common::bin()
        .args(["--db", &db, "ingest", "--json"])
        .arg(&dir)
        .output()
        .expect("ingest runs");
    assert!(
        rerun.status.success(),
        "{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    let rerun = lines(&rerun.stdout);
    assert_eq!(rerun.len(), n);
    let by_file: BTreeMap<&str, &Value> = rerun
        .iter()
        .map(|v| (v["file"].as_str().expect("file"), v))
        .collect();
    for v in &printed {
        let again = by_file[v["file"].as_str().expect("file")];
        assert_eq!(again["again"], true, "a printed verdict had landed: {v}");
        assert_eq!(again["id"], v["id"]);
    }
    let stored = stored_files(&["--db", &db]);
    assert_eq!(stored.len(), n, "every file stored");
    assert!(stored.values().all(|&k| k == 1), "and none twice");
}

//! The JSON contract: every field of every JSON line the binary prints is listed in
//! docs/json.md, and every field listed there is printed. Runs the real binary on lines that
//! show every field (a match, a rejection, a re-ingest, a triage with a note).

mod common;

use common::{run, seed};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Per section of docs/json.md (its heading up to the colon): the documented fields, and the
/// ones whose type is a map (their keys are data, not fields).
fn documented() -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json.md"))
        .expect("docs/json.md");
    let mut out: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let mut section = None;
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            section = Some(h.split(':').next().unwrap_or(h).trim().to_owned());
            continue;
        }
        let (Some(s), Some(row)) = (&section, line.strip_prefix("| `")) else {
            continue;
        };
        let field = row.split('`').next().expect("a field name").to_owned();
        let kind = row.split('|').nth(1).unwrap_or("").trim().to_owned();
        let entry = out.entry(s.clone()).or_default();
        if kind.starts_with("map") {
            entry.1.insert(field.clone());
        }
        entry.0.insert(field);
    }
    out
}

/// The dotted paths of every field of `v`, not looking inside maps.
fn fields(v: &Value, prefix: &str, maps: &BTreeSet<String>, out: &mut BTreeSet<String>) {
    let Some(obj) = v.as_object() else { return };
    for (k, x) in obj {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if x.is_object() && !maps.contains(&path) {
            fields(x, &path, maps, out);
        }
        out.insert(path);
    }
}

fn lines(db: &Path, args: &[&str]) -> Vec<Value> {
    let out = run(db, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn the_documented_fields_are_exactly_what_the_binary_prints() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = tmp.path().join("db");
    let empty = tmp.path().join("empty.txt");
    std::fs::write(&empty, "").expect("write");
    let (first, second) = (
        seed("000").display().to_string(),
        seed("001").display().to_string(),
    );
    let empty = empty.display().to_string();
    let mut printed: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    let verdicts = printed.entry("Verdict").or_default();
    verdicts.extend(lines(&db, &["ingest", "--json", &first, &second, &empty]));
    verdicts.extend(lines(&db, &["ingest", "--json", &first]));
    verdicts.extend(lines(&db, &["check", "--json", &second]));
    let triaged = lines(
        &db,
        &["triage", "--json", "2", "picked", "--note", "wire copy"],
    );
    let records = printed.entry("Record").or_default();
    records.extend(triaged);
    records.extend(lines(&db, &["list", "--json"]));
    printed.insert("Detail", lines(&db, &["show", "--json", "2"]));
    printed.insert("Stats", lines(&db, &["stats", "--json"]));
    for e in lines(&db, &["tail", "--json", "--after", "0"]) {
        let kind = match e["event"].as_str() {
            Some("verdict") => "Verdict event",
            Some("triage") => "Triage event",
            other => panic!("an event of kind {other:?}: {e}"),
        };
        printed.entry(kind).or_default().push(e);
    }

    // An export of that database (a rejection, a match, a triage with a note) and its import.
    let export = tmp.path().join("export.jsonl");
    let out = run(&db, &["export", "-o", export.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported: Vec<Value> = std::fs::read_to_string(&export)
        .expect("export")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    printed.insert("Export", exported);
    let again = tmp.path().join("again");
    printed.insert(
        "Import",
        lines(
            &again,
            &["import", "--json", export.to_str().expect("utf-8")],
        ),
    );

    let docs = documented();
    assert_eq!(
        docs.keys().map(String::as_str).collect::<Vec<_>>(),
        {
            let mut kinds: Vec<&str> = printed.keys().copied().collect();
            kinds.sort_unstable();
            kinds
        },
        "docs/json.md has one section per kind of line"
    );
    for (kind, values) in &printed {
        let (want, maps) = &docs[*kind];
        let mut got = BTreeSet::new();
        for v in values {
            fields(v, "", maps, &mut got);
        }
        let undocumented: Vec<_> = got.difference(want).collect();
        let never_printed: Vec<_> = want.difference(&got).collect();
        assert!(
            undocumented.is_empty() && never_printed.is_empty(),
            "{kind}: printed but not in docs/json.md: {undocumented:?}; \
             documented but never printed: {never_printed:?}"
        );
    }
}

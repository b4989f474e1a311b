//! The engine's text search with the index: `Engine::list` answers exactly what a scan of every
//! article answers, and a reopened engine keeps its index and rebuilds a damaged one.

use crate::config::Settings;
use crate::engine::files::input_from;
use crate::engine::Engine;
use crate::model::{ArticleId, ListQuery};
use crate::text::normalize::normalize;
use proptest::prelude::*;
use std::time::{Duration, Instant};

/// Words the random articles and queries are made of: case, accents (composed and not), curly
/// quotes, dashes, ligatures, CJK, numbers with separators.
const VOCAB: &[&str] = &[
    "bridge",
    "Bridges",
    "cambridge",
    "BRIDGE",
    "river",
    "council",
    "Peru\u{2019}s",
    "peru's",
    "caf\u{e9}",
    "cafe\u{301}",
    "\u{201c}tough\u{201d}",
    "\u{fb01}nal",
    "final",
    "2,000",
    "u.s.",
    "\u{4e2d}\u{56fd}",
    "\u{56fd}\u{4eba}",
    "state\u{2014}run",
    "e-mail",
    "x",
    "don't",
    "vote",
];
const SOURCES: &[&str] = &["Gazette", "gazette", "The Post", "", "Caf\u{e9} News"];

fn article(words: &[usize], title: &[usize], source: usize) -> Vec<u8> {
    let pick = |ws: &[usize]| -> Vec<&str> { ws.iter().map(|&w| VOCAB[w % VOCAB.len()]).collect() };
    let body: Vec<String> = pick(words).chunks(5).map(|c| c.join(" ")).collect();
    serde_json::json!({
        "title": pick(title).join(" "),
        "body": body.join("\n\n"),
        "source": SOURCES[source % SOURCES.len()],
    })
    .to_string()
    .into_bytes()
}

/// The definition of a match, written out independently of the engine: every white-space word
/// of the normalised query occurs in the normalised title or in a normalised paragraph.
/// The ids `Engine::list` answers, in its order.
fn listed(engine: &Engine, q: &ListQuery) -> Vec<ArticleId> {
    engine
        .list(q)
        .expect("list")
        .0
        .iter()
        .map(|r| r.id)
        .collect()
}

fn scan(engine: &Engine, q: &ListQuery) -> Vec<ArticleId> {
    let words: Vec<String> = q
        .text
        .as_deref()
        .map(|t| normalize(t).split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    let source = q.source.as_deref().map(normalize);
    let mut out = Vec::new();
    for r in engine.store().records_rev(q.after, q.before) {
        let r = r.expect("record");
        if source
            .as_deref()
            .is_some_and(|s| normalize(r.source.as_deref().unwrap_or("")) != s)
        {
            continue;
        }
        let detail = engine.show(r.id).expect("show");
        let mut texts = vec![normalize(&r.title)];
        texts.extend(detail.paragraphs.iter().map(|p| normalize(p)));
        if words
            .iter()
            .all(|w| texts.iter().any(|t| t.contains(w.as_str())))
        {
            out.push(r.id);
        }
        if q.limit.is_some_and(|n| out.len() >= n) {
            break;
        }
    }
    out
}

fn engine_in(dir: &std::path::Path) -> Engine {
    Engine::open(Settings {
        db: dir.join("db"),
        ..Settings::default()
    })
    .expect("open")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn listing_with_the_index_answers_what_the_scan_answers(
        docs in prop::collection::vec(
            (prop::collection::vec(0usize..64, 0..12), prop::collection::vec(0usize..64, 0..3), 0usize..8),
            1..40),
        queries in prop::collection::vec(
            (prop::collection::vec(0usize..40, 1..3), 0usize..8, 0usize..5, 0usize..5, 0usize..6),
            1..12),
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut engine = engine_in(dir.path());
        let inputs: Vec<_> = docs
            .iter()
            .enumerate()
            .map(|(i, (w, t, s))| input_from(&format!("{i}.json"), article(w, t, *s)))
            .collect();
        // Two calls, so that the index may cover the first while the second is scanned.
        let half = inputs.len() / 2;
        engine.ingest(&inputs[..half], 0).expect("ingest");
        engine.ingest(&inputs[half..], 0).expect("ingest");
        let last = engine.store().next_id().expect("next") - 1;
        for wait in [false, true] {
            if wait {
                let deadline = Instant::now() + Duration::from_secs(120);
                let search = engine.search().expect("indexer");
                prop_assert!(search.wait_covered(last, deadline), "{:?}", search.failure());
            }
            for (ws, source, after, before, limit) in &queries {
                // Query words: vocabulary words, their pieces, and punctuation alone.
                let text: Vec<String> = ws
                    .iter()
                    .map(|&w| match w {
                        w if w < VOCAB.len() => VOCAB[w].to_owned(),
                        w if w < 34 => VOCAB[w % VOCAB.len()].chars().skip(1).take(3).collect(),
                        36 => "-".to_owned(),
                        _ => "'".to_owned(),
                    })
                    .collect();
                let q = ListQuery {
                    text: Some(text.join(" ")),
                    source: (*source < SOURCES.len()).then(|| SOURCES[*source].to_owned()),
                    after: (*after > 0).then(|| (*after as u64 * 3).min(last)),
                    before: (*before > 0).then(|| last + 1 - (*before as u64 * 3).min(last)),
                    limit: (*limit > 0).then_some(*limit * 2),
                    ..ListQuery::default()
                };
                let got = listed(&engine, &q);
                prop_assert_eq!(got, scan(&engine, &q), "query {:?}", q);
            }
        }
    }
}

#[test]
fn a_reopened_engine_keeps_its_index_and_rebuilds_a_damaged_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let inputs: Vec<_> = (0..30)
        .map(|i| {
            input_from(
                &format!("{i}.json"),
                article(&[i, i + 1, i * 7], &[i + 3], i),
            )
        })
        .collect();
    let deadline = || Instant::now() + Duration::from_secs(120);
    let q = ListQuery {
        text: Some("bridge".into()),
        ..ListQuery::default()
    };
    let want = {
        let mut engine = engine_in(dir.path());
        engine.ingest(&inputs, 0).expect("ingest");
        let search = engine.search().expect("indexer");
        assert!(
            search.wait_covered(30, deadline()),
            "{:?}",
            search.failure()
        );
        scan(&engine, &q)
    };
    assert!(!want.is_empty());
    let manifest = dir
        .path()
        .join("db")
        .join(crate::search::DIR)
        .join("manifest");
    assert!(
        manifest.exists(),
        "closing writes what the indexer held in memory"
    );
    for damage in [false, true] {
        if damage {
            std::fs::write(&manifest, "copydesk search index 1\nnot a segment\n").expect("write");
        }
        let engine = engine_in(dir.path());
        let search = engine.search().expect("indexer");
        assert!(
            search.wait_covered(30, deadline()),
            "{:?}",
            search.failure()
        );
        let got = listed(&engine, &q);
        assert_eq!(got, want, "damaged: {damage}");
    }
}

#[test]
fn the_index_starts_at_the_first_text_query_not_at_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("db").join(crate::search::DIR);
    let inputs: Vec<_> = (0..5)
        .map(|i| input_from(&format!("{i}.json"), article(&[i, i + 1], &[i], i)))
        .collect();
    {
        // A one-off command's engine: ingest, list and count without text.
        let mut engine = engine_in(dir.path());
        engine.ingest(&inputs, 0).expect("ingest");
        let all = engine.list(&ListQuery::default()).expect("list").0;
        assert_eq!(all.len(), 5);
    }
    assert!(
        !folder.exists(),
        "no text query, so the index was never opened"
    );
    let engine = engine_in(dir.path());
    let q = ListQuery {
        text: Some("bridge".into()),
        ..ListQuery::default()
    };
    // Answered at once (by the scan while the index catches up), then by the index.
    let want = scan(&engine, &q);
    assert!(!want.is_empty());
    assert_eq!(engine.list(&q).expect("list").0.len(), want.len());
    let search = engine.search().expect("indexer");
    let deadline = Instant::now() + Duration::from_secs(120);
    assert!(search.wait_covered(5, deadline), "{:?}", search.failure());
    assert!(folder.exists());
    let got = listed(&engine, &q);
    assert_eq!(got, want);
}

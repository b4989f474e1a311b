//! The stored encoding, frozen per schema version: a record in every triage state, an event group,
//! path identities, a fingerprint, a content value, a story's words kept for verification and a site's template are
//! encoded and compared
//! with the golden file of `SCHEMA_VERSION`, then decoded back to the same domain values. A change
//! of any field name, text form or byte layout fails here; if it is meant, bump `SCHEMA_VERSION`
//! (with an upgrade of older databases, or a reason they read alike) and add the new golden file.
//! Older golden files stay: what a newer schema reads of them as they are is tested too.

use super::*;
use crate::model::{BlockInfo, TriageState};
use crate::store::codec::{self, Content, FpRecord, StoryTokens};
use crate::store::SCHEMA_VERSION;

fn record(id: ArticleId, triage: model::Triage) -> model::ArticleRecord {
    model::ArticleRecord {
        id,
        file: format!("/in/{id}.txt"),
        location: None,
        status: model::Status::Reprint,
        title: "Council closes the bridge".into(),
        matched: Some(model::MatchRef {
            id: 1,
            file: "/in/1.txt".into(),
            similarity: 0.75,
        }),
        reason: None,
        story: 1,
        source: Some("Wire".into()),
        url: None,
        published: Some("2024-05-01".into()),
        words: 120,
        size: 2048,
        ingested_ms: 1_700_000_000_000,
        triage,
    }
}

fn by_ana(state: TriageState) -> model::Triage {
    model::Triage {
        state,
        by: Some("ana".into()),
        at_ms: Some(1_700_000_000_500),
        note: (state == TriageState::Spiked).then(|| "wire copy".into()),
        overruled: None,
    }
}

fn records() -> Vec<model::ArticleRecord> {
    let mut out = vec![record(2, model::Triage::default())];
    for (i, state) in [
        TriageState::New,
        TriageState::Picked,
        TriageState::Spiked,
        TriageState::NotReprint,
        TriageState::ReprintOf(1),
    ]
    .into_iter()
    .enumerate()
    {
        out.push(record(3 + i as u64, by_ana(state)));
    }
    out
}

fn events() -> Vec<model::Event> {
    let r = record(2, model::Triage::default());
    vec![
        model::Event {
            seq: 5,
            at_ms: 1_700_000_001_000,
            kind: model::EventKind::Verdict {
                verdict: model::Verdict::of(&r),
            },
        },
        model::Event {
            seq: 6,
            at_ms: 1_700_000_002_000,
            kind: model::EventKind::Triage {
                id: 2,
                triage: by_ana(TriageState::ReprintOf(1)),
                status: model::Status::Reprint,
                matched: r.matched,
            },
        },
    ]
}

fn paths() -> Vec<PathEntry> {
    vec![
        PathEntry {
            id: 2,
            size: 2048,
            mtime_ns: Some(1_700_000_000_123_456_789),
            content_hash: Some(0x0123_4567_89ab_cdef),
        },
        // A file that could not be read: no content hash.
        PathEntry {
            id: 3,
            size: 0,
            mtime_ns: Some(1_700_000_000_000_000_000),
            content_hash: None,
        },
    ]
}

fn fp() -> FpRecord {
    FpRecord {
        simhash: 0xfeed_beef_0000_0001,
        exact: 42,
        anchors: vec![1, u64::MAX],
    }
}

fn content() -> Content {
    Content {
        blocks: vec![
            BlockInfo {
                hash: 7,
                words: 12,
                kept: true,
                prose: true,
            },
            BlockInfo {
                hash: 8,
                words: 3,
                kept: false,
                prose: false,
            },
        ],
        paragraphs: vec!["The council voted.".into(), "Traders object.".into()],
        site: 0x5173_0000_0000_0001,
    }
}

/// What the record of the article of `content()` keeps of its words (with the content's site and blocks).
fn story_tokens() -> StoryTokens {
    let c = content();
    StoryTokens {
        exact: 0x0123_4567_89ab_cdef,
        site: c.site,
        blocks: c.blocks,
        tokens: "the council voted traders object".into(),
    }
}

/// A site's learned template (`templates` tree): when it last learned, then its blocks.
fn site_template() -> (u64, u64, Vec<u64>) {
    (0x5173_0000_0000_0001, 9, vec![8, 11])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every stored value of the samples, one `name value` line each.
fn encoded() -> Vec<String> {
    let mut out = Vec::new();
    for r in records() {
        let json = serde_json::to_string(&Record::from(&r)).expect("serialises");
        out.push(format!("articles/{} {json}", r.id));
    }
    let group: Vec<Event> = events().iter().map(Into::into).collect();
    out.push(format!(
        "events/6 {}",
        serde_json::to_string(&group).expect("serialises")
    ));
    for p in paths() {
        let json = serde_json::to_string(&Path::from(&p)).expect("serialises");
        out.push(format!("paths/{} {json}", p.id));
    }
    let t = story_tokens();
    let fp = codec::encode_fp(&fp());
    let content = codec::encode_content(&content(), usize::MAX);
    let words = codec::encode_story_words(t.exact, &t.tokens, &content_text());
    let parts = codec::ArticleParts {
        fp: Some(&fp),
        content: Some(&content),
        words: Some(&words),
    };
    out.push(format!("stories/2 {}", hex(&codec::encode_article(parts))));
    let (site, stamp, blocks) = site_template();
    out.push(format!(
        "templates/{site:x} {}",
        hex(&codec::encode_site(stamp, &blocks))
    ));
    out
}

fn golden() -> &'static str {
    match SCHEMA_VERSION {
        4 => include_str!("golden-v4.txt"),
        5 => include_str!("golden-v5.txt"),
        6 => include_str!("golden-v6.txt"),
        7 => include_str!("golden-v7.txt"),
        8 => include_str!("golden-v8.txt"),
        v => panic!("no golden file for schema {v}: add golden-v{v}.txt beside the others"),
    }
}

#[test]
fn encoding_matches_the_golden_file() {
    let got = encoded();
    let want: Vec<&str> = golden().lines().collect();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(
            g,
            w,
            "line {} differs from golden-v{SCHEMA_VERSION}.txt",
            i + 1
        );
    }
    assert_eq!(
        got.len(),
        want.len(),
        "the golden file has {} lines; the samples make {}:\n{}",
        want.len(),
        got.len(),
        got.join("\n")
    );
}

#[test]
fn golden_values_decode_to_the_domain_values() {
    let lines: Vec<(&str, &str)> = golden()
        .lines()
        .map(|l| l.split_once(' ').expect("name value"))
        .collect();
    let value = |name: &str| {
        lines
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("{name} in the golden file"))
    };
    for r in records() {
        let stored: Record =
            serde_json::from_str(value(&format!("articles/{}", r.id))).expect("parses");
        assert_eq!(stored.into_model().expect("converts"), r);
    }
    let group: Vec<Event> = serde_json::from_str(value("events/6")).expect("parses");
    let group: Vec<model::Event> = group
        .into_iter()
        .map(|e| e.into_model().expect("converts"))
        .collect();
    assert_eq!(group, events());
    for p in paths() {
        let stored: Path = serde_json::from_str(value(&format!("paths/{}", p.id))).expect("parses");
        assert_eq!(PathEntry::from(stored), p);
    }
    let record = unhex(value("stories/2"));
    let parts = codec::split_article(&record).expect("splits");
    assert_eq!(parts.fp.and_then(codec::decode_fp), Some(fp()));
    assert_eq!(
        parts.content.and_then(codec::decode_content),
        Some(content())
    );
    let words = parts.words.expect("the words");
    assert_eq!(
        codec::decode_stored_story_tokens(words, parts.content),
        Some(story_tokens())
    );
    let (site, stamp, blocks) = site_template();
    assert_eq!(
        codec::decode_site(&unhex(value(&format!("templates/{site:x}")))),
        Some((stamp, blocks))
    );
}

/// The story's text as the content record keeps it.
fn content_text() -> String {
    content().paragraphs.join("\n")
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Schema 4 reads schema 3's content records as they are (`engine/upgrade.rs` rewrites none):
/// the frozen bytes of golden-v3.txt decode to the same blocks and story, with no site and the
/// prose flag derived from the word counts (neither sample block is long enough for prose).
#[test]
fn schema_3_content_reads_as_documented() {
    let line = include_str!("golden-v3.txt")
        .lines()
        .find_map(|l| l.strip_prefix("content/2 "))
        .expect("a content line");
    let c = codec::decode_content(&unhex(line)).expect("decodes");
    let want = content();
    assert_eq!(c.site, 0);
    assert_eq!(c.paragraphs, want.paragraphs);
    let blocks: Vec<(u64, u32, bool, bool)> = c
        .blocks
        .iter()
        .map(|b| (b.hash, b.words, b.kept, b.prose))
        .collect();
    assert_eq!(blocks, [(7, 12, true, false), (8, 3, false, false)]);
}

#[test]
fn records_written_before_triage_existed_read_as_untouched() {
    let mut json: serde_json::Value =
        serde_json::to_value(Record::from(&records()[0])).expect("serialises");
    json.as_object_mut().expect("an object").remove("triage");
    let stored: Record = serde_json::from_value(json).expect("parses");
    let r = stored.into_model().expect("converts");
    assert_eq!(r.triage, model::Triage::default());
    assert!(!r.triage.is_set());
}

#[test]
fn an_unknown_stored_triage_state_is_reported_as_corrupt() {
    let line = golden()
        .lines()
        .find(|l| l.contains(r#""state":"picked""#))
        .expect("a picked record");
    let (_, json) = line.split_once(' ').expect("name value");
    let bad = json.replace(r#""state":"picked""#, r#""state":"maybe""#);
    let stored: Record = serde_json::from_str(&bad).expect("parses");
    let err = stored.into_model().expect_err("not a state");
    assert!(err.to_string().contains("'maybe'"), "{err}");
}

#[test]
fn schema_5_shingle_records_still_decode() {
    // Schema 6 reads the records schema 5 wrote (the words compressed on their own) as they are.
    let line = include_str!("golden-v5.txt")
        .lines()
        .find_map(|l| l.strip_prefix("shingles/2 "))
        .expect("a shingle record in golden-v5.txt");
    assert_eq!(
        codec::decode_story_tokens(&unhex(line), None),
        Some(story_tokens())
    );
}

#[test]
fn schema_6_records_merge_into_the_record_schema_7_writes() {
    // The upgrade to schema 7 merges the three records schema 6 kept apart, byte for byte as
    // `golden-v6.txt` froze them, into the record ingest writes now (`golden-v7.txt`): the
    // shingle record loses the site and blocks the content part holds, its words unchanged.
    let v6 = |name: &str| {
        include_str!("golden-v6.txt")
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(unhex)
            .unwrap_or_else(|| panic!("{name} in golden-v6.txt"))
    };
    let (fp, content, shingles) = (v6("fps/2 "), v6("content/2 "), v6("shingles/2 "));
    let words = codec::words_of_shingle_record(&shingles).expect("converts");
    let merged = codec::encode_article(codec::ArticleParts {
        fp: Some(&fp),
        content: Some(&content),
        words: Some(&words),
    });
    let want = encoded()
        .into_iter()
        .find_map(|l| l.strip_prefix("stories/2 ").map(str::to_owned))
        .expect("a record line");
    assert_eq!(hex(&merged), want);
    // The schema 6 record and the merged words read to the same story tokens.
    let text = content_text();
    assert_eq!(
        codec::decode_story_tokens(&shingles, Some(text.as_bytes())),
        codec::decode_stored_story_tokens(&words, Some(&content))
    );
}

#[test]
fn a_records_verdict_as_admitted_says_whether_it_was_a_duplicate() {
    let record = |status: &str, title: &str, overruled: Option<&str>| {
        let triage = match overruled {
            Some(s) => format!(
                r#"{{"state":"not-reprint","by":"ed","at_ms":1,"note":null,"overruled":{{"status":"{s}","match":null,"story":1}}}}"#
            ),
            None => r#"{"state":"","by":null,"at_ms":null,"note":null}"#.to_owned(),
        };
        format!(
            r#"{{"id":2,"file":"/in/2.txt","status":"{status}","title":"{title}","match":null,"reason":null,"story":2,"source":null,"url":null,"published":null,"words":3,"size":9,"ingested_ms":1,"triage":{triage}}}"#
        )
    };
    let cases = [
        (record("unique", "Council", None), false),
        (record("duplicate", "Council", None), true),
        (record("reprint", "duplicate", None), false),
        // Editors overruled it: the detector's verdict is the one kept under `overruled`.
        (record("unique", "Council", Some("duplicate")), true),
        (record("duplicate", "Council", Some("reprint")), false),
    ];
    for (json, want) in cases {
        assert_eq!(
            super::admitted_duplicate(Some(2), json.as_bytes()).expect("reads"),
            want,
            "{json}"
        );
    }
    assert!(super::admitted_duplicate(Some(2), b"{\"duplicate\":").is_err());
}

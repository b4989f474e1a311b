//! Verification from stored shingle records gives exactly what re-deriving each candidate's
//! story gave: for pages of every kind (plain text, hard-wrapped text, HTML with line breaks
//! inside paragraphs, text that is not ASCII) and stored texts capped or whole, the record kept
//! for a story equals the one derived from the story as the store keeps it, and the overlap
//! with another story is the same either way; the record an article is verified by within its
//! batch equals the one derived from its whole story.

use super::prepare::{
    packed_shingles, prepare, shingles_of, stored_shingles, stored_tokens, Prepared,
};
use crate::detect::verify::overlap;
use crate::fingerprint::exact_hash;
use crate::store::codec::{
    decode_content, decode_stored_story_tokens, encode_content, Content, ShingleRecord,
};
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "the",
    "council",
    "voted",
    "on",
    "Tuesday",
    "to",
    "close",
    "bridge",
    "traders",
    "object",
    "café",
    "naïve",
    "Zürich",
    "東京",
    "don't",
    "U.S.",
    "3.5",
    "per-cent",
    "said",
    "in",
    "a",
    "statement",
    "—",
    "“quoted”",
    "O'Neil",
    "ﬁnal",
    "İstanbul",
    "e\u{301}cole",
];

/// A sentence of `n` words drawn by `picks`, capitalised and closed.
fn sentence(picks: &[usize]) -> String {
    let mut s: Vec<&str> = picks.iter().map(|&i| WORDS[i % WORDS.len()]).collect();
    if s.is_empty() {
        s.push("Nothing");
    }
    format!("{}.", s.join(" "))
}

/// A page of `paragraphs` in one of the formats the engine reads, with `shared` (a passage two
/// pages have in common) as one of its paragraphs.
fn page(kind: u8, paragraphs: &[String], shared: &str) -> (String, Vec<u8>) {
    let mut all: Vec<String> = paragraphs.to_vec();
    all.insert(all.len() / 2, shared.to_owned());
    match kind % 3 {
        0 => ("a.txt".into(), all.join("\n\n").into_bytes()),
        1 => {
            // Hard-wrapped: the lines of a paragraph join into one block.
            let wrapped: Vec<String> = all
                .iter()
                .map(|p| {
                    let mut out = String::new();
                    let mut line = 0;
                    for w in p.split(' ') {
                        if line + w.len() > 60 {
                            out.push('\n');
                            line = 0;
                        } else if !out.is_empty() {
                            out.push(' ');
                        }
                        out.push_str(w);
                        line += w.len() + 1;
                    }
                    out
                })
                .collect();
            ("a.txt".into(), wrapped.join("\n\n").into_bytes())
        }
        _ => {
            let body: String = all
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    // Some paragraphs hold a line break, which the stored text would split.
                    let p = if i % 2 == 0 {
                        p.replacen(' ', "<br>\n", 1)
                    } else {
                        p.clone()
                    };
                    format!("<p>{p}</p>\n")
                })
                .collect();
            (
                "a.html".into(),
                format!(
                    "<html><head><title>T</title></head><body><article>{body}</article></body></html>"
                )
                .into_bytes(),
            )
        }
    }
}

fn prepared(kind: u8, paragraphs: &[String], shared: &str) -> Option<Prepared> {
    let (name, bytes) = page(kind, paragraphs, shared);
    prepare(&name, &bytes, 40, &|_| false).ok()
}

/// The shingle record the store keeps for a prepared story capped at `max_text` bytes, read back
/// as the store reads it: its words decompressed against the text of the content record kept
/// beside it.
fn kept_record(p: &Prepared, max_text: usize) -> ShingleRecord {
    let c = Content {
        blocks: p.blocks.clone(),
        paragraphs: p.paragraphs.clone(),
        site: p.site,
    };
    let content = encode_content(&c, max_text);
    let record = packed_shingles(p, max_text);
    shingles_of(decode_stored_story_tokens(&record, Some(&content)).expect("decodes"))
}

/// The story as the store keeps it, capped at `max_text` bytes.
fn as_stored(p: &Prepared, max_text: usize) -> Content {
    let c = Content {
        blocks: p.blocks.clone(),
        paragraphs: p.paragraphs.clone(),
        site: p.site,
    };
    decode_content(&encode_content(&c, max_text)).expect("decodes")
}

fn paragraphs() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop::collection::vec(prop::collection::vec(0usize..100, 3..14), 1..4),
        1..8,
    )
    .prop_map(|ps| {
        ps.iter()
            .map(|sentences| {
                let s: Vec<String> = sentences.iter().map(|w| sentence(w)).collect();
                s.join(" ")
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn stored_records_verify_exactly_as_the_stories_they_were_derived_from(
        kind in 0u8..3,
        a in paragraphs(),
        b in paragraphs(),
        shared in prop::collection::vec(0usize..100, 12..30),
        cap in prop_oneof![Just(usize::MAX), 40usize..600],
    ) {
        let shared = sentence(&shared);
        let (Some(new), Some(old)) = (prepared(kind, &a, &shared), prepared(kind, &b, &shared)) else {
            return Ok(());
        };
        // Stored: the record kept equals the one derived from the stored story.
        let kept = kept_record(&old, cap);
        let stored = as_stored(&old, cap);
        let tokens = stored_tokens(&stored.paragraphs);
        prop_assert_eq!(&kept.shingles, &tokens.shingle_hashes());
        prop_assert_eq!(kept.words as usize, tokens.len());
        prop_assert_eq!(kept.exact, exact_hash(stored.paragraphs.iter().map(String::as_str)));
        prop_assert_eq!(&kept.blocks, &stored.blocks);
        prop_assert_eq!(kept.site, stored.site);
        prop_assert_eq!(&kept, &stored_shingles(&stored));
        let from_record = overlap(&new.shingles, new.tokens.len(), &kept.shingles, kept.words as usize);
        let rederived = overlap(&new.shingles, new.tokens.len(), &tokens.shingle_hashes(), tokens.len());
        prop_assert_eq!(from_record, rederived);
        // Within a batch: the story as prepared is what its whole text re-derives.
        let whole = stored_tokens(&old.paragraphs);
        prop_assert_eq!(&old.shingles, &whole.shingle_hashes());
        prop_assert_eq!(old.tokens.len(), whole.len());
        prop_assert_eq!(old.exact, exact_hash(old.paragraphs.iter().map(String::as_str)));
    }
}

/// The seed articles and, when present, the pages of the evaluation corpus (beside the
/// repository, skipped when absent): every record kept is the one derived from the stored story.
#[test]
fn real_pages_keep_the_record_their_stored_story_derives() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("watch"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    let corpus = root.join("../shared/corpus/article-extraction-dev");
    if let Ok(d) = std::fs::read_dir(&corpus) {
        let mut dirs: Vec<_> = d.flatten().map(|e| e.path()).collect();
        dirs.sort();
        for dir in dirs {
            files.extend(["page.html", "page.txt"].map(|f| dir.join(f)));
        }
    }
    let mut checked = 0;
    for f in files {
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        let name = f.display().to_string();
        let Ok(p) = prepare(&name, &bytes, 40, &|_| false) else {
            continue;
        };
        for cap in [usize::MAX, 262_144, 2_000] {
            let kept = kept_record(&p, cap);
            assert_eq!(
                kept,
                stored_shingles(&as_stored(&p, cap)),
                "{name} at {cap}"
            );
        }
        assert_eq!(
            p.shingles,
            stored_tokens(&p.paragraphs).shingle_hashes(),
            "{name}"
        );
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} pages read");
}

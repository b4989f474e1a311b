//! The engine's verdicts over whole pages: site templates learned from the first pair of a
//! site's pages and kept across restarts, a wire story that never becomes template, and a
//! reprint pair flagged whatever the order its pages arrive in among other pages of its sites.

use super::files::input_from;
use super::{Engine, Verdict};
use crate::config::Settings;
use crate::model::Status;
use crate::text::clean::block_hash;
use crate::text::normalize::normalize;
use proptest::prelude::*;

const WORDS: [&str; 64] = [
    "council",
    "river",
    "bridge",
    "market",
    "school",
    "harbour",
    "storm",
    "farmers",
    "budget",
    "mayor",
    "police",
    "festival",
    "road",
    "hospital",
    "teachers",
    "families",
    "station",
    "winter",
    "summer",
    "village",
    "county",
    "election",
    "library",
    "museum",
    "workers",
    "factory",
    "train",
    "bus",
    "houses",
    "rents",
    "prices",
    "water",
    "power",
    "plant",
    "plans",
    "meeting",
    "report",
    "court",
    "judge",
    "players",
    "club",
    "season",
    "coach",
    "fans",
    "ticket",
    "crowd",
    "garden",
    "forest",
    "fire",
    "boats",
    "fishermen",
    "quay",
    "repairs",
    "funding",
    "residents",
    "survey",
    "vote",
    "board",
    "nurses",
    "doctors",
    "patients",
    "students",
    "exams",
    "church",
];
const GLUE: [&str; 12] = [
    "the", "and", "said", "on", "after", "with", "for", "will", "from", "before", "while", "new",
];

/// A made-up story: paragraphs of four sentences drawn from a small vocabulary, different for
/// every seed (three words in a row rarely recur across seeds).
fn story(seed: u64, paragraphs: usize) -> Vec<String> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    (0..paragraphs)
        .map(|_| {
            let sentences: Vec<String> = (0..4)
                .map(|_| {
                    let n = 9 + next(6);
                    let words: Vec<&str> = (0..n)
                        .map(|i| {
                            if i % 3 == 1 {
                                GLUE[next(GLUE.len())]
                            } else {
                                WORDS[next(WORDS.len())]
                            }
                        })
                        .collect();
                    let mut s = words.join(" ");
                    s[..1].make_ascii_uppercase();
                    s + "."
                })
                .collect();
            sentences.join(" ")
        })
        .collect()
}

/// One site's chrome: menu lines and footer lines.
fn chrome(site: &str) -> (Vec<String>, Vec<String>) {
    let menu = [
        "Home", "News", "Sport", "Business", "Culture", "Opinion", "Weather", "Jobs", "Travel",
        "Video", "Podcasts", "Puzzles",
    ]
    .iter()
    .map(|m| format!("{m} {site}"))
    .collect();
    let footer = ["About", "Contact", "Privacy", "Advertise", "Archive"]
        .iter()
        .map(|f| format!("{site} {f}"))
        .collect();
    (menu, footer)
}

/// A recurring blurb of a site, long enough to be prose, and its own: sites word theirs
/// differently.
fn sidebar(site: &str) -> String {
    let seed = site
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let about = story(seed, 2).join(" ");
    format!("About the {site}: {about}")
}

/// A page of `site` holding `body`, as a scraper saves it as text.
fn page(site: &str, body: &[String], with_sidebar: bool) -> Vec<u8> {
    let (menu, footer) = chrome(site);
    let mut lines = menu;
    lines.extend(body.iter().cloned());
    if with_sidebar {
        lines.push(sidebar(site));
    }
    lines.extend(footer);
    lines.join("\n\n").into_bytes()
}

/// A page of `site` laid out so that the cleaner takes its sidebar for the story: the story's
/// paragraphs stand apart, between rows of sharing buttons, and the sidebar is longer than any.
fn sidebar_wins(site: &str, seed: u64) -> Vec<u8> {
    let (menu, footer) = chrome(site);
    let mut lines = menu;
    for p in story(seed, 3) {
        lines.push(p.split(". ").take(2).collect::<Vec<_>>().join(". ") + ".");
        lines.extend(["Share", "Tweet", "Email", "Print", "Save", "Comments"].map(String::from));
    }
    lines.push(sidebar(site));
    lines.extend(footer);
    lines.join("\n\n").into_bytes()
}

fn engine(dir: &std::path::Path) -> Engine {
    Engine::open(Settings {
        db: dir.to_owned(),
        ..Settings::default()
    })
    .expect("engine opens")
}

fn ingest_one(e: &mut Engine, name: &str, bytes: Vec<u8>) -> Verdict {
    let v = e.ingest(&[input_from(name, bytes)], 0).expect("ingests");
    v.into_iter().next().expect("one verdict")
}

fn learned_blocks(e: &Engine) -> Vec<u64> {
    let sites = e.store().site_templates().expect("reads");
    sites.into_iter().flat_map(|(_, _, b)| b).collect()
}

#[test]
fn a_sites_template_is_learned_from_its_first_pair_and_kept_across_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let blurb = sidebar("Gazette");
    let side = block_hash(&normalize(&blurb));
    {
        let mut e = engine(dir.path());
        let a = ingest_one(&mut e, "a.txt", sidebar_wins("Gazette", 1));
        assert_eq!(a.status, Status::Unique);
        let stored = e.show(a.id.expect("stored")).expect("shows");
        assert_eq!(
            stored.paragraphs,
            std::slice::from_ref(&blurb),
            "the extraction took the sidebar"
        );
        // The second page's extraction takes the same sidebar: the pages say otherwise.
        let b = ingest_one(&mut e, "b.txt", sidebar_wins("Gazette", 2));
        assert_eq!(b.status, Status::Unique, "{b:?}");
        let stored = e.show(b.id.expect("stored")).expect("shows");
        assert!(!stored.paragraphs.contains(&blurb), "prepared again");
        assert!(learned_blocks(&e).contains(&side));
    }
    // A new engine on the same database knows the template before any pair.
    let mut e = engine(dir.path());
    let c = ingest_one(&mut e, "c.txt", sidebar_wins("Gazette", 3));
    assert_eq!(c.status, Status::Unique, "{c:?}");
    let stored = e.show(c.id.expect("stored")).expect("shows");
    assert!(!stored.paragraphs.contains(&blurb));
}

#[test]
fn a_wire_story_republished_ten_times_never_becomes_template() {
    let wire = story(99, 4);
    let wire_blocks: Vec<u64> = wire.iter().map(|p| block_hash(&normalize(p))).collect();
    // On ten sites, and ten times on one site (each time with its own timestamp line).
    let mut pages: Vec<(String, Vec<u8>)> = (0..10)
        .map(|i| {
            (
                format!("site{i}.txt"),
                page(&format!("Site{i}"), &wire, true),
            )
        })
        .collect();
    pages.extend((0..10).map(|i| {
        let mut body = vec![format!("Updated at {i} past ten")];
        body.extend(wire.iter().cloned());
        (format!("again{i}.txt"), page("Gazette", &body, true))
    }));
    let dir = tempfile::tempdir().expect("temp dir");
    let mut e = engine(dir.path());
    let mut first = None;
    for (name, bytes) in pages {
        let v = ingest_one(&mut e, &name, bytes);
        match first {
            None => first = v.id,
            Some(_) => assert!(
                matches!(v.status, Status::Reprint | Status::Duplicate),
                "{name}: {v:?}"
            ),
        }
    }
    let learned = learned_blocks(&e);
    assert!(wire_blocks.iter().all(|b| !learned.contains(b)));
}

/// Pages around a reprint pair: other stories of both sites (one laid out so the cleaner takes
/// the sidebar), and the pair: one story in a page of site Y and as a clean text.
fn neighbourhood() -> Vec<(String, Vec<u8>)> {
    let pair = story(7, 4);
    vec![
        ("x1.txt".into(), page("Herald", &story(1, 4), true)),
        ("x2.txt".into(), page("Herald", &story(2, 4), true)),
        ("x3.txt".into(), sidebar_wins("Herald", 3)),
        ("y1.txt".into(), page("Gazette", &story(4, 4), true)),
        ("y2.txt".into(), sidebar_wins("Gazette", 5)),
        ("pair-page.txt".into(), page("Gazette", &pair, true)),
        ("pair-clean.txt".into(), pair.join("\n\n").into_bytes()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn a_reprint_pair_is_flagged_whatever_the_order_of_arrival(
        order in Just(neighbourhood()).prop_shuffle(),
        one_batch: bool,
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut e = engine(dir.path());
        let inputs: Vec<_> = order.iter().map(|(n, b)| input_from(n, b.clone())).collect();
        let verdicts = if one_batch {
            e.ingest(&inputs, 0).expect("ingests")
        } else {
            inputs.iter().map(|i| e.ingest(std::slice::from_ref(i), 0).expect("ingests").remove(0)).collect()
        };
        let at = |name: &str| order.iter().position(|(n, _)| n == name).expect("there");
        let (a, b) = (at("pair-page.txt"), at("pair-clean.txt"));
        let (earlier, later) = (&verdicts[a.min(b)], &verdicts[a.max(b)]);
        prop_assert!(matches!(later.status, Status::Reprint | Status::Duplicate), "{later:?}");
        prop_assert_eq!(later.matched.as_ref().map(|m| m.id), earlier.id);
        for (v, (name, _)) in verdicts.iter().zip(&order) {
            if !name.starts_with("pair") {
                prop_assert!(!matches!(v.status, Status::Reprint | Status::Duplicate), "{name}: {v:?}");
            }
        }
    }
}

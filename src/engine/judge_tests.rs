//! The verdict on hand-made pages: two stories in one site's template (also when the extraction
//! took the site's sidebar for both stories), a story wrapped in another site's page, a story
//! that quotes all of a short one, a raw page holding a clean story. The pages are made by the
//! cleaner, so these tests sit in the engine, the layer that joins `text` and `detect`.

use crate::detect::page::site_key;
use crate::detect::{judge, Judgement, Params, Side};
use crate::fingerprint::Tokens;
use crate::model::{BlockInfo, Status};
use crate::text::clean::{block_hash, clean};
use crate::text::normalize::{normalize, word_count};
use crate::text::{Block, Document};

/// A page as the verdict sees it: its blocks and its story's shingles.
struct TestPage {
    blocks: Vec<BlockInfo>,
    shingles: Vec<u64>,
    words: usize,
    site: u64,
}

impl TestPage {
    /// A page cleaned as the engine cleans it.
    fn cleaned(lines: &[&str], site: u64) -> TestPage {
        let doc = Document {
            blocks: lines.iter().map(|l| Block::paragraph(*l)).collect(),
            ..Document::default()
        };
        let c = clean(&doc, &|_| false);
        let tokens = Tokens {
            joined: c.words,
            spans: c.word_spans,
        };
        TestPage {
            shingles: tokens.shingle_hashes(),
            words: tokens.len(),
            blocks: c.blocks,
            site,
        }
    }

    /// A page whose story is the blocks marked kept, whatever the cleaner would say: how an
    /// extraction error is made by hand. Prose is what the cleaner calls prose.
    fn extracted(lines: &[(&str, bool)], site: u64) -> TestPage {
        let cleaned = TestPage::cleaned(&lines.iter().map(|l| l.0).collect::<Vec<_>>(), site);
        let mut story = Vec::new();
        let blocks = lines
            .iter()
            .zip(&cleaned.blocks)
            .map(|(&(text, kept), b)| {
                if kept {
                    story.push(normalize(text));
                }
                BlockInfo { kept, ..*b }
            })
            .collect();
        let tokens = Tokens::new(&story.join("\n"));
        TestPage {
            blocks,
            shingles: tokens.shingle_hashes(),
            words: tokens.len(),
            site,
        }
    }

    fn side(&self) -> Side<'_> {
        Side {
            shingles: &self.shingles,
            words: self.words,
            blocks: &self.blocks,
            site: self.site,
        }
    }
}

fn judged(new: &TestPage, old: &TestPage) -> Judgement {
    judge(&new.side(), &old.side(), &Params::default())
}

const MENU: [&str; 8] = [
    "Home", "News", "Sport", "Business", "Culture", "Opinion", "Weather", "Contact",
];
const FOOTER: [&str; 4] = [
    "Privacy policy",
    "Terms of use",
    "Advertise with us",
    "Follow us on the radio",
];
const SIDEBAR: &str = "About the Gazette: we have reported on the valley and its towns since \
    1887, from the council chamber to the football ground, and we are owned by our readers. \
    Subscribe today for unlimited access to every story, the archive and our weekly newsletter \
    on local politics.";

const BRIDGE: [&str; 3] = [
    "The council voted on Monday night to close the old river bridge for eight months of \
     repairs, after engineers found that two of its supports had cracked during the winter \
     floods and could no longer carry the weight of lorries.",
    "Drivers will be sent through the northern ring road, which the council expects to add \
     about twelve minutes to the morning journey into town, while a temporary footbridge will \
     open for walkers and cyclists within three weeks.",
    "The repairs will cost just over two million pounds, most of it from a national fund for \
     ageing bridges, and the works are due to finish before the summer festival brings its \
     usual crowds to the market square.",
];
const LUNCH: [&str; 3] = [
    "Every primary school in the district will serve free hot lunches from September, the \
     education board announced, ending a pilot scheme that had covered only four schools and \
     drawn long waiting lists from parents across the valley.",
    "Head teachers said the change would help families who had struggled with rising food \
     prices, and several kitchens will be rebuilt over the summer holidays so that meals can \
     be cooked on site rather than delivered in vans.",
    "The board has hired a nutritionist to plan menus with local farms, and pupils will be \
     asked to vote each term on one new dish, an idea that came from the children of the \
     village school at the head of the valley.",
];
const BRIEF: &str = "Heavy rain closed the coast road between the two harbours on Sunday \
    afternoon, and police asked drivers to avoid the area until the water drains away, which \
    could take until Tuesday morning according to the county's highways team.";
const FEATURE: [&str; 3] = [
    "Fishermen on the north coast say the storms of this autumn have been the worst in \
     living memory, and many boats have not left the harbour for three weeks, leaving crews \
     without pay and buyers without fish for the markets inland.",
    "The harbour master keeps a notebook of every closure since 1974, and its last pages are \
     full: the road, the quay and the lifeboat slip have each been shut more often this year \
     than in the previous decade together, he says, turning the pages slowly.",
    "Families who have fished here for generations are now asking whether the sea wall can \
     be raised before next winter, and a meeting with the county is planned for the first \
     week of December in the old chapel by the harbour.",
];

/// A page of one site: its menu, a story, its sidebar and footer.
fn site_page(story: &[&str], kept_story: bool, kept_sidebar: bool) -> Vec<(String, bool)> {
    let mut lines: Vec<(String, bool)> = MENU.iter().map(|m| (m.to_string(), false)).collect();
    lines.extend(story.iter().map(|p| (p.to_string(), kept_story)));
    lines.push((SIDEBAR.to_string(), kept_sidebar));
    lines.extend(FOOTER.iter().map(|f| (f.to_string(), false)));
    lines
}

fn extracted(lines: &[(String, bool)], site: u64) -> TestPage {
    let refs: Vec<(&str, bool)> = lines.iter().map(|(t, k)| (t.as_str(), *k)).collect();
    TestPage::extracted(&refs, site)
}

fn cleaned(lines: &[(String, bool)], site: u64) -> TestPage {
    let refs: Vec<&str> = lines.iter().map(|(t, _)| t.as_str()).collect();
    TestPage::cleaned(&refs, site)
}

#[test]
fn two_stories_in_one_template_are_not_flagged() {
    let site = site_key(Some("https://gazette.example/a"), None);
    for named in [site, 0] {
        let (a, b) = (
            cleaned(&site_page(&BRIDGE, true, false), named),
            cleaned(&site_page(&LUNCH, true, false), named),
        );
        let j = judged(&b, &a);
        assert_eq!(j.status, Status::Unique, "{j:?}");
        assert!(j.evidence.same_site, "one site, named or by its chrome");
    }
}

#[test]
fn two_stories_whose_extraction_took_the_sidebar_are_not_one_story() {
    // Both extractions kept the sidebar and left the stories out: the stories as extracted are
    // identical, the pages are not.
    let site = site_key(Some("https://gazette.example/a"), None);
    for named in [site, 0] {
        let a = extracted(&site_page(&BRIDGE, false, true), named);
        let b = extracted(&site_page(&LUNCH, false, true), named);
        let j = judged(&b, &a);
        assert_eq!(j.similarity, 1.0, "the extracted stories are the same");
        assert!(j.evidence.different, "{:?}", j.evidence);
        assert_eq!(j.status, Status::Unique, "{j:?}");
        let template = j.evidence.template.expect("the shared blocks are learned");
        assert!(template.contains(&block_hash(&normalize(SIDEBAR))));
        assert!(template.contains(&block_hash(&normalize("Home"))));
        assert!(!template.contains(&block_hash(&normalize(BRIDGE[0]))));
    }
}

#[test]
fn a_story_wrapped_in_another_sites_page_is_a_reprint_of_the_story_not_of_the_host() {
    let x = site_key(Some("https://www.herald.example/story/1"), None);
    let y = site_key(Some("https://gazette.example/news/2"), None);
    // The story as its own site published it, and the same story inside the other site's page.
    let original = TestPage::cleaned(&BRIDGE, x);
    let wrapped = cleaned(&site_page(&BRIDGE, true, false), y);
    for (new, old) in [(&wrapped, &original), (&original, &wrapped)] {
        let j = judged(new, old);
        assert_eq!(j.status, Status::Reprint, "{j:?}");
        assert!(j.similarity > 0.9);
    }
    // The host's own earlier story, both extractions taking the host's sidebar for the story.
    let earlier = extracted(&site_page(&LUNCH, false, true), y);
    let wrapped_badly = extracted(&site_page(&BRIDGE, false, true), y);
    let j = judged(&wrapped_badly, &earlier);
    assert_ne!(j.status, Status::Reprint, "{j:?}");
    assert!(j.evidence.different);
}

#[test]
fn a_story_that_quotes_all_of_a_short_one_is_partial_reuse_either_way() {
    let short = TestPage::cleaned(&[BRIEF], 0);
    let mut quoting: Vec<&str> = FEATURE[..2].to_vec();
    quoting.push(BRIEF);
    quoting.push(FEATURE[2]);
    let long = TestPage::cleaned(&quoting, 0);
    assert!(word_count(BRIEF) * 3 < quoting.iter().map(|p| word_count(p)).sum::<usize>());
    for (new, old) in [(&long, &short), (&short, &long)] {
        let j = judged(new, old);
        assert_eq!(
            j.similarity, 1.0,
            "all of the short story is in the long one"
        );
        assert_eq!(j.status, Status::Partial, "{j:?}");
    }
}

#[test]
fn an_authors_note_after_two_stories_is_template_and_a_quote_inside_one_is_not() {
    // Pages that name no site and show no chrome: what the stories share is template when it
    // sits at the edges of both (an author's note), a quote when it sits inside one.
    const NOTE: &str = "Alex Moor writes about the valley for the Gazette every week, and answers \
        readers' letters on the first Monday of each month; views expressed here are the \
        author's own and not those of the paper.";
    let with_note = |story: &[&str]| {
        let mut lines = story.to_vec();
        lines.push(NOTE);
        TestPage::cleaned(&lines, 0)
    };
    let (a, b) = (with_note(&BRIDGE), with_note(&LUNCH));
    let j = judged(&b, &a);
    assert_eq!(j.status, Status::Unique, "{j:?}");
    let quoting = TestPage::cleaned(&[LUNCH[0], LUNCH[1], NOTE, LUNCH[2]], 0);
    let j = judged(&quoting, &a);
    assert_eq!(j.status, Status::Partial, "{j:?}");
}

#[test]
fn a_raw_page_holding_a_clean_story_is_a_reprint_either_way() {
    // Teasers of other stories around it are no story of the page's own.
    let mut raw: Vec<&str> = MENU.to_vec();
    raw.extend(BRIDGE);
    raw.push("Read next");
    raw.extend(FEATURE);
    raw.extend(FOOTER);
    let (raw, clean) = (TestPage::cleaned(&raw, 0), TestPage::cleaned(&BRIDGE, 0));
    for (new, old) in [(&raw, &clean), (&clean, &raw)] {
        let j = judged(new, old);
        assert_eq!(j.status, Status::Reprint, "{j:?}");
    }
}

#[test]
fn site_keys_name_the_host_or_the_site_name() {
    let k = |u: Option<&str>, s: Option<&str>| site_key(u, s);
    assert_eq!(
        k(Some("https://www.gazette.example/a?b"), None),
        k(Some("http://gazette.example:8080/c"), Some("Other"))
    );
    assert_ne!(
        k(Some("https://gazette.example/a"), None),
        k(Some("https://herald.example/a"), None)
    );
    assert_eq!(k(None, Some(" The Gazette ")), k(None, Some("the gazette")));
    assert_eq!(k(Some("/relative/path"), None), 0);
    assert_eq!(k(None, None), 0);
}

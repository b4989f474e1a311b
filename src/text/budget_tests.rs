//! Tests of the structural budget: hostile pages refused in words (`tests/budget.rs` holds the
//! corpus's real pages to it), and property tests that hold the scan's model of the page against the tree the parser builds.

use super::*;
use crate::text::{read_document, Rejection};
use proptest::prelude::*;

fn refused(html: &str) -> String {
    match check_html(html) {
        Err(Rejection::TooComplex(why)) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn attribute_floods_and_deep_nesting_are_refused_in_words() {
    let flood = format!(
        "<html><body><p {}>x</p></body></html>",
        (0..100_000)
            .map(|i| format!("a{i}=1"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    assert_eq!(refused(&flood), "one tag has more than 256 attributes");
    let deep = "<div>".repeat(100_000) + "text";
    assert_eq!(refused(&deep), "elements nested more than 512 deep");
    let many = "<span></span>".repeat(200_001);
    assert_eq!(refused(&many), "more than 200000 elements");
    let pairs = format!(
        "<p {}></p>",
        (0..200)
            .map(|i| format!("a{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    )
    .repeat(200);
    assert!(refused(&pairs).contains("too many attributes"));
    let open = (0..300).map(|i| format!("<b x={i}>")).collect::<String>() + "text";
    assert!(refused(&open).contains("formatting elements"));
    let often = ("<div>".repeat(500) + "<p>text</p>" + &"</div>".repeat(500)).repeat(40);
    assert!(refused(&often).contains("nested too deep too often"));
    // The page is refused as a whole, with the reason, by the reader of every file.
    let why = read_document("page.html", deep.as_bytes()).expect_err("refused");
    assert_eq!(
        why.to_string(),
        "the page is too complex to read: elements nested more than 512 deep"
    );
    let json = format!("{{\"title\": \"t\", \"body\": \"{deep}<p>x</p>\"}}");
    assert!(matches!(
        read_document("a.json", json.as_bytes()),
        Err(Rejection::TooComplex(_))
    ));
}

#[test]
fn what_closes_itself_does_not_count_as_depth() {
    let page = "<p>one<p>two<ul><li>a<li>b</ul><table><tr><td>1<td>2<tr><td>3</table>\
                <br><img src=x><input><script>if (a<b) { x = '<div>'; }</script>"
        .repeat(2_000);
    let found = check_html(&page).expect("within budget");
    assert!(found.depth <= 6, "{found:?}");
    // A block start tag closes an open paragraph: `<p><div>` nests one level per pair.
    let pairs = "<p><div>".repeat(400);
    assert!(check_html(&pairs).is_ok());
    assert!(check_html(&"<p><div>".repeat(600)).is_err());
    // Nested lists do not close the outer item.
    assert!(check_html(&"<li><ul>".repeat(300)).is_err());
}

/// A small budget, so that generated pages of a few kilobytes cross it.
const SMALL: Budget = Budget {
    elements: 400,
    depth: 48,
    attributes: 12,
    attribute_pairs: 300,
    formatting: 8,
    ancestors: 6_000,
};

/// Depth and element count of the tree the parser builds.
fn parsed(html: &str) -> (usize, usize) {
    let page = scraper::Html::parse_document(html);
    let (mut depth, mut deepest, mut elements) = (0usize, 0usize, 0usize);
    for edge in page.tree.root().traverse() {
        match edge {
            ego_tree::iter::Edge::Open(n) if n.value().is_element() => {
                elements += 1;
                depth += 1;
                deepest = deepest.max(depth);
            }
            ego_tree::iter::Edge::Close(n) if n.value().is_element() => depth -= 1,
            _ => {}
        }
    }
    (deepest, elements)
}

const TAGS: &[&str] = &[
    "div", "p", "span", "b", "i", "a", "font", "li", "ul", "ol", "table", "tr", "td", "th",
    "button", "section", "h2", "dl", "dt", "dd", "em", "select", "option", "svg", "template",
    "form", "br", "img", "script", "title", "textarea", "pre", "code", "object",
];

/// A piece of markup: a start or end tag (with attributes), text, a comment, or a stray `<`.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0..TAGS.len(), 0usize..4).prop_map(|(t, n)| {
            let attrs: String = (0..n).map(|k| format!(" a{k}=\"{k}\"")).collect();
            format!("<{}{attrs}>", TAGS[t])
        }),
        4 => (0..TAGS.len()).prop_map(|t| format!("</{}>", TAGS[t])),
        2 => "[a-z <>&/\"'=]{0,12}",
        1 => Just("<!-- c -->".to_owned()),
        1 => (1usize..14).prop_map(|n| format!("<b {}>", (0..n).map(|k| format!("x{k}")).collect::<Vec<_>>().join(" "))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// Whatever the markup, the scan's work is linear in its length, and a page it lets through
    /// parses to a tree no deeper than the budget allows (plus the page's own `html` and `body`
    /// and the formatting elements the parser re-opens) and no larger than its elements.
    #[test]
    fn the_scan_never_counts_less_than_the_parser_builds(
        pieces in proptest::collection::vec(piece(), 0..300),
        nest in 0usize..3,
    ) {
        let mut html: String = pieces.concat();
        if nest > 0 {
            html = format!("{}{html}", "<div><span>".repeat(nest * 8));
        }
        let len = html.len() as u64;
        match scan(&html, &SMALL) {
            Ok(found) => {
                prop_assert!(found.steps <= (SEARCH as u64 + 1) * (len + 1));
                let (depth, _) = parsed(&html);
                prop_assert!(
                    depth <= SMALL.depth + SMALL.formatting + 3,
                    "parsed depth {depth}, scanned {found:?}"
                );
            }
            Err(Rejection::TooComplex(why)) => prop_assert!(!why.is_empty()),
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
    }

    /// Every hostile file gets an answer from the reader: a document or a rejection in words.
    #[test]
    fn hostile_files_get_a_document_or_a_reason(
        kind in 0usize..6,
        n in 1usize..3_000,
        bytes in proptest::collection::vec(any::<u8>(), 0..2_000),
    ) {
        let (name, data): (&str, Vec<u8>) = match kind {
            0 => ("deep.html", ("<div>".repeat(n * 4) + "story text").into_bytes()),
            1 => ("flood.html", format!("<p {}>story</p>", (0..n).map(|i| format!("a{i}")).collect::<Vec<_>>().join(" ")).into_bytes()),
            2 => ("run.html", format!("<p>{}</p>", "word ".repeat(n * 50)).into_bytes()),
            3 => ("bytes.txt", bytes),
            4 => ("utf16.txt", [&[0xff, 0xfe][..], &bytes].concat()),
            _ => ("broken.json", [&b"{\"body\": \"<p>"[..], &bytes].concat()),
        };
        match read_document(name, &data) {
            Ok(doc) => prop_assert!(!doc.blocks.is_empty()),
            Err(why) => prop_assert!(!why.to_string().is_empty()),
        }
    }
}

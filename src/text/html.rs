//! The HTML reader: the text of a page's block elements, with scripts, navigation, menus and
//! other page furniture left out (metadata is `meta`'s). Must not score or strip content beyond
//! that (boilerplate judgement is `clean`'s job) and must not panic on any input.

use ego_tree::iter::Edge;
use ego_tree::NodeId;
use scraper::node::Element;
use scraper::{Html, Node};

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use super::plain::collapse_whitespace;
use super::{Block, BlockKind, Document, Node as BlockNode};

mod meta;

/// Elements whose whole subtree is never article text.
const DROPPED_TAGS: &[&str] = &[
    "head",
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "math",
    "iframe",
    "object",
    "embed",
    "canvas",
    "video",
    "audio",
    "form",
    "button",
    "select",
    "textarea",
    "dialog",
    "nav",
    "menu",
    "header",
    "footer",
    "aside",
    "figcaption",
];

/// Dropped tags that never hold readable text, whatever their size: the page-wide test of
/// `holds_most_of_page` does not apply to them (a `<form>` or `<header>` can wrap a whole page).
#[rustfmt::skip]
const NEVER_TEXT_TAGS: &[&str] = &[
    "head", "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed",
    "canvas", "video", "audio", "button", "select", "textarea",
];

/// Elements that start and end a block of text; text between two of them is one block.
#[rustfmt::skip]
const BLOCK_TAGS: &[&str] = &[
    "address", "article", "blockquote", "body", "caption", "center", "dd", "details", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "html",
    "legend", "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "ul",
];

/// Words in a class or id that mark page furniture. They are matched against whole words of a
/// token (split at `-`, `_` and camelCase), so `subheader` and `shared-story` do not match.
#[rustfmt::skip]
const FURNITURE_WORDS: &[&str] = &[
    "nav", "navbar", "navigation", "menu", "share", "sharing", "social", "cookie", "cookies",
    "consent", "comment", "comments", "related", "newsletter", "subscribe", "subscription",
    "advert", "advertisement", "ad", "ads", "promo", "breadcrumb", "breadcrumbs", "footer",
    "header", "masthead", "sidebar", "caption", "credit", "credits", "copyright", "author", "bio",
    "secondary", "legend", "disclaimer",
];

/// Furniture words that name a header: the page's, or inside a story the story's own.
const HEADER_WORDS: &[&str] = &["header", "masthead"];

/// A token starting with one of these describes the page, not the element (`has-sidebar`).
const NEGATING_WORDS: &[&str] = &["has", "with", "no", "without"];

/// ARIA landmark roles of page furniture.
#[rustfmt::skip]
const FURNITURE_ROLES: &[&str] = &[
    "navigation", "banner", "contentinfo", "complementary", "menu", "menubar", "search", "dialog",
    "alertdialog",
];

/// Elements that hold the article: never hidden, and their class and id never name furniture.
const CONTAINER_TAGS: &[&str] = &["html", "body", "main", "article"];

/// Reads an HTML page: its metadata and the text of its blocks in document order.
pub fn parse_html(html: &str) -> Document {
    let page = Html::parse_document(html);
    let (blocks, nodes) = page_blocks(&page);
    Document {
        blocks,
        nodes,
        ..meta::read_meta(&page)
    }
}

/// The blocks of an HTML fragment, as [`parse_html`] finds them, without the structure; for
/// article bodies in JSON.
pub(crate) fn html_blocks(fragment: &str) -> Vec<Block> {
    let (mut blocks, _) = page_blocks(&Html::parse_fragment(fragment));
    for b in &mut blocks {
        b.node = 0;
    }
    blocks
}

/// Which elements the block walk leaves out.
#[derive(Clone, Copy, PartialEq)]
enum Filter {
    /// Dropped tags, hidden elements, and class, id or role naming furniture.
    Strict,
    /// Dropped tags and hidden elements only: the retry for pages whose markup names everything
    /// furniture, since losing an article costs more than keeping a menu.
    TagsOnly,
}

fn page_blocks(page: &Html) -> (Vec<Block>, Vec<BlockNode>) {
    let found = walk_blocks(page, Filter::Strict);
    if found.0.is_empty() {
        walk_blocks(page, Filter::TagsOnly)
    } else {
        found
    }
}

/// Walks the tree without recursion (pages can nest deeper than the stack allows).
fn walk_blocks(page: &Html, filter: Filter) -> (Vec<Block>, Vec<BlockNode>) {
    let root = page.tree.root();
    let total = Share {
        text: text_chars(root),
        prose: prose_chars(root),
    };
    let mut blocks = BlockBuilder::default();
    let mut skipping: Option<NodeId> = None;
    // Open `article` and `main` elements: a header inside one is the story's own (its title,
    // lead and byline), not the page's.
    let mut in_story = 0usize;
    for edge in page.tree.root().traverse() {
        match edge {
            Edge::Open(node) if skipping.is_none() => match node.value() {
                Node::Text(text) => blocks.text(text),
                Node::Element(element)
                    if is_left_out(element, filter, in_story > 0)
                        && !holds_most_of_page(element, node, total) =>
                {
                    skipping = Some(node.id())
                }
                Node::Element(element) => {
                    in_story += usize::from(is_story_container(element));
                    blocks.open(element)
                }
                _ => {}
            },
            Edge::Open(_) => {}
            Edge::Close(node) if skipping.is_some() => {
                if skipping == Some(node.id()) {
                    skipping = None;
                }
            }
            Edge::Close(node) => {
                if let Node::Element(element) = node.value() {
                    in_story -= usize::from(is_story_container(element));
                    blocks.close(element);
                }
            }
        }
    }
    blocks.finish()
}

/// Collects the text of the block being read and turns it into [`Block`]s at block boundaries.
struct BlockBuilder {
    blocks: Vec<Block>,
    /// The block-level elements seen so far, the root first.
    nodes: Vec<BlockNode>,
    /// The open block-level elements, innermost last, as indices into `nodes`.
    open_nodes: Vec<u32>,
    text: String,
    /// Non-whitespace characters in `text`, and how many of them sit inside links.
    chars: usize,
    link_chars: usize,
    /// The kinds of the open block elements, innermost last.
    kinds: Vec<BlockKind>,
    open_links: usize,
    /// A `<br>` came after the last text; a second one ends the block.
    after_break: bool,
}

impl Default for BlockBuilder {
    fn default() -> Self {
        BlockBuilder {
            blocks: Vec::new(),
            nodes: vec![BlockNode {
                parent: 0,
                tag: "root",
                style: 0,
            }],
            open_nodes: Vec::new(),
            text: String::new(),
            chars: 0,
            link_chars: 0,
            kinds: Vec::new(),
            open_links: 0,
            after_break: false,
        }
    }
}

impl BlockBuilder {
    fn text(&mut self, text: &str) {
        let chars = text.chars().filter(|c| !c.is_whitespace()).count();
        self.text.push_str(text);
        self.chars += chars;
        if self.open_links > 0 {
            self.link_chars += chars;
        }
        if chars > 0 {
            self.after_break = false;
        }
    }

    fn open(&mut self, element: &Element) {
        let name = element.name();
        match name {
            "a" if is_link(element) => self.open_links += 1,
            "br" if self.after_break => self.flush(),
            "br" => {
                self.text.push(' ');
                self.after_break = true;
            }
            _ if BLOCK_TAGS.contains(&name) => {
                self.flush();
                let tag = BLOCK_TAGS
                    .iter()
                    .find(|t| **t == name)
                    .copied()
                    .unwrap_or("div");
                // Indices fit u32: a page has far fewer elements than bytes, and files are capped.
                let index = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
                self.nodes.push(BlockNode {
                    parent: self.current_node(),
                    tag,
                    style: style_hash(element),
                });
                self.open_nodes.push(index);
                let inherited = self.kinds.last().copied().unwrap_or(BlockKind::Paragraph);
                self.kinds.push(match name {
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => BlockKind::Heading,
                    "li" => BlockKind::ListItem,
                    _ => inherited,
                });
            }
            _ => {}
        }
    }

    fn close(&mut self, element: &Element) {
        let name = element.name();
        if is_link(element) {
            self.open_links = self.open_links.saturating_sub(1);
        } else if BLOCK_TAGS.contains(&name) {
            self.flush();
            self.kinds.pop();
            self.open_nodes.pop();
        }
    }

    fn current_node(&self) -> u32 {
        self.open_nodes.last().copied().unwrap_or(0)
    }

    fn flush(&mut self) {
        let text = collapse_whitespace(&self.text);
        if !text.is_empty() {
            // Counts of characters in one block are far below f32's exact-integer range.
            let link_density = self.link_chars as f32 / self.chars.max(1) as f32;
            self.blocks.push(Block {
                text,
                kind: self.kinds.last().copied().unwrap_or(BlockKind::Paragraph),
                link_density,
                node: self.current_node(),
            });
        }
        self.text.clear();
        self.chars = 0;
        self.link_chars = 0;
        self.after_break = false;
    }

    fn finish(mut self) -> (Vec<Block>, Vec<BlockNode>) {
        self.flush();
        (self.blocks, self.nodes)
    }
}

/// Non-whitespace characters of readable text under a node (not scripts, styles and the like).
fn text_chars(node: ego_tree::NodeRef<'_, Node>) -> usize {
    node.descendants()
        .filter(|n| {
            n.parent()
                .and_then(|p| {
                    p.value()
                        .as_element()
                        .map(|e| !NEVER_TEXT_TAGS.contains(&e.name()))
                })
                .unwrap_or(true)
        })
        .filter_map(|n| n.value().as_text())
        .map(|t| t.chars().filter(|c| !c.is_whitespace()).count())
        .sum()
}

/// Whether an element left out for its tag, class, id or role holds most of the page's text:
/// then it is a page-wide wrapper (a `<form>` around a whole page, `header-style-2`), not
/// furniture.
fn holds_most_of_page(element: &Element, node: ego_tree::NodeRef<'_, Node>, total: Share) -> bool {
    let held = if total.prose > 0 {
        prose_chars(node)
    } else {
        text_chars(node)
    };
    let all = if total.prose > 0 {
        total.prose
    } else {
        total.text
    };
    !NEVER_TEXT_TAGS.contains(&element.name()) && !is_hidden(element) && held * 2 > all
}

/// The page's readable text, and the part of it in paragraphs (`<p>`): menus and link lists
/// have none, so paragraph text tells where the article is.
#[derive(Clone, Copy)]
struct Share {
    text: usize,
    prose: usize,
}

/// Non-whitespace characters of text inside `<p>` elements under a node.
fn prose_chars(node: ego_tree::NodeRef<'_, Node>) -> usize {
    node.descendants()
        .filter(|n| {
            n.value().is_element() && n.value().as_element().is_some_and(|e| e.name() == "p")
        })
        .map(text_chars)
        .sum()
}

/// A hash of an element's id and classes: elements built alike hash alike.
fn style_hash(element: &Element) -> u64 {
    let mut hash = element.id().map_or(0, |id| xxh3_64(id.as_bytes()));
    for class in element.classes() {
        hash = xxh3_64_with_seed(class.as_bytes(), hash);
    }
    hash
}

/// A link goes somewhere: `<a name>` anchors are not links.
fn is_link(element: &Element) -> bool {
    element.name() == "a" && element.attr("href").is_some()
}

fn is_story_container(element: &Element) -> bool {
    matches!(element.name(), "article" | "main")
}

/// Whether an element and everything in it is left out of the text. `in_story`: the element is
/// inside an `article` or `main`, where a header is the story's own.
fn is_left_out(element: &Element, filter: Filter, in_story: bool) -> bool {
    let name = element.name();
    if in_story && name == "header" {
        return is_hidden(element);
    }
    if DROPPED_TAGS.contains(&name) {
        return true;
    }
    // Never the whole page: some pages hide their body until a script has run.
    if CONTAINER_TAGS.contains(&name) {
        return false;
    }
    if is_hidden(element) {
        return true;
    }
    if filter == Filter::TagsOnly {
        return false;
    }
    let role = element.attr("role").unwrap_or_default();
    FURNITURE_ROLES.iter().any(|r| role.eq_ignore_ascii_case(r))
        || element.classes().any(|c| names_furniture(c, in_story))
        || element.id().is_some_and(|c| names_furniture(c, in_story))
}

fn is_hidden(element: &Element) -> bool {
    let style = element.attr("style").unwrap_or_default();
    let hidden_style = style.contains(':') && {
        let style: String = style
            .split_whitespace()
            .collect::<String>()
            .to_ascii_lowercase();
        style.contains("display:none") || style.contains("visibility:hidden")
    };
    element.attr("hidden").is_some()
        || element
            .attr("aria-hidden")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        || hidden_style
}

/// Whether a class or id token names page furniture, by its whole words. Inside a story, the
/// words that name a header name the story's own.
fn names_furniture(token: &str, in_story: bool) -> bool {
    let words = token_words(token);
    let is_one_of = |word: &&str, list: &[&str]| list.iter().any(|w| word.eq_ignore_ascii_case(w));
    !words.first().is_some_and(|w| is_one_of(w, NEGATING_WORDS))
        && words.iter().enumerate().any(|(i, w)| {
            is_one_of(w, FURNITURE_WORDS)
                && !(in_story && is_one_of(w, HEADER_WORDS))
                && !(i > 0 && is_one_of(&words[i - 1], NEGATING_WORDS))
        })
}

/// Splits `post-shareBar_top` into `post`, `share`, `Bar`, `top`.
fn token_words(token: &str) -> Vec<&str> {
    let mut words = Vec::new();
    for part in token.split(['-', '_']) {
        let mut start = 0;
        for (i, pair) in part.as_bytes().windows(2).enumerate() {
            if pair[0].is_ascii_lowercase() && pair[1].is_ascii_uppercase() {
                words.push(&part[start..=i]);
                start = i + 1;
            }
        }
        words.push(&part[start..]);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(html: &str) -> Vec<(BlockKind, String)> {
        parse_html(html)
            .blocks
            .into_iter()
            .map(|b| (b.kind, b.text))
            .collect()
    }

    fn para(s: &str) -> (BlockKind, String) {
        (BlockKind::Paragraph, s.to_owned())
    }

    #[test]
    fn blocks_in_document_order_with_kinds() {
        let html = "<html><body><h1> Storm  hits\n coast</h1><p>First <b>bold</b> para.</p>\
                    <ul><li>one</li><li><p>two</p></li></ul><div>Loose <p>inner</p> tail</div>\
                    <blockquote>Quote</blockquote><table><tr><td>cell</td></tr></table>\
                    <p>  </p></body></html>";
        assert_eq!(
            texts(html),
            [
                (BlockKind::Heading, "Storm hits coast".to_owned()),
                para("First bold para."),
                (BlockKind::ListItem, "one".to_owned()),
                (BlockKind::ListItem, "two".to_owned()),
                para("Loose"),
                para("inner"),
                para("tail"),
                para("Quote"),
                para("cell"),
            ]
        );
    }

    #[test]
    fn page_furniture_is_left_out() {
        let html = r#"<body><nav>Home</nav><header>Site</header><script>var x="code";</script>
            <div class="cookie-banner">Accept cookies</div><div id="shareBar">Share</div>
            <div class="post related_stories">Read next</div><div role="navigation">Menu</div>
            <p hidden>secret</p><p aria-hidden="true">icon</p><p style="display: none">x</p>
            <div class="subheader">Kept subheader</div><div class="has-sidebar">Kept body</div>
            <article class="comment-header"><p>Article text</p></article>
            <form><p>Sign up</p></form><footer>Copyright</footer></body>"#;
        assert_eq!(
            texts(html),
            [
                para("Kept subheader"),
                para("Kept body"),
                para("Article text")
            ]
        );
    }

    #[test]
    fn a_hidden_body_is_still_read() {
        let html = r#"<body style="display:none" class="has-header"><p>Text.</p></body>"#;
        assert_eq!(texts(html), [para("Text.")]);
    }

    #[test]
    fn all_furniture_page_falls_back_to_tags_only() {
        let html = r#"<body><div class="social-post"><p>The only text.</p></div></body>"#;
        assert_eq!(texts(html), [para("The only text.")]);
    }

    #[test]
    fn link_density_counts_link_characters() {
        let doc = parse_html(
            r#"<p><a href="/a">abcd</a> efgh</p><p>no links</p><h2><a name="s2">anchor</a></h2>"#,
        );
        assert!((doc.blocks[0].link_density - 0.5).abs() < 1e-6);
        assert_eq!(doc.blocks[1].link_density, 0.0);
        assert_eq!(doc.blocks[2].link_density, 0.0);
    }

    #[test]
    fn double_break_splits_a_block() {
        assert_eq!(
            texts("<p>line one<br>same block<br> <br>new block</p>"),
            [para("line one same block"), para("new block")]
        );
    }

    #[test]
    fn fragments_for_json_bodies() {
        assert_eq!(
            html_blocks("<p>One</p>Two<br><br>Three"),
            [
                Block::paragraph("One"),
                Block::paragraph("Two"),
                Block::paragraph("Three")
            ]
        );
    }

    #[test]
    fn token_words_split_on_separators_and_case() {
        assert_eq!(
            token_words("post-shareBar_top"),
            ["post", "share", "Bar", "top"]
        );
        assert!(names_furniture("ad-slot", false));
        assert!(!names_furniture("shared-story", false));
        assert!(!names_furniture("no-comments", false));
        assert!(names_furniture("entry-header", false));
        assert!(!names_furniture("entry-header", true));
        assert!(!names_furniture("p-body-main--withSidebar", false));
    }

    #[test]
    fn malformed_and_deep_input_does_not_panic() {
        for html in [
            "",
            "<",
            "<p",
            "<a href=",
            "</div></p>",
            "<table><td>x",
            "\u{0}<p>\u{fffd}",
        ] {
            let _ = parse_html(html);
        }
        let deep = "<div>".repeat(10_000) + "deep text";
        assert_eq!(texts(&deep), [para("deep text")]);
    }
}

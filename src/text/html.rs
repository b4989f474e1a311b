//! The HTML reader: the text of a page's block elements, with scripts, navigation, menus and
//! other page furniture left out (metadata is `meta`'s). Must not score or strip content beyond
//! that (boilerplate judgement is `clean`'s job) and must not panic on any input.

use ego_tree::iter::Edge;
use ego_tree::NodeId;
use html5ever::tendril::TendrilSink;
use scraper::node::Element;
use scraper::{Html, HtmlTreeSink, Node};

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use super::interrupt::{self, Interrupt, Uninterrupted};
use super::plain::collapse_whitespace;
use super::{Block, BlockKind, Document, Node as BlockNode, Rejection};

mod furniture;
mod meta;
mod stated;

use furniture::{Filter, Furniture};

/// Elements that start and end a block of text; text between two of them is one block.
#[rustfmt::skip]
const BLOCK_TAGS: &[&str] = &[
    "address", "article", "blockquote", "body", "caption", "center", "dd", "details", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "html",
    "legend", "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "ul",
];

/// Reads an HTML page: its metadata and the text of its blocks in document order.
#[cfg(test)]
pub(crate) fn parse_html(html: &str) -> Document {
    // Never interrupted, so never an error.
    parse_html_within(html, &Uninterrupted).unwrap_or_default()
}

/// [`parse_html`], asking `halt` whether to go on between chunks of markup fed to the parser
/// (html5ever's incremental interface: the tree is built as the chunks come) and every few
/// thousand nodes of the walks after it.
pub(crate) fn parse_html_within(html: &str, halt: &dyn Interrupt) -> Result<Document, Rejection> {
    parse_in_chunks(html, interrupt::CHUNK_BYTES, halt)
}

fn parse_in_chunks(
    html: &str,
    chunk_bytes: usize,
    halt: &dyn Interrupt,
) -> Result<Document, Rejection> {
    let mut parser = html5ever::driver::parse_document(
        HtmlTreeSink::new(Html::new_document()),
        Default::default(),
    );
    for chunk in interrupt::chunks(html, chunk_bytes) {
        halt.check()?;
        parser.process(chunk.into());
    }
    halt.check()?;
    let page = parser.finish();
    halt.check()?;
    let stated = stated::stated_story(&page);
    let (blocks, nodes) = page_blocks(&page, &stated, halt)?;
    halt.check()?;
    Ok(Document {
        blocks,
        nodes,
        stated,
        ..meta::read_meta(&page)
    })
}

/// The blocks of an HTML fragment, as [`parse_html`] finds them, without the structure; for
/// article bodies in JSON.
pub(crate) fn html_blocks(fragment: &str) -> Vec<Block> {
    // Never interrupted, so never an error.
    let (mut blocks, _) =
        page_blocks(&Html::parse_fragment(fragment), &[], &Uninterrupted).unwrap_or_default();
    for b in &mut blocks {
        b.node = 0;
    }
    blocks
}

type Blocks = (Vec<Block>, Vec<BlockNode>);

/// `stated`: what the page states its main text is ([`stated::stated_story`]).
fn page_blocks(page: &Html, stated: &[String], halt: &dyn Interrupt) -> Result<Blocks, Rejection> {
    let found = walk_blocks(page, Filter::Strict, stated, halt)?;
    let found = if found.0.is_empty() {
        walk_blocks(page, Filter::TagsOnly, stated, halt)?
    } else {
        found
    };
    // A page built by its scripts may hold its text, for readers without them, in a
    // `<noscript>`: when one holds more readable text than the rest of the page, it is the page.
    let shown = readable_chars(&found.0);
    let inner = page
        .tree
        .root()
        .descendants()
        .filter(|n| {
            n.value()
                .as_element()
                .is_some_and(|e| e.name() == "noscript")
        })
        .filter_map(|n| {
            let markup: String = n
                .children()
                .filter_map(|c| c.value().as_text().map(|t| &**t))
                .collect();
            (markup.len() > shown).then_some(markup)
        })
        .max_by_key(String::len);
    if let Some(markup) = inner {
        // The page's budget scan read the `<noscript>` as text: its markup is held to the
        // same budget before it is parsed.
        super::budget::check_html(&markup)?;
        let hidden = walk_blocks(&Html::parse_fragment(&markup), Filter::Strict, stated, halt)?;
        if readable_chars(&hidden.0) > shown {
            return Ok(hidden);
        }
    }
    Ok(found)
}

/// Non-whitespace characters outside links in a page's blocks.
fn readable_chars(blocks: &[Block]) -> usize {
    blocks
        .iter()
        .map(|b| {
            let chars = b.text.chars().filter(|c| !c.is_whitespace()).count();
            (chars as f32 * (1.0 - b.link_density)) as usize
        })
        .sum()
}

/// Walks the tree without recursion (pages can nest deeper than the stack allows).
fn walk_blocks(
    page: &Html,
    filter: Filter,
    stated: &[String],
    halt: &dyn Interrupt,
) -> Result<Blocks, Rejection> {
    let furniture = Furniture::of_page(page, filter, stated);
    halt.check()?;
    let mut blocks = BlockBuilder::default();
    let mut skipping: Option<NodeId> = None;
    // Open `article` and `main` elements: a header inside one is the story's own (its title,
    // lead and byline), not the page's.
    let mut in_story = 0usize;
    for (step, edge) in page.tree.root().traverse().enumerate() {
        interrupt::every(step, halt)?;
        match edge {
            Edge::Open(node) if skipping.is_none() => match node.value() {
                Node::Text(text) => blocks.text(text),
                Node::Element(element) if furniture.leaves_out(element, node, in_story > 0) => {
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
    Ok(blocks.finish())
}

/// The text of each outermost element the block walk leaves out, with why (`<tag>` for a
/// dropped tag, `hidden`, `class`/`role` for markup naming furniture): for the eval's account
/// of missed passages. Reads as [`parse_html`] does, with the strict filter.
#[cfg(any(test, feature = "eval"))]
pub(crate) fn left_out_parts(html: &str) -> Vec<(String, String)> {
    let page = Html::parse_document(html);
    let stated = stated::stated_story(&page);
    let furniture = Furniture::of_page(&page, Filter::Strict, &stated);
    let mut parts: Vec<(String, String)> = Vec::new();
    let mut skipping: Option<NodeId> = None;
    let mut in_story = 0usize;
    for edge in page.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Text(text) if skipping.is_some() => {
                    if let Some(last) = parts.last_mut() {
                        last.1.push_str(text);
                        last.1.push(' ');
                    }
                }
                Node::Element(element) if skipping.is_none() => {
                    if furniture.leaves_out(element, node, in_story > 0) {
                        skipping = Some(node.id());
                        parts.push((furniture::why_left_out(element), String::new()));
                    } else {
                        in_story += usize::from(is_story_container(element));
                    }
                }
                Node::Element(element)
                    if skipping.is_some() && BLOCK_TAGS.contains(&element.name()) =>
                {
                    if let Some(last) = parts.last_mut() {
                        last.1.push(' ');
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                if skipping == Some(node.id()) {
                    skipping = None;
                } else if skipping.is_none() {
                    if let Node::Element(element) = node.value() {
                        in_story -= usize::from(is_story_container(element));
                    }
                }
            }
        }
    }
    parts
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
    fn a_thread_of_posts_named_comments_is_the_pages_text() {
        let post = |n: u32| {
            format!(
                r#"<div class="post-comment"><div class="comment-body">Post {n} says the
                update broke the store on mobile data, and a restart did not help.</div></div>"#
            )
        };
        // A forum page: the posts are its text, even inside a form that wraps the page.
        let html = format!(
            r#"<body><form><main><h1>Store gone</h1><div class="comments">{}{}</div></main>
            </form><div class="footer-comment">Imprint</div><p>Terms</p></body>"#,
            post(1),
            post(2)
        );
        let got: Vec<String> = texts(&html).into_iter().map(|(_, t)| t).collect();
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(got[1].starts_with("Post 1 says") && got[2].starts_with("Post 2 says"));
        // A story with a few comments under it: the comments stay out.
        let html = format!(
            r#"<body><article><p>{long}</p><p>{long}</p></article>
            <div class="comments">{}{}</div></body>"#,
            post(1),
            post(2),
            long = "The council met on Monday and agreed, after a long debate that ran late \
                into the night, to extend the programme for another two years."
        );
        assert!(texts(&html).iter().all(|(_, t)| !t.contains("Post")));
    }

    #[test]
    fn a_header_holding_the_storys_headline_is_the_storys() {
        let html = r#"<html><head><title>Storm hits the coast | Daily</title></head><body>
            <header class="site"><h1>Daily</h1><p>All the news</p></header>
            <header class="article-head"><h1>Storm hits  the coast</h1><h2>Ten towns flooded
            overnight</h2><div class="share">Share</div></header><p>The council met on Monday and
            agreed to extend the programme.</p></body></html>"#;
        let got: Vec<String> = texts(html).into_iter().map(|(_, t)| t).collect();
        assert_eq!(
            got,
            [
                "Storm hits the coast",
                "Ten towns flooded overnight",
                "The council met on Monday and agreed to extend the programme."
            ]
        );
    }

    #[test]
    fn an_element_holding_what_the_page_states_as_its_text_is_read_whatever_its_class() {
        let html = r#"<html><head><meta name="description" content="Ten towns were flooded
            overnight as the rivers rose a metre in an hour."></head><body>
            <div class="article-header"><div class="share">Share</div><p class="lead">Ten towns
            were flooded overnight as the rivers rose a metre in an hour.</p></div>
            <div class="header-promo"><p>Ten towns, one app: get the flood alerts.</p></div>
            <p>The council met on Monday and agreed, after a long debate that ran late into the
            night, to extend the flood programme for another two years.</p></body></html>"#;
        let story = "The council met on Monday and agreed, after a long debate that ran late into \
            the night, to extend the flood programme for another two years.";
        // The header holding the stated summary is read (its share box still is not); a box
        // named alike that states nothing stays out.
        assert_eq!(
            texts(html),
            [
                para("Ten towns were flooded overnight as the rivers rose a metre in an hour."),
                para(story)
            ]
        );
        let bare = html.replace("description", "keywords");
        assert_eq!(texts(&bare), [para(story)]);
        // A sidebar that quotes the summary among its many teasers is still a sidebar.
        let long = html.replace(
            "<p>The council",
            &format!("<p>{story}</p><p>{story}</p><p>The council"),
        );
        let teasers = "<p>Another story of the week, told at length in a teaser.</p>".repeat(4);
        let sidebar = long.replace(
            r#"<div class="header-promo">"#,
            &format!(
                r#"<div class="sidebar"><p>Ten towns were flooded overnight as the rivers
            rose a metre in an hour.</p>{teasers}</div><div class="header-promo">"#
            ),
        );
        assert_eq!(texts(&long).len(), 4);
        assert_eq!(texts(&sidebar), texts(&long));
    }

    #[test]
    fn a_page_whose_text_is_only_in_noscript_is_read_from_it() {
        let html = r#"<body><div id="app"><h2>Loading</h2></div><noscript><div class="post">
            <p>The council met on Monday and agreed to extend the programme.</p><p>Second.</p>
            </div></noscript><noscript><img src="pixel.gif"></noscript></body>"#;
        assert_eq!(
            texts(html),
            [
                para("The council met on Monday and agreed to extend the programme."),
                para("Second.")
            ]
        );
        // A page with text of its own keeps it, and a short notice in noscript stays out.
        let html = r#"<body><p>The council met on Monday and agreed to extend it.</p>
            <noscript><p>Please enable JavaScript.</p></noscript></body>"#;
        assert_eq!(
            texts(html),
            [para("The council met on Monday and agreed to extend it.")]
        );
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

    /// The page as html5ever builds it when given the markup at once (scraper's own entry point).
    fn read_at_once(html: &str) -> Document {
        let page = Html::parse_document(html);
        let stated = stated::stated_story(&page);
        let (blocks, nodes) =
            page_blocks(&page, &stated, &Uninterrupted).expect("never interrupted");
        Document {
            blocks,
            nodes,
            stated,
            ..meta::read_meta(&page)
        }
    }

    #[test]
    fn a_page_fed_in_chunks_reads_as_the_page_fed_at_once() {
        // Chunks cut inside tags, attributes, entities, CRLF pairs, comments and scripts.
        let page = "<!doctype html>\r\n<html><head><title>A &amp; B \u{e9}t\u{e9}</title>\
            <meta property=\"og:url\" content=\"https://example.org/a?x=1&amp;y=2\">\
            <script>if (a < b && c) { document.write('</p>'); }</script></head>\r\n\
            <body><!-- a comment -- with dashes --><article><h1>Head&shy;line</h1>\
            <p class=\"lead story\">Caf&eacute; &#8212; words &notanentity; and more\r\n text.</p>\
            <ul><li>one<li>two</ul><table><td>cell<td>cell two</table>\
            <p>Last <b><i>bold</b> italic</i> para<br><br>after break</p></article></body></html>";
        let whole = read_at_once(page);
        assert!(whole.blocks.len() >= 6, "{whole:?}");
        for chunk in [1, 2, 3, 5, 8, 13, 64, 1 << 20] {
            let fed = parse_in_chunks(page, chunk, &Uninterrupted).expect("reads");
            assert_eq!(fed, whole, "chunks of {chunk} bytes");
        }
    }

    /// Pieces of markup that chunk boundaries may cut: tags, attributes, entities, comments,
    /// scripts, CRLF pairs, multi-byte characters, and stray syntax.
    const PIECES: &[&str] = &[
        "<p>",
        "</p>",
        "<div class=\"a b\">",
        "</div>",
        "&amp;",
        "&eacute",
        "&#x41;",
        "&#8212;",
        "\r\n",
        "<!-- c -->",
        "<!--",
        "-->",
        "<script>if (a<b) x();</script>",
        "<b>",
        "</b>",
        "<i>",
        "</i>",
        "<table><td>",
        "</table>",
        "words of text ",
        "caf\u{e9} \u{1f600} ",
        "<br>",
        "<a href='/x?a=1&b=2'>",
        "</a>",
        "<h1>",
        "</h1>",
        "<title>T &amp; U</title>",
        "<meta property=\"og:url\" content=\"https://e.org/a\">",
        "<li>",
        "<ul>",
        "</ul>",
        "<",
        ">",
        "\"",
        "'",
        "&",
        "<article>",
        "</article>",
        "<nav>menu</nav>",
    ];

    proptest::proptest! {
        #[test]
        fn any_markup_fed_in_chunks_reads_as_fed_at_once(
            picks in proptest::collection::vec(0..PIECES.len(), 0..120),
            chunk in 1usize..80,
        ) {
            let page: String = picks.iter().map(|&i| PIECES[i]).collect();
            let fed = parse_in_chunks(&page, chunk, &Uninterrupted).expect("reads");
            proptest::prop_assert_eq!(fed, read_at_once(&page));
        }
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

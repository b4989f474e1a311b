//! Which elements of an HTML page are furniture (menus, headers, footers, sidebars, comment
//! boxes, hidden parts), by their tag, class, id, role and whether the page hides them; and the
//! page-wide evidence that overrules a name: an element holding most of the page's prose, the
//! page's main repeated structure (the posts of a thread), or a stretch of what the page states
//! as its main text (its description, its JSON-LD body) is content whatever it is called.
//! Must not read text into blocks (that is `html`'s) nor judge prose (`clean`'s). Walks the
//! tree without recursion.

use std::cell::OnceCell;
use std::collections::HashMap;

use ego_tree::iter::Edge;
use ego_tree::NodeRef;
use scraper::node::Element;
use scraper::{Html, Node};

use super::is_link;
use crate::text::normalize::{normalize, word_count};

/// Words an element's text needs to be found in the page's stated main text: a few words are
/// found in any long article body.
const STATED_MIN_WORDS: usize = 8;
/// How many times the longest stated item's characters an element may hold and still be read
/// for it.
const STATED_SHARE_BOUND: usize = 3;

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

/// Which elements the block walk leaves out.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Filter {
    /// Dropped tags, hidden elements, and class, id or role naming furniture.
    Strict,
    /// Dropped tags and hidden elements only: the retry for pages whose markup names everything
    /// furniture, since losing an article costs more than keeping a menu.
    TagsOnly,
}

/// Non-whitespace characters of readable text under a node (not scripts, styles and the like).
fn text_chars(node: NodeRef<'_, Node>) -> usize {
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

/// What the page as a whole says about its furniture, read once before the block walk.
pub(super) struct Furniture<'a> {
    filter: Filter,
    total: Share,
    /// Class and id tokens of the page's main repeated structure ([`main_groups`]).
    main_groups: Vec<String>,
    /// The titles the page states for its story, lower-cased ([`super::meta::stated_titles`]).
    titles: Vec<String>,
    /// What the page states as its main text ([`super::stated::stated_story`]).
    stated: &'a [String],
    /// Those of its items long enough to name an element, normalised and between spaces, and
    /// the characters of the longest: made when first asked (most pages never ask).
    long_stated: OnceCell<(Vec<String>, usize)>,
}

impl<'a> Furniture<'a> {
    pub(super) fn of_page(page: &Html, filter: Filter, stated: &'a [String]) -> Furniture<'a> {
        let root = page.tree.root();
        Furniture {
            filter,
            total: Share {
                text: text_chars(root),
                prose: prose_chars(root),
            },
            main_groups: match filter {
                Filter::Strict => main_groups(page),
                Filter::TagsOnly => Vec::new(),
            },
            titles: super::meta::stated_titles(page),
            stated,
            long_stated: OnceCell::new(),
        }
    }

    /// Whether the walk leaves an element and everything in it out. `in_story`: the element is
    /// inside an `article` or `main`, where a header is the story's own.
    pub(super) fn leaves_out(
        &self,
        element: &Element,
        node: NodeRef<'_, Node>,
        in_story: bool,
    ) -> bool {
        let story_header = element.name() == "header" && self.heads_story(node);
        is_left_out(
            element,
            node,
            self.filter,
            in_story || story_header,
            &self.main_groups,
        ) && !holds_most_of_page(element, node, self.total)
            && !self.holds_stated_text(element, node)
    }

    /// Whether an element left out by its name (not its tag, not hidden) holds a stretch of what
    /// the page states as its main text: the page's own word overrules a class name.
    fn holds_stated_text(&self, element: &Element, node: NodeRef<'_, Node>) -> bool {
        if self.stated.is_empty() || DROPPED_TAGS.contains(&element.name()) || is_hidden(element) {
            return false;
        }
        let (items, longest) = self.long_stated.get_or_init(|| {
            let items: Vec<String> = self
                .stated
                .iter()
                .map(|item| normalize(item))
                .filter(|n| word_count(n) >= STATED_MIN_WORDS)
                .map(|n| format!(" {n} "))
                .collect();
            let longest = items.iter().map(|s| s.chars().count()).max().unwrap_or(0);
            (items, longest)
        });
        // The stated text must be most of what the element holds: a sidebar that quotes the
        // description in a teaser is still a sidebar (and is not normalised for nothing).
        if items.is_empty() || text_chars(node) > STATED_SHARE_BOUND * longest {
            return false;
        }
        let text: String = node
            .descendants()
            .filter(|n| {
                n.parent()
                    .and_then(|p| {
                        p.value()
                            .as_element()
                            .map(|e| !NEVER_TEXT_TAGS.contains(&e.name()))
                    })
                    .unwrap_or(true)
            })
            .filter_map(|n| n.value().as_text().map(|t| &**t))
            .fold(String::new(), |mut all, t| {
                all.push_str(t);
                all.push(' ');
                all
            });
        let norm = normalize(&text);
        let padded = format!(" {norm} ");
        items.iter().any(|item| padded.contains(item.as_str()))
    }

    /// Whether a header holds the story's headline: an `h1` saying what the page states as its
    /// title. Such a header is the story's own (its headline, lead and byline), wherever the
    /// site placed it.
    fn heads_story(&self, node: NodeRef<'_, Node>) -> bool {
        !self.titles.is_empty()
            && node.descendants().any(|n| {
                n.value().as_element().is_some_and(|e| e.name() == "h1") && {
                    let text: String = n
                        .descendants()
                        .filter_map(|t| t.value().as_text().map(|t| &**t))
                        .collect();
                    let text = crate::text::plain::collapse_whitespace(&text).to_lowercase();
                    !text.is_empty() && self.titles.contains(&text)
                }
            })
    }
}

/// Whether an element left out for its tag, class, id or role holds most of the page's text:
/// then it is a page-wide wrapper (a `<form>` around a whole page, `header-style-2`), not
/// furniture.
fn holds_most_of_page(element: &Element, node: NodeRef<'_, Node>, total: Share) -> bool {
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
    !NEVER_TEXT_TAGS.contains(&element.name())
        && !is_hidden(element)
        && (held * 2 > all || holds_main(node))
}

/// Class and id tokens naming furniture that two or more elements carry and whose elements,
/// together, hold most of the page's text outside links: the page's main repeated structure
/// (the posts of a forum thread, the entries of a live ticker, the sections of a review), not
/// furniture. A sidebar is one element, and a list of links is link text.
fn main_groups(page: &Html) -> Vec<String> {
    // Per token: the text of its outermost elements, and how many there are.
    let mut sums: HashMap<&str, (usize, usize)> = HashMap::new();
    let mut open: HashMap<&str, usize> = HashMap::new();
    // Text counted so far inside each open element.
    let mut stack: Vec<usize> = Vec::new();
    let (mut links, mut total) = (0usize, 0usize);
    for edge in page.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) => {
                    stack.push(0);
                    links += usize::from(is_link(e));
                    for t in e.classes().chain(e.id()) {
                        if names_furniture(t, false) {
                            *open.entry(t).or_default() += 1;
                        }
                    }
                }
                Node::Text(t) => {
                    let readable = node
                        .parent()
                        .and_then(|p| {
                            p.value()
                                .as_element()
                                .map(|e| !NEVER_TEXT_TAGS.contains(&e.name()))
                        })
                        .unwrap_or(true);
                    if readable && links == 0 {
                        if let Some(top) = stack.last_mut() {
                            *top += t.chars().filter(|c| !c.is_whitespace()).count();
                        }
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(e) = node.value() {
                    links = links.saturating_sub(usize::from(is_link(e)));
                    let held = stack.pop().unwrap_or(0);
                    match stack.last_mut() {
                        Some(top) => *top += held,
                        None => total += held,
                    }
                    for t in e.classes().chain(e.id()) {
                        if let Some(n) = open.get_mut(t) {
                            *n -= 1;
                            if *n == 0 {
                                let sum = sums.entry(t).or_default();
                                *sum = (sum.0 + held, sum.1 + 1);
                            }
                        }
                    }
                }
            }
        }
    }
    sums.into_iter()
        .filter(|&(_, (held, count))| count >= 2 && held * 2 > total)
        .map(|(t, _)| t.to_owned())
        .collect()
}

/// Whether an element holds elements of the page's main repeated structure.
fn wraps_main_group(node: NodeRef<'_, Node>, main: &[String]) -> bool {
    !main.is_empty()
        && node.descendants().any(|n| {
            n.value().as_element().is_some_and(|e| {
                e.classes()
                    .chain(e.id())
                    .any(|c| main.iter().any(|m| m == c))
            })
        })
}

/// Whether a `<main>` element lies under a node: the page's main content, by its own markup.
fn holds_main(node: NodeRef<'_, Node>) -> bool {
    node.descendants()
        .any(|n| n.value().as_element().is_some_and(|e| e.name() == "main"))
}

/// The page's readable text, and the part of it in paragraphs (`<p>`): menus and link lists
/// have none, so paragraph text tells where the article is.
#[derive(Clone, Copy)]
struct Share {
    text: usize,
    prose: usize,
}

/// Non-whitespace characters of text inside `<p>` elements under a node.
fn prose_chars(node: NodeRef<'_, Node>) -> usize {
    node.descendants()
        .filter(|n| {
            n.value().is_element() && n.value().as_element().is_some_and(|e| e.name() == "p")
        })
        .map(text_chars)
        .sum()
}

/// Whether an element and everything in it is left out of the text by its markup alone.
fn is_left_out(
    element: &Element,
    node: NodeRef<'_, Node>,
    filter: Filter,
    in_story: bool,
    main: &[String],
) -> bool {
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
        || (element
            .classes()
            .chain(element.id())
            .any(|c| names_furniture(c, in_story) && !main.iter().any(|m| m == c)))
            && !wraps_main_group(node, main)
}

/// Why the walk leaves an element out, in a word: its tag when the tag is dropped, else
/// `hidden`, `role` or `class` (for the eval's account of missed passages).
#[cfg(any(test, feature = "eval"))]
pub(super) fn why_left_out(element: &Element) -> String {
    let name = element.name();
    if DROPPED_TAGS.contains(&name) {
        format!("<{name}>")
    } else if is_hidden(element) {
        "hidden".to_owned()
    } else if element
        .attr("role")
        .is_some_and(|r| FURNITURE_ROLES.iter().any(|f| r.eq_ignore_ascii_case(f)))
    {
        "role".to_owned()
    } else {
        "class".to_owned()
    }
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
pub(super) fn names_furniture(token: &str, in_story: bool) -> bool {
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
pub(super) fn token_words(token: &str) -> Vec<&str> {
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
}

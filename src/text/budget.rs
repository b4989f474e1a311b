//! The structural budget of an HTML page, checked by one linear scan of the markup before the
//! HTML parser sees it: elements, nesting depth, attributes per element (and attribute pairs in
//! all, the parser's duplicate-attribute check being quadratic in each tag's attributes), and
//! formatting elements left open (the parser re-opens those for every run of text). Nesting
//! cost is quadratic in the parser too, so a page over budget is refused in words instead of
//! keeping the engine busy for minutes. Must not allocate more than the budget allows, and
//! must never count less depth than the parser will build (it errs towards more).

use super::Rejection;
use rustc_hash::FxHashMap;

/// What a page may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Budget {
    /// Start tags in all.
    pub(crate) elements: usize,
    /// Elements open at once.
    pub(crate) depth: usize,
    /// Attributes on one tag.
    pub(crate) attributes: usize,
    /// The sum over tags of n(n-1)/2 for a tag's n attributes: the duplicate checks' work.
    pub(crate) attribute_pairs: u64,
    /// Formatting elements (`b`, `font`, `a`, ...) opened and not closed by their own end tag.
    pub(crate) formatting: usize,
    /// The sum over elements of the elements open around each: what nesting costs the parser
    /// (and the readers that walk up from each element), which grows with depth times count.
    pub(crate) ancestors: u64,
}

/// The budget of every page: far above what pages of news sites hold (a long page has a few
/// thousand elements, some tens deep), far below what makes the parser slow.
pub(crate) const PAGE: Budget = Budget {
    elements: 200_000,
    depth: 512,
    attributes: 256,
    attribute_pairs: 2_000_000,
    formatting: 256,
    ancestors: 4_000_000,
};

/// What a scan found (the largest depth and attribute count seen).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Markup {
    pub(crate) elements: usize,
    pub(crate) depth: usize,
    pub(crate) attributes: usize,
    pub(crate) attribute_pairs: u64,
    pub(crate) formatting: usize,
    pub(crate) ancestors: u64,
    /// Bytes looked at, and stack entries visited: the scan's own work.
    pub(crate) steps: u64,
}

/// Checks a page against [`PAGE`].
pub(crate) fn check_html(html: &str) -> Result<Markup, Rejection> {
    scan(html, &PAGE)
}

/// Tags that never hold content.
const VOID: &[&[u8]] = &[
    b"area",
    b"base",
    b"basefont",
    b"bgsound",
    b"br",
    b"col",
    b"embed",
    b"frame",
    b"hr",
    b"image",
    b"img",
    b"input",
    b"keygen",
    b"link",
    b"meta",
    b"param",
    b"source",
    b"track",
    b"wbr",
];
/// Tags whose content is text up to their own end tag.
const RAW_TEXT: &[&[u8]] = &[
    b"script",
    b"style",
    b"textarea",
    b"title",
    b"xmp",
    b"iframe",
    b"noembed",
    b"noframes",
    b"noscript",
];
/// Formatting elements: the parser re-opens those left open.
const FORMATTING: &[&[u8]] = &[
    b"a", b"b", b"big", b"code", b"em", b"font", b"i", b"nobr", b"s", b"small", b"strike",
    b"strong", b"tt", b"u",
];
/// Start tags that close an open `p` (in button scope) before they open.
const CLOSES_P: &[&[u8]] = &[
    b"address",
    b"article",
    b"aside",
    b"blockquote",
    b"center",
    b"details",
    b"dialog",
    b"dir",
    b"div",
    b"dl",
    b"fieldset",
    b"figcaption",
    b"figure",
    b"footer",
    b"form",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"header",
    b"hgroup",
    b"hr",
    b"listing",
    b"main",
    b"menu",
    b"nav",
    b"ol",
    b"p",
    b"pre",
    b"search",
    b"section",
    b"summary",
    b"table",
    b"ul",
    b"xmp",
];
/// Elements a search for an open element does not look past (the parser's "scope").
const SCOPE: &[&[u8]] = &[
    b"applet",
    b"caption",
    b"html",
    b"table",
    b"td",
    b"th",
    b"marquee",
    b"object",
    b"template",
    b"svg",
    b"math",
    b"foreignobject",
    b"desc",
    b"title",
    b"mi",
    b"mo",
    b"mn",
    b"ms",
    b"mtext",
    b"annotation-xml",
];
/// The scope a search for a scope element itself does not look past.
const TABLE_SCOPE: &[&[u8]] = &[b"html", b"table", b"template"];
/// Open elements a search looks at, at most; past that the element counts as not open (so the
/// stack is kept, and depth is counted high rather than low).
const SEARCH: usize = 64;
/// Tag names are told apart by this many bytes.
const NAME: usize = 32;

struct Scanner<'a> {
    budget: &'a Budget,
    found: Markup,
    open: Vec<Vec<u8>>,
    /// Open elements by name, so an end tag for an element not open costs nothing.
    open_count: FxHashMap<Vec<u8>, usize>,
    formatting: FxHashMap<Vec<u8>, usize>,
}

/// Scans markup against a budget; the first excess is the rejection.
pub(crate) fn scan(html: &str, budget: &Budget) -> Result<Markup, Rejection> {
    let mut s = Scanner {
        budget,
        found: Markup::default(),
        open: Vec::new(),
        open_count: FxHashMap::default(),
        formatting: FxHashMap::default(),
    };
    let b = html.as_bytes();
    let mut i = 0;
    while let Some(lt) = b[i..].iter().position(|&c| c == b'<') {
        i += lt + 1;
        match b.get(i) {
            Some(b'!') if b[i..].starts_with(b"!--") => i = after(b, i + 3, b"-->"),
            Some(b'!' | b'?') => i = after(b, i, b">"),
            Some(b'/') if b.get(i + 1).is_some_and(u8::is_ascii_alphabetic) => {
                let (name, end) = tag_name(b, i + 1);
                i = after(b, end, b">");
                s.close(&name);
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let (name, end) = tag_name(b, i);
                let (attributes, self_closing, end) = attributes(b, end, budget.attributes);
                i = end;
                s.start(&name, attributes, self_closing)?;
                if name.as_slice() == b"plaintext" {
                    break; // the rest of the page is text
                }
                // Inside `svg` or `math` a `script` or `title` holds markup, not raw text.
                let foreign = [&b"svg"[..], b"math"]
                    .iter()
                    .any(|n| s.open_count.get(*n).is_some_and(|&c| c > 0));
                if RAW_TEXT.contains(&name.as_slice()) && !self_closing && !foreign {
                    i = raw_text_end(b, i, &name);
                    s.close(&name);
                }
            }
            _ => {}
        }
    }
    s.found.steps += b.len() as u64;
    Ok(s.found)
}

impl Scanner<'_> {
    fn start(
        &mut self,
        name: &[u8],
        attributes: usize,
        self_closing: bool,
    ) -> Result<(), Rejection> {
        let f = &mut self.found;
        f.elements += 1;
        f.attributes = f.attributes.max(attributes);
        let n = attributes as u64;
        f.attribute_pairs += n * n.saturating_sub(1) / 2;
        if attributes > self.budget.attributes {
            return Err(too_complex(format!(
                "one tag has more than {} attributes",
                self.budget.attributes
            )));
        }
        if f.attribute_pairs > self.budget.attribute_pairs {
            return Err(too_complex(format!(
                "its tags hold too many attributes (over {} pairs to compare)",
                self.budget.attribute_pairs
            )));
        }
        if f.elements > self.budget.elements {
            return Err(too_complex(format!(
                "more than {} elements",
                self.budget.elements
            )));
        }
        if CLOSES_P.contains(&name) {
            self.pop_to(&[b"p"], &[b"button"]);
        }
        match name {
            b"li" => self.pop_to(&[b"li"], &[b"ul", b"ol"]),
            b"dt" | b"dd" => self.pop_to(&[b"dt", b"dd"], &[]),
            b"td" | b"th" => self.pop_to(&[b"td", b"th"], &[b"tr"]),
            b"tr" => self.pop_to(&[b"tr"], &[b"tbody", b"thead", b"tfoot"]),
            b"option" => self.pop_to(&[b"option"], &[]),
            _ => {}
        }
        if VOID.contains(&name) || self_closing {
            return Ok(());
        }
        if FORMATTING.contains(&name) {
            *self.formatting.entry(name.to_vec()).or_default() += 1;
            let open: usize = self.formatting.values().sum();
            self.found.formatting = self.found.formatting.max(open);
            if open > self.budget.formatting {
                return Err(too_complex(format!(
                    "more than {} formatting elements (b, i, font, ...) left open",
                    self.budget.formatting
                )));
            }
        }
        self.open.push(name.to_vec());
        *self.open_count.entry(name.to_vec()).or_default() += 1;
        self.found.depth = self.found.depth.max(self.open.len());
        self.found.ancestors += self.open.len() as u64;
        if self.found.ancestors > self.budget.ancestors {
            return Err(too_complex(format!(
                "its elements are nested too deep too often (over {} levels in all)",
                self.budget.ancestors
            )));
        }
        if self.open.len() > self.budget.depth {
            return Err(too_complex(format!(
                "elements nested more than {} deep",
                self.budget.depth
            )));
        }
        Ok(())
    }

    fn close(&mut self, name: &[u8]) {
        if let Some(n) = self.formatting.get_mut(name) {
            *n = n.saturating_sub(1);
        }
        self.pop_to(&[name], &[]);
    }

    /// Closes the nearest open element named one of `names`, and everything opened after it,
    /// unless a scope element (or one of `stops`) comes first, or it is not near the top.
    fn pop_to(&mut self, names: &[&[u8]], stops: &[&[u8]]) {
        if !names
            .iter()
            .any(|n| self.open_count.get(*n).is_some_and(|&c| c > 0))
        {
            return;
        }
        // A scope element itself (`table`, `td`) is looked for in table scope.
        let table_scope = names.iter().any(|n| SCOPE.contains(n));
        let mut at = None;
        for (k, open) in self.open.iter().rev().enumerate().take(SEARCH) {
            self.found.steps += 1;
            let open = open.as_slice();
            if names.contains(&open) {
                at = Some(self.open.len() - 1 - k);
                break;
            }
            let bounds = if table_scope {
                TABLE_SCOPE.contains(&open)
            } else {
                SCOPE.contains(&open)
            };
            if bounds || stops.contains(&open) {
                return;
            }
        }
        let Some(at) = at else { return };
        for closed in self.open.drain(at..) {
            if let Some(c) = self.open_count.get_mut(&closed) {
                *c -= 1;
            }
        }
    }
}

fn too_complex(why: String) -> Rejection {
    Rejection::TooComplex(why)
}

/// The position after the first `end` at or after `from` (the end of the input when none).
fn after(b: &[u8], from: usize, end: &[u8]) -> usize {
    b.get(from..)
        .and_then(|rest| rest.windows(end.len()).position(|w| w == end))
        .map_or(b.len(), |p| from + p + end.len())
}

/// A tag's name in lower case (its first `NAME` bytes), and where it ends.
fn tag_name(b: &[u8], from: usize) -> (Vec<u8>, usize) {
    let len = b[from..]
        .iter()
        .position(|&c| c.is_ascii_whitespace() || c == b'/' || c == b'>')
        .unwrap_or(b.len() - from);
    let name = b[from..from + len.min(NAME)].to_ascii_lowercase();
    (name, from + len)
}

/// Counts a start tag's attributes (stopping the count just past `max`); returns the count,
/// whether the tag closes itself (`/>`), and the position after the tag.
fn attributes(b: &[u8], mut i: usize, max: usize) -> (usize, bool, usize) {
    let mut count = 0;
    loop {
        while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
            i += 1;
        }
        match b.get(i) {
            None => return (count, false, b.len()),
            Some(b'>') => return (count, false, i + 1),
            Some(b'/') if b.get(i + 1) == Some(&b'>') => return (count, true, i + 2),
            Some(b'/') => i += 1,
            Some(_) => {
                // The name: up to a space, `=`, `/` or `>` (its first character may be `=`).
                i += 1;
                while b
                    .get(i)
                    .is_some_and(|&c| !(c.is_ascii_whitespace() || matches!(c, b'=' | b'/' | b'>')))
                {
                    i += 1;
                }
                count += 1;
                while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
                    i += 1;
                }
                if b.get(i) == Some(&b'=') {
                    i += 1;
                    while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
                        i += 1;
                    }
                    i = match b.get(i) {
                        Some(&q @ (b'"' | b'\'')) => after(b, i + 1, &[q]),
                        _ => {
                            while b
                                .get(i)
                                .is_some_and(|&c| !(c.is_ascii_whitespace() || c == b'>'))
                            {
                                i += 1;
                            }
                            i
                        }
                    };
                }
                if count > max {
                    // Over budget: the rest of the tag need not be read.
                    return (count, false, after(b, i, b">"));
                }
            }
        }
    }
}

/// Where the text of a raw-text element (`script`, `style`, ...) ends: after its end tag.
fn raw_text_end(b: &[u8], from: usize, name: &[u8]) -> usize {
    let mut i = from;
    while let Some(p) = b
        .get(i..)
        .and_then(|r| r.windows(2).position(|w| w == b"</"))
    {
        let at = i + p + 2;
        let candidate = b.get(at..at + name.len());
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name)) {
            return after(b, at, b">");
        }
        i = at;
    }
    b.len()
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;

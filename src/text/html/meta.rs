//! HTML page metadata: title, URL, site name and publication date from `<meta>`, `<title>`,
//! `<link rel=canonical>`, `<h1>` and `<time>`. Must not read the article text.

use scraper::{ElementRef, Html};

use crate::text::plain::collapse_whitespace;
use crate::text::title::{is_plausible, strip_site_suffix};
use crate::text::Document;

/// What a page says about itself; the first value of each kind in document order wins.
#[derive(Default)]
struct Found {
    og_title: Option<String>,
    title: Option<String>,
    h1: Option<String>,
    og_url: Option<String>,
    canonical: Option<String>,
    site_name: Option<String>,
    published: Option<String>,
    time: Option<String>,
}

/// The page's title, URL, site name and publication date, each from the best source it has.
pub(super) fn read_meta(page: &Html) -> Document {
    let mut found = Found::default();
    for element in page.root_element().descendent_elements() {
        found.see(element);
    }
    Document {
        // The first plausible of what the page says its title is: a URL or an empty heading
        // never names the story.
        title: [found.og_title, found.title, found.h1]
            .into_iter()
            .flatten()
            .find(|t| is_plausible(t)),
        url: found.og_url.or(found.canonical),
        source: found.site_name,
        published: found.published.or(found.time),
        ..Document::default()
    }
}

/// What the page states its story's title is (`og:title`, and `<title>` without its site suffix),
/// lower-cased with whitespace collapsed: for telling the story's own header from the page's.
pub(super) fn stated_titles(page: &Html) -> Vec<String> {
    let mut found = Found::default();
    for element in page.root_element().descendent_elements() {
        if matches!(element.value().name(), "meta" | "title") {
            found.see(element);
        }
    }
    [found.og_title, found.title]
        .into_iter()
        .flatten()
        .map(|t| t.to_lowercase())
        .collect()
}

impl Found {
    fn see(&mut self, element: ElementRef<'_>) {
        let el = element.value();
        match el.name() {
            "meta" => {
                let key = (el
                    .attr("property")
                    .or(el.attr("name"))
                    .or(el.attr("itemprop")))
                .map(str::to_ascii_lowercase);
                let slot = match key.as_deref() {
                    Some("og:title") => &mut self.og_title,
                    Some("og:url") => &mut self.og_url,
                    Some("og:site_name") => &mut self.site_name,
                    Some("article:published_time" | "datepublished") => &mut self.published,
                    _ => return,
                };
                set_once(slot, el.attr("content"));
            }
            // Only the document's title: SVG icons have `<title>`s of their own.
            "title" if parent_name(element) == Some("head") => {
                let text = collapse_whitespace(&element.text().collect::<String>());
                set_once(&mut self.title, Some(strip_site_suffix(&text)));
            }
            "h1" if self.h1.is_none() => {
                let text = collapse_whitespace(&element.text().collect::<String>());
                if is_plausible(&text) {
                    set_once(&mut self.h1, Some(&text));
                }
            }
            "link" if has_token(el.attr("rel"), "canonical") => {
                set_once(&mut self.canonical, el.attr("href"));
            }
            "time" => set_once(&mut self.time, el.attr("datetime")),
            _ => {}
        }
    }
}

fn parent_name(element: ElementRef<'_>) -> Option<&str> {
    Some(ElementRef::wrap(element.parent()?)?.value().name())
}

fn has_token(list: Option<&str>, token: &str) -> bool {
    list.is_some_and(|l| l.split_whitespace().any(|t| t.eq_ignore_ascii_case(token)))
}

/// Fills an empty slot with a value whose whitespace is collapsed, unless that leaves nothing.
fn set_once(slot: &mut Option<String>, value: Option<&str>) {
    if slot.is_none() {
        *slot = value.map(collapse_whitespace).filter(|v| !v.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(html: &str) -> Document {
        read_meta(&Html::parse_document(html))
    }

    #[test]
    fn metadata_from_open_graph() {
        let html = r#"<html><head><title>Ignored | Site</title>
            <meta property="og:title" content=" Storm  hits coast ">
            <meta property="og:url" content="https://news.example/storm">
            <link rel="canonical" href="https://news.example/other">
            <meta property="og:site_name" content="Daily News">
            <meta property="article:published_time" content="2024-05-01T10:00:00Z">
            </head><body><p>x</p></body></html>"#;
        let doc = meta(html);
        assert_eq!(doc.title.as_deref(), Some("Storm hits coast"));
        assert_eq!(doc.url.as_deref(), Some("https://news.example/storm"));
        assert_eq!(doc.source.as_deref(), Some("Daily News"));
        assert_eq!(doc.published.as_deref(), Some("2024-05-01T10:00:00Z"));
    }

    #[test]
    fn metadata_fallbacks() {
        let html = r#"<html><head><title>Council approves the budget - The Gazette</title>
            <link rel="Canonical" href="/budget"></head><body><header><h1>Head</h1>
            <time datetime="2024-01-02">2 Jan</time></header><svg><title>icon</title></svg>
            <p>x</p></body></html>"#;
        let doc = meta(html);
        assert_eq!(doc.title.as_deref(), Some("Council approves the budget"));
        assert_eq!(doc.url.as_deref(), Some("/budget"));
        assert_eq!(doc.source, None);
        assert_eq!(doc.published.as_deref(), Some("2024-01-02"));
        let short = meta("<title>Brexit - BBC News</title><h1>Other</h1>");
        assert_eq!(short.title.as_deref(), Some("Brexit - BBC News"));
        let h1_only = meta("<body><h1>The <i>headline</i></h1></body>");
        assert_eq!(h1_only.title.as_deref(), Some("The headline"));
    }

    #[test]
    fn a_url_or_an_empty_heading_never_names_the_story() {
        let html = r#"<html><head><meta property="og:title" content="https://news.example/a/b">
            <title>news.example</title></head><body><h1> </h1><h1>Storm floods the town</h1>
            <p>x</p></body></html>"#;
        assert_eq!(meta(html).title.as_deref(), Some("Storm floods the town"));
        let url_only = meta(r#"<title>https://news.example/storm</title><p>x</p>"#);
        assert_eq!(url_only.title, None);
    }
}

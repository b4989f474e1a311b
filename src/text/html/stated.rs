//! What a page states its main text is, apart from its markup: the summary in its `<meta>`
//! description, and its schema.org JSON-LD (the body of an article or review, a recipe's
//! ingredients and steps). Sites publish them for search engines and link previews, so they name
//! the story's parts in the page's own words, including the short lines (a standfirst, an
//! ingredient, a step) that no prose test finds. Only reads it: must not decide what is story (`clean` weighs
//! it) and must not panic on any input (the scripts are untrusted JSON).

use scraper::Html;
use serde_json::Value;

/// schema.org properties whose values are the main text of the page, not a description of it.
const STORY_KEYS: &[&str] = &[
    "articleBody",
    "reviewBody",
    "recipeIngredient",
    "recipeInstructions",
];

/// `<meta>` names of the summary a page gives of its story, in the story's own words.
const DESCRIPTION_KEYS: &[&str] = &["description", "og:description", "twitter:description"];

/// Properties of an item that hold what its readers wrote about it (the reviews under a recipe
/// or a product): their `reviewBody` is a reader's comment, not the page's main text, which a
/// review page states as an item of its own.
const READERS_KEYS: &[&str] = &["review", "reviews", "comment"];

/// Properties under a story property that hold no text of it (types, links, pictures).
const NOT_TEXT_KEYS: &[&str] = &["@type", "@id", "@context", "url", "image", "video"];

/// At most this many bytes of stated text are kept per page: far above any story, a bound on
/// what a hostile page can make the cleaner search.
const MAX_STATED_BYTES: usize = 1 << 20;

/// The texts the page's description and JSON-LD state as its main text, in document order, as
/// written.
pub(super) fn stated_story(page: &Html) -> Vec<String> {
    let mut found = Vec::new();
    let mut bytes = 0usize;
    for element in page.root_element().descendent_elements() {
        let el = element.value();
        if el.name() == "meta" {
            let key = el.attr("property").or(el.attr("name")).unwrap_or("");
            if DESCRIPTION_KEYS
                .iter()
                .any(|k| key.trim().eq_ignore_ascii_case(k))
            {
                if let Some(text) = el.attr("content") {
                    if bytes + text.len() <= MAX_STATED_BYTES {
                        bytes += text.len();
                        found.push(text.to_owned());
                    }
                }
            }
            continue;
        }
        let is_json_ld = el.name() == "script"
            && el
                .attr("type")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"));
        if !is_json_ld {
            continue;
        }
        let json: String = element.text().collect();
        // serde_json bounds its own recursion, so deep input is an error, not a stack overflow.
        let Ok(value) = serde_json::from_str::<Value>(json.trim()) else {
            continue;
        };
        collect(&value, &mut found, &mut bytes);
    }
    found
}

/// Gathers the strings under every story property of `value`, walking without recursion.
fn collect(value: &Value, found: &mut Vec<String>, bytes: &mut usize) {
    // (value, whether it lies under a story property)
    let mut stack: Vec<(&Value, bool)> = vec![(value, false)];
    while let Some((v, in_story)) = stack.pop() {
        match v {
            Value::String(s) if in_story => {
                if *bytes + s.len() > MAX_STATED_BYTES {
                    return;
                }
                *bytes += s.len();
                found.push(s.clone());
            }
            Value::Array(items) => stack.extend(items.iter().rev().map(|i| (i, in_story))),
            Value::Object(map) => {
                // Pushed in reverse so the stack pops them in document order.
                let children: Vec<(&Value, bool)> = map
                    .iter()
                    .filter(|(k, _)| !(in_story && NOT_TEXT_KEYS.contains(&k.as_str())))
                    .filter(|(k, _)| !READERS_KEYS.contains(&k.as_str()))
                    .map(|(k, child)| (child, in_story || STORY_KEYS.contains(&k.as_str())))
                    .collect();
                stack.extend(children.into_iter().rev());
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stated(html: &str) -> Vec<String> {
        stated_story(&Html::parse_document(html))
    }

    #[test]
    fn the_description_and_the_story_properties_of_json_ld_are_read_and_nothing_else() {
        let html = r#"<html><head><meta name="Description" content="A plum cake.">
            <meta property="og:image" content="cake.jpg"><script type="application/ld+json">
            {"@context": "https://schema.org", "@graph": [
              {"@type": "WebPage", "name": "Site", "description": "Menu text"},
              {"@type": "Recipe", "name": "Plum cake", "recipeIngredient": ["200 g flour",
               "3 plums, halved"], "recipeInstructions": [{"@type": "HowToStep",
               "text": "Mix the flour.", "url": "https://example.org/#s1"}]}]}
            </script><script type="application/ld+json">{"articleBody": "Body text."}</script>
            <script type="application/ld+json">{not json</script>
            <script>{"articleBody": "not structured data"}</script></head><body></body></html>"#;
        assert_eq!(
            stated(html),
            [
                "A plum cake.",
                "200 g flour",
                "3 plums, halved",
                "Mix the flour.",
                "Body text."
            ]
        );
    }

    #[test]
    fn the_reviews_readers_wrote_under_an_item_are_not_its_text() {
        let html = r#"<script type="application/ld+json">{"@type": "Recipe",
            "recipeIngredient": ["200 g flour"], "review": [{"@type": "Review",
            "reviewBody": "Too sweet for me."}], "comment": {"text": "Lovely."}}</script>
            <script type="application/ld+json">{"@type": "Review",
            "reviewBody": "The best cake of the year."}</script>"#;
        assert_eq!(stated(html), ["200 g flour", "The best cake of the year."]);
    }

    #[test]
    fn deep_or_broken_json_is_no_error() {
        let deep = format!(
            r#"<script type="application/ld+json">{}{}</script>"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(stated(&deep).is_empty());
        assert!(stated(r#"<script type="application/ld+json"></script>"#).is_empty());
    }
}

//! The JSON reader: one article object (`title`, `body` or `text`, `url`, `source`, `published`)
//! to a document, with errors that say how to fix the file. Must not guess at other layouts.

use serde_json::{Map, Value};

use super::{html, plain, Block, Document, Rejection};

/// Reads a JSON article: an object with a `body` (or `text`) string and optional `title`, `url`,
/// `source` and `published` strings. A body that holds HTML is read as HTML.
pub(crate) fn parse_json(text: &str) -> Result<Document, Rejection> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        Rejection::BadJson(format!("{e}; check that the file is complete, valid JSON"))
    })?;
    let Value::Object(fields) = value else {
        return Err(Rejection::BadJson(format!(
            "expected an object with a \"body\" or \"text\" string; found {}",
            describe(&value)
        )));
    };
    let (body, text) = (
        string_field(&fields, "body")?,
        string_field(&fields, "text")?,
    );
    let body = match (body, text) {
        // An empty "body" beside a real "text" is a scraper's placeholder.
        (Some(body), Some(text)) if body.trim().is_empty() => text,
        (Some(body), _) | (None, Some(body)) => body,
        (None, None) => return Err(missing_body(&fields)),
    };
    Ok(Document {
        title: string_field(&fields, "title")?
            .map(plain::collapse_whitespace)
            .filter(|t| !t.is_empty()),
        url: trimmed(string_field(&fields, "url")?),
        source: trimmed(string_field(&fields, "source")?),
        published: trimmed(string_field(&fields, "published")?),
        blocks: body_blocks(body)?,
        ..Document::default()
    })
}

/// A field that must be a string when present; `null` counts as absent.
fn string_field<'a>(
    fields: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, Rejection> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(Rejection::BadJson(format!(
            "\"{key}\" must be a string; found {}",
            describe(other)
        ))),
    }
}

fn missing_body(fields: &Map<String, Value>) -> Rejection {
    const SHOWN_KEYS: usize = 8;
    let keys: Vec<String> = fields
        .keys()
        .take(SHOWN_KEYS)
        .map(|k| format!("'{k}'"))
        .collect();
    let found = match keys.len() {
        0 => "an empty object".to_owned(),
        n if n < fields.len() => format!("only the keys {}, ...", keys.join(", ")),
        _ => format!("only the keys {}", keys.join(", ")),
    };
    Rejection::BadJson(format!(
        "expected a \"body\" or \"text\" string holding the article; found {found}"
    ))
}

/// What a JSON value is, for error messages.
fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn trimmed(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn body_blocks(body: &str) -> Result<Vec<Block>, Rejection> {
    Ok(if looks_like_html(body) {
        super::budget::check_html(body)?;
        html::html_blocks(body)
    } else {
        plain::text_blocks(body)
    })
}

/// Whether a body holds HTML markup: a paragraph, div or line break tag in any case.
fn looks_like_html(body: &str) -> bool {
    body.as_bytes().windows(3).any(|w| {
        w[0] == b'<'
            && (w[1].eq_ignore_ascii_case(&b'p')
                || w[1..].eq_ignore_ascii_case(b"di")
                || w[1..].eq_ignore_ascii_case(b"br"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::BlockKind;

    fn bad_json(text: &str) -> String {
        match parse_json(text) {
            Err(Rejection::BadJson(message)) => message,
            other => panic!("expected BadJson, got {other:?}"),
        }
    }

    #[test]
    fn reads_an_article_object() -> Result<(), Rejection> {
        let doc = parse_json(
            r#"{"title": " Storm  hits ", "body": "First para.\nSecond para.",
                "url": "https://x.example/a", "source": "Gazette", "published": "2024-05-01",
                "extra": [1, 2]}"#,
        )?;
        assert_eq!(doc.title.as_deref(), Some("Storm hits"));
        assert_eq!(doc.url.as_deref(), Some("https://x.example/a"));
        assert_eq!(doc.source.as_deref(), Some("Gazette"));
        assert_eq!(doc.published.as_deref(), Some("2024-05-01"));
        assert_eq!(
            doc.blocks,
            [
                Block::paragraph("First para."),
                Block::paragraph("Second para.")
            ]
        );
        Ok(())
    }

    #[test]
    fn text_stands_in_for_body_and_nulls_are_absent() -> Result<(), Rejection> {
        let doc = parse_json(r#"{"title": null, "body": null, "text": "- item"}"#)?;
        assert_eq!(
            parse_json(r#"{"body": " ", "text": "x"}"#)?.blocks[0].text,
            "x"
        );
        assert_eq!(doc.title, None);
        assert_eq!(parse_json(r#"{"title": " ", "body": "x"}"#)?.title, None);
        assert_eq!(doc.blocks[0].kind, BlockKind::ListItem);
        assert_eq!(doc.blocks[0].text, "item");
        Ok(())
    }

    #[test]
    fn html_bodies_are_read_as_html() -> Result<(), Rejection> {
        let doc = parse_json(r#"{"body": "<P>One <a href='x'>link</a></P><script>x</script>"}"#)?;
        assert_eq!(doc.blocks.len(), 1);
        assert_eq!(doc.blocks[0].text, "One link");
        assert!(doc.blocks[0].link_density > 0.5);
        assert!(!looks_like_html("a < b and x<y"));
        assert!(looks_like_html("line<BR/>break"));
        Ok(())
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(
            bad_json("[1, 2]"),
            "expected an object with a \"body\" or \"text\" string; found an array"
        );
        assert_eq!(
            bad_json(r#"{"body": 3}"#),
            "\"body\" must be a string; found a number"
        );
        assert_eq!(
            bad_json(r#"{"title": ["a"], "body": "x"}"#),
            "\"title\" must be a string; found an array"
        );
        let missing = bad_json(r#"{"headline": "x", "content": "y"}"#);
        assert!(missing.starts_with(
            "expected a \"body\" or \"text\" string holding the article; found only the keys"
        ));
        assert!(missing.contains("'headline'") && missing.contains("'content'"));
        assert!(bad_json("{}").ends_with("found an empty object"));
        let syntax = bad_json(r#"{"body": "cut off"#);
        assert!(syntax.contains("line 1"), "{syntax}");
        assert!(syntax.ends_with("check that the file is complete, valid JSON"));
    }
}

//! Scores copydesk and the Rust main-text extraction crates on an extraction corpus with the
//! scorer `copydesk eval` uses, and times them (one thread, each crate fed the text copydesk
//! decodes). Optional: extractor names to run only those; DUMP=DIR writes each one's stories.
use copydesk::eval::extraction::{copydesk_story, decode_page, load, score, Case, Tally};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

fn decode(c: &Case) -> String {
    decode_page(&c.html)
}

type Ex = fn(&str, &Case) -> Option<String>;

fn extractors() -> Vec<(&'static str, Ex)> {
    vec![
        ("copydesk", |_, c| Some(copydesk_story(&c.file, &c.html))),
        ("dom_smoothie", |h, _| {
            let mut r = dom_smoothie::Readability::new(h, None, None).ok()?;
            Some(r.parse().ok()?.text_content.to_string())
        }),
        ("dom_smoothie_fmt", |h, _| {
            let cfg = dom_smoothie::Config {
                text_mode: dom_smoothie::TextMode::Formatted,
                ..Default::default()
            };
            let mut r = dom_smoothie::Readability::new(h, None, Some(cfg)).ok()?;
            Some(r.parse().ok()?.text_content.to_string())
        }),
        ("trafilatura", |h, _| {
            Some(
                trafilatura::extract(h, &trafilatura::Options::default())
                    .ok()?
                    .content_text,
            )
        }),
        ("rs-trafilatura", |h, _| {
            Some(rs_trafilatura::extract(h).ok()?.content_text)
        }),
        ("readability", |h, _| {
            let url = url::Url::parse("https://example.org/").ok()?;
            Some(
                readability::extractor::extract(&mut h.as_bytes(), &url)
                    .ok()?
                    .text,
            )
        }),
        ("legible", |h, _| {
            Some(legible::parse(h, None, None).ok()?.text_content)
        }),
        ("readabilityrs", |h, _| {
            readabilityrs::Readability::new(h, None, None)
                .ok()?
                .parse()?
                .text_content
        }),
        ("libreadability", |h, _| {
            Some(libreadability::extract(h, None).ok()?.text_content)
        }),
    ]
}

fn row(name: &str, t: &Tally) -> String {
    format!(
        "{name:<18} {:.3} {:.3} {:.3}",
        t.with(),
        t.without(),
        t.right()
    )
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::Path::new(&args[1]);
    let only: Vec<&str> = args[2..].iter().map(String::as_str).collect();
    let cases = load(dir)?;
    let dump = std::env::var("DUMP").ok();
    std::panic::set_hook(Box::new(|_| {}));
    for (name, ex) in extractors() {
        if !only.is_empty() && !only.contains(&name) {
            continue;
        }
        let htmls: Vec<String> = cases.iter().map(decode).collect();
        let (mut panics, mut errors, mut worst) = (0, 0, (0f64, String::new()));
        let mut stories = Vec::new();
        let start = Instant::now();
        for (c, h) in cases.iter().zip(&htmls) {
            let t = Instant::now();
            let out = catch_unwind(AssertUnwindSafe(|| ex(h, c)));
            let secs = t.elapsed().as_secs_f64();
            if secs > worst.0 {
                worst = (secs, c.file.clone());
            }
            stories.push(match out {
                Ok(Some(s)) => s,
                Ok(None) => {
                    errors += 1;
                    String::new()
                }
                Err(_) => {
                    panics += 1;
                    String::new()
                }
            });
        }
        let secs = start.elapsed().as_secs_f64();
        let mut it = stories.iter();
        let r = score(&cases, |_| it.next().cloned().unwrap_or_default());
        println!(
            "{}  | tune {:.3}/{:.3}/{:.3} check {:.3}/{:.3}/{:.3} | {:.0} pages/s, worst {:.0} ms ({}), {} errors, {} panics",
            row(name, &r.all), r.halves[0].with(), r.halves[0].without(), r.halves[0].right(),
            r.halves[1].with(), r.halves[1].without(), r.halves[1].right(),
            cases.len() as f64 / secs, worst.0 * 1000.0, worst.1, errors, panics
        );
        if let Some(d) = &dump {
            let mut out = String::new();
            for p in &r.pages {
                out.push_str(&format!(
                    "{}\t{}\t{}\n",
                    p.file,
                    serde_json_lines(&p.missing),
                    serde_json_lines(&p.kept)
                ));
            }
            std::fs::write(format!("{d}/{name}.tsv"), out)?;
            let mut s = String::new();
            for (c, st) in cases.iter().zip(&stories) {
                s.push_str(&format!("=== {}\n{}\n", c.file, st));
            }
            std::fs::write(format!("{d}/{name}.stories"), s)?;
        }
    }
    Ok(())
}

fn serde_json_lines(v: &[String]) -> String {
    v.join(" || ")
}

//! Variants of a corpus article, as ingest jobs bring them: typographic changes, a dateline and
//! credit line with light edits, a story cut short, a third of one story inside another.
//! Deterministic: each variant is seeded by the folder name, so every run measures the same set.

/// A small deterministic generator (xorshift64*), seeded per case.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: &str) -> Rng {
        Rng(xxhash_rust::xxh3::xxh3_64(seed.as_bytes()) | 1)
    }
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// The paragraphs of a plain-text article.
pub(crate) fn paragraphs(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Typographic changes: quotes, dashes, ellipses and spaces swapped for their other forms,
/// Windows line endings, paragraphs separated differently.
pub(crate) fn typographic(text: &str, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut open = true;
    for c in text.chars() {
        match c {
            '"' => {
                out.push(if open { '\u{201C}' } else { '\u{201D}' });
                open = !open;
            }
            '\u{201C}' | '\u{201D}' => out.push('"'),
            '\'' => out.push('\u{2019}'),
            '\u{2018}' | '\u{2019}' => out.push('\''),
            '\u{2014}' => out.push_str("--"),
            '\u{2026}' => out.push_str("..."),
            ' ' if rng.chance(0.03) => out.push('\u{00A0}'),
            ' ' if rng.chance(0.02) => out.push_str("  "),
            c => out.push(c),
        }
    }
    let out = out.replace(" - ", " \u{2013} ");
    paragraphs(&out).join("\r\n\r\n")
}

const CITIES: [&str; 6] = ["LIMA", "NEW YORK", "LONDON", "MADRID", "SEOUL", "SÃO PAULO"];
const AGENCIES: [&str; 4] = ["Reuters", "AP", "AFP", "Wire Desk"];

/// A dateline and a credit line added, and light edits: about `rate` of the words substituted,
/// deleted, duplicated or swapped, spread over the whole text.
pub(crate) fn dateline_edit(text: &str, rate: f64, rng: &mut Rng) -> String {
    let paras = paragraphs(text);
    let vocabulary: Vec<&str> = text.split_whitespace().collect();
    let mut out: Vec<String> = paras
        .iter()
        .map(|p| {
            let mut words: Vec<String> = Vec::new();
            for w in p.split_whitespace() {
                if !rng.chance(rate) {
                    words.push(w.to_owned());
                    continue;
                }
                match rng.below(4) {
                    0 => words.push(vocabulary[rng.below(vocabulary.len())].to_owned()),
                    1 => {}
                    2 => {
                        words.push(w.to_owned());
                        words.push(vocabulary[rng.below(vocabulary.len())].to_owned());
                    }
                    _ => match words.pop() {
                        Some(prev) => {
                            words.push(w.to_owned());
                            words.push(prev);
                        }
                        None => words.push(w.to_owned()),
                    },
                }
            }
            words.join(" ")
        })
        .collect();
    let city = CITIES[rng.below(CITIES.len())];
    let agency = AGENCIES[rng.below(AGENCIES.len())];
    if let Some(first) = out.first_mut() {
        *first = format!("{city}, Nov. {} ({agency}) — {first}", 1 + rng.below(28));
    }
    out.push(format!(
        "Reporting by {agency} staff; editing by the news desk. © {agency}"
    ));
    out.join("\n\n")
}

/// The story cut short: its first paragraphs, about `keep` of its words (at least one paragraph).
pub(crate) fn cut_short(text: &str, keep: f64) -> String {
    let paras = paragraphs(text);
    let total: usize = paras.iter().map(|p| p.split_whitespace().count()).sum();
    let mut kept = Vec::new();
    let mut words = 0;
    for p in paras {
        if !kept.is_empty() && words as f64 >= total as f64 * keep {
            break;
        }
        words += p.split_whitespace().count();
        kept.push(p);
    }
    kept.join("\n\n")
}

/// A contiguous third of `source` (the run of whole paragraphs closest to a third of its words,
/// the earliest of equals after a random start) set inside `host`, after its first half.
/// Returns the text and the number of words taken from `source`.
pub(crate) fn partial(source: &str, host: &str, rng: &mut Rng) -> (String, usize) {
    let src = paragraphs(source);
    let words: Vec<usize> = src.iter().map(|p| p.split_whitespace().count()).collect();
    let third = words.iter().sum::<usize>() as f64 / 3.0;
    let offset = rng.below(src.len());
    let mut best = (f64::MAX, 0, 0);
    for k in 0..src.len() {
        let start = (offset + k) % src.len();
        let mut sum = 0;
        for (end, &w) in words.iter().enumerate().skip(start) {
            sum += w;
            let miss = (sum as f64 - third).abs();
            if miss < best.0 {
                best = (miss, start, end + 1);
            }
        }
    }
    let (_, start, end) = best;
    let mut out = paragraphs(host);
    let at = out.len() / 2;
    out.splice(at..at, src[start..end].iter().cloned());
    (out.join("\n\n"), words[start..end].iter().sum())
}

/// A contiguous run of whole paragraphs of `source` holding about `share` of its words (the
/// closest run to it, the earliest of equals), never more than `max_share` nor fewer than
/// `min_words`; `None` when no run fits (a story of one long paragraph).
pub(crate) fn borrow(
    source: &str,
    share: f64,
    max_share: f64,
    min_words: usize,
) -> Option<Vec<String>> {
    let src = paragraphs(source);
    let words: Vec<usize> = src.iter().map(|p| p.split_whitespace().count()).collect();
    let total = words.iter().sum::<usize>() as f64;
    let mut best: Option<(f64, usize, usize)> = None;
    for start in 0..src.len() {
        let mut sum = 0;
        for (end, &w) in words.iter().enumerate().skip(start) {
            sum += w;
            if sum as f64 > max_share * total {
                break;
            }
            let miss = (sum as f64 - share * total).abs();
            if sum >= min_words && best.is_none_or(|(m, _, _)| miss < m) {
                best = Some((miss, start, end + 1));
            }
        }
    }
    let (_, start, end) = best?;
    Some(src[start..end].to_vec())
}

/// `host`'s paragraphs with `borrowed` set after the first half of them.
pub(crate) fn insert_paragraphs(host: &str, borrowed: &[String]) -> String {
    let mut out = paragraphs(host);
    let at = out.len() / 2;
    out.splice(at..at, borrowed.iter().cloned());
    out.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "One two three four five six.\nSeven \"eight\" nine ten.\n\nEleven twelve.";

    #[test]
    fn variants_are_deterministic() {
        let a = dateline_edit(TEXT, 0.15, &mut Rng::new("x"));
        let b = dateline_edit(TEXT, 0.15, &mut Rng::new("x"));
        assert_eq!(a, b);
    }

    #[test]
    fn typographic_changes_keep_the_words() {
        let t = typographic(TEXT, &mut Rng::new("t"));
        assert!(t.contains('\u{201C}') && t.contains("\r\n"));
        let words = |s: &str| {
            s.split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .count()
        };
        assert_eq!(words(&t), words(TEXT));
    }

    #[test]
    fn cut_short_keeps_leading_paragraphs() {
        assert_eq!(cut_short(TEXT, 0.5), "One two three four five six.");
        assert_eq!(
            cut_short(TEXT, 0.6),
            "One two three four five six.\n\nSeven \"eight\" nine ten."
        );
    }

    #[test]
    fn borrow_takes_whole_paragraphs_within_the_share() {
        let source = "one two three four\nfive six\nseven eight nine ten\neleven twelve";
        // 12 words: a fifth is 2.4, the closest run within 40% (4.8 words) is "five six".
        assert_eq!(
            borrow(source, 0.2, 0.4, 1),
            Some(vec!["five six".to_owned()])
        );
        assert_eq!(
            borrow(source, 0.2, 0.4, 3),
            Some(vec!["one two three four".to_owned()])
        );
        assert_eq!(borrow("one long paragraph only", 0.3, 0.4, 1), None);
        let text = insert_paragraphs("a\nb\nc\nd", &["x".to_owned()]);
        assert_eq!(text, "a\n\nb\n\nx\n\nc\n\nd");
    }

    #[test]
    fn partial_inserts_about_a_third() {
        let source = (0..9)
            .map(|i| format!("source paragraph {i} with words"))
            .collect::<Vec<_>>()
            .join("\n");
        let host = (0..6)
            .map(|i| format!("host paragraph {i} here"))
            .collect::<Vec<_>>()
            .join("\n");
        let (text, words) = partial(&source, &host, &mut Rng::new("p"));
        assert_eq!(words, 15);
        assert!(text.starts_with("host paragraph 0"));
        assert_eq!(text.matches("source paragraph").count(), 3);
    }
}

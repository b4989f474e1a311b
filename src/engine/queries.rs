//! Read-only questions to the engine: listings with filters and text search, one article, a
//! comparison of two, the articles of one story, counts. Answered from the store, so a client
//! never has to load every article to find one.

use super::prepare::stored_tokens;
use super::{Engine, EngineError};
use crate::detect::verify::overlap;
use crate::fingerprint::Tokens;
use crate::model::{ArticleId, ArticleRecord, Comparison, Detail, ListQuery, Stats};
use crate::search::terms::mentions;
use crate::search::{candidates, query_words, Word};
use crate::text::normalize::normalize;
use std::ops::ControlFlow;

/// The most a listing returns in one answer.
pub(crate) const MAX_LIST: usize = 10_000;

impl Engine {
    /// Records, newest first, that pass every filter of `q`, and `Some(MAX_LIST)` when the answer
    /// was cut at the most one answer holds (not at a limit the caller asked for) while more
    /// records match. Text queries are answered by the search index for the articles it covers;
    /// articles newer than that (while the indexer catches up after a burst) are scanned, as every
    /// article was before the index.
    pub fn list(&self, q: &ListQuery) -> Result<(Vec<ArticleRecord>, Option<usize>), EngineError> {
        self.list_within(q, MAX_LIST)
    }

    fn list_within(
        &self,
        q: &ListQuery,
        most: usize,
    ) -> Result<(Vec<ArticleRecord>, Option<usize>), EngineError> {
        if let Some(limit) = q.limit.filter(|&n| n <= most) {
            return Ok((self.list_up_to(q, limit)?, None));
        }
        let mut records = self.list_up_to(q, most + 1)?;
        let capped = (records.len() > most).then_some(most);
        records.truncate(most);
        Ok((records, capped))
    }

    fn list_up_to(&self, q: &ListQuery, limit: usize) -> Result<Vec<ArticleRecord>, EngineError> {
        let words = q.text.as_deref().map(query_words).unwrap_or_default();
        let source = q.source.as_deref().map(normalize);
        let passes = |r: &ArticleRecord| {
            !(q.status.is_some_and(|s| s != r.status)
                || q.triage.is_some_and(|t| r.triage.state.kind() != t)
                || source
                    .as_deref()
                    .is_some_and(|s| normalize(r.source.as_deref().unwrap_or("")) != s)
                || q.file.as_deref().is_some_and(|f| !r.file.contains(f))
                || q.since_ms.is_some_and(|t| r.ingested_ms < t))
        };
        let index = if words.is_empty() {
            None
        } else {
            self.search().map(|s| s.snapshot())
        };
        // The scan: every article, or those the index does not cover yet.
        let scan_after = match &index {
            Some(snap) => q.after.max(Some(snap.covered)),
            None => q.after,
        };
        let all_words: Vec<&Word> = words.iter().collect();
        let mut out = Vec::new();
        for r in self.store().records_rev(scan_after, q.before) {
            let r = r?;
            if !passes(&r) || (!all_words.is_empty() && !self.mentions(&r, &all_words)?) {
                continue;
            }
            out.push(r);
            if out.len() >= limit {
                return Ok(out);
            }
        }
        let Some(snap) = index else {
            return Ok(out);
        };
        // The index: candidates hold every exact word, unless the index says otherwise; the
        // other words are confirmed on the text.
        let inexact: Vec<&Word> = words.iter().filter(|w| !w.is_exact()).collect();
        let before = q.before.unwrap_or(ArticleId::MAX).min(snap.covered + 1);
        candidates(
            &snap,
            &words,
            source.as_deref(),
            q.after,
            Some(before),
            limit - out.len(),
            |id, checked| -> Result<ControlFlow<()>, EngineError> {
                let Some(r) = self.store().record(id)? else {
                    return Ok(ControlFlow::Continue(()));
                };
                let confirm = if checked { &inexact } else { &all_words };
                if passes(&r) && (confirm.is_empty() || self.mentions(&r, confirm)?) {
                    out.push(r);
                    if out.len() >= limit {
                        return Ok(ControlFlow::Break(()));
                    }
                }
                Ok(ControlFlow::Continue(()))
            },
        )?;
        Ok(out)
    }

    /// Whether every word occurs in the article's title or text (`terms::mentions`), reading
    /// the text only when the title does not hold them all.
    fn mentions(&self, r: &ArticleRecord, words: &[&Word]) -> Result<bool, EngineError> {
        if mentions(words, &r.title, []) {
            return Ok(true);
        }
        let content = self.store().content(r.id)?;
        let paragraphs = content.map(|c| c.paragraphs).unwrap_or_default();
        Ok(mentions(words, &r.title, &paragraphs))
    }

    pub fn show(&self, id: ArticleId) -> Result<Detail, EngineError> {
        let record = self
            .store()
            .record(id)?
            .ok_or(EngineError::NoSuchArticle(id))?;
        let paragraphs = self
            .store()
            .content(id)?
            .map(|c| c.paragraphs)
            .unwrap_or_default();
        Ok(Detail { record, paragraphs })
    }

    /// The article last ingested from `file` (the path as stored: absolute for a command's files).
    pub fn show_file(&self, file: &str) -> Result<Detail, EngineError> {
        let entry = self.store().path_entry(file)?.map(|e| e.id);
        // A file's new place after the inbox moved it, and files of databases from before the
        // path index, have no entry: the records are searched, newest first (a miss reads every
        // record once).
        let id = match entry {
            Some(id) => Some(id),
            None => self
                .store()
                .records_rev(None, None)
                .find_map(|r| match r {
                    Ok(r) if r.file == file || r.location.as_deref() == Some(file) => {
                        Some(Ok(r.id))
                    }
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                })
                .transpose()?,
        };
        self.show(id.ok_or_else(|| EngineError::NoSuchFile(file.to_owned()))?)
    }

    /// Two articles side by side, with the passages they share.
    pub(crate) fn compare(
        &self,
        id: ArticleId,
        other: ArticleId,
    ) -> Result<Comparison, EngineError> {
        let (left, right) = (self.show(id)?, self.show(other)?);
        let (lt, rt) = (
            stored_tokens(&left.paragraphs),
            stored_tokens(&right.paragraphs),
        );
        let o = overlap(
            &lt.shingle_hashes(),
            lt.len(),
            &rt.shingle_hashes(),
            rt.len(),
        );
        Ok(Comparison {
            left_shared: shared_ranges(&left.paragraphs, &lt, &o.new_runs),
            right_shared: shared_ranges(&right.paragraphs, &rt, &o.old_runs),
            similarity: o.similarity(),
            left,
            right,
        })
    }

    /// The original of an article's story and every article flagged against it, oldest first.
    pub(crate) fn story(&self, id: ArticleId) -> Result<Vec<ArticleRecord>, EngineError> {
        let root = self
            .store()
            .record(id)?
            .ok_or(EngineError::NoSuchArticle(id))?
            .story;
        let mut out = Vec::new();
        // A story's articles all arrive after its original.
        for r in self.store().records_rev(root.checked_sub(1), None) {
            let r = r?;
            if r.story == root || r.id == root || r.matched.as_ref().is_some_and(|m| m.id == root) {
                out.push(r);
            }
        }
        out.reverse();
        Ok(out)
    }

    pub fn stats(&self) -> Result<Stats, EngineError> {
        let by_status = self.store().counts()?;
        Ok(Stats {
            articles: by_status.values().sum(),
            by_status,
            db_bytes: self.store().size_on_disk()?,
            db: self.store().path().display().to_string(),
            last_seq: self.last_seq(),
        })
    }
}

/// Maps shared word runs back to byte ranges within the display paragraphs. Words are found in
/// each paragraph by the same tokenizer, so word `n` of the story is word `n` across paragraphs.
fn shared_ranges(
    paragraphs: &[String],
    tokens: &Tokens,
    runs: &[(u32, u32)],
) -> Vec<(u32, u32, u32)> {
    use unicode_segmentation::UnicodeSegmentation;
    let mut spans: Vec<(u32, u32, u32)> = Vec::with_capacity(tokens.len());
    for (pi, p) in paragraphs.iter().enumerate() {
        // Word positions in the original text (normalisation keeps word order and count for
        // ordinary text; where it does not, highlighting is approximate, never out of bounds).
        for (at, w) in p.unicode_word_indices() {
            spans.push((pi as u32, at as u32, (at + w.len()) as u32));
        }
    }
    let mut out: Vec<(u32, u32, u32)> = Vec::new();
    for &(a, b) in runs {
        for w in a..b {
            let Some(&(p, s, e)) = spans.get(w as usize) else {
                break;
            };
            match out.last_mut() {
                Some(last) if last.0 == p && w > a => last.2 = e,
                _ => out.push((p, s, e)),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::engine::files::input_from;

    #[test]
    fn listings_page_down_from_before_and_stories_stop_at_their_original() {
        let dir = tempfile::tempdir().expect("temp dir");
        let settings = Settings {
            db: dir.path().join("db"),
            ..Settings::default()
        };
        let mut engine = Engine::open(settings).expect("open");
        let story = "The river council voted on Tuesday to close the old bridge to lorries after \
            engineers found cracks in two of its piers, a decision traders say will cost them.";
        let mut inputs: Vec<_> = (0..6)
            .map(|i| {
                input_from(
                    &format!("{i}.txt"),
                    format!("Note {i} on a quiet day.").into(),
                )
            })
            .collect();
        inputs.push(input_from("story.txt", story.into()));
        inputs.push(input_from("again.txt", story.into()));
        let verdicts = engine.ingest(&inputs, 0).expect("ingest");
        let ids: Vec<ArticleId> = verdicts.iter().map(|v| v.id.expect("stored")).collect();

        let page = |after, before, limit| -> Vec<ArticleId> {
            let q = ListQuery {
                after,
                before,
                limit: Some(limit),
                ..ListQuery::default()
            };
            engine
                .list(&q)
                .expect("list")
                .0
                .iter()
                .map(|r| r.id)
                .collect()
        };
        assert_eq!(page(None, None, 3), [ids[7], ids[6], ids[5]]);
        assert_eq!(page(None, Some(ids[5]), 3), [ids[4], ids[3], ids[2]]);
        assert_eq!(page(None, Some(ids[1]), 3), [ids[0]]);
        assert_eq!(page(Some(ids[5]), None, 10), [ids[7], ids[6]]);
        assert_eq!(page(Some(ids[2]), Some(ids[4]), 10), [ids[3]]);
        assert_eq!(
            page(Some(ids[4]), Some(ids[2]), 10),
            Vec::<ArticleId>::new()
        );

        let members: Vec<ArticleId> = engine
            .story(ids[7])
            .expect("story")
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(members, [ids[6], ids[7]]);

        // A listing cut at the most one answer holds says so; one cut where asked does not.
        let capped = |limit, most| {
            let q = ListQuery {
                limit,
                ..ListQuery::default()
            };
            let (records, capped) = engine.list_within(&q, most).expect("list");
            (records.len(), capped)
        };
        assert_eq!(capped(None, 5), (5, Some(5)));
        assert_eq!(capped(Some(50), 5), (5, Some(5)));
        assert_eq!(capped(Some(3), 5), (3, None));
        assert_eq!(
            capped(None, 8),
            (8, None),
            "all eight fit: nothing more matches"
        );
    }
}

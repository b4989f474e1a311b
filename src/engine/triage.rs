//! Triage: editors pick, spike and reset articles, and overrule the detector. An overrule is
//! remembered as a pair (the story's hash, the other article), so the detector does not flag the
//! same pair again, and the detector's own verdict stays in the record beside it (a reset to `new`
//! puts it back). Every change is an event with who made it and when. A change may name the state
//! it replaces (compare-and-set): when an article is in another, nothing changes and the refusal
//! says who changed it and when.

use super::{Engine, EngineError};
use crate::fingerprint::exact_hash;
use crate::model::{
    ArticleId, ArticleRecord, Detected, EventKind, MatchRef, Status, Triage, TriageAction,
    TriageState,
};

impl Engine {
    /// Applies one action to articles; durable, and its events queued, on return. With
    /// `expected` (one state per id), all or nothing: an article in another state refuses the
    /// whole change.
    pub(crate) fn triage(
        &mut self,
        ids: &[ArticleId],
        action: &TriageAction,
        note: Option<String>,
        expected: Option<&[TriageState]>,
        by: &str,
        now_ms: u64,
    ) -> Result<Vec<ArticleRecord>, EngineError> {
        let mut changes = Vec::with_capacity(ids.len());
        let mut overrules = Vec::new();
        for (i, &id) in ids.iter().enumerate() {
            let mut rec = self
                .store()
                .record(id)?
                .ok_or(EngineError::NoSuchArticle(id))?;
            if let Some(&want) = expected.and_then(|e| e.get(i)) {
                if rec.triage.state != want {
                    return Err(EngineError::Stale {
                        id,
                        expected: want,
                        found: Box::new(rec.triage),
                    });
                }
            }
            let before = rec.status;
            // The detector's verdict, kept the first time editors overrule it.
            let mut overruled = rec.triage.overruled.take();
            let detected = Detected {
                status: rec.status,
                matched: rec.matched.clone(),
                story: rec.story,
            };
            match action {
                TriageAction::NotReprint => {
                    if let Some(m) = rec.matched.take() {
                        overruled.get_or_insert(detected);
                        overrules.push((self.story_hash(id)?, m.id, by.to_owned()));
                        rec.status = Status::Unique;
                        rec.story = rec.id;
                    }
                }
                TriageAction::ReprintOf { other } => {
                    if *other == id {
                        return Err(EngineError::ReprintOfItself(id));
                    }
                    let original = self
                        .store()
                        .record(*other)?
                        .ok_or(EngineError::NoSuchArticle(*other))?;
                    let similarity = self.compare(id, *other)?.similarity;
                    overruled.get_or_insert(detected);
                    rec.status = Status::Reprint;
                    rec.story = original.story;
                    rec.matched = Some(MatchRef {
                        id: *other,
                        file: original.file,
                        similarity: (similarity * 1000.0).round() / 1000.0,
                    });
                }
                // A reset puts the detector's verdict back.
                TriageAction::New => {
                    if let Some(d) = overruled.take() {
                        rec.status = d.status;
                        rec.matched = d.matched;
                        rec.story = d.story;
                    }
                }
                TriageAction::Picked | TriageAction::Spiked => {}
            }
            rec.triage = Triage {
                state: action.state(),
                by: Some(by.to_owned()),
                at_ms: Some(now_ms),
                note: note.clone(),
                overruled,
            };
            changes.push((rec, before));
        }
        let kinds: Vec<EventKind> = changes
            .iter()
            .map(|(r, _)| EventKind::Triage {
                id: r.id,
                triage: r.triage.clone(),
                status: r.status,
                matched: r.matched.clone(),
            })
            .collect();
        let events = self.events_for(kinds.into_iter(), now_ms);
        self.store().commit_triage(&changes, &events, &overrules)?;
        self.outbox.extend(events);
        Ok(changes.into_iter().map(|(r, _)| r).collect())
    }

    /// The hash overrules are keyed by: the article's cleaned story as written.
    fn story_hash(&self, id: ArticleId) -> Result<u64, EngineError> {
        let content = self
            .store()
            .content(id)?
            .unwrap_or_else(|| crate::store::codec::Content {
                blocks: Vec::new(),
                paragraphs: Vec::new(),
                site: 0,
            });
        Ok(exact_hash(content.paragraphs.iter().map(String::as_str)))
    }
}

//! Deciding one prepared file: look it up among everything stored (and the batch so far), judge
//! it against each verified candidate, and learn the site templates the comparisons reveal. When
//! what was learned is part of the file's own story as prepared (its extraction took a template
//! block for story), the file is prepared again against it and decided again, once.

use super::prepare::{
    prepare_within, shingles_of, side_of, stored_shingles, Prepared, TemplateView,
};
use super::reading::{guarded, Reading};
use super::templates::SiteTemplates;
use super::{stages, Decision, Engine, EngineError, Input, Pending};
use crate::detect::{judge_with, NewSide, Side};
use crate::model::{ArticleId, ArticleRecord, MatchRef, Status};
use crate::store::codec::ShingleRecord;
use crate::text::interrupt::Interrupt;
use crate::text::Rejection;
use rustc_hash::FxHashSet;
use std::sync::Arc;

/// A file decided: as prepared (again, if learning changed its story), and its decision.
pub(super) struct Decided {
    pub prep: Prepared,
    pub decision: Decision,
    /// Whether the file was prepared again against what its comparisons learned.
    pub prepared_again: bool,
}

/// The site key a learned template is kept under: the site the new page names, else the one the
/// old page names, else the site whose template the new page was found to share, else a key of
/// the template itself (pages that name no site find it again by the blocks they hold).
fn site_of_pair(prep: &Prepared, old_site: u64, blocks: &[u64]) -> u64 {
    [prep.site, old_site, prep.template_site]
        .into_iter()
        .find(|&k| k != 0)
        .unwrap_or_else(|| {
            let first = blocks.iter().min().copied().unwrap_or(0);
            xxhash_rust::xxh3::xxh3_64(&first.to_le_bytes()).max(1)
        })
}

impl Engine {
    /// Decides a prepared file and learns what its comparisons found. With `persist`, learning
    /// goes to the engine's site templates (and `writes`, for the store); without (`check`), to
    /// a copy that lives for this file only. Either way, when the learned template holds blocks
    /// of the file's story as prepared, the file is prepared again against it and decided again.
    pub(super) fn decide_learning(
        &mut self,
        input: &Input,
        prep: Prepared,
        pending: &Pending,
        window: &FxHashSet<u64>,
        stamp: u64,
        persist: bool,
    ) -> Result<Decided, EngineError> {
        let mut decision = self.decide(&prep, pending)?;
        if decision.learned.is_empty() && self.load()?.sites.len().0 == 0 {
            return Ok(Decided {
                prep,
                decision,
                prepared_again: false,
            });
        }
        let mut writes = Vec::new();
        let mut scratch: Option<SiteTemplates> = None;
        let learned = std::mem::take(&mut decision.learned);
        if persist {
            let sites = std::sync::Arc::make_mut(&mut self.load()?.sites);
            for (site, blocks) in &learned {
                writes.extend(sites.learn(*site, blocks, stamp));
            }
        } else if !learned.is_empty() {
            let mut copy = (*self.load()?.sites).clone();
            for (site, blocks) in &learned {
                copy.learn(*site, blocks, stamp);
            }
            scratch = Some(copy);
        }
        let chrome_min = self.settings.params.chrome_min_blocks;
        let every = self.settings.anchor_every_words;
        let (stop, budget) = (self.stop.clone(), self.settings.read_budget);
        let again = {
            let loaded = self.load()?;
            let sites: &SiteTemplates = scratch.as_ref().unwrap_or(&loaded.sites);
            let hashes: Vec<u64> = prep.blocks.iter().map(|b| b.hash).collect();
            let site = sites.site_for(prep.site, &hashes, chrome_min);
            // The story as prepared holds a block now known as its site's template.
            let stale = site.is_some_and(|s| {
                sites.holds_any(
                    s,
                    prep.blocks
                        .iter()
                        .filter(|b| b.kept || b.prose)
                        .map(|b| b.hash),
                )
            });
            if stale {
                let is_window = |h: u64| window.contains(&h);
                let view = TemplateView {
                    window: &is_window,
                    sites: Some(sites),
                    chrome_min_blocks: chrome_min,
                };
                // Read again within the same bounds as the first time; a second reading that
                // is stopped or over budget keeps the first.
                let halt = Reading::begin(&stop, budget);
                Some(prepare_input_with(input, every, &view, &halt))
            } else {
                None
            }
        };
        let Some(Ok(prep_again)) = again else {
            // Not stale, or nothing left of the file against the template: keep the first.
            decision.learned = learned;
            decision.writes = writes;
            return Ok(Decided {
                prep,
                decision,
                prepared_again: false,
            });
        };
        let mut second = self.decide(&prep_again, pending)?;
        if persist {
            let sites = std::sync::Arc::make_mut(&mut self.load()?.sites);
            for (site, blocks) in &second.learned {
                writes.extend(sites.learn(*site, blocks, stamp));
            }
        }
        second.learned.extend(learned);
        second.turned_down = second.turned_down.max(decision.turned_down);
        second.writes = writes;
        Ok(Decided {
            prep: prep_again,
            decision: second,
            prepared_again: true,
        })
    }

    /// Looks a prepared article up among everything stored (and the batch so far) and judges it
    /// against each verified candidate.
    fn decide(&mut self, prep: &Prepared, pending: &Pending) -> Result<Decision, EngineError> {
        if let Some(orig) = self.exact_match(prep, pending)? {
            let rec = self.record_anywhere(orig, pending)?;
            return Ok(Decision {
                status: Status::Duplicate,
                matched: Some(MatchRef {
                    id: orig,
                    file: rec.file,
                    similarity: 1.0,
                }),
                story: Some(rec.story),
                turned_down: 0.0,
                learned: Vec::new(),
                writes: Vec::new(),
            });
        }
        let candidates = self.candidates(prep)?;
        let new_side = Side {
            shingles: &prep.shingles,
            words: prep.tokens.len(),
            blocks: &prep.blocks,
            site: prep.site,
        };
        // Indexed at the first candidate judged: most stories have none.
        let mut indexed: Option<NewSide> = None;
        let mut best: Option<(Status, f32, ArticleId)> = None;
        let mut turned_down = 0.0f32;
        let mut learned = Vec::new();
        for id in candidates {
            if self.store.overruled(prep.exact, id)? {
                continue;
            }
            let Some(old) = self.shingles_anywhere(id, pending)? else {
                continue;
            };
            let old_side = side_of(&old);
            let indexed = indexed.get_or_insert_with(|| NewSide::of(&new_side));
            let mut j = judge_with(indexed, &new_side, &old_side, &self.settings.params);
            if j.evidence.different && j.similarity >= self.settings.params.reprint_min {
                turned_down = turned_down.max(j.similarity);
            }
            if let Some(blocks) = j.evidence.template.take().filter(|b| !b.is_empty()) {
                learned.push((site_of_pair(prep, old.site, &blocks), blocks));
            }
            if j.status == Status::Unique {
                continue;
            }
            if old.exact == prep.exact {
                j.status = Status::Duplicate;
            }
            let rank = |s: Status| match s {
                Status::Duplicate => 2u8,
                Status::Reprint => 1,
                _ => 0,
            };
            let better = best.is_none_or(|(bs, bsim, bid)| {
                (rank(j.status), j.similarity, std::cmp::Reverse(id))
                    > (rank(bs), bsim, std::cmp::Reverse(bid))
            });
            if better {
                best = Some((j.status, j.similarity, id));
            }
        }
        let Some((status, similarity, id)) = best else {
            return Ok(Decision {
                status: Status::Unique,
                matched: None,
                story: None,
                turned_down,
                learned,
                writes: Vec::new(),
            });
        };
        let rec = self.record_anywhere(id, pending)?;
        Ok(Decision {
            status,
            matched: Some(MatchRef {
                id,
                file: rec.file,
                similarity: (similarity * 1000.0).round() / 1000.0,
            }),
            story: (status != Status::Partial).then_some(rec.story),
            turned_down,
            learned,
            writes: Vec::new(),
        })
    }

    /// The article (stored, or of the batch so far) whose document is this one's, if any.
    pub(super) fn exact_match(
        &mut self,
        prep: &Prepared,
        pending: &Pending,
    ) -> Result<Option<ArticleId>, EngineError> {
        if let Some(&id) = pending.exact.get(&prep.doc_hash) {
            return Ok(Some(id));
        }
        let l = self.load()?;
        if !l.seen.may_contain(prep.doc_hash) {
            return Ok(None);
        }
        Ok(l.docs.get(prep.doc_hash).map(|slot| l.ids[slot as usize]))
    }

    /// Candidate ids from the loaded index (`stages::candidates`), at most `max_candidates`.
    pub(super) fn candidates(&mut self, prep: &Prepared) -> Result<Vec<ArticleId>, EngineError> {
        let max = self.settings.max_candidates;
        let l = self.load()?;
        Ok(stages::candidates(
            &l.sim,
            &l.anchors,
            &l.ids,
            prep.simhash,
            &prep.probes,
            max,
        ))
    }

    fn record_anywhere(
        &self,
        id: ArticleId,
        pending: &Pending,
    ) -> Result<ArticleRecord, EngineError> {
        if let Some(&i) = pending.by_id.get(&id) {
            return Ok(pending.items[i].record.clone());
        }
        self.store.record(id)?.ok_or(EngineError::NoSuchArticle(id))
    }

    /// What verifying the article needs: of the batch so far, its story as prepared; stored,
    /// its shingle record (recently used ones are kept in memory), or, when none is stored,
    /// the record derived from its stored story. `None` when the article has no story.
    fn shingles_anywhere(
        &mut self,
        id: ArticleId,
        pending: &Pending,
    ) -> Result<Option<Arc<ShingleRecord>>, EngineError> {
        if let Some(&i) = pending.by_id.get(&id) {
            return Ok(pending.items[i].shingles.clone());
        }
        if let Some(r) = self.recent.get(id) {
            return Ok(Some(r));
        }
        let began = self.stage_times.is_some().then(std::time::Instant::now);
        let record = match self.store.story_tokens(id)? {
            Some(kept) => shingles_of(kept),
            None => match self.store.content(id)? {
                Some(content) => stored_shingles(&content),
                None => return Ok(None),
            },
        };
        if let (Some(began), Some(times)) = (began, self.stage_times.as_mut()) {
            times.deciding_reading += began.elapsed();
            times.deciding_reads += 1;
        }
        let record = Arc::new(record);
        self.recent.put(id, Arc::clone(&record));
        Ok(Some(record))
    }
}

/// Prepares an input against `view` (a rejection read from the file stays one), within the
/// bounds `halt` sets; a reader's panic is a rejection.
pub(super) fn prepare_input_with(
    input: &Input,
    every: usize,
    view: &TemplateView,
    halt: &dyn Interrupt,
) -> Result<Prepared, Rejection> {
    match &input.data {
        Err(r) => Err(r.clone()),
        Ok(data) => guarded(|| prepare_within(&input.file, &data.bytes, every, view, halt)),
    }
}

//! The engine's own stages, opened to the benchmarks so that they time the code that ships and
//! never a copy of it: the candidate search (`candidates`, over the index's parts, as
//! `Engine::decide` calls it) and a batch replayed stage by stage over a real `Engine`
//! (`Stepper`: prepare, exact look-up, candidate search, decision, admission, commit). Hidden
//! from the docs; nothing in copydesk but the engine itself calls these. It adds no logic of its
//! own: every step is one call into the engine.

use super::prepare::Prepared;
use super::{decide::Decided, Engine, EngineError, Input, Pending};
use crate::detect::index::{AnchorIndex, SimIndex};
use crate::fingerprint::SimHash;
use crate::model::{ArticleId, EventKind, Status, Verdict};
use crate::text::Rejection;
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;

/// Anchors with more postings than this are too common to point at any one story.
pub const MAX_POSTINGS: usize = 64;
/// An anchor pointing at this many articles or fewer is evidence on its own (weight 1); a
/// commoner one (a stock phrase: "said in a statement on") weighs `RARE_POSTINGS / postings`,
/// so a candidate needs a rare shared passage, or many common ones, to be verified.
pub const RARE_POSTINGS: usize = 4;

/// Candidate ids for a story: every SimHash neighbour within the radius, then the articles
/// whose shared passage anchors weigh at least 1 (a rare anchor, or several common ones),
/// heaviest first, at most `max` in all (at least one). `ids` maps index slots to article ids.
pub fn candidates(
    sim: &SimIndex,
    anchors: &AnchorIndex,
    ids: &[ArticleId],
    simhash: SimHash,
    probes: &[u64],
    max: usize,
) -> Vec<ArticleId> {
    let mut slots: Vec<u32> = sim.near(simhash).into_iter().map(|(s, _)| s).collect();
    // Per slot: the weight of the anchors it shares with the new story.
    let mut shared: FxHashMap<u32, f32> = Default::default();
    anchors.postings_many(probes, MAX_POSTINGS, |_, n, slots| {
        let weight = (RARE_POSTINGS as f32 / n as f32).min(1.0);
        for &slot in slots {
            *shared.entry(slot).or_default() += weight;
        }
    });
    let mut by_weight: Vec<(u32, f32)> = shared.into_iter().filter(|&(_, w)| w >= 1.0).collect();
    by_weight.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    for (slot, _) in by_weight {
        if slots.len() >= max {
            break;
        }
        if !slots.contains(&slot) {
            slots.push(slot);
        }
    }
    slots.truncate(max.max(1));
    slots.into_iter().map(|s| ids[s as usize]).collect()
}

/// One `Engine::ingest` call taken apart, for a benchmark to time each stage: `prepare` the
/// batch, then per file `exact` and `candidates` (read-only, what `decide` does first), `decide`
/// (the engine's whole decision, learning included) and `admit`, then `commit`. The stages run
/// one after another on this thread; `ingest` overlaps them (preparer threads, a writer thread).
pub struct Stepper<'e> {
    engine: &'e mut Engine,
    pending: Pending,
    window: FxHashSet<u64>,
    verdicts: Vec<Verdict>,
    now_ms: u64,
}

/// A file decided by `Stepper::decide`, to be admitted.
pub struct Step {
    id: ArticleId,
    decided: Decided,
}

impl Step {
    pub fn status(&self) -> Status {
        self.decided.decision.status
    }
}

impl<'e> Stepper<'e> {
    /// A batch stamped `now_ms`, cleaned against the templates learned before it (as `ingest`).
    pub fn new(engine: &'e mut Engine, now_ms: u64) -> Result<Stepper<'e>, EngineError> {
        let window = engine.load()?.templates.snapshot();
        Ok(Stepper {
            engine,
            pending: Pending::default(),
            window,
            verdicts: Vec::new(),
            now_ms,
        })
    }

    /// Prepares the batch on one thread per core (`check`'s preparers).
    pub fn prepare(
        &mut self,
        inputs: &[Input],
    ) -> Result<Vec<Result<Prepared, Rejection>>, EngineError> {
        self.engine.prepare_all(inputs)
    }

    /// The stored (or batched) article with the same document, if any.
    pub fn exact(&mut self, prep: &Prepared) -> Result<Option<ArticleId>, EngineError> {
        self.engine.exact_match(prep, &self.pending)
    }

    /// The engine's candidate search for a prepared file.
    pub fn candidates(&mut self, prep: &Prepared) -> Result<Vec<ArticleId>, EngineError> {
        self.engine.candidates(prep)
    }

    /// The engine's decision on a prepared file (exact look-up, candidates, verification, site
    /// templates learned and the file prepared again if they change its story), under the next
    /// id.
    pub fn decide(&mut self, input: &Input, prep: Prepared) -> Result<Step, EngineError> {
        let id = self.engine.next_id;
        self.engine.next_id += 1;
        let decided =
            self.engine
                .decide_learning(input, prep, &self.pending, &self.window, id, true)?;
        Ok(Step { id, decided })
    }

    /// Adds a decided file to the index and to the batch.
    pub fn admit(&mut self, input: &Input, step: Step) -> Result<(), EngineError> {
        let Step { id, decided } = step;
        let article =
            self.engine
                .admit(id, input, decided.prep, None, decided.decision, self.now_ms)?;
        self.verdicts.push(Verdict::of(&article.record));
        self.pending.add(Arc::new(article));
        Ok(())
    }

    /// Writes the batch with its events in one transaction and makes it durable.
    pub fn commit(self) -> Result<Vec<Verdict>, EngineError> {
        let Stepper {
            engine,
            pending,
            verdicts,
            now_ms,
            ..
        } = self;
        let kinds = verdicts
            .iter()
            .cloned()
            .map(|verdict| EventKind::Verdict { verdict });
        let events = engine.events_for(kinds, now_ms);
        engine.store.commit(&pending.items, &events)?;
        engine.outbox.extend(events);
        Ok(verdicts)
    }
}

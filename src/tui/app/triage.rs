//! Triage on the dashboard's side: the marked selection (kept by id, with each article's state
//! before any change, so marks survive paging) and undo. The engine keeps no history, so undo is
//! the triage actions that put each article back: its verdict overrule first, then its state.
//! Pure state: it returns the actions to send and never talks to the engine.

use crate::model::{ArticleId, ArticleRecord, MatchRef, Triage, TriageAction, TriageState};
use std::collections::BTreeMap;

/// Undo steps kept.
pub(crate) const UNDO_DEPTH: usize = 64;

/// What undo needs to know of an article before a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prior {
    pub(crate) state: TriageState,
    /// The article its verdict points at.
    pub(crate) matched: Option<ArticleId>,
}

impl Prior {
    pub(crate) fn of(r: &ArticleRecord) -> Prior {
        Prior::from_parts(&r.triage, &r.matched)
    }

    pub(crate) fn from_parts(triage: &Triage, matched: &Option<MatchRef>) -> Prior {
        Prior {
            state: triage.state,
            matched: matched.as_ref().map(|m| m.id),
        }
    }
}

/// One group of triage requests: an action and the articles it applies to, each with the state
/// it is expected to be in when the action arrives (the engine refuses a stale one).
pub(crate) type Step = (TriageAction, Vec<(ArticleId, TriageState)>);

/// The actions that undo `action` on articles that were as `priors` say, in the order to send.
pub(crate) fn undo_steps(action: &TriageAction, priors: &[(ArticleId, Prior)]) -> Vec<Step> {
    let mut verdict: BTreeMap<String, Step> = BTreeMap::new();
    let mut state: BTreeMap<String, Step> = BTreeMap::new();
    let add = |map: &mut BTreeMap<String, Step>, a: TriageAction, id: ArticleId, before| {
        map.entry(a.to_string())
            .or_insert_with(|| (a, Vec::new()))
            .1
            .push((id, before));
    };
    for (id, prior) in priors {
        // Overrules change the verdict: put the old match back, or take the new one away.
        let back = match (action, prior.matched) {
            (TriageAction::NotReprint, Some(m)) => Some(TriageAction::ReprintOf { other: m }),
            (TriageAction::ReprintOf { other }, Some(m)) if *other != m => {
                Some(TriageAction::ReprintOf { other: m })
            }
            (TriageAction::ReprintOf { .. }, None) => Some(TriageAction::NotReprint),
            _ => None,
        };
        // Each step expects what the step before it left: first the action's own state.
        let after = action.state();
        let now = back.as_ref().unwrap_or(action).state();
        if let Some(b) = back {
            add(&mut verdict, b, *id, after);
        }
        if prior.state != now {
            add(&mut state, TriageAction::from(prior.state), *id, now);
        }
    }
    verdict.into_values().chain(state.into_values()).collect()
}

/// The marked articles.
#[derive(Debug, Default)]
pub(crate) struct Marks {
    map: BTreeMap<ArticleId, Prior>,
}

impl Marks {
    pub(crate) fn toggle(&mut self, r: &ArticleRecord) {
        if self.map.remove(&r.id).is_none() {
            self.map.insert(r.id, Prior::of(r));
        }
    }

    pub(crate) fn contains(&self, id: ArticleId) -> bool {
        self.map.contains_key(&id)
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.map.clear();
    }

    /// Keeps a marked article's state current as changes arrive.
    pub(crate) fn update(&mut self, id: ArticleId, triage: &Triage, matched: &Option<MatchRef>) {
        if let Some(p) = self.map.get_mut(&id) {
            *p = Prior::from_parts(triage, matched);
        }
    }

    pub(crate) fn priors(&self) -> Vec<(ArticleId, Prior)> {
        self.map.iter().map(|(id, p)| (*id, p.clone())).collect()
    }
}

/// Undo: steps of changes sent but not yet confirmed (in order: the feed never reorders triage)
/// and of changes confirmed.
#[derive(Debug, Default)]
pub(crate) struct UndoLog {
    sent: std::collections::VecDeque<Vec<Step>>,
    done: Vec<Vec<Step>>,
}

impl UndoLog {
    pub(crate) fn sent(&mut self, steps: Vec<Step>) {
        self.sent.push_back(steps);
    }

    /// The engine applied the oldest change sent.
    pub(crate) fn confirmed(&mut self) {
        if let Some(steps) = self.sent.pop_front() {
            if !steps.is_empty() {
                self.done.push(steps);
                if self.done.len() > UNDO_DEPTH {
                    self.done.remove(0);
                }
            }
        }
    }

    /// The engine refused the oldest change sent.
    pub(crate) fn refused(&mut self) {
        self.sent.pop_front();
    }

    pub(crate) fn pop(&mut self) -> Option<Vec<Step>> {
        self.done.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prior(state: TriageState, matched: Option<ArticleId>) -> Prior {
        Prior { state, matched }
    }

    #[test]
    fn undoing_a_state_change_restores_each_state() {
        let steps = undo_steps(
            &TriageAction::Spiked,
            &[
                (1, prior(TriageState::New, None)),
                (2, prior(TriageState::Picked, Some(1))),
                (3, prior(TriageState::Spiked, None)),
            ],
        );
        assert_eq!(
            steps,
            vec![
                (TriageAction::New, vec![(1, TriageState::Spiked)]),
                (TriageAction::Picked, vec![(2, TriageState::Spiked)])
            ]
        );
    }

    #[test]
    fn undoing_an_overrule_puts_the_match_back_then_the_state() {
        let steps = undo_steps(
            &TriageAction::NotReprint,
            &[(2, prior(TriageState::New, Some(1)))],
        );
        assert_eq!(
            steps,
            vec![
                (
                    TriageAction::ReprintOf { other: 1 },
                    vec![(2, TriageState::NotReprint)]
                ),
                (TriageAction::New, vec![(2, TriageState::ReprintOf(1))])
            ]
        );
        let steps = undo_steps(
            &TriageAction::ReprintOf { other: 4 },
            &[
                (5, prior(TriageState::New, None)),
                (6, prior(TriageState::ReprintOf(1), Some(1))),
            ],
        );
        assert_eq!(
            steps,
            vec![
                (
                    TriageAction::NotReprint,
                    vec![(5, TriageState::ReprintOf(4))]
                ),
                (
                    TriageAction::ReprintOf { other: 1 },
                    vec![(6, TriageState::ReprintOf(4))]
                ),
                (TriageAction::New, vec![(5, TriageState::NotReprint)]),
            ]
        );
    }

    #[test]
    fn only_confirmed_changes_are_undone() {
        let mut log = UndoLog::default();
        let step = |id| (TriageAction::New, vec![(id, TriageState::Picked)]);
        log.sent(vec![step(1)]);
        log.sent(vec![step(2)]);
        log.refused();
        log.confirmed();
        assert_eq!(log.pop(), Some(vec![step(2)]));
        assert_eq!(log.pop(), None);
    }
}

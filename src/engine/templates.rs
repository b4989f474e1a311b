//! Learned site templates: blocks that recur across recent, different stories are template, not
//! story. A window of the latest new stories' block hashes is kept with a count per hash; reprints
//! (and partial reuses) are not counted, so a wire story republished ten times does not become template.

use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::VecDeque;

#[derive(Debug, Default)]
pub struct Templates {
    window: VecDeque<Vec<u64>>,
    counts: FxHashMap<u64, u32>,
    capacity: usize,
    min_articles: u32,
}

impl Templates {
    pub fn new(capacity: usize, min_articles: u32) -> Templates {
        Templates {
            capacity,
            min_articles,
            ..Templates::default()
        }
    }

    pub fn is_template(&self, hash: u64) -> bool {
        self.counts
            .get(&hash)
            .is_some_and(|&n| n >= self.min_articles)
    }

    /// Counts the blocks of one new story (each distinct block once).
    pub fn learn(&mut self, blocks: impl IntoIterator<Item = u64>) {
        if self.capacity == 0 {
            return;
        }
        let mut distinct: Vec<u64> = blocks.into_iter().collect();
        distinct.sort_unstable();
        distinct.dedup();
        for &h in &distinct {
            *self.counts.entry(h).or_default() += 1;
        }
        self.window.push_back(distinct);
        while self.window.len() > self.capacity {
            if let Some(old) = self.window.pop_front() {
                for h in old {
                    if let Some(n) = self.counts.get_mut(&h) {
                        *n -= 1;
                        if *n == 0 {
                            self.counts.remove(&h);
                        }
                    }
                }
            }
        }
    }

    /// The learned template blocks as a set, for preparing files while learning goes on.
    pub(crate) fn snapshot(&self) -> FxHashSet<u64> {
        self.counts
            .iter()
            .filter(|&(_, &n)| n >= self.min_articles)
            .map(|(&h, _)| h)
            .collect()
    }

    #[cfg(test)]
    /// Learned template blocks, for stats.
    pub(crate) fn learned(&self) -> usize {
        self.counts
            .values()
            .filter(|&&n| n >= self.min_articles)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_recurring_in_enough_stories_are_template_until_they_leave_the_window() {
        let mut t = Templates::new(2, 2);
        t.learn([1, 2, 2]);
        assert!(!t.is_template(2), "one story is no template");
        t.learn([2, 3]);
        assert!(t.is_template(2));
        assert_eq!(t.snapshot().into_iter().collect::<Vec<_>>(), [2]);
        t.learn([4]);
        t.learn([5]);
        assert!(!t.is_template(2), "forgotten once out of the window");
        assert_eq!(t.learned(), 0);
    }
}

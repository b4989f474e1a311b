//! Learned templates: blocks that are template, not story. Two kinds of evidence:
//! - `Templates`, a window of the latest new stories' block hashes with a count per hash: blocks
//!   recurring across different stories. Reprints (and partial reuses) are not counted, so a
//!   wire story republished ten times does not become template.
//! - `SiteTemplates`, per site: the blocks two pages of one site share while each holds a story
//!   of its own (`detect::page::Evidence::template`), learned from the first such pair whatever
//!   their verdicts. Keyed by the site a page names, or found by the blocks a page holds when it
//!   names none; bounded, and persisted by the engine (`store::SiteWrite`).

use crate::store::SiteWrite;
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

/// One site's learned template.
#[derive(Debug, Clone, Default)]
struct Site {
    /// In the order learned, so the oldest go first when the site holds too many.
    order: VecDeque<u64>,
    set: FxHashSet<u64>,
    /// When the site last learned (an article id): the least recent site is forgotten first.
    stamp: u64,
}

/// Templates learned per site, bounded: at most `max_blocks` blocks in all (the least recently
/// learning sites are forgotten first) and `SITE_MAX_BLOCKS` per site.
#[derive(Debug, Clone, Default)]
pub struct SiteTemplates {
    sites: FxHashMap<u64, Site>,
    /// Which sites' templates hold a block: how a page that names no site finds its own.
    by_block: FxHashMap<u64, Vec<u64>>,
    blocks: usize,
    max_blocks: usize,
}

/// Blocks one site's template may hold: its menus, footers, sidebars and teaser lists, several
/// times over as teasers change.
pub const SITE_MAX_BLOCKS: usize = 1024;

impl SiteTemplates {
    pub fn new(max_blocks: usize) -> SiteTemplates {
        SiteTemplates {
            max_blocks,
            ..SiteTemplates::default()
        }
    }

    /// The site whose template applies to a page: the site it names, when learned; else the
    /// learned site whose template holds the most of the page's blocks, at least `min_shared`.
    pub fn site_for(&self, named: u64, hashes: &[u64], min_shared: usize) -> Option<u64> {
        if self.sites.is_empty() {
            return None;
        }
        if named != 0 && self.sites.contains_key(&named) {
            return Some(named);
        }
        let mut votes: FxHashMap<u64, usize> = FxHashMap::default();
        let mut seen = FxHashSet::default();
        for h in hashes.iter().filter(|&&h| seen.insert(h)) {
            for &site in self.by_block.get(h).into_iter().flatten() {
                *votes.entry(site).or_default() += 1;
            }
        }
        votes
            .into_iter()
            .filter(|&(_, n)| n >= min_shared.max(1))
            .max_by_key(|&(site, n)| (n, std::cmp::Reverse(site)))
            .map(|(site, _)| site)
    }

    pub fn contains(&self, site: u64, hash: u64) -> bool {
        self.sites.get(&site).is_some_and(|s| s.set.contains(&hash))
    }

    /// Whether any of `hashes` is in the site's template.
    pub fn holds_any(&self, site: u64, mut hashes: impl Iterator<Item = u64>) -> bool {
        self.sites
            .get(&site)
            .is_some_and(|s| hashes.any(|h| s.set.contains(&h)))
    }

    /// Adds blocks to a site's template; returns what to persist (the site's blocks, and the
    /// sites forgotten to stay in bounds). Nothing when nothing was new.
    pub fn learn(&mut self, key: u64, blocks: &[u64], stamp: u64) -> Vec<SiteWrite> {
        if self.max_blocks == 0 || key == 0 {
            return Vec::new();
        }
        let site = self.sites.entry(key).or_default();
        site.stamp = site.stamp.max(stamp);
        let mut added = 0usize;
        let mut dropped = Vec::new();
        for &h in blocks {
            if site.set.insert(h) {
                site.order.push_back(h);
                added += 1;
                if site.order.len() > SITE_MAX_BLOCKS {
                    if let Some(old) = site.order.pop_front() {
                        site.set.remove(&old);
                        dropped.push(old);
                    }
                }
            }
        }
        if added == 0 {
            return Vec::new();
        }
        let mut writes = vec![SiteWrite::Put {
            site: key,
            stamp: site.stamp,
            blocks: site.order.iter().copied().collect(),
        }];
        for h in blocks.iter().copied().filter(|h| !dropped.contains(h)) {
            let sites = self.by_block.entry(h).or_default();
            if !sites.contains(&key) {
                sites.push(key);
            }
        }
        self.blocks += added - dropped.len();
        for h in dropped {
            self.unindex(h, key);
        }
        while self.blocks > self.max_blocks {
            let Some(oldest) = self
                .sites
                .iter()
                .filter(|(&k, _)| k != key)
                .min_by_key(|(&k, s)| (s.stamp, k))
                .map(|(&k, _)| k)
            else {
                break;
            };
            self.forget(oldest);
            writes.push(SiteWrite::Remove { site: oldest });
        }
        writes
    }

    /// Restores a site's template as persisted.
    pub fn restore(&mut self, key: u64, stamp: u64, blocks: &[u64]) {
        self.learn(key, blocks, stamp);
    }

    fn forget(&mut self, key: u64) {
        if let Some(site) = self.sites.remove(&key) {
            self.blocks -= site.order.len();
            for h in site.order {
                self.unindex(h, key);
            }
        }
    }

    fn unindex(&mut self, hash: u64, key: u64) {
        if let Some(sites) = self.by_block.get_mut(&hash) {
            sites.retain(|&s| s != key);
            if sites.is_empty() {
                self.by_block.remove(&hash);
            }
        }
    }

    /// Sites and blocks learned, for stats and tests.
    pub fn len(&self) -> (usize, usize) {
        (self.sites.len(), self.blocks)
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

    #[test]
    fn a_page_finds_its_site_by_name_or_by_the_blocks_it_holds() {
        let mut t = SiteTemplates::new(100);
        t.learn(7, &[1, 2, 3, 4], 1);
        t.learn(9, &[3, 4, 5, 6], 2);
        assert_eq!(t.site_for(9, &[1, 2, 3], 3), Some(9), "the site it names");
        assert_eq!(
            t.site_for(0, &[1, 2, 3, 10], 3),
            Some(7),
            "most of its blocks"
        );
        assert_eq!(t.site_for(0, &[1, 2, 10], 3), None, "too few in common");
        assert_eq!(
            t.site_for(42, &[5, 6, 4], 3),
            Some(9),
            "unknown name: by its blocks"
        );
        assert!(t.contains(7, 1) && !t.contains(9, 1));
        assert!(t.holds_any(9, [10, 6].into_iter()));
    }

    #[test]
    fn learning_stays_in_bounds_and_reports_what_to_persist() {
        let mut t = SiteTemplates::new(6);
        let w = t.learn(1, &[10, 11, 12], 1);
        assert_eq!(
            w,
            [SiteWrite::Put {
                site: 1,
                stamp: 1,
                blocks: vec![10, 11, 12]
            }]
        );
        assert!(
            t.learn(1, &[10, 11], 2).is_empty(),
            "nothing new, nothing to write"
        );
        t.learn(2, &[20, 21, 22], 3);
        assert_eq!(t.len(), (2, 6));
        // A third site goes over the bound: the site that learned least recently is forgotten.
        let w = t.learn(3, &[30, 31], 4);
        assert!(w.contains(&SiteWrite::Remove { site: 1 }), "{w:?}");
        assert_eq!(t.len(), (2, 5));
        assert_eq!(t.site_for(0, &[10, 11, 12], 1), None);
        // A site keeps its latest blocks when it holds too many.
        let many: Vec<u64> = (0..SITE_MAX_BLOCKS as u64 + 5).map(|h| h + 1000).collect();
        let mut big = SiteTemplates::new(usize::MAX);
        big.learn(5, &many, 1);
        assert_eq!(big.len(), (1, SITE_MAX_BLOCKS));
        assert!(!big.contains(5, 1000) && big.contains(5, 1004 + SITE_MAX_BLOCKS as u64));
        assert_eq!(
            big.site_for(0, &[1000, 1001, 1002], 1),
            None,
            "forgotten blocks unindexed"
        );
    }

    #[test]
    fn a_restored_template_is_the_one_persisted() {
        let mut t = SiteTemplates::new(100);
        let w = t.learn(3, &[1, 2, 3], 5);
        let mut back = SiteTemplates::new(100);
        for change in w {
            if let SiteWrite::Put {
                site,
                stamp,
                blocks,
            } = change
            {
                back.restore(site, stamp, &blocks);
            }
        }
        assert_eq!(back.site_for(0, &[1, 2, 3], 3), Some(3));
        assert_eq!(back.len(), t.len());
    }
}

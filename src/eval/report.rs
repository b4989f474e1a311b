//! The eval's figures: counts per kind, precision, recall and the similarity margins, the
//! targets, and how they are printed. Counting only; the kinds are built elsewhere.

use super::sites::NegativeReport;
use crate::model::Status;
use crate::model::Verdict;
use anyhow::Result;
use serde::Serialize;
use std::io::Write;

/// A reprint kind: positives (variants of stored pages) must be flagged naming the stored page,
/// negatives (variants of unstored pages) must not be flagged.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct KindReport {
    pub(crate) kind: String,
    pub(crate) positives: usize,
    pub(crate) negatives: usize,
    pub(crate) true_pos: usize,
    pub(crate) false_pos: usize,
    pub(crate) precision: f64,
    pub(crate) recall: f64,
    /// The lowest similarity of a correct flag, and the highest any negative got: the margin
    /// the thresholds have on this corpus.
    pub(crate) min_true_similarity: f32,
    pub(crate) max_negative_similarity: f32,
    /// The highest story similarity the page-level evidence turned down (another story whose
    /// extracted text looked like this one).
    pub(crate) max_turned_down: f32,
    pub(crate) misses: Vec<String>,
}

impl KindReport {
    pub(crate) fn new(kind: &str) -> KindReport {
        KindReport {
            kind: kind.to_owned(),
            positives: 0,
            negatives: 0,
            true_pos: 0,
            false_pos: 0,
            precision: 1.0,
            recall: 0.0,
            min_true_similarity: 1.0,
            max_negative_similarity: 0.0,
            max_turned_down: 0.0,
            misses: Vec::new(),
        }
    }

    /// Counts one case: whether its story was stored, whether it was flagged (reprint or
    /// duplicate), whether the flag named the right page, with its similarity, the similarity
    /// the page evidence turned down, and a description for the misses.
    pub(crate) fn count(
        &mut self,
        is_stored: bool,
        flagged: bool,
        right: bool,
        similarity: f32,
        turned_down: f32,
        what: String,
    ) {
        self.max_turned_down = self.max_turned_down.max(turned_down);
        if is_stored && flagged && right {
            self.min_true_similarity = self.min_true_similarity.min(similarity);
        } else if !is_stored {
            self.max_negative_similarity = self.max_negative_similarity.max(similarity);
        }
        if is_stored {
            self.positives += 1;
        } else {
            self.negatives += 1;
        }
        match (is_stored, flagged, right) {
            (true, true, true) => self.true_pos += 1,
            (true, _, _) => {
                self.false_pos += usize::from(flagged);
                self.misses.push(what);
            }
            (false, true, _) => {
                self.false_pos += 1;
                self.misses.push(format!("(negative) {what}"));
            }
            (false, false, _) => {}
        }
    }

    pub(crate) fn finish(&mut self) {
        let (tp, fp) = (self.true_pos, self.false_pos);
        self.precision = if tp + fp == 0 {
            1.0
        } else {
            tp as f64 / (tp + fp) as f64
        };
        self.recall = tp as f64 / self.positives.max(1) as f64;
    }
}

/// A partial-reuse kind: each case must be `partial` naming its source, never a reprint.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PartialReport {
    pub(crate) kind: String,
    pub(crate) cases: usize,
    pub(crate) partial: usize,
    pub(crate) reprint: usize,
    pub(crate) partial_rate: f64,
    /// The highest similarity of a case flagged partial: how far below the reprint threshold.
    pub(crate) max_partial_similarity: f32,
    pub(crate) misses: Vec<String>,
}

impl PartialReport {
    pub(crate) fn new(kind: &str) -> PartialReport {
        PartialReport {
            kind: kind.to_owned(),
            cases: 0,
            partial: 0,
            reprint: 0,
            partial_rate: 0.0,
            max_partial_similarity: 0.0,
            misses: Vec::new(),
        }
    }

    pub(crate) fn count(&mut self, v: &Verdict, source_file: &str, case: &str) {
        self.cases += 1;
        let right = v.matched.as_ref().is_some_and(|m| m.file == source_file);
        match v.status {
            Status::Partial if right => {
                self.partial += 1;
                let sim = v.matched.as_ref().map_or(0.0, |m| m.similarity);
                self.max_partial_similarity = self.max_partial_similarity.max(sim);
            }
            Status::Reprint | Status::Duplicate => {
                self.reprint += 1;
                self.misses.push(format!("{case}: {}", describe(v)));
            }
            _ => self.misses.push(format!("{case}: {}", describe(v))),
        }
    }

    pub(crate) fn finish(&mut self) {
        self.partial_rate = self.partial as f64 / self.cases.max(1) as f64;
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    pub(crate) reprint_kinds: Vec<KindReport>,
    pub(crate) partial_kinds: Vec<PartialReport>,
    pub(crate) negative_kinds: Vec<NegativeReport>,
}

/// The dev-set targets.
const MIN_PRECISION: f64 = 0.995;
const MIN_RECALL: f64 = 0.99;
const MIN_PARTIAL: f64 = 0.95;

impl Report {
    /// Precision ≥ 0.995 and recall ≥ 0.99 per reprint kind; partial reuse reported as partial
    /// in ≥ 95% of cases and never as a reprint; no flag at all among different stories.
    pub(crate) fn targets_met(&self) -> bool {
        self.reprint_kinds
            .iter()
            .all(|k| k.precision >= MIN_PRECISION && k.recall >= MIN_RECALL)
            && self
                .partial_kinds
                .iter()
                .all(|p| p.partial_rate >= MIN_PARTIAL && p.reprint == 0)
            && self.negative_kinds.iter().all(|n| n.flags == 0)
    }
}

pub(crate) fn describe(v: &Verdict) -> String {
    match &v.matched {
        Some(m) => format!("{} of {} ({:.2})", v.status.as_str(), m.file, m.similarity),
        None => v.status.as_str().to_owned(),
    }
}

pub(crate) fn print_report(r: &Report, pages: usize, out: &mut impl Write) -> Result<()> {
    writeln!(
        out,
        "{pages} pages, each stored once and a negative once (variants of unstored pages)"
    )?;
    writeln!(
        out,
        "{:<34} {:>4} {:>4} {:>4} {:>4} {:>9} {:>7}  {:>6} {:>7} {:>7}",
        "reprint kind",
        "pos",
        "neg",
        "tp",
        "fp",
        "precision",
        "recall",
        "min tp",
        "max neg",
        "refused"
    )?;
    for k in &r.reprint_kinds {
        writeln!(
            out,
            "{:<34} {:>4} {:>4} {:>4} {:>4} {:>9.3} {:>7.3}  {:>6.3} {:>7.3} {:>7.3}",
            k.kind,
            k.positives,
            k.negatives,
            k.true_pos,
            k.false_pos,
            k.precision,
            k.recall,
            k.min_true_similarity,
            k.max_negative_similarity,
            k.max_turned_down
        )?;
        for m in &k.misses {
            writeln!(out, "    miss: {m}")?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<34} {:>5} {:>7} {:>7} {:>7}  {:>7}",
        "partial kind", "cases", "partial", "rate", "reprint", "max sim"
    )?;
    for p in &r.partial_kinds {
        writeln!(
            out,
            "{:<34} {:>5} {:>7} {:>7.3} {:>7}  {:>7.3}",
            p.kind, p.cases, p.partial, p.partial_rate, p.reprint, p.max_partial_similarity
        )?;
        for m in &p.misses {
            writeln!(out, "    miss: {m}")?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<34} {:>5} {:>9} {:>5} {:>8}  {:>8} {:>7}",
        "different stories", "pages", "same-site", "flags", "reprints", "max flag", "refused"
    )?;
    for n in &r.negative_kinds {
        writeln!(
            out,
            "{:<34} {:>5} {:>9} {:>5} {:>8}  {:>8.3} {:>7.3}",
            n.kind,
            n.pages,
            n.same_site_pairs,
            n.flags,
            n.false_reprints,
            n.max_flag_similarity,
            n.max_turned_down
        )?;
        for m in &n.misses {
            writeln!(out, "    flag: {m}")?;
        }
    }
    writeln!(
        out,
        "\nrefused: the highest story similarity the pages' own prose turned down"
    )?;
    writeln!(
        out,
        "targets (precision >= {MIN_PRECISION}, recall >= {MIN_RECALL}, partial >= {MIN_PARTIAL} with no reprint, no flag among different stories) {}",
        if r.targets_met() { "met" } else { "MISSED" }
    )?;
    Ok(())
}

//! The evaluation's metrics, exactly as `shared/EVALUATION.md` defines them (CAFA style).
//!
//! Scores and labels are dense row-major matrices `[genes x terms]`, already closed upward in
//! the ontology by the caller. A metric is computed over a chosen subset of term columns, so the
//! frequency bins reuse the same code.

use serde::{Deserialize, Serialize};

/// Gene-centric Fmax and where it was reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fmax {
    /// Best F over the threshold grid (0 when no threshold predicts anything).
    pub fmax: f64,
    /// Lowest grid threshold reaching it.
    pub threshold: f64,
    /// Average precision at that threshold.
    pub precision: f64,
    /// Average recall at that threshold.
    pub recall: f64,
    /// Genes with at least one true term among the scored terms (the recall denominator).
    pub genes: usize,
    /// Terms scored.
    pub terms: usize,
}

/// Macro-averaged phenotype-centric ROC AUC.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MacroAuc {
    /// Mean AUC over the counted terms (NaN when none counts; `null` in JSON).
    #[serde(deserialize_with = "nan_from_null")]
    pub auc: f64,
    /// Terms with at least one positive and one negative gene (the ones averaged).
    pub terms: usize,
    /// Genes scored.
    pub genes: usize,
}

/// JSON has no NaN: serde_json writes it as `null`, which reads back as NaN here.
fn nan_from_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// The threshold grid: 0.00, 0.01, ..., 1.00.
pub const STEPS: usize = 100;

fn threshold(i: usize) -> f32 {
    i as f32 / STEPS as f32
}

/// Highest grid index `i` with `score >= i / 100`, or `None` if the score is below 0.
fn highest_step(score: f32) -> Option<usize> {
    if !(score >= 0.0) {
        return None;
    }
    let mut i = ((score * STEPS as f32).floor() as isize).clamp(0, STEPS as isize) as usize;
    // Correct the float rounding of the estimate against the exact comparison used by the grid.
    while i < STEPS && score >= threshold(i + 1) {
        i += 1;
    }
    while i > 0 && score < threshold(i) {
        i -= 1;
    }
    Some(i)
}

/// Gene-centric Fmax over the `terms` columns of `scores`/`truth` (`[genes x width]`).
///
/// At threshold t a gene's predicted set is the scored terms with score >= t. Precision is
/// averaged over the genes with at least one predicted term, recall over the genes with at least
/// one true term; genes with no true term among `terms` are left out altogether (they are not
/// benchmark genes for this term set).
pub fn fmax(scores: &[f32], truth: &[bool], width: usize, terms: &[usize]) -> Fmax {
    assert_eq!(scores.len(), truth.len(), "scores and truth must have the same shape");
    assert!(width > 0 && scores.len() % width == 0, "rows must have {width} columns");
    // For each threshold step: sums of precision and recall, and genes with a prediction.
    let mut precision_sum = vec![0f64; STEPS + 1];
    let mut recall_sum = vec![0f64; STEPS + 1];
    let mut predicting = vec![0usize; STEPS + 1];
    let mut genes = 0;
    let mut predicted = vec![0usize; STEPS + 2];
    let mut hits = vec![0usize; STEPS + 2];
    for (row_scores, row_truth) in scores.chunks(width).zip(truth.chunks(width)) {
        let positives = terms.iter().filter(|&&t| row_truth[t]).count();
        if positives == 0 {
            continue;
        }
        genes += 1;
        predicted.fill(0);
        hits.fill(0);
        // A term with highest step i is predicted at every threshold step 0..=i.
        for &t in terms {
            if let Some(i) = highest_step(row_scores[t]) {
                predicted[i] += 1;
                if row_truth[t] {
                    hits[i] += 1;
                }
            }
        }
        let (mut n_pred, mut n_hit) = (0usize, 0usize);
        for i in (0..=STEPS).rev() {
            n_pred += predicted[i];
            n_hit += hits[i];
            if n_pred > 0 {
                precision_sum[i] += n_hit as f64 / n_pred as f64;
                predicting[i] += 1;
            }
            recall_sum[i] += n_hit as f64 / positives as f64;
        }
    }
    let mut best = Fmax { fmax: 0.0, threshold: 0.0, precision: 0.0, recall: 0.0, genes, terms: terms.len() };
    if genes == 0 {
        return best;
    }
    for i in 0..=STEPS {
        if predicting[i] == 0 {
            continue;
        }
        let p = precision_sum[i] / predicting[i] as f64;
        let r = recall_sum[i] / genes as f64;
        if p + r > 0.0 {
            let f = 2.0 * p * r / (p + r);
            if f > best.fmax {
                best = Fmax { fmax: f, threshold: threshold(i) as f64, precision: p, recall: r, genes, terms: terms.len() };
            }
        }
    }
    best
}

/// ROC AUC of one term: the probability that a random positive outscores a random negative,
/// ties counting one half (Mann-Whitney U with average ranks). `None` without both classes.
pub fn auroc(scores: &[f32], labels: &[bool]) -> Option<f64> {
    assert_eq!(scores.len(), labels.len());
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum = 0f64;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && scores[order[end]] == scores[order[start]] {
            end += 1;
        }
        // Ranks start..end (1-based start+1..=end) share their average.
        let average = (start + 1 + end) as f64 / 2.0;
        rank_sum += average * order[start..end].iter().filter(|&&g| labels[g]).count() as f64;
        start = end;
    }
    let u = rank_sum - (positives * (positives + 1)) as f64 / 2.0;
    Some(u / (positives as f64 * negatives as f64))
}

/// Macro AUC over the `terms` columns, averaging the terms that have both classes.
pub fn macro_auc(scores: &[f32], truth: &[bool], width: usize, terms: &[usize]) -> MacroAuc {
    assert_eq!(scores.len(), truth.len());
    let genes = scores.len() / width;
    let (mut sum, mut counted) = (0f64, 0usize);
    let mut column = vec![0f32; genes];
    let mut labels = vec![false; genes];
    for &t in terms {
        for g in 0..genes {
            column[g] = scores[g * width + t];
            labels[g] = truth[g * width + t];
        }
        if let Some(auc) = auroc(&column, &labels) {
            sum += auc;
            counted += 1;
        }
    }
    MacroAuc { auc: if counted > 0 { sum / counted as f64 } else { f64::NAN }, terms: counted, genes }
}

/// Share of (gene, exclusive pair) combinations where both terms score at least `threshold`.
pub fn exclusive_violation_rate(scores: &[f32], width: usize, pairs: &[(usize, usize)], threshold: f32) -> f64 {
    if pairs.is_empty() || scores.is_empty() {
        return 0.0;
    }
    let mut both = 0usize;
    let mut total = 0usize;
    for row in scores.chunks(width) {
        for &(a, b) in pairs {
            total += 1;
            if row[a] >= threshold && row[b] >= threshold {
                both += 1;
            }
        }
    }
    both as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gene A: true {0, 1}, scores [0.9, 0.4, 0.2]; gene B: true {2}, scores [0.6, 0.1, 0.8].
    fn two_genes() -> (Vec<f32>, Vec<bool>) {
        (
            vec![0.9, 0.4, 0.2, 0.6, 0.1, 0.8],
            vec![true, true, false, false, false, true],
        )
    }

    #[test]
    fn fmax_by_hand() {
        // t = 0.20: A predicts {0,1,2} (p 2/3, r 1), B {0,2} (p 1/2, r 1): F = 0.7368.
        // t in 0.21..=0.40: A {0,1} (1, 1), B {0,2} (1/2, 1): p 3/4, r 1, F = 6/7.
        // t in 0.41..=0.60: A {0} (1, 1/2), B {0,2} (1/2, 1): F = 3/4.
        // t in 0.61..=0.80: A {0} (1, 1/2), B {2} (1, 1): p 1, r 3/4, F = 6/7 (not lower t).
        // t in 0.81..=0.90: only A predicts: p 1, r (1/2 + 0)/2: F = 0.4.
        let (s, y) = two_genes();
        let f = fmax(&s, &y, 3, &[0, 1, 2]);
        assert!((f.fmax - 6.0 / 7.0).abs() < 1e-12, "{f:?}");
        assert!((f.threshold - 0.21).abs() < 1e-6, "{f:?}");
        assert!((f.precision - 0.75).abs() < 1e-12 && (f.recall - 1.0).abs() < 1e-12);
        assert_eq!((f.genes, f.terms), (2, 3));
    }

    #[test]
    fn fmax_on_a_term_subset_drops_genes_without_true_terms() {
        // Only term 2: gene A has no true term there and is left out; B scores 0.8 on it.
        // Every t <= 0.80 gives p = r = 1.
        let (s, y) = two_genes();
        let f = fmax(&s, &y, 3, &[2]);
        assert_eq!(f.genes, 1);
        assert!((f.fmax - 1.0).abs() < 1e-12);
        assert_eq!(f.threshold, 0.0);
    }

    #[test]
    fn grid_thresholds_compare_exactly() {
        assert_eq!(highest_step(0.2), Some(20));
        assert_eq!(highest_step(0.199_999), Some(19));
        assert_eq!(highest_step(1.0), Some(100));
        assert_eq!(highest_step(0.0), Some(0));
        assert_eq!(highest_step(-0.1), None);
        assert_eq!(highest_step(f32::NAN), None);
    }

    #[test]
    fn auroc_by_hand() {
        // Pairs (pos, neg): 0.35 > 0.1, 0.35 < 0.4, 0.8 > both: 3 of 4.
        assert_eq!(auroc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]), Some(0.75));
        // Ties count one half: pos 0.5 ties both negatives (1), pos 0.9 beats both (2): 3 / 4.
        assert_eq!(auroc(&[0.5, 0.5, 0.5, 0.9], &[false, true, false, true]), Some(0.75));
        // All tied: 0.5.
        assert_eq!(auroc(&[0.3, 0.3, 0.3], &[true, false, false]), Some(0.5));
        assert_eq!(auroc(&[0.3, 0.4], &[true, true]), None);
    }

    #[test]
    fn macro_auc_skips_single_class_terms() {
        // Term 0: truth [1, 0], scores [0.9, 0.6] -> 1. Term 1: no positive -> skipped.
        // Term 2: truth [0, 1], scores [0.8, 0.2] -> 0. Mean of the two counted terms: 0.5.
        let scores = vec![0.9, 0.4, 0.8, 0.6, 0.1, 0.2];
        let truth = vec![true, false, false, false, false, true];
        let m = macro_auc(&scores, &truth, 3, &[0, 1, 2]);
        assert_eq!(m.terms, 2);
        assert_eq!(m.genes, 2);
        assert!((m.auc - 0.5).abs() < 1e-12);
    }

    #[test]
    fn an_undefined_auc_survives_json() {
        let m = MacroAuc { auc: f64::NAN, terms: 0, genes: 3 };
        let back: MacroAuc = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert!(back.auc.is_nan());
        assert_eq!((back.terms, back.genes), (0, 3));
    }

    #[test]
    fn exclusive_rate_by_hand() {
        // Pair (0, 2) at 0.5: gene A 0.9 & 0.2 no; gene B 0.6 & 0.8 yes: 1 of 2.
        let (s, _) = two_genes();
        assert_eq!(exclusive_violation_rate(&s, 3, &[(0, 2)], 0.5), 0.5);
        assert_eq!(exclusive_violation_rate(&s, 3, &[(0, 2), (1, 2)], 0.5), 0.25);
    }
}

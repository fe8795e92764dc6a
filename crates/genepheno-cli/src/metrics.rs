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

/// Information content of every term, CAFA's definition (Clark & Radivojac 2013,
/// "Information-theoretic evaluation of predicted ontological annotations", Bioinformatics 29(13)
/// i53-i61; used for CAFA's weighted Fmax and Smin): `ic(t) = -log2 P(t | Pa(t))`, estimated on the
/// training genes' upward-closed labels as (genes with t) / (genes with every parent of t). A term
/// without parents is conditioned on nothing (its share of all training genes), so a root that every
/// gene carries has 0; in a flat label set every term's IC is `-log2` of its training share.
///
/// `train_truth` is `[training genes x width]`, `parents[t]` the term columns of t's parents. A
/// term no training gene carries has no estimate and gets 0 (it then weighs nothing); the data's
/// label filter (>= 10 training genes per label) keeps that from happening in the real sets.
pub fn information_content(train_truth: &[bool], width: usize, parents: &[Vec<usize>]) -> Vec<f64> {
    assert_eq!(parents.len(), width, "one parent list per term");
    assert!(width > 0 && train_truth.len() % width == 0, "rows must have {width} columns");
    let mut with_term = vec![0usize; width];
    let mut with_parents = vec![0usize; width];
    for row in train_truth.chunks(width) {
        for t in 0..width {
            if parents[t].iter().all(|&p| row[p]) {
                with_parents[t] += 1;
                with_term[t] += usize::from(row[t]);
            }
        }
    }
    (0..width)
        .map(|t| if with_term[t] == 0 { 0.0 } else { -(with_term[t] as f64 / with_parents[t] as f64).log2() })
        .collect()
}

/// CAFA's information-weighted Fmax (wFmax): Fmax with every term weighed by its IC.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WeightedFmax {
    /// Best weighted F over the threshold grid (0 when nothing informative is ever predicted).
    pub wfmax: f64,
    /// Lowest grid threshold reaching it.
    pub threshold: f64,
    pub precision: f64,
    pub recall: f64,
    /// Genes whose true terms carry some information (IC sum > 0): the recall denominator.
    pub genes: usize,
}

/// CAFA's minimum semantic distance: remaining uncertainty and misinformation, in bits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Smin {
    /// min over the grid of sqrt(ru^2 + mi^2); lower is better (NaN without genes).
    #[serde(deserialize_with = "nan_from_null")]
    pub smin: f64,
    /// Lowest grid threshold reaching it.
    pub threshold: f64,
    /// Mean IC of the true terms not predicted, at that threshold.
    #[serde(deserialize_with = "nan_from_null")]
    pub remaining_uncertainty: f64,
    /// Mean IC of the predicted terms that are not true, at that threshold.
    #[serde(deserialize_with = "nan_from_null")]
    pub misinformation: f64,
    /// Genes with at least one true term (as for Fmax).
    pub genes: usize,
}

/// Per gene and grid step, the IC summed over the predicted terms and over the correctly
/// predicted ones; with the IC of the gene's true terms. Genes without a true term are left out.
struct IcCurves {
    /// `[gene][step]`: IC of the terms scoring >= step / 100.
    predicted: Vec<Vec<f64>>,
    /// `[gene][step]`: IC of the true terms among them.
    hits: Vec<Vec<f64>>,
    /// `[gene]`: IC of all true terms.
    truth: Vec<f64>,
}

fn ic_curves(scores: &[f32], truth: &[bool], width: usize, ic: &[f64]) -> IcCurves {
    assert_eq!(scores.len(), truth.len(), "scores and truth must have the same shape");
    assert!(width > 0 && scores.len() % width == 0, "rows must have {width} columns");
    assert_eq!(ic.len(), width, "one IC per term");
    let mut curves = IcCurves { predicted: Vec::new(), hits: Vec::new(), truth: Vec::new() };
    for (row_scores, row_truth) in scores.chunks(width).zip(truth.chunks(width)) {
        if !row_truth.iter().any(|&t| t) {
            continue;
        }
        let mut predicted = vec![0f64; STEPS + 1];
        let mut hits = vec![0f64; STEPS + 1];
        for t in 0..width {
            if let Some(i) = highest_step(row_scores[t]) {
                predicted[i] += ic[t];
                if row_truth[t] {
                    hits[i] += ic[t];
                }
            }
        }
        // Cumulative from the top: a term with highest step i is predicted at steps 0..=i.
        for i in (0..STEPS).rev() {
            predicted[i] += predicted[i + 1];
            hits[i] += hits[i + 1];
        }
        curves.truth.push((0..width).filter(|&t| row_truth[t]).map(|t| ic[t]).sum());
        curves.predicted.push(predicted);
        curves.hits.push(hits);
    }
    curves
}

/// CAFA's weighted Fmax over all `width` terms: at threshold t, a gene's weighted precision is
/// the IC of its correctly predicted terms over the IC of its predicted terms, its weighted
/// recall the same over the IC of its true terms (Clark & Radivojac 2013). As for [`fmax`],
/// precision is averaged over the genes that predict something (here: something with IC > 0) and
/// recall over the benchmark genes (here: genes whose true terms have IC > 0).
pub fn weighted_fmax(scores: &[f32], truth: &[bool], width: usize, ic: &[f64]) -> WeightedFmax {
    let c = ic_curves(scores, truth, width, ic);
    let benchmark: Vec<usize> = (0..c.truth.len()).filter(|&g| c.truth[g] > 0.0).collect();
    let mut best = WeightedFmax { wfmax: 0.0, threshold: 0.0, precision: 0.0, recall: 0.0, genes: benchmark.len() };
    if benchmark.is_empty() {
        return best;
    }
    for i in 0..=STEPS {
        let (mut p_sum, mut predicting, mut r_sum) = (0f64, 0usize, 0f64);
        for &g in &benchmark {
            if c.predicted[g][i] > 0.0 {
                p_sum += c.hits[g][i] / c.predicted[g][i];
                predicting += 1;
            }
            r_sum += c.hits[g][i] / c.truth[g];
        }
        if predicting == 0 {
            continue;
        }
        let (p, r) = (p_sum / predicting as f64, r_sum / benchmark.len() as f64);
        if p + r > 0.0 {
            let f = 2.0 * p * r / (p + r);
            if f > best.wfmax {
                best = WeightedFmax { wfmax: f, threshold: threshold(i) as f64, precision: p, recall: r, genes: benchmark.len() };
            }
        }
    }
    best
}

/// CAFA's Smin over all `width` terms: at threshold t, remaining uncertainty ru(t) is the mean
/// over genes of the IC of the true terms not predicted, misinformation mi(t) the mean IC of the
/// predicted terms that are not true; Smin = min over t of sqrt(ru^2 + mi^2) (Clark & Radivojac
/// 2013). Averaged over the genes with at least one true term, as for [`fmax`]. NaN without any.
pub fn smin(scores: &[f32], truth: &[bool], width: usize, ic: &[f64]) -> Smin {
    let c = ic_curves(scores, truth, width, ic);
    let n = c.truth.len();
    let mut best = Smin { smin: f64::NAN, threshold: 0.0, remaining_uncertainty: f64::NAN, misinformation: f64::NAN, genes: n };
    if n == 0 {
        return best;
    }
    for i in 0..=STEPS {
        let ru = (0..n).map(|g| c.truth[g] - c.hits[g][i]).sum::<f64>() / n as f64;
        let mi = (0..n).map(|g| c.predicted[g][i] - c.hits[g][i]).sum::<f64>() / n as f64;
        let s = ru.hypot(mi);
        if best.smin.is_nan() || s < best.smin {
            best = Smin { smin: s, threshold: threshold(i) as f64, remaining_uncertainty: ru, misinformation: mi, genes: n };
        }
    }
    best
}

/// Average ranks (1-based, ties share the mean of their ranks), in the input's order.
fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0f64; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let average = (start + 1 + end) as f64 / 2.0;
        order[start..end].iter().for_each(|&i| ranks[i] = average);
        start = end;
    }
    ranks
}

/// Spearman's rank correlation (Pearson's on average ranks); `None` when either side is constant.
pub fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    assert_eq!(a.len(), b.len());
    let (ra, rb) = (average_ranks(a), average_ranks(b));
    let n = a.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let (mut cov, mut va, mut vb) = (0f64, 0f64, 0f64);
    for (x, y) in ra.iter().zip(&rb) {
        cov += (x - ma) * (y - mb);
        va += (x - ma) * (x - ma);
        vb += (y - mb) * (y - mb);
    }
    (va > 0.0 && vb > 0.0).then(|| cov / (va * vb).sqrt())
}

/// Each value's chance of being among the `k` highest when ties are broken at random: 1 above
/// the k-th highest value, 0 below it, and the tied places left shared evenly by the values equal
/// to it. Taking the expectation keeps the tie order (e.g. label order, which follows the
/// ontology's ids and so correlates with generality) out of the figure. NaN counts as lowest.
pub fn top_k_membership(values: &[f64], k: usize) -> Vec<f64> {
    let clean: Vec<f64> = values.iter().map(|&v| if v.is_nan() { f64::NEG_INFINITY } else { v }).collect();
    if k == 0 || clean.is_empty() {
        return vec![0.0; clean.len()];
    }
    let mut sorted = clean.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let kth = sorted[k.min(sorted.len()) - 1];
    let above = clean.iter().filter(|&&v| v > kth).count();
    let tied = clean.iter().filter(|&&v| v == kth).count();
    let share = (k.min(clean.len()) - above) as f64 / tied as f64;
    clean.iter().map(|&v| if v > kth { 1.0 } else if v == kth { share } else { 0.0 }).collect()
}

/// How much a predictor's scores look like the label prior: label frequency itself scores 1 on
/// both figures; a predictor that reads the sequence should score well below it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PriorLikeness {
    /// Mean over genes of Spearman's correlation between the gene's scores and the labels'
    /// training frequencies (NaN when no gene has varying scores; `null` in JSON).
    #[serde(deserialize_with = "nan_from_null")]
    pub spearman: f64,
    /// Genes averaged for `spearman`: those whose scores are not all equal.
    pub spearman_genes: usize,
    /// Mean over genes of the share (0..1) of the gene's [`TOP_K`] highest-scoring terms that are
    /// among the [`TOP_K`] most frequent training terms, ties taken in expectation
    /// ([`top_k_membership`]).
    #[serde(deserialize_with = "nan_from_null")]
    pub top10_overlap: f64,
    /// Genes scored.
    pub genes: usize,
}

/// Terms compared for [`PriorLikeness::top10_overlap`].
pub const TOP_K: usize = 10;

/// [`PriorLikeness`] of a `[genes x width]` score matrix against the training frequencies.
pub fn prior_likeness(scores: &[f32], width: usize, train_frequency: &[usize]) -> PriorLikeness {
    assert!(width > 0 && scores.len() % width == 0, "rows must have {width} columns");
    assert_eq!(train_frequency.len(), width, "one frequency per term");
    let freq: Vec<f64> = train_frequency.iter().map(|&f| f as f64).collect();
    let k = TOP_K.min(width);
    let frequent = top_k_membership(&freq, k);
    let (mut rho_sum, mut rho_genes, mut overlap_sum, mut genes) = (0f64, 0usize, 0f64, 0usize);
    for row in scores.chunks(width) {
        let row: Vec<f64> = row.iter().map(|&s| s as f64).collect();
        if let Some(rho) = spearman(&row, &freq) {
            rho_sum += rho;
            rho_genes += 1;
        }
        let shared: f64 = top_k_membership(&row, k).iter().zip(&frequent).map(|(a, b)| a * b).sum();
        overlap_sum += shared / k as f64;
        genes += 1;
    }
    PriorLikeness {
        spearman: if rho_genes > 0 { rho_sum / rho_genes as f64 } else { f64::NAN },
        spearman_genes: rho_genes,
        top10_overlap: if genes > 0 { overlap_sum / genes as f64 } else { f64::NAN },
        genes,
    }
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

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn information_content_by_hand() {
        // Terms: 0 (top), 1 and 2 (children of 0), 3 (child of 1 and 2), 4 (child of 3).
        // Six training genes, closed upward: {0,1,2,3}, {0,1}, {0,2}, {0}, {0,1,2}, {}.
        // ic(0) = -log2(5/6); ic(1) = ic(2) = -log2(3/5) (3 of the 5 genes with 0);
        // ic(3) = -log2(1/2) = 1 (1 of the 2 genes with both 1 and 2); 4: no gene, 0.
        let rows: [&[usize]; 6] = [&[0, 1, 2, 3], &[0, 1], &[0, 2], &[0], &[0, 1, 2], &[]];
        let truth: Vec<bool> = rows.iter().flat_map(|r| (0..5).map(|t| r.contains(&t))).collect();
        let parents = vec![vec![], vec![0], vec![0], vec![1, 2], vec![3]];
        let ic = information_content(&truth, 5, &parents);
        let expected = [(6f64 / 5.0).log2(), (5f64 / 3.0).log2(), (5f64 / 3.0).log2(), 1.0, 0.0];
        for (got, want) in ic.iter().zip(expected) {
            assert!(close(*got, want), "{ic:?}");
        }
        // Flat: -log2 of the training share; a term every gene carries has 0.
        let flat = information_content(&[true, true, true, false, true, false, true, false], 2, &[vec![], vec![]]);
        assert!(close(flat[0], 0.0) && close(flat[1], 2.0), "{flat:?}");
    }

    #[test]
    fn weighted_fmax_by_hand() {
        // two_genes with ic = [1, 2, 4]: A's true IC 3, B's 4.
        // t <= 0.10: A {0,1,2} p 3/7 r 1, B {0,1,2} p 4/7 r 1: p 1/2, F 2/3.
        // t in 0.11..=0.20: A p 3/7, B {0,2} p 4/5: p 43/70, r 1, F 0.7611.
        // t in 0.21..=0.40: A {0,1} p 1 r 1, B {0,2} p 4/5 r 1: p 9/10, r 1, F 18/19.
        // t in 0.41..=0.60: A {0} p 1 r 1/3, B p 4/5 r 1: p 9/10, r 2/3, F 0.7660.
        // t in 0.61..=0.80: A {0} r 1/3, B {2} p 1 r 1: r 2/3, F 4/5. Above: lower.
        let (s, y) = two_genes();
        let w = weighted_fmax(&s, &y, 3, &[1.0, 2.0, 4.0]);
        assert!(close(w.wfmax, 18.0 / 19.0), "{w:?}");
        assert!((w.threshold - 0.21).abs() < 1e-6, "{w:?}");
        assert!(close(w.precision, 0.9) && close(w.recall, 1.0) && w.genes == 2, "{w:?}");
        // Unweighted (all IC 1) it is the plain Fmax, 6/7.
        assert!(close(weighted_fmax(&s, &y, 3, &[1.0; 3]).wfmax, 6.0 / 7.0));
        // A gene whose true terms carry no information is not a benchmark gene: with ic [0, 0, 1]
        // only B counts; its wrong terms 0 and 1 weigh nothing, so p = r = 1 from t = 0.
        let only_b = weighted_fmax(&s, &y, 3, &[0.0, 0.0, 1.0]);
        assert_eq!(only_b.genes, 1);
        assert!(close(only_b.wfmax, 1.0) && only_b.threshold == 0.0, "{only_b:?}");
    }

    #[test]
    fn smin_by_hand() {
        // two_genes with ic = [1, 2, 4]; (ru, mi) are means over the two genes.
        // t <= 0.10: ru 0, mi (4 + 3)/2 = 3.5. t in 0.11..=0.20: mi (4 + 1)/2 = 2.5.
        // t in 0.21..=0.40: A {0,1} exact, B {0,2} wrongly has 0: ru 0, mi 1/2, S 0.5.
        // t in 0.41..=0.60: A misses 1: ru 1, mi 0.5, S 1.118. 0.61..=0.80: ru 1, mi 0.
        // 0.81..=0.90: ru (2 + 4)/2 = 3. Above 0.90: 3.5. Smin 0.5 at 0.21.
        let (s, y) = two_genes();
        let m = smin(&s, &y, 3, &[1.0, 2.0, 4.0]);
        assert!(close(m.smin, 0.5), "{m:?}");
        assert!((m.threshold - 0.21).abs() < 1e-6, "{m:?}");
        assert!(close(m.remaining_uncertainty, 0.0) && close(m.misinformation, 0.5) && m.genes == 2);
        assert!(smin(&[], &[], 3, &[1.0; 3]).smin.is_nan());
    }

    #[test]
    fn spearman_by_hand() {
        // Ranks [1,2,3,4] vs [1,3,2,4]: sum d^2 = 2, rho = 1 - 6 * 2 / (4 * 15) = 0.8.
        assert!(close(spearman(&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 4.0]).unwrap(), 0.8));
        // Ties: ranks [1.5,1.5,3,4] vs [1,2,3,4]: cov 4.5, var 4.5 and 5: 4.5 / sqrt(22.5).
        let rho = spearman(&[1.0, 1.0, 2.0, 3.0], &[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert!(close(rho, 4.5 / 22.5f64.sqrt()), "{rho}");
        assert!(close(spearman(&[4.0, 3.0, 2.0], &[1.0, 2.0, 3.0]).unwrap(), -1.0));
        assert_eq!(spearman(&[2.0, 2.0, 2.0], &[1.0, 2.0, 3.0]), None);
    }

    #[test]
    fn top_k_membership_shares_tied_places() {
        // k = 3: one value above the third highest (0.5), so the 2 places left go to the three
        // values tied at 0.5: 2/3 each.
        let m = top_k_membership(&[0.9, 0.5, 0.5, 0.5, 0.1], 3);
        let expected = [1.0, 2.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0, 0.0];
        assert!(m.iter().zip(expected).all(|(a, b)| close(*a, b)), "{m:?}");
        assert_eq!(top_k_membership(&[0.3, f64::NAN, 0.2], 1), vec![1.0, 0.0, 0.0]);
        // k larger than the row: everything is in.
        assert_eq!(top_k_membership(&[0.3, 0.2], 10), vec![1.0, 1.0]);
    }

    #[test]
    fn prior_likeness_by_hand() {
        // 12 terms, frequencies 12, 11, ..., 1: the frequency top-10 is terms 0..=9.
        let freq: Vec<usize> = (1..=12).rev().collect();
        let same: Vec<f32> = freq.iter().map(|&f| f as f32 / 20.0).collect();
        let reversed: Vec<f32> = same.iter().rev().copied().collect();
        let flat = vec![0.5f32; 12];
        // Terms 0..=7 on top, then 8, 10, 11 tied for the last 2 places (2/3 each; only 8 is
        // frequent), 9 lowest: 8 + 2/3 shared.
        let tied = vec![0.99f32, 0.98, 0.97, 0.96, 0.95, 0.94, 0.93, 0.92, 0.5, 0.1, 0.5, 0.5];
        let scores: Vec<f32> = [same, reversed, flat, tied.clone()].concat();
        let p = prior_likeness(&scores, 12, &freq);
        // Spearman: same 1, reversed -1, flat skipped (constant); tied computed below.
        let rho_tied = spearman(&tied.iter().map(|&x| x as f64).collect::<Vec<_>>(), &freq.iter().map(|&f| f as f64).collect::<Vec<_>>()).unwrap();
        assert_eq!((p.spearman_genes, p.genes), (3, 4));
        assert!(close(p.spearman, (1.0 - 1.0 + rho_tied) / 3.0), "{p:?}");
        // Overlap: same 1; reversed has terms 2..=11, 8 of 10 frequent: 0.8; flat shares its 10
        // places evenly over 12 terms: 10 * 10/12 / 10 = 5/6; tied (8 + 2/3) / 10.
        let want = (1.0 + 0.8 + 5.0 / 6.0 + (8.0 + 2.0 / 3.0) / 10.0) / 4.0;
        assert!(close(p.top10_overlap, want), "{p:?}");
    }

    #[test]
    fn rho_of_the_tied_row_by_hand() {
        // The tied row of prior_likeness_by_hand. Ascending average ranks of the scores:
        // terms 0..=7 get 12..=5, terms 8, 10, 11 share 2..=4 (3 each), term 9 gets 1; the
        // frequency ranks are 12..=1. Deviations from the mean rank 6.5: scores 5.5 .. -1.5, then
        // -3.5, -5.5, -3.5, -3.5 (squares sum to 141); frequencies 5.5 .. -5.5 (143). Products:
        // 74 over terms 0..=7, then 8.75 + 19.25 + 15.75 + 19.25: 137. rho = 137 / sqrt(141 * 143).
        let tied = [0.99, 0.98, 0.97, 0.96, 0.95, 0.94, 0.93, 0.92, 0.5, 0.1, 0.5, 0.5];
        let freq: Vec<f64> = (1..=12).rev().map(|f| f as f64).collect();
        let rho = spearman(&tied, &freq).unwrap();
        assert!(close(rho, 137.0 / (141.0f64 * 143.0).sqrt()), "{rho}");
    }
}

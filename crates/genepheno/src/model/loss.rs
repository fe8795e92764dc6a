//! Training losses, written once over plain tensors so they are unit-tested on the CPU backend
//! and run unchanged under autodiff in the trainer.

use burn::prelude::*;
use burn::tensor::activation::softplus;

/// Stand-in for minus infinity in masked log-sum-exp terms: `exp` of it is exactly 0, and it keeps
/// gradients finite (an actual `-inf` would give `0 * inf` in the backward pass).
const MASKED: f32 = -1.0e30;

/// `log(1 + sum_j exp(x_j))` along dim 1 for the entries where `keep` is true, computed stably.
/// Returns `[rows]`.
fn log1p_sum_exp(x: Tensor<2>, keep: Tensor<2, Bool>) -> Tensor<1> {
    let x = x.mask_fill(keep.bool_not(), MASKED);
    let rows = x.dims()[0];
    // Shift by max(0, max_j x_j) so no exponent is positive; the shift is a constant for autodiff.
    let shift = x.clone().max_dim(1).clamp_min(0.0).detach();
    let sum = (x - shift.clone()).exp().sum_dim(1);
    let total = (shift.clone().neg().exp() + sum).log() + shift;
    total.reshape([rows])
}

/// Contrastive multi-label loss with temperature `tau`, averaged over genes:
///
/// `log(1 + sum_{n in neg} exp(s_n / tau)) + log(1 + sum_{p in pos} exp(-s_p / tau))`.
///
/// Every positive label's logit is pushed above every negative one (and above the threshold 0);
/// a small `tau` sharpens the comparison towards the hardest pairs. At `tau = 1` this is exactly
/// ZLPR (zero-bounded log-sum-exp and pairwise rank-based loss).
///
/// `labels` is `[genes, terms]` with 1 for positives and 0 for negatives.
pub fn contrastive_multilabel(logits: Tensor<2>, labels: Tensor<2>, tau: f32) -> Tensor<1> {
    assert!(tau > 0.0, "temperature must be positive");
    let scaled = logits / tau;
    let positive = labels.greater_elem(0.5);
    let negatives = log1p_sum_exp(scaled.clone(), positive.clone().bool_not());
    let positives = log1p_sum_exp(scaled.neg(), positive);
    (negatives + positives).mean()
}

/// Binary cross-entropy with logits, summed over terms and averaged over genes, so that its scale
/// per gene is comparable with [`contrastive_multilabel`]. Unlike the contrastive loss, which only
/// ranks a gene's terms against each other and against 0, it calibrates each term across genes
/// (its optimum for an uninformative input is the term's log-odds prior).
pub fn bce_multilabel(logits: Tensor<2>, labels: Tensor<2>) -> Tensor<1> {
    let genes = logits.dims()[0].max(1) as f32;
    (softplus(logits.clone(), 1.0) - labels * logits).sum() / genes
}

/// Exclusivity regulariser: mean over genes and pairs of `softplus(s_a + s_b)` for each pair
/// `(a, b)` of mutually exclusive terms, penalising a gene that scores both high. Pairs that a
/// gene's own labels contain both of are not penalised for that gene (the data says they co-occur).
///
/// `first` and `second` are `[pairs]` term indices; `labels` is `[genes, terms]` 0/1.
pub fn exclusivity(
    logits: Tensor<2>,
    labels: Tensor<2>,
    first: Tensor<1, Int>,
    second: Tensor<1, Int>,
) -> Tensor<1> {
    let both = logits.clone().select(1, first.clone()) + logits.select(1, second.clone());
    let co_labelled = labels.clone().select(1, first) * labels.select(1, second);
    let weight = co_labelled.neg() + 1.0;
    (softplus(both, 1.0) * weight).mean()
}

/// Binary cross-entropy with logits for the GO-concept bottleneck, averaged over the genes whose
/// `supervised` entry is 1 (genes without GO annotations carry no concept target) and concepts.
///
/// `labels` is `[genes, concepts]` 0/1, `supervised` is `[genes, 1]` 0/1.
pub fn concept_bce(logits: Tensor<2>, labels: Tensor<2>, supervised: Tensor<2>) -> Tensor<1> {
    let concepts = logits.dims()[1] as f32;
    let per_entry = softplus(logits.clone(), 1.0) - labels * logits;
    let genes = supervised.clone().sum().clamp_min(1.0);
    (per_entry * supervised).sum() / (genes * concepts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(values: Vec<f32>, shape: [usize; 2]) -> Tensor<2> {
        Tensor::from_data(TensorData::new(values, shape), &Device::flex())
    }

    fn scalar(t: Tensor<1>) -> f32 {
        t.into_data().try_to_vec::<f32>().unwrap()[0]
    }

    fn ln(x: f64) -> f32 {
        x.ln() as f32
    }

    #[test]
    fn contrastive_matches_hand_computation() {
        // One gene, logits [2, -1, 0.5], positives {0}.
        // negatives: log(1 + e^-1 + e^0.5); positives: log(1 + e^-2).
        let logits = tensor(vec![2.0, -1.0, 0.5], [1, 3]);
        let labels = tensor(vec![1.0, 0.0, 0.0], [1, 3]);
        let e = std::f64::consts::E;
        let expected = ln(1.0 + e.powf(-1.0) + e.powf(0.5)) + ln(1.0 + e.powf(-2.0));
        let got = scalar(contrastive_multilabel(logits.clone(), labels.clone(), 1.0));
        assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");

        // tau = 0.5 doubles every logit: log(1 + e^-2 + e^1) + log(1 + e^-4).
        let expected = ln(1.0 + e.powf(-2.0) + e) + ln(1.0 + e.powf(-4.0));
        let got = scalar(contrastive_multilabel(logits, labels, 0.5));
        assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");
    }

    #[test]
    fn contrastive_at_tau_one_is_zlpr() {
        // ZLPR written out directly per gene, over two genes (one with no positive at all).
        let logits = vec![0.3f32, -2.0, 1.5, 4.0, -0.7, 0.0, 2.5, -3.0];
        let labels = vec![1.0f32, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let zlpr: f32 = logits
            .chunks(4)
            .zip(labels.chunks(4))
            .map(|(s, y)| {
                let neg: f32 = s.iter().zip(y).filter(|(_, y)| **y == 0.0).map(|(s, _)| s.exp()).sum();
                let pos: f32 = s.iter().zip(y).filter(|(_, y)| **y == 1.0).map(|(s, _)| (-s).exp()).sum();
                (1.0 + neg).ln() + (1.0 + pos).ln()
            })
            .sum::<f32>()
            / 2.0;
        let got = scalar(contrastive_multilabel(tensor(logits, [2, 4]), tensor(labels, [2, 4]), 1.0));
        assert!((got - zlpr).abs() < 1e-5, "{got} vs {zlpr}");
    }

    #[test]
    fn contrastive_is_stable_for_large_logits() {
        let got = scalar(contrastive_multilabel(
            tensor(vec![200.0, -200.0], [1, 2]),
            tensor(vec![0.0, 1.0], [1, 2]),
            0.1,
        ));
        // Both terms are about 2000 / 1 after scaling: log(1 + e^2000) ~ 2000.
        assert!((got - 4000.0).abs() < 1e-2, "{got}");
    }

    #[test]
    fn bce_multilabel_sums_terms_and_averages_genes() {
        // Gene 0: -ln(sigmoid(1)) - ln(1 - sigmoid(-2)) = ln(1 + e^-1) + ln(1 + e^-2);
        // gene 1: -ln(1 - sigmoid(0)) - ln(sigmoid(3)) = ln 2 + ln(1 + e^-3).
        let logits = tensor(vec![1.0, -2.0, 0.0, 3.0], [2, 2]);
        let labels = tensor(vec![1.0, 0.0, 0.0, 1.0], [2, 2]);
        let e = std::f64::consts::E;
        let expected =
            (ln(1.0 + e.powf(-1.0)) + ln(1.0 + e.powf(-2.0)) + ln(2.0) + ln(1.0 + e.powf(-3.0))) / 2.0;
        let got = scalar(bce_multilabel(logits, labels));
        assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");
    }

    #[test]
    fn exclusivity_matches_hand_computation() {
        // Two genes, three terms, pairs (0, 1) and (1, 2).
        let logits = tensor(vec![1.0, 0.5, -2.0, 0.0, 3.0, 1.0], [2, 3]);
        // Gene 1 is labelled with both 1 and 2, so its (1, 2) pair is not penalised.
        let labels = tensor(vec![1.0, 0.0, 0.0, 0.0, 1.0, 1.0], [2, 3]);
        let device = Device::flex();
        let first = Tensor::from_data(TensorData::new(vec![0i64, 1], [2]), &device);
        let second = Tensor::from_data(TensorData::new(vec![1i64, 2], [2]), &device);
        let sp = |x: f64| (1.0 + x.exp()).ln() as f32;
        // gene 0: sp(1.5) + sp(-1.5); gene 1: sp(3.0) + 0.
        let expected = (sp(1.5) + sp(-1.5) + sp(3.0)) / 4.0;
        let got = scalar(exclusivity(logits, labels, first, second));
        assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");
    }

    #[test]
    fn concept_bce_matches_hand_computation_and_skips_unsupervised_genes() {
        let logits = tensor(vec![0.0, 2.0, 5.0, -5.0], [2, 2]);
        let labels = tensor(vec![1.0, 0.0, 1.0, 1.0], [2, 2]);
        let supervised = tensor(vec![1.0, 0.0], [2, 1]);
        // Only gene 0: -log(sigmoid(0)) = ln 2 and -log(1 - sigmoid(2)) = ln(1 + e^2).
        let expected = (ln(2.0) + ln(1.0 + 2f64.exp())) / 2.0;
        let got = scalar(concept_bce(logits, labels, supervised));
        assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");
    }
}

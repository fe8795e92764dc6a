//! What was measured on the validation split for one exported model, and what the page does with
//! it: the ranking rule chosen by measurement, the training gene count behind each term's prior,
//! and the cut-offs of the applicability signal ("is this sequence like what the model learned
//! from?").
//!
//! One file per model (`public/models/{dataset}.calibration.json`), written by
//! `genepheno calibrate` from the shipped model and the committed data, and bound to the weights
//! by their SHA-256 like the reference set: figures measured on other weights mean nothing.

use serde::{Deserialize, Serialize};

/// How many of the strongest concept activations the confidence signal averages.
pub const CONFIDENCE_TOP_CONCEPTS: usize = 20;

/// The calibration file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub dataset: crate::domain::LabelSet,
    /// SHA-256 of the weights the figures were measured with.
    pub weights_sha256: String,
    /// Training genes of the dataset (homology split): the denominator of each term's prior,
    /// `train_genes / train_gene_count`.
    pub train_gene_count: u32,
    /// Validation genes measured.
    pub validation_genes: u32,
    pub ranking: RankingChoice,
    pub applicability: ApplicabilityCutoffs,
    /// The command that wrote this file.
    pub command: String,
}

/// The default ranking and the figures it was chosen by.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RankingChoice {
    /// The chosen rule (one of `rules`).
    pub chosen: RankingRule,
    /// Every rule measured, in the order tried.
    pub rules: Vec<RuleFigures>,
}

/// A ranking rule: which called terms are listed, in which order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankingRule {
    pub order: Order,
    /// Only the most specific called terms (no called descendant).
    pub specific_only: bool,
}

impl RankingRule {
    pub const ALL: [RankingRule; 4] = [
        RankingRule { order: Order::Score, specific_only: false },
        RankingRule { order: Order::Score, specific_only: true },
        RankingRule { order: Order::Lift, specific_only: false },
        RankingRule { order: Order::Lift, specific_only: true },
    ];

    pub fn describe(self) -> &'static str {
        match (self.order, self.specific_only) {
            (Order::Score, false) => "all called terms by score",
            (Order::Score, true) => "most specific called terms by score",
            (Order::Lift, false) => "all called terms by lift over the prior",
            (Order::Lift, true) => "most specific called terms by lift over the prior",
        }
    }
}

/// How a phenotype list is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Order {
    /// By how far the score rises above the term's prior (log-odds lift over its training
    /// frequency): what this gene adds to what is true of most genes.
    #[default]
    Lift,
    /// By the absolute score (general ancestors first, since a term scores at least as high as
    /// each of its descendants).
    Score,
}

/// Figures of one rule over the validation genes (top 10 of each gene's list).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleFigures {
    pub rule: RankingRule,
    /// Mean share of the listed top-10 terms that are curated for the gene.
    pub precision_at_10: f32,
    /// The same, each term weighted by its information content (-log2 prior): a correct
    /// specific term counts more than a correct "Abnormality of the nervous system".
    pub ic_weighted_precision_at_10: f32,
    /// Mean prior (training frequency) of the listed terms: lower is more specific.
    pub mean_prior_at_10: f32,
    /// Mean over the listed terms of (curated ? 1 : 0) minus the term's prior: how much better
    /// than a list drawn by training frequency, i.e. what the gene's prediction adds. A correct
    /// "Abnormality of the nervous system" (prior 0.79) adds 0.21; a correct rare term nearly 1.
    /// The default rule is the one with the highest value.
    #[serde(default)]
    pub precision_over_prior_at_10: f32,
    /// Genes with at least one listed term (the others have no called term).
    pub genes_listed: u32,
}

/// Cut-offs of the concept-confidence signal, from its distribution on the validation genes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicabilityCutoffs {
    /// Below this, fewer than 5 % of validation proteins: "far from anything the model learned from".
    pub far_below: f32,
    /// Below this, fewer than 25 % of validation proteins: "less typical".
    pub unusual_below: f32,
    /// Figures behind the cut-offs, for the documentation.
    pub figures: ApplicabilityFigures,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicabilityFigures {
    /// Mean top-10 precision (chosen rule) of the validation genes in each band: far, unusual, typical.
    pub precision_at_10_by_band: [f32; 3],
    /// Validation genes in each band.
    pub genes_by_band: [u32; 3],
    /// Share of residue-shuffled validation proteins (same composition, no real protein)
    /// flagged far, and flagged far or unusual.
    pub shuffled_far: f32,
    pub shuffled_far_or_unusual: f32,
    /// Area under the ROC curve of the signal telling real validation proteins from their
    /// shuffled copies.
    pub auc_real_vs_shuffled: f32,
    /// Share of validation genes with any training protein found by shared 5-mers (the homology
    /// split keeps them below 50 % identity, so few are).
    #[serde(default)]
    pub validation_with_training_neighbour: Option<f32>,
}

/// What the applicability signal says about one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Applicability {
    /// A recognised known gene: its curated GO feeds the model (known-gene mode).
    KnownGene,
    /// As confident as most validation proteins.
    Typical,
    /// Less confident than three in four validation proteins.
    Unusual,
    /// Less confident than 19 in 20 validation proteins.
    Far,
}

impl Applicability {
    /// Plain words for the badge.
    pub fn words(self) -> &'static str {
        match self {
            Applicability::KnownGene => "known gene: scored from its curated GO",
            Applicability::Typical => "like the proteins the model learned from",
            Applicability::Unusual => "less typical than most proteins the model learned from: read with care",
            Applicability::Far => "far from anything the model learned from: treat as weak",
        }
    }

    /// A one-word column value for exports.
    pub fn code(self) -> &'static str {
        match self {
            Applicability::KnownGene => "known-gene",
            Applicability::Typical => "typical",
            Applicability::Unusual => "unusual",
            Applicability::Far => "far",
        }
    }
}

/// The raw applicability signals of one scored protein (sent by the worker).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Signals {
    /// Mean of the [`CONFIDENCE_TOP_CONCEPTS`] strongest GO concept probabilities predicted from
    /// the sequence: a protein like the training proteins gets some concepts called firmly.
    pub concept_confidence: f32,
    /// The most similar training protein by shared amino-acid 5-mers, if any shares enough.
    pub nearest_training: Option<NearestTraining>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NearestTraining {
    pub symbol: String,
    /// Estimated Jaccard index of the 5-mer sets.
    pub jaccard: f32,
    /// Estimated percent identity, where the k-mer estimate means something.
    pub identity: Option<f32>,
}

/// The concept-confidence signal of a sequence-mode concept vector.
pub fn concept_confidence(concepts: &[f32]) -> f32 {
    if concepts.is_empty() {
        return 0.0;
    }
    let mut sorted: Vec<f32> = concepts.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let top = &sorted[..sorted.len().min(CONFIDENCE_TOP_CONCEPTS)];
    top.iter().sum::<f32>() / top.len() as f32
}

impl ApplicabilityCutoffs {
    /// The band of a sequence-mode prediction.
    pub fn classify(&self, signals: &Signals) -> Applicability {
        if signals.concept_confidence < self.far_below {
            Applicability::Far
        } else if signals.concept_confidence < self.unusual_below {
            Applicability::Unusual
        } else {
            Applicability::Typical
        }
    }
}

/// A term's prior: its training frequency, smoothed so that no term is certain or impossible.
pub fn prior(train_genes: u32, train_gene_count: u32) -> f32 {
    (train_genes as f32 + 0.5) / (train_gene_count.max(train_genes) as f32 + 1.0)
}

/// Log-odds lift of a score over a prior: `logit(score) - logit(prior)`.
pub fn lift(score: f32, prior: f32) -> f32 {
    let logit = |p: f32| {
        let p = p.clamp(1e-6, 1.0 - 1e-6);
        (p / (1.0 - p)).ln()
    };
    logit(score) - logit(prior)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lift_rewards_rising_above_a_rare_terms_prior() {
        // A score of 0.3 on a term one gene in a hundred has beats 0.9 on a term most genes have.
        let rare = lift(0.3, prior(39, 3907));
        let common = lift(0.9, prior(3090, 3907));
        assert!(rare > common, "{rare} vs {common}");
        assert!(lift(0.5, 0.5).abs() < 1e-6);
        assert!(lift(0.0, 0.01).is_finite() && lift(1.0, 0.99).is_finite());
    }

    #[test]
    fn priors_stay_strictly_between_zero_and_one() {
        assert!(prior(0, 100) > 0.0);
        assert!(prior(100, 100) < 1.0);
        // A count below a term's own training genes cannot make the prior exceed one.
        assert!(prior(50, 10) < 1.0);
    }

    #[test]
    fn confidence_is_the_mean_of_the_strongest_concepts() {
        let mut concepts = vec![0.0f32; 100];
        concepts[..CONFIDENCE_TOP_CONCEPTS].iter_mut().for_each(|c| *c = 0.5);
        concepts[0] = 0.9;
        let expected = (0.9 + 0.5 * (CONFIDENCE_TOP_CONCEPTS as f32 - 1.0)) / CONFIDENCE_TOP_CONCEPTS as f32;
        assert!((concept_confidence(&concepts) - expected).abs() < 1e-6);
        assert_eq!(concept_confidence(&[]), 0.0);
        assert!((concept_confidence(&[0.25, 0.75]) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn bands_follow_the_cutoffs() {
        let cutoffs = ApplicabilityCutoffs {
            far_below: 0.2,
            unusual_below: 0.4,
            figures: ApplicabilityFigures {
                precision_at_10_by_band: [0.0; 3],
                genes_by_band: [0; 3],
                shuffled_far: 0.0,
                shuffled_far_or_unusual: 0.0,
                auc_real_vs_shuffled: 0.5,
                validation_with_training_neighbour: None,
            },
        };
        let at = |c: f32| cutoffs.classify(&Signals { concept_confidence: c, nearest_training: None });
        assert_eq!(at(0.1), Applicability::Far);
        assert_eq!(at(0.2), Applicability::Unusual);
        assert_eq!(at(0.5), Applicability::Typical);
    }
}

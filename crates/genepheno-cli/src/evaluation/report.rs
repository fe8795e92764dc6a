//! One evaluated row (method x mode x part) with its frequency bins, the figures that see
//! specificity and the prior, and the JSON and Markdown renderings `genepheno eval` writes.

use serde::{Deserialize, Serialize};

use crate::metrics::{self, Fmax, MacroAuc, PriorLikeness, Smin, WeightedFmax};
use crate::data::dataset::FrequencyBin;

/// Figures of one term subset.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figures {
    pub fmax: Fmax,
    pub auc: MacroAuc,
}

impl Figures {
    /// Fmax and macro AUC over every column of a `[genes x width]` matrix.
    pub fn over_all(scores: &[f32], truth: &[bool], width: usize) -> Self {
        let all: Vec<usize> = (0..width).collect();
        Self { fmax: metrics::fmax(scores, truth, width, &all), auc: metrics::macro_auc(scores, truth, width, &all) }
    }
}

/// Figures of one frequency bin.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BinFigures {
    pub bin: String,
    pub figures: Figures,
}

/// One method scored on one part of the split in one mode.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub dataset: String,
    pub part: String,
    pub method: String,
    pub mode: String,
    pub all: Figures,
    pub bins: Vec<BinFigures>,
    /// Share of (gene, exclusive pair) with both terms at or above the Fmax threshold.
    pub exclusive_both_rate: Option<f64>,
    /// CAFA's information-weighted Fmax over all labels.
    pub weighted_fmax: WeightedFmax,
    /// CAFA's Smin over all labels (bits).
    pub smin: Smin,
    /// How much the scores follow the labels' training frequency.
    pub prior: PriorLikeness,
    /// The concept layer's predicted probabilities against the gene's curated, upward-closed GO
    /// concepts, over the genes with curated GO; `None` where the row does not predict concepts
    /// (known-gene modes feed the curated row itself, which would score perfectly).
    pub concepts: Option<Figures>,
}

/// What every row of one dataset is scored against, fixed before any method is scored.
pub struct Scoring<'a> {
    pub dataset: &'a str,
    /// Labels (columns of every score matrix).
    pub width: usize,
    /// Training genes per label (frequency bins and prior likeness).
    pub train_frequency: &'a [usize],
    pub exclusive: &'a [(usize, usize)],
    /// IC of every label from the training genes ([`metrics::information_content`]).
    pub information_content: &'a [f64],
}

impl Scoring<'_> {
    /// Scores a `[genes x width]` matrix against the truth: all terms, each frequency bin, the
    /// IC-weighted figures and the prior likeness; `concepts` as computed by the caller.
    pub fn row(&self, part: &str, method: &str, mode: &str, scores: &[f32], truth: &[bool], concepts: Option<Figures>) -> Row {
        let width = self.width;
        let all: Vec<usize> = (0..width).collect();
        let figures = |terms: &[usize]| Figures {
            fmax: metrics::fmax(scores, truth, width, terms),
            auc: metrics::macro_auc(scores, truth, width, terms),
        };
        let whole = figures(&all);
        let bins = [FrequencyBin::From11To30, FrequencyBin::From31To100, FrequencyBin::From101To300, FrequencyBin::From301]
            .into_iter()
            .map(|bin| {
                let terms: Vec<usize> =
                    all.iter().copied().filter(|&t| FrequencyBin::of(self.train_frequency[t]) == Some(bin)).collect();
                BinFigures { bin: bin.label().into(), figures: figures(&terms) }
            })
            .collect();
        let exclusive_both_rate = (!self.exclusive.is_empty())
            .then(|| metrics::exclusive_violation_rate(scores, width, self.exclusive, whole.fmax.threshold as f32));
        Row {
            dataset: self.dataset.into(),
            part: part.into(),
            method: method.into(),
            mode: mode.into(),
            all: whole,
            bins,
            exclusive_both_rate,
            weighted_fmax: metrics::weighted_fmax(scores, truth, width, self.information_content),
            smin: metrics::smin(scores, truth, width, self.information_content),
            prior: metrics::prior_likeness(scores, width, self.train_frequency),
            concepts,
        }
    }
}

fn pct(x: f64) -> String {
    if x.is_nan() { "n/a".into() } else { format!("{:.2}", 100.0 * x) }
}

fn fixed(x: f64, digits: usize) -> String {
    if x.is_nan() { "n/a".into() } else { format!("{x:.digits$}") }
}

/// What the columns [`markdown_table`] adds to Fmax and AUC mean (printed above the tables).
pub const TABLE_LEGEND: &str = "wFmax: CAFA's information-weighted Fmax (IC of a label = -log2 P(label | its parents) \
     on the training genes; flat sets: -log2 of its training share). Smin: CAFA's minimum of \
     sqrt(remaining uncertainty^2 + misinformation^2), in bits per gene, with its threshold; lower is better. \
     ρ freq: mean per-gene Spearman correlation of the scores with the labels' training frequency (genes with \
     varying scores). top-10 ∩ freq: mean share of a gene's 10 best-scored labels that are among the 10 most \
     frequent (ties at the 10th place taken in expectation). Label frequency itself has 1.00 on both. Concept \
     Fmax / AUC: the predicted GO concepts against the gene's curated, upward-closed concepts, over the genes \
     with curated GO (the number in brackets is of concepts with both classes); `-` where the row feeds the \
     curated concepts (known-gene modes) or predicts none; for label frequency it is the concepts' training share.";

/// Markdown table of rows (one dataset and part).
pub fn markdown_table(rows: &[&Row]) -> String {
    let mut s = String::from(
        "| method | mode | Fmax % (t) | AUC % (terms) | 11-30 Fmax/AUC | 31-100 | 101-300 | >=301 | both-exclusive rate \
         | wFmax % (t) | Smin (t) | ρ freq | top-10 ∩ freq | concept Fmax % / AUC % (concepts) |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let bins: Vec<String> = r
            .bins
            .iter()
            .map(|b| format!("{} / {} ({})", pct(b.figures.fmax.fmax), pct(b.figures.auc.auc), b.figures.auc.terms))
            .collect();
        let concepts = r
            .concepts
            .as_ref()
            .map_or("-".into(), |c| format!("{} / {} ({})", pct(c.fmax.fmax), pct(c.auc.auc), c.auc.terms));
        s.push_str(&format!(
            "| {} | {} | {} ({:.2}) | {} ({}) | {} | {} | {} ({:.2}) | {} ({:.2}) | {} | {} | {} |\n",
            r.method,
            r.mode,
            pct(r.all.fmax.fmax),
            r.all.fmax.threshold,
            pct(r.all.auc.auc),
            r.all.auc.terms,
            bins.join(" | "),
            r.exclusive_both_rate.map_or("-".into(), |x| format!("{:.4}", x)),
            pct(r.weighted_fmax.wfmax),
            r.weighted_fmax.threshold,
            fixed(r.smin.smin, 2),
            r.smin.threshold,
            fixed(r.prior.spearman, 2),
            fixed(r.prior.top10_overlap, 2),
            concepts,
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_carries_the_prior_and_information_figures() {
        // 12 labels, frequencies 120, 110, ..., 10 (flat, IC from shares of 120 genes); two genes
        // scored with the frequencies themselves, like the label-frequency baseline.
        let freq: Vec<usize> = (1..=12).rev().map(|f| f * 10).collect();
        let ic: Vec<f64> = freq.iter().map(|&f| -(f as f64 / 120.0).log2()).collect();
        let row_scores: Vec<f32> = freq.iter().map(|&f| f as f32 / 120.0).collect();
        let scores = row_scores.repeat(2);
        // Gene 0 carries labels 0 and 1, gene 1 label 11.
        let mut truth = vec![false; 24];
        truth[0] = true;
        truth[1] = true;
        truth[12 + 11] = true;
        let scoring = Scoring { dataset: "toy", width: 12, train_frequency: &freq, exclusive: &[], information_content: &ic };
        let row = scoring.row("test", "label frequency", "sequence", &scores, &truth, None);
        // Scores equal to the frequencies: Spearman 1 and the frequency top-10, for both genes.
        assert_eq!((row.prior.spearman, row.prior.top10_overlap, row.prior.spearman_genes), (1.0, 1.0, 2));
        // The IC figures are those of the metric functions on the same input.
        assert_eq!(row.weighted_fmax, metrics::weighted_fmax(&scores, &truth, 12, &ic));
        assert_eq!(row.smin, metrics::smin(&scores, &truth, 12, &ic));
        let table = markdown_table(&[&row]);
        let line = table.lines().nth(2).unwrap();
        assert_eq!(line.matches('|').count(), 15, "{line}");
        assert!(line.contains("| 1.00 | 1.00 | - |"), "{line}");
    }
}

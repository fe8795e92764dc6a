//! One evaluated row (method x mode x part) with its frequency bins, and the JSON and Markdown
//! renderings `genepheno eval` writes.

use serde::{Deserialize, Serialize};

use super::metrics::{self, Fmax, MacroAuc};
use crate::data::dataset::FrequencyBin;

/// Figures of one term subset.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figures {
    pub fmax: Fmax,
    pub auc: MacroAuc,
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
}

/// Scores a `[genes x width]` score matrix against the truth: all terms, then each frequency bin.
#[allow(clippy::too_many_arguments)]
pub fn evaluate(
    dataset: &str,
    part: &str,
    method: &str,
    mode: &str,
    scores: &[f32],
    truth: &[bool],
    width: usize,
    train_frequency: &[usize],
    exclusive: &[(usize, usize)],
) -> Row {
    let all: Vec<usize> = (0..width).collect();
    let figures = |terms: &[usize]| Figures {
        fmax: metrics::fmax(scores, truth, width, terms),
        auc: metrics::macro_auc(scores, truth, width, terms),
    };
    let whole = figures(&all);
    let bins = [FrequencyBin::From11To30, FrequencyBin::From31To100, FrequencyBin::From101To300, FrequencyBin::From301]
        .into_iter()
        .map(|bin| {
            let terms: Vec<usize> = all.iter().copied().filter(|&t| FrequencyBin::of(train_frequency[t]) == Some(bin)).collect();
            BinFigures { bin: bin.label().into(), figures: figures(&terms) }
        })
        .collect();
    let exclusive_both_rate = (!exclusive.is_empty())
        .then(|| metrics::exclusive_violation_rate(scores, width, exclusive, whole.fmax.threshold as f32));
    Row {
        dataset: dataset.into(),
        part: part.into(),
        method: method.into(),
        mode: mode.into(),
        all: whole,
        bins,
        exclusive_both_rate,
    }
}

fn pct(x: f64) -> String {
    if x.is_nan() { "n/a".into() } else { format!("{:.2}", 100.0 * x) }
}

/// Markdown table of rows (one dataset and part).
pub fn markdown_table(rows: &[&Row]) -> String {
    let mut s = String::from(
        "| method | mode | Fmax % (t) | AUC % (terms) | 11-30 Fmax/AUC | 31-100 | 101-300 | >=301 | both-exclusive rate |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let bins: Vec<String> = r
            .bins
            .iter()
            .map(|b| format!("{} / {} ({})", pct(b.figures.fmax.fmax), pct(b.figures.auc.auc), b.figures.auc.terms))
            .collect();
        s.push_str(&format!(
            "| {} | {} | {} ({:.2}) | {} ({}) | {} | {} |\n",
            r.method,
            r.mode,
            pct(r.all.fmax.fmax),
            r.all.fmax.threshold,
            pct(r.all.auc.auc),
            r.all.auc.terms,
            bins.join(" | "),
            r.exclusive_both_rate.map_or("-".into(), |x| format!("{:.4}", x)),
        ));
    }
    s
}

//! `genepheno calibrate`: measures, on the validation genes of the homology split, what the page
//! needs to present a shipped model honestly, and writes `public/models/{dataset}.calibration.json`
//! (format: `genepheno::calibration`):
//!
//! - **the default ranking**: each candidate rule's top 10 per gene against the gene's curated
//!   terms (plain and information-weighted precision, how specific the listed terms are, and the
//!   precision over each term's prior); the rule with the highest precision over the prior is
//!   chosen, so a list of correct but general terms ("Abnormality of the nervous system", true of
//!   most genes) does not win by being safe;
//! - **the applicability cut-offs**: the distribution of the concept-confidence signal over the
//!   validation proteins (5 % and 25 % quantiles), checked against residue-shuffled copies of the
//!   same proteins (same composition and length, no real protein).
//!
//! Validation, not test: these choices are part of the model, and the test split stays for
//! reporting it.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::Context;
use genepheno::calibration::{
    ApplicabilityCutoffs, ApplicabilityFigures, Calibration, RankingChoice, RankingRule, RuleFigures, Signals,
    concept_confidence,
};
use genepheno::model::burn::prelude::Device;
use genepheno::model::Predictor;
use genepheno::reference::ReferenceSet;
use genepheno::results::{ListOptions, ranked};

use crate::data::dataset::Dataset;
use genepheno::domain::{LabelSet, Part};

/// Proteins per forward pass.
const BATCH: usize = 16;
/// Ranked terms judged per gene.
const TOP: usize = 10;

/// `genepheno calibrate`
#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// Label set.
    #[arg(long, value_parser = crate::args::label_set())]
    pub dataset: LabelSet,
    /// The shipped model's metadata (default public/models/{dataset}.json; its weights and
    /// reference set sit next to it).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// The committed data directory.
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Output file (default: next to the model, {dataset}.calibration.json).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Measure only the first N validation genes (quick checks; the shipped file uses all).
    #[arg(long)]
    pub limit: Option<usize>,
}

pub fn run(args: CalibrateArgs) -> anyhow::Result<()> {
    let model_path = args
        .model
        .clone()
        .unwrap_or_else(|| PathBuf::from(crate::artifacts::PUBLIC_MODELS).join(format!("{}.json", args.dataset)));
    let meta = crate::reference::read_metadata(&model_path)?;
    anyhow::ensure!(meta.dataset == args.dataset, "{} is a model for {}", model_path.display(), meta.dataset);
    let weights_path = model_path.with_file_name(&meta.weights_file);
    let weights = std::fs::read(&weights_path).with_context(|| format!("reading {}", weights_path.display()))?;
    let predictor = Predictor::new(meta.clone(), weights, &Device::flex())?;
    let kind = meta.dataset;
    let data = Dataset::load(&args.data, kind)?;
    let reference_path = model_path.with_file_name(format!("{}.reference.bin", meta.dataset));
    let reference = std::fs::read(&reference_path)
        .ok()
        .and_then(|b| ReferenceSet::decode_for_model(&b, &meta.weights_sha256, meta.dataset).ok());

    let train_gene_count = data.homology.train.len() as u32;
    let terms = genepheno::service::phenotype_terms(&meta, Some(train_gene_count));
    let model_index = |label: usize| meta.phenotypes.iter().position(|p| p.id == data.labels[label].id).map(|i| i as u32);
    let label_to_model: Vec<Option<u32>> = (0..data.labels.len()).map(model_index).collect();
    let mut genes: Vec<usize> = data.homology.valid.clone();
    if let Some(limit) = args.limit {
        genes.truncate(limit);
    }
    eprintln!("{}: scoring {} validation genes and their shuffled copies", meta.dataset, genes.len());

    let mut real = Vec::with_capacity(genes.len());
    let mut shuffled_confidence = Vec::with_capacity(genes.len());
    for chunk in genes.chunks(BATCH) {
        let proteins: Vec<&[u8]> = chunk.iter().map(|&g| data.genes[g].sequence.as_bytes()).collect();
        real.extend(pollster::block_on(predictor.predict(&proteins))?);
        let shuffled: Vec<Vec<u8>> = chunk.iter().map(|&g| shuffle(data.genes[g].sequence.as_bytes(), data.genes[g].entrez)).collect();
        let refs: Vec<&[u8]> = shuffled.iter().map(Vec::as_slice).collect();
        shuffled_confidence.extend(pollster::block_on(predictor.predict(&refs))?.iter().map(|p| concept_confidence(&p.concepts)));
    }
    let truth: Vec<HashSet<u32>> =
        genes.iter().map(|&g| data.genes[g].labels.iter().filter_map(|&l| label_to_model[l]).collect()).collect();
    let scores: Vec<Vec<(u32, f32)>> =
        real.iter().map(|p| p.phenotypes.iter().enumerate().map(|(i, s)| (i as u32, *s)).collect()).collect();

    // --- ranking ---------------------------------------------------------------------------
    let top_of = |rule: RankingRule, gene: usize| -> Vec<u32> {
        let options = ListOptions { threshold: meta.threshold, specific_only: rule.specific_only, order: rule.order, ..Default::default() };
        ranked(&scores[gene], &terms, &options).into_iter().take(TOP).map(|(i, _)| i).collect()
    };
    let ic = |i: u32| -(terms[i as usize].prior.unwrap_or(0.5)).log2();
    let precision_of = |list: &[u32], gene: usize| list.iter().filter(|i| truth[gene].contains(i)).count() as f32 / list.len() as f32;
    let figures: Vec<RuleFigures> = RankingRule::ALL
        .iter()
        .map(|&rule| {
            let (mut p, mut icp, mut prior_sum, mut gain, mut listed) = (0.0f64, 0.0f64, 0.0f64, 0.0f64, 0u32);
            for gene in 0..genes.len() {
                let list = top_of(rule, gene);
                if list.is_empty() {
                    continue;
                }
                listed += 1;
                p += precision_of(&list, gene) as f64;
                let hit: f32 = list.iter().filter(|i| truth[gene].contains(i)).map(|&i| ic(i)).sum();
                let all: f32 = list.iter().map(|&i| ic(i)).sum();
                icp += (hit / all.max(1e-9)) as f64;
                let prior_of = |i: u32| terms[i as usize].prior.unwrap_or(0.5) as f64;
                prior_sum += list.iter().map(|&i| prior_of(i)).sum::<f64>() / list.len() as f64;
                gain += list.iter().map(|&i| f64::from(u8::from(truth[gene].contains(&i))) - prior_of(i)).sum::<f64>() / list.len() as f64;
            }
            let n = listed.max(1) as f64;
            RuleFigures {
                rule,
                precision_at_10: (p / n) as f32,
                ic_weighted_precision_at_10: (icp / n) as f32,
                mean_prior_at_10: (prior_sum / n) as f32,
                precision_over_prior_at_10: (gain / n) as f32,
                genes_listed: listed,
            }
        })
        .collect();
    let chosen = figures
        .iter()
        .max_by(|a, b| a.precision_over_prior_at_10.total_cmp(&b.precision_over_prior_at_10))
        .map(|f| f.rule)
        .context("no rule")?;

    // --- applicability ---------------------------------------------------------------------
    let confidence: Vec<f32> = real.iter().map(|p| concept_confidence(&p.concepts)).collect();
    let mut sorted = confidence.clone();
    sorted.sort_by(f32::total_cmp);
    let quantile = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let (far_below, unusual_below) = (quantile(0.05), quantile(0.25));
    let mut cutoffs = ApplicabilityCutoffs {
        far_below,
        unusual_below,
        figures: ApplicabilityFigures {
            precision_at_10_by_band: [0.0; 3],
            genes_by_band: [0; 3],
            shuffled_far: 0.0,
            shuffled_far_or_unusual: 0.0,
            auc_real_vs_shuffled: 0.0,
            validation_with_training_neighbour: None,
        },
    };
    let band = |c: f32, cutoffs: &ApplicabilityCutoffs| {
        use genepheno::calibration::Applicability::*;
        match cutoffs.classify(&Signals { concept_confidence: c, nearest_training: None }) {
            Far => 0,
            Unusual => 1,
            _ => 2,
        }
    };
    let mut sums = [0.0f64; 3];
    let mut counts = [0u32; 3];
    for (gene, &c) in confidence.iter().enumerate() {
        let b = band(c, &cutoffs);
        let list = top_of(chosen, gene);
        counts[b] += 1;
        if !list.is_empty() {
            sums[b] += precision_of(&list, gene) as f64;
        }
    }
    let f = &mut cutoffs.figures;
    f.genes_by_band = counts;
    f.precision_at_10_by_band = [0, 1, 2].map(|b| (sums[b] / counts[b].max(1) as f64) as f32);
    let n = shuffled_confidence.len().max(1) as f32;
    f.shuffled_far = shuffled_confidence.iter().filter(|&&c| c < far_below).count() as f32 / n;
    f.shuffled_far_or_unusual = shuffled_confidence.iter().filter(|&&c| c < unusual_below).count() as f32 / n;
    f.auc_real_vs_shuffled = auc(&confidence, &shuffled_confidence);
    if let Some(reference) = &reference {
        let found = genes.iter().filter(|&&g| reference.nearest_in(data.genes[g].sequence.as_bytes(), Part::Train).is_some()).count();
        f.validation_with_training_neighbour = Some(found as f32 / genes.len().max(1) as f32);
    }

    let calibration = Calibration {
        dataset: meta.dataset,
        weights_sha256: meta.weights_sha256.clone(),
        train_gene_count,
        validation_genes: genes.len() as u32,
        ranking: RankingChoice { chosen, rules: figures },
        applicability: cutoffs,
        command: format!(
            "genepheno calibrate --dataset {}{}",
            meta.dataset,
            args.limit.map(|l| format!(" --limit {l}")).unwrap_or_default()
        ),
    };
    print!("{}", describe(&calibration));
    let out = args.out.unwrap_or_else(|| model_path.with_file_name(format!("{}.calibration.json", meta.dataset)));
    std::fs::write(&out, serde_json::to_string_pretty(&calibration)? + "\n").with_context(|| format!("writing {}", out.display()))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// The figures as Markdown (for docs/RANKING.md).
pub fn describe(c: &Calibration) -> String {
    let mut out = format!(
        "### {} ({} validation genes, homology split; {} training genes; weights {}…)\n\n\
         | rule | precision@10 | IC-weighted precision@10 | mean prior of the top 10 | precision over the prior @10 | genes with a called term |\n|---|---|---|---|---|---|\n",
        c.dataset,
        c.validation_genes,
        c.train_gene_count,
        &c.weights_sha256[..12.min(c.weights_sha256.len())]
    );
    for f in &c.ranking.rules {
        out.push_str(&format!(
            "| {}{} | {:.3} | {:.3} | {:.3} | {:.3} | {} |\n",
            f.rule.describe(),
            if f.rule == c.ranking.chosen { " (chosen)" } else { "" },
            f.precision_at_10,
            f.ic_weighted_precision_at_10,
            f.mean_prior_at_10,
            f.precision_over_prior_at_10,
            f.genes_listed
        ));
    }
    let a = &c.applicability;
    let f = &a.figures;
    out.push_str(&format!(
        "\nConcept confidence (mean of the 20 strongest GO concept probabilities): far below {:.3} (5 % of validation proteins), \
         unusual below {:.3} (25 %). Validation genes far / unusual / typical: {} / {} / {}, their precision@10 (chosen rule) \
         {:.3} / {:.3} / {:.3}. Residue-shuffled copies of the validation proteins: {:.1} % far, {:.1} % far or unusual; \
         AUC real vs shuffled {:.3}.{}\n\n",
        a.far_below,
        a.unusual_below,
        f.genes_by_band[0],
        f.genes_by_band[1],
        f.genes_by_band[2],
        f.precision_at_10_by_band[0],
        f.precision_at_10_by_band[1],
        f.precision_at_10_by_band[2],
        f.shuffled_far * 100.0,
        f.shuffled_far_or_unusual * 100.0,
        f.auc_real_vs_shuffled,
        f.validation_with_training_neighbour
            .map(|v| format!(" Validation genes with a training protein found by shared 5-mers: {:.1} %.", v * 100.0))
            .unwrap_or_default()
    ));
    out
}

/// A residue-shuffled copy (Fisher-Yates with a fixed xorshift seed per gene): same length and
/// composition, no real protein.
fn shuffle(residues: &[u8], seed: u32) -> Vec<u8> {
    let mut v = residues.to_vec();
    let mut x = (u64::from(seed) << 1 | 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
    v
}

/// Probability that a random `high` value exceeds a random `low` one (ties count half).
fn auc(high: &[f32], low: &[f32]) -> f32 {
    let mut wins = 0.0f64;
    for h in high {
        for l in low {
            wins += if h > l { 1.0 } else if h == l { 0.5 } else { 0.0 };
        }
    }
    (wins / (high.len() * low.len()).max(1) as f64) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffling_keeps_the_composition_and_changes_the_order() {
        let protein = b"MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ";
        let s = shuffle(protein, 7);
        assert_ne!(&s[..], &protein[..]);
        let (mut a, mut b) = (protein.to_vec(), s.clone());
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
        assert_eq!(shuffle(protein, 7), s, "the same seed gives the same copy");
    }

    #[test]
    fn auc_of_separated_and_equal_samples() {
        assert_eq!(auc(&[0.9, 0.8], &[0.1, 0.2]), 1.0);
        assert_eq!(auc(&[0.5], &[0.5]), 0.5);
        assert_eq!(auc(&[0.1], &[0.9]), 0.0);
    }
}

//! The baselines, fitted on the same training genes and scored on the same genes as the model.
//!
//! - label frequency: every gene gets each term's training frequency (the Fmax floor), and each
//!   GO concept's training frequency (the floor of the concept figures);
//! - homology transfer: labels of the training proteins an mmseqs search finds, weighted by bit
//!   score (w-BLAST style; mmseqs2 from Debian stands in for BLAST);
//! - k-mer logistic regression: residue and dipeptide composition plus log length, one logistic
//!   output per term;
//! - DeepPheno-style: the gene's curated, upward-closed GO vector through a one-hidden-layer MLP.
//!
//! The two learned baselines keep the epoch with the best validation Fmax, as the model does.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use anyhow::Context;
// `burn` in scope for the `Module` derive, which names the crate it expands to.
use genepheno::model::burn;
use genepheno::model::burn::nn::{Linear, LinearConfig};
use genepheno::model::burn::optim::{AdamWConfig, GradientsParams};
use genepheno::model::burn::prelude::*;
use genepheno::model::burn::tensor::activation::{relu, sigmoid, softplus};
use genepheno::rng::SplitMix64;

use crate::metrics;
use crate::task::Task;

/// Training frequency of each label, the same row for every gene.
pub fn label_frequency(task: &Task, train: &[usize], genes: usize) -> Vec<f32> {
    let width = task.label_count();
    let mut freq = vec![0f32; width];
    for &g in train {
        for &l in &task.data.genes[g].labels {
            freq[l] += 1.0;
        }
    }
    freq.iter_mut().for_each(|f| *f /= train.len() as f32);
    freq.repeat(genes)
}

/// Each concept's share of the training genes with curated GO, the same row for every gene: the
/// concept layer's prior, what predicted concepts must beat.
pub fn concept_frequency(task: &Task, columns: &super::ConceptColumns, train: &[usize], genes: usize) -> Vec<f32> {
    let mut freq = vec![0f32; columns.len()];
    let annotated: Vec<usize> = train.iter().copied().filter(|&g| task.has_go(g)).collect();
    for &g in &annotated {
        freq.iter_mut().zip(columns.row(&task.data.genes[g].go_closed)).for_each(|(f, v)| *f += v);
    }
    freq.iter_mut().for_each(|f| *f /= annotated.len().max(1) as f32);
    freq.repeat(genes)
}

fn write_fasta(task: &Task, genes: &[usize], path: &Path) -> anyhow::Result<()> {
    let mut text = String::new();
    for &g in genes {
        text.push_str(&format!(">{g}\n{}\n", task.data.genes[g].sequence));
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Homology transfer through `mmseqs easy-search` (default sensitivity, e-value 1e-3).
/// A gene without any hit scores 0 everywhere.
pub fn homology_transfer(task: &Task, train: &[usize], genes: &[usize], work: &Path) -> anyhow::Result<Vec<f32>> {
    std::fs::create_dir_all(work)?;
    let (query, target, hits) = (work.join("query.fasta"), work.join("train.fasta"), work.join("hits.m8"));
    write_fasta(task, genes, &query)?;
    write_fasta(task, train, &target)?;
    let status = Command::new("mmseqs")
        .arg("easy-search")
        .arg(&query)
        .arg(&target)
        .arg(&hits)
        .arg(work.join("tmp"))
        .args(["--threads", "2", "-v", "1", "--format-output", "query,target,bits"])
        .status()
        .context("running mmseqs (Debian package mmseqs2)")?;
    anyhow::ensure!(status.success(), "mmseqs easy-search failed: {status}");
    let row_of: HashMap<usize, usize> = genes.iter().enumerate().map(|(i, &g)| (g, i)).collect();
    let width = task.label_count();
    let mut scores = vec![0f32; genes.len() * width];
    let mut weight = vec![0f32; genes.len()];
    for line in std::fs::read_to_string(&hits)?.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        anyhow::ensure!(f.len() == 3, "unexpected mmseqs line {line:.80}");
        let (q, t): (usize, usize) = (f[0].parse()?, f[1].parse()?);
        let bits: f32 = f[2].parse()?;
        let row = row_of[&q];
        weight[row] += bits;
        for &l in &task.data.genes[t].labels {
            scores[row * width + l] += bits;
        }
    }
    for (row, w) in weight.iter().enumerate() {
        if *w > 0.0 {
            scores[row * width..(row + 1) * width].iter_mut().for_each(|s| *s /= w);
        }
    }
    Ok(scores)
}

/// Residue (20) and dipeptide (400) composition and log length of a protein.
pub fn kmer_features(sequence: &str) -> Vec<f32> {
    const AA: &[u8; 20] = b"ACDEFGHIKLMNPQRSTVWY";
    let index = |b: u8| AA.iter().position(|&a| a == b.to_ascii_uppercase());
    let mut f = vec![0f32; 421];
    let s = sequence.as_bytes();
    for &b in s {
        if let Some(i) = index(b) {
            f[i] += 1.0 / s.len() as f32;
        }
    }
    let pairs = s.len().saturating_sub(1).max(1) as f32;
    for w in s.windows(2) {
        if let (Some(a), Some(b)) = (index(w[0]), index(w[1])) {
            f[20 + a * 20 + b] += 1.0 / pairs;
        }
    }
    f[420] = (s.len() as f32).ln();
    f
}

/// The curated GO input of the DeepPheno-style baseline: every GO term annotated (closed
/// upward) to at least `min_genes` training genes.
pub fn go_inputs(task: &Task, train: &[usize], min_genes: usize) -> Vec<usize> {
    let mut counts = vec![0usize; task.data.go_terms.len()];
    for &g in train {
        for &t in &task.data.genes[g].go_closed {
            counts[t] += 1;
        }
    }
    (0..counts.len()).filter(|&t| counts[t] >= min_genes).collect()
}

/// The baseline's input row of a gene; `without_phenotype_evidence` drops annotations whose only
/// evidence is IMP or IGI before closing upward.
pub fn go_features(task: &Task, gene: usize, inputs: &HashMap<usize, usize>, without_phenotype_evidence: bool) -> Vec<f32> {
    let mut f = vec![0f32; inputs.len()];
    let closed = if without_phenotype_evidence {
        task.data.go_closed_without_phenotype_evidence(gene)
    } else {
        task.data.genes[gene].go_closed.clone()
    };
    for t in &closed {
        if let Some(&i) = inputs.get(t) {
            f[i] = 1.0;
        }
    }
    f
}

/// Logistic regression (no hidden layer) or a one-hidden-layer MLP over dense features.
#[derive(Module, Debug)]
pub struct Dense {
    first: Linear,
    second: Option<Linear>,
}

impl Dense {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        match &self.second {
            Some(out) => out.forward(relu(self.first.forward(x))),
            None => self.first.forward(x),
        }
    }
}

/// Settings of a dense baseline.
pub struct DenseFit {
    pub hidden: Option<usize>,
    pub epochs: usize,
    pub learning_rate: f64,
    pub weight_decay: f32,
    pub seed: u64,
}

/// Standardises feature columns with the training mean and deviation (in place).
pub fn standardise(train: &mut [f32], others: &mut [&mut [f32]], width: usize) {
    let n = (train.len() / width).max(1) as f32;
    let mut mean = vec![0f32; width];
    let mut var = vec![0f32; width];
    for row in train.chunks(width) {
        row.iter().zip(&mut mean).for_each(|(x, m)| *m += x / n);
    }
    for row in train.chunks(width) {
        row.iter().zip(&mean).zip(&mut var).for_each(|((x, m), v)| *v += (x - m) * (x - m) / n);
    }
    let scale: Vec<f32> = var.iter().map(|v| 1.0 / v.sqrt().max(1e-6)).collect();
    for data in std::iter::once(train).chain(others.iter_mut().map(|d| &mut **d)) {
        for row in data.chunks_mut(width) {
            for ((x, m), s) in row.iter_mut().zip(&mean).zip(&scale) {
                *x = (*x - m) * s;
            }
        }
    }
}

/// Fits a dense baseline with BCE and returns the validation-best model's scores on each of
/// `eval_sets` (sigmoid, closed upward when the task has an ontology).
#[allow(clippy::too_many_arguments)]
pub fn fit_dense(
    task: &Task,
    fit: &DenseFit,
    width: usize,
    train_x: &[f32],
    train_y: &[f32],
    valid_x: &[f32],
    valid_truth: &[bool],
    eval_sets: &[&[f32]],
) -> anyhow::Result<Vec<Vec<f32>>> {
    let device = Device::flex().autodiff();
    device.seed(fit.seed);
    let labels = task.label_count();
    let first_out = fit.hidden.unwrap_or(labels);
    let mut model = Dense {
        first: LinearConfig::new(width, first_out).init(&device),
        second: fit.hidden.map(|h| LinearConfig::new(h, labels).init(&device)),
    };
    let mut optimizer = AdamWConfig::new().with_weight_decay(fit.weight_decay).init();
    let n = train_x.len() / width;
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = SplitMix64::new(fit.seed);
    let all: Vec<usize> = (0..labels).collect();
    let mut best: Option<(f64, Dense)> = None;
    let score = |model: &Dense, x: &[f32]| -> Vec<f32> {
        let m = x.len() / width;
        let input = Tensor::<2>::from_data(TensorData::new(x.to_vec(), [m, width]), &Device::flex());
        let mut s = sigmoid(model.forward(input)).into_data().try_to_vec::<f32>().unwrap_or_default();
        if let Some(onto) = &task.ontology {
            onto.propagate_max(&mut s);
        }
        s
    };
    for _ in 0..fit.epochs {
        rng.shuffle(&mut order);
        for chunk in order.chunks(128) {
            let x: Vec<f32> = chunk.iter().flat_map(|&i| train_x[i * width..(i + 1) * width].iter().copied()).collect();
            let y: Vec<f32> = chunk.iter().flat_map(|&i| train_y[i * labels..(i + 1) * labels].iter().copied()).collect();
            let x = Tensor::<2>::from_data(TensorData::new(x, [chunk.len(), width]), &device);
            let y = Tensor::<2>::from_data(TensorData::new(y, [chunk.len(), labels]), &device);
            let logits = model.forward(x);
            let loss = (softplus(logits.clone(), 1.0) - y * logits).mean();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(fit.learning_rate, model, grads);
        }
        let snapshot = model.valid();
        let f = metrics::fmax(&score(&snapshot, valid_x), valid_truth, labels, &all).fmax;
        if best.as_ref().is_none_or(|(b, _)| f > *b) {
            best = Some((f, snapshot));
        }
    }
    let (_, model) = best.context("no epoch")?;
    Ok(eval_sets.iter().map(|x| score(&model, x)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::dataset::SplitKind;
    use crate::training::tests::toy_task;

    #[test]
    fn kmer_features_by_hand() {
        let f = kmer_features("ACA");
        assert!((f[0] - 2.0 / 3.0).abs() < 1e-6); // A
        assert!((f[1] - 1.0 / 3.0).abs() < 1e-6); // C
        assert!((f[20 + 1] - 0.5).abs() < 1e-6); // AC
        assert!((f[20 + 20] - 0.5).abs() < 1e-6); // CA
        assert!((f[420] - 3f32.ln()).abs() < 1e-6);
        assert_eq!(f.iter().take(420).filter(|&&x| x > 0.0).count(), 4);
    }

    #[test]
    fn label_frequency_is_the_training_share() {
        let task = toy_task();
        let train: Vec<usize> = (0..16).collect();
        let scores = label_frequency(&task, &train, 2);
        assert_eq!(scores, vec![1.0, 0.5, 0.5, 1.0, 0.5, 0.5]);
    }

    #[test]
    fn standardise_uses_training_statistics() {
        let mut train = vec![1.0, 10.0, 3.0, 10.0];
        let mut other = vec![2.0, 11.0];
        standardise(&mut train, &mut [&mut other], 2);
        assert_eq!(train, vec![-1.0, 0.0, 1.0, 0.0]);
        // Column 0: (2 - 2) / 1 = 0; column 1 has no spread, so its scale is capped.
        assert_eq!(other[0], 0.0);
        assert!(other[1] > 0.0);
    }

    #[test]
    fn dense_baselines_learn_the_toy_task() {
        let task = toy_task();
        let split = task.data.split(SplitKind::Homology).clone();
        let inputs = go_inputs(&task, &split.train, 1);
        let index: HashMap<usize, usize> = inputs.iter().enumerate().map(|(i, &t)| (t, i)).collect();
        let x = |genes: &[usize]| -> Vec<f32> { genes.iter().flat_map(|&g| go_features(&task, g, &index, false)).collect() };
        let y: Vec<f32> = split.train.iter().flat_map(|&g| task.label_row(g)).collect();
        let valid_truth = crate::task::truth(&task, &split.valid);
        let fit = DenseFit { hidden: Some(8), epochs: 60, learning_rate: 1e-2, weight_decay: 0.0, seed: 1 };
        let scores = fit_dense(&task, &fit, inputs.len(), &x(&split.train), &y, &x(&split.valid), &valid_truth, &[&x(&split.test)]).unwrap().remove(0);
        let truth = crate::task::truth(&task, &split.test);
        let f = metrics::fmax(&scores, &truth, 3, &[0, 1, 2]);
        assert!(f.fmax > 0.99, "{f:?}");
    }
}

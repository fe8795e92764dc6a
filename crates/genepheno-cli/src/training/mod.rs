//! `genepheno train`: fits the shared model (`genepheno::model`) to one dataset with a fixed seed
//! on the CPU (burn's flex backend under autodiff), keeps the epoch with the best validation
//! Fmax, and writes the float model, its metadata and a training log under `target/models/`.
//! `genepheno export` then quantizes it for the browser.
//!
//! Objective per batch (weights in [`TrainConfig`]):
//! phenotype loss on the sequence path (contrastive multi-label, or BCE for the ablation)
//! + the same loss with the gene's curated GO fed to the phenotype layer (the known-gene path,
//!   genes with GO only) + exclusivity over the exclusive pairs + concept BCE.

pub mod task;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use genepheno::model::burn::optim::{AdamWConfig, GradientsParams};
use genepheno::model::burn::prelude::*;
use genepheno::model::burn::tensor::activation::softplus;
use genepheno::model::{EncoderConfig, GenePheno, ModelConfig, ModelMetadata, SequenceBatch, loss, store};

use crate::data::dataset::{Dataset, DatasetKind, SplitKind};
use crate::data::split::SplitMix64;
use crate::evaluation::{self, Mode};
use task::{ConceptChoice, Task};

/// Version of the model recipe recorded in exported metadata.
pub const MODEL_VERSION: &str = "genepheno-cnn-1";

/// Which parts of the objective are switched off (the ablations of the evaluation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
pub enum Variant {
    /// The full method.
    Full,
    /// Binary cross-entropy instead of the contrastive loss.
    NoContrastive,
    /// No exclusivity regulariser.
    NoExclusivity,
    /// No concept (bottleneck) loss.
    NoConcept,
}

impl Variant {
    pub const ALL: [Variant; 4] = [Variant::Full, Variant::NoContrastive, Variant::NoExclusivity, Variant::NoConcept];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Full => "full",
            Variant::NoContrastive => "no-contrastive",
            Variant::NoExclusivity => "no-exclusivity",
            Variant::NoConcept => "no-concept",
        }
    }
}

/// Everything that determines a training run.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TrainConfig {
    pub seed: u64,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub weight_decay: f32,
    /// Temperature of the contrastive loss.
    pub tau: f32,
    /// Weight of the known-gene path's phenotype loss.
    pub known_gene_weight: f32,
    pub exclusivity_weight: f32,
    pub concept_weight: f32,
    /// Training crops sequences to this many residues at a random offset (inference windows).
    pub max_train_len: usize,
    pub concepts: ConceptChoice,
    pub channels: usize,
    pub hidden: usize,
    pub variant: Variant,
    pub split: String,
}

impl TrainConfig {
    pub fn new(variant: Variant) -> Self {
        Self {
            seed: 20261122,
            epochs: 12,
            batch_size: 32,
            learning_rate: 2e-3,
            weight_decay: 1e-4,
            tau: 0.5,
            known_gene_weight: 1.0,
            exclusivity_weight: if variant == Variant::NoExclusivity { 0.0 } else { 0.1 },
            concept_weight: if variant == Variant::NoConcept { 0.0 } else { 1.0 },
            max_train_len: 1000,
            concepts: ConceptChoice::default(),
            channels: 96,
            hidden: 256,
            variant,
            split: "homology".into(),
        }
    }

    fn model_config(&self, task: &Task) -> ModelConfig {
        ModelConfig::new(task.concept_count(), task.label_count(), EncoderConfig::new().with_channels(self.channels))
            .with_hidden(self.hidden)
            .with_window(self.max_train_len)
    }
}

/// `genepheno train`
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Label set.
    #[arg(long, value_parser = ["hpo", "mp", "gwas"])]
    pub dataset: String,
    /// Which objective (the ablations of `genepheno eval`).
    #[arg(long, value_enum, default_value = "full")]
    pub variant: Variant,
    /// Data directory (the repository's `data/`).
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Where trained models go.
    #[arg(long, default_value = "target/models")]
    pub out: PathBuf,
    /// Override the number of epochs.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Also quantize and export the model to public/models/ (full variant only).
    #[arg(long)]
    pub export: bool,
}

pub fn dataset_kind(name: &str) -> anyhow::Result<DatasetKind> {
    DatasetKind::ALL
        .into_iter()
        .find(|k| k.dir_name() == name)
        .with_context(|| format!("unknown dataset {name}"))
}

/// The dataset version recorded in model metadata: the first 16 hex digits of the SHA-256 of
/// `data/MANIFEST.json`, which itself lists every data file's checksum.
pub fn dataset_version(data: &Path) -> anyhow::Result<String> {
    let path = data.join("MANIFEST.json");
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(genepheno::model::metadata::sha256_hex(&bytes)[..16].to_string())
}

/// Directory of a trained model.
pub fn model_dir(out: &Path, dataset: &str, variant: Variant) -> PathBuf {
    out.join(format!("{dataset}-{}", variant.name()))
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let kind = dataset_kind(&args.dataset)?;
    let mut config = TrainConfig::new(args.variant);
    if let Some(e) = args.epochs {
        config.epochs = e;
    }
    let data = Dataset::load(&args.data, kind)?;
    let task = Task::new(data, SplitKind::Homology, &config.concepts)?;
    let version = dataset_version(&args.data)?;
    let dir = model_dir(&args.out, &args.dataset, args.variant);
    let trained = train(&task, &config, &version)?;
    trained.save(&dir)?;
    eprintln!("wrote {}", dir.display());
    if args.export {
        anyhow::ensure!(args.variant == Variant::Full, "only the full model is exported");
        crate::export::export(&dir, Path::new(crate::export::PUBLIC_MODELS))?;
    }
    Ok(())
}

/// One epoch's record in the training log.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EpochLog {
    pub epoch: usize,
    pub loss: f64,
    pub valid_fmax: f64,
    pub valid_threshold: f64,
    pub valid_auc: f64,
    pub seconds: f64,
}

/// A trained float model with its metadata and log.
pub struct Trained {
    pub model: GenePheno,
    pub metadata: ModelMetadata,
    pub config: TrainConfig,
    pub log: Vec<EpochLog>,
}

impl Trained {
    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)?;
        let bytes = store::to_bytes(&self.model)?;
        let mut meta = self.metadata.clone();
        meta.weights_sha256 = genepheno::model::metadata::sha256_hex(&bytes);
        meta.weights_file = "model.bpk".into();
        std::fs::write(dir.join("model.bpk"), bytes)?;
        std::fs::write(dir.join("metadata.json"), serde_json::to_vec_pretty(&meta)?)?;
        let log = serde_json::json!({ "config": self.config, "epochs": self.log });
        std::fs::write(dir.join("train_log.json"), serde_json::to_vec_pretty(&log)?)?;
        Ok(())
    }
}

/// Binary cross-entropy with logits averaged over all entries (the no-contrastive ablation).
fn bce(logits: Tensor<2>, labels: Tensor<2>) -> Tensor<1> {
    (softplus(logits.clone(), 1.0) - labels * logits).mean()
}

fn rows(values: Vec<f32>, width: usize, device: &Device) -> Tensor<2> {
    let n = values.len() / width;
    Tensor::from_data(TensorData::new(values, [n, width]), device)
}

/// Trains on the task's training genes and keeps the epoch with the best validation Fmax.
pub fn train(task: &Task, config: &TrainConfig, dataset_version: &str) -> anyhow::Result<Trained> {
    let device = Device::flex().autodiff();
    device.seed(config.seed);
    let model_config = config.model_config(task);
    let mut metadata = task.metadata(model_config.clone(), dataset_version);
    let mut model = model_config.init(&device);
    let mut optimizer = AdamWConfig::new().with_weight_decay(config.weight_decay).init();
    let mut rng = SplitMix64::new(config.seed);
    let split = task.data.split(task.split);
    let (nl, nc) = (task.label_count(), task.concept_count());
    let pair_index = |f: fn(&(usize, usize)) -> usize| {
        let v: Vec<i64> = task.exclusive.iter().map(|p| f(p) as i64).collect();
        Tensor::<1, Int>::from_data(TensorData::new(v.clone(), [v.len()]), &device)
    };
    let pairs = (config.exclusivity_weight > 0.0 && !task.exclusive.is_empty())
        .then(|| (pair_index(|p| p.0), pair_index(|p| p.1)));
    eprintln!(
        "training {} ({}): {} train / {} valid genes, {} labels, {} GO concepts, {} exclusive pairs, {} epochs",
        metadata.dataset,
        config.variant.name(),
        split.train.len(),
        split.valid.len(),
        nl,
        nc,
        task.exclusive.len(),
        config.epochs
    );
    let phenotype_loss = |logits: Tensor<2>, labels: Tensor<2>| match config.variant {
        Variant::NoContrastive => bce(logits, labels),
        _ => loss::contrastive_multilabel(logits, labels, config.tau),
    };

    let mut log = Vec::new();
    let mut best: Option<(f64, GenePheno, f64)> = None;
    let start = Instant::now();
    for epoch in 1..=config.epochs {
        let epoch_start = Instant::now();
        let mut order = split.train.clone();
        rng.shuffle(&mut order);
        // Sort within chunks of 8 batches by length: less padding, still a random order.
        for chunk in order.chunks_mut(config.batch_size * 8) {
            chunk.sort_by_key(|&g| task.data.genes[g].sequence.len().min(config.max_train_len));
        }
        let mut batches: Vec<&[usize]> = order.chunks(config.batch_size).collect();
        rng.shuffle(&mut batches);
        let (mut loss_sum, mut seen) = (0f64, 0usize);
        for (b, genes) in batches.iter().enumerate() {
            let crops: Vec<&[u8]> = genes
                .iter()
                .map(|&g| {
                    let s = task.data.genes[g].sequence.as_bytes();
                    let extra = s.len().saturating_sub(config.max_train_len);
                    let offset = if extra > 0 { (rng.next_u64() % (extra as u64 + 1)) as usize } else { 0 };
                    &s[offset..offset + s.len().min(config.max_train_len)]
                })
                .collect();
            let batch = SequenceBatch::new(&crops, config.max_train_len, &device);
            let labels = rows(genes.iter().flat_map(|&g| task.label_row(g)).collect(), nl, &device);
            let concepts = rows(genes.iter().flat_map(|&g| task.concept_row(g)).collect(), nc, &device);
            let with_go: Vec<i64> = (0..genes.len()).filter(|&i| task.has_go(genes[i])).map(|i| i as i64).collect();
            let supervised = rows(genes.iter().map(|&g| task.has_go(g) as u8 as f32).collect(), 1, &device);

            let out = model.forward(&batch);
            let mut total = phenotype_loss(out.phenotype_logits.clone(), labels.clone());
            if !with_go.is_empty() && config.known_gene_weight > 0.0 {
                let idx = Tensor::<1, Int>::from_data(TensorData::new(with_go.clone(), [with_go.len()]), &device);
                let known = model.phenotype_logits(concepts.clone().select(0, idx.clone()));
                total = total + phenotype_loss(known, labels.clone().select(0, idx)) * config.known_gene_weight;
            }
            if let Some((first, second)) = &pairs {
                let ex = loss::exclusivity(out.phenotype_logits, labels, first.clone(), second.clone());
                total = total + ex * config.exclusivity_weight;
            }
            if config.concept_weight > 0.0 {
                total = total + loss::concept_bce(out.concept_logits, concepts, supervised) * config.concept_weight;
            }
            let value: f32 = total.clone().into_scalar::<f32>();
            loss_sum += value as f64 * genes.len() as f64;
            seen += genes.len();
            let grads = GradientsParams::from_grads(total.backward(), &model);
            model = optimizer.step(config.learning_rate, model, grads);
            if (b + 1) % 20 == 0 || b + 1 == batches.len() {
                let elapsed = start.elapsed().as_secs_f64();
                let done = (epoch - 1) as f64 + (b + 1) as f64 / batches.len() as f64;
                let eta = elapsed / done * (config.epochs as f64 - done);
                eprintln!(
                    "epoch {epoch}/{} batch {}/{} loss {:.4} elapsed {:.0}s eta {:.0}s",
                    config.epochs,
                    b + 1,
                    batches.len(),
                    loss_sum / seen as f64,
                    elapsed,
                    eta
                );
            }
        }
        let snapshot = model.valid();
        let scores = evaluation::model_scores(&snapshot, &metadata, task, &split.valid, Mode::Sequence)?;
        let all: Vec<usize> = (0..nl).collect();
        let truth = evaluation::truth(task, &split.valid);
        let f = evaluation::metrics::fmax(&scores, &truth, nl, &all);
        let auc = evaluation::metrics::macro_auc(&scores, &truth, nl, &all);
        eprintln!(
            "epoch {epoch}: train loss {:.4}, valid Fmax {:.4} (t={:.2}), valid AUC {:.4} over {} terms",
            loss_sum / seen as f64,
            f.fmax,
            f.threshold,
            auc.auc,
            auc.terms
        );
        log.push(EpochLog {
            epoch,
            loss: loss_sum / seen as f64,
            valid_fmax: f.fmax,
            valid_threshold: f.threshold,
            valid_auc: auc.auc,
            seconds: epoch_start.elapsed().as_secs_f64(),
        });
        if best.as_ref().is_none_or(|(b, _, _)| f.fmax > *b) {
            best = Some((f.fmax, snapshot, f.threshold));
        }
    }
    let (_, model, threshold) = best.context("no epoch was trained")?;
    metadata.threshold = threshold as f32;
    Ok(Trained { model, metadata, config: config.clone(), log })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::data::dataset::{ExclusivePair, Gene, GoNamespace, GoTerm, LabelTerm, Split};

    /// A tiny in-memory dataset for exercising the loop's mechanics (never used to ship anything):
    /// label 0 is the parent of labels 1 and 2, which are exclusive; genes rich in K get label 1,
    /// genes rich in E label 2; GO term 1 marks the K-rich genes.
    pub(crate) fn toy_dataset() -> Dataset {
        let go_terms = (0..3)
            .map(|i| GoTerm {
                id: format!("GO:000000{i}"),
                name: format!("go {i}"),
                namespace: GoNamespace::BiologicalProcess,
                parents: if i == 0 { vec![] } else { vec![0] },
                is_a: if i == 0 { vec![] } else { vec![0] },
                part_of: vec![],
                depth: i.min(1) as u32,
            })
            .collect();
        let genes = (0..24)
            .map(|i| {
                let k_rich = i % 2 == 0;
                let motif = if k_rich { "MKKLKKAKK" } else { "MEELEEAEE" };
                Gene {
                    entrez: i + 1,
                    symbol: format!("G{i}"),
                    uniprot: format!("P{i:05}"),
                    sequence: motif.repeat(3 + (i as usize % 5) * 40),
                    labels: if k_rich { vec![0, 1] } else { vec![0, 2] },
                    go_direct: vec![],
                    go_closed: if k_rich { vec![0, 1] } else { vec![0, 2] },
                    homology_group: i + 1,
                }
            })
            .collect();
        let label = |i: usize, parents: Vec<usize>| LabelTerm {
            id: format!("HP:000000{i}"),
            name: format!("label {i}"),
            parents,
            n_genes: 12,
            n_train_homology: 12,
            n_train_random: 12,
        };
        let split = Split { train: (0..16).collect(), valid: (16..20).collect(), test: (20..24).collect() };
        Dataset {
            kind: DatasetKind::Hpo,
            genes,
            labels: vec![label(0, vec![]), label(1, vec![0]), label(2, vec![0])],
            go_terms,
            exclusive_pairs: vec![ExclusivePair { a: 1, b: 2, reason: "test".into() }],
            homology: split.clone(),
            random: split,
        }
    }

    pub(crate) fn toy_task() -> Task {
        let choice = ConceptChoice { min_depth: 1, min_genes: 1, max_share: 1.0, max_terms: 8 };
        Task::new(toy_dataset(), SplitKind::Homology, &choice).unwrap()
    }

    #[test]
    fn training_learns_the_toy_task_and_the_export_decodes() {
        let task = toy_task();
        assert_eq!(task.concepts, vec![1, 2]);
        let mut config = TrainConfig::new(Variant::Full);
        config.epochs = 15;
        config.batch_size = 8;
        config.channels = 8;
        config.hidden = 16;
        config.max_train_len = 64;
        config.learning_rate = 1e-2;
        let trained = train(&task, &config, "toy").unwrap();
        assert_eq!(trained.log.len(), 15);
        let first = trained.log.first().unwrap().loss;
        let last = trained.log.last().unwrap().loss;
        assert!(last < first, "loss went from {first} to {last}");
        let best = trained.log.iter().map(|e| e.valid_fmax).fold(0.0, f64::max);
        assert!(best > 0.9, "valid Fmax {best}");

        let dir = std::env::temp_dir().join(format!("genepheno-train-test-{}", std::process::id()));
        let out = dir.join("public");
        trained.save(&dir.join("model")).unwrap();
        let shipped = crate::export::export(&dir.join("model"), &out).unwrap();
        // What shipped decodes into the architecture its metadata names, and predicts.
        let bytes = std::fs::read(out.join(&shipped.weights_file)).unwrap();
        let meta: ModelMetadata =
            serde_json::from_slice(&std::fs::read(out.join("hpo.json")).unwrap()).unwrap();
        assert_eq!(meta, shipped);
        let predictor = genepheno::model::Predictor::new(meta, bytes, &Device::flex()).unwrap();
        let p = pollster::block_on(predictor.predict(&[b"MKKLKKAKKMKKLKKAKK"])).unwrap();
        assert_eq!(p[0].phenotypes.len(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

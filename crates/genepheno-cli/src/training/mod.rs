//! `genepheno train`: fits the shared model (`genepheno::model`) to one dataset with a fixed seed
//! on the CPU (burn's flex backend under autodiff) and writes the float model, its metadata and a
//! training log under `target/models/`. `genepheno export` then quantizes it for the browser.
//!
//! Training runs in three stages, so that the expensive part (the sequence encoder) is trained
//! once, against a phenotype layer that is already good, and the cheap part (the linear phenotype
//! layer, `concepts -> phenotypes`) gets as many epochs as it needs:
//!
//! 1. **Phenotype layer on curated GO.** The layer is fitted on the training genes' curated,
//!    upward-closed GO concept vectors (the known-gene input), biases initialised to each term's
//!    training log-odds and weights to zero (so it starts at the label-frequency prediction).
//!    Loss: contrastive multi-label loss with temperature + a BCE term that calibrates each term
//!    across genes + the exclusivity regulariser. Seconds per epoch.
//! 2. **Encoder.** The CNN encoder and the concept layer are trained against the concept BCE (the
//!    bottleneck loss) plus the same phenotype loss taken through the stage-1 phenotype layer, held
//!    fixed; the epoch with the best validation sequence-mode Fmax + AUC is kept.
//! 3. **Phenotype layer on both inputs.** Starting from stage 1, the layer is fitted on the curated
//!    concept vectors and the encoder's predicted concepts of the training genes together, so one
//!    linear layer serves both modes; the epoch with the best validation Fmax + AUC summed over
//!    both modes is kept.
//!
//! The ablations switch off one part of the objective in every stage where it appears:
//! `no-contrastive` uses BCE alone, `no-exclusivity` drops the regulariser, `no-concept` drops the
//! concept BCE of stage 2 (the bottleneck then gets no GO supervision from sequences).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use genepheno::domain::LabelSet;
use genepheno::model::burn::module::Param;
use genepheno::model::burn::nn::Linear;
use genepheno::model::burn::optim::{AdamWConfig, GradientsParams};
use genepheno::model::burn::prelude::*;
use genepheno::model::burn::tensor::activation::sigmoid;
use genepheno::model::network::padded;
use genepheno::model::{EncoderConfig, GenePheno, ModelConfig, ModelMetadata, SequenceBatch, loss, store};
use genepheno::rng::SplitMix64;

use crate::artifacts::{Variant, dataset_version, model_dir};
use crate::data::dataset::{Dataset, SplitKind};
use crate::metrics;
use crate::overrides::apply_overrides;
use crate::task::{self, ConceptChoice, ConceptGene, Task};

/// Everything that determines a training run.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TrainConfig {
    pub seed: u64,
    /// Stage 1: epochs of the phenotype layer on curated GO concept vectors.
    pub head_epochs: usize,
    /// Stage 2: epochs of the encoder.
    pub encoder_epochs: usize,
    /// Stage 3: epochs of the phenotype layer on curated and predicted concepts.
    pub tune_epochs: usize,
    /// Genes per encoder batch.
    pub batch_size: usize,
    /// Concept vectors per phenotype-layer batch.
    pub head_batch_size: usize,
    /// Encoder learning rate (AdamW).
    pub learning_rate: f64,
    /// Phenotype-layer learning rate in stage 1.
    pub head_learning_rate: f64,
    /// Phenotype-layer learning rate in stage 3.
    pub tune_learning_rate: f64,
    /// Encoder weight decay (decoupled, AdamW).
    pub weight_decay: f32,
    /// Phenotype-layer weight decay (decoupled, AdamW).
    pub head_weight_decay: f32,
    /// Temperature of the contrastive loss.
    pub tau: f32,
    /// Weight of the per-term BCE next to the contrastive loss (the full model and the
    /// no-exclusivity and no-concept ablations; no-contrastive uses BCE alone at weight 1).
    pub bce_weight: f32,
    pub exclusivity_weight: f32,
    /// Weight of the concept BCE in stage 2. The BCE is summed over concepts and averaged over
    /// genes, like the phenotype loss, so that neither drowns the other (a mean over 1,000
    /// concepts is ~1/1000 of the phenotype loss and the encoder then learns no concepts at all).
    pub concept_weight: f32,
    /// Weight of the phenotype loss (through the fixed stage-1 layer) in stage 2.
    pub phenotype_weight: f32,
    /// Proteins outside the dataset (training part of the split, with GO) seen per encoder epoch
    /// for the concept loss only; 0 turns them off.
    pub extra_per_epoch: usize,
    /// Training crops sequences to this many residues at a random offset; inference windows.
    pub max_train_len: usize,
    pub concepts: ConceptChoice,
    pub channels: usize,
    pub hidden: usize,
    pub variant: Variant,
    /// The split trained and validated on (`--set split=random` for comparison with published
    /// random-split figures; such a model is written beside the others, never exported).
    pub split: SplitKind,
    /// SHA-256 of the pretrained weights the encoder started from (`--pretrained`), if any.
    #[serde(default)]
    pub pretrained: Option<String>,
}

impl TrainConfig {
    pub fn new(variant: Variant) -> Self {
        Self {
            seed: 20261122,
            head_epochs: 8,
            encoder_epochs: 6,
            tune_epochs: 6,
            batch_size: 32,
            head_batch_size: 128,
            learning_rate: 2e-3,
            head_learning_rate: 3e-3,
            tune_learning_rate: 1e-3,
            weight_decay: 1e-4,
            head_weight_decay: 1e-2,
            tau: 0.5,
            bce_weight: 0.1,
            exclusivity_weight: if variant == Variant::NoExclusivity { 0.0 } else { 0.1 },
            concept_weight: if variant == Variant::NoConcept { 0.0 } else { 1.0 },
            phenotype_weight: 1.0,
            extra_per_epoch: 4000,
            max_train_len: 512,
            concepts: ConceptChoice::default(),
            channels: 64,
            hidden: 256,
            variant,
            split: SplitKind::Homology,
            pretrained: None,
        }
    }

    fn model_config(&self, task: &Task) -> ModelConfig {
        ModelConfig::new(task.concept_count(), task.label_count(), EncoderConfig::new().with_channels(self.channels))
            .with_hidden(self.hidden)
            .with_window(self.max_train_len)
    }

    /// The phenotype loss of this variant.
    fn phenotype_loss(&self, logits: Tensor<2>, labels: Tensor<2>) -> Tensor<1> {
        match self.variant {
            Variant::NoContrastive => loss::bce_multilabel(logits, labels),
            _ if self.bce_weight > 0.0 => {
                loss::contrastive_multilabel(logits.clone(), labels.clone(), self.tau)
                    + loss::bce_multilabel(logits, labels) * self.bce_weight
            }
            _ => loss::contrastive_multilabel(logits, labels, self.tau),
        }
    }

    /// Applies `key=value` overrides (value as JSON, e.g. `tau=0.2`, `variant="Full"`).
    pub fn apply_overrides(&mut self, overrides: &[String]) -> anyhow::Result<()> {
        apply_overrides(self, overrides)
    }
}

/// `genepheno train`
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Label set.
    #[arg(long, value_parser = crate::args::label_set())]
    pub dataset: LabelSet,
    /// Which objective (the ablations of `genepheno eval`).
    #[arg(long, value_enum, default_value = "full")]
    pub variant: Variant,
    /// Data directory (the repository's `data/`).
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Where trained models go.
    #[arg(long, default_value = "target/models")]
    pub out: PathBuf,
    /// Override the number of encoder epochs (stage 2).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Override any training setting, `key=value` (value as JSON), e.g. `--set tau=0.2`
    /// `--set concepts.max_terms=800`; for experiments on the validation split.
    #[arg(long = "set")]
    pub overrides: Vec<String>,
    /// Run stage 1 only (phenotype layer on curated GO), print its validation figures, write nothing.
    #[arg(long)]
    pub head_only: bool,
    /// Also quantize and export the model to public/models/ (full variant only).
    #[arg(long)]
    pub export: bool,
    /// Start from a pretrained sequence -> concept model (`genepheno pretrain`'s output
    /// directory, e.g. ~/.cache/genepheno/pretrain): its concepts become the bottleneck and its
    /// encoder is fine-tuned (stage 2 keeps it unchanged if no epoch beats it on validation).
    #[arg(long)]
    pub pretrained: Option<PathBuf>,
}

/// A `genepheno pretrain` output, loaded on the training device: parameters loaded elsewhere and
/// moved are not tracked by autodiff, and stage 2 could not take their gradients.
pub fn load_pretrained(dir: &Path) -> anyhow::Result<(crate::pretrain::Pretrained, GenePheno)> {
    crate::pretrain::Pretrained::load(dir, &Device::flex().autodiff())
}

/// Trains as `args` ask and returns the directory the model was written to, none for
/// `--head-only` (the CLI exports from there when asked: training never depends on the export).
pub fn run(args: TrainArgs) -> anyhow::Result<Option<PathBuf>> {
    let kind = args.dataset;
    let mut config = TrainConfig::new(args.variant);
    config.apply_overrides(&args.overrides)?;
    if let Some(e) = args.epochs {
        config.encoder_epochs = e;
    }
    // Refused before hours of training, not after.
    if args.export {
        anyhow::ensure!(args.variant == Variant::Full, "only the full model is exported");
        anyhow::ensure!(config.split == SplitKind::Homology, "only models of the homology split are exported");
    }
    let data = Dataset::load(&args.data, kind)?;
    let pretrained = match &args.pretrained {
        Some(dir) => {
            // The pretraining set was cleaned of proteins close to the homology split's
            // validation and test genes, not the random split's.
            anyhow::ensure!(
                config.split == SplitKind::Homology,
                "--pretrained works with the homology split only: the Swiss-Prot set was filtered against its \
                 validation and test proteins, so with split={:?} held-out genes may have near-identical proteins in it",
                config.split
            );
            let (meta, model) = load_pretrained(dir)?;
            eprintln!(
                "pretrained encoder from {} (epoch {}, human validation concept AUC {:.4}, {} concepts)",
                dir.display(),
                meta.epoch,
                meta.valid_concept_auc,
                meta.concepts.len()
            );
            config.channels = meta.model.encoder.channels;
            config.hidden = meta.model.hidden;
            config.max_train_len = meta.model.window;
            config.pretrained = Some(meta.weights_sha256.clone());
            Some((meta, model))
        }
        None => None,
    };
    let task = match &pretrained {
        Some((meta, _)) => {
            let concepts = meta
                .concepts
                .iter()
                .map(|id| data.go_index(id).with_context(|| format!("pretrained concept {id} is not in data/go_terms")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            Task::with_concepts(data, config.split, concepts)?
        }
        None => Task::new(data, config.split, &config.concepts)?,
    };
    if args.head_only {
        let mut log = Vec::new();
        fit_curated_head(&task, &config, &mut log)?;
        return Ok(None);
    }
    let version = dataset_version(&args.data)?;
    let dir = match config.split {
        SplitKind::Homology => model_dir(&args.out, args.dataset, args.variant),
        // Apart from the homology models that `genepheno eval` and the export read.
        SplitKind::Random => args.out.join(format!("{}-{}-random-split", args.dataset, args.variant.name())),
    };
    let extra = if config.extra_per_epoch > 0 && config.concept_weight > 0.0 {
        task::extra_concept_genes(&args.data, &task)?
    } else {
        Vec::new()
    };
    let trained = train(&task, &extra, &config, &version, pretrained.map(|(_, m)| m))?;
    trained.save(&dir)?;
    eprintln!("wrote {}", dir.display());
    Ok(Some(dir))
}

/// One epoch's record in the training log.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EpochLog {
    /// 1 = phenotype layer on curated GO, 2 = encoder, 3 = phenotype layer on both inputs.
    pub stage: u8,
    pub epoch: usize,
    pub loss: f64,
    /// Validation, sequence mode (NaN in stage 1, which has no encoder).
    pub valid_fmax: f64,
    pub valid_threshold: f64,
    pub valid_auc: f64,
    /// Validation, known-gene mode (stage 1: genes with curated GO only; NaN in stage 2).
    pub known_fmax: f64,
    pub known_auc: f64,
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

fn rows(values: Vec<f32>, width: usize, device: &Device) -> Tensor<2> {
    let n = values.len() / width;
    Tensor::from_data(TensorData::new(values, [n, width]), device)
}

/// Phenotype-layer weights as plain vectors: `[concepts x padded(labels)]` and `[padded(labels)]`.
#[derive(Clone)]
struct Head {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl Head {
    /// Zero weights, biases at each label's training log-odds (add-one smoothed): the layer starts
    /// at the label-frequency prediction.
    fn prior(task: &Task) -> Self {
        let (nc, nl) = (task.concept_count(), task.label_count());
        let train = task.data.split(task.split).train.len() as f64;
        let mut bias = vec![0f32; padded(nl)];
        for (b, n) in bias.iter_mut().zip(task.train_frequency()) {
            let p = (n as f64 + 1.0) / (train + 2.0);
            *b = (p / (1.0 - p)).ln() as f32;
        }
        Self { weight: vec![0f32; nc * padded(nl)], bias }
    }

    fn linear(&self, nc: usize, device: &Device) -> Linear {
        let width = self.bias.len();
        Linear {
            weight: Param::from_data(TensorData::new(self.weight.clone(), [nc, width]), device),
            bias: Some(Param::from_data(TensorData::new(self.bias.clone(), [width]), device)),
        }
    }

    fn from_linear(layer: &Linear) -> Self {
        let weight = layer.weight.val().into_data().try_to_vec::<f32>().expect("f32 weights");
        let bias = layer.bias.as_ref().expect("bias").val().into_data().try_to_vec::<f32>().expect("f32 bias");
        Self { weight, bias }
    }

    /// Probabilities `[rows x labels]` for concept rows, closed upward in the label ontology:
    /// what the predictor returns for the same concept activations.
    fn scores(&self, task: &Task, concepts: &[f32]) -> Vec<f32> {
        let (nc, nl) = (task.concept_count(), task.label_count());
        let device = Device::flex();
        let layer = self.linear(nc, &device).valid();
        let mut out = Vec::with_capacity(concepts.len() / nc * nl);
        for chunk in concepts.chunks(512 * nc) {
            let n = chunk.len() / nc;
            let logits = layer.forward(rows(chunk.to_vec(), nc, &device)).slice([0..n, 0..nl]);
            let mut p = sigmoid(logits).into_data().try_to_vec::<f32>().expect("f32 scores");
            if let Some(onto) = &task.ontology {
                onto.propagate_max(&mut p);
            }
            out.extend(p);
        }
        out
    }
}

/// Fmax (with threshold) and macro AUC over all labels.
fn measure(task: &Task, scores: &[f32], genes: &[usize]) -> (f64, f64, f64) {
    let nl = task.label_count();
    let all: Vec<usize> = (0..nl).collect();
    let truth = crate::task::truth(task, genes);
    let f = metrics::fmax(scores, &truth, nl, &all);
    let auc = metrics::macro_auc(scores, &truth, nl, &all);
    (f.fmax, f.threshold, auc.auc)
}

/// Fits the phenotype layer from `init` on concept rows `x` with label rows `y` (stage 1 or 3),
/// keeping the epoch `judge` (higher is better, from the plain weights) likes best.
#[allow(clippy::too_many_arguments)]
fn fit_head(
    task: &Task,
    config: &TrainConfig,
    stage: u8,
    init: Head,
    x: &[f32],
    y: &[f32],
    epochs: usize,
    learning_rate: f64,
    judge: &mut dyn FnMut(&Head) -> (f64, EpochLog),
    log: &mut Vec<EpochLog>,
) -> anyhow::Result<Head> {
    let device = Device::flex().autodiff();
    device.seed(config.seed + stage as u64);
    let (nc, nl) = (task.concept_count(), task.label_count());
    let n = x.len() / nc;
    anyhow::ensure!(n > 0 && y.len() == n * nl, "no rows to fit the phenotype layer on");
    let mut layer = init.linear(nc, &device);
    let mut optimizer = AdamWConfig::new().with_weight_decay(config.head_weight_decay).init();
    let mut rng = SplitMix64::new(config.seed ^ (stage as u64) << 32);
    let pairs = exclusive_pairs(task, config, &device);
    let (initial_score, _) = judge(&init);
    let mut best = (initial_score, init, 0usize);
    for epoch in 1..=epochs {
        let start = Instant::now();
        let mut order: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut order);
        let (mut loss_sum, mut seen) = (0f64, 0usize);
        for chunk in order.chunks(config.head_batch_size) {
            let xb = rows(chunk.iter().flat_map(|&r| x[r * nc..(r + 1) * nc].iter().copied()).collect(), nc, &device);
            let yb = rows(chunk.iter().flat_map(|&r| y[r * nl..(r + 1) * nl].iter().copied()).collect(), nl, &device);
            let logits = layer.forward(xb).slice([0..chunk.len(), 0..nl]);
            let mut total = config.phenotype_loss(logits.clone(), yb.clone());
            if let Some((first, second)) = &pairs {
                total = total + loss::exclusivity(logits, yb, first.clone(), second.clone()) * config.exclusivity_weight;
            }
            loss_sum += total.clone().into_scalar::<f32>() as f64 * chunk.len() as f64;
            seen += chunk.len();
            let grads = GradientsParams::from_grads(total.backward(), &layer);
            layer = optimizer.step(learning_rate, layer, grads);
        }
        let head = Head::from_linear(&layer.valid());
        let (score, mut entry) = judge(&head);
        entry.stage = stage;
        entry.epoch = epoch;
        entry.loss = loss_sum / seen as f64;
        entry.seconds = start.elapsed().as_secs_f64();
        eprintln!(
            "stage {stage} epoch {epoch}/{epochs}: loss {:.4}, valid sequence Fmax {:.4} (t={:.2}) AUC {:.4}, known-gene Fmax {:.4} AUC {:.4} [{:.1}s]",
            entry.loss, entry.valid_fmax, entry.valid_threshold, entry.valid_auc, entry.known_fmax, entry.known_auc, entry.seconds
        );
        log.push(entry);
        if score > best.0 {
            best = (score, head, epoch);
        }
    }
    eprintln!("stage {stage}: kept epoch {} (score {:.4})", best.2, best.0);
    Ok(best.1)
}

fn exclusive_pairs(task: &Task, config: &TrainConfig, device: &Device) -> Option<(Tensor<1, Int>, Tensor<1, Int>)> {
    let index = |f: fn(&(usize, usize)) -> usize| {
        let v: Vec<i64> = task.exclusive.iter().map(|p| f(p) as i64).collect();
        Tensor::<1, Int>::from_data(TensorData::new(v.clone(), [v.len()]), device)
    };
    (config.exclusivity_weight > 0.0 && !task.exclusive.is_empty()).then(|| (index(|p| p.0), index(|p| p.1)))
}

fn log_entry(seq: Option<(f64, f64, f64)>, known: Option<(f64, f64, f64)>) -> EpochLog {
    let (vf, vt, va) = seq.unwrap_or((f64::NAN, f64::NAN, f64::NAN));
    let (kf, _, ka) = known.unwrap_or((f64::NAN, f64::NAN, f64::NAN));
    EpochLog {
        stage: 0,
        epoch: 0,
        loss: f64::NAN,
        valid_fmax: vf,
        valid_threshold: vt,
        valid_auc: va,
        known_fmax: kf,
        known_auc: ka,
        seconds: 0.0,
    }
}

/// Stage 1: the phenotype layer on the training genes' curated GO concept vectors, judged on the
/// validation genes that have curated GO (known-gene Fmax + AUC).
fn fit_curated_head(task: &Task, config: &TrainConfig, log: &mut Vec<EpochLog>) -> anyhow::Result<Head> {
    let split = task.data.split(task.split);
    let with_go = |genes: &[usize]| -> Vec<usize> { genes.iter().copied().filter(|&g| task.has_go(g)).collect() };
    let (train, valid) = (with_go(&split.train), with_go(&split.valid));
    eprintln!(
        "stage 1: phenotype layer on curated GO of {} training genes ({} validation genes with GO), {} epochs",
        train.len(),
        valid.len(),
        config.head_epochs
    );
    let x: Vec<f32> = train.iter().flat_map(|&g| task.concept_row(g)).collect();
    let y: Vec<f32> = train.iter().flat_map(|&g| task.label_row(g)).collect();
    let vx: Vec<f32> = valid.iter().flat_map(|&g| task.concept_row(g)).collect();
    let mut judge = |head: &Head| {
        let m = measure(task, &head.scores(task, &vx), &valid);
        (m.0 + m.2, log_entry(None, Some(m)))
    };
    fit_head(task, config, 1, Head::prior(task), &x, &y, config.head_epochs, config.head_learning_rate, &mut judge, log)
}

/// Predicted concept probabilities `[genes x concepts]` (batches sorted by length, full sequences
/// in windows, as inference does).
fn predicted_concepts(model: &GenePheno, task: &Task, genes: &[usize], window: usize) -> Vec<f32> {
    let device = Device::flex();
    let nc = task.concept_count();
    let mut out = vec![0f32; genes.len() * nc];
    let mut order: Vec<usize> = (0..genes.len()).collect();
    order.sort_by_key(|&i| task.data.genes[genes[i]].sequence.len());
    for chunk in order.chunks(16) {
        let seqs: Vec<&[u8]> = chunk.iter().map(|&i| task.data.genes[genes[i]].sequence.as_bytes()).collect();
        let batch = SequenceBatch::new(&seqs, window, &device);
        let p = sigmoid(model.concept_logits(&batch)).into_data().try_to_vec::<f32>().expect("f32 concepts");
        for (k, &i) in chunk.iter().enumerate() {
            out[i * nc..(i + 1) * nc].copy_from_slice(&p[k * nc..(k + 1) * nc]);
        }
    }
    out
}

/// Concept macro AUC of predicted concepts (rows for `genes`) against the curated, upward-closed
/// GO of the genes that have any.
fn concept_macro_auc(task: &Task, genes: &[usize], predicted: &[f32]) -> f64 {
    let nc = task.concept_count();
    let supervised: Vec<usize> = (0..genes.len()).filter(|&i| task.has_go(genes[i])).collect();
    let scores: Vec<f32> = supervised.iter().flat_map(|&i| predicted[i * nc..(i + 1) * nc].iter().copied()).collect();
    let truth: Vec<bool> = supervised.iter().flat_map(|&i| task.concept_row(genes[i])).map(|v| v > 0.5).collect();
    let all: Vec<usize> = (0..nc).collect();
    metrics::macro_auc(&scores, &truth, nc, &all).auc
}

/// One encoder batch: labelled genes of the dataset, or extra proteins (concept loss only).
enum EncoderBatch {
    Labelled(Vec<usize>),
    Extra(Vec<usize>),
}

/// Random crop of at most `max` residues.
fn crop<'a>(s: &'a [u8], max: usize, rng: &mut SplitMix64) -> &'a [u8] {
    let extra = s.len().saturating_sub(max);
    let offset = if extra > 0 { (rng.next_u64() % (extra as u64 + 1)) as usize } else { 0 };
    &s[offset..offset + s.len().min(max)]
}

/// Shuffles `items`, sorts within chunks of 8 batches by length (less padding, still a random
/// order) and cuts them into batches.
fn batches_of(mut items: Vec<usize>, len: impl Fn(usize) -> usize, size: usize, rng: &mut SplitMix64) -> Vec<Vec<usize>> {
    rng.shuffle(&mut items);
    for chunk in items.chunks_mut(size * 8) {
        chunk.sort_by_key(|&i| len(i));
    }
    items.chunks(size).map(<[usize]>::to_vec).collect()
}

/// Trains on the task's training genes (three stages, see the module docs); `extra` proteins add
/// concept-loss batches to the encoder stage. With a `pretrained` sequence -> concept model (its
/// concepts must be the task's), stage 2 starts from it and the unchanged model competes with
/// the fine-tuned epochs on validation.
pub fn train(
    task: &Task,
    extra: &[ConceptGene],
    config: &TrainConfig,
    dataset_version: &str,
    pretrained: Option<GenePheno>,
) -> anyhow::Result<Trained> {
    let started = Instant::now();
    let model_config = config.model_config(task);
    let mut metadata = task.metadata(model_config.clone(), dataset_version);
    let split = task.data.split(task.split);
    let (nl, nc) = (task.label_count(), task.concept_count());
    eprintln!(
        "training {} ({}): {} train / {} valid genes, {} labels, {} GO concepts, {} exclusive pairs",
        metadata.dataset,
        config.variant.name(),
        split.train.len(),
        split.valid.len(),
        nl,
        nc,
        task.exclusive.len(),
    );
    let mut log = Vec::new();
    let prior = Head::prior(task);
    let reference = measure(task, &prior.scores(task, &vec![0.0; split.valid.len() * nc]), &split.valid);
    eprintln!(
        "label-frequency reference on the validation genes: Fmax {:.4} (t={:.2}), AUC {:.4}",
        reference.0, reference.1, reference.2
    );

    // Stage 1.
    let head = fit_curated_head(task, config, &mut log)?;
    eprintln!("stage 1 done after {:.0}s", started.elapsed().as_secs_f64());

    // Stage 2: the encoder against the concept BCE and the phenotype loss through the fixed layer.
    let device = Device::flex().autodiff();
    device.seed(config.seed);
    let from_pretrained = pretrained.is_some();
    let mut model = match pretrained {
        Some(m) => {
            anyhow::ensure!(m.concept_count() == nc, "pretrained model has {} concepts, the task {nc}", m.concept_count());
            // Loaded on this device already: `to_device` here would put a recorded move in front
            // of every parameter, and the second backward pass would find that tape consumed.
            m.with_phenotypes(nl, &device)
        }
        None => model_config.init(&device),
    };
    let mut optimizer = AdamWConfig::new().with_weight_decay(config.weight_decay).init();
    let mut rng = SplitMix64::new(config.seed);
    let pairs = exclusive_pairs(task, config, &device);
    // The stage-1 phenotype layer, held fixed: the model's own layer, without gradients.
    let fixed = head.linear(nc, &device).no_grad();
    eprintln!(
        "stage 2: encoder, {} epochs, crops of {} residues, {} extra proteins for the concept loss ({} per epoch)",
        config.encoder_epochs,
        config.max_train_len,
        extra.len(),
        config.extra_per_epoch.min(extra.len())
    );
    let mut best: Option<(f64, GenePheno, Vec<f32>)> = None;
    if from_pretrained {
        // Epoch 0: the pretrained encoder as it is; fine-tuning must beat it on validation.
        let snapshot = model.valid();
        let valid_concepts = predicted_concepts(&snapshot, task, &split.valid, config.max_train_len);
        let m = measure(task, &head.scores(task, &valid_concepts), &split.valid);
        eprintln!(
            "stage 2 epoch 0 (pretrained, unchanged): valid concept macro AUC {:.4}, sequence Fmax {:.4} (t={:.2}), AUC {:.4}",
            concept_macro_auc(task, &split.valid, &valid_concepts),
            m.0,
            m.1,
            m.2
        );
        let mut entry = log_entry(Some(m), None);
        entry.stage = 2;
        log.push(entry);
        best = Some((m.0 + m.2, snapshot, valid_concepts));
    }
    let stage2 = Instant::now();
    let concept_scale = config.concept_weight * nc as f32;
    for epoch in 1..=config.encoder_epochs {
        let epoch_start = Instant::now();
        let crop_len = |n: usize| n.min(config.max_train_len);
        let mut batches: Vec<EncoderBatch> =
            batches_of(split.train.clone(), |g| crop_len(task.data.genes[g].sequence.len()), config.batch_size, &mut rng)
                .into_iter()
                .map(EncoderBatch::Labelled)
                .collect();
        if !extra.is_empty() && config.concept_weight > 0.0 {
            let mut pool: Vec<usize> = (0..extra.len()).collect();
            rng.shuffle(&mut pool);
            pool.truncate(config.extra_per_epoch);
            let extra_batches = batches_of(pool, |i| crop_len(extra[i].sequence.len()), config.batch_size, &mut rng);
            batches.extend(extra_batches.into_iter().map(EncoderBatch::Extra));
        }
        rng.shuffle(&mut batches);
        let (mut loss_sum, mut seen) = (0f64, 0usize);
        for (b, item) in batches.iter().enumerate() {
            let total = match item {
                EncoderBatch::Labelled(genes) => {
                    let crops: Vec<&[u8]> = genes
                        .iter()
                        .map(|&g| crop(task.data.genes[g].sequence.as_bytes(), config.max_train_len, &mut rng))
                        .collect();
                    let batch = SequenceBatch::new(&crops, config.max_train_len, &device);
                    let labels = rows(genes.iter().flat_map(|&g| task.label_row(g)).collect(), nl, &device);
                    let concepts = rows(genes.iter().flat_map(|&g| task.concept_row(g)).collect(), nc, &device);
                    let supervised = rows(genes.iter().map(|&g| task.has_go(g) as u8 as f32).collect(), 1, &device);
                    let concept_logits = model.concept_logits(&batch);
                    let phenotype_logits = fixed.forward(sigmoid(concept_logits.clone())).slice([0..genes.len(), 0..nl]);
                    let mut total = config.phenotype_loss(phenotype_logits.clone(), labels.clone()) * config.phenotype_weight;
                    if let Some((first, second)) = &pairs {
                        let ex = loss::exclusivity(phenotype_logits, labels, first.clone(), second.clone());
                        total = total + ex * config.exclusivity_weight;
                    }
                    if config.concept_weight > 0.0 {
                        total = total + loss::concept_bce(concept_logits, concepts, supervised) * concept_scale;
                    }
                    total
                }
                EncoderBatch::Extra(items) => {
                    let crops: Vec<&[u8]> =
                        items.iter().map(|&i| crop(extra[i].sequence.as_bytes(), config.max_train_len, &mut rng)).collect();
                    let batch = SequenceBatch::new(&crops, config.max_train_len, &device);
                    let mut target = vec![0f32; items.len() * nc];
                    for (k, &i) in items.iter().enumerate() {
                        for &c in &extra[i].concepts {
                            target[k * nc + c as usize] = 1.0;
                        }
                    }
                    let supervised = Tensor::<2>::ones([items.len(), 1], &device);
                    loss::concept_bce(model.concept_logits(&batch), rows(target, nc, &device), supervised) * concept_scale
                }
            };
            let n = match item {
                EncoderBatch::Labelled(g) => g.len(),
                EncoderBatch::Extra(g) => g.len(),
            };
            loss_sum += total.clone().into_scalar::<f32>() as f64 * n as f64;
            seen += n;
            let grads = GradientsParams::from_grads(total.backward(), &model);
            model = optimizer.step(config.learning_rate, model, grads);
            if (b + 1) % 20 == 0 || b + 1 == batches.len() {
                let elapsed = stage2.elapsed().as_secs_f64();
                let done = (epoch - 1) as f64 + (b + 1) as f64 / batches.len() as f64;
                let eta = elapsed / done * (config.encoder_epochs as f64 - done);
                eprintln!(
                    "stage 2 epoch {epoch}/{} batch {}/{} loss {:.4} elapsed {:.0}s eta {:.0}s",
                    config.encoder_epochs,
                    b + 1,
                    batches.len(),
                    loss_sum / seen as f64,
                    elapsed,
                    eta
                );
            }
        }
        let snapshot = model.valid();
        let valid_concepts = predicted_concepts(&snapshot, task, &split.valid, config.max_train_len);
        let m = measure(task, &head.scores(task, &valid_concepts), &split.valid);
        let concept_auc = concept_macro_auc(task, &split.valid, &valid_concepts);
        let spread = {
            // Mean over concepts of the standard deviation across validation genes: near 0 means
            // the encoder predicts the same concepts for every protein.
            let n = split.valid.len() as f64;
            (0..nc)
                .map(|c| {
                    let col = valid_concepts.iter().skip(c).step_by(nc).map(|&v| v as f64);
                    let mean = col.clone().sum::<f64>() / n;
                    (col.map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt()
                })
                .sum::<f64>()
                / nc as f64
        };
        eprintln!("stage 2 epoch {epoch}: valid concept macro AUC {concept_auc:.4}, mean spread {spread:.4}");
        let mut entry = log_entry(Some(m), None);
        entry.stage = 2;
        entry.epoch = epoch;
        entry.loss = loss_sum / seen as f64;
        entry.seconds = epoch_start.elapsed().as_secs_f64();
        eprintln!(
            "stage 2 epoch {epoch}: train loss {:.4}, valid sequence Fmax {:.4} (t={:.2}), AUC {:.4} [{:.0}s]",
            entry.loss, m.0, m.1, m.2, entry.seconds
        );
        log.push(entry);
        if best.as_ref().is_none_or(|(s, _, _)| m.0 + m.2 > *s) {
            best = Some((m.0 + m.2, snapshot, valid_concepts));
        }
    }
    let (_, encoder, valid_predicted) = best.context("no encoder epoch was trained")?;
    eprintln!("stage 2 done after {:.0}s", started.elapsed().as_secs_f64());

    // Stage 3: the phenotype layer on curated and predicted concepts of the training genes.
    let train_predicted = predicted_concepts(&encoder, task, &split.train, config.max_train_len);
    let curated: Vec<usize> = split.train.iter().copied().filter(|&g| task.has_go(g)).collect();
    let mut x: Vec<f32> = curated.iter().flat_map(|&g| task.concept_row(g)).collect();
    x.extend_from_slice(&train_predicted);
    let mut y: Vec<f32> = curated.iter().flat_map(|&g| task.label_row(g)).collect();
    y.extend(split.train.iter().flat_map(|&g| task.label_row(g)));
    let known_valid: Vec<f32> = split
        .valid
        .iter()
        .enumerate()
        .flat_map(|(i, &g)| if task.has_go(g) { task.concept_row(g) } else { valid_predicted[i * nc..(i + 1) * nc].to_vec() })
        .collect();
    eprintln!(
        "stage 3: phenotype layer on {} curated + {} predicted concept vectors, {} epochs",
        curated.len(),
        split.train.len(),
        config.tune_epochs
    );
    let mut judge = |h: &Head| {
        let s = measure(task, &h.scores(task, &valid_predicted), &split.valid);
        let k = measure(task, &h.scores(task, &known_valid), &split.valid);
        (s.0 + s.2 + k.0 + k.2, log_entry(Some(s), Some(k)))
    };
    let head = fit_head(task, config, 3, head, &x, &y, config.tune_epochs, config.tune_learning_rate, &mut judge, &mut log)?;
    let threshold = measure(task, &head.scores(task, &valid_predicted), &split.valid).1;
    let model = encoder.with_phenotype_layer(head.linear(nc, &Device::flex()).valid());
    metadata.threshold = threshold as f32;
    eprintln!("trained in {:.0}s", started.elapsed().as_secs_f64());
    Ok(Trained { model, metadata, config: config.clone(), log })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::data::dataset::{ExclusivePair, Gene, GoNamespace, GoTerm, LabelTerm, Split};
    use genepheno::domain::LabelSet;

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
            kind: LabelSet::Hpo,
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
    fn prior_head_predicts_the_label_frequency() {
        let task = toy_task();
        let head = Head::prior(&task);
        // 16 training genes; the toy labels record 12 training genes each (the data's counts), so
        // every term starts at the smoothed share (12 + 1) / (16 + 2) whatever the concepts.
        let scores = head.scores(&task, &vec![1.0; task.concept_count()]);
        let expected = [13.0 / 18.0; 3];
        for (s, e) in scores.iter().zip(expected) {
            assert!((s - e).abs() < 1e-5, "{s} vs {e}");
        }
    }

    #[test]
    fn overrides_set_nested_fields() {
        let mut config = TrainConfig::new(Variant::Full);
        config.apply_overrides(&["tau=0.25".into(), "concepts.max_terms=800".into()]).unwrap();
        assert_eq!((config.tau, config.concepts.max_terms), (0.25, 800));
        assert!(config.apply_overrides(&["nope=1".into()]).is_err());
    }

    /// `--set split=random` reaches the split the task is built on (it once did nothing), and a
    /// split that does not exist is refused by name.
    #[test]
    fn the_split_setting_is_typed_and_read() {
        let mut config = TrainConfig::new(Variant::Full);
        assert_eq!(config.split, SplitKind::Homology);
        config.apply_overrides(&["split=random".into()]).unwrap();
        assert_eq!(config.split, SplitKind::Random);
        let err = config.apply_overrides(&["split=chromosome".into()]).unwrap_err().to_string();
        assert!(err.contains("chromosome") && err.contains("homology"), "{err}");
        assert_eq!(serde_json::to_value(TrainConfig::new(Variant::Full)).unwrap()["split"], "homology", "settings files keep the word");
    }

    #[test]
    fn training_learns_the_toy_task_and_the_export_decodes() {
        let task = toy_task();
        assert_eq!(task.concepts, vec![1, 2]);
        let mut config = TrainConfig::new(Variant::Full);
        config.encoder_epochs = 15;
        config.head_epochs = 10;
        config.tune_epochs = 5;
        config.batch_size = 8;
        config.head_batch_size = 8;
        config.channels = 8;
        config.hidden = 16;
        config.max_train_len = 64;
        config.learning_rate = 1e-2;
        config.head_learning_rate = 1e-2;
        let trained = train(&task, &[], &config, "toy", None).unwrap();
        let stage = |s: u8| trained.log.iter().filter(|e| e.stage == s).collect::<Vec<_>>();
        assert_eq!((stage(1).len(), stage(2).len(), stage(3).len()), (10, 15, 5));
        let encoder = stage(2);
        let first = encoder.first().unwrap().loss;
        let last = encoder.last().unwrap().loss;
        assert!(last < first, "encoder loss went from {first} to {last}");
        // Curated GO separates the toy labels exactly; the encoder learns the motif.
        let known = stage(1).iter().map(|e| e.known_fmax).fold(0.0, f64::max);
        assert!(known > 0.9, "stage 1 valid known-gene Fmax {known}");
        let best = trained.log.iter().map(|e| e.valid_fmax).filter(|f| !f.is_nan()).fold(0.0, f64::max);
        assert!(best > 0.9, "valid Fmax {best}");

        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
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
    }

    /// The `--pretrained` path as the command takes it: a pretraining output written to disk,
    /// loaded, and fine-tuned for several steps (two bugs lived here: untracked parameters, and a
    /// recorded device move whose tape the second backward pass found consumed).
    #[test]
    fn fine_tuning_starts_from_a_pretrained_model_on_disk() {
        let task = toy_task();
        let mut config = TrainConfig::new(Variant::Full);
        (config.encoder_epochs, config.head_epochs, config.tune_epochs) = (3, 2, 1);
        (config.batch_size, config.head_batch_size, config.channels, config.hidden, config.max_train_len) = (4, 8, 8, 16, 64);
        let model_config = config.model_config(&task);
        let pretrained = model_config.init(&Device::flex());
        let bytes = store::to_bytes(&pretrained).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let meta = crate::pretrain::Pretrained {
            model: model_config,
            concepts: task.concepts.iter().map(|&t| task.data.go_terms[t].id.clone()).collect(),
            weights_sha256: genepheno::model::metadata::sha256_hex(&bytes),
            epoch: 1,
            valid_concept_auc: 0.5,
            config: crate::pretrain::PretrainConfig::default(),
            set_sha256: "toy".into(),
        };
        std::fs::write(dir.join("pretrained.json"), serde_json::to_vec(&meta).unwrap()).unwrap();
        std::fs::write(dir.join("pretrained.bpk"), &bytes).unwrap();
        let (_, model) = load_pretrained(dir).unwrap();
        drop(tmp);
        let trained = train(&task, &[], &config, "toy", Some(model)).unwrap();
        // Epoch 0 (the pretrained model as it is) and three fine-tuned epochs of 4 batches each.
        let encoder: Vec<_> = trained.log.iter().filter(|e| e.stage == 2).collect();
        assert_eq!(encoder.len(), 4);
        assert!(encoder[1..].iter().all(|e| e.loss.is_finite()), "{:?}", encoder.iter().map(|e| e.loss).collect::<Vec<_>>());
    }
}

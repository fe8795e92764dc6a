//! `genepheno pretrain`: teaches the sequence -> GO-concept part of the model (encoder, pooled
//! normalisation, hidden and concept layers) on the multi-species Swiss-Prot set built by
//! `genepheno data swissprot`, before `genepheno train --pretrained` fits it to a phenotype set.
//!
//! The ~14,000 human proteins alone taught the encoder little beyond the concepts' priors; the
//! set has ~500k proteins of all species (globins, ferredoxins and kinases by the hundred), none
//! of them linked to a human validation or test protein (see `data::swissprot`).
//!
//! An epoch is a fresh seeded sample of `per_epoch` proteins (crops of `crop` residues at a
//! random offset), so epochs are short enough to checkpoint often. After every epoch the model
//! is scored on the human validation proteins (concept macro AUC against their curated 2022 GO)
//! and written with the run state to the checkpoint directory; a later run with the same
//! settings resumes after the last finished epoch (same samples and crops as an uninterrupted
//! run; the optimizer's moment estimates restart, which costs a few hundred steps of warm-up).
//! The best validation epoch is kept as `pretrained.bpk` + `pretrained.json`.

pub mod concepts;
pub mod set;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use genepheno::model::burn::optim::{AdamWConfig, GradientsParams};
use genepheno::model::burn::prelude::*;
use genepheno::model::burn::tensor::activation::sigmoid;
use genepheno::model::{EncoderConfig, GenePheno, ModelConfig, SequenceBatch, loss, store};
use genepheno::rng::SplitMix64;
use serde::{Deserialize, Serialize};

use crate::data::split::Part;
use crate::metrics;
use concepts::{Chosen, ConceptRule};
use set::{GoGraph, Protein};

/// Width of the placeholder phenotype layer a pretrained model carries (replaced by training).
pub const PLACEHOLDER_PHENOTYPES: usize = 4;

/// Everything that determines a pretraining run; a checkpoint resumes only under the same one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PretrainConfig {
    pub seed: u64,
    pub epochs: usize,
    /// Proteins sampled per epoch.
    pub per_epoch: usize,
    pub batch_size: usize,
    /// Training crop length (residues).
    pub crop: usize,
    /// Inference window of the model (longer proteins are scored in windows).
    pub window: usize,
    pub learning_rate: f64,
    /// The learning rate of epoch `e` (from 1) is `learning_rate * decay^(e-1)`, at least a tenth.
    pub decay: f64,
    pub weight_decay: f32,
    pub channels: usize,
    pub hidden: usize,
    pub concepts: ConceptRule,
    /// Human validation proteins scored after each epoch (a fixed seeded subset, for speed).
    pub valid_proteins: usize,
}

impl Default for PretrainConfig {
    fn default() -> Self {
        Self {
            seed: 20261201,
            epochs: 60,
            per_epoch: 20_000,
            batch_size: 32,
            crop: 256,
            window: 512,
            learning_rate: 2e-3,
            decay: 0.96,
            weight_decay: 1e-4,
            channels: 64,
            hidden: 256,
            concepts: ConceptRule::default(),
            valid_proteins: 800,
        }
    }
}

/// `genepheno pretrain`
#[derive(Debug, clap::Args)]
pub struct PretrainArgs {
    /// Data directory (the repository's `data/`).
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// The pretraining set (default: the package cache's swissprot/proteins.tsv.gz).
    #[arg(long)]
    pub set: Option<PathBuf>,
    /// Checkpoint and output directory (default ~/.cache/genepheno/pretrain).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override any setting, `key=value` (value as JSON), e.g. `--set epochs=10`.
    #[arg(long = "set-option")]
    pub overrides: Vec<String>,
    /// Start over even if a checkpoint of other settings exists (it is moved aside).
    #[arg(long)]
    pub fresh: bool,
}

/// One epoch in the log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochLog {
    pub epoch: usize,
    pub loss: f64,
    pub learning_rate: f64,
    /// Concept macro AUC on the human validation proteins.
    pub valid_concept_auc: f64,
    pub proteins_per_second: f64,
    pub seconds: f64,
}

/// `state.json` of the checkpoint directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunState {
    pub config: PretrainConfig,
    pub model: ModelConfig,
    /// GO ids of the concepts, in bottleneck order.
    pub concepts: Vec<String>,
    /// SHA-256 of the pretraining set's manifest entry (the set the run learns from).
    pub set_sha256: String,
    pub epochs_done: usize,
    pub best_epoch: usize,
    pub log: Vec<EpochLog>,
}

/// What `pretrained.json` says next to `pretrained.bpk`: enough for `train --pretrained`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pretrained {
    pub model: ModelConfig,
    pub concepts: Vec<String>,
    pub weights_sha256: String,
    pub epoch: usize,
    pub valid_concept_auc: f64,
    pub config: PretrainConfig,
    pub set_sha256: String,
}

impl Pretrained {
    /// Reads `pretrained.json` and the weights from `dir`, checking the checksum.
    pub fn load(dir: &Path, device: &Device) -> anyhow::Result<(Self, GenePheno)> {
        let meta_path = dir.join("pretrained.json");
        let meta: Pretrained = serde_json::from_slice(
            &std::fs::read(&meta_path).with_context(|| format!("reading {} (run `genepheno pretrain`)", meta_path.display()))?,
        )?;
        let bytes = std::fs::read(dir.join("pretrained.bpk"))?;
        let actual = genepheno::model::metadata::sha256_hex(&bytes);
        anyhow::ensure!(actual == meta.weights_sha256, "pretrained.bpk checksum {actual} != {}", meta.weights_sha256);
        let model = store::from_bytes(&meta.model, bytes, device)?;
        Ok((meta, model))
    }
}

pub fn default_out() -> PathBuf {
    crate::data::fetch::default_cache_dir().parent().map(|p| p.join("pretrain")).unwrap_or_else(|| PathBuf::from("pretrain"))
}

pub fn run(args: PretrainArgs) -> anyhow::Result<()> {
    let mut config = PretrainConfig::default();
    crate::overrides::apply_overrides(&mut config, &args.overrides)?;
    let cache = crate::data::fetch::default_cache_dir();
    let set_path = args.set.unwrap_or_else(|| crate::data::swissprot::default_dir(&cache).join(crate::data::swissprot::PROTEINS_FILE));
    let out = args.out.unwrap_or_else(default_out);
    std::fs::create_dir_all(&out)?;

    let graph = GoGraph::load(&args.data)?;
    let started = Instant::now();
    eprintln!("reading {}", set_path.display());
    let proteins = set::load(&set_path, &graph)?;
    let set_sha256 = crate::data::fetch::sha256_file(&set_path)?;
    let human_train = set::human_proteins(&args.data, &graph, Part::Train)?;
    let mut valid = set::human_proteins(&args.data, &graph, Part::Valid)?;
    SplitMix64::new(config.seed ^ 0x7A11D).shuffle(&mut valid);
    valid.truncate(config.valid_proteins);
    let chosen = concepts::choose(&graph, &proteins, &human_train, &config.concepts);
    anyhow::ensure!(!chosen.is_empty(), "no GO term passes the concept rule");
    eprintln!(
        "{} proteins ({:.0} s to read), {} concepts ({} BP / {} MF / {} CC), {} human validation proteins",
        proteins.len(),
        started.elapsed().as_secs_f64(),
        chosen.len(),
        chosen.iter().filter(|c| graph.namespaces[c.term as usize] == "BP").count(),
        chosen.iter().filter(|c| graph.namespaces[c.term as usize] == "MF").count(),
        chosen.iter().filter(|c| graph.namespaces[c.term as usize] == "CC").count(),
        valid.len()
    );
    write_concepts(&args.data.join("swissprot").join("concepts.tsv"), &graph, &chosen)?;
    let concept_ids: Vec<String> = chosen.iter().map(|c| graph.ids[c.term as usize].clone()).collect();
    let model_config = ModelConfig::new(chosen.len(), PLACEHOLDER_PHENOTYPES, EncoderConfig::new().with_channels(config.channels))
        .with_hidden(config.hidden)
        .with_window(config.window);

    let state_path = out.join("state.json");
    let fresh_state = || RunState {
        config: config.clone(),
        model: model_config.clone(),
        concepts: concept_ids.clone(),
        set_sha256: set_sha256.clone(),
        epochs_done: 0,
        best_epoch: 0,
        log: Vec::new(),
    };
    let device = Device::flex().autodiff();
    device.seed(config.seed);
    let (mut state, mut model) = match std::fs::read(&state_path) {
        Ok(bytes) => {
            let state: RunState = serde_json::from_slice(&bytes).context("state.json")?;
            let same = state.config == config && state.concepts == concept_ids && state.set_sha256 == set_sha256;
            if same && state.epochs_done > 0 {
                let weights = std::fs::read(out.join("latest.bpk")).context("latest.bpk of the checkpoint")?;
                eprintln!("resuming after epoch {} of {}", state.epochs_done, config.epochs);
                let model = store::from_bytes(&state.model, weights, &device)?;
                (state, model)
            } else if same || args.fresh {
                if !same {
                    let aside = out.join(format!("previous-{}", std::process::id()));
                    std::fs::rename(&state_path, aside.with_extension("json"))?;
                    eprintln!("starting over; the earlier state is kept as {}", aside.with_extension("json").display());
                }
                (fresh_state(), model_config.init(&device))
            } else {
                anyhow::bail!(
                    "{} holds a run with other settings or data; pass --fresh to start over, or --out elsewhere",
                    out.display()
                );
            }
        }
        Err(_) => (fresh_state(), model_config.init(&device)),
    };

    let concept_of_term: Vec<Option<u32>> = {
        let mut v = vec![None; graph.len()];
        for (i, c) in chosen.iter().enumerate() {
            v[c.term as usize] = Some(i as u32);
        }
        v
    };
    let nc = chosen.len();
    let valid_truth: Vec<bool> = valid.iter().flat_map(|p| concept_row(p, &concept_of_term, nc)).map(|v| v > 0.5).collect();
    let total = Instant::now();
    let mut done_in_run = 0usize;
    let mut optimizer = AdamWConfig::new().with_weight_decay(config.weight_decay).init();
    for epoch in state.epochs_done + 1..=config.epochs {
        let epoch_start = Instant::now();
        let learning_rate = config.learning_rate * config.decay.powi(epoch as i32 - 1).max(0.1);
        // Every epoch draws its own sample and crops from (seed, epoch): a resumed run sees what
        // an uninterrupted one would have.
        let mut rng = SplitMix64::new(config.seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut order: Vec<usize> = (0..proteins.len()).collect();
        rng.shuffle(&mut order);
        order.truncate(config.per_epoch);
        for chunk in order.chunks_mut(config.batch_size * 8) {
            chunk.sort_by_key(|&i| proteins[i].sequence.len().min(config.crop));
        }
        let mut batches: Vec<&[usize]> = order.chunks(config.batch_size).collect();
        rng.shuffle(&mut batches);
        let (mut loss_sum, mut seen) = (0f64, 0usize);
        for (b, batch) in batches.iter().enumerate() {
            let crops: Vec<&[u8]> = batch.iter().map(|&i| crop(&proteins[i].sequence, config.crop, &mut rng)).collect();
            let tokens = SequenceBatch::new(&crops, config.crop, &device);
            let target: Vec<f32> = batch.iter().flat_map(|&i| concept_row(&proteins[i], &concept_of_term, nc)).collect();
            let target = Tensor::<2>::from_data(TensorData::new(target, [batch.len(), nc]), &device);
            let supervised = Tensor::<2>::ones([batch.len(), 1], &device);
            // Summed over concepts, averaged over proteins (as in `train`'s stage 2).
            let total_loss = loss::concept_bce(model.concept_logits(&tokens), target, supervised) * nc as f32;
            loss_sum += total_loss.clone().into_scalar::<f32>() as f64 * batch.len() as f64;
            seen += batch.len();
            let grads = GradientsParams::from_grads(total_loss.backward(), &model);
            model = optimizer.step(learning_rate, model, grads);
            if (b + 1) % 50 == 0 || b + 1 == batches.len() {
                let rate = seen as f64 / epoch_start.elapsed().as_secs_f64();
                let left_in_epoch = (config.per_epoch - seen.min(config.per_epoch)) as f64 / rate;
                let left = left_in_epoch + (config.epochs - epoch) as f64 * config.per_epoch as f64 / rate;
                eprintln!(
                    "epoch {epoch}/{} batch {}/{} loss {:.4} {:.0} proteins/s, epoch eta {:.0}s, run eta {:.1} h",
                    config.epochs,
                    b + 1,
                    batches.len(),
                    loss_sum / seen as f64,
                    rate,
                    left_in_epoch,
                    left / 3600.0
                );
            }
        }
        let snapshot = model.valid();
        let predicted = predict_concepts(&snapshot, &valid, config.window);
        let all: Vec<usize> = (0..nc).collect();
        let auc = metrics::macro_auc(&predicted, &valid_truth, nc, &all).auc;
        let seconds = epoch_start.elapsed().as_secs_f64();
        eprintln!("epoch {epoch}: loss {:.4}, human validation concept macro AUC {auc:.4} [{seconds:.0}s]", loss_sum / seen as f64);
        state.log.push(EpochLog {
            epoch,
            loss: loss_sum / seen as f64,
            learning_rate,
            valid_concept_auc: auc,
            proteins_per_second: seen as f64 / seconds,
            seconds,
        });
        let bytes = store::to_bytes(&snapshot)?;
        write_atomic(&out.join("latest.bpk"), &bytes)?;
        let best_auc = state.log.iter().find(|e| e.epoch == state.best_epoch).map(|e| e.valid_concept_auc);
        if best_auc.is_none_or(|b| auc > b) {
            state.best_epoch = epoch;
            let meta = Pretrained {
                model: model_config.clone(),
                concepts: concept_ids.clone(),
                weights_sha256: genepheno::model::metadata::sha256_hex(&bytes),
                epoch,
                valid_concept_auc: auc,
                config: config.clone(),
                set_sha256: set_sha256.clone(),
            };
            write_atomic(&out.join("pretrained.bpk"), &bytes)?;
            write_atomic(&out.join("pretrained.json"), &serde_json::to_vec_pretty(&meta)?)?;
        }
        state.epochs_done = epoch;
        write_atomic(&state_path, &serde_json::to_vec_pretty(&state)?)?;
        done_in_run += 1;
        eprintln!("checkpoint written ({} epochs in this run, {:.1} h)", done_in_run, total.elapsed().as_secs_f64() / 3600.0);
    }
    eprintln!("pretraining done: best epoch {} -> {}", state.best_epoch, out.join("pretrained.bpk").display());
    Ok(())
}

/// Dense 0/1 concept row of a protein.
fn concept_row(p: &Protein, concept_of_term: &[Option<u32>], nc: usize) -> Vec<f32> {
    let mut row = vec![0f32; nc];
    for &t in p.terms.iter() {
        if let Some(c) = concept_of_term[t as usize] {
            row[c as usize] = 1.0;
        }
    }
    row
}

/// Random crop of at most `max` residues.
fn crop<'a>(s: &'a [u8], max: usize, rng: &mut SplitMix64) -> &'a [u8] {
    let extra = s.len().saturating_sub(max);
    let offset = if extra > 0 { (rng.next_u64() % (extra as u64 + 1)) as usize } else { 0 };
    &s[offset..offset + s.len().min(max)]
}

/// Concept probabilities `[proteins x concepts]`, whole proteins in windows as inference does.
pub fn predict_concepts(model: &GenePheno, proteins: &[Protein], window: usize) -> Vec<f32> {
    let device = Device::flex();
    let nc = model.concept_count();
    let mut out = vec![0f32; proteins.len() * nc];
    let mut order: Vec<usize> = (0..proteins.len()).collect();
    order.sort_by_key(|&i| proteins[i].sequence.len());
    for chunk in order.chunks(16) {
        let seqs: Vec<&[u8]> = chunk.iter().map(|&i| &*proteins[i].sequence).collect();
        let batch = SequenceBatch::new(&seqs, window, &device);
        let p = sigmoid(model.concept_logits(&batch)).into_data().try_to_vec::<f32>().expect("f32 concepts");
        for (k, &i) in chunk.iter().enumerate() {
            out[i * nc..(i + 1) * nc].copy_from_slice(&p[k * nc..(k + 1) * nc]);
        }
    }
    out
}

/// Writes through a temporary file and a rename, so a stop mid-write never leaves a torn
/// checkpoint.
fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// `data/swissprot/concepts.tsv`: the chosen concepts with the counts they were chosen by.
fn write_concepts(path: &Path, graph: &GoGraph, chosen: &[Chosen]) -> anyhow::Result<()> {
    let mut text = String::from("go_id\tnamespace\tswissprot_proteins\thuman_train_genes\tic_bits\tname\n");
    for c in chosen {
        let t = c.term as usize;
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{:.2}\t{}\n",
            graph.ids[t], graph.namespaces[t], c.proteins, c.human, c.ic, graph.names[t]
        ));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crops_stay_inside_the_protein_and_keep_short_ones_whole() {
        let mut rng = SplitMix64::new(1);
        let s: Vec<u8> = (0..1000).map(|i| b'A' + (i % 20) as u8).collect();
        for _ in 0..100 {
            let c = crop(&s, 256, &mut rng);
            assert_eq!(c.len(), 256);
            let start = c.as_ptr() as usize - s.as_ptr() as usize;
            assert!(start + 256 <= 1000);
        }
        assert_eq!(crop(b"MKV", 256, &mut rng), b"MKV");
    }
}

//! Inference as the browser runs it: load checked weights, score sequences, explain a phenotype.
//!
//! Every read from the device is asynchronous (`into_data_async`), because a WebGPU buffer cannot
//! be read synchronously in the browser; native callers (`genepheno predict`) drive the same
//! futures with a blocking executor, so both sides run this exact code.

use burn::prelude::*;
use burn::tensor::activation::sigmoid;

use super::metadata::ModelMetadata;
use super::encoder::cpu::{CpuEncoder, CpuFeatures};
use super::encoder::{FoldedStem, SequenceEncoder};
use super::network::GenePheno;
use crate::ontology::Ontology;
use super::tokens::{self, SequenceBatch};
use super::{ModelError, store};
use crate::regions::{Layout, RegionMap};

/// A score a region map can be made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scoring {
    /// A phenotype's score as shown (after propagation up the ontology).
    Phenotype(usize),
    /// A GO concept's predicted activation.
    Concept(usize),
}

impl Scoring {
    fn of(self, prediction: &Prediction) -> Option<f32> {
        match self {
            Scoring::Phenotype(i) => prediction.phenotypes.get(i).copied(),
            Scoring::Concept(i) => prediction.concepts.get(i).copied(),
        }
    }
}

/// Scores of one gene.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Activation of every GO concept (predicted probability, or the curated 0/1 annotation in
    /// known-gene mode), in metadata order.
    pub concepts: Vec<f32>,
    /// Probability of every phenotype term, after max-propagation up the phenotype ontology
    /// (a term scores at least as high as its descendants), in metadata order.
    pub phenotypes: Vec<f32>,
}

/// How much each concept adds to one phenotype's logit for one gene.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// Per-concept contribution (activation times weight), in concept order.
    pub contributions: Vec<f32>,
    /// The phenotype's bias; `bias + sum(contributions)` is the term's own logit (before
    /// propagation from descendants).
    pub bias: f32,
}

/// A loaded model plus what is needed to present its output.
#[derive(Debug)]
pub struct Predictor {
    model: GenePheno,
    /// The embedding folded into the stem convolution once at load: scoring reads it instead
    /// of multiplying embeddings by the stem's kernel for every residue.
    stem: FoldedStem,
    /// On a CPU device, the encoder's weights in host memory: its forward then runs on host
    /// buffers ([`CpuEncoder`]), the same features with far fewer passes over memory. `None` on
    /// the GPU, which takes the tensor path.
    cpu: Option<CpuEncoder>,
    metadata: ModelMetadata,
    ontology: Option<Ontology>,
    device: Device,
}

async fn read(tensor: Tensor<2>) -> Result<Vec<f32>, ModelError> {
    let data = tensor.into_data_async().await.map_err(|e| ModelError::Read(format!("{e:?}")))?;
    data.try_to_vec::<f32>().map_err(|e| ModelError::Read(format!("{e:?}")))
}

/// One stretch's part in one window it touches, for [`Predictor::regions`].
#[derive(Debug, Clone)]
struct Piece {
    /// The window (row of the whole protein's batch).
    window: usize,
    /// Window-local positions whose features masking can change: the masked residues widened
    /// by the receptive radius, clipped to the window.
    zone: std::ops::Range<usize>,
    /// Window-local position where the piece's recomputed segment starts.
    segment_start: usize,
    /// The segment's number among all stretches' segments.
    segment: usize,
}

/// Residue features `[rows, channels, length]` read to the host, with each row and channel's
/// running maxima from either end, so that the max over the positions a stretch leaves
/// unchanged costs two look-ups.
struct HostFeatures {
    values: Vec<f32>,
    windows: usize,
    channels: usize,
    length: usize,
    /// `[rows, channels, length + 1]`: entry `j` is the max over positions `..j`; 0 for none,
    /// which is exact as features are non-negative (padding is 0 as well).
    before: Vec<f32>,
    /// The same over positions `j..`.
    after: Vec<f32>,
}

impl HostFeatures {
    /// From the encoder's `[windows, length, channels]` features (kept channel by channel here:
    /// the maps walk positions of one channel).
    async fn read(features: Tensor<3>) -> Result<Self, ModelError> {
        let features = features.swap_dims(1, 2);
        let [windows, channels, length] = features.dims();
        let values = read(features.reshape([windows * channels, length])).await?;
        let mut before = vec![0f32; windows * channels * (length + 1)];
        let mut after = before.clone();
        for (row, line) in values.chunks(length).enumerate() {
            let (before, after) = (&mut before[row * (length + 1)..][..length + 1], &mut after[row * (length + 1)..][..length + 1]);
            for j in 0..length {
                before[j + 1] = before[j].max(line[j]);
                after[length - 1 - j] = after[length - j].max(line[length - 1 - j]);
            }
        }
        Ok(Self { values, windows, channels, length, before, after })
    }

    fn value(&self, row: usize, channel: usize, at: usize) -> f32 {
        self.values[(row * self.channels + channel) * self.length + at]
    }

    fn max_before(&self, row: usize, channel: usize, at: usize) -> f32 {
        self.before[(row * self.channels + channel) * (self.length + 1) + at]
    }

    fn max_after(&self, row: usize, channel: usize, at: usize) -> f32 {
        self.after[(row * self.channels + channel) * (self.length + 1) + at]
    }

    /// Sum over `positions` of one row and channel, in f64 so that subtracting a zone from the
    /// whole sum loses nothing to rounding.
    fn sum(&self, row: usize, channel: usize, positions: std::ops::Range<usize>) -> f64 {
        positions.map(|at| f64::from(self.value(row, channel, at))).sum()
    }
}

impl Predictor {
    /// Checks the weights' SHA-256 against the metadata and decodes them into the architecture.
    pub fn new(metadata: ModelMetadata, weights: Vec<u8>, device: &Device) -> Result<Self, ModelError> {
        let model = store::load_checked(&metadata, weights, device)?;
        Self::from_model(model, metadata, device)
    }

    /// Builds a predictor around an in-memory model (trainer and evaluation).
    pub fn from_model(model: GenePheno, metadata: ModelMetadata, device: &Device) -> Result<Self, ModelError> {
        if model.concept_count() != metadata.concepts.len()
            || model.phenotype_count() != metadata.phenotypes.len()
        {
            return Err(ModelError::Metadata("term lists do not match the architecture".into()));
        }
        let parents: Vec<Vec<u32>> = metadata.phenotypes.iter().map(|p| p.parents.clone()).collect();
        let ontology = if parents.iter().any(|p| !p.is_empty()) {
            Some(Ontology::new(parents).map_err(|e| ModelError::Metadata(e.to_string()))?)
        } else {
            None
        };
        let stem = model.fold_stem();
        let cpu = (*device == Device::flex() && !device.is_autodiff()).then(|| CpuEncoder::new(model.encoder(), &stem));
        Ok(Self { model, stem, cpu, metadata, ontology, device: device.clone() })
    }

    /// The residue features of `batch` `[windows, length, channels]` and the pooled gene
    /// features `[genes, 2 * channels]` (as `SequenceEncoder::residue_features` and `pool`
    /// give them): on host buffers on the CPU, by tensors elsewhere.
    fn encode(&self, batch: &SequenceBatch) -> (Tensor<3>, Tensor<2>) {
        match &self.cpu {
            Some(cpu) => {
                let features = cpu.residue_features(batch);
                let pooled = self.pool_cpu(batch, &features);
                let [windows, length] = batch.tokens.dims();
                let values = TensorData::new(features.values, [windows, length, cpu.channels()]);
                (Tensor::from_data(values, &self.device), pooled)
            }
            None => {
                let encoder = self.model.encoder();
                let features = encoder.residue_features_with(batch, Some(&self.stem));
                let pooled = encoder.pool(batch, features.clone());
                (features, pooled)
            }
        }
    }

    /// The pooled gene features of `batch` alone (see [`Self::encode`]).
    fn pooled(&self, batch: &SequenceBatch) -> Tensor<2> {
        match &self.cpu {
            Some(cpu) => self.pool_cpu(batch, &cpu.residue_features(batch)),
            None => self.model.encoder().forward_with(batch, Some(&self.stem)),
        }
    }

    /// Pooling from the CPU encoder's per-window reductions.
    fn pool_cpu(&self, batch: &SequenceBatch, features: &CpuFeatures) -> Tensor<2> {
        let windows = batch.tokens.dims()[0];
        let table = |values: &[f32]| {
            let channels = values.len() / windows;
            Tensor::<2>::from_data(TensorData::new(values.to_vec(), [windows, channels]), &self.device)
        };
        SequenceEncoder::pool_windows(batch, table(&features.window_max), table(&features.window_sum))
    }

    /// The metadata the model was loaded with.
    pub fn metadata(&self) -> &ModelMetadata {
        &self.metadata
    }

    /// The network.
    pub fn model(&self) -> &GenePheno {
        &self.model
    }

    fn finish(&self, concepts: Vec<f32>, mut logits: Vec<f32>) -> Vec<Prediction> {
        let nc = self.model.concept_count();
        let np = self.model.phenotype_count();
        for v in &mut logits {
            *v = 1.0 / (1.0 + (-*v).exp());
        }
        if let Some(onto) = &self.ontology {
            onto.propagate_max(&mut logits);
        }
        concepts
            .chunks(nc)
            .zip(logits.chunks(np))
            .map(|(c, p)| Prediction { concepts: c.to_vec(), phenotypes: p.to_vec() })
            .collect()
    }

    /// Sequence mode: scores residue strings (already parsed and validated by
    /// [`crate::sequence`]). Sequences of any length are windowed.
    pub async fn predict(&self, sequences: &[&[u8]]) -> Result<Vec<Prediction>, ModelError> {
        if sequences.is_empty() {
            return Ok(Vec::new());
        }
        if sequences.iter().any(|s| s.is_empty()) {
            return Err(ModelError::Input("empty sequence".into()));
        }
        let batch = SequenceBatch::new(sequences, self.metadata.config.window, &self.device);
        let concepts = sigmoid(self.model.concept_logits_from_pooled(self.pooled(&batch)));
        let logits = self.model.phenotype_logits(concepts.clone());
        let concepts = read(concepts).await?;
        let logits = read(logits).await?;
        Ok(self.finish(concepts, logits))
    }

    /// Known-gene mode: scores genes from their curated GO concept vectors (one row of
    /// `concept_count()` values in [0, 1] per gene, closed upward in GO).
    pub async fn predict_from_concepts(&self, rows: &[Vec<f32>]) -> Result<Vec<Prediction>, ModelError> {
        let nc = self.model.concept_count();
        if rows.iter().any(|r| r.len() != nc) {
            return Err(ModelError::Input(format!("concept rows must have {nc} values")));
        }
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let flat: Vec<f32> = rows.concat();
        let concepts = Tensor::<2>::from_data(TensorData::new(flat.clone(), [rows.len(), nc]), &self.device);
        let logits = read(self.model.phenotype_logits(concepts)).await?;
        Ok(self.finish(flat, logits))
    }

    /// Which stretches of `residues` raise or lower each of `scorings` (sequence mode), by
    /// occlusion ([`crate::regions`]): the protein's score whole and with each stretch taken
    /// out in place ([`super::tokens::GAP`]), as [`Self::regions_by_masking`] computes it,
    /// without running the whole encoder once per stretch.
    ///
    /// Windows are encoded independently and a residue feature reads only the residues within
    /// the encoder's receptive radius R ([`super::encoder::EncoderConfig::receptive_radius`]),
    /// so masking `[a, b)` changes features only at `[a - R, b + R)`, in the window(s) holding
    /// the stretch. Those are recomputed from a segment `[a - 2R, b + 2R)` of the masked window
    /// (enough input for every position of the zone; clipped to the window, whose ends the full
    /// pass pads with zeros too), all stretches' segments batched together; each stretch's
    /// pooled features are then the whole protein's, with the zone's old features swapped for
    /// the new ones, and go through the rest of the network in one batch.
    pub async fn regions(&self, residues: &[u8], scorings: &[Scoring]) -> Result<Vec<RegionMap>, ModelError> {
        if residues.is_empty() {
            return Err(ModelError::Input("empty sequence".into()));
        }
        self.check_scorings(scorings)?;
        let len = residues.len();
        let layout = Layout::for_length(len);
        let stretches = layout.stretches(len);
        let window = self.metadata.config.window;
        let radius = self.metadata.config.encoder.receptive_radius();

        // The whole protein once: its pooled features as `predict` computes them, and its
        // residue features on the host.
        let batch = SequenceBatch::new(&[residues], window, &self.device);
        let (features, whole_pooled) = self.encode(&batch);
        let whole = HostFeatures::read(features).await?;

        // Each stretch's pieces (one per window it touches) and their masked segments.
        let ranges = tokens::windows(len, window);
        let mut segments: Vec<Vec<u8>> = Vec::new();
        let pieces: Vec<Vec<Piece>> = stretches
            .iter()
            .map(|&(a, b)| {
                ranges
                    .iter()
                    .enumerate()
                    .filter(|(_, (start, end))| a < *end && *start < b)
                    .map(|(w, &(start, end))| {
                        // Window-local positions.
                        let (a, b, size) = (a.max(start) - start, b.min(end) - start, end - start);
                        let from = a.saturating_sub(2 * radius);
                        let mut segment = residues[start + from..start + (b + 2 * radius).min(size)].to_vec();
                        segment[a - from..b - from].fill(tokens::GAP);
                        segments.push(segment);
                        Piece {
                            window: w,
                            zone: a.saturating_sub(radius)..(b + radius).min(size),
                            segment_start: from,
                            segment: segments.len() - 1,
                        }
                    })
                    .collect()
            })
            .collect();

        // The segments' features, in batches of at most the page's residue budget per call.
        let longest = segments.iter().map(Vec::len).max().unwrap_or(1);
        let per_call = (crate::batching::MAX_RESIDUES / longest).max(1);
        let mut recomputed: Vec<HostFeatures> = Vec::new();
        for chunk in segments.chunks(per_call) {
            let refs: Vec<&[u8]> = chunk.iter().map(Vec::as_slice).collect();
            // A segment lies within one window, so it is read as one window.
            let batch = SequenceBatch::new(&refs, window, &self.device);
            debug_assert_eq!(batch.tokens.dims()[0], chunk.len());
            recomputed.push(HostFeatures::read(self.encode(&batch).0).await?);
        }
        let segment_value = |segment: usize, channel: usize, at: usize| {
            let features = &recomputed[segment / per_call];
            features.value(segment % per_call, channel, at)
        };

        // Pooled features with each stretch masked: max and mean over the windows' residues,
        // as `SequenceEncoder::pool` computes them.
        let channels = whole.channels;
        let totals: Vec<f64> = (0..channels)
            .map(|c| (0..whole.windows).map(|w| whole.sum(w, c, 0..whole.length)).sum())
            .collect();
        let mut pooled = Vec::with_capacity(stretches.len() * 2 * channels);
        for (&(a, b), pieces) in stretches.iter().zip(&pieces) {
            let mut max = vec![0f32; channels];
            let mut sum = totals.clone();
            for (c, (max, sum)) in max.iter_mut().zip(&mut sum).enumerate() {
                for w in (0..whole.windows).filter(|w| pieces.iter().all(|p| p.window != *w)) {
                    *max = max.max(whole.max_before(w, c, whole.length));
                }
                for piece in pieces {
                    let (w, zone) = (piece.window, piece.zone.clone());
                    *max = max.max(whole.max_before(w, c, zone.start)).max(whole.max_after(w, c, zone.end));
                    *sum -= whole.sum(w, c, zone.clone());
                    for at in zone {
                        let new = segment_value(piece.segment, c, at - piece.segment_start);
                        *max = max.max(new);
                        *sum += f64::from(new);
                    }
                }
            }
            // Residues left, as `SequenceBatch` counts them (at least 1).
            let left = residues[..a].iter().chain(&residues[b..]).filter(|&&r| r != tokens::GAP).count().max(1);
            pooled.extend(max);
            pooled.extend(sum.iter().map(|s| (s / left as f64) as f32));
        }
        let pooled = Tensor::<2>::from_data(TensorData::new(pooled, [stretches.len(), 2 * channels]), &self.device);

        // The rest of the network, the whole protein first.
        let pooled = Tensor::cat(vec![whole_pooled, pooled], 0);
        let concepts = sigmoid(self.model.concept_logits_from_pooled(pooled));
        let logits = self.model.phenotype_logits(concepts.clone());
        let concepts = read(concepts).await?;
        let logits = read(logits).await?;
        let predictions = self.finish(concepts, logits);
        self.maps(len, layout, &predictions, scorings)
    }

    /// [`Self::regions`] the direct way: every stretch masked in a copy of the protein and the
    /// copy scored by [`Self::predict`], in batches the size the page's planner allows. One
    /// encoder pass per stretch (about 100 times the work); kept as the reference the fast map
    /// is tested and benchmarked against.
    pub async fn regions_by_masking(&self, residues: &[u8], scorings: &[Scoring]) -> Result<Vec<RegionMap>, ModelError> {
        if residues.is_empty() {
            return Err(ModelError::Input("empty sequence".into()));
        }
        self.check_scorings(scorings)?;
        let len = residues.len();
        let layout = Layout::for_length(len);
        let variants: Vec<Vec<u8>> = std::iter::once(residues.to_vec())
            .chain(layout.stretches(len).into_iter().map(|(a, b)| {
                let mut masked = residues.to_vec();
                masked[a..b].fill(tokens::GAP);
                masked
            }))
            .collect();
        let per_batch = (crate::batching::MAX_RESIDUES / len).clamp(1, crate::batching::MAX_RECORDS);
        let mut predictions = Vec::with_capacity(variants.len());
        for batch in variants.chunks(per_batch) {
            let refs: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
            predictions.extend(self.predict(&refs).await?);
        }
        self.maps(len, layout, &predictions, scorings)
    }

    /// Fails on a scoring this model does not have (before any work is done).
    fn check_scorings(&self, scorings: &[Scoring]) -> Result<(), ModelError> {
        let (nc, np) = (self.model.concept_count(), self.model.phenotype_count());
        match scorings.iter().find(|s| match s {
            Scoring::Phenotype(i) => *i >= np,
            Scoring::Concept(i) => *i >= nc,
        }) {
            Some(scoring) => Err(ModelError::Input(format!("{scoring:?} is not in this model"))),
            None => Ok(()),
        }
    }

    /// One map per scoring from the whole protein's prediction followed by one per stretch.
    fn maps(&self, len: usize, layout: Layout, predictions: &[Prediction], scorings: &[Scoring]) -> Result<Vec<RegionMap>, ModelError> {
        scorings
            .iter()
            .map(|scoring| {
                let scores: Vec<f32> = predictions
                    .iter()
                    .map(|p| scoring.of(p).ok_or_else(|| ModelError::Input(format!("{scoring:?} is not in this model"))))
                    .collect::<Result<_, _>>()?;
                Ok(RegionMap::new(len, scores[0], layout, &scores[1..]))
            })
            .collect()
    }

    /// Per-concept contributions to one phenotype's logit for one gene's concept activations.
    pub async fn explain(&self, concepts: &[f32], phenotype: usize) -> Result<Explanation, ModelError> {
        let nc = self.model.concept_count();
        if concepts.len() != nc || phenotype >= self.model.phenotype_count() {
            return Err(ModelError::Input("concept vector or phenotype index out of range".into()));
        }
        let row = Tensor::<2>::from_data(TensorData::new(concepts.to_vec(), [1, nc]), &self.device);
        let contributions = read(self.model.contributions(row, phenotype)).await?;
        let bias = read(self.model.phenotype_bias(phenotype).reshape([1, 1])).await?[0];
        Ok(Explanation { contributions, bias })
    }

    /// Every phenotype's own score for one gene's concept activations: the sigmoid of its logit,
    /// before max-propagation from descendant terms (what [`Self::predict`] reports after it).
    pub async fn own_scores(&self, concepts: &[f32]) -> Result<Vec<f32>, ModelError> {
        let nc = self.model.concept_count();
        if concepts.len() != nc {
            return Err(ModelError::Input(format!("concept vector must have {nc} values")));
        }
        let row = Tensor::<2>::from_data(TensorData::new(concepts.to_vec(), [1, nc]), &self.device);
        let logits = read(self.model.phenotype_logits(row)).await?;
        Ok(logits.into_iter().map(|v| 1.0 / (1.0 + (-v).exp())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::encoder::EncoderConfig;
    use crate::model::metadata::{sha256_hex, tests::metadata};
    use crate::model::network::ModelConfig;

    fn predictor() -> Predictor {
        predictor_with_window(20)
    }

    fn predictor_with_window(window: usize) -> Predictor {
        let device = Device::flex();
        let config = ModelConfig::new(6, 4, EncoderConfig::new().with_channels(8).with_embed_dim(4))
            .with_hidden(8)
            .with_window(window);
        let bytes = store::to_bytes(&config.init(&device)).unwrap();
        let meta = metadata(config, sha256_hex(&bytes));
        Predictor::new(meta, bytes, &device).unwrap()
    }

    #[test]
    fn predictions_are_ontology_consistent_for_long_and_short_sequences() {
        let p = predictor();
        let long = b"MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ".repeat(3);
        let out = pollster::block_on(p.predict(&[&long, b"MA"])).unwrap();
        assert_eq!(out.len(), 2);
        for gene in &out {
            assert_eq!(gene.concepts.len(), 6);
            assert_eq!(gene.phenotypes.len(), 4);
            // Term 0 is every other term's parent.
            assert!(gene.phenotypes[1..].iter().all(|&s| s <= gene.phenotypes[0]));
            assert!(gene.phenotypes.iter().all(|s| (0.0..=1.0).contains(s)));
        }
        assert!(pollster::block_on(p.predict(&[b""])).is_err());
    }

    #[test]
    fn a_region_map_is_what_masking_each_stretch_does_in_residue_positions_of_long_proteins() {
        let p = predictor();
        // Window 20: this protein is read in 12 windows; stretches are in whole-protein positions.
        let protein = b"MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ".repeat(3);
        let maps = pollster::block_on(p.regions(&protein, &[Scoring::Phenotype(3), Scoring::Concept(2)])).unwrap();
        let whole = pollster::block_on(p.predict(&[&protein])).unwrap().remove(0);
        assert_eq!(maps[0].length, protein.len());
        assert!((maps[0].score - whole.phenotypes[3]).abs() < 1e-6);
        assert!((maps[1].score - whole.concepts[2]).abs() < 1e-6);
        assert_eq!(maps[0].stretches.last().unwrap().end, protein.len());
        // Each stretch's effect is the change from masking exactly those residues.
        for stretch in [maps[0].stretches[0], maps[0].stretches[17], *maps[0].stretches.last().unwrap()] {
            let mut masked = protein.clone();
            masked[stretch.start..stretch.end].fill(crate::model::tokens::GAP);
            let alone = pollster::block_on(p.predict(&[&masked])).unwrap().remove(0);
            assert!((stretch.effect - (whole.phenotypes[3] - alone.phenotypes[3])).abs() < 1e-5, "{stretch:?}");
        }
        assert!(pollster::block_on(p.regions(&protein, &[Scoring::Phenotype(99)])).is_err());
    }

    #[test]
    fn the_fast_region_map_is_the_map_of_masking_every_stretch_and_predicting() {
        // Windows of 128 residues, so that a stretch's recomputed segment (its 12 residues
        // and twice the receptive radius of 18 on either side) is only part of a window.
        let p = predictor_with_window(128);
        assert_eq!(p.metadata().config.encoder.receptive_radius(), 18);
        let motif = b"MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ";
        // 600 residues: 5 windows of 120, stretches of 12 every 6 residues (some straddle the
        // window borders); 33 residues: one window, shorter than the segments; 7 residues: one
        // stretch that masks the whole protein.
        let long: Vec<u8> = motif.iter().copied().cycle().take(600).collect();
        let borders = [120, 240, 360, 480];
        let scorings: Vec<Scoring> = (0..4).map(Scoring::Phenotype).chain((0..6).map(Scoring::Concept)).collect();
        let mut largest = 0f32;
        for protein in [&long[..], &motif[..33], &motif[..7]] {
            let fast = pollster::block_on(p.regions(protein, &scorings)).unwrap();
            let slow = pollster::block_on(p.regions_by_masking(protein, &scorings)).unwrap();
            if protein.len() == 600 {
                let straddling = fast[0].stretches.iter().filter(|s| borders.iter().any(|&b| s.start < b && b < s.end)).count();
                assert_eq!(straddling, 4, "one stretch straddles each window border");
            }
            for (scoring, (fast, slow)) in scorings.iter().zip(fast.iter().zip(&slow)) {
                assert_eq!((fast.length, fast.layout, fast.stretches.len()), (slow.length, slow.layout, slow.stretches.len()));
                assert!((fast.score - slow.score).abs() < 1e-6, "{scoring:?}");
                for (f, s) in fast.stretches.iter().zip(&slow.stretches) {
                    assert_eq!((f.start, f.end), (s.start, s.end));
                    assert!((f.effect - s.effect).abs() < 1e-5, "{} residues, {scoring:?}: {f:?} vs {s:?}", protein.len());
                    largest = largest.max(s.effect.abs());
                }
            }
        }
        // Masking must move the scores, or equal maps would prove nothing.
        assert!(largest > 1e-3, "largest effect {largest}");
    }

    #[test]
    fn explanation_adds_up_to_the_known_gene_score() {
        let p = predictor();
        let concepts = vec![1.0, 0.0, 1.0, 1.0, 0.0, 0.0];
        let known = pollster::block_on(p.predict_from_concepts(&[concepts.clone()])).unwrap();
        // Term 3 has no descendants, so its score is its own sigmoid(logit).
        let why = pollster::block_on(p.explain(&concepts, 3)).unwrap();
        let logit = why.bias + why.contributions.iter().sum::<f32>();
        let score = 1.0 / (1.0 + (-logit).exp());
        assert!((score - known[0].phenotypes[3]).abs() < 1e-5);
        assert_eq!(why.contributions[1], 0.0);
    }

    #[test]
    fn own_scores_are_each_terms_explained_logit_and_propagation_only_raises_them() {
        let p = predictor();
        let concepts = vec![0.2, 0.9, 0.4, 0.0, 1.0, 0.3];
        let shown = pollster::block_on(p.predict_from_concepts(&[concepts.clone()])).unwrap().remove(0);
        let own = pollster::block_on(p.own_scores(&concepts)).unwrap();
        assert_eq!(own.len(), shown.phenotypes.len());
        for (term, (&own, &shown)) in own.iter().zip(&shown.phenotypes).enumerate() {
            let why = pollster::block_on(p.explain(&concepts, term)).unwrap();
            let logit = why.bias + why.contributions.iter().sum::<f32>();
            assert!((own - 1.0 / (1.0 + (-logit).exp())).abs() < 1e-5);
            assert!(shown >= own - 1e-6, "propagation never lowers a score");
        }
        assert!(pollster::block_on(p.own_scores(&[0.5])).is_err());
    }
}

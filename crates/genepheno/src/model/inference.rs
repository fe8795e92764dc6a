//! Inference as the browser runs it: load checked weights, score sequences, explain a phenotype.
//!
//! Every read from the device is asynchronous (`into_data_async`), because a WebGPU buffer cannot
//! be read synchronously in the browser; native callers (`genepheno predict`) drive the same
//! futures with a blocking executor, so both sides run this exact code.

use burn::prelude::*;
use burn::tensor::activation::sigmoid;

use super::metadata::ModelMetadata;
use super::encoder::FoldedStem;
use super::network::GenePheno;
use super::ontology::Ontology;
use super::tokens::SequenceBatch;
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
    metadata: ModelMetadata,
    ontology: Option<Ontology>,
    device: Device,
}

async fn read(tensor: Tensor<2>) -> Result<Vec<f32>, ModelError> {
    let data = tensor.into_data_async().await.map_err(|e| ModelError::Read(format!("{e:?}")))?;
    data.try_to_vec::<f32>().map_err(|e| ModelError::Read(format!("{e:?}")))
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
        Ok(Self { model, stem, metadata, ontology, device: device.clone() })
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
        let concepts = sigmoid(self.model.concept_logits_with(&batch, Some(&self.stem)));
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
    /// occlusion ([`crate::regions`]): the protein is scored once whole and once per stretch
    /// with that stretch taken out in place ([`super::tokens::GAP`]), in batches the size the
    /// page's planner allows.
    pub async fn regions(&self, residues: &[u8], scorings: &[Scoring]) -> Result<Vec<RegionMap>, ModelError> {
        if residues.is_empty() {
            return Err(ModelError::Input("empty sequence".into()));
        }
        let len = residues.len();
        let layout = Layout::for_length(len);
        let variants: Vec<Vec<u8>> = std::iter::once(residues.to_vec())
            .chain(layout.stretches(len).into_iter().map(|(a, b)| {
                let mut masked = residues.to_vec();
                masked[a..b].fill(super::tokens::GAP);
                masked
            }))
            .collect();
        let per_batch = (crate::batching::MAX_RESIDUES / len).clamp(1, crate::batching::MAX_RECORDS);
        let mut predictions = Vec::with_capacity(variants.len());
        for batch in variants.chunks(per_batch) {
            let refs: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
            predictions.extend(self.predict(&refs).await?);
        }
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
        let device = Device::flex();
        let config = ModelConfig::new(6, 4, EncoderConfig::new().with_channels(8).with_embed_dim(4))
            .with_hidden(8)
            .with_window(20);
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

//! What the browser needs next to the weights: term and concept ids and names, the phenotype
//! ontology (for consistent scores), the decision threshold, versions and the weights' checksum.
//! Written by `genepheno export`, read by the app and by `genepheno predict`.

use serde::{Deserialize, Serialize};

use crate::domain::LabelSet;

use super::ModelError;
use super::network::{ModelConfig, padded};
use crate::ontology::Ontology;

/// A GO concept of the bottleneck.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Concept {
    /// GO identifier, e.g. `GO:0007165`.
    pub id: String,
    /// GO term name.
    pub name: String,
    /// GO namespace: `biological_process`, `molecular_function` or `cellular_component`.
    pub namespace: String,
}

/// A phenotype term the model scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phenotype {
    /// Term identifier, e.g. `HP:0001250` or `MP:0001262`.
    pub id: String,
    /// Term name.
    pub name: String,
    /// Top-level organ system (for HPO: the child of "Phenotypic abnormality" above it), if known.
    pub system: Option<String>,
    /// Indices (into the phenotype list) of this term's parents; empty when the label set is flat.
    pub parents: Vec<u32>,
    /// Number of training genes annotated with the term.
    pub train_genes: u32,
}

/// Everything that describes one exported model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMetadata {
    /// Version of the model format and training recipe.
    pub model_version: String,
    /// Which label set the model predicts.
    pub dataset: LabelSet,
    /// Version (checksum or tag) of the dataset it was trained on.
    pub dataset_version: String,
    /// Architecture, so the weights can be decoded.
    pub config: ModelConfig,
    /// GO concepts, in bottleneck order.
    pub concepts: Vec<Concept>,
    /// Phenotype terms, in output order.
    pub phenotypes: Vec<Phenotype>,
    /// Score at which a phenotype is called (the validation Fmax threshold).
    pub threshold: f32,
    /// How the weights are stored, e.g. `q8s-per-tensor` or `f32`.
    pub quantization: String,
    /// Lower-case hex SHA-256 of the weights file.
    pub weights_sha256: String,
    /// File name of the weights next to this metadata.
    pub weights_file: String,
    /// Licence note the app must show with this model's results.
    pub licence: String,
}

/// Largest architecture a metadata file may describe: far above any model this project trains,
/// low enough that building the network from hostile metadata cannot exhaust memory.
const MAX_TERMS: usize = 100_000;
const MAX_WIDTH: usize = 8_192;
const MAX_LAYER_WEIGHTS: usize = 64 * 1024 * 1024;

impl ModelMetadata {
    /// Reads metadata from a file or a download and checks that it describes a model that can be
    /// built: term lists matching the architecture, a phenotype graph without cycles, bounded
    /// sizes, a threshold between 0 and 1, a checksum and a plain file name. The worker and the
    /// CLI read every metadata file through this (it is fuzzed: `fuzz/fuzz_targets/metadata.rs`).
    pub fn from_json(bytes: &[u8]) -> Result<Self, ModelError> {
        let meta: ModelMetadata = serde_json::from_slice(bytes).map_err(|e| ModelError::Metadata(e.to_string()))?;
        meta.check()?;
        Ok(meta)
    }

    fn check(&self) -> Result<(), ModelError> {
        let bad = |why: String| Err(ModelError::Metadata(why));
        let c = &self.config;
        if c.concepts != self.concepts.len() || c.phenotypes != self.phenotypes.len() {
            return bad(format!(
                "the architecture has {} concepts and {} phenotypes, the term lists {} and {}",
                c.concepts,
                c.phenotypes,
                self.concepts.len(),
                self.phenotypes.len()
            ));
        }
        let e = &c.encoder;
        let widths = [c.hidden, e.embed_dim, e.channels, e.stem_kernel, e.kernel, e.dilations.len()];
        if c.concepts > MAX_TERMS
            || c.phenotypes > MAX_TERMS
            || widths.iter().any(|&w| w == 0 || w > MAX_WIDTH)
            || e.dilations.iter().any(|&d| d == 0 || d > MAX_WIDTH)
            || !(1..=MAX_TERMS).contains(&c.window)
            || padded(c.hidden).saturating_mul(padded(c.concepts)) > MAX_LAYER_WEIGHTS
            || c.concepts.saturating_mul(padded(c.phenotypes)) > MAX_LAYER_WEIGHTS
            || e.channels.saturating_mul(e.channels).saturating_mul(e.kernel.max(e.stem_kernel)) > MAX_LAYER_WEIGHTS
        {
            return bad("the architecture's sizes are outside what GenePheno Web builds".into());
        }
        if !(self.threshold.is_finite() && (0.0..=1.0).contains(&self.threshold)) {
            return bad(format!("threshold {} is not between 0 and 1", self.threshold));
        }
        if self.weights_sha256.len() != 64 || !self.weights_sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return bad("the weights checksum is not a SHA-256".into());
        }
        if self.weights_file.is_empty() || self.weights_file.contains(['/', '\\']) || self.weights_file.contains("..") {
            return bad(format!("unexpected weights file name '{}'", self.weights_file));
        }
        let parents: Vec<Vec<u32>> = self.phenotypes.iter().map(|p| p.parents.clone()).collect();
        if parents.iter().any(|p| !p.is_empty()) {
            Ontology::new(parents).map_err(|e| ModelError::Metadata(e.to_string()))?;
        }
        Ok(())
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small, self-consistent metadata record for tests.
    pub(crate) fn metadata(config: ModelConfig, sha: String) -> ModelMetadata {
        let concepts = (0..config.concepts)
            .map(|i| Concept { id: format!("GO:{i:07}"), name: format!("c{i}"), namespace: "biological_process".into() })
            .collect();
        let phenotypes = (0..config.phenotypes)
            .map(|i| Phenotype {
                id: format!("HP:{i:07}"),
                name: format!("p{i}"),
                system: None,
                parents: if i == 0 { vec![] } else { vec![0] },
                train_genes: 10,
            })
            .collect();
        ModelMetadata {
            model_version: "test".into(),
            dataset: LabelSet::Hpo,
            dataset_version: "test".into(),
            config,
            concepts,
            phenotypes,
            threshold: 0.5,
            quantization: "f32".into(),
            weights_sha256: sha,
            weights_file: "test.bpk".into(),
            licence: "test".into(),
        }
    }

    fn small() -> ModelMetadata {
        let config = ModelConfig::new(3, 4, crate::model::EncoderConfig::new());
        metadata(config, "0123456789abcdef".repeat(4))
    }

    #[test]
    fn metadata_that_can_be_built_is_read() {
        let meta = small();
        assert_eq!(ModelMetadata::from_json(&serde_json::to_vec(&meta).unwrap()).unwrap(), meta);
    }

    #[test]
    fn metadata_that_cannot_be_built_is_refused_with_a_reason() {
        let refused = |meta: ModelMetadata| match ModelMetadata::from_json(&serde_json::to_vec(&meta).unwrap()) {
            Err(ModelError::Metadata(why)) => why,
            other => panic!("accepted or wrong error: {other:?}"),
        };
        let mut m = small();
        m.phenotypes.pop();
        assert!(refused(m).contains("term lists 3 and 3"));
        let mut m = small();
        m.config.hidden = 1 << 40;
        assert!(refused(m).contains("sizes"));
        let mut m = small();
        m.phenotypes[0].parents = vec![3];
        m.phenotypes[3].parents = vec![0];
        assert!(refused(m).contains("cycle"));
        let mut m = small();
        m.phenotypes[1].parents = vec![9];
        assert!(!refused(m).is_empty());
        let mut m = small();
        m.threshold = 1.5;
        assert!(refused(m).contains("threshold"));
        let mut m = small();
        m.weights_file = "../../etc/passwd".into();
        assert!(refused(m).contains("file name"));
        let mut m = small();
        m.weights_sha256 = "abc".into();
        assert!(refused(m).contains("SHA-256"));
        assert!(matches!(ModelMetadata::from_json(b"{\"model_version\": 3"), Err(ModelError::Metadata(_))));
    }

    #[test]
    fn sha256_of_known_input() {
        // FIPS 180-2 test vector.
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

//! What the browser needs next to the weights: term and concept ids and names, the phenotype
//! ontology (for consistent scores), the decision threshold, versions and the weights' checksum.
//! Written by `genepheno export`, read by the app and by `genepheno predict`.

use serde::{Deserialize, Serialize};

use super::network::ModelConfig;

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
    /// Which label set: `hpo`, `mp` or `gwas`.
    pub dataset: String,
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
            dataset: "hpo".into(),
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

    #[test]
    fn sha256_of_known_input() {
        // FIPS 180-2 test vector.
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

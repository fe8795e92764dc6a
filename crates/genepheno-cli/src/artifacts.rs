//! Where the pipeline's products live and what names them: the model recipe's version, the
//! training variants, the trained-model directories that `genepheno train` writes and
//! `export`, `eval` and `bench` read, and the folder the browser app serves models from. A leaf:
//! every stage may name an artifact without depending on the stage that makes it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use genepheno::model::ModelMetadata;

use genepheno::domain::LabelSet;

/// Where the browser app serves models from.
pub const PUBLIC_MODELS: &str = "public/models";

/// Version of the model recipe recorded in exported metadata.
pub const MODEL_VERSION: &str = "genepheno-cnn-2";

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

/// The dataset version recorded in model metadata: the first 16 hex digits of the SHA-256 of
/// `data/MANIFEST.json`, which itself lists every data file's checksum.
pub fn dataset_version(data: &Path) -> anyhow::Result<String> {
    let path = data.join("MANIFEST.json");
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(genepheno::model::metadata::sha256_hex(&bytes)[..16].to_string())
}

/// Directory of a trained model.
pub fn model_dir(out: &Path, dataset: LabelSet, variant: Variant) -> PathBuf {
    out.join(format!("{dataset}-{}", variant.name()))
}

/// Reads a trained model directory (`model.bpk` + `metadata.json`).
pub fn read_trained(dir: &Path) -> anyhow::Result<(ModelMetadata, Vec<u8>)> {
    let meta_path = dir.join("metadata.json");
    let meta: ModelMetadata = serde_json::from_slice(
        &std::fs::read(&meta_path).with_context(|| format!("reading {} (run genepheno train first)", meta_path.display()))?,
    )?;
    let bytes = std::fs::read(dir.join(&meta.weights_file))?;
    Ok((meta, bytes))
}


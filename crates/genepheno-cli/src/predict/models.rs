//! The models `genepheno predict` scores with: the shipped ones, compiled into the binary so that
//! it runs from any directory, or another exported model given by its metadata file.
//!
//! The shipped files are whatever `public/models/` held when the binary was built (cargo rebuilds
//! when they change); their checksums are verified at load like any model's.

use std::path::{Path, PathBuf};

use anyhow::Context;
use genepheno::domain::LabelSet;
use genepheno::model::burn::prelude::Device;
use genepheno::model::{ModelMetadata, Predictor, store};
use genepheno::reference::ReferenceSet;

/// One exported model's files as bytes.
pub struct ModelFiles {
    /// Where they came from, for messages.
    pub origin: String,
    pub metadata: Vec<u8>,
    pub weights: Vec<u8>,
    /// The known-gene reference set, if there is one next to the model.
    pub reference: Option<Vec<u8>>,
}

macro_rules! shipped {
    ($name:literal) => {
        (
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../public/models/", $name, ".json")).as_slice(),
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../public/models/", $name, ".bpk")).as_slice(),
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../public/models/", $name, ".reference.bin")).as_slice(),
        )
    };
}

/// The shipped model of a label set: every label set has one (a new label set does not compile
/// until its files are named here).
pub fn shipped(dataset: LabelSet) -> ModelFiles {
    let (metadata, weights, reference): (&[u8], &[u8], &[u8]) = match dataset {
        LabelSet::Hpo => shipped!("hpo"),
        LabelSet::Mp => shipped!("mp"),
        LabelSet::Gwas => shipped!("gwas"),
    };
    ModelFiles {
        origin: format!("the shipped {dataset} model"),
        metadata: metadata.to_vec(),
        weights: weights.to_vec(),
        reference: Some(reference.to_vec()),
    }
}

/// An exported model from disk: its metadata JSON, the weights file it names (next to it) and,
/// if present, `<stem>.reference.bin` next to it.
pub fn from_path(meta_path: &Path) -> anyhow::Result<ModelFiles> {
    let metadata = std::fs::read(meta_path).with_context(|| format!("reading {}", meta_path.display()))?;
    let meta = ModelMetadata::from_json(&metadata).with_context(|| format!("{} is not usable model metadata", meta_path.display()))?;
    let weights_path = meta_path.with_file_name(&meta.weights_file);
    let weights = std::fs::read(&weights_path).with_context(|| format!("reading {}", weights_path.display()))?;
    let reference = std::fs::read(reference_path(meta_path)).ok();
    Ok(ModelFiles { origin: meta_path.display().to_string(), metadata, weights, reference })
}

/// Where the reference set of the model described by `meta_path` is looked for.
pub fn reference_path(meta_path: &Path) -> PathBuf {
    let stem = meta_path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    meta_path.with_file_name(format!("{stem}.reference.bin"))
}

/// A model ready to score, with its reference set when one was found and fits the weights.
pub struct Loaded {
    pub predictor: Predictor,
    pub reference: Result<ReferenceSet, String>,
}

/// Checks and decodes the files. The dense weights are dequantized once at load, as the page's
/// worker does, so that scoring multiplies f32 matrices.
pub fn load(files: ModelFiles) -> anyhow::Result<Loaded> {
    let meta = ModelMetadata::from_json(&files.metadata).with_context(|| format!("{}: model metadata", files.origin))?;
    let device = Device::flex();
    let model = store::load_checked_dequantized(&meta, files.weights, &device).with_context(|| files.origin.clone())?;
    let reference = match files.reference {
        Some(bytes) => ReferenceSet::decode_for_model(&bytes, &meta.weights_sha256, meta.dataset)
            .map_err(|e| format!("the reference set of {} cannot be used: {e}", files.origin)),
        None => Err(format!("{} has no reference set next to it", files.origin)),
    };
    let predictor = Predictor::from_model(model, meta, &device).with_context(|| files.origin.clone())?;
    Ok(Loaded { predictor, reference })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_model_loads_from_the_binary_with_its_reference_set() {
        for dataset in LabelSet::ALL {
            let loaded = load(shipped(dataset)).unwrap();
            assert_eq!(loaded.predictor.metadata().dataset, dataset);
            let reference = loaded.reference.unwrap_or_else(|e| panic!("{dataset}: {e}"));
            assert!(reference.len() > 10_000, "{dataset}: {} known genes", reference.len());
        }
    }

    #[test]
    fn a_label_set_without_a_model_is_refused_where_the_command_line_is_read() {
        let parse = |set: &str| <crate::Cli as clap::Parser>::try_parse_from(["genepheno", "predict", "--dataset", set, "-"]);
        let err = parse("nope").err().expect("nope is no label set");
        assert!(err.to_string().contains("[possible values: hpo, mp, gwas]"), "{err}");
        assert!(parse("mp").is_ok());
    }
}

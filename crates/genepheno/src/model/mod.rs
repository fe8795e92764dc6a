//! The GenePheno model (feature `model`), shared by the native trainer and the browser.
//!
//! Pipeline: residues -> [`tokens`] (windows) -> [`encoder`] (CNN + pooling) -> GO-concept
//! bottleneck -> linear phenotype layer ([`network`]). [`loss`] holds the training objectives,
//! [`ontology`] the max-propagation that keeps scores consistent with the phenotype ontology,
//! [`store`] burnpack bytes and quantization, [`metadata`] what ships next to the weights, and
//! [`inference`] the asynchronous predictor the app and `genepheno predict` both use.
//!
//! burn 0.22 has no backend type parameter: the [`burn::prelude::Device`] picks the backend
//! (`Device::flex()` on the CPU; in the browser the WebGPU device from
//! `Device::wgpu_options().init_async().await`, feature `wgpu`).

pub mod encoder;
pub mod inference;
pub mod loss;
pub mod metadata;
pub mod network;
pub mod store;
pub mod tokens;

pub use encoder::EncoderConfig;
pub use inference::{Explanation, Prediction, Predictor, Scoring};
pub use metadata::{Concept, ModelMetadata, Phenotype};
pub use network::{GenePheno, ModelConfig, Output};
pub use crate::ontology::Ontology;
pub use tokens::SequenceBatch;

/// Re-export so dependents use the very burn this crate was built with.
pub use burn;

/// Failures of loading or running the model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The weights could not be encoded or decoded into the architecture.
    #[error("model weights: {0}")]
    Weights(String),
    /// The weights do not match the checksum in the metadata.
    #[error("weights checksum mismatch: expected {expected}, got {actual}")]
    Checksum { expected: String, actual: String },
    /// The metadata is inconsistent with itself or with the weights.
    #[error("model metadata: {0}")]
    Metadata(String),
    /// Reading results back from the device failed.
    #[error("reading model output: {0}")]
    Read(String),
    /// The caller's input does not fit the model.
    #[error("model input: {0}")]
    Input(String),
}

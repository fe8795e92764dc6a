//! Weights in and out of burnpack bytes, and post-training quantization for export.
//!
//! The browser fetches the bytes, checks their SHA-256 against the metadata, then decodes them into
//! a freshly built network of the architecture the metadata names.

use burn::module::{ModuleMapper, Param, ParamGroup, Quantizer};
use burn::prelude::*;
use burn::store::{BurnpackStore, ModuleSnapshot};
use burn::tensor::Bytes;
use burn::tensor::quantization::{Calibration, QuantScheme, QuantValue};

use super::metadata::{ModelMetadata, sha256_hex};
use super::network::{GenePheno, ModelConfig};
use super::ModelError;

/// The shipped quantization: symmetric 8-bit, one scale per tensor, packed four to a `u32`.
pub fn quantization_scheme() -> QuantScheme {
    QuantScheme::default().with_value(QuantValue::Q8S)
}

/// Name recorded in the metadata for [`quantization_scheme`].
pub const QUANTIZATION_NAME: &str = "q8s-per-tensor (dense weights), f32 elsewhere";

/// Quantizes the dense weights (see [`GenePheno::quantizable_paths`]) with min-max calibration.
pub fn quantize(model: GenePheno) -> GenePheno {
    let mut quantizer = Quantizer::new(Calibration::MinMax, quantization_scheme());
    let group = ParamGroup::from_paths(GenePheno::quantizable_paths().to_vec());
    model.quantize_weights_group(&mut quantizer, group)
}

/// Serialises the model's weights to burnpack bytes.
pub fn to_bytes(model: &GenePheno) -> Result<Vec<u8>, ModelError> {
    let mut store = BurnpackStore::from_bytes(None);
    model.save_into(&mut store).map_err(|e| ModelError::Weights(e.to_string()))?;
    let bytes = store.get_bytes().map_err(|e| ModelError::Weights(e.to_string()))?;
    Ok(bytes.to_vec())
}

/// Builds the architecture from `config` and loads burnpack `bytes` into it. Fails if any
/// tensor is missing or has the wrong shape.
pub fn from_bytes(config: &ModelConfig, bytes: Vec<u8>, device: &Device) -> Result<GenePheno, ModelError> {
    let mut model = config.init(device);
    let mut store = BurnpackStore::from_bytes(Some(Bytes::from_bytes_vec(bytes)));
    model.load_from(&mut store).map_err(|e| ModelError::Weights(e.to_string()))?;
    Ok(model)
}

/// Checks `bytes` against the metadata's checksum, then decodes them.
pub fn load_checked(meta: &ModelMetadata, bytes: Vec<u8>, device: &Device) -> Result<GenePheno, ModelError> {
    let actual = sha256_hex(&bytes);
    if actual != meta.weights_sha256 {
        return Err(ModelError::Checksum { expected: meta.weights_sha256.clone(), actual });
    }
    from_bytes(&meta.config, bytes, device)
}

/// Replaces quantized weights by their f32 values.
///
/// Why: Chromium's WebGPU has no 8-bit integer storage type, and burn's quantized matmul kernels
/// declare `array<i8>` buffers, so they fail to compile there ("'i8' type used without ...
/// extension enabled", seen in headless Chromium 156). The GPU path therefore computes in f32
/// from the dequantized weights: the download stays quantized and the values are exactly the
/// ones the CPU reads.
pub fn dequantize(model: GenePheno) -> GenePheno {
    struct Dequantizer;
    impl ModuleMapper for Dequantizer {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            param.map(|tensor| tensor.dequantize())
        }
    }
    model.map(&mut Dequantizer)
}

/// [`load_checked`], then dequantized on the CPU and moved to `device`: for WebGPU in the browser
/// (no 8-bit kernels there) and for the browser's CPU path (flex's 8-bit matmul dequantizes the
/// weights on every call).
pub fn load_checked_dequantized(meta: &ModelMetadata, bytes: Vec<u8>, device: &Device) -> Result<GenePheno, ModelError> {
    let model = load_checked(meta, bytes, &Device::flex())?;
    Ok(dequantize(model).to_device(device))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::encoder::EncoderConfig;
    use crate::model::tokens::SequenceBatch;
    use burn::tensor::DType;

    fn config() -> ModelConfig {
        ModelConfig::new(7, 5, EncoderConfig::new().with_channels(8).with_embed_dim(4))
            .with_hidden(12)
            .with_window(32)
    }

    fn logits(model: &GenePheno, device: &Device) -> Vec<f32> {
        let batch = SequenceBatch::new(&[b"MKTAYIAKQRQISFVKSHFSRQLEERLGL", b"MSTNPKPQRK"], 32, device);
        model.forward(&batch).phenotype_logits.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn float_bytes_round_trip_exactly() {
        let device = Device::flex();
        let model = config().init(&device);
        let bytes = to_bytes(&model).unwrap();
        let loaded = from_bytes(&config(), bytes, &device).unwrap();
        assert_eq!(logits(&model, &device), logits(&loaded, &device));
    }

    #[test]
    fn quantized_bytes_decode_into_the_architecture_and_stay_close() {
        let device = Device::flex();
        let model = config().init(&device);
        let reference = logits(&model, &device);
        let quantized = quantize(model);
        assert!(matches!(quantized_dtype(&quantized), DType::QFloat(_)));
        let bytes = to_bytes(&quantized).unwrap();
        let loaded = from_bytes(&config(), bytes, &device).unwrap();
        assert!(matches!(quantized_dtype(&loaded), DType::QFloat(_)));
        let got = logits(&loaded, &device);
        let worst = reference.iter().zip(&got).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 0.05, "8-bit weights moved a logit by {worst}");
    }

    #[test]
    fn wrong_architecture_or_checksum_is_rejected() {
        let device = Device::flex();
        let bytes = to_bytes(&config().init(&device)).unwrap();
        let other = ModelConfig::new(9, 5, EncoderConfig::new().with_channels(8).with_embed_dim(4))
            .with_hidden(12);
        assert!(matches!(from_bytes(&other, bytes.clone(), &device), Err(ModelError::Weights(_))));
        let meta = crate::model::metadata::tests::metadata(config(), "0".repeat(64));
        assert!(matches!(load_checked(&meta, bytes, &device), Err(ModelError::Checksum { .. })));
    }

    #[test]
    fn dequantized_weights_compute_what_the_quantized_ones_do() {
        let device = Device::flex();
        let quantized = quantize(config().init(&device));
        let bytes = to_bytes(&quantized).unwrap();
        let meta = crate::model::metadata::tests::metadata(config(), crate::model::metadata::sha256_hex(&bytes));
        let plain = load_checked_dequantized(&meta, bytes.clone(), &device).unwrap();
        assert_eq!(quantized_dtype(&plain), DType::F32);
        let from_q8 = logits(&load_checked(&meta, bytes, &device).unwrap(), &device);
        let from_f32 = logits(&plain, &device);
        let worst = from_q8.iter().zip(&from_f32).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 1e-4, "dequantizing moved a logit by {worst}");
    }

    fn quantized_dtype(model: &GenePheno) -> DType {
        model.phenotype_weight_dtype()
    }
}

//! The GenePheno network: sequence encoder -> GO-concept bottleneck -> linear phenotype layer.
//!
//! The phenotype layer is linear in the concept activations, so a phenotype's logit is exactly
//! `bias + sum_k concept_k * weight[k, phenotype]`; [`GenePheno::contributions`] returns those
//! terms for the app to chart. In known-gene mode the concept activations are the gene's curated
//! GO annotations (0/1) instead of the predicted probabilities; the phenotype layer is the same.
//!
//! Output widths are padded to a multiple of 4 because burn's packed 8-bit weights on WebGPU need
//! the last dimension to be one; the padding units are sliced off and never trained.

use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid};

use super::encoder::{EncoderConfig, FoldedStem, SequenceEncoder};
use super::tokens::SequenceBatch;

/// Everything needed to rebuild the architecture (stored in the exported metadata).
#[derive(Config, Debug, PartialEq)]
pub struct ModelConfig {
    /// Number of GO concepts in the bottleneck.
    pub concepts: usize,
    /// Number of phenotype terms.
    pub phenotypes: usize,
    /// Sequence encoder shape.
    pub encoder: EncoderConfig,
    /// Width of the hidden layer between pooled features and concepts.
    #[config(default = 256)]
    pub hidden: usize,
    /// Longest window the encoder sees at once; longer sequences are split into windows.
    #[config(default = 1000)]
    pub window: usize,
}

/// Rounds up to a multiple of 4 (packed 8-bit weights on WebGPU).
pub fn padded(n: usize) -> usize {
    n.div_ceil(4) * 4
}

impl ModelConfig {
    /// Builds the network with freshly initialised weights.
    pub fn init(&self, device: &Device) -> GenePheno {
        GenePheno {
            encoder: self.encoder.init(device),
            pool_norm: BatchNormConfig::new(self.encoder.output_dim()).init(device),
            hidden: LinearConfig::new(self.encoder.output_dim(), padded(self.hidden)).init(device),
            concept_layer: LinearConfig::new(padded(self.hidden), padded(self.concepts))
                .init(device),
            phenotype_layer: LinearConfig::new(self.concepts, padded(self.phenotypes))
                .init(device),
            concepts: self.concepts,
            phenotypes: self.phenotypes,
        }
    }
}

/// Logits of one forward pass.
#[derive(Debug, Clone)]
pub struct Output {
    /// `[genes, concepts]` GO-concept logits.
    pub concept_logits: Tensor<2>,
    /// `[genes, phenotypes]` phenotype logits computed from the predicted concepts.
    pub phenotype_logits: Tensor<2>,
}

/// The model; see the module docs.
#[derive(Module, Debug)]
pub struct GenePheno {
    encoder: SequenceEncoder,
    /// Standardises the pooled features across genes (batch statistics in training, running
    /// statistics at inference). Pooled CNN features differ between proteins by a few percent of
    /// their common level; without it the encoder learned nothing beyond the concept priors.
    pool_norm: BatchNorm,
    hidden: Linear,
    concept_layer: Linear,
    phenotype_layer: Linear,
    concepts: usize,
    phenotypes: usize,
}

impl GenePheno {
    /// Number of GO concepts.
    pub fn concept_count(&self) -> usize {
        self.concepts
    }

    /// Number of phenotype terms.
    pub fn phenotype_count(&self) -> usize {
        self.phenotypes
    }

    /// The parameter paths quantized for export: the dense 2-D weights, all of whose last
    /// dimensions are multiples of 4. Convolutions and biases stay in f32 (they are small).
    pub fn quantizable_paths() -> [&'static str; 3] {
        ["hidden.weight", "concept_layer.weight", "phenotype_layer.weight"]
    }

    /// The linear concept -> phenotype layer (`[concepts, padded(phenotypes)]` weight).
    pub fn phenotype_layer(&self) -> &Linear {
        &self.phenotype_layer
    }

    /// The same network with another phenotype layer (the trainer fits it on its own, on curated
    /// GO and on predicted concepts). Panics if the shape differs.
    pub fn with_phenotype_layer(mut self, layer: Linear) -> Self {
        assert_eq!(
            layer.weight.val().dims(),
            self.phenotype_layer.weight.val().dims(),
            "phenotype layer shape"
        );
        assert_eq!(layer.bias.is_some(), self.phenotype_layer.bias.is_some(), "phenotype layer bias");
        self.phenotype_layer = layer;
        self
    }

    /// The same encoder and concept layers with a fresh phenotype layer for `phenotypes` terms:
    /// a pretrained sequence -> concept model (`genepheno pretrain`) made ready for a label set.
    pub fn with_phenotypes(mut self, phenotypes: usize, device: &Device) -> Self {
        self.phenotype_layer = LinearConfig::new(self.concepts, padded(phenotypes)).init(device);
        self.phenotypes = phenotypes;
        self
    }

    /// Storage type of the phenotype layer's weights (`QFloat` once quantized).
    pub fn phenotype_weight_dtype(&self) -> burn::tensor::DType {
        self.phenotype_layer.weight.val().dtype()
    }

    /// The encoder's embedding folded into its stem, for faster inference
    /// ([`Self::concept_logits_with`]).
    pub fn fold_stem(&self) -> FoldedStem {
        self.encoder.fold_stem()
    }

    /// GO-concept logits `[genes, concepts]` from sequences.
    pub fn concept_logits(&self, batch: &SequenceBatch) -> Tensor<2> {
        self.concept_logits_with(batch, None)
    }

    /// [`Self::concept_logits`] with the stem computed from `folded` when given (equal up to
    /// float rounding; for inference, as it has no gradient path to the embedding).
    pub fn concept_logits_with(&self, batch: &SequenceBatch, folded: Option<&FoldedStem>) -> Tensor<2> {
        self.concept_logits_from_pooled(self.encoder.forward_with(batch, folded))
    }

    /// The sequence encoder (residue maps call its feature and pooling steps one by one).
    pub fn encoder(&self) -> &SequenceEncoder {
        &self.encoder
    }

    /// GO-concept logits `[genes, concepts]` from pooled gene features `[genes, 2 * channels]`
    /// (as [`SequenceEncoder::forward_with`] gives them): the layers after the encoder, for
    /// residue maps, which pool masked proteins themselves.
    pub fn concept_logits_from_pooled(&self, pooled: Tensor<2>) -> Tensor<2> {
        let pooled = self.pool_norm.forward(pooled);
        let hidden = relu(self.hidden.forward(pooled));
        let logits = self.concept_layer.forward(hidden);
        let genes = logits.dims()[0];
        logits.slice([0..genes, 0..self.concepts])
    }

    /// Phenotype logits `[genes, phenotypes]` from concept activations in [0, 1]: predicted
    /// probabilities (sequence mode) or curated annotations (known-gene mode).
    pub fn phenotype_logits(&self, concepts: Tensor<2>) -> Tensor<2> {
        let logits = self.phenotype_layer.forward(concepts);
        let genes = logits.dims()[0];
        logits.slice([0..genes, 0..self.phenotypes])
    }

    /// Sequence-mode forward pass.
    pub fn forward(&self, batch: &SequenceBatch) -> Output {
        let concept_logits = self.concept_logits(batch);
        let phenotype_logits = self.phenotype_logits(sigmoid(concept_logits.clone()));
        Output { concept_logits, phenotype_logits }
    }

    /// Per-concept contributions `[genes, concepts]` to one phenotype's logit: activation times
    /// weight. Their row sum plus [`Self::phenotype_bias`] is the phenotype's logit.
    pub fn contributions(&self, concepts: Tensor<2>, phenotype: usize) -> Tensor<2> {
        assert!(phenotype < self.phenotypes, "phenotype index out of range");
        let column = self
            .phenotype_layer
            .weight
            .val()
            .dequantize()
            .slice([0..self.concepts, phenotype..phenotype + 1])
            .reshape([1, self.concepts]);
        concepts * column
    }

    /// The bias of one phenotype's logit, `[1]` (zero if the layer has no bias).
    pub fn phenotype_bias(&self, phenotype: usize) -> Tensor<1> {
        assert!(phenotype < self.phenotypes, "phenotype index out of range");
        match &self.phenotype_layer.bias {
            Some(bias) => bias.val().dequantize().slice([phenotype..phenotype + 1]),
            None => Tensor::zeros([1], &self.phenotype_layer.weight.device()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(device: &Device) -> GenePheno {
        let encoder = EncoderConfig::new().with_channels(8).with_embed_dim(4);
        ModelConfig::new(6, 5, encoder).with_hidden(10).with_window(16).init(device)
    }

    fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn shapes_follow_config_and_batch() {
        let device = Device::flex();
        let model = small(&device);
        let batch = SequenceBatch::new(&[b"MKTAYIAKQRQISFVKSHFSRQ", b"MA", b"WWWW"], 16, &device);
        let out = model.forward(&batch);
        assert_eq!(out.concept_logits.dims(), [3, 6]);
        assert_eq!(out.phenotype_logits.dims(), [3, 5]);
        assert_eq!(model.contributions(Tensor::ones([3, 6], &device), 4).dims(), [3, 6]);
    }

    #[test]
    fn a_sequence_scores_the_same_alone_and_in_a_padded_batch() {
        let device = Device::flex();
        let model = small(&device);
        let short: &[u8] = b"MKTAYIAKQR";
        let long: &[u8] = b"MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQFEVV";
        let alone = to_vec(model.forward(&SequenceBatch::new(&[short], 16, &device)).phenotype_logits);
        let both = model.forward(&SequenceBatch::new(&[long, short], 16, &device)).phenotype_logits;
        let in_batch = to_vec(both.slice([1..2, 0..5]));
        for (a, b) in alone.iter().zip(&in_batch) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn contributions_plus_bias_equal_the_logit() {
        let device = Device::flex();
        let model = small(&device);
        let concepts = Tensor::<2>::from_data(
            TensorData::new(vec![0.9f32, 0.1, 0.0, 1.0, 0.5, 0.25, 1., 1., 0., 0., 1., 0.], [2, 6]),
            &device,
        );
        let logits = to_vec(model.phenotype_logits(concepts.clone()));
        for p in 0..5 {
            let sums = to_vec(model.contributions(concepts.clone(), p).sum_dim(1));
            let bias = to_vec(model.phenotype_bias(p))[0];
            for g in 0..2 {
                let expected = logits[g * 5 + p];
                assert!((sums[g] + bias - expected).abs() < 1e-5, "gene {g} term {p}");
            }
        }
        // A concept that is off contributes nothing.
        let row = to_vec(model.contributions(concepts, 3));
        assert_eq!(row[2], 0.0);
    }
}

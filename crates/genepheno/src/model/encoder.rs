//! The sequence encoder: residue embedding, a stem convolution and dilated residual
//! convolutions, then per-gene global max and mean pooling over all of a gene's windows.
//!
//! A 1-D CNN was chosen over attention because it is cheap on a 2-core CPU (the trainer and the
//! browser fallback) and maps to plain convolution kernels on WebGPU; dilations give a receptive
//! field of a few dozen residues (motif scale) at a small parameter count. Every layer's output
//! is multiplied by the residue mask, so a padded position looks exactly like the convolution's
//! own zero padding: a sequence scores the same alone or in a padded batch.
//!
//! Activations are laid out channels last, `[windows, length, channels]`, and every
//! convolution is computed as one matrix product per kernel tap over all rows at once
//! ([`conv_valid`]) rather than by burn's `Conv1d::forward`. The weights are the same
//! `Conv1d` parameters (so trained and exported models load unchanged); what changes is the
//! work around the product: burn's CPU convolution converts its channels-first input to
//! channels last and builds its own tap matrix on every call, which took more time than the
//! multiply-adds themselves in the native benchmark (issue 14).
//!
//! On a CPU device the predictor goes one step further ([`cpu`]): the same layers on host
//! buffers, with each convolution's taps accumulated in place by gemm and the element-wise steps
//! in one pass. This module's tensor path is what training (autodiff) and WebGPU run, and what
//! the CPU path is tested against.

use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::{Embedding, EmbeddingConfig, PaddingConfig1d};
use burn::prelude::*;
use burn::tensor::activation::relu;

use super::tokens::{PAD, ROW_MARGIN, SequenceBatch, VOCAB};

pub mod cpu;

/// Shape of the encoder.
#[derive(Config, Debug, PartialEq)]
pub struct EncoderConfig {
    /// Residue embedding width.
    #[config(default = 32)]
    pub embed_dim: usize,
    /// Convolution channels (a multiple of 4, for WebGPU kernels).
    #[config(default = 96)]
    pub channels: usize,
    /// Kernel of the stem convolution.
    #[config(default = 9)]
    pub stem_kernel: usize,
    /// Kernel of the residual convolutions.
    #[config(default = 3)]
    pub kernel: usize,
    /// Dilation of each residual convolution.
    #[config(default = "vec![2, 4, 8]")]
    pub dilations: Vec<usize>,
}

impl EncoderConfig {
    /// Width of the pooled output: max and mean of every channel.
    pub fn output_dim(&self) -> usize {
        2 * self.channels
    }

    /// How far one convolution reaches to either side of a position: its padding too, so that
    /// the output is as long as the input. Odd kernels only (an even one could not keep the
    /// length with symmetric padding).
    fn half_width(kernel: usize, dilation: usize) -> usize {
        assert!(kernel % 2 == 1, "kernels must be odd to keep the sequence length");
        dilation * (kernel - 1) / 2
    }

    /// The receptive radius R: a residue feature at position `i` reads the input (tokens and
    /// mask) at `i - R ..= i + R` and nothing else.
    ///
    /// Exact, not a bound: the layers are applied one after another, each one's output at `i`
    /// reads its input only at `i - h ..= i + h` (h = [`Self::half_width`]), and the
    /// element-wise steps between them (ReLU, the mask, the residual sum) read position `i`
    /// alone; so the reaches of the stem and every residual block add up. Residue maps
    /// (`Predictor::regions`) use it to recompute only the features a masked stretch can change.
    pub fn receptive_radius(&self) -> usize {
        Self::half_width(self.stem_kernel, 1)
            + self.dilations.iter().map(|&d| Self::half_width(self.kernel, d)).sum::<usize>()
    }

    /// Builds the encoder with freshly initialised weights.
    ///
    /// Panics when a layer reaches further than the batches' row margin
    /// ([`ROW_MARGIN`]): its convolution would read the neighbouring window.
    pub fn init(&self, device: &Device) -> SequenceEncoder {
        let reach = std::iter::once(Self::half_width(self.stem_kernel, 1))
            .chain(self.dilations.iter().map(|&d| Self::half_width(self.kernel, d)))
            .max()
            .unwrap_or(0);
        assert!(
            reach <= ROW_MARGIN,
            "a convolution of this encoder reaches {reach} positions, more than the {ROW_MARGIN} padding positions between the windows of a batch"
        );
        // Explicit symmetric padding: burn's `Same` ignores dilation. Odd kernels keep the
        // length exactly.
        let conv = |c_in: usize, kernel: usize, dilation: usize| {
            let pad = Self::half_width(kernel, dilation);
            Conv1dConfig::new(c_in, self.channels, kernel)
                .with_dilation(dilation)
                .with_padding(PaddingConfig1d::Explicit(pad, pad))
                .init(device)
        };
        SequenceEncoder {
            embedding: EmbeddingConfig::new(VOCAB, self.embed_dim).init(device),
            stem: conv(self.embed_dim, self.stem_kernel, 1),
            blocks: self
                .dilations
                .iter()
                .map(|&d| conv(self.channels, self.kernel, d))
                .collect(),
        }
    }
}

/// Embedding + convolutions + pooling; see the module docs.
#[derive(Module, Debug)]
pub struct SequenceEncoder {
    embedding: Embedding,
    stem: Conv1d,
    blocks: Vec<Conv1d>,
}

/// The embedding and the stem convolution folded into lookup tables, for inference.
///
/// Both are linear and the stem reads nothing but embeddings, so the stem's output at position
/// `i` is `bias + sum_k table_k[token(i + k - half)]`, with `table_k[t]` = the stem's k-th kernel
/// column applied to the embedding of `t` (zero for padding and outside the window, as the
/// masked input and the convolution's zero padding give). Adding `kernel` looked-up rows per
/// residue replaces an (embed x kernel)-wide matrix product per residue: about a third of the
/// encoder's multiply-adds, and the part that WebAssembly's 4-lane SIMD does slowest.
#[derive(Debug, Clone)]
pub struct FoldedStem {
    /// One `[VOCAB, channels]` table per kernel position.
    tables: Vec<Tensor<2>>,
    /// `[1, 1, channels]`.
    bias: Tensor<3>,
}

impl FoldedStem {
    /// The stem's pre-activation output `[windows, length, channels]`.
    fn forward(&self, batch: &SequenceBatch) -> Tensor<3> {
        let [windows, length] = batch.tokens.dims();
        let half = (self.tables.len() / 2) as isize;
        let device = batch.tokens.device();
        let mut sum: Option<Tensor<2>> = None;
        for (k, table) in self.tables.iter().enumerate() {
            // Token seen at offset k - half of every position (PAD outside the window).
            let shift = k as isize - half;
            let shifted: Vec<i64> = (0..windows * length)
                .map(|at| {
                    let j = (at % length) as isize + shift;
                    if (0..length as isize).contains(&j) { batch.host_tokens[at - (at % length) + j as usize] } else { PAD }
                })
                .collect();
            let index = Tensor::<1, Int>::from_data(TensorData::new(shifted, [windows * length]), &device);
            let rows = table.clone().select(0, index);
            sum = Some(match sum {
                Some(acc) => acc + rows,
                None => rows,
            });
        }
        let channels = self.bias.dims()[2];
        let sum = sum.expect("a stem kernel has at least one position");
        sum.reshape([windows, length, channels]) + self.bias.clone()
    }
}

impl SequenceEncoder {
    /// Folds the embedding into the stem convolution (see [`FoldedStem`]).
    pub fn fold_stem(&self) -> FoldedStem {
        let embedding = self.embedding.weight.val(); // [VOCAB, embed]
        let [vocab, embed] = embedding.dims();
        // Padding embeds to zero (the input is masked before the stem).
        let keep: Vec<f32> = (0..vocab).map(|t| if t as i64 == PAD { 0.0 } else { 1.0 }).collect();
        let keep = Tensor::<2>::from_data(TensorData::new(keep, [vocab, 1]), &embedding.device());
        let embedding = embedding * keep;
        let weight = self.stem.weight.val().dequantize(); // [channels, embed, kernel]
        let [channels, _, kernel] = weight.dims();
        let tables = (0..kernel)
            .map(|k| {
                let column: Tensor<2> = weight.clone().slice([0..channels, 0..embed, k..k + 1]).reshape([channels, embed]);
                embedding.clone().matmul(column.transpose())
            })
            .collect();
        let bias = match &self.stem.bias {
            Some(bias) => bias.val().dequantize().reshape([1, 1, channels]),
            None => Tensor::zeros([1, 1, channels], &embedding.device()),
        };
        FoldedStem { tables, bias }
    }

    /// Per-residue features `[windows, length, channels]`, zero at padding, non-negative.
    pub fn residue_features(&self, batch: &SequenceBatch) -> Tensor<3> {
        self.residue_features_with(batch, None)
    }

    /// [`Self::residue_features`], with the stem computed from `folded` when given (inference;
    /// equal up to float rounding).
    pub fn residue_features_with(&self, batch: &SequenceBatch, folded: Option<&FoldedStem>) -> Tensor<3> {
        let mask = batch.mask.clone();
        let stem = match folded {
            Some(folded) => folded.forward(batch),
            None => {
                let x = self.embedding.forward(batch.tokens.clone()); // [windows, length, embed]
                conv_channels_last(&self.stem, x * mask.clone())
            }
        };
        let x = relu(stem) * mask.clone();
        // The blocks run on all rows as one sequence (see [`conv_channels_last`]) with zeros
        // beyond both of its ends, as many as the blocks reach together: each block computes
        // its output only where all its taps lie inside its input, so the sequence loses a
        // block's reach at both ends per block and ends exactly as long as the batch. That
        // pads once per batch instead of once per block (a copy of every activation).
        let [windows, length, channels] = x.dims();
        let positions = windows * length;
        let reaches: Vec<usize> = self.blocks.iter().map(reach).collect();
        let guard: usize = reaches.iter().sum();
        let mask = pad_ends(mask.reshape([positions, 1]), guard);
        let mut x = pad_ends(x.reshape([positions, channels]), guard);
        // Rows of the padded mask that `x`'s first row stands for.
        let mut at = 0;
        for (block, &h) in self.blocks.iter().zip(&reaches) {
            let n = x.dims()[0];
            let kept = at + h..at + n - h;
            let update = relu(conv_valid(block, x.clone())) * mask.clone().slice([kept, 0..1]);
            x = x.slice([h..n - h, 0..channels]) + update;
            at += h;
        }
        x.reshape([windows, length, channels])
    }

    /// Pooled gene features `[genes, 2 * channels]`: the max over all residues of all of the
    /// gene's windows, then the mean over its residues.
    pub fn forward(&self, batch: &SequenceBatch) -> Tensor<2> {
        self.forward_with(batch, None)
    }

    /// [`Self::forward`] with an optional folded stem (see [`Self::residue_features_with`]).
    pub fn forward_with(&self, batch: &SequenceBatch, folded: Option<&FoldedStem>) -> Tensor<2> {
        self.pool(batch, self.residue_features_with(batch, folded))
    }

    /// The pooling of [`Self::forward`], from `batch`'s residue features (as
    /// [`Self::residue_features_with`] gives them): residue maps compute the features once and
    /// pool them for the whole protein here.
    pub fn pool(&self, batch: &SequenceBatch, features: Tensor<3>) -> Tensor<2> {
        let [windows, _, channels] = features.dims();
        // Features are non-negative and zero at padding, so padding never wins the max.
        let window_max: Tensor<2> = features.clone().max_dim(1).reshape([windows, channels]);
        let window_sum: Tensor<2> = features.sum_dim(1).reshape([windows, channels]);
        Self::pool_windows(batch, window_max, window_sum)
    }

    /// The pooling of [`Self::pool`] from each window's max and sum over its positions
    /// (`[windows, channels]` each): the gene's max over its windows and mean over its residues.
    pub fn pool_windows(batch: &SequenceBatch, window_max: Tensor<2>, window_sum: Tensor<2>) -> Tensor<2> {
        let channels = window_max.dims()[1];
        let gene_max = window_max
            .select(0, batch.window_slots.clone())
            .reshape([batch.genes, batch.max_windows, channels])
            .max_dim(1)
            .reshape([batch.genes, channels]);
        let gene_mean = batch.membership.clone().matmul(window_sum) / batch.residues.clone();
        Tensor::cat(vec![gene_max, gene_mean], 1)
    }
}

/// `conv`, applied to channels-last input `[windows, length, c_in]` with zero padding that keeps
/// the length (as [`EncoderConfig::init`] configures it): `[windows, length, c_out]`.
///
/// All rows are convolved as one sequence of `windows * length` positions: every row ends in
/// at least [`ROW_MARGIN`] zeros (padding is zero in every layer's input), which is all the
/// zero padding a layer of this encoder reads, so no row reads its neighbour; the sequence as a
/// whole gets the layer's padding at both ends, then [`conv_valid`] does the rest.
fn conv_channels_last(conv: &Conv1d, x: Tensor<3>) -> Tensor<3> {
    let [windows, length, c_in] = x.dims();
    let c_out = conv.weight.dims()[0];
    let padded = pad_ends(x.reshape([windows * length, c_in]), reach(conv));
    conv_valid(conv, padded).reshape([windows, length, c_out])
}

/// `conv` over one channels-last sequence `[n, c_in]`, only at the positions whose taps all lie
/// inside it: `[n - 2 * reach, c_out]`, output `i` centred on input `i + reach`.
///
/// Tap `k` of every output (inputs `dilation` apart) is one contiguous slice of the input, and
/// the layer is the sum over taps of that slice times the tap's `[c_in, c_out]` weights:
/// `kernel` matrix products over all positions, where the multiply-adds run at the CPU's speed,
/// from plain tensor operations, so autodiff and every backend (flex, WebGPU) take it as they
/// take any product. Summing per-tap products reads the slices in place; laying the taps side
/// by side into one `[positions, kernel * c_in]` matrix first measured 20% slower
/// single-threaded (the copy), for the same multiply-adds.
fn conv_valid(conv: &Conv1d, x: Tensor<2>) -> Tensor<2> {
    let [n, c_in] = x.dims();
    let weight = conv.weight.val(); // [c_out, c_in, kernel]
    let [c_out, _, kernel] = weight.dims();
    let outputs = n - 2 * reach(conv);
    let taps = weight.permute([2, 1, 0]); // [kernel, c_in, c_out]
    let mut y = (0..kernel)
        .map(|k| {
            let start = k * conv.dilation;
            let tap = x.clone().slice([start..start + outputs, 0..c_in]);
            tap.matmul(taps.clone().slice([k..k + 1, 0..c_in, 0..c_out]).reshape([c_in, c_out]))
        })
        .reduce(|sum, product| sum + product)
        .expect("a convolution has at least one tap");
    if let Some(bias) = &conv.bias {
        y = y + bias.val().reshape([1, c_out]);
    }
    y
}

/// How far `conv` reaches to either side of a position (its padding, see
/// [`EncoderConfig::half_width`]).
fn reach(conv: &Conv1d) -> usize {
    EncoderConfig::half_width(conv.weight.dims()[2], conv.dilation)
}

/// `x` `[n, width]` with `count` rows of zeros before and after it.
fn pad_ends(x: Tensor<2>, count: usize) -> Tensor<2> {
    if count == 0 {
        return x;
    }
    let zeros = Tensor::<2>::zeros([count, x.dims()[1]], &x.device());
    Tensor::cat(vec![zeros.clone(), x, zeros], 0)
}

#[cfg(all(test, feature = "train"))]
mod gradient_tests {
    use super::*;

    /// Loss used for the check: a fixed weighted sum of the pooled features.
    fn loss(encoder: &SequenceEncoder, batch: &SequenceBatch, weights: &Tensor<2>) -> Tensor<1> {
        (encoder.forward(batch) * weights.clone()).sum()
    }

    #[test]
    fn gradients_reach_every_layer_and_match_finite_differences() {
        let device = Device::flex().autodiff();
        device.seed(3);
        let config = EncoderConfig::new().with_channels(8).with_embed_dim(4);
        let encoder = config.init(&device);
        let seqs: [&[u8]; 2] = [b"MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ", b"MEELLKKAWWPPGG"];
        let batch = SequenceBatch::new(&seqs, 16, &device);
        let weights = Tensor::<2>::random([2, 16], burn::tensor::Distribution::Normal(0.0, 1.0), &device);
        let grads = loss(&encoder, &batch, &weights).backward();
        let norm = |t: Option<Tensor<3>>| t.map(|t| t.abs().sum().into_scalar::<f32>()).unwrap_or(0.0);
        let stem = norm(encoder.stem.weight.val().grad(&grads));
        let blocks: Vec<f32> = encoder.blocks.iter().map(|b| norm(b.weight.val().grad(&grads))).collect();
        let embed = encoder.embedding.weight.val().grad(&grads).map(|t| t.abs().sum().into_scalar::<f32>()).unwrap_or(0.0);
        assert!(stem > 0.0 && embed > 0.0 && blocks.iter().all(|&b| b > 0.0), "stem {stem} embed {embed} blocks {blocks:?}");

        // Finite differences on a few stem weights (plain device, f32: a loose tolerance).
        let plain = encoder.valid();
        let pbatch = SequenceBatch::new(&seqs, 16, &Device::flex());
        let pweights = weights.clone().inner();
        let analytic = encoder.stem.weight.val().grad(&grads).unwrap().into_data().try_to_vec::<f32>().unwrap();
        let base = plain.stem.weight.val().into_data().try_to_vec::<f32>().unwrap();
        let shape = plain.stem.weight.val().dims();
        // The loss is piecewise linear in places (ReLU, max pooling): a weight whose nudge moves a
        // unit across a kink has no derivative there, and its left and right difference quotients
        // disagree. Such weights are set aside (the random draw depends on which tests share the
        // device's generator, so which ones sit on a kink varies); the smooth ones must match.
        let close = |x: f32, y: f32| (x - y).abs() <= 0.05 * (1.0 + y.abs());
        let mut report = Vec::new();
        let mut kinks = Vec::new();
        for idx in [0usize, 7, 31, 100, 150, 200, 250] {
            let eps = 1e-3f32;
            let at = |delta: f32| {
                let mut w = base.clone();
                w[idx] += delta;
                let mut e = plain.clone();
                e.stem.weight = burn::module::Param::from_data(TensorData::new(w, shape), &Device::flex());
                loss(&e, &pbatch, &pweights).into_scalar::<f32>()
            };
            let (minus, zero, plus) = (at(-eps), at(0.0), at(eps));
            let (left, right) = ((zero - minus) / eps, (plus - zero) / eps);
            if !close(left, right) {
                kinks.push((idx, left, right));
                continue;
            }
            report.push((idx, (plus - minus) / (2.0 * eps), analytic[idx]));
        }
        assert!(report.len() >= 4, "too many weights on a kink to check: {kinks:?}");
        let bad: Vec<_> = report.iter().filter(|(_, n, a)| !close(*n, *a)).collect();
        assert!(bad.is_empty(), "checked {report:?}, on a kink {kinks:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    /// The channels-last product computes what burn's own `Conv1d::forward` computes on
    /// channels-first input, for the stem's shape and every dilation the blocks use, at the
    /// ends of each row too (rows end in the batch's margin of zeros, as in a batch), and no
    /// row reads its neighbour.
    #[test]
    fn the_channels_last_convolution_equals_burns_conv1d() {
        let device = Device::flex();
        device.seed(11);
        let config = EncoderConfig::new().with_channels(8).with_embed_dim(4);
        let encoder = config.init(&device);
        let layers = std::iter::once((&encoder.stem, 4)).chain(encoder.blocks.iter().map(|b| (b, 8)));
        for (conv, c_in) in layers {
            // Rows as a batch lays them out: 21 positions of values, then the margin's zeros.
            let x = Tensor::<3>::random([3, 21, c_in], burn::tensor::Distribution::Normal(0.0, 1.0), &device);
            let x = Tensor::cat(vec![x, Tensor::zeros([3, ROW_MARGIN, c_in], &device)], 1);
            // The positions with values (the margin's own outputs are masked by the encoder).
            let real = |t: Tensor<3>| values(t.slice([0..3, 0..21]));
            let ours = real(conv_channels_last(conv, x.clone()));
            let burns = real(conv.forward(x.swap_dims(1, 2)).swap_dims(1, 2));
            assert_eq!(ours.len(), burns.len());
            let scale = burns.iter().fold(0f32, |m, v| m.max(v.abs()));
            assert!(scale > 0.0, "outputs are all zero: the comparison would prove nothing");
            let worst = ours.iter().zip(&burns).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
            assert!(worst <= 1e-5 * scale.max(1.0), "dilation {}: largest difference {worst}", conv.dilation);
        }
    }

    #[test]
    fn the_folded_stem_gives_the_same_features_and_pooling() {
        let device = Device::flex();
        device.seed(7);
        let encoder = EncoderConfig::new().with_channels(8).with_embed_dim(4).init(&device);
        // Windows of 16: a sequence cut in three, a two-residue one (mostly padding), one with
        // a non-standard letter.
        let seqs: [&[u8]; 3] = [b"MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ", b"MA", b"XWWPPGGKKLLMMNNU"];
        let batch = SequenceBatch::new(&seqs, 16, &device);
        let folded = encoder.fold_stem();
        let plain = values(encoder.residue_features(&batch));
        let fast = values(encoder.residue_features_with(&batch, Some(&folded)));
        assert_eq!(plain.len(), fast.len());
        let scale = plain.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!(scale > 0.0, "features are all zero: the comparison would prove nothing");
        let worst = plain.iter().zip(&fast).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst <= 1e-5 * scale.max(1.0), "largest difference {worst} (features up to {scale})");
        let pooled = values(encoder.forward(&batch));
        let pooled_fast = values(encoder.forward_with(&batch, Some(&folded)));
        let worst = pooled.iter().zip(&pooled_fast).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst <= 1e-5 * scale.max(1.0), "pooled features moved by {worst}");
    }
}

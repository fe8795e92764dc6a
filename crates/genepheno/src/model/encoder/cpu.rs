//! The encoder's inference forward on the CPU, computed on host buffers.
//!
//! The same layers and weights as [`SequenceEncoder::residue_features_with`] with the folded
//! stem, in the same order of float operations, so the features are the same numbers. What
//! differs is the memory traffic around the multiply-adds: through burn's tensor API every
//! convolution tap is a product into a new buffer, then a separate pass adds it to the sum, and
//! the bias, the ReLU, the mask and the residual are four more passes, each allocating; burn's
//! CPU backend fuses none of them. Here each block is `kernel` calls of the `gemm` crate (the
//! kernels burn's flex backend itself calls) that accumulate into one reused buffer
//! (`dst += x_tap * W_tap`), then one pass that adds bias, ReLU and mask into the residual
//! stream in place. The stem is a loop over the folded look-up tables, and the window max and
//! sum the pooling needs are taken in one last pass. In the native benchmark this path is what
//! moves the single-thread forward toward the CPU's peak (issue 14); the browser's CPU workers
//! run it too (burn's flex backend in WebAssembly, gemm's simd128 kernels).
//!
//! Only the inference forward lives here: training (autodiff) and WebGPU go through the tensor
//! path, and the tests below hold the two to the same features.

use burn::prelude::*;

use super::{EncoderConfig, FoldedStem, SequenceEncoder};
use crate::model::tokens::{PAD, SequenceBatch, VOCAB};

/// One residual convolution's weights on the host.
#[derive(Debug, Clone)]
struct Block {
    /// `[kernel][c_in][c_out]`, row-major: tap `t` is a `[c_in, c_out]` matrix.
    taps: Vec<f32>,
    bias: Vec<f32>,
    kernel: usize,
    dilation: usize,
}

impl Block {
    /// How far the block reaches to either side of a position.
    fn reach(&self) -> usize {
        EncoderConfig::half_width(self.kernel, self.dilation)
    }
}

/// The encoder's weights in host memory, laid out for [`Self::residue_features`].
#[derive(Debug, Clone)]
pub struct CpuEncoder {
    channels: usize,
    /// The folded stem: `[kernel][VOCAB][channels]`; the row of [`PAD`] is zero.
    stem: Vec<f32>,
    stem_kernel: usize,
    stem_bias: Vec<f32>,
    blocks: Vec<Block>,
    /// Zero positions kept before and after the batch's sequence: the furthest any block
    /// reaches, so that every tap of every position reads inside the buffer.
    guard: usize,
}

/// The features of a batch on the host, and the per-window reductions pooling needs.
#[derive(Debug, Clone)]
pub struct CpuFeatures {
    /// `[windows, length, channels]`, row-major, as the tensor path's features.
    pub values: Vec<f32>,
    /// `[windows, channels]`: each window's max over its positions.
    pub window_max: Vec<f32>,
    /// `[windows, channels]`: each window's sum over its positions.
    pub window_sum: Vec<f32>,
}

fn host(tensor: Tensor<1>) -> Vec<f32> {
    tensor.dequantize().into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 weights")
}

impl CpuEncoder {
    /// Reads `encoder`'s weights and the `folded` stem made from it into host memory. Only for
    /// a CPU device: it reads the tensors synchronously.
    pub fn new(encoder: &SequenceEncoder, folded: &FoldedStem) -> Self {
        let channels = folded.bias.dims()[2];
        let stem_kernel = folded.tables.len();
        let stem = folded.tables.iter().flat_map(|t| host(t.clone().reshape([VOCAB * channels]))).collect();
        let stem_bias = host(folded.bias.clone().reshape([channels]));
        let blocks: Vec<Block> = encoder
            .blocks
            .iter()
            .map(|conv| {
                let [c_out, c_in, kernel] = conv.weight.dims();
                assert!(c_in == channels && c_out == channels, "residual blocks keep the width");
                // [c_out, c_in, kernel] -> [kernel, c_in, c_out].
                let taps = host(conv.weight.val().dequantize().permute([2, 1, 0]).reshape([kernel * c_in * c_out]));
                let bias = match &conv.bias {
                    Some(bias) => host(bias.val()),
                    None => vec![0.0; c_out],
                };
                Block { taps, bias, kernel, dilation: conv.dilation }
            })
            .collect();
        let guard = blocks.iter().map(Block::reach).max().unwrap_or(0);
        Self { channels, stem, stem_kernel, stem_bias, blocks, guard }
    }

    /// Width of the features.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The residue features of `batch` (see the module docs): equal to the tensor path's.
    pub fn residue_features(&self, batch: &SequenceBatch) -> CpuFeatures {
        let [windows, length] = batch.tokens.dims();
        let c = self.channels;
        let positions = windows * length;
        let guard = self.guard;
        // The residual stream with `guard` zero positions at both ends.
        let mut x = vec![0f32; (positions + 2 * guard) * c];
        self.stem_into(batch, length, &mut x[guard * c..(guard + positions) * c]);
        let mut update = vec![0f32; positions * c];
        for block in &self.blocks {
            let h = block.reach();
            for t in 0..block.kernel {
                let tap = &x[(guard - h + t * block.dilation) * c..][..positions * c];
                let weights = &block.taps[t * c * c..][..c * c];
                accumulate_product(&mut update, tap, weights, positions, c, c, t > 0);
            }
            let stream = &mut x[guard * c..(guard + positions) * c];
            for ((out, sum), &token) in stream.chunks_exact_mut(c).zip(update.chunks_exact(c)).zip(&batch.host_tokens) {
                if token != PAD {
                    for ((o, &s), &b) in out.iter_mut().zip(sum).zip(&block.bias) {
                        *o += (s + b).max(0.0);
                    }
                }
            }
        }
        x.truncate((guard + positions) * c);
        x.drain(..guard * c);
        let (window_max, window_sum) = window_reductions(&x, windows, length, c);
        CpuFeatures { values: x, window_max, window_sum }
    }

    /// The folded stem, ReLU and mask into `out` (`[positions, channels]`).
    fn stem_into(&self, batch: &SequenceBatch, length: usize, out: &mut [f32]) {
        let c = self.channels;
        let half = self.stem_kernel / 2;
        let table = |k: usize, token: i64| &self.stem[(k * VOCAB + token as usize) * c..][..c];
        for (at, out) in out.chunks_exact_mut(c).enumerate() {
            if batch.host_tokens[at] == PAD {
                continue; // masked: stays zero
            }
            let (row_start, j) = (at - at % length, at % length);
            // Taps outside the window read padding, whose table rows are zero: skipped (adding
            // zero would change nothing).
            let first = half.saturating_sub(j);
            let last = (length - 1 - j + half).min(self.stem_kernel - 1);
            let mut seen = false;
            for k in first..=last {
                let token = batch.host_tokens[row_start + j + k - half];
                if token == PAD {
                    continue;
                }
                let row = table(k, token);
                if seen {
                    out.iter_mut().zip(row).for_each(|(o, &r)| *o += r);
                } else {
                    out.copy_from_slice(row);
                    seen = true;
                }
            }
            for (o, &b) in out.iter_mut().zip(&self.stem_bias) {
                *o = (*o + b).max(0.0);
            }
        }
    }
}

/// Each window's max and sum over its positions, per channel: `[windows, channels]` each.
fn window_reductions(features: &[f32], windows: usize, length: usize, c: usize) -> (Vec<f32>, Vec<f32>) {
    let mut max = vec![0f32; windows * c];
    let mut sum = vec![0f32; windows * c];
    for (w, rows) in features.chunks_exact(length * c).enumerate() {
        let (max, sum) = (&mut max[w * c..][..c], &mut sum[w * c..][..c]);
        for row in rows.chunks_exact(c) {
            for ((m, s), &v) in max.iter_mut().zip(sum.iter_mut()).zip(row) {
                *m = m.max(v);
                *s += v;
            }
        }
    }
    (max, sum)
}

/// `dst += lhs · rhs` (or `dst = lhs · rhs` when `accumulate` is false) for row-major
/// `dst` `[m, n]`, `lhs` `[m, k]` and `rhs` `[k, n]`, on the calling thread.
fn accumulate_product(dst: &mut [f32], lhs: &[f32], rhs: &[f32], m: usize, k: usize, n: usize, accumulate: bool) {
    assert!(dst.len() >= m * n && lhs.len() >= m * k && rhs.len() >= k * n, "matrix shapes exceed their buffers");
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: the three pointers come from live slices that hold every element the strides
    // reach (checked above: row-major, the last element of each is at `rows * cols - 1`);
    // `dst` is borrowed mutably, so it overlaps neither input; gemm runs on this thread only
    // (`Parallelism::None`) and returns before the borrows end.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.as_ptr(),
            1,
            k as isize,
            rhs.as_ptr(),
            1,
            n as isize,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    /// The product with and without accumulation, against a plain triple loop.
    #[test]
    fn the_product_accumulates_into_its_destination() {
        let (m, k, n) = (37, 11, 5);
        let lhs: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 13) as f32 - 6.0) / 4.0).collect();
        let rhs: Vec<f32> = (0..k * n).map(|i| ((i * 5 % 11) as f32 - 5.0) / 8.0).collect();
        let plain: Vec<f32> = (0..m * n)
            .map(|at| (0..k).map(|d| lhs[at / n * k + d] * rhs[d * n + at % n]).sum())
            .collect();
        let mut dst = vec![f32::NAN; m * n];
        accumulate_product(&mut dst, &lhs, &rhs, m, k, n, false);
        for (a, b) in dst.iter().zip(&plain) {
            assert!((a - b).abs() <= 1e-5, "{a} vs {b}");
        }
        accumulate_product(&mut dst, &lhs, &rhs, m, k, n, true);
        for (a, b) in dst.iter().zip(&plain) {
            assert!((a - 2.0 * b).abs() <= 1e-5, "{a} vs twice {b}");
        }
    }

    /// The CPU encoder gives the tensor path's features and window reductions on batches with
    /// several windows per gene, rows of different lengths, a gap and a non-standard letter.
    #[test]
    fn the_cpu_encoder_computes_the_tensor_encoders_features() {
        let device = Device::flex();
        device.seed(5);
        let encoder = EncoderConfig::new().with_channels(8).with_embed_dim(4).init(&device);
        let folded = encoder.fold_stem();
        let cpu = CpuEncoder::new(&encoder, &folded);
        let long = b"MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ";
        let seqs: [&[u8]; 4] = [long, b"MA", b"XWWPPG-GKKLLMMNNU", b"W"];
        let batch = SequenceBatch::new(&seqs, 16, &device);
        let tensors = encoder.residue_features_with(&batch, Some(&folded));
        let [windows, length, channels] = tensors.dims();
        let ours = cpu.residue_features(&batch);
        let theirs = values(tensors.clone());
        assert_eq!(ours.values.len(), theirs.len());
        let scale = theirs.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!(scale > 0.0, "features are all zero: the comparison would prove nothing");
        let worst = ours.values.iter().zip(&theirs).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst <= 1e-5 * scale.max(1.0), "largest difference {worst} (features up to {scale})");
        let max = values(tensors.clone().max_dim(1).reshape([windows, channels]));
        let sum = values(tensors.sum_dim(1).reshape([windows, channels]));
        assert_eq!(ours.window_max, max, "window maxima");
        let worst = ours.window_sum.iter().zip(&sum).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst <= 1e-4 * scale.max(1.0) * length as f32, "window sums differ by {worst}");
    }
}

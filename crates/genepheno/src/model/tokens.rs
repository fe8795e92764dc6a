//! Turning residues into the integer windows the encoder reads.
//!
//! Proteins range from a few residues to tens of thousands. Rather than truncate or fail, each
//! sequence is cut into near-equal windows of at most `window` residues; the encoder runs on every
//! window and the pooling in [`super::encoder`] merges a gene's windows again. Training and the
//! browser build batches with this same code, so padding and windowing cannot drift apart.

use burn::prelude::*;

/// Token of padding positions; its embedding is masked to zero.
pub const PAD: i64 = 0;
/// A residue taken out but kept in its place (residue maps, [`crate::regions`]): read as
/// padding, so the encoder sees nothing there, as at a window's end, and the pooled means do
/// not count it. The sequence parser never lets `-` through, so no input is read this way.
pub const GAP: u8 = b'-';
/// Size of the token vocabulary: padding, 20 standard residues, one "other" token.
pub const VOCAB: usize = 22;
const STANDARD: &[u8; 20] = b"ACDEFGHIKLMNPQRSTVWY";
pub use crate::batching::ROW_MARGIN;

/// Maps one residue letter (either case) to its token: 1..=20 for the standard amino acids,
/// 21 for anything else (X, U, B, Z, O, ...).
pub fn token(residue: u8) -> i64 {
    let upper = residue.to_ascii_uppercase();
    match STANDARD.iter().position(|&r| r == upper) {
        Some(i) => i as i64 + 1,
        None => VOCAB as i64 - 1,
    }
}

/// Splits `len` residues into near-equal windows of at most `window` residues; returns the
/// `(start, end)` ranges. An empty sequence yields no window.
pub fn windows(len: usize, window: usize) -> Vec<(usize, usize)> {
    assert!(window > 0, "window length must be positive");
    if len == 0 {
        return Vec::new();
    }
    let count = len.div_ceil(window);
    let size = len.div_ceil(count);
    (0..count).map(|i| (i * size, ((i + 1) * size).min(len))).collect()
}

/// A batch of sequences, cut into windows and laid out for the encoder.
#[derive(Debug, Clone)]
pub struct SequenceBatch {
    /// `[windows, length]` tokens, padded with [`PAD`]: `length` is the longest window plus
    /// [`ROW_MARGIN`].
    pub tokens: Tensor<2, Int>,
    /// The same tokens in host memory (row-major), for the folded stem's look-ups.
    pub host_tokens: Vec<i64>,
    /// `[windows, length, 1]`: 1 at residues, 0 at padding (broadcast over the encoder's
    /// channels-last features).
    pub mask: Tensor<3>,
    /// `[genes * max_windows]`: for each gene, its windows' rows, repeated to `max_windows`
    /// (repeating a window leaves a max unchanged), so max pooling is one `select`.
    pub window_slots: Tensor<1, Int>,
    /// `[genes, windows]`: 1 where the window belongs to the gene (sums over a gene's windows).
    pub membership: Tensor<2>,
    /// `[genes, 1]`: residues per gene (at least 1, so means never divide by zero).
    pub residues: Tensor<2>,
    /// Number of genes (sequences) in the batch.
    pub genes: usize,
    /// Largest number of windows of one gene.
    pub max_windows: usize,
}

impl SequenceBatch {
    /// Builds a batch from residue strings. Every sequence must be non-empty (the shared
    /// `sequence` module rejects empty records before they get here).
    pub fn new(sequences: &[&[u8]], window: usize, device: &Device) -> Self {
        assert!(!sequences.is_empty(), "a batch needs at least one sequence");
        let per_gene: Vec<Vec<(usize, usize)>> =
            sequences.iter().map(|s| windows(s.len(), window)).collect();
        assert!(per_gene.iter().all(|w| !w.is_empty()), "empty sequence in batch");
        let total: usize = per_gene.iter().map(Vec::len).sum();
        let length = per_gene
            .iter()
            .flatten()
            .map(|(a, b)| b - a)
            .max()
            .unwrap_or(1)
            + ROW_MARGIN;
        let max_windows = per_gene.iter().map(Vec::len).max().unwrap_or(1);
        let genes = sequences.len();

        let mut tokens = vec![PAD; total * length];
        let mut mask = vec![0f32; total * length];
        let mut slots = Vec::with_capacity(genes * max_windows);
        let mut membership = vec![0f32; genes * total];
        let mut residues = Vec::with_capacity(genes);
        let mut row = 0;
        for (g, (seq, ranges)) in sequences.iter().zip(&per_gene).enumerate() {
            let first = row;
            for &(a, b) in ranges {
                for (j, &r) in seq[a..b].iter().enumerate() {
                    if r != GAP {
                        tokens[row * length + j] = token(r);
                        mask[row * length + j] = 1.0;
                    }
                }
                membership[g * total + row] = 1.0;
                row += 1;
            }
            let count = ranges.len();
            slots.extend((0..max_windows).map(|k| (first + k % count) as i64));
            residues.push(seq.iter().filter(|&&r| r != GAP).count().max(1) as f32);
        }
        Self {
            tokens: Tensor::from_data(TensorData::new(tokens.clone(), [total, length]), device),
            host_tokens: tokens,
            mask: Tensor::from_data(TensorData::new(mask, [total, length, 1]), device),
            window_slots: Tensor::from_data(TensorData::new(slots, [genes * max_windows]), device),
            membership: Tensor::from_data(TensorData::new(membership, [genes, total]), device),
            residues: Tensor::from_data(TensorData::new(residues, [genes, 1]), device),
            genes,
            max_windows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_cover_standard_and_other_letters() {
        assert_eq!(token(b'A'), 1);
        assert_eq!(token(b'y'), 20);
        assert_eq!(token(b'X'), 21);
        assert_eq!(token(b'U'), 21);
    }

    #[test]
    fn windows_are_near_equal_and_cover_the_sequence() {
        assert_eq!(windows(0, 4), vec![]);
        assert_eq!(windows(3, 4), vec![(0, 3)]);
        assert_eq!(windows(4, 4), vec![(0, 4)]);
        // 10 residues, window 4: three windows of 4, 4, 2.
        assert_eq!(windows(10, 4), vec![(0, 4), (4, 8), (8, 10)]);
        // 9 residues, window 4: three windows of 3.
        assert_eq!(windows(9, 4), vec![(0, 3), (3, 6), (6, 9)]);
    }

    #[test]
    fn batch_layout_matches_windows() {
        let device = Device::flex();
        let batch = SequenceBatch::new(&[b"ACDEFGHIK", b"AC"], 4, &device);
        let length = 3 + ROW_MARGIN;
        assert_eq!(batch.tokens.dims(), [4, length]);
        assert_eq!(batch.genes, 2);
        assert_eq!(batch.max_windows, 3);
        let slots = batch.window_slots.into_data().iter::<i64>().collect::<Vec<_>>();
        assert_eq!(slots, vec![0, 1, 2, 3, 3, 3]);
        let mask = batch.mask.into_data().try_to_vec::<f32>().unwrap();
        let residues_per_row: Vec<f32> = mask.chunks(length).map(|row| row.iter().sum()).collect();
        assert_eq!(residues_per_row, vec![3., 3., 3., 2.]);
        // Residues first in each row, then padding only.
        assert!(mask.chunks(length).all(|row| row.windows(2).all(|p| p[0] >= p[1])));
        let member = batch.membership.into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(member, vec![1., 1., 1., 0., 0., 0., 0., 1.]);
        let tokens = batch.tokens.into_data().iter::<i64>().collect::<Vec<_>>();
        assert_eq!(&tokens[3 * length..3 * length + 3], &[1, 2, 0]);
        assert!(tokens.chunks(length).all(|row| row[3..].iter().all(|&t| t == PAD)));
    }

    #[test]
    fn a_gap_is_read_as_padding_in_its_place() {
        let device = Device::flex();
        let batch = SequenceBatch::new(&[b"AC--G"], 8, &device);
        let tokens = batch.tokens.into_data().iter::<i64>().collect::<Vec<_>>();
        assert_eq!(tokens[..5], [1, 2, PAD, PAD, 6]);
        let mask = batch.mask.into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(mask[..5], [1., 1., 0., 0., 1.]);
        assert!(mask[5..].iter().all(|&m| m == 0.0));
        assert_eq!(batch.residues.into_data().try_to_vec::<f32>().unwrap(), vec![3.0]);
    }
}

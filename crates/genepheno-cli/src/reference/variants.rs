//! Changed copies of real proteins, for measuring how the reference set recognises a protein a
//! user gives with a few differences (a variant, an isoform, a fragment): used by the reference
//! set's tests and by its measurements (`benches/reference_set.rs`). Deterministic for a seed.

use genepheno::rng::SplitMix64;

/// The 20 standard amino acids.
const AMINO: &[u8] = b"ACDEFGHIKLMNPQRSTVWY";

/// `rate` of the residues (at least one) replaced by a different standard amino acid.
pub fn substitute(seq: &[u8], rate: f64, rng: &mut SplitMix64) -> Vec<u8> {
    let mut out = seq.to_vec();
    let mut positions: Vec<usize> = (0..seq.len()).collect();
    rng.shuffle(&mut positions);
    let n = ((seq.len() as f64 * rate).round() as usize).max(1);
    for &p in &positions[..n] {
        let old = out[p];
        loop {
            let new = AMINO[(rng.next_u64() % 20) as usize];
            if new != old {
                out[p] = new;
                break;
            }
        }
    }
    out
}

/// A contiguous `keep` share of the protein at a random offset (N- and C-terminal loss mixed).
pub fn truncate(seq: &[u8], keep: f64, rng: &mut SplitMix64) -> Vec<u8> {
    let n = ((seq.len() as f64 * keep).round() as usize).max(1);
    let start = (rng.next_u64() % (seq.len() - n + 1) as u64) as usize;
    seq[start..start + n].to_vec()
}

/// `n` distinct indices below `of`, drawn with `seed`.
pub fn sample(n: usize, of: usize, seed: u64) -> Vec<usize> {
    let mut all: Vec<usize> = (0..of).collect();
    SplitMix64::new(seed).shuffle(&mut all);
    all.truncate(n);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_substituted_copy_differs_at_the_rate_asked_and_a_truncated_one_is_a_piece() {
        let protein: Vec<u8> = AMINO.iter().cycle().take(400).copied().collect();
        let mut rng = SplitMix64::new(1);
        let changed = substitute(&protein, 0.05, &mut rng);
        assert_eq!(changed.len(), 400);
        assert_eq!(changed.iter().zip(&protein).filter(|(a, b)| a != b).count(), 20);
        assert_eq!(substitute(b"M", 0.001, &mut rng).len(), 1, "at least one residue changes");
        assert_ne!(substitute(b"M", 0.001, &mut rng), b"M");
        let piece = truncate(&protein, 0.8, &mut rng);
        assert_eq!(piece.len(), 320);
        assert!(protein.windows(320).any(|w| w == piece.as_slice()));
        let drawn = sample(50, 100, 3);
        assert_eq!(drawn.len(), 50);
        assert_eq!(drawn.iter().collect::<std::collections::BTreeSet<_>>().len(), 50);
        assert_eq!(drawn, sample(50, 100, 3));
    }
}

//! Sequence fingerprints: an exact digest of the residues, and a b-bit one-permutation MinHash
//! sketch of the amino-acid k-mers.
//!
//! Why this sketch: the browser must hold all ~17,000 human proteins in well under 1.5 MB, so a
//! full sequence (or even 32-bit MinHash values) per protein is too large. One-permutation hashing
//! splits the hash space into `bins` bins and keeps, per bin, the k-mer with the smallest hash;
//! only 8 bits of that k-mer's hash (taken from other bits than the ones that decide the minimum)
//! are stored. Two proteins agree in a bin with probability J + (1 - J)/255, where J is the
//! Jaccard index of their k-mer sets, so J is estimated from the share of agreeing bins
//! (Li & König's b-bit MinHash; Li, Owen & Zhang's one-permutation hashing).
//!
//! Everything here is defined bit for bit (no `std` hasher, no platform-dependent width), so a
//! sketch computed in the browser equals the one the native tool stored.

use crate::rng::mix;

/// Bins whose k-mer set is empty (protein shorter than k, or a short protein leaving some bins
/// without a k-mer) hold this value; real values are 1..=255.
pub const EMPTY: u8 = 0;

/// Probability that two different k-mers leave the same stored byte in a bin (values 1..=255).
const COLLISION: f64 = 1.0 / 255.0;

/// Sketch shape, stored in the file header so decoding never guesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SketchParams {
    /// Amino-acid k-mer length (1..=12; each residue takes 5 bits of a 64-bit code).
    pub k: u8,
    /// Number of one-permutation bins, i.e. bytes per protein (1..=1024).
    pub bins: u16,
}

impl SketchParams {
    /// The shipped choice, measured on the human proteins (figures in public/models/README.md):
    /// k = 5 and 32 bins (32 bytes per protein). More bins raised recall at 3 % substitutions but
    /// not the paralogue figures, and 64 bins would not fit the 1.5 MB budget.
    pub const DEFAULT: SketchParams = SketchParams { k: 5, bins: 32 };

    pub(crate) fn check(self) -> Result<Self, String> {
        if !(1..=12).contains(&self.k) || !(1..=1024).contains(&self.bins) {
            return Err(format!("sketch parameters out of range: k = {}, bins = {}", self.k, self.bins));
        }
        Ok(self)
    }
}

/// The residues as the reference set compares them: ASCII upper-case, one trailing `*` removed.
/// This is what `genepheno::sequence` already yields for a record's protein, so normalising again
/// is a no-op there; it makes the digest robust to callers that pass raw text.
pub fn normalise(residues: &[u8]) -> Vec<u8> {
    let residues = residues.strip_suffix(b"*").unwrap_or(residues);
    residues.iter().map(u8::to_ascii_uppercase).collect()
}

/// 64-bit digest of normalised residues (FNV-1a, then the SplitMix64 finaliser for avalanche).
/// Not cryptographic: it tells a known protein from a different one, it does not resist a
/// deliberately crafted collision (which could only make the page label a sequence wrongly).
pub fn digest(normalised: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in normalised {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h ^ normalised.len() as u64)
}

/// The one-permutation b-bit MinHash sketch of normalised residues: `bins` bytes.
pub fn sketch(normalised: &[u8], params: SketchParams) -> Vec<u8> {
    let bins = usize::from(params.bins);
    let k = usize::from(params.k);
    // Per bin: the smallest 32-bit rank seen, and the byte stored for that k-mer.
    let mut best = vec![(u32::MAX, EMPTY); bins];
    let mask: u64 = if k * 5 >= 64 { u64::MAX } else { (1u64 << (5 * k)) - 1 };
    let mut code: u64 = 0;
    for (i, &b) in normalised.iter().enumerate() {
        // A-Z -> 1..=26, anything else -> 27..=31 (stable, never 0 so "AAAA" != "").
        let c = if b.is_ascii_uppercase() { u64::from(b - b'A' + 1) } else { 27 + u64::from(b % 5) };
        code = ((code << 5) | c) & mask;
        if i + 1 < k {
            continue;
        }
        let h = mix(code ^ 0x6a09_e667_f3bc_c908);
        // Bits 40..64 choose the bin, bits 0..32 rank within the bin, bits 32..40 are stored.
        let bin = (((h >> 40) * bins as u64) >> 24) as usize;
        let rank = h as u32;
        let slot = &mut best[bin];
        if rank < slot.0 || slot.1 == EMPTY {
            let tag = ((h >> 32) & 0xFF) as u8;
            *slot = (rank, if tag == EMPTY { 1 } else { tag });
        }
    }
    best.into_iter().map(|(_, tag)| tag).collect()
}

/// Distinct k-mers a protein of `length` residues is assumed to have (length - k + 1). Repeats
/// make the true count smaller; the estimate then errs towards lower similarity, never higher.
pub fn kmer_count(length: u32, k: u8) -> f64 {
    f64::from(length.saturating_sub(u32::from(k)) + 1).max(1.0)
}

/// Agreement between two sketches: bins non-empty in both, and how many of those hold the same
/// byte.
pub fn agreement(a: &[u8], b: &[u8]) -> (u16, u16) {
    let (mut compared, mut matching) = (0u16, 0u16);
    for (&x, &y) in a.iter().zip(b) {
        if x != EMPTY && y != EMPTY {
            compared += 1;
            matching += u16::from(x == y);
        }
    }
    (matching, compared)
}

/// Probability that two unrelated proteins agree in at least `matching` of `compared` bins by
/// chance alone (each bin independently with the [`COLLISION`] probability): the binomial upper
/// tail, summed in log space so that a thousand bins stay finite.
pub fn chance_agreement(matching: u16, compared: u16) -> f64 {
    let n = u32::from(compared);
    let (ln_p, ln_q) = (COLLISION.ln(), (1.0 - COLLISION).ln());
    // ln C(n, k), built up from k = 0.
    let mut ln_choose = 0.0f64;
    let mut tail = 0.0;
    for k in 0..=n {
        if k > 0 {
            ln_choose += f64::from(n - k + 1).ln() - f64::from(k).ln();
        }
        if k >= u32::from(matching) {
            tail += (ln_choose + f64::from(k) * ln_p + f64::from(n - k) * ln_q).exp();
        }
    }
    tail.min(1.0)
}

/// Estimated Jaccard index of the k-mer sets from `matching` of `compared` bins, corrected for
/// the 1/255 chance that two different k-mers store the same byte.
pub fn jaccard(matching: u16, compared: u16) -> f64 {
    if compared == 0 {
        return 0.0;
    }
    let p = f64::from(matching) / f64::from(compared);
    ((p - COLLISION) / (1.0 - COLLISION)).clamp(0.0, 1.0)
}

/// Containment of the shorter protein's k-mers in the longer one's, derived from the Jaccard
/// estimate and the two k-mer counts: |A ∩ B| = J (|A| + |B|) / (1 + J).
pub fn containment(jaccard: f64, count_a: f64, count_b: f64) -> f64 {
    let shared = jaccard * (count_a + count_b) / (1.0 + jaccard);
    (shared / count_a.min(count_b)).clamp(0.0, 1.0)
}

/// Mash-style identity estimate: if residues differ by independent substitutions at rate d, a
/// k-mer survives with probability (1 - d)^k, so identity ≈ containment^(1/k). It is an estimate
/// over the shorter protein's length, from k-mers, not an alignment; insertions, deletions and
/// clustered differences make it err low.
pub fn identity_from_containment(containment: f64, k: u8) -> f64 {
    if containment <= 0.0 { 0.0 } else { containment.powf(1.0 / f64::from(k)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tail against figures worked by hand: P(X >= 1) = 1 - (254/255)^32, P(X >= 3) ~ 3e-4
    /// for 32 bins; nothing is certain but agreeing in no bin at all.
    #[test]
    fn chance_agreement_is_the_binomial_tail() {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.max(1e-300);
        assert!(close(chance_agreement(0, 32), 1.0));
        assert!(close(chance_agreement(1, 32), 1.0 - (254.0f64 / 255.0).powi(32)));
        let three = chance_agreement(3, 32);
        assert!((2.5e-4..3.5e-4).contains(&three), "{three}");
        assert!(chance_agreement(5, 32) < 2e-7 && chance_agreement(5, 32) > 1e-7);
        assert_eq!(chance_agreement(33, 32), 0.0);
        assert!(chance_agreement(600, 1024).is_finite());
    }

    #[test]
    fn normalise_upper_cases_and_drops_one_trailing_stop() {
        assert_eq!(normalise(b"mkv*"), b"MKV");
        assert_eq!(normalise(b"MKV"), b"MKV");
        assert_eq!(digest(&normalise(b"mkv*")), digest(b"MKV"));
        assert_ne!(digest(b"MKV"), digest(b"MKW"));
        assert_ne!(digest(b""), digest(b"A"));
    }

    #[test]
    fn digest_is_fixed_bit_for_bit() {
        // Pinned (value computed independently from the FNV-1a and SplitMix64 definitions), so a
        // change of the function, which would silently break every shipped file, fails here.
        assert_eq!(digest(b"MKV"), 0xeb03c455de392ba8);
    }

    #[test]
    fn identical_sequences_agree_in_every_bin_and_unrelated_ones_rarely() {
        let p = SketchParams { k: 5, bins: 32 };
        let a: Vec<u8> = (0..400u32).map(|i| b"ACDEFGHIKLMNPQRSTVWY"[((i * 7 + i / 3) % 20) as usize]).collect();
        let b: Vec<u8> = (0..400u32).map(|i| b"ACDEFGHIKLMNPQRSTVWY"[((i * 13 + i * i) % 20) as usize]).collect();
        let (m, n) = agreement(&sketch(&a, p), &sketch(&a, p));
        assert_eq!((m, jaccard(m, n)), (n, 1.0));
        let (m, n) = agreement(&sketch(&a, p), &sketch(&b, p));
        assert!(jaccard(m, n) < 0.2, "{m}/{n}");
    }

    #[test]
    fn short_proteins_leave_bins_empty() {
        let p = SketchParams { k: 5, bins: 32 };
        assert!(sketch(b"MKV", p).iter().all(|&b| b == EMPTY));
        let s = sketch(b"MKVLAAGIV", p);
        let filled = s.iter().filter(|&&b| b != EMPTY).count();
        assert!((1..=5).contains(&filled), "{filled}");
    }

    #[test]
    fn estimates_follow_the_formulas() {
        assert_eq!(jaccard(0, 0), 0.0);
        assert!((containment(1.0, 100.0, 100.0) - 1.0).abs() < 1e-12);
        // A 20 % truncation: the shorter set lies inside the longer, J = 0.8.
        assert!((containment(0.8, 80.0, 100.0) - 1.0).abs() < 1e-12);
        assert!((identity_from_containment(0.95f64.powi(5), 5) - 0.95).abs() < 1e-12);
    }
}

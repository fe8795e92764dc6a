//! Translation of nucleotide coding sequences with the standard genetic code (NCBI table 1).

/// Amino acid for each codon, indexed by base (T=0, C=1, A=2, G=3) as 16*first + 4*second + third:
/// the usual TCAG ordering of the codon table.
const STANDARD_CODE: &[u8; 64] =
    b"FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG";

fn base_index(base: u8) -> Option<usize> {
    match base.to_ascii_uppercase() {
        b'T' | b'U' => Some(0),
        b'C' => Some(1),
        b'A' => Some(2),
        b'G' => Some(3),
        _ => None,
    }
}

/// The residue a codon codes for; `X` when a base is ambiguous (N, R, Y, ...), `*` for a stop.
pub fn translate_codon(codon: &[u8]) -> u8 {
    match (base_index(codon[0]), base_index(codon[1]), base_index(codon[2])) {
        (Some(a), Some(b), Some(c)) => STANDARD_CODE[16 * a + 4 * b + c],
        _ => b'X',
    }
}

/// Result of translating frame 1.
#[derive(Debug, PartialEq, Eq)]
pub struct Translation {
    /// Residues up to (not including) the first stop codon.
    pub protein: String,
    /// 1-based nucleotide position where the first in-frame stop codon begins, if there is one.
    pub stop_at: Option<usize>,
    /// Nucleotides not translated: those after the stop codon, or a trailing partial codon.
    pub untranslated: usize,
}

/// Translates the first reading frame up to the first in-frame stop codon.
pub fn translate_first_frame(nucleotides: &[u8]) -> Translation {
    let mut protein = String::with_capacity(nucleotides.len() / 3);
    for (i, codon) in nucleotides.chunks_exact(3).enumerate() {
        let residue = translate_codon(codon);
        if residue == b'*' {
            let after = nucleotides.len() - 3 * (i + 1);
            return Translation { protein, stop_at: Some(3 * i + 1), untranslated: after };
        }
        protein.push(residue as char);
    }
    Translation { protein, stop_at: None, untranslated: nucleotides.len() % 3 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_code_spot_checks() {
        for (codon, aa) in [
            ("ATG", b'M'), ("TGG", b'W'), ("TAA", b'*'), ("TAG", b'*'), ("TGA", b'*'),
            ("GCC", b'A'), ("AGA", b'R'), ("CGT", b'R'), ("TTA", b'L'), ("CTG", b'L'),
            ("ATA", b'I'), ("GGG", b'G'), ("TCT", b'S'), ("AGC", b'S'), ("AUG", b'M'),
            ("NNN", b'X'), ("ATR", b'X'),
        ] {
            assert_eq!(translate_codon(codon.as_bytes()), aa, "{codon}");
        }
    }

    #[test]
    fn all_64_codons_give_20_amino_acids_and_3_stops() {
        let mut stops = 0;
        let mut seen = std::collections::BTreeSet::new();
        for a in b"TCAG" {
            for b in b"TCAG" {
                for c in b"TCAG" {
                    match translate_codon(&[*a, *b, *c]) {
                        b'*' => stops += 1,
                        aa => {
                            seen.insert(aa);
                        }
                    }
                }
            }
        }
        assert_eq!(stops, 3);
        assert_eq!(seen.len(), 20);
    }

    #[test]
    fn stops_at_first_in_frame_stop() {
        let t = translate_first_frame(b"ATGGCCTAAGGG");
        assert_eq!(t, Translation { protein: "MA".into(), stop_at: Some(7), untranslated: 3 });
        // ATG ATA AGC: the "TAA" at nucleotide 5 is out of frame and is not a stop.
        let t = translate_first_frame(b"ATGATAAGC");
        assert_eq!(t, Translation { protein: "MIS".into(), stop_at: None, untranslated: 0 });
    }

    #[test]
    fn partial_trailing_codon_is_counted() {
        let t = translate_first_frame(b"ATGGCCGA");
        assert_eq!(t, Translation { protein: "MA".into(), stop_at: None, untranslated: 2 });
    }
}

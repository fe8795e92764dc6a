//! Validation of one record's letters: protein or nucleotide, translation, alphabet and length
//! policy. Everything found is returned as problems; the caller decides nothing on its own.

use super::policy::{MAX_NUCLEOTIDES, MAX_RESIDUES, MIN_TRANSLATED_RESIDUES};
use super::translate::translate_first_frame;
use super::{Problem, SequenceKind};

/// Letters read as amino acids beyond the standard twenty: B (D/N), Z (E/Q), J (I/L), U
/// (selenocysteine), O (pyrrolysine), X (unknown). The model reads them as "unknown residue".
const NON_STANDARD: &[u8] = b"BJOUXZ";

/// IUPAC nucleotide letters (with U and the ambiguity codes).
const NUCLEOTIDE_LETTERS: &[u8] = b"ACGTUNRYSWKMBDHV";

/// The plain nucleotide letters: a record made only of these is nucleotide at any length (a
/// protein of nothing but Ala, Cys, Gly, Thr and Asn is not a protein anyone pastes, while short
/// DNA reads and primers are).
const PLAIN_NUCLEOTIDES: &[u8] = b"ACGTUN";

/// From this length on, a record with a few IUPAC ambiguity codes (R, Y, S, ...: letters that are
/// also amino acids) among mostly plain nucleotides is read as nucleotide too.
const MIN_AMBIGUOUS_NUCLEOTIDE_RECORD: usize = 30;

/// What the record's letters amount to.
#[derive(Debug, PartialEq)]
pub struct Checked {
    pub kind: SequenceKind,
    pub protein: Option<String>,
    pub problems: Vec<Problem>,
}

/// Checks a record's sequence (line breaks already removed).
///
/// Layout is not sequence: whitespace inside lines, and position numbers (those of a GenBank or
/// EMBL flat file: `61 mkvlaagiva llllaaagcs`), are skipped; the latter with a note. A number is
/// a position number when it stands alone between spaces, or when it touches letters but gives
/// the position of the residue after it or before it: the line breaks are gone by now, so a
/// GenBank line whose indentation was lost reads `...llllaaagcs61 mkvl...`. Any other digit
/// among the letters stays an error.
pub fn check(raw: &[u8]) -> Checked {
    let mut letters = Vec::with_capacity(raw.len());
    let mut position_numbers = 0;
    for token in raw.split(u8::is_ascii_whitespace).filter(|t| !t.is_empty()) {
        if token.iter().all(u8::is_ascii_digit) {
            position_numbers += 1;
            continue;
        }
        for run in token.chunk_by(|a, b| a.is_ascii_digit() == b.is_ascii_digit()) {
            let position = std::str::from_utf8(run).ok().filter(|_| run[0].is_ascii_digit()).and_then(|n| n.parse::<usize>().ok());
            if position.is_some_and(|p| p == letters.len() + 1 || p == letters.len()) {
                position_numbers += 1;
            } else {
                letters.extend(run.iter().map(u8::to_ascii_uppercase));
            }
        }
    }
    if letters.is_empty() {
        return Checked { kind: SequenceKind::Unreadable, protein: None, problems: vec![Problem::Empty] };
    }
    let mut checked = if looks_like_nucleotides(&letters) {
        check_nucleotides(&letters)
    } else {
        let (protein, problems) = check_protein(&letters);
        let kind = if protein.is_some() { SequenceKind::Protein } else { SequenceKind::Unreadable };
        Checked { kind, protein, problems }
    };
    if position_numbers > 0 {
        checked.problems.insert(0, Problem::PositionNumbersSkipped { count: position_numbers });
    }
    checked
}

/// Decided by the alphabet, not the length: only plain nucleotide letters is nucleotide (a too
/// short one then fails translation with its own message, instead of being scored as a peptide);
/// a longer record may also hold a few ambiguity codes.
fn looks_like_nucleotides(letters: &[u8]) -> bool {
    let plain = letters.iter().filter(|b| PLAIN_NUCLEOTIDES.contains(b)).count();
    if plain == letters.len() {
        return true;
    }
    letters.len() >= MIN_AMBIGUOUS_NUCLEOTIDE_RECORD
        && plain * 100 >= letters.len() * 95
        && letters.iter().all(|b| NUCLEOTIDE_LETTERS.contains(b))
}

fn check_nucleotides(letters: &[u8]) -> Checked {
    if letters.len() > MAX_NUCLEOTIDES {
        return Checked {
            kind: SequenceKind::Nucleotide,
            protein: None,
            problems: vec![Problem::TooLongNucleotide { length: letters.len() }],
        };
    }
    let translation = translate_first_frame(letters);
    let residues = translation.protein.len();
    if residues < MIN_TRANSLATED_RESIDUES {
        return Checked {
            kind: SequenceKind::Nucleotide,
            protein: None,
            problems: vec![Problem::Untranslatable { residues, stop_at: translation.stop_at }],
        };
    }
    let mut problems = vec![Problem::Translated {
        stop_at: translation.stop_at,
        untranslated: translation.untranslated,
    }];
    if !letters.starts_with(b"ATG") && !letters.starts_with(b"AUG") {
        problems.push(Problem::NoStartCodon {
            start: String::from_utf8_lossy(&letters[..3]).into_owned(),
        });
    }
    let (protein, more) = check_protein(translation.protein.as_bytes());
    problems.extend(more);
    Checked {
        kind: SequenceKind::TranslatedCds {
            nucleotides: letters.len(),
            stopped_at_codon: translation.stop_at.is_some(),
        },
        protein,
        problems,
    }
}

/// Checks upper-cased amino-acid letters; returns the protein if it can be scored.
fn check_protein(letters: &[u8]) -> (Option<String>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut letters = letters;
    if let Some(rest) = letters.strip_suffix(b"*") {
        letters = rest;
        problems.push(Problem::TrailingStopRemoved);
    }
    if letters.is_empty() {
        return (None, vec![Problem::Empty]);
    }
    let mut fatal = false;
    if let Some(i) = letters.iter().position(|&b| b == b'*') {
        problems.push(Problem::InternalStop { position: i + 1 });
        fatal = true;
    }
    let is_invalid = |b: &u8| !b.is_ascii_uppercase() && *b != b'*';
    if let Some(i) = letters.iter().position(is_invalid) {
        let letter = String::from_utf8_lossy(&letters[i..]).chars().next().unwrap_or('?');
        let count = letters.iter().filter(|b| is_invalid(b)).count();
        problems.push(Problem::InvalidLetter { position: char_position(letters, i), letter, count });
        fatal = true;
    }
    if letters.len() > MAX_RESIDUES {
        problems.push(Problem::TooLong { length: letters.len() });
        fatal = true;
    }
    if fatal {
        return (None, problems);
    }
    let unusual: Vec<u8> = letters.iter().copied().filter(|b| NON_STANDARD.contains(b)).collect();
    if !unusual.is_empty() {
        let mut kinds = unusual.clone();
        kinds.sort_unstable();
        kinds.dedup();
        problems.push(Problem::NonStandardResidues {
            letters: kinds.iter().map(|&b| (b as char).to_string()).collect::<Vec<_>>().join(", "),
            count: unusual.len(),
        });
    }
    if letters.len() < 10 {
        problems.push(Problem::VeryShort { length: letters.len() });
    }
    // Only ASCII upper-case letters remain, so the bytes are valid UTF-8.
    (Some(String::from_utf8(letters.to_vec()).expect("ASCII letters")), problems)
}

/// 1-based position counted in characters (a non-ASCII character counts once).
fn char_position(letters: &[u8], byte_index: usize) -> usize {
    String::from_utf8_lossy(&letters[..byte_index]).chars().count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protein_is_upper_cased_and_trailing_stop_noted() {
        let c = check(b"mkv LAA\tgi*");
        assert_eq!(c.kind, SequenceKind::Protein);
        assert_eq!(c.protein.as_deref(), Some("MKVLAAGI"));
        assert_eq!(c.problems, vec![Problem::TrailingStopRemoved, Problem::VeryShort { length: 8 }]);
    }

    #[test]
    fn invalid_letters_report_first_position_and_count() {
        let c = check(b"MKV-LA1A");
        assert_eq!(c.protein, None);
        assert_eq!(c.problems, vec![Problem::InvalidLetter { position: 4, letter: '-', count: 2 }]);
        let c = check("MKVαA".as_bytes());
        assert_eq!(c.problems, vec![Problem::InvalidLetter { position: 4, letter: 'α', count: 2 }]);
    }

    #[test]
    fn internal_stop_is_an_error() {
        let c = check(b"MKVL*AAGIVALLLGG");
        assert_eq!(c.problems, vec![Problem::InternalStop { position: 5 }]);
        assert_eq!(c.protein, None);
    }

    #[test]
    fn empty_sequences() {
        assert_eq!(check(b"").problems, vec![Problem::Empty]);
        assert_eq!(check(b"  ").problems, vec![Problem::Empty]);
        assert_eq!(check(b"*").problems, vec![Problem::Empty]);
    }

    #[test]
    fn non_standard_residues_are_noted_not_refused() {
        let c = check(b"MKVUXAAGIVALLLGG");
        assert!(c.protein.is_some());
        assert_eq!(
            c.problems,
            vec![Problem::NonStandardResidues { letters: "U, X".into(), count: 2 }]
        );
    }

    #[test]
    fn length_policy() {
        let titin_sized = vec![b'A'; 34_350];
        assert!(check(&titin_sized).protein.is_some());
        let too_long = vec![b'L'; MAX_RESIDUES + 1];
        let c = check(&too_long);
        assert_eq!(c.problems, vec![Problem::TooLong { length: MAX_RESIDUES + 1 }]);
    }

    #[test]
    fn coding_sequence_is_translated() {
        // ATG + 40 GCC codons + TAA: M followed by 40 alanines.
        let cds = format!("ATG{}TAA", "GCC".repeat(40));
        let c = check(cds.to_lowercase().as_bytes());
        assert_eq!(c.kind, SequenceKind::TranslatedCds { nucleotides: 126, stopped_at_codon: true });
        assert_eq!(c.protein.as_deref(), Some(format!("M{}", "A".repeat(40)).as_str()));
        assert_eq!(c.problems, vec![Problem::Translated { stop_at: Some(124), untranslated: 0 }]);
    }

    #[test]
    fn nucleotides_that_stop_early_are_explained() {
        let c = check(format!("ATGTAG{}", "GCC".repeat(40)).as_bytes());
        assert_eq!(c.kind, SequenceKind::Nucleotide);
        assert_eq!(c.protein, None);
        assert_eq!(c.problems, vec![Problem::Untranslatable { residues: 1, stop_at: Some(4) }]);
    }

    #[test]
    fn genbank_position_numbers_are_layout() {
        let c = check(b"        1 mkvlaagiva llllaaagcs\n       21 sseetpa");
        assert_eq!(c.protein.as_deref(), Some("MKVLAAGIVALLLLAAAGCSSSEETPA"));
        assert_eq!(c.problems, vec![Problem::PositionNumbersSkipped { count: 2 }]);
        // Lines whose indentation was lost, joined: the number touching the letters is the
        // position of the residue after it, so it is layout too.
        let c = check(b"1 mkvlaagiva llllaaagcs21 sseetpa");
        assert_eq!(c.protein.as_deref(), Some("MKVLAAGIVALLLLAAAGCSSSEETPA"));
        assert_eq!(c.problems, vec![Problem::PositionNumbersSkipped { count: 2 }]);
        // A digit inside the letters that is no position is not layout.
        assert!(matches!(check(b"MKV1LLAAGG").problems[..], [Problem::InvalidLetter { position: 4, .. }]));
        assert!(matches!(check(b"MKVL7AAGG").problems[..], [Problem::InvalidLetter { position: 5, .. }]));
    }

    #[test]
    fn nucleotide_letters_are_nucleotide_at_any_length() {
        // A 25-nt DNA read: 8 codons are too few for a protein, so it is not scored.
        let c = check(b"CCCTTCTTGTCTTCAGCGTTTCTCC");
        assert_eq!(c.kind, SequenceKind::Nucleotide);
        assert_eq!(c.protein, None);
        assert_eq!(c.problems, vec![Problem::Untranslatable { residues: 8, stop_at: None }]);
        assert_eq!(check(b"gattaca").kind, SequenceKind::Nucleotide);
        // One letter outside the nucleotide alphabet makes a short record a peptide again.
        assert_eq!(check(b"GATTACAK").kind, SequenceKind::Protein);
        // Ambiguity codes that are also amino acids need a longer record to read as DNA.
        assert_eq!(check(b"ACGRYACGT").kind, SequenceKind::Protein);
        let long = format!("ATG{}R{}TAA", "GCC".repeat(20), "GCA".repeat(20));
        assert!(matches!(check(long.as_bytes()).kind, SequenceKind::TranslatedCds { .. }));
    }
}

//! Getting sequences in: the one parser and validator that both the browser and the native tools
//! use, so a record accepted (or refused, with the same message) in one is treated alike in the
//! other.
//!
//! The flow is `bytes -> input::decode -> Parser (FASTA records via noodles-fasta) -> residues::check`.
//! Every problem is attached to the record it concerns (or to the file, when the file as a whole is
//! not FASTA), and a record with a problem is still listed: nothing a user gave disappears silently.

mod input;
mod parser;
mod policy;
mod problem;
mod residues;
mod translate;

pub use input::{DecodeError, Decoded, decode};
pub use parser::{Identifiers, ParseOutcome, Parser, file_problem, parse_all};
pub use policy::{MAX_NUCLEOTIDES, MAX_RESIDUES, MIN_TRANSLATED_RESIDUES, POLICY_TEXT};
pub use problem::{FileProblem, Problem, Severity};
pub use translate::translate_first_frame;

use serde::{Deserialize, Serialize};

/// What a record's letters were read as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SequenceKind {
    /// Amino acids, used as given (upper-cased).
    Protein,
    /// A nucleotide coding sequence translated with the standard genetic code, first frame,
    /// up to the first in-frame stop codon.
    TranslatedCds {
        /// Nucleotides in the record.
        nucleotides: usize,
        /// Whether translation ended at an in-frame stop codon (rather than at the end).
        stopped_at_codon: bool,
    },
    /// Nucleotides that do not translate to a plausible protein (see the record's problems).
    Nucleotide,
    /// Letters that are neither a valid protein nor nucleotide sequence, or no letters at all.
    Unreadable,
}

impl SequenceKind {
    /// Short label for lists and tables.
    pub fn label(&self) -> &'static str {
        match self {
            SequenceKind::Protein => "protein",
            SequenceKind::TranslatedCds { .. } => "DNA → protein",
            SequenceKind::Nucleotide => "nucleotide",
            SequenceKind::Unreadable => "unreadable",
        }
    }
}

/// One FASTA record as the user gave it, with the protein the model will read (if any).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SequenceRecord {
    /// 1-based position of the record in its source, counting every record given.
    pub number: usize,
    /// The source the record came from (file name, or "pasted text").
    pub source: String,
    /// Identifier: the header's first word, made unique within the session if it was repeated
    /// (the problem list says so), or a generated one for a record without a header.
    pub id: String,
    /// The rest of the header line, if any.
    pub description: String,
    /// Letters in the record as given (after removing line breaks), before any translation.
    pub given_length: usize,
    pub kind: SequenceKind,
    /// The protein sequence that will be scored; `None` when the record cannot be used.
    pub protein: Option<String>,
    /// Everything noticed about this record, errors and notes alike.
    pub problems: Vec<Problem>,
}

impl SequenceRecord {
    /// Whether the record can be scored.
    pub fn is_ready(&self) -> bool {
        self.protein.is_some()
    }

    /// Length of the protein to be scored (0 when not usable).
    pub fn protein_length(&self) -> usize {
        self.protein.as_ref().map_or(0, String::len)
    }
}

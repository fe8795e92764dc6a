//! What can be wrong with an input, worded for the person who has to fix it: what, where, and
//! what to do about it.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::policy::{MAX_NUCLEOTIDES, MAX_RESIDUES, MIN_TRANSLATED_RESIDUES};

/// Whether a problem stops the record from being scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    /// The record is listed but not scored.
    Error,
    /// The record is scored; the user should know what was done.
    Note,
}

/// A problem with one record. Positions are 1-based residue (or nucleotide) positions within the
/// record's sequence, line breaks not counted.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum Problem {
    #[error("the sequence is empty: add the residues on the lines after the header")]
    Empty,
    #[error(
        "'{letter}' at position {position} is not an amino-acid letter{more}: \
         remove it or replace it with X (unknown residue)",
        more = if *count > 1 { format!(" ({count} such characters in all)") } else { String::new() }
    )]
    InvalidLetter { position: usize, letter: char, count: usize },
    #[error(
        "internal stop '*' at position {position}: this looks like a translation through a stop \
         codon; give the protein up to its stop"
    )]
    InternalStop { position: usize },
    #[error(
        "{length} residues is over the limit of {MAX_RESIDUES}: split the record or give the \
         protein rather than a genomic region"
    )]
    TooLong { length: usize },
    #[error(
        "{length} nucleotides is over the limit of {MAX_NUCLEOTIDES}: give the coding sequence \
         (CDS) or the protein, not a genomic region"
    )]
    TooLongNucleotide { length: usize },
    #[error(
        "nucleotide sequence does not translate to a plausible protein: frame 1 gives only \
         {residues} {unit}{why} (at least {MIN_TRANSLATED_RESIDUES} are needed); give the \
         protein, or the coding sequence (CDS) starting at its ATG",
        unit = if *residues == 1 { "residue" } else { "residues" },
        why = match stop_at {
            Some(at) => format!(" before the stop codon at nucleotide {at}"),
            None => String::new(),
        }
    )]
    Untranslatable { residues: usize, stop_at: Option<usize> },
    #[error(
        "identifier '{original}' is also used by record {first_number} of {first_source}: \
         listed here as '{renamed}'"
    )]
    DuplicateId { original: String, first_source: String, first_number: usize, renamed: String },
    #[error("the header has no identifier: named '{assigned}'")]
    MissingId { assigned: String },
    #[error("no header line: named '{assigned}'")]
    NoHeader { assigned: String },
    #[error("trailing stop '*' removed")]
    TrailingStopRemoved,
    #[error(
        "translated from a nucleotide coding sequence (standard genetic code, frame 1){stop}",
        stop = match stop_at {
            Some(at) if *untranslated > 0 => format!(
                "; translation ended at the stop codon at nucleotide {at}, and the {untranslated} \
                 nucleotides after it were not translated"
            ),
            Some(at) => format!(", up to the stop codon at nucleotide {at}"),
            None if *untranslated > 0 => format!(
                "; the last {untranslated} nucleotide(s) do not make a whole codon"
            ),
            None => String::new(),
        }
    )]
    Translated { stop_at: Option<usize>, untranslated: usize },
    #[error("coding sequence does not start with ATG (starts with {start})")]
    NoStartCodon { start: String },
    #[error(
        "{count} non-standard residue letter(s) ({letters}) are read as unknown residues"
    )]
    NonStandardResidues { letters: String, count: usize },
    #[error("{count} position number(s) between the letters (GenBank/EMBL layout) were skipped")]
    PositionNumbersSkipped { count: usize },
    #[error("very short ({length} residues): predictions for short peptides are unreliable")]
    VeryShort { length: usize },
}

impl Problem {
    pub fn severity(&self) -> Severity {
        match self {
            Problem::Empty
            | Problem::InvalidLetter { .. }
            | Problem::InternalStop { .. }
            | Problem::TooLong { .. }
            | Problem::TooLongNucleotide { .. }
            | Problem::Untranslatable { .. } => Severity::Error,
            _ => Severity::Note,
        }
    }
}

/// A problem with a whole input (file or pasted text) rather than a record in it.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("{source_name}: {message}")]
pub struct FileProblem {
    pub source_name: String,
    pub message: String,
}

//! The length policy, stated once so that the page, the CLI and the checks agree.
//!
//! Why these numbers: the longest human protein, titin, has about 35,000 residues (34,350 in the
//! Swiss-Prot 2014 set the model is trained on). Anything a user can reasonably paste fits under a
//! limit of roughly three titins; beyond that a record is far more likely to be a genome region or a
//! concatenation than a protein, and scoring it would hold the tab for no useful answer.

/// Longest protein accepted, in residues.
pub const MAX_RESIDUES: usize = 100_000;

/// Longest nucleotide record accepted (three nucleotides per residue).
pub const MAX_NUCLEOTIDES: usize = 3 * MAX_RESIDUES;

/// A translation shorter than this is not taken for a protein-coding sequence.
pub const MIN_TRANSLATED_RESIDUES: usize = 30;

/// The policy as the page states it.
pub const POLICY_TEXT: &str = "Proteins of any length up to 100,000 residues are scored in full \
(titin, the longest human protein, has about 35,000): long sequences are read in overlapping \
windows whose results are pooled, so nothing is cut off. Nucleotide coding sequences up to \
300,000 nt are translated first. Longer records are listed with an error and not scored.";

//! The known-gene reference set: the human genes the model was built from, so the app can say
//! "this sequence is TP53" (and show its curated phenotypes, and feed its curated GO to the concept
//! layer, as the published model does), or "this sequence resembles these known genes".
//!
//! One file per label set (`public/models/{dataset}.reference.bin`), written by
//! `genepheno reference` from the committed data and the exported model's metadata, and bound to
//! that model: the header carries the model's `weights_sha256` and dataset name, and
//! [`ReferenceSet::decode_for_model`] refuses a file made for other weights, because its concept
//! and phenotype indices would then point at the wrong terms.
//!
//! ```ignore
//! let reference = ReferenceSet::decode_for_model(&bytes, &metadata.weights_sha256, metadata.dataset)?;
//! match reference.identify(protein.as_bytes()) {
//!     Some(found) => {
//!         let gene = reference.gene(found.gene());
//!         let concepts = reference.concept_vector(found.gene(), metadata.concepts.len());
//!         // predictor.predict_from_concepts(&[concepts]) for the known-gene mode
//!     }
//!     None => {
//!         for similar in reference.most_similar(protein.as_bytes(), 5) { /* symbol, Jaccard, identity */ }
//!     }
//! }
//! ```
//!
//! File layout (all integers little-endian or LEB128 varints): see [`format`].
//! Matching: see [`sketch`] (what is compared) and [`search`] (how calls are made).

mod codec;
mod error;
pub mod format;
pub mod search;
pub mod sketch;

pub use error::ReferenceError;
pub use format::{FORMAT_VERSION, Header, MAGIC};
pub use search::{Identification, NEAR_EXACT_MIN_IDENTITY, NEAR_EXACT_MIN_LENGTH_RATIO, Similar, Similarity};
pub use sketch::SketchParams;

use crate::domain::{LabelSet, Part};
use crate::ontology::Ontology;

/// A gene by its Entrez id and symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneName {
    pub entrez: u32,
    /// HGNC symbol, e.g. `HBA2`.
    pub symbol: String,
}

/// One known gene as the app shows it. All index lists are sorted and closed upward.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownGene {
    /// NCBI Entrez Gene id.
    pub entrez: u32,
    /// HGNC symbol, e.g. `TP53`.
    pub symbol: String,
    /// UniProtKB/Swiss-Prot accession of the reference protein.
    pub uniprot: String,
    /// The other genes that encode this identical protein (HBA2 beside HBA1 for hemoglobin alpha),
    /// in Entrez order; empty for the usual one gene, one protein. An exact match names them all,
    /// and the curated concepts and phenotypes below are then the union over all of them (the
    /// sequence cannot tell them apart). Such proteins are never in a dataset: the data build
    /// keeps one gene per protein (`genepheno data shared-proteins`).
    pub same_protein: Vec<GeneName>,
    /// Residues of the reference protein.
    pub length: u32,
    /// Part of the model's split the gene was in (see [`Header::split`] for which split);
    /// `None` for a known human gene without labels in this dataset, so not used by this model
    /// at all.
    pub split: Option<Part>,
    /// Curated GO concepts: the gene's GO annotations (any evidence) closed upward over is_a and
    /// part_of, restricted to the model's concepts; indices in the model's concept order. This is
    /// exactly the concept row the evaluation's known-gene mode feeds the phenotype layer.
    pub concepts: Vec<u32>,
    /// The subset of [`Self::concepts`] that rests only on phenotype-derived evidence (IMP, IGI):
    /// it would vanish without those annotations, and may restate the very phenotypes predicted.
    pub concepts_phenotype_evidence_only: Vec<u32>,
    /// Curated phenotypes of this dataset (indices into the model's phenotype list), closed
    /// upward over the model's phenotype parents; empty when the gene has none in this dataset.
    pub phenotypes: Vec<u32>,
}

/// What [`ReferenceSet::encode`] needs for one gene.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneInput {
    pub entrez: u32,
    pub symbol: String,
    pub uniprot: String,
    /// As [`KnownGene::same_protein`].
    pub same_protein: Vec<GeneName>,
    /// As [`KnownGene::split`].
    pub split: Option<Part>,
    /// Protein residues (normalised by the encoder like any query).
    pub sequence: String,
    /// As [`KnownGene::concepts`]: closed upward over the concept graph given in the input.
    pub concepts: Vec<u32>,
    pub concepts_phenotype_evidence_only: Vec<u32>,
    /// As [`KnownGene::phenotypes`]: closed upward over the phenotype parents given in the input.
    pub phenotypes: Vec<u32>,
}

/// Everything [`ReferenceSet::encode`] writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceInput {
    /// `dataset`, `dataset_version`, `weights_sha256` of the model; `split` names the split that
    /// [`KnownGene::split`] refers to; `params` the sketch shape. Counts are filled in by the encoder.
    pub dataset: LabelSet,
    pub dataset_version: String,
    pub weights_sha256: String,
    pub split: String,
    pub params: SketchParams,
    /// For each concept (model order), concepts that are its ancestors in GO (is_a/part_of, direct
    /// or not: the reader closes transitively either way).
    pub concept_parents: Vec<Vec<u32>>,
    /// The model's phenotype parent lists (metadata `phenotypes[].parents`).
    pub phenotype_parents: Vec<Vec<u32>>,
    pub genes: Vec<GeneInput>,
}

/// The decoded reference set, with the lookup structures built (see the module docs).
#[derive(Debug, Clone)]
pub struct ReferenceSet {
    header: Header,
    genes: Vec<KnownGene>,
    /// Digest of each gene's normalised residues (same order as `genes`).
    digests: Vec<u64>,
    /// `genes.len() * header.params.bins` sketch bytes.
    sketches: Vec<u8>,
    /// Digest -> gene, sorted by digest (binary search; no hash map, so no random state).
    by_digest: Vec<(u64, u32)>,
    index: search::Index,
    /// How many genes each split part holds (train, valid, test): the number of genes a
    /// part's nearest-gene search is judged against, counted once here instead of per query.
    genes_in_part: [usize; 3],
    concept_ancestors: Ontology,
    phenotype_ancestors: Ontology,
}

impl ReferenceSet {
    /// The header of a reference file, read without inflating the body (cheap: check it against
    /// the loaded model before decoding).
    pub fn read_header(bytes: &[u8]) -> Result<Header, ReferenceError> {
        format::read_header(bytes).map(|(h, _)| h)
    }

    /// Decodes a reference file written by [`Self::encode`] (any model).
    pub fn decode(bytes: &[u8]) -> Result<Self, ReferenceError> {
        format::decode(bytes)
    }

    /// Decodes a reference file only if it was built for these model weights and this dataset
    /// (the metadata's `weights_sha256` and `dataset`); checked before the body is inflated.
    pub fn decode_for_model(bytes: &[u8], weights_sha256: &str, dataset: LabelSet) -> Result<Self, ReferenceError> {
        Self::read_header(bytes)?.check_model(weights_sha256, dataset)?;
        Self::decode(bytes)
    }

    /// Writes the gzip'd binary file. Deterministic: the same input gives the same bytes.
    pub fn encode(input: &ReferenceInput) -> Result<Vec<u8>, ReferenceError> {
        format::encode(input)
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Known genes, by ascending Entrez id.
    pub fn genes(&self) -> &[KnownGene] {
        &self.genes
    }

    /// Panics if `index` is out of range (indices come from this set's own answers).
    pub fn gene(&self, index: usize) -> &KnownGene {
        &self.genes[index]
    }

    pub fn len(&self) -> usize {
        self.genes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.genes.is_empty()
    }

    /// Index of the gene with this Entrez id.
    pub fn find_entrez(&self, entrez: u32) -> Option<usize> {
        self.genes.binary_search_by_key(&entrez, |g| g.entrez).ok()
    }

    /// Dense 0/1 concept row of a known gene for the known-gene mode
    /// (`Predictor::predict_from_concepts`): 1 for each of [`KnownGene::concepts`]. Pass the
    /// model's concept count (`metadata.concepts.len()`, equal to [`Header::concepts`] for a set
    /// accepted by [`Self::decode_for_model`]); indices beyond it are left out.
    pub fn concept_vector(&self, gene: usize, concept_count: usize) -> Vec<f32> {
        dense(&self.genes[gene].concepts, concept_count)
    }

    /// As [`Self::concept_vector`], without the concepts resting only on IMP/IGI evidence (the
    /// "without phenotype-derived GO evidence" variant of the known-gene mode).
    pub fn concept_vector_without_phenotype_evidence(&self, gene: usize, concept_count: usize) -> Vec<f32> {
        let g = &self.genes[gene];
        let kept: Vec<u32> =
            g.concepts.iter().copied().filter(|c| g.concepts_phenotype_evidence_only.binary_search(c).is_err()).collect();
        dense(&kept, concept_count)
    }

    /// The most specific of a gene's curated phenotypes (none of them is another's ancestor): the
    /// short list worth showing first; [`KnownGene::phenotypes`] holds the closed set.
    pub fn most_specific_phenotypes(&self, gene: usize) -> Vec<u32> {
        self.phenotype_ancestors.most_specific(&self.genes[gene].phenotypes)
    }

    /// The most specific of a gene's curated GO concepts.
    pub fn most_specific_concepts(&self, gene: usize) -> Vec<u32> {
        self.concept_ancestors.most_specific(&self.genes[gene].concepts)
    }
}

fn dense(indices: &[u32], count: usize) -> Vec<f32> {
    let mut row = vec![0f32; count];
    for &i in indices {
        if let Some(v) = row.get_mut(i as usize) {
            *v = 1.0;
        }
    }
    row
}

/// Where a split part's count sits in [`ReferenceSet`]'s per-part counts.
fn part_slot(part: Part) -> usize {
    match part {
        Part::Train => 0,
        Part::Valid => 1,
        Part::Test => 2,
    }
}

#[cfg(test)]
mod tests;


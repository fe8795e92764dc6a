//! The file: a small uncompressed header (so the app can refuse a file made for another model
//! before inflating anything), then one gzip stream holding the columns.
//!
//! ```text
//! magic        8 bytes  "GPREFSET"
//! version      u16 LE   FORMAT_VERSION
//! header_len   u32 LE   bytes of the header that follows
//! header       dataset, dataset_version, weights_sha256, split (strings: varint length + UTF-8),
//!              k (u8), bins, genes, concepts, phenotypes (varints)
//! body (gzip)  concept graph     per concept: sorted list of ancestor concepts
//!              phenotype graph   per phenotype: sorted list of parents (the model's)
//!              entrez            per gene: varint gap to the previous id (ids strictly increase)
//!              symbol, uniprot   per gene: string
//!              same protein      per gene: varint count, then per other gene: varint Entrez id, symbol
//!              length            per gene: varint residues
//!              split             per gene: u8 (0 train, 1 valid, 2 test, 3 not in dataset)
//!              digest            per gene: u64 LE digest of the normalised residues
//!              concepts          per gene: sorted list, MOST SPECIFIC curated concepts only
//!              IMP/IGI-only      per gene: sorted list (subset of the closed concepts)
//!              phenotypes        per gene: sorted list, MOST SPECIFIC curated phenotypes only
//!              sketches          genes x bins bytes
//! ```
//!
//! A sorted list is its length and then the first value and the gaps minus one, as varints.
//! Columns rather than records, because like values next to each other compress better. The
//! decoder re-closes the most specific lists over the stored graphs, so [`super::KnownGene`] always
//! holds closed sets; the encoder checks that this gives back exactly the sets it was given.

use std::io::{Read, Write};

use super::codec::{Reader, Writer};
use crate::ontology::Ontology;
use super::search::Index;
use super::sketch::{self, SketchParams};
use super::{GeneName, KnownGene, ReferenceError, ReferenceInput, ReferenceSet};
use crate::domain::{LabelSet, Part};

/// First bytes of every reference file.
pub const MAGIC: &[u8; 8] = b"GPREFSET";

/// Version of the layout above; bumped on any change, and the reader refuses other versions.
pub const FORMAT_VERSION: u16 = 2;

/// Largest inflated body accepted (a guard against a damaged or hostile file; real ones are ~3 MB).
const MAX_BODY: u64 = 256 << 20;

/// The uncompressed header: what the file is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub format_version: u16,
    /// Label set of the model (written `hpo`, `mp`, `gwas`).
    pub dataset: LabelSet,
    /// The model's dataset version (from its metadata).
    pub dataset_version: String,
    /// SHA-256 (lower-case hex) of the model weights this file belongs to.
    pub weights_sha256: String,
    /// Which split [`super::KnownGene::split`] refers to (`homology`: the one models train on).
    pub split: String,
    pub params: SketchParams,
    pub genes: u32,
    pub concepts: u32,
    pub phenotypes: u32,
}

impl Header {
    /// Refuses a file made for other weights or another dataset.
    pub fn check_model(&self, weights_sha256: &str, dataset: LabelSet) -> Result<(), ReferenceError> {
        if self.dataset != dataset {
            return Err(ReferenceError::WrongDataset { expected: dataset, found: self.dataset });
        }
        if !self.weights_sha256.eq_ignore_ascii_case(weights_sha256) {
            return Err(ReferenceError::WrongModel { expected: weights_sha256.into(), found: self.weights_sha256.clone() });
        }
        Ok(())
    }
}

/// A gene's part of the split as the file writes it (0 train, 1 valid, 2 test, 3 not in dataset).
fn split_code(part: Option<Part>) -> u8 {
    match part {
        Some(Part::Train) => 0,
        Some(Part::Valid) => 1,
        Some(Part::Test) => 2,
        None => 3,
    }
}

/// The part a split code stands for; `None` for a code no writer makes.
fn split_from_code(code: u8) -> Option<Option<Part>> {
    Some(match code {
        0 => Some(Part::Train),
        1 => Some(Part::Valid),
        2 => Some(Part::Test),
        3 => None,
        _ => return None,
    })
}

/// Reads the header; returns it and the offset of the gzip body.
pub(super) fn read_header(bytes: &[u8]) -> Result<(Header, usize), ReferenceError> {
    let mut r = Reader::new(bytes);
    if r.take(MAGIC.len(), "magic").map_err(|_| ReferenceError::BadMagic)? != MAGIC {
        return Err(ReferenceError::BadMagic);
    }
    let v = r.take(2, "format version")?;
    let format_version = u16::from_le_bytes([v[0], v[1]]);
    if format_version != FORMAT_VERSION {
        return Err(ReferenceError::UnsupportedVersion { found: format_version, supported: FORMAT_VERSION });
    }
    let n = r.take(4, "header length")?;
    let n = u32::from_le_bytes([n[0], n[1], n[2], n[3]]) as usize;
    let mut h = Reader::new(r.take(n, "header")?);
    let dataset = h.str("dataset")?.parse::<LabelSet>().map_err(|e| ReferenceError::Corrupt(e.to_string()))?;
    let dataset_version = h.str("dataset version")?;
    let weights_sha256 = h.str("weights sha256")?;
    let split = h.str("split name")?;
    let k = h.u8("k")?;
    let bins = h.bounded(u64::from(u16::MAX), "bins")? as u16;
    let params = SketchParams { k, bins }.check().map_err(ReferenceError::Corrupt)?;
    let genes = h.bounded(u64::from(u32::MAX), "gene count")?;
    let concepts = h.bounded(u64::from(u32::MAX), "concept count")?;
    let phenotypes = h.bounded(u64::from(u32::MAX), "phenotype count")?;
    let header =
        Header { format_version, dataset, dataset_version, weights_sha256, split, params, genes, concepts, phenotypes };
    Ok((header, MAGIC.len() + 2 + 4 + n))
}

pub(super) fn encode(input: &ReferenceInput) -> Result<Vec<u8>, ReferenceError> {
    let bad = |m: String| ReferenceError::Input(m);
    let params = input.params.check().map_err(bad)?;
    let (n_concepts, n_phenotypes) = (input.concept_parents.len() as u32, input.phenotype_parents.len() as u32);
    let concept_graph = Ontology::new(input.concept_parents.clone()).map_err(|e| bad(format!("concept graph: {e}")))?;
    let phenotype_graph = Ontology::new(input.phenotype_parents.clone()).map_err(|e| bad(format!("phenotype graph: {e}")))?;
    if input.weights_sha256.is_empty() {
        return Err(bad("the model's weights_sha256 must be given".into()));
    }

    let mut genes: Vec<&super::GeneInput> = input.genes.iter().collect();
    genes.sort_by_key(|g| g.entrez);
    if let Some(w) = genes.windows(2).find(|w| w[0].entrez == w[1].entrez) {
        return Err(bad(format!("Entrez id {} is listed twice", w[0].entrez)));
    }
    let residues: Vec<Vec<u8>> = genes.iter().map(|g| sketch::normalise(g.sequence.as_bytes())).collect();
    let digests: Vec<u64> = residues.iter().map(|r| sketch::digest(r)).collect();
    let mut seen: Vec<(u64, u32)> = digests.iter().zip(genes.iter()).map(|(&d, g)| (d, g.entrez)).collect();
    seen.sort_unstable();
    if let Some(w) = seen.windows(2).find(|w| w[0].0 == w[1].0) {
        // Identical proteins of two genes would make "exact match" ambiguous: refuse, loudly.
        return Err(bad(format!("genes {} and {} have identical protein sequences", w[0].1, w[1].1)));
    }

    let mut w = Writer::default();
    for parents in &input.concept_parents {
        w.sorted_list(&sorted_unique(parents, n_concepts, "concept parents").map_err(bad)?);
    }
    for parents in &input.phenotype_parents {
        w.sorted_list(&sorted_unique(parents, n_phenotypes, "phenotype parents").map_err(bad)?);
    }
    let mut previous = 0u32;
    for g in &genes {
        w.varint(u64::from(g.entrez - previous));
        previous = g.entrez;
    }
    for g in &genes {
        w.str(&g.symbol);
    }
    for g in &genes {
        w.str(&g.uniprot);
    }
    for g in &genes {
        w.varint(g.same_protein.len() as u64);
        for other in &g.same_protein {
            if other.entrez == g.entrez {
                return Err(bad(format!("gene {} lists itself among the genes of its protein", g.entrez)));
            }
            w.varint(u64::from(other.entrez));
            w.str(&other.symbol);
        }
    }
    for (g, r) in genes.iter().zip(&residues) {
        if r.is_empty() || r.len() > u32::MAX as usize {
            return Err(bad(format!("gene {} has no usable sequence", g.entrez)));
        }
        w.varint(r.len() as u64);
    }
    for g in &genes {
        w.u8(split_code(g.split));
    }
    for &d in &digests {
        w.u64_le(d);
    }
    let closed_check = |g: &super::GeneInput, set: &[u32], graph: &Ontology, n: u32, what: &str| {
        let set = sorted_unique(set, n, what).map_err(|e| bad(format!("gene {}: {e}", g.entrez)))?;
        let leaves = graph.most_specific(&set);
        if graph.close(&leaves) != set {
            return Err(bad(format!("gene {}: {what} are not closed upward over the graph given", g.entrez)));
        }
        Ok(leaves)
    };
    for g in &genes {
        w.sorted_list(&closed_check(g, &g.concepts, &concept_graph, n_concepts, "concepts")?);
    }
    for g in &genes {
        let only = sorted_unique(&g.concepts_phenotype_evidence_only, n_concepts, "IMP/IGI-only concepts").map_err(bad)?;
        if only.iter().any(|c| g.concepts.binary_search(c).is_err()) {
            return Err(bad(format!("gene {}: IMP/IGI-only concepts must be among its concepts", g.entrez)));
        }
        w.sorted_list(&only);
    }
    for g in &genes {
        w.sorted_list(&closed_check(g, &g.phenotypes, &phenotype_graph, n_phenotypes, "phenotypes")?);
    }
    for r in &residues {
        w.bytes.extend(sketch::sketch(r, params));
    }

    let mut header = Writer::default();
    header.str(input.dataset.name());
    header.str(&input.dataset_version);
    header.str(&input.weights_sha256);
    header.str(&input.split);
    header.u8(params.k);
    header.varint(u64::from(params.bins));
    header.varint(genes.len() as u64);
    header.varint(u64::from(n_concepts));
    header.varint(u64::from(n_phenotypes));

    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(header.bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(&header.bytes);
    // GzEncoder writes mtime 0 and no file name: the bytes depend on the content only.
    let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::best());
    gz.write_all(&w.bytes).map_err(|e| ReferenceError::Compression(e.to_string()))?;
    gz.finish().map_err(|e| ReferenceError::Compression(e.to_string()))
}

/// Checks that `values` are below `limit`, and returns them sorted without duplicates.
fn sorted_unique(values: &[u32], limit: u32, what: &str) -> Result<Vec<u32>, String> {
    if let Some(v) = values.iter().find(|&&v| v >= limit) {
        return Err(format!("{what}: index {v} out of range (< {limit})"));
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

pub(super) fn decode(bytes: &[u8]) -> Result<ReferenceSet, ReferenceError> {
    let (header, offset) = read_header(bytes)?;
    let mut body = Vec::new();
    flate2::read::GzDecoder::new(&bytes[offset..])
        .take(MAX_BODY)
        .read_to_end(&mut body)
        .map_err(|e| ReferenceError::Compression(e.to_string()))?;
    let mut r = Reader::new(&body);
    let (n, nc, np) = (header.genes as usize, header.concepts, header.phenotypes);
    // Every gene takes well over one byte, every term at least one: refuse absurd counts early.
    if n > r.remaining() || nc as usize > r.remaining() || np as usize > r.remaining() {
        return Err(ReferenceError::Truncated("counts larger than the body"));
    }
    let concept_parents = (0..nc).map(|_| r.sorted_list(nc, "concept graph")).collect::<Result<Vec<_>, _>>()?;
    let phenotype_parents = (0..np).map(|_| r.sorted_list(np, "phenotype graph")).collect::<Result<Vec<_>, _>>()?;
    let graph = |what: &str, parents: Vec<Vec<u32>>| Ontology::new(parents).map_err(|e| ReferenceError::Corrupt(format!("{what} graph: {e}")));
    let concept_ancestors = graph("concept", concept_parents)?;
    let phenotype_ancestors = graph("phenotype", phenotype_parents)?;

    let mut entrez = Vec::with_capacity(n);
    let mut previous = 0u64;
    for i in 0..n {
        let id = previous.checked_add(r.varint("entrez id")?).unwrap_or(u64::MAX);
        if id > u64::from(u32::MAX) || (i > 0 && id == previous) {
            return Err(ReferenceError::Corrupt(format!("Entrez id {id} out of order")));
        }
        entrez.push(id as u32);
        previous = id;
    }
    let symbols = (0..n).map(|_| r.str("symbol")).collect::<Result<Vec<_>, _>>()?;
    let uniprot = (0..n).map(|_| r.str("uniprot")).collect::<Result<Vec<_>, _>>()?;
    let same_protein = (0..n)
        .map(|_| {
            let count = r.count("same-protein count")?;
            (0..count)
                .map(|_| {
                    let entrez = r.bounded(u64::from(u32::MAX), "same-protein Entrez id")?;
                    Ok(GeneName { entrez, symbol: r.str("same-protein symbol")? })
                })
                .collect::<Result<Vec<_>, ReferenceError>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let lengths = (0..n).map(|_| r.bounded(u64::from(u32::MAX), "length")).collect::<Result<Vec<_>, _>>()?;
    let splits = (0..n)
        .map(|_| {
            let c = r.u8("split")?;
            split_from_code(c).ok_or_else(|| ReferenceError::Corrupt(format!("split code {c}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let digests = (0..n).map(|_| r.u64_le("digest")).collect::<Result<Vec<_>, _>>()?;
    let concepts = (0..n).map(|_| r.sorted_list(nc, "concepts")).collect::<Result<Vec<_>, _>>()?;
    let evidence_only = (0..n).map(|_| r.sorted_list(nc, "IMP/IGI-only concepts")).collect::<Result<Vec<_>, _>>()?;
    let phenotypes = (0..n).map(|_| r.sorted_list(np, "phenotypes")).collect::<Result<Vec<_>, _>>()?;
    let sketches = r.take(n * usize::from(header.params.bins), "sketches")?.to_vec();
    if r.remaining() != 0 {
        return Err(ReferenceError::Corrupt(format!("{} bytes after the last column", r.remaining())));
    }

    let mut genes = Vec::with_capacity(n);
    for i in 0..n {
        genes.push(KnownGene {
            entrez: entrez[i],
            symbol: symbols[i].clone(),
            uniprot: uniprot[i].clone(),
            same_protein: same_protein[i].clone(),
            length: lengths[i],
            split: splits[i],
            concepts: concept_ancestors.close(&concepts[i]),
            concepts_phenotype_evidence_only: evidence_only[i].clone(),
            phenotypes: phenotype_ancestors.close(&phenotypes[i]),
        });
    }
    let mut by_digest: Vec<(u64, u32)> = digests.iter().enumerate().map(|(i, &d)| (d, i as u32)).collect();
    by_digest.sort_unstable();
    let index = Index::new(&sketches, usize::from(header.params.bins));
    let mut genes_in_part = [0; 3];
    for part in genes.iter().filter_map(|g| g.split) {
        genes_in_part[super::part_slot(part)] += 1;
    }
    Ok(ReferenceSet {
        header,
        genes,
        digests,
        sketches,
        by_digest,
        index,
        genes_in_part,
        concept_ancestors,
        phenotype_ancestors,
    })
}

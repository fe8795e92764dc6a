//! The pretraining set in memory: every kept Swiss-Prot protein as residues plus the indices of
//! its upward-closed GO terms in the project's GO graph (`data/go_terms.tsv.gz`), read in one
//! streaming pass over `proteins.tsv.gz` (~500k rows, ~250 MB in memory).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::Context;
use flate2::read::GzDecoder;

use crate::data::format::{read_tsv, split_list};

/// The project's GO terms, in `go_terms.tsv.gz` order.
pub struct GoGraph {
    pub ids: Vec<String>,
    pub names: Vec<String>,
    /// "BP", "MF" or "CC".
    pub namespaces: Vec<String>,
    pub depths: Vec<u32>,
    /// Parents (is_a and part_of) by index.
    pub parents: Vec<Vec<u32>>,
    pub index: HashMap<String, u32>,
}

impl GoGraph {
    pub fn load(data: &Path) -> anyhow::Result<Self> {
        let t = read_tsv(&data.join("go_terms.tsv.gz"))?;
        let (c_id, c_ns, c_depth, c_isa, c_part, c_name) =
            (t.column("go_id")?, t.column("namespace")?, t.column("depth")?, t.column("is_a")?, t.column("part_of")?, t.column("name")?);
        let ids: Vec<String> = t.rows.iter().map(|r| r[c_id].clone()).collect();
        let index: HashMap<String, u32> = ids.iter().enumerate().map(|(i, id)| (id.clone(), i as u32)).collect();
        let parents = t
            .rows
            .iter()
            .map(|r| split_list(&r[c_isa]).chain(split_list(&r[c_part])).filter_map(|p| index.get(p).copied()).collect())
            .collect();
        Ok(Self {
            names: t.rows.iter().map(|r| r[c_name].clone()).collect(),
            namespaces: t.rows.iter().map(|r| r[c_ns].clone()).collect(),
            depths: t.rows.iter().map(|r| r[c_depth].parse()).collect::<Result<_, _>>().context("GO depth")?,
            ids,
            parents,
            index,
        })
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }
}

/// One pretraining protein.
pub struct Protein {
    pub sequence: Box<[u8]>,
    /// Indices into [`GoGraph`] of its closed GO terms, sorted.
    pub terms: Box<[u32]>,
}

/// Reads `proteins.tsv.gz` (accession, sequence, go_ids). Unknown GO ids are an error: the set
/// was built against this graph.
pub fn load(path: &Path, graph: &GoGraph) -> anyhow::Result<Vec<Protein>> {
    let file = std::fs::File::open(path).with_context(|| {
        format!("{}: the pretraining set is missing; build it with `genepheno data swissprot`", path.display())
    })?;
    let mut lines = BufReader::with_capacity(1 << 20, GzDecoder::new(file)).lines();
    let header = lines.next().context("empty pretraining set")??;
    anyhow::ensure!(header == "accession\tsequence\tgo_ids", "{}: unexpected header {header:?}", path.display());
    let mut out = Vec::new();
    for (n, line) in lines.enumerate() {
        let line = line?;
        let mut f = line.split('\t');
        let (_, seq, go) = (f.next(), f.next().context("no sequence")?, f.next().context("no go_ids")?);
        let mut terms: Vec<u32> = split_list(go)
            .map(|id| graph.index.get(id).copied().with_context(|| format!("row {}: GO id {id} not in the project graph", n + 2)))
            .collect::<anyhow::Result<_>>()?;
        terms.sort_unstable();
        out.push(Protein { sequence: seq.as_bytes().into(), terms: terms.into() });
    }
    Ok(out)
}

/// Human proteins of one part of the homology split that have curated GO (2022), with their
/// closed GO terms: the validation yardstick of pretraining (concept AUC on human genes) and the
/// human side of the concept choice.
pub fn human_proteins(data: &Path, graph: &GoGraph, part: crate::data::split::Part) -> anyhow::Result<Vec<Protein>> {
    let genes = read_tsv(&data.join("genes.tsv.gz"))?;
    let (c_id, c_split, c_seq) = (genes.column("entrez_id")?, genes.column("homology_split")?, genes.column("sequence")?);
    let mut sequence: HashMap<&str, &str> = HashMap::new();
    for r in &genes.rows {
        if r[c_split] == part.name() && !r[c_seq].is_empty() {
            sequence.insert(&r[c_id], &r[c_seq]);
        }
    }
    let closure = read_tsv(&data.join("go_closure.tsv.gz"))?;
    let (c_gene, c_go) = (closure.column("entrez_id")?, closure.column("go_ids")?);
    let mut out = Vec::new();
    for r in &closure.rows {
        if let Some(seq) = sequence.get(r[c_gene].as_str()) {
            let mut terms: Vec<u32> = split_list(&r[c_go]).filter_map(|id| graph.index.get(id).copied()).collect();
            terms.sort_unstable();
            out.push(Protein { sequence: seq.as_bytes().into(), terms: terms.into() });
        }
    }
    Ok(out)
}

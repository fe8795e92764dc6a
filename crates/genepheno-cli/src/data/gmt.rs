//! Enrichr gene-set libraries as pyenrichr 1.0.2 ships them (`pyenrichr/data/`): one set per line,
//! `term<TAB><empty><TAB>SYMBOL<TAB>SYMBOL...` (human gene symbols; trailing tab allowed).

use super::DataError;

/// One gene set: its term (for MP "name MP:0000001", for dbGaP a trait name) and member symbols.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneSet {
    pub term: String,
    pub symbols: Vec<String>,
}

impl GeneSet {
    /// Splits an MGI term "abnormal abdominal fat pad morphology MP:0000010" into (id, name).
    pub fn mp_id_and_name(&self) -> Option<(&str, &str)> {
        let (name, id) = self.term.rsplit_once(' ')?;
        id.starts_with("MP:").then_some((id, name))
    }
}

/// Parses a GMT library.
pub fn parse(text: &str) -> Result<Vec<GeneSet>, DataError> {
    let mut sets = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut fields = line.split('\t');
        let term = fields.next().unwrap_or("").trim().to_owned();
        let description = fields.next();
        if term.is_empty() || description.is_none() {
            return Err(DataError::Format(format!("GMT line without term and description: {line:.80}")));
        }
        let mut symbols: Vec<String> = fields.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        symbols.sort();
        symbols.dedup();
        sets.push(GeneSet { term, symbols });
    }
    Ok(sets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_mgi_level4_excerpt() {
        let sets = parse(include_str!("../../tests/fixtures/mgi_mp_level4_excerpt.gmt")).unwrap();
        let first = &sets[0];
        assert_eq!(first.mp_id_and_name(), Some(("MP:0011250", "abdominal situs ambiguus")));
        assert!(first.symbols.contains(&"DNAH5".to_owned()));
        assert!(first.symbols.iter().all(|s| !s.is_empty()));
    }

    #[test]
    fn parses_real_dbgap_excerpt() {
        let sets = parse(include_str!("../../tests/fixtures/dbgap_excerpt.gmt")).unwrap();
        assert_eq!(sets[0].term, "Aortic Aneurysm, Abdominal");
        assert_eq!(sets[0].symbols, ["CDKN2B-AS1", "DAB2IP", "LRP1"]);
        assert_eq!(sets[0].mp_id_and_name(), None);
    }
}

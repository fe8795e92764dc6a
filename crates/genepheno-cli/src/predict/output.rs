//! What `genepheno predict` writes per record: TSV rows (the documented default) or one JSON
//! object per line.
//!
//! Nothing here depends on where a record stands in the input beyond its identifier, so the
//! output of a file cut into shards, concatenated in order (TSV: one header), is the output of
//! the whole file.

use genepheno::model::ModelMetadata;
use genepheno::reference::ReferenceSet;
use serde_json::json;

use super::scoring::{Recognised, ScoredBy};

/// `--format`
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tab-separated: `record_id, term_id, term_name, score` (and `mode` when `--mode` is
    /// given), one row per reported term, most likely first, after a header line.
    Tsv,
    /// One JSON object per record: `{"id", "mode", "known_gene", "terms": [{"id", "name", "score"}]}`.
    Jsonl,
}

/// Which terms of a record are written, and how.
#[derive(Clone, Debug)]
pub struct Layout {
    pub format: Format,
    /// Every term, not only those at or above the model's threshold.
    pub all: bool,
    /// At most this many terms per record.
    pub top: Option<usize>,
    /// Whether TSV rows carry the `mode` column (`--mode` given).
    pub mode_column: bool,
}

impl Layout {
    /// The header line (TSV only).
    pub fn header(&self) -> Option<String> {
        match self.format {
            Format::Tsv if self.mode_column => Some("record_id\tterm_id\tterm_name\tscore\tmode\n".into()),
            Format::Tsv => Some("record_id\tterm_id\tterm_name\tscore\n".into()),
            Format::Jsonl => None,
        }
    }

    /// The reported terms of one record: indices and scores, highest first (ties: metadata order).
    pub fn terms(&self, phenotypes: &[f32], threshold: f32) -> Vec<(usize, f32)> {
        let mut terms: Vec<(usize, f32)> =
            phenotypes.iter().copied().enumerate().filter(|&(_, s)| self.all || s >= threshold).collect();
        terms.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        if let Some(k) = self.top {
            terms.truncate(k);
        }
        terms
    }

    /// Writes one scored record.
    pub fn write(
        &self,
        out: &mut Vec<u8>,
        id: &str,
        by: ScoredBy,
        known: Option<&Recognised>,
        phenotypes: &[f32],
        meta: &ModelMetadata,
        reference: Option<&ReferenceSet>,
    ) {
        use std::io::Write;
        let terms = self.terms(phenotypes, meta.threshold);
        match self.format {
            Format::Tsv => {
                for (t, score) in terms {
                    let term = &meta.phenotypes[t];
                    let _ = write!(out, "{id}\t{}\t{}\t{score:.4}", term.id, term.name);
                    if self.mode_column {
                        let _ = write!(out, "\t{}", by.label());
                    }
                    out.push(b'\n');
                }
            }
            Format::Jsonl => {
                let known = match (known, reference) {
                    (Some(k), Some(reference)) => {
                        let gene = reference.gene(k.gene);
                        let mut known = json!({ "symbol": gene.symbol, "entrez": gene.entrez, "uniprot": gene.uniprot, "exact": k.exact, "identity": round(k.identity) });
                        if !gene.same_protein.is_empty() {
                            // The other genes of an identical protein (HBA2 beside HBA1).
                            known["same_protein"] = gene.same_protein.iter().map(|g| json!({ "symbol": g.symbol, "entrez": g.entrez })).collect();
                        }
                        known
                    }
                    _ => serde_json::Value::Null,
                };
                let terms: Vec<_> = terms
                    .into_iter()
                    .map(|(t, score)| json!({ "id": meta.phenotypes[t].id, "name": meta.phenotypes[t].name, "score": round(score) }))
                    .collect();
                let line = json!({ "id": id, "mode": by.label(), "known_gene": known, "terms": terms });
                let _ = serde_json::to_writer(&mut *out, &line);
                out.push(b'\n');
            }
        }
    }
}

/// Four decimals, as the TSV prints them.
fn round(v: f32) -> f64 {
    (f64::from(v) * 1e4).round() / 1e4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_filtered_ranked_and_cut() {
        let layout = Layout { format: Format::Tsv, all: false, top: None, mode_column: false };
        let scores = [0.1, 0.9, 0.5, 0.5, 0.05];
        assert_eq!(layout.terms(&scores, 0.3), vec![(1, 0.9), (2, 0.5), (3, 0.5)]);
        let top = Layout { top: Some(2), all: true, ..layout.clone() };
        assert_eq!(top.terms(&scores, 0.3), vec![(1, 0.9), (2, 0.5)]);
        let every = Layout { all: true, ..layout.clone() };
        assert_eq!(every.terms(&scores, 0.3).len(), 5);
        assert_eq!(layout.header().unwrap(), "record_id\tterm_id\tterm_name\tscore\n");
        assert!(Layout { mode_column: true, ..layout }.header().unwrap().ends_with("\tmode\n"));
    }
}

//! The homology component of sequence mode, measured (DeepGOPlus's DIAMOND part, with mmseqs2).
//!
//! Every held-out human protein (the validation and test parts of the homology split) is searched
//! against the Swiss-Prot pretraining set. That set holds no protein >= 50% identical to any of
//! them (`genepheno data swissprot`'s leakage filter), so every hit is a remote homologue: the
//! figures say what homology adds for a protein unlike anything annotated, not for a near copy.
//! A concept's transferred score is the bit-score-weighted share of a protein's hits annotated
//! with it (DeepGOPlus). `genepheno eval` mixes it with the network's concept activations,
//! `alpha * network + (1 - alpha) * transfer` for proteins with hits (the network alone without),
//! with `alpha` chosen on the validation part, and feeds the mix through the model's own phenotype
//! layer, so the explanation by concepts still holds.
//!
//! Not shipped in the browser: the set is ~494k proteins (~190 MB of residues), far beyond the
//! page's download budget.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use crate::data::format::read_tsv;
use crate::pretrain::set::{self, GoGraph};

/// mmseqs settings: e-value 1e-3 as DeepGOPlus's DIAMOND run, sensitivity 5.7 (mmseqs' "sensitive",
/// for remote homologues), up to 300 hits per protein. Threads are added per machine.
pub const SEARCH_ARGS: [&str; 10] =
    ["-e", "1e-3", "-s", "5.7", "--max-seqs", "300", "-v", "1", "--format-output", "query,target,bits"];

/// Hits of the held-out human proteins in the pretraining set, with the hit proteins' GO terms.
pub struct Transfer {
    /// Entrez id -> (pretraining protein, bit score).
    hits: HashMap<u32, Vec<(u32, f32)>>,
    /// GO ids of every pretraining protein's closed terms.
    terms: Vec<Box<[u32]>>,
    graph_ids: Vec<String>,
    /// Held-out proteins searched.
    pub searched: usize,
}

impl Transfer {
    /// Searches (or reuses the search cached in `work`, keyed by the settings and both inputs).
    pub fn load(data: &Path, set_path: &Path, work: &Path) -> anyhow::Result<Self> {
        let graph = GoGraph::load(data)?;
        eprintln!("homology: reading the pretraining set {}", set_path.display());
        let proteins = set::load(set_path, &graph)?;
        let set_sha256 = crate::data::fetch::sha256_file(set_path)?;
        let query = held_out_fasta(data)?;
        let searched = query.matches('>').count();
        let key = crate::data::fetch::sha256_bytes(
            format!("{}\n{set_sha256}\n{}", SEARCH_ARGS.join(" "), crate::data::fetch::sha256_bytes(query.as_bytes()))
                .as_bytes(),
        );
        std::fs::create_dir_all(work)?;
        let (hits_path, stamp) = (work.join("hits.m8"), work.join("hits.m8.key"));
        if std::fs::read_to_string(&stamp).ok().as_deref() != Some(key.as_str()) || !hits_path.exists() {
            search(&query, &proteins, work, &hits_path)?;
            std::fs::write(&stamp, &key)?;
        } else {
            eprintln!("homology: reusing the search in {}", hits_path.display());
        }
        let mut hits: HashMap<u32, Vec<(u32, f32)>> = HashMap::new();
        let text = std::fs::read_to_string(&hits_path)?;
        for line in text.lines() {
            let mut f = line.split('\t');
            let bad = || anyhow::anyhow!("unexpected mmseqs line {line:.80}");
            let (q, t, bits) = (f.next().ok_or_else(bad)?, f.next().ok_or_else(bad)?, f.next().ok_or_else(bad)?);
            let (q, t, bits): (u32, u32, f32) = (q.parse()?, t.parse()?, bits.parse()?);
            anyhow::ensure!((t as usize) < proteins.len(), "hit to protein {t}, the set has {}", proteins.len());
            hits.entry(q).or_default().push((t, bits));
        }
        Ok(Self { hits, terms: proteins.into_iter().map(|p| p.terms).collect(), graph_ids: graph.ids, searched })
    }

    /// Held-out proteins with at least one hit.
    pub fn with_hits(&self) -> usize {
        self.hits.len()
    }

    /// Transferred concept scores `[genes x columns]` (GO ids in `columns` order), and which
    /// genes had hits (rows of genes without are zero).
    pub fn concept_rows(&self, entrez: &[u32], columns: &[&str]) -> (Vec<f32>, Vec<bool>) {
        let column_of: HashMap<&str, usize> = columns.iter().enumerate().map(|(i, c)| (*c, i)).collect();
        let column_of_term: Vec<Option<usize>> =
            self.graph_ids.iter().map(|id| column_of.get(id.as_str()).copied()).collect();
        let w = columns.len();
        let mut rows = vec![0f32; entrez.len() * w];
        let mut covered = vec![false; entrez.len()];
        for (i, id) in entrez.iter().enumerate() {
            let Some(hits) = self.hits.get(id) else { continue };
            let total: f32 = hits.iter().map(|h| h.1).sum();
            if total <= 0.0 {
                continue;
            }
            covered[i] = true;
            let row = &mut rows[i * w..(i + 1) * w];
            for &(t, bits) in hits {
                for &term in self.terms[t as usize].iter() {
                    if let Some(c) = column_of_term[term as usize] {
                        row[c] += bits / total;
                    }
                }
            }
        }
        (rows, covered)
    }
}

/// FASTA of the human proteins in the validation and test parts of the homology split, by Entrez
/// id, in file order.
fn held_out_fasta(data: &Path) -> anyhow::Result<String> {
    let genes = read_tsv(&data.join("genes.tsv.gz"))?;
    let (c_id, c_split, c_seq) = (genes.column("entrez_id")?, genes.column("homology_split")?, genes.column("sequence")?);
    let mut text = String::new();
    for r in &genes.rows {
        if (r[c_split] == "valid" || r[c_split] == "test") && !r[c_seq].is_empty() {
            writeln!(text, ">{}\n{}", r[c_id], r[c_seq])?;
        }
    }
    anyhow::ensure!(!text.is_empty(), "no held-out human proteins in {}", data.display());
    Ok(text)
}

fn search(query: &str, proteins: &[set::Protein], work: &Path, hits: &Path) -> anyhow::Result<()> {
    let query_path = work.join("held_out.fasta");
    std::fs::write(&query_path, query)?;
    // Targets named by their row in the set, so a hit maps straight to its GO terms.
    let target_path: PathBuf = work.join("swissprot.fasta");
    {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::fs::File::create(&target_path)?);
        for (i, p) in proteins.iter().enumerate() {
            writeln!(out, ">{i}")?;
            out.write_all(&p.sequence)?;
            writeln!(out)?;
        }
        out.flush()?;
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).to_string();
    eprintln!(
        "homology: mmseqs easy-search of {} held-out human proteins against {} pretraining proteins ({threads} threads)",
        query.matches('>').count(),
        proteins.len()
    );
    let started = std::time::Instant::now();
    let status = Command::new("mmseqs")
        .arg("easy-search")
        .arg(&query_path)
        .arg(&target_path)
        .arg(hits)
        .arg(work.join("tmp"))
        .args(SEARCH_ARGS)
        .args(["--threads", &threads])
        .status()
        .context("running mmseqs (Debian package mmseqs2)")?;
    anyhow::ensure!(status.success(), "mmseqs easy-search failed: {status}");
    eprintln!("homology: search done in {:.0}s", started.elapsed().as_secs_f64());
    // The inputs are rebuilt from the set when needed; the search's scratch space is large.
    let _ = std::fs::remove_file(&target_path);
    let _ = std::fs::remove_dir_all(work.join("tmp"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two hits of 30 and 10 bits: a concept on both proteins scores 1, one on the stronger hit
    /// only 0.75; a gene without hits stays zero and is marked uncovered.
    #[test]
    fn transferred_scores_are_bit_weighted_shares_of_the_hits() {
        let graph_ids: Vec<String> = ["GO:A", "GO:B", "GO:C"].map(String::from).to_vec();
        let transfer = Transfer {
            hits: HashMap::from([(7, vec![(0, 30.0), (1, 10.0)])]),
            terms: vec![vec![0, 1].into(), vec![0, 2].into()],
            graph_ids,
            searched: 2,
        };
        let (rows, covered) = transfer.concept_rows(&[7, 8], &["GO:B", "GO:A", "GO:C"]);
        assert_eq!(covered, vec![true, false]);
        let expected = [0.75, 1.0, 0.25, 0.0, 0.0, 0.0];
        for (got, want) in rows.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{rows:?}");
        }
        assert_eq!(transfer.with_hits(), 1);
    }
}

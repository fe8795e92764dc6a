//! Protein sequences from Metastudent's Swiss-Prot 2014-01 BLAST databases.
//!
//! The databases (`{BPO,MFO,CCO}/goasp.fasta.{pin,psq,phr}`, BLAST v4) are read with
//! `blastdbcmd` from Debian `ncbi-blast+`, one `title<TAB>sequence` line per protein. Titles are
//! `ACCESSION|GO:...,GO:...`: no species, so human proteins are picked by accession through
//! org.Hs.eg.db's UniProt map.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use super::DataError;

/// The three sub-ontology databases; a protein can be in several, with the same sequence.
pub const DATABASES: [&str; 3] = ["BPO", "MFO", "CCO"];

/// Splits one `blastdbcmd -outfmt '%t\t%s'` line into (accession, sequence).
pub fn parse_line(line: &str) -> Result<(&str, &str), DataError> {
    let (title, seq) =
        line.split_once('\t').ok_or_else(|| DataError::Format(format!("blastdbcmd line without a tab: {line:.80}")))?;
    let accession = title.split('|').next().unwrap_or("").trim();
    if accession.is_empty() || seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_uppercase() || b == b'*') {
        return Err(DataError::Format(format!("unexpected blastdbcmd line: {line:.80}")));
    }
    Ok((accession, seq))
}

/// Reads the sequences of `wanted` accessions from the three databases under `dataset_dir`
/// (`.../metastudent-data/dataset_201401`). Fails if one accession has two different sequences.
pub fn read_sequences(dataset_dir: &Path, wanted: &HashSet<String>) -> Result<BTreeMap<String, String>, DataError> {
    read_sequences_where(dataset_dir, |accession| wanted.contains(accession))
}

/// [`read_sequences`] for every accession `keep` accepts (all of Swiss-Prot for pretraining).
pub fn read_sequences_where(
    dataset_dir: &Path,
    keep: impl Fn(&str) -> bool,
) -> Result<BTreeMap<String, String>, DataError> {
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for db in DATABASES {
        let path = dataset_dir.join(db).join("goasp.fasta");
        let mut child = Command::new("blastdbcmd")
            .arg("-db")
            .arg(&path)
            .args(["-entry", "all", "-outfmt", "%t\t%s"])
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| DataError::Tool(format!("cannot run blastdbcmd (Debian package ncbi-blast+): {e}")))?;
        let stdout = child.stdout.take().expect("piped stdout");
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| DataError::io(&path, e))?;
            let (accession, seq) = parse_line(&line)?;
            if !keep(accession) {
                continue;
            }
            match found.get(accession) {
                Some(existing) if existing != seq => {
                    return Err(DataError::Format(format!("{accession} has two different sequences across databases")));
                }
                Some(_) => {}
                None => {
                    found.insert(accession.to_owned(), seq.to_owned());
                }
            }
        }
        let status = child.wait().map_err(|e| DataError::io(&path, e))?;
        if !status.success() {
            return Err(DataError::Tool(format!("blastdbcmd on {} failed: {status}", path.display())));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real lines: `blastdbcmd -db MFO/goasp.fasta -entry all -outfmt '%t\t%s'` (see fixtures/README.md).
    #[test]
    fn parses_real_blastdbcmd_output() {
        let text = include_str!("../../tests/fixtures/goasp_human.tsv");
        let parsed: Vec<_> = text.lines().map(|l| parse_line(l).unwrap()).collect();
        assert!(parsed.len() >= 3);
        let (acc, seq) = parsed.iter().find(|(a, _)| *a == "P04637").expect("p53 in fixture");
        assert_eq!(*acc, "P04637");
        assert_eq!(seq.len(), 393);
        assert!(seq.starts_with("MEEPQSDPSV"));
        assert!(parse_line("no tab here").is_err());
    }
}

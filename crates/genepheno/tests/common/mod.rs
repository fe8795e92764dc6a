//! What the integration tests on the shipped files share: the repository root and real human
//! proteins from the committed data.

use std::io::Read;
use std::path::Path;

pub fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The first `n` proteins of data/genes.tsv.gz (one Swiss-Prot protein per human gene).
pub fn human_proteins(n: usize) -> Vec<String> {
    let file = std::fs::File::open(root().join("data/genes.tsv.gz")).expect("data/genes.tsv.gz is committed");
    let mut text = String::new();
    flate2::read::GzDecoder::new(file).read_to_string(&mut text).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let column = header.iter().position(|c| *c == "sequence").expect("a sequence column");
    lines.take(n).map(|l| l.split('\t').nth(column).unwrap().to_string()).collect()
}

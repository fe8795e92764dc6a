//! `genepheno bench`: the model forward on the native CPU backend (burn flex), measured on the
//! same real human proteins and in the same batches as the browser page sends them, so that
//! scripts/bench.sh can print the browser-to-native ratio (docs/BENCHMARKS.md).
//!
//! Prints one JSON object on stdout. Figures:
//! - throughput: proteins per second over N proteins taken from data/genes.tsv.gz at an offset,
//!   parsed by `genepheno::sequence` (as the page does) and batched by the page's planner
//!   (`genepheno::batching`: at most 16 records and 12,000 residues per batch, grouped by
//!   window length from a look-ahead over the waiting records; a longer protein goes alone),
//!   as the page batches them when all are dropped at once. Timed twice: the model forward only
//!   (`Predictor::predict`, with the weights dequantized at load as the browser's worker does), and the
//!   forward plus what the worker adds per record (the top-score list and the known-gene lookup
//!   against the reference set), so browser and native can be compared like for like.
//! - single-protein latency: one protein per call, after warm-up calls; median and spread.
//! - threads: burn flex is built without its `rayon` feature here (no thread pool); the number
//!   of OS threads of this process is read from /proc after the runs, as a check.

use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use genepheno::model::burn::prelude::Device;
use genepheno::batching;
use genepheno::model::{ModelMetadata, Predictor, store};
use genepheno::protocol::{LIST_FLOOR, top_scores};
use genepheno::reference::ReferenceSet;
use serde_json::{Value, json};


/// `genepheno bench`
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Label set whose shipped model to use (public/models/{dataset}.json).
    #[arg(long, value_parser = ["hpo", "mp", "gwas"], default_value = "hpo")]
    pub dataset: String,
    /// Folder of the shipped models.
    #[arg(long, default_value = crate::export::PUBLIC_MODELS)]
    pub models: PathBuf,
    /// The human proteins (data/genes.tsv.gz: one Swiss-Prot protein per gene).
    #[arg(long, default_value = "data/genes.tsv.gz")]
    pub genes: PathBuf,
    /// Sizes of the throughput runs: a number of proteins, or `all` for the whole set.
    /// Repeat or separate by commas.
    #[arg(long, value_delimiter = ',', default_value = "1000,all")]
    pub proteins: Vec<String>,
    /// First protein (row of genes.tsv.gz) of every run, as in the browser benchmark.
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Timed single-protein calls (one protein per call, the proteins after the offset).
    #[arg(long, default_value_t = 50)]
    pub single: usize,
    /// Untimed single-protein calls before them.
    #[arg(long, default_value_t = 5)]
    pub warmup: usize,
    /// Also time the forward plus the worker's per-record extras (top scores, known-gene lookup)
    /// for runs of at most this many proteins (a second pass over the same batches).
    #[arg(long, default_value_t = 1000)]
    pub extras_up_to: usize,
}

/// One FASTA record per row of genes.tsv.gz, in file order, headed as the browser benchmark
/// heads them (tests/e2e/harness.mjs `humanProteins`).
fn human_fasta(path: &PathBuf, offset: usize, n: usize) -> anyhow::Result<(String, usize)> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?)
        .read_to_string(&mut text)?;
    let rows: Vec<&str> = text.lines().skip(1).filter(|l| !l.is_empty()).collect();
    let total = rows.len();
    let mut fasta = String::new();
    for line in rows.iter().skip(offset).take(n) {
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() < 7 {
            bail!("{}: a row has {} fields, expected 7", path.display(), fields.len());
        }
        let (entrez, symbol, uniprot, sequence) = (fields[0], fields[1], fields[2], fields[6]);
        fasta.push_str(&format!(">{uniprot}_{symbol} Entrez {entrez}\n{sequence}\n"));
    }
    Ok((fasta, total))
}

/// The scorable proteins of a FASTA text, parsed like the page parses a dropped file.
fn proteins_of(fasta: &str) -> Vec<String> {
    let parsed = genepheno::sequence::parse_all("human.fasta", fasta.as_bytes());
    parsed.ready().filter_map(|r| r.protein.clone()).collect()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

/// Threads of this process right now (Linux /proc; None elsewhere).
fn os_threads() -> Option<usize> {
    std::fs::read_dir("/proc/self/task").ok().map(|d| d.count())
}

/// Times the page's batches; with `reference`, also does per record what the worker does
/// besides the forward (top scores above the list floor, known-gene lookup).
fn timed_run(predictor: &Predictor, proteins: &[String], reference: Option<&ReferenceSet>) -> anyhow::Result<Value> {
    let lengths: Vec<usize> = proteins.iter().map(String::len).collect();
    let window = predictor.metadata().config.window;
    let batches = batching::plan_all(&lengths, window);
    let padded: usize = batches
        .iter()
        .map(|b| batching::padded_cost(&b.iter().map(|&i| lengths[i]).collect::<Vec<_>>(), window))
        .sum();
    let mut batch_ms = Vec::with_capacity(batches.len());
    let mut extras_ms = 0.0;
    let mut recognised = 0usize;
    let started = Instant::now();
    for batch in &batches {
        let t = Instant::now();
        let slice: Vec<&[u8]> = batch.iter().map(|&i| proteins[i].as_bytes()).collect();
        let predictions = pollster::block_on(predictor.predict(&slice))?;
        let forward = t.elapsed().as_secs_f64() * 1e3;
        if let Some(reference) = reference {
            let e = Instant::now();
            for (protein, prediction) in slice.iter().zip(&predictions) {
                std::hint::black_box(top_scores(&prediction.phenotypes, LIST_FLOOR));
                if reference.identify(protein).is_some() {
                    recognised += 1;
                }
            }
            extras_ms += e.elapsed().as_secs_f64() * 1e3;
        }
        batch_ms.push(forward);
    }
    let seconds = started.elapsed().as_secs_f64();
    let residues: usize = proteins.iter().map(String::len).sum();
    let mut sorted = batch_ms.clone();
    sorted.sort_by(f64::total_cmp);
    let mut run = json!({
        "proteins": proteins.len(),
        "residues": residues,
        "batches": batches.len(),
        // Residue slots the encoder computes (windows padded to each batch's longest window)
        // per real residue.
        "padding_factor": round(padded as f64 / residues.max(1) as f64, 3),
        "seconds": round(seconds, 3),
        "proteins_per_s": round(proteins.len() as f64 / seconds, 2),
        "forward_seconds": round(batch_ms.iter().sum::<f64>() / 1e3, 3),
        "batch_forward_ms": {
            "median": round(percentile(&sorted, 50.0), 2),
            "p90": round(percentile(&sorted, 90.0), 2),
            "max": round(sorted.last().copied().unwrap_or(f64::NAN), 2),
        },
        "forward_ms_per_1000_residues": round(batch_ms.iter().sum::<f64>() / residues as f64 * 1e3, 2),
        // Per-batch forward times in input order, so that the browser's batch timeline can be
        // compared batch by batch.
        "batch_ms": batch_ms.iter().map(|v| round(*v, 2)).collect::<Vec<_>>(),
    });
    if reference.is_some() {
        run["with_worker_extras"] = json!(true);
        run["extras_seconds"] = json!(round(extras_ms / 1e3, 3));
        run["recognised_known_genes"] = json!(recognised);
    } else {
        run["with_worker_extras"] = json!(false);
    }
    Ok(run)
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let meta_path = args.models.join(format!("{}.json", args.dataset));
    let meta: ModelMetadata = serde_json::from_slice(
        &std::fs::read(&meta_path).with_context(|| format!("reading {}", meta_path.display()))?,
    )?;
    let weights_path = meta_path.with_file_name(&meta.weights_file);
    let weights = std::fs::read(&weights_path).with_context(|| format!("reading {}", weights_path.display()))?;
    let reference_path = args.models.join(format!("{}.reference.bin", args.dataset));
    let load_started = Instant::now();
    let predictor = Predictor::from_model(store::load_checked_dequantized(&meta, weights, &Device::flex())?, meta.clone(), &Device::flex())?;
    let load_ms = load_started.elapsed().as_secs_f64() * 1e3;
    // The reference set may lag behind a retrained model; then the extras pass is skipped, and
    // the JSON says why.
    let reference = match std::fs::read(&reference_path) {
        Ok(bytes) => ReferenceSet::decode_for_model(&bytes, &meta.weights_sha256, &meta.dataset)
            .map_err(|e| format!("{}: {e}", reference_path.display())),
        Err(e) => Err(format!("{}: {e}", reference_path.display())),
    };
    eprintln!("bench: model {} loaded in {load_ms:.0} ms", meta.model_version);

    // Warm-up then single-protein latency, one protein per call.
    let (fasta, available) = human_fasta(&args.genes, args.offset, args.warmup + args.single)?;
    let singles = proteins_of(&fasta);
    let mut latencies = Vec::new();
    for (i, protein) in singles.iter().enumerate() {
        let t = Instant::now();
        pollster::block_on(predictor.predict(&[protein.as_bytes()]))?;
        if i >= args.warmup {
            latencies.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let mut lengths: Vec<f64> = singles.iter().skip(args.warmup).map(|p| p.len() as f64).collect();
    let median_length = median(&mut lengths);
    let single_median = median(&mut latencies);
    eprintln!("bench: single protein median {single_median:.1} ms over {} calls", latencies.len());

    let mut runs = Vec::new();
    for size in &args.proteins {
        let n = if size == "all" { available.saturating_sub(args.offset) } else { size.parse().with_context(|| format!("--proteins {size}"))? };
        let (fasta, _) = human_fasta(&args.genes, args.offset, n)?;
        let proteins = proteins_of(&fasta);
        let run = timed_run(&predictor, &proteins, None)?;
        eprintln!("bench: {} proteins, forward only: {} s ({} proteins/s)", proteins.len(), run["seconds"], run["proteins_per_s"]);
        runs.push(run);
        if proteins.len() <= args.extras_up_to
            && let Ok(reference) = &reference
        {
            let run = timed_run(&predictor, &proteins, Some(reference))?;
            eprintln!("bench: {} proteins, forward + worker extras: {} s ({} proteins/s)", proteins.len(), run["seconds"], run["proteins_per_s"]);
            runs.push(run);
        }
    }

    let out = json!({
        "bench": "native",
        "backend": "burn flex (CPU), native release build",
        "dataset": meta.dataset,
        "model_version": meta.model_version,
        "weights_sha256": meta.weights_sha256,
        "model_load_ms": round(load_ms, 1),
        "reference_set": match &reference { Ok(r) => json!({ "genes": r.len() }), Err(e) => json!({ "problem": e }) },
        "human_proteins_available": available,
        "offset": args.offset,
        "batching": {
            "max_records": batching::MAX_RECORDS,
            "max_residues": batching::MAX_RESIDUES,
            "lookahead": batching::LOOKAHEAD,
            "window": meta.config.window,
        },
        "threads": {
            "os_threads_after_runs": os_threads(),
            "RAYON_NUM_THREADS": std::env::var("RAYON_NUM_THREADS").ok(),
        },
        "single": {
            "warmup_calls": args.warmup,
            "calls": latencies.len(),
            "median_ms": round(single_median, 2),
            "p10_ms": round(percentile(&latencies, 10.0), 2),
            "p90_ms": round(percentile(&latencies, 90.0), 2),
            "max_ms": round(latencies.last().copied().unwrap_or(f64::NAN), 2),
            "median_length": median_length,
        },
        "runs": runs,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

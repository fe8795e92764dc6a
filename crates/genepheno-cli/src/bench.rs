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
//!   of OS threads of this process is read from /proc after the runs, as a check. Scaling over
//!   cores is measured as `genepheno predict` gets it: the same batches scored by 1, 2, ...
//!   threads at once (`--thread-runs`), each thread taking the next batch.
//! - work and peak: the model's multiply-adds per residue slot (encoder convolutions) and per
//!   protein (plus the dense head), from the model's shape; the GFLOP/s each run achieved
//!   (2 flops per multiply-add, over the forward time); and this CPU's peak from /proc/cpuinfo:
//!   frequency x 8 f32 lanes (AVX2) x 2 flops per fused multiply-add x 2 FMA units per core
//!   (assumed: every AVX2 core since Intel Haswell and AMD Zen 2 has two).
//! - regions: residue maps (occlusion) of real proteins of given lengths, timed as
//!   `Predictor::regions` computes them and by masking every stretch and scoring each copy
//!   (`regions_by_masking`, the way they were first computed), with the largest difference
//!   between the two maps' effects.

use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use genepheno::domain::LabelSet;
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
    #[arg(long, value_parser = crate::args::label_set(), default_value = "hpo")]
    pub dataset: LabelSet,
    /// Folder of the shipped models.
    #[arg(long, default_value = crate::artifacts::PUBLIC_MODELS)]
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
    /// Thread counts of the scaling runs (the same batches, scored by this many threads at once).
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub thread_runs: Vec<usize>,
    /// Proteins of the scaling runs (from the offset).
    #[arg(long, default_value_t = 4000)]
    pub thread_proteins: usize,
    /// Residue maps: for each length, the first protein of genes.tsv.gz nearest to it is
    /// mapped for one phenotype and one concept (as the worker asks), by `Predictor::regions`
    /// and by masking every stretch (`regions_by_masking`), the two taking turns. Comma-separated;
    /// `--regions` with no value skips them.
    #[arg(long, value_delimiter = ',', num_args = 0.., default_value = "1000,2261")]
    pub regions: Vec<usize>,
    /// Timed calls of each residue-map way per protein (after one untimed call of each).
    #[arg(long, default_value_t = 5)]
    pub region_calls: usize,
}

/// Multiply-adds the model computes, from its shape (see the module docs).
#[derive(Debug, Clone, Copy)]
struct Work {
    /// Encoder convolutions per residue slot (padding included: it is computed).
    macs_per_slot: u64,
    /// Look-up additions of the folded stem per slot (no multiplications).
    stem_adds_per_slot: u64,
    /// The dense head (hidden, concept and phenotype layers) per protein.
    head_macs_per_protein: u64,
}

impl Work {
    fn of(meta: &ModelMetadata) -> Self {
        use genepheno::model::network::padded;
        let c = &meta.config;
        let e = &c.encoder;
        let ch = e.channels as u64;
        Work {
            macs_per_slot: e.dilations.len() as u64 * ch * ch * e.kernel as u64,
            stem_adds_per_slot: e.stem_kernel as u64 * ch,
            head_macs_per_protein: 2 * ch * padded(c.hidden) as u64
                + padded(c.hidden) as u64 * padded(c.concepts) as u64
                + c.concepts as u64 * padded(c.phenotypes) as u64,
        }
    }

    /// Multiply-adds of a run over `slots` padded residue slots and `proteins` proteins.
    fn macs(&self, slots: usize, proteins: usize) -> f64 {
        self.macs_per_slot as f64 * slots as f64 + self.head_macs_per_protein as f64 * proteins as f64
    }
}

/// This CPU's f32 peak, from /proc/cpuinfo (see the module docs).
fn cpu_peak() -> Value {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        info.lines()
            .find(|l| l.split(':').next().is_some_and(|k| k.trim() == name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
    };
    let flags = field("flags").unwrap_or_default();
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    let (avx2, fma) = (has("avx2"), has("fma"));
    let mhz: Option<f64> = field("cpu MHz").and_then(|v| v.parse().ok());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (lanes, fma_units) = if avx2 && fma { (8u32, 2u32) } else { (4, 1) };
    let per_core = mhz.map(|m| m / 1e3 * f64::from(lanes) * 2.0 * f64::from(fma_units));
    json!({
        "model_name": field("model name"),
        "mhz": mhz,
        "cores": cores,
        "avx2": avx2,
        "fma": fma,
        "f32_lanes": lanes,
        "fma_units_per_core_assumed": fma_units,
        "peak_gflops_per_core": per_core.map(|v| round(v, 1)),
        "peak_gflops_machine": per_core.map(|v| round(v * cores as f64, 1)),
    })
}

/// Scores the planned batches with `threads` threads at once (each takes the next batch, as
/// `genepheno predict`'s workers do); returns the wall time in seconds.
fn threaded_seconds(predictor: &Predictor, proteins: &[String], batches: &[Vec<usize>], threads: usize) -> anyhow::Result<f64> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(batch) = batches.get(i) else { return Ok(()) };
                        let slice: Vec<&[u8]> = batch.iter().map(|&i| proteins[i].as_bytes()).collect();
                        std::hint::black_box(pollster::block_on(predictor.predict(&slice))?);
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().expect("a bench thread panicked")?;
        }
        Ok(())
    })?;
    Ok(started.elapsed().as_secs_f64())
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
    let work = Work::of(predictor.metadata());
    let forward_s = batch_ms.iter().sum::<f64>() / 1e3;
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
        // 2 flops per multiply-add over the forward time: as computed (padding included) and
        // as useful (real residues only).
        "gflops_computed": round(2.0 * work.macs(padded, proteins.len()) / forward_s / 1e9, 2),
        "gflops_useful": round(2.0 * work.macs(residues, proteins.len()) / forward_s / 1e9, 2),
        "macs_per_protein": round(work.macs(padded, proteins.len()) / proteins.len().max(1) as f64, 0),
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

/// Times residue maps both ways on the proteins nearest `lengths` (see [`BenchArgs::regions`]),
/// and checks that the two agree.
fn region_runs(predictor: &Predictor, genes: &PathBuf, lengths: &[usize], calls: usize) -> anyhow::Result<Vec<Value>> {
    use genepheno::model::Scoring;
    if lengths.is_empty() {
        return Ok(Vec::new());
    }
    let (fasta, _) = human_fasta(genes, 0, usize::MAX)?;
    let proteins = proteins_of(&fasta);
    let scorings = [Scoring::Phenotype(0), Scoring::Concept(0)];
    let mut runs = Vec::new();
    for &target in lengths {
        let protein = proteins.iter().min_by_key(|p| p.len().abs_diff(target)).context("no proteins")?.as_bytes();
        let timed = |fast: bool| -> anyhow::Result<(f64, Vec<genepheno::regions::RegionMap>)> {
            let t = Instant::now();
            let maps = if fast {
                pollster::block_on(predictor.regions(protein, &scorings))?
            } else {
                pollster::block_on(predictor.regions_by_masking(protein, &scorings))?
            };
            Ok((t.elapsed().as_secs_f64() * 1e3, maps))
        };
        let (_, fast_maps) = timed(true)?;
        let (_, slow_maps) = timed(false)?;
        let (mut fast_ms, mut slow_ms) = (Vec::new(), Vec::new());
        for _ in 0..calls {
            fast_ms.push(timed(true)?.0);
            slow_ms.push(timed(false)?.0);
        }
        let difference = fast_maps
            .iter()
            .zip(&slow_maps)
            .flat_map(|(f, s)| f.stretches.iter().zip(&s.stretches).map(|(a, b)| (a.effect - b.effect).abs()))
            .fold(0f32, f32::max);
        let summary = |ms: &mut Vec<f64>| {
            let m = median(ms);
            json!({ "median": round(m, 1), "min": round(ms[0], 1), "max": round(ms[ms.len() - 1], 1) })
        };
        let (fast, slow) = (summary(&mut fast_ms), summary(&mut slow_ms));
        let speedup = slow["median"].as_f64().zip(fast["median"].as_f64()).map(|(s, f)| round(s / f, 1));
        eprintln!("bench: residue map of {} residues: {} ms, by masking every stretch {} ms", protein.len(), fast["median"], slow["median"]);
        runs.push(json!({
            "target_length": target,
            "length": protein.len(),
            "stretches": fast_maps[0].stretches.len(),
            "scorings": scorings.len(),
            "calls": calls,
            "ms": fast,
            "by_masking_ms": slow,
            "speedup": speedup,
            "largest_effect_difference": difference,
        }));
    }
    Ok(runs)
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
        Ok(bytes) => ReferenceSet::decode_for_model(&bytes, &meta.weights_sha256, meta.dataset)
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

    // Scaling over threads: the same batches, scored by 1, 2, ... threads at once.
    let (fasta, _) = human_fasta(&args.genes, args.offset, args.thread_proteins)?;
    let proteins = proteins_of(&fasta);
    let lengths: Vec<usize> = proteins.iter().map(String::len).collect();
    let window = meta.config.window;
    let batches = batching::plan_all(&lengths, window);
    let slots: usize = batches.iter().map(|b| batching::padded_cost(&b.iter().map(|&i| lengths[i]).collect::<Vec<_>>(), window)).sum();
    let work = Work::of(&meta);
    let mut thread_runs = Vec::new();
    for &threads in &args.thread_runs {
        let seconds = threaded_seconds(&predictor, &proteins, &batches, threads.max(1))?;
        let rate = proteins.len() as f64 / seconds;
        eprintln!("bench: {} proteins with {threads} thread(s): {seconds:.2} s ({rate:.1} proteins/s)", proteins.len());
        thread_runs.push(json!({
            "threads": threads,
            "proteins": proteins.len(),
            "seconds": round(seconds, 3),
            "proteins_per_s": round(rate, 2),
            "gflops_computed": round(2.0 * work.macs(slots, proteins.len()) / seconds / 1e9, 2),
        }));
    }
    let base = thread_runs.first().and_then(|r| r["proteins_per_s"].as_f64());
    for run in &mut thread_runs {
        if let (Some(base), Some(rate)) = (base, run["proteins_per_s"].as_f64()) {
            run["speedup"] = json!(round(rate / base, 3));
        }
    }

    let regions = region_runs(&predictor, &args.genes, &args.regions, args.region_calls.max(1))?;

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
        "work": {
            "macs_per_residue_slot": work.macs_per_slot,
            "stem_lookup_adds_per_residue_slot": work.stem_adds_per_slot,
            "head_macs_per_protein": work.head_macs_per_protein,
            "padding_factor": round(slots as f64 / lengths.iter().sum::<usize>().max(1) as f64, 3),
            "mean_residues": round(lengths.iter().sum::<usize>() as f64 / lengths.len().max(1) as f64, 1),
            "macs_per_protein_mean": round(work.macs(slots, proteins.len()) / proteins.len().max(1) as f64, 0),
        },
        "cpu": cpu_peak(),
        "thread_runs": thread_runs,
        "regions": regions,
        "load_average_after": std::fs::read_to_string("/proc/loadavg").ok().map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")),
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

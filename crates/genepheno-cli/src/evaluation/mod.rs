//! `genepheno eval`: the model, its ablations and the baselines on the same fixed split, scored
//! with the metrics of `shared/EVALUATION.md` ([`metrics`]); written to JSON and docs/RESULTS.md.

pub mod baselines;
pub mod metrics;
pub mod report;

use genepheno::model::burn::prelude::Device;
use genepheno::model::{GenePheno, ModelMetadata, Predictor};

use crate::training::task::Task;

/// How the concept layer is fed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Mode {
    /// Predicted concepts from the sequence alone.
    Sequence,
    /// Curated GO of the gene when it has any, else predicted concepts (the published setting).
    KnownGene,
    /// As `KnownGene`, but the curated GO without phenotype-derived evidence (IMP, IGI); genes
    /// left without any GO fall back to predicted concepts.
    KnownGeneNoPhenotypeEvidence,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Sequence, Mode::KnownGene, Mode::KnownGeneNoPhenotypeEvidence];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Sequence => "sequence",
            Mode::KnownGene => "known-gene",
            Mode::KnownGeneNoPhenotypeEvidence => "known-gene, no IMP/IGI",
        }
    }

    /// The curated concept row the mode feeds for a gene, or `None` when it uses the sequence.
    pub fn curated_row(self, task: &Task, gene: usize) -> Option<Vec<f32>> {
        match self {
            Mode::Sequence => None,
            Mode::KnownGene => task.has_go(gene).then(|| task.concept_row(gene)),
            Mode::KnownGeneNoPhenotypeEvidence => {
                let row = task.concept_row_without_phenotype_evidence(gene);
                row.iter().any(|&v| v > 0.0).then_some(row)
            }
        }
    }
}

/// Dense truth `[genes x labels]` of the given genes (labels are closed upward by the data build).
pub fn truth(task: &Task, genes: &[usize]) -> Vec<bool> {
    genes.iter().flat_map(|&g| task.label_row(g)).map(|v| v > 0.5).collect()
}

/// Genes scored per inference batch; sorted by length so batches pad little.
const BATCH: usize = 16;

/// Phenotype scores `[genes x labels]` of a model through the browser's inference code
/// ([`Predictor`], driven by a blocking executor), closed upward in the label ontology.
pub fn model_scores(
    model: &GenePheno,
    metadata: &ModelMetadata,
    task: &Task,
    genes: &[usize],
    mode: Mode,
) -> anyhow::Result<Vec<f32>> {
    let device = Device::flex();
    let predictor = Predictor::from_model(model.clone(), metadata.clone(), &device)?;
    let width = task.label_count();
    let mut scores = vec![0f32; genes.len() * width];
    let mut order: Vec<usize> = (0..genes.len()).collect();
    order.sort_by_key(|&i| task.data.genes[genes[i]].sequence.len());
    for chunk in order.chunks(BATCH) {
        let curated: Vec<Option<Vec<f32>>> = chunk.iter().map(|&i| mode.curated_row(task, genes[i])).collect();
        let known: Vec<usize> = chunk.iter().zip(&curated).filter(|(_, r)| r.is_some()).map(|(&i, _)| i).collect();
        let unknown: Vec<usize> = chunk.iter().zip(&curated).filter(|(_, r)| r.is_none()).map(|(&i, _)| i).collect();
        if !unknown.is_empty() {
            let seqs: Vec<&[u8]> = unknown.iter().map(|&i| task.data.genes[genes[i]].sequence.as_bytes()).collect();
            let out = pollster::block_on(predictor.predict(&seqs))?;
            for (&i, p) in unknown.iter().zip(out) {
                scores[i * width..(i + 1) * width].copy_from_slice(&p.phenotypes);
            }
        }
        if !known.is_empty() {
            let rows: Vec<Vec<f32>> = curated.into_iter().flatten().collect();
            let out = pollster::block_on(predictor.predict_from_concepts(&rows))?;
            for (&i, p) in known.iter().zip(out) {
                scores[i * width..(i + 1) * width].copy_from_slice(&p.phenotypes);
            }
        }
    }
    Ok(scores)
}

use std::collections::HashMap;
use std::path::PathBuf;

use genepheno::model::store;

use crate::data::dataset::{Dataset, SplitKind};
use crate::training::task::ConceptChoice;
use crate::training::{Variant, dataset_kind, dataset_version, model_dir};
use report::Row;

/// `genepheno eval`
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Label sets to evaluate (default: all three).
    #[arg(long, value_parser = ["hpo", "mp", "gwas"])]
    pub dataset: Vec<String>,
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Where `genepheno train` wrote its models.
    #[arg(long, default_value = "target/models")]
    pub models: PathBuf,
    /// Where the shipped (quantized) models are.
    #[arg(long, default_value = crate::export::PUBLIC_MODELS)]
    pub public: PathBuf,
    /// Scratch directory (mmseqs).
    #[arg(long, default_value = "target/eval")]
    pub work: PathBuf,
    /// JSON output: one `{dataset}.json` per evaluated dataset; RESULTS.md is rendered from every
    /// file there, so datasets can be evaluated one at a time.
    #[arg(long, default_value = "docs/results")]
    pub json: PathBuf,
    /// Markdown output.
    #[arg(long, default_value = "docs/RESULTS.md")]
    pub markdown: PathBuf,
    /// Take the baseline rows (everything not named "GenePheno...") from the dataset's existing
    /// JSON instead of refitting them, when that JSON is for the same dataset version. The
    /// baselines do not depend on the model and are seeded, so this only saves time (the GO -> MLP
    /// fit takes minutes) when the model or an ablation was retrained.
    #[arg(long)]
    pub reuse_baselines: bool,
}

/// Everything `genepheno eval` found, as written to JSON.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Results {
    dataset_version: String,
    split: String,
    rows: Vec<Row>,
    /// Quantized minus float, per dataset, part and mode: (ΔFmax, ΔAUC).
    quantization: Vec<QuantizationCheck>,
    notes: Vec<String>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct QuantizationCheck {
    dataset: String,
    part: String,
    mode: String,
    delta_fmax: f64,
    delta_auc: f64,
}

fn split_rows(scores: &[f32], width: usize, at: usize) -> (Vec<f32>, Vec<f32>) {
    let (a, b) = scores.split_at(at * width);
    (a.to_vec(), b.to_vec())
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    let names = if args.dataset.is_empty() { vec!["hpo".into(), "mp".into(), "gwas".into()] } else { args.dataset.clone() };
    std::fs::create_dir_all(&args.json)?;
    for name in &names {
        let mut results = Results {
            dataset_version: dataset_version(&args.data)?,
            split: "homology".into(),
            rows: Vec::new(),
            quantization: Vec::new(),
            notes: Vec::new(),
        };
        let kind = dataset_kind(name)?;
        let data = Dataset::load(&args.data, kind)?;
        let task = Task::new(data, SplitKind::Homology, &ConceptChoice::default())?;
        let path = args.json.join(format!("{name}.json"));
        let previous: Option<Results> = args
            .reuse_baselines
            .then(|| std::fs::read(&path).ok().and_then(|b| serde_json::from_slice::<Results>(&b).ok()))
            .flatten()
            .filter(|p| p.dataset_version == results.dataset_version && p.split == results.split);
        if args.reuse_baselines && previous.is_none() {
            eprintln!("{name}: no earlier results for this data version; fitting the baselines");
        }
        evaluate_dataset(name, &task, &args, &mut results, previous)?;
        std::fs::write(&path, serde_json::to_vec_pretty(&results)?)?;
        eprintln!("wrote {}", path.display());
    }
    // Render every dataset evaluated so far, in a fixed order.
    let mut all = Vec::new();
    for name in ["hpo", "mp", "gwas"] {
        let path = args.json.join(format!("{name}.json"));
        if let Ok(bytes) = std::fs::read(&path) {
            all.push(serde_json::from_slice::<Results>(&bytes)?);
        }
    }
    let markdown = render(&all);
    std::fs::write(&args.markdown, &markdown)?;
    println!("{markdown}");
    eprintln!("wrote {}", args.markdown.display());
    Ok(())
}

fn evaluate_dataset(
    name: &str,
    task: &Task,
    args: &EvalArgs,
    results: &mut Results,
    previous: Option<Results>,
) -> anyhow::Result<()> {
    let split = task.data.split(SplitKind::Homology);
    let width = task.label_count();
    let freq = task.train_frequency();
    let parts: [(&str, &[usize]); 2] = [("valid", &split.valid), ("test", &split.test)];
    let truths: Vec<Vec<bool>> = parts.iter().map(|(_, g)| truth(task, g)).collect();
    let push = |results: &mut Results, method: &str, mode: Mode, per_part: [Vec<f32>; 2]| {
        for ((part, _), (scores, truth)) in parts.iter().zip(per_part.iter().zip(&truths)) {
            let row = report::evaluate(name, part, method, mode.name(), scores, truth, width, &freq, &task.exclusive);
            eprintln!(
                "{name} {part} {method} {}: Fmax {:.4} (t={:.2}), AUC {:.4} over {} terms",
                mode.name(),
                row.all.fmax.fmax,
                row.all.fmax.threshold,
                row.all.auc.auc,
                row.all.auc.terms
            );
            results.rows.push(row);
        }
    };
    let score_parts = |model: &GenePheno, meta: &ModelMetadata, mode: Mode| -> anyhow::Result<[Vec<f32>; 2]> {
        Ok([model_scores(model, meta, task, parts[0].1, mode)?, model_scores(model, meta, task, parts[1].1, mode)?])
    };
    let device = Device::flex();
    let expected_concepts: Vec<&str> = task.concepts.iter().map(|&t| task.data.go_terms[t].id.as_str()).collect();

    // The model and its ablations (float), then the shipped quantized model.
    let mut float_full: HashMap<&str, [Vec<f32>; 2]> = HashMap::new();
    for variant in Variant::ALL {
        let dir = model_dir(&args.models, name, variant);
        let Ok((meta, bytes)) = crate::export::read_trained(&dir) else {
            results.notes.push(format!("{name}: no trained {} model in {}", variant.name(), dir.display()));
            continue;
        };
        let concepts: Vec<&str> = meta.concepts.iter().map(|c| c.id.as_str()).collect();
        anyhow::ensure!(concepts == expected_concepts, "{}: concept set differs from this data's", dir.display());
        let model = store::load_checked(&meta, bytes, &device)?;
        let method = match variant {
            Variant::Full => "GenePheno (f32)".to_string(),
            v => format!("GenePheno without {}", &v.name()[3..]),
        };
        for mode in Mode::ALL {
            let scores = score_parts(&model, &meta, mode)?;
            if variant == Variant::Full {
                float_full.insert(mode.name(), scores.clone());
            }
            push(results, &method, mode, scores);
        }
    }
    let shipped = args.public.join(format!("{name}.json"));
    match std::fs::read(&shipped) {
        Ok(json) => {
            let meta: ModelMetadata = serde_json::from_slice(&json)?;
            let bytes = std::fs::read(shipped.with_file_name(&meta.weights_file))?;
            let model = store::load_checked(&meta, bytes, &device)?;
            for mode in Mode::ALL {
                let scores = score_parts(&model, &meta, mode)?;
                if let Some(float) = float_full.get(mode.name()) {
                    for (p, (part, _)) in parts.iter().enumerate() {
                        let all: Vec<usize> = (0..width).collect();
                        let fq = metrics::fmax(&scores[p], &truths[p], width, &all).fmax;
                        let ff = metrics::fmax(&float[p], &truths[p], width, &all).fmax;
                        let aq = metrics::macro_auc(&scores[p], &truths[p], width, &all).auc;
                        let af = metrics::macro_auc(&float[p], &truths[p], width, &all).auc;
                        results.quantization.push(QuantizationCheck {
                            dataset: name.into(),
                            part: part.to_string(),
                            mode: mode.name().into(),
                            delta_fmax: fq - ff,
                            delta_auc: aq - af,
                        });
                    }
                }
                push(results, "GenePheno (Q8S, shipped)", mode, scores);
            }
        }
        Err(_) => results.notes.push(format!("{name}: no shipped model at {}", shipped.display())),
    }

    if let Some(previous) = previous {
        let baseline_rows: Vec<Row> = previous.rows.into_iter().filter(|r| !r.method.starts_with("GenePheno")).collect();
        anyhow::ensure!(!baseline_rows.is_empty(), "{name}: the earlier results hold no baseline rows");
        results.rows.extend(baseline_rows);
        results.notes.extend(previous.notes.into_iter().filter(|n| !n.contains(" model in ") && !n.contains("no shipped model")));
        results.notes.push(format!("{name}: baseline rows reused from the previous run on the same data version"));
        return Ok(());
    }

    // Baselines, fitted on the training genes; valid and test scored together, then split.
    let train = &split.train;
    let eval_genes: Vec<usize> = split.valid.iter().chain(&split.test).copied().collect();
    let nv = split.valid.len();
    let (a, b) = split_rows(&baselines::label_frequency(task, train, eval_genes.len()), width, nv);
    push(results, "label frequency", Mode::Sequence, [a, b]);

    match baselines::homology_transfer(task, train, &eval_genes, &args.work.join(name)) {
        Ok(scores) => {
            let (a, b) = split_rows(&scores, width, nv);
            push(results, "homology transfer (mmseqs, bit-score weighted)", Mode::Sequence, [a, b]);
        }
        Err(e) => results.notes.push(format!("{name}: homology transfer not run: {e:#}")),
    }

    let train_y: Vec<f32> = train.iter().flat_map(|&g| task.label_row(g)).collect();
    let features = |genes: &[usize], f: &dyn Fn(usize) -> Vec<f32>| -> Vec<f32> { genes.iter().flat_map(|&g| f(g)).collect() };
    let kmer = |g: usize| baselines::kmer_features(&task.data.genes[g].sequence);
    let (mut tx, mut vx, mut ex) = (features(train, &kmer), features(&split.valid, &kmer), features(&eval_genes, &kmer));
    baselines::standardise(&mut tx, &mut [&mut vx, &mut ex], 421);
    let fit = baselines::DenseFit { hidden: None, epochs: 30, learning_rate: 1e-3, weight_decay: 1e-3, seed: 7 };
    let scores = baselines::fit_dense(task, &fit, 421, &tx, &train_y, &vx, &truths[0], &[&ex])?.remove(0);
    let (a, b) = split_rows(&scores, width, nv);
    push(results, "k-mer (1+2) logistic regression", Mode::Sequence, [a, b]);

    let inputs = baselines::go_inputs(task, train, 5);
    let index: HashMap<usize, usize> = inputs.iter().enumerate().map(|(i, &t)| (t, i)).collect();
    let go = |g: usize| baselines::go_features(task, g, &index, false);
    let go_no_phenotype = |g: usize| baselines::go_features(task, g, &index, true);
    let (tx, vx, ex) = (features(train, &go), features(&split.valid, &go), features(&eval_genes, &go));
    let ex_no_phenotype = features(&eval_genes, &go_no_phenotype);
    let fit = baselines::DenseFit { hidden: Some(256), epochs: 30, learning_rate: 1e-3, weight_decay: 1e-4, seed: 7 };
    let mut scores = baselines::fit_dense(task, &fit, inputs.len(), &tx, &train_y, &vx, &truths[0], &[&ex, &ex_no_phenotype])?;
    let (a, b) = split_rows(&scores.remove(0), width, nv);
    push(results, "DeepPheno-style GO -> MLP", Mode::KnownGene, [a, b]);
    // Trained on all evidence like the model, scored without IMP/IGI annotations (a gene left
    // without GO gets an all-zero input).
    let (a, b) = split_rows(&scores.remove(0), width, nv);
    push(results, "DeepPheno-style GO -> MLP", Mode::KnownGeneNoPhenotypeEvidence, [a, b]);
    results.notes.push(format!(
        "{name}: {} train / {} valid / {} test genes, {} labels, {} GO concepts, {} exclusive pairs, {} GO inputs for the MLP baseline",
        split.train.len(),
        split.valid.len(),
        split.test.len(),
        width,
        task.concept_count(),
        task.exclusive.len(),
        inputs.len()
    ));
    Ok(())
}

fn render(all: &[Results]) -> String {
    let mut s = String::from(
        "# Results\n\nGenerated by `genepheno eval` (do not edit by hand). Metrics as defined in \
         shared/EVALUATION.md: gene-centric Fmax (threshold grid 0.00..1.00) and macro ROC AUC over terms with \
         both classes; bins by training frequency of the term (cells: Fmax / AUC (terms with both classes)). \
         Split: homology-aware (whole homology groups per part). Modes: `sequence` = predicted GO concepts from \
         the protein alone; `known-gene` = the gene's curated GO fed to the concept layer (genes without GO fall \
         back to predicted concepts); `known-gene, no IMP/IGI` = the same with the annotations whose only evidence is \
         phenotype-derived (IMP, IGI) removed first. The last column is the share of (gene, exclusive pair) with both terms at or \
         above the row's Fmax threshold.\n\n",
    );
    for results in all {
        s.push_str(&format!("Dataset version `{}`, split `{}`.\n\n", results.dataset_version, results.split));
        // Sections in first-seen order (rows alternate between parts).
        let mut keys: Vec<(&str, &str)> = Vec::new();
        for r in &results.rows {
            let key = (r.dataset.as_str(), r.part.as_str());
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        for (dataset, part) in keys {
            let rows: Vec<&Row> = results.rows.iter().filter(|r| r.dataset == dataset && r.part == part).collect();
            let genes = rows.first().map_or(0, |r| r.all.fmax.genes);
            s.push_str(&format!("## {dataset}, {part} part ({genes} genes)\n\n{}\n", report::markdown_table(&rows)));
        }
        if !results.quantization.is_empty() {
            s.push_str("### Quantized (shipped) minus float\n\n| dataset | part | mode | ΔFmax | ΔAUC |\n|---|---|---|---|---|\n");
            for q in &results.quantization {
                s.push_str(&format!("| {} | {} | {} | {:+.5} | {:+.5} |\n", q.dataset, q.part, q.mode, q.delta_fmax, q.delta_auc));
            }
            s.push('\n');
        }
        if !results.notes.is_empty() {
            s.push_str("### Notes\n\n");
            for n in &results.notes {
                s.push_str(&format!("- {n}\n"));
            }
            s.push('\n');
        }
    }
    s
}

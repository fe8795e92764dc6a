//! `genepheno eval`: the model, its ablations and the baselines on the same fixed split, scored
//! with the metrics of `shared/EVALUATION.md` ([`metrics`]); written to JSON and docs/RESULTS.md.

pub mod baselines;
pub mod homology;
pub mod report;

use anyhow::Context;
use genepheno::domain::LabelSet;
use genepheno::model::burn::prelude::Device;
use genepheno::model::{GenePheno, ModelMetadata, Predictor};

use crate::metrics;
use crate::task::{Task, truth};

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
    /// Sequence mode with the Swiss-Prot homology component mixed into the concepts
    /// ([`homology`]); scored by `evaluate_dataset`, not by [`model_scores`].
    SequenceHomology,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Sequence, Mode::KnownGene, Mode::KnownGeneNoPhenotypeEvidence];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Sequence => "sequence",
            Mode::KnownGene => "known-gene",
            Mode::KnownGeneNoPhenotypeEvidence => "known-gene, no IMP/IGI",
            Mode::SequenceHomology => "sequence + homology",
        }
    }

    /// The curated concept row (in `columns`' order) the mode feeds for a gene, or `None` when
    /// it uses the sequence.
    pub fn curated_row(self, task: &Task, columns: &ConceptColumns, gene: usize) -> Option<Vec<f32>> {
        match self {
            Mode::Sequence | Mode::SequenceHomology => None,
            Mode::KnownGene => task.has_go(gene).then(|| columns.row(&task.data.genes[gene].go_closed)),
            Mode::KnownGeneNoPhenotypeEvidence => {
                let row = columns.row(&task.data.go_closed_without_phenotype_evidence(gene));
                row.iter().any(|&v| v > 0.0).then_some(row)
            }
        }
    }
}

/// Where a model's concepts sit among the data's GO terms. Each model is fed and judged on its
/// own concept set, so a model trained on another concept choice than today's default (or the
/// shipped model next to a retrained one) is still scored correctly.
pub struct ConceptColumns {
    column_of_term: HashMap<usize, usize>,
    len: usize,
}

impl ConceptColumns {
    /// The concepts a model's metadata names, by GO id.
    pub fn of_model(task: &Task, metadata: &ModelMetadata) -> anyhow::Result<Self> {
        let terms = metadata
            .concepts
            .iter()
            .map(|c| {
                task.data
                    .go_terms
                    .binary_search_by(|t| t.id.as_str().cmp(&c.id))
                    .map_err(|_| anyhow::anyhow!("model concept {} is not a GO term of this data", c.id))
            })
            .collect::<anyhow::Result<Vec<usize>>>()?;
        Ok(Self::of_terms(&terms))
    }

    /// The task's own concept choice.
    pub fn of_task(task: &Task) -> Self {
        Self::of_terms(&task.concepts)
    }

    fn of_terms(terms: &[usize]) -> Self {
        Self { column_of_term: terms.iter().enumerate().map(|(i, &t)| (t, i)).collect(), len: terms.len() }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Dense 0/1 row of the concepts among upward-closed GO terms.
    pub fn row(&self, closed_terms: &[usize]) -> Vec<f32> {
        let mut row = vec![0f32; self.len];
        for t in closed_terms {
            if let Some(&c) = self.column_of_term.get(t) {
                row[c] = 1.0;
            }
        }
        row
    }

    /// Concept truth `[genes x len]` of genes, from their curated, upward-closed GO.
    pub fn truth(&self, task: &Task, genes: &[usize]) -> Vec<bool> {
        genes.iter().flat_map(|&g| self.row(&task.data.genes[g].go_closed)).map(|v| v > 0.5).collect()
    }
}

/// Genes scored per inference batch; sorted by length so batches pad little.
const BATCH: usize = 16;

/// A model's output on some genes: phenotype scores `[genes x labels]`, closed upward in the
/// label ontology, and the concept layer's activations `[genes x concepts]` that produced them.
pub struct Scored {
    pub phenotypes: Vec<f32>,
    pub concepts: Vec<f32>,
}

/// Scores genes with a model through the browser's inference code ([`Predictor`], driven by a
/// blocking executor).
pub fn model_scores(
    model: &GenePheno,
    metadata: &ModelMetadata,
    task: &Task,
    genes: &[usize],
    mode: Mode,
) -> anyhow::Result<Scored> {
    let device = Device::flex();
    let predictor = Predictor::from_model(model.clone(), metadata.clone(), &device)?;
    let columns = ConceptColumns::of_model(task, metadata)?;
    let (width, concept_width) = (task.label_count(), columns.len());
    let mut scores = vec![0f32; genes.len() * width];
    let mut concepts = vec![0f32; genes.len() * concept_width];
    let mut order: Vec<usize> = (0..genes.len()).collect();
    order.sort_by_key(|&i| task.data.genes[genes[i]].sequence.len());
    let mut keep = |i: usize, p: &genepheno::model::Prediction| -> anyhow::Result<()> {
        anyhow::ensure!(p.concepts.len() == concept_width, "the model returned {} concepts, its metadata names {concept_width}", p.concepts.len());
        scores[i * width..(i + 1) * width].copy_from_slice(&p.phenotypes);
        concepts[i * concept_width..(i + 1) * concept_width].copy_from_slice(&p.concepts);
        Ok(())
    };
    for chunk in order.chunks(BATCH) {
        let curated: Vec<Option<Vec<f32>>> = chunk.iter().map(|&i| mode.curated_row(task, &columns, genes[i])).collect();
        let known: Vec<usize> = chunk.iter().zip(&curated).filter(|(_, r)| r.is_some()).map(|(&i, _)| i).collect();
        let unknown: Vec<usize> = chunk.iter().zip(&curated).filter(|(_, r)| r.is_none()).map(|(&i, _)| i).collect();
        if !unknown.is_empty() {
            let seqs: Vec<&[u8]> = unknown.iter().map(|&i| task.data.genes[genes[i]].sequence.as_bytes()).collect();
            let out = pollster::block_on(predictor.predict(&seqs))?;
            for (&i, p) in unknown.iter().zip(&out) {
                keep(i, p)?;
            }
        }
        if !known.is_empty() {
            let rows: Vec<Vec<f32>> = curated.into_iter().flatten().collect();
            let out = pollster::block_on(predictor.predict_from_concepts(&rows))?;
            for (&i, p) in known.iter().zip(&out) {
                keep(i, p)?;
            }
        }
    }
    Ok(Scored { phenotypes: scores, concepts })
}

/// A model's sequence mode with the homology component: per part, the mixed concepts and the
/// phenotype scores they give, and the network weight chosen on validation.
struct Mixed {
    alpha: f32,
    concepts: [Vec<f32>; 2],
    phenotypes: [Vec<f32>; 2],
}

/// Mixes the network's concept activations with the transferred ones (module `homology`) for
/// each network weight 0.0, 0.1, ..., 1.0 and keeps the one with the best validation Fmax + AUC.
fn with_homology(
    model: &GenePheno,
    metadata: &ModelMetadata,
    task: &Task,
    transfer: &homology::Transfer,
    genes: [&[usize]; 2],
    network: [&Vec<f32>; 2],
    valid_truth: &[bool],
) -> anyhow::Result<Mixed> {
    let predictor = Predictor::from_model(model.clone(), metadata.clone(), &Device::flex())?;
    let columns: Vec<&str> = metadata.concepts.iter().map(|c| c.id.as_str()).collect();
    let w = columns.len();
    let width = task.label_count();
    let transferred = genes.map(|g| {
        let entrez: Vec<u32> = g.iter().map(|&i| task.data.genes[i].entrez).collect();
        transfer.concept_rows(&entrez, &columns)
    });
    let mix = |p: usize, alpha: f32| -> Vec<f32> {
        let (rows, covered) = &transferred[p];
        let mut out = network[p].clone();
        for (i, &c) in covered.iter().enumerate() {
            if c {
                for k in i * w..(i + 1) * w {
                    out[k] = alpha * network[p][k] + (1.0 - alpha) * rows[k];
                }
            }
        }
        out
    };
    let phenotypes = |concepts: &[f32]| -> anyhow::Result<Vec<f32>> {
        let rows: Vec<Vec<f32>> = concepts.chunks(w).map(<[f32]>::to_vec).collect();
        let out = pollster::block_on(predictor.predict_from_concepts(&rows))?;
        Ok(out.into_iter().flat_map(|p| p.phenotypes).collect())
    };
    let all: Vec<usize> = (0..width).collect();
    let mut best: Option<(f64, f32)> = None;
    for step in 0..=10 {
        let alpha = step as f32 / 10.0;
        let scores = phenotypes(&mix(0, alpha))?;
        let score = metrics::fmax(&scores, valid_truth, width, &all).fmax + metrics::macro_auc(&scores, valid_truth, width, &all).auc;
        eprintln!("homology mix alpha {alpha:.1}: validation Fmax + AUC {score:.4}");
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, alpha));
        }
    }
    let alpha = best.expect("eleven weights tried").1;
    let concepts = [mix(0, alpha), mix(1, alpha)];
    let phenotypes = [phenotypes(&concepts[0])?, phenotypes(&concepts[1])?];
    Ok(Mixed { alpha, concepts, phenotypes })
}

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use genepheno::model::store;

use crate::data::dataset::{Dataset, SplitKind};
use crate::task::ConceptChoice;
use crate::artifacts::{Variant, dataset_version, model_dir};
use report::{Figures, Row, Scoring};

/// `genepheno eval`
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Label sets to evaluate (default: all three).
    #[arg(long, value_parser = crate::args::label_set())]
    pub dataset: Vec<LabelSet>,
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Where `genepheno train` wrote its models.
    #[arg(long, default_value = "target/models")]
    pub models: PathBuf,
    /// Where the shipped (quantized) models are.
    #[arg(long, default_value = crate::artifacts::PUBLIC_MODELS)]
    pub public: PathBuf,
    /// A further model row, `LABEL=PATH`: PATH is a `genepheno train` output directory or a
    /// shipped-style metadata JSON (weights beside it); `{dataset}` in PATH becomes the dataset
    /// name. Repeatable; rows come after the built-in ones, in the order given. Example:
    /// `--model "GenePheno without Swiss-Prot pretraining=target/models/{dataset}-no-pretrain"`.
    #[arg(long = "model", value_parser = ExtraModel::parse)]
    pub extra_models: Vec<ExtraModel>,
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
    /// Take the fitted baseline rows (homology transfer, k-mer regression, GO -> MLP) from the
    /// dataset's existing JSON instead of refitting them, when that JSON is for the same dataset
    /// version and has every figure this version reports. The baselines do not depend on the
    /// model and are seeded, so this only saves time (the GO -> MLP fit takes minutes) when the
    /// model or an ablation was retrained. Label frequency is always recomputed (it is instant,
    /// and its concept figures depend on the concept choice).
    #[arg(long)]
    pub reuse_baselines: bool,
    /// The Swiss-Prot pretraining set for the homology component (default: the package cache's
    /// swissprot/proteins.tsv.gz; `genepheno data swissprot` builds it). Without it the
    /// "sequence + homology" rows are left out, with a note.
    #[arg(long)]
    pub homology_set: Option<PathBuf>,
    /// Only run (or reuse) the homology search and exit: it takes a while, and can run ahead.
    #[arg(long)]
    pub homology_search_only: bool,
}

/// A model row given on the command line (`--model LABEL=PATH`).
#[derive(Debug, Clone)]
pub struct ExtraModel {
    pub label: String,
    /// May contain `{dataset}`.
    pub path: String,
}

impl ExtraModel {
    fn parse(text: &str) -> Result<Self, String> {
        let (label, path) = text.split_once('=').ok_or_else(|| format!("{text:?}: expected LABEL=PATH"))?;
        let (label, path) = (label.trim(), path.trim());
        if label.is_empty() || path.is_empty() {
            return Err(format!("{text:?}: both LABEL and PATH must be non-empty"));
        }
        Ok(Self { label: label.into(), path: path.into() })
    }
}

/// Where a model row's weights are.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelSource {
    /// A `genepheno train` output directory (`metadata.json` and float weights).
    Trained(PathBuf),
    /// A shipped-style metadata JSON with its weights file beside it.
    Shipped(PathBuf),
}

impl ModelSource {
    /// A directory is a trained model, anything else a metadata file.
    fn of_path(path: PathBuf) -> Self {
        if path.extension().is_some_and(|e| e == "json") { Self::Shipped(path) } else { Self::Trained(path) }
    }

    fn path(&self) -> &Path {
        match self {
            Self::Trained(p) | Self::Shipped(p) => p,
        }
    }

    /// The model's metadata and weights, or `None` when nothing is there.
    fn read(&self) -> anyhow::Result<Option<(ModelMetadata, Vec<u8>)>> {
        match self {
            Self::Trained(dir) => {
                if !dir.join("metadata.json").exists() {
                    return Ok(None);
                }
                crate::artifacts::read_trained(dir).map(Some)
            }
            Self::Shipped(json) => {
                let Ok(text) = std::fs::read(json) else { return Ok(None) };
                let meta: ModelMetadata = serde_json::from_slice(&text).with_context(|| format!("reading {}", json.display()))?;
                let weights = json.with_file_name(&meta.weights_file);
                let bytes = std::fs::read(&weights).with_context(|| format!("reading {}", weights.display()))?;
                Ok(Some((meta, bytes)))
            }
        }
    }
}

/// One model `genepheno eval` scores in every mode: the label its rows carry and its weights.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRow {
    pub label: String,
    pub source: ModelSource,
}

/// The float model the shipped one is checked against.
const FLOAT_LABEL: &str = "GenePheno (f32)";
const SHIPPED_LABEL: &str = "GenePheno (Q8S, shipped)";

/// The models compared on a dataset, in table order: the float model and its ablations, the
/// shipped model, then the `--model` rows. A new permanent row is one more entry here.
pub fn model_rows(args: &EvalArgs, dataset: LabelSet) -> Vec<ModelRow> {
    let mut rows: Vec<ModelRow> = Variant::ALL
        .into_iter()
        .map(|variant| ModelRow {
            label: match variant {
                Variant::Full => FLOAT_LABEL.to_string(),
                v => format!("GenePheno without {}", &v.name()[3..]),
            },
            source: ModelSource::Trained(model_dir(&args.models, dataset, variant)),
        })
        .collect();
    rows.push(ModelRow { label: SHIPPED_LABEL.into(), source: ModelSource::Shipped(args.public.join(format!("{dataset}.json"))) });
    rows.extend(args.extra_models.iter().map(|m| ModelRow {
        label: m.label.clone(),
        source: ModelSource::of_path(PathBuf::from(m.path.replace("{dataset}", dataset.name()))),
    }));
    rows
}

/// The fitted baselines `--reuse-baselines` may take from an earlier run.
const HOMOLOGY_TRANSFER: &str = "homology transfer (mmseqs, bit-score weighted)";
const KMER_REGRESSION: &str = "k-mer (1+2) logistic regression";
const GO_MLP: &str = "DeepPheno-style GO -> MLP";
const REUSABLE_BASELINES: [&str; 3] = [HOMOLOGY_TRANSFER, KMER_REGRESSION, GO_MLP];

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

/// Notes that describe the baselines' fit (kept when their rows are reused).
const BASELINE_NOTE: &str = "baselines:";

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    let sets = if args.dataset.is_empty() { LabelSet::ALL.to_vec() } else { args.dataset.clone() };
    std::fs::create_dir_all(&args.json)?;
    let cache = crate::data::fetch::default_cache_dir();
    let swissprot = crate::data::swissprot::default_dir(&cache);
    let set_path = args.homology_set.clone().unwrap_or_else(|| swissprot.join(crate::data::swissprot::PROTEINS_FILE));
    let transfer = if set_path.exists() {
        Some(homology::Transfer::load(&args.data, &set_path, &swissprot.join("homology"))?)
    } else {
        eprintln!("no pretraining set at {}: no homology rows", set_path.display());
        None
    };
    if args.homology_search_only {
        return Ok(());
    }
    for &kind in &sets {
        let mut results = Results {
            dataset_version: dataset_version(&args.data)?,
            split: "homology".into(),
            rows: Vec::new(),
            quantization: Vec::new(),
            notes: Vec::new(),
        };
        let data = Dataset::load(&args.data, kind)?;
        let task = Task::new(data, SplitKind::Homology, &ConceptChoice::default())?;
        let path = args.json.join(format!("{kind}.json"));
        let previous = if args.reuse_baselines { reusable(&path, &results) } else { None };
        evaluate_dataset(kind, &task, &args, &mut results, previous, transfer.as_ref())?;
        std::fs::write(&path, serde_json::to_vec_pretty(&results)?)?;
        eprintln!("wrote {}", path.display());
    }
    // Render every dataset evaluated so far, in a fixed order.
    let mut all = Vec::new();
    for name in ["hpo", "mp", "gwas"] {
        let path = args.json.join(format!("{name}.json"));
        if let Ok(bytes) = std::fs::read(&path) {
            all.push(serde_json::from_slice::<Results>(&bytes).with_context(|| format!("reading {}", path.display()))?);
        }
    }
    let markdown = render(&all);
    std::fs::write(&args.markdown, &markdown)?;
    println!("{markdown}");
    eprintln!("wrote {}", args.markdown.display());
    Ok(())
}

/// The earlier results at `path` when their baseline rows can stand in for a refit; says why not.
fn reusable(path: &Path, current: &Results) -> Option<Results> {
    let why_not = match std::fs::read(path) {
        Err(e) => format!("cannot read {}: {e}", path.display()),
        Ok(bytes) => match serde_json::from_slice::<Results>(&bytes) {
            Err(e) => format!("{} lacks figures this version reports or is malformed ({e})", path.display()),
            Ok(p) if p.dataset_version != current.dataset_version || p.split != current.split => {
                format!("{} is for data {} / split {}", path.display(), p.dataset_version, p.split)
            }
            Ok(p) if !REUSABLE_BASELINES.iter().all(|b| p.rows.iter().any(|r| r.method == *b)) => {
                format!("{} lacks some baseline rows", path.display())
            }
            Ok(p) => return Some(p),
        },
    };
    eprintln!("not reusing baselines: {why_not}; fitting them");
    None
}

fn evaluate_dataset(
    kind: LabelSet,
    task: &Task,
    args: &EvalArgs,
    results: &mut Results,
    previous: Option<Results>,
    transfer: Option<&homology::Transfer>,
) -> anyhow::Result<()> {
    let name = kind.name();
    let split = task.data.split(SplitKind::Homology);
    let width = task.label_count();
    let freq = task.train_frequency();
    let parts: [(&str, &[usize]); 2] = [("valid", &split.valid), ("test", &split.test)];
    let truths: Vec<Vec<bool>> = parts.iter().map(|(_, g)| truth(task, g)).collect();
    let parents: Vec<Vec<usize>> = task.data.labels.iter().map(|l| l.parents.clone()).collect();
    let ic = metrics::information_content(&truth(task, &split.train), width, &parents);
    let scoring = Scoring { dataset: name, width, train_frequency: &freq, exclusive: &task.exclusive, information_content: &ic };
    // Genes with curated GO per part: the ones the concept figures are over.
    let with_go: Vec<Vec<usize>> = parts.iter().map(|(_, g)| (0..g.len()).filter(|&i| task.has_go(g[i])).collect()).collect();
    let concept_figures = |p: usize, columns: &ConceptColumns, concepts: &[f32]| -> Figures {
        let w = columns.len();
        let genes: Vec<usize> = with_go[p].iter().map(|&i| parts[p].1[i]).collect();
        let scores: Vec<f32> = with_go[p].iter().flat_map(|&i| concepts[i * w..(i + 1) * w].iter().copied()).collect();
        Figures::over_all(&scores, &columns.truth(task, &genes), w)
    };
    let push = |results: &mut Results, method: &str, mode: Mode, per_part: [Vec<f32>; 2], concepts: [Option<Figures>; 2]| {
        for (((part, _), (scores, truth)), concepts) in parts.iter().zip(per_part.iter().zip(&truths)).zip(concepts) {
            let row = scoring.row(part, method, mode.name(), scores, truth, concepts);
            eprintln!(
                "{name} {part} {method} {}: Fmax {:.4} (t={:.2}), AUC {:.4} over {} terms, wFmax {:.4}, Smin {:.3}, rho freq {:.3}, top-10 in freq {:.3}{}",
                mode.name(),
                row.all.fmax.fmax,
                row.all.fmax.threshold,
                row.all.auc.auc,
                row.all.auc.terms,
                row.weighted_fmax.wfmax,
                row.smin.smin,
                row.prior.spearman,
                row.prior.top10_overlap,
                row.concepts.as_ref().map_or(String::new(), |c| format!(", concepts Fmax {:.4} AUC {:.4}", c.fmax.fmax, c.auc.auc)),
            );
            results.rows.push(row);
        }
    };
    let device = Device::flex();

    // The models, each in every mode; the shipped model is checked against the float one.
    let mut float_full: HashMap<&str, [Vec<f32>; 2]> = HashMap::new();
    for model_row in model_rows(args, kind) {
        let Some((meta, bytes)) = model_row.source.read()? else {
            results.notes.push(format!("{name}: no model for \"{}\" at {}", model_row.label, model_row.source.path().display()));
            continue;
        };
        anyhow::ensure!(
            meta.phenotypes.len() == width && meta.phenotypes.iter().zip(&task.data.labels).all(|(p, l)| p.id == l.id),
            "{}: label set differs from this data's",
            model_row.source.path().display()
        );
        let model = store::load_checked(&meta, bytes, &device)?;
        let columns = ConceptColumns::of_model(task, &meta)?;
        for mode in Mode::ALL {
            let [valid, test] = [parts[0].1, parts[1].1].map(|genes| model_scores(&model, &meta, task, genes, mode));
            let (valid, test) = (valid?, test?);
            let concepts = if mode == Mode::Sequence {
                [Some(concept_figures(0, &columns, &valid.concepts)), Some(concept_figures(1, &columns, &test.concepts))]
            } else {
                [None, None]
            };
            let scores = [valid.phenotypes, test.phenotypes];
            if model_row.label == FLOAT_LABEL {
                float_full.insert(mode.name(), scores.clone());
            }
            if model_row.label == SHIPPED_LABEL
                && let Some(float) = float_full.get(mode.name())
            {
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
            push(results, &model_row.label, mode, scores, concepts);
            if mode == Mode::Sequence {
                match transfer {
                    Some(transfer) => {
                        let [v, t] = [&valid.concepts, &test.concepts];
                        let mixed = with_homology(&model, &meta, task, transfer, [parts[0].1, parts[1].1], [v, t], &truths[0])?;
                        let concepts = [Some(concept_figures(0, &columns, &mixed.concepts[0])), Some(concept_figures(1, &columns, &mixed.concepts[1]))];
                        results.notes.push(format!(
                            "{name}: \"{}\" sequence + homology: alpha {:.1} chosen on validation (network weight; 0 = homology alone); {} of {} held-out human proteins have Swiss-Prot hits",
                            model_row.label,
                            mixed.alpha,
                            transfer.with_hits(),
                            transfer.searched
                        ));
                        push(results, &model_row.label, Mode::SequenceHomology, [mixed.phenotypes[0].clone(), mixed.phenotypes[1].clone()], concepts);
                    }
                    None => results.notes.push(format!("{name}: no homology rows (no pretraining set)")),
                }
            }
        }
    }

    // Baselines, fitted on the training genes; valid and test scored together, then split.
    let train = &split.train;
    let eval_genes: Vec<usize> = split.valid.iter().chain(&split.test).copied().collect();
    let nv = split.valid.len();
    let (a, b) = split_rows(&baselines::label_frequency(task, train, eval_genes.len()), width, nv);
    // Its concept counterpart: every gene gets each concept's share of the training genes with GO.
    let columns = ConceptColumns::of_task(task);
    let concept_prior = baselines::concept_frequency(task, &columns, train, eval_genes.len());
    let concepts = [0, 1].map(|p| {
        let offset = if p == 0 { 0 } else { nv };
        let rows: Vec<f32> = concept_prior[offset * columns.len()..(offset + parts[p].1.len()) * columns.len()].to_vec();
        Some(concept_figures(p, &columns, &rows))
    });
    push(results, "label frequency", Mode::Sequence, [a, b], concepts);

    if let Some(previous) = previous {
        results.rows.extend(previous.rows.into_iter().filter(|r| REUSABLE_BASELINES.contains(&r.method.as_str())));
        results.notes.extend(previous.notes.into_iter().filter(|n| n.starts_with(&format!("{name}: {BASELINE_NOTE}"))));
        results.notes.push(format!("{name}: fitted baseline rows reused from the previous run on the same data version"));
        return Ok(());
    }

    match baselines::homology_transfer(task, train, &eval_genes, &args.work.join(name)) {
        Ok(scores) => {
            let (a, b) = split_rows(&scores, width, nv);
            push(results, HOMOLOGY_TRANSFER, Mode::Sequence, [a, b], [None, None]);
        }
        Err(e) => results.notes.push(format!("{name}: {BASELINE_NOTE} homology transfer not run: {e:#}")),
    }

    let train_y: Vec<f32> = train.iter().flat_map(|&g| task.label_row(g)).collect();
    let features = |genes: &[usize], f: &dyn Fn(usize) -> Vec<f32>| -> Vec<f32> { genes.iter().flat_map(|&g| f(g)).collect() };
    let kmer = |g: usize| baselines::kmer_features(&task.data.genes[g].sequence);
    let (mut tx, mut vx, mut ex) = (features(train, &kmer), features(&split.valid, &kmer), features(&eval_genes, &kmer));
    baselines::standardise(&mut tx, &mut [&mut vx, &mut ex], 421);
    let fit = baselines::DenseFit { hidden: None, epochs: 30, learning_rate: 1e-3, weight_decay: 1e-3, seed: 7 };
    let scores = baselines::fit_dense(task, &fit, 421, &tx, &train_y, &vx, &truths[0], &[&ex])?.remove(0);
    let (a, b) = split_rows(&scores, width, nv);
    push(results, KMER_REGRESSION, Mode::Sequence, [a, b], [None, None]);

    let inputs = baselines::go_inputs(task, train, 5);
    let index: HashMap<usize, usize> = inputs.iter().enumerate().map(|(i, &t)| (t, i)).collect();
    let go = |g: usize| baselines::go_features(task, g, &index, false);
    let go_no_phenotype = |g: usize| baselines::go_features(task, g, &index, true);
    let (tx, vx, ex) = (features(train, &go), features(&split.valid, &go), features(&eval_genes, &go));
    let ex_no_phenotype = features(&eval_genes, &go_no_phenotype);
    let fit = baselines::DenseFit { hidden: Some(256), epochs: 30, learning_rate: 1e-3, weight_decay: 1e-4, seed: 7 };
    let mut scores = baselines::fit_dense(task, &fit, inputs.len(), &tx, &train_y, &vx, &truths[0], &[&ex, &ex_no_phenotype])?;
    let (a, b) = split_rows(&scores.remove(0), width, nv);
    push(results, GO_MLP, Mode::KnownGene, [a, b], [None, None]);
    // Trained on all evidence like the model, scored without IMP/IGI annotations (a gene left
    // without GO gets an all-zero input).
    let (a, b) = split_rows(&scores.remove(0), width, nv);
    push(results, GO_MLP, Mode::KnownGeneNoPhenotypeEvidence, [a, b], [None, None]);
    results.notes.push(format!(
        "{name}: {BASELINE_NOTE} {} train / {} valid / {} test genes, {} labels, {} GO concepts, {} exclusive pairs, {} GO inputs for the MLP baseline",
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
         phenotype-derived (IMP, IGI) removed first. The both-exclusive rate is the share of (gene, exclusive pair) with both \
         terms at or above the row's Fmax threshold. ",
    );
    s.push_str(report::TABLE_LEGEND);
    s.push_str("\n\n");
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::tests::toy_task;

    #[test]
    fn concept_columns_follow_the_given_order() {
        let task = toy_task();
        // The task's own choice gives the task's rows.
        let own = ConceptColumns::of_task(&task);
        for g in 0..task.data.genes.len() {
            assert_eq!(own.row(&task.data.genes[g].go_closed), task.concept_row(g));
        }
        // Another model's order (concepts 2 then 1): gene 0 (GO 0, 1) has its second column set.
        let reversed = ConceptColumns::of_terms(&[2, 1]);
        assert_eq!(reversed.row(&task.data.genes[0].go_closed), vec![0.0, 1.0]);
        assert_eq!(reversed.truth(&task, &[0, 1]), vec![false, true, true, false]);
        // Known-gene mode feeds the row in the model's order; sequence mode feeds none.
        assert_eq!(Mode::KnownGene.curated_row(&task, &reversed, 1), Some(vec![1.0, 0.0]));
        assert_eq!(Mode::Sequence.curated_row(&task, &reversed, 1), None);
    }

    #[test]
    fn concept_frequency_is_the_share_of_annotated_training_genes() {
        // Toy training genes 0..16: the even ones carry concept GO 1, the odd ones GO 2.
        let task = toy_task();
        let columns = ConceptColumns::of_task(&task);
        let train: Vec<usize> = (0..16).collect();
        assert_eq!(baselines::concept_frequency(&task, &columns, &train, 2), vec![0.5; 4]);
        // Only genes 0, 2 and 3: 2/3 and 1/3.
        let f = baselines::concept_frequency(&task, &columns, &[0, 2, 3], 1);
        assert!((f[0] - 2.0 / 3.0).abs() < 1e-6 && (f[1] - 1.0 / 3.0).abs() < 1e-6, "{f:?}");
    }

    fn args(extra: &[&str]) -> EvalArgs {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            eval: EvalArgs,
        }
        let argv = std::iter::once("eval").chain(extra.iter().copied());
        <Cli as clap::Parser>::try_parse_from(argv).unwrap().eval
    }

    #[test]
    fn a_model_row_is_a_label_and_a_path() {
        let a = args(&[
            "--model",
            "GenePheno without pretraining=out/{dataset}-no-pretrain",
            "--model",
            "other = elsewhere/{dataset}.json",
        ]);
        let rows = model_rows(&a, LabelSet::Mp);
        // Built-in rows first: four float variants, the shipped model; then the given ones.
        assert_eq!(rows.len(), 7);
        assert_eq!(rows[0], ModelRow { label: FLOAT_LABEL.into(), source: ModelSource::Trained("target/models/mp-full".into()) });
        assert_eq!(rows[1].label, "GenePheno without contrastive");
        assert_eq!(rows[4], ModelRow { label: SHIPPED_LABEL.into(), source: ModelSource::Shipped("public/models/mp.json".into()) });
        assert_eq!(
            rows[5],
            ModelRow { label: "GenePheno without pretraining".into(), source: ModelSource::Trained("out/mp-no-pretrain".into()) }
        );
        assert_eq!(rows[6], ModelRow { label: "other".into(), source: ModelSource::Shipped("elsewhere/mp.json".into()) });
        // A missing model is no error, only absent.
        assert_eq!(rows[5].source.read().unwrap().map(|(m, _)| m.dataset), None);
    }

    #[test]
    fn a_model_row_needs_both_label_and_path() {
        assert!(ExtraModel::parse("no separator").unwrap_err().contains("LABEL=PATH"));
        assert!(ExtraModel::parse("=dir").is_err());
        assert!(ExtraModel::parse("label=").is_err());
    }
}

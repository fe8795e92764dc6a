//! Messages between the page and its inference worker.
//!
//! The model runs in a dedicated web worker so that scoring thousands of sequences never freezes
//! the page. Both sides are Rust; messages travel as JSON strings through `postMessage`. The page
//! drives the work one small batch at a time, so cancelling is simply not sending the next batch,
//! and progress is the number of batches answered.
//!
//! The page never sees the weights: the worker downloads and checks them, and answers `Loaded`
//! with the part of the metadata the page presents ([`ModelSummary`]).

use serde::{Deserialize, Serialize};

use crate::domain::{LabelSet, Part};

/// Scores below this are not sent back for a batch (the page's threshold cannot go lower);
/// a selected sequence's detail view still gets every score.
pub const LIST_FLOOR: f32 = 0.05;

/// Where the model should run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackendChoice {
    /// WebGPU when available and self-checked, otherwise the CPU.
    Auto,
    /// WebGPU (falls back to the CPU, with a notice, if it fails).
    Gpu,
    /// The CPU backend.
    Cpu,
}

/// Where the model does run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Backend {
    Gpu,
    Cpu,
}

impl Backend {
    /// Words for the page.
    pub fn label(self) -> &'static str {
        match self {
            Backend::Gpu => "GPU (WebGPU)",
            Backend::Cpu => "CPU",
        }
    }
}

/// Which concept activations feed the phenotype layer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConceptSource {
    /// GO concepts predicted from the sequence.
    #[default]
    Sequence,
    /// The curated GO annotations of the recognised known gene (known-gene mode).
    CuratedGo,
}

/// Page -> worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Load a dataset's model (`hpo`, `mp`, `gwas`) on a backend. Answered by `Progress`
    /// messages, then `Loaded` or `Failed`. The worker does this itself.
    Load { dataset: LabelSet, backend: BackendChoice },
    /// A question for the loaded model ([`crate::service`] answers it).
    Ask(Query),
}

/// What the page asks of a loaded model: each answer, or its refusal, names what was asked
/// ([`Query::subject`]), so that a refusal reaches only the view that asked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Query {
    /// Score a batch of proteins. Answered by `Scored`.
    Score { batch: u64, items: Vec<Item> },
    /// Every score and concept activation of one protein, its known-gene match and the most
    /// similar known genes. Answered by `Detail`.
    Detail { item: Item, source: ConceptSource },
    /// The concept contributions to one phenotype's score. Answered by `Explained`.
    Explain { item: Item, source: ConceptSource, phenotype: u32 },
    /// Which stretches of the sequence raise or lower one phenotype's score and, optionally,
    /// one concept's activation (sequence mode; [`crate::regions`]). Answered by `Regions`.
    Regions { item: Item, phenotype: u32, concept: Option<u32> },
    /// The concept contributions to several phenotypes' scores at once (the concept map).
    /// Answered by `ConceptMap`.
    ConceptMap { item: Item, source: ConceptSource, phenotypes: Vec<u32> },
}

/// One protein to score, with the page's key for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub key: u32,
    pub residues: String,
}

/// Worker -> page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// The worker's code is running and listening (messages sent earlier would be lost).
    Ready,
    /// Download progress of a model file.
    Progress { file: String, loaded: u64, total: Option<u64>, from_cache: bool },
    /// The model is loaded and checked, on the CPU at first when the GPU is still being checked
    /// (`Loaded::gpu_check`).
    Loaded(Box<Loaded>),
    /// Loading failed; the page says so and offers to retry or switch backend.
    Failed(LoadError),
    /// The backend changed: to the GPU once it passed its self-check (no notice), or to the CPU
    /// when the GPU failed its check or failed while working (the notice says why); this and
    /// later answers come from `backend`.
    Switched { backend: Backend, notice: Option<String> },
    /// Answer to `Score`, with the worker's WebAssembly memory size after the batch (its peak
    /// so far: wasm memory never shrinks).
    Scored { batch: u64, results: Vec<Scored>, memory_bytes: u64 },
    /// Answer to `Detail`.
    Detail(Box<Detail>),
    /// Answer to `Explain`.
    Explained(Box<Explained>),
    /// Answer to `Regions`.
    Regions(Box<Regions>),
    /// Answer to `ConceptMap`.
    ConceptMap(Box<ConceptMapRows>),
    /// A request could not be served: which one (`about`), and why. The page reports it where
    /// that request came from (one batch's records, the record view, one explanation), so a
    /// failed view never stops scoring.
    Error { about: Subject, reason: Reason },
}

/// What a request asked for: an error answer names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Subject {
    /// The score batch with this number.
    Batch(u64),
    /// The detail of record `key` in one concept mode.
    Detail { key: u32, source: ConceptSource },
    /// The explanation of one phenotype's score for record `key`.
    Explanation { key: u32, source: ConceptSource, phenotype: u32 },
    /// The region map of one phenotype for record `key`.
    Regions { key: u32, phenotype: u32 },
    /// The concept map of record `key` in one concept mode.
    ConceptMap { key: u32, source: ConceptSource },
    /// A request the worker could not read, so it cannot say which it was.
    Unreadable,
}

/// Why the worker could not serve a request; the message is worded for the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Reason {
    #[error("the model is not loaded yet")]
    NoModel,
    #[error("the sequence is empty, so there is nothing to score")]
    EmptySequence,
    #[error("this sequence is not a known gene, so it has no curated GO annotations")]
    NotAKnownGene,
    #[error("the known-gene reference set is not loaded, so curated GO annotations are not available")]
    NoReferenceSet,
    #[error("phenotype number {0} is not in this model")]
    NoSuchPhenotype(u32),
    #[error("GO concept number {0} is not in this model")]
    NoSuchConcept(u32),
    /// The model failed while computing (the backend's own words).
    #[error("the model failed while computing: {0}")]
    Compute(String),
    /// The model answered with fewer results than asked for (a defect, never expected).
    #[error("the model's answer was incomplete ({0})")]
    Incomplete(String),
    #[error("the worker could not read the request: {0}")]
    Unreadable(String),
}

/// Why a model could not be loaded ([`Response::Failed`]): which file, and what was wrong with
/// it, worded for the page. The file is the address the worker asked for, relative to the app.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum LoadError {
    /// The file could not be fetched: no connection, or the server answered with an error.
    #[error("could not download {file}: {detail}")]
    Unreachable { file: String, detail: String },
    /// The metadata file is not model metadata this app reads.
    #[error("{file} is not usable model metadata ({detail})")]
    BadMetadata { file: String, detail: String },
    /// The metadata file belongs to another label set's model.
    #[error("{file} describes the {} model, not the {} one", .found.title(), .wanted.title())]
    OtherModel { file: String, wanted: LabelSet, found: LabelSet },
    /// The file as served is not the version the metadata names (checksum or binding): a site
    /// in the middle of an update serves old and new files side by side.
    #[error(
        "{file} as served is not the version this model names ({detail}): the site may be in the middle of an update; reload the page in a minute"
    )]
    OtherVersion { file: String, detail: String },
    /// The weights are the version named but do not make this model (a defect in the export).
    #[error("the weights in {file} do not make a working model ({detail})")]
    BadWeights { file: String, detail: String },
}

/// What the page needs to know about the loaded model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Loaded {
    /// Always the CPU at first; `gpu_check` says whether the GPU may follow.
    pub backend: Backend,
    pub model: ModelSummary,
    /// Genes in the known-gene reference set (0 when it could not be loaded).
    pub reference_genes: usize,
    /// Why the reference set is missing, when it is.
    #[serde(default)]
    pub reference_problem: Option<String>,
    /// Model files whose copy kept in this browser was damaged (checksum or decoding failed):
    /// each was thrown away and downloaded again; the page says so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repaired: Vec<String>,
    /// Model files this browser would not store (storage full, private window): the page works
    /// but downloads them again next visit, and works offline only once they are kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_kept: Vec<String>,
    /// Milliseconds spent downloading, checking and initialising.
    pub load_ms: f64,
    /// The GPU is being started and checked against the CPU in the background; the CPU scores
    /// meanwhile, and `Switched` follows with the outcome.
    #[serde(default)]
    pub gpu_check: bool,
}

/// The model's presentable metadata.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    pub dataset: LabelSet,
    pub model_version: String,
    pub dataset_version: String,
    /// Default threshold: the validation Fmax threshold.
    pub threshold: f32,
    pub licence: String,
    pub weights_sha256: String,
    /// Longest window the encoder reads at once (residues); the page batches by window length
    /// (`crate::batching`).
    pub window: usize,
    pub phenotypes: Vec<Term>,
    pub concepts: Vec<Term>,
    /// What was measured on the validation split for these weights (ranking rule, priors,
    /// applicability cut-offs); `None` when the calibration file is missing or made for other
    /// weights (the page then ranks by score and shows no applicability band).
    #[serde(default)]
    pub calibration: Option<crate::calibration::Calibration>,
}

/// A phenotype or GO concept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Term {
    pub id: String,
    pub name: String,
    /// Top-level system (phenotypes) or GO namespace (concepts).
    pub group: Option<String>,
    /// Indices of the term's parents (phenotypes with an ontology; empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<u32>,
    /// Phenotypes: the term's training frequency ([`crate::calibration::prior`]), the baseline its
    /// score is compared with when ranking by lift; `None` when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior: Option<f32>,
}

/// A recognised known gene.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KnownGene {
    pub symbol: String,
    pub entrez: u32,
    pub uniprot: String,
    /// Estimated percent identity; 100 for an exact match.
    pub identity: f32,
    pub exact: bool,
    /// Other known genes that also pass the near-exact rule (close paralogues): the call is
    /// then ambiguous.
    #[serde(default)]
    pub others: u16,
    /// Symbols of the other genes that encode this identical protein (HBA2 beside HBA1): the
    /// sequence cannot tell them apart, so the match is to all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub same_protein: Vec<String>,
    /// Which part of this dataset the gene was in, if any: a gene the model was trained on is
    /// not a test of it.
    pub split: Option<Part>,
}

impl KnownGene {
    /// Every gene of the protein, as a heading names them: `TP53`, or `HBA1 / HBA2`.
    pub fn names(&self) -> String {
        std::iter::once(self.symbol.as_str()).chain(self.same_protein.iter().map(String::as_str)).collect::<Vec<_>>().join(" / ")
    }
}

/// A batch answer for one protein.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    pub key: u32,
    /// `(phenotype index, score)` for every score at or above [`LIST_FLOOR`], highest first.
    pub top: Vec<(u32, f32)>,
    pub known: Option<KnownGene>,
    /// Where `top` comes from: a recognised known gene is scored from its curated GO
    /// (known-gene mode), any other protein from its sequence.
    #[serde(default)]
    pub source: ConceptSource,
    /// Curated phenotype indices of the known gene (closed upward); their scores are in `top`
    /// even below [`LIST_FLOOR`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub curated: Vec<u32>,
    /// The sequence-mode applicability signals (the protein's own concepts, and its nearest
    /// training protein).
    #[serde(default)]
    pub signals: crate::calibration::Signals,
}

/// A similar known gene.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Similar {
    pub symbol: String,
    pub entrez: u32,
    pub uniprot: String,
    /// Fraction of shared amino-acid k-mers (estimated Jaccard index).
    pub jaccard: f32,
    /// Estimated percent identity where the k-mer estimate is meaningful.
    pub identity: Option<f32>,
}

/// Everything about one protein.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Detail {
    pub key: u32,
    pub source: ConceptSource,
    /// Every phenotype score, in model order.
    pub phenotypes: Vec<f32>,
    /// Every concept activation, in model order.
    pub concepts: Vec<f32>,
    pub known: Option<KnownGene>,
    /// Curated phenotype indices of the known gene (closed upward), if recognised and labelled.
    pub curated: Vec<u32>,
    pub similar: Vec<Similar>,
    /// Every phenotype's own score, before propagation from descendant terms (equal to
    /// `phenotypes` for a flat label set); the ontology view tells the two apart.
    #[serde(default)]
    pub own: Vec<f32>,
}

/// Why one phenotype scored as it did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Explained {
    pub key: u32,
    pub source: ConceptSource,
    pub phenotype: u32,
    /// Per-concept contribution to the term's logit (activation x weight), in concept order.
    pub contributions: Vec<f32>,
    pub bias: f32,
    /// The term's own score, sigmoid(bias + sum of contributions), before propagation from
    /// descendant terms.
    pub own_score: f32,
    /// The score shown (after propagation: at least every descendant's score).
    pub score: f32,
}

/// The concept contributions to several phenotypes of one record: one row per phenotype asked
/// for, one value per concept (activation x weight), in concept order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConceptMapRows {
    pub key: u32,
    pub source: ConceptSource,
    pub rows: Vec<(u32, Vec<f32>)>,
}

/// Which stretches of one protein raise or lower a phenotype's score (and a concept's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Regions {
    pub key: u32,
    pub phenotype: u32,
    pub concept: Option<u32>,
    /// The phenotype's map, then the concept's if one was asked for.
    pub maps: Vec<crate::regions::RegionMap>,
    /// Milliseconds the worker took (one forward pass per stretch).
    pub compute_ms: f64,
}

/// `(index, score)` of every score at or above `floor`, highest first (ties by index, so the
/// order is the same on every backend).
pub fn top_scores(scores: &[f32], floor: f32) -> Vec<(u32, f32)> {
    let mut top: Vec<(u32, f32)> = scores
        .iter()
        .enumerate()
        .filter(|(_, s)| **s >= floor)
        .map(|(i, s)| (i as u32, *s))
        .collect();
    top.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    top
}

/// Largest absolute difference between two equally long score lists; infinite when the lengths
/// differ or a value is not finite, so that a broken backend never passes a comparison.
pub fn max_abs_difference(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return f32::INFINITY;
    }
    a.iter().zip(b).fold(0.0f32, |worst, (x, y)| {
        let d = (x - y).abs();
        if d.is_nan() { f32::INFINITY } else { worst.max(d) }
    })
}

impl ModelSummary {
    /// What a share link records as the model's version: the recipe and the weights' checksum,
    /// so that a retrained model is told apart from the one that made the link.
    pub fn version_tag(&self) -> String {
        format!("{}/{}/{}", self.model_version, self.dataset, &self.weights_sha256[..self.weights_sha256.len().min(12)])
    }
}

impl Request {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("requests always serialise")
    }

}

impl Query {
    /// What an answer to this question, or its refusal, names.
    pub fn subject(&self) -> Subject {
        match self {
            Query::Score { batch, .. } => Subject::Batch(*batch),
            Query::Detail { item, source } => Subject::Detail { key: item.key, source: *source },
            Query::Explain { item, source, phenotype } => {
                Subject::Explanation { key: item.key, source: *source, phenotype: *phenotype }
            }
            Query::Regions { item, phenotype, .. } => Subject::Regions { key: item.key, phenotype: *phenotype },
            Query::ConceptMap { item, source, .. } => Subject::ConceptMap { key: item.key, source: *source },
        }
    }
}

impl Response {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("responses always serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_scores_keep_the_floor_and_sort_high_first() {
        let top = top_scores(&[0.2, 0.04, 0.9, 0.2, 0.05], 0.05);
        assert_eq!(top, vec![(2, 0.9), (0, 0.2), (3, 0.2), (4, 0.05)]);
        assert!(top_scores(&[0.01, 0.0], 0.05).is_empty());
    }

    #[test]
    fn a_nan_or_a_length_mismatch_never_agrees() {
        assert_eq!(max_abs_difference(&[0.5, 0.25], &[0.5, 0.5]), 0.25);
        assert_eq!(max_abs_difference(&[0.5], &[f32::NAN]), f32::INFINITY);
        assert_eq!(max_abs_difference(&[0.5], &[0.5, 0.1]), f32::INFINITY);
    }

    #[test]
    fn messages_round_trip_through_json() {
        let query = Query::Explain {
            item: Item { key: 7, residues: "MKT".into() },
            source: ConceptSource::CuratedGo,
            phenotype: 12,
        };
        let request = Request::Ask(query.clone());
        let back: Request = serde_json::from_str(&request.to_json()).unwrap();
        assert_eq!(back, request);
        let load = Request::Load { dataset: LabelSet::Gwas, backend: BackendChoice::Auto };
        let back: Request = serde_json::from_str(&load.to_json()).unwrap();
        assert_eq!(back, load);
        let response = Response::Scored {
            batch: 3,
            results: vec![Scored {
                key: 7,
                top: vec![(2, 0.75), (0, 0.5)],
                known: None,
                source: ConceptSource::Sequence,
                curated: vec![],
                signals: Default::default(),
            }],
            memory_bytes: 1 << 20,
        };
        let back: Response = serde_json::from_str(&response.to_json()).unwrap();
        assert_eq!(back, response);
        let error = Response::Error {
            about: query.subject(),
            reason: Reason::NotAKnownGene,
        };
        let back: Response = serde_json::from_str(&error.to_json()).unwrap();
        assert_eq!(back, error);
        let failed = Response::Failed(LoadError::OtherModel {
            file: "models/mp.json".into(),
            wanted: LabelSet::Mp,
            found: LabelSet::Hpo,
        });
        let back: Response = serde_json::from_str(&failed.to_json()).unwrap();
        assert_eq!(back, failed);
    }

    /// A load failure names the file and what the user can do, in the page's words.
    #[test]
    fn a_load_failure_names_its_file() {
        let other = LoadError::OtherModel { file: "models/mp.json".into(), wanted: LabelSet::Mp, found: LabelSet::Hpo };
        assert_eq!(other.to_string(), "models/mp.json describes the HPO model, not the MP one");
        let stale = LoadError::OtherVersion { file: "models/hpo.bpk".into(), detail: "SHA-256 ab, expected cd".into() };
        assert_eq!(
            stale.to_string(),
            "models/hpo.bpk as served is not the version this model names (SHA-256 ab, expected cd): the site may be in the middle of an update; reload the page in a minute"
        );
        let unreachable = LoadError::Unreachable { file: "models/hpo.json".into(), detail: "HTTP 404".into() };
        assert_eq!(unreachable.to_string(), "could not download models/hpo.json: HTTP 404");
    }

    #[test]
    fn an_error_names_the_request_it_answers() {
        let item = Item { key: 4, residues: "MKT".into() };
        let score = Query::Score { batch: 9, items: vec![item.clone()] };
        assert_eq!(score.subject(), Subject::Batch(9));
        let detail = Query::Detail { item: item.clone(), source: ConceptSource::CuratedGo };
        assert_eq!(detail.subject(), Subject::Detail { key: 4, source: ConceptSource::CuratedGo });
        let explain = Query::Explain { item: item.clone(), source: ConceptSource::Sequence, phenotype: 2 };
        assert_eq!(explain.subject(), Subject::Explanation { key: 4, source: ConceptSource::Sequence, phenotype: 2 });
        let regions = Query::Regions { item, phenotype: 3, concept: Some(1) };
        assert_eq!(regions.subject(), Subject::Regions { key: 4, phenotype: 3 });
        let map = Query::ConceptMap { item: Item { key: 5, residues: "MKT".into() }, source: ConceptSource::Sequence, phenotypes: vec![1, 2] };
        assert_eq!(map.subject(), Subject::ConceptMap { key: 5, source: ConceptSource::Sequence });
    }
}

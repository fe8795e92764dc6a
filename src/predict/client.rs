//! The page's side of the workers: starting them, sending requests, and turning their answers
//! into signals the views read.
//!
//! The main worker (lane 0) loads the chosen model on the chosen backend and answers every kind
//! of request. When it runs on the CPU, one more worker per further core ("helpers", lanes 1..)
//! loads the same model on the CPU and takes score batches too: burn's CPU backend in
//! WebAssembly uses one thread, so a single worker leaves the other cores idle. On the GPU one
//! worker is enough (the GPU is shared).

use std::collections::HashMap;
use std::sync::Arc;

use genepheno::domain::LabelSet;
use genepheno::protocol::{
    Backend, BackendChoice, ConceptMapRows, ConceptSource, Detail, Explained, Item, LoadError, ModelSummary, Query, Reason, Regions,
    Request, Response, Scored, Subject,
};
use genepheno::scheduler::Run;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};

/// Where the model is.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    /// The worker's code is loading.
    Starting,
    /// A model file is downloading (or being read from the cache).
    Loading { file: String, loaded: u64, total: Option<u64>, from_cache: bool },
    /// Ready to score.
    Ready,
    /// The model is not available, and why.
    Failed(Failure),
}

/// Why the page has no model to score with.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Failure {
    /// The worker could not load the model: which file, and why.
    #[error("{0}")]
    Load(LoadError),
    /// The browser refused to start the worker.
    #[error("this browser could not start the model's worker: {0}")]
    NoWorker(String),
    /// The worker stopped more often than it is restarted ([`MAX_RESTARTS`]).
    #[error("the model stopped {times} times (last: {last}). Reload the page to try again.")]
    KeptStopping { times: u32, last: String },
}

/// A detail or an explanation the worker could not give: for which record, in which concept
/// mode (and for which phenotype), and why. Only the view that asked for it shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Refused {
    pub key: u32,
    pub source: ConceptSource,
    /// The phenotype of a refused explanation (`None` for a detail).
    pub phenotype: Option<u32>,
    pub reason: Reason,
}

/// Scores kept from an earlier visit, waiting for the model of their phenotype set.
pub(super) struct KeptScores {
    pub dataset: LabelSet,
    pub weights_sha256: String,
    pub scores: Vec<Scored>,
}

/// How often the page looks for workers that stopped answering
/// (`genepheno::scheduler::Run::stalled_lanes`).
const WATCH_EVERY_MS: u32 = 2_000;

/// Times the main worker may stop in one visit before the page gives up on it.
const MAX_RESTARTS: u32 = 3;

/// Most workers scoring at once: enough for common laptops; each holds its own model copy
/// (about 70 MB of memory).
const MAX_WORKERS: usize = 4;

/// Workers to score with on the CPU: one per logical core the browser reports, within bounds.
fn cpu_workers() -> usize {
    let cores = web_sys::window().map_or(1.0, |w| w.navigator().hardware_concurrency());
    (cores as usize).clamp(1, MAX_WORKERS)
}

/// Everything about predictions that the views read and the controls change. `Copy`: every
/// field is an arena handle.
#[derive(Clone, Copy)]
pub struct Predictions {
    worker: StoredValue<Option<Worker>, LocalStorage>,
    /// Helper workers, lane `i + 1` at index `i` (`None` once lost).
    helpers: StoredValue<Vec<Option<Worker>>, LocalStorage>,
    /// Last WebAssembly memory size each lane reported.
    lane_memory: StoredValue<Vec<u64>>,
    pub status: RwSignal<Status>,
    /// Phenotype set asked for: `hpo`, `mp` or `gwas`.
    pub dataset: RwSignal<LabelSet>,
    pub backend_choice: RwSignal<BackendChoice>,
    /// Backend in use, once loaded.
    pub backend: RwSignal<Option<Backend>>,
    /// Why the GPU is not in use, when it was wanted.
    pub notice: RwSignal<Option<String>>,
    /// Model files whose kept copy was damaged and downloaded again at the last load.
    pub repaired: RwSignal<Vec<String>>,
    /// Model files this browser would not store at the last load (storage full).
    pub not_kept: RwSignal<Vec<String>>,
    /// The main worker stopped and was started again, and why (scoring went on).
    pub restarted: RwSignal<Option<String>>,
    /// Times the main worker stopped during this visit (a worker that keeps stopping is given up).
    crashes: StoredValue<u32>,
    /// The main worker is starting again after it stopped: it reloads the same model and the run
    /// goes on (nothing is forgotten).
    restarting: StoredValue<bool>,
    /// The model is ready on the CPU while the GPU is started and checked in the background.
    pub gpu_checking: RwSignal<bool>,
    pub model: RwSignal<Option<Arc<ModelSummary>>>,
    pub load_ms: RwSignal<Option<f64>>,
    /// Batch results by record key (the record's index in the session).
    pub scores: RwSignal<HashMap<u32, Arc<Scored>>>,
    pub run: RwSignal<Run>,
    pub detail: RwSignal<Option<Arc<Detail>>>,
    pub explained: RwSignal<Option<Arc<Explained>>>,
    /// The last detail the worker could not give (the record view shows it for that record).
    pub detail_refused: RwSignal<Option<Refused>>,
    /// The last explanation the worker could not give (shown in place of that explanation).
    pub explain_refused: RwSignal<Option<Refused>>,
    /// The last region map received, and the last one the worker could not make.
    pub regions: RwSignal<Option<Arc<Regions>>>,
    pub regions_refused: RwSignal<Option<Refused>>,
    /// The last concept map received (contributions to several phenotypes of one record), and
    /// the last one the worker could not make.
    pub concept_map: RwSignal<Option<Arc<ConceptMapRows>>>,
    pub concept_map_refused: RwSignal<Option<Refused>>,
    /// The record the selected one is compared with, in its concept mode: its detail is routed
    /// to `compared`, not to the record view's `detail`.
    compare_with: StoredValue<Option<(u32, ConceptSource)>>,
    pub compared: RwSignal<Option<Arc<Detail>>>,
    /// An answer or request that could not be read (it names no view to report it in).
    pub error: RwSignal<Option<String>>,
    /// Scores kept from an earlier visit, with the weights that made them: taken in once a
    /// model is ready (only if it has those weights).
    pub(super) kept_scores: StoredValue<Option<KeptScores>>,
    /// The workers' WebAssembly memory together, as last reported.
    pub worker_memory: RwSignal<Option<u64>>,
    /// Known genes available for recognition, or why there are none.
    pub reference: RwSignal<Option<Result<usize, String>>>,
}

impl Predictions {
    pub fn new(dataset: LabelSet) -> Self {
        let this = Self {
            worker: StoredValue::new_local(None),
            helpers: StoredValue::new_local(Vec::new()),
            lane_memory: StoredValue::new(Vec::new()),
            status: RwSignal::new(Status::Starting),
            dataset: RwSignal::new(dataset),
            backend_choice: RwSignal::new(BackendChoice::Auto),
            backend: RwSignal::new(None),
            notice: RwSignal::new(None),
            repaired: RwSignal::new(Vec::new()),
            not_kept: RwSignal::new(Vec::new()),
            restarted: RwSignal::new(None),
            crashes: StoredValue::new(0),
            restarting: StoredValue::new(false),
            gpu_checking: RwSignal::new(false),
            model: RwSignal::new(None),
            load_ms: RwSignal::new(None),
            scores: RwSignal::new(HashMap::new()),
            run: RwSignal::new(Run::default()),
            detail: RwSignal::new(None),
            explained: RwSignal::new(None),
            detail_refused: RwSignal::new(None),
            explain_refused: RwSignal::new(None),
            regions: RwSignal::new(None),
            regions_refused: RwSignal::new(None),
            concept_map: RwSignal::new(None),
            concept_map_refused: RwSignal::new(None),
            compare_with: StoredValue::new(None),
            compared: RwSignal::new(None),
            error: RwSignal::new(None),
            kept_scores: StoredValue::new(None),
            worker_memory: RwSignal::new(None),
            reference: RwSignal::new(None),
        };
        this.start_worker();
        // Lives as long as the page: the predictions do.
        gloo_timers::callback::Interval::new(WATCH_EVERY_MS, move || this.watch()).forget();
        this
    }

    /// Starts (or restarts) the main worker; it asks for the model once it says it is ready.
    fn start_worker(self) {
        if let Some(old) = self.worker.get_value() {
            old.terminate();
        }
        self.status.set(Status::Starting);
        match self.spawn(0) {
            Ok(worker) => self.worker.set_value(Some(worker)),
            Err(e) => {
                self.status.set(Status::Failed(Failure::NoWorker(format!("{e:?}"))))
            }
        }
    }

    /// Starts a worker whose answers are handled as lane `lane`'s.
    fn spawn(self, lane: usize) -> Result<Worker, JsValue> {
        let worker = Worker::new("./genepheno-worker_loader.js")?;
        let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            match event.data().as_string().map(|s| serde_json::from_str::<Response>(&s)) {
                Some(Ok(response)) if lane == 0 => self.receive(response),
                Some(Ok(response)) => self.receive_helper(lane, response),
                other => self.error.set(Some(format!("unreadable answer from the worker: {other:?}"))),
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let on_error = Closure::<dyn Fn(web_sys::ErrorEvent)>::new(move |event: web_sys::ErrorEvent| {
            event.prevent_default();
            if lane == 0 {
                self.main_crashed(event.message());
            } else {
                self.drop_helper(lane);
            }
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        Ok(worker)
    }

    /// The main worker stopped (a crash inside it, the GPU driver or device lost, the browser
    /// ending it): its batches go back to the queue and it is started again with the same model
    /// (on the CPU if it stopped on the GPU); the scores so far are kept. A worker that keeps
    /// stopping is given up after [`MAX_RESTARTS`].
    pub(super) fn main_crashed(self, message: String) {
        self.run.update(|r| r.lane_lost(0));
        let crashes = self.crashes.get_value() + 1;
        self.crashes.set_value(crashes);
        if crashes > MAX_RESTARTS {
            self.stop_helpers();
            self.status.set(Status::Failed(Failure::KeptStopping { times: crashes, last: message }));
            return;
        }
        if self.backend.get_untracked() == Some(Backend::Gpu) {
            self.notice.set(Some(format!(
                "the model stopped while running on the GPU ({message}); it was restarted on the CPU."
            )));
            self.backend_choice.set(BackendChoice::Cpu);
        }
        self.restarted.set(Some(format!(
            "The model's worker stopped ({message}) and was started again; the records it was scoring are scored again, nothing else is lost."
        )));
        self.restarting.set_value(true);
        self.start_worker();
    }

    /// On the CPU, starts the helper workers (once per loaded model).
    fn grow_pool(self) {
        if !self.helpers.with_value(Vec::is_empty) {
            return;
        }
        let helpers: Vec<Option<Worker>> = (1..cpu_workers()).map(|lane| self.spawn(lane).ok()).collect();
        self.helpers.set_value(helpers);
    }

    fn stop_helpers(self) {
        for worker in self.helpers.get_value().into_iter().flatten() {
            worker.terminate();
        }
        self.helpers.set_value(Vec::new());
        self.lane_memory.update_value(|m| m.truncate(1));
        // Their batches go back to the waiting records.
        self.run.update(|r| r.helpers_lost());
    }

    /// A helper failed to load or crashed: it is ended, and its batch goes back to the queue.
    pub(super) fn drop_helper(self, lane: usize) {
        let worker = self.helpers.try_update_value(|h| h.get_mut(lane - 1).and_then(Option::take)).flatten();
        if let Some(worker) = worker {
            worker.terminate();
        }
        self.run.update(|r| r.lane_lost(lane));
    }

    /// Answers of a helper: it loads the main worker's model on the CPU and then only scores.
    fn receive_helper(self, lane: usize, response: Response) {
        match response {
            Response::Ready => self.send_to(
                lane,
                &Request::Load { dataset: self.dataset.get_untracked(), backend: BackendChoice::Cpu },
            ),
            Response::Loaded(loaded) => {
                // A helper may be the one that found a damaged kept copy.
                self.note_repaired(loaded.repaired.clone());
                let same = self.model.with_untracked(|m| {
                    m.as_ref().is_some_and(|m| m.weights_sha256 == loaded.model.weights_sha256)
                });
                if same {
                    self.run.update(|r| r.lane_ready(lane, true));
                }
            }
            Response::Failed(_) => self.drop_helper(lane),
            Response::Scored { batch, results, memory_bytes } => {
                self.note_memory(lane, memory_bytes);
                self.scored(batch, results);
            }
            Response::Error { about, reason } => self.refused(about, reason),
            // Progress, detail and explanations are the main worker's.
            _ => {}
        }
    }

    fn note_memory(self, lane: usize, bytes: u64) {
        self.lane_memory.update_value(|m| {
            if m.len() <= lane {
                m.resize(lane + 1, 0);
            }
            m[lane] = bytes;
        });
        self.worker_memory.set(Some(self.lane_memory.with_value(|m| m.iter().sum())));
    }

    pub(super) fn send(self, request: &Request) {
        self.send_to(0, request);
    }

    /// Asks the main worker's loaded model.
    fn ask(self, query: Query) {
        self.send(&Request::Ask(query));
    }

    /// Sends a request to lane `lane`'s worker (0 = the main worker).
    pub(super) fn send_to(self, lane: usize, request: &Request) {
        let worker = match lane {
            0 => self.worker.get_value(),
            _ => self.helpers.with_value(|h| h.get(lane - 1).cloned().flatten()),
        };
        if let Some(worker) = worker {
            let _ = worker.post_message(&JsValue::from_str(&request.to_json()));
        }
    }

    /// Adds files a worker found damaged in this browser's cache (and downloaded again) to what
    /// the page reports for this model.
    fn note_repaired(self, files: Vec<String>) {
        if files.is_empty() {
            return;
        }
        self.repaired.update(|r| r.extend(files.into_iter().filter(|f| !r.contains(f)).collect::<Vec<_>>()));
    }

    /// Loads the chosen phenotype set on the chosen backend; results of the previous model are
    /// dropped (they would not be comparable).
    pub fn load(self) {
        self.stop_helpers();
        self.gpu_checking.set(false);
        self.run.update(|r| r.lane_ready(0, false));
        self.model.set(None);
        self.backend.set(None);
        self.scores.set(HashMap::new());
        self.forget_views();
        self.run.update(|r| r.reset());
        self.repaired.set(Vec::new());
        self.status.set(Status::Loading { file: "model metadata".into(), loaded: 0, total: None, from_cache: false });
        self.request_model();
    }

    /// Scores kept from an earlier visit for the records about to be put back.
    pub fn keep_scores(self, dataset: LabelSet, weights_sha256: String, scores: Vec<Scored>) {
        self.kept_scores.set_value(Some(KeptScores { dataset, weights_sha256, scores }));
    }

    /// Loads the same model again into a restarted main worker, keeping the run and its scores.
    fn reload(self) {
        self.restarting.set_value(false);
        self.status.set(Status::Loading { file: "model metadata".into(), loaded: 0, total: None, from_cache: true });
        self.request_model();
    }

    /// Asks the main worker for the chosen phenotype set's model on the chosen backend.
    fn request_model(self) {
        self.send(&Request::Load {
            dataset: self.dataset.get_untracked(),
            backend: self.backend_choice.get_untracked(),
        });
    }

    /// Forgets every result (the inputs were cleared: keys would point at other records).
    pub fn forget_results(self) {
        self.kept_scores.set_value(None);
        self.scores.set(HashMap::new());
        self.forget_views();
        self.run.update(|r| r.reset());
    }

    /// Forgets the selected record's detail and explanation, and why they were refused.
    fn forget_views(self) {
        self.detail.set(None);
        self.explained.set(None);
        self.detail_refused.set(None);
        self.explain_refused.set(None);
        self.regions.set(None);
        self.regions_refused.set(None);
        self.concept_map.set(None);
        self.concept_map_refused.set(None);
        self.compare_with.set_value(None);
        self.compared.set(None);
    }

    /// Asks for every score of one record (answered into `detail`, or `detail_refused`).
    pub fn request_detail(self, key: u32, residues: String, source: ConceptSource) {
        self.detail_refused.set(None);
        // The record compared with is now the one selected: its detail is the record view's.
        if self.compare_with.get_value().is_some_and(|(k, _)| k == key) {
            self.compare_with.set_value(None);
            self.compared.set(None);
        }
        self.ask(Query::Detail { item: Item { key, residues }, source });
    }

    /// Asks why one phenotype scored as it did (answered into `explained`, or
    /// `explain_refused`).
    pub fn request_explanation(self, key: u32, residues: String, source: ConceptSource, phenotype: u32) {
        self.explain_refused.set(None);
        self.ask(Query::Explain { item: Item { key, residues }, source, phenotype });
    }

    /// Asks which stretches of a record's sequence raise or lower one phenotype's score (and a
    /// concept's), answered into `regions` or `regions_refused`.
    pub fn request_regions(self, key: u32, residues: String, phenotype: u32, concept: Option<u32>) {
        self.regions_refused.set(None);
        self.ask(Query::Regions { item: Item { key, residues }, phenotype, concept });
    }

    /// Asks for the concept contributions to several phenotypes of one record (answered into
    /// `concept_map` or `concept_map_refused`).
    pub fn request_concept_map(self, key: u32, residues: String, source: ConceptSource, phenotypes: Vec<u32>) {
        self.concept_map_refused.set(None);
        self.ask(Query::ConceptMap { item: Item { key, residues }, source, phenotypes });
    }

    /// Asks for the detail of the record the selected one is compared with (answered into
    /// `compared`; a refusal into `detail_refused`, which names its record).
    pub fn request_compared(self, key: u32, residues: String, source: ConceptSource) {
        self.compare_with.set_value(Some((key, source)));
        self.compared.set(None);
        self.ask(Query::Detail { item: Item { key, residues }, source });
    }

    /// A request the worker could not serve: reported where it came from, and only there. A
    /// failed batch marks its own records; a failed detail or explanation is that view's.
    fn refused(self, about: Subject, reason: Reason) {
        match about {
            Subject::Batch(batch) => self.batch_failed(batch, reason),
            Subject::Detail { key, source } => {
                self.detail_refused.set(Some(Refused { key, source, phenotype: None, reason }))
            }
            Subject::Explanation { key, source, phenotype } => {
                self.explain_refused.set(Some(Refused { key, source, phenotype: Some(phenotype), reason }))
            }
            Subject::Regions { key, phenotype } => self.regions_refused.set(Some(Refused {
                key,
                source: ConceptSource::Sequence,
                phenotype: Some(phenotype),
                reason,
            })),
            Subject::ConceptMap { key, source } => {
                self.concept_map_refused.set(Some(Refused { key, source, phenotype: None, reason }))
            }
            Subject::Unreadable => self.error.set(Some(reason.to_string())),
        }
    }

    fn receive(self, response: Response) {
        match response {
            Response::Ready if self.restarting.get_value() => self.reload(),
            Response::Ready => self.load(),
            Response::Progress { file, loaded, total, from_cache } => {
                self.status.set(Status::Loading { file, loaded, total, from_cache });
            }
            Response::Loaded(loaded) => {
                self.backend.set(Some(loaded.backend));
                self.gpu_checking.set(loaded.gpu_check);
                // A new GPU attempt clears the last one's notice; a CPU chosen after a GPU
                // failure keeps it.
                if self.backend_choice.get_untracked() != BackendChoice::Cpu {
                    self.notice.set(None);
                }
                self.load_ms.set(Some(loaded.load_ms));
                self.note_repaired(loaded.repaired);
                self.not_kept.set(loaded.not_kept);
                self.reference.set(Some(match loaded.reference_problem {
                    Some(problem) => Err(problem),
                    None => Ok(loaded.reference_genes),
                }));
                let cpu = loaded.backend == Backend::Cpu && !loaded.gpu_check;
                // A restarted worker that found other weights (a new version was published
                // meanwhile): the scores so far would not be comparable.
                let other = self.model.with_untracked(|m| {
                    m.as_ref().is_some_and(|m| m.weights_sha256 != loaded.model.weights_sha256)
                });
                if other {
                    self.forget_results();
                }
                self.model.set(Some(Arc::new(loaded.model)));
                self.run.update(|r| r.lane_ready(0, true));
                self.status.set(Status::Ready);
                if cpu {
                    self.grow_pool();
                }
            }
            Response::Failed(error) => self.status.set(Status::Failed(Failure::Load(error))),
            Response::Switched { backend, notice } => {
                self.backend.set(Some(backend));
                self.gpu_checking.set(false);
                self.notice.set(notice);
                match backend {
                    // One worker drives the GPU; the CPU helpers would only compete with it.
                    Backend::Gpu => self.stop_helpers(),
                    Backend::Cpu => self.grow_pool(),
                }
            }
            Response::Scored { batch, results, memory_bytes } => {
                self.note_memory(0, memory_bytes);
                self.scored(batch, results)
            }
            Response::Detail(detail) if self.compare_with.get_value() == Some((detail.key, detail.source)) => {
                self.compared.set(Some(Arc::new(*detail)))
            }
            Response::Detail(detail) => self.detail.set(Some(Arc::new(*detail))),
            Response::ConceptMap(map) => self.concept_map.set(Some(Arc::new(*map))),
            Response::Explained(explained) => self.explained.set(Some(Arc::new(*explained))),
            Response::Regions(regions) => self.regions.set(Some(Arc::new(*regions))),
            Response::Error { about, reason } => self.refused(about, reason),
        }
    }
}

//! The page's side of the worker: starting it, sending requests, and turning its answers into
//! signals the views read.

use std::collections::HashMap;
use std::sync::Arc;

use genepheno::protocol::{
    Backend, BackendChoice, ConceptSource, Detail, Explained, Item, ModelSummary, Request, Response, Scored,
};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};

use super::scheduler::Run;

/// Where the model is.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    /// The worker's code is loading.
    Starting,
    /// A model file is downloading (or being read from the cache).
    Loading { file: String, loaded: u64, total: Option<u64>, from_cache: bool },
    /// Ready to score.
    Ready,
    /// Loading failed; the message says why.
    Failed(String),
}

/// Everything about predictions that the views read and the controls change. `Copy`: every
/// field is an arena handle.
#[derive(Clone, Copy)]
pub struct Predictions {
    worker: StoredValue<Option<Worker>, LocalStorage>,
    pub status: RwSignal<Status>,
    /// Phenotype set asked for: `hpo`, `mp` or `gwas`.
    pub dataset: RwSignal<String>,
    pub backend_choice: RwSignal<BackendChoice>,
    /// Backend in use, once loaded.
    pub backend: RwSignal<Option<Backend>>,
    /// Why the GPU is not in use, when it was wanted.
    pub notice: RwSignal<Option<String>>,
    pub model: RwSignal<Option<Arc<ModelSummary>>>,
    pub load_ms: RwSignal<Option<f64>>,
    /// Batch results by record key (the record's index in the session).
    pub scores: RwSignal<HashMap<u32, Arc<Scored>>>,
    pub run: RwSignal<Run>,
    pub detail: RwSignal<Option<Arc<Detail>>>,
    pub explained: RwSignal<Option<Arc<Explained>>>,
    /// A request the worker could not serve.
    pub error: RwSignal<Option<String>>,
    /// The worker's WebAssembly memory, as last reported.
    pub worker_memory: RwSignal<Option<u64>>,
    /// Known genes available for recognition, or why there are none.
    pub reference: RwSignal<Option<Result<usize, String>>>,
}

impl Predictions {
    pub fn new(dataset: &str) -> Self {
        let this = Self {
            worker: StoredValue::new_local(None),
            status: RwSignal::new(Status::Starting),
            dataset: RwSignal::new(dataset.to_string()),
            backend_choice: RwSignal::new(BackendChoice::Auto),
            backend: RwSignal::new(None),
            notice: RwSignal::new(None),
            model: RwSignal::new(None),
            load_ms: RwSignal::new(None),
            scores: RwSignal::new(HashMap::new()),
            run: RwSignal::new(Run::default()),
            detail: RwSignal::new(None),
            explained: RwSignal::new(None),
            error: RwSignal::new(None),
            worker_memory: RwSignal::new(None),
            reference: RwSignal::new(None),
        };
        this.start_worker();
        this
    }

    /// Starts (or restarts) the worker; it asks for the model once it says it is ready.
    fn start_worker(self) {
        if let Some(old) = self.worker.get_value() {
            old.terminate();
        }
        self.status.set(Status::Starting);
        let worker = match Worker::new("./genepheno-worker_loader.js") {
            Ok(worker) => worker,
            Err(e) => {
                self.status.set(Status::Failed(format!("this browser could not start the model's worker: {e:?}")));
                return;
            }
        };
        let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            match event.data().as_string().map(|s| serde_json::from_str::<Response>(&s)) {
                Some(Ok(response)) => self.receive(response),
                other => self.error.set(Some(format!("unreadable answer from the worker: {other:?}"))),
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        // A crash inside the worker (e.g. the GPU driver) ends it: restart on the CPU once.
        let on_error = Closure::<dyn Fn(web_sys::ErrorEvent)>::new(move |event: web_sys::ErrorEvent| {
            event.prevent_default();
            let message = event.message();
            if self.backend.get_untracked() == Some(Backend::Gpu) {
                self.notice.set(Some(format!(
                    "the model stopped while running on the GPU ({message}); it was restarted on the CPU."
                )));
                self.backend_choice.set(BackendChoice::Cpu);
                self.start_worker();
            } else {
                self.status.set(Status::Failed(format!("the model stopped: {message}. Reload the page to try again.")));
            }
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        self.worker.set_value(Some(worker));
    }

    pub(super) fn send(self, request: &Request) {
        if let Some(worker) = self.worker.get_value() {
            let _ = worker.post_message(&JsValue::from_str(&request.to_json()));
        }
    }

    /// Loads the chosen phenotype set on the chosen backend; results of the previous model are
    /// dropped (they would not be comparable).
    pub fn load(self) {
        self.model.set(None);
        self.backend.set(None);
        self.scores.set(HashMap::new());
        self.detail.set(None);
        self.explained.set(None);
        self.run.update(|r| r.reset());
        self.status.set(Status::Loading { file: "model metadata".into(), loaded: 0, total: None, from_cache: false });
        self.send(&Request::Load {
            dataset: self.dataset.get_untracked(),
            backend: self.backend_choice.get_untracked(),
        });
    }

    /// Forgets every result (the inputs were cleared: keys would point at other records).
    pub fn forget_results(self) {
        self.scores.set(HashMap::new());
        self.detail.set(None);
        self.explained.set(None);
        self.run.update(|r| r.reset());
    }

    /// Asks for every score of one record (answered into `detail`).
    pub fn request_detail(self, key: u32, residues: String, source: ConceptSource) {
        self.send(&Request::Detail { item: Item { key, residues }, source });
    }

    /// Asks why one phenotype scored as it did (answered into `explained`).
    pub fn request_explanation(self, key: u32, residues: String, source: ConceptSource, phenotype: u32) {
        self.send(&Request::Explain { item: Item { key, residues }, source, phenotype });
    }

    fn receive(self, response: Response) {
        match response {
            Response::Ready => self.load(),
            Response::Progress { file, loaded, total, from_cache } => {
                self.status.set(Status::Loading { file, loaded, total, from_cache });
            }
            Response::Stage { message } => {
                self.status.set(Status::Loading { file: message, loaded: 0, total: None, from_cache: false });
            }
            Response::Loaded(loaded) => {
                self.backend.set(Some(loaded.backend));
                if loaded.notice.is_some() || self.backend_choice.get_untracked() != BackendChoice::Cpu {
                    self.notice.set(loaded.notice);
                }
                self.load_ms.set(Some(loaded.load_ms));
                self.reference.set(Some(match loaded.reference_problem {
                    Some(problem) => Err(problem),
                    None => Ok(loaded.reference_genes),
                }));
                self.model.set(Some(Arc::new(loaded.model)));
                self.status.set(Status::Ready);
            }
            Response::Failed { message } => self.status.set(Status::Failed(message)),
            Response::Switched { backend, notice } => {
                self.backend.set(Some(backend));
                self.notice.set(Some(notice));
            }
            Response::Scored { batch, results, memory_bytes } => {
                self.worker_memory.set(Some(memory_bytes));
                self.scored(batch, results)
            }
            Response::Detail(detail) => self.detail.set(Some(Arc::new(*detail))),
            Response::Explained(explained) => self.explained.set(Some(Arc::new(*explained))),
            Response::Error { message } => {
                self.error.set(Some(message));
                self.run.update(|r| r.fail());
            }
        }
    }
}

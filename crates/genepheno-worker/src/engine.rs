//! The loaded model and the answers to the page's requests.
//!
//! Two predictors hold the same checked weights: one on the CPU (always there, the fallback) and
//! one on WebGPU when it is wanted, available and agrees with the CPU on a self-check. The model
//! is announced as soon as the CPU predictor is ready; the GPU is started and checked in the
//! background (its first use compiles its programs, seconds on a real GPU and about ten on a
//! software one), and takes over once it passed. If the GPU fails later, the engine switches to
//! the CPU, tells the page, and answers the request there.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;

use genepheno::model::burn::prelude::Device;
use genepheno::model::metadata::sha256_hex;
use genepheno::model::{ModelError, ModelMetadata, Prediction, Predictor, Scoring, store};
use genepheno::protocol::{
    Backend, BackendChoice, ConceptMapRows, ConceptSource, Detail, Explained, Item, KnownGene, LIST_FLOOR, Loaded,
    ModelSummary, Reason, Regions, Request, Response, Scored, Similar, Term, max_abs_difference, top_scores,
};
use genepheno::calibration::{Calibration, NearestTraining, Signals, concept_confidence, prior};
use genepheno::reference::{Identification, ReferenceSet, SplitPart};

use crate::download::{fetch_text, fetch_checked};
use crate::worker::post;

/// Largest difference between a GPU and a CPU score accepted by the self-check. Both compute
/// with the same dequantized weights; only the order of floating-point sums differs (measured:
/// < 1e-5).
const AGREEMENT_TOLERANCE: f32 = 1e-3;

/// Longest wait for WebGPU to start and pass the self-check. The first GPU run compiles the
/// GPU programs (6-9 s measured on a software adapter); a driver that stalls must not leave
/// the page waiting.
const GPU_CHECK_LIMIT_MS: u32 = 90_000;

/// Human ubiquitin (UniProt P0CG48, first 76 residues) and a 1,216-residue repeat of it: a short
/// protein and one the encoder reads in two windows.
const CHECK_PROTEIN: &str = "MQIFVKTLTGKTITLEVEPSDTIENVKAKIQDKEGIPPDQQRLIFAGKQLEDGRTLSDYNIQKESTLHLVLRLRGG";

#[derive(Default)]
pub struct Engine {
    model: Option<Rc<Model>>,
    /// The WebGPU device, initialised once per worker (it is expensive and a second one is
    /// not needed when the page switches datasets).
    gpu_device: Option<Result<Device, String>>,
}

struct Model {
    cpu: Predictor,
    /// Set once the GPU passed its self-check.
    gpu: OnceCell<Predictor>,
    backend: Cell<Backend>,
    /// The known human genes (exact and near-exact recognition, curated GO and phenotypes).
    reference: Option<ReferenceSet>,
}

/// How many similar known genes a detail view lists.
const SIMILAR_GENES: usize = 5;

/// Size of this worker's WebAssembly memory (it only grows, so this is the peak so far).
fn wasm_memory_bytes() -> u64 {
    use wasm_bindgen::JsCast;
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as u64
}

fn now_ms() -> f64 {
    let scope: web_sys::WorkerGlobalScope = wasm_bindgen::JsCast::unchecked_into(js_sys::global());
    scope.performance().map_or(0.0, |p| p.now())
}

impl Engine {
    pub async fn handle(engine: &Rc<RefCell<Engine>>, request: Request) {
        match request {
            Request::Load { dataset, backend } => {
                // Drop the previous model first: two models at once would double the memory.
                engine.borrow_mut().model = None;
                match load(&dataset, backend).await {
                    Ok((model, loaded, weights)) => {
                        let model = Rc::new(model);
                        engine.borrow_mut().model = Some(model.clone());
                        post(&Response::Loaded(Box::new(loaded)));
                        if let Some(weights) = weights {
                            // Runs beside the request queue: the CPU answers meanwhile.
                            wasm_bindgen_futures::spawn_local(upgrade_to_gpu(engine.clone(), model, weights, backend));
                        }
                    }
                    Err(message) => post(&Response::Failed { message }),
                }
            }
            other => {
                // Every other request names what it asked for, so its error goes to that view.
                let Some(about) = other.subject() else { return };
                let model = engine.borrow().model.clone();
                let answer = match model {
                    Some(model) => model.serve(other).await,
                    None => Err(Reason::NoModel),
                };
                post(&answer.unwrap_or_else(|reason| Response::Error { about, reason }));
            }
        }
    }
}

/// Validated dataset name (it becomes part of a URL).
fn dataset_file(dataset: &str) -> Result<&'static str, String> {
    match dataset {
        "hpo" => Ok("hpo"),
        "mp" => Ok("mp"),
        "gwas" => Ok("gwas"),
        other => Err(format!("there is no phenotype set called '{other}'")),
    }
}

/// Loads the model on the CPU with its reference set. Returns the weights too when the GPU is
/// wanted, for [`upgrade_to_gpu`].
async fn load(dataset: &str, choice: BackendChoice) -> Result<(Model, Loaded, Option<Vec<u8>>), String> {
    let started = now_ms();
    let name = dataset_file(dataset)?;
    let text = fetch_text(&format!("models/{name}.json")).await?;
    let metadata = ModelMetadata::from_json(text.as_bytes())
        .map_err(|e| format!("models/{name}.json is not usable model metadata ({e})"))?;
    let weights_url = format!("models/{}", metadata.weights_file);
    let fetched = fetch_checked(&weights_url, &metadata.weights_sha256, |bytes| {
        let actual = sha256_hex(bytes);
        if actual.eq_ignore_ascii_case(&metadata.weights_sha256) {
            Ok(())
        } else {
            Err(format!("SHA-256 {actual}, expected {}", metadata.weights_sha256))
        }
    })
    .await?;
    let mut repaired: Vec<String> = fetched.repaired.then(|| weights_url.clone()).into_iter().collect();
    let mut not_kept: Vec<String> = (!fetched.kept).then(|| weights_url.clone()).into_iter().collect();
    let weights = fetched.bytes;
    // The CPU computes with the weights dequantized once at load, as the GPU does: flex's 8-bit
    // matmul dequantizes the weights on every call (natively 10-15 % of a batch's time), and the
    // f32 copy costs about 11 MB of memory. The 8-bit weights stay what is downloaded.
    let cpu = store::load_checked_dequantized(&metadata, weights.clone(), &Device::flex())
        .and_then(|model| Predictor::from_model(model, metadata.clone(), &Device::flex()))
        .map_err(|e| e.to_string())?;
    let gpu_wanted = choice != BackendChoice::Cpu;
    let (reference, reference_problem) = match load_reference(name, &metadata).await {
        Ok((reference, fixed, kept)) => {
            repaired.extend(fixed);
            if !kept {
                not_kept.push(format!("models/{name}.reference.bin"));
            }
            (Some(reference), None)
        }
        Err(problem) => (None, Some(problem)),
    };
    let calibration = load_calibration(name, &metadata).await;
    // The priors' denominator: measured with the calibration, else the reference set's
    // training genes of this dataset.
    let train_gene_count = calibration.as_ref().map(|c| c.train_gene_count).or_else(|| {
        reference.as_ref().map(|r| r.genes().iter().filter(|g| g.split == SplitPart::Train).count() as u32).filter(|&n| n > 0)
    });
    let loaded = Loaded {
        backend: Backend::Cpu,
        model: summary(&metadata, train_gene_count, calibration),
        reference_genes: reference.as_ref().map_or(0, ReferenceSet::len),
        reference_problem,
        repaired,
        not_kept,
        load_ms: now_ms() - started,
        gpu_check: gpu_wanted,
    };
    let model = Model { cpu, gpu: OnceCell::new(), backend: Cell::new(Backend::Cpu), reference };
    Ok((model, loaded, gpu_wanted.then_some(weights)))
}

/// Describes the browser's WebGPU adapter when it is a software emulation of a GPU (the
/// adapter's own `isFallbackAdapter`, or SwiftShader named in its info); `None` otherwise or
/// when there is no adapter. Asked through JavaScript because the GPU stack does not expose it.
async fn software_adapter() -> Option<String> {
    use js_sys::Reflect;
    use wasm_bindgen::JsCast;
    let get = |object: &wasm_bindgen::JsValue, key: &str| Reflect::get(object, &key.into()).ok();
    let gpu = get(&get(&js_sys::global(), "navigator")?, "gpu").filter(|g| !g.is_undefined())?;
    let request: js_sys::Function = get(&gpu, "requestAdapter")?.dyn_into().ok()?;
    let promise: js_sys::Promise = request.call0(&gpu).ok()?.dyn_into().ok()?;
    let adapter = wasm_bindgen_futures::JsFuture::from(promise).await.ok().filter(|a| a.is_object())?;
    let info = get(&adapter, "info").filter(|i| i.is_object())?;
    let fallback = get(&info, "isFallbackAdapter").and_then(|v| v.as_bool()) == Some(true);
    let words: Vec<String> = ["vendor", "architecture", "description"]
        .iter()
        .filter_map(|key| get(&info, key).and_then(|v| v.as_string()))
        .filter(|text| !text.is_empty())
        .collect();
    let swiftshader = words.iter().any(|w| w.to_ascii_lowercase().contains("swiftshader"));
    (fallback || swiftshader).then(|| if words.is_empty() { "a fallback adapter".to_string() } else { words.join(" ") })
}

/// Starts the GPU, checks it against the CPU within [`GPU_CHECK_LIMIT_MS`], and switches `model`
/// to it if it passed and `model` is still the one loaded; tells the page either way. With the
/// automatic choice, a software-emulated GPU is not used: it is far slower than the CPU path
/// (4 against 309 proteins/s measured on a 2-core machine, docs/BENCHMARKS.md).
async fn upgrade_to_gpu(engine: Rc<RefCell<Engine>>, model: Rc<Model>, weights: Vec<u8>, choice: BackendChoice) {
    let still_loaded = |engine: &Rc<RefCell<Engine>>| engine.borrow().model.as_ref().is_some_and(|m| Rc::ptr_eq(m, &model));
    if choice == BackendChoice::Auto
        && let Some(adapter) = software_adapter().await
    {
        if still_loaded(&engine) {
            post(&Response::Switched {
                backend: Backend::Cpu,
                notice: Some(format!(
                    "WebGPU here is a software emulation of a GPU ({adapter}), much slower than the CPU; the CPU is used. Choose “GPU (WebGPU)” under “Run on” to use it anyway."
                )),
            });
        }
        return;
    }
    let metadata = model.cpu.metadata().clone();
    let check = std::pin::pin!(gpu_predictor(&engine, &metadata, weights, &model.cpu));
    let limit = std::pin::pin!(gloo_timers::future::TimeoutFuture::new(GPU_CHECK_LIMIT_MS));
    let outcome = match futures_util::future::select(check, limit).await {
        futures_util::future::Either::Left((outcome, _)) => outcome,
        futures_util::future::Either::Right(_) => {
            // Never touch this device again.
            engine.borrow_mut().gpu_device = Some(Err("the GPU stalled".into()));
            Err(format!("the GPU did not finish its self-check within {} s; the CPU is used.", GPU_CHECK_LIMIT_MS / 1000))
        }
    };
    if !still_loaded(&engine) {
        // Another model was loaded meanwhile; it has its own check.
        return;
    }
    match outcome {
        Ok(gpu) => {
            if model.gpu.set(gpu).is_ok() {
                model.backend.set(Backend::Gpu);
                post(&Response::Switched { backend: Backend::Gpu, notice: None });
            }
        }
        Err(why) => post(&Response::Switched { backend: Backend::Cpu, notice: Some(why) }),
    }
}

/// The reference set made for these weights, and its address when the kept copy was damaged and
/// downloaded again. It is cached under the weights' checksum (it is bound to them); a kept copy
/// that does not decode for them is replaced.
async fn load_reference(name: &str, metadata: &ModelMetadata) -> Result<(ReferenceSet, Option<String>, bool), String> {
    let url = format!("models/{name}.reference.bin");
    let decode = |bytes: &[u8]| ReferenceSet::decode_for_model(bytes, &metadata.weights_sha256, &metadata.dataset);
    let fetched = fetch_checked(&url, &metadata.weights_sha256, |bytes| decode(bytes).map_err(|e| e.to_string()))
        .await
        .map_err(|e| format!("the known-gene reference set could not be used: {e}"))?;
    Ok((fetched.value, fetched.repaired.then_some(url), fetched.kept))
}

/// The validation figures measured for these weights, if shipped and made for them (a missing or
/// stale file only costs the page its applicability band and lift ranking).
async fn load_calibration(name: &str, metadata: &ModelMetadata) -> Option<Calibration> {
    let text = fetch_text(&format!("models/{name}.calibration.json")).await.ok()?;
    let calibration: Calibration = serde_json::from_str(&text).ok()?;
    (calibration.weights_sha256 == metadata.weights_sha256 && calibration.dataset == metadata.dataset).then_some(calibration)
}

/// The WebGPU predictor, or the reason (worded for the page) why the CPU is used instead.
async fn gpu_predictor(
    engine: &Rc<RefCell<Engine>>,
    metadata: &ModelMetadata,
    weights: Vec<u8>,
    cpu: &Predictor,
) -> Result<Predictor, String> {
    let known = engine.borrow().gpu_device.clone();
    let device = match known {
        Some(device) => device,
        None => {
            let device = Device::wgpu_options()
                .init_async()
                .await
                .map_err(|e| format!("WebGPU is not available here ({e:?}); the CPU is used."));
            engine.borrow_mut().gpu_device = Some(device.clone());
            device
        }
    }?;
    let gpu = store::load_checked_dequantized(metadata, weights, &device)
        .and_then(|model| Predictor::from_model(model, metadata.clone(), &device))
        .map_err(|e| format!("the model could not be placed on the GPU ({e}); the CPU is used."))?;
    let difference = self_check(cpu, &gpu).await.map_err(|e| format!("the GPU failed its self-check ({e}); the CPU is used."))?;
    if difference > AGREEMENT_TOLERANCE {
        return Err(format!(
            "the GPU's scores disagreed with the CPU's (largest difference {difference:.2e}, allowed {AGREEMENT_TOLERANCE:.0e}); the CPU is used."
        ));
    }
    Ok(gpu)
}

/// Largest difference between the GPU's and the CPU's scores and concept activations on the
/// check proteins.
async fn self_check(cpu: &Predictor, gpu: &Predictor) -> Result<f32, ModelError> {
    let long = CHECK_PROTEIN.repeat(16);
    let proteins: [&[u8]; 2] = [CHECK_PROTEIN.as_bytes(), long.as_bytes()];
    let on_cpu = cpu.predict(&proteins).await?;
    let on_gpu = gpu.predict(&proteins).await?;
    Ok(on_cpu.iter().zip(&on_gpu).fold(0.0, |worst: f32, (c, g)| {
        worst
            .max(max_abs_difference(&c.phenotypes, &g.phenotypes))
            .max(max_abs_difference(&c.concepts, &g.concepts))
    }))
}

fn summary(metadata: &ModelMetadata, train_gene_count: Option<u32>, calibration: Option<Calibration>) -> ModelSummary {
    ModelSummary {
        dataset: metadata.dataset.clone(),
        model_version: metadata.model_version.clone(),
        dataset_version: metadata.dataset_version.clone(),
        threshold: metadata.threshold,
        licence: metadata.licence.clone(),
        weights_sha256: metadata.weights_sha256.clone(),
        window: metadata.config.window,
        phenotypes: metadata
            .phenotypes
            .iter()
            .map(|p| Term {
                id: p.id.clone(),
                name: p.name.clone(),
                group: p.system.clone(),
                parents: p.parents.clone(),
                prior: train_gene_count.map(|n| prior(p.train_genes, n)),
            })
            .collect(),
        concepts: metadata
            .concepts
            .iter()
            .map(|c| Term {
                id: c.id.clone(),
                name: c.name.clone(),
                group: Some(c.namespace.clone()),
                parents: Vec::new(),
                prior: None,
            })
            .collect(),
        calibration,
    }
}

impl Model {
    fn identify(&self, residues: &str) -> Option<(usize, KnownGene)> {
        let reference = self.reference.as_ref()?;
        let found = reference.identify(residues.as_bytes())?;
        let gene = reference.gene(found.gene());
        let (identity, others) = match found {
            Identification::Exact { .. } => (100.0, 0),
            Identification::NearExact { similarity, others_near_exact, .. } => {
                (similarity.estimated_identity.unwrap_or(0.0) * 100.0, others_near_exact)
            }
        };
        let known = KnownGene {
            symbol: gene.symbol.clone(),
            entrez: gene.entrez,
            uniprot: gene.uniprot.clone(),
            identity,
            exact: found.is_exact(),
            others,
            same_protein: gene.same_protein.iter().map(|g| g.symbol.clone()).collect(),
            split: (gene.split != SplitPart::NotInDataset).then(|| gene.split.label().to_string()),
        };
        Some((found.gene(), known))
    }

    /// The applicability signals of a sequence-mode prediction.
    fn signals(&self, residues: &str, concepts: &[f32]) -> Signals {
        let nearest_training = self.reference.as_ref().and_then(|reference| {
            let found = reference.nearest_in(residues.as_bytes(), SplitPart::Train)?;
            Some(NearestTraining {
                symbol: reference.gene(found.gene).symbol.clone(),
                jaccard: found.similarity.kmer_jaccard,
                identity: found.similarity.estimated_identity.map(|i| i * 100.0),
            })
        });
        Signals { concept_confidence: concept_confidence(concepts), nearest_training }
    }

    fn similar(&self, residues: &str) -> Vec<Similar> {
        let Some(reference) = &self.reference else { return Vec::new() };
        reference
            .most_similar(residues.as_bytes(), SIMILAR_GENES)
            .into_iter()
            .map(|s| {
                let gene = reference.gene(s.gene);
                Similar {
                    symbol: gene.symbol.clone(),
                    entrez: gene.entrez,
                    uniprot: gene.uniprot.clone(),
                    jaccard: s.similarity.kmer_jaccard,
                    identity: s.similarity.estimated_identity.map(|i| i * 100.0),
                }
            })
            .collect()
    }

    /// The predictor now in use.
    fn active(&self) -> &Predictor {
        match (self.backend.get(), self.gpu.get()) {
            (Backend::Gpu, Some(gpu)) => gpu,
            _ => &self.cpu,
        }
    }

    /// Runs `job` on the active backend; if the GPU fails, switches to the CPU for good, tells
    /// the page, and runs it there.
    async fn run<T>(&self, job: impl AsyncFn(&Predictor) -> Result<T, ModelError>) -> Result<T, Reason> {
        if self.backend.get() == Backend::Gpu {
            match job(self.active()).await {
                Ok(value) => return Ok(value),
                Err(error) => {
                    self.backend.set(Backend::Cpu);
                    post(&Response::Switched {
                        backend: Backend::Cpu,
                        notice: Some(format!("the GPU failed ({error}); scoring continues on the CPU.")),
                    });
                }
            }
        }
        job(&self.cpu).await.map_err(|e| Reason::Compute(e.to_string()))
    }

    async fn prediction(&self, item: &Item, source: ConceptSource) -> Result<Prediction, Reason> {
        if item.residues.is_empty() {
            return Err(Reason::EmptySequence);
        }
        match source {
            ConceptSource::Sequence => {
                let protein = item.residues.as_bytes();
                let mut out = self.run(async |p: &Predictor| p.predict(&[protein]).await).await?;
                out.pop().ok_or_else(|| Reason::Incomplete("no prediction".into()))
            }
            ConceptSource::CuratedGo => {
                let reference = self.reference.as_ref().ok_or(Reason::NoReferenceSet)?;
                let (gene, _) = self.identify(&item.residues).ok_or(Reason::NotAKnownGene)?;
                let row = reference.concept_vector(gene, self.cpu.metadata().concepts.len());
                let mut out = self.run(async |p: &Predictor| p.predict_from_concepts(std::slice::from_ref(&row)).await).await?;
                out.pop().ok_or_else(|| Reason::Incomplete("no prediction".into()))
            }
        }
    }

    async fn serve(&self, request: Request) -> Result<Response, Reason> {
        match request {
            Request::Load { .. } => unreachable!("handled by the engine"),
            Request::Score { batch, items } => {
                if items.iter().any(|i| i.residues.is_empty()) {
                    return Err(Reason::EmptySequence);
                }
                let proteins: Vec<&[u8]> = items.iter().map(|i| i.residues.as_bytes()).collect();
                let predictions = self.run(async |p: &Predictor| p.predict(&proteins).await).await?;
                // Recognised known genes open in known-gene mode: scored from their curated GO,
                // all of them in one pass.
                let identified: Vec<Option<(usize, KnownGene)>> = items.iter().map(|i| self.identify(&i.residues)).collect();
                let concept_count = self.cpu.metadata().concepts.len();
                let rows: Vec<Vec<f32>> = match &self.reference {
                    Some(reference) => identified.iter().flatten().map(|(g, _)| reference.concept_vector(*g, concept_count)).collect(),
                    None => Vec::new(),
                };
                let mut from_curated = if rows.is_empty() {
                    Vec::new()
                } else {
                    self.run(async |p: &Predictor| p.predict_from_concepts(&rows).await).await?
                }
                .into_iter();
                let mut results = Vec::with_capacity(items.len());
                for ((item, p), found) in items.iter().zip(predictions).zip(identified) {
                    let signals = self.signals(&item.residues, &p.concepts);
                    let scored = match (found, &self.reference) {
                        (Some((gene, known)), Some(reference)) => {
                            let curated_scores = from_curated.next().ok_or_else(|| Reason::Incomplete("known-gene scores missing".into()))?;
                            let curated = reference.gene(gene).phenotypes.clone();
                            let mut top = top_scores(&curated_scores.phenotypes, LIST_FLOOR);
                            let listed: std::collections::HashSet<u32> = top.iter().map(|(i, _)| *i).collect();
                            for &c in &curated {
                                if !listed.contains(&c)
                                    && let Some(&s) = curated_scores.phenotypes.get(c as usize)
                                {
                                    top.push((c, s));
                                }
                            }
                            Scored { key: item.key, top, known: Some(known), source: ConceptSource::CuratedGo, curated, signals }
                        }
                        (found, _) => Scored {
                            key: item.key,
                            top: top_scores(&p.phenotypes, LIST_FLOOR),
                            known: found.map(|(_, known)| known),
                            source: ConceptSource::Sequence,
                            curated: Vec::new(),
                            signals,
                        },
                    };
                    results.push(scored);
                }
                Ok(Response::Scored { batch, results, memory_bytes: wasm_memory_bytes() })
            }
            Request::Detail { item, source } => {
                let prediction = self.prediction(&item, source).await?;
                let identified = self.identify(&item.residues);
                let curated = match (&identified, &self.reference) {
                    (Some((gene, _)), Some(reference)) => reference.gene(*gene).phenotypes.clone(),
                    _ => Vec::new(),
                };
                let similar = if identified.is_some() { Vec::new() } else { self.similar(&item.residues) };
                let concepts = &prediction.concepts;
                let own = self.run(async |p: &Predictor| p.own_scores(concepts).await).await?;
                Ok(Response::Detail(Box::new(Detail {
                    key: item.key,
                    source,
                    phenotypes: prediction.phenotypes,
                    concepts: prediction.concepts,
                    known: identified.map(|(_, known)| known),
                    curated,
                    similar,
                    own,
                })))
            }
            Request::Explain { item, source, phenotype } => {
                let prediction = self.prediction(&item, source).await?;
                let index = phenotype as usize;
                let score = *prediction.phenotypes.get(index).ok_or(Reason::NoSuchPhenotype(phenotype))?;
                let concepts = prediction.concepts;
                let why = self.run(async |p: &Predictor| p.explain(&concepts, index).await).await?;
                let logit = why.bias + why.contributions.iter().sum::<f32>();
                Ok(Response::Explained(Box::new(Explained {
                    key: item.key,
                    source,
                    phenotype,
                    contributions: why.contributions,
                    bias: why.bias,
                    own_score: 1.0 / (1.0 + (-logit).exp()),
                    score,
                })))
            }
            Request::ConceptMap { item, source, phenotypes } => {
                let count = self.cpu.metadata().phenotypes.len();
                if let Some(&outside) = phenotypes.iter().find(|&&p| p as usize >= count) {
                    return Err(Reason::NoSuchPhenotype(outside));
                }
                let prediction = self.prediction(&item, source).await?;
                let concepts = &prediction.concepts;
                let mut rows = Vec::with_capacity(phenotypes.len());
                for phenotype in phenotypes {
                    let why = self.run(async |p: &Predictor| p.explain(concepts, phenotype as usize).await).await?;
                    rows.push((phenotype, why.contributions));
                }
                Ok(Response::ConceptMap(Box::new(ConceptMapRows { key: item.key, source, rows })))
            }
            Request::Regions { item, phenotype, concept } => {
                if item.residues.is_empty() {
                    return Err(Reason::EmptySequence);
                }
                let metadata = self.cpu.metadata();
                if phenotype as usize >= metadata.phenotypes.len() {
                    return Err(Reason::NoSuchPhenotype(phenotype));
                }
                let mut scorings = vec![Scoring::Phenotype(phenotype as usize)];
                if let Some(concept) = concept {
                    if concept as usize >= metadata.concepts.len() {
                        return Err(Reason::NoSuchConcept(concept));
                    }
                    scorings.push(Scoring::Concept(concept as usize));
                }
                let started = now_ms();
                let residues = item.residues.as_bytes();
                let maps = self.run(async |p: &Predictor| p.regions(residues, &scorings).await).await?;
                Ok(Response::Regions(Box::new(Regions { key: item.key, phenotype, concept, maps, compute_ms: now_ms() - started })))
            }
        }
    }
}

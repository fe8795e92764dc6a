//! Loading the model for the page's requests (the answers are `genepheno::service`).
//!
//! Two predictors hold the same checked weights: one on the CPU (always there, the fallback) and
//! one on WebGPU when it is wanted, available and agrees with the CPU on a self-check. The model
//! is announced as soon as the CPU predictor is ready; the GPU is started and checked in the
//! background (its first use compiles its programs, seconds on a real GPU and about ten on a
//! software one), and takes over once it passed. If the GPU fails later, the engine switches to
//! the CPU, tells the page, and answers the request there.

use std::cell::RefCell;
use std::rc::Rc;

use genepheno::model::burn::prelude::Device;
use genepheno::model::metadata::sha256_hex;
use genepheno::calibration::Calibration;
use genepheno::domain::LabelSet;
use genepheno::model::{ModelError, ModelMetadata, Predictor, store};
use genepheno::protocol::{Backend, BackendChoice, LoadError, Loaded, Reason, Request, Response, max_abs_difference};
use genepheno::reference::ReferenceSet;
use genepheno::service::{Host, Service, summary};

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
    model: Option<Rc<Service>>,
    /// The WebGPU device, initialised once per worker (it is expensive and a second one is
    /// not needed when the page switches datasets).
    gpu_device: Option<Result<Device, String>>,
}

/// What the service needs of the worker: telling the page, its memory and its clock.
struct Worker;

impl Host for Worker {
    fn switched_to_cpu(&self, notice: String) {
        post(&Response::Switched { backend: Backend::Cpu, notice: Some(notice) });
    }

    fn memory_bytes(&self) -> u64 {
        wasm_memory_bytes()
    }

    fn now_ms(&self) -> f64 {
        now_ms()
    }
}

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
                match load(dataset, backend).await {
                    Ok((model, loaded, weights)) => {
                        let model = Rc::new(model);
                        engine.borrow_mut().model = Some(model.clone());
                        post(&Response::Loaded(Box::new(loaded)));
                        if let Some(weights) = weights {
                            // Runs beside the request queue: the CPU answers meanwhile.
                            wasm_bindgen_futures::spawn_local(upgrade_to_gpu(engine.clone(), model, weights, backend));
                        }
                    }
                    Err(error) => post(&Response::Failed(error)),
                }
            }
            Request::Ask(query) => {
                // Every question names what it asked for, so its refusal goes to that view.
                let about = query.subject();
                let model = engine.borrow().model.clone();
                let answer = match model {
                    Some(model) => model.serve(query, &Worker).await,
                    None => Err(Reason::NoModel),
                };
                post(&answer.unwrap_or_else(|reason| Response::Error { about, reason }));
            }
        }
    }
}

/// Loads the model on the CPU with its reference set. Returns the weights too when the GPU is
/// wanted, for [`upgrade_to_gpu`].
async fn load(dataset: LabelSet, choice: BackendChoice) -> Result<(Service, Loaded, Option<Vec<u8>>), LoadError> {
    let started = now_ms();
    let name = dataset.name();
    let metadata_file = format!("models/{name}.json");
    let text = fetch_text(&metadata_file).await?;
    let metadata = ModelMetadata::from_json(text.as_bytes())
        .map_err(|e| LoadError::BadMetadata { file: metadata_file.clone(), detail: e.to_string() })?;
    if metadata.dataset != dataset {
        return Err(LoadError::OtherModel { file: metadata_file, wanted: dataset, found: metadata.dataset });
    }
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
        .map_err(|e| LoadError::BadWeights { file: weights_url.clone(), detail: e.to_string() })?;
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
    let reference_genes = reference.as_ref().map_or(0, ReferenceSet::len);
    let service = Service::new(cpu, reference);
    let train_gene_count = calibration.as_ref().map(|c| c.train_gene_count).or_else(|| service.reference_training_genes());
    let loaded = Loaded {
        backend: Backend::Cpu,
        model: summary(&metadata, train_gene_count, calibration),
        reference_genes,
        reference_problem,
        repaired,
        not_kept,
        load_ms: now_ms() - started,
        gpu_check: gpu_wanted,
    };
    Ok((service, loaded, gpu_wanted.then_some(weights)))
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
async fn upgrade_to_gpu(engine: Rc<RefCell<Engine>>, model: Rc<Service>, weights: Vec<u8>, choice: BackendChoice) {
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
    let metadata = model.cpu().metadata().clone();
    let check = std::pin::pin!(gpu_predictor(&engine, &metadata, weights, model.cpu()));
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
            if model.use_gpu(gpu) {
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
    let decode = |bytes: &[u8]| ReferenceSet::decode_for_model(bytes, &metadata.weights_sha256, metadata.dataset);
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

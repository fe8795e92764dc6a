//! Which phenotype set and which device: choice, loading progress, the backend in use (and why
//! the GPU is not, when it is not), the model's licence, and the scoring run with cancel.

use genepheno::domain::LabelSet;
use genepheno::protocol::{Backend, BackendChoice};
use leptos::prelude::*;

use crate::format::{group, megabytes};
use crate::input::Inputs;
use crate::predict::{Predictions, Run, Status};

/// How the choice names each phenotype set (every label set has a shipped model).
fn dataset_label(set: LabelSet) -> &'static str {
    match set {
        LabelSet::Hpo => "Human Phenotype Ontology (HPO) — human disease phenotypes",
        LabelSet::Mp => "Mammalian Phenotype Ontology (MP) — mouse knockout phenotypes",
        LabelSet::Gwas => "GWAS-like traits (dbGaP gene sets)",
    }
}

/// What a user must know before reading a set's lists, where its test figures call for it
/// (docs/MODEL_CARD.md has them).
fn dataset_caveat(set: LabelSet) -> Option<&'static str> {
    match set {
        LabelSet::Gwas => Some(
            "On held-out genes this model does not beat ranking each trait by how often it occurs \
             (test Fmax below label frequency, AUC a few points above chance; docs/MODEL_CARD.md): \
             treat its lists as weak hints.",
        ),
        _ => None,
    }
}

#[component]
pub fn ModelBar(inputs: Inputs, predictions: Predictions) -> impl IntoView {
    let state = move || match predictions.status.get() {
        Status::Starting | Status::Loading { .. } => "loading",
        Status::Ready => "ready",
        Status::Failed(_) => "failed",
    };
    let backend_attr = move || match predictions.backend.get() {
        Some(Backend::Gpu) => "gpu",
        Some(Backend::Cpu) => "cpu",
        None => "",
    };
    let status_text = move || match predictions.status.get() {
        Status::Starting => "Starting the model…".to_string(),
        Status::Loading { file, loaded, total, from_cache } => {
            if from_cache {
                format!("Reading {file} from this browser's cache…")
            } else if let Some(total) = total.filter(|t| *t > 0) {
                format!("Downloading {file}: {} of {} MB", megabytes(loaded), megabytes(total))
            } else {
                format!("Loading {file}…")
            }
        }
        Status::Ready => {
            let backend = predictions.backend.get().map_or("", Backend::label);
            let took = predictions.load_ms.get().map(|ms| format!(" · loaded in {:.1} s", ms / 1000.0)).unwrap_or_default();
            let checking = if predictions.gpu_checking.get() {
                " · checking the GPU (its first use compiles its programs); the CPU scores meanwhile…"
            } else {
                ""
            };
            format!("Model ready on the {backend}{took}{checking}")
        }
        Status::Failed(message) => format!("The model could not be loaded: {message}"),
    };
    let progress = move || match predictions.status.get() {
        Status::Loading { loaded, total: Some(total), .. } if total > 0 => Some((loaded as f64 / total as f64).min(1.0)),
        _ => None,
    };
    let ready_total = Memo::new(move |_| inputs.records.with(|r| r.iter().filter(|r| r.is_ready()).count()));
    let scored = move || predictions.scores.with(|s| s.len());

    view! {
        <section class="model-bar" aria-label="Model" data-testid="model-bar">
            <div class="model-choices">
                <label>
                    "Phenotypes "
                    <select data-testid="dataset-select"
                        on:change=move |ev| {
                            // The options are the label sets' own names, so this always parses.
                            if let Ok(set) = event_target_value(&ev).parse::<LabelSet>() {
                                predictions.dataset.set(set);
                                predictions.load();
                            }
                        }
                        prop:value=move || predictions.dataset.get().name()>
                        {LabelSet::ALL.map(|set| view! { <option value=set.name()>{dataset_label(set)}</option> }).collect_view()}
                    </select>
                </label>
                <label>
                    "Run on "
                    <select data-testid="backend-select"
                        on:change=move |ev| {
                            predictions.backend_choice.set(match event_target_value(&ev).as_str() {
                                "gpu" => BackendChoice::Gpu,
                                "cpu" => BackendChoice::Cpu,
                                _ => BackendChoice::Auto,
                            });
                            predictions.load();
                        }
                        prop:value=move || match predictions.backend_choice.get() {
                            BackendChoice::Auto => "auto",
                            BackendChoice::Gpu => "gpu",
                            BackendChoice::Cpu => "cpu",
                        }>
                        <option value="auto">"GPU if available, else CPU"</option>
                        <option value="gpu">"GPU (WebGPU)"</option>
                        <option value="cpu">"CPU"</option>
                    </select>
                </label>
            </div>
            <p class="model-status" data-testid="model-status" data-state=state data-backend=backend_attr data-gpu-check=move || predictions.gpu_checking.get().to_string()
                data-workers=move || predictions.run.with(Run::summary).workers.to_string()
                role="status" aria-live="polite">
                {status_text}
            </p>
            {move || progress().map(|p| view! { <progress max="1" value=p.to_string() aria-label="Model download"></progress> })}
            {move || matches!(predictions.status.get(), Status::Failed(_)).then(|| view! {
                <div class="buttons">
                    <button data-testid="retry" on:click=move |_| predictions.load()>"Try again"</button>
                    <button class="secondary" on:click=move |_| {
                        predictions.backend_choice.set(BackendChoice::Cpu);
                        predictions.load();
                    }>"Try on the CPU"</button>
                </div>
            })}
            {move || {
                let files = predictions.repaired.get();
                (!files.is_empty()).then(|| view! {
                    <p class="notice" data-testid="repair-notice" role="status">{if files.len() == 1 {
                        format!("The copy of {} kept in this browser was damaged; it was thrown away and downloaded again.", files[0])
                    } else {
                        format!("The copies of {} kept in this browser were damaged; they were thrown away and downloaded again.", files.join(" and "))
                    }}</p>
                })
            }}
            {move || {
                let files = predictions.not_kept.get();
                (!files.is_empty()).then(|| view! {
                    <p class="notice" data-testid="not-kept-notice" role="status">{format!(
                        "This browser would not store {} (its storage for this site is full, or this is a private window): the page works, but downloads {} again at the next visit and cannot work offline. Freeing space in the browser's site settings fixes this.",
                        files.join(" and "),
                        if files.len() == 1 { "it" } else { "them" },
                    )}</p>
                })
            }}
            {move || predictions.restarted.get().map(|n| view! {
                <p class="notice" data-testid="restart-notice" role="status">{n}</p>
            })}
            {move || predictions.notice.get().map(|n| view! {
                <p class="notice" data-testid="backend-notice" role="alert">{format!("Note: {n}")}</p>
            })}
            {move || predictions.reference.get().map(|r| match r {
                Ok(genes) => view! { <p class="licence" data-testid="reference-status">{format!("Known genes recognised against {} human reference proteins (UniProtKB/Swiss-Prot), with their curated GO and phenotypes.", group(genes))}</p> }.into_any(),
                Err(problem) => view! { <p class="notice" data-testid="reference-status" role="alert">{format!("Known genes cannot be recognised: {problem}")}</p> }.into_any(),
            })}
            {move || predictions.model.get().map(|m| view! {
                <p class="licence" data-testid="licence">
                    {format!("{} · model {} · data {}. ", dataset_label(m.dataset), m.model_version, m.dataset_version)}
                    {m.licence.clone()}
                </p>
                {dataset_caveat(m.dataset).map(|c| view! { <p class="notice" data-testid="dataset-caveat">{c}</p> })}
            })}
            <Show when=move || { ready_total.get() > 0 && predictions.status.get() == Status::Ready }>
                <div class="run" data-testid="run-status"
                    data-scored=move || scored().to_string()
                    data-total=move || ready_total.get().to_string()
                    data-elapsed-ms=move || {
                        let run = predictions.run.with(Run::summary);
                        let (started, finished) = (run.started_ms, run.finished_ms);
                        match (started, finished) {
                            (Some(s), Some(f)) => format!("{:.0}", f - s),
                            _ => String::new(),
                        }
                    }
                    data-worker-memory=move || predictions.worker_memory.get().map(|m| m.to_string()).unwrap_or_default()
                    data-workers=move || predictions.run.with(Run::summary).workers.to_string()
                    data-in-flight=move || predictions.run.with(Run::summary).in_flight.to_string()
                    data-failed=move || predictions.run.with(Run::summary).failed.to_string()
                    data-answered=move || predictions.run.with(Run::summary).answered_records.to_string()>
                    {move || {
                        let run = predictions.run.with(Run::summary);
                        let (done, total) = (scored(), ready_total.get());
                        // Records whose batch failed are done too: they are not sent again.
                        let failed = match run.failed {
                            0 => String::new(),
                            n => format!("; {} could not be scored (the summary says why)", group(n)),
                        };
                        let elapsed = match (run.started_ms, run.finished_ms) {
                            (Some(s), Some(f)) if f > s => Some((f - s) / 1000.0),
                            _ => None,
                        };
                        let workers = if run.workers > 1 { format!(" · {} workers", run.workers) } else { String::new() };
                        let rate = elapsed.map(|s| format!(" · {:.1} proteins/s{workers}", done as f64 / s)).unwrap_or_default();
                        if done >= total {
                            let took = elapsed.map(|s| format!(" in {s:.1} s")).unwrap_or_default();
                            format!("All {} ready records scored{took}{rate}", group(total))
                        } else if done + run.failed >= total {
                            format!("Done: {} of {} records scored{failed}{rate}", group(done), group(total))
                        } else if run.cancelled && run.in_flight > 0 {
                            format!("Cancelling: {} of {} records scored{failed}; finishing the batches in progress…", group(done), group(total))
                        } else if run.cancelled {
                            format!("Cancelled: {} of {} records scored{failed}", group(done), group(total))
                        } else {
                            format!("Scoring: {} of {} records{failed}{rate}", group(done), group(total))
                        }
                    }}
                    <progress max=move || ready_total.get().to_string() value=move || (scored() + predictions.run.with(Run::summary).failed).to_string()
                        aria-label="Records scored"></progress>
                    {move || {
                        let run = predictions.run.with(Run::summary);
                        let unfinished = scored() + run.failed < ready_total.get();
                        if unfinished && !run.cancelled {
                            view! { <button class="secondary" data-testid="cancel" on:click=move |_| predictions.cancel()>"Cancel"</button> }.into_any()
                        } else if unfinished {
                            view! { <button class="secondary" data-testid="resume" on:click=move |_| predictions.resume()>"Resume"</button> }.into_any()
                        } else {
                            ().into_any()
                        }
                    }}
                </div>
            </Show>
            {move || predictions.error.get().map(|e| view! { <p class="notice error" role="alert" data-testid="worker-error">{e}</p> })}
        </section>
    }
}

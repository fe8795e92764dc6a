//! The session kept in this browser (IndexedDB, never uploaded): written every few seconds
//! while it changes, offered back when the page starts, forgotten on request. What is kept
//! and how it is checked is `genepheno::kept` (tested natively); this holds the storage calls,
//! the timer and the two lines the page shows.

use std::sync::Arc;

use genepheno::kept::{FORMAT, KeptSession};
use gloo_timers::callback::Interval;
use idb::{Database, DatabaseEvent, Factory, ObjectStoreParams, TransactionMode, TransactionResult};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::input::Inputs;
use crate::predict::Predictions;
use crate::results::View;

const DATABASE: &str = "genepheno";
const STORE: &str = "session";
const KEY: &str = "current";

/// How often a changed session is written: often enough that a crash loses seconds of work,
/// rarely enough that writing a 2,000-record session (a few MB of JSON) costs little.
const SAVE_EVERY_MS: u32 = 2_000;

async fn open() -> Result<Database, String> {
    let factory = Factory::new().map_err(|e| format!("this browser gives the page no IndexedDB ({e})"))?;
    let mut request = factory.open(DATABASE, Some(1)).map_err(|e| e.to_string())?;
    request.on_upgrade_needed(|event| {
        if let Ok(database) = event.database() {
            let _ = database.create_object_store(STORE, ObjectStoreParams::new());
        }
    });
    request.await.map_err(|e| e.to_string())
}

async fn read() -> Result<Option<String>, String> {
    let database = open().await?;
    let transaction = database.transaction(&[STORE], TransactionMode::ReadOnly).map_err(|e| e.to_string())?;
    let store = transaction.object_store(STORE).map_err(|e| e.to_string())?;
    let value = store.get(JsValue::from_str(KEY)).map_err(|e| e.to_string())?.await.map_err(|e| e.to_string())?;
    Ok(value.and_then(|v| v.as_string()))
}

/// Writes (`Some`) or deletes (`None`) the kept session.
async fn write(json: Option<String>) -> Result<(), String> {
    let database = open().await?;
    let transaction = database.transaction(&[STORE], TransactionMode::ReadWrite).map_err(|e| e.to_string())?;
    let store = transaction.object_store(STORE).map_err(|e| e.to_string())?;
    let key = JsValue::from_str(KEY);
    match json {
        Some(json) => drop(store.put(&JsValue::from_str(&json), Some(&key)).map_err(storage_error)?),
        None => drop(store.delete(key).map_err(|e| e.to_string())?),
    }
    match transaction.await.map_err(storage_error)? {
        TransactionResult::Committed => Ok(()),
        // The usual cause: the site's storage quota is used up.
        TransactionResult::Aborted => Err("the browser refused to store it (this site's storage is probably full)".into()),
    }
}

fn storage_error(error: idb::Error) -> String {
    let text = error.to_string();
    if text.contains("Quota") { "this site's storage in the browser is full".into() } else { text }
}

/// What changed since the last write is told by these (cheap to compute every tick).
#[derive(Clone, Debug, PartialEq)]
struct Fingerprint {
    generation: u64,
    records: usize,
    file_problems: usize,
    scores: usize,
    view: String,
}

/// The page's side of the kept session.
#[derive(Clone, Copy)]
pub struct Keeper {
    /// A session kept at an earlier visit, offered back until the user answers.
    offer: RwSignal<Option<Arc<KeptSession>>>,
    /// A copy of this session is in the browser.
    kept: RwSignal<bool>,
    /// The user asked not to keep this session.
    off: RwSignal<bool>,
    /// Why the session could not be kept or read back.
    problem: RwSignal<Option<String>>,
    /// The kept copy has been read (nothing is written before: it would overwrite the offer).
    started: StoredValue<bool>,
    writing: StoredValue<bool>,
    last: StoredValue<Option<Fingerprint>>,
}

impl Keeper {
    /// Reads what an earlier visit kept and starts keeping this session.
    pub fn start(inputs: Inputs, predictions: Predictions, view: View) -> Self {
        let this = Self {
            offer: RwSignal::new(None),
            kept: RwSignal::new(false),
            off: RwSignal::new(false),
            problem: RwSignal::new(None),
            started: StoredValue::new(false),
            writing: StoredValue::new(false),
            last: StoredValue::new(None),
        };
        leptos::task::spawn_local(async move {
            match read().await {
                Ok(Some(json)) => match KeptSession::from_json(&json) {
                    Ok(kept) if !kept.records.is_empty() => this.offer.set(Some(Arc::new(kept))),
                    Ok(_) => {}
                    Err(error) => {
                        this.problem.set(Some(format!(
                            "The session kept at your last visit could not be read back: {error}. It was forgotten."
                        )));
                        let _ = write(None).await;
                    }
                },
                Ok(None) => {}
                Err(error) => this.problem.set(Some(format!("This session cannot be kept in this browser: {error}."))),
            }
            this.started.set_value(true);
        });
        let tick = Interval::new(SAVE_EVERY_MS, move || this.tick(inputs, predictions, view));
        // The page lives as long as the tab: so does the timer.
        tick.forget();
        this
    }

    /// Writes the session if it changed (and may be written).
    fn tick(self, inputs: Inputs, predictions: Predictions, view: View) {
        if !self.started.get_value()
            || self.writing.get_value()
            || self.off.get_untracked()
            || self.offer.with_untracked(Option::is_some)
        {
            return;
        }
        let fingerprint = Fingerprint {
            generation: inputs.generation.get_untracked(),
            records: inputs.records.with_untracked(Vec::len),
            file_problems: inputs.file_problems.with_untracked(Vec::len),
            scores: predictions.scores.with_untracked(|s| s.len()),
            view: serde_json::to_string(&view.to_state(inputs, predictions)).unwrap_or_default(),
        };
        if self.last.with_value(|l| l.as_ref() == Some(&fingerprint)) {
            return;
        }
        let empty = fingerprint.records == 0 && fingerprint.file_problems == 0;
        let json = (!empty).then(|| self.snapshot(inputs, predictions, view).to_json());
        self.writing.set_value(true);
        leptos::task::spawn_local(async move {
            let result = write(json).await;
            self.writing.set_value(false);
            match result {
                Ok(()) => {
                    self.last.set_value(Some(fingerprint));
                    self.kept.set(!empty);
                    self.problem.set(None);
                }
                Err(error) => {
                    // Tried again at the next change; the page goes on either way.
                    self.last.set_value(Some(fingerprint));
                    self.kept.set(false);
                    self.problem.set(Some(format!(
                        "This session could not be kept in the browser: {error}. A reload would lose it; save a session file to keep it."
                    )));
                }
            }
        });
    }

    fn snapshot(self, inputs: Inputs, predictions: Predictions, view: View) -> KeptSession {
        let model = predictions.model.get_untracked();
        KeptSession {
            format: FORMAT,
            saved_at_ms: js_sys::Date::now(),
            weights_sha256: model.as_ref().map(|m| m.weights_sha256.clone()).unwrap_or_default(),
            model_version: model.as_ref().map(|m| m.version_tag()).unwrap_or_default(),
            records: inputs.records.get_untracked(),
            file_problems: inputs.file_problems.get_untracked(),
            scores: predictions.scores.with_untracked(|s| {
                let mut scores: Vec<_> = s.values().map(|s| (**s).clone()).collect();
                scores.sort_by_key(|s| s.key);
                scores
            }),
            view: view.to_state(inputs, predictions),
        }
    }

    /// Opens the offered session in place of what is open now.
    fn restore(self, inputs: Inputs, predictions: Predictions) {
        let Some(kept) = self.offer.get_untracked() else { return };
        predictions.forget_results();
        let dataset = kept.view.dataset.clone().unwrap_or_else(|| predictions.dataset.get_untracked());
        predictions.keep_scores(dataset, kept.weights_sha256.clone(), kept.scores.clone());
        inputs.replace(kept.records.clone(), kept.file_problems.clone());
        inputs.session.set(Some(Arc::new(genepheno::share::SharedSession {
            model_version: kept.model_version.clone(),
            fasta: String::new(),
            view: kept.view.clone(),
        })));
        self.offer.set(None);
        self.last.set_value(None);
    }

    /// Forgets the kept copy; `stop` also stops keeping this session.
    fn forget(self, stop: bool) {
        self.offer.set(None);
        self.off.set(stop);
        self.kept.set(false);
        self.last.set_value(None);
        leptos::task::spawn_local(async move {
            if let Err(error) = write(None).await {
                self.problem.set(Some(format!("The kept session could not be forgotten: {error}.")));
            }
        });
    }
}

/// Formats the browser-clock time `ms` in the user's locale.
fn local_time(ms: f64) -> String {
    String::from(js_sys::Date::new(&JsValue::from_f64(ms)).to_locale_string("default", &JsValue::UNDEFINED))
}

/// The offer of a kept session, the line saying this session is kept, and storage problems.
#[component]
pub fn KeptBar(keeper: Keeper, inputs: Inputs, predictions: Predictions) -> impl IntoView {
    let offer = move || {
        keeper.offer.get().map(|kept| {
            let scored = kept.scores.len();
            let open_now = inputs.records.with(|r| !r.is_empty());
            view! {
                <div class="notice banner kept-offer" role="status" data-testid="kept-offer"
                    data-records=kept.records.len() data-scored=scored>
                    <p>
                        {format!(
                            "Your session of {} was kept in this browser: {} record{}, {} of {} scorable ones scored.",
                            local_time(kept.saved_at_ms),
                            kept.records.len(),
                            if kept.records.len() == 1 { "" } else { "s" },
                            scored,
                            kept.scorable(),
                        )}
                        {open_now.then_some(" Restoring it replaces what is open now, which is kept only once you choose.")}
                    </p>
                    <button type="button" data-testid="kept-restore" on:click=move |_| keeper.restore(inputs, predictions)>
                        "Restore it"
                    </button>
                    <button type="button" class="secondary" data-testid="kept-forget" on:click=move |_| keeper.forget(false)>
                        "Forget it"
                    </button>
                </div>
            }
        })
    };
    let status = move || {
        if keeper.offer.with(Option::is_some) {
            return None;
        }
        if keeper.off.get() {
            Some(view! {
                <p class="kept" data-testid="kept-status" data-kept="off">
                    "This session is not kept: a reload starts empty. "
                    <button type="button" class="link" data-testid="kept-on" on:click=move |_| keeper.off.set(false)>"Keep it"</button>
                </p>
            }.into_any())
        } else if keeper.kept.get() {
            Some(view! {
                <p class="kept" data-testid="kept-status" data-kept="on">
                    "This session is kept in this browser only (never uploaded), so a reload loses nothing. "
                    <button type="button" class="link" data-testid="kept-off" on:click=move |_| keeper.forget(true)>"Forget it"</button>
                </p>
            }.into_any())
        } else {
            None
        }
    };
    view! {
        {offer}
        {move || keeper.problem.get().map(|p| view! { <p class="notice banner" role="alert" data-testid="kept-problem">{p}</p> })}
        {status}
    }
}

//! The session kept in this browser (IndexedDB, never uploaded): written every few seconds
//! while it changes, offered back when the page starts, forgotten on request. What is kept,
//! in which parts, and how it is checked is `genepheno::kept` (tested natively); this holds the
//! storage calls, the timer and the lines the page shows.
//!
//! Each tab keeps its session under its own name (`crate::tab`), so two open tabs never
//! overwrite each other. At start a tab is offered its own session (it was reloaded or the
//! browser restored it) or, failing that, the newest session of a tab that is no longer open
//! (closed, or the browser crashed); another open tab's session is left alone.

use std::sync::Arc;

use genepheno::kept::{KeptHead, KeptSession, KeptWrite, KeptWriter, Snapshot};
use gloo_timers::callback::Interval;
use idb::{Database, DatabaseEvent, Factory, KeyRange, ObjectStoreParams, Query, TransactionMode, TransactionResult};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::input::Inputs;
use crate::predict::Predictions;
use crate::results::View;
use crate::tab::{self, Tab};

const DATABASE: &str = "genepheno";
/// Version 2: the session in parts (version 1 kept it whole, in the store `session`).
const VERSION: u32 = 2;
/// The parts, each keyed by tab name (score chunks by `name/number`).
const HEADS: &str = "heads";
const INPUTS: &str = "inputs";
const SCORES: &str = "scores";

/// How often a changed session is written: often enough that a crash loses seconds of work;
/// each write carries only what changed (see `genepheno::kept`).
const SAVE_EVERY_MS: u32 = 2_000;

fn failed(error: impl std::fmt::Display) -> String {
    let text = error.to_string();
    if text.contains("Quota") { "this site's storage in the browser is full".into() } else { text }
}

/// An open database, closed when dropped: one per read or write, so that no connection of this
/// tab outlives its use (an open connection would hold up a later version's upgrade).
struct Connection(Database);

impl std::ops::Deref for Connection {
    type Target = Database;
    fn deref(&self) -> &Database {
        &self.0
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Waits for the connection's transactions to finish, then closes it.
        self.0.close();
    }
}

async fn open() -> Result<Connection, String> {
    let factory = Factory::new().map_err(|e| format!("this browser gives the page no IndexedDB ({e})"))?;
    let mut request = factory.open(DATABASE, Some(VERSION)).map_err(failed)?;
    request.on_upgrade_needed(|event| {
        let Ok(database) = event.database() else { return };
        let names = database.store_names();
        // A session kept whole by the previous version is not read back.
        if names.iter().any(|n| n == "session") {
            let _ = database.delete_object_store("session");
        }
        for store in [HEADS, INPUTS, SCORES] {
            if !names.iter().any(|n| n == store) {
                let _ = database.create_object_store(store, ObjectStoreParams::new());
            }
        }
    });
    request.await.map(Connection).map_err(failed)
}

/// The keys of tab `tab`'s score chunks: `tab/000000` and on, so that key order is chunk order.
fn chunk_key(tab: &str, number: u32) -> JsValue {
    JsValue::from_str(&format!("{tab}/{number:06}"))
}

fn chunks_of(tab: &str) -> Result<Query, String> {
    let range = KeyRange::bound(&JsValue::from_str(&format!("{tab}/")), &JsValue::from_str(&format!("{tab}/~")), None, None)
        .map_err(failed)?;
    Ok(Query::KeyRange(range))
}

/// Names of the tabs with a kept session.
async fn kept_tabs() -> Result<Vec<String>, String> {
    let database = open().await?;
    let transaction = database.transaction(&[HEADS], TransactionMode::ReadOnly).map_err(failed)?;
    let keys = transaction.object_store(HEADS).map_err(failed)?.get_all_keys(None, None).map_err(failed)?.await.map_err(failed)?;
    Ok(keys.into_iter().filter_map(|k| k.as_string()).collect())
}

async fn read_head(tab: &str) -> Result<Option<String>, String> {
    let database = open().await?;
    let transaction = database.transaction(&[HEADS], TransactionMode::ReadOnly).map_err(failed)?;
    let value = transaction.object_store(HEADS).map_err(failed)?.get(JsValue::from_str(tab)).map_err(failed)?.await.map_err(failed)?;
    Ok(value.and_then(|v| v.as_string()))
}

/// Tab `tab`'s inputs part and score chunks, in order.
async fn read_rest(tab: &str) -> Result<(String, Vec<String>), String> {
    let database = open().await?;
    let transaction = database.transaction(&[INPUTS, SCORES], TransactionMode::ReadOnly).map_err(failed)?;
    let inputs = transaction.object_store(INPUTS).map_err(failed)?.get(JsValue::from_str(tab)).map_err(failed)?.await.map_err(failed)?;
    let chunks = transaction.object_store(SCORES).map_err(failed)?.get_all(Some(chunks_of(tab)?), None).map_err(failed)?.await.map_err(failed)?;
    let inputs = inputs.and_then(|v| v.as_string()).ok_or("its records are missing")?;
    Ok((inputs, chunks.into_iter().filter_map(|c| c.as_string()).collect()))
}

/// Stores `write` for tab `tab`, all parts in one transaction.
async fn store(tab: &str, write: &KeptWrite) -> Result<(), String> {
    let database = open().await?;
    let transaction = database.transaction(&[HEADS, INPUTS, SCORES], TransactionMode::ReadWrite).map_err(failed)?;
    let key = JsValue::from_str(tab);
    let scores = transaction.object_store(SCORES).map_err(failed)?;
    if write.clear_chunks {
        drop(scores.delete(chunks_of(tab)?).map_err(failed)?);
    }
    for (number, chunk) in &write.chunks {
        drop(scores.put(&JsValue::from_str(chunk), Some(&chunk_key(tab, *number))).map_err(failed)?);
    }
    if let Some(inputs) = &write.inputs {
        drop(transaction.object_store(INPUTS).map_err(failed)?.put(&JsValue::from_str(inputs), Some(&key)).map_err(failed)?);
    }
    drop(transaction.object_store(HEADS).map_err(failed)?.put(&JsValue::from_str(&write.head), Some(&key)).map_err(failed)?);
    commit(transaction.await.map_err(failed)?)
}

/// Deletes tab `tab`'s kept session.
async fn delete(tab: &str) -> Result<(), String> {
    let database = open().await?;
    let transaction = database.transaction(&[HEADS, INPUTS, SCORES], TransactionMode::ReadWrite).map_err(failed)?;
    let key = JsValue::from_str(tab);
    drop(transaction.object_store(HEADS).map_err(failed)?.delete(key.clone()).map_err(failed)?);
    drop(transaction.object_store(INPUTS).map_err(failed)?.delete(key).map_err(failed)?);
    drop(transaction.object_store(SCORES).map_err(failed)?.delete(chunks_of(tab)?).map_err(failed)?);
    commit(transaction.await.map_err(failed)?)
}

fn commit(result: TransactionResult) -> Result<(), String> {
    match result {
        TransactionResult::Committed => Ok(()),
        // The usual cause: the site's storage quota is used up.
        TransactionResult::Aborted => Err("the browser refused to store it (this site's storage is probably full)".into()),
    }
}

/// What changed since the last write is told by these (cheap to compute every tick).
#[derive(Clone, Debug, PartialEq)]
struct Fingerprint {
    epoch: (u64, u64),
    records: usize,
    file_problems: usize,
    scores: usize,
    view: String,
}

/// A kept session offered back: its head, and the tab it was kept for (this one after a
/// reload, a closed one otherwise).
struct Offer {
    head: KeptHead,
    owner: String,
}

/// The page's side of the kept session.
#[derive(Clone, Copy)]
pub struct Keeper {
    /// This tab's name: the key of its kept session (`None` until claimed).
    tab: StoredValue<Option<String>>,
    /// A session kept at an earlier visit, offered back until the user answers.
    offer: RwSignal<Option<Arc<Offer>>>,
    /// A closed tab's session restored here: deleted once this tab has kept it under its own name.
    adopted: StoredValue<Option<String>>,
    /// Sessions restored in this tab: the records were replaced, not added to.
    restores: StoredValue<u64>,
    /// A copy of this session is in the browser.
    kept: RwSignal<bool>,
    /// The user asked not to keep this session.
    off: RwSignal<bool>,
    /// An offered session was forgotten (said once its deletion is done, so that a reload
    /// right after the answer cannot bring it back unseen).
    forgotten: RwSignal<bool>,
    /// Why the session could not be kept or read back.
    problem: RwSignal<Option<String>>,
    /// The kept copy has been read (nothing is written before: it would overwrite the offer).
    started: StoredValue<bool>,
    writing: StoredValue<bool>,
    last: StoredValue<Option<Fingerprint>>,
    writer: StoredValue<KeptWriter>,
}

impl Keeper {
    /// Reads what an earlier visit kept and starts keeping this session.
    pub fn start(inputs: Inputs, predictions: Predictions, view: View) -> Self {
        let this = Self {
            tab: StoredValue::new(None),
            offer: RwSignal::new(None),
            adopted: StoredValue::new(None),
            restores: StoredValue::new(0),
            kept: RwSignal::new(false),
            off: RwSignal::new(false),
            forgotten: RwSignal::new(false),
            problem: RwSignal::new(None),
            started: StoredValue::new(false),
            writing: StoredValue::new(false),
            last: StoredValue::new(None),
            writer: StoredValue::new(KeptWriter::default()),
        };
        leptos::task::spawn_local(async move {
            let tab = Tab::claim().await.name;
            this.tab.set_value(Some(tab.clone()));
            if let Err(error) = this.offer_earlier(&tab).await {
                this.problem.set(Some(format!("This session cannot be kept in this browser: {error}.")));
            }
            this.started.set_value(true);
        });
        let tick = Interval::new(SAVE_EVERY_MS, move || this.tick(inputs, predictions, view));
        // The page lives as long as the tab: so does the timer.
        tick.forget();
        this
    }

    /// Offers this tab's kept session or else the newest one of a tab no longer open. Kept
    /// sessions that cannot be read back are forgotten, with a line saying so.
    async fn offer_earlier(self, tab: &str) -> Result<(), String> {
        let kept = kept_tabs().await?;
        let candidates: Vec<String> = if kept.iter().any(|k| k == tab) {
            vec![tab.to_string()]
        } else {
            // Without Web Locks no tab is known to be open: the newest session is offered.
            let open = tab::open_tabs().await.unwrap_or_default();
            kept.into_iter().filter(|k| !open.contains(k)).collect()
        };
        let mut newest: Option<(String, KeptHead)> = None;
        for candidate in candidates {
            let Some(json) = read_head(&candidate).await? else { continue };
            match KeptHead::from_json(&json) {
                Ok(head) if head.records == 0 => {}
                Ok(head) => {
                    if newest.as_ref().is_none_or(|(_, n)| head.saved_at_ms > n.saved_at_ms) {
                        newest = Some((candidate, head));
                    }
                }
                Err(error) => self.cannot_read_back(&candidate, error.to_string()).await,
            }
        }
        if let Some((owner, head)) = newest {
            self.offer.set(Some(Arc::new(Offer { head, owner })));
        }
        Ok(())
    }

    /// A kept session that cannot be read back is said and forgotten.
    async fn cannot_read_back(self, tab: &str, error: String) {
        self.problem.set(Some(format!("A session kept at an earlier visit could not be read back: {error}. It was forgotten.")));
        let _ = delete(tab).await;
    }

    /// Writes what changed in the session (when it may be written: not over this tab's own
    /// kept session while it is offered).
    fn tick(self, inputs: Inputs, predictions: Predictions, view: View) {
        let Some(tab) = self.tab.get_value() else { return };
        let offers_own = self.offer.with_untracked(|o| o.as_ref().is_some_and(|o| o.owner == tab));
        if !self.started.get_value() || self.writing.get_value() || self.off.get_untracked() || offers_own {
            return;
        }
        let state = view.to_state(inputs, predictions);
        let fingerprint = Fingerprint {
            epoch: (inputs.generation.get_untracked(), self.restores.get_value()),
            records: inputs.records.with_untracked(Vec::len),
            file_problems: inputs.file_problems.with_untracked(Vec::len),
            scores: predictions.scores.with_untracked(|s| s.len()),
            view: serde_json::to_string(&state).unwrap_or_default(),
        };
        if self.last.with_value(|l| l.as_ref() == Some(&fingerprint)) {
            return;
        }
        let empty = fingerprint.records == 0 && fingerprint.file_problems == 0;
        let write = (!empty).then(|| {
            let model = predictions.model.get_untracked();
            let weights = model.as_ref().map(|m| m.weights_sha256.clone()).unwrap_or_default();
            let version = model.as_ref().map(|m| m.version_tag()).unwrap_or_default();
            // Epochs as one number: generations and restores each only grow.
            let epoch = (fingerprint.epoch.0 << 32) | fingerprint.epoch.1;
            inputs.records.with_untracked(|records| {
                inputs.file_problems.with_untracked(|file_problems| {
                    predictions.scores.with_untracked(|scores| {
                        self.writer.with_value(|writer| {
                            writer.plan(&Snapshot {
                                inputs_epoch: epoch,
                                saved_at_ms: js_sys::Date::now(),
                                weights_sha256: &weights,
                                model_version: &version,
                                view: &state,
                                records,
                                file_problems,
                                scores: scores.values().map(|s| &**s).collect(),
                            })
                        })
                    })
                })
            })
        });
        self.writing.set_value(true);
        leptos::task::spawn_local(async move {
            let result = match &write {
                Some(write) => store(&tab, write).await,
                None => delete(&tab).await,
            };
            self.writing.set_value(false);
            self.last.set_value(Some(fingerprint));
            match result {
                Ok(()) => {
                    match write {
                        Some(write) => self.writer.update_value(|w| w.committed(write)),
                        None => self.writer.update_value(KeptWriter::forget),
                    }
                    if let Some(closed) = self.adopted.try_update_value(Option::take).flatten() {
                        let _ = delete(&closed).await;
                    }
                    self.kept.set(!empty);
                    if !empty {
                        self.forgotten.set(false);
                    }
                    self.problem.set(None);
                }
                Err(error) => {
                    // Tried again at the next change; the page goes on either way.
                    self.kept.set(false);
                    self.problem.set(Some(format!(
                        "This session could not be kept in the browser: {error}. A reload would lose it; save a session file to keep it."
                    )));
                }
            }
        });
    }

    /// Opens the offered session in place of what is open now (its records and scores are read
    /// only now: the offer needs just the head).
    fn restore(self, inputs: Inputs, predictions: Predictions) {
        let Some(offer) = self.offer.get_untracked() else { return };
        let owner = offer.owner.clone();
        leptos::task::spawn_local(async move {
            let kept = match read_rest(&owner).await {
                Ok((records, chunks)) => KeptSession::assemble(offer.head.clone(), &records, &chunks).map_err(|e| e.to_string()),
                Err(error) => Err(error),
            };
            self.offer.set(None);
            let kept = match kept {
                Ok(kept) => kept,
                Err(error) => return self.cannot_read_back(&owner, error).await,
            };
            predictions.forget_results();
            let dataset = kept.head.view.dataset.unwrap_or_else(|| predictions.dataset.get_untracked());
            predictions.keep_scores(dataset, kept.head.weights_sha256.clone(), kept.scores);
            self.restores.update_value(|r| *r += 1);
            inputs.replace(kept.records, kept.file_problems);
            inputs.session.set(Some(Arc::new(genepheno::share::SharedSession {
                model_version: kept.head.model_version,
                fasta: String::new(),
                view: kept.head.view,
            })));
            if Some(&owner) != self.tab.get_value().as_ref() {
                self.adopted.set_value(Some(owner));
            }
            self.last.set_value(None);
        });
    }

    /// Forgets the offered session (`stop` false) or stops keeping this one (`stop` true).
    fn forget(self, stop: bool) {
        let own = self.tab.get_value();
        let whose = if stop { own.clone() } else { self.offer.get_untracked().map(|o| o.owner.clone()) };
        self.offer.set(None);
        self.off.set(stop);
        if whose == own {
            self.kept.set(false);
            self.last.set_value(None);
            self.writer.update_value(KeptWriter::forget);
        }
        let Some(whose) = whose else { return };
        leptos::task::spawn_local(async move {
            match delete(&whose).await {
                Ok(()) => self.forgotten.set(!stop),
                Err(error) => self.problem.set(Some(format!("The kept session could not be forgotten: {error}."))),
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
        keeper.offer.get().map(|offer| {
            let kept = &offer.head;
            let scored = kept.scores;
            let open_now = inputs.records.with(|r| !r.is_empty());
            view! {
                <div class="notice banner kept-offer" role="status" data-testid="kept-offer"
                    data-records=kept.records data-scored=scored>
                    <p>
                        {format!(
                            "Your session of {} was kept in this browser: {} record{}, {} of {} scorable ones scored.",
                            local_time(kept.saved_at_ms),
                            kept.records,
                            if kept.records == 1 { "" } else { "s" },
                            scored,
                            kept.scorable,
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
        } else if keeper.forgotten.get() {
            Some(view! {
                <p class="kept" data-testid="kept-forgotten">"The earlier session was forgotten: it is no longer in this browser."</p>
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

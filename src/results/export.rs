//! Exports (TSV and JSON, of this view or of every record) and sharing (a link, or a session
//! file when the inputs are too large for one).

use std::collections::BTreeSet;

use genepheno::calibration::Applicability;
use genepheno::protocol::{ConceptSource, Scored};
use genepheno::results::{Export, ExportPhenotype, ExportRecord, ExportResidueMap, known_and_new, ranked, term_lift};
use genepheno::share::{MAX_LINK_CHARS, SharedSession};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::View;
use super::summary::known_label;
use crate::input::Inputs;
use crate::predict::Predictions;

/// Offers `text` as a file download. Everything stays in the page: the file is made from a
/// local object URL.
pub fn download(name: &str, mime: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    let document = leptos::prelude::document();
    if let Ok(a) = document.create_element("a") {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    // The browser has taken the file by the time this fires.
    gloo_timers::callback::Timeout::new(30_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
}

fn build(scope: Scope, inputs: Inputs, predictions: Predictions, view: View) -> Option<Export> {
    let model = predictions.model.get_untracked()?;
    let options = view.options(predictions);
    let records = match scope {
        Scope::View => {
            let key = view.record.get_untracked()?;
            let source = untrack(|| view.current_source(predictions));
            let detail = predictions.detail.get_untracked().filter(|d| d.key == key && d.source == source);
            let Some(scored) = predictions.scores.with_untracked(|s| s.get(&key).cloned()) else {
                return failed(key, inputs, predictions).map(|r| Export::new(VIEW_SCOPE, &model, &options, vec![r]));
            };
            let (scores, curated): (Vec<(u32, f32)>, Vec<u32>) = match &detail {
                Some(d) => (d.phenotypes.iter().enumerate().map(|(i, s)| (i as u32, *s)).collect(), d.curated.clone()),
                None if scored.source == source => (scored.top.clone(), scored.curated.clone()),
                None => return None,
            };
            let id = inputs.records.with_untracked(|r| r.get(key as usize).map(|r| r.id.clone()))?;
            let band = untrack(|| super::applicability(&scored, source, predictions));
            let mut one = record(&id, &scored, source, band, &scores, &curated, &model, &options);
            one.residue_maps = residue_maps(key, view, predictions, &model);
            vec![one]
        }
        Scope::All => {
            // Scored records and those whose batch failed (with why), in input order.
            let mut keys: BTreeSet<u32> = predictions.scores.with_untracked(|s| s.keys().copied().collect());
            predictions.run.with_untracked(|r| keys.extend(r.failures().keys()));
            keys.into_iter()
                .filter_map(|key| {
                    let Some(scored) = predictions.scores.with_untracked(|s| s.get(&key).cloned()) else {
                        return failed(key, inputs, predictions);
                    };
                    let id = inputs.records.with_untracked(|r| r.get(key as usize).map(|r| r.id.clone()))?;
                    let band = untrack(|| super::applicability(&scored, scored.source, predictions));
                    Some(record(&id, &scored, scored.source, band, &scored.top, &scored.curated, &model, &options))
                })
                .collect()
        }
    };
    let scope = match scope {
        Scope::View => VIEW_SCOPE,
        Scope::All => "all records (every scored record's phenotypes at or above the threshold, with the filters; a recognised known gene in known-gene mode: its curated phenotypes, then the new ones)",
    };
    Some(Export::new(scope, &model, &options, records))
}

/// The residue maps on screen for the selected phenotype of record `key`, if any.
fn residue_maps(key: u32, view: View, predictions: Predictions, model: &genepheno::protocol::ModelSummary) -> Vec<ExportResidueMap> {
    let Some(regions) = predictions.regions.get_untracked() else { return Vec::new() };
    if regions.key != key || Some(regions.phenotype) != view.phenotype.get_untracked() || untrack(|| view.current_source(predictions)) != ConceptSource::Sequence {
        return Vec::new();
    }
    let terms = std::iter::once(("phenotype", model.phenotypes.get(regions.phenotype as usize)))
        .chain(regions.concept.map(|c| ("concept", model.concepts.get(c as usize))));
    terms.zip(&regions.maps).filter_map(|((of, term), map)| Some(ExportResidueMap::new(of, term?, map))).collect()
}

const VIEW_SCOPE: &str = "this view (the selected record's list with its filters, every row)";

/// A record whose batch failed: its id and why, when it did.
fn failed(key: u32, inputs: Inputs, predictions: Predictions) -> Option<ExportRecord> {
    let reason = predictions.run.with_untracked(|r| r.failure(key).cloned())?;
    let id = inputs.records.with_untracked(|r| r.get(key as usize).map(|r| r.id.clone()))?;
    Some(ExportRecord::failed(&id, &reason.to_string()))
}

/// One record's rows: for a known gene in known-gene mode its curated phenotypes (group `known`,
/// any score) and then the called ones not yet annotated (group `new`); else the called terms.
#[allow(clippy::too_many_arguments)]
fn record(
    id: &str,
    scored: &Scored,
    source: ConceptSource,
    band: Option<Applicability>,
    scores: &[(u32, f32)],
    curated: &[u32],
    model: &genepheno::protocol::ModelSummary,
    options: &genepheno::results::ListOptions,
) -> ExportRecord {
    let row = |(i, score): (u32, f32), group: &str| {
        let term = &model.phenotypes[i as usize];
        ExportPhenotype {
            id: term.id.clone(),
            name: term.name.clone(),
            system: term.group.clone(),
            score,
            lift: term_lift(term, score),
            curated: curated.contains(&i),
            group: group.to_string(),
        }
    };
    let phenotypes = if source == ConceptSource::CuratedGo {
        let groups = known_and_new(scores, &model.phenotypes, curated, options);
        groups.known.into_iter().map(|p| row(p, "known")).chain(groups.new.into_iter().map(|p| row(p, "new"))).collect()
    } else {
        ranked(scores, &model.phenotypes, options).into_iter().map(|p| row(p, "predicted")).collect()
    };
    ExportRecord {
        record_id: id.to_string(),
        known_gene: scored.known.as_ref().map(known_label),
        concepts_from: match source {
            ConceptSource::Sequence => "sequence".into(),
            ConceptSource::CuratedGo => "curated GO".into(),
        },
        applicability: band.map(|b| b.code().to_string()),
        phenotypes,
        problem: None,
        residue_maps: Vec::new(),
    }
}

#[derive(Clone, Copy)]
enum Scope {
    View,
    All,
}

/// The share link's or session file's contents: the ready records as FASTA, the model version
/// and the view.
pub fn session(inputs: Inputs, predictions: Predictions, view: View) -> Option<SharedSession> {
    let model = predictions.model.get_untracked()?;
    let fasta = inputs.records.with_untracked(|records| {
        records
            .iter()
            .filter_map(|r| {
                let protein = r.protein.as_ref()?;
                let header = if r.description.is_empty() { r.id.clone() } else { format!("{} {}", r.id, r.description) };
                Some(format!(">{header}\n{protein}\n"))
            })
            .collect::<String>()
    });
    Some(SharedSession { model_version: model.version_tag(), fasta, view: view.to_state(inputs, predictions) })
}

#[component]
pub fn ExportBar(inputs: Inputs, predictions: Predictions, view: View) -> impl IntoView {
    let save = move |scope: Scope, json: bool| {
        let Some(export) = build(scope, inputs, predictions, view) else { return };
        let stem = match scope {
            Scope::View => "genepheno-view",
            Scope::All => "genepheno-all",
        };
        if json {
            download(&format!("{stem}.json"), "application/json", &export.to_json());
        } else {
            download(&format!("{stem}.tsv"), "text/tab-separated-values", &export.to_tsv());
        }
    };
    // The link, or why a file is offered instead.
    let link = RwSignal::new(None::<Result<String, usize>>);
    let copied = RwSignal::new(false);
    let make_link = move |_| {
        let Some(session) = session(inputs, predictions, view) else { return };
        let fragment = session.to_fragment();
        if !SharedSession::fits_in_link(&fragment) {
            link.set(Some(Err(fragment.len())));
            return;
        }
        let location = window().location();
        let url = format!(
            "{}{}#{}",
            location.origin().unwrap_or_default(),
            location.pathname().unwrap_or_default(),
            fragment
        );
        // The address bar shows the link too, so a reload keeps the view.
        let _ = window().history().map(|h| h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url)));
        let clipboard = window().navigator().clipboard();
        let promise = clipboard.write_text(&url);
        copied.set(false);
        leptos::task::spawn_local(async move {
            copied.set(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok());
        });
        link.set(Some(Ok(url)));
    };
    let save_session = move |_| {
        if let Some(session) = session(inputs, predictions, view) {
            download("session.genepheno.json", "application/json", &session.to_file());
        }
    };
    view! {
        <div class="export-bar" data-testid="export-bar">
            <div class="buttons">
                <span class="label">"Download this view: "</span>
                <button class="secondary" data-testid="export-view-tsv" on:click=move |_| save(Scope::View, false)>"TSV"</button>
                <button class="secondary" data-testid="export-view-json" on:click=move |_| save(Scope::View, true)>"JSON"</button>
                <span class="label">" · all records: "</span>
                <button class="secondary" data-testid="export-all-tsv" on:click=move |_| save(Scope::All, false)>"TSV"</button>
                <button class="secondary" data-testid="export-all-json" on:click=move |_| save(Scope::All, true)>"JSON"</button>
            </div>
            <div class="buttons share">
                <button data-testid="copy-link" on:click=make_link>"Copy link to this view"</button>
                <button class="secondary" data-testid="save-session" on:click=save_session>"Save session file"</button>
            </div>
            {move || link.get().map(|l| match l {
                Ok(url) => view! {
                    <div class="share-link">
                        <label>
                            {move || if copied.get() { "Link copied. It holds your sequences (compressed) in the part after #, which browsers never send to a server:" } else { "Copy this link. It holds your sequences (compressed) in the part after #, which browsers never send to a server:" }}
                            <input type="text" readonly data-testid="share-url" prop:value=url
                                on:focus=|ev| { let i: web_sys::HtmlInputElement = event_target(&ev); i.select(); } />
                        </label>
                    </div>
                }.into_any(),
                Err(chars) => view! {
                    <p class="notice" data-testid="link-too-large" role="alert">
                        {format!("These inputs make a link of {} KB, more than the {} KB that mail and chat tools pass on safely. Save a session file instead; dropping it on this page opens the same view.", chars / 1024, MAX_LINK_CHARS / 1024)}
                    </p>
                }.into_any(),
            })}
        </div>
    }
}

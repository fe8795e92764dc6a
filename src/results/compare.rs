//! Two records side by side: the phenotypes each calls (as the list shows them: same threshold,
//! filters and order) and the GO concepts each carries, in both or in one only, with both
//! records' values. Each record is read in its own mode (a recognised gene from its curated GO),
//! as the summary table reads it, and each column says which.

use genepheno::protocol::{ConceptSource, Term};
use genepheno::results::ranked;
use genepheno::views::{Compared, active_concepts, compare};
use leptos::prelude::*;

use super::View;
use crate::format::{group, score};
use crate::input::Inputs;
use crate::predict::{Predictions, Status};

/// A concept counts as carried from this activation (curated GO: 1).
const ACTIVE: f32 = 0.5;
/// Rows listed per group before "and N more".
const LISTED: usize = 25;

fn mode(source: ConceptSource) -> &'static str {
    match source {
        ConceptSource::Sequence => "sequence mode",
        ConceptSource::CuratedGo => "known-gene mode",
    }
}

fn value(v: Option<f32>) -> String {
    v.map(score).unwrap_or_else(|| "–".into())
}

/// One group of a comparison as a short table.
fn group_table(title: String, rows: &[Compared], terms: &[Term], a: &str, b: &str, testid: &'static str) -> AnyView {
    let n = rows.len();
    view! {
        <div class="compare-group" data-testid=testid data-count=n.to_string()>
            <h4>{format!("{title} ({})", group(n))}</h4>
            {if n == 0 {
                view! { <p class="hint">"none"</p> }.into_any()
            } else {
                view! {
                    <table class="compare-table">
                        <thead><tr><th scope="col">"Term"</th><th scope="col" class="num">{a.to_string()}</th><th scope="col" class="num">{b.to_string()}</th></tr></thead>
                        <tbody>
                            {rows.iter().take(LISTED).map(|r| {
                                let term = &terms[r.index as usize];
                                view! { <tr><td title=term.id.clone()>{term.name.clone()}</td><td class="num">{value(r.a)}</td><td class="num">{value(r.b)}</td></tr> }
                            }).collect_view()}
                        </tbody>
                    </table>
                    {(n > LISTED).then(|| view! { <p class="hint">{format!("and {} more", group(n - LISTED))}</p> })}
                }.into_any()
            }}
        </div>
    }
    .into_any()
}

#[component]
pub fn CompareView(inputs: Inputs, predictions: Predictions, view: View) -> impl IntoView {
    let open = RwSignal::new(false);
    let other = RwSignal::new(None::<u32>);
    // Choosing another record as the selected one clears a comparison with itself.
    Effect::new(move |_| {
        if view.record.get().is_some() && view.record.get() == other.get_untracked() {
            other.set(None);
        }
    });
    let other_source = move || {
        let key = other.get()?;
        let scored = predictions.scores.with(|s| s.get(&key).cloned())?;
        // The other record in its batch's mode (the user's mode choice is the selected record's).
        Some((key, scored.source))
    };
    Effect::new(move |_| {
        if !open.get() || predictions.status.get() != Status::Ready {
            return;
        }
        let Some((key, source)) = other_source() else { return };
        let on_hand = predictions.compared.with_untracked(|d| d.as_ref().is_some_and(|d| d.key == key && d.source == source));
        if on_hand {
            return;
        }
        if let Some(protein) = inputs.records.with_untracked(|r| r.get(key as usize).and_then(|r| r.protein.clone())) {
            predictions.request_compared(key, protein, source);
        }
    });
    let choices = move || {
        let selected = view.record.get();
        let keys: Vec<u32> = predictions.scores.with(|s| {
            let mut k: Vec<u32> = s.keys().copied().filter(|k| Some(*k) != selected).collect();
            k.sort_unstable();
            k
        });
        inputs.records.with(|r| keys.into_iter().filter_map(|k| r.get(k as usize).map(|r| (k, r.id.clone()))).collect::<Vec<_>>())
    };
    let body = move || {
        let a_key = view.record.get()?;
        let model = predictions.model.get()?;
        let a_source = view.current_source(predictions);
        let a_id = inputs.records.with(|r| r.get(a_key as usize).map(|r| r.id.clone()))?;
        let Some((b_key, b_source)) = other_source() else {
            return Some(view! { <p class="hint">"Choose the record to compare this one with."</p> }.into_any());
        };
        let b_id = inputs.records.with(|r| r.get(b_key as usize).map(|r| r.id.clone()))?;
        let options = view.options(predictions);
        let a_detail = predictions.detail.get().filter(|d| d.key == a_key && d.source == a_source);
        let b_detail = predictions.compared.get().filter(|d| d.key == b_key && d.source == b_source);
        let (Some(a_detail), Some(b_detail)) = (a_detail, b_detail) else {
            if let Some(refused) = predictions.detail_refused.get().filter(|r| r.key == b_key) {
                return Some(view! { <p class="notice" role="alert">{format!("{b_id} could not be scored in full: {}.", refused.reason)}</p> }.into_any());
            }
            return Some(view! { <p class="hint">"Scoring both records in full…"</p> }.into_any());
        };
        let all = |d: &genepheno::protocol::Detail| -> Vec<(u32, f32)> { d.phenotypes.iter().enumerate().map(|(i, s)| (i as u32, *s)).collect() };
        let (a_all, b_all) = (all(&a_detail), all(&b_detail));
        let phenotypes = compare(&ranked(&a_all, &model.phenotypes, &options), &ranked(&b_all, &model.phenotypes, &options), &a_all, &b_all);
        let a_concepts = active_concepts(&a_detail.concepts, ACTIVE);
        let b_concepts = active_concepts(&b_detail.concepts, ACTIVE);
        let a_values: Vec<(u32, f32)> = a_detail.concepts.iter().enumerate().map(|(i, v)| (i as u32, *v)).collect();
        let b_values: Vec<(u32, f32)> = b_detail.concepts.iter().enumerate().map(|(i, v)| (i as u32, *v)).collect();
        let concepts = compare(&a_concepts, &b_concepts, &a_values, &b_values);
        let (a_head, b_head) = (a_id.clone(), b_id.clone());
        Some(view! {
            <p class="hint" data-testid="compare-modes">{format!(
                "{a_id} in {}, {b_id} in {}. Phenotypes: those called at {:.2} with the list's filters and order; GO concepts: activation of at least {ACTIVE} (curated: annotated).",
                mode(a_source), mode(b_source), options.threshold)}</p>
            <h4 class="compare-heading">"Phenotypes"</h4>
            <div class="compare-columns" data-testid="compare-phenotypes">
                {group_table("In both".into(), &phenotypes.both, &model.phenotypes, &a_head, &b_head, "compare-both")}
                {group_table(format!("Only in {a_id}"), &phenotypes.only_a, &model.phenotypes, &a_head, &b_head, "compare-only-a")}
                {group_table(format!("Only in {b_id}"), &phenotypes.only_b, &model.phenotypes, &a_head, &b_head, "compare-only-b")}
            </div>
            <h4 class="compare-heading">"GO concepts"</h4>
            <div class="compare-columns" data-testid="compare-concepts">
                {group_table("In both".into(), &concepts.both, &model.concepts, &a_head, &b_head, "compare-concepts-both")}
                {group_table(format!("Only in {a_id}"), &concepts.only_a, &model.concepts, &a_head, &b_head, "compare-concepts-only-a")}
                {group_table(format!("Only in {b_id}"), &concepts.only_b, &model.concepts, &a_head, &b_head, "compare-concepts-only-b")}
            </div>
        }.into_any())
    };
    view! {
        <details class="record-section" data-testid="compare-section" prop:open=move || open.get()
            on:toggle=move |ev| open.set(event_target::<web_sys::HtmlDetailsElement>(&ev).open())>
            <summary><h3>"Compare with another record"</h3></summary>
            {move || open.get().then(|| view! {
                <label class="compare-choice">
                    "Compare with "
                    <select data-testid="compare-with"
                        prop:value=move || other.get().map(|k| k.to_string()).unwrap_or_default()
                        on:change=move |ev| other.set(event_target_value(&ev).parse::<u32>().ok())>
                        <option value="">"choose a record"</option>
                        {move || choices().into_iter().map(|(k, id)| view! { <option value=k.to_string()>{id}</option> }).collect_view()}
                    </select>
                </label>
                {body}
            })}
        </details>
    }
}

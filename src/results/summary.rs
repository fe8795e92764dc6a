//! Every scored record at a glance: its known gene (if recognised), how many phenotypes reach
//! the threshold, and its most specific predicted phenotypes. A row selects the record.

use std::collections::BTreeSet;

use genepheno::calibration::Applicability;
use genepheno::protocol::{ConceptSource, KnownGene};
use genepheno::results::{known_and_new, ranked};
use leptos::prelude::*;

use super::{View, applicability, applicability_badge};
use crate::format::{group, score};
use crate::input::Inputs;
use crate::pager::Pager;
use crate::predict::Predictions;

const PAGE_ROWS: usize = 25;

// In the view below, a comparison inside an attribute is wrapped in braces: a bare `>=` there
// ends the tag early and prints the rest as text.

/// How a recognised gene is named in lists: every gene of an identical protein ("HBA1 / HBA2").
pub fn known_label(known: &KnownGene) -> String {
    let names = known.names();
    if known.exact {
        format!("{names} (exact match)")
    } else if known.others > 0 {
        format!("{names} (≈{:.0}% identity; {} other close gene{} too)", known.identity, known.others, if known.others == 1 { "" } else { "s" })
    } else {
        format!("{names} (≈{:.0}% identity)", known.identity)
    }
}

/// A summary row after the record's id.
enum Row {
    Scored { known: Option<String>, band: Option<Applicability>, called: usize, known_count: Option<usize>, top: Vec<String> },
    /// Its batch could not be scored: why.
    Failed(String),
}

#[component]
pub fn SummaryTable(inputs: Inputs, predictions: Predictions, view: View) -> impl IntoView {
    let page = RwSignal::new(0usize);
    // Scored records and those whose batch failed, in input order.
    let keys = Memo::new(move |_| {
        let mut keys: BTreeSet<u32> = predictions.scores.with(|s| s.keys().copied().collect());
        predictions.run.with(|r| keys.extend(r.failures().keys()));
        keys.into_iter().collect::<Vec<u32>>()
    });
    let pages = move || keys.with(|k| k.len().div_ceil(PAGE_ROWS).max(1));
    let rows = move || {
        let options = view.options(predictions);
        let model = predictions.model.get()?;
        let start = page.get() * PAGE_ROWS;
        let page_keys: Vec<u32> = keys.with(|k| k.iter().skip(start).take(PAGE_ROWS).copied().collect());
        Some(
            page_keys
                .into_iter()
                .filter_map(|key| {
                    let id = inputs.records.with(|r| r.get(key as usize).map(|r| r.id.clone()))?;
                    let Some(scored) = predictions.scores.with(|s| s.get(&key).cloned()) else {
                        let reason = predictions.run.with(|r| r.failure(key).cloned())?;
                        return Some((key, id, Row::Failed(reason.to_string())));
                    };
                    let name = |list: Vec<(u32, f32)>| -> Vec<String> {
                        list.into_iter().take(3).map(|(i, s)| format!("{} {}", model.phenotypes[i as usize].name, score(s))).collect()
                    };
                    // The summary shows each record in its batch mode: known-gene mode for a
                    // recognised gene (known and new apart), sequence mode otherwise.
                    let (called, known_count, top) = if scored.source == ConceptSource::CuratedGo {
                        let groups = known_and_new(&scored.top, &model.phenotypes, &scored.curated, &options);
                        let all = genepheno::results::ListOptions { specific_only: false, ..options.clone() };
                        let known_count = known_and_new(&scored.top, &model.phenotypes, &scored.curated, &all).known.len();
                        (groups.new.len(), Some(known_count), name(groups.new))
                    } else {
                        let list = ranked(&scored.top, &model.phenotypes, &options);
                        (list.len(), None, name(list))
                    };
                    let band = applicability(&scored, scored.source, predictions);
                    Some((key, id, Row::Scored { known: scored.known.as_ref().map(known_label), band, called, known_count, top }))
                })
                .collect::<Vec<_>>(),
        )
    };
    view! {
        <Show when=move || { keys.with(|k| k.len() > 1) }>
            <div class="summary-table">
                <h2>"All scored records"</h2>
                <p class="hint">"Choose a record to see its ranked phenotypes. A recognised known gene is shown in known-gene mode: its curated phenotypes (known) apart from the predicted ones not yet annotated (new)."</p>
                <div class="table-scroll">
                <table data-testid="summary-table">
                    <thead><tr>
                        <th scope="col">"Record"</th>
                        <th scope="col">"Known gene"</th>
                        <th scope="col">"Applicability"</th>
                        <th scope="col" class="num">"Called (new, for a known gene)"</th>
                        <th scope="col">"Top predicted phenotypes (new, for a known gene)"</th>
                    </tr></thead>
                    <tbody>
                        {move || rows().unwrap_or_default().into_iter().map(|(key, id, row)| {
                            let selected = move || view.record.get() == Some(key);
                            let failed = matches!(row, Row::Failed(_));
                            let cells = match row {
                                Row::Scored { known, band, called, known_count, top } => view! {
                                    <td>{known.unwrap_or_default()}</td>
                                    <td>{band.map(applicability_badge)}</td>
                                    <td class="num">{group(called)}</td>
                                    <td class="top-terms">
                                        {known_count.map(|n| view! { <span class="group-tag known" data-testid="summary-known">{format!("Known: {} curated", group(n))}</span> })}
                                        {known_count.is_some().then(|| view! { <span class="group-tag new" data-testid="summary-new">"New: "</span> })}
                                        {if top.is_empty() { "none called".to_string() } else { top.join(" · ") }}
                                    </td>
                                }.into_any(),
                                Row::Failed(reason) => view! {
                                    <td colspan="4" class="problem" data-testid="summary-failed">{format!("Not scored: {reason}.")}</td>
                                }.into_any(),
                            };
                            view! {
                                <tr class:selected=selected class:failed=failed>
                                    <td class="id">
                                        <button class="link" aria-pressed=move || selected().to_string()
                                            data-testid="summary-record"
                                            on:click=move |_| { view.record.set(Some(key)); view.phenotype.set(None); }>
                                            {id}
                                        </button>
                                    </td>
                                    {cells}
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                </div>
                <Show when=move || { pages() > 1 }>
                    <Pager page=page total=Signal::derive(move || keys.with(Vec::len)) rows=PAGE_ROWS testid="summary-pager" />
                </Show>
            </div>
        </Show>
    }
}

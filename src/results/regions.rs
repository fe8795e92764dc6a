//! The residue map under a phenotype's explanation: which stretches of the sequence raise or
//! lower its score, and the same for the GO concept that adds most to it (occlusion, see
//! `genepheno::regions`). Drawn as SVG tracks along the residue numbers, with the strongest
//! stretches listed and every number in a table.

use std::sync::Arc;

use genepheno::protocol::{ConceptSource, Explained, Regions, Term};
use genepheno::regions::{RegionMap, Stretch};
use leptos::prelude::*;

use super::charts::svg_title;
use super::View;
use crate::format::group;
use crate::input::Inputs;
use crate::predict::Predictions;

/// Proteins up to this long get their residue map at once (a 2,261-residue one took 0.23 s in
/// the worker on the CPU path, see tests/e2e/explain.test.mjs); longer ones on request (of
/// the project's human proteins only titin and MUC16; titin's took 1.3 s): the map's cost grows
/// with the length, and the worker is busy with it while other records wait to be scored.
pub const AUTO_REGIONS: usize = 10_000;
/// Stretches listed per direction.
const LISTED: usize = 3;

const WIDTH: f32 = 680.0;
const LEFT: f32 = 8.0;
const TRACK: f32 = 64.0;

/// The concept that adds most to the explained phenotype's logit, if any adds.
pub fn top_concept(explained: &Explained) -> Option<u32> {
    explained
        .contributions
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0.0)
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i as u32)
}

/// Residue numbers for the axis: the first, the last, and round numbers between.
fn ticks(length: usize) -> Vec<usize> {
    let raw = length as f32 / 6.0;
    let magnitude = 10f32.powf(raw.max(1.0).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(raw) as usize;
    let step = step.max(1);
    let mut out = vec![1];
    out.extend((1..).map(|k| k * step).take_while(|&t| t < length).filter(|&t| t as f32 > length as f32 * 0.08 && (t as f32) < length as f32 * 0.88));
    out.push(length);
    out.dedup();
    out
}

/// One track: per-residue effect as bars above (raises) and below (lowers) the midline.
fn track(map: &RegionMap, title: String, title_id: String) -> AnyView {
    let per = map.per_residue();
    let scale = per.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
    let area = WIDTH - 2.0 * LEFT;
    let x = |residue: usize| LEFT + area * residue as f32 / map.length.max(1) as f32;
    let mid = TRACK / 2.0;
    // One bar per step of the layout: the effect is constant within a step.
    let step = map.layout.step.max(1);
    let bars = (0..map.length)
        .step_by(step)
        .filter_map(|start| {
            let value = per[start];
            if value == 0.0 {
                return None;
            }
            let end = (start + step).min(map.length);
            let height = (value.abs() / scale * (mid - 2.0)).max(0.5);
            let y = if value > 0.0 { mid - height } else { mid };
            let class = if value > 0.0 { "raise" } else { "lower" };
            let width = (x(end) - x(start)).max(0.6);
            Some(view! {
                <rect x=x(start).to_string() y=y.to_string() width=width.to_string() height=height.to_string() class=class>
                    <title>{format!("residues {}–{}: {:+.4}", start + 1, end, value)}</title>
                </rect>
            })
        })
        .collect_view();
    // Residue numbers below the track as text, not in the SVG: the track stretches to the
    // width it gets (a phone's 390 px or a desktop's), the numbers keep their size.
    // (Placed through the CSS object model: the CSP refuses style attributes.)
    let axis = ticks(map.length)
        .into_iter()
        .map(|t| {
            let at = 100.0 * (x(t - 1) + area / map.length.max(1) as f32 / 2.0) / WIDTH;
            view! { <span style:left=format!("{at:.2}%")>{t}</span> }
        })
        .collect_view();
    let labelled_by = title_id.clone();
    view! {
        <svg class="chart residue-track" viewBox=format!("0 0 {WIDTH} {TRACK}") preserveAspectRatio="none" width="100%"
            role="img" aria-labelledby=labelled_by>
            {svg_title(title, Some(title_id))}
            <line x1=LEFT.to_string() x2=(WIDTH - LEFT).to_string() y1=mid.to_string() y2=mid.to_string() class="zero"></line>
            {bars}
            <line x1=LEFT.to_string() x2=(WIDTH - LEFT).to_string() y1=TRACK.to_string() y2=TRACK.to_string() class="axis"></line>
        </svg>
        <div class="track-axis" aria-hidden="true">{axis}</div>
    }
    .into_any()
}

/// "residues 120–139 (+0.031)" for each stretch.
fn listed(stretches: &[Stretch]) -> String {
    stretches
        .iter()
        .map(|s| {
            let (first, last) = s.residues();
            format!("{first}–{last} ({:+.3})", s.effect)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One map with its caption, its strongest stretches and its numbers.
fn map_figure(map: &RegionMap, what: &str, term: &Term, testid: &'static str) -> AnyView {
    let up = map.strongest(LISTED, true);
    let down = map.strongest(LISTED, false);
    let summary = match (up.is_empty(), down.is_empty()) {
        (true, true) => "No stretch changes it when masked.".to_string(),
        _ => format!(
            "Raise it most: {}. Lower it most: {}.",
            if up.is_empty() { "none".into() } else { listed(&up) },
            if down.is_empty() { "none".into() } else { listed(&down) }
        ),
    };
    let title = format!("Effect of each stretch of residues on the {what} of {} ({}): {summary}", term.name, term.id);
    view! {
        <div class="residue-map" data-testid=testid data-length=map.length data-stretches=map.stretches.len()
            data-top=up.first().map(|s| format!("{}-{}", s.start + 1, s.end)).unwrap_or_default()>
            <p class="track-caption"><strong>{format!("{} “{}”", what, term.name)}</strong>{format!(" ({:.3} for the whole protein)", map.score)}</p>
            {track(map, title, format!("{testid}-title"))}
            <p class="hint" data-testid=format!("{testid}-summary")>{summary}</p>
            <details class="chart-table">
                <summary>"Show as a table"</summary>
                <table>
                    <thead><tr><th scope="col">"Residues"</th><th scope="col" class="num">{format!("{what} without them")}</th><th scope="col" class="num">"Effect"</th></tr></thead>
                    <tbody>
                        {map.stretches.iter().map(|s| view! {
                            <tr>
                                <td>{format!("{}–{}", s.start + 1, s.end)}</td>
                                <td class="num">{format!("{:.4}", map.score - s.effect)}</td>
                                <td class="num">{format!("{:+.4}", s.effect)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </div>
    }
    .into_any()
}

/// The residue maps of the selected phenotype (and its strongest concept), or why there are none.
#[component]
pub fn ResidueMaps(inputs: Inputs, predictions: Predictions, view: View) -> impl IntoView {
    let current = move |regions: &Arc<Regions>| Some(regions.key) == view.record.get() && Some(regions.phenotype) == view.phenotype.get();
    // A long protein's map the user asked for: (record, phenotype).
    let asked = RwSignal::new(None::<(u32, u32)>);
    view! {
        {move || {
            let phenotype = view.phenotype.get()?;
            let key = view.record.get()?;
            let model = predictions.model.get()?;
            let term = model.phenotypes.get(phenotype as usize)?.clone();
            let heading = view! { <h4>"Which residues drive this score"</h4> };
            if view.current_source(predictions) != ConceptSource::Sequence {
                return Some(view! {
                    <section class="residue-maps" data-testid="residue-maps" data-state="known-gene">
                        {heading}
                        <p class="hint">"In known-gene mode the scores come from the gene's curated GO annotations, not from its sequence; switch to sequence mode to see which residues drive the predicted score."</p>
                    </section>
                }.into_any());
            }
            if let Some(regions) = predictions.regions.get().filter(current) {
                let concept = regions.concept.and_then(|c| model.concepts.get(c as usize).cloned());
                return Some(view! {
                    <section class="residue-maps" data-testid="residue-maps" data-state="ready" data-compute-ms=format!("{:.0}", regions.compute_ms)>
                        {heading}
                        <p class="hint">{format!(
                            "Each stretch of {} residues (one every {}) was taken out in turn and the protein scored again: blue stretches raise the score (it drops without them), orange ones lower it (it rises without them). Residue numbers are the whole protein's.",
                            regions.maps[0].layout.width, regions.maps[0].layout.step)}</p>
                        {map_figure(&regions.maps[0], "Score", &term, "residue-map-phenotype")}
                        {regions.maps.get(1).zip(concept).map(|(map, concept)| view! {
                            <p class="hint">"The GO concept that adds most to this score:"</p>
                            {map_figure(map, "Concept", &concept, "residue-map-concept")}
                        })}
                    </section>
                }.into_any());
            }
            if let Some(refused) = predictions.regions_refused.get().filter(|r| r.key == key && r.phenotype == Some(phenotype)) {
                return Some(view! {
                    <section class="residue-maps" data-testid="residue-maps" data-state="refused">
                        {heading}
                        <p class="notice" role="alert">{format!("The residue map could not be made: {}.", refused.reason)}</p>
                    </section>
                }.into_any());
            }
            let length = inputs.records.with(|r| r.get(key as usize).and_then(|r| r.protein.as_ref().map(String::len)))?;
            if length > AUTO_REGIONS && asked.get() != Some((key, phenotype)) {
                let ask = move |_| {
                    asked.set(Some((key, phenotype)));
                    let explained = predictions.explained.get_untracked().filter(|e| e.key == key && e.phenotype == phenotype);
                    let concept = explained.as_deref().and_then(top_concept);
                    if let Some(protein) = inputs.records.with_untracked(|r| r.get(key as usize).and_then(|r| r.protein.clone())) {
                        predictions.request_regions(key, protein, phenotype, concept);
                    }
                };
                return Some(view! {
                    <section class="residue-maps" data-testid="residue-maps" data-state="on-request">
                        {heading}
                        <p class="hint">{format!("This protein has {} residues: its map masks each of about 100 stretches of {} residues in turn, which takes a while at this length.", group(length), genepheno::regions::Layout::for_length(length).width)}</p>
                        <button type="button" class="secondary" data-testid="residue-map-make" on:click=ask>"Map the residues"</button>
                    </section>
                }.into_any());
            }
            Some(view! {
                <section class="residue-maps" data-testid="residue-maps" data-state="working">
                    {heading}
                    <p class="hint">"Masking each stretch of the sequence in turn…"</p>
                </section>
            }.into_any())
        }}
    }
}

//! Heatmaps, drawn as SVG by the page: every scored record by the phenotype ontology's
//! top-level systems (which organ systems each record touches; a cell opens that record on that
//! system), and the selected record's concept map (its top phenotypes by the GO concepts that
//! drive them, GenePheno's own figure). Each has a caption, an accessible name, a legend and its
//! numbers as a table; colours are colour-blind safe (a single-hue blue scale; Okabe-Ito blue
//! and orange for signed values).

use std::collections::BTreeSet;

use genepheno::calibration::Order;
use genepheno::protocol::ConceptSource;
use genepheno::results::ranked;
use genepheno::views::{SystemCell, concept_map, system_cells, systems_of};
use leptos::prelude::*;

use super::View;
use super::charts::{short, svg_title};
use crate::format::{group, score};
use crate::input::Inputs;
use crate::pager::Pager;
use crate::predict::{Predictions, Status};

/// ColorBrewer's nine-step "Blues": one hue from light to dark, readable with any colour vision
/// and in greyscale.
const BLUES: [&str; 9] = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"];
/// A cell with nothing called in it (lift colour).
const EMPTY: &str = "#eef0f4";
/// Okabe-Ito blue (raises a score) and orange (lowers it), as the residue maps use.
const RAISES: (f32, f32, f32) = (0.0, 114.0, 178.0);
const LOWERS: (f32, f32, f32) = (230.0, 159.0, 0.0);

/// Records per heatmap page.
const HEAT_ROWS: usize = 25;
/// Column labels rise at this angle (degrees) from the middle of their column.
const COLUMN_ANGLE: f32 = 50.0;

/// How far right of its column's middle a label rising `head` pixels reaches: the room the last
/// columns' labels need, so that they are not cut at the chart's edge.
fn overhang(head: f32) -> f32 {
    head / COLUMN_ANGLE.to_radians().tan()
}
/// Phenotypes and concepts in a record's concept map.
const MAP_PHENOTYPES: usize = 10;
const MAP_CONCEPTS: usize = 12;

/// The sequential colour of `t` in 0..=1.
pub fn blue(t: f32) -> &'static str {
    BLUES[((t.clamp(0.0, 1.0) * (BLUES.len() - 1) as f32).round()) as usize]
}

/// The signed colour of `value` on a scale whose ends are `±scale`: white at zero.
pub fn signed(value: f32, scale: f32) -> String {
    let t = (value.abs() / scale.max(1e-9)).clamp(0.0, 1.0);
    let (r, g, b) = if value >= 0.0 { RAISES } else { LOWERS };
    let mix = |c: f32| (255.0 + (c - 255.0) * t).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(r), mix(g), mix(b))
}

/// Every scored record by top-level system: the colour is the system's best lift over the
/// training frequency among its called terms (the default order), or its best score.
#[component]
pub fn SystemsHeatmap(inputs: Inputs, predictions: Predictions, view: View) -> impl IntoView {
    let page = RwSignal::new(0usize);
    let keys = Memo::new(move |_| predictions.scores.with(|s| s.keys().copied().collect::<BTreeSet<u32>>().into_iter().collect::<Vec<u32>>()));
    let by_lift = move || view.rule(predictions).order == Order::Lift;
    let body = move || {
        let model = predictions.model.get()?;
        let threshold = view.threshold_in_force(predictions);
        let systems = systems_of(&model.phenotypes);
        let start = page.get() * HEAT_ROWS;
        let rows: Vec<(u32, String, std::collections::BTreeMap<String, SystemCell>)> = keys.with(|k| {
            k.iter()
                .skip(start)
                .take(HEAT_ROWS)
                .filter_map(|&key| {
                    let id = inputs.records.with(|r| r.get(key as usize).map(|r| r.id.clone()))?;
                    let top = predictions.scores.with(|s| s.get(&key).map(|s| s.top.clone()))?;
                    Some((key, id, system_cells(&top, &model.phenotypes, threshold)))
                })
                .collect()
        });
        let lift = by_lift();
        let lift_scale = rows.iter().flat_map(|(_, _, cells)| cells.values().filter_map(|c| c.lift.map(|(_, l)| l))).fold(0.5f32, f32::max);
        let colour = |cell: Option<&SystemCell>| -> &'static str {
            match (cell, lift) {
                (None, _) => EMPTY,
                (Some(c), true) => c.lift.map_or(EMPTY, |(_, l)| blue(l.max(0.0) / lift_scale)),
                (Some(c), false) => blue(c.score),
            }
        };
        let (label_w, cell, head) = (170.0f32, 22.0f32, 150.0f32);
        let width = label_w + cell * (systems.len() as f32 - 0.5) + overhang(head) + 8.0;
        let height = head + cell * rows.len() as f32 + 4.0;
        let columns = systems.iter().enumerate().map(|(c, system)| {
            let x = label_w + cell * c as f32 + cell / 2.0;
            view! {
                <text class="heat-column" transform=format!("translate({x:.1},{:.1}) rotate(-{COLUMN_ANGLE})", head - 6.0) text-anchor="start">
                    {short(system.trim_start_matches("Abnormality of the ").trim_start_matches("Abnormality of "), 24)}
                    {svg_title(system.clone(), None)}
                </text>
            }
        }).collect_view();
        let grid = rows.iter().enumerate().map(|(r, (key, id, cells))| {
            let key = *key;
            let y = head + cell * r as f32;
            let selected = view.record.get() == Some(key);
            let squares = systems.iter().enumerate().map(|(c, system)| {
                let found = cells.get(system);
                let term = found.map(|f| if lift { f.lift.map_or(f.best, |(t, _)| t) } else { f.best });
                let text = match found {
                    None => format!("{id} · {system}: no term scored"),
                    Some(f) => {
                        let best = &model.phenotypes[f.best as usize].name;
                        match f.lift {
                            Some((t, l)) => format!("{id} · {system}: best score {} ({best}); most lifted called term {} (×{:.1} the odds of its training frequency)", score(f.score), model.phenotypes[t as usize].name, l.exp()),
                            None => format!("{id} · {system}: best score {} ({best}); nothing called at {threshold:.2}", score(f.score)),
                        }
                    }
                };
                let system = system.clone();
                view! {
                    <rect x=(label_w + cell * c as f32).to_string() y=y.to_string() width=(cell - 1.0).to_string() height=(cell - 1.0).to_string()
                        fill=colour(found) class="heat-cell" data-system=system.clone()
                        data-term=term.map(|t| model.phenotypes[t as usize].id.clone()).unwrap_or_default()
                        on:click=move |_| {
                            view.record.set(Some(key));
                            view.system.set(Some(system.clone()));
                            view.phenotype.set(term);
                        }>
                        <title>{text}</title>
                    </rect>
                }
            }).collect_view();
            view! {
                <g class="heat-row" class:selected=selected data-testid="heat-row" data-key=key.to_string()>
                    // The <a> is the only child of its own <g>: leptos' view! macro makes an SVG
                    // <a> only there (beside siblings it makes an HTML one, which SVG never draws).
                    <g>
                        // Named by its title (the whole identifier), which begins with the visible,
                        // perhaps shortened, text: what a speech-input user reads out matches.
                        <a href="#record-view" class="heat-record"
                            on:click=move |ev| { ev.prevent_default(); view.record.set(Some(key)); view.phenotype.set(None); }>
                            {svg_title(id.to_string(), None)}
                            <text x=(label_w - 6.0).to_string() y=(y + cell * 0.7).to_string() text-anchor="end">{short(id, 22)}</text>
                        </a>
                    </g>
                    {squares}
                </g>
            }
        }).collect_view();
        let caption = if lift {
            "Colour: the largest lift over the training frequency among the system's terms called at the threshold (darker: the record adds more to what is common); grey: nothing called."
        } else {
            "Colour: the system's best score (darker: higher); grey: no term scored."
        };
        let table_rows = rows.iter().map(|(key, id, cells)| {
            let key = *key;
            let id = id.clone();
            view! {
                <tr>
                    <th scope="row">{id.clone()}</th>
                    {systems.iter().map(|system| {
                        let found = cells.get(system).cloned();
                        let text = found.as_ref().map(|f| if lift { f.lift.map(|(_, l)| format!("×{:.1}", l.exp())).unwrap_or_else(|| "–".into()) } else { score(f.score) }).unwrap_or_else(|| "–".into());
                        let system = system.clone();
                        let term = found.map(|f| if lift { f.lift.map_or(f.best, |(t, _)| t) } else { f.best });
                        view! {
                            <td class="num">
                                <button class="link" aria-label=format!("{id}, {system}: {text}")
                                    on:click=move |_| { view.record.set(Some(key)); view.system.set(Some(system.clone())); view.phenotype.set(term); }>
                                    {text.clone()}
                                </button>
                            </td>
                        }
                    }).collect_view()}
                </tr>
            }
        }).collect_view();
        let legend = (0..BLUES.len()).map(|i| view! { <rect x=(i as f32 * 18.0).to_string() y="0" width="17" height="10" fill=BLUES[i]></rect> }).collect_view();
        let legend_ends = if lift { ("×1".to_string(), format!("×{:.0}", lift_scale.exp())) } else { ("0".to_string(), "1".to_string()) };
        Some(view! {
            <p class="hint">{caption}" Choose a record's name to open it, or a cell to open the record on that system."</p>
            <div class="heat-scroll">
                <svg class="heatmap systems-heatmap" width=width.to_string() height=height.to_string() viewBox=format!("0 0 {width} {height}")
                    role="group" aria-labelledby="systems-heatmap-title" data-testid="systems-heatmap" data-rows=rows.len().to_string() data-columns=systems.len().to_string()>
                    {svg_title(format!("Records by top-level system, coloured by {}", if lift { "lift over the training frequency" } else { "score" }), Some("systems-heatmap-title".into()))}
                    {columns}
                    {grid}
                </svg>
            </div>
            <div class="legend" aria-hidden="true">
                <span>{legend_ends.0}</span>
                <svg width="162" height="10" viewBox="0 0 162 10">{legend}</svg>
                <span>{legend_ends.1}</span>
                <svg width="17" height="10" viewBox="0 0 17 10"><rect width="17" height="10" fill=EMPTY></rect></svg>
                <span>{if lift { "nothing called" } else { "none scored" }}</span>
            </div>
            <details class="chart-table" data-testid="systems-heatmap-table">
                <summary>"Show as a table"</summary>
                <div class="table-scroll">
                    <table>
                        <thead><tr><th scope="col">"Record"</th>{systems.iter().map(|s| view! { <th scope="col">{s.clone()}</th> }).collect_view()}</tr></thead>
                        <tbody>{table_rows}</tbody>
                    </table>
                </div>
            </details>
        })
    };
    view! {
        <Show when=move || { keys.with(|k| k.len() > 1) }>
            <section class="systems-map" data-testid="systems-map">
                <h2>"Systems at a glance"</h2>
                {body}
                <Show when=move || { keys.with(|k| k.len() > HEAT_ROWS) }>
                    <Pager page=page total=Signal::derive(move || keys.with(Vec::len)) rows=HEAT_ROWS testid="heat-pager" />
                </Show>
            </section>
        </Show>
    }
}

/// The selected record's top phenotypes (as the list orders them) by the GO concepts that
/// contribute most to them: each cell is activation × weight, blue where the concept raises the
/// phenotype's score, orange where it lowers it.
#[component]
pub fn ConceptMapView(inputs: Inputs, predictions: Predictions, view: View) -> impl IntoView {
    let open = RwSignal::new(false);
    // The rows the map is for: the record's list as shown (top ones), in the current mode.
    let wanted = Memo::new(move |_| {
        let key = view.record.get()?;
        let source = view.current_source(predictions);
        let model = predictions.model.get()?;
        let top = predictions.scores.with(|s| s.get(&key).map(|s| s.top.clone()))?;
        let detail = predictions.detail.with(|d| d.as_ref().filter(|d| d.key == key && d.source == source).map(|d| d.phenotypes.clone()));
        let scores: Vec<(u32, f32)> = match detail {
            Some(all) => all.into_iter().enumerate().map(|(i, s)| (i as u32, s)).collect(),
            None => top,
        };
        let list: Vec<u32> = ranked(&scores, &model.phenotypes, &view.options(predictions)).into_iter().take(MAP_PHENOTYPES).map(|(i, _)| i).collect();
        Some((key, source, list))
    });
    Effect::new(move |_| {
        if !open.get() || predictions.status.get() != Status::Ready {
            return;
        }
        let Some((key, source, list)) = wanted.get() else { return };
        if list.is_empty() {
            return;
        }
        let on_hand = predictions.concept_map.with_untracked(|m| {
            m.as_ref().is_some_and(|m| m.key == key && m.source == source && m.rows.iter().map(|(p, _)| *p).eq(list.iter().copied()))
        });
        if on_hand {
            return;
        }
        if let Some(protein) = inputs.records.with_untracked(|r| r.get(key as usize).and_then(|r| r.protein.clone())) {
            predictions.request_concept_map(key, protein, source, list);
        }
    });
    let body = move || {
        let (key, source, list) = wanted.get()?;
        if list.is_empty() {
            return Some(view! { <p class="hint">"No phenotype is called at this threshold: lower it to map concepts."</p> }.into_any());
        }
        if let Some(refused) = predictions.concept_map_refused.get().filter(|r| r.key == key && r.source == source) {
            return Some(view! { <p class="notice" role="alert" data-testid="concept-map-refused">{format!("The concept map could not be made: {}.", refused.reason)}</p> }.into_any());
        }
        let rows = predictions.concept_map.get().filter(|m| m.key == key && m.source == source && m.rows.iter().map(|(p, _)| *p).eq(list.iter().copied()));
        let Some(rows) = rows else {
            return Some(view! { <p class="hint">"Computing the contributions…"</p> }.into_any());
        };
        let model = predictions.model.get()?;
        let map = concept_map(&rows.rows, MAP_CONCEPTS);
        let (label_w, cell_w, cell_h, head) = (230.0f32, 34.0f32, 24.0f32, 170.0f32);
        let width = label_w + cell_w * (map.concepts.len() as f32 - 0.5) + overhang(head) + 10.0;
        let height = head + cell_h * map.phenotypes.len() as f32 + 4.0;
        let columns = map.concepts.iter().enumerate().map(|(c, &concept)| {
            let term = &model.concepts[concept as usize];
            let x = label_w + cell_w * c as f32 + cell_w / 2.0;
            view! {
                <text class="heat-column" transform=format!("translate({x:.1},{:.1}) rotate(-{COLUMN_ANGLE})", head - 6.0) text-anchor="start">
                    {short(&term.name, 28)}
                    {svg_title(format!("{} ({})", term.name, term.id), None)}
                </text>
            }
        }).collect_view();
        let grid = map.phenotypes.iter().enumerate().map(|(r, &phenotype)| {
            let term = model.phenotypes[phenotype as usize].clone();
            let y = head + cell_h * r as f32;
            let selected = view.phenotype.get() == Some(phenotype);
            let cells = map.concepts.iter().enumerate().map(|(c, &concept)| {
                let value = map.values[r][c];
                let text = format!("{} → {}: {:+.3}", model.concepts[concept as usize].name, term.name, value);
                view! {
                    <rect x=(label_w + cell_w * c as f32).to_string() y=y.to_string() width=(cell_w - 1.0).to_string() height=(cell_h - 1.0).to_string()
                        fill=signed(value, map.scale) class="heat-cell" on:click=move |_| view.phenotype.set(Some(phenotype))>
                        <title>{text}</title>
                    </rect>
                }
            }).collect_view();
            view! {
                <g class="heat-row" class:selected=selected data-testid="concept-map-row" data-term=term.id.clone()>
                    // Alone in its <g>, so that it is an SVG <a> (see the systems heatmap).
                    <g>
                        <a href="#explanation" class="heat-record"
                            on:click=move |ev| { ev.prevent_default(); view.phenotype.set(Some(phenotype)); }>
                            {svg_title(term.name.clone(), None)}
                            <text x=(label_w - 6.0).to_string() y=(y + cell_h * 0.68).to_string() text-anchor="end">{short(&term.name, 34)}</text>
                        </a>
                    </g>
                    {cells}
                </g>
            }
        }).collect_view();
        let legend = (-4..=4).map(|i| {
            let v = i as f32 / 4.0;
            view! { <rect x=((i + 4) as f32 * 18.0).to_string() y="0" width="17" height="10" fill=signed(v, 1.0)></rect> }
        }).collect_view();
        let mode = match source {
            ConceptSource::Sequence => "GO concepts predicted from the sequence",
            ConceptSource::CuratedGo => "the known gene's curated GO annotations",
        };
        let table = view! {
            <details class="chart-table" data-testid="concept-map-table">
                <summary>"Show as a table"</summary>
                <div class="table-scroll">
                    <table>
                        <thead><tr><th scope="col">"Phenotype"</th>{map.concepts.iter().map(|&c| view! { <th scope="col">{model.concepts[c as usize].name.clone()}</th> }).collect_view()}</tr></thead>
                        <tbody>
                            {map.phenotypes.iter().enumerate().map(|(r, &p)| view! {
                                <tr>
                                    <th scope="row">{model.phenotypes[p as usize].name.clone()}</th>
                                    {map.values[r].iter().map(|v| view! { <td class="num">{format!("{v:+.3}")}</td> }).collect_view()}
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </details>
        };
        Some(view! {
            <p class="hint">{format!(
                "Each cell is one concept's contribution to one phenotype's logit (activation × weight, from {mode}): blue raises the score, orange lowers it; the {} concepts shown contribute most to any of these {} phenotypes. Choose a phenotype to explain it.",
                group(map.concepts.len()), group(map.phenotypes.len()))}</p>
            <div class="heat-scroll">
                <svg class="heatmap concept-heatmap" width=width.to_string() height=height.to_string() viewBox=format!("0 0 {width} {height}")
                    role="group" aria-labelledby="concept-map-title" data-testid="concept-map" data-rows=map.phenotypes.len().to_string() data-columns=map.concepts.len().to_string()>
                    {svg_title("Top phenotypes of this record by the GO concepts that contribute most to them".into(), Some("concept-map-title".into()))}
                    {columns}
                    {grid}
                </svg>
            </div>
            <div class="legend" aria-hidden="true">
                <span>{format!("lowers {:.2}", map.scale)}</span>
                <svg width="162" height="10" viewBox="0 0 162 10">{legend}</svg>
                <span>{format!("raises {:.2}", map.scale)}</span>
            </div>
            {table}
        }.into_any())
    };
    view! {
        <details class="record-section" data-testid="concept-map-section" prop:open=move || open.get()
            on:toggle=move |ev| open.set(event_target::<web_sys::HtmlDetailsElement>(&ev).open())>
            <summary><h3>"Concept map: top phenotypes × GO concepts"</h3></summary>
            {move || open.get().then(body)}
        </details>
    }
}

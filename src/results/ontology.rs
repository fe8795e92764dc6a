//! The ontology view: the selected record's most specific called terms and every ancestor of
//! them, as a layered graph of the phenotype ontology drawn in SVG (roots on top). Each term tells
//! its own score (its logit's sigmoid) from the score shown (at least every descendant's: a term
//! called only through a more specific one says so), and the most specific called terms are
//! marked. A node opens that term's explanation.

use genepheno::results::{ListOptions, ranked};
use genepheno::views::ontology_graph;
use leptos::prelude::*;

use super::View;
use super::charts::{short, svg_title};
use crate::format::{group, score};
use crate::predict::Predictions;

const NODE_W: f32 = 156.0;
const NODE_H: f32 = 46.0;
const GAP_X: f32 = 14.0;
const GAP_Y: f32 = 34.0;
const PAD: f32 = 6.0;
/// Most specific terms drawn at first, and how many more each "Show more" adds.
const FIRST_TERMS: usize = 12;
const MORE_TERMS: usize = 12;

#[component]
pub fn OntologyView(predictions: Predictions, view: View) -> impl IntoView {
    let open = RwSignal::new(false);
    let limit = RwSignal::new(FIRST_TERMS);
    Effect::new(move |_| {
        view.record.track();
        limit.set(FIRST_TERMS);
    });
    let body = move || {
        let key = view.record.get()?;
        let source = view.current_source(predictions);
        let model = predictions.model.get()?;
        if model.phenotypes.iter().all(|t| t.parents.is_empty()) {
            return Some(view! { <p class="hint">"This phenotype set is flat (no ontology), so there is no graph to draw."</p> }.into_any());
        }
        let Some(detail) = predictions.detail.get().filter(|d| d.key == key && d.source == source) else {
            return Some(view! { <p class="hint">"Waiting for the record's full scores…"</p> }.into_any());
        };
        let scores: Vec<(u32, f32)> = detail.phenotypes.iter().enumerate().map(|(i, s)| (i as u32, *s)).collect();
        let options = view.options(predictions);
        let threshold = options.threshold;
        // The most specific called terms in the list's order (its text and system filters too).
        let specific = ranked(&scores, &model.phenotypes, &ListOptions { specific_only: true, ..options });
        if specific.is_empty() {
            return Some(view! { <p class="hint">"No phenotype is called at this threshold."</p> }.into_any());
        }
        let total = specific.len();
        let chosen: Vec<u32> = specific.iter().take(limit.get()).map(|(i, _)| *i).collect();
        let graph = ontology_graph(&chosen, &model.phenotypes);
        let width = graph.width as f32 * (NODE_W + GAP_X) - GAP_X + 2.0 * PAD;
        let height = graph.layers as f32 * (NODE_H + GAP_Y) - GAP_Y + 2.0 * PAD;
        let layer_len: Vec<usize> = (0..graph.layers).map(|l| graph.nodes.iter().filter(|n| n.layer == l).count()).collect();
        // Each layer centred under the widest one.
        let place = |i: usize| -> (f32, f32) {
            let n = &graph.nodes[i];
            let offset = (graph.width - layer_len[n.layer]) as f32 * (NODE_W + GAP_X) / 2.0;
            (PAD + offset + n.slot as f32 * (NODE_W + GAP_X), PAD + n.layer as f32 * (NODE_H + GAP_Y))
        };
        let own = |t: u32| detail.own.get(t as usize).copied();
        let edges = graph.edges.iter().map(|&(p, c)| {
            let (px, py) = place(p);
            let (cx, cy) = place(c);
            let (x1, y1, x2, y2) = (px + NODE_W / 2.0, py + NODE_H, cx + NODE_W / 2.0, cy);
            let mid = (y1 + y2) / 2.0;
            view! { <path class="onto-edge" d=format!("M{x1:.1},{y1:.1} C{x1:.1},{mid:.1} {x2:.1},{mid:.1} {x2:.1},{y2:.1}")></path> }
        }).collect_view();
        let nodes = (0..graph.nodes.len()).map(|i| {
            let t = graph.nodes[i].term;
            let term = model.phenotypes[t as usize].clone();
            let shown = detail.phenotypes[t as usize];
            let own_score = own(t);
            let is_specific = chosen.contains(&t);
            let called = shown >= threshold;
            // Told apart at the precision shown: a reader sees two different numbers.
            let through_descendant = own_score.is_some_and(|o| score(shown) != score(o));
            let (x, y) = place(i);
            let line = match own_score {
                Some(o) if through_descendant => format!("{} via a descendant · own {}", score(shown), score(o)),
                _ => score(shown),
            };
            let described = format!(
                "{} ({}): score {}{}{}{}",
                term.name,
                term.id,
                score(shown),
                own_score.map(|o| format!(", own score {}", score(o))).unwrap_or_default(),
                if through_descendant { ", called through a more specific term" } else { "" },
                if is_specific { ", most specific called term" } else if !called { ", not called" } else { "" },
            );
            let selected = move || view.phenotype.get() == Some(t);
            // Named by its <title> (the full name first, as drawn, then the figures), not by an
            // aria-label that would differ from the drawn text. Alone in its <g>, so that the view! macro makes an SVG <a> (beside siblings, or at the
            // top of a view, it makes an HTML one, which SVG never draws).
            view! {
                <g>
                <a href="#explanation" class="onto-node" class:specific=is_specific class:uncalled=!called class:selected=selected
                    data-testid="onto-node" data-term=term.id.clone() data-specific=is_specific.to_string() data-via=through_descendant.to_string()
                    on:click=move |ev| { ev.prevent_default(); view.phenotype.set(Some(t)); }>
                    {svg_title(described, None)}
                    <rect x=x.to_string() y=y.to_string() width=NODE_W.to_string() height=NODE_H.to_string() rx="6"></rect>
                    <text x=(x + 8.0).to_string() y=(y + 18.0).to_string() class="onto-name">{short(&term.name, 22)}</text>
                    <text x=(x + 8.0).to_string() y=(y + 36.0).to_string() class="onto-score">{line}</text>
                </a>
                </g>
            }
        }).collect_view();
        let rows = graph.nodes.iter().map(|n| {
            let term = &model.phenotypes[n.term as usize];
            let shown = detail.phenotypes[n.term as usize];
            view! {
                <tr>
                    <td>{format!("{}{}", "· ".repeat(n.layer), term.name)}</td>
                    <td class="term-id">{term.id.clone()}</td>
                    <td class="num">{score(shown)}</td>
                    <td class="num">{own(n.term).map(score).unwrap_or_default()}</td>
                    <td>{if chosen.contains(&n.term) { "most specific" } else if shown >= threshold { "called" } else { "not called" }}</td>
                </tr>
            }
        }).collect_view();
        Some(view! {
            <p class="hint">{format!(
                "The {} most specific called term{} (thick border) and all {} terms above them, down from the ontology's top. “via a descendant”: the score shown comes from a more specific term (a term scores at least as high as its descendants); its own score is lower. Choose a term to explain it.",
                group(chosen.len()), if chosen.len() == 1 { "" } else { "s" }, group(graph.nodes.len()))}</p>
            <div class="heat-scroll">
                <svg class="ontology-graph" width=width.to_string() height=height.to_string() viewBox=format!("0 0 {width} {height}")
                    role="group" aria-labelledby="ontology-title" data-testid="ontology-graph"
                    data-nodes=graph.nodes.len().to_string() data-edges=graph.edges.len().to_string() data-layers=graph.layers.to_string()>
                    {svg_title("The record's called terms in the phenotype ontology".into(), Some("ontology-title".into()))}
                    {edges}
                    {nodes}
                </svg>
            </div>
            {(total > chosen.len()).then(|| view! {
                <button class="secondary" data-testid="ontology-more" on:click=move |_| limit.update(|l| *l += MORE_TERMS)>
                    {format!("Show more ({} most specific terms not drawn)", group(total - chosen.len()))}
                </button>
            })}
            <details class="chart-table" data-testid="ontology-table">
                <summary>"Show as a table"</summary>
                <div class="table-scroll">
                    <table>
                        <thead><tr><th scope="col">"Term (· per level)"</th><th scope="col">"ID"</th><th scope="col" class="num">"Score"</th><th scope="col" class="num">"Own score"</th><th scope="col">"Called"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </details>
        }.into_any())
    };
    view! {
        <details class="record-section" data-testid="ontology-section" prop:open=move || open.get()
            on:toggle=move |ev| open.set(event_target::<web_sys::HtmlDetailsElement>(&ev).open())>
            <summary><h3>"Ontology view of the called terms"</h3></summary>
            {move || open.get().then(body)}
        </details>
    }
}

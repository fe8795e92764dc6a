//! The explanation charts, drawn as SVG by the page: per-concept contributions to one
//! phenotype's score (activation x weight, positive and negative), and the gene's strongest GO
//! concepts. Each chart has a caption, an accessible name and its numbers as a table.

use genepheno::protocol::{ConceptSource, Term};
use genepheno::results::term_url;
use leptos::prelude::*;

use super::View;
use crate::predict::Predictions;

const POSITIVE: usize = 10;
const NEGATIVE: usize = 6;
const STRONGEST: usize = 15;

const WIDTH: f32 = 680.0;
const LABEL: f32 = 330.0;
const ROW: f32 = 24.0;

/// One bar: concept, value.
struct Bar {
    term: Term,
    value: f32,
}

/// An SVG `<title>`: the tooltip and accessible name of the element it sits in. Built by hand
/// because leptos 0.8's `view!` makes an ambiguous tag (`title`, `a`) an SVG element only when it
/// is its parent's only child; beside siblings it makes the HTML element, which SVG ignores.
pub(super) fn svg_title(text: String, id: Option<String>) -> impl IntoView {
    leptos::tachys::svg::title().id(id).child(text)
}

/// A name cut to at most `max` characters for a chart label (the full name is in its title).
pub(super) fn short(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        name.to_string()
    } else {
        format!("{}…", name.chars().take(max - 1).collect::<String>())
    }
}

/// A horizontal bar chart. `signed`: bars grow left and right of a zero line; otherwise from
/// the left edge, on a 0..1 scale.
fn bar_chart(bars: &[Bar], signed: bool, title_id: String, title: String, value_label: &'static str) -> AnyView {
    let height = ROW * bars.len() as f32 + 8.0;
    let area = WIDTH - LABEL - 60.0;
    let scale = if signed {
        bars.iter().map(|b| b.value.abs()).fold(1e-6f32, f32::max)
    } else {
        1.0
    };
    let zero = if signed { LABEL + area / 2.0 } else { LABEL };
    let span = if signed { area / 2.0 } else { area };
    let rows = bars
        .iter()
        .enumerate()
        .map(|(i, bar)| {
            let y = 4.0 + ROW * i as f32;
            let length = (bar.value.abs() / scale * span).max(1.0);
            let x = if bar.value < 0.0 { zero - length } else { zero };
            let class = if bar.value < 0.0 { "neg" } else { "pos" };
            // A negative bar's value goes right of the zero line (that side of its row is empty),
            // so a long bar never pushes it over the concept's name.
            let text_x = zero + if bar.value < 0.0 { 4.0 } else { length + 4.0 };
            let anchor = "start";
            view! {
                <g>
                    {svg_title(format!("{} ({}): {} {:+.3}", bar.term.name, bar.term.id, value_label, bar.value), None)}
                    <text x=(LABEL - 8.0).to_string() y=(y + ROW * 0.65).to_string() text-anchor="end" class="chart-label">
                        {short(&bar.term.name, 44)}
                    </text>
                    <rect x=x.to_string() y=(y + 4.0).to_string() width=length.to_string() height=(ROW - 8.0).to_string() class=class></rect>
                    <text x=text_x.to_string() y=(y + ROW * 0.65).to_string() text-anchor=anchor class="chart-value">
                        {if signed { format!("{:+.2}", bar.value) } else { format!("{:.2}", bar.value) }}
                    </text>
                </g>
            }
        })
        .collect_view();
    let labelled_by = title_id.clone();
    view! {
        <svg class="chart" viewBox=format!("0 0 {WIDTH} {height}") width="100%" role="img" aria-labelledby=labelled_by>
            {svg_title(title, Some(title_id))}
            {signed.then(|| view! { <line x1=zero.to_string() x2=zero.to_string() y1="0" y2=height.to_string() class="zero"></line> })}
            {rows}
        </svg>
    }
    .into_any()
}

/// The numbers behind a chart, for screen readers and for copying.
fn chart_table(bars: &[Bar], value_label: &'static str) -> AnyView {
    view! {
        <details class="chart-table">
            <summary>"Show as a table"</summary>
            <table>
                <thead><tr><th scope="col">"GO concept"</th><th scope="col">"ID"</th><th scope="col" class="num">{value_label}</th></tr></thead>
                <tbody>
                    {bars.iter().map(|b| view! {
                        <tr>
                            <td>{b.term.name.clone()}</td>
                            <td>{match term_url(&b.term.id) {
                                Some(url) => view! { <a href=url target="_blank" rel="noopener noreferrer">{b.term.id.clone()}</a> }.into_any(),
                                None => view! { <span>{b.term.id.clone()}</span> }.into_any(),
                            }}</td>
                            <td class="num">{format!("{:+.4}", b.value)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </details>
    }
    .into_any()
}

/// Why the selected phenotype scored as it did.
#[component]
pub fn Explanation(predictions: Predictions, view: View) -> impl IntoView {
    let explained = move || {
        let e = predictions.explained.get()?;
        (Some(e.key) == view.record.get() && Some(e.phenotype) == view.phenotype.get() && e.source == view.current_source(predictions))
            .then_some(e)
    };
    // The worker could not explain this phenotype for this record in this mode: why.
    let refused = move || {
        let refused = predictions.explain_refused.get()?;
        (Some(refused.key) == view.record.get() && refused.phenotype == view.phenotype.get() && refused.source == view.current_source(predictions))
            .then_some(refused.reason)
    };
    view! {
        {move || {
            let Some(phenotype) = view.phenotype.get() else {
                return view! { <p class="hint why-hint">"Choose a phenotype to see which GO concepts drive its score."</p> }.into_any();
            };
            let Some(model) = predictions.model.get() else { return ().into_any() };
            let Some(term) = model.phenotypes.get(phenotype as usize).cloned() else { return ().into_any() };
            let Some(e) = explained() else {
                if let Some(reason) = refused() {
                    return view! { <p class="notice" data-testid="explanation-refused" role="alert">{format!("“{}” could not be explained: {reason}.", term.name)}</p> }.into_any();
                }
                return view! { <p class="hint">{format!("Explaining {}…", term.name)}</p> }.into_any();
            };
            let mut order: Vec<usize> = (0..e.contributions.len()).filter(|&i| e.contributions[i] != 0.0).collect();
            order.sort_by(|&a, &b| e.contributions[b].total_cmp(&e.contributions[a]));
            let positive = order.iter().copied().filter(|&i| e.contributions[i] > 0.0).take(POSITIVE);
            let negative: Vec<usize> = order.iter().rev().copied().filter(|&i| e.contributions[i] < 0.0).take(NEGATIVE).collect();
            let bars: Vec<Bar> = positive
                .chain(negative.into_iter().rev())
                .map(|i| Bar { term: model.concepts[i].clone(), value: e.contributions[i] })
                .collect();
            let source = match e.source {
                ConceptSource::Sequence => "GO concepts predicted from the sequence",
                ConceptSource::CuratedGo => "the known gene's curated GO annotations",
            };
            let propagated = e.score > e.own_score + 1e-3;
            view! {
                <figure class="explanation" id="explanation" data-testid="explanation" data-term=term.id.clone()>
                    <figcaption>
                        <strong>{format!("Why “{}” ({}) scores {:.3}", term.name, term.id, e.score)}</strong>
                        <span class="hint">{format!(
                            "Its logit is a bias ({:+.2}) plus one contribution per GO concept: activation × weight, from {source}. Blue raises the score, orange lowers it. Largest {} of each sign shown.",
                            e.bias, POSITIVE.max(NEGATIVE))}</span>
                        {propagated.then(|| view! { <span class="hint">{format!(
                            "The score shown comes from a more specific predicted term (a term scores at least as high as its descendants); this term's own score is {:.3}.", e.own_score)}</span> })}
                    </figcaption>
                    {bar_chart(&bars, true, format!("why-{}", e.phenotype), format!("Contributions of GO concepts to {}", term.name), "contribution")}
                    {chart_table(&bars, "contribution")}
                </figure>
            }.into_any()
        }}
    }
}

/// The gene's strongest GO concepts.
#[component]
pub fn ConceptChart(predictions: Predictions, view: View) -> impl IntoView {
    view! {
        {move || {
            let detail = predictions.detail.get().filter(|d| Some(d.key) == view.record.get() && d.source == view.current_source(predictions))?;
            let model = predictions.model.get()?;
            let mut order: Vec<usize> = (0..detail.concepts.len()).collect();
            order.sort_by(|&a, &b| detail.concepts[b].total_cmp(&detail.concepts[a]));
            let bars: Vec<Bar> = order
                .into_iter()
                .take(STRONGEST)
                .filter(|&i| detail.concepts[i] > 0.0)
                .map(|i| Bar { term: model.concepts[i].clone(), value: detail.concepts[i] })
                .collect();
            let caption = match detail.source {
                ConceptSource::Sequence => "The gene's strongest GO concepts, as predicted from its sequence (probability).",
                ConceptSource::CuratedGo => "GO concepts of the known gene's curated annotations (1 = annotated).",
            };
            Some(view! {
                <figure class="concepts" data-testid="concept-chart">
                    <figcaption><strong>"Strongest GO concepts"</strong><span class="hint">{caption}</span></figcaption>
                    {bar_chart(&bars, false, "concepts-chart".to_string(), "Strongest GO concepts of this gene".to_string(), "activation")}
                    {chart_table(&bars, "activation")}
                </figure>
            })
        }}
    }
}

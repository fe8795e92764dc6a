//! The selected record: what it is (known gene, or its most similar known genes), the controls
//! (threshold, text, system, grouping), its ranked phenotypes, and the explanation of the chosen
//! phenotype.

use std::collections::HashSet;
use std::sync::Arc;

use genepheno::calibration::{Order, RankingRule};
use genepheno::domain::Part;
use genepheno::protocol::{ConceptSource, Detail, ModelSummary};
use genepheno::results::{known_and_new, ranked, system_name, systems_in, term_lift, term_url};
use leptos::prelude::*;

use super::{View, applicability, applicability_badge};
use super::charts::{ConceptChart, Explanation};
use super::compare::CompareView;
use super::maps::ConceptMapView;
use super::ontology::OntologyView;
use super::regions::ResidueMaps;
use super::summary::known_label;
use crate::format::{group, score};
use crate::input::Inputs;
use crate::predict::Predictions;

/// Rows drawn at first; more on request (a low threshold can call thousands of terms).
const FIRST_ROWS: usize = 150;

/// The selected record's scores and curated terms: the full detail when it has arrived, else the
/// batch's top list when it was made in the same mode.
fn current_scores(predictions: Predictions, view: View) -> Option<(Vec<(u32, f32)>, Vec<u32>, Option<Arc<Detail>>)> {
    let key = view.record.get()?;
    let source = view.current_source(predictions);
    let detail = predictions.detail.get().filter(|d| d.key == key && d.source == source);
    if let Some(detail) = detail {
        let all = detail.phenotypes.iter().enumerate().map(|(i, s)| (i as u32, *s)).collect();
        let curated = detail.curated.clone();
        return Some((all, curated, Some(detail)));
    }
    predictions.scores.with(|s| s.get(&key).filter(|s| s.source == source).map(|s| (s.top.clone(), s.curated.clone(), None)))
}

/// The one line that says how the list is ordered, with the validation figures behind the
/// default.
fn rule_statement(model: &ModelSummary, rule: RankingRule) -> String {
    let how = match (rule.order, rule.specific_only) {
        (Order::Lift, true) => "Most specific called terms first, ordered by how far the score rises above the term’s training frequency (lift, log-odds)",
        (Order::Lift, false) => "All called terms, ordered by how far the score rises above the term’s training frequency (lift, log-odds)",
        (Order::Score, true) => "Most specific called terms, ordered by score",
        (Order::Score, false) => "All called terms, ordered by score (general ancestors first)",
    };
    let measured = model.calibration.as_ref().and_then(|c| {
        let chosen = c.ranking.rules.iter().find(|f| f.rule == c.ranking.chosen)?;
        let by_score = c.ranking.rules.iter().find(|f| f.rule == RankingRule { order: Order::Score, specific_only: false })?;
        Some(format!(
            "; the default because, on {} validation genes, its top 10 beat the terms’ training frequency by {:.0} points of precision against curated terms ({:.0} for all terms by score, whose top 10 are {:.0}% curated but mostly terms true of most genes)",
            c.validation_genes,
            chosen.precision_over_prior_at_10 * 100.0,
            by_score.precision_over_prior_at_10 * 100.0,
            by_score.precision_at_10 * 100.0
        ))
    });
    let is_default = model.calibration.as_ref().is_some_and(|c| c.ranking.chosen == rule);
    format!("{how}{}.", if is_default { measured.unwrap_or_default() } else { String::new() })
}

#[component]
pub fn RecordView(inputs: Inputs, predictions: Predictions, view: View) -> impl IntoView {
    let limit = RwSignal::new(FIRST_ROWS);
    Effect::new(move |_| {
        view.record.track();
        limit.set(FIRST_ROWS);
    });
    let record = move || {
        let key = view.record.get()?;
        inputs.records.with(|r| r.get(key as usize).cloned())
    };
    let model = move || predictions.model.get();
    // Each top-level system once (a term may name several).
    let systems = Memo::new(move |_| predictions.model.with(|m| m.as_ref().map(|m| genepheno::views::systems_of(&m.phenotypes)).unwrap_or_default()));
    // A recognised gene in known-gene mode: (curated, new); any other record: (list, none).
    let lists = Memo::new(move |_| {
        let (scores, curated, _) = current_scores(predictions, view)?;
        let model = predictions.model.get()?;
        let options = view.options(predictions);
        if view.current_source(predictions) == ConceptSource::CuratedGo {
            let groups = known_and_new(&scores, &model.phenotypes, &curated, &options);
            Some((groups.new, Some(groups.known), curated.into_iter().collect::<HashSet<u32>>()))
        } else {
            Some((ranked(&scores, &model.phenotypes, &options), None, curated.into_iter().collect()))
        }
    });
    let scored = move || view.record.get().and_then(|k| predictions.scores.with(|s| s.get(&k).cloned()));
    // What went wrong for the selected record, shown in this view only: its batch failed, or
    // its full detail (in the current mode) was refused.
    let failure = move || view.record.get().and_then(|k| predictions.run.with(|r| r.failure(k).cloned()));
    let refused = move || {
        let (key, source) = (view.record.get()?, view.current_source(predictions));
        predictions.detail_refused.get().filter(|r| r.key == key && r.source == source).map(|r| r.reason)
    };

    view! {
        {move || record().map(|r| view! {
            <div class="record-view" id="record-view" data-testid="record-view" data-record=r.id.clone()>
                <h2>
                    <span class="record-id">{r.id.clone()}</span>
                    <span class="record-description">{r.description.clone()}</span>
                </h2>
                <p class="record-facts">{format!("{} residues · {}", group(r.protein_length()), r.kind.label())}</p>
                {move || scored().map(|s| {
                    let band = applicability(&s, view.current_source(predictions), predictions);
                    let nearest = match &s.signals.nearest_training {
                        Some(n) => format!(
                            "Nearest protein the model learned from: {} ({:.0}% shared 5-mers{}).",
                            n.symbol,
                            n.jaccard * 100.0,
                            n.identity.map(|i| format!(", ≈{i:.0}% identity")).unwrap_or_default()
                        ),
                        None => "No protein the model learned from shares enough 5-mers with this one to be found.".to_string(),
                    };
                    view! {
                        <p class="applicability-line" data-testid="record-applicability">
                            {band.map(applicability_badge)}
                            <span class="hint">{format!(" {nearest} Concept confidence {:.2}.", s.signals.concept_confidence)}</span>
                        </p>
                    }
                })}
                {move || failure().map(|reason| {
                    let alone = if lists.with(Option::is_some) { " The scores below were computed for it alone." } else { "" };
                    view! {
                        <p class="notice error" data-testid="record-failed" role="alert">{format!("This record could not be scored in its batch: {reason}.{alone}")}</p>
                    }
                })}
                {move || refused().map(|reason| {
                    let fallback = if lists.with(Option::is_some) {
                        format!(" The list shows the scores of its batch (those at or above {:.2}).", genepheno::protocol::LIST_FLOOR)
                    } else {
                        String::new()
                    };
                    view! {
                        <p class="notice" data-testid="detail-refused" role="alert">{format!("The full scores of this record could not be computed: {reason}.{fallback}")}</p>
                    }
                })}
                <KnownGenePanel predictions=predictions view=view />
                <div class="list-controls results-controls">
                    <label class="threshold">
                        "Threshold "
                        <input type="range" min=genepheno::protocol::LIST_FLOOR.to_string() max="1" step="0.01"
                            data-testid="threshold"
                            prop:value=move || format!("{:.2}", view.threshold_in_force(predictions))
                            on:input=move |ev| {
                                if let Ok(t) = event_target_value(&ev).parse::<f32>() {
                                    view.threshold.set(Some(t.clamp(genepheno::protocol::LIST_FLOOR, 1.0)));
                                }
                            } />
                        <output data-testid="threshold-value">{move || format!("{:.2}", view.threshold_in_force(predictions))}</output>
                        {move || view.threshold.get().map(|_| view! {
                            <button class="link" data-testid="threshold-reset" on:click=move |_| view.threshold.set(None)>
                                {move || format!("model default ({:.2})", predictions.model.with(|m| m.as_ref().map_or(0.5, |m| m.threshold)))}
                            </button>
                        })}
                    </label>
                    <label>
                        "Find "
                        <input type="search" placeholder="name or ID, e.g. seizure" data-testid="phenotype-filter"
                            prop:value=move || view.filter.get()
                            on:input=move |ev| view.filter.set(event_target_value(&ev)) />
                    </label>
                    <label>
                        "System "
                        <select data-testid="system-filter"
                            prop:value=move || view.system.get().unwrap_or_default()
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                view.system.set((!v.is_empty()).then_some(v));
                            }>
                            <option value="">"all systems"</option>
                            {move || systems.get().into_iter().map(|s| view! { <option value=s.clone()>{s.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="check">
                        <input type="checkbox" data-testid="group-by-system" prop:checked=move || view.grouped.get()
                            on:change=move |ev| view.grouped.set(event_target_checked(&ev)) />
                        " group by system"
                    </label>
                    <label class="check">
                        <input type="checkbox" data-testid="specific-only" prop:checked=move || view.rule(predictions).specific_only
                            on:change=move |ev| view.specific_only.set(Some(event_target_checked(&ev))) />
                        " most specific only (untick to show all)"
                    </label>
                    <label>
                        "Order "
                        <select data-testid="order"
                            prop:value=move || match view.rule(predictions).order { Order::Lift => "lift", Order::Score => "score" }
                            on:change=move |ev| view.order.set(Some(if event_target_value(&ev) == "score" { Order::Score } else { Order::Lift }))>
                            <option value="lift">"what the gene adds (lift)"</option>
                            <option value="score">"score"</option>
                        </select>
                    </label>
                </div>
                <p class="hint rule-statement" data-testid="rule-statement">
                    {move || model().map(|m| rule_statement(&m, view.rule(predictions)))}
                </p>
                <div class="record-body">
                    <div class="ranking">
                        {move || {
                            let Some((list, known, curated)) = lists.get() else {
                                // Nothing will come when the batch or the detail failed (said above).
                                if failure().is_some() || refused().is_some() {
                                    return view! { <p class="hint">"No phenotypes to list."</p> }.into_any();
                                }
                                return view! { <p class="hint">"Scoring…"</p> }.into_any();
                            };
                            let Some(model) = model() else { return ().into_any() };
                            let threshold = view.threshold_in_force(predictions);
                            let total = list.len();
                            let shown: Vec<(u32, f32)> = list.iter().take(limit.get()).copied().collect();
                            let heading = match &known {
                                Some(_) => format!("New: predicted at or above {threshold:.2}, not yet annotated ({})", group(total)),
                                None => format!("{} phenotype{} at or above {threshold:.2}", group(total), if total == 1 { "" } else { "s" }),
                            };
                            let known_group = known.map(|known| {
                                let symbol = scored().and_then(|s| s.known.clone()).map(|k| k.names()).unwrap_or_default();
                                let n = known.len();
                                let rows: Vec<(usize, u32, f32)> = known.iter().take(limit.get()).enumerate().map(|(rank, (i, s))| (rank + 1, *i, *s)).collect();
                                view! {
                                    <section class="phenotype-group known" data-testid="known-group" data-count=n.to_string()>
                                        <h3>{format!("Already known: curated phenotypes of {symbol} ({})", group(n))}</h3>
                                        <p class="hint">"Annotated for this gene in the phenotype set; the score is what the model gives from the gene’s curated GO."</p>
                                        {(n > 0).then(|| view! { <PhenotypeTable rows=rows model=model.clone() curated=curated.clone() view=view /> })}
                                    </section>
                                }
                            });
                            let table = if view.grouped.get() {
                                systems_in(&shown, &model.phenotypes).into_iter().map(|system| {
                                    let rows: Vec<(usize, u32, f32)> = shown.iter().enumerate()
                                        .filter(|(_, (i, _))| system_name(&model.phenotypes[*i as usize]) == system)
                                        .map(|(rank, (i, s))| (rank + 1, *i, *s)).collect();
                                    view! {
                                        <h4 class="system-heading">{format!("{system} ({})", rows.len())}</h4>
                                        <PhenotypeTable rows=rows model=model.clone() curated=curated.clone() view=view />
                                    }
                                }).collect_view().into_any()
                            } else {
                                let rows = shown.iter().enumerate().map(|(rank, (i, s))| (rank + 1, *i, *s)).collect();
                                view! { <PhenotypeTable rows=rows model=model.clone() curated=curated.clone() view=view /> }.into_any()
                            };
                            let new_label = if known_group.is_some() { "new-group" } else { "predicted-group" };
                            view! {
                                {known_group}
                                <section class="phenotype-group" data-testid=new_label>
                                    <h3 class="list-count" data-testid="phenotype-count" data-count=total.to_string()>{heading}</h3>
                                    {table}
                                    {(total > shown.len()).then(|| view! {
                                        <button class="secondary" data-testid="show-more" on:click=move |_| limit.update(|l| *l += 300)>
                                            {format!("Show more ({} not shown)", group(total - shown.len()))}
                                        </button>
                                    })}
                                </section>
                            }.into_any()
                        }}
                    </div>
                    <div class="why">
                        <Explanation predictions=predictions view=view />
                        <ResidueMaps inputs=inputs predictions=predictions view=view />
                        <ConceptChart predictions=predictions view=view />
                    </div>
                </div>
                <ConceptMapView inputs=inputs predictions=predictions view=view />
                <OntologyView predictions=predictions view=view />
                <CompareView inputs=inputs predictions=predictions view=view />
            </div>
        })}
    }
}

#[component]
fn PhenotypeTable(rows: Vec<(usize, u32, f32)>, model: Arc<ModelSummary>, curated: HashSet<u32>, view: View) -> impl IntoView {
    view! {
        <table class="phenotype-table" data-testid="phenotype-table">
            <thead><tr>
                <th scope="col" class="num">"#"</th>
                <th scope="col">"Phenotype"</th>
                <th scope="col">"ID"</th>
                <th scope="col">"System"</th>
                <th scope="col" class="num" title="Odds of this score over the odds of the term’s training frequency">"Lift"</th>
                <th scope="col" class="num">"Score"</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|(rank, index, s)| {
                    let term = model.phenotypes[index as usize].clone();
                    let selected = move || view.phenotype.get() == Some(index);
                    let link = term_url(&term.id);
                    view! {
                        <tr class:selected=selected data-term=term.id.clone()>
                            <td class="num">{rank}</td>
                            <td>
                                <button class="link" data-testid="phenotype-name" aria-pressed=move || selected().to_string()
                                    title="Show which GO concepts drive this score"
                                    on:click=move |_| view.phenotype.set(Some(index))>
                                    {term.name.clone()}
                                </button>
                                {curated.contains(&index).then(|| view! { <span class="badge ready" title="The known gene is annotated with this phenotype">"curated"</span> })}
                            </td>
                            <td class="term-id">{match link {
                                Some(url) => view! { <a href=url target="_blank" rel="noopener noreferrer">{term.id.clone()}</a> }.into_any(),
                                None => view! { <span>{term.id.clone()}</span> }.into_any(),
                            }}</td>
                            <td class="system">{term.group.clone().unwrap_or_default()}</td>
                            <td class="num lift">{term_lift(&term, s).map(odds_ratio).unwrap_or_default()}</td>
                            <td class="num score">
                                <span class="value">{score(s)}</span>
                                <meter min="0" max="1" value=s.to_string() aria-hidden="true"></meter>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// A log-odds lift as the odds ratio it stands for, e.g. `×12` or `×0.5`.
fn odds_ratio(lift: f32) -> String {
    let ratio = lift.exp();
    if ratio >= 10.0 { format!("×{ratio:.0}") } else { format!("×{ratio:.1}") }
}

/// The known gene behind a sequence (with the concept-source switch), or the most similar ones.
#[component]
fn KnownGenePanel(predictions: Predictions, view: View) -> impl IntoView {
    let detail = move || predictions.detail.get().filter(|d| Some(d.key) == view.record.get());
    let known = move || {
        let key = view.record.get()?;
        predictions.scores.with(|s| s.get(&key).and_then(|s| s.known.clone()))
    };
    view! {
        {move || match known() {
            Some(gene) => {
                let symbol = gene.names();
                let in_training = gene.split == Some(Part::Train);
                let shared = (!gene.same_protein.is_empty()).then(|| {
                    let mut all = vec![gene.symbol.clone()];
                    all.extend(gene.same_protein.iter().cloned());
                    format!(
                        "{} genes encode this identical protein ({}): the sequence cannot tell them apart, so the curated GO and phenotypes are those of all of them.",
                        all.len(),
                        all.join(", ")
                    )
                });
                view! {
                    <div class="known-gene" data-testid="known-gene">
                        <p>
                            <strong>{format!("Known gene: {}", known_label(&gene))}</strong>
                            " · NCBI Gene "
                            <a href=format!("https://www.ncbi.nlm.nih.gov/gene/{}", gene.entrez) target="_blank" rel="noopener noreferrer">{gene.entrez}</a>
                            " · UniProt "
                            <a href=format!("https://www.uniprot.org/uniprotkb/{}", gene.uniprot) target="_blank" rel="noopener noreferrer">{gene.uniprot.clone()}</a>
                        </p>
                        {shared.map(|text| view! { <p class="hint" data-testid="same-protein">{text}</p> })}
                        {in_training.then(|| view! {
                            <p class="hint">"This gene was in the model's training data, so its scores are not an independent test of the model."</p>
                        })}
                        {move || detail().map(|d| {
                            let n = d.curated.len();
                            view! { <p class="hint" data-testid="curated-count">{format!("{} curated phenotype{} in this set (marked “curated” in the lists).", group(n), if n == 1 { "" } else { "s" })}</p> }
                        })}
                        <fieldset class="source">
                            <legend>"GO concepts fed to the phenotype layer"</legend>
                            <label><input type="radio" name="source" data-testid="source-curated"
                                prop:checked=move || view.current_source(predictions) == ConceptSource::CuratedGo
                                on:change=move |_| view.source.set(Some(ConceptSource::CuratedGo)) />
                                {format!(" curated GO annotations of {symbol} (known-gene mode, the default for a known gene)")}</label>
                            <label><input type="radio" name="source" data-testid="source-sequence"
                                prop:checked=move || view.current_source(predictions) == ConceptSource::Sequence
                                on:change=move |_| view.source.set(Some(ConceptSource::Sequence)) />
                                " predicted from the sequence (sequence mode)"</label>
                        </fieldset>
                    </div>
                }.into_any()
            }
            None => view! {
                <div class="similar" data-testid="similar-genes">
                    {move || detail().map(|d| if let Some(gene) = &d.known {
                        // Known, though its batch said nothing (it failed): the detail says so.
                        view! { <p><strong>{format!("Known gene: {}", known_label(gene))}</strong></p> }.into_any()
                    } else if d.similar.is_empty() {
                        view! { <p class="hint">"No known human gene shares enough sequence with this one to be listed."</p> }.into_any()
                    } else {
                        view! {
                            <p>"Most similar known genes (shared amino-acid 5-mers; identity estimated from them):"</p>
                            <ul>
                                {d.similar.iter().map(|s| view! {
                                    <li>
                                        <strong>{s.symbol.clone()}</strong>
                                        {format!(" · {:.0}% shared k-mers", s.jaccard * 100.0)}
                                        {s.identity.map(|i| format!(" · ≈{i:.0}% identity")).unwrap_or_default()}
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    })}
                </div>
            }.into_any(),
        }}
    }
}

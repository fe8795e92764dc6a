//! The page: what the tool is, the model, where sequences go in, the predictions, and what was
//! read.

use genepheno::domain::LabelSet;
use leptos::prelude::*;

use crate::input::{InputPanel, Inputs, RecordList};
use crate::predict::Predictions;
use crate::results::{self, ModelBar, ResultsPanel, View};
use crate::kept::{KeptBar, Keeper};
use crate::share;

#[component]
pub fn App() -> impl IntoView {
    let inputs = Inputs::new();
    let link = share::from_location();
    let dataset = match &link {
        Ok(Some(session)) => session.view.dataset,
        _ => None,
    };
    let predictions = Predictions::new(dataset.unwrap_or(LabelSet::Hpo));
    let view = View::new();
    let notice = RwSignal::new(link.as_ref().err().cloned());
    let update = RwSignal::new(None);
    crate::offline::register(update);
    results::wire(inputs, predictions, view);
    share::restore(inputs, predictions, view, notice);
    let keeper = Keeper::start(inputs, predictions, view);
    if let Ok(Some(session)) = link {
        inputs.open_session("shared link".into(), session);
    }
    // "Clear all" forgets the results of the cleared records.
    Effect::new(move |previous: Option<u64>| {
        let generation = inputs.generation.get();
        if previous.is_some_and(|p| p != generation) {
            predictions.forget_results();
        }
        generation
    });
    // Score whatever is ready whenever the model, the run or the records change.
    Effect::new(move |_| {
        predictions.status.track();
        predictions.run.track();
        inputs.records.with(|records| predictions.pump(records));
    });
    view! {
        <header class="masthead">
            <h1>"GenePheno Web"</h1>
            <p class="tagline">
                "Predicts which phenotype abnormalities a knockout of a gene may cause, from the gene's protein or coding sequence alone, and explains each prediction through Gene Ontology concepts."
            </p>
            <p class="privacy">"Everything runs in this page: your sequences are never uploaded. Predictions are research hypotheses, not clinical findings."</p>
        </header>
        <main>
            {move || notice.get().map(|n| view! { <p class="notice banner" role="alert" data-testid="page-notice">{n}</p> })}
            {move || update.get().map(|n| view! { <p class="notice banner" role="status" data-testid="update-notice">{n}</p> })}
            <KeptBar keeper=keeper inputs=inputs predictions=predictions />
            <ModelBar inputs=inputs predictions=predictions />
            <InputPanel inputs=inputs />
            <ResultsPanel inputs=inputs predictions=predictions view=view />
            <RecordList inputs=inputs />
        </main>
    }
}

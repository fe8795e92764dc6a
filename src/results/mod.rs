//! The results: which model runs where, a summary of every scored record, the selected
//! record's ranked phenotypes, why a phenotype scored as it did, and exports.

mod charts;
mod export;
mod model_bar;
mod ranking;
mod summary;

use genepheno::protocol::ConceptSource;
use genepheno::results::ListOptions;
use genepheno::share::ViewState;
use leptos::prelude::*;

use crate::input::Inputs;
use crate::predict::{Predictions, Status};

pub use model_bar::ModelBar;

/// What the user is looking at; a share link carries it.
#[derive(Clone, Copy)]
pub struct View {
    /// Key (index in the session) of the selected record.
    pub record: RwSignal<Option<u32>>,
    /// Index of the selected phenotype (its explanation is shown).
    pub phenotype: RwSignal<Option<u32>>,
    /// `None`: the model's own threshold.
    pub threshold: RwSignal<Option<f32>>,
    pub filter: RwSignal<String>,
    pub system: RwSignal<Option<String>>,
    pub grouped: RwSignal<bool>,
    pub specific_only: RwSignal<bool>,
    pub source: RwSignal<ConceptSource>,
}

impl View {
    pub fn new() -> Self {
        Self {
            record: RwSignal::new(None),
            phenotype: RwSignal::new(None),
            threshold: RwSignal::new(None),
            filter: RwSignal::new(String::new()),
            system: RwSignal::new(None),
            grouped: RwSignal::new(false),
            specific_only: RwSignal::new(false),
            source: RwSignal::new(ConceptSource::Sequence),
        }
    }

    /// The threshold in force: the user's, or the model's default.
    pub fn threshold_in_force(&self, predictions: Predictions) -> f32 {
        self.threshold
            .get()
            .or_else(|| predictions.model.with(|m| m.as_ref().map(|m| m.threshold)))
            .unwrap_or(0.5)
    }

    pub fn options(&self, predictions: Predictions) -> ListOptions {
        ListOptions {
            threshold: self.threshold_in_force(predictions),
            filter: self.filter.get(),
            system: self.system.get(),
            specific_only: self.specific_only.get(),
        }
    }

    /// The state a share link records (identifiers, not indices, so it survives re-reading).
    pub fn to_state(&self, inputs: Inputs, predictions: Predictions) -> ViewState {
        let record = self
            .record
            .get_untracked()
            .and_then(|k| inputs.records.with_untracked(|r| r.get(k as usize).map(|r| r.id.clone())));
        let phenotype = self.phenotype.get_untracked().and_then(|p| {
            predictions.model.with_untracked(|m| m.as_ref().and_then(|m| m.phenotypes.get(p as usize).map(|t| t.id.clone())))
        });
        ViewState {
            dataset: Some(predictions.dataset.get_untracked()),
            record,
            phenotype,
            threshold: self.threshold.get_untracked(),
            filter: self.filter.get_untracked(),
            system: self.system.get_untracked(),
            grouped: self.grouped.get_untracked(),
            specific_only: self.specific_only.get_untracked(),
            curated_go: self.source.get_untracked() == ConceptSource::CuratedGo,
        }
    }
}

/// Keeps the selection meaningful and asks the worker for what the selection needs.
pub fn wire(inputs: Inputs, predictions: Predictions, view: View) {
    // Select the first scored record when nothing is selected.
    Effect::new(move |_| {
        if view.record.get().is_none()
            && let Some(first) = predictions.scores.with(|s| s.keys().min().copied())
        {
            view.record.set(Some(first));
        }
    });
    // A cleared session or a new model forgets the selection.
    Effect::new(move |_| {
        let count = inputs.records.with(Vec::len);
        if view.record.get_untracked().is_some_and(|k| k as usize >= count) {
            view.record.set(None);
            view.phenotype.set(None);
        }
    });
    // Detail of the selected record, for the chosen concept source.
    Effect::new(move |_| {
        let ready = predictions.status.get() == Status::Ready && predictions.model.with(Option::is_some);
        let (Some(key), source) = (view.record.get(), view.source.get()) else { return };
        if !ready {
            return;
        }
        predictions.detail.set(None);
        if let Some(protein) = inputs.records.with_untracked(|r| r.get(key as usize).and_then(|r| r.protein.clone())) {
            predictions.request_detail(key, protein, source);
        }
    });
    // Explanation of the selected phenotype.
    Effect::new(move |_| {
        let ready = predictions.status.get() == Status::Ready && predictions.model.with(Option::is_some);
        let (Some(key), Some(phenotype), source) = (view.record.get(), view.phenotype.get(), view.source.get()) else {
            predictions.explained.set(None);
            return;
        };
        if !ready {
            return;
        }
        if let Some(protein) = inputs.records.with_untracked(|r| r.get(key as usize).and_then(|r| r.protein.clone())) {
            predictions.request_explanation(key, protein, source, phenotype);
        }
    });
}

#[component]
pub fn ResultsPanel(inputs: Inputs, predictions: Predictions, view: View) -> impl IntoView {
    let has_scores = move || predictions.scores.with(|s| !s.is_empty());
    view! {
        <Show when=has_scores>
            <section class="results" aria-label="Predictions" data-testid="results">
                <summary::SummaryTable inputs=inputs predictions=predictions view=view />
                <ranking::RecordView inputs=inputs predictions=predictions view=view />
                <export::ExportBar inputs=inputs predictions=predictions view=view />
            </section>
        </Show>
    }
}

/// Whether a phenotype set has a shipped model (share links name one).
pub fn is_dataset(value: &str) -> bool {
    model_bar::DATASETS.iter().any(|(d, _)| *d == value)
}

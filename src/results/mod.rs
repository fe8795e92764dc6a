//! The results: which model runs where, a summary of every scored record, the selected
//! record's ranked phenotypes, why a phenotype scored as it did, and exports.

mod charts;
mod compare;
mod export;
mod maps;
mod model_bar;
mod ontology;
mod ranking;
mod regions;
mod summary;

use genepheno::calibration::{Applicability, Order, RankingRule};
use genepheno::protocol::{ConceptSource, Scored};
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
    /// `None`: the ranking rule chosen on the validation split (see [`View::rule`]).
    pub specific_only: RwSignal<Option<bool>>,
    pub order: RwSignal<Option<Order>>,
    /// `None`: automatic, known-gene mode for a recognised gene and sequence mode otherwise.
    pub source: RwSignal<Option<ConceptSource>>,
}

/// The rule used when a model has no calibration file (most specific terms by lift: with no
/// priors, lift orders like the score).
const FALLBACK_RULE: RankingRule = RankingRule { order: Order::Lift, specific_only: true };

impl View {
    pub fn new() -> Self {
        Self {
            record: RwSignal::new(None),
            phenotype: RwSignal::new(None),
            threshold: RwSignal::new(None),
            filter: RwSignal::new(String::new()),
            system: RwSignal::new(None),
            grouped: RwSignal::new(false),
            specific_only: RwSignal::new(None),
            order: RwSignal::new(None),
            source: RwSignal::new(None),
        }
    }

    /// The model's measured default ranking rule.
    pub fn default_rule(predictions: Predictions) -> RankingRule {
        predictions.model.with(|m| m.as_ref().and_then(|m| m.calibration.as_ref().map(|c| c.ranking.chosen))).unwrap_or(FALLBACK_RULE)
    }

    /// The ranking rule in force: the user's choices over the measured default.
    pub fn rule(&self, predictions: Predictions) -> RankingRule {
        let default = Self::default_rule(predictions);
        RankingRule {
            order: self.order.get().unwrap_or(default.order),
            specific_only: self.specific_only.get().unwrap_or(default.specific_only),
        }
    }

    /// Which concepts feed the phenotype layer for a record: the user's choice where it applies,
    /// else known-gene mode for a recognised gene.
    pub fn source_for(&self, scored: Option<&Scored>) -> ConceptSource {
        let known = scored.is_some_and(|s| s.known.is_some());
        match self.source.get() {
            Some(ConceptSource::CuratedGo) if known => ConceptSource::CuratedGo,
            Some(ConceptSource::Sequence) => ConceptSource::Sequence,
            _ if known => ConceptSource::CuratedGo,
            _ => ConceptSource::Sequence,
        }
    }

    /// [`Self::source_for`] the selected record.
    pub fn current_source(&self, predictions: Predictions) -> ConceptSource {
        let key = self.record.get();
        predictions.scores.with(|s| self.source_for(key.and_then(|k| s.get(&k)).map(|s| s.as_ref())))
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
            specific_only: self.rule(predictions).specific_only,
            order: self.rule(predictions).order,
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
            specific_only: untrack(|| self.rule(predictions).specific_only),
            lift_order: untrack(|| self.rule(predictions).order) == Order::Lift,
            curated_go: self.source.get_untracked() == Some(ConceptSource::CuratedGo),
            sequence_mode: self.source.get_untracked() == Some(ConceptSource::Sequence),
        }
    }
}

/// Keeps the selection meaningful and asks the worker for what the selection needs.
pub fn wire(inputs: Inputs, predictions: Predictions, view: View) {
    // Select the first scored (or failed) record when nothing is selected.
    Effect::new(move |_| {
        if view.record.get().is_some() {
            return;
        }
        let scored = predictions.scores.with(|s| s.keys().min().copied());
        let failed = predictions.run.with(|r| r.failures().keys().next().copied());
        if let Some(first) = scored.into_iter().chain(failed).min() {
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
    // The selected record's concept source changes only with the selection, the user's choice,
    // or its first batch answer (a memo, so later batches do not ask again).
    let source = Memo::new(move |_| view.current_source(predictions));
    // Detail of the selected record, for its concept source.
    Effect::new(move |_| {
        let ready = predictions.status.get() == Status::Ready && predictions.model.with(Option::is_some);
        let (Some(key), source) = (view.record.get(), source.get()) else { return };
        if !ready {
            return;
        }
        predictions.detail.set(None);
        if let Some(protein) = inputs.records.with_untracked(|r| r.get(key as usize).and_then(|r| r.protein.clone())) {
            predictions.request_detail(key, protein, source);
        }
    });
    // The residue map of the explained phenotype in sequence mode, with the concept that adds
    // most to it: asked for at once for proteins up to `AUTO_REGIONS` residues (longer ones on
    // request, in the view).
    Effect::new(move |_| {
        let Some(explained) = predictions.explained.get() else { return };
        let selected = Some(explained.key) == view.record.get_untracked() && Some(explained.phenotype) == view.phenotype.get_untracked();
        let on_hand = predictions
            .regions
            .with_untracked(|r| r.as_ref().is_some_and(|r| r.key == explained.key && r.phenotype == explained.phenotype));
        if !selected || explained.source != ConceptSource::Sequence || on_hand {
            return;
        }
        let protein = inputs.records.with_untracked(|r| r.get(explained.key as usize).and_then(|r| r.protein.clone()));
        if let Some(protein) = protein.filter(|p| p.len() <= regions::AUTO_REGIONS) {
            predictions.request_regions(explained.key, protein, explained.phenotype, regions::top_concept(&explained));
        }
    });
    // Explanation of the selected phenotype.
    Effect::new(move |_| {
        let ready = predictions.status.get() == Status::Ready && predictions.model.with(Option::is_some);
        let (Some(key), Some(phenotype), source) = (view.record.get(), view.phenotype.get(), source.get()) else {
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
    let has_scores = move || predictions.scores.with(|s| !s.is_empty()) || predictions.run.with(|r| !r.failures().is_empty());
    view! {
        <Show when=has_scores>
            <section class="results" aria-label="Predictions" data-testid="results">
                <summary::SummaryTable inputs=inputs predictions=predictions view=view />
                <maps::SystemsHeatmap inputs=inputs predictions=predictions view=view />
                <ranking::RecordView inputs=inputs predictions=predictions view=view />
                <export::ExportBar inputs=inputs predictions=predictions view=view />
            </section>
        </Show>
    }
}

/// The applicability band of a scored record in the given mode, when the model is calibrated.
pub fn applicability(scored: &Scored, source: ConceptSource, predictions: Predictions) -> Option<Applicability> {
    if source == ConceptSource::CuratedGo {
        return Some(Applicability::KnownGene);
    }
    predictions.model.with(|m| m.as_ref()?.calibration.as_ref().map(|c| c.applicability.classify(&scored.signals)))
}

/// The badge of an applicability band.
pub fn applicability_badge(band: Applicability) -> impl IntoView {
    let class = match band {
        Applicability::KnownGene | Applicability::Typical => "badge trust ok",
        Applicability::Unusual => "badge trust unusual",
        Applicability::Far => "badge trust far",
    };
    view! { <span class=class data-testid="applicability" data-band=band.code()>{band.words()}</span> }
}


//! Opening a share link: the URL fragment is decoded when the page starts; its sequences are
//! read like a dropped file, and its view (phenotype set, record, phenotype, threshold, filters)
//! is restored once they are read and the model is loaded. A damaged link gives a message, never
//! a blank page.

use genepheno::calibration::Order;
use genepheno::protocol::ConceptSource;
use genepheno::share::SharedSession;
use leptos::prelude::*;

use crate::input::Inputs;
use crate::predict::{Predictions, Status};
use crate::results::View;

/// The session in the page's URL fragment, if there is one: `Ok(None)` when there is no
/// fragment, `Err` with a message worded for the person who clicked the link.
pub fn from_location() -> Result<Option<SharedSession>, String> {
    let hash = window().location().hash().unwrap_or_default();
    let fragment = hash.trim_start_matches('#');
    if fragment.is_empty() {
        return Ok(None);
    }
    SharedSession::from_fragment(fragment).map(Some).map_err(|e| format!("The link could not be opened: {e}."))
}

/// Restores an opened session's view when what it names exists, and says so when the model
/// differs from the one that made the link.
pub fn restore(inputs: Inputs, predictions: Predictions, view: View, notice: RwSignal<Option<String>>) {
    // The phenotype set of the session, before anything is scored.
    Effect::new(move |_| {
        let Some(session) = inputs.session.get() else { return };
        if let Some(dataset) = session.view.dataset
            && dataset != predictions.dataset.get_untracked()
        {
            predictions.dataset.set(dataset);
            if predictions.status.get_untracked() != Status::Starting {
                predictions.load();
            }
        }
        view.threshold.set(session.view.threshold);
        view.filter.set(session.view.filter.clone());
        view.system.set(session.view.system.clone());
        view.grouped.set(session.view.grouped);
        view.specific_only.set(Some(session.view.specific_only));
        view.order.set(Some(if session.view.lift_order { Order::Lift } else { Order::Score }));
        view.source.set(if session.view.curated_go {
            Some(ConceptSource::CuratedGo)
        } else if session.view.sequence_mode {
            Some(ConceptSource::Sequence)
        } else {
            None
        });
    });
    // Record and phenotype, once both the records and the model are there.
    Effect::new(move |_| {
        let Some(session) = inputs.session.get() else { return };
        let Some(model) = predictions.model.get() else { return };
        if predictions.status.get() != Status::Ready {
            return;
        }
        if model.version_tag() != session.model_version {
            notice.set(Some(format!(
                "This link was made with model {}; this page has model {}. The view is restored, but scores may differ.",
                session.model_version,
                model.version_tag()
            )));
        }
        if let Some(id) = &session.view.record {
            let Some(key) = inputs.records.with(|r| r.iter().position(|r| &r.id == id)) else { return };
            view.record.set(Some(key as u32));
        }
        if let Some(term) = &session.view.phenotype {
            view.phenotype.set(model.phenotypes.iter().position(|t| &t.id == term).map(|i| i as u32));
        }
        // Restored once; later changes are the user's.
        inputs.session.set(None);
    });
}

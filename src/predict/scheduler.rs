//! The page's side of the scoring run: the plan is `genepheno::scheduler::Run` (plain logic,
//! tested natively); this sends its batches to the workers and records their answers in the
//! signals the views read.

use std::sync::Arc;

use genepheno::protocol::{Reason, Scored};
use genepheno::sequence::SequenceRecord;
use leptos::prelude::*;

use super::client::{Predictions, Status};
use crate::browser::now_ms;


impl Predictions {
    /// Tops up every ready lane while records wait and the model is ready. Called whenever
    /// records, the model or the run change.
    pub fn pump(self, records: &[SequenceRecord]) {
        if self.status.get_untracked() != Status::Ready {
            return;
        }
        let window = self.model.with_untracked(|m| m.as_ref().map_or(1, |m| m.window));
        let mut batches = Vec::new();
        // Notifies only when something changed: this runs inside an effect that reads `run`,
        // and an unconditional update would wake that effect for ever.
        self.run.maybe_update(|run| {
            let top_up = run.top_up(records, window, now_ms());
            let changed = top_up.changed();
            batches = top_up.batches;
            changed
        });
        for (lane, request) in batches {
            self.send_to(lane, &request);
        }
    }

    /// Records a batch's answers (ignoring a stale batch from before a reload or a clear).
    pub(super) fn scored(self, batch: u64, results: Vec<Scored>) {
        if !self.run.with_untracked(|r| r.holds(batch)) {
            return;
        }
        self.scores.update(|scores| {
            for result in results {
                scores.insert(result.key, Arc::new(result));
            }
        });
        self.run.update(|run| {
            run.answered(batch, now_ms());
        });
    }

    /// The worker could not score a batch: its records are marked failed, the run goes on.
    pub(super) fn batch_failed(self, batch: u64, reason: Reason) {
        if self.run.with_untracked(|r| r.holds(batch)) {
            self.run.update(|run| {
                run.batch_failed(batch, reason, now_ms());
            });
        }
    }

    pub fn cancel(self) {
        self.run.update(|r| r.cancel());
    }

    pub fn resume(self) {
        self.run.update(|r| r.resume());
    }
}

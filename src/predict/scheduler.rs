//! The page's side of the scoring run: the plan is `genepheno::scheduler::Run` (plain logic,
//! tested natively); this sends its batches to the workers and records their answers in the
//! signals the views read.

use std::sync::Arc;

use genepheno::protocol::{Reason, Request, Scored};
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
        let kept = self.take_kept_scores(records.len());
        let mut batches = Vec::new();
        // Notifies only when something changed: this runs inside an effect that reads `run`,
        // and an unconditional update would wake that effect for ever.
        self.run.maybe_update(|run| {
            run.already_scored(kept.iter().copied());
            let top_up = run.top_up(records, window, now_ms());
            let changed = top_up.changed() || !kept.is_empty();
            batches = top_up.batches;
            changed
        });
        for batch in batches {
            self.send_to(batch.lane, &Request::Ask(batch.query()));
        }
    }

    /// Takes in the scores kept from an earlier visit if the ready model made them (else they
    /// are dropped and the records scored again); returns their record keys.
    fn take_kept_scores(self, records: usize) -> Vec<u32> {
        // A kept session of another phenotype set waits for that set's model (the page switches
        // to it when the session is restored).
        let Some((dataset, weights)) = self.model.with_untracked(|m| m.as_ref().map(|m| (m.dataset, m.weights_sha256.clone())))
        else {
            return Vec::new();
        };
        let waits = self.kept_scores.with_value(|k| k.as_ref().is_some_and(|k| k.dataset != dataset));
        if waits {
            return Vec::new();
        }
        let Some(kept) = self.kept_scores.try_update_value(Option::take).flatten() else {
            return Vec::new();
        };
        if kept.weights_sha256 != weights || records == 0 {
            return Vec::new();
        }
        let kept = kept.scores;
        let keys: Vec<u32> = kept.iter().map(|s| s.key).filter(|&k| (k as usize) < records).collect();
        self.scores.update(|scores| {
            for score in kept.into_iter().filter(|s| (s.key as usize) < records) {
                scores.insert(score.key, Arc::new(score));
            }
        });
        keys
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

    /// Ends the workers that hold batches and have answered none for a long time (a GPU that
    /// never returns, a worker ended without an error): their batches go back to the queue, the
    /// main worker is started again (on the CPU if it was on the GPU). Called every few seconds.
    pub(super) fn watch(self) {
        let stalled = self.run.try_update_untracked(|run| run.stalled_lanes(now_ms())).unwrap_or_default();
        let silence = format!("it gave no answer for {} s", genepheno::scheduler::STALL_LIMIT_MS / 1000.0);
        for lane in stalled {
            if lane == 0 {
                self.main_crashed(silence.clone());
            } else {
                self.drop_helper(lane);
            }
        }
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

//! Scoring the session's records: one batch in flight at a time, in input order, so results
//! appear from the first record on, the page stays in control (cancel = send no more), and the
//! worker never holds more than one batch of sequences.

use std::sync::Arc;

use genepheno::protocol::{Item, Request, Scored};
use genepheno::sequence::SequenceRecord;
use leptos::prelude::*;

use super::client::{Predictions, Status};

/// Most records in one batch: enough to amortise a GPU round trip, small enough that progress
/// moves and a cancel takes effect quickly.
const MAX_BATCH_RECORDS: usize = 16;
/// Most residues in one batch (at least one record is always sent): bounds the worker's memory
/// when long proteins come together.
const MAX_BATCH_RESIDUES: usize = 12_000;

/// State of the scoring run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Run {
    /// Number of the batch in flight and its record keys.
    in_flight: Option<(u64, Vec<u32>)>,
    next_batch: u64,
    /// Records before this index have been sent.
    cursor: usize,
    /// The user cancelled: no more batches until resumed.
    pub cancelled: bool,
    /// A batch failed; scoring stops (the error is shown).
    pub failed: bool,
    /// `performance.now()` when the first batch of the run went out, and when the last answer
    /// came in (for the figure the page shows and the benchmarks read).
    pub started_ms: Option<f64>,
    pub finished_ms: Option<f64>,
}

impl Run {
    pub fn reset(&mut self) {
        *self = Run { next_batch: self.next_batch, ..Run::default() };
    }

    pub fn fail(&mut self) {
        self.failed = true;
        self.in_flight = None;
    }

    pub fn busy(&self) -> bool {
        self.in_flight.is_some()
    }
}

pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

impl Predictions {
    /// Sends the next batch if the model is ready, nothing is in flight, and records wait.
    /// Called whenever records, the model or the run change.
    pub fn pump(self, records: &[SequenceRecord]) {
        if self.status.get_untracked() != Status::Ready {
            return;
        }
        let mut request = None;
        // Notifies only when something changed: this runs inside an effect that reads `run`,
        // and an unconditional update would wake that effect for ever.
        self.run.maybe_update(|run| {
            let mut changed = false;
            if records.len() < run.cursor {
                // The inputs were cleared.
                run.reset();
                changed = true;
            }
            if run.busy() || run.cancelled || run.failed {
                return changed;
            }
            let mut items = Vec::new();
            let mut residues = 0;
            while run.cursor < records.len() && items.len() < MAX_BATCH_RECORDS {
                let record = &records[run.cursor];
                if let Some(protein) = &record.protein {
                    if !items.is_empty() && residues + protein.len() > MAX_BATCH_RESIDUES {
                        break;
                    }
                    residues += protein.len();
                    items.push(Item { key: run.cursor as u32, residues: protein.clone() });
                }
                run.cursor += 1;
                changed = true;
            }
            if items.is_empty() {
                return changed;
            }
            run.started_ms.get_or_insert_with(now_ms);
            run.finished_ms = None;
            let batch = run.next_batch;
            run.next_batch += 1;
            run.in_flight = Some((batch, items.iter().map(|i| i.key).collect()));
            request = Some(Request::Score { batch, items });
            true
        });
        if let Some(request) = request {
            self.send(&request);
        }
    }

    /// Records a batch's answers (ignoring a stale batch from before a reload).
    pub(super) fn scored(self, batch: u64, results: Vec<Scored>) {
        let current = self.run.with_untracked(|r| r.in_flight.as_ref().map(|(b, _)| *b));
        if current != Some(batch) {
            return;
        }
        self.scores.update(|scores| {
            for result in results {
                scores.insert(result.key, Arc::new(result));
            }
        });
        self.run.update(|run| {
            run.in_flight = None;
            run.finished_ms = Some(now_ms());
        });
    }

    pub fn cancel(self) {
        self.run.update(|r| r.cancelled = true);
    }

    pub fn resume(self) {
        self.run.update(|r| {
            r.cancelled = false;
            r.failed = false;
        });
    }
}

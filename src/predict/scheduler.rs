//! Scoring the session's records: at most two batches in flight per scoring worker ("lane"), so
//! results appear from the first record on, the page stays in control (cancel = send no more;
//! what is in flight still finishes), and no worker holds more than two batches of sequences.
//! The second batch waits in the worker's queue while the first is scored: with one, a worker
//! sat idle for the answer's round trip through the page (about 30 % of its time, measured on
//! 2,000 proteins with two workers).
//!
//! Lane 0 is the main worker (it also answers detail and explanation requests); on the CPU path
//! the pool adds one lane per further core (`super::pool`). Each batch starts with the first
//! record that waits and is filled with waiting records of similar length
//! (`genepheno::batching`), so little of the encoder's work goes to padding.

use std::collections::BTreeSet;
use std::sync::Arc;

use genepheno::batching::{self, LOOKAHEAD};
use genepheno::protocol::{Item, Request, Scored};
use genepheno::sequence::SequenceRecord;
use leptos::prelude::*;

use super::client::{Predictions, Status};

/// Batches a lane may hold at once: the one it scores and the next, queued.
const LANE_DEPTH: usize = 2;

/// One scoring worker as the scheduler sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lane {
    /// Its model is loaded (the current one).
    pub ready: bool,
    /// Numbers of the batches it holds and their record keys, oldest first.
    in_flight: Vec<(u64, Vec<u32>)>,
}

/// State of the scoring run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Run {
    /// Lane 0 is added when the main worker's model is ready (`lane_ready`).
    pub lanes: Vec<Lane>,
    next_batch: u64,
    /// Every record before this index has been sent (or cannot be scored).
    cursor: usize,
    /// Records that have been sent (a lost worker's batch is taken out again).
    sent: BTreeSet<u32>,
    /// The user cancelled: no more batches until resumed.
    pub cancelled: bool,
    /// A batch failed; scoring stops (the error is shown).
    pub failed: bool,
    /// `performance.now()` when the first batch of the run went out, and when the last answer
    /// came in (for the figure the page shows and the benchmarks read).
    pub started_ms: Option<f64>,
    pub finished_ms: Option<f64>,
}

/// What the run's view shows (cheap to copy: the run itself holds every sent key).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunSummary {
    pub cancelled: bool,
    pub failed: bool,
    pub started_ms: Option<f64>,
    pub finished_ms: Option<f64>,
    /// Workers with the model loaded, scoring in parallel.
    pub workers: usize,
    /// Batches sent and not yet answered (after a cancel, these still finish).
    pub in_flight: usize,
}

impl Run {
    pub fn summary(&self) -> RunSummary {
        RunSummary {
            cancelled: self.cancelled,
            failed: self.failed,
            started_ms: self.started_ms,
            finished_ms: self.finished_ms,
            workers: self.lanes.iter().filter(|l| l.ready).count(),
            in_flight: self.lanes.iter().map(|l| l.in_flight.len()).sum(),
        }
    }

    /// Forgets the run's progress (batch numbers keep counting, so late answers are ignored);
    /// the lanes keep their models.
    pub fn reset(&mut self) {
        let lanes = self.lanes.iter().map(|l| Lane { ready: l.ready, in_flight: Vec::new() }).collect();
        *self = Run { lanes, next_batch: self.next_batch, ..Run::default() };
    }

    pub fn fail(&mut self) {
        self.failed = true;
        for lane in &mut self.lanes {
            lane.in_flight.clear();
        }
    }

    /// Marks a lane's model as loaded (adding the lane if it is new).
    pub fn lane_ready(&mut self, lane: usize, ready: bool) {
        if self.lanes.len() <= lane {
            self.lanes.resize(lane + 1, Lane::default());
        }
        self.lanes[lane].ready = ready;
    }

    /// A lane's worker is gone: its batch goes back to the waiting records.
    pub fn lane_lost(&mut self, lane: usize) {
        let Some(l) = self.lanes.get_mut(lane) else { return };
        l.ready = false;
        for (_, keys) in std::mem::take(&mut l.in_flight) {
            for key in keys {
                self.sent.remove(&key);
                self.cursor = self.cursor.min(key as usize);
            }
        }
    }

    /// Moves the cursor past records that are sent or cannot be scored.
    fn advance(&mut self, records: &[SequenceRecord]) {
        while self.cursor < records.len()
            && (records[self.cursor].protein.is_none() || self.sent.contains(&(self.cursor as u32)))
        {
            self.cursor += 1;
        }
    }

    /// The next batch for a free lane, if records wait: keys and items.
    fn plan(&mut self, records: &[SequenceRecord], window: usize) -> Option<Vec<Item>> {
        self.advance(records);
        let waiting: Vec<(u32, &String)> = (self.cursor..records.len())
            .filter(|&i| !self.sent.contains(&(i as u32)))
            .filter_map(|i| records[i].protein.as_ref().map(|p| (i as u32, p)))
            .take(LOOKAHEAD)
            .collect();
        let lengths: Vec<usize> = waiting.iter().map(|(_, p)| p.len()).collect();
        let picked = batching::next_batch(&lengths, window);
        if picked.is_empty() {
            return None;
        }
        let items: Vec<Item> = picked
            .into_iter()
            .map(|p| Item { key: waiting[p].0, residues: waiting[p].1.clone() })
            .collect();
        self.sent.extend(items.iter().map(|i| i.key));
        self.advance(records);
        Some(items)
    }
}

pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

impl Predictions {
    /// Tops up every ready lane to [`LANE_DEPTH`] batches while records wait and the model is
    /// ready. Called whenever records, the model or the run change.
    pub fn pump(self, records: &[SequenceRecord]) {
        if self.status.get_untracked() != Status::Ready {
            return;
        }
        let window = self.model.with_untracked(|m| m.as_ref().map_or(1, |m| m.window));
        let mut requests = Vec::new();
        // Notifies only when something changed: this runs inside an effect that reads `run`,
        // and an unconditional update would wake that effect for ever.
        self.run.maybe_update(|run| {
            let mut changed = false;
            if records.len() < run.cursor {
                // The inputs were cleared.
                run.reset();
                changed = true;
            }
            if run.cancelled || run.failed {
                return changed;
            }
            // Fill every lane to one batch before any gets its second, so that all workers
            // start at once.
            'fill: for depth in 1..=LANE_DEPTH {
                for lane in 0..run.lanes.len() {
                    if !run.lanes[lane].ready || run.lanes[lane].in_flight.len() >= depth {
                        continue;
                    }
                    let Some(items) = run.plan(records, window) else { break 'fill };
                    run.started_ms.get_or_insert_with(now_ms);
                    run.finished_ms = None;
                    let batch = run.next_batch;
                    run.next_batch += 1;
                    run.lanes[lane].in_flight.push((batch, items.iter().map(|i| i.key).collect()));
                    requests.push((lane, Request::Score { batch, items }));
                    changed = true;
                }
            }
            changed
        });
        for (lane, request) in requests {
            self.send_to(lane, &request);
        }
    }

    /// Records a batch's answers (ignoring a stale batch from before a reload or a clear).
    pub(super) fn scored(self, batch: u64, results: Vec<Scored>) {
        let held = self.run.with_untracked(|r| {
            r.lanes.iter().enumerate().find_map(|(lane, l)| {
                l.in_flight.iter().position(|(b, _)| *b == batch).map(|slot| (lane, slot))
            })
        });
        let Some((lane, slot)) = held else { return };
        self.scores.update(|scores| {
            for result in results {
                scores.insert(result.key, Arc::new(result));
            }
        });
        self.run.update(|run| {
            run.lanes[lane].in_flight.remove(slot);
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

//! The page's scoring run as plain logic: which records go to which worker in which batch, what
//! comes back, and what a lost worker or a failed batch changes. The page (`src/predict`) keeps
//! only the signals and the transport around it, so every rule here is tested natively.
//!
//! At most two batches are in flight per scoring worker ("lane"), so results appear from the
//! first record on, the page stays in control (cancel = send no more; what is in flight still
//! finishes), and no worker holds more than two batches of sequences. The second batch waits in
//! the worker's queue while the first is scored: with one, a worker sat idle for the answer's
//! round trip through the page (about 30 % of its time, measured on 2,000 proteins with two
//! workers).
//!
//! Lane 0 is the main worker (it also answers detail and explanation requests); on the CPU path
//! the page adds one lane per further core. Each batch starts with the first record that waits
//! and is filled with waiting records of similar length ([`crate::batching`]), so little of the
//! encoder's work goes to padding.
//!
//! Nothing but the user's cancel stops a run: a batch the worker could not score marks only its
//! own records as failed (with the reason), and the run goes on with the others. A worker that
//! stops answering (a GPU that never returns, a worker ended without an error event) is found
//! by [`Run::stalled_lanes`]; the page ends it and its batches go back to the queue.

use std::collections::{BTreeMap, BTreeSet};

use crate::batching::{self, LOOKAHEAD};
use crate::protocol::{Item, Query, Reason};
use crate::sequence::SequenceRecord;

/// Batches a lane may hold at once: the one it scores and the next, queued.
pub const LANE_DEPTH: usize = 2;

/// A lane that holds batches and answers none of them for this long is taken as stopped. The
/// slowest honest batch is far shorter: at most 12,000 residues (`batching::MAX_RESIDUES`), about
/// 6 s on a software-emulated GPU (SwiftShader, ~2,000 residues/s on 2 cores) and well under a
/// second on the CPU path or a real GPU.
pub const STALL_LIMIT_MS: f64 = 45_000.0;

/// Watching more rarely than this means the page was not running (the computer slept, the tab
/// was throttled in the background): the time that passed unseen is not held against a lane.
const WATCH_GAP_MS: f64 = STALL_LIMIT_MS / 3.0;

/// One scoring worker as the scheduler sees it.
#[derive(Clone, Debug, Default, PartialEq)]
struct Lane {
    /// Its model is loaded (the current one).
    ready: bool,
    /// Numbers of the batches it holds and their record keys, oldest first.
    in_flight: Vec<(u64, Vec<u32>)>,
    /// When it last answered, or was given work while it held none (the caller's clock, ms):
    /// the start of the silence [`Run::stalled_lanes`] measures.
    heard_ms: f64,
}

/// State of the scoring run. Record keys are indices into the session's records.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Run {
    /// Lane 0 is added when the main worker's model is ready ([`Run::lane_ready`]).
    lanes: Vec<Lane>,
    /// Number of the next batch; it keeps counting across resets, so an answer to a batch sent
    /// before a reset is told apart and ignored.
    next_batch: u64,
    /// Every record before this index has been sent (or cannot be scored).
    cursor: usize,
    /// Records that have been sent (a lost worker's batch is taken out again).
    sent: BTreeSet<u32>,
    /// Records whose batch the worker could not score, and why.
    failed: BTreeMap<u32, Reason>,
    /// The user cancelled: no more batches until resumed.
    cancelled: bool,
    /// Records in every batch answered (scores or failure): equal to the records scored and
    /// failed unless a record was answered twice, which the rules above prevent.
    answered_records: usize,
    /// When the first batch of the run went out, and when the last answer came in (the
    /// caller's clock, in ms; for the figure the page shows and the benchmarks read).
    started_ms: Option<f64>,
    finished_ms: Option<f64>,
    /// When [`Run::stalled_lanes`] last looked.
    watched_ms: Option<f64>,
}

/// What the run's view shows (cheap to copy: the run itself holds every sent key).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunSummary {
    pub cancelled: bool,
    pub started_ms: Option<f64>,
    pub finished_ms: Option<f64>,
    /// Workers with the model loaded, scoring in parallel.
    pub workers: usize,
    /// Batches sent and not yet answered (after a cancel, these still finish).
    pub in_flight: usize,
    /// Records whose batch failed.
    pub failed: usize,
    /// Records in all answered batches (a record scored twice would count twice).
    pub answered_records: usize,
}

/// What [`Run::top_up`] did.
#[derive(Debug, Default, PartialEq)]
pub struct TopUp {
    /// The records were cleared (fewer than already sent), so the run started over.
    pub reset: bool,
    /// Batches to send, each to its lane.
    pub batches: Vec<Batch>,
}

/// One batch of records for one lane's worker.
#[derive(Debug, PartialEq)]
pub struct Batch {
    pub lane: usize,
    /// The run's number for it: the worker's answer names it.
    pub number: u64,
    pub items: Vec<Item>,
}

impl Batch {
    /// The question the worker is asked.
    pub fn query(self) -> Query {
        Query::Score { batch: self.number, items: self.items }
    }
}

impl TopUp {
    /// Whether the run changed (the page notifies its views only then).
    pub fn changed(&self) -> bool {
        self.reset || !self.batches.is_empty()
    }
}

impl Run {
    pub fn summary(&self) -> RunSummary {
        RunSummary {
            cancelled: self.cancelled,
            started_ms: self.started_ms,
            finished_ms: self.finished_ms,
            workers: self.lanes.iter().filter(|l| l.ready).count(),
            in_flight: self.lanes.iter().map(|l| l.in_flight.len()).sum(),
            failed: self.failed.len(),
            answered_records: self.answered_records,
        }
    }

    /// Why record `key`'s batch failed, if it did.
    pub fn failure(&self, key: u32) -> Option<&Reason> {
        self.failed.get(&key)
    }

    /// Every failed record's key and reason, in key order.
    pub fn failures(&self) -> &BTreeMap<u32, Reason> {
        &self.failed
    }

    /// Forgets the run's progress and failures (batch numbers keep counting, so late answers
    /// are ignored); the lanes keep their models.
    pub fn reset(&mut self) {
        let lanes = self.lanes.iter().map(|l| Lane { ready: l.ready, ..Lane::default() }).collect();
        *self = Run { lanes, next_batch: self.next_batch, ..Run::default() };
    }

    /// Records scored before (a session kept in the browser, with the same weights): they count
    /// as sent and answered, so they are not sent again.
    pub fn already_scored(&mut self, keys: impl IntoIterator<Item = u32>) {
        self.sent.extend(keys);
    }

    /// Marks a lane's model as loaded or not (adding the lane if it is new).
    pub fn lane_ready(&mut self, lane: usize, ready: bool) {
        if self.lanes.len() <= lane {
            self.lanes.resize(lane + 1, Lane::default());
        }
        self.lanes[lane].ready = ready;
    }

    /// A lane's worker is gone: its batches go back to the waiting records.
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

    /// Every lane but the main worker's is gone (the helpers were stopped).
    pub fn helpers_lost(&mut self) {
        for lane in 1..self.lanes.len() {
            self.lane_lost(lane);
        }
        self.lanes.truncate(1);
    }

    /// No more batches until [`Run::resume`]; those in flight still finish.
    pub fn cancel(&mut self) {
        self.cancelled = true;
    }

    pub fn resume(&mut self) {
        self.cancelled = false;
    }

    /// Tops up every ready lane to [`LANE_DEPTH`] batches while records wait, filling every lane
    /// to one batch before any gets its second (so that all workers start at once). `window` is
    /// the encoder's window (for batching by length); `now_ms` the caller's clock.
    pub fn top_up(&mut self, records: &[SequenceRecord], window: usize, now_ms: f64) -> TopUp {
        let mut done = TopUp::default();
        if records.len() < self.cursor {
            // The inputs were cleared.
            self.reset();
            done.reset = true;
        }
        if self.cancelled {
            return done;
        }
        'fill: for depth in 1..=LANE_DEPTH {
            for lane in 0..self.lanes.len() {
                if !self.lanes[lane].ready || self.lanes[lane].in_flight.len() >= depth {
                    continue;
                }
                let Some(items) = self.plan(records, window) else { break 'fill };
                self.started_ms.get_or_insert(now_ms);
                self.finished_ms = None;
                let batch = self.next_batch;
                self.next_batch += 1;
                if self.lanes[lane].in_flight.is_empty() {
                    self.lanes[lane].heard_ms = now_ms;
                }
                self.lanes[lane].in_flight.push((batch, items.iter().map(|i| i.key).collect()));
                done.batches.push(Batch { lane, number: batch, items });
            }
        }
        done
    }

    /// Whether batch `batch` is in flight (an answer to any other is stale and ignored).
    pub fn holds(&self, batch: u64) -> bool {
        self.position(batch).is_some()
    }

    /// Batch `batch` was answered with its scores: its lane takes the next one. Returns its
    /// record keys, or `None` for a stale batch (sent before a reset, or by a lost lane).
    pub fn answered(&mut self, batch: u64, now_ms: f64) -> Option<Vec<u32>> {
        let (lane, slot) = self.position(batch)?;
        let (_, keys) = self.lanes[lane].in_flight.remove(slot);
        self.lanes[lane].heard_ms = now_ms;
        self.finished_ms = Some(now_ms);
        self.answered_records += keys.len();
        Some(keys)
    }

    /// The worker could not score batch `batch`: its records are marked failed with `reason`
    /// and are not sent again; the run goes on with the others. Returns the records' keys, or
    /// `None` for a stale batch.
    pub fn batch_failed(&mut self, batch: u64, reason: Reason, now_ms: f64) -> Option<Vec<u32>> {
        let keys = self.answered(batch, now_ms)?;
        for &key in &keys {
            self.failed.insert(key, reason.clone());
        }
        Some(keys)
    }

    /// Lanes that hold batches and have answered none for [`STALL_LIMIT_MS`]: their workers are
    /// taken as stopped (the caller ends them and calls [`Run::lane_lost`]). Called every few
    /// seconds with the caller's clock; after a longer gap (see [`WATCH_GAP_MS`]) the silence
    /// starts again from `now_ms`, so a computer waking from sleep does not end healthy workers.
    pub fn stalled_lanes(&mut self, now_ms: f64) -> Vec<usize> {
        let unseen = self.watched_ms.is_none_or(|last| now_ms - last > WATCH_GAP_MS);
        self.watched_ms = Some(now_ms);
        if unseen {
            for lane in &mut self.lanes {
                lane.heard_ms = lane.heard_ms.max(now_ms);
            }
            return Vec::new();
        }
        (0..self.lanes.len())
            .filter(|&i| !self.lanes[i].in_flight.is_empty() && now_ms - self.lanes[i].heard_ms >= STALL_LIMIT_MS)
            .collect()
    }

    /// (lane, slot) of an in-flight batch.
    fn position(&self, batch: u64) -> Option<(usize, usize)> {
        self.lanes.iter().enumerate().find_map(|(lane, l)| {
            l.in_flight.iter().position(|(b, _)| *b == batch).map(|slot| (lane, slot))
        })
    }

    /// Moves the cursor past records that are sent or cannot be scored.
    fn advance(&mut self, records: &[SequenceRecord]) {
        while self.cursor < records.len()
            && (records[self.cursor].protein.is_none() || self.sent.contains(&(self.cursor as u32)))
        {
            self.cursor += 1;
        }
    }

    /// The next batch, if records wait.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence::SequenceKind;

    /// Window of the test model: every protein below fits one window.
    const WINDOW: usize = 1000;

    fn record(number: usize, protein: Option<&str>) -> SequenceRecord {
        SequenceRecord {
            number,
            source: "test.fasta".into(),
            id: format!("r{number}"),
            description: String::new(),
            given_length: protein.map_or(3, str::len),
            kind: SequenceKind::Protein,
            protein: protein.map(str::to_string),
            problems: Vec::new(),
        }
    }

    /// `n` scorable records of equal length.
    fn records(n: usize) -> Vec<SequenceRecord> {
        (0..n).map(|i| record(i + 1, Some("MKTAYIAKQR"))).collect()
    }

    /// The batches of a top-up as (lane, batch number, keys).
    fn sent(top_up: &TopUp) -> Vec<(usize, u64, Vec<u32>)> {
        top_up
            .batches
            .iter()
            .map(|b| (b.lane, b.number, b.items.iter().map(|i| i.key).collect()))
            .collect()
    }

    fn ready_run(lanes: usize) -> Run {
        let mut run = Run::default();
        for lane in 0..lanes {
            run.lane_ready(lane, true);
        }
        run
    }

    #[test]
    fn nothing_is_sent_before_a_lane_is_ready() {
        let mut run = Run::default();
        let top_up = run.top_up(&records(3), WINDOW, 0.0);
        assert!(!top_up.changed());
        assert_eq!(run.summary().started_ms, None);
    }

    #[test]
    fn each_lane_gets_one_batch_before_any_gets_its_second() {
        // 40 records: three batches of at most 16.
        let mut run = ready_run(2);
        let top_up = run.top_up(&records(40), WINDOW, 5.0);
        let batches = sent(&top_up);
        assert_eq!(batches.iter().map(|(lane, batch, _)| (*lane, *batch)).collect::<Vec<_>>(), vec![(0, 0), (1, 1), (0, 2)]);
        assert_eq!(batches[0].2, (0..16).collect::<Vec<u32>>());
        assert_eq!(batches[2].2, (32..40).collect::<Vec<u32>>());
        let summary = run.summary();
        assert_eq!((summary.workers, summary.in_flight, summary.started_ms), (2, 3, Some(5.0)));
        // Everything is sent: a second top-up sends nothing and changes nothing.
        assert!(!run.top_up(&records(40), WINDOW, 6.0).changed());
    }

    #[test]
    fn a_lane_holds_at_most_two_batches_and_an_answer_frees_a_slot() {
        let mut run = ready_run(1);
        let all = records(80);
        assert_eq!(sent(&run.top_up(&all, WINDOW, 0.0)).len(), LANE_DEPTH);
        assert!(sent(&run.top_up(&all, WINDOW, 1.0)).is_empty(), "the lane is full");
        assert_eq!(run.answered(0, 2.0), Some((0..16).collect()));
        assert_eq!(run.summary().finished_ms, Some(2.0));
        let next = sent(&run.top_up(&all, WINDOW, 3.0));
        assert_eq!(next, vec![(0, 2, (32..48).collect())]);
        assert_eq!(run.summary().finished_ms, None, "a new batch reopens the run");
        // The same answer twice is stale the second time.
        assert_eq!(run.answered(0, 4.0), None);
    }

    #[test]
    fn records_that_cannot_be_scored_are_skipped() {
        let mut run = ready_run(1);
        let mixed = vec![record(1, None), record(2, Some("MKT")), record(3, None), record(4, Some("MKV"))];
        assert_eq!(sent(&run.top_up(&mixed, WINDOW, 0.0)), vec![(0, 0, vec![1, 3])]);
    }

    #[test]
    fn a_lost_lane_puts_its_batches_back_for_the_others() {
        let mut run = ready_run(2);
        let all = records(40);
        let first = sent(&run.top_up(&all, WINDOW, 0.0));
        assert_eq!(first[1], (1, 1, (16..32).collect()));
        run.lane_lost(1);
        assert_eq!(run.summary().workers, 1);
        // Lane 1's batch is not held any more; its late answer is ignored.
        assert!(!run.holds(1));
        assert_eq!(run.answered(1, 1.0), None);
        // Lane 0 has two batches in flight; once one is answered it takes lane 1's records again.
        assert_eq!(run.answered(0, 2.0).map(|k| k.len()), Some(16));
        let again = sent(&run.top_up(&all, WINDOW, 3.0));
        assert_eq!(again, vec![(0, 3, (16..32).collect())]);
    }

    #[test]
    fn stopped_helpers_return_their_batches_and_leave_the_main_lane() {
        let mut run = ready_run(3);
        let all = records(48);
        assert_eq!(sent(&run.top_up(&all, WINDOW, 0.0)).len(), 3);
        run.helpers_lost();
        let summary = run.summary();
        assert_eq!((summary.workers, summary.in_flight), (1, 1));
        assert_eq!(sent(&run.top_up(&all, WINDOW, 1.0)), vec![(0, 3, (16..32).collect())]);
    }

    #[test]
    fn a_failed_batch_marks_only_its_records_and_the_run_goes_on() {
        let mut run = ready_run(1);
        let all = records(40);
        assert_eq!(sent(&run.top_up(&all, WINDOW, 0.0)).len(), 2);
        let reason = Reason::Compute("out of memory".into());
        assert_eq!(run.batch_failed(0, reason.clone(), 1.0), Some((0..16).collect()));
        assert_eq!(run.summary().failed, 16);
        assert_eq!(run.failure(3), Some(&reason));
        assert_eq!(run.failure(16), None);
        // The cursor has moved on: the next batch is the third, and the failed records are never
        // sent again.
        assert_eq!(sent(&run.top_up(&all, WINDOW, 2.0)), vec![(0, 2, (32..40).collect())]);
        assert_eq!(run.answered(1, 3.0).map(|k| k.len()), Some(16));
        assert_eq!(run.answered(2, 4.0).map(|k| k.len()), Some(8));
        assert!(!run.top_up(&all, WINDOW, 5.0).changed());
        assert_eq!(run.failures().keys().copied().collect::<Vec<_>>(), (0..16).collect::<Vec<u32>>());
        // A stale failure changes nothing.
        assert_eq!(run.batch_failed(0, Reason::NoModel, 6.0), None);
        assert_eq!(run.failure(3), Some(&reason));
    }

    #[test]
    fn records_added_after_a_failure_are_scored() {
        let mut run = ready_run(1);
        let mut all = records(10);
        run.top_up(&all, WINDOW, 0.0);
        run.batch_failed(0, Reason::EmptySequence, 1.0);
        // A file dropped afterwards.
        all.extend(records(5));
        assert_eq!(sent(&run.top_up(&all, WINDOW, 2.0)), vec![(0, 1, (10..15).collect())]);
    }

    #[test]
    fn cancel_sends_nothing_more_and_resume_goes_on() {
        let mut run = ready_run(1);
        let all = records(80);
        run.top_up(&all, WINDOW, 0.0);
        run.cancel();
        assert!(run.summary().cancelled);
        // What is in flight still finishes.
        assert!(run.answered(0, 1.0).is_some());
        assert!(!run.top_up(&all, WINDOW, 2.0).changed());
        run.resume();
        assert_eq!(sent(&run.top_up(&all, WINDOW, 3.0)), vec![(0, 2, (32..48).collect())]);
    }

    #[test]
    fn late_answers_after_a_reset_are_ignored() {
        let mut run = ready_run(1);
        let all = records(40);
        run.top_up(&all, WINDOW, 0.0);
        run.batch_failed(1, Reason::NoModel, 1.0);
        run.reset();
        let summary = run.summary();
        assert_eq!((summary.in_flight, summary.failed, summary.workers), (0, 0, 1), "the lane keeps its model");
        // Batch 0 was sent before the reset: its answer is stale.
        assert_eq!(run.answered(0, 2.0), None);
        // The run starts over with new batch numbers.
        assert_eq!(sent(&run.top_up(&all, WINDOW, 3.0))[0], (0, 2, (0..16).collect()));
    }

    #[test]
    fn clearing_the_records_starts_the_run_over() {
        let mut run = ready_run(1);
        run.top_up(&records(40), WINDOW, 0.0);
        // The inputs were cleared and two new records read.
        let top_up = run.top_up(&records(2), WINDOW, 1.0);
        assert!(top_up.reset);
        assert_eq!(sent(&top_up), vec![(0, 2, vec![0, 1])]);
        assert_eq!(run.answered(0, 2.0), None, "the cleared records' batch is stale");
    }

    #[test]
    fn records_scored_before_a_reload_are_not_sent_again() {
        let mut run = ready_run(1);
        run.already_scored(0..16);
        run.already_scored([20]);
        let batches = sent(&run.top_up(&records(40), WINDOW, 0.0));
        let keys: Vec<u32> = batches.iter().flat_map(|(_, _, k)| k.clone()).collect();
        assert_eq!(keys, (16..40).filter(|&k| k != 20).collect::<Vec<u32>>());
    }

    #[test]
    fn a_lost_main_lane_returns_its_batches_and_takes_them_again_once_reloaded() {
        // The main worker crashed and was restarted with the same model: nothing is lost and
        // nothing is scored twice.
        let mut run = ready_run(2);
        let all = records(64);
        let first = sent(&run.top_up(&all, WINDOW, 0.0));
        assert_eq!(first.len(), 4);
        assert_eq!(run.answered(1, 1.0).map(|k| k.len()), Some(16));
        run.lane_lost(0);
        assert_eq!(run.summary().workers, 1);
        // Lane 1 takes one of lane 0's batches now (its other slot holds batch 3).
        let meanwhile = sent(&run.top_up(&all, WINDOW, 2.0));
        assert_eq!(meanwhile, vec![(1, 4, (0..16).collect())]);
        run.lane_ready(0, true);
        let after = sent(&run.top_up(&all, WINDOW, 3.0));
        assert_eq!(after, vec![(0, 5, (32..48).collect())]);
        let mut scored: Vec<u32> = (16..32).collect();
        for batch in [3, 4, 5] {
            scored.extend(run.answered(batch, 4.0).unwrap());
        }
        assert_eq!(run.answered(0, 5.0), None, "the lost worker's late answer is ignored");
        scored.sort();
        assert_eq!(scored, (0..64).collect::<Vec<u32>>(), "every record scored once");
        assert_eq!(run.summary().answered_records, 64);
        assert!(!run.top_up(&all, WINDOW, 6.0).changed());
    }

    #[test]
    fn a_lane_whose_model_is_not_ready_gets_nothing() {
        let mut run = ready_run(2);
        run.lane_ready(1, false);
        let batches = sent(&run.top_up(&records(40), WINDOW, 0.0));
        assert!(batches.iter().all(|(lane, _, _)| *lane == 0));
        assert_eq!(batches.len(), LANE_DEPTH);
    }

    /// Watches `run` every second from `from` to `to` (ms), returning the first stalled lanes.
    fn watch(run: &mut Run, from: f64, to: f64) -> Option<(f64, Vec<usize>)> {
        let mut now = from;
        while now <= to {
            let stalled = run.stalled_lanes(now);
            if !stalled.is_empty() {
                return Some((now, stalled));
            }
            now += 1_000.0;
        }
        None
    }

    #[test]
    fn a_lane_that_holds_batches_and_answers_none_is_stalled_and_its_batches_go_back() {
        let mut run = ready_run(2);
        let all = records(64);
        assert_eq!(sent(&run.top_up(&all, WINDOW, 0.0)).len(), 4);
        // Lane 1 answers every 10 s; lane 0 never does.
        let mut stalled = None;
        let mut now = 0.0;
        while stalled.is_none() && now < 2.0 * STALL_LIMIT_MS {
            if now > 0.0 && now % 10_000.0 == 0.0 {
                if let Some(&(batch, _)) = run.lanes[1].in_flight.first() {
                    run.answered(batch, now);
                }
                run.top_up(&all, WINDOW, now);
            }
            let lanes = run.stalled_lanes(now);
            if !lanes.is_empty() {
                stalled = Some((now, lanes));
            }
            now += 1_000.0;
        }
        assert_eq!(stalled, Some((STALL_LIMIT_MS, vec![0])), "lane 0, once silent for the limit");
        run.lane_lost(0);
        assert_eq!(run.stalled_lanes(now), Vec::<usize>::new(), "a lost lane holds nothing");
        // Its records are sent again, to the lane that answers.
        let again: Vec<u32> = sent(&run.top_up(&all, WINDOW, now)).into_iter().flat_map(|(_, _, k)| k).collect();
        assert!(!again.is_empty() && again.iter().all(|&k| k < 16 || (32..48).contains(&k)), "{again:?}");
    }

    #[test]
    fn an_idle_lane_or_one_still_answering_is_not_stalled() {
        let mut run = ready_run(1);
        let all = records(16);
        assert_eq!(watch(&mut run, 0.0, 3.0 * STALL_LIMIT_MS), None, "holding nothing, silence is fine");
        // Work given after a long idle time: the silence counts from then.
        let start = 3.0 * STALL_LIMIT_MS + 1_000.0;
        assert_eq!(sent(&run.top_up(&all, WINDOW, start)).len(), 1);
        assert_eq!(watch(&mut run, start, start + STALL_LIMIT_MS - 1_000.0), None);
        run.answered(0, start + STALL_LIMIT_MS - 500.0);
        assert_eq!(watch(&mut run, start + STALL_LIMIT_MS, start + 3.0 * STALL_LIMIT_MS), None, "answered: holds nothing");
    }

    #[test]
    fn time_the_page_was_not_watching_is_not_held_against_a_lane() {
        let mut run = ready_run(1);
        assert_eq!(sent(&run.top_up(&records(16), WINDOW, 0.0)).len(), 1);
        assert_eq!(watch(&mut run, 0.0, 10_000.0), None);
        // The computer slept for an hour with the batch in flight: on waking, the lane gets the
        // whole limit again before it counts as stopped.
        let woke = 3_600_000.0;
        assert_eq!(run.stalled_lanes(woke), Vec::<usize>::new());
        assert_eq!(watch(&mut run, woke + 1_000.0, woke + 2.0 * STALL_LIMIT_MS), Some((woke + STALL_LIMIT_MS, vec![0])));
    }
}

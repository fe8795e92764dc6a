//! The session kept in this browser, so that a reload or a crashed tab loses nothing: every
//! record as read (problems included), the scores received so far and the view. The page
//! stores it in IndexedDB (never uploaded) and offers it back when it starts.
//!
//! It is stored in three parts, so that a long run costs little to keep: a small head (what
//! the session is, for the offer), the inputs (written again only when they change), and the
//! scores in chunks, each write appending only the scores that arrived since the last one
//! ([`KeptWriter`]). Written whole, a 2,000-protein session is 30 MB of JSON, and writing it
//! every 2 s blocked the page for up to half a second each time (measured in Chromium).
//!
//! Scores are reused only with the weights that made them ([`KeptSession::scores_for`]); with
//! any other model the records are scored again. Everything read back is untrusted (another
//! version of the page may have written it, or the storage may be damaged), so it is checked
//! before use and refused as a whole with a reason.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::protocol::Scored;
use crate::sequence::{FileProblem, SequenceRecord};
use crate::share::{MAX_PAYLOAD_BYTES, ViewState};

/// Format of the kept session; a different one is refused (and forgotten) rather than misread.
/// (Format 1 kept everything in one part.)
pub const FORMAT: u32 = 2;

/// Most scores in one stored chunk: bounds one write (about 15 KB of JSON per record).
pub const CHUNK_SCORES: usize = 256;

/// A kept session, assembled from its parts.
#[derive(Clone, Debug, PartialEq)]
pub struct KeptSession {
    pub head: KeptHead,
    pub records: Vec<SequenceRecord>,
    pub file_problems: Vec<FileProblem>,
    /// Batch answers received, keyed by the record's index in `records`.
    pub scores: Vec<Scored>,
}

/// The small part, written at every change: what the session is (enough for the offer), and
/// how many parts belong to it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeptHead {
    pub format: u32,
    /// When it was written (ms since the Unix epoch, the browser's clock).
    pub saved_at_ms: f64,
    /// Checksum of the weights that made the scores.
    pub weights_sha256: String,
    /// Their version tag, for the notice when the page's model differs.
    #[serde(default)]
    pub model_version: String,
    #[serde(default)]
    pub view: ViewState,
    /// Records in the inputs part, and how many of them can be scored.
    pub records: usize,
    pub scorable: usize,
    /// Scores in the chunks together.
    pub scores: usize,
    /// The score chunks `0..chunks` belong to this head.
    pub chunks: u32,
}

/// The inputs part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeptInputs {
    pub records: Vec<SequenceRecord>,
    #[serde(default)]
    pub file_problems: Vec<FileProblem>,
}

/// Why a kept session cannot be offered back.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum KeptError {
    #[error("it was kept by another version of GenePheno Web (format {0})")]
    OtherFormat(u32),
    #[error("a part of it is larger than GenePheno Web reads back ({} MB)", MAX_PAYLOAD_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("it is damaged: {0}")]
    Damaged(String),
}

fn parse<T: for<'de> Deserialize<'de>>(json: &str) -> Result<T, KeptError> {
    if json.len() as u64 > MAX_PAYLOAD_BYTES {
        return Err(KeptError::TooLarge);
    }
    serde_json::from_str(json).map_err(|e| KeptError::Damaged(e.to_string()))
}

impl KeptHead {
    /// Reads a head, refusing other formats.
    pub fn from_json(json: &str) -> Result<Self, KeptError> {
        #[derive(Deserialize)]
        struct Format {
            format: u32,
        }
        let format: Format = parse(json)?;
        if format.format != FORMAT {
            return Err(KeptError::OtherFormat(format.format));
        }
        parse(json)
    }
}

impl KeptSession {
    /// Puts a session together from its head, inputs part and score chunks (in order),
    /// checking that they belong together and that every score belongs to a scorable record.
    pub fn assemble(head: KeptHead, inputs: &str, chunks: &[String]) -> Result<Self, KeptError> {
        let inputs: KeptInputs = parse(inputs)?;
        if inputs.records.len() != head.records {
            return Err(KeptError::Damaged(format!(
                "{} records are kept where its head names {}",
                inputs.records.len(),
                head.records
            )));
        }
        if chunks.len() != head.chunks as usize {
            return Err(KeptError::Damaged(format!("{} of its {} score parts are kept", chunks.len(), head.chunks)));
        }
        let mut scores = Vec::with_capacity(head.scores);
        for chunk in chunks {
            scores.extend(parse::<Vec<Scored>>(chunk)?);
        }
        if let Some(score) = scores.iter().find(|s| s.key as usize >= inputs.records.len()) {
            return Err(KeptError::Damaged(format!(
                "a score is kept for record {} but only {} records are",
                score.key + 1,
                inputs.records.len()
            )));
        }
        if let Some(score) = scores.iter().find(|s| inputs.records[s.key as usize].protein.is_none()) {
            return Err(KeptError::Damaged(format!("record {} has a score but no sequence", score.key + 1)));
        }
        Ok(KeptSession { head, records: inputs.records, file_problems: inputs.file_problems, scores })
    }

    /// The kept scores, if they were made by the weights `weights_sha256` (else none: the
    /// records are scored again).
    pub fn scores_for(&self, weights_sha256: &str) -> &[Scored] {
        if self.head.weights_sha256 == weights_sha256 { &self.scores } else { &[] }
    }
}

/// The session as the page has it now, borrowed for one write.
pub struct Snapshot<'a> {
    /// Changes whenever the records are replaced rather than appended to (cleared, restored):
    /// the inputs part and every chunk are then written again.
    pub inputs_epoch: u64,
    pub saved_at_ms: f64,
    pub weights_sha256: &'a str,
    pub model_version: &'a str,
    pub view: &'a ViewState,
    pub records: &'a [SequenceRecord],
    pub file_problems: &'a [FileProblem],
    /// Every score the page holds, in any order.
    pub scores: Vec<&'a Scored>,
}

/// One write: every part in one IndexedDB transaction, so the parts always agree.
#[derive(Debug, PartialEq)]
pub struct KeptWrite {
    /// Delete every stored chunk first (the session is written again from scratch).
    pub clear_chunks: bool,
    /// The inputs part, when it changed.
    pub inputs: Option<String>,
    /// New chunks: (number, JSON).
    pub chunks: Vec<(u32, String)>,
    pub head: String,
    /// What is stored once this write is committed ([`KeptWriter::committed`]).
    after: Stored,
}

/// What the stored parts hold.
#[derive(Clone, Debug, Default, PartialEq)]
struct Stored {
    /// Inputs epoch, record and problem counts, weights the parts were written for.
    written_for: Option<(u64, usize, usize, String)>,
    /// Record keys with a stored score.
    scored: HashSet<u32>,
    chunks: u32,
}

/// Decides what each write stores: the inputs only when they changed, the scores only when new.
#[derive(Debug, Default)]
pub struct KeptWriter {
    stored: Stored,
}

impl KeptWriter {
    /// The write that brings the stored parts up to `now`.
    pub fn plan(&self, now: &Snapshot<'_>) -> KeptWrite {
        let written_for =
            (now.inputs_epoch, now.records.len(), now.file_problems.len(), now.weights_sha256.to_string());
        let before = self.stored.written_for.as_ref();
        // Within one epoch records and problems are only ever added.
        let grown = before.is_some_and(|(epoch, records, problems, weights)| {
            *epoch == now.inputs_epoch
                && *records <= now.records.len()
                && *problems <= now.file_problems.len()
                && weights == now.weights_sha256
        });
        let same_inputs = before.is_some_and(|w| (w.0, w.1, w.2) == (written_for.0, written_for.1, written_for.2));
        let held: HashSet<u32> = now.scores.iter().map(|s| s.key).collect();
        // Records replaced, another model, or scores forgotten: everything is written again.
        let whole = !grown || !self.stored.scored.is_subset(&held);
        let mut after = if whole { Stored::default() } else { self.stored.clone() };
        after.written_for = Some(written_for);
        let inputs = (whole || !same_inputs).then(|| {
            serde_json::to_string(&KeptInputs { records: now.records.to_vec(), file_problems: now.file_problems.to_vec() })
                .expect("records always serialise")
        });
        let mut new: Vec<&Scored> = now.scores.iter().copied().filter(|s| !after.scored.contains(&s.key)).collect();
        new.sort_by_key(|s| s.key);
        let mut chunks = Vec::new();
        for part in new.chunks(CHUNK_SCORES) {
            chunks.push((after.chunks, serde_json::to_string(part).expect("scores always serialise")));
            after.chunks += 1;
            after.scored.extend(part.iter().map(|s| s.key));
        }
        let head = KeptHead {
            format: FORMAT,
            saved_at_ms: now.saved_at_ms,
            weights_sha256: now.weights_sha256.to_string(),
            model_version: now.model_version.to_string(),
            view: now.view.clone(),
            records: now.records.len(),
            scorable: now.records.iter().filter(|r| r.protein.is_some()).count(),
            scores: after.scored.len(),
            chunks: after.chunks,
        };
        KeptWrite {
            clear_chunks: whole,
            inputs,
            chunks,
            head: serde_json::to_string(&head).expect("a head always serialises"),
            after,
        }
    }

    /// `write` was committed: the stored parts are what it said.
    pub fn committed(&mut self, write: KeptWrite) {
        self.stored = write.after;
    }

    /// The stored parts were deleted (or their state is unknown): the next write is whole.
    pub fn forget(&mut self) {
        self.stored = Stored::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence::parse_all;

    fn records() -> Vec<SequenceRecord> {
        parse_all("kept.fasta", b">a first\nMKTAYIAKQR\n>b\nMKT*AYIAKQR\n>c\nMVLSPADKTN\n>d\nMKV\n").records
    }

    fn score(key: u32) -> Scored {
        Scored {
            key,
            top: vec![(3, 0.5), (1, 0.25)],
            known: None,
            source: Default::default(),
            curated: Vec::new(),
            signals: Default::default(),
        }
    }

    const WEIGHTS: &str = "abababababababababababababababababababababababababababababababab";

    /// A page's session: its records, file problems, view, and the scores it holds.
    struct Page {
        epoch: u64,
        records: Vec<SequenceRecord>,
        problems: Vec<FileProblem>,
        view: ViewState,
        scores: Vec<Scored>,
        weights: String,
    }

    impl Page {
        fn new() -> Self {
            Page {
                epoch: 0,
                records: records(),
                problems: vec![FileProblem { source_name: "x.pdf".into(), message: "not a text file".into() }],
                view: ViewState { record: Some("c".into()), threshold: Some(0.3), ..ViewState::default() },
                scores: Vec::new(),
                weights: WEIGHTS.into(),
            }
        }

        fn snapshot(&self) -> Snapshot<'_> {
            Snapshot {
                inputs_epoch: self.epoch,
                saved_at_ms: 1.7e12,
                weights_sha256: &self.weights,
                model_version: "genepheno-cnn-0/hpo/abababababab",
                view: &self.view,
                records: &self.records,
                file_problems: &self.problems,
                scores: self.scores.iter().collect(),
            }
        }
    }

    /// IndexedDB as the page uses it: one session's parts.
    #[derive(Default)]
    struct Store {
        head: Option<String>,
        inputs: Option<String>,
        chunks: std::collections::BTreeMap<u32, String>,
    }

    impl Store {
        fn apply(&mut self, write: &KeptWrite) {
            if write.clear_chunks {
                self.chunks.clear();
            }
            if let Some(inputs) = &write.inputs {
                self.inputs = Some(inputs.clone());
            }
            for (n, chunk) in &write.chunks {
                self.chunks.insert(*n, chunk.clone());
            }
            self.head = Some(write.head.clone());
        }

        fn read(&self) -> Result<KeptSession, KeptError> {
            let head = KeptHead::from_json(self.head.as_ref().unwrap())?;
            let chunks: Vec<String> = (0..head.chunks).filter_map(|n| self.chunks.get(&n).cloned()).collect();
            KeptSession::assemble(head, self.inputs.as_ref().unwrap(), &chunks)
        }
    }

    fn write(writer: &mut KeptWriter, store: &mut Store, page: &Page) -> (bool, usize) {
        let write = writer.plan(&page.snapshot());
        store.apply(&write);
        let done = (write.inputs.is_some(), write.chunks.len());
        writer.committed(write);
        done
    }

    #[test]
    fn round_trip_keeps_every_record_with_its_problems_scores_and_view() {
        let mut page = Page::new();
        page.scores = vec![score(0), score(2)];
        let (mut writer, mut store) = (KeptWriter::default(), Store::default());
        write(&mut writer, &mut store, &page);
        let back = store.read().unwrap();
        assert_eq!(back.records, page.records);
        assert!(back.records[1].protein.is_none() && !back.records[1].problems.is_empty(), "the bad record is kept too");
        assert_eq!(back.file_problems, page.problems);
        assert_eq!(back.scores, page.scores);
        assert_eq!(back.head.view, page.view);
        assert_eq!((back.head.records, back.head.scorable, back.head.scores), (4, 3, 2));
    }

    #[test]
    fn a_running_session_appends_only_new_scores_and_writes_its_inputs_once() {
        let mut page = Page::new();
        let (mut writer, mut store) = (KeptWriter::default(), Store::default());
        assert_eq!(write(&mut writer, &mut store, &page), (true, 0));
        page.scores.push(score(0));
        assert_eq!(write(&mut writer, &mut store, &page), (false, 1), "one new score: one chunk, no inputs");
        page.view.threshold = Some(0.5);
        assert_eq!(write(&mut writer, &mut store, &page), (false, 0), "the view is in the head");
        page.scores.extend([score(2), score(3)]);
        assert_eq!(write(&mut writer, &mut store, &page), (false, 1));
        let back = store.read().unwrap();
        assert_eq!(back.scores.iter().map(|s| s.key).collect::<Vec<_>>(), vec![0, 2, 3]);
        assert_eq!(back.head.view.threshold, Some(0.5));
        // Records dropped in: the inputs part again, the chunks stay.
        page.records.push(records()[0].clone());
        assert_eq!(write(&mut writer, &mut store, &page), (true, 0));
        assert_eq!(store.read().unwrap().scores.len(), 3);
    }

    #[test]
    fn a_large_run_is_kept_in_bounded_chunks() {
        let text: String = (0..600).map(|i| format!(">r{i}\nMKTAYIAKQR\n")).collect();
        let mut page = Page::new();
        page.records = parse_all("big.fasta", text.as_bytes()).records;
        page.scores = (0..600).map(score).collect();
        let (mut writer, mut store) = (KeptWriter::default(), Store::default());
        assert_eq!(write(&mut writer, &mut store, &page), (true, 3), "600 scores in chunks of at most {CHUNK_SCORES}");
        assert_eq!(store.read().unwrap().scores.len(), 600);
    }

    #[test]
    fn replaced_records_or_other_weights_write_everything_again() {
        let mut page = Page::new();
        page.scores = vec![score(0), score(2)];
        let (mut writer, mut store) = (KeptWriter::default(), Store::default());
        write(&mut writer, &mut store, &page);
        // Another model: its scores replace the old ones.
        page.weights = "cd".repeat(32);
        page.scores = vec![score(3)];
        let w = writer.plan(&page.snapshot());
        assert!(w.clear_chunks && w.inputs.is_some());
        store.apply(&w);
        writer.committed(w);
        let back = store.read().unwrap();
        assert_eq!(back.scores.iter().map(|s| s.key).collect::<Vec<_>>(), vec![3]);
        assert_eq!(back.head.weights_sha256, "cd".repeat(32));
        // Cleared and read again (same count, a new epoch).
        page.epoch += 1;
        page.scores.clear();
        let w = writer.plan(&page.snapshot());
        assert!(w.clear_chunks && w.inputs.is_some() && w.chunks.is_empty());
    }

    #[test]
    fn a_write_that_failed_is_made_again_whole_in_the_next() {
        let mut page = Page::new();
        let (mut writer, mut store) = (KeptWriter::default(), Store::default());
        write(&mut writer, &mut store, &page);
        page.scores.push(score(0));
        let lost = writer.plan(&page.snapshot());
        assert_eq!(lost.chunks.len(), 1);
        // Not committed (storage full): the next write carries the same score.
        page.scores.push(score(2));
        let next = writer.plan(&page.snapshot());
        assert_eq!(next.chunks.len(), 1);
        store.apply(&next);
        writer.committed(next);
        assert_eq!(store.read().unwrap().scores.len(), 2);
    }

    #[test]
    fn scores_are_reused_only_with_the_weights_that_made_them() {
        let mut page = Page::new();
        page.scores = vec![score(0), score(2)];
        let (mut writer, mut store) = (KeptWriter::default(), Store::default());
        write(&mut writer, &mut store, &page);
        let k = store.read().unwrap();
        assert_eq!(k.scores_for(WEIGHTS).len(), 2);
        assert!(k.scores_for(&"cd".repeat(32)).is_empty());
    }

    #[test]
    fn damaged_or_foreign_sessions_are_refused_with_a_reason() {
        let mut page = Page::new();
        page.scores = vec![score(0), score(2)];
        let kept = |page: &Page| {
            let mut store = Store::default();
            write(&mut KeptWriter::default(), &mut store, page);
            store
        };
        let mut store = kept(&page);
        let mut head: serde_json::Value = serde_json::from_str(store.head.as_ref().unwrap()).unwrap();
        head["format"] = 1.into();
        store.head = Some(head.to_string());
        assert_eq!(store.read(), Err(KeptError::OtherFormat(1)));
        page.scores[1].key = 7;
        assert!(matches!(kept(&page).read(), Err(KeptError::Damaged(m)) if m.contains("record 8")));
        page.scores[1].key = 1;
        assert!(matches!(kept(&page).read(), Err(KeptError::Damaged(m)) if m.contains("no sequence")));
        page.scores[1].key = 2;
        let mut store = kept(&page);
        store.chunks.clear();
        assert!(matches!(store.read(), Err(KeptError::Damaged(m)) if m.contains("0 of its 1 score parts")));
        let mut store = kept(&page);
        let inputs = store.inputs.take().unwrap();
        store.inputs = Some(inputs[..inputs.len() / 2].to_string());
        assert!(matches!(store.read(), Err(KeptError::Damaged(_))));
    }
}

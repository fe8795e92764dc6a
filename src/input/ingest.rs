//! The session's inputs and the slice-by-slice reading of new ones.

use std::sync::atomic::{AtomicU64, Ordering};

use std::sync::Arc;

use genepheno::sequence::{FileProblem, Identifiers, Parser, SequenceRecord, decode, file_problem};
use genepheno::share::SharedSession;
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;

use crate::browser::now_ms;

/// How long one slice of parsing may hold the UI thread before yielding, in milliseconds.
/// About three frames: the page keeps repainting and the progress bar moves.
const SLICE_MS: f64 = 40.0;

/// Reading of one input that is under way.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// Tells apart two inputs of the same name (the same file dropped twice).
    pub key: u64,
    pub source: String,
    pub bytes_read: usize,
    pub total_bytes: usize,
    pub records: usize,
}

/// Everything the user has given in this session, shared by the input panel and the record list.
#[derive(Clone, Copy)]
pub struct Inputs {
    pub records: RwSignal<Vec<SequenceRecord>>,
    pub file_problems: RwSignal<Vec<FileProblem>>,
    /// Inputs being read right now, with their progress.
    pub reading: RwSignal<Vec<Progress>>,
    /// The last share link or session file opened: its view is restored once its records are
    /// read and scored.
    pub session: RwSignal<Option<Arc<SharedSession>>>,
    /// Counts "Clear all": results keyed by record position must be forgotten when it changes.
    pub generation: RwSignal<u64>,
    /// Identifiers given out so far: unique across all inputs of the session.
    ids: StoredValue<Identifiers>,
}

impl Inputs {
    pub fn new() -> Self {
        Self {
            records: RwSignal::new(Vec::new()),
            file_problems: RwSignal::new(Vec::new()),
            reading: RwSignal::new(Vec::new()),
            session: RwSignal::new(None),
            generation: RwSignal::new(0),
            ids: StoredValue::new(Identifiers::default()),
        }
    }

    /// Forgets every input.
    pub fn clear(&self) {
        self.records.set(Vec::new());
        self.file_problems.set(Vec::new());
        self.ids.set_value(Identifiers::default());
        self.generation.update(|g| *g += 1);
    }

    /// Puts back the records and problems of a kept session in place of the current ones (the
    /// caller forgets the old results first), so that later inputs get fresh identifiers.
    pub fn replace(&self, records: Vec<SequenceRecord>, file_problems: Vec<FileProblem>) {
        self.ids.set_value(Identifiers::of_records(&records));
        self.records.set(records);
        self.file_problems.set(file_problems);
    }

    /// Reads one input in the background, adding its records slice by slice.
    pub fn add(&self, source: String, bytes: Vec<u8>) {
        let inputs = *self;
        leptos::task::spawn_local(async move { inputs.read(source, bytes).await });
    }

    /// Opens a shared session (from a link or a file): its sequences are read like any input.
    pub fn open_session(&self, source: String, session: SharedSession) {
        let fasta = session.fasta.clone().into_bytes();
        self.session.set(Some(Arc::new(session)));
        self.add(source, fasta);
    }

    /// Reports an input that could not even be read (e.g. a file the browser refused to open).
    pub fn add_problem(&self, source: String, message: String) {
        self.file_problems.update(|p| p.push(FileProblem { source_name: source, message }));
    }

    async fn read(self, source: String, bytes: Vec<u8>) {
        // A session file saved by this page is JSON; FASTA never starts with '{'.
        if bytes.trim_ascii_start().starts_with(b"{") {
            match SharedSession::from_file(&bytes) {
                Ok(session) => self.open_session(format!("session file {source}"), session),
                Err(error) => self.add_problem(source, format!("this looks like a GenePheno session file, but {error}")),
            }
            return;
        }
        let decoded = match decode(&bytes) {
            Ok(decoded) => decoded,
            Err(error) => {
                self.file_problems.update(|p| p.push(file_problem(&source, &error)));
                return;
            }
        };
        let mut parser = Parser::new(source.clone(), &decoded.text);
        static NEXT_KEY: AtomicU64 = AtomicU64::new(0);
        let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
        let mut progress =
            Progress { key, source, bytes_read: 0, total_bytes: parser.total_bytes(), records: 0 };
        self.reading.update(|r| r.push(progress.clone()));
        loop {
            let started = now_ms();
            let mut slice = Vec::new();
            let mut finished = false;
            while now_ms() - started < SLICE_MS {
                let batch = self
                    .ids
                    .try_update_value(|ids| parser.next_batch(ids, 256))
                    .unwrap_or_default();
                if batch.is_empty() {
                    finished = true;
                    break;
                }
                slice.extend(batch);
            }
            progress.records += slice.len();
            progress.bytes_read = parser.bytes_read();
            self.records.update(|r| r.extend(slice));
            self.reading.update(|r| {
                if let Some(p) = r.iter_mut().find(|p| p.key == progress.key) {
                    *p = progress.clone();
                }
            });
            if finished {
                break;
            }
            // Yield to the browser so it can paint and handle input before the next slice.
            TimeoutFuture::new(0).await;
        }
        self.reading.update(|r| r.retain(|p| p.key != progress.key));
    }
}


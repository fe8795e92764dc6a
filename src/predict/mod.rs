//! Predictions on the page: the inference worker (which owns the model), the state of the
//! loaded model, and the scoring of the session's records batch by batch.
//!
//! The page keeps only what it shows: for each record, the phenotypes scoring at least
//! `protocol::LIST_FLOOR` (the lowest threshold the page offers); the selected record's full
//! scores and concept activations come from the worker on demand.

mod client;
mod scheduler;

pub use client::{Predictions, Status};
pub use genepheno::scheduler::Run;

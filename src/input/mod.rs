//! Getting sequences into the page: files (dropped or picked), pasted text and the example, all
//! read by the shared `genepheno::sequence` parser in slices so that large inputs keep the tab
//! responsive.

mod ingest;
mod panel;
mod records;

pub use ingest::Inputs;
pub use panel::InputPanel;
pub use records::RecordList;

//! What can go wrong reading or writing a reference set. Every variant names the problem in words
//! the app can show, because a reference file that does not load must never take the page down.

/// Errors of [`super::ReferenceSet::decode`] and [`super::ReferenceSet::encode`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReferenceError {
    /// The bytes do not start with the reference-set magic: not a reference file at all.
    #[error("not a GenePheno reference set (bad magic bytes)")]
    BadMagic,
    /// Written by a newer (or older, incompatible) version of the format.
    #[error("reference set format version {found} is not supported (this build reads version {supported})")]
    UnsupportedVersion { found: u16, supported: u16 },
    /// The file ends before a field it announces.
    #[error("reference set is truncated (while reading {0})")]
    Truncated(&'static str),
    /// The compressed body does not inflate (damaged download).
    #[error("reference set body does not decompress: {0}")]
    Compression(String),
    /// A field holds a value that cannot be right (index out of range, bad UTF-8, ...).
    #[error("reference set is corrupt: {0}")]
    Corrupt(String),
    /// The reference was built for other model weights: its concept and phenotype indices would
    /// point at the wrong terms.
    #[error("reference set belongs to model weights {found}, but the loaded model is {expected}")]
    WrongModel { expected: String, found: String },
    /// The reference was built for another label set (e.g. MP while the HPO model is loaded).
    #[error("reference set is for label set {found}, but the loaded model is for {expected}")]
    WrongDataset { expected: crate::domain::LabelSet, found: crate::domain::LabelSet },
    /// [`super::ReferenceSet::encode`] was given inconsistent input.
    #[error("cannot build reference set: {0}")]
    Input(String),
}

//! `data/MANIFEST.json`: where every committed byte came from and how to rebuild it.
//! Written without timestamps or machine paths so that a rebuild reproduces it byte for byte.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::DataError;
use super::fetch::{Source, sha256_bytes};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    /// The command that rebuilds the directory (run from the repository root).
    pub command: String,
    pub seed: u64,
    pub min_train_genes: usize,
    pub min_identity: f64,
    /// Homology groups larger than this are always in train.
    pub max_held_out_group: usize,
    /// External tools and the version that produced the files.
    pub tools: BTreeMap<String, String>,
    pub sources: Vec<SourceEntry>,
    pub files: Vec<FileEntry>,
    /// Named counts (genes, labels, pairs, split sizes...), also quoted in data/README.md.
    pub counts: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceEntry {
    pub package: String,
    pub version: String,
    pub registry: String,
    pub file: String,
    pub sha256: String,
    pub licence: String,
    pub attribution: String,
}

impl From<&Source> for SourceEntry {
    fn from(s: &Source) -> Self {
        Self {
            package: s.name.into(),
            version: s.version.into(),
            registry: s.registry.label().into(),
            file: s.file.into(),
            sha256: s.sha256.into(),
            licence: s.licence.into(),
            attribution: s.attribution.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the data directory.
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
    /// Data rows (the header line not counted).
    pub rows: usize,
    pub description: String,
}

impl FileEntry {
    /// Describes a file just written under `dir`.
    pub fn describe(dir: &Path, rel: &str, rows: usize, description: &str) -> Result<Self, DataError> {
        let path = dir.join(rel);
        let bytes = std::fs::read(&path).map_err(|e| DataError::io(&path, e))?;
        Ok(Self { path: rel.into(), sha256: sha256_bytes(&bytes), bytes: bytes.len() as u64, rows, description: description.into() })
    }
}

impl Manifest {
    pub fn write(&self, path: &Path) -> Result<(), DataError> {
        let mut text = serde_json::to_string_pretty(self).map_err(|e| DataError::Format(e.to_string()))?;
        text.push('\n');
        std::fs::write(path, text).map_err(|e| DataError::io(path, e))
    }

    pub fn read(path: &Path) -> Result<Self, DataError> {
        let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
        serde_json::from_str(&text).map_err(|e| DataError::Format(format!("{}: {e}", path.display())))
    }
}

//! The session kept in this browser, so that a reload or a crashed tab loses nothing: every
//! record as read (problems included), the scores received so far and the view. The page
//! stores it in IndexedDB (never uploaded) and offers it back when it starts.
//!
//! Scores are reused only with the weights that made them ([`KeptSession::scores_for`]); with
//! any other model the records are scored again. Everything read back is untrusted (another
//! version of the page may have written it, or the storage may be damaged), so it is checked
//! before use and refused as a whole with a reason.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::protocol::Scored;
use crate::sequence::{FileProblem, SequenceRecord};
use crate::share::{MAX_PAYLOAD_BYTES, ViewState};

/// Format of the kept session; a different one is refused (and forgotten) rather than misread.
pub const FORMAT: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeptSession {
    pub format: u32,
    /// When it was written (ms since the Unix epoch, the browser's clock).
    pub saved_at_ms: f64,
    /// Checksum of the weights that made `scores`.
    pub weights_sha256: String,
    /// Their version tag, for the notice when the page's model differs.
    #[serde(default)]
    pub model_version: String,
    pub records: Vec<SequenceRecord>,
    #[serde(default)]
    pub file_problems: Vec<FileProblem>,
    /// Batch answers received, keyed by the record's index in `records`.
    #[serde(default)]
    pub scores: Vec<Scored>,
    #[serde(default)]
    pub view: ViewState,
}

/// Why a kept session cannot be offered back.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum KeptError {
    #[error("it was kept by another version of GenePheno Web (format {0})")]
    OtherFormat(u32),
    #[error("it is larger than GenePheno Web reads back ({} MB)", MAX_PAYLOAD_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("it is damaged: {0}")]
    Damaged(String),
}

impl KeptSession {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a kept session always serialises")
    }

    /// Reads what [`KeptSession::to_json`] wrote, checking that every score belongs to a record.
    pub fn from_json(json: &str) -> Result<Self, KeptError> {
        if json.len() as u64 > MAX_PAYLOAD_BYTES {
            return Err(KeptError::TooLarge);
        }
        #[derive(Deserialize)]
        struct Format {
            format: u32,
        }
        let format: Format = serde_json::from_str(json).map_err(|e| KeptError::Damaged(e.to_string()))?;
        if format.format != FORMAT {
            return Err(KeptError::OtherFormat(format.format));
        }
        let kept: KeptSession = serde_json::from_str(json).map_err(|e| KeptError::Damaged(e.to_string()))?;
        if let Some(score) = kept.scores.iter().find(|s| s.key as usize >= kept.records.len()) {
            return Err(KeptError::Damaged(format!(
                "a score is kept for record {} but only {} records are",
                score.key + 1,
                kept.records.len()
            )));
        }
        if let Some(score) = kept.scores.iter().find(|s| kept.records[s.key as usize].protein.is_none()) {
            return Err(KeptError::Damaged(format!("record {} has a score but no sequence", score.key + 1)));
        }
        Ok(kept)
    }

    /// The kept scores, if they were made by the weights `weights_sha256` (else none: the
    /// records are scored again).
    pub fn scores_for(&self, weights_sha256: &str) -> &[Scored] {
        if self.weights_sha256 == weights_sha256 { &self.scores } else { &[] }
    }

    /// Records that can be scored.
    pub fn scorable(&self) -> usize {
        self.records.iter().filter(|r| r.protein.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence::parse_all;

    fn kept() -> KeptSession {
        let records = parse_all("kept.fasta", b">a first\nMKTAYIAKQR\n>b\nMKT*AYIAKQR\n>c\nMVLSPADKTN\n").records;
        let score = |key| Scored {
            key,
            top: vec![(3, 0.5), (1, 0.25)],
            known: None,
            source: Default::default(),
            curated: Vec::new(),
            signals: Default::default(),
        };
        KeptSession {
            format: FORMAT,
            saved_at_ms: 1.7e12,
            weights_sha256: "ab".repeat(32),
            model_version: "genepheno-cnn-0/hpo/abababababab".into(),
            records,
            file_problems: vec![FileProblem { source_name: "x.pdf".into(), message: "not a text file".into() }],
            scores: vec![score(0), score(2)],
            view: ViewState { record: Some("c".into()), threshold: Some(0.3), ..ViewState::default() },
        }
    }

    #[test]
    fn round_trip_keeps_every_record_with_its_problems() {
        let k = kept();
        assert_eq!(k.records.len(), 3);
        assert!(k.records[1].protein.is_none() && !k.records[1].problems.is_empty(), "the bad record is kept too");
        let back = KeptSession::from_json(&k.to_json()).unwrap();
        assert_eq!(back, k);
        assert_eq!(back.scorable(), 2);
    }

    #[test]
    fn scores_are_reused_only_with_the_weights_that_made_them() {
        let k = kept();
        assert_eq!(k.scores_for(&"ab".repeat(32)).len(), 2);
        assert!(k.scores_for(&"cd".repeat(32)).is_empty());
    }

    #[test]
    fn damaged_or_foreign_sessions_are_refused_with_a_reason() {
        let mut k = kept();
        k.format = 2;
        assert_eq!(KeptSession::from_json(&k.to_json()), Err(KeptError::OtherFormat(2)));
        let mut k = kept();
        k.scores[1].key = 7;
        assert!(matches!(KeptSession::from_json(&k.to_json()), Err(KeptError::Damaged(m)) if m.contains("record 8")));
        let mut k = kept();
        k.scores[1].key = 1;
        assert!(matches!(KeptSession::from_json(&k.to_json()), Err(KeptError::Damaged(m)) if m.contains("no sequence")));
        let json = kept().to_json();
        assert!(matches!(KeptSession::from_json(&json[..json.len() / 2]), Err(KeptError::Damaged(_))));
    }
}

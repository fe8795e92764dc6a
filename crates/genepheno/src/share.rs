//! Share links: a result view that travels in the URL *fragment*, which browsers never send to a
//! server. The fragment carries the input sequences (as FASTA, so reopening goes through the very
//! same parser and validation as a dropped file), the model version that produced the view, and
//! the view state.
//!
//! Format: `s1.` followed by base64url (no padding) of zlib-compressed JSON. zlib's Adler-32
//! checksum catches a link that was cut or mistyped; everything decoded is treated as untrusted
//! input (sizes bounded, sequences re-validated by the caller's parser).

use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::LabelSet;

/// Prefix naming the encoding, so a later format can be told apart and refused clearly.
const PREFIX: &str = "s1.";

/// Longest fragment offered as a link (about 32 KB): longer ones break in mail clients and chat
/// tools, so the page offers a session file instead.
pub const MAX_LINK_CHARS: usize = 32 * 1024;

/// Largest decoded payload accepted from a link or a session file (guards against zip bombs).
pub const MAX_PAYLOAD_BYTES: u64 = 64 * 1024 * 1024;

/// A label set by name, or none when the name is not one.
fn known_label_set<'de, D: serde::Deserializer<'de>>(names: D) -> Result<Option<LabelSet>, D::Error> {
    Ok(Option::<String>::deserialize(names)?.and_then(|name| name.parse().ok()))
}

/// What the person viewing was looking at.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ViewState {
    /// Phenotype set. A name this version does not know (a link from a later one) is read as
    /// none, so the rest of the link still opens.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "known_label_set")]
    pub dataset: Option<LabelSet>,
    /// Identifier of the selected record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// Selected phenotype term (for the explanation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phenotype: Option<String>,
    /// Score threshold, when moved from the model's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f32>,
    /// Text filter over phenotype names and IDs.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub filter: String,
    /// Top-level system filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The list grouped by system.
    #[serde(default, skip_serializing_if = "is_false")]
    pub grouped: bool,
    /// Only the most specific predicted terms.
    #[serde(default, skip_serializing_if = "is_false")]
    pub specific_only: bool,
    /// Known-gene mode: the recognised gene's curated GO fed the phenotype layer.
    #[serde(default, skip_serializing_if = "is_false")]
    pub curated_go: bool,
    /// Sequence mode chosen for a recognised gene (which otherwise opens in known-gene mode).
    #[serde(default, skip_serializing_if = "is_false")]
    pub sequence_mode: bool,
    /// Ordered by lift over each term's prior (absent in links made before that order existed:
    /// those were ordered by score).
    #[serde(default, skip_serializing_if = "is_false")]
    pub lift_order: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Everything a link or a session file carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedSession {
    /// Version of the model that produced the view; a different one opens with a notice.
    pub model_version: String,
    /// The inputs, as FASTA text.
    pub fasta: String,
    #[serde(default)]
    pub view: ViewState,
}

/// Why a link or session file could not be opened. Worded for the person who clicked it.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ShareError {
    #[error("this link has no GenePheno session in it")]
    Missing,
    #[error("this link was made by a newer or unknown version of GenePheno Web (format '{0}'); open it with the version that made it")]
    UnknownFormat(String),
    #[error("this link is damaged: character {position} is not allowed in a link; it may have been cut or altered when copied")]
    BadCharacter { position: usize },
    #[error("this link is damaged or incomplete (its checksum does not match); ask for the link again, or for a session file")]
    Corrupt,
    #[error("this link holds more data than GenePheno Web opens ({} MB)", MAX_PAYLOAD_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("this link's contents are not a GenePheno session: {0}")]
    Malformed(String),
}

impl SharedSession {
    /// Encodes the session as the fragment of a link (without the leading `#`).
    pub fn to_fragment(&self) -> String {
        let json = serde_json::to_vec(self).expect("a session always serialises");
        let mut zlib = ZlibEncoder::new(Vec::new(), Compression::best());
        zlib.write_all(&json).expect("writing to memory");
        let packed = zlib.finish().expect("writing to memory");
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(packed))
    }

    /// Whether the fragment is short enough to share as a link.
    pub fn fits_in_link(fragment: &str) -> bool {
        fragment.len() <= MAX_LINK_CHARS
    }

    /// Decodes a link fragment (with or without the leading `#`).
    pub fn from_fragment(fragment: &str) -> Result<Self, ShareError> {
        let fragment = fragment.trim().trim_start_matches('#');
        if fragment.is_empty() {
            return Err(ShareError::Missing);
        }
        let Some(body) = fragment.strip_prefix(PREFIX) else {
            let format: String = fragment.chars().take_while(|c| *c != '.').take(12).collect();
            return Err(ShareError::UnknownFormat(format));
        };
        if let Some(i) = body.bytes().position(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_')) {
            return Err(ShareError::BadCharacter { position: PREFIX.len() + i + 1 });
        }
        let packed = URL_SAFE_NO_PAD.decode(body).map_err(|_| ShareError::Corrupt)?;
        let mut json = Vec::new();
        ZlibDecoder::new(packed.as_slice())
            .take(MAX_PAYLOAD_BYTES + 1)
            .read_to_end(&mut json)
            .map_err(|_| ShareError::Corrupt)?;
        if json.len() as u64 > MAX_PAYLOAD_BYTES {
            return Err(ShareError::TooLarge);
        }
        Self::from_json(&json)
    }

    /// Session file contents (for inputs too large for a link): plain JSON, readable by people.
    pub fn to_file(&self) -> String {
        serde_json::to_string_pretty(self).expect("a session always serialises")
    }

    /// Reads a session file written by [`SharedSession::to_file`].
    pub fn from_file(bytes: &[u8]) -> Result<Self, ShareError> {
        if bytes.len() as u64 > MAX_PAYLOAD_BYTES {
            return Err(ShareError::TooLarge);
        }
        Self::from_json(bytes)
    }

    fn from_json(json: &[u8]) -> Result<Self, ShareError> {
        let session: SharedSession =
            serde_json::from_slice(json).map_err(|e| ShareError::Malformed(e.to_string()))?;
        if let Some(t) = session.view.threshold {
            if !(0.0..=1.0).contains(&t) {
                return Err(ShareError::Malformed(format!("threshold {t} is outside 0 to 1")));
            }
        }
        Ok(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> SharedSession {
        SharedSession {
            model_version: "hpo-2026.11.1".into(),
            fasta: ">sp|P69905|HBA_HUMAN Hemoglobin subunit alpha\nMVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHF\n".into(),
            view: ViewState {
                dataset: Some(LabelSet::Hpo),
                record: Some("sp|P69905|HBA_HUMAN".into()),
                phenotype: Some("HP:0001903".into()),
                threshold: Some(0.25),
                filter: "anemia".into(),
                system: None,
                grouped: true,
                specific_only: false,
                curated_go: false,
                sequence_mode: true,
                lift_order: true,
            },
        }
    }

    #[test]
    fn round_trip_through_a_fragment_and_a_file() {
        let s = session();
        let fragment = s.to_fragment();
        assert!(fragment.starts_with("s1."));
        assert!(fragment.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
        assert_eq!(SharedSession::from_fragment(&fragment).unwrap(), s);
        assert_eq!(SharedSession::from_fragment(&format!("#{fragment}")).unwrap(), s);
        assert_eq!(SharedSession::from_file(s.to_file().as_bytes()).unwrap(), s);
    }

    #[test]
    fn a_label_set_this_version_does_not_know_leaves_the_rest_of_the_link_open() {
        let file = session().to_file().replace("\"dataset\": \"hpo\"", "\"dataset\": \"orphanet\"");
        assert!(file.contains("orphanet"), "the session file names its label set: {file}");
        let opened = SharedSession::from_file(file.as_bytes()).unwrap();
        assert_eq!(opened.view.dataset, None);
        assert_eq!(opened.view.record, session().view.record);
    }

    #[test]
    fn damaged_links_are_refused_with_a_reason() {
        let fragment = session().to_fragment();
        assert_eq!(SharedSession::from_fragment(""), Err(ShareError::Missing));
        assert_eq!(
            SharedSession::from_fragment("s9.AAAA"),
            Err(ShareError::UnknownFormat("s9".into()))
        );
        let cut = &fragment[..fragment.len() - 10];
        assert_eq!(SharedSession::from_fragment(cut), Err(ShareError::Corrupt));
        let mut flipped = fragment.clone().into_bytes();
        let i = flipped.len() / 2;
        flipped[i] = if flipped[i] == b'A' { b'B' } else { b'A' };
        assert!(SharedSession::from_fragment(std::str::from_utf8(&flipped).unwrap()).is_err());
        let spaced = format!("{} {}", &fragment[..10], &fragment[10..]);
        assert_eq!(
            SharedSession::from_fragment(&spaced),
            Err(ShareError::BadCharacter { position: 11 })
        );
    }

    #[test]
    fn well_formed_but_wrong_contents_are_refused() {
        let mut s = session();
        s.view.threshold = Some(7.0);
        assert!(matches!(
            SharedSession::from_fragment(&s.to_fragment()),
            Err(ShareError::Malformed(m)) if m.contains("threshold 7")
        ));
        let not_a_session = {
            let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
            z.write_all(b"[1,2,3]").unwrap();
            format!("s1.{}", URL_SAFE_NO_PAD.encode(z.finish().unwrap()))
        };
        assert!(matches!(SharedSession::from_fragment(&not_a_session), Err(ShareError::Malformed(_))));
    }

    #[test]
    fn a_compression_bomb_is_refused() {
        let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..(MAX_PAYLOAD_BYTES / (1 << 20) + 1) {
            z.write_all(&zeros).unwrap();
        }
        let fragment = format!("s1.{}", URL_SAFE_NO_PAD.encode(z.finish().unwrap()));
        assert_eq!(SharedSession::from_fragment(&fragment), Err(ShareError::TooLarge));
    }

    #[test]
    fn link_size_policy() {
        assert!(SharedSession::fits_in_link(&session().to_fragment()));
        // A protein costs about 0.7 link characters per residue (4.3 bits of entropy per
        // residue, base64): dozens of proteins fit, 150 typical ones (75,000 residues) do not.
        let mut s = session();
        let mut state = 12345u32;
        s.fasta = (0..150)
            .map(|i| {
                let residues: String = (0..500)
                    .map(|_| {
                        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        b"ACDEFGHIKLMNPQRSTVWY"[(state >> 16) as usize % 20] as char
                    })
                    .collect();
                format!(">p{i}\n{residues}\n")
            })
            .collect();
        assert!(!SharedSession::fits_in_link(&s.to_fragment()));
    }
}

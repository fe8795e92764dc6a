//! Scoring one planned batch in the chosen mode.
//!
//! Sequence mode runs the encoder on the batch's proteins; known-gene mode looks each protein up
//! in the model's reference set (exact or near-exact match to a known human protein, the page's
//! rule) and feeds the gene's curated GO concepts to the phenotype layer; auto mode does the
//! latter for recognised genes and the former for the rest. A batch's result depends only on the
//! batch, never on the thread that scored it, so the output is the same for any thread count.

use genepheno::model::{Prediction, Predictor};
use genepheno::reference::{Identification, ReferenceSet};

/// How records are scored (`--mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// A recognised known human gene is scored from its curated GO, any other protein from its
    /// sequence (the page's rule).
    Auto,
    /// Every protein from its sequence (GO concepts predicted by the encoder).
    Sequence,
    /// Only recognised known human genes, from their curated GO; other records are reported and
    /// not scored.
    KnownGene,
}

/// What scored one record (the `mode` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoredBy {
    Sequence,
    KnownGene,
}

impl ScoredBy {
    pub fn label(self) -> &'static str {
        match self {
            ScoredBy::Sequence => "sequence",
            ScoredBy::KnownGene => "known-gene",
        }
    }
}

/// The known gene a protein was recognised as.
#[derive(Clone, Debug, PartialEq)]
pub struct Recognised {
    pub gene: usize,
    pub exact: bool,
    /// Estimated identity in percent (100 for an exact match).
    pub identity: f32,
}

/// One record's outcome.
pub enum Scored {
    Done { by: ScoredBy, known: Option<Recognised>, prediction: Prediction },
    /// Not scored in this mode (the reason names what to do).
    Refused(String),
}

/// Scores the proteins of one batch (in batch order).
pub fn score_batch(
    predictor: &Predictor,
    reference: Option<&ReferenceSet>,
    mode: Mode,
    proteins: &[&[u8]],
) -> anyhow::Result<Vec<Scored>> {
    let known: Vec<Option<Recognised>> = match (mode, reference) {
        (Mode::Sequence, _) | (_, None) => vec![None; proteins.len()],
        (_, Some(reference)) => proteins.iter().map(|p| recognise(reference, p)).collect(),
    };
    // Known genes from their curated GO, in one call.
    let rows: Vec<Vec<f32>> = match reference {
        Some(reference) if mode != Mode::Sequence => known
            .iter()
            .flatten()
            .map(|k| reference.concept_vector(k.gene, predictor.metadata().concepts.len()))
            .collect(),
        _ => Vec::new(),
    };
    let mut from_go = pollster::block_on(predictor.predict_from_concepts(&rows))?.into_iter();
    // The others from their sequence, in one call (not in known-gene mode).
    let by_sequence: Vec<&[u8]> = if mode == Mode::KnownGene {
        Vec::new()
    } else {
        proteins.iter().zip(&known).filter(|(_, k)| k.is_none()).map(|(p, _)| *p).collect()
    };
    let mut from_sequence = pollster::block_on(predictor.predict(&by_sequence))?.into_iter();
    let mut out = Vec::with_capacity(proteins.len());
    for known in known {
        out.push(match known {
            Some(known) => Scored::Done { by: ScoredBy::KnownGene, prediction: from_go.next().expect("one row per known gene"), known: Some(known) },
            None if mode == Mode::KnownGene => Scored::Refused(
                "not a known human gene (no exact or near-exact match among the model's reference proteins), so it has no curated GO: \
                 use --mode auto or --mode sequence to score it from its sequence"
                    .into(),
            ),
            None => Scored::Done { by: ScoredBy::Sequence, prediction: from_sequence.next().expect("one prediction per protein"), known: None },
        });
    }
    Ok(out)
}

fn recognise(reference: &ReferenceSet, protein: &[u8]) -> Option<Recognised> {
    reference.identify(protein).map(|found| match found {
        Identification::Exact { gene } => Recognised { gene, exact: true, identity: 100.0 },
        Identification::NearExact { gene, similarity, .. } => {
            Recognised { gene, exact: false, identity: similarity.estimated_identity.unwrap_or(0.0) * 100.0 }
        }
    })
}

//! Which stretches of a protein raise or lower one score: occlusion. Each stretch of residues
//! is taken out in turn, keeping its place (the encoder reads it as it reads padding), and the
//! protein scored again; a stretch's effect is the score of the whole protein minus the score
//! without it. Positive: these residues raise the score; negative: they lower it. (Replacing
//! the stretch by X instead was tried first: the model reads X as a signal of its own, and
//! every stretch then seemed to raise a concept's activation from 0.73 to about 0.1.)
//!
//! Occlusion asks the model itself, so the map is faithful by construction (what it shows is
//! what masking does), works for proteins of any length (windows are the model's business, the
//! stretches are in residue numbers of the whole protein), and needs no gradients in the
//! browser. The stretch size grows with the protein, so that there are about [`STRETCHES`]
//! whatever the length; each masked stretch re-encodes only the residues near it (the
//! encoder's receptive field), so a map costs about one pass over the protein plus one over
//! each stretch's neighbourhood, not a pass over the protein per stretch.
//!
//! This module is the layout and the reading of the map (shared by worker, page and tests);
//! the passes themselves are `model::inference::Predictor::regions`.

use serde::{Deserialize, Serialize};

/// About this many stretches per protein (one forward pass each).
pub const STRETCHES: usize = 100;
/// The finest step between stretches, in residues.
pub const MIN_STEP: usize = 5;

/// Where the stretches lie: each `width` residues long, one every `step` residues (so each
/// residue is in about `width / step` of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    pub step: usize,
    pub width: usize,
}

impl Layout {
    /// The layout for a protein of `len` residues: about [`STRETCHES`] stretches, each twice
    /// the step long.
    pub fn for_length(len: usize) -> Self {
        let step = len.div_ceil(STRETCHES).max(MIN_STEP);
        Layout { step, width: 2 * step }
    }

    /// The stretches as `(start, end)` residue ranges (0-based, end exclusive) covering every
    /// residue of a protein of `len`.
    pub fn stretches(&self, len: usize) -> Vec<(usize, usize)> {
        if len == 0 {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut start = 0;
        loop {
            let end = (start + self.width).min(len);
            out.push((start, end));
            if end == len {
                return out;
            }
            start += self.step;
        }
    }
}

/// One stretch and its effect on the score.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stretch {
    /// 0-based, end exclusive.
    pub start: usize,
    pub end: usize,
    /// Score of the whole protein minus its score with this stretch taken out.
    pub effect: f32,
}

impl Stretch {
    /// Residue numbers as people write them: `first..=last`, 1-based.
    pub fn residues(&self) -> (usize, usize) {
        (self.start + 1, self.end)
    }
}

/// The occlusion map of one score over one protein.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegionMap {
    /// Residues in the protein.
    pub length: usize,
    /// The score of the whole protein.
    pub score: f32,
    pub layout: Layout,
    /// Every stretch of `layout` in order, with its effect.
    pub stretches: Vec<Stretch>,
}

impl RegionMap {
    /// Puts a map together from the whole protein's score and the score with each stretch of
    /// `layout` masked (in stretch order).
    pub fn new(length: usize, score: f32, layout: Layout, masked: &[f32]) -> Self {
        let stretches = layout
            .stretches(length)
            .into_iter()
            .zip(masked)
            .map(|((start, end), m)| Stretch { start, end, effect: score - m })
            .collect();
        RegionMap { length, score, layout, stretches }
    }

    /// Per residue: the mean effect of the stretches that cover it.
    pub fn per_residue(&self) -> Vec<f32> {
        let mut sum = vec![0f32; self.length];
        let mut count = vec![0u32; self.length];
        for s in &self.stretches {
            for i in s.start..s.end.min(self.length) {
                sum[i] += s.effect;
                count[i] += 1;
            }
        }
        sum.iter().zip(&count).map(|(s, &c)| if c == 0 { 0.0 } else { s / c as f32 }).collect()
    }

    /// Up to `k` stretches that do not overlap, strongest first: those that raise the score
    /// most (`raising`) or lower it most; stretches without effect in that direction are left out.
    pub fn strongest(&self, k: usize, raising: bool) -> Vec<Stretch> {
        let mut order: Vec<&Stretch> =
            self.stretches.iter().filter(|s| if raising { s.effect > 0.0 } else { s.effect < 0.0 }).collect();
        order.sort_by(|a, b| b.effect.abs().total_cmp(&a.effect.abs()).then(a.start.cmp(&b.start)));
        let mut chosen: Vec<Stretch> = Vec::new();
        for s in order {
            if chosen.len() == k {
                break;
            }
            if chosen.iter().all(|c| s.end <= c.start || c.end <= s.start) {
                chosen.push(*s);
            }
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretches_cover_every_residue_about_twice_and_end_at_the_protein_end() {
        for len in [1, 7, 10, 11, 99, 500, 1000, 1001, 34_350] {
            let layout = Layout::for_length(len);
            let stretches = layout.stretches(len);
            assert!(stretches.len() <= STRETCHES + 2, "{len}: {} stretches", stretches.len());
            assert_eq!(stretches.first().unwrap().0, 0);
            assert_eq!(stretches.last().unwrap().1, len);
            let mut cover = vec![0; len];
            for (a, b) in &stretches {
                assert!(a < b && *b <= len);
                cover[*a..*b].iter_mut().for_each(|c| *c += 1);
            }
            assert!(cover.iter().all(|&c| c >= 1), "{len}: every residue is masked at least once");
        }
        assert_eq!(Layout::for_length(1000), Layout { step: 10, width: 20 });
        assert_eq!(Layout::for_length(120), Layout { step: 5, width: 10 });
    }

    #[test]
    fn the_map_reads_effects_per_residue_and_its_strongest_stretches() {
        let layout = Layout { step: 5, width: 10 };
        // 30 residues: stretches 0-10, 5-15, 10-20, 15-25, 20-30.
        let map = RegionMap::new(30, 0.8, layout, &[0.8, 0.5, 0.6, 0.8, 0.9]);
        let effects: Vec<f32> = map.stretches.iter().map(|s| s.effect).collect();
        assert_eq!(effects.iter().map(|e| (e * 100.0).round() as i32).collect::<Vec<_>>(), vec![0, 30, 20, 0, -10]);
        let per = map.per_residue();
        assert_eq!(per.len(), 30);
        assert!((per[12] - 0.25).abs() < 1e-6, "residue 13 is in stretches 5-15 and 10-20");
        assert!((per[27] + 0.1).abs() < 1e-6);
        // 5-15 raises most; 10-20 overlaps it, so the next one chosen does not.
        let up = map.strongest(3, true);
        assert_eq!(up.iter().map(|s| (s.start, s.end)).collect::<Vec<_>>(), vec![(5, 15)]);
        assert_eq!(up[0].residues(), (6, 15));
        assert_eq!(map.strongest(3, false).iter().map(|s| s.start).collect::<Vec<_>>(), vec![20]);
    }
}

//! The shipped HPO model (public/models) on real human proteins: the folded stem that
//! `Predictor` scores with gives the convolution's scores, so the figures in docs/RESULTS.md
//! (computed before the fold existed) still describe what the app shows.
#![cfg(feature = "model")]

use genepheno::model::burn::prelude::*;
use genepheno::model::burn::tensor::activation::sigmoid;
use genepheno::model::{ModelMetadata, SequenceBatch, store};

mod common;
use common::{human_proteins, root};

fn values(t: Tensor<2>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

#[test]
fn the_folded_stem_scores_real_proteins_like_the_convolution() {
    let models = root().join("public/models");
    let meta: ModelMetadata = serde_json::from_slice(&std::fs::read(models.join("hpo.json")).unwrap()).unwrap();
    let weights = std::fs::read(models.join(&meta.weights_file)).unwrap();
    let device = Device::flex();
    let model = store::load_checked_dequantized(&meta, weights, &device).unwrap();
    let folded = model.fold_stem();
    let proteins = human_proteins(48);
    let mut worst = 0f32;
    for chunk in proteins.chunks(16) {
        let sequences: Vec<&[u8]> = chunk.iter().map(|p| p.as_bytes()).collect();
        let batch = SequenceBatch::new(&sequences, meta.config.window, &device);
        let plain = model.concept_logits(&batch);
        let fast = model.concept_logits_with(&batch, Some(&folded));
        let scores = |logits: Tensor<2>| values(model.phenotype_logits(sigmoid(logits)));
        let (a, b) = (scores(plain.clone()), scores(fast.clone()));
        worst = a.iter().zip(&b).fold(worst, |m, (x, y)| m.max((x - y).abs()));
        let (a, b) = (values(plain), values(fast));
        worst = a.iter().zip(&b).fold(worst, |m, (x, y)| m.max((x - y).abs()));
    }
    // Logits, not probabilities: a difference here bounds the difference of every score.
    assert!(worst < 1e-4, "largest logit difference {worst}");
    eprintln!("shipped model, 48 real proteins: largest logit difference folded vs convolution {worst:.2e}");
}

/// `Predictor` on the CPU runs the encoder on host buffers (`model::encoder::cpu`), not through
/// tensors: on real proteins, one window or several, its concept activations are the
/// convolution's (the tensor path the trainer and WebGPU take), batch by batch as the page
/// makes them.
#[test]
fn the_cpu_predictor_scores_real_proteins_like_the_tensor_model() {
    use genepheno::model::Predictor;
    let models = root().join("public/models");
    let meta: ModelMetadata = serde_json::from_slice(&std::fs::read(models.join("hpo.json")).unwrap()).unwrap();
    let weights = std::fs::read(models.join(&meta.weights_file)).unwrap();
    let device = Device::flex();
    let model = store::load_checked_dequantized(&meta, weights, &device).unwrap();
    let predictor = Predictor::from_model(model.clone(), meta.clone(), &device).unwrap();
    let proteins = human_proteins(64);
    assert!(proteins.iter().any(|p| p.len() > meta.config.window), "a protein longer than the window");
    let mut worst = 0f32;
    for chunk in proteins.chunks(16) {
        let sequences: Vec<&[u8]> = chunk.iter().map(|p| p.as_bytes()).collect();
        let batch = SequenceBatch::new(&sequences, meta.config.window, &device);
        let tensors = values(sigmoid(model.concept_logits(&batch)));
        let predicted: Vec<f32> =
            pollster::block_on(predictor.predict(&sequences)).unwrap().into_iter().flat_map(|p| p.concepts).collect();
        assert_eq!(predicted.len(), tensors.len());
        worst = predicted.iter().zip(&tensors).fold(worst, |m, (x, y)| m.max((x - y).abs()));
    }
    assert!(worst < 1e-5, "largest concept difference {worst}");
}

/// The residue map (issue 15) is faithful on real proteins: masking the three stretches it
/// names as raising a phenotype's score most lowers that score more than masking three random
/// stretches of the same sizes; and a protein longer than the model's window is mapped in its
/// own residue numbers.
#[test]
fn masking_the_stretches_the_residue_map_names_lowers_the_score_more_than_random_stretches() {
    use genepheno::model::{Predictor, Scoring};
    let models = root().join("public/models");
    let meta: ModelMetadata = serde_json::from_slice(&std::fs::read(models.join("hpo.json")).unwrap()).unwrap();
    let weights = std::fs::read(models.join(&meta.weights_file)).unwrap();
    let window = meta.config.window;
    let device = Device::flex();
    let predictor = Predictor::new(meta, weights, &device).unwrap();
    // Every 40th human protein of 100 to 1,500 residues: different families, one window or several.
    let proteins: Vec<String> =
        human_proteins(2_000).into_iter().step_by(40).filter(|p| (100..=1_500).contains(&p.len())).take(8).collect();
    assert!(proteins.iter().any(|p| p.len() > window), "a protein longer than the window ({window})");
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |bound: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % bound as u64) as usize
    };
    let score_of = |residues: &[u8], phenotype: usize| pollster::block_on(predictor.predict(&[residues])).unwrap()[0].phenotypes[phenotype];
    let (mut top_total, mut random_total, mut wins) = (0f32, 0f32, 0);
    for protein in &proteins {
        let residues = protein.as_bytes();
        let whole = pollster::block_on(predictor.predict(&[residues])).unwrap().remove(0);
        // The best-scored phenotype that is not saturated (a score near 1 barely moves).
        let phenotype = (0..whole.phenotypes.len())
            .filter(|&i| whole.phenotypes[i] < 0.95)
            .max_by(|&a, &b| whole.phenotypes[a].total_cmp(&whole.phenotypes[b]))
            .unwrap();
        let map = pollster::block_on(predictor.regions(residues, &[Scoring::Phenotype(phenotype)])).unwrap().remove(0);
        assert_eq!(map.length, residues.len());
        assert!((map.score - whole.phenotypes[phenotype]).abs() < 1e-6);
        let top = map.strongest(3, true);
        let masked = |stretches: &[(usize, usize)]| {
            let mut m = residues.to_vec();
            for &(a, b) in stretches {
                m[a..b].fill(genepheno::model::tokens::GAP);
            }
            m
        };
        let top_ranges: Vec<(usize, usize)> = top.iter().map(|s| (s.start, s.end)).collect();
        let top_drop = map.score - score_of(&masked(&top_ranges), phenotype);
        // Random stretches of the same sizes, not overlapping one another.
        let mut random_drop = 0f32;
        const DRAWS: usize = 12;
        for _ in 0..DRAWS {
            let mut ranges: Vec<(usize, usize)> = Vec::new();
            for &(a, b) in &top_ranges {
                loop {
                    let start = next(residues.len() - (b - a) + 1);
                    let range = (start, start + b - a);
                    if ranges.iter().all(|r| range.1 <= r.0 || r.1 <= range.0) {
                        ranges.push(range);
                        break;
                    }
                }
            }
            random_drop += map.score - score_of(&masked(&ranges), phenotype);
        }
        random_drop /= DRAWS as f32;
        top_total += top_drop;
        random_total += random_drop;
        wins += usize::from(top_drop > random_drop);
        eprintln!(
            "{} residues, phenotype {phenotype} score {:.3}: masking the map's top 3 stretches {top_ranges:?} lowers it by {top_drop:.4}, random stretches of the same sizes by {random_drop:.4}",
            residues.len(),
            map.score
        );
        if residues.len() > window {
            // The last stretch lies in the last window: its effect is what masking those very
            // residues of the whole protein does.
            let last = *map.stretches.last().unwrap();
            assert_eq!(last.end, residues.len());
            let direct = map.score - score_of(&masked(&[(last.start, last.end)]), phenotype);
            assert!((last.effect - direct).abs() < 1e-5, "last stretch {last:?}, direct {direct}");
        }
    }
    let n = proteins.len() as f32;
    eprintln!(
        "{} proteins: mean drop from the map's top stretches {:.4}, from random stretches {:.4}; top beats random for {wins}",
        proteins.len(),
        top_total / n,
        random_total / n
    );
    assert!(top_total > 2.0 * random_total.max(0.0), "top {top_total}, random {random_total}");
    assert!(wins * 10 >= proteins.len() * 9, "top stretches beat random ones for {wins} of {} proteins", proteins.len());
}

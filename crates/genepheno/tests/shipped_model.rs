//! The shipped HPO model (public/models) on real human proteins: the folded stem that
//! `Predictor` scores with gives the convolution's scores, so the figures in docs/RESULTS.md
//! (computed before the fold existed) still describe what the app shows.
#![cfg(feature = "model")]

use std::io::Read;
use std::path::Path;

use genepheno::model::burn::prelude::*;
use genepheno::model::burn::tensor::activation::sigmoid;
use genepheno::model::{ModelMetadata, SequenceBatch, store};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The first `n` proteins of data/genes.tsv.gz (one Swiss-Prot protein per human gene).
fn human_proteins(n: usize) -> Vec<String> {
    let file = std::fs::File::open(root().join("data/genes.tsv.gz")).expect("data/genes.tsv.gz is committed");
    let mut text = String::new();
    flate2::read::GzDecoder::new(file).read_to_string(&mut text).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let column = header.iter().position(|c| *c == "sequence").expect("a sequence column");
    lines.take(n).map(|l| l.split('\t').nth(column).unwrap().to_string()).collect()
}

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

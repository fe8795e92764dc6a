//! Data-driven tests of the reference set on the committed data (all 17,283 human proteins) and the
//! shipped model metadata, plus the measurement that chose the sketch shape (`#[ignore]`d; run with
//! `cargo test --release -p genepheno-cli reference -- --ignored --nocapture`).

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use genepheno::reference::{Identification, ReferenceSet, SketchParams};

use super::*;
use crate::data::dataset::SplitKind;
use crate::rng::SplitMix64;
use crate::task::{ConceptChoice, Task};

const AMINO: &[u8] = b"ACDEFGHIKLMNPQRSTVWY";

/// A way of changing a protein (for the measurements).
type Mutation = Box<dyn Fn(&[u8], &mut SplitMix64) -> Vec<u8>>;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn hpo_meta() -> ModelMetadata {
    read_metadata(&root().join("public/models/hpo.json")).unwrap()
}

/// The HPO input, its encoding and the decoded set, built once for all tests.
fn hpo() -> &'static (ReferenceInput, Stats, Vec<u8>, ReferenceSet) {
    static CELL: OnceLock<(ReferenceInput, Stats, Vec<u8>, ReferenceSet)> = OnceLock::new();
    CELL.get_or_init(|| {
        let (input, stats) = build_input(&root().join("data"), &hpo_meta(), SketchParams::DEFAULT).unwrap();
        let bytes = ReferenceSet::encode(&input).unwrap();
        let set = ReferenceSet::decode(&bytes).unwrap();
        (input, stats, bytes, set)
    })
}

/// `rate` of the residues (at least one) replaced by a different standard amino acid.
fn substitute(seq: &[u8], rate: f64, rng: &mut SplitMix64) -> Vec<u8> {
    let mut out = seq.to_vec();
    let mut positions: Vec<usize> = (0..seq.len()).collect();
    rng.shuffle(&mut positions);
    let n = ((seq.len() as f64 * rate).round() as usize).max(1);
    for &p in &positions[..n] {
        let old = out[p];
        loop {
            let new = AMINO[(rng.next_u64() % 20) as usize];
            if new != old {
                out[p] = new;
                break;
            }
        }
    }
    out
}

/// A contiguous `keep` share of the protein at a random offset (N- and C-terminal loss mixed).
fn truncate(seq: &[u8], keep: f64, rng: &mut SplitMix64) -> Vec<u8> {
    let n = ((seq.len() as f64 * keep).round() as usize).max(1);
    let start = (rng.next_u64() % (seq.len() - n + 1) as u64) as usize;
    seq[start..start + n].to_vec()
}

fn sample(n: usize, of: usize, seed: u64) -> Vec<usize> {
    let mut all: Vec<usize> = (0..of).collect();
    SplitMix64::new(seed).shuffle(&mut all);
    all.truncate(n);
    all
}

fn sequence_of<'a>(input: &'a ReferenceInput, set: &ReferenceSet, gene: usize) -> &'a [u8] {
    let entrez = set.gene(gene).entrez;
    input.genes.iter().find(|g| g.entrez == entrez).unwrap().sequence.as_bytes()
}

#[test]
fn hpo_reference_holds_every_human_protein_and_is_deterministic() {
    let (input, stats, bytes, set) = hpo();
    // Every human protein of the datasets, plus the proteins several genes share.
    assert!(stats.shared_proteins > 100, "{stats:?}");
    assert_eq!(set.len(), 17_283 + stats.shared_proteins);
    assert_eq!(stats.genes, set.len());
    let data = Dataset::load(&root().join("data"), DatasetKind::Hpo).unwrap();
    assert_eq!(stats.in_dataset, data.genes.len());
    assert_eq!(stats.parts, [data.homology.train.len(), data.homology.valid.len(), data.homology.test.len()]);
    assert!(stats.with_concepts > 15_000, "{stats:?}");
    assert_eq!(stats.with_phenotypes, data.genes.len(), "every HPO gene has at least one scored label");
    assert_eq!(&ReferenceSet::encode(input).unwrap(), bytes, "byte-identical on rerun");
    assert!(bytes.len() <= 1_500_000, "{} bytes", bytes.len());
    let meta = hpo_meta();
    let h = set.header();
    assert_eq!((h.concepts as usize, h.phenotypes as usize), (meta.concepts.len(), meta.phenotypes.len()));
    // TP53 is a test-free, well-known gene: its record is what the data says.
    let tp53 = set.gene(set.find_entrez(7157).unwrap());
    assert_eq!((tp53.symbol.as_str(), tp53.uniprot.as_str(), tp53.length), ("TP53", "P04637", 393));
    assert!(!tp53.phenotypes.is_empty() && !tp53.concepts.is_empty());
}

/// Hemoglobin alpha (P69905) is one protein of two genes, HBA1 and HBA2: the datasets keep one
/// gene per protein, so neither is a dataset gene, yet the reference recognises the protein, names
/// both, and carries their curated phenotypes (alpha thalassemia: microcytic anemia).
#[test]
fn a_protein_of_several_genes_names_them_all() {
    let (input, _, _, set) = hpo();
    let hba = input.genes.iter().find(|g| g.uniprot == "P69905").expect("hemoglobin alpha is in the reference");
    let Some(Identification::Exact { gene }) = set.identify(hba.sequence.as_bytes()) else { panic!("not an exact match") };
    let known = set.gene(gene);
    assert_eq!((known.symbol.as_str(), known.entrez), ("HBA1", 3039));
    let others: Vec<(&str, u32)> = known.same_protein.iter().map(|g| (g.symbol.as_str(), g.entrez)).collect();
    assert_eq!(others, vec![("HBA2", 3040)]);
    assert_eq!(known.split, SplitPart::NotInDataset);
    assert!(!known.concepts.is_empty());
    let meta = hpo_meta();
    let names: Vec<&str> = known.phenotypes.iter().map(|&p| meta.phenotypes[p as usize].name.as_str()).collect();
    assert!(names.iter().any(|n| n.contains("nemia")), "{names:?}");
    // The genes of a shared protein are never entries of their own.
    assert!(set.find_entrez(3040).is_none());
}

#[test]
fn every_known_protein_identifies_itself_exactly() {
    let (input, _, _, set) = hpo();
    let start = Instant::now();
    for g in &input.genes {
        let want = set.find_entrez(g.entrez).unwrap();
        assert_eq!(set.identify(g.sequence.as_bytes()), Some(Identification::Exact { gene: want }), "{}", g.symbol);
    }
    eprintln!("identify, {} exact queries: {:?}", input.genes.len(), start.elapsed());
}

#[test]
fn mutated_copies_are_recognised_near_exact_with_the_right_gene() {
    let (input, _, _, set) = hpo();
    let mut rng = SplitMix64::new(11);
    let genes = sample(500, set.len(), 1);
    // A call to another gene is wrong; within a family of near-identical paralogues (KRTAP2,
    // GAGE, USP17L) it is flagged as ambiguous ("N other close genes too"), which tells the user.
    let (mut right, mut wrong, mut flagged) = (0, 0, 0);
    for &g in &genes {
        let variant = substitute(sequence_of(input, set, g), 0.01, &mut rng);
        match set.identify(&variant) {
            Some(Identification::NearExact { gene, .. }) if gene == g => right += 1,
            Some(Identification::Exact { .. }) => panic!("a changed protein cannot be exact"),
            Some(Identification::NearExact { gene, others_near_exact, .. }) => {
                eprintln!("{} (1 % changed) called as {} ({others_near_exact} other close genes)", set.gene(g).symbol, set.gene(gene).symbol);
                if others_near_exact > 0 { flagged += 1 } else { wrong += 1 }
            }
            None => {}
        }
    }
    assert!(right >= 485, "1 % substitutions: {right}/500 recognised");
    assert!(wrong <= 2, "1 % substitutions: {wrong}/500 called as another gene without a flag");
    assert!(flagged <= 5, "1 % substitutions: {flagged}/500 called as a flagged close paralogue");
}

#[test]
fn shuffled_proteins_are_not_identified() {
    let (input, _, _, set) = hpo();
    let mut rng = SplitMix64::new(12);
    for g in sample(500, set.len(), 2) {
        let mut shuffled = sequence_of(input, set, g).to_vec();
        rng.shuffle(&mut shuffled);
        assert_eq!(set.identify(&shuffled), None, "shuffled {}", set.gene(g).symbol);
    }
}

#[test]
fn the_file_refuses_another_model() {
    let (_, _, bytes, _) = hpo();
    let meta = hpo_meta();
    assert!(ReferenceSet::decode_for_model(bytes, &meta.weights_sha256, "hpo").is_ok());
    let mut other = meta.weights_sha256.clone().into_bytes();
    other[0] = if other[0] == b'0' { b'1' } else { b'0' };
    let err = ReferenceSet::decode_for_model(bytes, std::str::from_utf8(&other).unwrap(), "hpo").unwrap_err();
    assert!(matches!(err, genepheno::reference::ReferenceError::WrongModel { .. }), "{err}");
    assert!(ReferenceSet::decode_for_model(bytes, &meta.weights_sha256, "mp").is_err());
}

/// The known-gene mode of the app must feed exactly what `genepheno eval` fed
/// (`Task::concept_row`), and show exactly the dataset's labels (`Task::label_row`).
#[test]
fn concept_vectors_equal_the_evaluation_known_gene_rows() {
    for kind in [DatasetKind::Hpo, DatasetKind::Mp] {
        let data = Dataset::load(&root().join("data"), kind).unwrap();
        let task = Task::new(data, SplitKind::Homology, &ConceptChoice::default()).unwrap();
        let mut meta = task.metadata(hpo_meta().config, "test");
        meta.weights_sha256 = "00".repeat(32);
        let (input, _) = build_input(&root().join("data"), &meta, SketchParams::DEFAULT).unwrap();
        let set = ReferenceSet::decode(&ReferenceSet::encode(&input).unwrap()).unwrap();
        let mut checked_without = 0;
        for g in sample(400, task.data.genes.len(), 3) {
            let gene = &task.data.genes[g];
            let i = set.find_entrez(gene.entrez).unwrap();
            assert_eq!(set.concept_vector(i, task.concept_count()), task.concept_row(g), "{kind:?} {}", gene.symbol);
            let labels: Vec<u32> = gene.labels.iter().map(|&l| l as u32).collect();
            assert_eq!(set.gene(i).phenotypes, labels, "{kind:?} {}", gene.symbol);
            // Without IMP/IGI: the closure of the other annotations, restricted to the concepts.
            let without = task.data.go_closed_without_phenotype_evidence(g);
            let want: Vec<f32> = task.concepts.iter().map(|t| f32::from(u8::from(without.binary_search(t).is_ok()))).collect();
            let got = set.concept_vector_without_phenotype_evidence(i, task.concept_count());
            assert_eq!(got, want, "{kind:?} {} without IMP/IGI", gene.symbol);
            checked_without += usize::from(got != set.concept_vector(i, task.concept_count()));
        }
        assert!(checked_without > 10, "{kind:?}: IMP/IGI-only concepts should matter for some genes");
    }
}

/// Recall of the true gene for mutated and truncated copies, false near-exact calls between
/// paralogues (checked against Smith-Waterman identity), size and speed, for several sketch
/// shapes. Prints a table; asserts nothing beyond running.
#[test]
#[ignore]
fn measure_sketch_choices() {
    let meta = hpo_meta();
    let shapes: Vec<SketchParams> = std::env::var("GP_SHAPES")
        .unwrap_or_else(|_| "5x32".into())
        .split(',')
        .map(|s| {
            let (k, b) = s.split_once('x').unwrap();
            SketchParams { k: k.parse().unwrap(), bins: b.parse().unwrap() }
        })
        .collect();
    let n: usize = std::env::var("GP_SAMPLE").ok().and_then(|s| s.parse().ok()).unwrap_or(2000);
    for params in shapes {
        let (input, _) = build_input(&root().join("data"), &meta, params).unwrap();
        let bytes = ReferenceSet::encode(&input).unwrap();
        let t = Instant::now();
        let set = ReferenceSet::decode(&bytes).unwrap();
        let decode = t.elapsed();
        println!("\n== k = {}, bins = {}: {} bytes, decode {decode:?}", params.k, params.bins, bytes.len());
        let genes = sample(n, set.len(), 7);
        let mut rng = SplitMix64::new(8);
        let cases: [(&str, Mutation); 5] = [
            ("1% subst", Box::new(|s, r| substitute(s, 0.01, r))),
            ("3% subst", Box::new(|s, r| substitute(s, 0.03, r))),
            ("5% subst", Box::new(|s, r| substitute(s, 0.05, r))),
            ("10% subst", Box::new(|s, r| substitute(s, 0.10, r))),
            ("20% truncation", Box::new(|s, r| truncate(s, 0.80, r))),
        ];
        for (name, mutate) in &cases {
            let (mut near, mut wrong, mut top1, mut top5) = (0, 0, 0, 0);
            let (mut t_identify, mut t_similar, mut worst) = (std::time::Duration::ZERO, std::time::Duration::ZERO, std::time::Duration::ZERO);
            for &g in &genes {
                let q = mutate(sequence_of(&input, &set, g), &mut rng);
                let t = Instant::now();
                let id = set.identify(&q);
                t_identify += t.elapsed();
                match id {
                    Some(found) if found.gene() == g => near += 1,
                    Some(found) => {
                        wrong += 1;
                        if wrong <= 4 {
                            println!("        {name}: {} called {}", set.gene(g).symbol, set.gene(found.gene()).symbol);
                        }
                    }
                    None => {}
                }
                let t = Instant::now();
                let similar = set.most_similar(&q, 5);
                let e = t.elapsed();
                t_similar += e;
                worst = worst.max(e);
                top1 += usize::from(similar.first().is_some_and(|s| s.gene == g));
                top5 += usize::from(similar.iter().any(|s| s.gene == g));
            }
            let pct = |x: usize| 100.0 * x as f64 / genes.len() as f64;
            println!(
                "{name:>15}: identify right {:.1}% wrong gene {:.2}% | most_similar top1 {:.1}% top5 {:.1}% | identify {:.1} µs/query, most_similar {:.1} µs/query (max {:?})",
                pct(near), pct(wrong), pct(top1), pct(top5),
                t_identify.as_secs_f64() * 1e6 / genes.len() as f64, t_similar.as_secs_f64() * 1e6 / genes.len() as f64, worst
            );
        }
        let mut shuffled_calls = 0;
        for &g in &genes {
            let mut s = sequence_of(&input, &set, g).to_vec();
            rng.shuffle(&mut s);
            shuffled_calls += usize::from(set.identify(&s).is_some());
        }
        println!("       shuffled: identified {shuffled_calls}/{}", genes.len());
        // Paralogues: each protein against all others (itself excluded).
        let t = Instant::now();
        let mut calls = Vec::new();
        for g in 0..set.len() {
            let q = sequence_of(&input, &set, g);
            if let Some(other) = set.most_similar(q, 2).into_iter().find(|s| s.gene != g && s.similarity.is_near_exact()) {
                calls.push((g, other));
            }
        }
        let elapsed = t.elapsed();
        let mut below = Vec::new();
        for (g, other) in &calls {
            let (a, b) = (sequence_of(&input, &set, *g), sequence_of(&input, &set, other.gene));
            let fix = |s: &[u8]| -> Vec<u8> { s.iter().map(|&c| if matches!(c, b'U' | b'O') { b'X' } else { c }).collect() };
            let (a, b) = (fix(a), fix(b));
            let mut aligner = bio::alignment::pairwise::Aligner::with_capacity(a.len(), b.len(), -11, -1, &bio::scores::blosum62);
            let al = aligner.local(&a, &b);
            let same = al.operations.iter().filter(|o| matches!(o, bio::alignment::AlignmentOperation::Match)).count();
            let identity = same as f64 / a.len().min(b.len()) as f64;
            if identity < 0.95 {
                below.push((set.gene(*g).symbol.clone(), set.gene(other.gene).symbol.clone(), identity, other.similarity.estimated_identity.unwrap()));
            }
        }
        println!(
            "      paralogues: {} of {} proteins have another gene near-exact ({:?}); {} of those pairs are below 95% Smith-Waterman identity over the shorter protein",
            calls.len(), set.len(), elapsed, below.len()
        );
        for (a, b, true_id, est) in below.iter().take(15) {
            println!("        {a} -> {b}: aligned identity {:.1}%, estimated {:.1}%", true_id * 100.0, est * 100.0);
        }
    }
}

/// What each part of the file costs (gzip'd), by encoding the HPO set with that part emptied.
#[test]
#[ignore]
fn measure_size_breakdown() {
    let (input, _, bytes, _) = hpo();
    let size = |f: &dyn Fn(&mut ReferenceInput)| {
        let mut i = input.clone();
        f(&mut i);
        bytes.len() as i64 - ReferenceSet::encode(&i).unwrap().len() as i64
    };
    println!("total {} bytes", bytes.len());
    println!("sketches       {}", size(&|i| i.params.bins = 1));
    println!("concepts       {}", size(&|i| i.genes.iter_mut().for_each(|g| { g.concepts.clear(); g.concepts_phenotype_evidence_only.clear() })));
    println!("IMP/IGI-only   {}", size(&|i| i.genes.iter_mut().for_each(|g| g.concepts_phenotype_evidence_only.clear())));
    println!("phenotypes     {}", size(&|i| i.genes.iter_mut().for_each(|g| g.phenotypes.clear())));
    println!("symbols+acc    {}", size(&|i| i.genes.iter_mut().for_each(|g| { g.symbol.clear(); g.uniprot.clear() })));
}

/// Speed on the whole human set, as the browser will run it (issue 6: ~17,000 proteins): decode,
/// identify every protein as given (exact path), every protein with 1 % substitutions (sketch
/// path), and most_similar(5) for every protein. Prints figures.
#[test]
#[ignore]
fn bench_whole_human_set() {
    let (input, _, bytes, _) = hpo();
    let t = Instant::now();
    let set = ReferenceSet::decode(bytes).unwrap();
    println!("decode: {:?}", t.elapsed());
    let seqs: Vec<&[u8]> = input.genes.iter().map(|g| g.sequence.as_bytes()).collect();
    let t = Instant::now();
    let exact = seqs.iter().filter(|s| set.identify(s).is_some_and(|i| i.is_exact())).count();
    println!("identify, {} proteins as given: {:?} ({exact} exact)", seqs.len(), t.elapsed());
    let mut rng = SplitMix64::new(5);
    let mutated: Vec<Vec<u8>> = seqs.iter().map(|s| substitute(s, 0.01, &mut rng)).collect();
    let t = Instant::now();
    let near = mutated.iter().filter(|s| set.identify(s).is_some()).count();
    println!("identify, {} proteins with 1 % substitutions: {:?} ({near} identified)", seqs.len(), t.elapsed());
    let (mut total, mut worst) = (std::time::Duration::ZERO, (std::time::Duration::ZERO, 0usize));
    for s in &seqs {
        let t = Instant::now();
        std::hint::black_box(set.most_similar(s, 5));
        let e = t.elapsed();
        total += e;
        if e > worst.0 {
            worst = (e, s.len());
        }
    }
    println!(
        "most_similar(5): {:.1} µs per protein on average, slowest {:?} ({} residues)",
        total.as_secs_f64() * 1e6 / seqs.len() as f64,
        worst.0,
        worst.1
    );
}

//! Data-driven tests of the reference set on the committed data (all 17,283 human proteins) and the
//! shipped model metadata. The measurements that chose the sketch shape, the size by part and the
//! lookup speed are `benches/reference_set.rs`.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use genepheno::reference::{Identification, ReferenceSet, SketchParams};
use genepheno::rng::SplitMix64;

use super::*;
use super::variants::{sample, substitute};
use crate::data::dataset::SplitKind;
use crate::task::{ConceptChoice, Task};

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
    let data = Dataset::load(&root().join("data"), LabelSet::Hpo).unwrap();
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
    assert_eq!(known.split, None);
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
    assert!(ReferenceSet::decode_for_model(bytes, &meta.weights_sha256, LabelSet::Hpo).is_ok());
    let mut other = meta.weights_sha256.clone().into_bytes();
    other[0] = if other[0] == b'0' { b'1' } else { b'0' };
    let err = ReferenceSet::decode_for_model(bytes, std::str::from_utf8(&other).unwrap(), LabelSet::Hpo).unwrap_err();
    assert!(matches!(err, genepheno::reference::ReferenceError::WrongModel { .. }), "{err}");
    assert!(ReferenceSet::decode_for_model(bytes, &meta.weights_sha256, LabelSet::Mp).is_err());
}

/// The known-gene mode of the app must feed exactly what `genepheno eval` fed
/// (`Task::concept_row`), and show exactly the dataset's labels (`Task::label_row`).
#[test]
fn concept_vectors_equal_the_evaluation_known_gene_rows() {
    for kind in [LabelSet::Hpo, LabelSet::Mp] {
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

//! Library tests on small synthetic sets; the data-driven tests on the 17,283 real human proteins
//! live with the `genepheno reference` command (crates/genepheno-cli/src/reference.rs).

use super::*;

const AMINO: &[u8] = b"ACDEFGHIKLMNPQRSTVWY";

/// Deterministic pseudo-random protein.
fn protein(seed: u64, len: usize) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            AMINO[(x % 20) as usize] as char
        })
        .collect()
}

/// Concepts 0 <- 1 <- 2 and 3 alone; phenotypes 0 <- 1, 0 <- 2.
fn input(genes: usize) -> ReferenceInput {
    ReferenceInput {
        dataset: LabelSet::Hpo,
        dataset_version: "v1".into(),
        weights_sha256: "ab".repeat(32),
        split: "homology".into(),
        params: SketchParams::DEFAULT,
        concept_parents: vec![vec![], vec![0], vec![1], vec![]],
        phenotype_parents: vec![vec![], vec![0], vec![0]],
        genes: (0..genes)
            .map(|i| GeneInput {
                entrez: 1000 - i as u32 * 7,
                symbol: format!("G{i}"),
                uniprot: format!("P{i:05}"),
                // Every fifth entry is a protein of several genes.
                same_protein: if i % 5 == 4 {
                    vec![GeneName { entrez: 5000 + i as u32, symbol: format!("G{i}B") }, GeneName { entrez: 6000, symbol: "G-C".into() }]
                } else {
                    Vec::new()
                },
                split: [Some(Part::Train), Some(Part::Valid), Some(Part::Test), None][i % 4],
                sequence: protein(i as u64 + 1, 150 + 40 * (i % 9)),
                concepts: if i % 2 == 0 { vec![0, 1, 2] } else { vec![0, 3] },
                concepts_phenotype_evidence_only: if i % 2 == 0 { vec![2] } else { vec![] },
                phenotypes: if i % 4 == 3 { vec![] } else { vec![0, 2] },
            })
            .collect(),
    }
}

#[test]
fn round_trip_keeps_every_field_and_sorts_by_entrez() {
    let input = input(40);
    let bytes = ReferenceSet::encode(&input).unwrap();
    assert_eq!(bytes, ReferenceSet::encode(&input).unwrap(), "encoding is deterministic");
    let set = ReferenceSet::decode(&bytes).unwrap();
    let h = set.header();
    assert_eq!((h.dataset, h.genes, h.concepts, h.phenotypes), (LabelSet::Hpo, 40, 4, 3));
    assert_eq!(h.params, SketchParams::DEFAULT);
    assert!(set.genes().windows(2).all(|w| w[0].entrez < w[1].entrez));
    for g in &input.genes {
        let i = set.find_entrez(g.entrez).unwrap();
        let k = set.gene(i);
        assert_eq!((&k.symbol, &k.uniprot, k.split), (&g.symbol, &g.uniprot, g.split));
        assert_eq!(k.same_protein, g.same_protein);
        assert_eq!(k.length as usize, g.sequence.len());
        assert_eq!((&k.concepts, &k.concepts_phenotype_evidence_only, &k.phenotypes), (&g.concepts, &g.concepts_phenotype_evidence_only, &g.phenotypes));
        let row = set.concept_vector(i, 4);
        assert_eq!(row.iter().filter(|&&v| v == 1.0).count(), g.concepts.len());
        let without = set.concept_vector_without_phenotype_evidence(i, 4);
        assert_eq!(without.iter().sum::<f32>() as usize, g.concepts.len() - g.concepts_phenotype_evidence_only.len());
    }
    assert_eq!(set.genes().iter().filter(|g| !g.same_protein.is_empty()).count(), 8);
    let even = set.find_entrez(1000).unwrap();
    assert_eq!(set.most_specific_concepts(even), vec![2]);
    assert_eq!(set.most_specific_phenotypes(even), vec![2]);
}

#[test]
fn every_gene_identifies_itself_exactly_and_lowercase_with_a_stop_too() {
    let input = input(40);
    let set = ReferenceSet::decode(&ReferenceSet::encode(&input).unwrap()).unwrap();
    for g in &input.genes {
        let want = set.find_entrez(g.entrez).unwrap();
        assert_eq!(set.identify(g.sequence.as_bytes()), Some(Identification::Exact { gene: want }));
        let raw = format!("{}*", g.sequence.to_lowercase());
        assert_eq!(set.identify(raw.as_bytes()), Some(Identification::Exact { gene: want }));
        assert_eq!(set.most_similar(g.sequence.as_bytes(), 3)[0].gene, want);
    }
    assert_eq!(set.identify(b""), None);
    assert_eq!(set.identify(protein(999, 300).as_bytes()), None, "an unrelated protein is nobody");
    assert!(set.most_similar(protein(999, 300).as_bytes(), 5).is_empty());
}

#[test]
fn one_substitution_is_near_exact_and_half_a_protein_is_not() {
    let input = input(40);
    let set = ReferenceSet::decode(&ReferenceSet::encode(&input).unwrap()).unwrap();
    let g = &input.genes[5];
    let want = set.find_entrez(g.entrez).unwrap();
    let mut variant = g.sequence.clone().into_bytes();
    variant[100] = if variant[100] == b'W' { b'A' } else { b'W' };
    match set.identify(&variant) {
        Some(Identification::NearExact { gene, similarity, .. }) => {
            assert_eq!(gene, want);
            assert!(similarity.estimated_identity.unwrap() >= NEAR_EXACT_MIN_IDENTITY);
        }
        other => panic!("{other:?}"),
    }
    let half = &g.sequence.as_bytes()[..g.sequence.len() / 2];
    assert_eq!(set.identify(half), None, "length check");
    assert_eq!(set.most_similar(half, 1)[0].gene, want, "still the most similar");
}

#[test]
fn the_header_binds_the_file_to_one_model() {
    let bytes = ReferenceSet::encode(&input(5)).unwrap();
    let sha = "ab".repeat(32);
    assert!(ReferenceSet::decode_for_model(&bytes, &sha, LabelSet::Hpo).is_ok());
    assert!(ReferenceSet::decode_for_model(&bytes, &sha.to_uppercase(), LabelSet::Hpo).is_ok());
    assert!(matches!(ReferenceSet::decode_for_model(&bytes, &"cd".repeat(32), LabelSet::Hpo), Err(ReferenceError::WrongModel { .. })));
    assert!(matches!(ReferenceSet::decode_for_model(&bytes, &sha, LabelSet::Mp), Err(ReferenceError::WrongDataset { .. })));
    let mut newer = bytes.clone();
    newer[8] = FORMAT_VERSION as u8 + 1;
    assert_eq!(
        ReferenceSet::decode(&newer).unwrap_err(),
        ReferenceError::UnsupportedVersion { found: FORMAT_VERSION + 1, supported: FORMAT_VERSION }
    );
    assert_eq!(ReferenceSet::decode(b"PK\x03\x04").unwrap_err(), ReferenceError::BadMagic);
}

#[test]
fn damaged_files_are_errors_not_panics() {
    let bytes = ReferenceSet::encode(&input(12)).unwrap();
    for cut in [0, 5, 12, 20, bytes.len() / 2, bytes.len() - 1] {
        assert!(ReferenceSet::decode(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut flipped = bytes.clone();
    let last = flipped.len() - 12;
    flipped[last] ^= 0x55;
    assert!(ReferenceSet::decode(&flipped).is_err(), "gzip CRC catches a flipped body byte");
}

#[test]
fn the_encoder_refuses_inconsistent_input() {
    let mut open = input(3);
    open.genes[0].concepts = vec![2]; // its ancestors 0 and 1 are missing
    assert!(matches!(ReferenceSet::encode(&open), Err(ReferenceError::Input(_))));
    let mut twins = input(3);
    twins.genes[1].sequence = twins.genes[0].sequence.to_lowercase();
    assert!(ReferenceSet::encode(&twins).unwrap_err().to_string().contains("identical protein"));
    let mut out_of_range = input(3);
    out_of_range.genes[0].phenotypes = vec![0, 7];
    assert!(ReferenceSet::encode(&out_of_range).is_err());
    let mut not_subset = input(3);
    not_subset.genes[1].concepts_phenotype_evidence_only = vec![2];
    assert!(ReferenceSet::encode(&not_subset).is_err());
}

#[test]
fn nearest_training_protein_skips_other_parts() {
    let input = input(40);
    let set = ReferenceSet::decode(&ReferenceSet::encode(&input).unwrap()).unwrap();
    // Gene 4 is a training gene: a copy of it finds itself.
    let g4 = &input.genes[4];
    let found = set.nearest_in(g4.sequence.as_bytes(), Part::Train).unwrap();
    assert_eq!(set.gene(found.gene).symbol, "G4");
    assert!(found.similarity.kmer_jaccard > 0.9);
    // Gene 5 is a validation gene: it is not a training protein, and no other gene resembles it.
    assert!(set.nearest_in(input.genes[5].sequence.as_bytes(), Part::Train).is_none());
    assert_eq!(set.gene(set.nearest_in(input.genes[5].sequence.as_bytes(), Part::Valid).unwrap().gene).symbol, "G5");
    assert!(set.nearest_in(b"", Part::Train).is_none());
}

#[test]
fn a_gene_cannot_share_a_protein_with_itself() {
    let mut input = input(6);
    let own = GeneName { entrez: input.genes[2].entrez, symbol: "self".into() };
    input.genes[2].same_protein.push(own);
    let err = ReferenceSet::encode(&input).unwrap_err().to_string();
    assert!(err.contains("lists itself"), "{err}");
}

/// The seed of the reference-set fuzz target (fuzz/seeds/reference_set/small.bin) is this small
/// set's encoding, so the fuzzer starts from a valid file; rewrite it after a format change with
/// `GENEPHENO_WRITE_FUZZ_SEED=1 cargo test -p genepheno --lib fuzz_seed`.
#[test]
fn the_fuzz_seed_is_a_valid_small_set() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/reference_set/small.bin");
    let bytes = ReferenceSet::encode(&input(5)).unwrap();
    if std::env::var_os("GENEPHENO_WRITE_FUZZ_SEED").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &bytes).unwrap();
    }
    assert_eq!(std::fs::read(&path).expect("the seed is committed"), bytes, "seed out of date: rewrite it (see above)");
    assert_eq!(ReferenceSet::decode(&bytes).unwrap().len(), 5);
}

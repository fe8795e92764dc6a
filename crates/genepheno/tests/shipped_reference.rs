//! The shipped HPO reference set (public/models/hpo.reference.bin) against real human proteins and
//! residue-shuffled copies of them: "most similar known genes" and "nearest protein the model
//! learned from" name a gene only where shared 5-mers say more than chance.

use genepheno::domain::Part;
use genepheno::reference::ReferenceSet;
use genepheno::rng::SplitMix64;

mod common;
use common::{human_proteins, root};

fn shipped() -> ReferenceSet {
    let bytes = std::fs::read(root().join("public/models/hpo.reference.bin")).expect("the shipped reference set");
    ReferenceSet::decode(&bytes).unwrap()
}

/// 400 real proteins, each shuffled (same length and composition, no real protein): at most 2 %
/// of them may name any known gene, and at most 2 % a training protein. With the former floor of
/// 3 agreeing bins nearly every one named five (about 5 chance listings per query over 17,426
/// genes).
#[test]
fn a_shuffled_protein_names_no_known_gene() {
    let set = shipped();
    let mut rng = SplitMix64::new(20261208);
    let (mut listed, mut nearest) = (0, 0);
    let proteins = human_proteins(400);
    for protein in &proteins {
        let mut residues = protein.clone().into_bytes();
        rng.shuffle(&mut residues);
        listed += usize::from(!set.most_similar(&residues, 5).is_empty());
        nearest += usize::from(set.nearest_in(&residues, Part::Train).is_some());
    }
    eprintln!("shuffled proteins naming a known gene: {listed} of 400; a training protein: {nearest} of 400");
    assert!(listed <= 8, "{listed} of 400 shuffled proteins named a known gene");
    assert!(nearest <= 8, "{nearest} of 400 shuffled proteins named a training protein");
}

/// The stricter rule still finds what 5-mers can see: each real protein lists its own gene first,
/// and a variant with one substitution in 20 residues (about 95 % identity) still finds it.
#[test]
fn a_real_protein_and_a_close_variant_still_find_their_gene() {
    let set = shipped();
    let mut rng = SplitMix64::new(7);
    for protein in human_proteins(200).iter().filter(|p| p.len() >= 100) {
        let own = set.most_similar(protein.as_bytes(), 1);
        let own = own.first().expect("a known protein lists itself");
        assert_eq!(set.identify(protein.as_bytes()).map(|i| i.gene()), Some(own.gene));
        let mut variant = protein.clone().into_bytes();
        for at in (10..variant.len()).step_by(20) {
            variant[at] = b"ACDEFGHIKLMNPQRSTVWY"[(rng.next_u64() % 20) as usize];
        }
        assert!(
            set.most_similar(&variant, 5).iter().any(|s| s.gene == own.gene),
            "a 95 % identical variant of {} lost its gene",
            set.gene(own.gene).symbol
        );
    }
}

//! Re-checks the committed homology split with real alignments instead of trusting mmseqs:
//! sampled test genes are aligned (Smith-Waterman, BLOSUM62, gap open 11 / extend 1: mmseqs'
//! defaults) against their most similar training genes, and identity is computed as mmseqs'
//! `fident` (identical columns / alignment columns, gaps included), with the same link rule.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use bio::alignment::AlignmentOperation;
use bio::alignment::pairwise::Aligner;
use bio::scores::blosum62;

use super::format::read_tsv;
use super::split::{Part, SEED, SplitMix64, is_link};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

struct Protein {
    id: u32,
    group: u32,
    part: Part,
    seq: Vec<u8>,
}

fn proteins() -> Vec<Protein> {
    let t = read_tsv(&data_dir().join("genes.tsv.gz")).expect("committed data/genes.tsv.gz");
    let (g, grp, hs, sq) = (t.column("entrez_id").unwrap(), t.column("homology_group").unwrap(), t.column("homology_split").unwrap(), t.column("sequence").unwrap());
    t.rows
        .iter()
        .map(|r| Protein {
            id: r[g].parse().unwrap(),
            group: r[grp].parse().unwrap(),
            part: Part::parse(&r[hs]).unwrap(),
            // BLOSUM62 has no row for selenocysteine (U) or pyrrolysine (O): score them as X.
            seq: r[sq].bytes().map(|b| if matches!(b, b'U' | b'O') { b'X' } else { b }).collect(),
        })
        .collect()
}

/// Identity (mmseqs `fident` sense) and number of columns of the best local alignment.
fn align(a: &[u8], b: &[u8]) -> (f64, usize) {
    let mut aligner = Aligner::with_capacity(a.len(), b.len(), -11, -1, &blosum62);
    let alignment = aligner.local(a, b);
    let (mut same, mut columns) = (0usize, 0usize);
    for op in &alignment.operations {
        match op {
            AlignmentOperation::Match => {
                same += 1;
                columns += 1
            }
            AlignmentOperation::Subst | AlignmentOperation::Ins | AlignmentOperation::Del => columns += 1,
            _ => {}
        }
    }
    (if columns == 0 { 0.0 } else { same as f64 / columns as f64 }, columns)
}

/// Distinct 3-mers of a protein, for picking alignment candidates.
fn kmers(seq: &[u8]) -> HashSet<[u8; 3]> {
    seq.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

#[test]
fn sampled_test_genes_share_under_50_percent_identity_with_every_candidate_training_gene() {
    let all = proteins();
    let train: Vec<&Protein> = all.iter().filter(|p| p.part == Part::Train && p.seq.len() <= 5000).collect();
    let mut test: Vec<&Protein> = all.iter().filter(|p| p.part == Part::Test && p.seq.len() <= 2000).collect();
    assert!(test.len() > 1000, "test part too small: {}", test.len());
    let mut rng = SplitMix64::new(SEED ^ 0xA11);
    rng.shuffle(&mut test);
    // Inverted 3-mer index of the training proteins.
    let mut index: HashMap<[u8; 3], Vec<usize>> = HashMap::new();
    for (i, p) in train.iter().enumerate() {
        for k in kmers(&p.seq) {
            index.entry(k).or_default().push(i);
        }
    }
    let (mut aligned, mut best) = (0, (0.0f64, 0usize, 0u32, 0u32));
    for q in test.iter().take(40) {
        let mut shared: HashMap<usize, usize> = HashMap::new();
        for k in kmers(&q.seq) {
            for &i in index.get(&k).map(Vec::as_slice).unwrap_or(&[]) {
                *shared.entry(i).or_default() += 1;
            }
        }
        let mut ranked: Vec<(usize, usize)> = shared.into_iter().map(|(i, n)| (n, i)).collect();
        ranked.sort_unstable_by(|a, b| b.cmp(a));
        // The 12 training proteins sharing the most 3-mers, plus 3 drawn at random.
        let mut candidates: Vec<usize> = ranked.iter().take(12).map(|(_, i)| *i).collect();
        candidates.extend((0..3).map(|_| (rng.next_u64() % train.len() as u64) as usize));
        for i in candidates {
            let t = train[i];
            let (identity, columns) = align(&q.seq, &t.seq);
            aligned += 1;
            if identity * columns as f64 > best.0 * best.1 as f64 && columns >= 30 {
                best = (identity, columns, q.id, t.id);
            }
            assert!(
                !is_link(identity, columns, q.seq.len(), t.seq.len()),
                "test gene {} and training gene {} align at {:.1}% identity over {columns} columns",
                q.id,
                t.id,
                identity * 100.0
            );
        }
    }
    eprintln!("{aligned} alignments; closest test/train pair {} / {}: {:.1}% over {} columns", best.2, best.3, best.0 * 100.0, best.1);
}

/// The check above could pass vacuously if the alignment or the identity were wrong. Pairs that
/// mmseqs linked (groups of exactly two genes are one direct link) must be linked by the same
/// rule here too.
#[test]
fn alignment_identity_agrees_with_mmseqs_on_linked_pairs() {
    let all = proteins();
    let mut groups: BTreeMap<u32, Vec<&Protein>> = BTreeMap::new();
    for p in &all {
        groups.entry(p.group).or_default().push(p);
    }
    let mut pairs: Vec<(&Protein, &Protein)> =
        groups.values().filter(|m| m.len() == 2 && m.iter().all(|p| p.seq.len() <= 3000)).map(|m| (m[0], m[1])).collect();
    assert!(pairs.len() > 100, "only {} two-gene groups", pairs.len());
    SplitMix64::new(SEED ^ 0xB0B).shuffle(&mut pairs);
    let sample = &pairs[..30];
    let linked = sample.iter().filter(|(a, b)| { let (i, c) = align(&a.seq, &b.seq); is_link(i, c, a.seq.len(), b.seq.len()) }).count();
    // Smith-Waterman finds the best-scoring alignment, mmseqs a heuristic one; they should agree
    // on nearly every pair.
    assert!(linked >= 27, "only {linked} of 30 mmseqs-linked pairs are linked by Smith-Waterman");
}

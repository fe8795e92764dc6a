//! Re-checks the committed homology split with real alignments instead of trusting mmseqs:
//! sampled test genes are aligned (Smith-Waterman, BLOSUM62, gap open 11 / extend 1: mmseqs'
//! defaults) against their most similar training genes, and identity is computed as mmseqs'
//! `fident` (identical columns / alignment columns, gaps included) over the best-scoring local
//! alignment, with the split's link rule ([`is_link`]).
//!
//! Smith-Waterman's best alignment often runs further into weakly conserved flanks than the
//! alignment mmseqs reports, which lowers its identity. So the positive control (pairs mmseqs
//! linked) asks whether *some stretch* of the alignment passes the rule ([`linked`]), and the
//! leak check reports test/training pairs that pass only on a stretch (a conserved domain inside
//! a < 50% alignment) and requires them to stay rare.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use bio::alignment::AlignmentOperation;
use bio::alignment::pairwise::Aligner;
use bio::scores::blosum62;

use super::format::read_tsv;
use super::split::{Part, SEED, is_link, min_link_columns};
use genepheno::rng::SplitMix64;

pub(super) fn data_dir() -> PathBuf {
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
            part: r[hs].parse().unwrap(),
            // BLOSUM62 has no row for selenocysteine (U) or pyrrolysine (O): score them as X.
            seq: r[sq].bytes().map(|b| if matches!(b, b'U' | b'O') { b'X' } else { b }).collect(),
        })
        .collect()
}

/// Columns of the best-scoring local alignment: true where the residues are identical.
pub(super) fn align(a: &[u8], b: &[u8]) -> Vec<bool> {
    let mut aligner = Aligner::with_capacity(a.len(), b.len(), -11, -1, &blosum62);
    let alignment = aligner.local(a, b);
    alignment
        .operations
        .iter()
        .filter_map(|op| match op {
            AlignmentOperation::Match => Some(true),
            AlignmentOperation::Subst | AlignmentOperation::Ins | AlignmentOperation::Del => Some(false),
            _ => None,
        })
        .collect()
}

/// Whether some stretch of the alignment links the two sequences under the split's rule
/// (identity >= 50% over at least `min_link_columns` columns, gaps counted as columns).
///
/// mmseqs reports one alignment per pair, often shorter than Smith-Waterman's best-scoring one
/// (which runs on into less conserved flanks and so dilutes identity). Asking whether *any*
/// stretch of the Smith-Waterman path passes the rule covers mmseqs' alignment and is stricter
/// than the rule the clustering applied: a pass here is a pass there.
pub(super) fn linked(columns: &[bool], len_a: usize, len_b: usize) -> bool {
    let need = min_link_columns(len_a, len_b);
    // +1 per identical column, -1 otherwise: a stretch has identity >= 50% iff its sum >= 0.
    let mut prefix = vec![0i64];
    for &same in columns {
        prefix.push(prefix.last().unwrap() + if same { 1 } else { -1 });
    }
    let mut lowest = i64::MAX;
    (need..prefix.len()).any(|end| {
        lowest = lowest.min(prefix[end - need]);
        prefix[end] - lowest >= 0
    })
}

/// Identity and length of the whole alignment (for the report).
pub(super) fn identity(columns: &[bool]) -> (f64, usize) {
    let same = columns.iter().filter(|c| **c).count();
    (if columns.is_empty() { 0.0 } else { same as f64 / columns.len() as f64 }, columns.len())
}

/// Distinct 3-mers of a protein, for picking alignment candidates.
pub(super) fn kmers(seq: &[u8]) -> HashSet<[u8; 3]> {
    seq.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

#[test]
fn sampled_test_genes_align_under_50_percent_identity_to_every_candidate_training_gene() {
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
    let mut stretch_only = Vec::new();
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
            let columns = align(&q.seq, &t.seq);
            aligned += 1;
            let (id, n) = identity(&columns);
            if id > best.0 && n >= 30 {
                best = (id, n, q.id, t.id);
            }
            assert!(
                !is_link(id, n, q.seq.len(), t.seq.len()),
                "test gene {} and training gene {} align at {:.1}% identity over {n} columns",
                q.id,
                t.id,
                id * 100.0
            );
            if linked(&columns, q.seq.len(), t.seq.len()) {
                stretch_only.push(format!("{}/{} ({:.1}% over {n})", q.id, t.id, id * 100.0));
            }
        }
    }
    eprintln!("{aligned} alignments; closest test/train pair {} / {}: {:.1}% over {} columns", best.2, best.3, best.0 * 100.0, best.1);
    eprintln!("pairs linked only by a stretch of their alignment: {stretch_only:?}");
    assert!(stretch_only.len() * 100 <= aligned, "too many near-threshold test/train pairs: {stretch_only:?}");
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
    let mut agree = 0;
    for (a, b) in sample {
        let columns = align(&a.seq, &b.seq);
        if linked(&columns, a.seq.len(), b.seq.len()) {
            agree += 1;
        } else {
            let (id, n) = identity(&columns);
            eprintln!("not linked by Smith-Waterman: {} / {}: {:.1}% over {n}", a.id, b.id, id * 100.0);
        }
    }
    assert_eq!(agree, sample.len(), "mmseqs-linked pairs that Smith-Waterman does not link");
}

#[test]
fn stretch_rule_finds_a_conserved_core_inside_a_diluted_alignment() {
    // 60 identical columns flanked by 200 mismatching ones: 23% overall, linked by the core.
    let mut columns = vec![false; 100];
    columns.extend([true; 60]);
    columns.extend([false; 100]);
    assert!(linked(&columns, 400, 400));
    assert!(!linked(&[true, false, false].repeat(100), 400, 400));
}

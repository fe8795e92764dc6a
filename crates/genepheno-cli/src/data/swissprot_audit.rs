//! Re-checks the pretraining set's leakage filter with real alignments instead of trusting
//! mmseqs (as `split_check` does for the split): proteins sampled from the kept set are aligned
//! (Smith-Waterman, BLOSUM62, mmseqs' gap costs) against the human validation/test proteins that
//! share the most 3-mers with them, and none may link under the split's rule; as a positive
//! control, sampled removed proteins must link to the human protein mmseqs found.
//! The sample (`data/swissprot/audit_sample.tsv.gz`) is written by `genepheno data swissprot`.

use std::collections::HashMap;

use super::format::read_tsv;
use super::split::is_link;
use super::split_check::{align, data_dir, identity, kmers, linked};
use super::swissprot::held_out_proteins;

/// BLOSUM62 has no row for U or O: score them as X.
fn residues(s: &str) -> Vec<u8> {
    s.bytes().map(|b| if matches!(b, b'U' | b'O' | b'J') { b'X' } else { b }).collect()
}

struct Sample {
    kept: Vec<(String, Vec<u8>)>,
    removed: Vec<(String, u32, Vec<u8>)>,
}

fn sample() -> Sample {
    let t = read_tsv(&data_dir().join("swissprot/audit_sample.tsv.gz")).expect("committed data/swissprot/audit_sample.tsv.gz");
    let (st, acc, human, seq) =
        (t.column("status").unwrap(), t.column("accession").unwrap(), t.column("linked_human_entrez_id").unwrap(), t.column("sequence").unwrap());
    let mut s = Sample { kept: Vec::new(), removed: Vec::new() };
    for r in &t.rows {
        match r[st].as_str() {
            "kept" => s.kept.push((r[acc].clone(), residues(&r[seq]))),
            "removed" => s.removed.push((r[acc].clone(), r[human].parse().unwrap(), residues(&r[seq]))),
            other => panic!("status {other}"),
        }
    }
    s
}

#[test]
fn sampled_pretraining_proteins_align_under_the_link_rule_to_every_candidate_held_out_protein() {
    let held: Vec<(u32, Vec<u8>)> =
        held_out_proteins(&data_dir()).unwrap().into_iter().map(|(id, s)| (id, residues(&s))).filter(|(_, s)| s.len() <= 5000).collect();
    assert!(held.len() > 3000, "held-out human proteins: {}", held.len());
    let mut index: HashMap<[u8; 3], Vec<usize>> = HashMap::new();
    for (i, (_, s)) in held.iter().enumerate() {
        for k in kmers(s) {
            index.entry(k).or_default().push(i);
        }
    }
    let sample = sample();
    assert!(sample.kept.len() >= 100, "kept sample: {}", sample.kept.len());
    let (mut aligned, mut closest) = (0, (0.0f64, 0usize, String::new(), 0u32));
    let mut stretch_only = Vec::new();
    for (accession, q) in sample.kept.iter().take(60) {
        let mut shared: HashMap<usize, usize> = HashMap::new();
        for k in kmers(q) {
            for &i in index.get(&k).map(Vec::as_slice).unwrap_or(&[]) {
                *shared.entry(i).or_default() += 1;
            }
        }
        let mut ranked: Vec<(usize, usize)> = shared.into_iter().map(|(i, n)| (n, i)).collect();
        ranked.sort_unstable_by(|a, b| b.cmp(a));
        for &(_, i) in ranked.iter().take(8) {
            let (id, t) = (&held[i].0, &held[i].1);
            let columns = align(q, t);
            aligned += 1;
            let (ident, n) = identity(&columns);
            if ident > closest.0 && n >= 30 {
                closest = (ident, n, accession.clone(), *id);
            }
            assert!(
                !is_link(ident, n, q.len(), t.len()),
                "kept {accession} aligns to held-out human protein {id} at {:.1}% over {n} columns",
                ident * 100.0
            );
            if linked(&columns, q.len(), t.len()) {
                stretch_only.push(format!("{accession}/{id} ({:.1}% over {n})", ident * 100.0));
            }
        }
    }
    eprintln!("{aligned} alignments; closest kept/held-out pair {} / {}: {:.1}% over {} columns", closest.2, closest.3, closest.0 * 100.0, closest.1);
    eprintln!("pairs linked only by a stretch of their alignment: {stretch_only:?}");
    assert!(stretch_only.len() * 50 <= aligned, "too many near-threshold pairs: {stretch_only:?}");
}

/// The check above would pass vacuously if the alignment were wrong: removed proteins must link
/// to the human protein mmseqs linked them to.
#[test]
fn removed_proteins_link_to_their_held_out_human_protein() {
    let held = held_out_proteins(&data_dir()).unwrap();
    let sample = sample();
    assert!(sample.removed.len() >= 20, "removed sample: {}", sample.removed.len());
    for (accession, human, q) in sample.removed.iter().take(20) {
        let t = residues(&held[human]);
        let columns = align(q, &t);
        let (ident, n) = identity(&columns);
        assert!(linked(&columns, q.len(), t.len()), "removed {accession} does not link to {human}: {:.1}% over {n}", ident * 100.0);
    }
}

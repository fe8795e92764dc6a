//! Which GO terms form the bottleneck: terms that tell a scientist something specific about a
//! protein and that a sequence model can learn from the multi-species set.
//!
//! The earlier rule took the terms most frequent among ~4,000 human training genes first, so the
//! bottleneck was dominated by broad terms ("cellular metabolic process", "cytosol") that every
//! protein half-has. Here:
//! - *learnable*: at least `min_proteins` Swiss-Prot proteins (all species) carry the term;
//! - *readable in known-gene mode*: at least `min_human` human training-part genes carry it (the
//!   phenotype layer also reads curated human GO, and needs examples to weigh the term);
//! - *specific*: depth >= `min_depth` and carried by at most `max_share` of Swiss-Prot;
//! - *not redundant*: a term is dropped when one of its children carries nearly all of its
//!   proteins (`redundancy`): the child says the same, more precisely;
//! - then by information content, IC = -log2(share of Swiss-Prot proteins carrying the term),
//!   most specific first, with each GO namespace given a quota proportional to its candidates so
//!   that functions, processes and locations all stay in.

use super::set::{GoGraph, Protein};

/// The choice's parameters (recorded with the pretrained model).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConceptRule {
    pub min_depth: u32,
    pub min_proteins: usize,
    pub min_human: usize,
    pub max_share: f64,
    pub redundancy: f64,
    pub max_terms: usize,
}

impl Default for ConceptRule {
    fn default() -> Self {
        Self { min_depth: 2, min_proteins: 100, min_human: 10, max_share: 0.03, redundancy: 0.95, max_terms: 800 }
    }
}

/// A chosen concept with the counts it was chosen by.
#[derive(Debug, Clone, PartialEq)]
pub struct Chosen {
    /// Index into the [`GoGraph`].
    pub term: u32,
    pub proteins: usize,
    pub human: usize,
    pub ic: f64,
}

/// Applies the rule (see the module docs); concepts come back in GO graph order.
pub fn choose(graph: &GoGraph, set: &[Protein], human_train: &[Protein], rule: &ConceptRule) -> Vec<Chosen> {
    let count = |proteins: &[Protein]| {
        let mut n = vec![0usize; graph.len()];
        for p in proteins {
            for &t in p.terms.iter() {
                n[t as usize] += 1;
            }
        }
        n
    };
    let (sp, human) = (count(set), count(human_train));
    let total = set.len().max(1) as f64;
    let max_proteins = (rule.max_share * total) as usize;
    let mut candidate: Vec<bool> = (0..graph.len())
        .map(|t| {
            graph.depths[t] >= rule.min_depth
                && sp[t] >= rule.min_proteins
                && sp[t] <= max_proteins
                && human[t] >= rule.min_human
        })
        .collect();
    // A parent whose candidate child carries >= `redundancy` of its proteins adds nothing.
    let redundant: Vec<usize> = (0..graph.len())
        .filter(|&c| candidate[c])
        .flat_map(|c| graph.parents[c].iter().map(move |&p| (c, p as usize)))
        .filter(|&(c, p)| candidate[p] && sp[c] as f64 >= rule.redundancy * sp[p] as f64)
        .map(|(_, p)| p)
        .collect();
    for p in redundant {
        candidate[p] = false;
    }
    let ic = |t: usize| -(sp[t] as f64 / total).log2();
    let mut chosen = Vec::new();
    let namespaces = ["BP", "MF", "CC"];
    let pools: Vec<Vec<usize>> = namespaces
        .iter()
        .map(|ns| {
            let mut pool: Vec<usize> = (0..graph.len()).filter(|&t| candidate[t] && graph.namespaces[t] == *ns).collect();
            // Most specific first; ties by GO order, so the choice is deterministic.
            pool.sort_by(|&a, &b| ic(b).total_cmp(&ic(a)).then(a.cmp(&b)));
            pool
        })
        .collect();
    let all: usize = pools.iter().map(Vec::len).sum();
    for pool in &pools {
        let quota = if all <= rule.max_terms { pool.len() } else { (pool.len() * rule.max_terms).div_ceil(all) };
        chosen.extend(pool.iter().take(quota).copied());
    }
    // Rounding up can overshoot by a term or two: drop the least specific.
    chosen.sort_by(|&a, &b| ic(b).total_cmp(&ic(a)).then(a.cmp(&b)));
    chosen.truncate(rule.max_terms);
    chosen.sort_unstable();
    chosen.into_iter().map(|t| Chosen { term: t as u32, proteins: sp[t], human: human[t], ic: ic(t) }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// root(0) <- a(1) <- a1(2), a(1) <- a2(3); root <- b(4, MF). depth: root 0, a 1, others 2.
    fn graph() -> GoGraph {
        let ids: Vec<String> = (0..5).map(|i| format!("GO:{i:07}")).collect();
        GoGraph {
            index: ids.iter().enumerate().map(|(i, s)| (s.clone(), i as u32)).collect::<HashMap<_, _>>(),
            ids,
            names: (0..5).map(|i| format!("t{i}")).collect(),
            namespaces: vec!["BP".into(), "BP".into(), "BP".into(), "BP".into(), "MF".into()],
            depths: vec![0, 2, 3, 3, 2],
            parents: vec![vec![], vec![0], vec![1], vec![1], vec![0]],
        }
    }

    fn proteins(rows: &[&[u32]]) -> Vec<Protein> {
        rows.iter().map(|t| Protein { sequence: b"M".as_slice().into(), terms: t.to_vec().into() }).collect()
    }

    #[test]
    fn specific_learnable_terms_first_and_redundant_parents_dropped() {
        let g = graph();
        // 10 proteins: a1 on 4 (always with a), a2 on 1, a on 5 (4 via a1 + 1 via a2), b on 2.
        let mut rows: Vec<&[u32]> = vec![&[0, 1, 2]; 4];
        rows.push(&[0, 1, 3]);
        rows.extend([&[0u32, 4][..]; 2]);
        rows.extend([&[0u32][..]; 3]);
        let set = proteins(&rows);
        let human = proteins(&[&[0, 1, 2, 3, 4]]);
        let rule = ConceptRule { min_depth: 2, min_proteins: 2, min_human: 1, max_share: 0.6, redundancy: 0.8, max_terms: 10 };
        let chosen: Vec<u32> = choose(&g, &set, &human, &rule).iter().map(|c| c.term).collect();
        // root: depth 0; a2: 1 protein < 2; a: a1 carries 4/5 = 0.8 of it -> redundant.
        assert_eq!(chosen, vec![2, 4]);
        // Without the redundancy rule a stays, and a cap of 2 keeps the most specific per quota:
        // BP pool [a1 (IC 1.32), a (IC 1.0)], MF pool [b (IC 2.32)]; quotas ceil(2*2/3)=2, ceil(1*2/3)=1,
        // then the least specific (a) goes.
        let loose = ConceptRule { redundancy: 1.1, max_terms: 2, ..rule };
        let chosen: Vec<u32> = choose(&g, &set, &human, &loose).iter().map(|c| c.term).collect();
        assert_eq!(chosen, vec![2, 4]);
        let ic = choose(&g, &set, &human, &loose)[0].ic;
        assert!((ic - (10f64 / 4.0).log2()).abs() < 1e-12);
    }
}

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
//! - *spread over specificity*: information content, IC = -log2(share of Swiss-Prot proteins
//!   carrying the term), is cut into 1-bit bands, and the terms are taken round-robin over the
//!   bands, within a band those most human training genes carry first. Taking the highest IC
//!   first (tried first) filled all 800 slots with terms of 100-210 proteins (IC 11-12 bits,
//!   e.g. "SAGA complex") and left out "heme binding" or "oxygen carrier activity": too rare to
//!   learn well and too narrow to cover most proteins. Each GO namespace gets a quota
//!   proportional to its candidates (largest remainder), so functions, processes and locations
//!   all stay in.

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
        Self { min_depth: 2, min_proteins: 150, min_human: 10, max_share: 0.05, redundancy: 0.95, max_terms: 800 }
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
    let namespaces = ["BP", "MF", "CC"];
    let pools: Vec<Vec<usize>> = namespaces
        .iter()
        .map(|ns| (0..graph.len()).filter(|&t| candidate[t] && graph.namespaces[t] == *ns).collect())
        .collect();
    let all: usize = pools.iter().map(Vec::len).sum();
    let quotas = largest_remainder(&pools.iter().map(Vec::len).collect::<Vec<_>>(), rule.max_terms.min(all));
    let mut chosen = Vec::new();
    for (pool, quota) in pools.iter().zip(quotas) {
        // Bands of 1 bit of IC, each ordered by human training genes (ties: GO order).
        let mut bands: std::collections::BTreeMap<i64, Vec<usize>> = std::collections::BTreeMap::new();
        for &t in pool {
            bands.entry(ic(t).floor() as i64).or_default().push(t);
        }
        for band in bands.values_mut() {
            band.sort_by(|&a, &b| human[b].cmp(&human[a]).then(a.cmp(&b)));
            band.reverse(); // pop() takes from the end
        }
        let mut taken = 0;
        while taken < quota {
            for band in bands.values_mut() {
                if taken < quota && let Some(t) = band.pop() {
                    chosen.push(t);
                    taken += 1;
                }
            }
        }
    }
    chosen.sort_unstable();
    chosen.into_iter().map(|t| Chosen { term: t as u32, proteins: sp[t], human: human[t], ic: ic(t) }).collect()
}

/// Splits `total` slots over groups in proportion to their sizes (largest-remainder method).
fn largest_remainder(sizes: &[usize], total: usize) -> Vec<usize> {
    let all: usize = sizes.iter().sum();
    if all == 0 {
        return vec![0; sizes.len()];
    }
    let mut quotas: Vec<usize> = sizes.iter().map(|&n| n * total / all).collect();
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse((sizes[i] * total) % all));
    let left = total - quotas.iter().sum::<usize>();
    for &i in order.iter().take(left) {
        quotas[i] += 1;
    }
    quotas
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
        // Without the redundancy rule a stays. A cap of 2 over pools BP {a, a1} and MF {b}:
        // quotas 2*2/3 = 1 r1 and 2*1/3 = 0 r2 -> MF takes the remaining slot: BP 1, MF 1. a (IC
        // log2(10/5) = 1) and a1 (IC log2(10/4) = 1.32) share the 1-bit band; both have 1 human
        // gene, so GO order picks a.
        let loose = ConceptRule { redundancy: 1.1, max_terms: 2, ..rule };
        let picked = choose(&g, &set, &human, &loose);
        assert_eq!(picked.iter().map(|c| c.term).collect::<Vec<_>>(), vec![1, 4]);
        assert!((picked[1].ic - (10f64 / 2.0).log2()).abs() < 1e-12);
    }

    #[test]
    fn quotas_follow_pool_sizes_and_sum_to_the_total() {
        assert_eq!(largest_remainder(&[580, 127, 93], 800), vec![580, 127, 93]);
        // 7 slots over 6 / 3 / 1: 4.2 / 2.1 / 0.7 -> floors 4, 2, 0 and the last slot to the
        // largest remainder (0.7).
        assert_eq!(largest_remainder(&[6, 3, 1], 7), vec![4, 2, 1]);
        assert_eq!(largest_remainder(&[0, 0], 3), vec![0, 0]);
    }
}

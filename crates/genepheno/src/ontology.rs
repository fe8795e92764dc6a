//! The term graphs: phenotypes among themselves (HPO) and GO concepts among themselves, as parent
//! indices over a fixed term list. One type serves every use:
//!
//! - keeping scores consistent: a term scores at least as high as any of its descendants (the
//!   CAFA convention the evaluation uses), and labels are closed upward; both are one max pushed
//!   from children to parents ([`Ontology::propagate_max`]);
//! - the reference set's compact storage: only the most specific terms of each gene are written
//!   ([`Ontology::most_specific`]) and the reader closes them upward again ([`Ontology::close`]);
//! - the page's top-level systems and ontology view ([`Ontology::ancestors`]).
//!
//! The graph comes from files (model metadata, reference sets) and is checked once, when built:
//! parents in range, no cycle.

use thiserror::Error;

/// A problem with the term graph handed to [`Ontology::new`].
#[derive(Debug, Error, PartialEq, Eq)]
pub enum OntologyError {
    /// A parent index points outside the term list.
    #[error("term {term} has parent {parent}, but there are only {count} terms")]
    ParentOutOfRange { term: usize, parent: usize, count: usize },
    /// The parent relation has a cycle, so no term order puts children first.
    #[error("the term graph has a cycle")]
    Cycle,
}

/// A DAG over a fixed term list, with each term's ancestors worked out once.
#[derive(Debug, Clone, PartialEq)]
pub struct Ontology {
    parents: Vec<Vec<u32>>,
    /// Every term after all its descendants.
    children_first: Vec<u32>,
    /// Every term's ancestors (transitively, itself excluded), sorted.
    ancestors: Vec<Vec<u32>>,
}

impl Ontology {
    /// Checks the graph and orders it (Kahn's algorithm over child -> parent edges).
    pub fn new(parents: Vec<Vec<u32>>) -> Result<Self, OntologyError> {
        let count = parents.len();
        let mut pending_children = vec![0usize; count];
        for (term, ps) in parents.iter().enumerate() {
            for &p in ps {
                let parent = p as usize;
                if parent >= count {
                    return Err(OntologyError::ParentOutOfRange { term, parent, count });
                }
                pending_children[parent] += 1;
            }
        }
        let mut ready: Vec<u32> = (0..count as u32).filter(|&t| pending_children[t as usize] == 0).collect();
        let mut order = Vec::with_capacity(count);
        while let Some(term) = ready.pop() {
            order.push(term);
            for &p in &parents[term as usize] {
                pending_children[p as usize] -= 1;
                if pending_children[p as usize] == 0 {
                    ready.push(p);
                }
            }
        }
        if order.len() != count {
            return Err(OntologyError::Cycle);
        }
        // Parents before children: each term's parents are complete when it is reached.
        let mut ancestors: Vec<Vec<u32>> = vec![Vec::new(); count];
        for &term in order.iter().rev() {
            let mut all: Vec<u32> = Vec::new();
            for &p in &parents[term as usize] {
                all.push(p);
                all.extend_from_slice(&ancestors[p as usize]);
            }
            all.sort_unstable();
            all.dedup();
            ancestors[term as usize] = all;
        }
        Ok(Self { parents, children_first: order, ancestors })
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.parents.len()
    }

    /// Whether the ontology has no terms.
    pub fn is_empty(&self) -> bool {
        self.parents.is_empty()
    }

    /// Parent indices of each term.
    pub fn parents(&self) -> &[Vec<u32>] {
        &self.parents
    }

    /// Every ancestor of `term` (not the term itself), sorted.
    pub fn ancestors(&self, term: usize) -> &[u32] {
        &self.ancestors[term]
    }

    /// Raises every term's score to at least the maximum over its descendants, in place.
    /// `scores` is one gene's row (`len()` values) or several rows back to back.
    pub fn propagate_max(&self, scores: &mut [f32]) {
        let n = self.len();
        assert!(n > 0 && scores.len() % n == 0, "scores must be whole rows of {n} terms");
        for row in scores.chunks_mut(n) {
            for &term in &self.children_first {
                let value = row[term as usize];
                for &p in &self.parents[term as usize] {
                    let parent = &mut row[p as usize];
                    if *parent < value {
                        *parent = value;
                    }
                }
            }
        }
    }

    /// Every term's depth: the length of its shortest path up to a root (roots have depth 0).
    pub fn depths(&self) -> Vec<u32> {
        let mut depth = vec![0u32; self.len()];
        // Parents before children: a term's parents have their depths when it is reached.
        for &term in self.children_first.iter().rev() {
            let parents = &self.parents[term as usize];
            if let Some(nearest) = parents.iter().map(|&p| depth[p as usize]).min() {
                depth[term as usize] = nearest + 1;
            }
        }
        depth
    }

    /// The upward closure of `terms`, sorted.
    pub fn close(&self, terms: &[u32]) -> Vec<u32> {
        let mut all: Vec<u32> = terms.to_vec();
        for &t in terms {
            all.extend_from_slice(self.ancestors(t as usize));
        }
        all.sort_unstable();
        all.dedup();
        all
    }

    /// The members of a sorted set that are no other member's ancestor (its most specific terms).
    pub fn most_specific(&self, sorted: &[u32]) -> Vec<u32> {
        let mut covered = vec![false; sorted.len()];
        for &t in sorted {
            for a in self.ancestors(t as usize) {
                if let Ok(i) = sorted.binary_search(a) {
                    covered[i] = true;
                }
            }
        }
        sorted.iter().zip(covered).filter(|(_, c)| !c).map(|(&t, _)| t).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 0 is the root; 1 and 2 are its children; 3 has both 1 and 2 as parents; 4 is under 3;
    /// 5 stands alone.
    fn diamond() -> Ontology {
        Ontology::new(vec![vec![], vec![0], vec![0], vec![1, 2], vec![3], vec![]]).unwrap()
    }

    #[test]
    fn max_reaches_every_ancestor() {
        let onto = diamond();
        let mut scores = vec![0.1, 0.2, 0.05, 0.3, 0.9, 0.0];
        onto.propagate_max(&mut scores);
        assert_eq!(scores, vec![0.9, 0.9, 0.9, 0.9, 0.9, 0.0]);

        let mut scores = vec![0.1, 0.7, 0.05, 0.3, 0.2, 0.4];
        onto.propagate_max(&mut scores);
        // 1 keeps its own higher score and passes it to 0; 2 only gets 3's 0.3.
        assert_eq!(scores, vec![0.7, 0.7, 0.3, 0.3, 0.2, 0.4]);
    }

    #[test]
    fn rows_are_propagated_independently_and_labels_close_upward() {
        let onto = diamond();
        let mut labels = vec![0., 0., 0., 0., 1., 0., /* second gene */ 0., 0., 1., 0., 0., 0.];
        onto.propagate_max(&mut labels);
        assert_eq!(labels, vec![1., 1., 1., 1., 1., 0., 1., 0., 1., 0., 0., 0.]);
    }

    #[test]
    fn ancestors_are_transitive_sorted_and_listed_once() {
        let onto = diamond();
        assert_eq!(onto.ancestors(4), &[0, 1, 2, 3]);
        assert_eq!(onto.ancestors(3), &[0, 1, 2]);
        assert!(onto.ancestors(0).is_empty());
        assert_eq!(onto.close(&[3, 5]), vec![0, 1, 2, 3, 5]);
    }

    #[test]
    fn depth_is_the_shortest_path_to_a_root() {
        // 6 sits under 4 (depth 3) and directly under the root 0: its shortest way up is 1.
        let onto = Ontology::new(vec![vec![], vec![0], vec![0], vec![1, 2], vec![3], vec![], vec![4, 0]]).unwrap();
        assert_eq!(onto.depths(), vec![0, 1, 1, 2, 3, 0, 1]);
    }

    #[test]
    fn most_specific_then_close_gives_the_set_back() {
        let onto = diamond();
        for set in [vec![0, 1, 2, 3], vec![0, 1], vec![0, 1, 2, 5], vec![]] {
            let leaves = onto.most_specific(&set);
            assert_eq!(onto.close(&leaves), set, "{leaves:?}");
        }
        assert_eq!(onto.most_specific(&[0, 1, 2, 3]), vec![3]);
    }

    #[test]
    fn bad_graphs_are_rejected() {
        assert_eq!(Ontology::new(vec![vec![1], vec![0]]), Err(OntologyError::Cycle));
        assert_eq!(Ontology::new(vec![vec![0]]), Err(OntologyError::Cycle), "a term cannot be its own parent");
        assert_eq!(Ontology::new(vec![vec![5]]), Err(OntologyError::ParentOutOfRange { term: 0, parent: 5, count: 1 }));
    }
}

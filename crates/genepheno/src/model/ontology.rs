//! Keeping scores consistent with an ontology: a term scores at least as high as any of its
//! descendants (the CAFA convention the evaluation uses), and labels are closed upward.
//!
//! Both are the same operation, a max pushed from children to parents in topological order, so
//! one routine serves predictions (probabilities) and labels (0/1).

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

/// A DAG over a fixed term list, as parent indices per term.
#[derive(Debug, Clone, PartialEq)]
pub struct Ontology {
    parents: Vec<Vec<u32>>,
    /// Every term after all its descendants.
    children_first: Vec<u32>,
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
        let mut ready: Vec<u32> =
            (0..count as u32).filter(|&t| pending_children[t as usize] == 0).collect();
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
        Ok(Self { parents, children_first: order })
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

    /// Indices of every ancestor of `term` (not the term itself), each once.
    pub fn ancestors(&self, term: usize) -> Vec<u32> {
        let mut seen = vec![false; self.len()];
        let mut stack: Vec<u32> = self.parents[term].clone();
        let mut out = Vec::new();
        while let Some(t) = stack.pop() {
            if !std::mem::replace(&mut seen[t as usize], true) {
                out.push(t);
                stack.extend(&self.parents[t as usize]);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 0 is the root; 1 and 2 are its children; 3 has both 1 and 2 as parents; 4 is under 3.
    fn diamond() -> Ontology {
        Ontology::new(vec![vec![], vec![0], vec![0], vec![1, 2], vec![3]]).unwrap()
    }

    #[test]
    fn max_reaches_every_ancestor() {
        let onto = diamond();
        let mut scores = vec![0.1, 0.2, 0.05, 0.3, 0.9];
        onto.propagate_max(&mut scores);
        assert_eq!(scores, vec![0.9, 0.9, 0.9, 0.9, 0.9]);

        let mut scores = vec![0.1, 0.7, 0.05, 0.3, 0.2];
        onto.propagate_max(&mut scores);
        // 1 keeps its own higher score and passes it to 0; 2 only gets 3's 0.3.
        assert_eq!(scores, vec![0.7, 0.7, 0.3, 0.3, 0.2]);
    }

    #[test]
    fn rows_are_propagated_independently_and_labels_close_upward() {
        let onto = diamond();
        let mut labels = vec![0., 0., 0., 0., 1., /* second gene */ 0., 0., 1., 0., 0.];
        onto.propagate_max(&mut labels);
        assert_eq!(labels, vec![1., 1., 1., 1., 1., 1., 0., 1., 0., 0.]);
    }

    #[test]
    fn ancestors_are_listed_once() {
        let mut a = diamond().ancestors(4);
        a.sort();
        assert_eq!(a, vec![0, 1, 2, 3]);
        assert!(diamond().ancestors(0).is_empty());
    }

    #[test]
    fn bad_graphs_are_rejected() {
        assert_eq!(Ontology::new(vec![vec![1], vec![0]]), Err(OntologyError::Cycle));
        assert_eq!(
            Ontology::new(vec![vec![5]]),
            Err(OntologyError::ParentOutOfRange { term: 0, parent: 5, count: 1 })
        );
    }
}

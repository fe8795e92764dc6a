//! The registry files' term graphs (GO from GO.db, HPO from hp.obo) keyed by their ids, over the
//! project's one graph type, [`genepheno::ontology::Ontology`]: ids are numbered in the order
//! they are first seen, and every closure, ancestor list and depth comes from that graph, so the
//! data build, the trainer, the reference set and the page share one implementation. The graph
//! is checked when built: an edge list with a cycle is an error, not an endless walk.

use std::collections::{BTreeSet, HashMap};

use genepheno::ontology::Ontology;

use super::DataError;

/// A term graph over ids (child -> parents). Ids without parents are roots; ids the graph does
/// not hold at all are treated as roots too (their closure is themselves).
#[derive(Debug, Clone)]
pub struct Dag {
    ids: Vec<String>,
    index: HashMap<String, u32>,
    graph: Ontology,
    depths: Vec<u32>,
}

impl Default for Dag {
    fn default() -> Self {
        Self::from_edges(std::iter::empty::<(&str, &str)>()).expect("an empty graph has no cycle")
    }
}

impl Dag {
    /// The graph of `child -> parent` edges. A repeated edge counts once; each term's parents
    /// keep the order of their first edge.
    pub fn from_edges<'a>(edges: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, DataError> {
        let mut ids: Vec<String> = Vec::new();
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut parents: Vec<Vec<u32>> = Vec::new();
        let mut number = |id: &str, parents: &mut Vec<Vec<u32>>| -> u32 {
            if let Some(&i) = index.get(id) {
                return i;
            }
            let i = ids.len() as u32;
            ids.push(id.to_owned());
            index.insert(id.to_owned(), i);
            parents.push(Vec::new());
            i
        };
        for (child, parent) in edges {
            let c = number(child, &mut parents);
            let p = number(parent, &mut parents);
            if !parents[c as usize].contains(&p) {
                parents[c as usize].push(p);
            }
        }
        let graph = Ontology::new(parents).map_err(|e| DataError::Format(format!("term graph: {e}")))?;
        let depths = graph.depths();
        Ok(Self { ids, index, graph, depths })
    }

    /// Direct parents of `term`, in the order of their edges (none for roots and unknown terms).
    pub fn parents(&self, term: &str) -> impl Iterator<Item = &str> + '_ {
        let parents: &[u32] = self.index.get(term).map(|&i| self.graph.parents()[i as usize].as_slice()).unwrap_or(&[]);
        parents.iter().map(|&p| self.ids[p as usize].as_str())
    }

    /// `term` and all its ancestors.
    pub fn ancestors_and_self(&self, term: &str) -> BTreeSet<String> {
        self.close([term])
    }

    /// Upward closure of a set of terms: the terms and every ancestor of each, sorted by id.
    pub fn close<'a>(&self, terms: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        let mut closed = BTreeSet::new();
        for term in terms {
            closed.insert(term.to_owned());
            if let Some(&i) = self.index.get(term) {
                closed.extend(self.graph.ancestors(i as usize).iter().map(|&a| self.ids[a as usize].clone()));
            }
        }
        closed
    }

    /// Length of the shortest path from `term` up to a root (roots and unknown terms: 0).
    pub fn depth(&self, term: &str) -> u32 {
        self.index.get(term).map_or(0, |&i| self.depths[i as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closure_follows_every_path_to_the_root() {
        let dag = Dag::from_edges([("c", "b"), ("c", "x"), ("b", "a"), ("x", "a"), ("d", "c"), ("c", "b")]).unwrap();
        let closed: Vec<_> = dag.close(["d"]).into_iter().collect();
        assert_eq!(closed, ["a", "b", "c", "d", "x"]);
        assert_eq!(dag.parents("c").collect::<Vec<_>>(), ["b", "x"], "edge order, a repeated edge once");
        assert_eq!(dag.depth("d"), 3);
        assert_eq!(dag.depth("a"), 0);
        assert_eq!(dag.ancestors_and_self("unknown").into_iter().collect::<Vec<_>>(), ["unknown"]);
        assert_eq!(dag.parents("unknown").count(), 0);
    }

    #[test]
    fn a_cycle_is_an_error() {
        let err = Dag::from_edges([("a", "b"), ("b", "c"), ("c", "a")]).unwrap_err();
        assert!(err.to_string().contains("cycle"), "{err}");
    }
}

//! A directed acyclic graph of terms (child -> parents) and the upward closure the metrics and
//! labels rely on: a gene annotated to a term is annotated to all of that term's ancestors.

use std::collections::{BTreeSet, HashMap};

/// Parents of each term by id. Terms without an entry are roots (or unknown).
#[derive(Debug, Default, Clone)]
pub struct Dag {
    parents: HashMap<String, Vec<String>>,
}

impl Dag {
    /// Records `child -> parent`. Duplicates are ignored.
    pub fn add_edge(&mut self, child: &str, parent: &str) {
        let list = self.parents.entry(child.to_owned()).or_default();
        if !list.iter().any(|p| p == parent) {
            list.push(parent.to_owned());
        }
    }

    /// Direct parents of `term` (empty for roots and unknown terms).
    pub fn parents(&self, term: &str) -> &[String] {
        self.parents.get(term).map(Vec::as_slice).unwrap_or(&[])
    }

    /// `term` and all its ancestors.
    pub fn ancestors_and_self(&self, term: &str) -> BTreeSet<String> {
        self.close([term])
    }

    /// Upward closure of a set of terms: the terms and every ancestor of each, sorted.
    pub fn close<'a>(&self, terms: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = terms.into_iter().collect();
        while let Some(term) = stack.pop() {
            if seen.insert(term.to_owned()) {
                stack.extend(self.parents(term).iter().map(String::as_str));
            }
        }
        seen
    }

    /// Length of the shortest path from `term` up to a root (roots have depth 0).
    pub fn depth(&self, term: &str, memo: &mut HashMap<String, u32>) -> u32 {
        if let Some(&d) = memo.get(term) {
            return d;
        }
        let parents = self.parents(term).to_vec();
        let d = if parents.is_empty() { 0 } else { 1 + parents.iter().map(|p| self.depth(p, memo)).min().unwrap_or(0) };
        memo.insert(term.to_owned(), d);
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closure_follows_every_path_to_the_root() {
        let mut dag = Dag::default();
        dag.add_edge("c", "b");
        dag.add_edge("c", "x");
        dag.add_edge("b", "a");
        dag.add_edge("x", "a");
        dag.add_edge("d", "c");
        let closed: Vec<_> = dag.close(["d"]).into_iter().collect();
        assert_eq!(closed, ["a", "b", "c", "d", "x"]);
        let mut memo = HashMap::new();
        assert_eq!(dag.depth("d", &mut memo), 3);
        assert_eq!(dag.depth("a", &mut memo), 0);
    }
}

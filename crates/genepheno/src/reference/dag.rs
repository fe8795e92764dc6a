//! Term graphs (GO concepts among themselves, phenotypes among themselves) and the two operations
//! the file needs: reducing an upward-closed set to its most specific members, and closing those
//! members upward again. The file stores only the most specific terms of each gene, which is what
//! keeps 17,000 genes' annotations small; the reader re-closes them, so callers always see closed
//! sets.

use super::ReferenceError;

/// Every term's ancestors (transitively, itself excluded), sorted; built from parent lists.
#[derive(Debug, Clone, PartialEq)]
pub struct Ancestors(Vec<Vec<u32>>);

impl Ancestors {
    /// Fails if a parent index is out of range or the graph has a cycle.
    pub fn new(parents: &[Vec<u32>]) -> Result<Self, ReferenceError> {
        let n = parents.len();
        if let Some(p) = parents.iter().flatten().find(|&&p| p as usize >= n) {
            return Err(ReferenceError::Corrupt(format!("parent index {p} out of range (< {n})")));
        }
        // 0 = not visited, 1 = in progress, 2 = done.
        let mut state = vec![0u8; n];
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); n];
        for root in 0..n {
            if state[root] != 0 {
                continue;
            }
            // Iterative post-order DFS: (node, next parent position).
            let mut stack = vec![(root, 0usize)];
            state[root] = 1;
            while let Some(top) = stack.last_mut() {
                let node = top.0;
                if let Some(&p) = parents[node].get(top.1) {
                    top.1 += 1;
                    match state[p as usize] {
                        0 => {
                            state[p as usize] = 1;
                            stack.push((p as usize, 0));
                        }
                        1 => return Err(ReferenceError::Corrupt(format!("term graph has a cycle through index {p}"))),
                        _ => {}
                    }
                } else {
                    let mut all: Vec<u32> = Vec::new();
                    for &p in &parents[node] {
                        all.push(p);
                        all.extend_from_slice(&out[p as usize]);
                    }
                    all.sort_unstable();
                    all.dedup();
                    out[node] = all;
                    state[node] = 2;
                    stack.pop();
                }
            }
        }
        Ok(Self(out))
    }

    /// Ancestors of `term` (sorted, itself excluded).
    pub fn of(&self, term: u32) -> &[u32] {
        &self.0[term as usize]
    }

    /// The upward closure of `terms`, sorted.
    pub fn close(&self, terms: &[u32]) -> Vec<u32> {
        let mut all: Vec<u32> = terms.to_vec();
        for &t in terms {
            all.extend_from_slice(self.of(t));
        }
        all.sort_unstable();
        all.dedup();
        all
    }

    /// The members of a sorted set that are no other member's ancestor (its most specific terms).
    pub fn most_specific(&self, sorted: &[u32]) -> Vec<u32> {
        let mut covered = vec![false; sorted.len()];
        for &t in sorted {
            for a in self.of(t) {
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

    /// 0 <- 1 <- 3, 0 <- 2 <- 3, 4 alone.
    fn diamond() -> Ancestors {
        Ancestors::new(&[vec![], vec![0], vec![0], vec![1, 2], vec![]]).unwrap()
    }

    #[test]
    fn ancestors_are_transitive() {
        let a = diamond();
        assert_eq!(a.of(3), &[0, 1, 2]);
        assert_eq!(a.of(0), &[] as &[u32]);
        assert_eq!(a.close(&[3, 4]), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn most_specific_then_close_gives_the_set_back() {
        let a = diamond();
        for set in [vec![0, 1, 2, 3], vec![0, 1], vec![0, 1, 2, 4], vec![]] {
            let leaves = a.most_specific(&set);
            assert_eq!(a.close(&leaves), set, "{leaves:?}");
        }
        assert_eq!(a.most_specific(&[0, 1, 2, 3]), vec![3]);
    }

    #[test]
    fn cycles_and_bad_indices_are_refused() {
        assert!(Ancestors::new(&[vec![1], vec![0]]).is_err());
        assert!(Ancestors::new(&[vec![5]]).is_err());
        assert!(Ancestors::new(&[vec![0]]).is_err());
    }
}

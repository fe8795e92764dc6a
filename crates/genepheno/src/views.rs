//! The logic behind the page's maps and comparisons, as plain functions tested natively: the
//! records × systems heatmap's cells, the concept map's choice of concepts, the ontology view's
//! graph and its layered layout, and what two records share. The page only draws what these
//! return, so what a chart shows is what is tested here.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::protocol::Term;
use crate::results::{system_name, systems_of_term, term_lift};

/// One record's strongest term in one top-level system.
#[derive(Clone, Debug, PartialEq)]
pub struct SystemCell {
    /// The term of the system with the highest score (the colour by score).
    pub best: u32,
    pub score: f32,
    /// Highest lift over the training frequency among the system's terms called at the threshold
    /// (the colour by lift), and which term gives it; `None` when none is called or no term has a
    /// prior.
    pub lift: Option<(u32, f32)>,
}

/// The cells of one record's heatmap row: for each system that has a term in `scores` (a top
/// list or every score), its best term by score, and its best called term by lift.
pub fn system_cells(scores: &[(u32, f32)], terms: &[Term], threshold: f32) -> BTreeMap<String, SystemCell> {
    let mut cells: BTreeMap<String, SystemCell> = BTreeMap::new();
    for &(index, score) in scores {
        let Some(term) = terms.get(index as usize) else { continue };
        let lift = (score >= threshold).then(|| term_lift(term, score)).flatten().map(|l| (index, l));
        let mut systems: Vec<String> = systems_of_term(term).map(str::to_string).collect();
        if systems.is_empty() {
            systems.push(system_name(term));
        }
        // A term under several systems counts in each.
        for system in systems {
            let cell = cells.entry(system).or_insert(SystemCell { best: index, score, lift: None });
            if score > cell.score || (score == cell.score && index < cell.best) {
                cell.best = index;
                cell.score = score;
            }
            if let Some((i, l)) = lift {
                if cell.lift.is_none_or(|(_, best)| l > best) {
                    cell.lift = Some((i, l));
                }
            }
        }
    }
    cells
}

/// The top-level systems of a label set (each system once, however many a term names), in the
/// order the heatmap's columns and the system filter take: by name, the word for "no system"
/// last.
pub fn systems_of(terms: &[Term]) -> Vec<String> {
    let mut systems: Vec<String> = terms.iter().flat_map(systems_of_term).map(str::to_string).collect::<HashSet<_>>().into_iter().collect();
    systems.sort();
    if terms.iter().any(|t| t.group.is_none()) {
        systems.push(system_name(&Term { id: String::new(), name: String::new(), group: None, parents: Vec::new(), prior: None }));
    }
    systems
}

/// A heatmap of phenotypes (rows) by GO concepts (columns): each cell a concept's contribution
/// to the phenotype's logit (activation × weight).
#[derive(Clone, Debug, PartialEq)]
pub struct ConceptMap {
    pub phenotypes: Vec<u32>,
    pub concepts: Vec<u32>,
    /// `values[row][column]`.
    pub values: Vec<Vec<f32>>,
    /// The largest magnitude shown (the colour scale's end); positive.
    pub scale: f32,
}

/// The concept map of some phenotypes from their full contribution rows (`(phenotype, one value
/// per concept)`): the `columns` concepts with the largest contribution in magnitude to any of
/// them, strongest first. Concepts that contribute nothing to any row are never chosen.
pub fn concept_map(rows: &[(u32, Vec<f32>)], columns: usize) -> ConceptMap {
    let width = rows.iter().map(|(_, r)| r.len()).min().unwrap_or(0);
    let strength = |c: usize| rows.iter().map(|(_, r)| r[c].abs()).fold(0.0f32, f32::max);
    let mut concepts: Vec<usize> = (0..width).filter(|&c| strength(c) > 0.0).collect();
    concepts.sort_by(|&a, &b| strength(b).total_cmp(&strength(a)).then(a.cmp(&b)));
    concepts.truncate(columns);
    let values: Vec<Vec<f32>> = rows.iter().map(|(_, r)| concepts.iter().map(|&c| r[c]).collect()).collect();
    let scale = values.iter().flatten().fold(1e-6f32, |m, v| m.max(v.abs()));
    ConceptMap { phenotypes: rows.iter().map(|(p, _)| *p).collect(), concepts: concepts.into_iter().map(|c| c as u32).collect(), values, scale }
}

/// One term of the ontology view.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub term: u32,
    /// Longest path from a root of the graph (roots are layer 0), so every parent is drawn above
    /// its children.
    pub layer: usize,
    /// Position within the layer, from the left.
    pub slot: usize,
}

/// The called terms of a record as a graph of the phenotype ontology, laid out in layers.
#[derive(Clone, Debug, PartialEq)]
pub struct OntologyGraph {
    pub nodes: Vec<Node>,
    /// `(parent node, child node)`, indices into `nodes`.
    pub edges: Vec<(usize, usize)>,
    pub layers: usize,
    /// Most nodes in one layer.
    pub width: usize,
}

/// The graph of `chosen` terms and all their ancestors. Layers are longest paths from the roots;
/// within a layer the roots are in term order and every later layer is ordered by the mean slot
/// of its parents (barycentres: fewer crossings than any fixed order), ties by term order.
pub fn ontology_graph(chosen: &[u32], terms: &[Term]) -> OntologyGraph {
    // Every ancestor of a chosen term, so each node's parents are all in the graph.
    let mut members: Vec<u32> = Vec::new();
    let mut seen: HashSet<u32> = HashSet::new();
    let mut stack: Vec<u32> = chosen.iter().copied().filter(|&t| (t as usize) < terms.len()).collect();
    while let Some(t) = stack.pop() {
        if seen.insert(t) {
            members.push(t);
            stack.extend(terms[t as usize].parents.iter().copied().filter(|&p| (p as usize) < terms.len()));
        }
    }
    members.sort_unstable();
    // Longest path from a root; the metadata's graph is checked acyclic, and the depth is bounded
    // by the node count so a cycle could not loop here either.
    let mut layer: HashMap<u32, usize> = HashMap::new();
    fn depth(t: u32, terms: &[Term], layer: &mut HashMap<u32, usize>, guard: usize) -> usize {
        if let Some(&d) = layer.get(&t) {
            return d;
        }
        let parents = &terms[t as usize].parents;
        let d = if guard == 0 || parents.is_empty() {
            0
        } else {
            parents.iter().filter(|&&p| (p as usize) < terms.len()).map(|&p| depth(p, terms, layer, guard - 1) + 1).max().unwrap_or(0)
        };
        layer.insert(t, d);
        d
    }
    for &t in &members {
        depth(t, terms, &mut layer, members.len());
    }
    let layers = members.iter().map(|t| layer[t] + 1).max().unwrap_or(0);
    let mut slot: HashMap<u32, usize> = HashMap::new();
    let mut by_layer: Vec<Vec<u32>> = vec![Vec::new(); layers];
    for &t in &members {
        by_layer[layer[&t]].push(t);
    }
    for row in by_layer.iter_mut() {
        let centre = |t: &u32| -> f32 {
            let slots: Vec<usize> = terms[*t as usize].parents.iter().filter_map(|p| slot.get(p).copied()).collect();
            if slots.is_empty() { -1.0 } else { slots.iter().sum::<usize>() as f32 / slots.len() as f32 }
        };
        let mut keyed: Vec<(f32, u32)> = row.iter().map(|t| (centre(t), *t)).collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        *row = keyed.into_iter().map(|(_, t)| t).collect();
        for (i, t) in row.iter().enumerate() {
            slot.insert(*t, i);
        }
    }
    let nodes: Vec<Node> = by_layer
        .iter()
        .enumerate()
        .flat_map(|(l, row)| row.iter().enumerate().map(move |(s, &t)| Node { term: t, layer: l, slot: s }))
        .collect();
    let index: HashMap<u32, usize> = nodes.iter().enumerate().map(|(i, n)| (n.term, i)).collect();
    let mut edges: Vec<(usize, usize)> = nodes
        .iter()
        .enumerate()
        .flat_map(|(child, n)| terms[n.term as usize].parents.iter().filter_map(|p| index.get(p)).map(move |&parent| (parent, child)).collect::<Vec<_>>())
        .collect();
    edges.sort_unstable();
    edges.dedup();
    OntologyGraph { width: by_layer.iter().map(Vec::len).max().unwrap_or(0), nodes, edges, layers }
}

/// One term (phenotype or concept) of a comparison, with its value in each record where known.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Compared {
    pub index: u32,
    pub a: Option<f32>,
    pub b: Option<f32>,
}

/// What two records share and what sets them apart.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    /// Called in both, in record A's order.
    pub both: Vec<Compared>,
    /// Called in A only, in A's order (B's value where B has one, below its threshold).
    pub only_a: Vec<Compared>,
    /// Called in B only, in B's order.
    pub only_b: Vec<Compared>,
}

/// Compares two records' called lists (`a_called`, `b_called`: the terms each calls, in the
/// order the page shows them), looking each term's value up in the records' full or top lists
/// (`a_all`, `b_all`) so a term called in one record still shows what the other gave it.
pub fn compare(a_called: &[(u32, f32)], b_called: &[(u32, f32)], a_all: &[(u32, f32)], b_all: &[(u32, f32)]) -> Comparison {
    let a_values: HashMap<u32, f32> = a_all.iter().chain(a_called).copied().collect();
    let b_values: HashMap<u32, f32> = b_all.iter().chain(b_called).copied().collect();
    let in_a: HashSet<u32> = a_called.iter().map(|(i, _)| *i).collect();
    let in_b: HashSet<u32> = b_called.iter().map(|(i, _)| *i).collect();
    let row = |index: u32| Compared { index, a: a_values.get(&index).copied(), b: b_values.get(&index).copied() };
    Comparison {
        both: a_called.iter().filter(|(i, _)| in_b.contains(i)).map(|(i, _)| row(*i)).collect(),
        only_a: a_called.iter().filter(|(i, _)| !in_b.contains(i)).map(|(i, _)| row(*i)).collect(),
        only_b: b_called.iter().filter(|(i, _)| !in_a.contains(i)).map(|(i, _)| row(*i)).collect(),
    }
}

/// The concepts a record's concept vector calls: activation at or above `at`, strongest first.
pub fn active_concepts(activations: &[f32], at: f32) -> Vec<(u32, f32)> {
    let mut list: Vec<(u32, f32)> = activations.iter().enumerate().filter(|(_, a)| **a >= at).map(|(i, a)| (i as u32, *a)).collect();
    list.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(id: &str, group: Option<&str>, parents: &[u32], prior: Option<f32>) -> Term {
        Term { id: id.into(), name: id.into(), group: group.map(Into::into), parents: parents.to_vec(), prior }
    }

    /// 0: root; 1, 2: systems under it; 3 under 1; 4 under 1 and 2; 5 under 4.
    fn ontology() -> Vec<Term> {
        vec![
            term("root", None, &[], Some(0.9)),
            term("nervous", Some("Nervous"), &[0], Some(0.5)),
            term("eye", Some("Eye"), &[0], Some(0.3)),
            term("seizure", Some("Nervous"), &[1], Some(0.2)),
            term("optic", Some("Eye"), &[1, 2], Some(0.05)),
            term("optic atrophy", Some("Eye"), &[4], None),
            term("eye and nerve", Some("Eye; Nervous"), &[2], Some(0.01)),
        ]
    }

    #[test]
    fn a_system_cell_names_its_best_term_by_score_and_its_best_called_term_by_lift() {
        let terms = ontology();
        let scores = [(1, 0.8), (3, 0.6), (2, 0.4), (4, 0.35), (5, 0.1)];
        let cells = system_cells(&scores, &terms, 0.3);
        let nervous = &cells["Nervous"];
        assert_eq!((nervous.best, nervous.score), (1, 0.8));
        // Seizure: 0.6 against a prior of 0.2 lifts more than the system term's 0.8 over 0.5.
        assert_eq!(nervous.lift.map(|(i, _)| i), Some(3));
        let eye = &cells["Eye"];
        assert_eq!((eye.best, eye.score), (2, 0.4));
        // Optic (0.35 over 0.05) beats eye (0.4 over 0.3); optic atrophy is below the threshold.
        assert_eq!(eye.lift.map(|(i, _)| i), Some(4));
        // Nothing called in a system: no lift colour, its best score still shown.
        let cells = system_cells(&[(5, 0.1)], &terms, 0.3);
        assert_eq!(cells["Eye"].lift, None);
        assert_eq!(cells["Eye"].best, 5);
        assert!(!cells.contains_key("Nervous"));
        assert_eq!(systems_of(&terms), vec!["Eye".to_string(), "Nervous".to_string(), "(no system)".to_string()]);
        // A term of two systems counts in both.
        let cells = system_cells(&[(6, 0.2), (1, 0.8)], &terms, 0.1);
        assert_eq!(cells["Eye"].best, 6);
        assert_eq!(cells["Nervous"].best, 1);
        assert_eq!(cells["Nervous"].lift.map(|(i, _)| i), Some(6), "0.2 over 0.01 lifts more than 0.8 over 0.5");
    }

    #[test]
    fn a_concept_map_keeps_the_concepts_that_matter_most_to_any_of_its_phenotypes() {
        let rows = vec![(7, vec![0.1, -0.9, 0.0, 0.2]), (3, vec![0.5, 0.1, 0.0, -0.05])];
        let map = concept_map(&rows, 3);
        assert_eq!(map.phenotypes, vec![7, 3]);
        // Concept 1 (|-0.9|), then 0 (0.5), then 3 (0.2); concept 2 gives nothing anywhere.
        assert_eq!(map.concepts, vec![1, 0, 3]);
        assert_eq!(map.values, vec![vec![-0.9, 0.1, 0.2], vec![0.1, 0.5, -0.05]]);
        assert!((map.scale - 0.9).abs() < 1e-6);
        let all = concept_map(&rows, 10);
        assert_eq!(all.concepts, vec![1, 0, 3], "a concept that adds nothing is not a column");
        assert!(concept_map(&[], 5).concepts.is_empty());
    }

    #[test]
    fn the_ontology_graph_holds_every_ancestor_with_parents_above_children() {
        let terms = ontology();
        let graph = ontology_graph(&[5, 3], &terms);
        let terms_in: Vec<u32> = graph.nodes.iter().map(|n| n.term).collect();
        let mut sorted = terms_in.clone();
        sorted.sort();
        assert_eq!(sorted, vec![0, 1, 2, 3, 4, 5]);
        let layer = |t: u32| graph.nodes.iter().find(|n| n.term == t).unwrap().layer;
        // Optic sits under both systems, so it is a layer below each; its child one more.
        assert_eq!((layer(0), layer(1), layer(2), layer(3), layer(4), layer(5)), (0, 1, 1, 2, 2, 3));
        assert_eq!(graph.layers, 4);
        assert_eq!(graph.width, 2);
        for &(p, c) in &graph.edges {
            assert!(graph.nodes[p].layer < graph.nodes[c].layer);
            assert!(terms[graph.nodes[c].term as usize].parents.contains(&graph.nodes[p].term));
        }
        // Edges: 0-1, 0-2, 1-3, 1-4, 2-4, 4-5.
        assert_eq!(graph.edges.len(), 6);
        // Slots in each layer are 0..n without gaps.
        for l in 0..graph.layers {
            let mut slots: Vec<usize> = graph.nodes.iter().filter(|n| n.layer == l).map(|n| n.slot).collect();
            slots.sort();
            assert_eq!(slots, (0..slots.len()).collect::<Vec<_>>());
        }
        // Under "nervous" (slot 0) seizure comes before optic, whose parents' mean slot is 0.5.
        let slot = |t: u32| graph.nodes.iter().find(|n| n.term == t).unwrap().slot;
        assert!(slot(3) < slot(4));
        assert!(ontology_graph(&[], &terms).nodes.is_empty());
        assert_eq!(ontology_graph(&[99], &terms).nodes.len(), 0, "an index outside the set is ignored");
    }

    #[test]
    fn a_comparison_splits_the_called_terms_and_keeps_the_other_records_value() {
        let a_called = [(4, 0.9), (2, 0.7), (9, 0.5)];
        let b_called = [(2, 0.8), (5, 0.6)];
        let a_all = [(4, 0.9), (2, 0.7), (9, 0.5), (5, 0.2)];
        let b_all = [(2, 0.8), (5, 0.6), (4, 0.1)];
        let c = compare(&a_called, &b_called, &a_all, &b_all);
        assert_eq!(c.both, vec![Compared { index: 2, a: Some(0.7), b: Some(0.8) }]);
        assert_eq!(c.only_a, vec![Compared { index: 4, a: Some(0.9), b: Some(0.1) }, Compared { index: 9, a: Some(0.5), b: None }]);
        assert_eq!(c.only_b, vec![Compared { index: 5, a: Some(0.2), b: Some(0.6) }]);
        assert_eq!(compare(&a_called, &a_called, &a_all, &a_all).both.len(), 3);
        assert_eq!(active_concepts(&[0.2, 0.9, 0.5, 0.7], 0.5), vec![(1, 0.9), (3, 0.7), (2, 0.5)]);
    }
}

//! Mutually exclusive phenotype pairs for the exclusivity regularizer, derived from the ontology:
//! two terms whose names differ by exactly one opposite word or prefix (increased/decreased,
//! hyper-/hypo-, macro-/micro-, tall/short, absent/supernumerary, ...), that are siblings in the
//! graph (share a parent; for flat label sets there is no graph and the name rule alone applies),
//! and that (almost) never co-occur in the training genes' annotations.

use std::collections::{BTreeSet, HashMap};

/// Opposite whole words.
const WORDS: &[(&str, &str)] = &[
    ("increased", "decreased"),
    ("increased", "reduced"),
    ("elevated", "reduced"),
    ("elevated", "decreased"),
    ("high", "low"),
    ("tall", "short"),
    ("long", "short"),
    ("large", "small"),
    ("wide", "narrow"),
    ("broad", "narrow"),
    ("thick", "thin"),
    ("absent", "supernumerary"),
    ("upslanted", "downslanted"),
    ("enhanced", "impaired"),
    ("early", "delayed"),
    ("premature", "delayed"),
    ("hyperactive", "hypoactive"),
];

/// Opposite word prefixes (hypertonia / hypotonia, macrocephaly / microcephaly, ...).
const PREFIXES: &[(&str, &str)] = &[("hyper", "hypo"), ("macro", "micro"), ("brachy", "dolicho"), ("tachy", "brady")];

/// Largest share of co-annotated genes (of the rarer term's genes) for a pair to count as
/// "almost never co-occurring".
pub const MAX_COOCCURRENCE: f64 = 0.05;

/// A kept pair and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub a: String,
    pub b: String,
    /// The opposite used, e.g. "hyper/hypo".
    pub rule: String,
    /// A shared parent, or empty for flat label sets.
    pub shared_parent: String,
    pub n_a: usize,
    pub n_b: usize,
    pub n_both: usize,
}

impl Pair {
    pub fn reason(&self) -> String {
        let sib = if self.shared_parent.is_empty() {
            "names differ by one opposite (flat label set: no graph to check siblings)".to_owned()
        } else {
            format!("siblings under {} whose names differ by one opposite", self.shared_parent)
        };
        format!("{sib} ({}); co-annotated in {} of {} / {} training genes", self.rule, self.n_both, self.n_a, self.n_b)
    }
}

/// Every name obtained from `name` (lowercased) by swapping one opposite word or prefix, with the
/// rule used.
pub fn opposite_names(name: &str) -> Vec<(String, String)> {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower.split(' ').collect();
    let mut out = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let mut swap = |replacement: String, rule: String| {
            let mut w = words.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            w[i] = replacement;
            out.push((w.join(" "), rule));
        };
        for (x, y) in WORDS {
            for (from, to) in [(x, y), (y, x)] {
                if word == from {
                    swap(to.to_string(), format!("{x}/{y}"));
                }
            }
        }
        for (x, y) in PREFIXES {
            for (from, to) in [(x, y), (y, x)] {
                if let Some(rest) = word.strip_prefix(from) {
                    swap(format!("{to}{rest}"), format!("{x}-/{y}-"));
                }
            }
        }
    }
    out
}

/// Finds the exclusive pairs among `terms` (id -> name). `parents` gives a term's parents (empty
/// for flat sets); `genes_of` the set of training genes annotated to each term (closed upward).
pub fn find_pairs(
    terms: &[(String, String)],
    parents: &dyn Fn(&str) -> Vec<String>,
    genes_of: &HashMap<String, BTreeSet<u32>>,
) -> (Vec<Pair>, usize) {
    let by_name: HashMap<String, &str> = terms.iter().map(|(id, name)| (name.to_lowercase(), id.as_str())).collect();
    let flat = terms.iter().all(|(id, _)| parents(id).is_empty());
    let mut seen = BTreeSet::new();
    let mut kept = Vec::new();
    let mut candidates = 0;
    for (id, name) in terms {
        for (other_name, rule) in opposite_names(name) {
            let Some(&other) = by_name.get(&other_name) else { continue };
            let (a, b) = if id.as_str() < other { (id.as_str(), other) } else { (other, id.as_str()) };
            if !seen.insert((a.to_owned(), b.to_owned())) {
                continue;
            }
            let shared_parent = {
                let pb = parents(b);
                parents(a).into_iter().filter(|p| pb.contains(p)).min().unwrap_or_default()
            };
            if !flat && shared_parent.is_empty() {
                continue;
            }
            candidates += 1;
            let empty = BTreeSet::new();
            let (ga, gb) = (genes_of.get(a).unwrap_or(&empty), genes_of.get(b).unwrap_or(&empty));
            let n_both = ga.intersection(gb).count();
            let rarer = ga.len().min(gb.len());
            if rarer > 0 && (n_both as f64) <= MAX_COOCCURRENCE * rarer as f64 {
                kept.push(Pair { a: a.into(), b: b.into(), rule, shared_parent, n_a: ga.len(), n_b: gb.len(), n_both });
            }
        }
    }
    kept.sort_by(|x, y| (&x.a, &x.b).cmp(&(&y.a, &y.b)));
    (kept, candidates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opposite_names_cover_words_and_prefixes() {
        let names: Vec<String> = opposite_names("Hypotonia").into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["hypertonia"]);
        let names: Vec<String> = opposite_names("Increased body weight").into_iter().map(|(n, _)| n).collect();
        assert!(names.contains(&"decreased body weight".to_owned()));
        assert!(opposite_names("Seizure").is_empty());
    }

    #[test]
    fn pairs_need_siblings_and_rare_cooccurrence() {
        let terms: Vec<(String, String)> = [("T1", "Hypotonia"), ("T2", "Hypertonia"), ("T3", "Microcephaly"), ("T4", "Macrocephaly")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let parents = |t: &str| -> Vec<String> {
            match t {
                "T1" | "T2" => vec!["P".into()],
                "T3" => vec!["Q".into()],
                "T4" => vec!["R".into()],
                _ => vec![],
            }
        };
        let genes = |ids: std::ops::Range<u32>| ids.collect::<BTreeSet<u32>>();
        let genes_of: HashMap<String, BTreeSet<u32>> =
            [("T1", genes(0..40)), ("T2", genes(39..60)), ("T3", genes(0..10)), ("T4", genes(100..110))]
                .into_iter()
                .map(|(t, g)| (t.to_owned(), g))
                .collect();
        let (pairs, candidates) = find_pairs(&terms, &parents, &genes_of);
        // micro/macro are not siblings here, so only the tonia pair is a candidate; 1 shared gene
        // of 21 is under 5%.
        assert_eq!(candidates, 1);
        assert_eq!(pairs.len(), 1);
        assert_eq!((pairs[0].a.as_str(), pairs[0].b.as_str(), pairs[0].n_both), ("T1", "T2", 1));
        let mut crowded = genes_of.clone();
        crowded.insert("T2".into(), genes(30..60));
        assert!(find_pairs(&terms, &parents, &crowded).0.is_empty());
    }
}

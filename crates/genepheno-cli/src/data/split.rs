//! Fixed splits: a homology-aware split (no test or validation gene shares >= 50% identity with a
//! training gene) and a random split, both drawn once with a fixed seed.
//!
//! Homology: `mmseqs easy-search` (Debian mmseqs2) aligns every protein against every other. Two
//! genes are *linked* when an alignment has identity >= 50% (identical columns / alignment
//! columns, mmseqs' `fident`, gaps counted as columns) over at least
//! `min(50, ceil(shorter length / 2))` columns. Groups are the connected components of the links
//! (single linkage), so no link crosses groups; plain mmseqs clustering would not guarantee that.
//! Groups are then dealt to test, validation and train in a seeded order.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;

use super::DataError;
use genepheno::rng::SplitMix64;

/// Identity threshold of the homology split.
pub const MIN_IDENTITY: f64 = 0.5;
/// Seed of every random choice in the build.
pub const SEED: u64 = 20_261_122;
/// Fractions of genes in validation and test (the rest is train).
pub const VALID_FRACTION: f64 = 0.1;
pub const TEST_FRACTION: f64 = 0.1;
/// Largest homology group that may go to validation or test.
pub const MAX_HELD_OUT_GROUP: usize = 50;

/// mmseqs search settings: sensitivity 4 (mmseqs' own clustering default, ample for >= 50%
/// identity), up to 1000 hits per protein (large families such as zinc fingers), two threads.
pub const MMSEQS_ARGS: [&str; 12] =
    ["--min-seq-id", "0.5", "-s", "4", "--max-seqs", "1000", "--threads", "2", "-v", "1", "--format-output", "query,target,fident,alnlen,qlen,tlen"];

/// Minimum alignment length (columns) for a link between sequences of these lengths.
pub fn min_link_columns(len_a: usize, len_b: usize) -> usize {
    50.min(len_a.min(len_b).div_ceil(2))
}

/// Whether an alignment with this identity and length links two sequences.
pub fn is_link(identity: f64, columns: usize, len_a: usize, len_b: usize) -> bool {
    identity >= MIN_IDENTITY && columns >= min_link_columns(len_a, len_b)
}

pub use genepheno::domain::Part;

/// One line of mmseqs' output in [`MMSEQS_ARGS`]'s format.
pub struct Hit<'a> {
    pub query: &'a str,
    pub target: &'a str,
    /// Identical columns / alignment columns (gaps counted).
    pub identity: f64,
    pub columns: usize,
    pub query_len: usize,
    pub target_len: usize,
}

impl<'a> Hit<'a> {
    pub fn parse(line: &'a str) -> Result<Self, DataError> {
        let bad = || DataError::Format(format!("mmseqs output line: {line:.80}"));
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 6 {
            return Err(bad());
        }
        let num = |i: usize| f[i].parse::<usize>().map_err(|_| bad());
        Ok(Self {
            query: f[0],
            target: f[1],
            identity: f[2].parse().map_err(|_| bad())?,
            columns: num(3)?,
            query_len: num(4)?,
            target_len: num(5)?,
        })
    }

    /// Whether the hit links its two proteins under the split's rule.
    pub fn is_link(&self) -> bool {
        is_link(self.identity, self.columns, self.query_len, self.target_len)
    }
}

/// `mmseqs easy-search` of the FASTA text `query` against `target` (or against itself when
/// `None`) in the scratch directory `work`; returns the hits as text. The search takes minutes to
/// hours: its output is reused when the inputs and arguments are unchanged (`data verify` works
/// in a fresh directory, so it always recomputes).
pub fn mmseqs_search(query: &str, target: Option<&str>, work: &Path) -> Result<String, DataError> {
    std::fs::create_dir_all(work).map_err(|e| DataError::io(work, e))?;
    let key = match target {
        None => format!("{}\n{query}", MMSEQS_ARGS.join(" ")),
        Some(t) => format!("{}\n{query}\n{t}", MMSEQS_ARGS.join(" ")),
    };
    let key = super::fetch::sha256_bytes(key.as_bytes());
    let (hits, stamp) = (work.join("hits.m8"), work.join("hits.m8.key"));
    if !(hits.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(key.as_str())) {
        let query_path = work.join("query.fasta");
        std::fs::write(&query_path, query).map_err(|e| DataError::io(&query_path, e))?;
        let target_path = match target {
            None => query_path.clone(),
            Some(t) => {
                let path = work.join("target.fasta");
                std::fs::write(&path, t).map_err(|e| DataError::io(&path, e))?;
                path
            }
        };
        super::fetch::run(
            Command::new("mmseqs")
                .arg("easy-search")
                .arg(&query_path)
                .arg(&target_path)
                .arg(&hits)
                .arg(work.join("tmp"))
                .args(MMSEQS_ARGS),
            "mmseqs (Debian package mmseqs2)",
        )?;
        std::fs::write(&stamp, &key).map_err(|e| DataError::io(&stamp, e))?;
    }
    std::fs::read_to_string(&hits).map_err(|e| DataError::io(&hits, e))
}

/// Runs mmseqs all-against-all on `sequences` (entrez id -> protein) and returns the linked pairs
/// (a < b). `work` is a scratch directory.
pub fn mmseqs_links(sequences: &BTreeMap<u32, String>, work: &Path) -> Result<Vec<(u32, u32)>, DataError> {
    let mut text = String::new();
    for (id, seq) in sequences {
        text.push_str(&format!(">{id}\n{seq}\n"));
    }
    let hits = mmseqs_search(&text, None, work)?;
    let mut links = Vec::new();
    for line in hits.lines() {
        let hit = Hit::parse(line)?;
        let bad = || DataError::Format(format!("mmseqs output line: {line:.80}"));
        let (q, t): (u32, u32) = (hit.query.parse().map_err(|_| bad())?, hit.target.parse().map_err(|_| bad())?);
        if q != t && hit.is_link() {
            links.push((q.min(t), q.max(t)));
        }
    }
    links.sort_unstable();
    links.dedup();
    Ok(links)
}

/// Connected components of `links` over `genes`; each gene maps to its group's smallest id.
pub fn components(genes: &[u32], links: &[(u32, u32)]) -> BTreeMap<u32, u32> {
    let index: HashMap<u32, usize> = genes.iter().enumerate().map(|(i, g)| (*g, i)).collect();
    let mut parent: Vec<usize> = (0..genes.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (a, b) in links {
        if let (Some(&ia), Some(&ib)) = (index.get(a), index.get(b)) {
            let (ra, rb) = (find(&mut parent, ia), find(&mut parent, ib));
            if ra != rb {
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    // Roots are the smallest index in each component because we always hang the larger root
    // under the smaller; genes are sorted, so that is the smallest id.
    genes.iter().enumerate().map(|(i, g)| (*g, genes[find(&mut parent, i)])).collect()
}

/// Deals whole groups to test, then validation, in a seeded random order, each while the group
/// still fits under its target size; everything else is train. No group is ever split, and groups
/// of more than [`MAX_HELD_OUT_GROUP`] genes always go to train: otherwise one family (the
/// 588 zinc-finger proteins) could fill a third of the test set and dominate every metric.
pub fn split_by_group(groups: &BTreeMap<u32, u32>, seed: u64) -> BTreeMap<u32, Part> {
    let mut members: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (gene, group) in groups {
        members.entry(*group).or_default().push(*gene);
    }
    let mut order: Vec<u32> = members.keys().copied().collect();
    SplitMix64::new(seed).shuffle(&mut order);
    let n = groups.len() as f64;
    let targets = [(Part::Test, (n * TEST_FRACTION).round() as usize), (Part::Valid, (n * VALID_FRACTION).round() as usize)];
    let mut filled = [0usize; 2];
    let mut out = BTreeMap::new();
    for group in order {
        let genes = &members[&group];
        let mut part = Part::Train;
        for (k, (p, target)) in targets.iter().enumerate().filter(|_| genes.len() <= MAX_HELD_OUT_GROUP) {
            if filled[k] + genes.len() <= *target {
                filled[k] += genes.len();
                part = *p;
                break;
            }
        }
        for g in genes {
            out.insert(*g, part);
        }
    }
    out
}

/// Random split of single genes (for comparison with published random-split numbers).
pub fn split_random(genes: &[u32], seed: u64) -> BTreeMap<u32, Part> {
    let mut order = genes.to_vec();
    order.sort_unstable();
    SplitMix64::new(seed ^ 0x5EED).shuffle(&mut order);
    let n = order.len() as f64;
    let (n_test, n_valid) = ((n * TEST_FRACTION).round() as usize, (n * VALID_FRACTION).round() as usize);
    order
        .iter()
        .enumerate()
        .map(|(i, g)| (*g, if i < n_test { Part::Test } else if i < n_test + n_valid { Part::Valid } else { Part::Train }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_never_split_and_links_never_cross_parts() {
        let genes: Vec<u32> = (1..=200).collect();
        let links: Vec<(u32, u32)> = (1..100).step_by(3).map(|g| (g, g + 1)).chain([(150, 190), (190, 7)]).collect();
        let groups = components(&genes, &links);
        assert_eq!(groups[&190], groups[&7]);
        assert_eq!(groups[&150], groups[&7]);
        let parts = split_by_group(&groups, SEED);
        for (a, b) in &links {
            assert_eq!(parts[a], parts[b], "link {a}-{b} crosses parts");
        }
        let test = parts.values().filter(|p| **p == Part::Test).count();
        assert!((15..=20).contains(&test), "test size {test}");
        // A family bigger than the cap stays in train whatever the shuffle.
        let mut genes: Vec<u32> = (1..=1000).collect();
        genes.sort_unstable();
        let chain: Vec<(u32, u32)> = (1..=60).map(|g| (g, g + 1)).collect();
        for seed in 0..20 {
            let parts = split_by_group(&components(&genes, &chain), seed);
            assert!((1..=61).all(|g| parts[&g] == Part::Train), "seed {seed}");
        }
    }

    #[test]
    fn link_rule_needs_identity_and_length() {
        assert!(is_link(0.5, 50, 400, 900));
        assert!(!is_link(0.49, 400, 400, 900));
        assert!(!is_link(0.9, 49, 400, 900));
        assert!(is_link(0.9, 15, 30, 900)); // short peptide: half its length suffices
    }
}

//! Typed loader of the committed datasets in `data/` — what the trainer and the evaluation read.
//!
//! ```ignore
//! use crate::data::dataset::{Dataset, SplitKind};
//! let hpo = Dataset::load("data".as_ref(), LabelSet::Hpo)?;
//! let split = hpo.split(SplitKind::Homology);
//! for &i in &split.train {
//!     let gene = &hpo.genes[i];
//!     let protein: &str = &gene.sequence;          // model input
//!     let targets: &[usize] = &gene.labels;        // indices into hpo.labels, closed upward
//!     let concepts: &[usize] = &gene.go_closed;    // indices into hpo.go_terms, closed upward
//! }
//! ```
//!
//! Everything is index-based: `Gene::labels` index [`Dataset::labels`], GO indices index
//! [`Dataset::go_terms`], split entries index [`Dataset::genes`]. Lists are sorted ascending.
//! Loading checks each file's SHA-256 against `MANIFEST.json`, so a hand-edited or truncated file
//! fails loudly instead of training on it.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use super::build::PHENOTYPE_EVIDENCE;
use super::format::{read_tsv, split_list};
use super::manifest::Manifest;
use genepheno::domain::{LabelSet, Part};
use super::{DataError, fetch};

/// Which fixed split (`homology` / `random` in settings files and `--set split=...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitKind {
    /// Whole homology groups (single linkage at >= 50% identity) per part; groups of more than
    /// 50 genes stay in train. No test or validation gene aligns at >= 50% identity to a training
    /// gene. The split that decides.
    Homology,
    /// Genes drawn at random: only for comparison with published random-split numbers.
    Random,
}

/// One gene of the dataset (a gene with a protein sequence and at least one kept label).
#[derive(Debug, Clone)]
pub struct Gene {
    pub entrez: u32,
    pub symbol: String,
    /// UniProtKB/Swiss-Prot accession of the protein (release 2014_01).
    pub uniprot: String,
    /// Protein sequence, one-letter codes (may contain X, U, B, Z).
    pub sequence: String,
    /// Labels (indices into [`Dataset::labels`]), closed upward, sorted.
    pub labels: Vec<usize>,
    /// Direct GO annotations with their evidence codes (ND dropped).
    pub go_direct: Vec<GoAnnotation>,
    /// GO concept targets: direct annotations of any evidence, closed upward over is_a and
    /// part_of (indices into [`Dataset::go_terms`], sorted). Empty when the gene has no GO.
    pub go_closed: Vec<usize>,
    /// Homology group id (the smallest Entrez id in the group).
    pub homology_group: u32,
}

/// A direct GO annotation.
#[derive(Debug, Clone, PartialEq)]
pub struct GoAnnotation {
    /// Index into [`Dataset::go_terms`].
    pub term: usize,
    /// Evidence codes, sorted (e.g. ["IDA", "IMP"]).
    pub evidence: Vec<String>,
}

impl GoAnnotation {
    /// True when every evidence code is phenotype-derived (IMP, IGI): the annotation would vanish
    /// from a "without phenotype evidence" run.
    pub fn phenotype_derived(&self) -> bool {
        self.evidence.iter().all(|e| PHENOTYPE_EVIDENCE.contains(&e.as_str()))
    }
}

/// A label term.
#[derive(Debug, Clone)]
pub struct LabelTerm {
    /// "HP:0001252", "MP:0011250" or "DBGAP:Glioma".
    pub id: String,
    pub name: String,
    /// Parents among the kept labels (HPO only; empty for flat sets and for the top terms just
    /// below "Phenotypic abnormality", which itself is not a label).
    pub parents: Vec<usize>,
    /// Genes of the dataset carrying the label (all parts).
    pub n_genes: usize,
    /// Training genes carrying it, homology split (use for frequency bins).
    pub n_train_homology: usize,
    /// Training genes carrying it, random split.
    pub n_train_random: usize,
}

/// GO namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoNamespace {
    BiologicalProcess,
    MolecularFunction,
    CellularComponent,
}

/// A GO term (only terms reachable upward from some gene's annotation are listed).
#[derive(Debug, Clone)]
pub struct GoTerm {
    pub id: String,
    pub name: String,
    pub namespace: GoNamespace,
    /// is_a and part_of parents together (indices into [`Dataset::go_terms`]).
    pub parents: Vec<usize>,
    pub is_a: Vec<usize>,
    pub part_of: Vec<usize>,
    /// Shortest is_a/part_of path to the namespace root (root = 0).
    pub depth: u32,
}

/// A pair of mutually exclusive labels (indices into [`Dataset::labels`], a < b).
#[derive(Debug, Clone)]
pub struct ExclusivePair {
    pub a: usize,
    pub b: usize,
    /// Why the build kept it (opposite names, shared parent, co-annotation counts).
    pub reason: String,
}

/// Train / validation / test genes (indices into [`Dataset::genes`], sorted).
#[derive(Debug, Clone, Default)]
pub struct Split {
    pub train: Vec<usize>,
    pub valid: Vec<usize>,
    pub test: Vec<usize>,
}

/// Label-frequency bins of the evaluation (training genes per term).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FrequencyBin {
    From11To30,
    From31To100,
    From101To300,
    From301,
}

impl FrequencyBin {
    /// The bin of a term with `n` training genes; `None` for n <= 10 (not reported).
    pub fn of(n: usize) -> Option<Self> {
        match n {
            0..=10 => None,
            11..=30 => Some(Self::From11To30),
            31..=100 => Some(Self::From31To100),
            101..=300 => Some(Self::From101To300),
            _ => Some(Self::From301),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::From11To30 => "11-30",
            Self::From31To100 => "31-100",
            Self::From101To300 => "101-300",
            Self::From301 => ">=301",
        }
    }
}

/// One dataset, ready for training and evaluation.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub kind: LabelSet,
    /// Genes with a sequence and at least one kept label, by ascending Entrez id.
    pub genes: Vec<Gene>,
    /// Kept labels, by id.
    pub labels: Vec<LabelTerm>,
    /// GO terms, by id (shared by all datasets).
    pub go_terms: Vec<GoTerm>,
    pub exclusive_pairs: Vec<ExclusivePair>,
    pub homology: Split,
    pub random: Split,
}

impl Dataset {
    /// Loads `kind` from the data directory (the repository's `data/`), checking checksums.
    pub fn load(dir: &Path, kind: LabelSet) -> Result<Self, DataError> {
        let manifest = Manifest::read(&dir.join("MANIFEST.json"))?;
        let checked = |rel: &str| -> Result<std::path::PathBuf, DataError> {
            let path = dir.join(rel);
            let entry = manifest
                .files
                .iter()
                .find(|f| f.path == rel)
                .ok_or_else(|| DataError::Format(format!("{rel} is not listed in MANIFEST.json")))?;
            let bytes = std::fs::read(&path).map_err(|e| DataError::io(&path, e))?;
            if fetch::sha256_bytes(&bytes) != entry.sha256 {
                return Err(DataError::Format(format!("{} does not match its MANIFEST.json checksum", path.display())));
            }
            Ok(path)
        };
        let bad = |what: &str, v: &str| DataError::Format(format!("{what}: bad value {v:?}"));
        let sub = kind.name();

        // GO terms.
        let t = read_tsv(&checked("go_terms.tsv.gz")?)?;
        let (c_id, c_ns, c_depth, c_isa, c_part, c_name) =
            (t.column("go_id")?, t.column("namespace")?, t.column("depth")?, t.column("is_a")?, t.column("part_of")?, t.column("name")?);
        let go_index: HashMap<String, usize> = t.rows.iter().enumerate().map(|(i, r)| (r[c_id].clone(), i)).collect();
        let go_idx = |id: &str| go_index.get(id).copied().ok_or_else(|| DataError::Format(format!("unknown GO term {id}")));
        let mut go_terms = Vec::with_capacity(t.rows.len());
        for r in &t.rows {
            let list = |cell: &str| -> Result<Vec<usize>, DataError> {
                let mut v = split_list(cell).map(go_idx).collect::<Result<Vec<_>, _>>()?;
                v.sort_unstable();
                Ok(v)
            };
            let (is_a, part_of) = (list(&r[c_isa])?, list(&r[c_part])?);
            let mut parents: Vec<usize> = is_a.iter().chain(&part_of).copied().collect();
            parents.sort_unstable();
            parents.dedup();
            go_terms.push(GoTerm {
                id: r[c_id].clone(),
                name: r[c_name].clone(),
                namespace: match r[c_ns].as_str() {
                    "BP" => GoNamespace::BiologicalProcess,
                    "MF" => GoNamespace::MolecularFunction,
                    "CC" => GoNamespace::CellularComponent,
                    other => return Err(bad("namespace", other)),
                },
                parents,
                is_a,
                part_of,
                depth: r[c_depth].parse().map_err(|_| bad("depth", &r[c_depth]))?,
            });
        }

        // Labels.
        let t = read_tsv(&checked(&format!("{sub}/labels.tsv.gz"))?)?;
        let (c_id, c_par, c_n, c_h, c_r, c_name) =
            (t.column("id")?, t.column("parents")?, t.column("n_genes")?, t.column("n_train_homology")?, t.column("n_train_random")?, t.column("name")?);
        let label_index: HashMap<String, usize> = t.rows.iter().enumerate().map(|(i, r)| (r[c_id].clone(), i)).collect();
        let label_idx = |id: &str| label_index.get(id).copied().ok_or_else(|| DataError::Format(format!("unknown label {id}")));
        let num = |v: &str| v.parse::<usize>().map_err(|_| bad("count", v));
        let mut labels = Vec::with_capacity(t.rows.len());
        for r in &t.rows {
            let mut parents = split_list(&r[c_par]).map(label_idx).collect::<Result<Vec<_>, _>>()?;
            parents.sort_unstable();
            labels.push(LabelTerm {
                id: r[c_id].clone(),
                name: r[c_name].clone(),
                parents,
                n_genes: num(&r[c_n])?,
                n_train_homology: num(&r[c_h])?,
                n_train_random: num(&r[c_r])?,
            });
        }

        // Gene labels decide which genes belong to the dataset.
        let t = read_tsv(&checked(&format!("{sub}/gene_labels.tsv.gz"))?)?;
        let (c_gene, c_labels) = (t.column("entrez_id")?, t.column("labels")?);
        let mut gene_labels: HashMap<u32, Vec<usize>> = HashMap::new();
        for r in &t.rows {
            let mut ls = split_list(&r[c_labels]).map(label_idx).collect::<Result<Vec<_>, _>>()?;
            ls.sort_unstable();
            gene_labels.insert(r[c_gene].parse().map_err(|_| bad("entrez_id", &r[c_gene]))?, ls);
        }

        // Genes, in Entrez order, with their split parts.
        let t = read_tsv(&checked("genes.tsv.gz")?)?;
        let (c_gene, c_sym, c_up, c_grp, c_hs, c_rs, c_seq) = (
            t.column("entrez_id")?,
            t.column("symbol")?,
            t.column("uniprot")?,
            t.column("homology_group")?,
            t.column("homology_split")?,
            t.column("random_split")?,
            t.column("sequence")?,
        );
        let mut genes = Vec::new();
        let (mut homology, mut random) = (Split::default(), Split::default());
        for r in &t.rows {
            let entrez: u32 = r[c_gene].parse().map_err(|_| bad("entrez_id", &r[c_gene]))?;
            let Some(ls) = gene_labels.remove(&entrez) else { continue };
            let i = genes.len();
            for (split, cell) in [(&mut homology, &r[c_hs]), (&mut random, &r[c_rs])] {
                match cell.parse::<Part>().ok().ok_or_else(|| bad("split", cell))? {
                    Part::Train => split.train.push(i),
                    Part::Valid => split.valid.push(i),
                    Part::Test => split.test.push(i),
                }
            }
            genes.push(Gene {
                entrez,
                symbol: r[c_sym].clone(),
                uniprot: r[c_up].clone(),
                sequence: r[c_seq].clone(),
                labels: ls,
                go_direct: Vec::new(),
                go_closed: Vec::new(),
                homology_group: r[c_grp].parse().map_err(|_| bad("homology_group", &r[c_grp]))?,
            });
        }
        if let Some(g) = gene_labels.keys().next() {
            return Err(DataError::Format(format!("{sub}/gene_labels.tsv.gz: gene {g} is not in genes.tsv.gz")));
        }
        let gene_index: HashMap<u32, usize> = genes.iter().enumerate().map(|(i, g)| (g.entrez, i)).collect();

        // GO annotations and closures.
        let t = read_tsv(&checked("go_annotations.tsv.gz")?)?;
        let (c_gene, c_go, c_ev) = (t.column("entrez_id")?, t.column("go_id")?, t.column("evidence")?);
        for r in &t.rows {
            let entrez: u32 = r[c_gene].parse().map_err(|_| bad("entrez_id", &r[c_gene]))?;
            if let Some(&i) = gene_index.get(&entrez) {
                genes[i].go_direct.push(GoAnnotation { term: go_idx(&r[c_go])?, evidence: split_list(&r[c_ev]).map(str::to_owned).collect() });
            }
        }
        let t = read_tsv(&checked("go_closure.tsv.gz")?)?;
        let (c_gene, c_go) = (t.column("entrez_id")?, t.column("go_ids")?);
        for r in &t.rows {
            let entrez: u32 = r[c_gene].parse().map_err(|_| bad("entrez_id", &r[c_gene]))?;
            if let Some(&i) = gene_index.get(&entrez) {
                let mut v = split_list(&r[c_go]).map(go_idx).collect::<Result<Vec<_>, _>>()?;
                v.sort_unstable();
                genes[i].go_closed = v;
            }
        }

        // Exclusive pairs.
        let t = read_tsv(&checked(&format!("{sub}/exclusive_pairs.tsv"))?)?;
        let (c_a, c_b, c_reason) = (t.column("a")?, t.column("b")?, t.column("reason")?);
        let exclusive_pairs = t
            .rows
            .iter()
            .map(|r| Ok(ExclusivePair { a: label_idx(&r[c_a])?, b: label_idx(&r[c_b])?, reason: r[c_reason].clone() }))
            .collect::<Result<Vec<_>, DataError>>()?;

        Ok(Self { kind, genes, labels, go_terms, exclusive_pairs, homology, random })
    }

    /// The fixed split of this kind.
    pub fn split(&self, kind: SplitKind) -> &Split {
        match kind {
            SplitKind::Homology => &self.homology,
            SplitKind::Random => &self.random,
        }
    }

    /// Training genes carrying label `label` in split `kind` (the count the frequency bins use).
    pub fn train_frequency(&self, label: usize, kind: SplitKind) -> usize {
        match kind {
            SplitKind::Homology => self.labels[label].n_train_homology,
            SplitKind::Random => self.labels[label].n_train_random,
        }
    }

    /// Index of a label by id ("HP:0001252").
    pub fn label_index(&self, id: &str) -> Option<usize> {
        self.labels.binary_search_by(|l| l.id.as_str().cmp(id)).ok()
    }

    /// Index of a GO term by id ("GO:0008150").
    pub fn go_index(&self, id: &str) -> Option<usize> {
        self.go_terms.binary_search_by(|t| t.id.as_str().cmp(id)).ok()
    }

    /// Upward closure (over is_a and part_of) of a set of GO term indices, sorted.
    pub fn close_go(&self, terms: impl IntoIterator<Item = usize>) -> Vec<usize> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<usize> = terms.into_iter().collect();
        while let Some(t) = stack.pop() {
            if seen.insert(t) {
                stack.extend(&self.go_terms[t].parents);
            }
        }
        seen.into_iter().collect()
    }

    /// A gene's GO concept targets without phenotype-derived evidence: the closure of the
    /// direct annotations that have at least one evidence code other than IMP and IGI. Use it to
    /// check that the concepts do not simply restate the phenotype labels.
    pub fn go_closed_without_phenotype_evidence(&self, gene: usize) -> Vec<usize> {
        self.close_go(self.genes[gene].go_direct.iter().filter(|a| !a.phenotype_derived()).map(|a| a.term))
    }
}

/// These tests read the committed `data/` (offline, a few seconds in release).
#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::PathBuf;

    use super::*;
    use crate::data::{godb, hpo, labels::MIN_TRAIN_GENES};

    fn data_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
    }

    fn ids<'a>(d: &'a Dataset, idx: &[usize]) -> Vec<&'a str> {
        idx.iter().map(|&i| d.labels[i].id.as_str()).collect()
    }

    #[test]
    fn hpo_labels_are_closed_upward_in_the_real_ontology() {
        let d = Dataset::load(&data_dir(), LabelSet::Hpo).unwrap();
        let obo = hpo::parse_obo(include_str!("../../tests/fixtures/hp_excerpt.obo")).unwrap();
        // The stored graph is hp.obo's, minus the root "Phenotypic abnormality".
        for id in ["HP:0001252", "HP:0001276", "HP:0003808", "HP:0011804", "HP:0003011"] {
            let i = d.label_index(id).unwrap_or_else(|| panic!("{id} should be a label"));
            let want: Vec<&str> =
                obo.dag.parents(id).filter(|p| *p != hpo::PHENOTYPIC_ABNORMALITY).collect();
            assert_eq!(ids(&d, &d.labels[i].parents), want, "{id}");
        }
        assert!(d.label_index(hpo::PHENOTYPIC_ABNORMALITY).is_none());
        assert!(d.label_index("HP:0000007").is_none(), "mode of inheritance is not a phenotype label");
        // Every gene with Hypotonia has its whole ancestry up to the root's child.
        let path: Vec<usize> = ["HP:0001252", "HP:0003808", "HP:0011804", "HP:0003011", "HP:0033127"]
            .iter()
            .map(|id| d.label_index(id).unwrap())
            .collect();
        let mut with_hypotonia = 0;
        for g in &d.genes {
            let set: HashSet<usize> = g.labels.iter().copied().collect();
            for &l in &g.labels {
                for p in &d.labels[l].parents {
                    assert!(set.contains(p), "gene {} has {} but not its parent {}", g.entrez, d.labels[l].id, d.labels[*p].id);
                }
            }
            if set.contains(&path[0]) {
                with_hypotonia += 1;
                assert!(path.iter().all(|p| set.contains(p)), "gene {}", g.entrez);
            }
        }
        assert!(with_hypotonia >= 300, "only {with_hypotonia} genes with hypotonia");
    }

    #[test]
    fn go_concepts_are_the_upward_closure_of_the_direct_annotations() {
        let d = Dataset::load(&data_dir(), LabelSet::Mp).unwrap();
        let mut lose = 0;
        for (i, g) in d.genes.iter().enumerate() {
            assert_eq!(d.close_go(g.go_direct.iter().map(|a| a.term)), g.go_closed, "gene {}", g.entrez);
            let without = d.go_closed_without_phenotype_evidence(i);
            assert!(without.iter().all(|t| g.go_closed.binary_search(t).is_ok()));
            lose += usize::from(without.len() < g.go_closed.len());
        }
        assert!(lose > 100, "IMP/IGI evidence should matter for many MP genes, got {lose}");
        // The stored parents are GO.db's is_a and part_of edges (regulates left out).
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(include_str!("../../tests/fixtures/go_db_excerpt.sql")).unwrap();
        let excerpt = godb::read(&conn).unwrap();
        let mut checked = 0;
        for term in &excerpt.terms {
            let Some(i) = d.go_index(&term.id) else { continue };
            let mut want: Vec<&str> = excerpt.edges.iter().filter(|(c, _, _)| *c == term.id).map(|(_, p, _)| p.as_str()).collect();
            want.sort();
            want.dedup();
            let got: Vec<&str> = d.go_terms[i].parents.iter().map(|&p| d.go_terms[p].id.as_str()).collect();
            assert_eq!(got, want, "{}", term.id);
            checked += 1;
        }
        assert!(checked >= 20, "only {checked} excerpt terms found in the committed GO terms");
        let root = d.go_index("GO:0008150").unwrap();
        assert_eq!((d.go_terms[root].depth, d.go_terms[root].namespace), (0, GoNamespace::BiologicalProcess));
    }

    #[test]
    fn label_filter_and_frequencies_agree_with_the_gene_labels_and_splits() {
        for kind in LabelSet::ALL {
            let d = Dataset::load(&data_dir(), kind).unwrap();
            for split in [SplitKind::Homology, SplitKind::Random] {
                let s = d.split(split);
                let mut all: Vec<usize> = s.train.iter().chain(&s.valid).chain(&s.test).copied().collect();
                all.sort_unstable();
                assert_eq!(all, (0..d.genes.len()).collect::<Vec<_>>(), "{kind:?} {split:?} is not a partition");
                let mut counts = vec![0usize; d.labels.len()];
                for &g in &s.train {
                    for &l in &d.genes[g].labels {
                        counts[l] += 1;
                    }
                }
                for (l, n) in counts.iter().enumerate() {
                    assert_eq!(*n, d.train_frequency(l, split), "{kind:?} {}", d.labels[l].id);
                    assert!(*n >= MIN_TRAIN_GENES, "{kind:?} {} has only {n} training genes", d.labels[l].id);
                }
            }
            let mut n_genes = vec![0usize; d.labels.len()];
            d.genes.iter().flat_map(|g| &g.labels).for_each(|&l| n_genes[l] += 1);
            assert!(d.labels.iter().zip(&n_genes).all(|(l, n)| l.n_genes == *n));
            assert!(d.genes.iter().all(|g| !g.labels.is_empty() && !g.sequence.is_empty()));
        }
    }

    #[test]
    fn homology_groups_never_cross_parts() {
        let d = Dataset::load(&data_dir(), LabelSet::Hpo).unwrap();
        let mut part_of_group: HashMap<u32, usize> = HashMap::new();
        let s = &d.homology;
        for (p, members) in [&s.train, &s.valid, &s.test].into_iter().enumerate() {
            for &g in members {
                let prev = *part_of_group.entry(d.genes[g].homology_group).or_insert(p);
                assert_eq!(prev, p, "group {} spans two parts", d.genes[g].homology_group);
            }
        }
    }

    #[test]
    fn exclusive_pairs_are_opposite_siblings() {
        let d = Dataset::load(&data_dir(), LabelSet::Hpo).unwrap();
        assert!(!d.exclusive_pairs.is_empty());
        for pair in &d.exclusive_pairs {
            let (a, b) = (&d.labels[pair.a], &d.labels[pair.b]);
            assert!(a.parents.iter().any(|p| b.parents.contains(p)), "{} / {} are not siblings", a.id, b.id);
            let opposite = crate::data::exclusive::opposite_names(&a.name);
            assert!(opposite.iter().any(|(n, _)| *n == b.name.to_lowercase()), "{} / {}", a.name, b.name);
        }
    }

    #[test]
    fn frequency_bins_follow_the_evaluation_protocol() {
        assert_eq!(FrequencyBin::of(10), None);
        assert_eq!(FrequencyBin::of(11), Some(FrequencyBin::From11To30));
        assert_eq!(FrequencyBin::of(100), Some(FrequencyBin::From31To100));
        assert_eq!(FrequencyBin::of(101), Some(FrequencyBin::From101To300));
        assert_eq!(FrequencyBin::of(301), Some(FrequencyBin::From301));
    }
}

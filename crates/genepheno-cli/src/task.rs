//! A dataset turned into a learning task: which GO terms form the concept bottleneck, the dense
//! label and concept rows of each gene, the exclusive pairs, and the metadata that ships with a
//! model trained on it. Training, evaluation and export all build it the same way, from the
//! training part of the split only (no test gene influences the concept choice).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use genepheno::domain::LabelSet;
use genepheno::model::{Concept, ModelConfig, ModelMetadata, Ontology, Phenotype};

use crate::data::dataset::{Dataset, GoNamespace, SplitKind};

/// How the GO concepts of the bottleneck are chosen.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ConceptChoice {
    /// Smallest GO depth kept (the paper uses depth-2 terms; deeper terms are more specific).
    pub min_depth: u32,
    /// A term needs at least this many annotated training genes (enough to learn it).
    pub min_genes: usize,
    /// Terms annotated to more than this share of training genes say little about a gene.
    pub max_share: f64,
    /// At most this many terms, the most frequent first (a multiple of 4 keeps WebGPU happy).
    pub max_terms: usize,
}

impl Default for ConceptChoice {
    fn default() -> Self {
        // 800 rather than 1,000 terms: on HPO validation (stage 1, known-gene) 800 cost 0.001 Fmax
        // and 0.002 AUC, and the phenotype layer (concepts x labels, 8-bit) is most of the download.
        Self { min_depth: 2, min_genes: 20, max_share: 0.5, max_terms: 800 }
    }
}

/// The learning task; see the module docs.
pub struct Task {
    pub data: Dataset,
    pub split: SplitKind,
    /// GO term indices (into `data.go_terms`) of the concepts, in bottleneck order.
    pub concepts: Vec<usize>,
    concept_of_go: HashMap<usize, usize>,
    /// Exclusive label pairs.
    pub exclusive: Vec<(usize, usize)>,
    /// Label ontology (HPO); `None` for flat label sets.
    pub ontology: Option<Ontology>,
}

impl Task {
    pub fn new(data: Dataset, split: SplitKind, choice: &ConceptChoice) -> anyhow::Result<Self> {
        let train = &data.split(split).train;
        let mut counts = vec![0usize; data.go_terms.len()];
        for &g in train {
            for &t in &data.genes[g].go_closed {
                counts[t] += 1;
            }
        }
        let max_genes = (choice.max_share * train.len() as f64) as usize;
        let mut concepts: Vec<usize> = (0..data.go_terms.len())
            .filter(|&t| {
                data.go_terms[t].depth >= choice.min_depth
                    && counts[t] >= choice.min_genes
                    && counts[t] <= max_genes
            })
            .collect();
        // Most frequent first; ties by GO id (the term order), so the choice is deterministic.
        concepts.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(a.cmp(&b)));
        concepts.truncate(choice.max_terms);
        concepts.sort_unstable();
        Self::with_concepts(data, split, concepts)
    }

    /// The task with a given bottleneck (GO term indices into `data.go_terms`, in bottleneck
    /// order): the concepts a pretrained encoder learned (`genepheno pretrain`).
    pub fn with_concepts(data: Dataset, split: SplitKind, concepts: Vec<usize>) -> anyhow::Result<Self> {
        anyhow::ensure!(!concepts.is_empty(), "no GO term passes the concept choice");
        let concept_of_go = concepts.iter().enumerate().map(|(i, &t)| (t, i)).collect();
        let exclusive = data.exclusive_pairs.iter().map(|p| (p.a, p.b)).collect();
        let ontology = if data.kind.has_graph() {
            let parents = data.labels.iter().map(|l| l.parents.iter().map(|&p| p as u32).collect()).collect();
            Some(Ontology::new(parents)?)
        } else {
            None
        };
        Ok(Self { data, split, concepts, concept_of_go, exclusive, ontology })
    }

    pub fn label_count(&self) -> usize {
        self.data.labels.len()
    }

    pub fn concept_count(&self) -> usize {
        self.concepts.len()
    }

    /// Dense 0/1 label row of a gene (labels are already closed upward by the data build).
    pub fn label_row(&self, gene: usize) -> Vec<f32> {
        let mut row = vec![0f32; self.label_count()];
        for &l in &self.data.genes[gene].labels {
            row[l] = 1.0;
        }
        row
    }

    /// Dense 0/1 concept row of a gene: its upward-closed GO annotations among the concepts.
    pub fn concept_row(&self, gene: usize) -> Vec<f32> {
        let mut row = vec![0f32; self.concept_count()];
        for t in &self.data.genes[gene].go_closed {
            if let Some(&c) = self.concept_of_go.get(t) {
                row[c] = 1.0;
            }
        }
        row
    }

    /// Whether the gene has curated GO at all (its concept row is a real target).
    pub fn has_go(&self, gene: usize) -> bool {
        !self.data.genes[gene].go_closed.is_empty()
    }

    /// Training-split frequency of every label (for the frequency bins and the metadata).
    pub fn train_frequency(&self) -> Vec<usize> {
        (0..self.label_count()).map(|l| self.data.train_frequency(l, self.split)).collect()
    }

    /// The top-level system of each label: the ancestor(s) without parents, by name.
    fn systems(&self) -> Vec<Option<String>> {
        let Some(onto) = &self.ontology else { return vec![None; self.label_count()] };
        (0..self.label_count())
            .map(|l| {
                let mut tops: Vec<usize> = onto
                    .ancestors(l)
                    .iter()
                    .map(|&a| a as usize)
                    .chain(std::iter::once(l))
                    .filter(|&a| self.data.labels[a].parents.is_empty())
                    .collect();
                tops.sort_unstable();
                let names: Vec<&str> = tops.iter().map(|&a| self.data.labels[a].name.as_str()).collect();
                (!names.is_empty()).then(|| names.join("; "))
            })
            .collect()
    }

    /// The metadata of a model trained on this task (checksum and threshold filled in later).
    pub fn metadata(&self, config: ModelConfig, dataset_version: &str) -> ModelMetadata {
        let namespace = |n: GoNamespace| match n {
            GoNamespace::BiologicalProcess => "biological_process",
            GoNamespace::MolecularFunction => "molecular_function",
            GoNamespace::CellularComponent => "cellular_component",
        };
        let concepts = self
            .concepts
            .iter()
            .map(|&t| {
                let term = &self.data.go_terms[t];
                Concept { id: term.id.clone(), name: term.name.clone(), namespace: namespace(term.namespace).into() }
            })
            .collect();
        let frequency = self.train_frequency();
        let phenotypes = self
            .data
            .labels
            .iter()
            .zip(self.systems())
            .zip(frequency)
            .map(|((l, system), n)| Phenotype {
                id: l.id.clone(),
                name: l.name.clone(),
                system,
                parents: l.parents.iter().map(|&p| p as u32).collect(),
                train_genes: n as u32,
            })
            .collect();
        let licence = match self.data.kind {
            LabelSet::Mp => {
                "Trained on MGI mammalian phenotype gene sets from Enrichr (CC BY-NC-SA 4.0): non-commercial use only."
            }
            LabelSet::Hpo => "Trained on HPO annotations (HPO licence: free use with attribution).",
            LabelSet::Gwas => {
                "Trained on dbGaP trait gene sets from Enrichr (CC BY-NC-SA 4.0): non-commercial use only."
            }
        };
        ModelMetadata {
            model_version: crate::artifacts::MODEL_VERSION.into(),
            dataset: self.data.kind,
            dataset_version: dataset_version.into(),
            config,
            concepts,
            phenotypes,
            threshold: 0.5,
            quantization: "f32".into(),
            weights_sha256: String::new(),
            weights_file: String::new(),
            licence: licence.into(),
        }
    }
}

/// A protein outside the dataset's labelled genes, used only for the concept loss of the encoder:
/// its sequence and the indices of its concepts (from its curated, upward-closed GO).
#[derive(Debug, Clone)]
pub struct ConceptGene {
    pub sequence: String,
    pub concepts: Vec<u32>,
}

/// Every gene of `data/` (all 17k human proteins, not only the dataset's labelled ones) that is in
/// the training part of the task's split and has curated GO, minus the dataset's own genes. The
/// split is computed over all genes with whole homology groups per part, so none of these is a
/// validation or test gene of any dataset or a homologue of one.
pub fn extra_concept_genes(data_dir: &Path, task: &Task) -> anyhow::Result<Vec<ConceptGene>> {
    use crate::data::format::{read_tsv, split_list};
    let own: HashSet<u32> = task.data.genes.iter().map(|g| g.entrez).collect();
    let concept_of_id: HashMap<&str, u32> =
        task.concepts.iter().enumerate().map(|(i, &t)| (task.data.go_terms[t].id.as_str(), i as u32)).collect();
    let split_column = match task.split {
        SplitKind::Homology => "homology_split",
        SplitKind::Random => "random_split",
    };
    let genes = read_tsv(&data_dir.join("genes.tsv.gz"))?;
    let (c_gene, c_split, c_seq) = (genes.column("entrez_id")?, genes.column(split_column)?, genes.column("sequence")?);
    let mut sequence: HashMap<u32, String> = HashMap::new();
    for r in &genes.rows {
        let entrez: u32 = r[c_gene].parse()?;
        if r[c_split] == "train" && !own.contains(&entrez) && !r[c_seq].is_empty() {
            sequence.insert(entrez, r[c_seq].clone());
        }
    }
    let closure = read_tsv(&data_dir.join("go_closure.tsv.gz"))?;
    let (c_gene, c_go) = (closure.column("entrez_id")?, closure.column("go_ids")?);
    let mut out = Vec::new();
    for r in &closure.rows {
        let entrez: u32 = r[c_gene].parse()?;
        if let Some(seq) = sequence.remove(&entrez) {
            let mut concepts: Vec<u32> = split_list(&r[c_go]).filter_map(|id| concept_of_id.get(id).copied()).collect();
            concepts.sort_unstable();
            out.push(ConceptGene { sequence: seq, concepts });
        }
    }
    Ok(out)
}

/// Dense truth `[genes x labels]` of the given genes (labels are closed upward by the data build).
pub fn truth(task: &Task, genes: &[usize]) -> Vec<bool> {
    genes.iter().flat_map(|&g| task.label_row(g)).map(|v| v > 0.5).collect()
}

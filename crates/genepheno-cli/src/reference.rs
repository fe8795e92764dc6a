//! `genepheno reference`: writes the known-gene reference set the browser uses to recognise a
//! known human protein (exact or near-exact), show its curated phenotypes, feed its curated GO to
//! the concept layer, and list the most similar known genes (format and matching:
//! `genepheno::reference`).
//!
//! Everything model-specific (concept order, phenotype order and parents, weights checksum) comes
//! from the model metadata JSON given on the command line, so rerunning the command after a model
//! is retrained re-binds the file to the new weights. Gene facts come from the committed `data/`
//! (checked against `data/MANIFEST.json`): all 17,283 human proteins, not only the genes with
//! labels in this dataset, because a user may paste any of them.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use genepheno::model::ModelMetadata;
use genepheno::reference::{GeneInput, GeneName, ReferenceInput, ReferenceSet, SketchParams, sketch};

use crate::data::dataset::{Dataset, GoAnnotation};
use genepheno::domain::{LabelSet, Part};
use crate::data::fetch::sha256_bytes;
use crate::data::format::{read_tsv, split_list};
use crate::data::manifest::{FileEntry, Manifest};
use crate::data::shared_proteins::{self, SharedProteinsManifest};

/// `genepheno reference`
#[derive(Debug, clap::Args)]
pub struct ReferenceArgs {
    /// Label set.
    #[arg(long, value_parser = crate::args::label_set())]
    pub dataset: LabelSet,
    /// The exported model's metadata (public/models/{dataset}.json): concept and phenotype order,
    /// phenotype parents and the weights checksum the file is bound to.
    #[arg(long)]
    pub model: PathBuf,
    /// The committed data directory.
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Output file (public/models/{dataset}.reference.bin).
    #[arg(long)]
    pub out: PathBuf,
    /// Amino-acid k-mer length of the sketches.
    #[arg(long, default_value_t = SketchParams::DEFAULT.k)]
    pub kmer: u8,
    /// Sketch bins (bytes) per protein.
    #[arg(long, default_value_t = SketchParams::DEFAULT.bins)]
    pub bins: u16,
}

pub fn run(args: ReferenceArgs) -> anyhow::Result<()> {
    let meta = read_metadata(&args.model)?;
    ensure!(meta.dataset == args.dataset, "{} is a model for {}, not {}", args.model.display(), meta.dataset, args.dataset);
    let params = SketchParams { k: args.kmer, bins: args.bins };
    let (input, stats) = build_input(&args.data, &meta, params)?;
    let data_version = input.dataset_version.clone();
    if data_version != meta.dataset_version {
        eprintln!(
            "note: the model was trained on data version {}, the reference is built from data version {data_version} \
             (retrain and re-export, then rerun this command)",
            meta.dataset_version
        );
    }
    let bytes = ReferenceSet::encode(&input)?;
    // Decode what is about to ship, bound to the model, so a file the app would refuse never leaves.
    let set = ReferenceSet::decode_for_model(&bytes, &meta.weights_sha256, meta.dataset)?;
    ensure!(set.len() == input.genes.len(), "decoded {} genes, wrote {}", set.len(), input.genes.len());
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, &bytes).with_context(|| format!("writing {}", args.out.display()))?;
    println!("{}", stats.describe());
    println!(
        "wrote {} ({} bytes, k = {}, {} bins; bound to weights {} of {}; sha256 {})",
        args.out.display(),
        bytes.len(),
        params.k,
        params.bins,
        meta.weights_sha256,
        meta.dataset,
        sha256_bytes(&bytes)
    );
    Ok(())
}

pub fn read_metadata(path: &Path) -> anyhow::Result<ModelMetadata> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))
}

/// Counts printed by the command (and checked by the tests).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Stats {
    pub genes: usize,
    pub in_dataset: usize,
    pub parts: [usize; 3],
    pub with_concepts: usize,
    pub concept_entries: usize,
    pub phenotype_evidence_only_entries: usize,
    pub with_phenotypes: usize,
    pub phenotype_entries: usize,
    /// Dataset labels the model does not score (left out of the genes' phenotype lists).
    pub labels_not_in_model: usize,
    /// Proteins of several genes (data/shared_proteins) added, and left out (every gene already
    /// an entry, or the residues identical to a protein already listed).
    pub shared_proteins: usize,
    pub shared_skipped: usize,
    /// Of the added, those with curated phenotypes in this dataset.
    pub shared_with_phenotypes: usize,
}

impl Stats {
    fn describe(&self) -> String {
        format!(
            "{} known genes ({} in this dataset: {} train, {} valid, {} test); {} with curated concepts \
             ({:.1} per gene, {} concept entries resting only on IMP/IGI); {} with curated phenotypes \
             ({:.1} per gene, closed upward); {} dataset labels not scored by the model; {} proteins of several \
             genes ({} with curated phenotypes; {} left out: already listed)",
            self.genes,
            self.in_dataset,
            self.parts[0],
            self.parts[1],
            self.parts[2],
            self.with_concepts,
            self.concept_entries as f64 / self.with_concepts.max(1) as f64,
            self.phenotype_evidence_only_entries,
            self.with_phenotypes,
            self.phenotype_entries as f64 / self.with_phenotypes.max(1) as f64,
            self.labels_not_in_model,
            self.shared_proteins,
            self.shared_with_phenotypes,
            self.shared_skipped,
        )
    }
}

/// Reads a data file after checking it against its directory's `MANIFEST.json` file list (as the
/// dataset loader does).
fn checked_table(dir: &Path, files: &[FileEntry], rel: &str) -> anyhow::Result<crate::data::format::Table> {
    let path = dir.join(rel);
    let entry = files.iter().find(|f| f.path == rel).with_context(|| format!("{rel} is not in {}/MANIFEST.json", dir.display()))?;
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    ensure!(sha256_bytes(&bytes) == entry.sha256, "{} does not match its MANIFEST.json checksum", path.display());
    Ok(read_tsv(&path)?)
}

/// The data version, defined as the model metadata defines it: the first 16 hex digits of the
/// SHA-256 of `data/MANIFEST.json`.
fn data_version(dir: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(dir.join("MANIFEST.json"))?;
    Ok(sha256_bytes(&bytes)[..16].to_string())
}

/// Everything the encoder needs, from the data directory and one model's metadata.
pub fn build_input(dir: &Path, meta: &ModelMetadata, params: SketchParams) -> anyhow::Result<(ReferenceInput, Stats)> {
    let kind = meta.dataset;
    let data = Dataset::load(dir, kind)?;
    let manifest = Manifest::read(&dir.join("MANIFEST.json"))?;

    // Concepts: the model's GO ids in bottleneck order, and each one's ancestors among them.
    let mut concept_of_go: HashMap<usize, u32> = HashMap::new();
    for (c, concept) in meta.concepts.iter().enumerate() {
        let go = data.go_index(&concept.id).with_context(|| format!("model concept {} is not in data/go_terms", concept.id))?;
        concept_of_go.insert(go, c as u32);
    }
    ensure!(concept_of_go.len() == meta.concepts.len(), "the model lists a concept twice");
    let to_concepts = |go: &[usize]| -> Vec<u32> {
        let mut v: Vec<u32> = go.iter().filter_map(|t| concept_of_go.get(t).copied()).collect();
        v.sort_unstable();
        v
    };
    let concept_parents: Vec<Vec<u32>> = meta
        .concepts
        .iter()
        .map(|c| {
            let go = data.go_index(&c.id).expect("checked above");
            let up: Vec<usize> = data.close_go([go]).into_iter().filter(|&t| t != go).collect();
            to_concepts(&up)
        })
        .collect();

    // Phenotypes: the model's list and parents; dataset labels mapped to it by id.
    let phenotype_of_id: HashMap<&str, u32> = meta.phenotypes.iter().enumerate().map(|(i, p)| (p.id.as_str(), i as u32)).collect();
    let label_map: Vec<Option<u32>> = data.labels.iter().map(|l| phenotype_of_id.get(l.id.as_str()).copied()).collect();
    let phenotype_parents: Vec<Vec<u32>> = meta.phenotypes.iter().map(|p| p.parents.clone()).collect();

    // Where each dataset gene stands in the homology split (the one models are trained on).
    let mut part_of: HashMap<u32, Part> = HashMap::new();
    for (list, part) in [(&data.homology.train, Part::Train), (&data.homology.valid, Part::Valid), (&data.homology.test, Part::Test)] {
        for &g in list {
            part_of.insert(data.genes[g].entrez, part);
        }
    }
    let dataset_gene: HashMap<u32, usize> = data.genes.iter().enumerate().map(|(i, g)| (g.entrez, i)).collect();

    // Direct GO annotations of every human gene (the loader keeps only the dataset's genes).
    let t = checked_table(dir, &manifest.files, "go_annotations.tsv.gz")?;
    let (c_gene, c_go, c_ev) = (t.column("entrez_id")?, t.column("go_id")?, t.column("evidence")?);
    let mut annotations: HashMap<u32, Vec<GoAnnotation>> = HashMap::new();
    for r in &t.rows {
        let entrez: u32 = r[c_gene].parse().with_context(|| format!("bad entrez id {:?}", r[c_gene]))?;
        let term = data.go_index(&r[c_go]).with_context(|| format!("unknown GO term {}", r[c_go]))?;
        let evidence = split_list(&r[c_ev]).map(str::to_owned).collect();
        annotations.entry(entrez).or_default().push(GoAnnotation { term, evidence });
    }

    let t = checked_table(dir, &manifest.files, "genes.tsv.gz")?;
    let (c_gene, c_sym, c_up, c_seq) = (t.column("entrez_id")?, t.column("symbol")?, t.column("uniprot")?, t.column("sequence")?);
    let mut stats = Stats { labels_not_in_model: label_map.iter().filter(|m| m.is_none()).count(), ..Stats::default() };
    let mut genes = Vec::with_capacity(t.rows.len());
    for r in &t.rows {
        let entrez: u32 = r[c_gene].parse().with_context(|| format!("bad entrez id {:?}", r[c_gene]))?;
        let direct = annotations.get(&entrez).map(Vec::as_slice).unwrap_or_default();
        let closed = data.close_go(direct.iter().map(|a| a.term));
        let without = data.close_go(direct.iter().filter(|a| !a.phenotype_derived()).map(|a| a.term));
        let concepts = to_concepts(&closed);
        let only: Vec<usize> = closed.iter().copied().filter(|t| without.binary_search(t).is_err()).collect();
        let concepts_phenotype_evidence_only = to_concepts(&only);
        let (split, phenotypes) = match dataset_gene.get(&entrez) {
            Some(&i) => {
                let g = &data.genes[i];
                if g.go_closed != closed {
                    bail!("gene {entrez}: GO closure differs from data/go_closure.tsv.gz");
                }
                let mut p: Vec<u32> = g.labels.iter().filter_map(|&l| label_map[l]).collect();
                p.sort_unstable();
                (Some(part_of[&entrez]), p)
            }
            None => (None, Vec::new()),
        };
        stats.genes += 1;
        match split {
            Some(Part::Train) => stats.parts[0] += 1,
            Some(Part::Valid) => stats.parts[1] += 1,
            Some(Part::Test) => stats.parts[2] += 1,
            None => {}
        }
        stats.in_dataset += usize::from(split.is_some());
        stats.with_concepts += usize::from(!concepts.is_empty());
        stats.concept_entries += concepts.len();
        stats.phenotype_evidence_only_entries += concepts_phenotype_evidence_only.len();
        stats.with_phenotypes += usize::from(!phenotypes.is_empty());
        stats.phenotype_entries += phenotypes.len();
        genes.push(GeneInput {
            entrez,
            symbol: r[c_sym].clone(),
            uniprot: r[c_up].clone(),
            same_protein: Vec::new(),
            split,
            sequence: r[c_seq].clone(),
            concepts,
            concepts_phenotype_evidence_only,
            phenotypes,
        });
    }
    ensure!(stats.in_dataset == data.genes.len(), "{} dataset genes are missing from genes.tsv.gz", data.genes.len() - stats.in_dataset);

    let concept_of_id: HashMap<&str, u32> = meta.concepts.iter().enumerate().map(|(c, t)| (t.id.as_str(), c as u32)).collect();
    let shared = SharedProteins::read(dir, kind)?;
    let mut taken: HashSet<u32> = genes.iter().map(|g| g.entrez).collect();
    let mut digests: HashSet<u64> = genes.iter().map(|g| sketch::digest(&sketch::normalise(g.sequence.as_bytes()))).collect();
    for protein in &shared.proteins {
        let Some(primary) = protein.genes.iter().find(|g| !taken.contains(&g.entrez)) else {
            stats.shared_skipped += 1;
            continue;
        };
        if !digests.insert(sketch::digest(&sketch::normalise(protein.sequence.as_bytes()))) {
            stats.shared_skipped += 1;
            continue;
        }
        taken.insert(primary.entrez);
        let (mut all, mut without, mut phenotypes) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        for g in &protein.genes {
            if let Some((a, w)) = shared.go.get(&g.entrez) {
                all.extend(a.iter().filter_map(|t| concept_of_id.get(t.as_str()).copied()));
                without.extend(w.iter().filter_map(|t| concept_of_id.get(t.as_str()).copied()));
            }
            if let Some(labels) = shared.labels.get(&g.entrez) {
                phenotypes.extend(labels.iter().filter_map(|l| phenotype_of_id.get(l.as_str()).copied()));
            }
        }
        // Never trained on or held out as a protein (a gene of it may be in the dataset through a
        // protein of its own, whose entry carries that standing): the model's priors and the
        // nearest-training-protein signal count only the dataset's proteins.
        let split = None;
        let concepts: Vec<u32> = all.iter().copied().collect();
        stats.genes += 1;
        stats.shared_proteins += 1;
        stats.shared_with_phenotypes += usize::from(!phenotypes.is_empty());
        genes.push(GeneInput {
            entrez: primary.entrez,
            symbol: primary.symbol.clone(),
            uniprot: protein.uniprot.clone(),
            same_protein: protein.genes.iter().filter(|g| g.entrez != primary.entrez).cloned().collect(),
            split,
            sequence: protein.sequence.clone(),
            concepts_phenotype_evidence_only: all.difference(&without).copied().collect(),
            concepts,
            phenotypes: phenotypes.into_iter().collect(),
        });
    }
    let input = ReferenceInput {
        dataset: meta.dataset,
        dataset_version: data_version(dir)?,
        weights_sha256: meta.weights_sha256.clone(),
        split: "homology".into(),
        params,
        concept_parents,
        phenotype_parents,
        genes,
    };
    Ok((input, stats))
}

/// `data/shared_proteins`, read for one dataset (files checked against its manifest).
struct SharedProteins {
    proteins: Vec<SharedProtein>,
    /// Entrez id -> (GO closure, the closure without IMP/IGI evidence), GO ids.
    go: HashMap<u32, (Vec<String>, Vec<String>)>,
    /// Entrez id -> the dataset's label ids (closed upward).
    labels: HashMap<u32, Vec<String>>,
}

struct SharedProtein {
    uniprot: String,
    /// In Entrez order.
    genes: Vec<GeneName>,
    sequence: String,
}

impl SharedProteins {
    fn read(data: &Path, kind: LabelSet) -> anyhow::Result<Self> {
        let dir = data.join(shared_proteins::DIR);
        let manifest = SharedProteinsManifest::read(&dir.join("MANIFEST.json"))
            .with_context(|| format!("{} is built by `genepheno data shared-proteins`", dir.display()))?;
        let list = |cell: &str| split_list(cell).map(str::to_owned).collect::<Vec<_>>();
        let entrez = |cell: &str| cell.parse::<u32>().with_context(|| format!("bad entrez id {cell:?}"));

        let t = checked_table(&dir, &manifest.files, shared_proteins::PROTEINS)?;
        let (c_up, c_ids, c_syms, c_seq) = (t.column("uniprot")?, t.column("entrez_ids")?, t.column("symbols")?, t.column("sequence")?);
        let mut proteins = Vec::with_capacity(t.rows.len());
        for r in &t.rows {
            let ids = list(&r[c_ids]);
            let symbols: Vec<&str> = r[c_syms].split(',').collect();
            ensure!(ids.len() >= 2 && ids.len() == symbols.len(), "{}: genes and symbols do not pair up", r[c_up]);
            let genes = ids
                .iter()
                .zip(symbols)
                .map(|(id, symbol)| Ok(GeneName { entrez: entrez(id)?, symbol: symbol.to_owned() }))
                .collect::<anyhow::Result<Vec<_>>>()?;
            proteins.push(SharedProtein { uniprot: r[c_up].clone(), genes, sequence: r[c_seq].clone() });
        }
        let t = checked_table(&dir, &manifest.files, shared_proteins::GO_CLOSURE)?;
        let (c_gene, c_all, c_without) = (t.column("entrez_id")?, t.column("go_ids")?, t.column("go_ids_without_phenotype_evidence")?);
        let mut go = HashMap::new();
        for r in &t.rows {
            go.insert(entrez(&r[c_gene])?, (list(&r[c_all]), list(&r[c_without])));
        }
        let t = checked_table(&dir, &manifest.files, &shared_proteins::labels_file(kind))?;
        let (c_gene, c_labels) = (t.column("entrez_id")?, t.column("labels")?);
        let mut labels = HashMap::new();
        for r in &t.rows {
            labels.insert(entrez(&r[c_gene])?, list(&r[c_labels]));
        }
        Ok(Self { proteins, go, labels })
    }
}

pub mod variants;

#[cfg(test)]
mod tests;

//! Answers to the page's questions ([`Query`]) from a loaded model: scoring (with known genes recognised and
//! scored from their curated GO), details, explanations, concept maps and residue maps, each
//! refused with a typed [`Reason`] that names what failed. Pure logic over the predictors and the
//! reference set, so it runs natively and is tested there (tests/service.rs, on the shipped
//! model); the web worker keeps only the transport (messages, downloads, caches) and starting
//! the GPU.
//!
//! A request's failure is that request's answer and nothing more: the state holds no request,
//! so a refused detail never stops scoring, and the concept source is what each request names.

use std::cell::{Cell, OnceCell};

use crate::calibration::{Calibration, NearestTraining, Signals, concept_confidence, prior};
use crate::domain::Part;
use crate::model::{ModelError, ModelMetadata, Prediction, Predictor, Scoring};
use crate::protocol::{
    Backend, ConceptMapRows, ConceptSource, Detail, Explained, Item, KnownGene, LIST_FLOOR, ModelSummary, Reason, Regions,
    Query, Response, Scored, Similar, Term, top_scores,
};
use crate::reference::{Identification, ReferenceSet};

/// How many similar known genes a detail view lists.
const SIMILAR_GENES: usize = 5;

/// What the service needs from where it runs.
pub trait Host {
    /// The GPU failed and the CPU took over for good (`notice` says why): the page is told.
    fn switched_to_cpu(&self, notice: String);
    /// Memory the process holds now, in bytes (the worker's WebAssembly memory).
    fn memory_bytes(&self) -> u64;
    /// A monotonic clock in milliseconds.
    fn now_ms(&self) -> f64;
}

/// A loaded model: the CPU predictor (always there, the fallback), the GPU one once it passed
/// its self-check, and the known-gene reference set when it could be used.
pub struct Service {
    cpu: Predictor,
    gpu: OnceCell<Predictor>,
    backend: Cell<Backend>,
    reference: Option<ReferenceSet>,
}

impl Service {
    /// A model on the CPU, with its reference set if there is a usable one.
    pub fn new(cpu: Predictor, reference: Option<ReferenceSet>) -> Self {
        Service { cpu, gpu: OnceCell::new(), backend: Cell::new(Backend::Cpu), reference }
    }

    pub fn cpu(&self) -> &Predictor {
        &self.cpu
    }

    pub fn reference(&self) -> Option<&ReferenceSet> {
        self.reference.as_ref()
    }

    /// The backend now answering.
    pub fn backend(&self) -> Backend {
        self.backend.get()
    }

    /// Hands the work to a GPU predictor that passed its self-check; false if one was set before.
    pub fn use_gpu(&self, gpu: Predictor) -> bool {
        let set = self.gpu.set(gpu).is_ok();
        if set {
            self.backend.set(Backend::Gpu);
        }
        set
    }

    /// Training genes of this dataset in the reference set (the priors' denominator when no
    /// calibration file gives it).
    pub fn reference_training_genes(&self) -> Option<u32> {
        let reference = self.reference.as_ref()?;
        let n = reference.genes().iter().filter(|g| g.split == Some(Part::Train)).count() as u32;
        (n > 0).then_some(n)
    }

    /// The known gene this protein is, if the reference set recognises it.
    fn identify(&self, residues: &str) -> Option<(usize, KnownGene)> {
        let reference = self.reference.as_ref()?;
        let found = reference.identify(residues.as_bytes())?;
        let gene = reference.gene(found.gene());
        let (identity, others) = match found {
            Identification::Exact { .. } => (100.0, 0),
            Identification::NearExact { similarity, others_near_exact, .. } => {
                (similarity.estimated_identity.unwrap_or(0.0) * 100.0, others_near_exact)
            }
        };
        let known = KnownGene {
            symbol: gene.symbol.clone(),
            entrez: gene.entrez,
            uniprot: gene.uniprot.clone(),
            identity,
            exact: found.is_exact(),
            others,
            same_protein: gene.same_protein.iter().map(|g| g.symbol.clone()).collect(),
            split: gene.split,
        };
        Some((found.gene(), known))
    }

    /// The applicability signals of a sequence-mode prediction.
    fn signals(&self, residues: &str, concepts: &[f32]) -> Signals {
        let nearest_training = self.reference.as_ref().and_then(|reference| {
            let found = reference.nearest_in(residues.as_bytes(), Part::Train)?;
            Some(NearestTraining {
                symbol: reference.gene(found.gene).symbol.clone(),
                jaccard: found.similarity.kmer_jaccard,
                identity: found.similarity.estimated_identity.map(|i| i * 100.0),
            })
        });
        Signals { concept_confidence: concept_confidence(concepts), nearest_training }
    }

    fn similar(&self, residues: &str) -> Vec<Similar> {
        let Some(reference) = &self.reference else { return Vec::new() };
        reference
            .most_similar(residues.as_bytes(), SIMILAR_GENES)
            .into_iter()
            .map(|s| {
                let gene = reference.gene(s.gene);
                Similar {
                    symbol: gene.symbol.clone(),
                    entrez: gene.entrez,
                    uniprot: gene.uniprot.clone(),
                    jaccard: s.similarity.kmer_jaccard,
                    identity: s.similarity.estimated_identity.map(|i| i * 100.0),
                }
            })
            .collect()
    }

    /// The predictor now in use.
    fn active(&self) -> &Predictor {
        match (self.backend.get(), self.gpu.get()) {
            (Backend::Gpu, Some(gpu)) => gpu,
            _ => &self.cpu,
        }
    }

    /// Runs `job` on the active backend; if the GPU fails, switches to the CPU for good, tells
    /// the page, and runs it there.
    async fn run<T>(&self, host: &impl Host, job: impl AsyncFn(&Predictor) -> Result<T, ModelError>) -> Result<T, Reason> {
        if self.backend.get() == Backend::Gpu {
            match job(self.active()).await {
                Ok(value) => return Ok(value),
                Err(error) => {
                    self.backend.set(Backend::Cpu);
                    host.switched_to_cpu(format!("the GPU failed ({error}); scoring continues on the CPU."));
                }
            }
        }
        job(&self.cpu).await.map_err(|e| Reason::Compute(e.to_string()))
    }

    async fn prediction(&self, item: &Item, source: ConceptSource, host: &impl Host) -> Result<Prediction, Reason> {
        if item.residues.is_empty() {
            return Err(Reason::EmptySequence);
        }
        match source {
            ConceptSource::Sequence => {
                let protein = item.residues.as_bytes();
                let mut out = self.run(host, async |p: &Predictor| p.predict(&[protein]).await).await?;
                out.pop().ok_or_else(|| Reason::Incomplete("no prediction".into()))
            }
            ConceptSource::CuratedGo => {
                let reference = self.reference.as_ref().ok_or(Reason::NoReferenceSet)?;
                let (gene, _) = self.identify(&item.residues).ok_or(Reason::NotAKnownGene)?;
                let row = reference.concept_vector(gene, self.cpu.metadata().concepts.len());
                let mut out = self.run(host, async |p: &Predictor| p.predict_from_concepts(std::slice::from_ref(&row)).await).await?;
                out.pop().ok_or_else(|| Reason::Incomplete("no prediction".into()))
            }
        }
    }

    /// Answers one question of the page (loading is the worker's own: it makes a service).
    pub async fn serve(&self, query: Query, host: &impl Host) -> Result<Response, Reason> {
        match query {
            Query::Score { batch, items } => {
                if items.iter().any(|i| i.residues.is_empty()) {
                    return Err(Reason::EmptySequence);
                }
                let proteins: Vec<&[u8]> = items.iter().map(|i| i.residues.as_bytes()).collect();
                let predictions = self.run(host, async |p: &Predictor| p.predict(&proteins).await).await?;
                // Recognised known genes open in known-gene mode: scored from their curated GO,
                // all of them in one pass.
                let identified: Vec<Option<(usize, KnownGene)>> = items.iter().map(|i| self.identify(&i.residues)).collect();
                let concept_count = self.cpu.metadata().concepts.len();
                let rows: Vec<Vec<f32>> = match &self.reference {
                    Some(reference) => identified.iter().flatten().map(|(g, _)| reference.concept_vector(*g, concept_count)).collect(),
                    None => Vec::new(),
                };
                let mut from_curated = if rows.is_empty() {
                    Vec::new()
                } else {
                    self.run(host, async |p: &Predictor| p.predict_from_concepts(&rows).await).await?
                }
                .into_iter();
                let mut results = Vec::with_capacity(items.len());
                for ((item, p), found) in items.iter().zip(predictions).zip(identified) {
                    let signals = self.signals(&item.residues, &p.concepts);
                    let scored = match (found, &self.reference) {
                        (Some((gene, known)), Some(reference)) => {
                            let curated_scores = from_curated.next().ok_or_else(|| Reason::Incomplete("known-gene scores missing".into()))?;
                            let curated = reference.gene(gene).phenotypes.clone();
                            let mut top = top_scores(&curated_scores.phenotypes, LIST_FLOOR);
                            let listed: std::collections::HashSet<u32> = top.iter().map(|(i, _)| *i).collect();
                            for &c in &curated {
                                if !listed.contains(&c)
                                    && let Some(&s) = curated_scores.phenotypes.get(c as usize)
                                {
                                    top.push((c, s));
                                }
                            }
                            Scored { key: item.key, top, known: Some(known), source: ConceptSource::CuratedGo, curated, signals }
                        }
                        (found, _) => Scored {
                            key: item.key,
                            top: top_scores(&p.phenotypes, LIST_FLOOR),
                            known: found.map(|(_, known)| known),
                            source: ConceptSource::Sequence,
                            curated: Vec::new(),
                            signals,
                        },
                    };
                    results.push(scored);
                }
                Ok(Response::Scored { batch, results, memory_bytes: host.memory_bytes() })
            }
            Query::Detail { item, source } => {
                let prediction = self.prediction(&item, source, host).await?;
                let identified = self.identify(&item.residues);
                let curated = match (&identified, &self.reference) {
                    (Some((gene, _)), Some(reference)) => reference.gene(*gene).phenotypes.clone(),
                    _ => Vec::new(),
                };
                let similar = if identified.is_some() { Vec::new() } else { self.similar(&item.residues) };
                let concepts = &prediction.concepts;
                let own = self.run(host, async |p: &Predictor| p.own_scores(concepts).await).await?;
                Ok(Response::Detail(Box::new(Detail {
                    key: item.key,
                    source,
                    phenotypes: prediction.phenotypes,
                    concepts: prediction.concepts,
                    known: identified.map(|(_, known)| known),
                    curated,
                    similar,
                    own,
                })))
            }
            Query::Explain { item, source, phenotype } => {
                let prediction = self.prediction(&item, source, host).await?;
                let index = phenotype as usize;
                let score = *prediction.phenotypes.get(index).ok_or(Reason::NoSuchPhenotype(phenotype))?;
                let concepts = prediction.concepts;
                let why = self.run(host, async |p: &Predictor| p.explain(&concepts, index).await).await?;
                let logit = why.bias + why.contributions.iter().sum::<f32>();
                Ok(Response::Explained(Box::new(Explained {
                    key: item.key,
                    source,
                    phenotype,
                    contributions: why.contributions,
                    bias: why.bias,
                    own_score: 1.0 / (1.0 + (-logit).exp()),
                    score,
                })))
            }
            Query::ConceptMap { item, source, phenotypes } => {
                let count = self.cpu.metadata().phenotypes.len();
                if let Some(&outside) = phenotypes.iter().find(|&&p| p as usize >= count) {
                    return Err(Reason::NoSuchPhenotype(outside));
                }
                let prediction = self.prediction(&item, source, host).await?;
                let concepts = &prediction.concepts;
                let mut rows = Vec::with_capacity(phenotypes.len());
                for phenotype in phenotypes {
                    let why = self.run(host, async |p: &Predictor| p.explain(concepts, phenotype as usize).await).await?;
                    rows.push((phenotype, why.contributions));
                }
                Ok(Response::ConceptMap(Box::new(ConceptMapRows { key: item.key, source, rows })))
            }
            Query::Regions { item, phenotype, concept } => {
                if item.residues.is_empty() {
                    return Err(Reason::EmptySequence);
                }
                let metadata = self.cpu.metadata();
                if phenotype as usize >= metadata.phenotypes.len() {
                    return Err(Reason::NoSuchPhenotype(phenotype));
                }
                let mut scorings = vec![Scoring::Phenotype(phenotype as usize)];
                if let Some(concept) = concept {
                    if concept as usize >= metadata.concepts.len() {
                        return Err(Reason::NoSuchConcept(concept));
                    }
                    scorings.push(Scoring::Concept(concept as usize));
                }
                let started = host.now_ms();
                let residues = item.residues.as_bytes();
                let maps = self.run(host, async |p: &Predictor| p.regions(residues, &scorings).await).await?;
                Ok(Response::Regions(Box::new(Regions { key: item.key, phenotype, concept, maps, compute_ms: host.now_ms() - started })))
            }
        }
    }
}

/// What the page is told of a model: its terms (with their priors over `train_gene_count`
/// training genes), threshold, licence and calibration.
pub fn summary(metadata: &ModelMetadata, train_gene_count: Option<u32>, calibration: Option<Calibration>) -> ModelSummary {
    ModelSummary {
        dataset: metadata.dataset,
        model_version: metadata.model_version.clone(),
        dataset_version: metadata.dataset_version.clone(),
        threshold: metadata.threshold,
        licence: metadata.licence.clone(),
        weights_sha256: metadata.weights_sha256.clone(),
        window: metadata.config.window,
        phenotypes: phenotype_terms(metadata, train_gene_count),
        concepts: metadata
            .concepts
            .iter()
            .map(|c| Term {
                id: c.id.clone(),
                name: c.name.clone(),
                group: Some(c.namespace.clone()),
                parents: Vec::new(),
                prior: None,
            })
            .collect(),
        calibration,
    }
}

/// The model's phenotypes as the page sees them, each with its prior over `train_gene_count`
/// training genes when that is known.
pub fn phenotype_terms(metadata: &ModelMetadata, train_gene_count: Option<u32>) -> Vec<Term> {
    metadata
        .phenotypes
        .iter()
        .map(|p| Term {
            id: p.id.clone(),
            name: p.name.clone(),
            group: p.system.clone(),
            parents: p.parents.clone(),
            prior: train_gene_count.map(|n| prior(p.train_genes, n)),
        })
        .collect()
}

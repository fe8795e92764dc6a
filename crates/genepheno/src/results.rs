//! What the page shows of a prediction and what it exports, as plain functions: the ranked,
//! filtered phenotype list, the most specific predicted terms, and the TSV and JSON files. Kept
//! out of the view code so they are tested natively and the export says exactly what was shown.

use std::collections::HashSet;

use serde::Serialize;

use crate::calibration::{Order, lift};
use crate::domain::LabelSet;
use crate::protocol::{ModelSummary, Term};

/// The user's choices that shape a phenotype list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListOptions {
    pub threshold: f32,
    /// Case-insensitive text matched against term names and IDs.
    pub filter: String,
    /// Only terms of this top-level system.
    pub system: Option<String>,
    /// Only the most specific predicted terms (no descendant at or above the threshold).
    pub specific_only: bool,
    pub order: Order,
}

/// A term's lift over its prior at this score, when the prior is known.
pub fn term_lift(term: &Term, score: f32) -> Option<f32> {
    term.prior.map(|p| lift(score, p))
}

/// Sorts `(index, score)` pairs by the order (ties: higher score, then index). Ordering by lift
/// needs the terms' priors; a term without one sorts by its score's log-odds over an even prior.
pub fn sort_by_order(list: &mut [(u32, f32)], terms: &[Term], order: Order) {
    match order {
        Order::Score => list.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))),
        Order::Lift => {
            let key = |(i, s): (u32, f32)| lift(s, terms[i as usize].prior.unwrap_or(0.5));
            list.sort_by(|a, b| key(*b).total_cmp(&key(*a)).then(b.1.total_cmp(&a.1)).then(a.0.cmp(&b.0)));
        }
    }
}

/// A known gene's list in two groups: what is already known (its curated phenotypes, whatever
/// their score) and what the model adds (terms called at the threshold that are not curated:
/// new hypotheses). Both pass the text and system filters and follow the order; "most specific"
/// keeps, in each group, the terms with no descendant in the same group.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KnownAndNew {
    pub known: Vec<(u32, f32)>,
    pub new: Vec<(u32, f32)>,
}

pub fn known_and_new(scores: &[(u32, f32)], terms: &[Term], curated: &[u32], options: &ListOptions) -> KnownAndNew {
    let curated_set: HashSet<u32> = curated.iter().copied().filter(|&i| (i as usize) < terms.len()).collect();
    let score_of: std::collections::HashMap<u32, f32> = scores.iter().copied().collect();
    let mut known: Vec<(u32, f32)> =
        curated_set.iter().map(|&i| (i, score_of.get(&i).copied().unwrap_or(0.0))).filter(|(i, _)| passes(&terms[*i as usize], options)).collect();
    if options.specific_only {
        let general: HashSet<u32> = curated_set.iter().flat_map(|&i| terms[i as usize].parents.iter().copied()).collect();
        known.retain(|(i, _)| !general.contains(i));
    }
    sort_by_order(&mut known, terms, options.order);
    let new = ranked(scores, terms, options).into_iter().filter(|(i, _)| !curated_set.contains(i)).collect();
    KnownAndNew { known, new }
}

/// Whether a term passes the text and system filters.
fn passes(term: &Term, options: &ListOptions) -> bool {
    let needle = options.filter.trim().to_lowercase();
    let system_ok = options.system.as_ref().is_none_or(|s| in_system(term, s));
    let text_ok = needle.is_empty() || term.name.to_lowercase().contains(&needle) || term.id.to_lowercase().contains(&needle);
    system_ok && text_ok
}

/// `(phenotype index, score)` pairs at or above the threshold that pass the filters, in the
/// options' order. `scores` may be complete or a top list.
pub fn ranked(scores: &[(u32, f32)], terms: &[Term], options: &ListOptions) -> Vec<(u32, f32)> {
    let called: Vec<(u32, f32)> = scores
        .iter()
        .copied()
        .filter(|(i, s)| *s >= options.threshold && (*i as usize) < terms.len())
        .collect();
    let general: HashSet<u32> = if options.specific_only {
        // A called term that is the parent of another called term is not the most specific.
        called.iter().flat_map(|(i, _)| terms[*i as usize].parents.iter().copied()).collect()
    } else {
        HashSet::new()
    };
    let mut list: Vec<(u32, f32)> = called
        .into_iter()
        .filter(|(i, _)| !general.contains(i))
        .filter(|(i, _)| passes(&terms[*i as usize], options))
        .collect();
    sort_by_order(&mut list, terms, options.order);
    list
}

/// Systems present in a list, ordered by their best score (the order of a grouped view).
pub fn systems_in(list: &[(u32, f32)], terms: &[Term]) -> Vec<String> {
    let mut seen = Vec::new();
    for (i, _) in list {
        let system = system_name(&terms[*i as usize]);
        if !seen.contains(&system) {
            seen.push(system);
        }
    }
    seen
}

/// The top-level systems a term belongs to: a term under several systems names them all in its
/// group, separated by "; " (e.g. "Abnormality of head or neck; Abnormality of the
/// musculoskeletal system"), and belongs to each.
pub fn systems_of_term(term: &Term) -> impl Iterator<Item = &str> {
    term.group.as_deref().into_iter().flat_map(|g| g.split("; ")).map(str::trim).filter(|s| !s.is_empty())
}

/// Whether a term belongs to `system` (one of [`systems_of_term`], or the word for none).
pub fn in_system(term: &Term, system: &str) -> bool {
    match term.group {
        Some(_) => systems_of_term(term).any(|t| t == system),
        None => system_name(term) == system,
    }
}

/// A term's system, or a word for none.
pub fn system_name(term: &Term) -> String {
    term.group.clone().unwrap_or_else(|| "(no system)".to_string())
}

/// Public page of a term, for the ID links (HPO, MP and GO have stable browsers; the GWAS-like
/// trait names have none).
pub fn term_url(id: &str) -> Option<String> {
    if id.starts_with("HP:") {
        Some(format!("https://hpo.jax.org/browse/term/{id}"))
    } else if id.starts_with("MP:") {
        Some(format!("https://www.informatics.jax.org/vocab/mp_ontology/{id}"))
    } else if id.starts_with("GO:") {
        Some(format!("https://amigo.geneontology.org/amigo/term/{id}"))
    } else {
        None
    }
}

/// One record's rows in an export.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExportRecord {
    pub record_id: String,
    /// Symbol of the recognised known gene, if any.
    pub known_gene: Option<String>,
    /// Which concepts fed the phenotype layer: `sequence` or `curated GO`.
    pub concepts_from: String,
    /// The applicability band ([`crate::calibration::Applicability::code`]), when calibrated.
    pub applicability: Option<String>,
    pub phenotypes: Vec<ExportPhenotype>,
    /// Why the record could not be scored (it then has no phenotypes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The residue maps shown for the selected phenotype (JSON export of the view only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub residue_maps: Vec<ExportResidueMap>,
}

/// A residue map as exported: which stretches raise or lower one score ([`crate::regions`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExportResidueMap {
    /// `phenotype` or `concept`.
    pub of: String,
    pub id: String,
    pub name: String,
    /// The score of the whole protein.
    pub score: f32,
    /// Residues per masked stretch, and residues between stretch starts.
    pub stretch_width: usize,
    pub stretch_step: usize,
    /// Every stretch: first and last residue (1-based), and the score minus the score without it.
    pub stretches: Vec<(usize, usize, f32)>,
}

impl ExportResidueMap {
    pub fn new(of: &str, term: &Term, map: &crate::regions::RegionMap) -> Self {
        ExportResidueMap {
            of: of.into(),
            id: term.id.clone(),
            name: term.name.clone(),
            score: map.score,
            stretch_width: map.layout.width,
            stretch_step: map.layout.step,
            stretches: map.stretches.iter().map(|s| (s.start + 1, s.end, s.effect)).collect(),
        }
    }
}

impl ExportRecord {
    /// A record that could not be scored, and why.
    pub fn failed(record_id: &str, problem: &str) -> Self {
        ExportRecord {
            record_id: record_id.into(),
            known_gene: None,
            concepts_from: String::new(),
            applicability: None,
            phenotypes: Vec::new(),
            problem: Some(problem.into()),
            residue_maps: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExportPhenotype {
    pub id: String,
    pub name: String,
    pub system: Option<String>,
    pub score: f32,
    /// Log-odds lift of the score over the term's training frequency, when known.
    pub lift: Option<f32>,
    /// Whether the known gene is annotated with the term (curated).
    pub curated: bool,
    /// `known` (curated for the recognised gene), `new` (predicted, not yet annotated) or
    /// `predicted` (a record that is not a known gene).
    pub group: String,
}

/// An export: what was shown (`scope`) and with which model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Export {
    pub tool: String,
    /// `this view` (the list on screen, with its filters) or `all records` (every record's
    /// phenotypes at or above the threshold).
    pub scope: String,
    pub dataset: LabelSet,
    pub model_version: String,
    pub dataset_version: String,
    pub weights_sha256: String,
    pub threshold: f32,
    pub filter: String,
    pub system: Option<String>,
    pub specific_only: bool,
    /// `lift` or `score`.
    pub order: String,
    pub licence: String,
    pub records: Vec<ExportRecord>,
}

impl Export {
    pub fn new(scope: &str, model: &ModelSummary, options: &ListOptions, records: Vec<ExportRecord>) -> Self {
        Export {
            tool: "GenePheno Web".into(),
            scope: scope.into(),
            dataset: model.dataset,
            model_version: model.model_version.clone(),
            dataset_version: model.dataset_version.clone(),
            weights_sha256: model.weights_sha256.clone(),
            threshold: options.threshold,
            filter: options.filter.clone(),
            system: options.system.clone(),
            specific_only: options.specific_only,
            order: match options.order {
                Order::Lift => "lift".into(),
                Order::Score => "score".into(),
            },
            licence: model.licence.clone(),
            records,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("an export always serialises")
    }

    /// Tab-separated: `#` lines saying what this is, then one row per record and phenotype.
    /// Tabs and line breaks inside fields (a FASTA header can hold anything) become spaces.
    pub fn to_tsv(&self) -> String {
        let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
        let mut out = String::new();
        out.push_str(&format!("# {} export: {}\n", self.tool, self.scope));
        out.push_str(&format!(
            "# dataset {} · model {} · dataset version {} · weights sha256 {}\n",
            self.dataset, self.model_version, self.dataset_version, self.weights_sha256
        ));
        out.push_str(&format!(
            "# threshold {:.2} · filter \"{}\" · system {} · {} · ordered by {}\n",
            self.threshold,
            clean(&self.filter),
            self.system.as_deref().unwrap_or("all"),
            if self.specific_only { "most specific terms only" } else { "all terms at or above the threshold" },
            self.order
        ));
        out.push_str("# known genes: group 'known' = curated phenotypes (any score), 'new' = predicted at the threshold, not yet annotated\n");
        out.push_str(&format!("# licence: {}\n", clean(&self.licence)));
        out.push_str("record_id\tknown_gene\tconcepts_from\tapplicability\tgroup\tterm_id\tterm_name\tsystem\tscore\tlift\tcurated\tproblem\n");
        for record in &self.records {
            // A record that could not be scored is one row: its id and why.
            if let Some(problem) = &record.problem {
                out.push_str(&format!("{}\t\t\t\t\t\t\t\t\t\t\t{}\n", clean(&record.record_id), clean(problem)));
            }
            for p in &record.phenotypes {
                out.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.4}\t{}\t{}\t\n",
                    clean(&record.record_id),
                    record.known_gene.as_deref().unwrap_or(""),
                    record.concepts_from,
                    record.applicability.as_deref().unwrap_or(""),
                    p.group,
                    p.id,
                    clean(&p.name),
                    p.system.as_deref().unwrap_or(""),
                    p.score,
                    p.lift.map(|l| format!("{l:.2}")).unwrap_or_default(),
                    if p.curated { "yes" } else { "no" }
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(id: &str, name: &str, system: Option<&str>, parents: &[u32]) -> Term {
        Term { id: id.into(), name: name.into(), group: system.map(Into::into), parents: parents.to_vec(), prior: None }
    }

    /// 0 root-ish "Abnormality of the nervous system" <- 1 "Seizure" <- 2 "Focal seizure";
    /// 3 "Anemia" (blood).
    fn terms() -> Vec<Term> {
        vec![
            term("HP:0000707", "Abnormality of the nervous system", Some("nervous"), &[]),
            term("HP:0001250", "Seizure", Some("nervous"), &[0]),
            term("HP:0007359", "Focal-onset seizure", Some("nervous"), &[1]),
            term("HP:0001903", "Anemia", Some("blood"), &[]),
        ]
    }

    #[test]
    fn threshold_text_and_system_filters_compose() {
        let scores = [(0, 0.9), (1, 0.6), (2, 0.3), (3, 0.5)];
        let all = ListOptions { threshold: 0.4, order: Order::Score, ..Default::default() };
        assert_eq!(ranked(&scores, &terms(), &all), vec![(0, 0.9), (1, 0.6), (3, 0.5)]);
        let text = ListOptions { filter: "SEIZ".into(), threshold: 0.0, order: Order::Score, ..Default::default() };
        assert_eq!(ranked(&scores, &terms(), &text), vec![(1, 0.6), (2, 0.3)]);
        let blood = ListOptions { system: Some("blood".into()), threshold: 0.0, ..Default::default() };
        assert_eq!(ranked(&scores, &terms(), &blood), vec![(3, 0.5)]);
        let by_id = ListOptions { filter: "hp:0001903".into(), threshold: 0.0, ..Default::default() };
        assert_eq!(ranked(&scores, &terms(), &by_id), vec![(3, 0.5)]);
        // A term of several systems passes the filter of each.
        let mut two = terms();
        two[3].group = Some("immune; blood".into());
        assert_eq!(ranked(&scores, &two, &blood), vec![(3, 0.5)]);
        let immune = ListOptions { system: Some("immune".into()), ..blood.clone() };
        assert_eq!(ranked(&scores, &two, &immune), vec![(3, 0.5)]);
        assert_eq!(systems_of_term(&two[3]).collect::<Vec<_>>(), vec!["immune", "blood"]);
    }

    #[test]
    fn most_specific_drops_called_ancestors_only() {
        let scores = [(0, 0.9), (1, 0.6), (2, 0.3), (3, 0.5)];
        let specific = ListOptions { threshold: 0.4, specific_only: true, order: Order::Score, ..Default::default() };
        // Focal seizure (0.3) is below the threshold, so Seizure is the most specific call.
        assert_eq!(ranked(&scores, &terms(), &specific), vec![(1, 0.6), (3, 0.5)]);
        let lower = ListOptions { threshold: 0.2, ..specific };
        assert_eq!(ranked(&scores, &terms(), &lower), vec![(3, 0.5), (2, 0.3)]);
    }

    /// The terms with priors: the nervous-system root is common, focal seizure rare.
    fn terms_with_priors() -> Vec<Term> {
        let mut t = terms();
        for (term, prior) in t.iter_mut().zip([0.8, 0.2, 0.01, 0.1]) {
            term.prior = Some(prior);
        }
        t
    }

    #[test]
    fn lift_puts_what_the_gene_adds_first() {
        let scores = [(0, 0.9), (1, 0.6), (2, 0.3), (3, 0.5)];
        let options = ListOptions { threshold: 0.25, ..Default::default() };
        assert_eq!(options.order, Order::Lift, "lift is the default order");
        let list: Vec<u32> = ranked(&scores, &terms_with_priors(), &options).into_iter().map(|(i, _)| i).collect();
        // Focal seizure (0.3 over 0.01) and anemia (0.5 over 0.1) rise most above their priors;
        // the nervous-system root (0.9 over 0.8) adds least.
        assert_eq!(list, vec![2, 3, 1, 0]);
        let specific = ListOptions { specific_only: true, ..options };
        let list: Vec<u32> = ranked(&scores, &terms_with_priors(), &specific).into_iter().map(|(i, _)| i).collect();
        assert_eq!(list, vec![2, 3]);
    }

    #[test]
    fn a_known_gene_splits_into_curated_and_new() {
        let scores = [(0, 0.9), (1, 0.6), (2, 0.1), (3, 0.5)];
        let options = ListOptions { threshold: 0.4, ..Default::default() };
        // Curated: the seizure branch (closed upward), focal seizure scoring below the threshold.
        let groups = known_and_new(&scores, &terms_with_priors(), &[0, 1, 2], &options);
        assert_eq!(groups.known.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![2, 1, 0]);
        assert_eq!(groups.new, vec![(3, 0.5)]);
        let specific = ListOptions { specific_only: true, ..options.clone() };
        let groups = known_and_new(&scores, &terms_with_priors(), &[0, 1, 2], &specific);
        assert_eq!(groups.known, vec![(2, 0.1)]);
        let blood = ListOptions { system: Some("blood".into()), ..options };
        assert!(known_and_new(&scores, &terms_with_priors(), &[0, 1, 2], &blood).known.is_empty());
    }

    #[test]
    fn systems_follow_their_best_score() {
        let list = [(3, 0.95), (0, 0.9), (1, 0.6)];
        assert_eq!(systems_in(&list, &terms()), vec!["blood".to_string(), "nervous".to_string()]);
    }

    #[test]
    fn tsv_names_its_scope_and_model_and_escapes_fields() {
        let model = ModelSummary {
            dataset: LabelSet::Hpo,
            model_version: "m1".into(),
            dataset_version: "d1".into(),
            threshold: 0.4,
            licence: "CC BY 4.0".into(),
            weights_sha256: "abc".into(),
            window: 512,
            phenotypes: terms(),
            concepts: vec![],
            calibration: None,
        };
        let options = ListOptions { threshold: 0.4, order: Order::Score, ..Default::default() };
        let record = ExportRecord {
            record_id: "bad\tid".into(),
            known_gene: Some("SCN1A".into()),
            concepts_from: "curated GO".into(),
            applicability: Some("known-gene".into()),
            phenotypes: vec![ExportPhenotype {
                id: "HP:0001250".into(),
                name: "Seizure".into(),
                system: Some("nervous".into()),
                score: 0.61234,
                lift: Some(2.5),
                curated: true,
                group: "known".into(),
            }],
            problem: None,
            residue_maps: Vec::new(),
        };
        let failed = ExportRecord::failed("r2", "the model failed while computing: out of\tmemory");
        let export = Export::new("this view", &model, &options, vec![record, failed]);
        let tsv = export.to_tsv();
        let lines: Vec<&str> = tsv.lines().collect();
        assert_eq!(lines[0], "# GenePheno Web export: this view");
        assert!(lines[1].contains("model m1") && lines[1].contains("dataset version d1"));
        assert!(lines[2].ends_with("ordered by score"), "{}", lines[2]);
        assert!(lines[5].ends_with("\tcurated\tproblem"), "{}", lines[5]);
        assert_eq!(lines[6], "bad id\tSCN1A\tcurated GO\tknown-gene\tknown\tHP:0001250\tSeizure\tnervous\t0.6123\t2.50\tyes\t");
        // Every row has the header's columns; a failed record is one row that says why.
        assert_eq!(lines[7], "r2\t\t\t\t\t\t\t\t\t\t\tthe model failed while computing: out of memory");
        assert!(lines[5..].iter().all(|l| l.split('\t').count() == 12));
        assert_eq!(lines.len(), 8);
        let json: serde_json::Value = serde_json::from_str(&export.to_json()).unwrap();
        assert_eq!(json["scope"], "this view");
        assert_eq!(json["records"][0]["phenotypes"][0]["id"], "HP:0001250");
        assert!(json["records"][0].get("problem").is_none());
        assert_eq!(json["records"][1]["problem"], "the model failed while computing: out of\tmemory");
        // The files as a user receives them, whole.
        insta::assert_snapshot!("export_tsv", tsv);
        insta::assert_snapshot!("export_json", export.to_json());
    }

    #[test]
    fn only_hpo_mp_and_go_ids_get_links() {
        assert_eq!(term_url("HP:0001250").unwrap(), "https://hpo.jax.org/browse/term/HP:0001250");
        assert!(term_url("MP:0001262").unwrap().contains("mp_ontology/MP:0001262"));
        assert!(term_url("GO:0007165").unwrap().contains("amigo"));
        assert_eq!(term_url("DBGAP:Albumins"), None);
    }
}

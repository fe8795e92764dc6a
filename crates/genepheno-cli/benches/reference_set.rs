//! Measurements of the known-gene reference set, which chose its sketch shape and show what it
//! costs (figures, not tests: nothing here can fail but the run):
//!
//! - `shapes`: for each sketch shape, recall of the true gene for mutated and truncated copies of
//!   real proteins, false near-exact calls between paralogues checked against Smith-Waterman
//!   identity, file size and lookup speed;
//! - `sizes`: what each part of the HPO file costs (gzip'd);
//! - `speed`: decoding and looking up the whole human set, as the browser does.
//!
//! ```text
//! cargo bench -p genepheno-cli --bench reference_set             # all three
//! cargo bench -p genepheno-cli --bench reference_set -- speed    # one of them
//! GP_SHAPES=5x32,4x64 GP_SAMPLE=2000 cargo bench -p genepheno-cli --bench reference_set -- shapes
//! ```
//!
//! Reads the committed data/ and public/models/hpo.json from the repository.

use std::path::PathBuf;
use std::time::Instant;

use genepheno::reference::{ReferenceInput, ReferenceSet, SketchParams};
use genepheno::rng::SplitMix64;
use genepheno_cli::reference::variants::{sample, substitute, truncate};
use genepheno_cli::reference::{Stats, build_input, read_metadata};

/// A way of changing a protein.
type Mutation = Box<dyn Fn(&[u8], &mut SplitMix64) -> Vec<u8>>;

fn main() {
    // cargo passes `--bench`; the rest are the measurements asked for.
    let asked: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let all = ["shapes", "sizes", "speed"];
    if let Some(unknown) = asked.iter().find(|a| !all.contains(&a.as_str())) {
        eprintln!("unknown measurement {unknown:?}: use {}", all.join(", "));
        std::process::exit(2);
    }
    let wanted = |name: &str| asked.is_empty() || asked.iter().any(|a| a == name);
    if wanted("shapes") {
        shapes();
    }
    if wanted("sizes") {
        sizes();
    }
    if wanted("speed") {
        speed();
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn hpo_meta() -> genepheno::model::ModelMetadata {
    read_metadata(&root().join("public/models/hpo.json")).unwrap()
}

/// The HPO reference input with the default sketch, its file bytes and its statistics.
fn hpo() -> (ReferenceInput, Stats, Vec<u8>) {
    let (input, stats) = build_input(&root().join("data"), &hpo_meta(), SketchParams::DEFAULT).unwrap();
    let bytes = ReferenceSet::encode(&input).unwrap();
    (input, stats, bytes)
}

fn sequence_of<'a>(input: &'a ReferenceInput, set: &ReferenceSet, gene: usize) -> &'a [u8] {
    let entrez = set.gene(gene).entrez;
    input.genes.iter().find(|g| g.entrez == entrez).unwrap().sequence.as_bytes()
}

/// Recall of the true gene for mutated and truncated copies, false near-exact calls between
/// paralogues (checked against Smith-Waterman identity), size and speed, for several sketch
/// shapes (`GP_SHAPES`, default `5x32`; `GP_SAMPLE` proteins, default 2,000).
fn shapes() {
    let meta = hpo_meta();
    let shapes: Vec<SketchParams> = std::env::var("GP_SHAPES")
        .unwrap_or_else(|_| "5x32".into())
        .split(',')
        .map(|s| {
            let (k, b) = s.split_once('x').unwrap();
            SketchParams { k: k.parse().unwrap(), bins: b.parse().unwrap() }
        })
        .collect();
    let n: usize = std::env::var("GP_SAMPLE").ok().and_then(|s| s.parse().ok()).unwrap_or(2000);
    for params in shapes {
        let (input, _) = build_input(&root().join("data"), &meta, params).unwrap();
        let bytes = ReferenceSet::encode(&input).unwrap();
        let t = Instant::now();
        let set = ReferenceSet::decode(&bytes).unwrap();
        let decode = t.elapsed();
        println!("\n== k = {}, bins = {}: {} bytes, decode {decode:?}", params.k, params.bins, bytes.len());
        let genes = sample(n, set.len(), 7);
        let mut rng = SplitMix64::new(8);
        let cases: [(&str, Mutation); 5] = [
            ("1% subst", Box::new(|s, r| substitute(s, 0.01, r))),
            ("3% subst", Box::new(|s, r| substitute(s, 0.03, r))),
            ("5% subst", Box::new(|s, r| substitute(s, 0.05, r))),
            ("10% subst", Box::new(|s, r| substitute(s, 0.10, r))),
            ("20% truncation", Box::new(|s, r| truncate(s, 0.80, r))),
        ];
        for (name, mutate) in &cases {
            let (mut near, mut wrong, mut top1, mut top5) = (0, 0, 0, 0);
            let (mut t_identify, mut t_similar, mut worst) = (std::time::Duration::ZERO, std::time::Duration::ZERO, std::time::Duration::ZERO);
            for &g in &genes {
                let q = mutate(sequence_of(&input, &set, g), &mut rng);
                let t = Instant::now();
                let id = set.identify(&q);
                t_identify += t.elapsed();
                match id {
                    Some(found) if found.gene() == g => near += 1,
                    Some(found) => {
                        wrong += 1;
                        if wrong <= 4 {
                            println!("        {name}: {} called {}", set.gene(g).symbol, set.gene(found.gene()).symbol);
                        }
                    }
                    None => {}
                }
                let t = Instant::now();
                let similar = set.most_similar(&q, 5);
                let e = t.elapsed();
                t_similar += e;
                worst = worst.max(e);
                top1 += usize::from(similar.first().is_some_and(|s| s.gene == g));
                top5 += usize::from(similar.iter().any(|s| s.gene == g));
            }
            let pct = |x: usize| 100.0 * x as f64 / genes.len() as f64;
            println!(
                "{name:>15}: identify right {:.1}% wrong gene {:.2}% | most_similar top1 {:.1}% top5 {:.1}% | identify {:.1} µs/query, most_similar {:.1} µs/query (max {:?})",
                pct(near), pct(wrong), pct(top1), pct(top5),
                t_identify.as_secs_f64() * 1e6 / genes.len() as f64, t_similar.as_secs_f64() * 1e6 / genes.len() as f64, worst
            );
        }
        let mut shuffled_calls = 0;
        for &g in &genes {
            let mut s = sequence_of(&input, &set, g).to_vec();
            rng.shuffle(&mut s);
            shuffled_calls += usize::from(set.identify(&s).is_some());
        }
        println!("       shuffled: identified {shuffled_calls}/{}", genes.len());
        // Paralogues: each protein against all others (itself excluded).
        let t = Instant::now();
        let mut calls = Vec::new();
        for g in 0..set.len() {
            let q = sequence_of(&input, &set, g);
            if let Some(other) = set.most_similar(q, 2).into_iter().find(|s| s.gene != g && s.similarity.is_near_exact()) {
                calls.push((g, other));
            }
        }
        let elapsed = t.elapsed();
        let mut below = Vec::new();
        for (g, other) in &calls {
            let (a, b) = (sequence_of(&input, &set, *g), sequence_of(&input, &set, other.gene));
            let fix = |s: &[u8]| -> Vec<u8> { s.iter().map(|&c| if matches!(c, b'U' | b'O') { b'X' } else { c }).collect() };
            let (a, b) = (fix(a), fix(b));
            let mut aligner = bio::alignment::pairwise::Aligner::with_capacity(a.len(), b.len(), -11, -1, &bio::scores::blosum62);
            let al = aligner.local(&a, &b);
            let same = al.operations.iter().filter(|o| matches!(o, bio::alignment::AlignmentOperation::Match)).count();
            let identity = same as f64 / a.len().min(b.len()) as f64;
            if identity < 0.95 {
                below.push((set.gene(*g).symbol.clone(), set.gene(other.gene).symbol.clone(), identity, other.similarity.estimated_identity.unwrap()));
            }
        }
        println!(
            "      paralogues: {} of {} proteins have another gene near-exact ({:?}); {} of those pairs are below 95% Smith-Waterman identity over the shorter protein",
            calls.len(), set.len(), elapsed, below.len()
        );
        for (a, b, true_id, est) in below.iter().take(15) {
            println!("        {a} -> {b}: aligned identity {:.1}%, estimated {:.1}%", true_id * 100.0, est * 100.0);
        }
    }
}

/// What each part of the file costs (gzip'd), by encoding the HPO set with that part emptied.
fn sizes() {
    let (input, _, bytes) = hpo();
    let size = |f: &dyn Fn(&mut ReferenceInput)| {
        let mut i = input.clone();
        f(&mut i);
        bytes.len() as i64 - ReferenceSet::encode(&i).unwrap().len() as i64
    };
    println!("total {} bytes", bytes.len());
    println!("sketches       {}", size(&|i| i.params.bins = 1));
    println!("concepts       {}", size(&|i| i.genes.iter_mut().for_each(|g| { g.concepts.clear(); g.concepts_phenotype_evidence_only.clear() })));
    println!("IMP/IGI-only   {}", size(&|i| i.genes.iter_mut().for_each(|g| g.concepts_phenotype_evidence_only.clear())));
    println!("phenotypes     {}", size(&|i| i.genes.iter_mut().for_each(|g| g.phenotypes.clear())));
    println!("symbols+acc    {}", size(&|i| i.genes.iter_mut().for_each(|g| { g.symbol.clear(); g.uniprot.clear() })));
}

/// Speed on the whole human set, as the browser will run it (issue 6: ~17,000 proteins): decode,
/// identify every protein as given (exact path), every protein with 1 % substitutions (sketch
/// path), and most_similar(5) for every protein. Prints figures.
fn speed() {
    let (input, _, bytes) = hpo();
    let t = Instant::now();
    let set = ReferenceSet::decode(&bytes).unwrap();
    println!("decode: {:?}", t.elapsed());
    let seqs: Vec<&[u8]> = input.genes.iter().map(|g| g.sequence.as_bytes()).collect();
    let t = Instant::now();
    let exact = seqs.iter().filter(|s| set.identify(s).is_some_and(|i| i.is_exact())).count();
    println!("identify, {} proteins as given: {:?} ({exact} exact)", seqs.len(), t.elapsed());
    let mut rng = SplitMix64::new(5);
    let mutated: Vec<Vec<u8>> = seqs.iter().map(|s| substitute(s, 0.01, &mut rng)).collect();
    let t = Instant::now();
    let near = mutated.iter().filter(|s| set.identify(s).is_some()).count();
    println!("identify, {} proteins with 1 % substitutions: {:?} ({near} identified)", seqs.len(), t.elapsed());
    let (mut total, mut worst) = (std::time::Duration::ZERO, (std::time::Duration::ZERO, 0usize));
    for s in &seqs {
        let t = Instant::now();
        std::hint::black_box(set.most_similar(s, 5));
        let e = t.elapsed();
        total += e;
        if e > worst.0 {
            worst = (e, s.len());
        }
    }
    println!(
        "most_similar(5): {:.1} µs per protein on average, slowest {:?} ({} residues)",
        total.as_secs_f64() * 1e6 / seqs.len() as f64,
        worst.0,
        worst.1
    );
}

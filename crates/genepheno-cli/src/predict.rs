//! `genepheno predict`: scores the proteins of a FASTA input, from a file or standard input,
//! plain or gzip, of any size.
//!
//! Three stages run at once. A reader streams records through the page's parser
//! ([`input`]) and cuts them into batches with the page's planner (`genepheno::batching`, over
//! the same look-ahead of waiting records), so the batches depend on the input alone. Worker
//! threads (`--threads`) score whole batches ([`scoring`]) and format their records
//! ([`output`]). The writer puts the records back in input order before writing. Each record's
//! output therefore depends on nothing but the input: any thread count gives the same bytes.
//! Memory stays bounded by the look-ahead and the queues, not by the input.
//!
//! Exit status:
//! - 0: every record was scored;
//! - 1: nothing or not everything could be done: the model or the input could not be read, the
//!   input is not FASTA, the output could not be written (the message says which);
//! - 2: the command line is wrong (from the argument parser);
//! - 3: some records were not scored (each is reported on stderr with its number, identifier and
//!   reason); all the others were scored and written.

mod input;
mod models;
mod output;
mod scoring;

use std::collections::{BTreeMap, VecDeque};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use genepheno::domain::LabelSet;
use genepheno::batching;
use genepheno::model::Predictor;
use genepheno::reference::ReferenceSet;
use genepheno::sequence::Severity;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub use input::{FastaStream, InputError, Item};
#[cfg(test)]
use models::{Loaded, load, shipped};
pub use output::{Format, Layout};
pub use scoring::{Mode, ScoredBy, Scored, score_batch};

/// Exit status when some records were not scored (see the module docs).
pub const EXIT_SOME_NOT_SCORED: i32 = 3;

/// `genepheno predict`
#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    /// Label set whose shipped model to use (built into this binary).
    #[arg(long, value_parser = crate::args::label_set(), default_value = "hpo")]
    pub dataset: LabelSet,
    /// Model metadata JSON of another exported model (its weights file sits next to it, and its
    /// reference set, `<name>.reference.bin`, if any); overrides --dataset.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Print every term, not only those at or above the model's threshold.
    #[arg(long)]
    pub all: bool,
    /// At most K terms per record (the highest scoring).
    #[arg(long, value_name = "K")]
    pub top: Option<usize>,
    /// How records are scored: `sequence` (from the sequence), `known-gene` (a recognised known
    /// human gene from its curated GO; other records are not scored), `auto` (known-gene when
    /// recognised, else sequence, as the page does). When given, the TSV gets a `mode` column
    /// saying which scored each record. Default: sequence.
    #[arg(long, value_enum)]
    pub mode: Option<Mode>,
    /// Output format.
    #[arg(long, value_enum, default_value = "tsv")]
    pub format: Format,
    /// Scoring threads (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// FASTA file (plain or gzip-compressed) of proteins or coding sequences; `-` for standard input.
    pub fasta: PathBuf,
}

/// What a run did, for the summary and the exit status.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Records in the input.
    pub records: usize,
    /// Records scored and written, and how many of them from curated GO.
    pub scored: usize,
    pub from_curated_go: usize,
    /// Records not scored (invalid, over the length limits, or refused by the mode).
    pub not_scored: usize,
}

pub fn run(args: PredictArgs) -> anyhow::Result<()> {
    let files = match &args.model {
        Some(path) => models::from_path(path)?,
        None => models::shipped(args.dataset),
    };
    let loaded = models::load(files)?;
    let mode = args.mode.unwrap_or(Mode::Sequence);
    let reference = match mode {
        Mode::Sequence => None,
        _ => Some(loaded.reference.as_ref().map_err(|e| anyhow!("--mode {}: {e}", mode_name(mode)))?),
    };
    let layout = Layout { format: args.format, all: args.all, top: args.top, mode_column: args.mode.is_some() };
    let threads = args.threads.map(usize::from).unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let stream = FastaStream::open(&args.fasta)?;

    let terminal = std::io::stderr().is_terminal();
    let progress = progress_bar(terminal, stream.total_bytes);
    let stdout = std::io::stdout().lock();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout);
    let started = Instant::now();
    let summary = match pipeline(stream, &loaded.predictor, reference, mode, &layout, threads, &mut out, &progress) {
        Ok(summary) => summary,
        // A reader that went away (`| head`) is not a failure of ours.
        Err(e) if is_broken_pipe(&e) => return Ok(()),
        Err(e) => return Err(e),
    };
    match out.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        other => other.context("writing the output")?,
    }
    progress.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    if terminal {
        eprintln!(
            "predict: {} records, {} scored ({} from curated GO), {} not scored, in {seconds:.1} s ({:.0} proteins/s, {threads} threads)",
            summary.records,
            summary.scored,
            summary.from_curated_go,
            summary.not_scored,
            summary.scored as f64 / seconds.max(1e-9)
        );
    }
    if summary.not_scored > 0 {
        eprintln!("predict: {} of {} records were not scored (reported above)", summary.not_scored, summary.records);
        std::process::exit(EXIT_SOME_NOT_SCORED);
    }
    Ok(())
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Auto => "auto",
        Mode::Sequence => "sequence",
        Mode::KnownGene => "known-gene",
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

/// On a terminal: bytes read (of the file, compressed or not), proteins scored, rate, ETA.
/// Elsewhere: nothing.
fn progress_bar(terminal: bool, total_bytes: Option<u64>) -> ProgressBar {
    if !terminal {
        return ProgressBar::hidden();
    }
    let bar = match total_bytes {
        Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] [{wide_bar}] {bytes}/{total_bytes} · {msg} · ETA {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        ),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
            .with_style(ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bytes} read · {msg}").expect("valid template")),
    };
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// A scorable record waiting for its batch.
struct Pending {
    /// Position among the scorable records (the output order).
    order: usize,
    number: usize,
    id: String,
    protein: String,
}

/// One record's finished output.
struct Written {
    order: usize,
    bytes: Vec<u8>,
    /// Why it was not scored, already worded for stderr.
    refused: Option<String>,
    by: Option<ScoredBy>,
}

/// The batches of a stream, in the order the page's planner makes them when every record waits
/// from the start (`batching::plan_all`), computed on the fly over the look-ahead.
struct Planner {
    stream: FastaStream,
    waiting: VecDeque<Pending>,
    window: usize,
    order: usize,
    finished: bool,
    records: usize,
    not_scored: usize,
}

impl Planner {
    fn next(&mut self) -> Result<Option<Vec<Pending>>, InputError> {
        while !self.finished && self.waiting.len() < batching::LOOKAHEAD {
            let items = self.stream.next_items()?;
            if items.is_empty() {
                self.finished = true;
            }
            for item in items {
                self.records += 1;
                self.take(item);
            }
        }
        if self.waiting.is_empty() {
            return Ok(None);
        }
        let lengths: Vec<usize> = self.waiting.iter().take(batching::LOOKAHEAD).map(|p| p.protein.len()).collect();
        let picked = batching::next_batch(&lengths, self.window);
        let mut batch: Vec<Pending> = picked.iter().rev().map(|&i| self.waiting.remove(i).expect("picked from the look-ahead")).collect();
        batch.reverse();
        Ok(Some(batch))
    }

    /// Reports a record's problems on stderr (in input order) and queues it if it can be scored.
    fn take(&mut self, item: Item) {
        let source = self.stream.source().to_owned();
        match item {
            Item::Oversized { number, id, letters, duplicate } => {
                self.not_scored += 1;
                // A repeated identifier is noted first, as for a parsed record.
                if let Some(problem) = &duplicate {
                    report_problem(&source, number, &id, problem);
                }
                eprintln!(
                    "{source}: record {number} ({id}): not scored: {letters} letters, over every length limit ({} residues, {} nucleotides): \
                     give the protein or its coding sequence, not a genomic region",
                    genepheno::sequence::MAX_RESIDUES,
                    genepheno::sequence::MAX_NUCLEOTIDES
                );
            }
            Item::Record(record) => {
                for problem in &record.problems {
                    report_problem(&source, record.number, &record.id, problem);
                }
                match record.protein {
                    Some(protein) => {
                        self.waiting.push_back(Pending { order: self.order, number: record.number, id: record.id, protein });
                        self.order += 1;
                    }
                    None => self.not_scored += 1,
                }
            }
        }
    }
}

/// One problem of a record on stderr: why it is not scored, or a note.
fn report_problem(source: &str, number: usize, id: &str, problem: &genepheno::sequence::Problem) {
    let kind = match problem.severity() {
        Severity::Error => "not scored",
        Severity::Note => "note",
    };
    eprintln!("{source}: record {number} ({id}): {kind}: {problem}");
}

/// Reads, scores and writes the whole input; see the module docs.
#[allow(clippy::too_many_arguments)]
fn pipeline(
    stream: FastaStream,
    predictor: &Predictor,
    reference: Option<&ReferenceSet>,
    mode: Mode,
    layout: &Layout,
    threads: usize,
    out: &mut impl Write,
    progress: &ProgressBar,
) -> anyhow::Result<Summary> {
    let source = stream.source().to_owned();
    let consumed = stream.consumed.clone();
    let mut planner = Planner {
        stream,
        waiting: VecDeque::new(),
        window: predictor.metadata().config.window,
        order: 0,
        finished: false,
        records: 0,
        not_scored: 0,
    };
    let (batch_tx, batch_rx) = crossbeam_channel::bounded::<Vec<Pending>>(2 * threads);
    let (done_tx, done_rx) = crossbeam_channel::bounded::<anyhow::Result<Vec<Written>>>(4 * threads);
    let meta = predictor.metadata();

    std::thread::scope(|scope| {
        let reader = scope.spawn(move || -> Result<Planner, InputError> {
            while let Some(batch) = planner.next()? {
                if batch_tx.send(batch).is_err() {
                    break; // the writer stopped
                }
            }
            Ok(planner)
        });
        for _ in 0..threads {
            let batch_rx = batch_rx.clone();
            let done_tx = done_tx.clone();
            let source = source.clone();
            scope.spawn(move || {
                for batch in batch_rx {
                    let proteins: Vec<&[u8]> = batch.iter().map(|p| p.protein.as_bytes()).collect();
                    let result = score_batch(predictor, reference, mode, &proteins).map(|scored| {
                        batch
                            .iter()
                            .zip(scored)
                            .map(|(p, s)| {
                                let mut bytes = Vec::new();
                                match s {
                                    Scored::Done { by, known, prediction } => {
                                        layout.write(&mut bytes, &p.id, by, known.as_ref(), &prediction.phenotypes, meta, reference);
                                        Written { order: p.order, bytes, refused: None, by: Some(by) }
                                    }
                                    Scored::Refused(why) => Written {
                                        order: p.order,
                                        bytes,
                                        refused: Some(format!("{source}: record {} ({}): not scored: {why}", p.number, p.id)),
                                        by: None,
                                    },
                                }
                            })
                            .collect()
                    });
                    let failed = result.is_err();
                    if done_tx.send(result).is_err() || failed {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        drop(batch_rx);

        // The writer: back into input order.
        let mut summary = Summary::default();
        let write = (|| -> anyhow::Result<()> {
            if let Some(header) = layout.header() {
                out.write_all(header.as_bytes())?;
            }
            let mut held: BTreeMap<usize, Written> = BTreeMap::new();
            let mut next = 0usize;
            let started = Instant::now();
            for result in &done_rx {
                for written in result? {
                    held.insert(written.order, written);
                }
                while let Some(written) = held.remove(&next) {
                    next += 1;
                    match (&written.refused, written.by) {
                        (Some(why), _) => {
                            eprintln!("{why}");
                            summary.not_scored += 1;
                        }
                        (None, by) => {
                            out.write_all(&written.bytes)?;
                            summary.scored += 1;
                            summary.from_curated_go += usize::from(by == Some(ScoredBy::KnownGene));
                        }
                    }
                }
                progress.set_position(consumed.load(Ordering::Relaxed));
                let rate = summary.scored as f64 / started.elapsed().as_secs_f64().max(1e-9);
                progress.set_message(format!("{} proteins scored, {rate:.0}/s", summary.scored));
            }
            anyhow::ensure!(held.is_empty(), "{} scored records were never written", held.len());
            Ok(())
        })();
        // Stop the other stages if writing failed.
        drop(done_rx);
        let planner = reader.join().expect("the reader thread panicked");
        write?;
        let planner = planner?;
        summary.records = planner.records;
        summary.not_scored += planner.not_scored;
        Ok(summary)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real human proteins from the committed data, as FASTA, with a few bad records among them.
    fn human_fasta(n: usize) -> Vec<u8> {
        use std::io::Read;
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/genes.tsv.gz")).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let mut fasta = String::new();
        for (i, line) in text.lines().skip(1).take(n).enumerate() {
            let f: Vec<&str> = line.split('\t').collect();
            fasta.push_str(&format!(">{}_{} Entrez {}\n{}\n", f[2], f[1], f[0], f[6]));
            if i % 50 == 7 {
                fasta.push_str(&format!(">broken{i}\nMKV1LL\n"));
            }
        }
        fasta.into_bytes()
    }

    fn run_on(fasta: &[u8], loaded: &Loaded, mode: Mode, layout: &Layout, threads: usize) -> (Vec<u8>, Summary) {
        let stream = FastaStream::from_reader("human.fasta", Box::new(std::io::Cursor::new(fasta.to_vec())), None).unwrap();
        let reference = if mode == Mode::Sequence { None } else { loaded.reference.as_ref().ok() };
        let mut out = Vec::new();
        let summary = pipeline(stream, &loaded.predictor, reference, mode, layout, threads, &mut out, &ProgressBar::hidden()).unwrap();
        (out, summary)
    }

    #[test]
    fn output_is_in_input_order_and_the_same_for_any_thread_count() {
        let loaded = load(shipped(LabelSet::Hpo)).unwrap();
        let fasta = human_fasta(300);
        // Every term, cut to the top 2: each scored record writes exactly two rows.
        let layout = Layout { format: Format::Tsv, all: true, top: Some(2), mode_column: false };
        let (one, summary) = run_on(&fasta, &loaded, Mode::Sequence, &layout, 1);
        assert_eq!(summary, Summary { records: 306, scored: 300, from_curated_go: 0, not_scored: 6 });
        let (three, _) = run_on(&fasta, &loaded, Mode::Sequence, &layout, 3);
        assert_eq!(String::from_utf8_lossy(&one), String::from_utf8_lossy(&three));
        // Records appear in input order.
        let text = String::from_utf8(one).unwrap();
        let mut ids: Vec<&str> = text.lines().skip(1).map(|l| l.split('\t').next().unwrap()).collect();
        ids.dedup();
        let expected: Vec<String> = String::from_utf8(fasta.clone())
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix('>'))
            .map(|h| h.split(' ').next().unwrap().to_owned())
            .filter(|id| !id.starts_with("broken"))
            .collect();
        assert_eq!(text.lines().count(), 1 + 2 * 300);
        assert_eq!(ids, expected);
    }

    #[test]
    fn auto_mode_scores_known_human_genes_from_curated_go_and_others_from_sequence() {
        let loaded = load(shipped(LabelSet::Hpo)).unwrap();
        let mut fasta = human_fasta(40);
        // A bacterial-ferredoxin-like sequence: no human protein is near it.
        fasta.extend_from_slice(b">nonhuman\nAYVINDSCIACGACKPECPVNIQQGSIYAIDADSCIDCGSCASVCPVGAPNPED\n");
        let layout = Layout { format: Format::Jsonl, all: false, top: Some(3), mode_column: true };
        let (out, summary) = run_on(&fasta, &loaded, Mode::Auto, &layout, 2);
        let lines: Vec<serde_json::Value> = String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), summary.scored);
        let known = lines.iter().filter(|l| l["mode"] == "known-gene").count();
        assert_eq!(known, summary.from_curated_go);
        // Every human protein of genes.tsv.gz is in the reference set, so all 40 are recognised.
        assert_eq!(known, 40, "{lines:?}");
        assert!(lines.iter().filter(|l| l["mode"] == "known-gene").all(|l| l["known_gene"]["exact"] == true));
        let nonhuman = lines.iter().find(|l| l["id"] == "nonhuman").expect("the non-human protein is scored");
        assert_eq!(nonhuman["mode"], "sequence");
        assert!(nonhuman["known_gene"].is_null());

        // Known-gene mode refuses the non-human one and scores the same 40 the same way.
        let (out_known, summary_known) = run_on(&fasta, &loaded, Mode::KnownGene, &layout, 1);
        assert_eq!(summary_known.scored, 40);
        assert_eq!(summary_known.not_scored, summary.not_scored + 1);
        let known_lines: Vec<&str> = std::str::from_utf8(&out_known).unwrap().lines().collect();
        let auto_known: Vec<String> =
            lines.iter().filter(|l| l["mode"] == "known-gene").map(|l| serde_json::to_string(l).unwrap()).collect();
        assert_eq!(known_lines, auto_known);
    }
}

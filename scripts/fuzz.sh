#!/usr/bin/env bash
# Fuzzes the FASTA parser, the share-link decoder and the reference-set decoder for a bounded
# time each (default 120 s):
#   bash scripts/fuzz.sh [SECONDS]
# Crashers land in fuzz/artifacts/<target>/; copy each into the regression tests
# (crates/genepheno/tests/fuzz_regressions.rs) once fixed. cargo-fuzz needs nightly compiler
# flags; RUSTC_BOOTSTRAP lets the one stable toolchain here accept them.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-120}"
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz --version 0.13.2
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/genepheno-web/fuzz-target}"
mkdir -p fuzz/corpus/fasta fuzz/corpus/share_link
cp crates/genepheno/tests/fixtures/biopython-1.85/*.{fasta,fa,pro,nu,gz} fuzz/corpus/fasta/ 2>/dev/null || true
# A session file using every view field, so the fuzzer starts from a valid session.
cp fuzz/seeds/share_link/* fuzz/corpus/share_link/
# A small valid reference file (5 genes, one of them a protein of two genes).
mkdir -p fuzz/corpus/reference_set
cp fuzz/seeds/reference_set/* fuzz/corpus/reference_set/
# The shipped HPO model's metadata.
mkdir -p fuzz/corpus/metadata
cp public/models/hpo.json fuzz/corpus/metadata/
for target in fasta share_link reference_set metadata; do
  echo "== fuzzing $target for ${seconds}s"
  cargo fuzz run --fuzz-dir fuzz "$target" -- -max_total_time="$seconds" -max_len=65536
done

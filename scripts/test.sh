#!/usr/bin/env bash
# Sets up what is missing and runs every test: native unit and integration tests of the workspace,
# then the end-to-end tests in headless Chromium against the release build of the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

echo "== native tests"
cargo test --workspace --exclude genepheno-web --release

echo "== scale-out workflow (Snakemake, 8 shards of the human set = one genepheno predict run)"
bash tests/workflow/run.sh

echo "== release build of the app (trunk)"
trunk build --release --dist target/e2e-dist

echo "== end-to-end tests in headless Chromium"
GENEPHENO_DIST="$PWD/target/e2e-dist" node --test --test-concurrency=1 tests/e2e/

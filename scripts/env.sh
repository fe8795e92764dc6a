# Shared environment for the project's scripts (sourced, not run).
# A stable target directory outside the clone keeps builds warm across fresh clones (CI).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/genepheno-web/target}"
export PATH="$HOME/.cargo/bin:$PWD/tools/node_modules/.bin:$PATH"
# Where the e2e tests save screenshots for a person to look at.
export GENEPHENO_SCREENSHOTS="${GENEPHENO_SCREENSHOTS:-$PWD/target/e2e-screenshots}"
# Snakemake for the scale-out workflow (workflow/), installed by setup.sh into its own venv (not
# put on PATH, so that `python3` stays the system's).
export SNAKEMAKE_VENV="${SNAKEMAKE_VENV:-$HOME/.cache/genepheno-web/snakemake-venv-$(sha256sum "$PWD/workflow/requirements.txt" 2>/dev/null | cut -c1-12)}"
export GENEPHENO_SNAKEMAKE="$SNAKEMAKE_VENV/bin/snakemake"

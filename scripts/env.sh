# Shared environment for the project's scripts (sourced, not run).
# A stable target directory outside the clone keeps builds warm across fresh clones (CI).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/genepheno-web/target}"
export PATH="$HOME/.cargo/bin:$PWD/tools/node_modules/.bin:$PATH"
# Where the e2e tests save screenshots for a person to look at.
export GENEPHENO_SCREENSHOTS="${GENEPHENO_SCREENSHOTS:-$PWD/target/e2e-screenshots}"

#!/usr/bin/env bash
# Installs everything the build and the tests need, from package registries only (crates.io,
# npm, PyPI, Debian). Safe to run again: each step is skipped when its tool is already at the pinned
# version. Needs: Debian with rustup, node and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

TRUNK_VERSION=0.21.14
# The wasm-bindgen-cli must match the wasm-bindgen crate exactly; Cargo.lock has its version.
WASM_BINDGEN_VERSION=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print }' Cargo.lock)

step() { printf '\n== setup: %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  step "trunk $TRUNK_VERSION (cargo install, about 11 minutes on 2 cores)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$WASM_BINDGEN_VERSION" ]; then
  step "wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: one of its locked dependencies is no longer in the registry.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

npm_install() { # dir
  if [ ! -d "$1/node_modules" ] || [ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]; then
    step "npm packages in $1"
    (cd "$1" && npm ci --no-audit --no-fund)
  fi
}
npm_install tools
npm_install tests/e2e

# Snakemake (the scale-out workflow, workflow/), pinned with every dependency, in its own venv
# under the cache directory so that a fresh clone reuses it; the venv's name carries a hash of
# the pins, so changing them installs a new one.
if [ "$(cat "$SNAKEMAKE_VENV/.installed" 2>/dev/null)" != "$(sha256sum workflow/requirements.txt | cut -c1-64)" ]; then
  step "snakemake (PyPI, workflow/requirements.txt) in $SNAKEMAKE_VENV"
  rm -rf "$SNAKEMAKE_VENV"
  python3 -m venv "$SNAKEMAKE_VENV"
  "$SNAKEMAKE_VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r workflow/requirements.txt
  sha256sum workflow/requirements.txt | cut -c1-64 >"$SNAKEMAKE_VENV/.installed"
fi

missing=()
for pkg in chromium chromium-driver; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "setup: ready (trunk $(trunk --version | cut -d' ' -f2), wasm-bindgen $WASM_BINDGEN_VERSION, $(wasm-opt --version | cut -d' ' -f1-3), $(chromium --version), snakemake $("$GENEPHENO_SNAKEMAKE" --version))"

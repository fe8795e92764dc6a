#!/usr/bin/env bash
# Sets up what is missing, builds the app (release) and serves it at http://127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
# No auto-reload: its injected script would fall outside the page's Content-Security-Policy.
exec trunk serve --release --no-autoreload

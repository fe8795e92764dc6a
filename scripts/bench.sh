#!/usr/bin/env bash
# Benchmarks (issue 6): the model forward natively (`genepheno bench`, burn flex CPU backend),
# then the release build of the app in headless Chromium on the WebGPU and the CPU path
# (tests/bench/bench.mjs), then writes the generated docs/BENCHMARKS.md
# (tests/bench/report.mjs) and prints it. Raw figures: target/bench/{native,browser}.json.
#
#   bash scripts/bench.sh                     # everything (about 30-40 minutes on 2 shared cores)
#   BENCH_PARTS=native bash scripts/bench.sh  # native only: rewrites the proteome section only
#
# Environment: BENCH_PARTS (all | native), BENCH_MEM_THREADS (threads of the memory runs, 2), GENEPHENO_DIST (the app build to serve; default target/e2e-dist, rebuilt with
# trunk when missing or older than the sources), BENCH_N (default 1000), BENCH_GPU_N (the WebGPU
# path's throughput run; default BENCH_N), BENCH_PATHS (cpu,gpu),
# BENCH_SINGLES (50), BENCH_WARMUP (5), BENCH_GPU_FULL=1 (also the whole set on the GPU path),
# BENCH_OUT_DOC (default docs/BENCHMARKS.md), BENCH_NO_BUILD=1 (measure the given build even if
# sources are newer; the document says so), BENCH_DIST_COMMENT (a note on the build, printed in
# the document).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u +%FT%TZ)
echo "== bench: started $STARTED, load average $LOAD_START, $(nproc) cores"
DIST="${GENEPHENO_DIST:-$PWD/target/e2e-dist}"
OUT=target/bench
mkdir -p "$OUT"

if [ "${BENCH_PARTS:-all}" != native ]; then
echo "== release build of the app"
worker_wasm=$(ls "$DIST"/genepheno-worker*_bg.wasm 2>/dev/null | head -1 || true)
newer=""
if [ -n "$worker_wasm" ]; then
  newer=$(find src crates/genepheno/src crates/genepheno-worker index.html style public Cargo.toml Cargo.lock \
    -newer "$worker_wasm" -type f -print -quit)
fi
if [ -z "$worker_wasm" ] || { [ -n "$newer" ] && [ "${BENCH_NO_BUILD:-0}" != 1 ]; }; then
  echo "build in $DIST is ${worker_wasm:+stale (${newer} is newer)}${worker_wasm:-missing}: trunk build --release"
  trunk build --release --dist "$DIST"
  worker_wasm=$(ls "$DIST"/genepheno-worker*_bg.wasm | head -1)
  newer=""
fi
DIST_NOTE="built $(date -u -r "$worker_wasm" +%FT%TZ)${newer:+; BENCH_NO_BUILD=1 kept it although $newer is newer}${BENCH_DIST_COMMENT:+; $BENCH_DIST_COMMENT}"
echo "using $DIST ($DIST_NOTE)"
fi

echo "== native: genepheno bench (one thread, then the thread-scaling runs)"
cargo build --release -p genepheno-cli
flex_features=$(cargo tree -p genepheno-cli -e features -i burn-flex 2>/dev/null \
  | grep -o 'burn-flex feature "[a-z0-9-]*"' | sort -u | sed 's/burn-flex feature //' | tr '\n' ' ' || true)
echo "burn-flex features in the native build: ${flex_features:-none}"
RAYON_NUM_THREADS=1 "$CARGO_TARGET_DIR/release/genepheno" bench --dataset hpo \
  --proteins "${BENCH_N:-1000},all" --single "${BENCH_SINGLES:-50}" --warmup "${BENCH_WARMUP:-5}" >"$OUT/native.json"

echo "== native: genepheno predict memory, the human set 1x and 10x"
python3 - "$OUT" <<'PY'
import gzip, sys
rows = gzip.open("data/genes.tsv.gz", "rt").read().splitlines()[1:]
fasta = "".join(f">{f[2]}_{f[1]} Entrez {f[0]}\n{f[6]}\n" for f in (r.split("\t") for r in rows if r))
open(f"{sys.argv[1]}/human.fasta", "w").write(fasta)
open(f"{sys.argv[1]}/human-x10.fasta", "w").write(fasta * 10)
PY
MEM_THREADS="${BENCH_MEM_THREADS:-2}"
for k in 1 10; do
  f="$OUT/human.fasta"; [ "$k" = 10 ] && f="$OUT/human-x10.fasta"
  status=0
  /usr/bin/time -f '%M %e' -o "$OUT/mem-x$k.txt" "$CARGO_TARGET_DIR/release/genepheno" predict --threads "$MEM_THREADS" "$f" >/dev/null 2>"$OUT/mem-x$k.stderr" || status=$?
  [ "$status" = 0 ] || { echo "predict on $f exited with $status"; tail -3 "$OUT/mem-x$k.stderr"; exit 1; }
  echo "x$k: $(cat "$OUT/mem-x$k.txt") (max RSS kB, seconds)"
done
python3 - "$OUT" "$MEM_THREADS" <<'PY'
import json, os, sys
out, threads = sys.argv[1], int(sys.argv[2])
def run(k, path):
    rss, secs = open(f"{out}/mem-x{k}.txt").read().split()[-2:]
    records = sum(1 for line in open(path) if line.startswith(">"))
    return {"max_rss_kb": int(rss), "seconds": float(secs), "records": records, "bytes": os.path.getsize(path)}
x1, x10 = run(1, f"{out}/human.fasta"), run(10, f"{out}/human-x10.fasta")
json.dump({"threads": threads, "x1": x1, "x10": x10,
           "load_after": " ".join(open("/proc/loadavg").read().split()[:3])}, open(f"{out}/memory.json", "w"), indent=1)
ratio = x10["max_rss_kb"] / x1["max_rss_kb"]
print(f"memory flat: 10x / 1x peak RSS = {ratio:.3f} ({'met' if ratio <= 1.1 else 'NOT met'}: target <= 1.10)")
PY
rm -f "$OUT/human-x10.fasta"

if [ "${BENCH_PARTS:-all}" = native ]; then
  echo "== report: native part only (the proteome section of ${BENCH_OUT_DOC:-docs/BENCHMARKS.md}; the rest is kept)"
  BENCH_STARTED="$STARTED" BENCH_LOAD_START="$LOAD_START" node tests/bench/proteome.mjs \
    --native "$OUT/native.json" --memory "$OUT/memory.json" --doc "${BENCH_OUT_DOC:-docs/BENCHMARKS.md}"
  exit 0
fi

echo "== browser: headless Chromium"
GENEPHENO_DIST="$DIST" BENCH_OUT="$OUT/browser.json" node tests/bench/bench.mjs

echo "== report"
BENCH_LOAD_START="$LOAD_START" BENCH_DIST_NOTE="$DIST_NOTE" BENCH_FLEX_FEATURES="$flex_features" node tests/bench/report.mjs \
  --native "$OUT/native.json" --browser "$OUT/browser.json" --memory "$OUT/memory.json" --dist "$DIST" \
  --out "${BENCH_OUT_DOC:-docs/BENCHMARKS.md}"

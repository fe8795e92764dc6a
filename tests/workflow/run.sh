#!/usr/bin/env bash
# The scale-out workflow (workflow/Snakefile), run locally on the 17,283 human proteins of
# data/genes.tsv.gz in 8 shards: its merged output must be byte-identical to one
# `genepheno predict` run over the whole input. Twice: the default TSV (sequence mode, the
# encoder's work, threads 1 against 8 shard jobs of 1 thread), and JSONL in auto mode (known
# genes from their curated GO). Then the SLURM profile is checked by a dry run (it plans the
# same jobs; nothing is submitted). Needs scripts/setup.sh (snakemake) and a release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
BIN="$CARGO_TARGET_DIR/release/genepheno"
[ -x "$BIN" ] || cargo build --release -p genepheno-cli
WORK="$CARGO_TARGET_DIR/workflow-test"
rm -rf "$WORK" && mkdir -p "$WORK"

# The human set as gzip FASTA, written here from the committed data.
python3 - "$WORK/human.fasta.gz" <<'PY'
import gzip, sys
rows = [r.split("\t") for r in gzip.open("data/genes.tsv.gz", "rt").read().splitlines()[1:] if r]
with gzip.open(sys.argv[1], "wt") as out:
    for f in rows:
        out.write(f">{f[2]}_{f[1]} Entrez {f[0]}\n{f[6]}\n")
print(f"{len(rows)} proteins written")
PY
records=$(zcat "$WORK/human.fasta.gz" | grep -c '^>')
[ "$records" = 17283 ] || { echo "expected 17,283 proteins, wrote $records"; exit 1; }

check() { # name, predict options..., -- , workflow config...
  local name=$1; shift
  local opts=() cfg=()
  while [ "$1" != -- ]; do opts+=("$1"); shift; done; shift
  cfg=("$@")
  local t0=$SECONDS
  "$BIN" predict --threads 1 "${opts[@]}" "$WORK/human.fasta.gz" >"$WORK/$name.single" 2>"$WORK/$name.single.log"
  local t1=$SECONDS
  "$GENEPHENO_SNAKEMAKE" -s workflow/Snakefile --directory "$WORK" --cores 2 --quiet rules \
    --config input="$WORK/human.fasta.gz" shards=8 outdir="$WORK/$name" genepheno="$BIN" threads=1 "${cfg[@]}" \
    >"$WORK/$name.snakemake.log" 2>&1 || { tail -30 "$WORK/$name.snakemake.log"; exit 1; }
  local merged
  merged=$(ls "$WORK/$name"/predictions.*)
  echo "$name: one run $((t1 - t0)) s, workflow $((SECONDS - t1)) s; $(cat "$WORK/$name/logs/split.log")"
  # Every shard got records, and every part was scored.
  [ "$(ls "$WORK/$name/parts" | wc -l)" = 8 ] || { echo "expected 8 parts"; exit 1; }
  for part in "$WORK/$name"/parts/*; do [ -s "$part" ] || { echo "$part is empty"; exit 1; }; done
  [ -s "$WORK/$name.single" ] || { echo "the single run wrote nothing"; exit 1; }
  if cmp "$WORK/$name.single" "$merged"; then
    echo "$name: merged output of 8 shards is byte-identical to one run ($(wc -l <"$merged") lines, $(wc -c <"$merged") bytes)"
  else
    echo "$name: the merged output differs from one run:"; diff "$WORK/$name.single" "$merged" | head -10; exit 1
  fi
}

check tsv -- format=tsv
# In auto mode, JSONL: every human protein is a known gene, scored from its curated GO.
check auto --mode auto --format jsonl --top 20 -- format=jsonl "extra=--mode auto --top 20"
known=$(grep -c '"mode":"known-gene"' "$WORK/auto.single" || true)
[ "$known" = 17283 ] || { echo "auto mode: $known of 17,283 human proteins were scored as known genes"; exit 1; }

# The cluster profile: the same jobs, planned for SLURM (dry run; nothing is submitted).
"$GENEPHENO_SNAKEMAKE" -s workflow/Snakefile --directory "$WORK" --profile workflow/profiles/slurm --dry-run \
  --config input="$WORK/human.fasta.gz" shards=8 outdir="$WORK/slurm" genepheno="$BIN" >"$WORK/slurm.log" 2>&1 \
  || { tail -30 "$WORK/slurm.log"; exit 1; }
grep -Eq '^predict +8$' "$WORK/slurm.log" || { echo "the SLURM dry run did not plan 8 predict jobs:"; cat "$WORK/slurm.log"; exit 1; }
echo "slurm profile: dry run plans $(grep -E "^total +[0-9]+" "$WORK/slurm.log" | head -1 | awk "{print \$2}") jobs (8 predict)"

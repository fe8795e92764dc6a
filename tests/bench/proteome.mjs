// The proteome-scale part of docs/BENCHMARKS.md (issue 14): the model's work per residue and per
// protein, the GFLOP/s achieved against this CPU's peak, scaling from 1 to 2 threads, and the
// resident memory of `genepheno predict` on 1x and 10x the human set. Every figure comes from the
// native bench's JSON (`genepheno bench`) and the memory runs of scripts/bench.sh.
//
// Used by report.mjs for a full run. Run alone after a native-only run (BENCH_PARTS=native), it
// replaces just this section of the existing document, between its markers, and leaves the rest
// (the browser figures of an earlier full run) as it was:
//   node tests/bench/proteome.mjs --native N.json --memory M.json --doc docs/BENCHMARKS.md
import fs from "node:fs";

export const BEGIN = "<!-- proteome:begin -->";
export const END = "<!-- proteome:end -->";

const fmt = (v, d = 0) => (v == null || Number.isNaN(v) ? "n/a" : Number(v).toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }));
const verdict = (ok) => (ok == null ? "NOT MEASURED" : ok ? "**MET**" : "**MISSED**");

/** The section's lines. `run` says when and under what load the figures were taken. */
export function proteomeSection(native, memory, run) {
  const out = [];
  const p = (s = "") => out.push(s);
  const w = native.work ?? {};
  const cpu = native.cpu ?? {};
  const single = native.runs.filter((r) => !r.with_worker_extras).at(-1);
  const t1 = native.thread_runs?.find((r) => r.threads === 1);
  const t2 = native.thread_runs?.find((r) => r.threads === 2);
  p(BEGIN);
  p("## Proteome scale (issue 14: native `genepheno predict`)");
  p();
  p(`Measured ${run.when}; load average (1/5/15 min) ${run.loadStart} at the start, ${native.load_average_after ?? "n/a"} after the bench, ${memory?.load_after ?? "n/a"} after the memory runs. ${run.note ?? ""}`);
  p();
  p(`Work of the model (${native.dataset} ${native.model_version}), from its shape: **${fmt(w.macs_per_residue_slot)} multiply-adds per residue** (the three dilated convolutions; the folded stem adds ${fmt(w.stem_lookup_adds_per_residue_slot)} looked-up values per residue and multiplies nothing) and ${fmt(w.head_macs_per_protein)} per protein in the dense head; with the page's batches (padding factor ${fmt(w.padding_factor, 3)}) a human protein of mean length ${fmt(w.mean_residues, 0)} costs **${fmt(w.macs_per_protein_mean)} multiply-adds** (${fmt((2 * w.macs_per_protein_mean) / 1e6, 1)} MFLOP).`);
  p();
  p(`CPU: ${cpu.model_name ?? "n/a"}, ${fmt(cpu.cores)} cores at ${fmt(cpu.mhz, 0)} MHz (/proc/cpuinfo), AVX2 ${cpu.avx2 ? "yes" : "no"}, FMA ${cpu.fma ? "yes" : "no"}. Peak f32 = frequency × ${cpu.f32_lanes} lanes × 2 flops per fused multiply-add × ${cpu.fma_units_per_core_assumed} FMA units (assumed; not readable from /proc) = **${fmt(cpu.peak_gflops_per_core, 1)} GFLOP/s per core**, ${fmt(cpu.peak_gflops_machine, 1)} for the machine.`);
  p();
  p("| Target | Measured | Verdict |");
  p("|---|---|---|");
  {
    const g = single?.gflops_computed;
    const share = g != null && cpu.peak_gflops_per_core ? g / cpu.peak_gflops_per_core : null;
    p(`| Native single thread ≥ 40 % of one core's peak | ${fmt(single?.proteins)} proteins, forward only: ${fmt(g, 1)} GFLOP/s computed (${fmt(single?.gflops_useful, 1)} on real residues, without padding) = **${fmt(share == null ? null : share * 100, 1)} %** of ${fmt(cpu.peak_gflops_per_core, 1)} | ${verdict(share == null ? null : share >= 0.4)} |`);
  }
  {
    const s = t2?.speedup;
    p(`| 2 threads ≥ 1.8 × one thread | ${fmt(t1?.proteins)} proteins: ${fmt(t1?.proteins_per_s, 1)} proteins/s with 1 thread, ${fmt(t2?.proteins_per_s, 1)} with 2 = **${fmt(s, 2)} ×** | ${verdict(s == null ? null : s >= 1.8)} |`);
  }
  {
    const r = memory?.x10 && memory?.x1 ? memory.x10.max_rss_kb / memory.x1.max_rss_kb : null;
    p(`| Memory flat: 10 × the human set within 10 % of 1 × (peak resident) | ${memory ? `${fmt(memory.x1.max_rss_kb / 1024, 1)} MiB for ${fmt(memory.x1.records)} records, ${fmt(memory.x10.max_rss_kb / 1024, 1)} MiB for ${fmt(memory.x10.records)} = **${fmt(r, 3)} ×**` : "not run"} | ${verdict(r == null ? null : r <= 1.1)} |`);
  }
  p();
  p("| Threads | Proteins | Time | Proteins/s | Speed-up | GFLOP/s (computed) |");
  p("|---|---|---|---|---|---|");
  for (const r of native.thread_runs ?? []) p(`| ${r.threads} | ${fmt(r.proteins)} | ${fmt(r.seconds, 2)} s | ${fmt(r.proteins_per_s, 1)} | ${fmt(r.speedup, 2)} × | ${fmt(r.gflops_computed, 1)} |`);
  p();
  p("Threads score whole batches of the page's planner at once (each takes the next batch), as `genepheno predict`'s workers do; the batches are the same for any thread count, so the output is too.");
  if (memory) {
    p();
    p(`Memory: \`genepheno predict --threads ${memory.threads}\` on the human set written as FASTA (${fmt(memory.x1.bytes / 1e6, 1)} MB) and on ten copies of it concatenated (${fmt(memory.x10.bytes / 1e6, 1)} MB; the copies' identifiers are renamed as repeats, as the page does, and each renaming is noted on stderr), output to /dev/null; peak resident set from GNU time (\`%M\`). 1 ×: ${fmt(memory.x1.seconds, 1)} s (${fmt(memory.x1.records / memory.x1.seconds, 1)} proteins/s, whole pipeline: parse, plan, score, format, in order); 10 ×: ${fmt(memory.x10.seconds, 1)} s (${fmt(memory.x10.records / memory.x10.seconds, 1)} proteins/s).`);
  }
  p(END);
  return out;
}

const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const native = JSON.parse(fs.readFileSync(arg("native"), "utf8"));
  const memoryPath = arg("memory");
  const memory = memoryPath && fs.existsSync(memoryPath) ? JSON.parse(fs.readFileSync(memoryPath, "utf8")) : null;
  const doc = arg("doc");
  const section = proteomeSection(native, memory, {
    when: `${process.env.BENCH_STARTED ?? "n/a"} to ${new Date().toISOString()} (UTC), native part only (BENCH_PARTS=native: the browser figures above and the native table come from the earlier full run)`,
    loadStart: process.env.BENCH_LOAD_START ?? "n/a",
    note: process.env.BENCH_LOAD_NOTE,
  }).join("\n");
  const old = fs.readFileSync(doc, "utf8");
  const a = old.indexOf(BEGIN);
  const b = old.indexOf(END);
  const text = a >= 0 && b > a ? old.slice(0, a) + section + old.slice(b + END.length) : old.trimEnd() + "\n\n" + section + "\n";
  fs.writeFileSync(doc, text);
  process.stdout.write(section + "\n");
}

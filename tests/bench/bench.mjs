// Browser benchmark of GenePheno Web (issue 6): the release build served on 127.0.0.1, Debian's
// headless Chromium driven by Playwright, on the WebGPU path and on the CPU path.
//
// Per path it measures:
// - page load to model ready, cold (fresh browser context: empty HTTP cache and Cache API) and
//   warm (a second page in the same context: the model files come from the Cache API);
// - time to the first prediction of one protein on the freshly loaded page;
// - per-protein latency after warm-up: single proteins are dropped one after another on that
//   page and each is timed inside the page, from the drop event to the moment the page shows it
//   scored (parse + schedule + worker round trip + render);
// - throughput on 1,000 proteins and on the whole human reference set, each on a fresh warm page:
//   the page's own figure, data-elapsed-ms (first batch sent to last answer), and the wall time
//   from the drop;
// - peak memory: the worker's wasm memory (data-worker-memory), the page's JS heap (CDP
//   Performance.getMetrics, sampled every second), and the PSS of the whole Chromium process tree
//   (/proc, sampled twice a second);
// - every response of the cold first visit (URL and body bytes), for the transfer table;
// - CPU path: the residue map of one phenotype (issue 15) for human proteins of about 1,000
//   residues in sequence mode, from the click on the phenotype to the map shown, and the
//   worker's own time.
//
// Writes one JSON object to $BENCH_OUT (default target/bench/browser.json) and logs progress on
// stderr. Settings (environment): BENCH_PATHS=cpu,gpu  BENCH_N=1000  BENCH_ALL=all|<n>
// BENCH_OFFSET=0  BENCH_WARMUP=5  BENCH_SINGLES=50  BENCH_GPU_FULL=0|1 (the whole set on the GPU
// path too)  GENEPHENO_DIST (the build to serve; harness default target/e2e-dist).
import fs from "node:fs";
import path from "node:path";
import { serveApp, launchBrowser, humanProteins } from "../e2e/harness.mjs";

const ROOT = path.resolve(import.meta.dirname, "../..");
const env = process.env;
const OUT = env.BENCH_OUT ?? path.join(ROOT, "target/bench/browser.json");
const PATHS = (env.BENCH_PATHS ?? "cpu,gpu").split(",").filter(Boolean);
const N = Number(env.BENCH_N ?? 1000);
// The throughput run of the WebGPU path (SwiftShader emulates the GPU on the CPU here, so it can
// be much slower than the CPU path).
const GPU_N = Number(env.BENCH_GPU_N ?? N);
const OFFSET = Number(env.BENCH_OFFSET ?? 0);
const WARMUP = Number(env.BENCH_WARMUP ?? 5);
const SINGLES = Number(env.BENCH_SINGLES ?? 50);
const GPU_FULL = env.BENCH_GPU_FULL === "1";
// How long the model may take to become ready (a first WebGPU load compiles GPU programs).
const READY_TIMEOUT = Number(env.BENCH_READY_TIMEOUT ?? 300_000);
const ALL_FASTA = humanProteins(1e9, OFFSET);
const ALL_COUNT = (ALL_FASTA.match(/^>/gm) ?? []).length;
const FULL = env.BENCH_ALL && env.BENCH_ALL !== "all" ? Number(env.BENCH_ALL) : ALL_COUNT;

const log = (...args) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);
const round = (v, d = 1) => (v == null || Number.isNaN(v) ? null : Math.round(v * 10 ** d) / 10 ** d);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.round((p / 100) * (s.length - 1)))] : null;
};

// ---- memory of the Chromium process tree (children of this node process), from /proc ----
function descendants(root) {
  const parent = new Map();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(name), Number(fields[1]));
    } catch { /* the process ended */ }
  }
  const found = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!found.has(pid) && found.has(ppid)) { found.add(pid); grew = true; }
    }
  }
  found.delete(root);
  return [...found];
}
function treePssBytes() {
  let kb = 0;
  for (const pid of descendants(process.pid)) {
    try {
      const m = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").match(/^Pss:\s+(\d+) kB/m);
      if (m) kb += Number(m[1]);
    } catch { /* the process ended */ }
  }
  return kb * 1024;
}

const running = new Set();
/** Samples the process tree's PSS and the page's JS heap until stopped; returns the peaks. */
function sampler(cdp) {
  let peakPss = 0;
  let peakHeap = 0;
  let busy = false;
  const pssTimer = setInterval(() => { peakPss = Math.max(peakPss, treePssBytes()); }, 500);
  const heapTimer = setInterval(async () => {
    if (busy || !cdp) return;
    busy = true;
    try {
      const { metrics } = await cdp.send("Performance.getMetrics");
      const used = metrics.find((m) => m.name === "JSHeapUsedSize")?.value ?? 0;
      peakHeap = Math.max(peakHeap, used);
    } catch { /* page closing */ }
    busy = false;
  }, 1000);
  const handle = {
    async stop() {
      running.delete(handle);
      clearInterval(pssTimer);
      clearInterval(heapTimer);
      peakPss = Math.max(peakPss, treePssBytes());
      if (cdp) {
        try {
          const { metrics } = await cdp.send("Performance.getMetrics");
          peakHeap = Math.max(peakHeap, metrics.find((m) => m.name === "JSHeapUsedSize")?.value ?? 0);
        } catch { /* page closing */ }
      }
      return { chromium_tree_pss_peak_bytes: peakPss, page_js_heap_used_peak_bytes: peakHeap };
    },
    halt() {
      running.delete(handle);
      clearInterval(pssTimer);
      clearInterval(heapTimer);
    },
  };
  running.add(handle);
  return handle;
}

// ---- in-page instrumentation (installed before the app's scripts run) ----
// Times (performance.now(), ms since navigation start) when the model first became ready (the
// page can score), when its backend settled (the GPU took over after its self-check, or the
// CPU stayed), and every change of the run status's scored count.
function instrument() {
  window.__bench = { ready: null, backend: null, settled: null, settled_backend: null, scored: [] };
  const observer = new MutationObserver((mutations) => {
    for (const m of mutations) {
      const el = m.target;
      if (!(el instanceof Element)) continue;
      if (m.attributeName === "data-state" && el.dataset.testid === "model-status" && el.dataset.state === "ready" && window.__bench.ready === null) {
        window.__bench.ready = performance.now();
        window.__bench.backend = el.dataset.backend;
      }
      if (el.dataset.testid === "model-status" && el.dataset.state === "ready" && el.dataset.gpuCheck === "false" && window.__bench.settled === null) {
        window.__bench.settled = performance.now();
        window.__bench.settled_backend = el.dataset.backend;
      }
      if ((m.attributeName === "data-scored" || m.attributeName === "data-total") && el.dataset.testid === "run-status") {
        window.__bench.scored.push([performance.now(), Number(el.dataset.scored), Number(el.dataset.total)]);
      }
    }
  });
  observer.observe(document, { subtree: true, attributes: true, attributeFilter: ["data-state", "data-gpu-check", "data-scored", "data-total"] });
}

/** Human proteins of 950 to 1,050 residues (FASTA records), the first `n` of them. */
function proteinsNear1000(n) {
  return humanProteins(3000, 0).split(/(?=^>)/m).filter((r) => Math.abs(r.split("\n")[1].length - 1000) <= 50).slice(0, n);
}

/**
 * Residue maps on a fresh page: each protein dropped alone, in sequence mode, its first phenotype
 * clicked; times from the click to the map shown (page clock) and the worker's compute time.
 */
async function residueMaps(context, origin, runs) {
  const { page } = await loadPage(context, origin, "residue maps");
  const each = [];
  try {
    for (const [i, record] of proteinsNear1000(runs).entries()) {
      const clear = page.getByTestId("clear");
      if (await clear.isEnabled()) await clear.click();
      await drop(page, `map${i}.fasta`, record);
      await scoredAt(page, 1, 120_000);
      // A known gene opens in known-gene mode: the map is of the sequence-mode score.
      await page.locator('[data-testid="known-gene"], [data-testid="similar-genes"]').first().waitFor({ timeout: 60_000 });
      if (await page.getByTestId("source-sequence").count()) await page.getByTestId("source-sequence").check();
      const phenotype = page.locator('[data-testid="predicted-group"] [data-testid="phenotype-name"]').first();
      await phenotype.waitFor({ timeout: 60_000 });
      const t0 = await page.evaluate(() => performance.now());
      await phenotype.click();
      const map = page.locator('[data-testid="residue-maps"][data-state="ready"]');
      await map.waitFor({ timeout: 120_000 });
      const t1 = await page.evaluate(() => performance.now());
      each.push({
        length: record.split("\n")[1].length,
        click_to_map_ms: round(t1 - t0, 0),
        worker_ms: Number(await map.getAttribute("data-compute-ms")),
        stretches: Number(await page.getByTestId("residue-map-phenotype").getAttribute("data-stretches")),
      });
    }
  } finally {
    await page.close();
  }
  const out = {
    runs: each.length,
    median_click_to_map_ms: median(each.map((e) => e.click_to_map_ms)),
    median_worker_ms: median(each.map((e) => e.worker_ms)),
    each,
  };
  log(`cpu: residue map of ~1,000-residue proteins, median ${out.median_click_to_map_ms} ms click to map (worker ${out.median_worker_ms} ms)`);
  return out;
}

/** Drops a FASTA text on the drop zone from inside the page; returns performance.now() at the drop. */
function drop(page, name, text) {
  return page.evaluate(({ name, text }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], name));
    const zone = document.querySelector('[data-testid="drop-zone"]');
    zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    const t = performance.now();
    zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    return t;
  }, { name, text });
}

/** Time (page clock) at which the page first showed `count` records scored, waiting up to `timeout`. */
async function scoredAt(page, count, timeout) {
  await page.locator(`[data-testid="run-status"][data-scored="${count}"][data-total="${count}"]`).waitFor({ timeout });
  const t = await page.evaluate((c) => window.__bench.scored.find(([, s, total]) => s >= c && total >= c)?.[0] ?? null, count);
  return t ?? page.evaluate(() => performance.now());
}

async function runStatus(page) {
  return page.getByTestId("run-status").evaluate((el) => ({
    elapsed_ms: el.dataset.elapsedMs === "" ? null : Number(el.dataset.elapsedMs),
    worker_memory_bytes: el.dataset.workerMemory === "" ? null : Number(el.dataset.workerMemory),
    workers: el.dataset.workers ? Number(el.dataset.workers) : null,
    text: el.innerText.split("\n")[0],
  }));
}

/** Distinct console errors with how often each was seen (hashes and ids folded together). */
function distinct(problems) {
  const counts = new Map();
  for (const p of problems) {
    const key = p.replace(/'sha256-[^']*'/g, "'sha256-…'").slice(0, 300);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([message, count]) => ({ message, count }));
}

/**
 * Opens the app in `context`, recording responses; resolves when the model is ready and its
 * backend settled. With `choose` ("gpu"), the backend is then chosen in the page (the automatic
 * choice keeps the CPU when WebGPU is a software emulation, as here) and the time until it took
 * over is recorded.
 */
async function loadPage(context, origin, label, choose = null) {
  const page = await context.newPage();
  const problems = [];
  const responses = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("response", async (r) => {
    const entry = { url: r.url().replace(origin, ""), status: r.status(), bytes: null };
    responses.push(entry);
    try { entry.bytes = (await r.body()).length; } catch { /* no body (e.g. 304) */ }
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable");
  const wallStart = Date.now();
  await page.goto(origin);
  await page.locator('[data-testid="model-status"][data-state="ready"]').waitFor({ timeout: READY_TIMEOUT });
  const wall = Date.now() - wallStart;
  // Then the backend settles (automatic choice).
  await page.locator('[data-testid="model-status"][data-state="ready"][data-gpu-check="false"]').waitFor({ timeout: READY_TIMEOUT });
  const autoBackend = await page.getByTestId("model-status").getAttribute("data-backend");
  const autoNoticeBox = page.getByTestId("backend-notice");
  const autoNotice = (await autoNoticeBox.count()) ? await autoNoticeBox.innerText() : null;
  let chosenAfter = null;
  if (choose) {
    const before = await page.evaluate(() => performance.now());
    await page.getByTestId("backend-select").selectOption(choose);
    await page.locator(`[data-testid="model-status"][data-state="ready"][data-gpu-check="false"][data-backend="${choose}"]`).waitFor({ timeout: READY_TIMEOUT });
    chosenAfter = (await page.evaluate(() => performance.now())) - before;
  }
  // On the CPU, the page adds one worker per further core once the model is loaded; the
  // measurements below start when all of them have it (a user rarely drops files within the
  // second after the page is ready); the page-ready figures do not wait for them.
  const settledBackend = await page.getByTestId("model-status").getAttribute("data-backend");
  const workers = settledBackend === "cpu"
    ? await page.evaluate(() => Math.min(Math.max(navigator.hardwareConcurrency || 1, 1), 4))
    : 1;
  await page.locator(`[data-testid="model-status"][data-workers="${workers}"]`).waitFor({ timeout: READY_TIMEOUT });
  const allWorkers = await page.evaluate(() => performance.now());
  const b = await page.evaluate(() => window.__bench);
  const status = await page.getByTestId("model-status").innerText();
  const noticeBox = page.getByTestId("backend-notice");
  const notice = (await noticeBox.count()) ? await noticeBox.innerText() : null;
  log(`${label}: ready in ${round(b.ready, 0)} ms (page clock; wall ${wall} ms) on ${b.backend}; settled on ${b.settled_backend} at ${round(b.settled, 0)} ms; ${workers} worker(s) loaded by ${round(allWorkers, 0)} ms: ${status}`);
  return {
    page, cdp, problems, responses, ready_ms: b.ready, wall_ms: wall, ready_backend: b.backend,
    settled_ms: b.settled, backend: settledBackend, auto_backend: autoBackend, auto_notice: autoNotice,
    chosen: choose, chosen_took_ms: chosenAfter, workers, workers_ready_ms: allWorkers, status, notice,
  };
}

/** Drops `count` proteins as one file on a fresh warm page and waits until all are scored. */
async function throughput(context, origin, label, fasta, count, choose = null) {
  const loaded = await loadPage(context, origin, `${label} (warm load)`, choose);
  const { page, cdp } = loaded;
  const mem = sampler(cdp);
  const t0 = await drop(page, `human${count}.fasta`, fasta);
  const t1 = await scoredAt(page, count, 3_600_000);
  const status = await runStatus(page);
  const memory = await mem.stop();
  const timeline = await page.evaluate(() => window.__bench.scored);
  // The page's scored count moves once per answered batch: the gaps are the page's batch cycle
  // (send, worker forward and lookup, answer, render).
  const cycles = [];
  const increases = timeline.filter((e, i) => i === 0 || e[1] > timeline[i - 1][1]).filter((e) => e[1] > 0);
  for (let i = 1; i < increases.length; i++) cycles.push(increases[i][0] - increases[i - 1][0]);
  const result = {
    proteins: count,
    backend: loaded.backend,
    page_elapsed_ms: status.elapsed_ms,
    proteins_per_s: status.elapsed_ms ? round(count / (status.elapsed_ms / 1000), 2) : null,
    wall_from_drop_ms: round(t1 - t0, 0),
    proteins_per_s_from_drop: round(count / ((t1 - t0) / 1000), 2),
    page_text: status.text,
    batch_cycle_ms: { count: cycles.length, median: round(median(cycles), 1), p90: round(pct(cycles, 90), 1), max: round(Math.max(...cycles), 1) },
    batch_cycles_ms: cycles.map((c) => round(c, 1)),
    worker_memory_bytes: status.worker_memory_bytes,
    workers: status.workers,
    ...memory,
    warm_load: { ready_ms: round(loaded.ready_ms, 0), settled_ms: round(loaded.settled_ms, 0), chosen_took_ms: round(loaded.chosen_took_ms, 0), workers: loaded.workers, workers_ready_ms: round(loaded.workers_ready_ms, 0), ready_backend: loaded.ready_backend, wall_ms: loaded.wall_ms, responses: loaded.responses },
    problems: distinct(loaded.problems),
  };
  log(`${label}: ${count} proteins in ${status.elapsed_ms} ms (page figure) = ${result.proteins_per_s} proteins/s; from drop ${result.wall_from_drop_ms} ms; ${status.workers} worker(s), wasm memory ${status.worker_memory_bytes}`);
  await page.close();
  return result;
}

async function benchPath(origin, which) {
  const webgpu = which === "gpu";
  const browser = await launchBrowser({ webgpu });
  const out = { path: which, webgpu_flag: webgpu, chromium: browser.version() };
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    await context.addInitScript(instrument);

    // Cold load: fresh context, nothing cached.
    const mem = sampler(null);
    // The WebGPU path chooses the GPU in the page: the automatic choice keeps the CPU when
    // WebGPU is a software emulation (SwiftShader here).
    const choose = which === "gpu" ? "gpu" : null;
    const cold = await loadPage(context, origin, `${which} cold load`, choose);
    const { page } = cold;
    out.backend = cold.backend;
    out.notice = cold.notice;
    out.model_status = cold.status;
    out.auto_backend = cold.auto_backend;
    out.auto_notice = cold.auto_notice;
    out.cold_load = { ready_ms: round(cold.ready_ms, 0), settled_ms: round(cold.settled_ms, 0), chosen_took_ms: round(cold.chosen_took_ms, 0), workers: cold.workers, workers_ready_ms: round(cold.workers_ready_ms, 0), ready_backend: cold.ready_backend, wall_ms: cold.wall_ms };

    // First prediction on the freshly loaded page, then single proteins one after another.
    const pageMem = sampler(cold.cdp);
    const singles = [];
    let firstDetailMs = null;
    for (let i = 0; i < WARMUP + SINGLES; i++) {
      const fasta = humanProteins(1, OFFSET + i);
      const t0 = await drop(page, `single${i}.fasta`, fasta);
      const t1 = await scoredAt(page, i + 1, 300_000);
      if (i === 0) {
        const status = await runStatus(page);
        out.first_prediction = {
          length: fasta.split("\n")[1].length,
          drop_to_scored_ms: round(t1 - t0, 0),
          page_elapsed_ms: status.elapsed_ms,
          navigation_to_scored_ms: round(t1, 0),
        };
        // The page then selects the record and asks the worker for its detail: let that finish
        // so that it does not overlap the next protein.
        try {
          await page.getByTestId("concept-chart").waitFor({ timeout: 120_000 });
          firstDetailMs = round((await page.evaluate(() => performance.now())) - t1, 0);
        } catch { firstDetailMs = null; }
        out.first_prediction.then_detail_view_ms = firstDetailMs;
        log(`${which}: first prediction ${out.first_prediction.drop_to_scored_ms} ms from drop (worker round trip ${status.elapsed_ms} ms), detail view after ${firstDetailMs} ms`);
      }
      if (i >= WARMUP) {
        // When the record was listed (the page's total grew) splits reading from scoring.
        const listed = await page.evaluate((c) => window.__bench.scored.find(([, , total]) => total >= c)?.[0] ?? null, i + 1);
        singles.push({ length: fasta.split("\n")[1].length, ms: t1 - t0, read_ms: listed == null ? null : listed - t0 });
      }
    }
    const ms = singles.map((s) => s.ms);
    out.single = {
      warmup: WARMUP,
      calls: singles.length,
      median_ms: round(median(ms), 1),
      p10_ms: round(pct(ms, 10), 1),
      p90_ms: round(pct(ms, 90), 1),
      max_ms: round(Math.max(...ms), 1),
      median_length: median(singles.map((s) => s.length)),
      // Drop to the record listed (reading and parsing the file, rendering the row), and from
      // there to the score shown (scheduling, worker forward and lookup, answer, render).
      median_read_ms: round(median(singles.filter((s) => s.read_ms != null).map((s) => s.read_ms)), 1),
      median_listed_to_scored_ms: round(median(singles.filter((s) => s.read_ms != null).map((s) => s.ms - s.read_ms)), 1),
      each: singles.map((s) => [s.length, round(s.ms, 1), round(s.read_ms, 1)]),
    };
    log(`${which}: single protein median ${out.single.median_ms} ms (p90 ${out.single.p90_ms}) over ${singles.length}`);
    out.single.memory = await pageMem.stop();
    out.single.worker_memory_bytes = (await runStatus(page)).worker_memory_bytes;
    out.cold_load.memory = await mem.stop();
    out.cold_load.responses = cold.responses;
    out.cold_load.problems = distinct(cold.problems);
    await page.close();
    if (which === "cpu") {
      // A failure here is reported in its own row, not as the whole path's.
      out.residue_map = await residueMaps(context, origin, Number(env.BENCH_MAP_RUNS ?? 3)).catch((e) => {
        log(`cpu: residue maps FAILED: ${e.stack ?? e}`);
        return { error: String(e.message ?? e) };
      });
    }

    // Throughput, each on a fresh page of the same context (model files from the Cache API).
    const n = which === "gpu" ? GPU_N : N;
    out.runs = [await throughput(context, origin, `${which} ${n}`, humanProteins(n, OFFSET), n, choose)];
    const projected = FULL / out.runs[0].proteins_per_s;
    if (which === "gpu" && out.backend !== "gpu") {
      out.full_set_skipped = {
        proteins: FULL,
        projected_s: null,
        reason: `skipped: the page did not run on the GPU (backend in use: ${out.backend}), so this would repeat the CPU path`,
      };
      log(`${which}: full set skipped, backend in use is ${out.backend}`);
    } else if (which === "cpu" || GPU_FULL) {
      out.runs.push(await throughput(context, origin, `${which} ${FULL}`, FULL === ALL_COUNT ? ALL_FASTA : humanProteins(FULL, OFFSET), FULL, choose));
    } else {
      out.full_set_skipped = {
        proteins: FULL,
        projected_s: round(projected, 0),
        reason: `skipped: at the rate of the ${n}-protein run this path would take about ${round(projected / 60, 0)} min (set BENCH_GPU_FULL=1 to run it)`,
      };
      log(`${which}: full set skipped, projected ${round(projected, 0)} s`);
    }
    await context.close();
  } finally {
    for (const s of [...running]) s.halt();
    await browser.close();
  }
  return out;
}

const server = await serveApp();
const result = {
  bench: "browser",
  started: new Date().toISOString(),
  dist: env.GENEPHENO_DIST ?? path.join(ROOT, "target/e2e-dist"),
  settings: { paths: PATHS, n: N, gpu_n: GPU_N, full: FULL, human_set: ALL_COUNT, offset: OFFSET, warmup: WARMUP, singles: SINGLES, gpu_full: GPU_FULL },
  paths: {},
};
try {
  for (const which of PATHS) {
    try {
      result.paths[which] = await benchPath(server.origin, which);
    } catch (e) {
      log(`${which}: FAILED: ${e.stack ?? e}`);
      result.paths[which] = { path: which, error: String(e.message ?? e) };
    }
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, JSON.stringify(result, null, 1));
  }
} finally {
  await server.close();
}
result.finished = new Date().toISOString();
fs.writeFileSync(OUT, JSON.stringify(result, null, 1));
log(`wrote ${OUT}`);
// A page that hung can leave the browser's connections open; do not wait for them.
process.exit(0);

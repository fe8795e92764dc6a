// Faults the page survives (issue 16): damaged kept model files, workers that stop mid-run (on the
// CPU and on the GPU), workers that stop answering, the WebGPU device lost mid-run, model files of
// another version than their metadata names.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { useApp, waitForModel, waitForScores, dropFiles, humanProteins, downloadText } from "./harness.mjs";

const journey = useApp();
const EXAMPLE = fs.readFileSync(path.resolve(import.meta.dirname, "../../public/examples/example.fasta"));

test("damaged kept copies of the weights and the reference set are thrown away, downloaded again, and the user is told", async () => {
  await journey(async (page) => {
    await waitForModel(page);
    // Every worker of the pool has loaded (a helper still loading would read, and repair, a
    // damaged copy before the reload).
    const pool = await page.evaluate(() => Math.min(Math.max(navigator.hardwareConcurrency, 1), 4)); // MAX_WORKERS in src/predict/client.rs
    await page.locator(`[data-testid="model-status"][data-workers="${pool}"]`).waitFor();
    // The inference worker kept both files under the weights' checksum; damage them in place.
    const damaged = await page.evaluate(async () => {
      const cache = await caches.open("genepheno-models-v1");
      const hit = [];
      for (const request of await cache.keys()) {
        if (/\/models\/hpo\.(bpk|reference\.bin)\?sha256=/.test(request.url)) {
          await cache.put(request, new Response(new Uint8Array([71, 80, 82, 69, 70, 0, 1, 2, 3])));
          hit.push(new URL(request.url).pathname);
        }
      }
      return hit.sort();
    });
    assert.deepEqual(damaged, ["/models/hpo.bpk", "/models/hpo.reference.bin"]);
    await page.reload();
    await waitForModel(page);
    const notice = await page.getByTestId("repair-notice").innerText();
    assert.match(notice, /copies of models\/hpo\.bpk and models\/hpo\.reference\.bin kept in this browser were damaged; they were thrown away and downloaded again/);
    // The fresh copies work: known genes are recognised again and records are scored.
    await dropFiles(page, [{ name: "example.fasta", bytes: EXAMPLE }]);
    await waitForScores(page, 6);
    assert.match(await page.locator('[data-testid="summary-table"] tr', { hasText: "P69905" }).innerText(), /HBA1 \/ HBA2/);
    // And they were kept again: the next load needs no repair.
    await page.reload();
    await waitForModel(page);
    assert.equal(await page.getByTestId("repair-notice").count(), 0);
  });
});

test("workers that stop in the middle of a run: the main one is started again, their batches are scored by the workers left, nothing is lost or scored twice", async () => {
  // Without the closing check for console errors: the stopped workers report theirs.
  const app = await journey.open();
  try {
    const { page } = app;
    await dropFiles(page, [{ name: "human400.fasta", bytes: Buffer.from(humanProteins(400, 3000)) }]);
    await waitForModel(page);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="run-status"]')?.dataset.scored) > 0, null, { timeout: 120_000 });
    const workers = page.workers();
    assert.ok(workers.length >= 1);
    // An uncaught error ends a worker as a crash in its code would (the page ends it on its
    // `error` event). The main worker first, then a helper if there is one.
    const crash = (worker) => worker.evaluate(() => { setTimeout(() => { throw new Error("stopped by the test"); }, 0); });
    await crash(workers[0]);
    if (workers.length > 1) await crash(workers[1]);
    const atCrash = Number(await page.getByTestId("run-status").getAttribute("data-scored").catch(() => "0"));
    assert.ok(atCrash < 400, `stopped mid-run (${atCrash} of 400 scored)`);
    await page.getByTestId("restart-notice").waitFor({ timeout: 60_000 });
    assert.match(await page.getByTestId("restart-notice").innerText(), /stopped by the test.*started again/);
    await waitForScores(page, 400, 300_000);
    const run = page.getByTestId("run-status");
    assert.equal(await run.getAttribute("data-failed"), "0");
    assert.equal(await run.getAttribute("data-answered"), "400", "every record answered once");
  } finally {
    await app.close();
  }
});

test("a model file of another version than its metadata names is refused with a clear message, and never kept", async () => {
  const MODELS = path.resolve(import.meta.dirname, "../../public/models");
  // The server is in the middle of an update: it serves the MP model's files under HPO's names.
  const serveOther = (file, other) => (context) =>
    context.route(`**/models/${file}`, (route) => route.fulfill({ status: 200, body: fs.readFileSync(path.join(MODELS, other)) }));
  // Another reference set: known genes are not recognised (said), the model still scores.
  let app = await journey.open({ prepare: serveOther("hpo.reference.bin", "mp.reference.bin") });
  try {
    await waitForModel(app.page);
    assert.match(await app.page.getByTestId("reference-status").innerText(), /Known genes cannot be recognised: .*models\/hpo\.reference\.bin as served is not the version this model names/);
    await dropFiles(app.page, [{ name: "example.fasta", bytes: EXAMPLE }]);
    await waitForScores(app.page, 6);
  } finally {
    await app.close();
  }
  // Other weights: the model is not loaded, the page says why and what to do, nothing is kept.
  app = await journey.open({ prepare: serveOther("hpo.bpk", "mp.bpk") });
  try {
    const status = app.page.locator('[data-testid="model-status"][data-state="failed"]');
    await status.waitFor({ timeout: 120_000 });
    assert.match(await status.innerText(), /models\/hpo\.bpk as served is not the version this model names \(SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64}\).*reload the page in a minute/);
    const kept = await app.page.evaluate(async () => (await (await caches.open("genepheno-models-v1")).keys()).map((r) => new URL(r.url).pathname));
    assert.ok(!kept.includes("/models/hpo.bpk"), `kept: ${kept}`);
    await app.page.getByTestId("retry").waitFor();
  } finally {
    await app.close();
  }
});

test("the model stopping while it runs on the GPU: the CPU takes over mid-run, keeps the GPU's scores and gives the same ones", async () => {
  const app = await journey.open();
  try {
    const { page } = app;
    await scoringOnTheGpu(page, 9000);
    // A driver fault that ends the worker: an uncaught error (a lost device is the next journey).
    await page.workers()[0].evaluate(() => { setTimeout(() => { throw new Error("GPU device lost (test)"); }, 0); });
    const atCrash = Number(await page.getByTestId("run-status").getAttribute("data-scored").catch(() => "0"));
    assert.ok(atCrash < 100, `stopped mid-run (${atCrash} of 100 scored)`);
    await page.locator('[data-testid="backend-notice"]', { hasText: "restarted on the CPU" }).waitFor({ timeout: 60_000 });
    assert.match(await page.getByTestId("backend-notice").innerText(), /stopped while running on the GPU \(.*GPU device lost \(test\)\); it was restarted on the CPU/);
    assert.equal(await waitForModel(page), "cpu");
    await waitForScores(page, 100, 600_000);
    const run = page.getByTestId("run-status");
    assert.equal(await run.getAttribute("data-answered"), "100", "every record answered once");
    assertSameAsCpuOnly(await exportedScores(page), await cpuOnlyScores(page), 100);
  } finally {
    await app.close();
  }
});

/** Chooses the GPU, drops 100 human proteins (from `offset`) and waits until the first are scored. */
async function scoringOnTheGpu(page, offset) {
  await waitForModel(page);
  await page.getByTestId("backend-select").selectOption("gpu");
  assert.equal(await waitForModel(page), "gpu", "WebGPU (SwiftShader) is expected in this browser");
  await dropFiles(page, [{ name: "human100.fasta", bytes: Buffer.from(humanProteins(100, offset)) }]);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="run-status"]')?.dataset.scored) > 0, null, { timeout: 300_000 });
}

/** Every record's phenotype scores as the page exports them. */
async function exportedScores(page) {
  return JSON.parse((await downloadText(page, page.getByTestId("export-all-json"))).text);
}

/** The same records scored again on the CPU alone. */
async function cpuOnlyScores(page) {
  await page.getByTestId("backend-select").selectOption("cpu");
  assert.equal(await waitForModel(page), "cpu");
  const total = Number(await page.getByTestId("run-status").getAttribute("data-total"));
  await waitForScores(page, total, 600_000);
  return exportedScores(page);
}

/** The scores of a run that changed backend mid-way equal a CPU-only run's (<= 1e-3). */
function assertSameAsCpuOnly(mixed, cpu, records) {
  let worst = 0;
  let compared = 0;
  for (let r = 0; r < records; r++) {
    const a = new Map(mixed.records[r].phenotypes.map((p) => [p.id, p.score]));
    for (const p of cpu.records[r].phenotypes) {
      if (a.has(p.id)) {
        worst = Math.max(worst, Math.abs(a.get(p.id) - p.score));
        compared++;
      }
    }
  }
  assert.ok(compared > records * 5, `${compared} scores compared`);
  assert.ok(worst <= 1e-3, `largest difference ${worst}`);
}

test("the WebGPU device lost mid-run (the browser's GPU process crashes): the CPU takes over in the same worker and gives the same scores", async () => {
  const app = await journey.open();
  try {
    const { page } = app;
    await scoringOnTheGpu(page, 12000);
    // A real loss: Chromium's GPU process ends, and with it every WebGPU device of the browser.
    const cdp = await journey.browser().newBrowserCDPSession();
    await cdp.send("Browser.crashGpuProcess");
    const atLoss = Number(await page.getByTestId("run-status").getAttribute("data-scored"));
    assert.ok(atLoss < 100, `lost mid-run (${atLoss} of 100 scored)`);
    await page.locator('[data-testid="backend-notice"]', { hasText: "scoring continues on the CPU" }).waitFor({ timeout: 60_000 });
    assert.match(await page.getByTestId("backend-notice").innerText(), /the GPU failed \(.*device.*\); scoring continues on the CPU/i);
    assert.equal(await page.getByTestId("model-status").getAttribute("data-backend"), "cpu");
    await waitForScores(page, 100, 600_000);
    const run = page.getByTestId("run-status");
    assert.equal(await run.getAttribute("data-failed"), "0");
    assert.equal(await run.getAttribute("data-answered"), "100", "every record answered once");
    assert.equal(await page.getByTestId("restart-notice").count(), 0, "the worker itself went on");
    assertSameAsCpuOnly(await exportedScores(page), await cpuOnlyScores(page), 100);
  } finally {
    await app.close();
  }
});

test("workers that stop answering without an error (hung) are ended after 45 s of silence and their batches scored again", async () => {
  const app = await journey.open();
  try {
    const { page } = app;
    await dropFiles(page, [{ name: "human1000.fasta", bytes: Buffer.from(humanProteins(1000, 6000)) }]);
    await waitForModel(page);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="run-status"]')?.dataset.scored) > 0, null, { timeout: 120_000 });
    // Each worker spins for ten minutes: alive, raising nothing, answering nothing. (The
    // promise settles only when the page ends the worker.)
    const hang = (worker) => worker.evaluate(() => { const end = Date.now() + 600_000; while (Date.now() < end); }).catch(() => {});
    const workers = page.workers();
    for (const worker of workers) hang(worker);
    const hungAt = Date.now();
    await page.getByTestId("restart-notice").waitFor({ timeout: 120_000 });
    const silent = (Date.now() - hungAt) / 1000;
    assert.ok(silent >= 40, `ended after ${silent.toFixed(0)} s, not before the limit`);
    assert.match(await page.getByTestId("restart-notice").innerText(), /stopped \(it gave no answer for 45 s\) and was started again/);
    await waitForScores(page, 1000, 300_000);
    const run = page.getByTestId("run-status");
    assert.equal(await run.getAttribute("data-failed"), "0");
    assert.equal(await run.getAttribute("data-answered"), "1000", "every record answered once");
  } finally {
    await app.close();
  }
});

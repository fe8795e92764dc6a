// Faults the page survives (issue 16): damaged copies of the model files kept in this browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { useApp, waitForModel, waitForScores, dropFiles } from "./harness.mjs";

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

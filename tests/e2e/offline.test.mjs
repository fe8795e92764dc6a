// Works offline once visited (issue 16): the service worker keeps the app, its wasm, the examples
// and the model files; the inference worker keeps the weights. A new build is taken on the next
// visit, and the page says so. The app is served from a copy of the build so that the journey can
// publish a "new version" of it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DIST, serveApp, launchBrowser, waitForModel, waitForScores, dropFiles, screenshot } from "./harness.mjs";

const EXAMPLE = fs.readFileSync(path.resolve(import.meta.dirname, "../../public/examples/example.fasta"));
let copy, server, browser;

before(async () => {
  copy = fs.mkdtempSync(path.join(os.tmpdir(), "genepheno-offline-"));
  fs.cpSync(DIST, copy, { recursive: true });
  server = await serveApp(copy);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
  if (copy) fs.rmSync(copy, { recursive: true, force: true });
});

/** Waits until the page is controlled by an activated service worker (reloading once if needed). */
async function controlled(page) {
  await page.evaluate(() => navigator.serviceWorker.ready);
  if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null))) await page.reload();
  assert.equal(await page.evaluate(() => navigator.serviceWorker.controller !== null), true, "the page is controlled");
}

test("after one visit the page opens and predicts with the network off; a new version is announced, not swapped in", async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  try {
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    // The manifest makes the app installable: a name, a start address, an icon, standalone.
    await page.goto(server.origin);
    const manifest = await page.evaluate(async () => {
      const href = document.querySelector('link[rel="manifest"]').href;
      return (await fetch(href)).json();
    });
    assert.equal(manifest.name, "GenePheno Web");
    assert.equal(manifest.display, "standalone");
    assert.ok(manifest.start_url && manifest.icons.length > 0);

    // First visit: the model loads (the worker keeps the weights) and the service worker installs.
    await waitForModel(page);
    await controlled(page);
    await waitForModel(page);

    // Network off: reload, drop a file, get scores.
    await context.setOffline(true);
    await page.reload();
    await page.getByRole("heading", { name: "GenePheno Web" }).waitFor();
    await waitForModel(page);
    await dropFiles(page, [{ name: "example.fasta", bytes: EXAMPLE }]);
    await waitForScores(page, 6);
    assert.equal(await page.locator('[data-testid="summary-table"] tbody tr').count(), 6);
    assert.equal(await page.evaluate(() => navigator.onLine), false, "the browser was offline");
    await screenshot(page, "30-offline", { fullPage: false });
    await context.setOffline(false);

    // A new build is published (its sw.js differs): the next visit finds it, installs it beside
    // the running version and says so; the running page keeps its version.
    const sw = path.join(copy, "sw.js");
    fs.writeFileSync(sw, fs.readFileSync(sw, "utf8").replace(/const VERSION = "([0-9a-f]+)"/, 'const VERSION = "$1-next"'));
    await page.reload();
    await page.getByTestId("update-notice").waitFor({ timeout: 60_000 });
    assert.match(await page.getByTestId("update-notice").innerText(), /new version .* next time you open the page/);
    await waitForModel(page);
    assert.deepEqual(errors, [], "no page errors");
  } finally {
    await context.setOffline(false);
    await context.close();
  }
});

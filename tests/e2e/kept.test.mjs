// The session kept in this browser (issue 16): a reload, even in the middle of a long run,
// loses nothing; the user can forget it; a full storage is said, and the page still works; two
// tabs keep two sessions, and a closed tab's session is offered to the next tab.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { useApp, waitForModel, waitForScores, dropFiles, humanProteins, screenshot } from "./harness.mjs";

const journey = useApp();
const EXAMPLE = fs.readFileSync(path.resolve(import.meta.dirname, "../../public/examples/example.fasta"));
/** The kept sessions in this browser's IndexedDB: characters of JSON in all their parts, by tab. */
const keptSizes = (page) => page.evaluate(() => new Promise((resolve, reject) => {
  const open = indexedDB.open("genepheno");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const stores = ["heads", "inputs", "scores"];
    const transaction = open.result.transaction(stores);
    const sizes = {};
    for (const store of stores) {
      const cursor = transaction.objectStore(store).openCursor();
      cursor.onsuccess = () => {
        const at = cursor.result;
        if (!at) return;
        const tab = String(at.key).split("/")[0];
        sizes[tab] = (sizes[tab] ?? 0) + at.value.length;
        at.continue();
      };
    }
    transaction.oncomplete = () => resolve(sizes);
    transaction.onerror = () => reject(transaction.error);
  };
}));
const scoredNow = (page) => page.getByTestId("run-status").getAttribute("data-scored").then(Number);

test("a reload in the middle of a 2,000-protein run offers the session back: records, problems, scores so far and view; scoring goes on", async () => {
  await journey(async (page) => {
    await dropFiles(page, [
      { name: "human2000.fasta", bytes: Buffer.from(humanProteins(2000, 5000)) },
      { name: "broken.fasta", bytes: Buffer.from(">broken_record\nMKTAY*IAKQRQISFVKSHFSRQ\n") },
    ]);
    await waitForModel(page, 120_000, { settled: false });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="run-status"]')?.dataset.scored) >= 32, null, { timeout: 300_000 });
    const record = await page.getByTestId("record-view").getAttribute("data-record");
    // Written every 2 s while it changes.
    await page.locator('[data-testid="kept-status"][data-kept="on"]').waitFor({ timeout: 20_000 });
    await page.waitForTimeout(2500);
    const before = await scoredNow(page);
    assert.ok(before < 2000, "the run is still going");
    const sizes = Object.values(await keptSizes(page));
    assert.equal(sizes.length, 1, "one tab, one kept session");
    console.log(`kept session of 2,001 records with about ${before} scores: ${(sizes[0] / 1e6).toFixed(2)} M characters of JSON`);

    await page.reload();
    const offer = page.getByTestId("kept-offer");
    await offer.waitFor({ timeout: 30_000 });
    assert.equal(await offer.getAttribute("data-records"), "2001");
    const kept = Number(await offer.getAttribute("data-scored"));
    // What the last write held (written every 2 s; scoring runs faster than that here).
    assert.ok(kept >= 16 && kept < 2000, `kept ${kept} scores; ${before} seen before the reload`);
    assert.match(await offer.innerText(), /2001 records, \d+ of 2000 scorable ones scored/);
    await screenshot(page, "16-kept-offer", { fullPage: false });
    // Nothing is written over the kept session while it is offered.
    await page.waitForTimeout(2500);
    assert.equal(await page.getByTestId("kept-status").count(), 0);

    await page.getByTestId("kept-restore").click();
    await waitForModel(page, 120_000, { settled: false });
    // The kept scores are taken back at once, not computed again.
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="run-status"]')?.dataset.scored) >= n, kept, { timeout: 5_000 });
    const run = page.getByTestId("run-status");
    assert.equal(await run.getAttribute("data-total"), "2000");
    // The record with a problem is back too, with its problem, and the view's record.
    assert.match(await page.getByTestId("summary").innerText(), /2,001 records · 2,000 ready to score.* · 1 not usable/);
    await page.getByTestId("show-filter").selectOption("problems");
    assert.match(await page.locator('[data-testid="record-row"][data-record-id="broken_record"]').innerText(), /internal stop/);
    await page.locator(`[data-testid="record-view"][data-record="${record}"]`).waitFor({ timeout: 60_000 });
    // Scoring goes on from where it was: no kept record is sent again.
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="run-status"]')?.dataset.scored) > n + 16, kept, { timeout: 300_000 });
    const scored = Number(await run.getAttribute("data-scored"));
    const answered = Number(await run.getAttribute("data-answered"));
    assert.ok(answered <= scored - kept + 2 * 16 * Number(await run.getAttribute("data-workers")), `answered ${answered}, scored ${scored}, kept ${kept}`);
    assert.ok(answered >= scored - kept, `answered ${answered}, scored ${scored}, kept ${kept}`);
    await page.locator('[data-testid="kept-status"][data-kept="on"]').waitFor({ timeout: 20_000 });
    await page.getByTestId("cancel").click();
  });
});

test("a kept session can be forgotten, and keeping can be turned off", async () => {
  await journey(async (page) => {
    await dropFiles(page, [{ name: "example.fasta", bytes: EXAMPLE }]);
    await waitForModel(page);
    await waitForScores(page, 6);
    const status = page.locator('[data-testid="kept-status"][data-kept="on"]');
    await status.waitFor({ timeout: 20_000 });
    assert.match(await status.innerText(), /kept in this browser only \(never uploaded\)/);
    // Forgotten from the offer.
    await page.reload();
    await page.getByTestId("kept-offer").waitFor({ timeout: 30_000 });
    await page.getByTestId("kept-forget").click();
    // Said once the deletion is done (a reload before that could keep it).
    await page.getByTestId("kept-forgotten").waitFor({ timeout: 10_000 });
    await page.reload();
    await waitForModel(page);
    await page.waitForTimeout(1000);
    assert.equal(await page.getByTestId("kept-offer").count(), 0, "a forgotten session is not offered");
    // Turned off while working: nothing is kept, and a reload starts empty.
    await dropFiles(page, [{ name: "example.fasta", bytes: EXAMPLE }]);
    await waitForScores(page, 6);
    await status.waitFor({ timeout: 20_000 });
    await page.getByTestId("kept-off").click();
    await page.locator('[data-testid="kept-status"][data-kept="off"]').waitFor();
    await page.waitForTimeout(2500);
    await page.reload();
    await waitForModel(page);
    await page.waitForTimeout(1000);
    assert.equal(await page.getByTestId("kept-offer").count(), 0);
  });
});

test("when the browser's storage is full, the page says what is not kept and still predicts", async () => {
  const app = await journey.open();
  try {
    const { page } = app;
    await waitForModel(page);
    // Start from no kept model files, then leave this origin (almost) no storage.
    await page.evaluate(() => caches.delete("genepheno-models-v1"));
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: journey.origin(), quotaSize: 1 });
    await page.reload();
    await waitForModel(page);
    assert.match(await page.getByTestId("not-kept-notice").innerText(), /would not store models\/hpo\.bpk and models\/hpo\.reference\.bin .*storage for this site is full/);
    await dropFiles(page, [{ name: "example.fasta", bytes: EXAMPLE }]);
    await waitForScores(page, 6);
    const problem = page.getByTestId("kept-problem");
    await problem.waitFor({ timeout: 20_000 });
    assert.match(await problem.innerText(), /could not be kept in the browser: .*(full|refused).*save a session file/);
    await screenshot(page, "16-storage-full", { fullPage: false });
    // Still working: known genes are recognised and the record view opens.
    assert.match(await page.locator('[data-testid="summary-table"] tr', { hasText: "P69905" }).innerText(), /HBA1 \/ HBA2/);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: journey.origin() });
  } finally {
    await app.close();
  }
});

test("two tabs keep two sessions; each gets its own back on reload, and a closed tab's session is offered to the next tab", async () => {
  const app = await journey.open();
  try {
    const a = app.page;
    await dropFiles(a, [{ name: "example.fasta", bytes: EXAMPLE }]);
    await waitForModel(a);
    await waitForScores(a, 6);
    await a.locator('[data-testid="kept-status"][data-kept="on"]').waitFor({ timeout: 20_000 });
    // A second tab of the same browser: tab A is open, so its session is not offered here.
    const b = await a.context().newPage();
    await b.goto(journey.origin());
    await waitForModel(b);
    await b.waitForTimeout(1500);
    assert.equal(await b.getByTestId("kept-offer").count(), 0, "an open tab's session is left alone");
    await dropFiles(b, [{ name: "three.fasta", bytes: Buffer.from(humanProteins(3, 700)) }]);
    await waitForScores(b, 3);
    await b.locator('[data-testid="kept-status"][data-kept="on"]').waitFor({ timeout: 20_000 });
    await a.waitForTimeout(2500);
    assert.equal(Object.keys(await keptSizes(a)).length, 2, "two tabs, two kept sessions");
    // Each tab's reload offers its own session, not the last one written.
    await a.reload();
    await a.getByTestId("kept-offer").waitFor({ timeout: 30_000 });
    assert.equal(await a.getByTestId("kept-offer").getAttribute("data-records"), "6");
    await b.reload();
    await b.getByTestId("kept-offer").waitFor({ timeout: 30_000 });
    assert.equal(await b.getByTestId("kept-offer").getAttribute("data-records"), "3");
    await b.getByTestId("kept-restore").click();
    await waitForScores(b, 3);
    // Tab B is closed; a new tab is offered B's session (A's tab is still open).
    await b.close();
    const c = await a.context().newPage();
    await c.goto(journey.origin());
    const offer = c.getByTestId("kept-offer");
    await offer.waitFor({ timeout: 30_000 });
    assert.equal(await offer.getAttribute("data-records"), "3");
    await c.getByTestId("kept-restore").click();
    await waitForScores(c, 3);
    // Taken over: kept under C's name, and B's copy is gone (two sessions: A's and C's).
    await c.locator('[data-testid="kept-status"][data-kept="on"]').waitFor({ timeout: 20_000 });
    await c.waitForTimeout(1000);
    assert.equal(Object.keys(await keptSizes(c)).length, 2);
    // A still has its own.
    await a.getByTestId("kept-restore").click();
    await waitForScores(a, 6);
  } finally {
    await app.close();
  }
});

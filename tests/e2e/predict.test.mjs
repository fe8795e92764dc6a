// Journeys of predicting (issue: browser inference): drop, rank, move the threshold, open an
// explanation, share the view by link or session file, export, cancel a long run, and the
// GPU and CPU paths agreeing. Headless Chromium with WebGPU on (SwiftShader), release build.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { useApp, screenshot, dropFiles, waitForModel, waitForScores, humanProteins, downloadText, chooseRecord } from "./harness.mjs";

const journey = useApp();
const EXAMPLE = fs.readFileSync(path.resolve(import.meta.dirname, "../../public/examples/example.fasta"));

async function setThreshold(page, value) {
  await page.getByTestId("threshold").evaluate((input, v) => {
    input.value = v;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }, String(value));
  await page.locator(`[data-testid="threshold-value"]:text-is("${Number(value).toFixed(2)}")`).waitFor();
}

const count = async (page) => Number(await page.getByTestId("phenotype-count").getAttribute("data-count"));
const visibleRows = (page) => page.locator('[data-testid="phenotype-table"] tbody tr').allInnerTexts();

test("drop a multi-FASTA: every record is ranked; threshold, filters, explanation, link, export", async () => {
  await journey(async (page) => {
    await dropFiles(page, [
      { name: "example.fasta", bytes: EXAMPLE },
      { name: "human20.fasta", bytes: Buffer.from(humanProteins(20, 100)) },
    ]);
    const backend = await waitForModel(page);
    await waitForScores(page, 26);
    console.log(`backend in use: ${backend}; ${await page.getByTestId("model-status").innerText()}`);
    assert.match(await page.getByTestId("licence").innerText(), /HPO|Human Phenotype/);

    // Summary: one row per record on the first page (25 per page).
    assert.equal(await page.locator('[data-testid="summary-table"] tbody tr').count(), 25);
    await chooseRecord(page, "sp|P69905|HBA_HUMAN");
    // Hemoglobin alpha is a known protein (HBA1 / HBA2): this journey reads its sequence-mode
    // scores, so it switches to sequence mode (and the link below carries that choice).
    await page.getByTestId("source-sequence").check();
    await page.getByTestId("predicted-group").waitFor();
    // This journey looks at every called term by score (the default, most specific terms by
    // lift, has its own journey in first-sight.test.mjs).
    await page.getByTestId("order").selectOption("score");
    await page.getByTestId("specific-only").uncheck();
    const atDefault = await count(page);
    assert.ok(atDefault > 0, "the default threshold calls some phenotypes");
    const rows = await visibleRows(page);
    // Ranked: scores never increase down the list.
    const scores = rows.map((r) => Number(r.trim().split(/\s+/).pop()));
    assert.ok(scores.every((s, i) => i === 0 || s <= scores[i - 1]), `not ranked: ${scores.slice(0, 10)}`);

    // Moving the threshold down calls more terms, up calls fewer.
    await setThreshold(page, 0.1);
    const low = await count(page);
    await setThreshold(page, 0.6);
    const high = await count(page);
    assert.ok(low >= atDefault && atDefault >= high && low > high, `${low} >= ${atDefault} >= ${high}`);
    await setThreshold(page, 0.2);

    // Text filter, then system filter and grouping.
    const before = await count(page);
    await page.getByTestId("phenotype-filter").fill("abnormality");
    const filtered = await count(page);
    assert.ok(filtered > 0 && filtered < before, `${filtered} of ${before}`);
    for (const row of await visibleRows(page)) assert.match(row, /abnormality/i);
    await page.getByTestId("phenotype-filter").fill("");
    await page.getByTestId("group-by-system").check();
    assert.ok(await page.locator(".system-heading").count() >= 1);

    // Explanation of the top phenotype: a chart with bars and its table.
    const first = page.locator('[data-testid="phenotype-name"]').first();
    const name = await first.innerText();
    await first.click();
    const why = page.getByTestId("explanation");
    await why.waitFor();
    assert.match(await why.innerText(), new RegExp(`Why “${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}”`));
    assert.ok(await why.locator("svg rect").count() > 0, "the chart has bars");
    assert.ok(await why.locator("details table tbody tr").count() > 0, "the chart has its table");
    assert.ok(await page.getByTestId("concept-chart").locator("svg rect").count() > 0);
    await screenshot(page, "10-prediction-explained");

    // Export of this view: the rows on screen, with model and dataset versions.
    const tsv = await downloadText(page, page.getByTestId("export-view-tsv"));
    assert.equal(tsv.name, "genepheno-view.tsv");
    const lines = tsv.text.trim().split("\n");
    assert.match(lines[0], /export: this view/);
    assert.match(lines[1], /model genepheno-.* · dataset version /);
    const dataRows = lines.filter((l) => !l.startsWith("#")).slice(1);
    assert.equal(dataRows.length, await count(page));
    assert.ok(dataRows.every((l) => l.startsWith("sp|P69905|HBA_HUMAN\t")));
    const all = JSON.parse((await downloadText(page, page.getByTestId("export-all-json"))).text);
    assert.equal(all.records.length, 26);
    assert.match(all.scope, /all records/);
    assert.equal(all.threshold.toFixed(2), "0.20");

    // Share: the link opens the same view in a fresh page.
    await page.getByTestId("copy-link").click();
    const url = await page.getByTestId("share-url").inputValue();
    const hash = new URL(url).hash;
    assert.match(hash, /^#s1\./);
    const expected = { rows: (await visibleRows(page)).slice(0, 15), term: await why.getAttribute("data-term") };

    const other = await journey.open({ hash });
    try {
      await waitForModel(other.page);
      await waitForScores(other.page, 26);
      await other.page.locator('[data-testid="record-view"][data-record="sp|P69905|HBA_HUMAN"]').waitFor();
      await other.page.locator('[data-testid="threshold-value"]:text-is("0.20")').waitFor();
      await other.page.locator(`[data-testid="explanation"][data-term="${expected.term}"]`).waitFor();
      assert.deepEqual((await visibleRows(other.page)).slice(0, 15), expected.rows);
      await screenshot(other.page, "11-opened-from-link");
      other.assertClean();
    } finally {
      await other.close();
    }
  });
});

test("damaged links and links from another model version give clear notices", async () => {
  await journey(async (page) => {
    assert.match(await page.getByTestId("page-notice").innerText(), /The link could not be opened: this link/);
  }, { hash: "#s1.eJzLSM3JyQcABiwCFQ" + "x" });

  const session = {
    model_version: "genepheno-cnn-0/hpo/000000000000",
    fasta: ">sp|P69905|HBA_HUMAN\nMVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGHGKKVADALTNAVAHVDDMPNALSALSDLHAHKLRVDPVNFKLLSHCLLVTLAAHLPAEFTPAVHASLDKFLASVSTVLTSKYR\n",
    view: { dataset: "hpo", threshold: 0.3 },
  };
  const fragment = "s1." + zlib.deflateSync(Buffer.from(JSON.stringify(session))).toString("base64url");
  await journey(async (page) => {
    await waitForModel(page);
    await page.getByTestId("page-notice").waitFor();
    assert.match(await page.getByTestId("page-notice").innerText(), /made with model genepheno-cnn-0.*scores may differ/);
    await waitForScores(page, 1);
    await page.locator('[data-testid="threshold-value"]:text-is("0.30")').waitFor();
  }, { hash: "#" + fragment });
});

test("inputs too large for a link are offered as a session file that reopens the view", async () => {
  await journey(async (page) => {
    await dropFiles(page, [{ name: "human300.fasta", bytes: Buffer.from(humanProteins(300, 2000)) }]);
    await waitForModel(page);
    await waitForScores(page, 300, 600_000);
    await chooseRecord(page, (humanProteins(1, 2003).split("\n")[0]).slice(1).split(" ")[0]);
    await setThreshold(page, 0.35);
    await page.getByTestId("copy-link").click();
    assert.match(await page.getByTestId("link-too-large").innerText(), /Save a session file/);
    const file = await downloadText(page, page.getByTestId("save-session"));
    assert.equal(file.name, "session.genepheno.json");
    const record = await page.getByTestId("record-view").getAttribute("data-record");

    const other = await journey.open();
    try {
      await dropFiles(other.page, [{ name: file.name, bytes: Buffer.from(file.text) }]);
      await waitForModel(other.page);
      await other.page.locator(`[data-testid="record-view"][data-record="${record}"]`).waitFor({ timeout: 600_000 });
      await other.page.locator('[data-testid="threshold-value"]:text-is("0.35")').waitFor();
      other.assertClean();
    } finally {
      await other.close();
    }
  });
});

test("a long run shows progress and can be cancelled and resumed", async () => {
  await journey(async (page) => {
    await dropFiles(page, [{ name: "human2000.fasta", bytes: Buffer.from(humanProteins(2000, 5000)) }]);
    await waitForModel(page);
    const run = page.getByTestId("run-status");
    await page.locator('[data-testid="run-status"]:not([data-scored="0"])').waitFor({ timeout: 120_000 });
    await page.getByTestId("cancel").click();
    // The batches already sent (at most two per worker) still finish; then nothing more goes.
    assert.ok(Number(await run.getAttribute("data-in-flight")) <= 2 * Number(await run.getAttribute("data-workers")));
    await run.getByText("Cancelled:").waitFor();
    assert.equal(await run.getAttribute("data-in-flight"), "0");
    const stopped = Number(await run.getAttribute("data-scored"));
    await page.waitForTimeout(3000);
    assert.equal(Number(await run.getAttribute("data-scored")), stopped, "nothing is scored after cancelling");
    assert.ok(stopped < 2000);
    await screenshot(page, "12-cancelled", { fullPage: false });
    await page.getByTestId("resume").click();
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="run-status"]').dataset.scored) > n, stopped, { timeout: 120_000 });
  });
});

test("a software GPU is left aside automatically; chosen, the GPU gives the CPU's scores on 300 real human proteins", async () => {
  await journey(async (page) => {
    // Automatic choice: this browser's WebGPU is SwiftShader (a software adapter), slower than
    // the CPU, so the CPU is kept, with the reason.
    assert.equal(await waitForModel(page), "cpu");
    assert.match(await page.getByTestId("backend-notice").innerText(), /software emulation of a GPU \(google swiftshader\)/);
    // Chosen explicitly, the GPU is used. The page can score as soon as the CPU is ready; the
    // GPU takes over after its self-check (seconds here: SwiftShader compiles the programs first).
    await page.getByTestId("backend-select").selectOption("gpu");
    await page.locator('[data-testid="model-status"][data-state="ready"][data-gpu-check="true"]').waitFor({ timeout: 120_000 });
    const first = await page.getByTestId("model-status").evaluate((el) => [el.dataset.backend, el.dataset.gpuCheck, el.innerText]);
    assert.deepEqual(first.slice(0, 2), ["cpu", "true"], `ready on the CPU while the GPU is checked: ${first[2]}`);
    assert.match(first[2], /checking the GPU/);
    assert.equal(await waitForModel(page), "gpu", "WebGPU (SwiftShader) is expected in this browser");
    // Dropped once the GPU is in use, so that every score of this export comes from it.
    await dropFiles(page, [{ name: "human300.fasta", bytes: Buffer.from(humanProteins(300, 8000)) }]);
    await waitForScores(page, 300, 600_000);
    await setThreshold(page, 0.05);
    const gpu = JSON.parse((await downloadText(page, page.getByTestId("export-all-json"))).text);

    await page.getByTestId("backend-select").selectOption("cpu");
    assert.equal(await waitForModel(page), "cpu");
    await waitForScores(page, 300, 600_000);
    await setThreshold(page, 0.05);
    const cpu = JSON.parse((await downloadText(page, page.getByTestId("export-all-json"))).text);

    assert.equal(gpu.records.length, 300);
    assert.equal(cpu.records.length, 300);
    let worst = 0;
    let compared = 0;
    for (let r = 0; r < 300; r++) {
      const a = new Map(gpu.records[r].phenotypes.map((p) => [p.id, p.score]));
      for (const p of cpu.records[r].phenotypes) {
        if (!a.has(p.id)) {
          // Only a score right at the list floor may be on one side of it on one backend.
          assert.ok(Math.abs(p.score - 0.05) < 1e-3, `${cpu.records[r].record_id} ${p.id} ${p.score} missing on the GPU`);
          continue;
        }
        worst = Math.max(worst, Math.abs(a.get(p.id) - p.score));
        compared++;
      }
    }
    console.log(`GPU vs CPU: ${compared} scores compared, largest difference ${worst.toExponential(2)}`);
    assert.ok(compared > 300 * 10);
    assert.ok(worst <= 1e-3, `largest difference ${worst}`);
  });
});

test("the GWAS-like set says plainly that it does not beat label frequency; the others carry no such caveat", async () => {
  await journey(async (page) => {
    await waitForModel(page);
    assert.equal(await page.getByTestId("dataset-caveat").count(), 0);
    await page.getByTestId("dataset-select").selectOption("gwas");
    await page.getByTestId("dataset-caveat").waitFor({ timeout: 60_000 });
    assert.match(await page.getByTestId("dataset-caveat").innerText(), /does not beat ranking each trait by how often it occurs/);
    assert.match(await page.getByTestId("licence").innerText(), /GWAS-like/);
    await screenshot(page, "gwas-caveat");
  });
});

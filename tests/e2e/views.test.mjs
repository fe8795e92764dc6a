// Journeys of a run that must not stop (issue 13): a view that cannot be shown is reported in that
// view only, a batch that cannot be scored marks only its own records, the concept source chosen
// for one record does not carry over to a record it cannot apply to, and a file dropped afterwards
// is scored.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { useApp, screenshot, dropFiles, fixture, waitForModel, waitForScores, humanProteins, downloadText, chooseRecord } from "./harness.mjs";

const journey = useApp();
const EXAMPLE = fs.readFileSync(path.resolve(import.meta.dirname, "../../public/examples/example.fasta"));
// A plant protein (Biopython's aster.pro): no known human gene.
const PLANT = "gi|3298468|dbj|BAA31520.1|";

/** The run's line, once it says something other than "Scoring". */
const runText = (page) => page.getByTestId("run-status").innerText();

test("curated GO chosen on a known gene, then a non-human record: nothing stops, the view shows sequence mode, a later drop is scored", async () => {
  await journey(async (page) => {
    await dropFiles(page, [{ name: "example.fasta", bytes: EXAMPLE }, fixture("aster.pro")]);
    await waitForModel(page);
    // Open the known gene as soon as its batch is in, and choose its curated GO explicitly.
    await chooseRecord(page, "sp|P00750|TPA_HUMAN");
    await page.getByTestId("known-gene").waitFor();
    await page.getByTestId("source-curated").check();
    await page.getByTestId("known-group").waitFor();
    // Explain one of its phenotypes in known-gene mode (if any is listed), so an explanation is
    // selected too.
    const terms = page.locator('[data-testid="phenotype-name"]');
    if (await terms.count() > 0) {
      await terms.first().click();
      await page.getByTestId("explanation").waitFor();
    }

    // Now the plant protein: it is no known gene, so curated GO cannot apply to it.
    await chooseRecord(page, PLANT);
    await waitForScores(page, 7);
    const view = page.getByTestId("record-view");
    // Sequence mode (one list, the most similar known genes, no concept-source switch), or a
    // message in this view; never a run stop or a page-wide error.
    await view.locator('[data-testid="predicted-group"], [data-testid="detail-refused"]').first().waitFor();
    assert.equal(await page.getByTestId("known-group").count(), 0, "no curated group for a non-human record");
    assert.equal(await page.getByTestId("source-curated").count(), 0, "no concept-source switch for a non-human record");
    assert.equal(await page.getByTestId("similar-genes").count(), 1);
    assert.doesNotMatch(await page.getByTestId("record-applicability").innerText(), /known gene/);
    // The full detail arrives in sequence mode: the concept chart is drawn.
    await page.getByTestId("concept-chart").waitFor();
    assert.equal(await page.getByTestId("detail-refused").count(), 0, "sequence mode needs no known gene");
    assert.equal(await page.getByTestId("worker-error").count(), 0, "no page-wide worker error");
    const done = await runText(page);
    assert.match(done, /^All 7 ready records scored/, done);
    assert.equal(await page.getByTestId("run-status").getAttribute("data-failed"), "0");
    assert.equal(await page.getByTestId("resume").count(), 0);
    // An explanation of the plant protein comes in sequence mode too.
    await page.locator('[data-testid="predicted-group"] [data-testid="phenotype-name"]').first().click();
    await page.getByTestId("explanation").waitFor();
    assert.match(await page.getByTestId("explanation").innerText(), /from GO concepts predicted from the sequence/);
    await page.getByTestId("record-view").evaluate((e) => e.scrollIntoView());
    await screenshot(page, "30-non-human-after-curated", { fullPage: false });

    // Back on the known gene, the choice made there still holds.
    await chooseRecord(page, "sp|P00750|TPA_HUMAN");
    assert.equal(await page.getByTestId("source-curated").isChecked(), true);
    await page.getByTestId("known-group").waitFor();

    // A file dropped afterwards is scored (Biopython's CAG33136.1: human UCHL3).
    await dropFiles(page, [fixture("CAG33136.1.fasta")]);
    await waitForScores(page, 8);
    await page.locator('[data-testid="summary-record"]', { hasText: "CAG33136.1" }).waitFor();
    assert.match(await runText(page), /^All 8 ready records scored/);
    await chooseRecord(page, "CAG33136.1");
    await page.locator('[data-testid="known-group"], [data-testid="predicted-group"]').first().waitFor();
    assert.equal(await page.getByTestId("worker-error").count(), 0);
    await page.getByTestId("record-view").evaluate((e) => e.scrollIntoView());
    await screenshot(page, "31-later-drop-scored", { fullPage: false });

    // The same screens at phone width: nothing scrolls sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await chooseRecord(page, PLANT);
    await page.getByTestId("concept-chart").waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the page is ${width} px wide at a 390 px viewport`);
    await page.getByTestId("record-view").evaluate((e) => e.scrollIntoView());
    await screenshot(page, "32-non-human-phone-390", { fullPage: false });
  });
});

/**
 * Runs in the page before the app: every request the page posts to a worker passes through
 * `window.__alter` when it is set, so a test can make one request unservable (an empty sequence)
 * on its way to the real worker, whose real refusal then comes back.
 */
function requestsPassThroughAlter() {
  const Real = window.Worker;
  window.__altered = 0;
  window.Worker = class extends Real {
    postMessage(message, ...rest) {
      const alter = window.__alter;
      return super.postMessage(alter && typeof message === "string" ? alter(message) : message, ...rest);
    }
  };
}

/** Empties the sequence of the next request of `kind` (`Score`, `Detail`, `Explain`) only. */
async function refuseNext(page, kind) {
  await page.evaluate((kind) => {
    window.__alter = (message) => {
      // Questions for the model travel as {"Ask": {"Score" | "Detail" | ...: {...}}}.
      const request = JSON.parse(message);
      const query = request.Ask?.[kind];
      if (!query) return message;
      window.__alter = null;
      window.__altered += 1;
      const items = kind === "Score" ? query.items : [query.item];
      items[0].residues = "";
      return JSON.stringify(request);
    };
  }, kind);
}

const altered = (page) => page.evaluate(() => window.__altered);

test("a batch, a detail and an explanation the worker refuses are reported where they were asked for, and the run goes on", async () => {
  await journey(async (page) => {
    // The first batch reaches the worker with an empty sequence: the worker refuses it whole.
    await refuseNext(page, "Score");
    await dropFiles(page, [{ name: "human20.fasta", bytes: Buffer.from(humanProteins(20, 200)) }]);
    await waitForModel(page);
    const run = page.getByTestId("run-status");
    await page.locator('[data-testid="run-status"]', { hasText: /^Done: / }).waitFor({ timeout: 300_000 });
    assert.equal(await altered(page), 1);
    const failed = Number(await run.getAttribute("data-failed"));
    const scored = Number(await run.getAttribute("data-scored"));
    assert.ok(failed > 0 && failed < 20, `${failed} records failed`);
    assert.equal(scored + failed, 20, "the other batches were scored");
    assert.match(await run.innerText(), new RegExp(`Done: ${scored} of 20 records scored; ${failed} could not be scored`));
    assert.equal(await page.getByTestId("resume").count(), 0, "nothing to resume: the run did not stop");
    assert.equal(await page.getByTestId("worker-error").count(), 0, "no page-wide error");
    // The summary lists the failed records with why.
    const reasons = await page.getByTestId("summary-failed").allInnerTexts();
    assert.equal(reasons.length, failed);
    assert.ok(reasons.every((r) => r === "Not scored: the sequence is empty, so there is nothing to score."), reasons[0]);
    // The first record was in that batch: its view says so.
    await page.getByTestId("record-failed").waitFor();
    assert.match(await page.getByTestId("record-failed").innerText(), /This record could not be scored in its batch: the sequence is empty/);
    await page.getByTestId("record-view").evaluate((e) => e.scrollIntoView());
    await screenshot(page, "33-failed-record-viewport", { fullPage: false });
    await screenshot(page, "33-failed-batch");
    await run.scrollIntoViewIfNeeded();
    await screenshot(page, "33-run-done-with-failures", { fullPage: false });
    await page.getByRole("heading", { name: "All scored records" }).scrollIntoViewIfNeeded();
    await screenshot(page, "33-failed-batch-viewport", { fullPage: false });
    // The export of all records gives each failed record one row with its problem.
    const tsv = (await downloadText(page, page.getByTestId("export-all-tsv"))).text.trim().split("\n");
    assert.ok(tsv.find((l) => l.startsWith("record_id")).endsWith("\tcurated\tproblem"));
    const problems = tsv.filter((l) => !l.startsWith("#") && !l.startsWith("record_id\t")).map((l) => l.split("\t")).filter((r) => r[11]);
    assert.equal(problems.length, failed);
    assert.ok(problems.every((r) => r[11] === "the sequence is empty, so there is nothing to score" && r[5] === ""));

    // A scored record whose full detail is refused: the view says so and lists its batch scores.
    const ok = page.locator('[data-testid="summary-table"] tbody tr', { hasNot: page.getByTestId("summary-failed") });
    const id = (await ok.first().getByTestId("summary-record").innerText()).trim();
    await refuseNext(page, "Detail");
    await ok.first().getByTestId("summary-record").click();
    await page.locator(`[data-testid="record-view"][data-record="${id}"]`).waitFor();
    const refused = page.getByTestId("detail-refused");
    await refused.waitFor();
    assert.equal(await altered(page), 2);
    assert.match(await refused.innerText(), /The full scores of this record could not be computed: the sequence is empty.* The list shows the scores of its batch/);
    await page.locator('[data-testid="record-view"] [data-testid="phenotype-name"]').first().waitFor();

    // An explanation refused: shown in place of that explanation; the next one is explained.
    const terms = page.locator('[data-testid="record-view"] [data-testid="phenotype-name"]');
    assert.ok(await terms.count() >= 2, "two phenotypes to explain");
    await refuseNext(page, "Explain");
    await terms.nth(0).click();
    await page.getByTestId("explanation-refused").waitFor();
    assert.equal(await altered(page), 3);
    assert.match(await page.getByTestId("explanation-refused").innerText(), /could not be explained: the sequence is empty/);
    await page.getByTestId("record-view").evaluate((e) => e.scrollIntoView());
    await screenshot(page, "34-refused-views-viewport", { fullPage: false });
    await page.setViewportSize({ width: 390, height: 844 });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the page is ${width} px wide at a 390 px viewport`);
    await page.getByTestId("explanation-refused").scrollIntoViewIfNeeded();
    await screenshot(page, "35-refused-explanation-phone-390", { fullPage: false });
    await page.getByRole("heading", { name: "All scored records" }).scrollIntoViewIfNeeded();
    await screenshot(page, "36-failed-batch-phone-390", { fullPage: false });
    await page.setViewportSize({ width: 1400, height: 1000 });
    await terms.nth(1).click();
    await page.getByTestId("explanation").waitFor();
    assert.equal(await page.getByTestId("explanation-refused").count(), 0);

    // A file dropped afterwards is scored.
    await dropFiles(page, [{ name: "human3.fasta", bytes: Buffer.from(humanProteins(3, 300)) }]);
    await page.locator(`[data-testid="run-status"][data-scored="${scored + 3}"][data-total="23"]`).waitFor({ timeout: 300_000 });
    assert.equal(Number(await run.getAttribute("data-failed")), failed);
    assert.equal(await altered(page), 3, "nothing else was altered");
  }, { init: requestsPassThroughAlter });
});

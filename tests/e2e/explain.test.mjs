// Explanations along the sequence (issue 15): for a selected phenotype, which stretches of the
// protein raise or lower its score, and the same for the GO concept that adds most to it.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { useApp, screenshot, dropFiles, fixture, waitForModel, waitForScores, humanProteins, downloadText, chooseRecord } from "./harness.mjs";

const journey = useApp();
const EXAMPLE = fs.readFileSync(path.resolve(import.meta.dirname, "../../public/examples/example.fasta"));
// A plant protein (Biopython's aster.pro): no known human gene, so sequence mode.
const PLANT = "gi|3298468|dbj|BAA31520.1|";

test("a phenotype's residue map: stretches that raise and lower its score, in the protein's residue numbers, with its strongest concept's map", async () => {
  await journey(async (page) => {
    await dropFiles(page, [{ name: "example.fasta", bytes: EXAMPLE }, fixture("aster.pro")]);
    await waitForModel(page);
    await waitForScores(page, 7);
    await chooseRecord(page, PLANT);
    const length = Number((await page.getByTestId("record-view").innerText()).match(/([\d,]+) residues/)[1].replace(/,/g, ""));
    await page.locator('[data-testid="predicted-group"] [data-testid="phenotype-name"]').first().click();
    await page.getByTestId("explanation").waitFor();
    const maps = page.locator('[data-testid="residue-maps"][data-state="ready"]');
    await maps.waitFor({ timeout: 60_000 });
    const phenotype = page.getByTestId("residue-map-phenotype");
    assert.equal(Number(await phenotype.getAttribute("data-length")), length, "the map spans the whole protein");
    assert.ok(Number(await phenotype.getAttribute("data-stretches")) >= 10);
    const summary = await page.getByTestId("residue-map-phenotype-summary").innerText();
    assert.match(summary, /Raise it most: (\d+–\d+ \(\+0\.\d+\)(, )?)+\. Lower it most: /, summary);
    // Every named stretch lies inside the protein.
    for (const [, first, last] of summary.matchAll(/(\d+)–(\d+)/g)) {
      assert.ok(Number(first) >= 1 && Number(last) <= length && Number(first) <= Number(last), summary);
    }
    // The concept that adds most to the score has its own map.
    await page.getByTestId("residue-map-concept").waitFor();
    // Numbers for screen readers and copying: one row per stretch.
    const rows = await phenotype.locator("table tbody tr").count();
    assert.equal(rows, Number(await phenotype.getAttribute("data-stretches")));
    assert.match(await phenotype.locator("svg title").first().textContent(), /Effect of each stretch of residues on the Score of/);
    // Exported with the view.
    const exported = JSON.parse((await downloadText(page, page.getByTestId("export-view-json"))).text);
    const exportedMaps = exported.records[0].residue_maps;
    assert.deepEqual(exportedMaps.map((m) => m.of), ["phenotype", "concept"]);
    assert.equal(exportedMaps[0].stretches.length, Number(await phenotype.getAttribute("data-stretches")));
    assert.equal(exportedMaps[0].stretches.at(-1)[1], length, "the last stretch ends at the last residue");
    console.log(`residue map of a ${length}-residue plant protein: ${await maps.getAttribute("data-compute-ms")} ms in the worker`);
    await maps.evaluate((e) => e.scrollIntoView());
    await screenshot(page, "40-residue-map", { fullPage: false });
    await page.setViewportSize({ width: 390, height: 844 });
    await maps.evaluate((e) => e.scrollIntoView());
    await screenshot(page, "41-residue-map-phone", { fullPage: false });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), "no sideways scroll on a phone");
    await page.setViewportSize({ width: 1400, height: 1000 });

    // A known gene in known-gene mode: its scores come from curated GO, not from the sequence.
    await chooseRecord(page, "sp|P00750|TPA_HUMAN");
    await page.getByTestId("source-curated").check();
    await page.getByTestId("known-group").waitFor();
    await page.locator('[data-testid="phenotype-name"]').first().click();
    await page.locator('[data-testid="residue-maps"][data-state="known-gene"]').waitFor();
  });
});

test("a 2,261-residue protein gets its residue map at once; titin's is made on request", async () => {
  await journey(async (page) => {
    // ABCA1 (2,261 residues) and titin (TTN, 34,350), both real human proteins, in sequence mode.
    const fasta = humanProteins(1, 10) + humanProteins(1, 4870);
    assert.match(fasta, /_ABCA1 /);
    assert.match(fasta, /_TTN /);
    await dropFiles(page, [{ name: "long.fasta", bytes: Buffer.from(fasta) }]);
    await waitForModel(page);
    await waitForScores(page, 2);
    await page.getByTestId("source-sequence").check();
    const maps = page.locator('[data-testid="residue-maps"]');
    const explainTopPhenotype = async () => {
      await page.locator('[data-testid="predicted-group"] [data-testid="phenotype-name"]').first().click();
      await page.getByTestId("explanation").waitFor();
    };
    await chooseRecord(page, "O95477_ABCA1");
    await explainTopPhenotype();
    await page.locator('[data-testid="residue-maps"][data-state="ready"]').waitFor({ timeout: 120_000 });
    assert.equal(await page.getByTestId("residue-map-phenotype").getAttribute("data-length"), "2261");
    console.log(`residue map of ABCA1 (2,261 residues, ${await page.getByTestId("residue-map-phenotype").getAttribute("data-stretches")} stretches), made at once: ${await maps.getAttribute("data-compute-ms")} ms in the worker`);

    await chooseRecord(page, "Q8WZ42_TTN");
    await explainTopPhenotype();
    await page.locator('[data-testid="residue-maps"][data-state="on-request"]').waitFor();
    assert.match(await maps.innerText(), /34,350 residues/);
    await page.getByTestId("residue-map-make").click();
    await page.locator('[data-testid="residue-maps"][data-state="ready"]').waitFor({ timeout: 300_000 });
    assert.equal(await page.getByTestId("residue-map-phenotype").getAttribute("data-length"), "34350");
    console.log(`residue map of titin (34,350 residues, ${await page.getByTestId("residue-map-phenotype").getAttribute("data-stretches")} stretches), on request: ${await maps.getAttribute("data-compute-ms")} ms in the worker`);
  });
});

// Maps and comparisons (issue 15): records by top-level system, a record's concept map, its
// called terms in the ontology, two records side by side; and axe-core over every main view.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { useApp, screenshot, dropFiles, fixture, waitForModel, waitForScores, chooseRecord, assertAccessible, sidewaysOverflow } from "./harness.mjs";

const journey = useApp();
const EXAMPLE = fs.readFileSync(path.resolve(import.meta.dirname, "../../public/examples/example.fasta"));
// A plant protein (Biopython's aster.pro): no known human gene, so sequence mode.
const PLANT = "gi|3298468|dbj|BAA31520.1|";
const TPA = "sp|P00750|TPA_HUMAN";

/** Opens a record section (a disclosure) by its summary. */
async function openSection(page, testid) {
  const section = page.getByTestId(testid);
  if (!(await section.evaluate((e) => e.open))) await section.locator("summary").click();
  return section;
}

/** `{ concept name: contribution }` of the explanation's table. */
async function explanationValues(page) {
  const rows = await page.locator('[data-testid="explanation"] .chart-table tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent.trim())));
  return Object.fromEntries(rows.map((cells) => [cells[0], Number(cells.at(-1))]));
}

/** Terms the ontology graph marks as called through a descendant, sorted. */
async function viaTerms(section) {
  return (await section.locator('[data-testid="onto-node"][data-via="true"]').evaluateAll((ns) => ns.map((n) => n.dataset.term))).sort();
}

/** Terms of the ontology's table whose shown score is above their own score, sorted. */
async function raisedInTable(section) {
  const rows = await section.locator('[data-testid="ontology-table"] tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent.trim())));
  return rows.filter((r) => Number(r[2]) > Number(r[3])).map((r) => r[1]).sort();
}

test("records by system open a record on a system; a record's concept map, ontology graph and comparison agree with its list and explanation", async () => {
  await journey(async (page) => {
    await assertAccessible(page, "on the empty page");
    await dropFiles(page, [{ name: "example.fasta", bytes: EXAMPLE }, fixture("aster.pro")]);
    await waitForModel(page);
    await waitForScores(page, 7);

    // Records × systems: one row per scored record, one cell per system.
    const heat = page.getByTestId("systems-heatmap");
    await heat.waitFor();
    const rows = Number(await heat.getAttribute("data-rows"));
    const columns = Number(await heat.getAttribute("data-columns"));
    assert.equal(rows, 7);
    assert.equal(columns, (await page.locator('[data-testid="system-filter"] option').count()) - 1, "a column per system the filter offers");
    assert.equal(await heat.locator("rect.heat-cell").count(), rows * columns);
    // A cell of the plant's row opens that record on that system, with the system's strongest term explained.
    const plantRow = heat.locator('[data-testid="heat-row"]', { hasText: "gi|3298468" });
    const cell = plantRow.locator('rect.heat-cell:not([data-term=""])').nth(1);
    const system = await cell.getAttribute("data-system");
    const cellTerm = await cell.getAttribute("data-term");
    await cell.click();
    await page.locator(`[data-testid="record-view"][data-record="${PLANT}"]`).waitFor();
    assert.equal(await page.getByTestId("system-filter").inputValue(), system);
    for (const s of await page.locator(".phenotype-table td.system").allInnerTexts()) assert.ok(s.split("; ").includes(system), `${s} is in ${system}`);
    const explained = page.getByTestId("explanation");
    await page.locator(`[data-testid="explanation"][data-term="${cellTerm}"]`).waitFor();
    const term = (await explained.locator("figcaption strong").innerText()).match(/Why “(.+)” \(/)[1];
    const cellTitle = await cell.locator("title").textContent();
    assert.ok(cellTitle.includes(term), `the cell (${cellTitle}) names the term it opens (${term})`);
    assert.ok(columns >= 15 && columns <= 40, `top-level systems, not their combinations (${columns})`);
    await page.getByTestId("system-filter").selectOption("");
    await screenshot(page, "50-systems-heatmap", { fullPage: false });

    // The concept map of the plant protein's top phenotypes.
    await page.locator('[data-testid="predicted-group"] [data-testid="phenotype-name"]').first().click();
    await explained.waitFor();
    const mapSection = await openSection(page, "concept-map-section");
    const map = mapSection.getByTestId("concept-map");
    await map.waitFor({ timeout: 60_000 });
    const listed = Number(await page.getByTestId("phenotype-count").getAttribute("data-count"));
    assert.equal(Number(await map.getAttribute("data-rows")), Math.min(10, listed), "the list's top phenotypes");
    const mapColumns = Number(await map.getAttribute("data-columns"));
    assert.ok(mapColumns >= 1 && mapColumns <= 12);
    // Its rows follow the list's order.
    const listTerms = await page.locator('[data-testid="predicted-group"] tr[data-term]').evaluateAll((trs) => trs.slice(0, 10).map((t) => t.dataset.term));
    const mapTerms = await map.locator('[data-testid="concept-map-row"]').evaluateAll((gs) => gs.map((g) => g.dataset.term));
    assert.deepEqual(mapTerms, listTerms.slice(0, mapTerms.length));
    // A row's cells are the same contributions the explanation of that phenotype charts.
    const second = map.locator('[data-testid="concept-map-row"]').nth(1);
    const secondTerm = await second.getAttribute("data-term");
    await second.locator("a").click();
    await page.locator(`[data-testid="explanation"][data-term="${secondTerm}"]`).waitFor();
    const inChart = await explanationValues(page);
    const header = await mapSection.locator('[data-testid="concept-map-table"] thead th').allTextContents();
    const values = await mapSection.locator('[data-testid="concept-map-table"] tbody tr').nth(1).locator("td").allTextContents();
    let shared = 0;
    header.slice(1).forEach((concept, c) => {
      if (concept in inChart) {
        shared += 1;
        assert.ok(Math.abs(inChart[concept] - Number(values[c])) < 1.5e-3, `${concept}: map ${values[c]}, explanation ${inChart[concept]}`);
      }
    });
    assert.ok(shared >= 1, "the map and the explanation share their strongest concepts");
    await map.evaluate((e) => e.scrollIntoView());
    await screenshot(page, "51-concept-map", { fullPage: false });

    // The ontology view: most specific called terms and their ancestors, own scores told apart.
    const ontoSection = await openSection(page, "ontology-section");
    const graph = ontoSection.getByTestId("ontology-graph");
    await graph.waitFor({ timeout: 60_000 });
    const nodes = ontoSection.getByTestId("onto-node");
    assert.equal(await nodes.count(), Number(await graph.getAttribute("data-nodes")));
    const specific = await ontoSection.locator('[data-testid="onto-node"][data-specific="true"]').count();
    assert.equal(specific, Math.min(12, listed), "the most specific called terms, as many as the list holds up to 12");
    assert.equal(await ontoSection.locator('[data-testid="ontology-table"] tbody tr').count(), await nodes.count());
    // Every node below the top layer hangs from at least one drawn edge (the top layer holds the
    // top-level systems: the table writes deeper layers with leading dots).
    const edges = Number(await graph.getAttribute("data-edges"));
    assert.equal(await graph.locator("path.onto-edge").count(), edges);
    const roots = (await ontoSection.locator('[data-testid="ontology-table"] tbody tr td:first-child').allTextContents()).filter((t) => !t.startsWith("·")).length;
    assert.ok(roots >= 1 && edges >= (await nodes.count()) - roots, `${edges} edges for ${await nodes.count()} nodes, ${roots} at the top`);
    // A node is marked "via a descendant" exactly where its shown score is above its own.
    assert.deepEqual(await viaTerms(ontoSection), await raisedInTable(ontoSection));
    const node = ontoSection.locator('[data-testid="onto-node"][data-specific="true"]').first();
    const nodeTerm = await node.getAttribute("data-term");
    await node.click();
    await page.locator(`[data-testid="explanation"][data-term="${nodeTerm}"]`).waitFor();
    await graph.evaluate((e) => e.scrollIntoView());
    await screenshot(page, "52-ontology", { fullPage: false });

    // Compare the plant protein with a known human gene (in known-gene mode).
    const compareSection = await openSection(page, "compare-section");
    const tpaKey = await page.locator('[data-testid="compare-with"] option', { hasText: TPA }).getAttribute("value");
    await page.getByTestId("compare-with").selectOption(tpaKey);
    await compareSection.getByTestId("compare-both").waitFor({ timeout: 60_000 });
    assert.match(await compareSection.getByTestId("compare-modes").innerText(), /gi\|3298468.* in sequence mode, sp\|P00750\|TPA_HUMAN in known-gene mode/);
    const count = async (id) => Number(await compareSection.getByTestId(id).getAttribute("data-count"));
    assert.equal((await count("compare-both")) + (await count("compare-only-a")), listed, "both + only this one = this record's list");
    assert.ok((await count("compare-concepts-both")) + (await count("compare-concepts-only-a")) + (await count("compare-concepts-only-b")) > 0);
    await compareSection.evaluate((e) => e.scrollIntoView());
    await screenshot(page, "53-compare", { fullPage: false });
    await assertAccessible(page, "with the results, the explanation, the residue maps, the concept map, the ontology view and a comparison open");

    // On a phone: nothing scrolls the page sideways (wide charts scroll in their own box).
    await page.setViewportSize({ width: 390, height: 844 });
    await map.evaluate((e) => e.scrollIntoView());
    await screenshot(page, "54-concept-map-phone", { fullPage: false });
    await graph.evaluate((e) => e.scrollIntoView());
    await screenshot(page, "55-ontology-phone", { fullPage: false });
    await heat.evaluate((e) => e.scrollIntoView());
    await screenshot(page, "56-systems-heatmap-phone", { fullPage: false });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), `no sideways scroll on a phone; too wide: ${(await sidewaysOverflow(page)).join("; ")}`);
    await assertAccessible(page, "at phone width");
    await page.setViewportSize({ width: 1400, height: 1000 });

    // Known-gene mode for a known gene, its curated terms apart.
    await chooseRecord(page, TPA);
    await page.getByTestId("known-group").waitFor();
    await page.locator('[data-testid="phenotype-name"]').first().click();
    await page.getByTestId("explanation").waitFor();
    // tPA's curated GO calls general terms through more specific ones (own score below the shown one).
    await openSection(page, "ontology-section");
    await ontoSection.getByTestId("ontology-graph").waitFor({ timeout: 60_000 });
    const via = await viaTerms(ontoSection);
    assert.ok(via.length >= 1, "a general term is called through a descendant");
    assert.deepEqual(via, await raisedInTable(ontoSection));
    assert.match(await ontoSection.locator('[data-testid="onto-node"][data-via="true"]').first().textContent(), /via a descendant · own \d/);
    await assertAccessible(page, "in known-gene mode");

    // Keyboard only: a heatmap's record name opens its record.
    await heat.locator('[data-testid="heat-row"]', { hasText: "gi|3298468" }).locator("a").focus();
    await page.keyboard.press("Enter");
    await page.locator(`[data-testid="record-view"][data-record="${PLANT}"]`).waitFor();
  });
});

test("the record list with problems passes axe", async () => {
  await journey(async (page) => {
    await page.getByTestId("paste-area").fill(">ok\nMKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ\n>bad\nMKT1AY\n>empty\n");
    await page.getByTestId("read-pasted").click();
    await page.locator('[data-testid="record-table"]').waitFor();
    await assertAccessible(page, "with a list of records, some with problems");
  });
});

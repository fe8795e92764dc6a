// Journeys of what a scientist sees first (issue 12): a ranking that opens with what the gene
// adds, a known gene's curated and new phenotypes apart, the applicability badge, DNA reads not
// taken for proteins, the pager and the chart labels, and a page that fits a 390 px phone.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { useApp, screenshot, dropFiles, waitForModel, waitForScores, humanProteins, downloadText, chooseRecord } from "./harness.mjs";

const journey = useApp();
const EXAMPLE = fs.readFileSync(path.resolve(import.meta.dirname, "../../public/examples/example.fasta"));

const names = (page, group) => page.locator(`[data-testid="${group}"] [data-testid="phenotype-name"]`).allInnerTexts();
const broad = (list) => list.filter((n) => /^Abnormality of /.test(n)).length;

test("the ranking opens with what the gene adds, with lift and score side by side", async () => {
  await journey(async (page) => {
    await dropFiles(page, [{ name: "example.fasta", bytes: EXAMPLE }]);
    await waitForModel(page);
    await waitForScores(page, 6);
    // Hemoglobin alpha is a known protein (HBA1 / HBA2, its own journey below); this journey
    // reads the sequence-mode ranking, so it switches the record to sequence mode.
    await chooseRecord(page, "sp|P69905|HBA_HUMAN");
    await page.getByTestId("source-sequence").check();
    await page.getByTestId("predicted-group").waitFor();
    // The default is the rule measured best on the validation split (genepheno calibrate), stated
    // with its figures.
    const statement = await page.getByTestId("rule-statement").innerText();
    assert.match(statement, /ordered by how far the score rises above the term’s training frequency .* the default because, on \d+ validation genes/);
    assert.equal(await page.getByTestId("order").inputValue(), "lift");
    const first = (await names(page, "predicted-group")).slice(0, 10);
    assert.ok(first.length > 0, "some phenotypes are called");
    // Lift (an odds ratio, e.g. ×12) never increases down the default list.
    const lifts = (await page.locator('[data-testid="predicted-group"] td.lift').allInnerTexts()).map((t) => Number(t.replace("×", "")));
    assert.ok(lifts.every((l, i) => i === 0 || l <= lifts[i - 1] + 1e-9), `not ordered by lift: ${lifts.slice(0, 10)}`);
    await screenshot(page, "20-ranking-by-lift");

    // The old order (all called terms by score) opens with broad "Abnormality of ..." terms;
    // the default shows fewer of them in its top 10.
    await page.getByTestId("order").selectOption("score");
    await page.getByTestId("specific-only").uncheck();
    await page.locator('[data-testid="rule-statement"]', { hasText: "All called terms, ordered by score" }).waitFor();
    const byScore = (await names(page, "predicted-group")).slice(0, 10);
    console.log(`top 10 by lift: ${first.join(" | ")}\ntop 10 by score: ${byScore.join(" | ")}`);
    assert.ok(broad(first) < broad(byScore), `broad terms in the top 10: ${broad(first)} by lift, ${broad(byScore)} by score`);
    const scores = (await page.locator('[data-testid="predicted-group"] td.score .value').allInnerTexts()).map(Number);
    assert.ok(scores.every((s, i) => i === 0 || s <= scores[i - 1]), "ordered by score");
  });
});

test("a known gene opens in known-gene mode, curated and new phenotypes apart, in the view, the summary and the export", async () => {
  await journey(async (page) => {
    await dropFiles(page, [{ name: "example.fasta", bytes: EXAMPLE }]);
    await waitForModel(page);
    await waitForScores(page, 6);
    // Granulins: a known gene with curated HPO phenotypes.
    await chooseRecord(page, "sp|P28799|GRN_HUMAN");
    await page.getByTestId("known-gene").waitFor();
    assert.equal(await page.getByTestId("source-curated").isChecked(), true, "known-gene mode is the default");
    const known = page.getByTestId("known-group");
    await known.waitFor();
    assert.match(await known.innerText(), /Already known: curated phenotypes of GRN/);
    assert.ok(Number(await known.getAttribute("data-count")) > 0);
    const newGroup = page.getByTestId("new-group");
    assert.match(await newGroup.innerText(), /New: predicted at or above .*, not yet annotated/);
    // No term is in both groups, and every known one carries the curated mark.
    const knownTerms = await known.locator("tr[data-term]").evaluateAll((rows) => rows.map((r) => r.dataset.term));
    const newTerms = await newGroup.locator("tr[data-term]").evaluateAll((rows) => rows.map((r) => r.dataset.term));
    assert.deepEqual(knownTerms.filter((t) => newTerms.includes(t)), []);
    assert.equal(await newGroup.locator(".badge.ready").count(), 0, "nothing new is marked curated");
    assert.match(await page.getByTestId("record-applicability").innerText(), /known gene: scored from its curated GO/);
    await screenshot(page, "21-known-gene-mode");

    // The summary row tells known and new apart too.
    const summaryRow = page.locator('[data-testid="summary-table"] tr', { hasText: "sp|P28799|GRN_HUMAN" });
    assert.match(await summaryRow.getByTestId("summary-known").innerText(), /Known: \d+ curated/);
    assert.equal(await summaryRow.getByTestId("summary-new").count(), 1);

    // The export holds both groups, with the applicability column.
    const tsv = (await downloadText(page, page.getByTestId("export-view-tsv"))).text.trim().split("\n");
    const header = tsv.find((l) => l.startsWith("record_id"));
    assert.ok(header.includes("\tapplicability\tgroup\t") && header.includes("\tlift\t"), header);
    const rows = tsv.filter((l) => l.startsWith("sp|P28799|GRN_HUMAN\t")).map((l) => l.split("\t"));
    assert.equal(rows.filter((r) => r[4] === "known").length, Number(await known.getAttribute("data-count")));
    assert.equal(rows.filter((r) => r[4] === "new").length, Number(await page.getByTestId("phenotype-count").getAttribute("data-count")));
    assert.ok(rows.every((r) => r[2] === "curated GO" && r[3] === "known-gene"));

    // The user can still switch to sequence mode: one list, no groups.
    await page.getByTestId("source-sequence").check();
    await page.getByTestId("predicted-group").waitFor();
    assert.equal(await page.getByTestId("known-group").count(), 0);
    assert.doesNotMatch(await page.getByTestId("record-applicability").innerText(), /known gene/);
  });
});

test("hemoglobin alpha, one protein of two genes, is recognised as HBA1 / HBA2 in the view, the summary and the export", async () => {
  await journey(async (page) => {
    await dropFiles(page, [{ name: "example.fasta", bytes: EXAMPLE }]);
    await waitForModel(page);
    await waitForScores(page, 6);
    await chooseRecord(page, "sp|P69905|HBA_HUMAN");
    const panel = page.getByTestId("known-gene");
    await panel.waitFor();
    assert.match(await panel.innerText(), /Known gene: HBA1 \/ HBA2 \(exact match\)/);
    assert.match(await page.getByTestId("same-protein").innerText(), /2 genes encode this identical protein \(HBA1, HBA2\)/);
    assert.equal(await page.getByTestId("source-curated").isChecked(), true, "known-gene mode is the default");
    const known = page.getByTestId("known-group");
    await known.waitFor();
    assert.match(await known.innerText(), /Already known: curated phenotypes of HBA1 \/ HBA2/);
    // Alpha thalassemia: the curated list holds the anemia terms.
    assert.ok((await names(page, "known-group")).some((n) => /anemia/i.test(n)), "curated anemia terms");
    await screenshot(page, "26-shared-protein");

    const summaryRow = page.locator('[data-testid="summary-table"] tr', { hasText: "sp|P69905|HBA_HUMAN" });
    assert.match(await summaryRow.innerText(), /HBA1 \/ HBA2 \(exact match\)/);
    const tsv = (await downloadText(page, page.getByTestId("export-view-tsv"))).text;
    assert.match(tsv, /HBA1 \/ HBA2 \(exact match\)/);
  });
});

test("DNA reads are nucleotide at any length and are not scored as proteins", async () => {
  await journey(async (page) => {
    const text = [
      ">read1", "CCCTTCTTGTCTTCAGCGTTTCTCC",
      ">read2", "ACGTTGCAAGGCTTACCGATAGCTA",
      ">read3", "ttgacctagcaatcggatcgatcga",
      ">protein", "MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGHGKKVADALTNAVAHVDDMPNALSALSDLHAHKLRVDPVNFKLLSHCLLVTLAAHLPAEFTPAVHASLDKFLASVSTVLTSKYR",
    ].join("\n");
    await page.getByTestId("paste-area").fill(text);
    await page.getByTestId("read-pasted").click();
    await page.getByText("4 records · 1 ready to score").waitFor();
    for (const id of ["read1", "read2", "read3"]) {
      const row = page.locator(`[data-testid="record-row"][data-record-id="${id}"]`);
      assert.match(await row.innerText(), /nucleotide/);
      assert.match(await row.innerText(), /does not translate to a plausible protein: frame 1 gives only \d residues/);
    }
    await waitForModel(page);
    await waitForScores(page, 1);
    await screenshot(page, "22-dna-reads-not-scored");
  });
});

test("the pager reads Next, and a negative bar's value never covers its concept name", async () => {
  await journey(async (page) => {
    await dropFiles(page, [{ name: "human30.fasta", bytes: Buffer.from(humanProteins(30, 400)) }]);
    await waitForModel(page);
    await waitForScores(page, 30);
    assert.equal((await page.getByTestId("summary-pager-next").innerText()).trim(), "Next →");
    await page.getByTestId("summary-pager-next").click();
    await page.getByTestId("summary-pager").getByText("26–30 of 30").waitFor();
    assert.equal(await page.getByTestId("summary-pager-next").isDisabled(), true);
    // Explain terms until one has negative contributions, then compare the text boxes.
    const buttons = page.locator('[data-testid="phenotype-name"]');
    let checked = 0;
    for (let i = 0; i < Math.min(await buttons.count(), 5) && checked === 0; i++) {
      await buttons.nth(i).click();
      const why = page.getByTestId("explanation");
      await why.waitFor();
      const overlaps = await why.locator("svg").evaluate((svg) => {
        const boxes = (sel) => [...svg.querySelectorAll(sel)].map((t) => t.getBBox());
        const labels = boxes("text.chart-label");
        const values = boxes("text.chart-value");
        const negatives = svg.querySelectorAll("rect.neg").length;
        const hit = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
        return { negatives, overlaps: values.filter((v) => labels.some((l) => hit(v, l))).length };
      });
      if (overlaps.negatives > 0) {
        checked = overlaps.negatives;
        assert.equal(overlaps.overlaps, 0, "a value label overlaps a concept name");
        await screenshot(page, "23-negative-bars");
      }
    }
    assert.ok(checked > 0, "no explanation with negative contributions among the first five terms");
  });
});

test("at 390 px the page does not scroll sideways and every control stays reachable", async () => {
  await journey(async (page) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await dropFiles(page, [{ name: "example.fasta", bytes: EXAMPLE }]);
    await waitForModel(page);
    await waitForScores(page, 6);
    await chooseRecord(page, "sp|P28799|GRN_HUMAN");
    await page.getByTestId("known-group").waitFor();
    await page.locator('[data-testid="phenotype-name"]').first().click();
    await page.getByTestId("explanation").waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the page is ${width} px wide at a 390 px viewport`);
    // Every control lies within the viewport's width.
    const outside = await page.evaluate(() => [...document.querySelectorAll("button, select, input, textarea, a")]
      .filter((e) => e.offsetParent !== null && e.type !== "file")
      .map((e) => ({ e, r: e.getBoundingClientRect() }))
      .filter(({ e, r }) => r.right > 390.5 && !e.closest(".table-scroll, table"))
      .map(({ e }) => e.outerHTML.slice(0, 80)));
    assert.deepEqual(outside, []);
    // Keyboard: the order select is reachable with Tab and changes with the arrow keys.
    await page.getByTestId("order").focus();
    await page.keyboard.press("ArrowDown");
    assert.equal(await page.getByTestId("order").inputValue(), "score");
    await screenshot(page, "24-phone-390");
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.getByTestId("order").selectOption("lift");
    await screenshot(page, "25-desktop-1400");
  });
});

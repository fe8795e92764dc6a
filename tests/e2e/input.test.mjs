// Journeys of getting sequences into the page (issue: foundation), in headless Chromium against
// the release build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useApp, screenshot, dropFiles, makeDataTransfer, dispatchDrop, fixture } from "./harness.mjs";

const journey = useApp();

const summary = (page) => page.getByTestId("summary");
const row = (page, id) => page.locator(`[data-testid="record-row"][data-record-id="${id}"]`);

test("the shell shows what the tool does and every way in", async () => {
  await journey(async (page) => {
    await assert.doesNotReject(page.getByText("Predicts which phenotype abnormalities").waitFor());
    assert.ok(await page.getByTestId("drop-zone").isVisible());
    assert.equal(await page.getByTestId("file-picker").getAttribute("type"), "file");
    assert.ok(await page.getByTestId("paste-area").isVisible());
    assert.ok(await page.getByTestId("load-example").isVisible());
    const policy = await page.getByTestId("length-policy").innerText();
    assert.match(policy, /100,000 residues/);
    assert.match(policy, /titin/);
    await screenshot(page, "01-shell");
  });
});

test("dropping several files lists every record, with per-record and per-file problems", async () => {
  await journey(async (page) => {
    await dropFiles(page, [
      fixture("multi_ex.fasta"), fixture("flowers.pro.gz"), fixture("fa01"),
      fixture("example.fastq"), fixture("drosophila.fasta"),
    ]);
    // 8 Swiss-Prot + 3 gzip + 2 alignment rows + 27 coding sequences; the FASTQ is a file problem.
    await page.getByText("40 records · 38 ready to score").waitFor();
    assert.match(await summary(page).innerText(), /2 not usable/);
    const fileProblems = await page.getByTestId("file-problems").innerText();
    assert.match(fileProblems, /example\.fastq: this is a FASTQ file/);

    const tpa = row(page, "sp|P00750|TPA_HUMAN");
    assert.match(await tpa.innerText(), /Tissue-type plasminogen activator/);
    assert.match(await tpa.innerText(), /562 aa/);
    assert.match(await tpa.innerText(), /ready/);

    const gap = row(page, "AK1H_ECOLI/1-378");
    assert.match(await gap.innerText(), /'-' at position 31 is not an amino-acid letter \(60 such characters in all\)/);
    assert.match(await gap.innerText(), /not usable/);

    const cds = row(page, "gi|9097|emb|X57361.1|");
    assert.match(await cds.innerText(), /256 aa \(771 nt\)/);
    assert.match(await cds.innerText(), /DNA → protein/);
    assert.match(await cds.innerText(), /translated from a nucleotide coding sequence/);

    assert.match(await row(page, "gi|2781234|pdb|1JLY|B").innerText(), /read as unknown residues/);
    await screenshot(page, "02-dropped-files");
  });
});

test("pasted text: bare sequences, bad letters, repeated identifiers, GenBank layout", async () => {
  await journey(async (page) => {
    const text = [
      "MEEPQSDPSVEPPLSQETFSDLWKLLPENNVLSPLPSQAMDDLMLSPDDIEQWFTEDPGP",
      "",
      ">dup first copy",
      "MKVLAAGIVALLLAAGCSSSKEETPAVEPAA",
      ">dup second copy",
      "MKVLAAGIVALLLAAGCSSSKEETPAVEPAA",
      ">bad letters",
      "MKVLA1AGIV",
      ">empty",
      "",
      ">numbered copied from a GenBank record",
      "        1 mkvlaagiva llllaaagcs sseetpavep",
      "       31 aa",
    ].join("\n");
    await page.getByTestId("paste-area").fill(text);
    await page.getByTestId("read-pasted").click();
    await page.getByText("6 records · 4 ready to score").waitFor();
    assert.match(await row(page, "numbered").innerText(), /32 aa/);
    assert.match(await row(page, "numbered").innerText(), /2 position number\(s\) between the letters \(GenBank\/EMBL layout\) were skipped/);
    assert.match(await row(page, "pasted-1").innerText(), /no header line: named 'pasted-1'/);
    assert.match(await row(page, "dup#2").innerText(), /identifier 'dup' is also used by record 2 of pasted: listed here as 'dup#2'/);
    assert.match(await row(page, "bad").innerText(), /'1' at position 6 is not an amino-acid letter/);
    assert.match(await row(page, "empty").innerText(), /the sequence is empty/);
    // The text area is emptied once its records are listed.
    assert.equal(await page.getByTestId("paste-area").inputValue(), "");
    await screenshot(page, "03-pasted");
  });
});

test("the file picker and the example button", async () => {
  await journey(async (page) => {
    const dups = fixture("dups.fasta");
    await page.getByTestId("file-picker").setInputFiles([
      { name: dups.name, mimeType: "text/plain", buffer: dups.bytes },
    ]);
    // Its records are 5-letter nucleotide strings: nucleotide at any length, too short to translate.
    await page.getByText("5 records · 0 ready to score").waitFor();
    assert.match(await row(page, "alpha#2").innerText(), /identifier 'alpha' is also used by record 1 of dups\.fasta/);
    await page.getByTestId("clear").click();
    await page.getByTestId("summary").waitFor({ state: "detached" });
    await page.getByTestId("load-example").click();
    await page.getByText("6 records · 6 ready to score").waitFor();
    assert.match(await row(page, "sp|P69905|HBA_HUMAN").innerText(), /Hemoglobin subunit alpha/);
    await screenshot(page, "04-example");
  });
});

test("files that are not FASTA are named; header text is shown as text, never as markup", async () => {
  await journey(async (page) => {
    await dropFiles(page, [
      { name: "paper.pdf", bytes: Buffer.from("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj", "latin1") },
      { name: "image.bin", bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]) },
      { name: "empty.fa", bytes: Buffer.alloc(0) },
      { name: "bom.fa", bytes: Buffer.from("\uFEFF>bom_record <img src=x onerror=alert(1)>\nMKVLAAGIVALLLAA\n") },
    ]);
    const problems = page.getByTestId("file-problems");
    await problems.getByText("paper.pdf: this is a PDF document").waitFor();
    await problems.getByText("image.bin: this is a binary file").waitFor();
    await problems.getByText("empty.fa: the input is empty").waitFor();
    await page.getByText("1 record · 1 ready to score").waitFor();
    const bom = row(page, "bom_record");
    assert.match(await bom.innerText(), /<img src=x onerror=alert\(1\)>/);
    assert.equal(await page.locator("table img").count(), 0);
    await screenshot(page, "05-not-fasta");
  });
});

test("a large input (20 MB, 50,000 records) is read in slices with progress", async () => {
  // Real Swiss-Prot sequences, repeated under new identifiers to reach the size.
  const real = fixture("multi_ex.fasta").bytes.toString().split(">").filter(Boolean);
  const parts = [];
  for (let i = 0; i < 50_000; i++) parts.push(`>rec${i} ${real[i % real.length]}`);
  const bytes = Buffer.from(parts.join(""));
  assert.ok(bytes.length > 19_000_000, `input is ${bytes.length} bytes`);
  await journey(async (page) => {
    // Building the file in the page is the test's own work: do it before the heartbeat starts.
    const dataTransfer = await makeDataTransfer(page, [{ name: "big.fa", bytes }]);
    // A heartbeat that only runs when the page's thread is free between slices, and a record of
    // every record count the summary showed on the way.
    await page.evaluate(() => {
      window.__beats = [];
      window.__counts = new Set();
      const beat = () => { window.__beats.push(performance.now()); setTimeout(beat, 10); };
      beat();
      new MutationObserver(() => {
        const s = document.querySelector('[data-testid="summary"]');
        if (s) window.__counts.add(s.textContent.split(" ")[0]);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await dispatchDrop(page, dataTransfer);
    await page.getByTestId("reading").first().waitFor();
    await screenshot(page, "06-large-reading", { fullPage: false });
    await page.getByText("50,000 records · 50,000 ready to score").waitFor({ timeout: 120_000 });
    const seen = await page.evaluate(() => {
      const b = window.__beats;
      let gap = 0;
      for (let i = 1; i < b.length; i++) gap = Math.max(gap, b[i] - b[i - 1]);
      return { beats: b.length, maxGapMs: Math.round(gap), counts: [...window.__counts] };
    });
    console.log(`large input: ${seen.counts.length} partial lists shown, ${seen.beats} heartbeats, longest pause ${seen.maxGapMs} ms`);
    // The list grew slice by slice (the page was repainted in between), and timers kept running.
    assert.ok(seen.counts.length >= 3, `the list was shown only at counts ${seen.counts}`);
    assert.ok(seen.beats >= 3, `only ${seen.beats} heartbeats during the read`);
    assert.match(await page.getByTestId("pager").innerText(), /1–100 of 50,000/);
    await screenshot(page, "07-large-done", { fullPage: false });
  });
});

test("a 100 MB file and a titin-sized protein are read whole, from the file picker", async () => {
  const os = await import("node:os");
  const fs = await import("node:fs");
  const path = await import("node:path");
  const real = fixture("multi_ex.fasta").bytes.toString().split(">").filter(Boolean);
  const residues = real.map((r) => r.split("\n").slice(1).join(""));
  // A titin-sized protein (35,000 residues) made of real Swiss-Prot segments, wrapped at 60.
  let titinSized = "";
  for (let i = 0; titinSized.length < 35_000; i++) titinSized += residues[i % residues.length];
  titinSized = titinSized.slice(0, 35_000).replace(/(.{60})/g, "$1\n");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "genepheno-e2e-"));
  const big = path.join(dir, "big100.fa");
  const out = fs.openSync(big, "w");
  let n = 0;
  let written = 0;
  fs.writeSync(out, `>titin_sized long protein\n${titinSized}\n`);
  while (written < 100 * 1024 * 1024) {
    const rec = `>r${n} ${real[n % real.length]}`;
    written += fs.writeSync(out, rec);
    n++;
  }
  fs.closeSync(out);
  const total = n + 1;
  await journey(async (page) => {
    await page.getByTestId("file-picker").setInputFiles(big);
    await page.getByTestId("reading").first().waitFor();
    const expected = `${total.toLocaleString("en-US")} records · ${total.toLocaleString("en-US")} ready to score`;
    await page.getByText(expected).waitFor({ timeout: 300_000 });
    assert.match(await row(page, "titin_sized").innerText(), /35,000 aa/);
    await screenshot(page, "08-100mb", { fullPage: false });
  });
  fs.rmSync(dir, { recursive: true });
});

// Shared set-up for the end-to-end tests: a static server for the built app on loopback, Debian's
// headless Chromium driven by Playwright, and the checks every journey makes (no console errors,
// no request leaving the page's origin, screenshots for a person to look at).
import http from "node:http";
import fs from "node:fs";
import zlib from "node:zlib";
import path from "node:path";
import assert from "node:assert/strict";
import { before, after } from "node:test";
import { chromium } from "playwright-core";

const ROOT = path.resolve(import.meta.dirname, "../..");
const DIST = process.env.GENEPHENO_DIST ?? path.join(ROOT, "target/e2e-dist");
export { DIST };
export const SCREENSHOTS = process.env.GENEPHENO_SCREENSHOTS ?? path.join(ROOT, "target/e2e-screenshots");
export const FIXTURES = path.join(ROOT, "crates/genepheno/tests/fixtures/biopython-1.85");

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".wasm": "application/wasm",
  ".css": "text/css", ".json": "application/json", ".fasta": "text/plain", ".md": "text/plain",
  ".bpk": "application/octet-stream", ".svg": "image/svg+xml", ".png": "image/png",
  ".webmanifest": "application/manifest+json",
};

/** Serves the built app from `dist` (default DIST) on 127.0.0.1 at a free port. */
export async function serveApp(dist = DIST) {
  assert.ok(fs.existsSync(path.join(dist, "index.html")), `no build in ${dist}: run trunk build first`);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    let file = path.normalize(path.join(dist, decodeURIComponent(url.pathname)));
    if (!file.startsWith(dist)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
    if (!fs.existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, close: () => new Promise((ok) => server.close(ok)) };
}

/**
 * Launches Debian's Chromium headless, with the flags this machine's closed network needs.
 * `webgpu: false` leaves WebGPU off (no adapter), as in a browser without it.
 */
export async function launchBrowser({ webgpu = true } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ...(webgpu ? ["--enable-unsafe-webgpu"] : []),
    ],
  });
}

/**
 * Opens the app in a fresh page that records console errors, page errors and every request, and
 * waits until the app has mounted. `init`: a script run in the page before the app's own;
 * `prepare(context)`: runs before the page opens (e.g. to route requests).
 */
export async function openApp(browser, origin, { hash = "", init, prepare } = {}) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  if (init) await context.addInitScript(init);
  if (prepare) await prepare(context);
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on("console", (msg) => { if (msg.type() === "error") problems.push(`console: ${msg.text()}`); });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("request", (req) => requests.push(req.url()));
  await page.goto(origin + hash);
  await page.getByRole("heading", { name: "GenePheno Web" }).waitFor();
  return {
    page,
    /** Fails if the page logged an error or asked for anything outside its own origin. */
    assertClean() {
      assert.deepEqual(problems, [], "the page logged errors");
      const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith("data:") && !u.startsWith("blob:"));
      assert.deepEqual(foreign, [], "requests left the page's origin");
    },
    close: () => context.close(),
  };
}

/** Saves a screenshot (the full page unless told otherwise) under SCREENSHOTS for a person to look at. */
export async function screenshot(page, name, { fullPage = true } = {}) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage });
}

/**
 * What makes a phone scroll the page sideways: the innermost elements that reach, or whose
 * content (a long unbreakable word) reaches, past the right edge of the viewport with no
 * scrolling box of their own around them, as short selectors; empty when nothing does.
 */
export async function sidewaysOverflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const clips = (e) => getComputedStyle(e).overflowX !== "visible";
    const reaches = (e) => {
      const box = e.getBoundingClientRect();
      return box.right > width + 1 || (!clips(e) && box.left + e.scrollWidth > width + 1);
    };
    const boxed = (e) => {
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) if (clips(a)) return true;
      return false;
    };
    const offenders = [...document.body.querySelectorAll("*")].filter((e) => reaches(e) && !boxed(e));
    const innermost = offenders.filter((e) => !offenders.some((o) => o !== e && e.contains(o)));
    return innermost.slice(0, 10).map((e) => {
      const classes = typeof e.className === "string" && e.className.trim() ? "." + e.className.trim().split(/\s+/).join(".") : "";
      const testid = e.dataset?.testid ? `[data-testid=${e.dataset.testid}]` : "";
      return `${e.tagName.toLowerCase()}${testid}${classes} “${(e.textContent ?? "").trim().slice(0, 30)}”`;
    });
  });
}

/** Drops files on the drop zone the way a browser does: a `drop` event carrying a DataTransfer. */
export async function dropFiles(page, files) {
  await dispatchDrop(page, await makeDataTransfer(page, files));
}

/** Builds, in the page, a DataTransfer holding the given files. */
export async function makeDataTransfer(page, files) {
  const payload = files.map(({ name, bytes }) => ({ name, b64: Buffer.from(bytes).toString("base64") }));
  return page.evaluateHandle((items) => {
    const dt = new DataTransfer();
    for (const { name, b64 } of items) {
      const raw = atob(b64);
      const bytes = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      dt.items.add(new File([bytes], name));
    }
    return dt;
  }, payload);
}

/** Dispatches dragover and drop carrying `dataTransfer` on the drop zone. */
export async function dispatchDrop(page, dataTransfer) {
  await page.dispatchEvent('[data-testid="drop-zone"]', "dragover", { dataTransfer });
  await page.dispatchEvent('[data-testid="drop-zone"]', "drop", { dataTransfer });
}

export function fixture(name) {
  return { name, bytes: fs.readFileSync(path.join(FIXTURES, name)) };
}

/**
 * Registers, for the calling test file, one server and one browser shared by its tests, and
 * returns `journey(body)`: runs `body(page)` in a fresh page, then fails on console errors or
 * foreign requests.
 */
export function useApp({ webgpu = true } = {}) {
  let server;
  let browser;
  before(async () => {
    server = await serveApp();
    browser = await launchBrowser({ webgpu });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  async function journey(body, options = {}) {
    const app = await openApp(browser, server.origin, options);
    try {
      await body(app.page);
      app.assertClean();
    } finally {
      await app.close();
    }
  }
  /** A page without the closing checks, for tests that provoke errors on purpose. */
  journey.open = (options = {}) => openApp(browser, server.origin, options);
  journey.origin = () => server.origin;
  journey.browser = () => browser;
  return journey;
}

/**
 * Waits until the model is loaded and its backend settled: the page is ready on the CPU first
 * and the GPU takes over after its self-check (up to `timeout` ms: a first WebGPU run compiles
 * shaders). Returns the backend in use. `{ settled: false }` returns as soon as the page can
 * score.
 */
export async function waitForModel(page, timeout = 120_000, { settled = true } = {}) {
  const state = settled ? '[data-state="ready"][data-gpu-check="false"]' : '[data-state="ready"]';
  await page.locator(`[data-testid="model-status"]${state}`).waitFor({ timeout });
  return page.getByTestId("model-status").getAttribute("data-backend");
}

/** Opens record `id` from the summary table and waits for its view. */
export async function chooseRecord(page, id) {
  await page.locator('[data-testid="summary-record"]', { hasText: id }).click();
  await page.locator(`[data-testid="record-view"][data-record="${id}"]`).waitFor();
}

/** Waits until every ready record is scored. */
export async function waitForScores(page, count, timeout = 300_000) {
  await page.locator(`[data-testid="run-status"][data-scored="${count}"][data-total="${count}"]`).waitFor({ timeout });
}

/** `n` real human proteins (Swiss-Prot, from the committed data/genes.tsv.gz) as FASTA. */
export function humanProteins(n, offset = 0) {
  const tsv = zlib.gunzipSync(fs.readFileSync(path.join(ROOT, "data/genes.tsv.gz"))).toString("utf8");
  const rows = tsv.split("\n").slice(1).filter(Boolean).slice(offset, offset + n);
  return rows.map((line) => {
    const [entrez, symbol, uniprot, , , , sequence] = line.split("\t");
    return `>${uniprot}_${symbol} Entrez ${entrez}\n${sequence}\n`;
  }).join("");
}

/** Clicks `button` and returns the text of the file it downloads. */
export async function downloadText(page, button) {
  const [download] = await Promise.all([page.waitForEvent("download"), button.click()]);
  return { name: download.suggestedFilename(), text: fs.readFileSync(await download.path(), "utf8") };
}

/** axe-core's script, read once (npm `axe-core`, tests/e2e/package.json). */
let axeSource;

/**
 * Runs axe-core over the page as it is now and fails on any serious or critical violation, with
 * each rule, its help text and the first offending elements. The script is evaluated through
 * the DevTools protocol, which the page's Content-Security-Policy does not govern, so the page is
 * checked with its real policy in force. Returns the number of nodes checked per rule outcome.
 */
export async function assertAccessible(page, where) {
  axeSource ??= fs.readFileSync(path.join(import.meta.dirname, "node_modules/axe-core/axe.min.js"), "utf8");
  if (!(await page.evaluate(() => typeof window.axe !== "undefined"))) {
    await page.evaluate(axeSource);
  }
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return {
      passes: r.passes.length,
      violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) })),
    };
  });
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const minor = result.violations.filter((v) => !serious.includes(v));
  if (minor.length) console.log(`axe (${where}): ${minor.length} minor or moderate: ${minor.map((v) => `${v.id} (${v.impact}) at ${v.nodes.join(" | ")}`).join(", ")}`);
  assert.deepEqual(serious, [], `axe found serious or critical violations ${where}:\n${serious.map((v) => `- ${v.id} (${v.impact}): ${v.help} at ${v.nodes.join(" | ")}`).join("\n")}`);
  return result;
}

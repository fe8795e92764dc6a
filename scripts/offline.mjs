// Trunk post-build hook: makes the app work offline after one visit.
//
// Writes `sw.js`, the service worker, with the list of files to keep and a version that is the
// SHA-256 of all of them: any change to the app, its wasm, the examples or a model file gives a
// new `sw.js`, which the browser installs beside the running one and uses on the next visit (the
// page says so). The model weights (`*.bpk`, megabytes each) are not in the list: the inference
// worker keeps each one in its own cache, under its checksum, after its first use.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

const dist = process.env.TRUNK_STAGING_DIR ?? "dist";

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const kept = files(dist)
  .map((path) => relative(dist, path).split(sep).join("/"))
  .filter((name) => name !== "sw.js" && !name.endsWith(".bpk"))
  .sort();
const version = createHash("sha256");
for (const name of kept) version.update(name).update("\0").update(readFileSync(join(dist, name)));
const digest = version.digest("hex").slice(0, 16);

const template = readFileSync(new URL("./sw.template.js", import.meta.url), "utf8");
const sw = template
  .replace('"__VERSION__"', JSON.stringify(digest))
  .replace("[/* __FILES__ */]", JSON.stringify(["./", ...kept], null, 2));
if (sw === template) throw new Error("offline.mjs: sw.template.js lacks its placeholders");
writeFileSync(join(dist, "sw.js"), sw);
console.log(`offline.mjs: sw.js version ${digest}, ${kept.length} files kept for offline use`);

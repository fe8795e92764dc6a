// GenePheno Web's service worker (written into dist/ by scripts/offline.mjs from this template).
//
// After one visit the page opens and predicts with the network off: the app, its wasm, the
// examples and the model metadata and reference sets are kept in a cache named after this
// build's version; the weights are kept by the inference worker itself (under their checksum).
// A new build is a new sw.js: it is installed beside the running one and takes over on the next
// visit, and the page tells the user. Only the page's own origin is ever asked for anything.
const VERSION = "__VERSION__";
const CACHE = `genepheno-app-${VERSION}`;
const FILES = [/* __FILES__ */];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES.map((f) => new Request(f, { cache: "reload" })))));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((names) =>
      Promise.all(names.filter((n) => n.startsWith("genepheno-app-") && n !== CACHE).map((n) => caches.delete(n))),
    ),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  // Weights: the inference worker's own cache answers first; the network otherwise.
  if (url.pathname.endsWith(".bpk")) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      // Any page address (a share link rides in the fragment) is the app's one page.
      const hit = request.mode === "navigate" ? await cache.match("./") : await cache.match(request, { ignoreSearch: true });
      return hit ?? fetch(request);
    }),
  );
});

//! Model files: fetched from the app's own origin with progress, and kept in the Cache API so a
//! later visit loads them without downloading. The weights are cached under a key that contains
//! their SHA-256, so a new model never meets a stale copy. A kept copy that fails its check (a
//! damaged disk, a half-written entry) is thrown away and downloaded again, and the page is told;
//! the caller still checks whatever it gets.

use genepheno::protocol::{LoadError, Response};
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, DedicatedWorkerGlobalScope, RequestCache, RequestInit};

use crate::worker::post;

const CACHE_NAME: &str = "genepheno-models-v1";

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn describe(error: JsValue) -> String {
    error.as_string().unwrap_or_else(|| format!("{error:?}"))
}

/// `url` could not be fetched, for the reason `detail`.
fn unreachable(url: &str, detail: impl Into<String>) -> LoadError {
    LoadError::Unreachable { file: url.into(), detail: detail.into() }
}

/// Fetches a small file, revalidating with the server (the metadata names the weights, so it
/// must be current).
pub async fn fetch_text(url: &str) -> Result<String, LoadError> {
    let init = RequestInit::new();
    init.set_cache(RequestCache::NoCache);
    let response: web_sys::Response = JsFuture::from(scope().fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| unreachable(url, describe(e)))?
        .unchecked_into();
    if !response.ok() {
        return Err(unreachable(url, format!("HTTP {}", response.status())));
    }
    let text = response.text().map_err(|e| unreachable(url, describe(e)))?;
    let text = JsFuture::from(text).await.map_err(|e| unreachable(url, describe(e)))?;
    text.as_string().ok_or_else(|| unreachable(url, "the answer is not text"))
}

async fn open_cache() -> Option<Cache> {
    let caches = scope().caches().ok()?;
    JsFuture::from(caches.open(CACHE_NAME)).await.ok().map(JsCast::unchecked_into)
}

/// A model file as fetched: its bytes and what `read` made of them, whether the copy kept in
/// this browser was damaged and replaced by a fresh download, and whether this browser keeps it
/// for the next visit.
pub struct Fetched<T> {
    pub bytes: Vec<u8>,
    pub value: T,
    pub repaired: bool,
    /// False when the browser refused to store the download (storage full, private window).
    pub kept: bool,
}

/// The model file `url` belonging to the weights whose SHA-256 is `sha256` (the weights
/// themselves, or a file bound to them): from the cache if there and `read` accepts it,
/// otherwise downloaded with progress messages, read too (a server in the middle of an update
/// can serve another version: refused, never cached) and then cached (older versions of the
/// file are removed). Each copy is read once.
pub async fn fetch_checked<T>(
    url: &str,
    sha256: &str,
    read: impl Fn(&[u8]) -> Result<T, String>,
) -> Result<Fetched<T>, LoadError> {
    let key = format!("{url}?sha256={sha256}");
    let cache = open_cache().await;
    let mut repaired = false;
    if let Some(cache) = &cache
        && let Ok(hit) = JsFuture::from(cache.match_with_str(&key)).await
        && let Ok(response) = hit.dyn_into::<web_sys::Response>()
        && let Ok(buffer) = response.array_buffer()
        && let Ok(buffer) = JsFuture::from(buffer).await
    {
        let bytes = Uint8Array::new(&buffer).to_vec();
        if let Ok(value) = read(&bytes) {
            let total = bytes.len() as u64;
            post(&Response::Progress { file: url.into(), loaded: total, total: Some(total), from_cache: true });
            return Ok(Fetched { bytes, value, repaired: false, kept: true });
        }
        let _ = JsFuture::from(cache.delete_with_str(&key)).await;
        repaired = true;
    }
    let mut bytes = download(url).await?;
    let value = read(&bytes).map_err(|detail| LoadError::OtherVersion { file: url.into(), detail })?;
    let mut kept = false;
    if let Some(cache) = &cache {
        forget_other_versions(cache, url).await;
        // Caching is a convenience: a full disk or a private window must not stop the app, but
        // the page says the file is not kept.
        if let Ok(response) = web_sys::Response::new_with_opt_u8_array(Some(&mut bytes)) {
            kept = JsFuture::from(cache.put_with_str(&key, &response)).await.is_ok();
        }
    }
    Ok(Fetched { bytes, value, repaired, kept })
}

async fn forget_other_versions(cache: &Cache, url: &str) {
    let Ok(keys) = JsFuture::from(cache.keys()).await else { return };
    for request in js_sys::Array::from(&keys).iter() {
        let request: web_sys::Request = request.unchecked_into();
        if request.url().contains(&format!("{url}?sha256=")) {
            let _ = JsFuture::from(cache.delete_with_str(&request.url())).await;
        }
    }
}

/// Streams a file, posting progress about every 5% so the page's bar moves without flooding it.
async fn download(url: &str) -> Result<Vec<u8>, LoadError> {
    let response: web_sys::Response = JsFuture::from(scope().fetch_with_str(url))
        .await
        .map_err(|e| unreachable(url, describe(e)))?
        .unchecked_into();
    if !response.ok() {
        return Err(unreachable(url, format!("HTTP {}", response.status())));
    }
    let total = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<u64>().ok());
    let body = response.body().ok_or_else(|| unreachable(url, "the answer is empty"))?;
    let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut bytes = Vec::with_capacity(total.unwrap_or(0) as usize);
    let step = total.map_or(512 * 1024, |t| (t / 20).max(64 * 1024));
    let mut reported = 0u64;
    post(&Response::Progress { file: url.into(), loaded: 0, total, from_cache: false });
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| unreachable(url, describe(e)))?;
        let done = Reflect::get(&chunk, &"done".into()).map(|d| d.is_truthy()).unwrap_or(true);
        if done {
            break;
        }
        let value = Reflect::get(&chunk, &"value".into()).map_err(|e| unreachable(url, describe(e)))?;
        bytes.extend(Uint8Array::new(&value).to_vec());
        let loaded = bytes.len() as u64;
        if loaded - reported >= step {
            reported = loaded;
            post(&Response::Progress { file: url.into(), loaded, total, from_cache: false });
        }
    }
    let loaded = bytes.len() as u64;
    post(&Response::Progress { file: url.into(), loaded, total: Some(total.unwrap_or(loaded)), from_cache: false });
    Ok(bytes)
}

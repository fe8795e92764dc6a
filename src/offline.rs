//! Offline use: registers the service worker that scripts/offline.mjs writes (`sw.js`), and tells
//! the user when a new version has been downloaded beside the running one (it is used on the next
//! visit, never swapped under a running prediction).

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ServiceWorker, ServiceWorkerRegistration, ServiceWorkerState};

/// What the page says once a new version is ready.
pub const UPDATE_READY: &str =
    "A new version of GenePheno Web has been downloaded. It is used the next time you open the page (close every GenePheno tab first); this page keeps working as it is.";

/// Registers `sw.js` (where the browser has service workers and the page is a secure context)
/// and sets `update` when a newer version has finished installing. Failing to register only
/// costs offline use, so it is reported on the console, not to the user.
pub fn register(update: RwSignal<Option<&'static str>>) {
    let Some(window) = web_sys::window() else { return };
    let container = window.navigator().service_worker();
    if container.is_undefined() || !window.is_secure_context() {
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let registration: ServiceWorkerRegistration = match JsFuture::from(container.register("sw.js")).await {
            Ok(r) => r.unchecked_into(),
            Err(e) => {
                web_sys::console::warn_2(&"GenePheno: offline use unavailable, the service worker did not register:".into(), &e);
                return;
            }
        };
        // Only an update is news: the first install (no controller yet) is silent.
        if container.controller().is_none() {
            return;
        }
        // A version that finished installing while the page was closed is waiting already; one
        // may be installing now (the check that this visit started), or be found later.
        if registration.waiting().is_some() {
            update.set(Some(UPDATE_READY));
        }
        if let Some(installing) = registration.installing() {
            announce_when_installed(&installing, update);
        }
        let on_found = Closure::<dyn FnMut()>::new({
            let registration = registration.clone();
            move || {
                if let Some(installing) = registration.installing() {
                    announce_when_installed(&installing, update);
                }
            }
        });
        registration.set_onupdatefound(Some(on_found.as_ref().unchecked_ref()));
        // Lives as long as the page (one registration per visit).
        on_found.forget();
    });
}

/// Sets `update` once `worker` (a new version) has installed; it then waits for the next visit.
fn announce_when_installed(worker: &ServiceWorker, update: RwSignal<Option<&'static str>>) {
    let watched = worker.clone();
    let on_state = Closure::<dyn FnMut()>::new(move || {
        if watched.state() == ServiceWorkerState::Installed {
            update.set(Some(UPDATE_READY));
        }
    });
    worker.set_onstatechange(Some(on_state.as_ref().unchecked_ref()));
    on_state.forget();
}

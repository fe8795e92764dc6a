//! This tab among the app's open tabs, so that each keeps its own session (src/kept.rs): two
//! tabs writing one kept copy would each overwrite the other's work.
//!
//! A tab's name lives in `sessionStorage`, which survives a reload of the tab and nothing else.
//! While the page is open it holds a Web Lock of that name; the browser releases it when the tab
//! closes or crashes. A kept session whose lock nobody holds therefore belongs to no open tab
//! (an orphan, offered to the next tab that opens), and one whose lock is held is another open
//! tab's, left alone. A duplicated tab copies `sessionStorage`: it finds the name's lock taken
//! and picks a new name. The few Web Locks calls are declared here (web-sys has them only
//! behind its unstable flag).

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

const NAME_KEY: &str = "genepheno-tab";
const LOCK_PREFIX: &str = "genepheno-session-";

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks`.
    type LockManager;
    #[wasm_bindgen(method)]
    fn request(this: &LockManager, name: &str, options: &JsValue, callback: &Function) -> Promise;
    #[wasm_bindgen(method)]
    fn query(this: &LockManager) -> Promise;
}

fn lock_manager() -> Option<LockManager> {
    let navigator = web_sys::window()?.navigator();
    let locks = Reflect::get(&navigator, &"locks".into()).ok().filter(JsValue::is_object)?;
    Some(locks.unchecked_into())
}

/// This tab's name (the key of its kept session).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tab {
    pub name: String,
}

impl Tab {
    /// Finds this tab's name (the same after a reload) and holds its lock for the page's life.
    /// Without Web Locks every tab is taken as alone (the newest kept session is offered).
    pub async fn claim() -> Tab {
        let storage = web_sys::window().and_then(|w| w.session_storage().ok().flatten());
        let remembered = storage.as_ref().and_then(|s| s.get_item(NAME_KEY).ok().flatten());
        let Some(locks) = lock_manager() else {
            return Tab { name: remembered.unwrap_or_else(new_name) };
        };
        let mut name = remembered.unwrap_or_else(new_name);
        // Taken: this tab is a duplicate of an open one (or, rarely, two new names collided).
        while !hold(&locks, &name).await {
            name = new_name();
        }
        if let Some(storage) = storage {
            let _ = storage.set_item(NAME_KEY, &name);
        }
        Tab { name }
    }
}

/// Names of the tabs open now (their locks are held); `None` without Web Locks.
pub async fn open_tabs() -> Option<Vec<String>> {
    let snapshot = JsFuture::from(lock_manager()?.query()).await.ok()?;
    let held = Reflect::get(&snapshot, &"held".into()).ok()?;
    let names = js_sys::Array::from(&held)
        .iter()
        .filter_map(|lock| Reflect::get(&lock, &"name".into()).ok()?.as_string())
        .filter_map(|name| name.strip_prefix(LOCK_PREFIX).map(str::to_string))
        .collect();
    Some(names)
}

/// Takes the lock of `name` if no one holds it, and keeps it until the page goes.
async fn hold(locks: &LockManager, name: &str) -> bool {
    let mut answer: Option<Function> = None;
    let granted = Promise::new(&mut |resolve, _| answer = Some(resolve));
    let Some(answer) = answer else { return false };
    let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        let taken = !lock.is_null();
        let _ = answer.call1(&JsValue::NULL, &JsValue::from_bool(taken));
        // Held while this promise is pending: for ever, i.e. until the tab closes.
        if taken { Promise::new(&mut |_, _| {}).into() } else { JsValue::NULL }
    });
    let options = js_sys::Object::new();
    let _ = Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    let _ = locks.request(&format!("{LOCK_PREFIX}{name}"), &options, callback.unchecked_ref());
    JsFuture::from(granted).await.ok().and_then(|v| v.as_bool()) == Some(true)
}

/// A name no other tab has: the time and a random part.
fn new_name() -> String {
    format!("{:x}-{:08x}", js_sys::Date::now() as u64, (js_sys::Math::random() * f64::from(u32::MAX)) as u32)
}

//! The inference worker: a dedicated web worker that owns the model, so that downloading,
//! checking and scoring never block the page. See `genepheno::protocol` for the messages.
//!
//! Requests are handled one at a time, in arrival order: the model and its device are used by
//! one task only, and the page, which sends one batch at a time, stays in control of the pace.

#[cfg(target_arch = "wasm32")]
mod download;
#[cfg(target_arch = "wasm32")]
mod engine;

#[cfg(target_arch = "wasm32")]
fn main() {
    worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("genepheno-worker runs in the browser; trunk builds it for wasm32 (see index.html)");
}

#[cfg(target_arch = "wasm32")]
mod worker {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    use genepheno::protocol::{Reason, Request, Response, Subject};
    use wasm_bindgen::prelude::*;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    use crate::engine::Engine;

    /// Posts one response to the page.
    pub fn post(response: &Response) {
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        // Posting a string cannot fail short of the worker being torn down.
        let _ = scope.post_message(&JsValue::from_str(&response.to_json()));
    }

    struct Queue {
        pending: VecDeque<Request>,
        running: bool,
    }

    /// Forwards warnings and errors of the GPU stack to the console.
    struct ConsoleLog;

    impl log::Log for ConsoleLog {
        fn enabled(&self, metadata: &log::Metadata) -> bool {
            metadata.level() <= log::Level::Warn
        }
        fn log(&self, record: &log::Record) {
            if self.enabled(record.metadata()) {
                let line = format!("{} {}: {}", record.level(), record.target(), record.args());
                web_sys::console::warn_1(&JsValue::from_str(&line));
            }
        }
        fn flush(&self) {}
    }

    static LOGGER: ConsoleLog = ConsoleLog;

    pub fn start() {
        console_error_panic_hook::set_once();
        let _ = log::set_logger(&LOGGER).map(|()| log::set_max_level(log::LevelFilter::Warn));
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let queue = Rc::new(RefCell::new(Queue { pending: VecDeque::new(), running: false }));
        let engine = Rc::new(RefCell::new(Engine::default()));
        let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            let request = match event.data().as_string().map(|s| serde_json::from_str::<Request>(&s)) {
                Some(Ok(request)) => request,
                other => {
                    let reason = Reason::Unreadable(format!("{other:?}"));
                    post(&Response::Error { about: Subject::Unreadable, reason });
                    return;
                }
            };
            queue.borrow_mut().pending.push_back(request);
            if !queue.borrow().running {
                queue.borrow_mut().running = true;
                let (queue, engine) = (queue.clone(), engine.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    loop {
                        let Some(request) = queue.borrow_mut().pending.pop_front() else {
                            queue.borrow_mut().running = false;
                            break;
                        };
                        Engine::handle(&engine, request).await;
                    }
                });
            }
        });
        scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        // Only now can the page's messages be received.
        post(&Response::Ready);
    }
}

//! Any text, as the fragment of a link someone opened: decoding must not panic, and whatever
//! decodes must re-encode to a link that decodes to the same session.
#![no_main]

use genepheno::share::SharedSession;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(session) = SharedSession::from_fragment(text) {
        let again = SharedSession::from_fragment(&session.to_fragment()).expect("re-encoded link opens");
        assert_eq!(again, session);
    }
    let _ = SharedSession::from_file(data);
});

//! Any text, as the fragment of a link someone opened or as a dropped session file: decoding
//! must not panic, and whatever decodes must re-encode (link or file) to the same session.
#![no_main]

use genepheno::share::SharedSession;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(session) = SharedSession::from_fragment(text) {
        let again = SharedSession::from_fragment(&session.to_fragment()).expect("re-encoded link opens");
        assert_eq!(again, session);
    }
    if let Ok(session) = SharedSession::from_file(data) {
        let again = SharedSession::from_file(session.to_file().as_bytes()).expect("re-saved session file opens");
        assert_eq!(again, session);
    }
});

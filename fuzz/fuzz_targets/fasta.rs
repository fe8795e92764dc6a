//! Any bytes, as a dropped file: the parser must not panic, and what it accepts must be sane.
#![no_main]

use genepheno::sequence::{MAX_RESIDUES, parse_all};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let outcome = parse_all("fuzz.fa", data);
    let mut ids = std::collections::HashSet::new();
    for record in &outcome.records {
        assert!(ids.insert(record.id.clone()), "identifiers are unique: {}", record.id);
        if let Some(protein) = &record.protein {
            assert!(!protein.is_empty() && protein.len() <= MAX_RESIDUES);
            assert!(protein.bytes().all(|b| b.is_ascii_uppercase()), "{protein}");
        } else {
            assert!(!record.problems.is_empty(), "an unusable record says why");
        }
        // Every message renders.
        for problem in &record.problems {
            let _ = problem.to_string();
        }
    }
});

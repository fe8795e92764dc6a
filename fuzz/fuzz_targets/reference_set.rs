//! Any bytes as a known-gene reference file (a damaged download, a hostile server): decoding must
//! return an error or a set whose answers stay in range, never panic or run away with memory.
//!
//! Half the inputs are taken as the whole file; the other half as the inflated body behind a
//! well-formed header and gzip stream, because random bytes almost never pass gzip's checksum
//! and would leave the column decoder untried.
#![no_main]

use std::io::Write;

use genepheno::reference::{FORMAT_VERSION, MAGIC, ReferenceSet};
use libfuzzer_sys::fuzz_target;

/// A file with a valid header (counts from `counts`) around `body`, gzip'd.
fn wrap(counts: [u8; 3], body: &[u8]) -> Vec<u8> {
    let mut header = Vec::new();
    for s in ["hpo", "v", "ab", "homology"] {
        header.push(s.len() as u8);
        header.extend_from_slice(s.as_bytes());
    }
    header.extend_from_slice(&[5, 32]); // k, bins (one-byte varints)
    header.extend(counts.map(|c| c % 16));
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
    gz.write_all(body).unwrap();
    gz.finish().unwrap()
}

fuzz_target!(|data: &[u8]| {
    let wrapped;
    let file = match data {
        [mode, a, b, c, body @ ..] if mode % 2 == 1 => {
            wrapped = wrap([*a, *b, *c], body);
            &wrapped[..]
        }
        _ => data,
    };
    let Ok(set) = ReferenceSet::decode(file) else { return };
    assert_eq!(set.len(), set.header().genes as usize);
    let concepts = set.header().concepts as usize;
    for (i, gene) in set.genes().iter().enumerate() {
        assert_eq!(set.concept_vector(i, concepts).len(), concepts);
        assert!(gene.concepts.iter().all(|&c| (c as usize) < concepts));
        let _ = set.most_specific_phenotypes(i);
    }
    for query in [&b"MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ"[..], b"M", b""] {
        if let Some(found) = set.identify(query) {
            assert!(found.gene() < set.len());
        }
        assert!(set.most_similar(query, 3).iter().all(|s| s.gene < set.len()));
    }
});

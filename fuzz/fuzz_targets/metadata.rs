//! Any bytes as a model's metadata file (the worker downloads it; `genepheno predict --model`
//! reads it): reading must not panic, and whatever is accepted must describe a model whose term
//! graph can be ordered, and must read back the same after writing.
#![no_main]

use genepheno::model::{ModelMetadata, Ontology};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(meta) = ModelMetadata::from_json(data) else { return };
    let parents: Vec<Vec<u32>> = meta.phenotypes.iter().map(|p| p.parents.clone()).collect();
    if parents.iter().any(|p| !p.is_empty()) {
        Ontology::new(parents).expect("accepted metadata has an ordered term graph");
    }
    let again = ModelMetadata::from_json(&serde_json::to_vec(&meta).unwrap()).expect("re-written metadata reads");
    assert_eq!(again.weights_sha256, meta.weights_sha256);
    assert_eq!(again.phenotypes.len(), meta.phenotypes.len());
});

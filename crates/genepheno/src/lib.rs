//! GenePheno core: everything that must behave identically in the browser (wasm32) and in the
//! native tools. Nothing here touches the DOM, the file system or the network.

pub mod batching;
pub mod calibration;
pub mod domain;
pub mod kept;
pub mod ontology;
pub mod protocol;
pub mod results;
pub mod scheduler;
pub mod reference;
pub mod rng;
pub mod regions;
pub mod sequence;
pub mod share;
pub mod views;

#[cfg(feature = "model")]
pub mod model;
#[cfg(feature = "model")]
pub mod service;

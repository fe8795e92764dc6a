//! The page: what the tool is, where sequences go in, and what was read.

use leptos::prelude::*;

use crate::input::{InputPanel, Inputs, RecordList};

#[component]
pub fn App() -> impl IntoView {
    let inputs = Inputs::new();
    view! {
        <header class="masthead">
            <h1>"GenePheno Web"</h1>
            <p class="tagline">
                "Predicts which phenotype abnormalities a knockout of a gene may cause, from the gene's protein or coding sequence alone, and explains each prediction through Gene Ontology concepts."
            </p>
            <p class="privacy">"Everything runs in this page: your sequences are never uploaded."</p>
        </header>
        <main>
            <InputPanel inputs=inputs />
            <RecordList inputs=inputs />
        </main>
    }
}

//! Where sequences come in: a drop zone for files, a file picker, a text area for pasting, and an
//! example made of real proteins.

use leptos::prelude::*;
use web_sys::{DragEvent, FileList, HtmlInputElement};

use super::Inputs;
use genepheno::sequence::POLICY_TEXT;

/// Real human proteins (and one coding sequence) from public databases; see
/// public/examples/README.md for where each comes from.
const EXAMPLE: &[u8] = include_bytes!("../../public/examples/example.fasta");

#[component]
pub fn InputPanel(inputs: Inputs) -> impl IntoView {
    let dragging = RwSignal::new(false);
    let pasted = RwSignal::new(String::new());
    let picker = NodeRef::<leptos::html::Input>::new();

    // A file dropped beside the zone must not make the browser navigate away from the page.
    let _ = window_event_listener(leptos::ev::dragover, |ev| ev.prevent_default());
    let _ = window_event_listener(leptos::ev::drop, |ev| ev.prevent_default());

    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(files) = ev.data_transfer().and_then(|dt| dt.files()) {
            read_files(inputs, files);
        }
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input: HtmlInputElement = event_target(&ev);
        if let Some(files) = input.files() {
            read_files(inputs, files);
        }
        // Lets the same file be chosen again after a fix.
        input.set_value("");
    };
    let add_pasted = move |_| {
        let text = pasted.get_untracked();
        if !text.trim().is_empty() {
            inputs.add("pasted".into(), text.into_bytes());
            pasted.set(String::new());
        }
    };

    let open_picker = move || {
        if let Some(input) = picker.get() {
            input.click();
        }
    };

    view! {
        <section class="inputs" aria-label="Sequences">
            // The zone takes drops and mouse clicks anywhere on it; the keyboard reaches the real
            // "choose files" button inside it (a zone that is itself a button would nest the
            // picker's controls in a control, which screen readers cannot tell apart).
            <div
                class="drop-zone"
                class:dragging=move || dragging.get()
                data-testid="drop-zone"
                on:dragover=move |ev: DragEvent| {
                    ev.prevent_default();
                    dragging.set(true);
                }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop
                on:click=move |_| open_picker()
            >
                <p class="drop-title">"Drop FASTA files here"</p>
                <p class="drop-hint">
                    "or "
                    <button type="button" class="link" data-testid="choose-files"
                        on:click=move |ev| { ev.stop_propagation(); open_picker(); }>
                        "choose files"
                    </button>
                    " · one or many · .fa, .fasta, .faa, .fna, .txt, or gzip-compressed .gz"
                </p>
                <input
                    node_ref=picker
                    type="file"
                    multiple
                    class="visually-hidden"
                    tabindex="-1"
                    aria-label="Choose FASTA files"
                    data-testid="file-picker"
                    accept=".fa,.fasta,.faa,.fna,.ffn,.fas,.fsa,.seq,.txt,.gz,text/plain"
                    on:change=on_pick
                    on:click=|ev| ev.stop_propagation()
                />
            </div>
            <div class="paste">
                <label for="paste-area">"…or paste sequences (FASTA, or bare sequences separated by blank lines)"</label>
                <textarea
                    id="paste-area"
                    data-testid="paste-area"
                    rows="6"
                    spellcheck="false"
                    placeholder=">sp|P04637|P53_HUMAN Cellular tumor antigen p53\nMEEPQSDPSVEPPLSQETFSDLWKLLPENNVLSPLPSQAMDDLMLSPDDIEQWFTEDPGP…"
                    prop:value=move || pasted.get()
                    on:input=move |ev| pasted.set(event_target_value(&ev))
                ></textarea>
                <div class="buttons">
                    <button data-testid="read-pasted" on:click=add_pasted
                        disabled=move || pasted.with(|t| t.trim().is_empty())>
                        "Read pasted text"
                    </button>
                    <button class="secondary" data-testid="load-example"
                        on:click=move |_| inputs.add("example.fasta".into(), EXAMPLE.to_vec())>
                        "Load an example"
                    </button>
                    <button class="secondary" data-testid="clear" on:click=move |_| inputs.clear()
                        disabled=move || inputs.records.with(Vec::is_empty)
                            && inputs.file_problems.with(Vec::is_empty)>
                        "Clear all"
                    </button>
                </div>
            </div>
            <p class="policy" data-testid="length-policy"><strong>"Length policy. "</strong>{POLICY_TEXT}</p>
        </section>
    }
}

/// Reads each file of a drop or a pick; one unreadable file does not stop the others.
fn read_files(inputs: Inputs, files: FileList) {
    for i in 0..files.length() {
        let Some(file) = files.get(i) else { continue };
        let name = file.name();
        leptos::task::spawn_local(async move {
            match gloo_file::futures::read_as_bytes(&gloo_file::File::from(file)).await {
                Ok(bytes) => inputs.add(name, bytes),
                Err(e) => inputs.add_problem(name, format!("the browser could not read this file: {e}")),
            }
        });
    }
}

//! The list of records read so far: a summary, reading progress, problems with whole inputs, and
//! the records themselves a page at a time (tens of thousands of rows would not fit in a page).

use genepheno::sequence::{SequenceKind, SequenceRecord, Severity};
use leptos::prelude::*;

use super::Inputs;
use crate::format::group;
use crate::pager::Pager;
use super::ingest::Progress;

const PAGE_ROWS: usize = 100;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Filter {
    All,
    Ready,
    Problems,
}

/// What a row shows; small, so that a page of rows is cheap to build.
#[derive(Clone, PartialEq)]
struct Row {
    id: String,
    description: String,
    source: String,
    number: usize,
    length: String,
    kind: &'static str,
    ready: bool,
    problems: Vec<(Severity, String)>,
}

impl From<&SequenceRecord> for Row {
    fn from(r: &SequenceRecord) -> Self {
        let length = match (&r.kind, &r.protein) {
            (SequenceKind::TranslatedCds { nucleotides, .. }, Some(p)) => {
                format!("{} aa ({} nt)", group(p.len()), group(*nucleotides))
            }
            (_, Some(p)) => format!("{} aa", group(p.len())),
            (SequenceKind::Nucleotide, None) => format!("{} nt", group(r.given_length)),
            (_, None) => format!("{} letters", group(r.given_length)),
        };
        Row {
            id: r.id.clone(),
            description: r.description.clone(),
            source: r.source.clone(),
            number: r.number,
            length,
            kind: r.kind.label(),
            ready: r.is_ready(),
            problems: r.problems.iter().map(|p| (p.severity(), p.to_string())).collect(),
        }
    }
}

#[component]
pub fn RecordList(inputs: Inputs) -> impl IntoView {
    let filter = RwSignal::new(Filter::All);
    let page = RwSignal::new(0usize);
    let counts = Memo::new(move |_| {
        inputs.records.with(|r| {
            let ready = r.iter().filter(|r| r.is_ready()).count();
            let noted = r.iter().filter(|r| r.is_ready() && !r.problems.is_empty()).count();
            (r.len(), ready, noted)
        })
    });
    let shown = Memo::new(move |_| {
        let filter = filter.get();
        inputs.records.with(|records| {
            records
                .iter()
                .enumerate()
                .filter(|(_, r)| match filter {
                    Filter::All => true,
                    Filter::Ready => r.is_ready(),
                    Filter::Problems => !r.problems.is_empty(),
                })
                .map(|(i, _)| i)
                .collect::<Vec<_>>()
        })
    });
    let pages = move || shown.with(|s| s.len().div_ceil(PAGE_ROWS).max(1));
    // Keep the page in range when the filter or the inputs change.
    Effect::new(move |_| {
        let last = pages() - 1;
        if page.get_untracked() > last {
            page.set(last);
        }
    });
    let rows = move || {
        let start = page.get() * PAGE_ROWS;
        shown.with(|s| {
            inputs.records.with(|records| {
                s.iter().skip(start).take(PAGE_ROWS).map(|&i| Row::from(&records[i])).collect::<Vec<_>>()
            })
        })
    };

    view! {
        <section class="records" aria-label="Records read" data-testid="records">
            <For each=move || inputs.reading.get() key=|p| (p.key, p.bytes_read) children=progress_bar />
            // The live region is a wrapper: a list may not take the alert role (it would lose
            // its list semantics).
            <div role="alert" data-testid="file-problems">
                <ul class="file-problems">
                    <For
                        each=move || inputs.file_problems.get().into_iter().enumerate()
                        key=|(i, _)| *i
                        children=|(_, p)| view! { <li>{p.to_string()}</li> }
                    />
                </ul>
            </div>
            <Show when=move || { counts.get().0 > 0 }>
                <div class="summary" data-testid="summary">
                    {move || {
                        let (total, ready, noted) = counts.get();
                        let failed = total - ready;
                        format!(
                            "{} record{} · {} ready to score{} · {} not usable",
                            group(total), if total == 1 { "" } else { "s" }, group(ready),
                            if noted > 0 { format!(" ({} with notes)", group(noted)) } else { String::new() },
                            group(failed),
                        )
                    }}
                </div>
                <div class="list-controls">
                    <label>
                        "Show "
                        <select data-testid="show-filter" on:change=move |ev| {
                            filter.set(match event_target_value(&ev).as_str() {
                                "ready" => Filter::Ready,
                                "problems" => Filter::Problems,
                                _ => Filter::All,
                            });
                            page.set(0);
                        }>
                            <option value="all">"all records"</option>
                            <option value="ready">"ready to score"</option>
                            <option value="problems">"records with errors or notes"</option>
                        </select>
                    </label>
                    <Pager page=page total=Signal::derive(move || shown.with(Vec::len)) rows=PAGE_ROWS testid="pager" />
                </div>
                // Focusable: on a phone it scrolls sideways in its own box, and a keyboard must reach it.
                <table class="record-table" data-testid="record-table" tabindex="0" aria-label="Records read from your files">
                    <thead>
                        <tr>
                            <th scope="col">"Identifier"</th>
                            <th scope="col">"Description"</th>
                            <th scope="col">"Length"</th>
                            <th scope="col">"Read as"</th>
                            <th scope="col">"Status"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=rows key=|row| row.id.clone() children=record_row />
                    </tbody>
                </table>
            </Show>
        </section>
    }
}

fn progress_bar(p: Progress) -> impl IntoView {
    let mb = |b: usize| format!("{:.1}", b as f64 / 1_048_576.0);
    view! {
        <div class="reading" data-testid="reading" role="status">
            <label>
                {format!("Reading {}: {} of {} MB, {} records", p.source, mb(p.bytes_read), mb(p.total_bytes), group(p.records))}
                <progress max=p.total_bytes.to_string() value=p.bytes_read.to_string()></progress>
            </label>
        </div>
    }
}

fn record_row(row: Row) -> impl IntoView {
    let status = if row.ready { "ready" } else { "error" };
    let problems = row.problems.clone();
    view! {
        <tr class=format!("record {status}") data-testid="record-row" data-record-id=row.id.clone()>
            <td class="id">
                <span class="record-id">{row.id.clone()}</span>
                <span class="origin">{format!("{} #{}", row.source, row.number)}</span>
            </td>
            <td class="description" title=row.description.clone()>{row.description.clone()}</td>
            <td class="length">{row.length.clone()}</td>
            <td class="kind">{row.kind}</td>
            <td class="status">
                <span class=format!("badge {status}")>{if row.ready { "ready" } else { "not usable" }}</span>
                <ul class="problems">
                    {problems
                        .into_iter()
                        .map(|(severity, message)| {
                            let class = if severity == Severity::Error { "problem error" } else { "problem note" };
                            view! { <li class=class>{message}</li> }
                        })
                        .collect_view()}
                </ul>
            </td>
        </tr>
    }
}

//! The one pager of the page's long tables (the records read, the scored records): "← Previous",
//! which rows are shown of how many, "Next →".

use leptos::prelude::*;

use crate::format::group;

/// `page` is zero-based; `total` rows are shown `rows` at a time. `testid` names the pager and,
/// with `-next`, its Next button (two pagers can be on the page at once).
#[component]
pub fn Pager(page: RwSignal<usize>, #[prop(into)] total: Signal<usize>, rows: usize, testid: &'static str) -> impl IntoView {
    let pages = move || total.get().div_ceil(rows).max(1);
    view! {
        <div class="pager" data-testid=testid>
            <button class="secondary" on:click=move |_| page.update(|p| *p = p.saturating_sub(1))
                disabled=move || page.get() == 0>"← Previous"</button>
            <span>{move || {
                let n = total.get();
                let start = page.get() * rows;
                if n == 0 { "none".to_string() } else {
                    format!("{}–{} of {}", group(start + 1), group((start + rows).min(n)), group(n))
                }
            }}</span>
            <button class="secondary" data-testid=format!("{testid}-next") on:click=move |_| page.update(|p| *p += 1)
                disabled=move || { page.get() + 1 >= pages() }>"Next →"</button>
        </div>
    }
}

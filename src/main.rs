//! GenePheno Web: the browser app. Everything runs in this page; nothing the user gives it is sent
//! anywhere.

mod app;
mod input;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}

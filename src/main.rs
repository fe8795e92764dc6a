//! GenePheno Web: the browser app. Everything runs in this page and its worker; nothing the user
//! gives it is sent anywhere.

mod app;
mod browser;
mod format;
mod input;
mod kept;
mod offline;
mod pager;
mod predict;
mod results;
mod share;
mod tab;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}

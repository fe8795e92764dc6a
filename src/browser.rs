//! Small readings of the browser the page takes in several places.

/// Milliseconds on the page's monotonic clock (`performance.now()`); 0 where there is none.
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

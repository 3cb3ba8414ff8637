//! PDF text extraction as the `mamori pdf-text` child runs it. In a scan the
//! child's panics cost one file and its time and memory are limited, so a
//! panic is caught here as there; what the fuzzer looks for is what the
//! child's limits would have to stop: aborts, stack overflows, runaway
//! memory (`-rss_limit_mb`) and time (`-timeout`).
#![no_main]

use std::sync::Once;

use libfuzzer_sys::fuzz_target;

static QUIET: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    // libfuzzer-sys makes every panic an abort; the child does not.
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let _ = std::panic::catch_unwind(|| mamori::read::pdf::extract_pages(data));
});

//! The `mamori` command: a thin layer over the library.

mod cli;

/// mimalloc: a scan allocates many small, short-lived strings and vectors on
/// every worker; glibc's allocator spent a fifth of a dense scan in
/// malloc/free and contends between threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let code = cli::main();
    // Everything the command writes is written: its files are closed and
    // put in place, and the threads that wrote them have finished. What std
    // still buffers is stdout.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    exit_now(code)
}

/// Ends the process without the C library's exit handlers. The one that
/// costs is mimalloc's: it walks and frees the heaps every exited thread
/// left, which its own source calls unneeded for a stand-alone process,
/// and which took 3–4 ms of a share scan's end, on one core.
#[cfg(unix)]
fn exit_now(code: i32) -> ! {
    // SAFETY: `_exit` takes any status and does not return; nothing of this
    // process is used after it. Buffered output was flushed above.
    unsafe { libc::_exit(code) }
}

#[cfg(not(unix))]
fn exit_now(code: i32) -> ! {
    std::process::exit(code)
}

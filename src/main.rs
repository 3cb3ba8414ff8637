//! The `mamori` command: a thin layer over the library.

mod cli;

/// mimalloc: a scan allocates many small, short-lived strings and vectors on
/// every worker; glibc's allocator spent a fifth of a dense scan in
/// malloc/free and contends between threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(cli::main());
}

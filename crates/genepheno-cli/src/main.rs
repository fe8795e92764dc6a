//! The `genepheno` binary: parses its arguments and hands them to the library
//! (`genepheno_cli`), where every command lives, so that tests can drive commands too.

use clap::Parser;

fn main() -> anyhow::Result<()> {
    one_malloc_arena();
    genepheno_cli::run(genepheno_cli::Cli::parse())
}

/// glibc gives each thread that meets a busy arena a new one (up to 8 per core) and keeps what is
/// freed in an arena for that arena. `predict`'s reader, scorers and writer allocate and free each
/// batch's buffers on different threads, so resident memory crept up with the input's length
/// although nothing outlives its batch (peak resident, 2 threads, one run each: the human set
/// 104.6 MB, three copies 113.8 MB; with two arenas 99.8 MB and 110.7 MB for ten copies; with one
/// arena 97.0, 99.1 and 99.9 MB for one, three and ten copies, at the same speed: the scorers
/// spend their time in matrix products, not in malloc). A `MALLOC_ARENA_MAX` in the environment
/// is left to rule.
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only changes a malloc setting; called before any thread is started.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
}

//! The `migdiff` binary: everything lives in `migdiff-cli`; this stays thin.
// Reading big schemas allocates many small AST nodes; mimalloc does that
// markedly faster than glibc's allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    migdiff_cli::main()
}

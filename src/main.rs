//! The `migdiff` binary: everything lives in `migdiff-cli`; this stays thin.
fn main() -> std::process::ExitCode {
    migdiff_cli::main()
}

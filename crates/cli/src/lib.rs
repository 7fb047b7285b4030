//! The `migdiff` command line: clap's types (`args`), one context
//! (`context`), one file per command (`commands/`), and one place that
//! decides exit codes (`exit`). Library crates return typed errors; this
//! crate turns them into one-paragraph messages.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

mod args;
mod commands;
mod compare;
mod context;
mod declared;
mod dialects;
mod error;
mod exit;
mod hooks;
mod live;
mod model_cache;
mod replay;
pub mod report;
mod revision_syntax;
mod settings;
mod signals;
mod sqlalchemy;

use args::{Cli, ColorWhen};
pub use dialects::dialects;
pub use error::CliError;
pub use exit::{ExitStatus, Signal};

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            let status = if e.use_stderr() {
                ExitStatus::Error
            } else {
                ExitStatus::Success
            };
            return status.into();
        }
    };
    let choice = match cli.global.color {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitStatus::Error.into();
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(status) => status.into(),
        Err(e) => {
            let _ = writeln!(anstream::stderr(), "error: {}", e.message);
            e.status.into()
        }
    }
}

//! One file per command; [`run`] hands the parsed command line to it.

mod autogenerate;
mod check;
mod diff;
mod history;
mod lint;
mod snapshot;
mod verify;

use std::io::Write;

use crate::args::{Cli, Command};
use crate::context::Ctx;
use crate::exit::ExitStatus;
use crate::signals::with_ctrl_c;
use crate::{CliError, settings};

pub(crate) async fn run(cli: Cli) -> Result<ExitStatus, CliError> {
    let dir =
        std::env::current_dir().map_err(|e| CliError::usage(format!("no current folder: {e}")))?;
    let project = settings::load(
        &dir,
        cli.global.config.as_deref(),
        cli.global.url.as_deref(),
    )?;
    let ctx = Ctx {
        global: cli.global,
        project,
        models_declare_objects: Default::default(),
    };
    // A misspelled provider or dialect is refused whatever the command,
    // not only when one is needed.
    ctx.sandbox_provider()?;
    ctx.configured_dialect()?;
    match cli.command {
        Command::Snapshot { output, declared } => snapshot::run(&ctx, output, declared).await,
        Command::Diff { format, show_diff } => diff::run(&ctx, format, show_diff).await,
        Command::Check {
            format,
            show_diff,
            replay: true,
        } => with_ctrl_c(check::replay(&ctx, format, show_diff)).await,
        Command::Check {
            format, show_diff, ..
        } => check::live(&ctx, format, show_diff).await,
        Command::Verify { rev } => with_ctrl_c(verify::run(&ctx, rev)).await,
        Command::Autogenerate {
            message,
            rev_id,
            head,
            sql,
            verify,
            online,
        } => {
            let request = autogenerate::Request {
                message,
                rev_id,
                head,
                sql,
                verify,
                online: online || (!sql && ctx.project.file.online == Some(true)),
            };
            autogenerate::run(&ctx, request).await
        }
        Command::Lint { revs, all, format } => lint::run(&ctx, revs, all, format).await,
        Command::Heads => history::heads(&ctx),
        Command::History => history::history(&ctx),
        Command::Current => history::current(&ctx).await,
        Command::CatalogSql => {
            let mut stdout = anstream::stdout();
            // One dialect's queries (--dialect), else every dialect's.
            let only = ctx.configured_dialect()?;
            for q in crate::dialects::drivers()
                .iter()
                .filter(|d| only.is_none_or(|o| d.dialect() == o))
                .flat_map(|d| d.catalog_sql())
            {
                let _ = writeln!(stdout, "{q};");
            }
            Ok(ExitStatus::Success)
        }
    }
}

//! `migdiff heads`, `history` and `current`, printed as Alembic prints them.

use std::collections::BTreeSet;
use std::io::Write;

use crate::CliError;
use crate::context::Ctx;
use crate::exit::ExitStatus;

pub(crate) fn heads(ctx: &Ctx) -> Result<ExitStatus, CliError> {
    let graph = ctx.require_graph()?;
    let _ = write!(anstream::stdout(), "{}", graph.heads_text());
    Ok(ExitStatus::Success)
}

pub(crate) fn history(ctx: &Ctx) -> Result<ExitStatus, CliError> {
    let graph = ctx.require_graph()?;
    let _ = write!(anstream::stdout(), "{}", graph.history_text(&[]));
    Ok(ExitStatus::Success)
}

pub(crate) async fn current(ctx: &Ctx) -> Result<ExitStatus, CliError> {
    let graph = ctx.require_graph()?;
    let versions = ctx.applied_versions().await?;
    let heads: BTreeSet<String> = graph.heads().iter().map(|r| r.id.clone()).collect();
    let mut stdout = anstream::stdout();
    for v in versions {
        if !graph.revisions.contains_key(&v) {
            return Err(CliError::usage(format!(
                "the database is at revision {v}, which no revision file defines; check version_locations or the database"
            )));
        }
        let mut line = v.clone();
        if heads.contains(&v) {
            line.push_str(" (head)");
        }
        if graph.revisions.get(&v).is_some_and(|r| r.down.len() > 1) {
            line.push_str(" (mergepoint)");
        }
        let _ = writeln!(stdout, "{line}");
    }
    Ok(ExitStatus::Success)
}

//! `migdiff check`: the CI gate, against the live database or (with
//! `--replay`) against the migration history run in a throwaway database.

use std::io::Write;

use migdiff_model::{diff, drop_empty_schemas};

use crate::args::CheckFormat;
use crate::compare::{compare, settle_on_sandbox};
use crate::context::Ctx;
use crate::exit::ExitStatus;
use crate::{CliError, replay, report};

/// `check`: the live database against the declared schema, at the heads.
pub(crate) async fn live(
    ctx: &Ctx,
    format: CheckFormat,
    show_diff: bool,
) -> Result<ExitStatus, CliError> {
    let c = compare(ctx, true).await?;
    ctx.print_timings(&c.timings);
    let mut stdout = anstream::stdout();
    match format {
        CheckFormat::Text => {
            let _ = report::text(
                &mut stdout,
                &c.ops,
                &c.unverified,
                "the declared schema",
                c.dialect,
            );
            if show_diff && !c.ops.is_empty() {
                let _ = write!(
                    stdout,
                    "{}",
                    report::snapshot_diff(&c.ops, &c.live.schema, &c.declared, c.dialect)
                );
            }
        }
        CheckFormat::Json => {
            let _ = writeln!(stdout, "{}", report::json(&c.ops, &c.unverified, c.dialect));
        }
    }
    // Unverified is not clean: CI must not pass what was not proven.
    Ok(ExitStatus::findings_if(
        !c.ops.is_empty() || !c.unverified.is_empty(),
    ))
}

/// `check --replay`: the whole history run in a throwaway database, the
/// result compared with the declared schema.
pub(crate) async fn replay(
    ctx: &Ctx,
    format: CheckFormat,
    show_diff: bool,
) -> Result<ExitStatus, CliError> {
    let graph = ctx.require_graph()?;
    let (dialect, server, live_db) = ctx.dialect_for_sandbox()?;
    let Some(declared) = ctx.declared_for(dialect, None)? else {
        return Err(CliError::usage(
            "check --replay compares with a declared schema: pass --schema",
        ));
    };
    let sandbox = ctx
        .sandbox(dialect, server.as_deref(), live_db.as_deref())
        .await?;
    let Some(declared) = ctx
        .declared_on_sandbox(dialect, Some(declared), &sandbox)
        .await?
    else {
        return Err(CliError::usage(
            "check --replay compares with a declared schema: pass --schema",
        ));
    };
    if ctx.global.verbose {
        eprintln!(
            "replaying {} revisions in a {} ({})",
            graph.revisions.len(),
            sandbox.kind(),
            migdiff_driver::mask(sandbox.url())
        );
    }
    let runner = ctx.runner(&sandbox)?;
    let vt = ctx.version_table();
    if !graph.revisions.is_empty() {
        // The history failing to upgrade is an error, not drift.
        runner
            .alembic_chain(&["upgrade", "heads"], graph.revisions.len())
            .await
            .map_err(|e| CliError::usage(e.message))?;
    }
    let (mut built, versions) = replay::read(&sandbox, &vt).await?;
    let heads = graph.heads();
    let head_ids: Vec<&str> = heads.iter().map(|r| r.id.as_str()).collect();
    replay::check_injected(&versions, &head_ids, replay::sa_url_of(&runner))?;
    ctx.filter(&mut built);
    drop_empty_schemas(&mut built, &declared.schemas);
    let (declared, unverified) = settle_on_sandbox(&built, &declared, &sandbox).await?;
    drop(sandbox);
    let options = ctx.diff_options(dialect);
    let ops = diff(&built, &declared, &options);
    let mut stdout = anstream::stdout();
    match format {
        CheckFormat::Text => {
            let _ = report::text(
                &mut stdout,
                &ops,
                &unverified,
                "the declared schema (history replayed)",
                dialect,
            );
            if show_diff && !ops.is_empty() {
                let _ = write!(
                    stdout,
                    "{}",
                    report::snapshot_diff(&ops, &built, &declared, dialect)
                );
            }
        }
        CheckFormat::Json => {
            let _ = writeln!(stdout, "{}", report::json(&ops, &unverified, dialect));
        }
    }
    Ok(ExitStatus::findings_if(
        !ops.is_empty() || !unverified.is_empty(),
    ))
}

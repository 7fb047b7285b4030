//! `migdiff autogenerate`: the next Alembic revision, written as the
//! project's template, file naming and hooks say, optionally verified.

use std::io::Write;
use std::path::PathBuf;

use migdiff_alembic::{RenderOptions, revision};

use crate::compare::compare;
use crate::context::Ctx;
use crate::exit::ExitStatus;
use crate::signals::with_ctrl_c;
use crate::{CliError, hooks, sqlalchemy};

/// What `autogenerate` was asked for.
pub(crate) struct Request {
    pub(crate) message: String,
    pub(crate) rev_id: Option<String>,
    pub(crate) head: Option<String>,
    /// Print the upgrade as SQL instead of writing a file.
    pub(crate) sql: bool,
    /// Verify the new revision; remove it if that fails.
    pub(crate) verify: bool,
    /// The online-safe forms (PostgreSQL).
    pub(crate) online: bool,
}

pub(crate) async fn run(ctx: &Ctx, request: Request) -> Result<ExitStatus, CliError> {
    let written = write_revision(
        ctx,
        &request.message,
        request.rev_id,
        request.head,
        request.sql,
        request.online,
    )
    .await?;
    let Some((path, rev)) = written.filter(|_| request.verify) else {
        return Ok(ExitStatus::Success);
    };
    match with_ctrl_c(super::verify::run(ctx, Some(rev))).await {
        Ok(ExitStatus::Success) => Ok(ExitStatus::Success),
        Ok(status) => {
            let _ = std::fs::remove_file(&path);
            eprintln!("verification failed: removed {}", path.display());
            Ok(status)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            Err(CliError {
                message: format!(
                    "{}\nverification failed: removed {}",
                    e.message,
                    path.display()
                ),
                status: e.status,
            })
        }
    }
}

/// Writes the revision (or prints its SQL); the file and its id when one
/// was written.
pub(crate) async fn write_revision(
    ctx: &Ctx,
    message: &str,
    rev_id: Option<String>,
    head: Option<String>,
    sql: bool,
    online: bool,
) -> Result<Option<(PathBuf, String)>, CliError> {
    let graph = ctx.require_graph()?;
    let Some(alembic) = ctx.project.alembic.clone() else {
        return Err(CliError::usage("no Alembic project"));
    };
    let down: Vec<String> = match &head {
        Some(h) => vec![graph.resolve(h)?.id.clone()],
        None => {
            let heads = graph.heads();
            if heads.len() > 1 {
                return Err(CliError::usage(format!(
                    "Multiple head revisions are present ({}); pass --head REV to build on one, or merge them with `alembic merge heads`",
                    heads
                        .iter()
                        .map(|r| r.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            heads.iter().map(|r| r.id.clone()).collect()
        }
    };
    let rev_id = match rev_id {
        Some(id) => {
            revision::check_rev_id(&id)?;
            if graph.revisions.contains_key(&id) {
                return Err(CliError::usage(format!(
                    "revision {id} already exists; choose another --rev-id"
                )));
            }
            id
        }
        None => revision::new_rev_id(),
    };
    let c = compare(ctx, head.is_none()).await?;
    if let Some(h) = &head {
        let current = c.live.versions.clone().unwrap_or_default();
        if !current.contains(h) && !down.iter().all(|d| current.contains(d)) {
            return Err(CliError::not_at_head(format!(
                "Target database is not up to date: it is not at {h}. Run `alembic upgrade {h}` first."
            )));
        }
    }
    ctx.print_timings(&c.timings);
    let mut out = anstream::stdout();
    if c.ops.is_empty() {
        let _ = writeln!(out, "No changes in schema detected.");
        return Ok(None);
    }
    let dialect_render = c.dialect.renderer();
    if sql {
        for s in dialect_render.render_sql(&c.ops, &c.live.schema) {
            let _ = writeln!(out, "{s};");
        }
        return Ok(None);
    }
    if online {
        refuse_offline_only(&c.ops, &c.live.schema, c.dialect)?;
    }
    let opts = RenderOptions {
        dialect: dialect_render,
        batch: ctx.batch(c.dialect),
        hints: Some(&c.hints),
        online,
    };
    let bodies = migdiff_alembic::revision_bodies(&c.ops, &c.live.schema, &opts);
    let date = revision::create_date(alembic.timezone.as_deref())?;
    let slug = revision::slug(message, alembic.truncate_slug_length);
    let name = revision::file_name(&alembic.file_template, &rev_id, &slug, &date)?;
    let versions_dir = alembic
        .version_locations
        .first()
        .cloned()
        .unwrap_or_else(|| alembic.script_location.join("versions"));
    let path = versions_dir.join(name);
    let script = revision::render_script(
        Some(&alembic.script_location.join("script.py.mako")),
        &revision::NewRevision {
            rev_id: rev_id.clone(),
            message,
            down_revisions: down,
            imports: bodies.imports,
            upgrades: bodies.upgrades,
            downgrades: bodies.downgrades,
        },
        &date,
    )?;
    revision::write_new_file(&path, &script)?;
    let shown = path.canonicalize().unwrap_or(path);
    let _ = writeln!(out, "Generating {} ...  done", shown.display());
    if !alembic.post_write_hooks.is_empty() {
        let python = sqlalchemy::find_python(ctx.project.file.python.as_deref(), &ctx.project.dir);
        hooks::run(&alembic.post_write_hooks, &shown, &python, ctx.global.quiet)?;
    }
    Ok(Some((shown, rev_id)))
}

/// `--online` writes the dialect's online-safe forms; a change that has
/// none (PostgreSQL: a rewriting type change or default; MySQL: what the
/// server would copy the table for) is refused with the recipe that gets
/// there without a long lock.
fn refuse_offline_only(
    ops: &[migdiff_model::Op],
    live: &migdiff_model::Schema,
    dialect: migdiff_model::Dialect,
) -> Result<(), CliError> {
    let refused = migdiff_alembic::online_refusals(ops, live, dialect.renderer()).map_err(|e| {
        CliError::usage(format!(
            "--online: {e}; leave out --online (and `online = true` in migdiff.toml)"
        ))
    })?;
    if refused.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = refused
        .iter()
        .map(|r| {
            format!(
                "  {} [{}]: {}; instead: {}",
                r.op,
                r.rule.name(),
                r.rule.why(),
                r.rule.fix()
            )
        })
        .collect();
    Err(CliError::usage(format!(
        "--online: {} change{} cannot be made without locking a busy table for as long as a rewrite takes; nothing was written:\n{}\nMake {} in steps (the recipe above), or write this revision without --online.",
        refused.len(),
        if refused.len() == 1 { "" } else { "s" },
        lines.join("\n"),
        if refused.len() == 1 { "it" } else { "them" },
    )))
}

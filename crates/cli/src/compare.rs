//! The comparison at the heart of `diff`, `check` and `autogenerate`:
//! the declared schema read while the database is introspected, both
//! filtered, expressions settled, then diffed.

use std::collections::BTreeSet;
use std::time::Instant;

use migdiff_alembic::graph::Graph;
use migdiff_model::{Dialect, DiffOptions, Op, Schema, diff, drop_empty_schemas};

use crate::context::Ctx;
use crate::{CliError, declared, dialects, live, replay};

pub(crate) struct Comparison {
    pub(crate) live: live::Live,
    pub(crate) declared: Schema,
    pub(crate) hints: migdiff_alembic::ModelHints,
    /// What could not be settled without a scratch database.
    pub(crate) unverified: Vec<String>,
    pub(crate) ops: Vec<Op>,
    pub(crate) dialect: Dialect,
    pub(crate) timings: Vec<(&'static str, std::time::Duration)>,
}

pub(crate) async fn compare(ctx: &Ctx, head_check: bool) -> Result<Comparison, CliError> {
    let url = ctx.url()?;
    let dialect = ctx.dialect()?;
    let source = ctx.schema_source()?;
    let py = ctx.python_env();
    // Reading the declared schema is client CPU work and introspection
    // mostly waits on the server: the two run at the same time.
    let dir = ctx.project.dir.clone();
    let reading = tokio::task::spawn_blocking(move || {
        let t = Instant::now();
        declared::load(&source, dialect, None, &dir, &py).map(|s| (s, t.elapsed()))
    });
    // Without the version table (filtered out) there is no head to check.
    let graph = if head_check && ctx.version_table_to_read().is_some() {
        ctx.graph()?
    } else {
        None
    };
    let live = live::load(
        url.as_ref(),
        &ctx.include_schemas(),
        ctx.version_table_to_read().as_ref(),
    )
    .await;
    let (loaded, read_time) = reading
        .await
        .map_err(|e| CliError::usage(format!("reading the declared schema failed: {e}")))??;
    let mut live = live?;
    // Read before the server's version was known: PostgreSQL 18 makes a
    // generated column without STORED virtual (read again, from the cache
    // for models).
    let loaded = match live.server_major {
        Some(major) if major >= 18 && loaded.depends_on_server_major => {
            let (source, py) = (ctx.schema_source()?, ctx.python_env());
            declared::load(&source, dialect, Some(major), &ctx.project.dir, &py)?
        }
        _ => loaded,
    };
    let declared::Declared {
        schema: mut declared,
        hints,
        ..
    } = loaded;
    if let Some(graph) = &graph {
        check_at_head(graph, live.versions.as_deref().unwrap_or(&[]))?;
    }
    ctx.check_filters_match(dialect, &live.schema, &declared)?;
    ctx.note_declared(&declared);
    ctx.filter(&mut live.schema);
    ctx.filter(&mut declared);
    drop_empty_schemas(&mut live.schema, &declared.schemas);
    // Expressions the server would store differently are settled in a
    // throwaway database, by the dialect's driver.
    let unverified = {
        let t = Instant::now();
        // The scratch database comes from where every throwaway database
        // does: --dev-url, else the live server, as --sandbox allows.
        let dev = ctx
            .global
            .dev_url
            .clone()
            .or_else(|| ctx.project.file.dev_url.clone());
        // A dev server the user named is the only place auto looks.
        let provider = match ctx.sandbox_provider()? {
            migdiff_sandbox::Provider::Auto if dev.is_some() => migdiff_sandbox::Provider::Server,
            chosen => chosen,
        };
        let server = dev.or_else(|| ctx.project.url.as_ref().map(|(u, _)| u.clone()));
        let database = url.database_name().unwrap_or_default();
        let unverified = dialects::driver(dialect)?
            .settle(
                &live.schema,
                &mut declared,
                server.as_deref(),
                &database,
                provider,
            )
            .await
            .map_err(|e| CliError::usage(e.0))?;
        if ctx.global.verbose {
            eprintln!(
                "settle expressions: {:.1} ms",
                t.elapsed().as_secs_f64() * 1000.0
            );
        }
        unverified
    };
    let t = Instant::now();
    let options = DiffOptions {
        column_renames: ctx.renames(dialect)?,
        ..ctx.diff_options(dialect)
    };
    let ops = diff(&live.schema, &declared, &options);
    let diff_time = t.elapsed();
    if ctx.global.verbose {
        eprintln!("catalog queries: {}", live.queries);
    }
    let timings = vec![
        ("connect", live.connect_time),
        ("introspect", live.introspect_time),
        ("read declared schema", read_time),
        ("diff", diff_time),
    ];
    Ok(Comparison {
        live,
        declared,
        hints,
        unverified,
        ops,
        dialect,
        timings,
    })
}

fn check_at_head(graph: &Graph, current: &[String]) -> Result<(), CliError> {
    if let Some(unknown) = current.iter().find(|v| !graph.revisions.contains_key(*v)) {
        return Err(CliError::usage(format!(
            "the database is at revision {unknown}, which no revision file defines; check version_locations, or whether this is the right database"
        )));
    }
    let heads: BTreeSet<&str> = graph.heads().iter().map(|r| r.id.as_str()).collect();
    let cur: BTreeSet<&str> = current.iter().map(String::as_str).collect();
    if heads != cur {
        let fmt = |s: &BTreeSet<&str>| {
            if s.is_empty() {
                "no revision".to_string()
            } else {
                s.iter().copied().collect::<Vec<_>>().join(", ")
            }
        };
        return Err(CliError::not_at_head(format!(
            "Target database is not up to date: it is at {}, the revision graph's heads are {}. Run `alembic upgrade head` first, or compare the migration history instead of this database with `migdiff check --replay`.",
            fmt(&cur),
            fmt(&heads)
        )));
    }
    Ok(())
}

pub(crate) fn differences(a: &Schema, b: &Schema, options: &DiffOptions) -> Vec<Op> {
    let mut a = a.clone();
    drop_empty_schemas(&mut a, &b.schemas);
    diff(&a, b, options)
}

/// The declared schema with expressions the server rewrites settled on the
/// sandbox's own server (a throwaway database there).
pub(crate) async fn settle_on_sandbox(
    built: &Schema,
    declared: &Schema,
    sandbox: &migdiff_sandbox::Sandbox,
) -> Result<(Schema, Vec<String>), CliError> {
    let mut declared = declared.clone();
    let url = replay::db_url_of(sandbox)?;
    let db = url.database_name().unwrap_or_default();
    // A second throwaway database beside the sandbox's, on its server.
    let unverified = dialects::driver(url.dialect())?
        .settle(
            built,
            &mut declared,
            Some(sandbox.url()),
            &db,
            migdiff_sandbox::Provider::Server,
        )
        .await
        .map_err(|e| CliError::usage(e.0))?;
    Ok((declared, unverified))
}

//! Settling the objects beyond tables: the declared schema, tables and
//! all, is created in a scratch database in the order a revision would
//! create it (migdiff's own SQL for the ops that build it from nothing),
//! and its views, functions, triggers and extensions are read back as the
//! live ones are. The declared objects then hold what the server makes of
//! them — definitions as it prints them, view columns and types, function
//! results and arguments, the dependency edges of `pg_depend` — and keep
//! the text the DDL wrote for revisions. Only when some declared object
//! differs from the live one as written; without a scratch database those
//! are reported unverified and take the live definition (never drift).

use migdiff_driver::DriverError;
use migdiff_model::*;
use sqlx::Connection;

/// Whether the declared objects are, as written, exactly the live ones.
fn settled_as_written(live: &Schema, declared: &Schema) -> bool {
    let views = live.views.len() == declared.views.len()
        && declared.views.iter().all(|(n, d)| {
            live.views
                .get(n)
                .is_some_and(|l| l.same_definition(d) && l.indexes == d.indexes)
        });
    let functions = live.functions.len() == declared.functions.len()
        && declared
            .functions
            .iter()
            .all(|(id, d)| live.functions.get(id).is_some_and(|l| l.same_definition(d)));
    let triggers = live.triggers.len() == declared.triggers.len()
        && declared
            .triggers
            .iter()
            .all(|(id, d)| live.triggers.get(id).is_some_and(|l| l.same_definition(d)));
    let domains = live.domains.len() == declared.domains.len()
        && declared
            .domains
            .iter()
            .all(|(n, d)| live.domains.get(n).is_some_and(|l| l == d));
    views && functions && triggers && domains
}

/// What could not be settled, described for the report.
fn in_question(live: &Schema, declared: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for (n, d) in &declared.views {
        if live.views.get(n).is_some_and(|l| !l.same_definition(d)) {
            out.push(format!("definition of view {n}"));
        }
    }
    for (id, d) in &declared.functions {
        if live
            .functions
            .get(id)
            .is_some_and(|l| !l.same_definition(d))
        {
            out.push(format!("definition of function {id}"));
        }
    }
    for (id, d) in &declared.triggers {
        if live.triggers.get(id).is_some_and(|l| !l.same_definition(d)) {
            out.push(format!("definition of trigger {id}"));
        }
    }
    for (n, d) in &declared.domains {
        if live
            .domains
            .get(n)
            .is_some_and(|l| l.checks != d.checks || l.default != d.default)
        {
            out.push(format!("default and checks of domain {n}"));
        }
    }
    out
}

/// Without a scratch database: objects on both sides whose text differs
/// take the live definition (reported unverified instead of drift).
fn take_live_definitions(live: &Schema, declared: &mut Schema) {
    for (n, d) in declared.views.iter_mut() {
        if let Some(l) = live.views.get(n) {
            if !l.same_definition(d) {
                d.query = l.query.clone();
                d.options = l.options.clone();
            }
            d.columns = l.columns.clone();
            d.depends_on = l.depends_on.clone();
        }
    }
    for (id, d) in declared.functions.iter_mut() {
        if let Some(l) = live.functions.get(id) {
            if !l.same_definition(d) {
                d.definition = l.definition.clone();
            }
            d.result = l.result.clone();
            d.arguments = l.arguments.clone();
        }
    }
    for (id, d) in declared.triggers.iter_mut() {
        if let Some(l) = live.triggers.get(id) {
            if !l.same_definition(d) {
                d.definition = l.definition.clone();
            }
            d.depends_on = l.depends_on.clone();
        }
    }
    for (n, d) in declared.domains.iter_mut() {
        if let Some(l) = live.domains.get(n) {
            d.checks = l.checks.clone();
            d.default = l.default.clone();
        }
    }
}

pub(crate) async fn settle(
    live: &Schema,
    declared: &mut Schema,
    server: Option<&str>,
    live_database: &str,
    provider: migdiff_sandbox::Provider,
) -> Result<Vec<String>, DriverError> {
    if !declared.has_objects() || settled_as_written(live, declared) {
        return Ok(Vec::new());
    }
    let sandbox = migdiff_sandbox::postgres(server, Some(live_database), provider).await;
    let Ok(sandbox) = sandbox else {
        let unverified = in_question(live, declared);
        take_live_definitions(live, declared);
        return Ok(unverified);
    };
    let options = migdiff_sandbox::pg_options(sandbox.url())
        .map_err(|e| DriverError(format!("throwaway database URL: {e}")))?;
    let mut conn = migdiff_sandbox::connect_pg(&options).await.map_err(|e| {
        DriverError(format!(
            "cannot connect to the scratch database: {}",
            crate::server_error(&e)
        ))
    })?;
    // The whole declared schema, as a revision would build it; function
    // bodies are checked when they run, as pg_dump's output has them.
    let ops = diff(&Schema::default(), declared, &DiffOptions::default());
    let mut script = vec![
        "SET synchronous_commit = off".to_string(),
        "SET check_function_bodies = off".to_string(),
    ];
    script.extend(crate::render_sql(&ops));
    crate::settle::run_batched(&mut conn, &script).await?;
    let settled = crate::introspect(&mut conn, &Default::default())
        .await
        .map_err(|e| DriverError(format!("scratch database: {e}")))?
        .schema;
    let _ = conn.close().await;
    take_settled(declared, settled);
    Ok(Vec::new())
}

/// The text a settled object is created with: as written, unless it was
/// written under another search path (the server's text names every
/// object with its schema, and needs none).
fn written(as_written: &Option<String>, search_path: &Option<String>) -> Option<String> {
    match search_path {
        Some(_) => None,
        None => as_written.clone(),
    }
}

/// The declared objects as the server made them, with the text the DDL
/// wrote kept for revisions.
fn take_settled(declared: &mut Schema, settled: Schema) {
    let settled_domains = settled.domains;
    let mut views = settled.views;
    for (name, v) in views.iter_mut() {
        if let Some(d) = declared.views.get(name) {
            v.as_written = written(&d.as_written, &d.search_path);
            // A refresh, not the schema, decides whether it has rows.
            v.with_data = d.with_data;
            // The scratch database's role owns everything there.
            v.owner = d.owner.clone();
        }
    }
    let mut functions = settled.functions;
    for f in functions.values_mut() {
        // By identity, else the one function of that name as written.
        let written = declared.functions.get(&f.id).or_else(|| {
            let mut same_name = declared
                .functions
                .values()
                .filter(|d| d.id.name == f.id.name);
            match (same_name.next(), same_name.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        });
        // A body is text the server keeps as written: it names what the
        // search path finds, when it is created and when it runs.
        if let Some(d) = written {
            f.as_written = d.as_written.clone();
            f.search_path = d.search_path.clone();
            f.owner = d.owner.clone();
        }
    }
    let mut triggers = settled.triggers;
    for (id, t) in triggers.iter_mut() {
        if let Some(d) = declared.triggers.get(id) {
            t.as_written = written(&d.as_written, &d.search_path);
        }
    }
    let mut extensions = settled.extensions;
    for (name, e) in extensions.iter_mut() {
        // Versions and comments are the declared side's to state.
        let d = declared.extensions.get(name);
        e.version = d.and_then(|d| d.version.clone());
        e.comment = d.and_then(|d| d.comment.clone());
    }
    // Extensions the scratch database had from its template are not declared.
    extensions.retain(|n, _| declared.extensions.contains_key(n));
    // A domain's default and checks as the server stores them; the rest
    // is compared as declared.
    for (name, d) in declared.domains.iter_mut() {
        if let Some(s) = settled_domains.get(name) {
            d.checks = s.checks.clone();
            d.default = s.default.clone();
        }
    }
    declared.views = views;
    declared.functions = functions;
    declared.triggers = triggers;
    declared.extensions = extensions;
}

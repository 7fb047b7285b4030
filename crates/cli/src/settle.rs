//! Settling expressions through the server. PostgreSQL rewrites some
//! expressions when it stores them (`lower(name)` on a varchar becomes
//! `lower((name)::text)`, `x IN (...)` becomes `= ANY (ARRAY[...])`), which
//! offline normalization cannot know. Only the tables whose expressions
//! still differ are created in a scratch database — a temporary database on
//! the live server, or `--dev-url` — and read back; the server's own
//! rendering then replaces the declared text. The user's database is never
//! written. Without a scratch database the tables are reported unverified.

use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use migdiff_model::{Dialect, Schema, Table};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};

use crate::error::CliError;

/// True when a declared table's expressions differ from the live one's.
fn in_question(live: &Table, declared: &Table) -> bool {
    let checks = declared.checks.iter().any(|c| {
        live.checks
            .iter()
            .any(|l| l.name.is_some() && l.name == c.name && l.expr != c.expr)
    });
    let indexes = declared.indexes.iter().any(|i| {
        live.indexes.iter().any(|l| {
            l.name == i.name
                && l.keys.len() == i.keys.len()
                && (l.predicate != i.predicate
                    || l.keys
                        .iter()
                        .zip(&i.keys)
                        .any(|(a, b)| a.target != b.target))
        })
    });
    let columns = declared.columns.iter().any(|c| {
        live.column(&c.name).is_some_and(|l| {
            (l.default.is_some() && c.default.is_some() && l.default != c.default)
                || (l.generated.is_some() && c.generated.is_some() && l.generated != c.generated)
        })
    });
    checks || indexes || columns
}

/// Replaces declared expressions by the server's rendering of them.
fn adopt(declared: &mut Table, settled: &Table) {
    for c in &mut declared.checks {
        if let Some(s) = settled.checks.iter().find(|s| s.name == c.name) {
            c.expr = s.expr.clone();
        }
    }
    for i in &mut declared.indexes {
        if let Some(s) = settled.indexes.iter().find(|s| s.name == i.name) {
            i.predicate = s.predicate.clone();
            for (k, sk) in i.keys.iter_mut().zip(&s.keys) {
                k.target = sk.target.clone();
            }
        }
    }
    for c in &mut declared.columns {
        if let Some(s) = settled.column(&c.name) {
            if c.default.is_some() {
                c.default = s.default.clone();
            }
            if c.generated.is_some() {
                c.generated = s.generated.clone();
            }
        }
    }
    declared.canonicalize();
}

fn scratch_name() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!(
        "migdiff_tmp_{secs}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// Drops `migdiff_tmp_<epoch>_*` databases older than an hour (left behind
/// by a killed run).
async fn sweep(admin: &mut PgConnection) {
    let Ok(names) = sqlx::query_scalar::<_, String>(
        "select datname::text from pg_database where datname like 'migdiff\\_tmp\\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    else {
        return;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    for name in names {
        let epoch = name
            .strip_prefix("migdiff_tmp_")
            .and_then(|r| r.split('_').next())
            .and_then(|e| e.parse::<u64>().ok());
        if epoch.is_some_and(|e| now.saturating_sub(e) > 3600) {
            let sql = format!("drop database if exists \"{name}\" with (force)");
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut *admin)
                .await;
        }
    }
}

/// Settles the expressions in question. Returns the tables that could not
/// be settled (no scratch database), described for the report.
pub async fn settle(
    live: &Schema,
    declared: &mut Schema,
    live_options: &PgConnectOptions,
    live_database: &str,
    dev_url: Option<&str>,
) -> Result<Vec<String>, CliError> {
    let questioned: Vec<_> = declared
        .tables
        .iter()
        .filter(|(name, t)| live.tables.get(*name).is_some_and(|l| in_question(l, t)))
        .map(|(name, _)| name.clone())
        .collect();
    if questioned.is_empty() {
        return Ok(Vec::new());
    }
    let unverified = || {
        questioned
            .iter()
            .map(|n| format!("expressions of table {n}"))
            .collect::<Vec<_>>()
    };

    // The server to create the scratch database on.
    let admin_options = match dev_url {
        Some(u) => PgConnectOptions::from_str(&u.replacen("postgresql", "postgres", 1))
            .map_err(|e| CliError::usage(format!("--dev-url {}: {e}", crate::url::mask(u))))?,
        None => live_options.clone(),
    };
    let Ok(mut admin) = admin_options
        .clone()
        .disable_statement_logging()
        .connect()
        .await
    else {
        return Ok(unverified());
    };
    sweep(&mut admin).await;
    let name = scratch_name();
    if name == live_database {
        return Ok(unverified());
    }
    let create = format!("create database \"{name}\" template template0");
    if sqlx::raw_sql(sqlx::AssertSqlSafe(create))
        .execute(&mut admin)
        .await
        .is_err()
    {
        let _ = admin.close().await;
        return Ok(unverified());
    }
    let result = settle_in(
        &admin_options.clone().database(&name),
        declared,
        &questioned,
    )
    .await;
    let drop = format!("drop database if exists \"{name}\" with (force)");
    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
        .execute(&mut admin)
        .await;
    let _ = admin.close().await;
    match result {
        Ok(()) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

async fn settle_in(
    options: &PgConnectOptions,
    declared: &mut Schema,
    questioned: &[migdiff_model::ObjectName],
) -> Result<(), CliError> {
    let mut conn = options
        .clone()
        .disable_statement_logging()
        .connect()
        .await
        .map_err(|e| CliError::usage(format!("cannot connect to the scratch database: {e}")))?;
    let mut ddl: Vec<String> = Vec::new();
    for s in &declared.schemas {
        ddl.push(format!(
            "CREATE SCHEMA {}",
            migdiff_sqlexpr::quote_ident(s, Dialect::Postgresql)
        ));
    }
    let mut setup: Vec<migdiff_model::Op> = Vec::new();
    setup.extend(
        declared
            .enums
            .values()
            .cloned()
            .map(migdiff_model::Op::CreateEnum),
    );
    setup.extend(
        declared
            .sequences
            .values()
            .cloned()
            .map(migdiff_model::Op::CreateSequence),
    );
    for name in questioned {
        if let Some(t) = declared.tables.get(name) {
            let mut t = t.clone();
            // Only the table's own expressions matter; FKs would need others.
            t.foreign_keys.clear();
            let indexes = std::mem::take(&mut t.indexes);
            setup.push(migdiff_model::Op::CreateTable(t));
            for index in indexes {
                setup.push(migdiff_model::Op::CreateIndex {
                    table: name.clone(),
                    index,
                });
            }
        }
    }
    ddl.extend(migdiff_postgres::render_sql(&setup));
    for statement in ddl {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
            .execute(&mut conn)
            .await
            .map_err(|e| {
                CliError::usage(format!(
                    "the declared schema does not load into a scratch database: {e}\n    {}",
                    statement.lines().next().unwrap_or("")
                ))
            })?;
    }
    let settled = migdiff_postgres::introspect(&mut conn, &Default::default())
        .await
        .map_err(|e| CliError::usage(format!("scratch database: {e}")))?
        .schema;
    let _ = conn.close().await;
    for name in questioned {
        if let (Some(d), Some(s)) = (declared.tables.get_mut(name), settled.tables.get(name)) {
            adopt(d, s);
        }
    }
    Ok(())
}

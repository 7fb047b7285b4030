//! Settling expressions through the server. PostgreSQL rewrites some
//! expressions when it stores them (`lower(name)` on a varchar becomes
//! `lower((name)::text)`, `x IN (...)` becomes `= ANY (ARRAY[...])`), which
//! offline normalization cannot know. Only the tables whose expressions
//! still differ are created in a scratch database — a temporary database on
//! the live server, or `--dev-url` — and read back; the server's own
//! rendering then replaces the declared text. The user's database is never
//! written. Without a scratch database the tables are reported unverified.
//! The scratch database comes from `migdiff-sandbox` (cleanup, sweeping).

use std::str::FromStr;

use migdiff_model::{IndexTarget, Schema, Table};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

use migdiff_driver::DriverError;

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

/// Gives the declared table the live spelling of exactly the expressions
/// `in_question` looks at (both sides have them, under the same name).
fn take_questioned_from(declared: &mut Table, live: &Table) {
    for c in &mut declared.checks {
        if let Some(l) = live
            .checks
            .iter()
            .find(|l| l.name.is_some() && l.name == c.name)
        {
            c.expr = l.expr.clone();
        }
    }
    for i in &mut declared.indexes {
        if let Some(l) = live
            .indexes
            .iter()
            .find(|l| l.name == i.name && l.keys.len() == i.keys.len())
        {
            // A predicate added or removed is a change, not a spelling.
            if i.predicate.is_some() && l.predicate.is_some() {
                i.predicate = l.predicate.clone();
            }
            for (k, lk) in i.keys.iter_mut().zip(&l.keys) {
                if matches!(k.target, IndexTarget::Expression(_))
                    && matches!(lk.target, IndexTarget::Expression(_))
                {
                    k.target = lk.target.clone();
                }
            }
        }
    }
    for c in &mut declared.columns {
        if let Some(l) = live.column(&c.name) {
            if c.default.is_some() && l.default.is_some() {
                c.default = l.default.clone();
            }
            if c.generated.is_some() && l.generated.is_some() {
                c.generated = l.generated.clone();
            }
        }
    }
    declared.canonicalize();
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

/// Settles the expressions in question. Returns the tables that could not
/// be settled (no scratch database), described for the report.
pub(crate) async fn settle(
    live: &Schema,
    declared: &mut Schema,
    server: Option<&str>,
    live_database: &str,
    provider: migdiff_sandbox::Provider,
) -> Result<Vec<String>, DriverError> {
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

    // A throwaway database from the chosen provider; none at all is not an
    // error here: the tables in question are reported as unverified.
    let sandbox = migdiff_sandbox::postgres(server, Some(live_database), provider).await;
    let Ok(sandbox) = sandbox else {
        // Unverified is never drift: the expressions in question take the
        // live spelling, so no op (and no no-op `alter_column`) comes of
        // them; the tables are reported as unverified instead.
        for name in &questioned {
            if let (Some(d), Some(l)) = (declared.tables.get_mut(name), live.tables.get(name)) {
                take_questioned_from(d, l);
            }
        }
        return Ok(unverified());
    };
    let options = PgConnectOptions::from_str(sandbox.url())
        .map_err(|e| DriverError(format!("throwaway database URL: {e}")))?;
    // The sandbox drops itself, whatever settle_in returns.
    settle_in(&options, declared, &questioned).await?;
    Ok(Vec::new())
}

async fn settle_in(
    options: &PgConnectOptions,
    declared: &mut Schema,
    questioned: &[migdiff_model::ObjectName],
) -> Result<(), DriverError> {
    let mut conn = options
        .clone()
        .disable_statement_logging()
        .connect()
        .await
        .map_err(|e| {
            DriverError(format!(
                "cannot connect to the scratch database: {}",
                crate::server_error(&e)
            ))
        })?;
    let mut ddl: Vec<String> = Vec::new();
    for s in &declared.schemas {
        ddl.push(format!(
            "CREATE SCHEMA {}",
            migdiff_sqlexpr::quote_ident(s, crate::DIALECT)
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
    ddl.extend(crate::render_sql(&setup));
    for statement in ddl {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
            .execute(&mut conn)
            .await
            .map_err(|e| {
                DriverError(format!(
                    "the declared schema does not load into a scratch database: {}\n    {}",
                    crate::server_error(&e),
                    statement.lines().next().unwrap_or("")
                ))
            })?;
    }
    let settled = crate::introspect(&mut conn, &Default::default())
        .await
        .map_err(|e| DriverError(format!("scratch database: {e}")))?
        .schema;
    let _ = conn.close().await;
    for name in questioned {
        if let (Some(d), Some(s)) = (declared.tables.get_mut(name), settled.tables.get(name)) {
            adopt(d, s);
        }
    }
    Ok(())
}

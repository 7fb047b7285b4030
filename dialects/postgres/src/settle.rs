//! Settling expressions through the server. PostgreSQL rewrites some
//! expressions when it stores them (`lower(name)` on a varchar becomes
//! `lower((name)::text)`, `x IN (...)` becomes `= ANY (ARRAY[...])`), which
//! offline normalization cannot know. Each expression that still differs
//! gets the smallest table that holds it (the columns it names, the one
//! CHECK, index or default) in a scratch database — a temporary database
//! on the live server, or `--dev-url` — and is read back; the server's own
//! rendering then replaces the declared text. The same expression over
//! columns of the same types is probed once (generated models repeat
//! theirs table after table), probes whose columns agree share a scratch
//! table, and the tables are created a batch of statements at a time,
//! without waiting for the disk: at 1,000 tables settling takes 0.07 s
//! when they repeat one expression, 0.16 s when each has its own. The user's database is never
//! written. Without a scratch database the tables are reported unverified.
//! The scratch database comes from `migdiff-sandbox` (cleanup, sweeping).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use migdiff_model::{CheckConstraint, IndexTarget, Schema, Table};
use sqlx::Connection;
use sqlx::postgres::PgConnectOptions;

use migdiff_driver::DriverError;

/// True when a declared table's expressions differ from the live one's.
fn in_question(live: &Table, declared: &Table) -> bool {
    !units(live, declared).is_empty()
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

/// Settles the expressions in question, then the objects beyond tables.
/// Returns what could not be settled (no scratch database), described for
/// the report.
pub(crate) async fn settle(
    live: &Schema,
    declared: &mut Schema,
    server: Option<&str>,
    live_database: &str,
    provider: migdiff_sandbox::Provider,
) -> Result<Vec<String>, DriverError> {
    let mut unverified = settle_tables(live, declared, server, live_database, provider).await?;
    unverified.extend(
        crate::settle_objects::settle(live, declared, server, live_database, provider).await?,
    );
    Ok(unverified)
}

async fn settle_tables(
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
    let options = migdiff_sandbox::pg_options(sandbox.url())
        .map_err(|e| DriverError(format!("throwaway database URL: {e}")))?;
    // The sandbox drops itself, whatever settle_in returns.
    settle_in(&options, live, declared, &questioned).await?;
    Ok(Vec::new())
}

/// One expression of a declared table that the server must spell: a
/// CHECK, an index (keys and predicate), or a column's default or
/// generated expression.
#[derive(Debug, Clone)]
enum Unit {
    Check(String),
    Index(String),
    Column(String),
}

/// The units of `declared` that `in_question` looks at and that differ.
fn units(live: &Table, declared: &Table) -> Vec<Unit> {
    let mut out = Vec::new();
    for c in &declared.checks {
        if live
            .checks
            .iter()
            .any(|l| l.name.is_some() && l.name == c.name && l.expr != c.expr)
        {
            out.extend(c.name.clone().map(Unit::Check));
        }
    }
    for i in &declared.indexes {
        if live.indexes.iter().any(|l| {
            l.name == i.name
                && l.keys.len() == i.keys.len()
                && (l.predicate != i.predicate
                    || l.keys
                        .iter()
                        .zip(&i.keys)
                        .any(|(a, b)| a.target != b.target))
        }) {
            out.push(Unit::Index(i.name.clone()));
        }
    }
    for c in &declared.columns {
        if live.column(&c.name).is_some_and(|l| {
            (l.default.is_some() && c.default.is_some() && l.default != c.default)
                || (l.generated.is_some() && c.generated.is_some() && l.generated != c.generated)
        }) {
            out.push(Unit::Column(c.name.clone()));
        }
    }
    out
}

/// Whether `expr` may name the column `name` (over-inclusion only costs a
/// column in the probe table).
fn mentions(expr: &str, name: &str) -> bool {
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    if expr.contains(&quoted) {
        return true;
    }
    let lower = name.to_lowercase();
    let text = expr.to_lowercase();
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
    let mut from = 0;
    while let Some(at) = text[from..].find(&lower) {
        let start = from + at;
        let end = start + lower.len();
        let before = start == 0 || !word(bytes[start - 1]);
        let after = end >= bytes.len() || !word(bytes[end]);
        if before && after {
            return true;
        }
        from = start + 1;
        while !text.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

/// The smallest table that holds `unit` of `table`: the columns its
/// expression names (a column of another expression keeps only its type
/// and collation), the one CHECK, index or column in question. Named
/// `name`; its index, if any, `<name>_ix` (renamed where it is placed).
fn probe_table(
    table: &Table,
    unit: &Unit,
    name: &migdiff_model::ObjectName,
) -> Option<(Table, Option<migdiff_model::Index>)> {
    let mut expressions: Vec<String> = Vec::new();
    let mut target: Option<&str> = None;
    let mut probe = Table::new(name.clone());
    let mut index = None;
    match unit {
        Unit::Check(n) => {
            let c = table.checks.iter().find(|c| c.name.as_deref() == Some(n))?;
            expressions.push(c.expr.clone());
            // Named alike in every probe, so that the same expression over
            // the same columns shares one.
            probe.checks.push(CheckConstraint {
                name: Some(PROBE_CHECK.into()),
                auto_name: false,
                ..c.clone()
            });
        }
        Unit::Index(n) => {
            let i = table.indexes.iter().find(|i| &i.name == n)?;
            for k in &i.keys {
                match &k.target {
                    IndexTarget::Column(c) => {
                        expressions.push(format!("\"{}\"", c.replace('"', "\"\"")))
                    }
                    IndexTarget::Expression(e) => expressions.push(e.clone()),
                }
            }
            expressions.extend(i.predicate.clone());
            let mut i = i.clone();
            i.name = format!("{}_ix", name.name);
            index = Some(i);
        }
        Unit::Column(n) => {
            let c = table.column(n)?;
            expressions.extend(c.default.clone());
            expressions.extend(c.generated.as_ref().map(|g| g.expr.clone()));
            target = Some(n);
        }
    }
    for c in &table.columns {
        let is_target = target == Some(c.name.as_str());
        if !is_target && !expressions.iter().any(|e| mentions(e, &c.name)) {
            continue;
        }
        let mut c = c.clone();
        c.serial = false;
        c.identity = None;
        if !is_target {
            c.default = None;
            c.generated = None;
        }
        probe.columns.push(c);
    }
    if probe.columns.is_empty() {
        // CHECK (true) and the like: any one column will do.
        let mut c = table.columns.first()?.clone();
        c.serial = false;
        c.identity = None;
        c.default = None;
        c.generated = None;
        probe.columns.push(c);
    }
    Some((probe, index))
}

/// The name of the CHECK in a probe table.
const PROBE_CHECK: &str = "migdiff_check";

/// Where a probe's expression landed in the scratch database: probes whose
/// columns agree share one table, each CHECK and index under a name of its
/// own.
#[derive(Debug, Clone)]
enum Slot {
    Check(String),
    Index(String),
    Column(String),
}

/// At most this many columns in one scratch table (PostgreSQL allows
/// 1,600).
const COLUMNS_PER_TABLE: usize = 1000;

/// One table of the scratch database, holding the probes whose columns
/// agree.
struct Shared {
    table: Table,
    indexes: Vec<migdiff_model::Index>,
}

impl Shared {
    /// Whether `probe`'s columns fit: each absent, or there alike.
    fn fits(&self, probe: &Table) -> bool {
        let new = probe
            .columns
            .iter()
            .filter(|c| self.table.column(&c.name).is_none())
            .count();
        self.table.name.schema == probe.name.schema
            && self.table.columns.len() + new <= COLUMNS_PER_TABLE
            && probe
                .columns
                .iter()
                .all(|c| self.table.column(&c.name).is_none_or(|have| have == c))
    }

    /// Adds `probe` (number `n`) and says where its expression is.
    fn add(
        &mut self,
        probe: Table,
        index: Option<migdiff_model::Index>,
        unit: &Unit,
        n: usize,
    ) -> Slot {
        for c in probe.columns {
            if self.table.column(&c.name).is_none() {
                self.table.columns.push(c);
            }
        }
        match unit {
            Unit::Check(_) => {
                let name = format!("{PROBE_CHECK}_{n}");
                for mut c in probe.checks {
                    c.name = Some(name.clone());
                    self.table.checks.push(c);
                }
                Slot::Check(name)
            }
            Unit::Index(_) => {
                let name = format!("migdiff_settle_ix_{n}");
                if let Some(mut i) = index {
                    i.name = name.clone();
                    self.indexes.push(i);
                }
                Slot::Index(name)
            }
            Unit::Column(c) => Slot::Column(c.clone()),
        }
    }
}

/// What the server made of a unit, read from its slot.
fn settle_unit(declared: &mut Table, unit: &Unit, slot: &Slot, settled: &Table) {
    match (unit, slot) {
        (Unit::Check(n), Slot::Check(at)) => {
            if let (Some(c), Some(s)) = (
                declared
                    .checks
                    .iter_mut()
                    .find(|c| c.name.as_deref() == Some(n)),
                settled
                    .checks
                    .iter()
                    .find(|s| s.name.as_deref() == Some(at)),
            ) {
                c.expr = s.expr.clone();
            }
        }
        (Unit::Index(n), Slot::Index(at)) => {
            if let (Some(i), Some(s)) = (
                declared.indexes.iter_mut().find(|i| &i.name == n),
                settled.indexes.iter().find(|s| &s.name == at),
            ) {
                i.predicate = s.predicate.clone();
                for (k, sk) in i.keys.iter_mut().zip(&s.keys) {
                    k.target = sk.target.clone();
                }
            }
        }
        (Unit::Column(n), Slot::Column(at)) => {
            if let (Some(c), Some(s)) = (
                declared.columns.iter_mut().find(|c| &c.name == n),
                settled.column(at),
            ) {
                if c.default.is_some() {
                    c.default = s.default.clone();
                }
                if c.generated.is_some() {
                    c.generated = s.generated.clone();
                }
            }
        }
        _ => {}
    }
}

/// Statements sent in one round trip (one implicit transaction: few
/// enough locks for the server's default lock table).
const STATEMENTS_PER_BATCH: usize = 200;

/// Runs `statements` in the scratch database, a batch a round trip; a
/// batch that fails (it rolls back as a whole) is run again one statement
/// at a time, to name the one the server refuses.
pub(crate) async fn run_batched(
    conn: &mut sqlx::PgConnection,
    statements: &[String],
) -> Result<(), DriverError> {
    for batch in statements.chunks(STATEMENTS_PER_BATCH) {
        let script = batch.join(";\n");
        if sqlx::raw_sql(sqlx::AssertSqlSafe(script))
            .execute(&mut *conn)
            .await
            .is_ok()
        {
            continue;
        }
        for statement in batch {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
                .execute(&mut *conn)
                .await
                .map_err(|e| {
                    DriverError(format!(
                        "the declared schema does not load into a scratch database: {}\n    {}",
                        crate::server_error(&e),
                        statement.lines().next().unwrap_or("")
                    ))
                })?;
        }
    }
    Ok(())
}

async fn settle_in(
    options: &PgConnectOptions,
    live: &Schema,
    declared: &mut Schema,
    questioned: &[migdiff_model::ObjectName],
) -> Result<(), DriverError> {
    let mut conn = migdiff_sandbox::connect_pg(options).await.map_err(|e| {
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
    // Each expression in question gets the smallest table that holds it;
    // expressions with the same probe (the same text over columns of the
    // same types, as generated models repeat them) share one, and probes
    // whose columns agree share a scratch table: a few tables, not one per
    // expression.
    let mut probes: HashMap<String, (migdiff_model::ObjectName, Slot)> = HashMap::new();
    let mut shared: Vec<Shared> = Vec::new();
    let mut assigned: Vec<(
        migdiff_model::ObjectName,
        Unit,
        migdiff_model::ObjectName,
        Slot,
    )> = Vec::new();
    for name in questioned {
        let (Some(t), Some(l)) = (declared.tables.get(name), live.tables.get(name)) else {
            continue;
        };
        for unit in units(l, t) {
            let placeholder = migdiff_model::ObjectName::new(name.schema.clone(), "migdiff_settle");
            let Some((probe, index)) = probe_table(t, &unit, &placeholder) else {
                continue;
            };
            let mut key_ops = vec![migdiff_model::Op::CreateTable(probe.clone())];
            key_ops.extend(index.clone().map(|index| migdiff_model::Op::CreateIndex {
                table: placeholder.clone(),
                index,
            }));
            let key = crate::render_sql(&key_ops).join(";\n");
            let n = probes.len();
            let (table, slot) = match probes.entry(key) {
                Entry::Occupied(e) => e.get().clone(),
                Entry::Vacant(e) => {
                    let at = match shared.iter().position(|s| s.fits(&probe)) {
                        Some(at) => at,
                        None => {
                            let table = Table::new(migdiff_model::ObjectName::new(
                                name.schema.clone(),
                                format!("migdiff_settle_{}", shared.len()),
                            ));
                            shared.push(Shared {
                                table,
                                indexes: Vec::new(),
                            });
                            shared.len() - 1
                        }
                    };
                    let slot = shared[at].add(probe, index, &unit, n);
                    e.insert((shared[at].table.name.clone(), slot)).clone()
                }
            };
            assigned.push((name.clone(), unit, table, slot));
        }
    }
    for s in shared {
        let table = s.table.name.clone();
        setup.push(migdiff_model::Op::CreateTable(s.table));
        setup.extend(
            s.indexes
                .into_iter()
                .map(|index| migdiff_model::Op::CreateIndex {
                    table: table.clone(),
                    index,
                }),
        );
    }
    ddl.extend(crate::render_sql(&setup));
    // The scratch database is thrown away: its commits need not wait for
    // the disk.
    sqlx::raw_sql("SET synchronous_commit = off")
        .execute(&mut conn)
        .await
        .map_err(|e| DriverError(format!("scratch database: {}", crate::server_error(&e))))?;
    run_batched(&mut conn, &ddl).await?;
    let settled = crate::introspect(&mut conn, &Default::default())
        .await
        .map_err(|e| DriverError(format!("scratch database: {e}")))?
        .schema;
    let _ = conn.close().await;
    for (name, unit, table, slot) in &assigned {
        if let (Some(d), Some(p)) = (declared.tables.get_mut(name), settled.tables.get(table)) {
            settle_unit(d, unit, slot, p);
        }
    }
    for name in questioned {
        if let Some(d) = declared.tables.get_mut(name) {
            d.canonicalize();
        }
    }
    Ok(())
}

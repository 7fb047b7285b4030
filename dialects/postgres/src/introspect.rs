use std::collections::HashMap;
use std::time::Duration;

use futures_util::TryStreamExt;

use crate::introspect_objects as objects;
use migdiff_model::*;
use migdiff_sqlexpr::{normalize_default, normalize_expr, parse_type_text};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgRow};
use sqlx::{ConnectOptions, Connection, Row};

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error(
        "cannot connect to PostgreSQL at {target}: {}",
        crate::server_error(source)
    )]
    Connect {
        target: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("catalog query `{query}` failed: {}", crate::server_error(source))]
    Query {
        query: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("the catalog holds an expression migdiff cannot read: {0}")]
    Expr(#[from] migdiff_sqlexpr::ExprError),
}

/// Which part of the database to read.
#[derive(Debug, Clone)]
pub struct IntrospectOptions {
    /// Schemas to read; empty means every non-system schema.
    pub schemas: Vec<String>,
    /// The Alembic version table, never part of the model: (schema, name).
    pub version_table: (Option<String>, String),
    pub statement_timeout: Duration,
}

impl Default for IntrospectOptions {
    fn default() -> Self {
        IntrospectOptions {
            schemas: Vec::new(),
            version_table: (None, "alembic_version".to_string()),
            statement_timeout: Duration::from_secs(60),
        }
    }
}

/// A schema read from the live database, with what it cost.
#[derive(Debug)]
pub struct Introspection {
    pub schema: Schema,
    /// Catalog queries run: fixed whatever the number of tables.
    pub queries: usize,
    pub server_version_num: i32,
}

pub async fn connect(options: PgConnectOptions, target: &str) -> Result<PgConnection, PgError> {
    options
        .application_name("migdiff")
        .disable_statement_logging()
        .connect()
        .await
        .map_err(|source| PgError::Connect {
            target: target.to_string(),
            source,
        })
}

const SCHEMAS: &str = "select n.nspname::text from pg_namespace n \
    where n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema' \
    and not exists (select 1 from pg_depend d where d.classid = 'pg_namespace'::regclass \
        and d.objid = n.oid and d.deptype = 'e') \
    and (cardinality($1::text[]) = 0 or n.nspname = any($1)) order by 1";

const TABLES: &str = "select c.oid::int8, n.nspname::text, c.relname::text, ds.description \
    from pg_class c join pg_namespace n on n.oid = c.relnamespace \
    left join pg_description ds on ds.objoid = c.oid and ds.classoid = 'pg_class'::regclass \
        and ds.objsubid = 0 \
    where c.relkind in ('r', 'p') and not c.relispartition \
    and n.nspname = any($1) \
    and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass \
        and d.objid = c.oid and d.deptype = 'e') \
    order by 2, 3";

// A default cannot refer to a column, so it is deparsed without its table
// (relation 0): deparsing against the table opens it, and building a
// thousand relcache entries in a fresh backend was a third of this query.
// Generated columns do refer to columns and keep their table.
const COLUMNS: &str = "select a.attrelid::int8, a.attnum::int4, a.attname::text, \
    format_type(a.atttypid, a.atttypmod), a.attnotnull, \
    pg_get_expr(ad.adbin, case when a.attgenerated = '' then 0 else ad.adrelid end), \
    a.attidentity::text, a.attgenerated::text, \
    case when a.attcollation <> 0 and a.attcollation <> t.typcollation then co.collname::text end, \
    ds.description, \
    coalesce(et.typtype, t.typtype)::text, en.nspname::text, coalesce(et.typname, t.typname)::text, \
    t.typcategory = 'A', \
    dep.deptype::text, sq.seqstart, sq.seqincrement, sq.seqmin, sq.seqmax, sq.seqcache, sq.seqcycle \
    from pg_attribute a \
    join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace \
    join pg_type t on t.oid = a.atttypid \
    left join pg_type et on et.oid = t.typelem and t.typcategory = 'A' \
    left join pg_namespace en on en.oid = coalesce(et.typnamespace, t.typnamespace) \
    left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum \
    left join pg_collation co on co.oid = a.attcollation \
    left join pg_description ds on ds.objoid = a.attrelid and ds.classoid = 'pg_class'::regclass \
        and ds.objsubid = a.attnum \
    left join pg_depend dep on dep.refclassid = 'pg_class'::regclass and dep.refobjid = a.attrelid \
        and dep.refobjsubid = a.attnum and dep.classid = 'pg_class'::regclass \
        and dep.deptype in ('a', 'i') \
    left join pg_sequence sq on sq.seqrelid = dep.objid \
    where c.relkind in ('r', 'p') and not c.relispartition and n.nspname = any($1) \
    and a.attnum > 0 and not a.attisdropped \
    order by a.attrelid, a.attnum";

const CONSTRAINTS: &str = "select k.conrelid::int8, k.conname::text, k.contype::text, \
    k.conkey::int2[], fn.nspname::text, fc.relname::text, \
    case when k.contype = 'f' then array(select a.attname::text \
        from unnest(k.confkey) with ordinality u(n, o) \
        join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n order by u.o) end, \
    k.confupdtype::text, k.confdeltype::text, k.confmatchtype::text, \
    k.condeferrable, k.condeferred, \
    case when k.contype = 'c' then pg_get_constraintdef(k.oid) end, \
    case when k.contype = 'u' then (select {NND} from pg_index i \
        where i.indexrelid = k.conindid) else false end, \
    {PERIOD}, {ENFORCED} \
    from pg_constraint k join pg_class c on c.oid = k.conrelid \
    join pg_namespace n on n.oid = c.relnamespace \
    left join pg_class fc on fc.oid = k.confrelid \
    left join pg_namespace fn on fn.oid = fc.relnamespace \
    where k.contype in ('p', 'u', 'f', 'c') and n.nspname = any($1) \
    and c.relkind in ('r', 'p') and not c.relispartition \
    order by k.conrelid, k.conname";

const INDEXES: &str = "select i.indrelid::int8, ic.relname::text, i.indisunique, am.amname::text, \
    pg_get_expr(i.indpred, i.indrelid), i.indnkeyatts::int4, \
    string_to_array(i.indkey::text, ' ')::int2[], \
    array(select case when u.n = 0 then pg_get_indexdef(i.indexrelid, u.o::int4, true) else '' end \
        from unnest(i.indkey::int2[]) with ordinality u(n, o) order by u.o), \
    array(select u.v::int4 from unnest(i.indoption::int2[]) with ordinality u(v, o) order by u.o), \
    array(select case when oc.opcdefault then '' else oc.opcname::text end \
        from unnest(i.indclass::oid[]) with ordinality u(cls, o) \
        join pg_opclass oc on oc.oid = u.cls order by u.o), \
    {NND} \
    from pg_index i join pg_class ic on ic.oid = i.indexrelid \
    join pg_class tc on tc.oid = i.indrelid join pg_namespace n on n.oid = tc.relnamespace \
    join pg_am am on am.oid = ic.relam \
    where n.nspname = any($1) and tc.relkind in ('r', 'p', 'm') and not tc.relispartition \
    and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid \
        and k.conrelid = i.indrelid and k.contype in ('p', 'u', 'x')) \
    order by i.indrelid, ic.relname";

const ENUMS: &str = "select n.nspname::text, t.typname::text, \
    array_agg(e.enumlabel::text order by e.enumsortorder) \
    from pg_type t join pg_enum e on e.enumtypid = t.oid \
    join pg_namespace n on n.oid = t.typnamespace \
    where n.nspname = any($1) group by 1, 2 order by 1, 2";

const SEQUENCES: &str = "select n.nspname::text, c.relname::text, format_type(s.seqtypid, null), \
    s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle \
    from pg_sequence s join pg_class c on c.oid = s.seqrelid \
    join pg_namespace n on n.oid = c.relnamespace \
    where n.nspname = any($1) and not exists (select 1 from pg_depend d \
        where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i', 'e')) \
    order by 1, 2";

/// The catalog queries introspection runs on a server of `version`
/// (`server_version_num`), in order; `$1` is the array of schema names.
/// Published so the benchmark can time the same queries from psql.
pub fn catalog_queries(version: i32) -> [String; 13] {
    // NULLS NOT DISTINCT exists from PostgreSQL 15 on.
    let nnd = if version >= 150000 {
        "i.indnullsnotdistinct"
    } else {
        "false"
    };
    // Temporal keys (WITHOUT OVERLAPS, PERIOD) and NOT ENFORCED: 18 on.
    let (period, enforced) = if version >= 180000 {
        ("k.conperiod", "k.conenforced")
    } else {
        ("false", "true")
    };
    [
        SCHEMAS,
        TABLES,
        COLUMNS,
        CONSTRAINTS,
        INDEXES,
        ENUMS,
        SEQUENCES,
        objects::VIEWS,
        objects::FUNCTIONS,
        objects::TRIGGERS,
        objects::EXTENSIONS,
        objects::DEPENDS,
        objects::DOMAINS,
    ]
    .map(|q| {
        q.replace("{NND}", nnd)
            .replace("{PERIOD}", period)
            .replace("{ENFORCED}", enforced)
    })
}

/// From here on the transaction prints every name qualified (definitions
/// of views, functions and triggers as `pg_dump` writes them, whatever
/// the search path of the session that created them).
async fn qualify_every_name(tx: &mut PgConnection) -> Result<(), PgError> {
    sqlx::query("select set_config('search_path', '', true)")
        .execute(tx)
        .await
        .map_err(q("search_path"))?;
    Ok(())
}

/// The catalog queries of the objects beyond tables.
struct ObjectSql {
    views: String,
    functions: String,
    triggers: String,
    extensions: String,
    depends: String,
    domains: String,
}

type FirstObjects = (Vec<(i64, View)>, Vec<Function>, Vec<Extension>, Vec<Domain>);

/// The object queries one connection runs after its table queries: views,
/// functions, extensions, domains (names qualified from here on).
async fn fetch_objects_on_first(
    c: &mut PgConnection,
    sql: &ObjectSql,
    names: &[String],
) -> Result<FirstObjects, PgError> {
    qualify_every_name(c).await?;
    Ok((
        fetch_map(
            c,
            sql.views.clone(),
            objects::VIEWS,
            names,
            objects::view_row,
        )
        .await?,
        fetch_map(
            c,
            sql.functions.clone(),
            objects::FUNCTIONS,
            names,
            objects::function_row,
        )
        .await?,
        fetch_map(
            c,
            sql.extensions.clone(),
            objects::EXTENSIONS,
            names,
            objects::extension_row,
        )
        .await?,
        fetch_map(
            c,
            sql.domains.clone(),
            objects::DOMAINS,
            names,
            objects::domain_row,
        )
        .await?,
    ))
}

/// The rest: triggers and the dependency edges.
async fn fetch_objects_on_second(
    c: &mut PgConnection,
    sql: &ObjectSql,
    names: &[String],
) -> Result<(Vec<(i64, Trigger)>, Vec<objects::DependRow>), PgError> {
    qualify_every_name(c).await?;
    Ok((
        fetch_map(
            c,
            sql.triggers.clone(),
            objects::TRIGGERS,
            names,
            objects::trigger_row,
        )
        .await?,
        fetch_map(
            c,
            sql.depends.clone(),
            objects::DEPENDS,
            names,
            objects::depend_row,
        )
        .await?,
    ))
}

fn q(query: &'static str) -> impl FnOnce(sqlx::Error) -> PgError {
    move |source| PgError::Query {
        query: query
            .split_whitespace()
            .take(4)
            .collect::<Vec<_>>()
            .join(" "),
        source,
    }
}

fn action(code: &str) -> FkAction {
    match code {
        "r" => FkAction::Restrict,
        "c" => FkAction::Cascade,
        "n" => FkAction::SetNull,
        "d" => FkAction::SetDefault,
        _ => FkAction::NoAction,
    }
}

/// Reads the schema in one read-only, repeatable-read transaction.
pub async fn introspect(
    conn: &mut PgConnection,
    options: &IntrospectOptions,
) -> Result<Introspection, PgError> {
    introspect_on(conn, None, options).await
}

/// Runs a catalog query and hands each row to `take` as it arrives: the
/// raw rows are never all held at once (at 10,000 tables they, and the
/// vectors they were collected in, were most of the memory, and
/// first-touching memory is most of the client's time).
async fn fetch_each(
    tx: &mut PgConnection,
    sql: String,
    label: &'static str,
    schemas: &[String],
    mut take: impl FnMut(PgRow) -> Result<(), PgError>,
) -> Result<(), PgError> {
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(schemas)
        .fetch(tx);
    while let Some(row) = rows.try_next().await.map_err(q(label))? {
        take(row)?;
    }
    Ok(())
}

/// [`fetch_each`] into a vector, skipping rows `convert` turns into `None`.
async fn fetch_map<T>(
    tx: &mut PgConnection,
    sql: String,
    label: &'static str,
    schemas: &[String],
    convert: impl Fn(PgRow) -> Result<Option<T>, PgError>,
) -> Result<Vec<T>, PgError> {
    let mut out = Vec::new();
    fetch_each(tx, sql, label, schemas, |row| {
        out.extend(convert(row)?);
        Ok(())
    })
    .await?;
    Ok(out)
}

/// Columns per table oid, in attnum order, with their attnums.
type ColumnsByTable = HashMap<i64, (Vec<i16>, Vec<Column>)>;

/// Files each column row under its table as it arrives: one small vector
/// per table instead of one that keeps doubling.
fn take_column(by_table: &mut ColumnsByTable, row: PgRow) -> Result<(), PgError> {
    let ColumnRow {
        oid,
        attnum,
        column,
    } = column_row(row)?;
    let (attnums, columns) = by_table.entry(oid).or_default();
    attnums.push(attnum);
    columns.push(column);
    Ok(())
}

/// Like [`introspect`], with a second connection: the catalog queries are
/// split over both, which see the same exported snapshot, so the server
/// works on them in parallel and the result is still one consistent view.
pub async fn introspect_on(
    conn: &mut PgConnection,
    second: Option<&mut PgConnection>,
    options: &IntrospectOptions,
) -> Result<Introspection, PgError> {
    let mut tx = conn
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await
        .map_err(q("BEGIN read only"))?;
    let timeout_ms = options.statement_timeout.as_millis().to_string();
    // Session setup, not a catalog query: the timeout ends with the transaction.
    let version: i32 = sqlx::query_scalar(
        "select current_setting('server_version_num')::int4 from set_config('statement_timeout', $1, true)",
    )
    .bind(&timeout_ms)
    .fetch_one(&mut *tx)
        .await
        .map_err(q("server_version_num"))?;
    let mut queries = 0usize;
    let [
        _,
        tables_sql,
        columns_sql,
        constraints_sql,
        indexes_sql,
        enums_sql,
        sequences_sql,
        views,
        functions,
        triggers,
        extensions,
        depends,
        domains,
    ] = catalog_queries(version);
    let object_sql = ObjectSql {
        views,
        functions,
        triggers,
        extensions,
        depends,
        domains,
    };
    let schema_names: Vec<String> = sqlx::query_scalar(SCHEMAS)
        .bind(&options.schemas)
        .fetch_all(&mut *tx)
        .await
        .map_err(q(SCHEMAS))?;
    queries += 1;

    // The other twelve queries: on two connections sharing this snapshot when
    // a second one is given, else one after the other.
    let mut second_tx = None;
    if let Some(c2) = second {
        let snapshot: String = sqlx::query_scalar("select pg_export_snapshot()")
            .fetch_one(&mut *tx)
            .await
            .map_err(q("pg_export_snapshot"))?;
        let mut t2 = c2
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(q("BEGIN read only"))?;
        let set = format!(
            "SET TRANSACTION SNAPSHOT '{}'",
            snapshot.replace('\'', "''")
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(set))
            .execute(&mut *t2)
            .await
            .map_err(q("SET TRANSACTION SNAPSHOT"))?;
        sqlx::query("select set_config('statement_timeout', $1, true)")
            .bind(&timeout_ms)
            .execute(&mut *t2)
            .await
            .map_err(q("statement_timeout"))?;
        second_tx = Some(t2);
    }
    let names = &schema_names;
    // The Alembic version table, never part of the model.
    let vt = (
        options.version_table.0.as_deref().unwrap_or("public"),
        options.version_table.1.as_str(),
    );
    let mut columns = ColumnsByTable::new();
    let mut objects_rows = objects::ObjectRows::default();
    let (tables, constraints, indexes, enums, sequences) = match &mut second_tx {
        Some(t2) => {
            let a = async {
                fetch_each(&mut tx, columns_sql, COLUMNS, names, |r| {
                    take_column(&mut columns, r)
                })
                .await?;
                let e = fetch_map(&mut tx, enums_sql, ENUMS, names, enum_row).await?;
                let s = fetch_map(&mut tx, sequences_sql, SEQUENCES, names, sequence_row).await?;
                let (v, f, x, d) = fetch_objects_on_first(&mut tx, &object_sql, names).await?;
                (objects_rows.views, objects_rows.functions) = (v, f);
                (objects_rows.extensions, objects_rows.domains) = (x, d);
                Ok::<_, PgError>((e, s))
            };
            let b = async {
                let t = fetch_map(t2, tables_sql, TABLES, names, |r| table_row(r, vt)).await?;
                let k = fetch_map(t2, constraints_sql, CONSTRAINTS, names, constraint_row).await?;
                let i = fetch_map(t2, indexes_sql, INDEXES, names, index_row).await?;
                let (tr, d) = fetch_objects_on_second(t2, &object_sql, names).await?;
                Ok::<_, PgError>((t, k, i, tr, d))
            };
            let (ra, rb) = tokio::join!(a, b);
            let ((e, s), (t, k, i, tr, d)) = (ra?, rb?);
            objects_rows.triggers = tr;
            objects_rows.depends = d;
            (t, k, i, e, s)
        }
        None => {
            let read = (
                fetch_map(&mut tx, tables_sql, TABLES, names, |r| table_row(r, vt)).await?,
                {
                    fetch_each(&mut tx, columns_sql, COLUMNS, names, |r| {
                        take_column(&mut columns, r)
                    })
                    .await?;
                    fetch_map(&mut tx, constraints_sql, CONSTRAINTS, names, constraint_row).await?
                },
                fetch_map(&mut tx, indexes_sql, INDEXES, names, index_row).await?,
                fetch_map(&mut tx, enums_sql, ENUMS, names, enum_row).await?,
                fetch_map(&mut tx, sequences_sql, SEQUENCES, names, sequence_row).await?,
            );
            let (v, f, x, d) = fetch_objects_on_first(&mut tx, &object_sql, names).await?;
            (objects_rows.views, objects_rows.functions) = (v, f);
            (objects_rows.extensions, objects_rows.domains) = (x, d);
            (objects_rows.triggers, objects_rows.depends) =
                fetch_objects_on_second(&mut tx, &object_sql, names).await?;
            read
        }
    };
    queries += 12;
    if let Some(t2) = second_tx {
        t2.rollback().await.map_err(q("ROLLBACK"))?;
    }
    tx.rollback().await.map_err(q("ROLLBACK"))?;

    let mut schema = Schema::default();
    for s in &schema_names {
        if s != "public" {
            schema.schemas.insert(s.clone());
        }
    }
    let mut by_oid: HashMap<i64, Building> = tables
        .into_iter()
        .map(|(oid, table)| {
            (
                oid,
                Building {
                    table,
                    attnums: Vec::new(),
                },
            )
        })
        .collect();
    // Rows come ordered by table and attnum, so each attnums list is sorted.
    for (oid, (attnums, table_columns)) in columns {
        if let Some(b) = by_oid.get_mut(&oid) {
            b.attnums = attnums;
            b.table.columns = table_columns;
        }
    }
    for row in constraints {
        let Some(b) = by_oid.get_mut(&row.oid) else {
            continue;
        };
        let columns = row.keys.iter().map(|k| b.column_name(*k)).collect();
        match row.constraint {
            PendingConstraint::Primary {
                name,
                without_overlaps,
            } => {
                b.table.primary_key = Some(PrimaryKey {
                    name: Some(name),
                    auto_name: false,
                    columns,
                    without_overlaps,
                })
            }
            PendingConstraint::Unique(mut u) => {
                u.columns = columns;
                b.table.uniques.push(u);
            }
            PendingConstraint::Foreign(mut fk) => {
                fk.columns = columns;
                b.table.foreign_keys.push(fk);
            }
            PendingConstraint::Check(c) => b.table.checks.push(c),
        }
    }
    // A materialized view's columns, by attnum (it never drops one).
    let view_columns: HashMap<i64, Vec<String>> = objects_rows
        .views
        .iter()
        .filter(|(_, v)| v.materialized)
        .map(|(oid, v)| (*oid, v.columns.iter().map(|c| c.0.clone()).collect()))
        .collect();
    let mut view_indexes: Vec<(i64, Index)> = Vec::new();
    for row in indexes {
        let building = by_oid.get_mut(&row.oid);
        let view = view_columns.get(&row.oid);
        if building.is_none() && view.is_none() {
            continue;
        }
        let column_name = |attnum: i16| match (&building, view) {
            (Some(b), _) => b.column_name(attnum),
            (None, Some(cols)) => usize::try_from(attnum - 1)
                .ok()
                .and_then(|at| cols.get(at))
                .cloned()
                .unwrap_or_default(),
            (None, None) => String::new(),
        };
        let mut index = row.index;
        for (i, (attnum, expr)) in row.columns.into_iter().enumerate() {
            let column = if attnum == 0 {
                String::new()
            } else {
                column_name(attnum)
            };
            if i >= row.key_count {
                index.include.push(column);
                continue;
            }
            let target = match expr {
                Some(e) if attnum == 0 => IndexTarget::Expression(e),
                _ => IndexTarget::Column(column),
            };
            let opt = row.options.get(i).copied().unwrap_or(0);
            let descending = opt & 1 != 0;
            let nulls_first = opt & 2 != 0;
            index.keys.push(IndexKey {
                target,
                descending,
                // Only a non-default NULLS placement is recorded.
                nulls_first: (nulls_first != descending).then_some(nulls_first),
                opclass: row.opclasses.get(i).filter(|s| !s.is_empty()).cloned(),
                collation: None,
                prefix_length: None,
            });
        }
        match building {
            Some(b) => b.table.indexes.push(index),
            None => view_indexes.push((row.oid, index)),
        }
    }
    schema.enums = enums.into_iter().map(|e| (e.name.clone(), e)).collect();
    schema.sequences = sequences.into_iter().map(|s| (s.name.clone(), s)).collect();
    for (_, Building { mut table, .. }) in by_oid {
        // The `::text` PostgreSQL adds to varchar columns in stored
        // expressions; the DDL reader drops it the same way.
        let columns = table.column_types();
        let columns: Vec<(&str, &DataType)> =
            columns.iter().map(|(n, t)| (n.as_str(), t)).collect();
        table.map_expressions(|e| {
            migdiff_sqlexpr::strip_implicit_casts(e, &columns, crate::DIALECT)
        });
        table.canonicalize();
        schema.tables.insert(table.name.clone(), table);
    }
    objects::assemble(&mut schema, objects_rows, view_indexes);
    Ok(Introspection {
        schema,
        queries,
        server_version_num: version,
    })
}

/// A table being assembled, with the attnum of each of its columns.
struct Building {
    table: Table,
    attnums: Vec<i16>,
}

impl Building {
    fn column_name(&self, attnum: i16) -> String {
        self.attnums
            .binary_search(&attnum)
            .ok()
            .and_then(|at| self.table.columns.get(at))
            .map(|c| c.name.clone())
            .unwrap_or_default()
    }
}

fn table_row(
    row: PgRow,
    (vt_schema, vt_name): (&str, &str),
) -> Result<Option<(i64, Table)>, PgError> {
    let oid: i64 = row.get(0);
    let name = ObjectName::new(row.get::<String, _>(1), row.get::<String, _>(2));
    if name.schema == vt_schema && name.name == vt_name {
        return Ok(None);
    }
    let mut table = Table::new(name);
    table.comment = row.get(3);
    Ok(Some((oid, table)))
}

struct ColumnRow {
    oid: i64,
    attnum: i16,
    column: Column,
}

fn column_row(row: PgRow) -> Result<ColumnRow, PgError> {
    let oid: i64 = row.get(0);
    let formatted: String = row.get(3);
    let typtype: Option<String> = row.get(10);
    let is_array: bool = row.get(13);
    let data_type = if typtype.as_deref() == Some("e") {
        let en = DataType::Enum(ObjectName::new(
            row.get::<String, _>(11),
            row.get::<String, _>(12),
        ));
        if is_array {
            DataType::Array(Box::new(en))
        } else {
            en
        }
    } else {
        parse_type_text(&formatted, crate::DIALECT)
    };
    let attnum: i32 = row.get(1);
    let mut column = Column::new(row.get::<String, _>(2), data_type);
    column.nullable = !row.get::<bool, _>(4);
    let default_text: Option<String> = row.get(5);
    let identity: String = row.get(6);
    let generated: String = row.get(7);
    column.collation = row.get(8);
    column.comment = row.get(9);
    let deptype: Option<String> = row.get(14);
    if !identity.is_empty() {
        column.identity = Some(Identity {
            always: identity == "a",
            start: row.get(15),
            increment: row.get(16),
            min_value: row.get(17),
            max_value: row.get(18),
            cache: row.get(19),
            cycle: row.get::<Option<bool>, _>(20).unwrap_or(false),
        });
    } else if generated == "s" || generated == "v" {
        // `v`: PostgreSQL 18's virtual generated column.
        if let Some(expr) = &default_text {
            column.generated = Some(Generated {
                expr: normalize_expr(expr, crate::DIALECT)?,
                stored: generated == "s",
            });
        }
    } else if let Some(text) = &default_text {
        // A nextval() default on a sequence the column owns is a serial.
        if deptype.as_deref() == Some("a") && text.starts_with("nextval(") {
            column.serial = true;
        } else {
            let normalized = normalize_default(text, &column.data_type, crate::DIALECT)?;
            // `NULL::numeric`: no default, as the declared side reads it.
            column.default = (!migdiff_sqlexpr::is_null_default(&normalized)).then_some(normalized);
        }
    }
    Ok(ColumnRow {
        oid,
        attnum: attnum as i16,
        column,
    })
}

/// A constraint whose key columns are still attnums.
struct ConstraintRow {
    oid: i64,
    keys: Vec<i16>,
    constraint: PendingConstraint,
}

enum PendingConstraint {
    Primary {
        name: String,
        without_overlaps: bool,
    },
    Unique(UniqueConstraint),
    Foreign(ForeignKey),
    Check(CheckConstraint),
}

fn constraint_row(row: PgRow) -> Result<Option<ConstraintRow>, PgError> {
    let name: String = row.get(1);
    let kind: String = row.get(2);
    let constraint = match kind.as_str() {
        "p" => PendingConstraint::Primary {
            name,
            without_overlaps: row.get(14),
        },
        "u" => PendingConstraint::Unique(UniqueConstraint {
            name: Some(name),
            auto_name: false,
            columns: Vec::new(),
            nulls_not_distinct: row.get(13),
            deferrable: row.get(10),
            initially_deferred: row.get(11),
            without_overlaps: row.get(14),
        }),
        "f" => PendingConstraint::Foreign(ForeignKey {
            name: Some(name),
            auto_name: false,
            columns: Vec::new(),
            ref_table: ObjectName::new(row.get::<String, _>(4), row.get::<String, _>(5)),
            ref_columns: row.get::<Option<Vec<String>>, _>(6).unwrap_or_default(),
            on_update: action(&row.get::<String, _>(7)),
            on_delete: action(&row.get::<String, _>(8)),
            match_kind: match row.get::<String, _>(9).as_str() {
                "f" => FkMatch::Full,
                "p" => FkMatch::Partial,
                _ => FkMatch::Simple,
            },
            deferrable: row.get(10),
            initially_deferred: row.get(11),
            period: row.get(14),
            not_enforced: !row.get::<bool, _>(15),
        }),
        "c" => {
            let def: String = row.get(12);
            PendingConstraint::Check(CheckConstraint {
                name: Some(name),
                auto_name: false,
                expr: normalize_expr(check_body(&def), crate::DIALECT)?,
                not_enforced: !row.get::<bool, _>(15),
            })
        }
        _ => return Ok(None),
    };
    Ok(Some(ConstraintRow {
        oid: row.get(0),
        keys: row.get::<Option<Vec<i16>>, _>(3).unwrap_or_default(),
        constraint,
    }))
}

/// An index whose columns are still attnums (0 with the normalized
/// expression for an expression key).
struct IndexRow {
    oid: i64,
    key_count: usize,
    columns: Vec<(i16, Option<String>)>,
    options: Vec<i32>,
    opclasses: Vec<String>,
    index: Index,
}

fn index_row(row: PgRow) -> Result<Option<IndexRow>, PgError> {
    let indkey: Vec<i16> = row.get(6);
    let defs: Vec<String> = row.get(7);
    let columns = indkey
        .iter()
        .enumerate()
        .map(|(i, &attnum)| {
            let expr = if attnum == 0 {
                let def = defs.get(i).map(String::as_str).unwrap_or_default();
                Some(normalize_expr(def, crate::DIALECT)?)
            } else {
                None
            };
            Ok((attnum, expr))
        })
        .collect::<Result<Vec<_>, PgError>>()?;
    let predicate: Option<String> = row.get(4);
    Ok(Some(IndexRow {
        oid: row.get(0),
        key_count: row.get::<i32, _>(5).max(0) as usize,
        columns,
        options: row.get(8),
        opclasses: row.get(9),
        index: Index {
            name: row.get(1),
            unique: row.get(2),
            keys: Vec::new(),
            predicate: predicate
                .map(|p| normalize_expr(&p, crate::DIALECT))
                .transpose()?,
            method: row.get(3),
            include: Vec::new(),
            nulls_not_distinct: row.get(10),
        },
    }))
}

fn enum_row(row: PgRow) -> Result<Option<EnumType>, PgError> {
    Ok(Some(EnumType {
        name: ObjectName::new(row.get::<String, _>(0), row.get::<String, _>(1)),
        values: row.get(2),
    }))
}

fn sequence_row(row: PgRow) -> Result<Option<Sequence>, PgError> {
    Ok(Some(Sequence {
        name: ObjectName::new(row.get::<String, _>(0), row.get::<String, _>(1)),
        data_type: parse_type_text(&row.get::<String, _>(2), crate::DIALECT),
        start: row.get(3),
        increment: row.get(4),
        min_value: row.get(5),
        max_value: row.get(6),
        cache: row.get(7),
        cycle: row.get(8),
    }))
}

/// `CHECK ((a > 0)) NOT VALID` gives `(a > 0)`.
/// The expression of `pg_get_constraintdef`'s `CHECK (...)`, without the
/// suffixes it may carry (`NOT VALID`, `NO INHERIT`, PostgreSQL 18's `NOT
/// ENFORCED`, in any combination; enforcement is read from its column).
pub(crate) fn check_body(def: &str) -> &str {
    let mut s = def.trim();
    s = s.strip_prefix("CHECK").unwrap_or(s).trim();
    loop {
        let before = s.len();
        for suffix in ["NOT VALID", "NO INHERIT", "NOT ENFORCED"] {
            s = s.strip_suffix(suffix).unwrap_or(s).trim();
        }
        if s.len() == before {
            return s;
        }
    }
}

//! Reads one MySQL or MariaDB database from `information_schema` in a
//! fixed number of queries (tables, columns, key columns, foreign key
//! rules, checks, indexes),
//! whatever the table count, inside a read-only transaction with a
//! statement timeout. Rows become the model as they arrive; the schema
//! then goes through the same normalization as a declared one.

use std::collections::BTreeMap;

use migdiff_model::{
    CheckConstraint, Column, DEFAULT_ON_UPDATE, DataType, FkAction, ForeignKey, Generated, Index,
    IndexKey, IndexTarget, ObjectName, PrimaryKey, Schema, Table, TableCharset,
};
use migdiff_sqlexpr::{is_null_default, normalize_default, normalize_expr, parse_type_text};
use sqlx::mysql::MySqlConnection;
use sqlx::{Connection, Row};

use crate::spec::DEFAULT_SCHEMA;
use crate::{DIALECT, Flavour, ServerInfo};

/// The catalog queries, in the order they run.
pub fn catalog_queries(flavour: Flavour) -> Vec<String> {
    let db = "DATABASE()";
    let checks = match flavour {
        // MariaDB names a column's CHECK after the column, so names repeat
        // across tables: its view says which table each belongs to.
        Flavour::MariaDb => format!(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS \
             WHERE CONSTRAINT_SCHEMA = {db} ORDER BY TABLE_NAME, CONSTRAINT_NAME"
        ),
        Flavour::Mysql => format!(
            "SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS cc \
             JOIN information_schema.TABLE_CONSTRAINTS tc ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA \
             AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME AND tc.CONSTRAINT_TYPE = 'CHECK' \
             WHERE cc.CONSTRAINT_SCHEMA = {db} ORDER BY tc.TABLE_NAME, cc.CONSTRAINT_NAME"
        ),
    };
    let expression = match flavour {
        Flavour::Mysql => "EXPRESSION",
        Flavour::MariaDb => "NULL",
    };
    vec![
        format!(
            "SELECT t.TABLE_NAME, t.TABLE_COMMENT, t.TABLE_COLLATION, c.CHARACTER_SET_NAME \
             FROM information_schema.TABLES t LEFT JOIN information_schema.COLLATIONS c \
             ON c.COLLATION_NAME = t.TABLE_COLLATION \
             WHERE t.TABLE_SCHEMA = {db} AND t.TABLE_TYPE = 'BASE TABLE' ORDER BY t.TABLE_NAME"
        ),
        format!(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, \
             COLLATION_NAME, COLUMN_COMMENT, GENERATION_EXPRESSION FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = {db} ORDER BY TABLE_NAME, ORDINAL_POSITION"
        ),
        // Primary and foreign keys' columns. (Joined with the views of
        // constraints and of rules in one query, MariaDB takes a second
        // at 1,000 tables; each view alone takes milliseconds.)
        format!(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME \
             FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = {db} \
             AND (CONSTRAINT_NAME = 'PRIMARY' OR REFERENCED_TABLE_NAME IS NOT NULL) \
             ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION"
        ),
        format!(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE \
             FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = {db}"
        ),
        checks,
        format!(
            "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART, INDEX_TYPE, COLLATION, {expression} \
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = {db} AND INDEX_NAME <> 'PRIMARY' \
             ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
        ),
    ]
}

/// What went wrong reading the catalog.
#[derive(Debug)]
pub struct IntrospectError(pub String);

impl From<sqlx::Error> for IntrospectError {
    fn from(e: sqlx::Error) -> Self {
        IntrospectError(crate::server_error(&e))
    }
}

impl From<migdiff_sqlexpr::ExprError> for IntrospectError {
    fn from(e: migdiff_sqlexpr::ExprError) -> Self {
        IntrospectError(e.to_string())
    }
}

fn text(row: &sqlx::mysql::MySqlRow, i: usize) -> Result<Option<String>, sqlx::Error> {
    // information_schema hands some columns out as binary strings.
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return Ok(v);
    }
    let bytes: Option<Vec<u8>> = row.try_get(i)?;
    Ok(bytes.map(|b| String::from_utf8_lossy(&b).into_owned()))
}

fn must(row: &sqlx::mysql::MySqlRow, i: usize) -> Result<String, sqlx::Error> {
    Ok(text(row, i)?.unwrap_or_default())
}

/// Reads the connected database's tables (all but `skip`, the version
/// table); returns the schema and the number of queries run.
pub async fn introspect(
    conn: &mut MySqlConnection,
    server: &ServerInfo,
    skip: &str,
) -> Result<(Schema, usize), IntrospectError> {
    let queries = catalog_queries(server.flavour);
    let mut tx = conn.begin_with("START TRANSACTION READ ONLY").await?;
    let name = |t: &str| ObjectName::new(DEFAULT_SCHEMA, t);
    let mut tables: BTreeMap<ObjectName, Table> = BTreeMap::new();

    for row in sqlx::query(sqlx::AssertSqlSafe(queries[0].clone()))
        .fetch_all(&mut *tx)
        .await?
    {
        let t = must(&row, 0)?;
        if t == skip {
            continue;
        }
        let mut table = Table::new(name(&t));
        table.comment = text(&row, 1)?.filter(|c| !c.is_empty());
        table.charset = TableCharset {
            charset: text(&row, 3)?,
            collation: text(&row, 2)?,
        };
        tables.insert(name(&t), table);
    }

    for row in sqlx::query(sqlx::AssertSqlSafe(queries[1].clone()))
        .fetch_all(&mut *tx)
        .await?
    {
        let Some(table) = tables.get_mut(&name(&must(&row, 0)?)) else {
            continue;
        };
        let column_type = must(&row, 2)?;
        let extra = must(&row, 5)?.to_ascii_lowercase();
        let mut column = Column::new(must(&row, 1)?, parse_type_text(&column_type, DIALECT));
        column.nullable = must(&row, 3)? == "YES";
        column.serial = extra.contains("auto_increment");
        column.comment = text(&row, 7)?.filter(|c| !c.is_empty());
        column.collation = text(&row, 6)?;
        if extra.contains("generated") && !extra.contains("default_generated") {
            let expr = must(&row, 8)?;
            column.generated = Some(Generated {
                expr: normalize_expr(&expr, DIALECT)?,
                stored: extra.contains("stored"),
            });
        } else if let Some(raw) = text(&row, 4)? {
            let sql = default_as_sql(&raw, &column.data_type, server.flavour, &extra);
            let normalized = normalize_default(&sql, &column.data_type, DIALECT)?;
            column.default = (!is_null_default(&normalized)).then_some(normalized);
        }
        // `on update current_timestamp()` in EXTRA: part of the default, as
        // the DDL reader keeps it.
        if let Some(at) = extra.find("on update ") {
            let raw_extra = must(&row, 5)?;
            let when = raw_extra.get(at + "on update ".len()..).unwrap_or_default();
            let when = normalize_expr(when.trim(), DIALECT)?;
            let default = column.default.take().unwrap_or_else(|| "NULL".to_string());
            column.default = Some(format!("{default}{DEFAULT_ON_UPDATE}{when}"));
        }
        table.columns.push(column);
    }

    let mut keys: BTreeMap<(String, String), KeyRows> = BTreeMap::new();
    for row in sqlx::query(sqlx::AssertSqlSafe(queries[2].clone()))
        .fetch_all(&mut *tx)
        .await?
    {
        let key = keys.entry((must(&row, 0)?, must(&row, 1)?)).or_default();
        key.columns.push(must(&row, 2)?);
        key.ref_table = text(&row, 3)?;
        if let Some(c) = text(&row, 4)? {
            key.ref_columns.push(c);
        }
    }
    for row in sqlx::query(sqlx::AssertSqlSafe(queries[3].clone()))
        .fetch_all(&mut *tx)
        .await?
    {
        if let Some(key) = keys.get_mut(&(must(&row, 0)?, must(&row, 1)?)) {
            key.on_update = must(&row, 2)?;
            key.on_delete = must(&row, 3)?;
        }
    }
    for ((t, constraint), key) in keys {
        let KeyRows {
            columns,
            ref_table,
            ref_columns,
            on_update,
            on_delete,
        } = key;
        let Some(table) = tables.get_mut(&name(&t)) else {
            continue;
        };
        if ref_table.is_none() {
            table.primary_key = Some(PrimaryKey {
                name: Some(constraint),
                columns,
                auto_name: true,
                without_overlaps: false,
            });
            continue;
        }
        let auto_name = is_numbered(&constraint, &format!("{t}_ibfk_"));
        table.foreign_keys.push(ForeignKey {
            name: Some(constraint),
            auto_name,
            columns,
            ref_table: name(&ref_table.unwrap_or_default()),
            ref_columns,
            on_delete: FkAction::parse(&on_delete).unwrap_or_default(),
            on_update: FkAction::parse(&on_update).unwrap_or_default(),
            deferrable: false,
            initially_deferred: false,
            match_kind: Default::default(),
            period: false,
            not_enforced: false,
        });
    }

    for row in sqlx::query(sqlx::AssertSqlSafe(queries[4].clone()))
        .fetch_all(&mut *tx)
        .await?
    {
        let t = must(&row, 0)?;
        let Some(table) = tables.get_mut(&name(&t)) else {
            continue;
        };
        let constraint = must(&row, 1)?;
        let auto_name = is_numbered(&constraint, "CONSTRAINT_")
            || is_numbered(&constraint, &format!("{t}_chk_"))
            || table.column(&constraint).is_some();
        table.checks.push(CheckConstraint {
            name: Some(constraint),
            auto_name,
            expr: normalize_expr(&must(&row, 2)?, DIALECT)?,
            not_enforced: false,
        });
    }

    for row in sqlx::query(sqlx::AssertSqlSafe(queries[5].clone()))
        .fetch_all(&mut *tx)
        .await?
    {
        let Some(table) = tables.get_mut(&name(&must(&row, 0)?)) else {
            continue;
        };
        let index_name = must(&row, 1)?;
        let unique = row.try_get::<i64, _>(2).unwrap_or(1) == 0;
        let method = must(&row, 5)?.to_ascii_lowercase();
        let descending = text(&row, 6)?.as_deref() == Some("D");
        let target = match (text(&row, 3)?, text(&row, 7)?) {
            (Some(c), _) => IndexTarget::Column(c),
            (None, Some(e)) => IndexTarget::Expression(normalize_expr(&e, DIALECT)?),
            (None, None) => continue,
        };
        let key = IndexKey {
            target,
            descending,
            prefix_length: row
                .try_get::<Option<i64>, _>(4)
                .ok()
                .flatten()
                .and_then(|n| u32::try_from(n).ok()),
            ..IndexKey::column("")
        };
        match table.indexes.iter_mut().find(|i| i.name == index_name) {
            Some(index) => index.keys.push(key),
            None => table.indexes.push(Index {
                name: index_name,
                unique,
                keys: vec![key],
                predicate: None,
                method,
                include: Vec::new(),
                nulls_not_distinct: false,
            }),
        }
    }
    tx.rollback().await?;

    let mut schema = Schema::default();
    for (n, mut table) in tables {
        table.canonicalize();
        schema.tables.insert(n, table);
    }
    crate::normalize::normalize(&mut schema);
    Ok((schema, queries.len()))
}

/// A primary or foreign key, gathered from its rows (one per column).
#[derive(Default)]
struct KeyRows {
    columns: Vec<String>,
    ref_table: Option<String>,
    ref_columns: Vec<String>,
    on_update: String,
    on_delete: String,
}

/// `name` is `prefix` and a number: a name the server made.
fn is_numbered(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix)
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A column's default as SQL. MariaDB reports an expression (literals
/// quoted, `NULL` for an explicit null); MySQL reports a literal bare and
/// marks an expression `DEFAULT_GENERATED`.
fn default_as_sql(raw: &str, data_type: &DataType, flavour: Flavour, extra: &str) -> String {
    match flavour {
        Flavour::MariaDb => raw.to_string(),
        Flavour::Mysql if extra.contains("default_generated") => raw.to_string(),
        Flavour::Mysql => {
            let numeric = data_type.is_numeric() || *data_type == DataType::Boolean;
            if numeric && raw.parse::<f64>().is_ok() {
                raw.to_string()
            } else {
                crate::render::quote_literal(raw)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_as_each_server_reports_them() {
        let text = DataType::Varchar { length: Some(5) };
        // MariaDB: an expression, literals quoted.
        assert_eq!(
            default_as_sql("'it''s'", &text, Flavour::MariaDb, ""),
            "'it''s'"
        );
        // MySQL 8: a literal bare, an expression marked DEFAULT_GENERATED.
        assert_eq!(default_as_sql("it's", &text, Flavour::Mysql, ""), "'it''s'");
        assert_eq!(
            default_as_sql("0", &DataType::Integer, Flavour::Mysql, ""),
            "0"
        );
        assert_eq!(
            default_as_sql(
                "CURRENT_TIMESTAMP",
                &DataType::Timestamp {
                    timezone: false,
                    precision: None
                },
                Flavour::Mysql,
                "default_generated"
            ),
            "CURRENT_TIMESTAMP"
        );
        // A number in a string column stays a string.
        assert_eq!(default_as_sql("1", &text, Flavour::Mysql, ""), "'1'");
    }

    #[test]
    fn server_made_names() {
        assert!(is_numbered("t_ibfk_12", "t_ibfk_"));
        assert!(!is_numbered("t_ibfk_", "t_ibfk_"));
        assert!(!is_numbered("fk_t", "t_ibfk_"));
    }

    #[test]
    fn checks_are_read_per_server() {
        let mariadb = catalog_queries(Flavour::MariaDb);
        let mysql = catalog_queries(Flavour::Mysql);
        assert_eq!(mariadb.len(), mysql.len());
        assert!(mariadb[4].contains("CHECK_CONSTRAINTS WHERE"));
        assert!(mysql[4].contains("JOIN information_schema.TABLE_CONSTRAINTS"));
        assert!(mysql[5].contains("EXPRESSION") && !mariadb[5].contains("EXPRESSION"));
    }
}

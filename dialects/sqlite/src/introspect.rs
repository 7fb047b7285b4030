use migdiff_ddl::{DdlError, SourceFile, read_schema};
use migdiff_model::Schema;
use sqlx::{Row, SqliteConnection};

#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    #[error("cannot read the SQLite catalog: {0}")]
    Query(#[from] sqlx::Error),
    #[error("the SQLite database holds DDL migdiff cannot read: {0}")]
    Ddl(#[from] DdlError),
}

/// Reads the schema (one query) and returns it with the query count.
pub async fn introspect(
    conn: &mut SqliteConnection,
    version_table: &str,
) -> Result<(Schema, usize), SqliteError> {
    let rows = sqlx::query(
        "select type, name, tbl_name, sql from sqlite_schema \
         where sql is not null and name not like 'sqlite\\_%' escape '\\' \
         and type in ('table', 'index', 'view', 'trigger') \
         order by case type when 'table' then 0 when 'index' then 1 when 'view' then 2 \
         else 3 end, rowid",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut text = String::new();
    for row in rows {
        let table: String = row.get(2);
        if table == version_table || table.starts_with("_alembic_tmp_") {
            continue;
        }
        let sql: String = row.get(3);
        text.push_str(&sql);
        text.push_str(";\n");
    }
    let schema = read_schema(
        &[SourceFile {
            path: "sqlite_schema".to_string(),
            text,
        }],
        crate::DIALECT,
    )?;
    Ok((schema, 1))
}

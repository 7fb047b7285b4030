//! MySQL and MariaDB: introspection from `information_schema` in a fixed
//! number of queries, the normalization both sides of a comparison go
//! through (booleans, the index behind a foreign key, unique indexes that
//! are constraints, defaults as the servers store them), SQL rendering
//! with `MODIFY`, and Alembic's MySQL type spellings. One crate for both
//! servers: which one, and its version, is read at connect.

use migdiff_model::{
    DataType, Dialect, DialectRender, ForeignKey, OnlineDdl, Op, PythonType, Rule, Schema, Table,
    TypeStyle,
};

mod driver;
mod introspect;
mod normalize;
mod python;
mod render;
mod spec;

pub use driver::MysqlTarget;
pub use introspect::{catalog_queries, introspect};
pub use render::{create_table_sql, render_sql};
pub use spec::{DEFAULT_SCHEMA, DIALECT};

/// MySQL and MariaDB for the dialect-neutral renderers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mysql;

/// Which server answers: their catalogs differ in places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Mysql,
    MariaDb,
}

/// The server, as read at connect.
#[derive(Debug, Clone)]
pub struct ServerInfo {
    pub flavour: Flavour,
    pub major: u32,
}

impl ServerInfo {
    /// Asks the server which it is (`10.11.6-MariaDB-…`, `8.0.36`).
    pub async fn ask(conn: &mut sqlx::MySqlConnection) -> Result<ServerInfo, sqlx::Error> {
        let version: String = sqlx::query_scalar("SELECT CAST(VERSION() AS CHAR)")
            .fetch_one(conn)
            .await?;
        Ok(ServerInfo::from_version(&version))
    }

    pub fn from_version(version: &str) -> ServerInfo {
        let flavour = if version.to_ascii_lowercase().contains("mariadb") {
            Flavour::MariaDb
        } else {
            Flavour::Mysql
        };
        let major = version
            .split(['.', '-'])
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        ServerInfo { flavour, major }
    }
}

/// A server error as the user should read it: the server's message.
pub fn server_error(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => db.message().to_string(),
        other => other.to_string(),
    }
}

impl DialectRender for Mysql {
    fn dialect(&self) -> Dialect {
        DIALECT
    }
    fn python_type(&self, data_type: &DataType, style: TypeStyle, _schema: &Schema) -> PythonType {
        python::python_type(data_type, style)
    }
    fn renders_autoincrement(&self) -> bool {
        true
    }
    fn index_method_keyword(&self, method: &str) -> (&'static str, String) {
        match method {
            "fulltext" | "spatial" => ("prefix", method.to_ascii_uppercase()),
            other => ("using", other.to_string()),
        }
    }
    fn index_left_by_dropped_fk(&self, table: &Table, fk: &ForeignKey) -> Option<String> {
        normalize::index_left_by(table, fk)
    }
    fn render_sql(&self, ops: &[Op], current: &Schema) -> Vec<String> {
        render::render_sql(ops, current)
    }
    /// InnoDB runs what it can in place without blocking writes by itself
    /// (the default algorithm is the least locking one): a lock rule
    /// holds only where the server must copy the table.
    fn hazards(&self, op: &Op) -> Vec<Rule> {
        let mut out: Vec<Rule> = op.hazards().into_iter().filter(|r| !r.is_lock()).collect();
        out.extend(render::online_refusal(op));
        out.sort();
        out.dedup();
        out
    }
    fn online_ddl(&self) -> OnlineDdl {
        OnlineDdl::Sql
    }
    fn online_preamble(&self) -> Option<String> {
        Some(render::ONLINE_PREAMBLE.to_string())
    }
    fn online_sql(&self, op: &Op, state: &Schema) -> Result<Vec<String>, Rule> {
        render::online_sql(op, state)
    }
    fn default_sql(&self, expr: &str) -> String {
        render::default_sql(expr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_versions() {
        let m = ServerInfo::from_version("10.11.19-MariaDB-0+deb12u1");
        assert_eq!((m.flavour, m.major), (Flavour::MariaDb, 10));
        let m = ServerInfo::from_version("8.0.36");
        assert_eq!((m.flavour, m.major), (Flavour::Mysql, 8));
    }
}

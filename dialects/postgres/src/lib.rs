//! PostgreSQL driver: live introspection through a fixed set of set-based
//! catalog queries, SQL rendering of ops, and Alembic type rendering.

mod driver;
mod entities;
mod error;
mod introspect;
mod introspect_objects;
mod names;
mod python;
mod render;
mod render_objects;
mod settle;
mod settle_objects;
mod spec;

pub use driver::PgTarget;
pub use error::server_error;
pub use introspect::{
    IntrospectOptions, Introspection, PgError, catalog_queries, connect, introspect, introspect_on,
};
pub use render::{create_table_sql, index_sql, render_sql};
pub use spec::DIALECT;

use migdiff_model::{
    DataType, Dialect, DialectRender, ObjectName, OnlineDdl, Op, PythonType, Schema, TypeStyle,
};

/// The PostgreSQL dialect for the dialect-neutral renderers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

impl DialectRender for Postgres {
    fn dialect(&self) -> Dialect {
        DIALECT
    }
    fn python_type(&self, data_type: &DataType, style: TypeStyle, schema: &Schema) -> PythonType {
        python::python_type(data_type, style, schema)
    }
    fn renders_autoincrement(&self) -> bool {
        true
    }
    fn named_enum_type(&self) -> PythonType {
        PythonType {
            code: "postgresql.ENUM".into(),
            import: Some("from sqlalchemy.dialects import postgresql"),
        }
    }
    fn render_sql(&self, ops: &[Op], _current: &Schema) -> Vec<String> {
        render::render_sql(ops)
    }
    fn alembic_utils_entity(
        &self,
        object: migdiff_model::EntityObject<'_>,
    ) -> Option<migdiff_model::Entity> {
        entities::entity(object)
    }
    fn rename_constraint_sql(&self, table: &ObjectName, from: &str, to: &str) -> Option<String> {
        Some(render::rename_constraint_sql(table, from, to))
    }
    fn online_ddl(&self) -> OnlineDdl {
        OnlineDdl::AlembicKeywords
    }
    fn online_preamble(&self) -> Option<String> {
        Some(format!(
            "SET lock_timeout = '{}'",
            render::ONLINE_LOCK_TIMEOUT
        ))
    }
    fn default_sql(&self, expr: &str) -> String {
        render::default_sql(expr)
    }
    fn alter_type_using(
        &self,
        column: &str,
        from: &DataType,
        to: &DataType,
    ) -> Option<(&'static str, String)> {
        render::needs_using(from, to).then(|| {
            let ty = migdiff_sqlexpr::type_sql(to, DIALECT);
            let col = migdiff_sqlexpr::quote_ident(column, DIALECT);
            ("postgresql_using", format!("{col}::{ty}"))
        })
    }
}

//! SQLite driver. SQLite's catalog is the DDL text it stores, so
//! introspection reads `sqlite_schema` in one query and runs that text
//! through the same DDL reader as declared schemas: one normalization for
//! both sides. Changes ALTER TABLE cannot make are rendered as the table
//! rebuild SQLite documents (new table, copy rows, drop, rename, indexes).

use migdiff_model::{DataType, Dialect, DialectRender, Op, PythonType, Rule, Schema, TypeStyle};

mod driver;
mod introspect;
mod python;
mod render;
mod spec;

pub use driver::SqliteTarget;
pub use introspect::{SqliteError, introspect};
pub use render::render_sql;
pub use spec::DIALECT;

/// The SQLite dialect for the dialect-neutral renderers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sqlite;

impl DialectRender for Sqlite {
    fn dialect(&self) -> Dialect {
        DIALECT
    }
    fn python_type(&self, data_type: &DataType, style: TypeStyle, schema: &Schema) -> PythonType {
        python::python_type(data_type, style, schema)
    }
    fn python_type_as_written(
        &self,
        written: &str,
        data_type: &DataType,
        _style: TypeStyle,
    ) -> Option<PythonType> {
        python::python_type_as_written(written, data_type)
    }
    fn reflected_constraint_name(&self, name: &str) -> Option<String> {
        name.contains('"').then(|| name.replace('"', "\"\""))
    }
    fn render_sql(&self, ops: &[Op], current: &Schema) -> Vec<String> {
        render::render_sql(ops, current)
    }
    /// A SQLite database has one writer at a time whatever the statement:
    /// only data lost and code broken are worth a tag.
    fn hazards(&self, op: &Op) -> Vec<Rule> {
        op.hazards().into_iter().filter(|r| !r.is_lock()).collect()
    }
    fn default_sql(&self, expr: &str) -> String {
        render::default_sql(expr)
    }
}

use crate::dialect::Dialect;
use crate::model::{ForeignKey, ObjectName, Schema, Table};
use crate::ops::Op;
use crate::rules::Rule;
use crate::types::DataType;

/// How a dialect writes changes that must not block a busy table
/// (`autogenerate --online`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnlineDdl {
    /// No online forms.
    Unsupported,
    /// Alembic's own calls with the dialect's keywords and a few SQL
    /// statements around them (PostgreSQL: CONCURRENTLY, NOT VALID then
    /// VALIDATE, USING INDEX): the Alembic renderer writes them.
    AlembicKeywords,
    /// Each op as the dialect's own SQL that the server runs without
    /// blocking writes, or refuses ([`DialectRender::online_sql`]).
    Sql,
}

/// Which spelling of a type an Alembic script uses: the model-level one for
/// values from the declared schema (`sa.String(length=50)`), the reflected
/// one for values read from the database (`sa.VARCHAR(length=50)`), as
/// Alembic's own autogenerate writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeStyle {
    Declared,
    Reflected,
}

/// A type as Python source, with the import line it needs (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PythonType {
    pub code: String,
    pub import: Option<&'static str>,
}

impl PythonType {
    pub fn sa(code: impl Into<String>) -> Self {
        PythonType {
            code: code.into(),
            import: None,
        }
    }
}

/// What each `dialects/*` crate provides to the dialect-neutral renderers.
pub trait DialectRender {
    fn dialect(&self) -> Dialect;
    /// The SQLAlchemy type expression for a column type.
    fn python_type(&self, data_type: &DataType, style: TypeStyle, schema: &Schema) -> PythonType;
    /// The SQLAlchemy type for a column whose type the database keeps as
    /// written (`Column::type_as_written`), where that spelling names
    /// another SQLAlchemy type than `data_type` alone would.
    fn python_type_as_written(
        &self,
        _written: &str,
        _data_type: &DataType,
        _style: TypeStyle,
    ) -> Option<PythonType> {
        None
    }
    /// Whether Alembic writes `autoincrement=` on integer columns (where
    /// the database has serial columns).
    fn renders_autoincrement(&self) -> bool {
        false
    }
    /// The name SQLAlchemy's reflection gives a CHECK or foreign key named
    /// `name`, where it differs (SQLite's doubles quotes in it): a batch
    /// rebuild finds the constraint to drop by that name.
    fn reflected_constraint_name(&self, _name: &str) -> Option<String> {
        None
    }
    /// The constructor of a named enum type as Alembic spells a reflected
    /// one, for its explicit `.create()` and `.drop()`.
    fn named_enum_type(&self) -> PythonType {
        PythonType::sa("sa.Enum")
    }
    /// The keyword (after the dialect's prefix) and value that name an
    /// index's method in SQLAlchemy: `postgresql_using='gin'`; MySQL's
    /// full-text index is `mysql_prefix='FULLTEXT'`.
    fn index_method_keyword(&self, method: &str) -> (&'static str, String) {
        ("using", method.to_string())
    }
    /// The index the server made for foreign key `fk` of `table` and
    /// leaves behind when the key is dropped (MySQL), to be dropped with
    /// it; `None` where the database makes none or another index serves.
    fn index_left_by_dropped_fk(&self, _table: &Table, _fk: &ForeignKey) -> Option<String> {
        None
    }
    /// SQL statements for `ops`, applied in order to `current`.
    fn render_sql(&self, ops: &[Op], current: &Schema) -> Vec<String>;
    /// An object as an alembic_utils entity (`PGView(schema=...,
    /// signature=..., definition=...)`), for projects that declare theirs
    /// so. Default: none (the dialect has no such entities).
    fn alembic_utils_entity(&self, _object: EntityObject<'_>) -> Option<Entity> {
        None
    }
    /// The rules `op` breaks on this dialect, for reports: PostgreSQL's
    /// lock rules as `Op::hazards` has them, by default.
    fn hazards(&self, op: &Op) -> Vec<Rule> {
        op.hazards()
    }
    /// How this dialect writes online-safe changes.
    fn online_ddl(&self) -> OnlineDdl {
        OnlineDdl::Unsupported
    }
    /// The statement an online upgrade or downgrade starts with, so that a
    /// statement waiting for a lock gives up instead of stalling every
    /// query queued behind it.
    fn online_preamble(&self) -> Option<String> {
        None
    }
    /// `op` (applied to `state`) as SQL the server runs without blocking
    /// writes, for [`OnlineDdl::Sql`]; the rule it breaks where the server
    /// cannot.
    fn online_sql(&self, op: &Op, _state: &Schema) -> Result<Vec<String>, Rule> {
        Err(op
            .hazards()
            .first()
            .copied()
            .unwrap_or(Rule::RequireLockTimeout))
    }
    /// A canonical default expression as it is written after `DEFAULT`.
    fn default_sql(&self, expr: &str) -> String {
        expr.to_string()
    }
    /// SQL that renames a constraint in place, where the database can.
    fn rename_constraint_sql(&self, _table: &ObjectName, _from: &str, _to: &str) -> Option<String> {
        None
    }
    /// The `alter_column` keyword that converts existing values when a
    /// column's type changes to one the database cannot cast to on its own
    /// (`postgresql_using='"code"::uuid'`): its name and Python value.
    fn alter_type_using(
        &self,
        _column: &str,
        _from: &DataType,
        _to: &DataType,
    ) -> Option<(&'static str, String)> {
        None
    }
}

/// An object an alembic_utils entity can stand for.
#[derive(Debug, Clone, Copy)]
pub enum EntityObject<'a> {
    View(&'a crate::View),
    Function(&'a crate::Function),
    Trigger(&'a crate::Trigger),
    Extension(&'a crate::Extension),
}

/// An alembic_utils entity: its class, the module that has it, a variable
/// name for it (as alembic_utils names them: `schema_name`), and its
/// keyword arguments as Python source, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    pub class: &'static str,
    pub module: &'static str,
    pub variable: String,
    pub args: Vec<(&'static str, String)>,
}

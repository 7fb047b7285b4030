//! What a declared schema written as SQLAlchemy models says beyond its
//! DDL. Used only to spell declared objects in a revision, never by the
//! diff; kept beside the schema (and in a snapshot of it), not inside it,
//! so two schemas compare equal whatever their spelling.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::ObjectName;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelHints {
    /// Constraint and index names a naming convention produced. Alembic
    /// renders them as `op.f(...)` so the convention is not applied twice.
    pub final_names: BTreeSet<String>,
    /// Column types as the models spell them (`sa.DateTime(timezone=True)`
    /// where SQLite's DDL only says DATETIME), by table and column name.
    pub column_types: BTreeMap<(ObjectName, String), ModelType>,
    /// The models' SQLAlchemy spells a PostgreSQL enum as `sa.Enum(...,
    /// create_type=False)` (2.1 and later), so the explicit create and drop
    /// of a declared enum type use `sa.Enum` too.
    pub sa_enum: bool,
    /// The schema came from SQLAlchemy models (directly, or through a
    /// snapshot written from them): a name they give is final only when a
    /// naming convention made it. From DDL or a database snapshot every
    /// name is final as written, and renders as `op.f(...)` so that the
    /// project's naming convention cannot rename it again.
    pub from_models: bool,
    /// An index's options for other dialects than the database's, as
    /// Python source (`sqlite_where=sa.text("state = 'queued'")`), by table
    /// and index name: Alembic renders every dialect's options.
    pub index_kwargs: BTreeMap<(ObjectName, String), DialectKwargs>,
    /// Expressions (CHECKs, partial-index predicates, server defaults,
    /// generated columns) as the declared source writes them, by their
    /// canonical form: a revision spells them so (`state='queued'`, a
    /// default `'7.5'`), the comparison uses the canonical form.
    pub spellings: BTreeMap<String, String>,
    /// The models declare their views, functions and triggers as
    /// alembic_utils entities: revisions write `op.create_entity(...)`,
    /// `op.replace_entity(...)` and `op.drop_entity(...)` for them, as
    /// alembic_utils' own autogenerate does.
    pub alembic_utils: bool,
}

/// Dialect options as (keyword, Python source) pairs.
pub type DialectKwargs = Vec<(String, String)>;

impl ModelHints {
    pub fn is_empty(&self) -> bool {
        self == &ModelHints::default()
    }
}

/// A column type as the model spells it, and the import it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelType {
    pub code: String,
    pub import: Option<String>,
}

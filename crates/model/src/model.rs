use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::objects::{Domain, Extension, Function, FunctionId, Trigger, TriggerId, View};
use crate::types::DataType;

/// A schema-qualified object name. Names keep their exact case; quoting is a
/// rendering concern.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectName {
    pub schema: String,
    pub name: String,
}

impl ObjectName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        ObjectName {
            schema: schema.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// A whole database schema as migdiff sees it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    /// Named schemas (namespaces) other than the dialect's default.
    pub schemas: BTreeSet<String>,
    pub tables: BTreeMap<ObjectName, Table>,
    pub enums: BTreeMap<ObjectName, EnumType>,
    /// Standalone sequences: the ones a serial column owns are part of the column.
    pub sequences: BTreeMap<ObjectName, Sequence>,
    /// Views and materialized views.
    pub views: BTreeMap<ObjectName, View>,
    /// Functions and procedures, overloads apart.
    pub functions: BTreeMap<FunctionId, Function>,
    pub triggers: BTreeMap<TriggerId, Trigger>,
    /// Extensions by name (a database has each at most once).
    pub extensions: BTreeMap<String, Extension>,
    pub domains: BTreeMap<ObjectName, Domain>,
}

impl Schema {
    pub fn table(&self, name: &ObjectName) -> Option<&Table> {
        self.tables.get(name)
    }

    /// Puts every list in its canonical order so that two equal schemas
    /// compare equal and serialize byte for byte the same.
    pub fn canonicalize(&mut self) {
        for table in self.tables.values_mut() {
            table.canonicalize();
        }
        for view in self.views.values_mut() {
            view.indexes.sort_by(|a, b| a.name.cmp(&b.name));
            view.options.sort();
        }
    }

    /// Whether the schema holds any object beyond tables, enums and
    /// sequences.
    pub fn has_objects(&self) -> bool {
        !(self.views.is_empty()
            && self.functions.is_empty()
            && self.triggers.is_empty()
            && self.extensions.is_empty()
            && self.domains.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: ObjectName,
    /// In table order.
    pub columns: Vec<Column>,
    pub primary_key: Option<PrimaryKey>,
    pub foreign_keys: Vec<ForeignKey>,
    pub uniques: Vec<UniqueConstraint>,
    pub checks: Vec<CheckConstraint>,
    pub indexes: Vec<Index>,
    pub comment: Option<String>,
    /// SQLite's AUTOINCREMENT keyword on the INTEGER PRIMARY KEY.
    pub sqlite_autoincrement: bool,
    /// MySQL's table character set and collation: what a new column of
    /// the table takes when it states none (`DEFAULT CHARSET=utf8mb4
    /// COLLATE=utf8mb4_bin`). `None` where the DDL does not say.
    pub charset: TableCharset,
}

/// A table's default character set and collation (MySQL).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableCharset {
    pub charset: Option<String>,
    pub collation: Option<String>,
}

impl TableCharset {
    pub fn is_unset(&self) -> bool {
        self.charset.is_none() && self.collation.is_none()
    }
}

impl std::fmt::Display for TableCharset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.charset, &self.collation) {
            (None, None) => f.write_str("default"),
            (Some(c), None) => f.write_str(c),
            (None, Some(c)) => f.write_str(c),
            (Some(cs), Some(c)) => write!(f, "{cs} {c}"),
        }
    }
}

impl Table {
    pub fn new(name: ObjectName) -> Self {
        Table {
            name,
            columns: Vec::new(),
            primary_key: None,
            foreign_keys: Vec::new(),
            uniques: Vec::new(),
            checks: Vec::new(),
            indexes: Vec::new(),
            comment: None,
            sqlite_autoincrement: false,
            charset: TableCharset::default(),
        }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.name == name)
    }

    /// Rewrites every expression of the table that can name its columns:
    /// CHECK bodies, index expressions and predicates, generated columns.
    pub fn map_expressions(&mut self, mut f: impl FnMut(&str) -> String) {
        for c in &mut self.checks {
            c.expr = f(&c.expr);
        }
        for i in &mut self.indexes {
            if let Some(p) = &i.predicate {
                i.predicate = Some(f(p));
            }
            for k in &mut i.keys {
                if let IndexTarget::Expression(e) = &k.target {
                    k.target = IndexTarget::Expression(f(e));
                }
            }
        }
        for c in &mut self.columns {
            if let Some(g) = &mut c.generated {
                g.expr = f(&g.expr);
            }
        }
    }

    /// Each column's name and type (owned: the table is rewritten while
    /// they are consulted).
    pub fn column_types(&self) -> Vec<(String, DataType)> {
        self.columns
            .iter()
            .map(|c| (c.name.clone(), c.data_type.clone()))
            .collect()
    }

    pub fn canonicalize(&mut self) {
        self.foreign_keys
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.uniques
            .sort_by(|a, b| (&a.name, &a.columns).cmp(&(&b.name, &b.columns)));
        self.checks
            .sort_by(|a, b| (&a.name, &a.expr).cmp(&(&b.name, &b.expr)));
        self.indexes.sort_by(|a, b| a.name.cmp(&b.name));
    }
}

/// What joins a column's default and MySQL's `ON UPDATE` expression in
/// `Column::default`.
pub const DEFAULT_ON_UPDATE: &str = " ON UPDATE ";

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub data_type: DataType,
    pub nullable: bool,
    /// The server default as a normalized SQL expression. MySQL's `ON
    /// UPDATE` clause follows it, joined by [`DEFAULT_ON_UPDATE`]
    /// (`CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP`), as SQLAlchemy
    /// reflects it and as a model declares it.
    pub default: Option<String>,
    /// PostgreSQL serial: the default is `nextval()` of a sequence this
    /// column owns. The default above is then `None`; renderers recreate it.
    pub serial: bool,
    pub identity: Option<Identity>,
    pub generated: Option<Generated>,
    pub collation: Option<String>,
    pub comment: Option<String>,
    /// The type as the table's DDL writes it, where the database keeps
    /// that text and `data_type` folds it with a synonym: SQLite stores
    /// `TIMESTAMP` and `DATETIME` as written, both `DataType::Timestamp`.
    /// Never compared (the synonyms behave the same); renderers spell the
    /// type with it so a re-created column gets its old declaration back.
    pub type_as_written: Option<String>,
}

impl Column {
    pub fn new(name: impl Into<String>, data_type: DataType) -> Self {
        Column {
            name: name.into(),
            data_type,
            nullable: true,
            default: None,
            serial: false,
            identity: None,
            generated: None,
            collation: None,
            comment: None,
            type_as_written: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `GENERATED ALWAYS` (true) or `BY DEFAULT` (false).
    pub always: bool,
    pub start: Option<i64>,
    pub increment: Option<i64>,
    pub min_value: Option<i64>,
    pub max_value: Option<i64>,
    pub cache: Option<i64>,
    pub cycle: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub expr: String,
    /// STORED (PostgreSQL only supports stored; SQLite has VIRTUAL too).
    pub stored: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
    /// Declared without a name: `name` is the one the database will give
    /// it (PostgreSQL's `orders_user_id_fkey`). Such a constraint is matched
    /// by its definition, as Alembic matches unnamed constraints; only names
    /// the user wrote (or a naming convention made) are compared.
    pub auto_name: bool,
    /// PostgreSQL 18's temporal key: the last column is compared for
    /// overlap, not equality (`PRIMARY KEY (id, valid_at WITHOUT OVERLAPS)`).
    pub without_overlaps: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum FkAction {
    #[default]
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl FkAction {
    pub fn sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }

    pub fn parse(s: &str) -> Option<FkAction> {
        match s
            .to_ascii_uppercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .as_str()
        {
            "NO ACTION" => Some(FkAction::NoAction),
            "RESTRICT" => Some(FkAction::Restrict),
            "CASCADE" => Some(FkAction::Cascade),
            "SET NULL" => Some(FkAction::SetNull),
            "SET DEFAULT" => Some(FkAction::SetDefault),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum FkMatch {
    #[default]
    Simple,
    Full,
    Partial,
}

impl FkMatch {
    pub fn sql(self) -> &'static str {
        match self {
            FkMatch::Simple => "SIMPLE",
            FkMatch::Full => "FULL",
            FkMatch::Partial => "PARTIAL",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub name: Option<String>,
    /// Declared without a name: `name` is the one the database will give
    /// it (PostgreSQL's `orders_user_id_fkey`). Such a constraint is matched
    /// by its definition, as Alembic matches unnamed constraints; only names
    /// the user wrote (or a naming convention made) are compared.
    pub auto_name: bool,

    pub columns: Vec<String>,
    pub ref_table: ObjectName,
    pub ref_columns: Vec<String>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
    pub deferrable: bool,
    pub initially_deferred: bool,
    pub match_kind: FkMatch,
    /// PostgreSQL 18's temporal reference: the last column of both sides
    /// is a range matched with `PERIOD` (`FOREIGN KEY (id, PERIOD valid_at)`).
    pub period: bool,
    /// PostgreSQL 18's `NOT ENFORCED`: declared, never checked.
    pub not_enforced: bool,
}

impl ForeignKey {
    /// What identifies an FK when it has no name: Alembic matches FKs by this.
    pub fn signature(&self) -> (&[String], &ObjectName, &[String]) {
        (&self.columns, &self.ref_table, &self.ref_columns)
    }

    fn sort_key(&self) -> (Option<&String>, &[String], &ObjectName, &[String]) {
        (
            self.name.as_ref(),
            &self.columns,
            &self.ref_table,
            &self.ref_columns,
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueConstraint {
    pub name: Option<String>,
    /// Declared without a name: `name` is the one the database will give
    /// it (PostgreSQL's `orders_user_id_fkey`). Such a constraint is matched
    /// by its definition, as Alembic matches unnamed constraints; only names
    /// the user wrote (or a naming convention made) are compared.
    pub auto_name: bool,

    pub columns: Vec<String>,
    pub nulls_not_distinct: bool,
    pub deferrable: bool,
    pub initially_deferred: bool,
    /// PostgreSQL 18's temporal key (see `PrimaryKey::without_overlaps`).
    pub without_overlaps: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckConstraint {
    pub name: Option<String>,
    /// Declared without a name: `name` is the one the database will give
    /// it (PostgreSQL's `orders_user_id_fkey`). Such a constraint is matched
    /// by its definition, as Alembic matches unnamed constraints; only names
    /// the user wrote (or a naming convention made) are compared.
    pub auto_name: bool,

    /// Normalized boolean expression, without the outer `CHECK (...)`.
    pub expr: String,
    /// PostgreSQL 18's `NOT ENFORCED`: declared, never checked.
    pub not_enforced: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexTarget {
    Column(String),
    /// A normalized SQL expression.
    Expression(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexKey {
    pub target: IndexTarget,
    pub descending: bool,
    /// `None`: the default for the direction (NULLS LAST asc, FIRST desc).
    pub nulls_first: Option<bool>,
    /// A non-default operator class.
    pub opclass: Option<String>,
    pub collation: Option<String>,
    /// MySQL's index prefix: only the column's first `n` characters (or
    /// bytes) are keyed (`KEY ix (name(10))`).
    pub prefix_length: Option<u32>,
}

impl IndexKey {
    pub fn column(name: impl Into<String>) -> Self {
        IndexKey {
            target: IndexTarget::Column(name.into()),
            descending: false,
            nulls_first: None,
            opclass: None,
            collation: None,
            prefix_length: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    pub keys: Vec<IndexKey>,
    /// Partial index predicate, normalized.
    pub predicate: Option<String>,
    /// Access method; `btree` is the default and is stored as such.
    pub method: String,
    pub include: Vec<String>,
    pub nulls_not_distinct: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumType {
    pub name: ObjectName,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence {
    pub name: ObjectName,
    pub data_type: DataType,
    pub start: Option<i64>,
    pub increment: Option<i64>,
    pub min_value: Option<i64>,
    pub max_value: Option<i64>,
    pub cache: Option<i64>,
    pub cycle: bool,
}

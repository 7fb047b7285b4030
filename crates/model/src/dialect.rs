//! The seam between the dialect-neutral crates and the dialects: what a
//! database's SQL means and how it is spelled, as facts each `dialects/*`
//! crate states by implementing [`DialectSpec`]. The crates below the
//! dialects (the model, expressions, the DDL reader, the Alembic renderer)
//! ask these questions and never which database it is; a new dialect is a
//! new implementation, not a new branch in each of them.

use std::fmt;

use crate::model::Schema;
use crate::render::DialectRender;
use crate::types::DataType;

/// What the dialect-neutral crates need to know about one database's SQL.
/// Pure facts: no I/O (introspection and throwaway databases live beside
/// each implementation, behind the command line's registry).
pub trait DialectSpec: Send + Sync + 'static {
    /// The name URLs, snapshots, messages and `--dialect` use: `postgresql`.
    fn name(&self) -> &'static str;
    /// The name messages use: `PostgreSQL`.
    fn title(&self) -> &'static str;
    /// Other spellings `--dialect` and snapshots accept (`pg`, `sqlite3`).
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }
    /// The schema a table lives in when none is named.
    fn default_schema(&self) -> &'static str;
    /// Whether a database has several schemas (namespaces) of tables.
    fn has_schemas(&self) -> bool;
    /// The grammar sqlparser reads this dialect's SQL with (a name
    /// `sqlparser::dialect::dialect_from_str` knows).
    fn sql_grammar(&self) -> &'static str;

    // ----- names

    /// The name the catalog keeps for `name` as written, quoted or not
    /// (PostgreSQL folds unquoted names to lower case).
    fn fold_name(&self, name: &str, quoted: bool) -> String;
    /// Whether names compare without regard to case, even quoted (SQLite).
    fn names_ignore_case(&self) -> bool;
    /// Whether `name` must be quoted to be read back as itself.
    fn needs_quotes(&self, name: &str) -> bool;
    /// The character that quotes a name (`"`; MySQL's backtick).
    fn identifier_quote(&self) -> char {
        '"'
    }
    /// Whether `word`, unquoted, cannot name a table or a column.
    fn is_reserved_word(&self, word: &str) -> bool;
    /// The name the database gives an unnamed constraint or index of
    /// `table` (`label`: `pkey`, `key`, `fkey`, `check`, `idx`, `excl`) over
    /// `columns`, avoiding `taken`; `None` when it leaves them unnamed.
    fn implicit_name(
        &self,
        table: &str,
        columns: Option<&[String]>,
        label: &str,
        taken: &dyn Fn(&str) -> bool,
    ) -> Option<String>;

    // ----- types and values

    /// A type this dialect spells its own way, by its lower-cased base name
    /// (`float`, `jsonb`, `datetime`) and numeric arguments; `None` for the
    /// names every dialect shares.
    fn type_named(&self, base: &str, args: &[Option<u32>]) -> Option<DataType>;
    /// How this dialect spells `data_type` in SQL (what its catalog prints).
    fn type_sql(&self, data_type: &DataType) -> String;
    /// Whether the database keeps a column's type text as written (SQLite),
    /// so that a synonym comes back as it was declared.
    fn keeps_type_as_written(&self) -> bool {
        false
    }
    /// SQL for a boolean value: `true` / `false`, or `1` / `0`.
    fn boolean_sql(&self, value: bool) -> &'static str;
    /// Whether a backslash in a string literal escapes the next character
    /// (MySQL's default SQL mode), so that canonical text must double it.
    fn backslash_escapes(&self) -> bool {
        false
    }
    /// Whether canonical expressions write casts `x::type` (PostgreSQL)
    /// rather than `CAST(x AS type)`.
    fn double_colon_casts(&self) -> bool {
        false
    }
    /// Whether the server adds casts to what it stores (`'a'::text`) that
    /// the declared side does not write, and that compare as noise.
    fn adds_implicit_casts(&self) -> bool {
        false
    }

    // ----- what the DDL can say

    /// Whether `SERIAL`, identity columns and sequences exist.
    fn has_sequences(&self) -> bool;
    /// Whether views, materialized views, functions, triggers and
    /// extensions are read on both sides and compared. Default: no (the
    /// DDL reader skips them, as before they were modelled).
    fn reads_objects(&self) -> bool {
        false
    }
    /// Whether the DDL reader refuses the table forms the model does not
    /// hold (partitions, inheritance, `LIKE`, `AS`, `UNLOGGED`, storage
    /// parameters, `NOT VALID` and `NO INHERIT` constraints, `COLLATE` in
    /// an index key) rather than read past them. Default: no.
    fn refuses_unmodelled_table_forms(&self) -> bool {
        false
    }
    /// Whether changing an existing table rebuilds it (SQLite's batch
    /// mode: a new table, the rows copied, the old one dropped), so that
    /// its triggers and the views over it must be made again. Default: no.
    fn alters_by_rebuilding(&self) -> bool {
        false
    }
    /// Whether `SET search_path` decides the schema of unqualified names
    /// in DDL. Default: no (names without a schema are in the default one).
    fn has_search_path(&self) -> bool {
        false
    }
    /// Whether a generated column written without STORED or VIRTUAL is
    /// virtual on a server of `server_major` (`None`: not known).
    fn generated_without_mode_is_virtual(&self, server_major: Option<u32>) -> bool;
    /// Whether a generated column's mode may be left out, to be decided by
    /// the server's version (PostgreSQL 18 changed it).
    fn generated_mode_depends_on_server(&self) -> bool {
        false
    }
    /// Whether CHECK and FOREIGN KEY constraints may be NOT ENFORCED and
    /// keys WITHOUT OVERLAPS (PostgreSQL 18).
    fn has_temporal_and_not_enforced(&self) -> bool {
        false
    }
    /// Whether an unquoted bare word in a default is a string (SQLite)
    /// rather than a column reference the server refuses.
    fn bare_words_in_defaults_are_strings(&self) -> bool {
        false
    }
    /// Whether a table needs at least one column (SQLite).
    fn tables_need_a_column(&self) -> bool {
        false
    }
    /// Whether a table may say AUTOINCREMENT (SQLite's keyword on its
    /// INTEGER PRIMARY KEY).
    fn has_autoincrement_keyword(&self) -> bool {
        false
    }
    /// Whether `word`, an unquoted keyword, cannot be a type name (beyond
    /// the clause words no dialect takes as one).
    fn keyword_is_not_a_type(&self, _word: &str) -> bool {
        false
    }
    /// Whether a type name may be quoted (`"Mood"`); SQLite keeps a quoted
    /// type as written and reports it bare, so it would never compare.
    fn quoted_type_names(&self) -> bool {
        true
    }
    /// Whether primary key columns are made NOT NULL (SQLite, for old
    /// reasons, does not).
    fn primary_key_implies_not_null(&self) -> bool {
        true
    }
    /// The longest name the database keeps, in bytes (PostgreSQL drops the
    /// rest of a longer one).
    fn max_name_bytes(&self) -> Option<usize> {
        None
    }
    /// Whether a key or an index may cover a virtual generated column.
    fn keys_on_virtual_columns(&self) -> bool {
        true
    }
    /// Whether index keys may name an operator class.
    fn has_operator_classes(&self) -> bool {
        true
    }
    /// Whether an unnamed key that repeats one the table already has is
    /// dropped (`UNIQUE PRIMARY KEY`: PostgreSQL makes one index).
    fn drops_repeated_unnamed_keys(&self) -> bool {
        false
    }
    /// Whether index names are unique per table (MySQL) rather than per
    /// schema.
    fn index_names_per_table(&self) -> bool {
        false
    }
    /// Whether a column's collation is compared only where the declared
    /// side states one (MySQL reports one for every string column).
    fn collations_compared_only_when_declared(&self) -> bool {
        false
    }
    /// Whether DDL runs inside transactions, so that a failed revision
    /// leaves nothing behind (MySQL commits each statement).
    fn transactional_ddl(&self) -> bool {
        true
    }
    /// Whether an index key may be a column's prefix (MySQL's `name(10)`).
    fn index_prefix_lengths(&self) -> bool {
        false
    }
    /// Whether a table's definition may declare its indexes (MySQL's
    /// `KEY name (cols)`, `UNIQUE KEY name (cols)`, `FULLTEXT KEY`).
    fn declares_indexes_in_tables(&self) -> bool {
        false
    }
    /// Whether Alembic's `batch_alter_table` is the default way to change
    /// an existing table (SQLite's ALTER TABLE cannot do most changes).
    fn batch_by_default(&self) -> bool {
        false
    }
    /// The prefix of SQLAlchemy's keyword arguments for this dialect
    /// (`postgresql_where`, `sqlite_autoincrement`).
    fn kwarg_prefix(&self) -> &'static str;
    /// The index method an index has when none is named; `None` where
    /// the database has one kind of index only (SQLite).
    fn default_index_method(&self) -> Option<&'static str> {
        Some("btree")
    }
    /// The scheme of a SQLAlchemy URL for this dialect (`postgresql://`).
    fn sqlalchemy_scheme(&self) -> &'static str;

    /// Rewrites a schema into what this server makes of it, where that
    /// differs from what was written: both sides of a comparison (the DDL
    /// reader's result and the introspected catalog) go through it, so a
    /// server's own additions and synonyms compare as nothing (MySQL's
    /// index behind a foreign key, its unique indexes that are constraints).
    fn normalize(&self, _schema: &mut Schema) {}

    /// Renders ops and types for this dialect.
    fn renderer(&self) -> &'static dyn DialectRender;
}

/// One dialect, as the crates below the dialects see it: a handle on its
/// [`DialectSpec`], compared by name.
#[derive(Clone, Copy)]
pub struct Dialect(&'static dyn DialectSpec);

impl Dialect {
    pub const fn new(spec: &'static dyn DialectSpec) -> Self {
        Dialect(spec)
    }

    /// The facts of this dialect.
    pub fn spec(self) -> &'static dyn DialectSpec {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The schema a table lives in when none is named.
    pub fn default_schema(self) -> &'static str {
        self.0.default_schema()
    }

    /// Whether `text` names this dialect (its name or an alias, any case).
    pub fn is_called(self, text: &str) -> bool {
        self.name().eq_ignore_ascii_case(text)
            || self
                .0
                .aliases()
                .iter()
                .any(|a| a.eq_ignore_ascii_case(text))
    }

    /// The dialect among `known` that `text` names.
    pub fn find(known: &[Dialect], text: &str) -> Result<Dialect, String> {
        known
            .iter()
            .copied()
            .find(|d| d.is_called(text))
            .ok_or_else(|| {
                let names: Vec<String> = known.iter().map(|d| format!("`{}`", d.name())).collect();
                format!("unknown dialect `{text}`: use {}", names.join(" or "))
            })
    }
}

impl std::ops::Deref for Dialect {
    type Target = dyn DialectSpec;
    fn deref(&self) -> &Self::Target {
        self.0
    }
}

impl PartialEq for Dialect {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Dialect {}

impl fmt::Debug for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

//! The DDL reader, by stage: `prepass` (text rewrites before sqlparser),
//! parsing on every core (here), `tables`, `constraints`, `indexes`,
//! `sequences`, `alter` (one statement at a time, in file order),
//! `finish` (resolve and validate), with `refusals` and `errors` beside.

use std::collections::{BTreeMap, BTreeSet};

use migdiff_model::{self as m, DataType, Dialect, ObjectName};
use migdiff_sqlexpr::{
    is_null_default, normalize_default_parsed, normalize_parsed, parse_type_text, sql_dialect,
    type_as_written,
};
use sqlparser::ast::{
    self as ast, AlterColumnOperation, AlterTableOperation, ColumnOption, CommentObject, Expr,
    GeneratedAs, GeneratedExpressionMode, Ident, OrderBySort, ReferentialAction, SchemaName,
    SequenceOptions, Statement, TableConstraint, UserDefinedTypeRepresentation,
};
use sqlparser::parser::Parser;

use crate::split::{RawStatement, split_statements};
use crate::temporal::{TemporalMarks, blank_temporal_keywords};

mod alter;
mod constraints;
mod errors;
mod finish;
mod indexes;
mod objects;
mod prepass;
mod refusals;
mod sequences;
mod tables;

pub use errors::DdlError;
use errors::*;
pub use prepass::has_generated_without_mode;
use prepass::*;
use refusals::*;
use sequences::*;
use tables::*;

/// One file of a declared schema.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

struct Reader {
    dialect: Dialect,
    /// A PostgreSQL generated column without STORED or VIRTUAL is virtual
    /// (PostgreSQL 18 and later).
    virtual_by_default: bool,
    /// Of the statement being applied, whether each generated column (in
    /// text order) is virtual: sqlparser reads them all as STORED.
    virtual_columns: std::cell::RefCell<std::collections::VecDeque<bool>>,
    /// Of the statement being applied, where PostgreSQL 18's temporal key
    /// words were (sqlparser does not read them).
    temporal: TemporalMarks,
    schema: m::Schema,
    /// Sequence → (table, column) from `OWNED BY`.
    owned: Vec<(ObjectName, ObjectName, String)>,
    /// Names taken per schema, for the names PostgreSQL makes up.
    used_names: BTreeMap<String, BTreeSet<String>>,
    table_origins: BTreeMap<ObjectName, Origin>,
    /// Index names per schema (PostgreSQL) or database (SQLite): unique.
    index_names: BTreeSet<(String, String)>,
    /// Where each CREATE INDEX is, by table and index name: a mistake in
    /// an index is reported there, not at its table.
    index_origins: BTreeMap<(ObjectName, String), Origin>,
    /// Expressions as the DDL writes them, by their canonical form.
    spellings: std::cell::RefCell<BTreeMap<String, String>>,
    /// The schema unqualified names go to: the first of `SET search_path`
    /// (per file; the dialect's default before one).
    search_schema: String,
    /// The whole search path as the last `SET search_path` wrote it.
    search_path: String,
    /// Every schema a `SET search_path` named first: where unqualified
    /// type names are looked up once all types are known.
    search_schemas: BTreeSet<String>,
}

/// Remembers how the DDL wrote an expression whose canonical form is
/// `canonical`, so a revision can spell it that way; returns `canonical`.
fn spelled(
    spellings: &std::cell::RefCell<BTreeMap<String, String>>,
    canonical: String,
    written: &ast::Expr,
    dialect: Dialect,
) -> String {
    let written = migdiff_sqlexpr::expr_sql(written, dialect);
    if written != canonical {
        spellings
            .borrow_mut()
            .entry(canonical.clone())
            .or_insert(written);
    }
    canonical
}

/// Reads the files (in the order given) into one schema.
pub fn read_schema(files: &[SourceFile], dialect: Dialect) -> Result<m::Schema, DdlError> {
    read_schema_spelled(files, dialect).map(|(schema, _)| schema)
}

/// Like `read_schema`, with the expressions (CHECKs, partial-index
/// predicates, defaults, generated columns) as the files write them, by
/// their canonical form: the declared spelling a revision uses.
pub fn read_schema_spelled(
    files: &[SourceFile],
    dialect: Dialect,
) -> Result<(m::Schema, BTreeMap<String, String>), DdlError> {
    read_schema_for_server(files, dialect, None)
}

/// Like `read_schema_spelled`, for a server of `server_major` where the
/// DDL's meaning depends on it: a PostgreSQL generated column without
/// `STORED` or `VIRTUAL` is virtual from PostgreSQL 18 on, stored before
/// (and when the major is not known).
pub fn read_schema_for_server(
    files: &[SourceFile],
    dialect: Dialect,
    server_major: Option<u32>,
) -> Result<(m::Schema, BTreeMap<String, String>), DdlError> {
    let mut reader = Reader {
        dialect,
        virtual_by_default: dialect.generated_mode_depends_on_server()
            && dialect.generated_without_mode_is_virtual(server_major),
        virtual_columns: Default::default(),
        temporal: TemporalMarks::default(),
        schema: m::Schema::default(),
        owned: Vec::new(),
        used_names: BTreeMap::new(),
        table_origins: BTreeMap::new(),
        index_names: BTreeSet::new(),
        index_origins: BTreeMap::new(),
        spellings: Default::default(),
        search_schema: dialect.default_schema().to_string(),
        search_path: String::new(),
        search_schemas: BTreeSet::new(),
    };
    for file in files {
        reader.search_schema = dialect.default_schema().to_string();
        let raws = split_statements(&file.text).map_err(|open| DdlError::Parse {
            path: file.path.clone(),
            line: open.line,
            column: open.column,
            message: open.what,
            first_line: file
                .text
                .lines()
                .nth(open.line - 1)
                .map(shorten)
                .unwrap_or_default(),
        })?;
        read_statements(&mut reader, &file.path, &raws)?;
    }
    reader.finish()
}

/// A statement, classified and (when sqlparser reads it) parsed.
enum Parsed {
    Ignored,
    /// Read by a targeted reader in the sequential pass.
    Targeted,
    /// A view, function, trigger or extension statement (`objects`).
    Object,
    /// `SET search_path`: the schema unqualified names go to from here on.
    SearchPath(String, String),
    /// With, for PostgreSQL, whether each generated column is virtual and
    /// where the temporal key words were.
    Statements(Vec<Statement>, Vec<bool>, TemporalMarks),
}

fn parse_one(
    path: &str,
    raw: &RawStatement,
    dialect: Dialect,
    virtual_by_default: bool,
) -> Result<Parsed, DdlError> {
    if dialect.has_search_path()
        && let Some((schema, path)) = search_path_schema(raw.text, dialect)
    {
        return Ok(Parsed::SearchPath(schema, path));
    }
    if dialect.reads_objects() && objects::is_object_statement(raw.text) {
        return Ok(Parsed::Object);
    }
    if is_ignored(raw.text) {
        return Ok(Parsed::Ignored);
    }
    let up = upper_words(raw.text);
    if (up.starts_with("ALTER SEQUENCE ") && contains_ignore_case(raw.text, " OWNED BY "))
        || up.starts_with("CREATE SEQUENCE ")
        || up.starts_with("CREATE TEMP SEQUENCE ")
        || up.starts_with("CREATE TEMPORARY SEQUENCE ")
    {
        return Ok(Parsed::Targeted);
    }
    let mut text = reorder_identity_options(&strip_sequence_name(raw.text));
    if dialect.declares_indexes_in_tables() {
        text = blank_index_kind(text);
    }
    let mut virtual_columns = Vec::new();
    let mut temporal = TemporalMarks::default();
    if dialect.generated_mode_depends_on_server() {
        let modes = generated_keyword(text, virtual_by_default);
        virtual_columns = modes.virtual_columns;
        // Last: the marks are positions in the text sqlparser reads.
        (text, temporal) = blank_temporal_keywords(modes.text);
    }
    let d = sql_dialect(dialect);
    let statements = Parser::new(d.as_ref())
        .try_with_sql(&text)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| {
            let msg = e.to_string();
            let (line, column) = locate(&msg, raw);
            DdlError::Parse {
                path: path.to_string(),
                line,
                column,
                message: clean_message(&msg),
                first_line: first_line(raw.text),
            }
        })?;
    if let Some((line, column)) = raw.empty_item {
        return Err(DdlError::Parse {
            path: path.to_string(),
            line,
            column,
            message: "an empty item in a list (a comma with nothing before or after it)".into(),
            first_line: first_line(raw.text),
        });
    }
    Ok(Parsed::Statements(statements, virtual_columns, temporal))
}

/// Statements handed to a parsing thread at a time.
const BATCH: usize = 32;
/// Parsed batches a thread may have waiting: bounds the syntax trees alive.
const QUEUED_BATCHES: usize = 8;

/// Parses on every core and applies in file order. Parsing is pure and the
/// bulk of the work; applying stays sequential so results never depend on
/// timing. The same threads parse the whole file, batch after batch, and
/// each hands its batches over a bounded queue: a thread per chunk, with
/// every tree of a chunk alive at once, had the allocator fault in fresh
/// pages for each chunk, which was a third of the time.
fn read_statements(reader: &mut Reader, path: &str, raws: &[RawStatement]) -> Result<(), DdlError> {
    let dialect = reader.dialect;
    let virtual_by_default = reader.virtual_by_default;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || raws.len() < 4 * BATCH {
        for raw in raws {
            reader.apply_parsed(
                path,
                raw,
                parse_one(path, raw, dialect, virtual_by_default)?,
            )?;
        }
        return Ok(());
    }
    let batches: Vec<&[RawStatement]> = raws.chunks(BATCH).collect();
    std::thread::scope(|scope| {
        let queues: Vec<_> = (0..threads)
            .map(|worker| {
                let (sender, receiver) = std::sync::mpsc::sync_channel(QUEUED_BATCHES);
                let mine: Vec<&[RawStatement]> = batches
                    .iter()
                    .skip(worker)
                    .step_by(threads)
                    .copied()
                    .collect();
                scope.spawn(move || {
                    for batch in mine {
                        let parsed: Vec<_> = batch
                            .iter()
                            .map(|r| parse_one(path, r, dialect, virtual_by_default))
                            .collect();
                        // The reader stopped at an error: nothing more is wanted.
                        if sender.send(parsed).is_err() {
                            break;
                        }
                    }
                });
                receiver
            })
            .collect();
        for (at, batch) in batches.iter().enumerate() {
            // A closed queue means its thread panicked; the scope re-raises it.
            let Ok(parsed) = queues[at % threads].recv() else {
                break;
            };
            for (raw, p) in batch.iter().zip(parsed) {
                reader.apply_parsed(path, raw, p?)?;
            }
        }
        Ok(())
    })
}

impl Reader {
    fn ident(&self, i: &Ident) -> String {
        self.dialect.fold_name(&i.value, i.quote_style.is_some())
    }

    /// The name the dialect gives an unnamed constraint or index of
    /// `table`, taken in its schema's namespace; `None` where it leaves
    /// them unnamed.
    fn implicit_name(
        &mut self,
        table: &ObjectName,
        columns: Option<&[String]>,
        label: &str,
    ) -> Option<String> {
        let dialect = self.dialect;
        let used = self.names_of(table);
        let name = dialect.implicit_name(&table.name, columns, label, &|n| used.contains(n))?;
        used.insert(name.clone());
        Some(name)
    }

    fn idents(&self, list: &[Ident]) -> Vec<String> {
        list.iter().map(|i| self.ident(i)).collect()
    }

    fn name_parts(&self, name: &ast::ObjectName) -> Vec<String> {
        name.0
            .iter()
            .map(|p| match p {
                ast::ObjectNamePart::Identifier(i) => self.ident(i),
                other => other.to_string(),
            })
            .collect()
    }

    fn object_name(&self, name: &ast::ObjectName) -> ObjectName {
        let parts = self.name_parts(name);
        let default = self.search_schema.as_str();
        match parts.as_slice() {
            [n] => ObjectName::new(default, n.clone()),
            [.., s, n] => {
                // SQLite's `main.t` and PostgreSQL's `public.t` are the default.
                ObjectName::new(s.clone(), n.clone())
            }
            [] => ObjectName::new(default, ""),
        }
    }

    fn apply_parsed(
        &mut self,
        path: &str,
        raw: &RawStatement,
        parsed: Parsed,
    ) -> Result<(), DdlError> {
        let origin = Origin {
            path: path.to_string(),
            line: raw.line,
            column: raw.column,
            first_line: first_line(raw.text),
        };
        match parsed {
            Parsed::Ignored => Ok(()),
            Parsed::Object => self.object_statement(raw, &origin),
            Parsed::SearchPath(schema, path) => {
                self.search_path = path;
                if schema != self.dialect.default_schema() {
                    self.search_schemas.insert(schema.clone());
                }
                self.search_schema = schema;
                Ok(())
            }
            Parsed::Targeted => {
                if upper_words(raw.text).starts_with("ALTER SEQUENCE ") {
                    self.sequence_owned_by(raw, &origin)
                } else {
                    self.create_sequence(raw, &origin)
                }
            }
            Parsed::Statements(statements, virtual_columns, temporal) => {
                *self.virtual_columns.borrow_mut() = virtual_columns.into();
                self.temporal = temporal;
                for st in statements {
                    self.apply(st, raw.text, &origin)?;
                }
                Ok(())
            }
        }
    }

    fn used(&mut self, schema: &str) -> &mut BTreeSet<String> {
        self.used_names.entry(schema.to_string()).or_default()
    }

    /// The names a constraint or index of `table` must not repeat: its
    /// schema's (PostgreSQL: relations, indexes and keys share one), or
    /// the table's own where index names are per table (MySQL).
    fn names_of(&mut self, table: &ObjectName) -> &mut BTreeSet<String> {
        let space = self.name_space(table);
        self.used(&space)
    }

    /// The namespace index and key names of `table` live in.
    fn name_space(&self, table: &ObjectName) -> String {
        if self.dialect.index_names_per_table() {
            format!("{}\u{0}{}", table.schema, table.name)
        } else {
            table.schema.clone()
        }
    }

    fn apply(&mut self, st: Statement, text: &str, origin: &Origin) -> Result<(), DdlError> {
        match st {
            Statement::CreateSchema { schema_name, .. } => {
                let name = match &schema_name {
                    SchemaName::Simple(n) | SchemaName::NamedAuthorization(n, _) => {
                        self.name_parts(n).pop().unwrap_or_default()
                    }
                    SchemaName::UnnamedAuthorization(i) => self.ident(i),
                };
                if name != self.dialect.default_schema() {
                    self.schema.schemas.insert(name);
                }
            }
            Statement::CreateType {
                name,
                representation: Some(UserDefinedTypeRepresentation::Enum { labels }),
            } => {
                let name = self.object_name(&name);
                self.schema.enums.insert(
                    name.clone(),
                    m::EnumType {
                        name,
                        values: labels.iter().map(|l| l.value.clone()).collect(),
                    },
                );
            }
            Statement::CreateType { .. } => {
                return Err(origin.unsupported(
                    "only enum types (CREATE TYPE ... AS ENUM) are part of the model",
                ));
            }
            Statement::AlterType(alter) => {
                let name = self.object_name(&alter.name);
                let Some(e) = self.schema.enums.get_mut(&name) else {
                    return Err(origin.reference(format!(
                        "ALTER TYPE refers to enum {name}, which is not declared before it"
                    )));
                };
                match alter.operation {
                    ast::AlterTypeOperation::AddValue(add) => {
                        let v = add.value.value.clone();
                        if e.values.contains(&v) {
                            return Ok(());
                        }
                        let at = match &add.position {
                            Some(ast::AlterTypeAddValuePosition::Before(b)) => {
                                e.values.iter().position(|x| *x == b.value)
                            }
                            Some(ast::AlterTypeAddValuePosition::After(a)) => {
                                e.values.iter().position(|x| *x == a.value).map(|p| p + 1)
                            }
                            None => None,
                        };
                        match at {
                            Some(i) => e.values.insert(i, v),
                            None => e.values.push(v),
                        }
                    }
                    ast::AlterTypeOperation::RenameValue(r) => {
                        for x in e.values.iter_mut() {
                            if *x == r.from.value {
                                *x = r.to.value.clone();
                            }
                        }
                    }
                    ast::AlterTypeOperation::Rename(_) => {
                        return Err(origin.unsupported("renaming a type inside the declared schema is not supported; declare it under its final name"));
                    }
                }
            }
            Statement::CreateTable(ct) => {
                if self.dialect.refuses_unmodelled_table_forms() {
                    refuse_unread_table_forms(&ct, origin)?;
                    refuse_unread_clauses(text, origin)?;
                }
                self.create_table(ct, text, origin)?
            }
            Statement::CreateIndex(ci) => {
                if self.dialect.refuses_unmodelled_table_forms() {
                    refuse_unread_clauses(text, origin)?;
                }
                let kind = index_kind(text).filter(|_| self.dialect.declares_indexes_in_tables());
                self.create_index(ci, kind, origin)?
            }
            Statement::AlterTable(at) => {
                if self.dialect.refuses_unmodelled_table_forms() {
                    refuse_unread_clauses(text, origin)?;
                }
                let table = self.object_name(&at.name);
                for op in at.operations {
                    self.alter_table(&table, op, origin)?;
                }
            }
            Statement::Comment {
                object_type,
                object_name,
                comment,
                ..
            } => self.comment(object_type, &object_name, comment, origin)?,
            // A dump drops each table before it creates it again.
            Statement::Drop {
                object_type: ast::ObjectType::Table,
                if_exists: true,
                names,
                ..
            } => {
                for n in &names {
                    let name = self.object_name(n);
                    self.schema.tables.remove(&name);
                }
            }
            Statement::CreateExtension(_) | Statement::Set(_) | Statement::Query(_) => {}
            Statement::LockTables { .. } | Statement::UnlockTables => {}
            Statement::Grant { .. } | Statement::Revoke { .. } => {}
            Statement::CreateView { .. } | Statement::CreateFunction(_) => {}
            other => {
                let kind = other.to_string();
                let kind: String = kind
                    .split_whitespace()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" ");
                return Err(origin.unsupported(format!(
                    "`{kind} ...` is not part of a declared schema migdiff understands"
                )));
            }
        }
        Ok(())
    }
}

/// `public.mood`, `"Mood"`, `mood` as an object name.
/// The first schema of `SET search_path TO a, b` (or `= a`, or pg_dump's
/// `SELECT pg_catalog.set_config('search_path', 'a', false)`), `$user`
/// aside; an empty path is the dialect's default (pg_dump empties it and
/// qualifies every name). `None`: not such a statement.
fn search_path_schema(text: &str, dialect: Dialect) -> Option<(String, String)> {
    let toks = objects::tokens(text);
    let word = |i: usize, w: &str| toks.get(i).is_some_and(|t| t.is(w));
    let list: String = if word(0, "set") && word(1, "search_path") {
        let from = if word(2, "to") || toks.get(2).is_some_and(|t| t.punct("=")) {
            toks.get(3)?.start
        } else {
            return None;
        };
        text[from..].trim().trim_end_matches(';').to_string()
    } else if word(0, "select")
        && text.contains("set_config")
        && toks.iter().any(|t| t.text == "'search_path'")
    {
        // The second literal: the path itself.
        let literal = toks.iter().filter(|t| t.text.starts_with('\'')).nth(1)?;
        literal.text.trim_matches('\'').replace("''", "'")
    } else {
        return None;
    };
    let first = list
        .split(',')
        .map(str::trim)
        .find(|s| !s.is_empty() && !s.trim_matches(['"', '\'']).eq_ignore_ascii_case("$user"));
    let schema = match first {
        None => dialect.default_schema().to_string(),
        Some(s) if s.starts_with('"') => s.trim_matches('"').replace("\"\"", "\""),
        Some(s) => dialect.fold_name(s.trim_matches('\''), false),
    };
    Some((schema, list))
}

fn split_type_name(text: &str, dialect: Dialect) -> ObjectName {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            '"' => {
                quoted = !quoted;
                was_quoted = true;
            }
            '.' if !quoted => {
                parts.push(dialect.fold_name(&cur, was_quoted));
                cur.clear();
                was_quoted = false;
            }
            c => cur.push(c),
        }
    }
    parts.push(dialect.fold_name(&cur, was_quoted));
    match parts.as_slice() {
        [n] => ObjectName::new(dialect.default_schema(), n.clone()),
        [.., s, n] => ObjectName::new(s.clone(), n.clone()),
        [] => ObjectName::new(dialect.default_schema(), ""),
    }
}

/// DDL text read as one file, for the stages' unit tests (no database).
#[cfg(test)]
mod test_support {
    use migdiff_model::{Dialect, ObjectName, Schema, Table};

    fn read(text: &str, dialect: Dialect) -> Result<Schema, crate::DdlError> {
        super::read_schema(
            &[crate::SourceFile {
                path: "s.sql".into(),
                text: text.into(),
            }],
            dialect,
        )
    }

    pub(super) fn pg(text: &str) -> Schema {
        read(text, migdiff_postgres::DIALECT).unwrap_or_else(|e| panic!("{e}"))
    }

    pub(super) fn sqlite(text: &str) -> Schema {
        read(text, migdiff_sqlite::DIALECT).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The error PostgreSQL DDL gives, as the user sees it.
    pub(super) fn pg_error(text: &str) -> String {
        match read(text, migdiff_postgres::DIALECT) {
            Ok(_) => panic!("read without an error: {text}"),
            Err(e) => e.to_string(),
        }
    }

    pub(super) fn table<'a>(schema: &'a Schema, name: &str) -> &'a Table {
        let (s, n) = name.split_once('.').unwrap_or(("public", name));
        schema
            .tables
            .get(&ObjectName::new(s, n))
            .unwrap_or_else(|| panic!("no table {name}"))
    }
}

#[cfg(test)]
mod tests {
    use super::generated_keyword;
    use crate::SourceFile;
    use migdiff_model::Dialect;

    #[test]
    fn generated_columns_without_a_mode_get_the_servers() {
        let bare = "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * (2)), c text)";
        let stored = generated_keyword(bare.into(), false);
        assert_eq!(
            stored.text,
            "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * (2)) STORED, c text)"
        );
        assert_eq!(stored.virtual_columns, [false]);
        assert!(stored.unspecified);
        assert_eq!(generated_keyword(bare.into(), true).virtual_columns, [true]);
        let explicit = generated_keyword(
            "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a) VIRTUAL, c int GENERATED ALWAYS AS (a) STORED)".into(),
            false,
        );
        assert_eq!(explicit.virtual_columns, [true, false]);
        assert!(!explicit.unspecified);
        let kept = "CREATE TABLE t (a int, b int generated always as (a + 1) stored, i int GENERATED ALWAYS AS IDENTITY, s text DEFAULT 'GENERATED ALWAYS AS (x)')";
        assert_eq!(generated_keyword(kept.into(), false).text, kept);
        // The server decides: virtual from PostgreSQL 18 on.
        let read = |major| {
            let (schema, _) = super::read_schema_for_server(
                &[SourceFile {
                    path: "s.sql".into(),
                    text: bare.into(),
                }],
                migdiff_postgres::DIALECT,
                major,
            )
            .unwrap();
            schema.tables.values().next().unwrap().columns[1]
                .generated
                .as_ref()
                .unwrap()
                .stored
        };
        assert!(read(None));
        assert!(read(Some(17)));
        assert!(!read(Some(18)));
    }

    fn read(text: &str, dialect: Dialect) -> Result<migdiff_model::Schema, crate::DdlError> {
        super::read_schema(
            &[SourceFile {
                path: "s.sql".into(),
                text: text.into(),
            }],
            dialect,
        )
    }

    #[test]
    fn temporal_keys_and_not_enforced_are_read() {
        let schema = read(
            "CREATE TABLE b (room int4range, valid_at tstzrange, name int4range,
    PRIMARY KEY (room, valid_at WITHOUT OVERLAPS),
    UNIQUE (name, \"valid_at\" without overlaps),
    UNIQUE (room, name));
CREATE TABLE c (room int4range, valid_at tstzrange, period int CHECK (period > 0) NOT ENFORCED,
    FOREIGN KEY (room, PERIOD valid_at) REFERENCES b (room, PERIOD valid_at) NOT ENFORCED,
    FOREIGN KEY (room, valid_at) REFERENCES b (room, valid_at));",
            migdiff_postgres::DIALECT,
        )
        .unwrap();
        let t = |n: &str| schema.tables.values().find(|t| t.name.name == n).unwrap();
        let b = t("b");
        assert!(b.primary_key.as_ref().unwrap().without_overlaps);
        assert_eq!(
            b.primary_key.as_ref().unwrap().columns,
            ["room", "valid_at"]
        );
        let temporal: Vec<bool> = b.uniques.iter().map(|u| u.without_overlaps).collect();
        assert_eq!(
            temporal.iter().filter(|t| **t).count(),
            1,
            "{:?}",
            b.uniques
        );
        let c = t("c");
        assert!(c.checks[0].not_enforced);
        let fks: Vec<(bool, bool)> = c
            .foreign_keys
            .iter()
            .map(|f| (f.period, f.not_enforced))
            .collect();
        assert!(
            fks.contains(&(true, true)) && fks.contains(&(false, false)),
            "{fks:?}"
        );
    }

    #[test]
    fn temporal_and_enforcement_mistakes_are_refused() {
        for (text, dialect, says) in [
            (
                "CREATE TABLE t (a tstzrange, PRIMARY KEY (a WITHOUT OVERLAPS))",
                migdiff_postgres::DIALECT,
                "only column",
            ),
            (
                "CREATE TABLE p (a int, b tstzrange, PRIMARY KEY (a, b WITHOUT OVERLAPS));
CREATE TABLE t (a int, b tstzrange, FOREIGN KEY (a, PERIOD b) REFERENCES p (a, b))",
                migdiff_postgres::DIALECT,
                "one side only",
            ),
            (
                "CREATE TABLE t (a int, CHECK (a > 0) NOT ENFORCED)",
                migdiff_sqlite::DIALECT,
                "NOT ENFORCED",
            ),
            (
                "CREATE TABLE t (a int, UNIQUE (a) NOT ENFORCED)",
                migdiff_postgres::DIALECT,
                "only CHECK constraints and foreign keys",
            ),
            (
                "CREATE TABLE t (a int, v int GENERATED ALWAYS AS (a * 2) VIRTUAL);
CREATE INDEX t_v ON t ((v + 1))",
                migdiff_postgres::DIALECT,
                "cannot index one",
            ),
            (
                "CREATE TABLE t (a int, v int GENERATED ALWAYS AS (a * 2) VIRTUAL UNIQUE)",
                migdiff_postgres::DIALECT,
                "cannot key on one",
            ),
        ] {
            let e = read(text, dialect).unwrap_err().to_string();
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn the_written_form_follows_the_canonical_one_through_cast_removal() {
        let (schema, spellings) = super::read_schema_spelled(
            &[SourceFile {
                path: "s.sql".into(),
                text: "CREATE TABLE t (s varchar(5), CONSTRAINT ck CHECK (s::text = 'a'));".into(),
            }],
            migdiff_postgres::DIALECT,
        )
        .expect("reads");
        let check = &schema.tables.values().next().expect("table").checks[0].expr;
        assert_eq!(check, "s = 'a'");
        assert_eq!(
            spellings.get(check).map(String::as_str),
            Some("s::TEXT = 'a'")
        );
    }
}

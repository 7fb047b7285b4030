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

use crate::names::{choose_name, column_part};
use crate::split::{RawStatement, split_statements};
use crate::temporal::{TemporalMarks, blank_temporal_keywords};

/// One file of a declared schema.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DdlError {
    #[error(
        "{path}:{line}:{column}: cannot read this statement: {message}\n    {first_line}\nFix the statement, or move it out of the declared schema if it is not DDL."
    )]
    Parse {
        path: String,
        line: usize,
        column: usize,
        message: String,
        first_line: String,
    },
    #[error(
        "{path}:{line}:{column}: {message}\n    {first_line}\nmigdiff reads CREATE / ALTER / COMMENT statements for schemas, types, tables, indexes and sequences."
    )]
    Unsupported {
        path: String,
        line: usize,
        column: usize,
        message: String,
        first_line: String,
    },
    #[error("{path}:{line}: {message}\nDeclare the missing object, or fix the reference.")]
    Reference {
        path: String,
        line: usize,
        message: String,
    },
}

#[derive(Clone)]
struct Origin {
    path: String,
    line: usize,
    column: usize,
    first_line: String,
}

impl Origin {
    fn unsupported(&self, message: impl Into<String>) -> DdlError {
        DdlError::Unsupported {
            path: self.path.clone(),
            line: self.line,
            column: self.column,
            message: message.into(),
            first_line: self.first_line.clone(),
        }
    }
    fn reference(&self, message: impl Into<String>) -> DdlError {
        DdlError::Reference {
            path: self.path.clone(),
            line: self.line,
            message: message.into(),
        }
    }
}

/// Keywords that sqlparser takes as a type name after a misspelled or
/// misplaced word (`COMMENT ON`, `PRIMRAY KEY`); PostgreSQL refuses them
/// there.
const NOT_TYPE_NAMES: &[&str] = &[
    "ON",
    "KEY",
    "REFERENCES",
    "CHECK",
    "UNIQUE",
    "PRIMARY",
    "FOREIGN",
    "CONSTRAINT",
    "DEFAULT",
    "NOT",
    "NULL",
    "TABLE",
    "INDEX",
    "AS",
    "BY",
    "IS",
    "IN",
    "TO",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "USING",
    "WITH",
    "COLUMN",
];

/// `integer 7`, which sqlparser reads as a typed literal (`DEFAULT integer
/// 7` after a misplaced type); both databases want `integer '7'`.
fn bad_typed_literal(e: &ast::Expr) -> Option<String> {
    let mut found = None;
    let _ = ast::visit_expressions(e, |x| {
        if let ast::Expr::TypedString(ts) = x
            && matches!(
                ts.value.value,
                ast::Value::Number(..) | ast::Value::Boolean(_) | ast::Value::Null
            )
        {
            found = Some(x.to_string());
            return std::ops::ControlFlow::Break(());
        }
        std::ops::ControlFlow::Continue(())
    });
    found
}

/// `integer 7` as `integer '7'`.
fn typed_literal_quoted(literal: &str) -> String {
    match literal.rsplit_once(' ') {
        Some((ty, value)) => format!("{ty} '{value}'"),
        None => literal.to_string(),
    }
}

/// Words both PostgreSQL and SQLite reserve: an unquoted name spelled so
/// is a syntax error there (`CREATE TABLE t (in integer)`), though
/// sqlparser takes it.
const RESERVED_WORDS: &[&str] = &[
    "ALL",
    "AND",
    "AS",
    "CASE",
    "CHECK",
    "COLLATE",
    "CONSTRAINT",
    "CREATE",
    "DEFAULT",
    "DISTINCT",
    "ELSE",
    "FOREIGN",
    "FROM",
    "GROUP",
    "HAVING",
    "IN",
    "INTO",
    "NOT",
    "NULL",
    "ON",
    "OR",
    "ORDER",
    "PRIMARY",
    "REFERENCES",
    "SELECT",
    "TABLE",
    "THEN",
    "TO",
    "UNION",
    "UNIQUE",
    "USING",
    "WHEN",
    "WHERE",
];

/// Whether `name` is followed by `()` (spaces allowed) somewhere in `text`,
/// outside quotes: a type with an empty modifier list.
fn has_empty_parens_after(text: &str, name: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let name = name.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut from = 0;
    while let Some(at) = lower[from..].find(&name) {
        let start = from + at;
        let end = start + name.len();
        let word_start = start == 0 || !is_word_byte(bytes[start - 1]);
        let open = skip_space(bytes, end);
        if word_start && bytes.get(open) == Some(&b'(') {
            let close = skip_space(bytes, open + 1);
            if bytes.get(close) == Some(&b')') {
                return true;
            }
        }
        from = end;
    }
    false
}

/// `ident` as written, when it is an unquoted reserved word.
fn reserved_word(ident: &Ident) -> Option<&str> {
    (ident.quote_style.is_none()
        && RESERVED_WORDS.contains(&ident.value.to_ascii_uppercase().as_str()))
    .then_some(ident.value.as_str())
}

/// `NOT NULL NULL` on one column: PostgreSQL refuses it ("conflicting
/// NULL/NOT NULL declarations"); whichever came last would win here.
fn refuse_conflicting_nullability(
    column: &str,
    options: &[ast::ColumnOptionDef],
    origin: &Origin,
) -> Result<(), DdlError> {
    let has = |want: fn(&ColumnOption) -> bool| options.iter().any(|o| want(&o.option));
    if has(|o| matches!(o, ColumnOption::Null)) && has(|o| matches!(o, ColumnOption::NotNull)) {
        return Err(origin.unsupported(format!(
            "column {column} is declared both NULL and NOT NULL"
        )));
    }
    Ok(())
}

/// Statements that carry no schema objects of the model: recognized by
/// their first words and skipped.
const IGNORED_PREFIXES: &[&str] = &[
    "SET ",
    "RESET ",
    "SELECT ",
    "GRANT ",
    "REVOKE ",
    "BEGIN",
    "COMMIT",
    "END",
    "START TRANSACTION",
    "ROLLBACK",
    "CREATE EXTENSION",
    "DROP EXTENSION",
    "COMMENT ON EXTENSION",
    "COMMENT ON SCHEMA",
    "COMMENT ON FUNCTION",
    "COMMENT ON VIEW",
    "COMMENT ON TRIGGER",
    "COMMENT ON TYPE",
    "COMMENT ON SEQUENCE",
    "COMMENT ON INDEX",
    "COMMENT ON CONSTRAINT",
    "ALTER DEFAULT PRIVILEGES",
    "CREATE FUNCTION",
    "CREATE OR REPLACE FUNCTION",
    "CREATE PROCEDURE",
    "CREATE OR REPLACE PROCEDURE",
    "CREATE TRIGGER",
    "CREATE OR REPLACE TRIGGER",
    "CREATE CONSTRAINT TRIGGER",
    "CREATE VIEW",
    "CREATE OR REPLACE VIEW",
    "CREATE MATERIALIZED VIEW",
    "CREATE RECURSIVE VIEW",
    "CREATE TEMP VIEW",
    "CREATE TEMPORARY VIEW",
    "CREATE AGGREGATE",
    "CREATE POLICY",
    "CREATE PUBLICATION",
    "CREATE SUBSCRIPTION",
    "CREATE RULE",
    "CREATE EVENT TRIGGER",
    "REFRESH MATERIALIZED VIEW",
    "SECURITY LABEL",
    "PRAGMA",
    "ANALYZE",
    "VACUUM",
    "INSERT ",
    "COPY ",
];

/// The first words of a statement, upper-cased and single-spaced: enough to
/// classify it without copying the whole text.
fn upper_words(text: &str) -> String {
    let mut out = String::with_capacity(64);
    for (i, w) in text.split_whitespace().enumerate() {
        if i >= 12 {
            break;
        }
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&w.to_uppercase());
    }
    out
}

/// Case-insensitive ASCII search without allocating.
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let n = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(n.len())
        .any(|w| w.eq_ignore_ascii_case(n))
}

fn is_ignored(text: &str) -> bool {
    let up = upper_words(text);
    if IGNORED_PREFIXES.iter().any(|p| up.starts_with(p)) {
        return true;
    }
    // Ownership and table-level settings pg_dump writes.
    let owner_to = contains_ignore_case(text, " OWNER TO ");
    up.starts_with("ALTER ")
        && (owner_to
            || up.contains(" REPLICA IDENTITY ")
            || up.contains(" ROW LEVEL SECURITY")
            || up.starts_with("ALTER FUNCTION ")
            || up.starts_with("ALTER VIEW ")
            || up.starts_with("ALTER MATERIALIZED VIEW ")
            || up.starts_with("ALTER SCHEMA ")
            || up.starts_with("ALTER EXTENSION ")
            || up.starts_with("ALTER ROLE ")
            || up.starts_with("ALTER DATABASE "))
        && !contains_ignore_case(text, " OWNED BY ")
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
}

/// Remembers how the DDL wrote an expression whose canonical form is
/// `canonical`, so a revision can spell it that way; returns `canonical`.
fn spelled(
    spellings: &std::cell::RefCell<BTreeMap<String, String>>,
    canonical: String,
    written: &ast::Expr,
) -> String {
    let written = written.to_string();
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
        virtual_by_default: dialect == Dialect::Postgresql && server_major.is_some_and(|m| m >= 18),
        virtual_columns: Default::default(),
        temporal: TemporalMarks::default(),
        schema: m::Schema::default(),
        owned: Vec::new(),
        used_names: BTreeMap::new(),
        table_origins: BTreeMap::new(),
        index_names: BTreeSet::new(),
        index_origins: BTreeMap::new(),
        spellings: Default::default(),
    };
    for file in files {
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
    let mut virtual_columns = Vec::new();
    let mut temporal = TemporalMarks::default();
    if dialect == Dialect::Postgresql {
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

/// A statement's first line as an error message quotes it: at most
/// [`QUOTED_CHARS`] characters (a generated file's one 200 KB line must not
/// fill the terminal).
fn first_line(text: &str) -> String {
    shorten(text.trim().lines().next().unwrap_or("").trim())
}

const QUOTED_CHARS: usize = 160;

fn shorten(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// Maps sqlparser's `Line: L, Column: C` inside a statement to the file.
fn locate(message: &str, raw: &RawStatement) -> (usize, usize) {
    let grab = |key: &str| -> Option<usize> {
        let at = message.rfind(key)? + key.len();
        message[at..]
            .trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    match (grab("Line:"), grab("Column:")) {
        (Some(l), Some(c)) if l >= 1 => {
            let line = raw.line + l - 1;
            let column = if l == 1 { raw.column + c - 1 } else { c };
            (line, column)
        }
        _ => (raw.line, raw.column),
    }
}

fn clean_message(message: &str) -> String {
    let m = message.trim_start_matches("sql parser error: ");
    match m.rfind(" at Line:") {
        Some(at) => shorten(&m[..at]),
        None => shorten(m),
    }
}

/// Whether PostgreSQL DDL has a generated column without `STORED` or
/// `VIRTUAL`, whose meaning depends on the server's major version.
pub fn has_generated_without_mode(text: &str, dialect: Dialect) -> bool {
    dialect == Dialect::Postgresql
        && contains_ignore_case(text, "GENERATED")
        && generated_keyword(text.to_string(), false).unspecified
}

/// `SEQUENCE NAME x` inside an identity's options (pg_dump writes it) is
/// not something sqlparser reads; the name is PostgreSQL's default anyway.
/// `GENERATED ALWAYS AS (expr)` without `STORED` or `VIRTUAL`: what
/// SQLAlchemy 2.1 compiles for `Computed("expr")` when it does not know the
/// server version, and PostgreSQL 18's own default form (virtual). Before
/// 18 a generated column can only be stored (SQLAlchemy adds `STORED` when
/// it runs against such a server). `keyword` is what the server makes of
/// it (`virtual_by_default`); sqlparser's PostgreSQL dialect insists on a
/// keyword, and takes only STORED.
fn generated_keyword(text: String, virtual_by_default: bool) -> GeneratedModes {
    const KEY: &[&str] = &["GENERATED", "ALWAYS", "AS"];
    let bytes = text.as_bytes();
    // (byte range to replace, replacement): the keyword sqlparser wants.
    let mut edits: Vec<(std::ops::Range<usize>, &str)> = Vec::new();
    let mut virtual_columns = Vec::new();
    let mut unspecified = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            // Quoted text and identifiers never hold the clause.
            quote @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += 1;
                }
                i += 1;
                continue;
            }
            c if c.is_ascii_alphabetic() && (i == 0 || !is_word_byte(bytes[i - 1])) => {
                if let Some(open) =
                    after_words(bytes, i, KEY).filter(|&p| bytes.get(p) == Some(&b'('))
                    && let Some(close) = matching_paren(bytes, open)
                {
                    let next = skip_space(bytes, close + 1);
                    let word_end = next
                        + bytes[next..]
                            .iter()
                            .take_while(|b| is_word_byte(**b))
                            .count();
                    let word = &text[next..word_end];
                    if word.eq_ignore_ascii_case("STORED") {
                        virtual_columns.push(false);
                    } else if word.eq_ignore_ascii_case("VIRTUAL") {
                        // sqlparser's PostgreSQL dialect takes only STORED.
                        edits.push((next..word_end, "STORED"));
                        virtual_columns.push(true);
                    } else {
                        edits.push((close + 1..close + 1, " STORED"));
                        virtual_columns.push(virtual_by_default);
                        unspecified = true;
                    }
                    i = close + 1;
                    continue;
                }
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                continue;
            }
            _ => i += 1,
        }
    }
    let text = if edits.is_empty() {
        text
    } else {
        let mut out = String::with_capacity(text.len() + 7 * edits.len());
        let mut from = 0;
        for (range, replacement) in edits {
            out.push_str(&text[from..range.start]);
            out.push_str(replacement);
            from = range.end;
        }
        out.push_str(&text[from..]);
        out
    };
    GeneratedModes {
        text,
        virtual_columns,
        unspecified,
    }
}

/// A PostgreSQL statement with every generated column's mode written as
/// `STORED` (all sqlparser reads), and which of them, in text order, are
/// in fact virtual.
struct GeneratedModes {
    text: String,
    virtual_columns: Vec<bool>,
    /// Some column said neither STORED nor VIRTUAL.
    unspecified: bool,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && bytes[at].is_ascii_whitespace() {
        at += 1;
    }
    at
}

/// Where the text after the keywords `words` (starting at `at`) begins.
fn after_words(bytes: &[u8], mut at: usize, words: &[&str]) -> Option<usize> {
    for (n, w) in words.iter().enumerate() {
        if n > 0 {
            let next = skip_space(bytes, at);
            if next == at {
                return None;
            }
            at = next;
        }
        let end = at + w.len();
        if end > bytes.len()
            || !bytes[at..end].eq_ignore_ascii_case(w.as_bytes())
            || bytes.get(end).is_some_and(|b| is_word_byte(*b))
        {
            return None;
        }
        at = end;
    }
    Some(skip_space(bytes, at))
}

/// The `)` closing the `(` at `open`, skipping quoted text.
fn matching_paren(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            quote @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn strip_sequence_name(text: &str) -> String {
    if !contains_ignore_case(text, "SEQUENCE NAME ") {
        return text.to_string();
    }
    let up = text.to_uppercase();
    if let Some(at) = up.find("SEQUENCE NAME ") {
        let rest = &text[at + "SEQUENCE NAME ".len()..];
        let name_len = rest
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || *c == ')')
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let mut out = text[..at].to_string();
        out.push_str(&rest[name_len..]);
        return out;
    }
    text.to_string()
}

/// PostgreSQL takes identity options in any order; sqlparser wants
/// INCREMENT, MINVALUE, MAXVALUE, START, CACHE, CYCLE. Reorders the list
/// after every `AS IDENTITY (`.
fn reorder_identity_options(text: &str) -> String {
    if !contains_ignore_case(text, "AS IDENTITY") {
        return text.to_string();
    }
    let up = text.to_uppercase();
    let mut out = String::new();
    let mut from = 0;
    while let Some(rel) = up[from..].find("AS IDENTITY") {
        let at = from + rel + "AS IDENTITY".len();
        let rest = &text[at..];
        let Some(open_rel) = rest.find('(') else {
            break;
        };
        if !rest[..open_rel].trim().is_empty() {
            out.push_str(&text[from..at]);
            from = at;
            continue;
        }
        let open = at + open_rel;
        let Some(close_rel) = text[open..].find(')') else {
            break;
        };
        let close = open + close_rel;
        let words: Vec<&str> = text[open + 1..close].split_whitespace().collect();
        let mut groups: Vec<(u8, Vec<&str>)> = Vec::new();
        let rank = |w: &str| match w.to_uppercase().as_str() {
            "INCREMENT" => Some(0),
            "MINVALUE" => Some(1),
            "MAXVALUE" => Some(2),
            "START" => Some(3),
            "CACHE" => Some(4),
            "CYCLE" => Some(5),
            "NO" => Some(9),
            _ => None,
        };
        let mut i = 0;
        while i < words.len() {
            match rank(words[i]) {
                Some(9) => {
                    let next = words.get(i + 1).copied().unwrap_or("");
                    let r = rank(next).unwrap_or(5);
                    groups.push((r, vec![words[i], next]));
                    i += 2;
                }
                Some(r) => {
                    groups.push((r, vec![words[i]]));
                    i += 1;
                }
                None => {
                    if let Some(g) = groups.last_mut() {
                        g.1.push(words[i]);
                    }
                    i += 1;
                }
            }
        }
        groups.sort_by_key(|g| g.0);
        let body: Vec<String> = groups.iter().map(|g| g.1.join(" ")).collect();
        out.push_str(&text[from..open + 1]);
        out.push_str(&body.join(" "));
        from = close;
    }
    out.push_str(&text[from..]);
    out
}

fn number(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr,
        } => number(expr).map(|n| -n),
        Expr::Nested(e) => number(e),
        _ => None,
    }
}

fn action(a: &Option<ReferentialAction>) -> m::FkAction {
    match a {
        Some(ReferentialAction::Restrict) => m::FkAction::Restrict,
        Some(ReferentialAction::Cascade) => m::FkAction::Cascade,
        Some(ReferentialAction::SetNull) => m::FkAction::SetNull,
        Some(ReferentialAction::SetDefault) => m::FkAction::SetDefault,
        _ => m::FkAction::NoAction,
    }
}

fn deferrable(c: &Option<ast::ConstraintCharacteristics>) -> (bool, bool) {
    match c {
        Some(c) => {
            let initially = matches!(c.initially, Some(ast::DeferrableInitial::Deferred));
            (c.deferrable.unwrap_or(false) || initially, initially)
        }
        None => (false, false),
    }
}

impl Reader {
    fn ident(&self, i: &Ident) -> String {
        match (self.dialect, i.quote_style) {
            (Dialect::Postgresql, None) => i.value.to_lowercase(),
            _ => i.value.clone(),
        }
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
        let default = self.dialect.default_schema();
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

    fn sequence_owned_by(&mut self, raw: &RawStatement, origin: &Origin) -> Result<(), DdlError> {
        let words: Vec<&str> = raw.text.split_whitespace().collect();
        let d = sql_dialect(self.dialect);
        let parse = |s: &str| {
            Parser::new(d.as_ref())
                .try_with_sql(s)
                .and_then(|mut p| p.parse_object_name(false))
                .ok()
        };
        let pos = words
            .iter()
            .position(|w| w.eq_ignore_ascii_case("OWNED"))
            .unwrap_or(0);
        let (Some(seq), Some(target)) = (
            words.get(2).and_then(|w| parse(w)),
            words.get(pos + 2).and_then(|w| parse(w)),
        ) else {
            return Err(origin.unsupported("cannot read this ALTER SEQUENCE ... OWNED BY"));
        };
        let mut parts = self.name_parts(&target);
        if parts.last().is_some_and(|p| p.eq_ignore_ascii_case("none")) && parts.len() == 1 {
            return Ok(());
        }
        let Some(column) = parts.pop() else {
            return Ok(());
        };
        let table = match parts.as_slice() {
            [t] => ObjectName::new(self.dialect.default_schema(), t.clone()),
            [.., s, t] => ObjectName::new(s.clone(), t.clone()),
            [] => return Err(origin.unsupported("OWNED BY needs table.column")),
        };
        self.owned.push((self.object_name(&seq), table, column));
        Ok(())
    }

    /// PostgreSQL takes sequence options in any order (pg_dump writes START
    /// before INCREMENT); sqlparser wants a fixed one, so this small reader
    /// handles CREATE SEQUENCE itself.
    fn create_sequence(&mut self, raw: &RawStatement, origin: &Origin) -> Result<(), DdlError> {
        use sqlparser::keywords::Keyword as K;
        let d = sql_dialect(self.dialect);
        let fail = |e: sqlparser::parser::ParserError| {
            let msg = e.to_string();
            let (line, column) = locate(&msg, raw);
            DdlError::Parse {
                path: origin.path.clone(),
                line,
                column,
                message: clean_message(&msg),
                first_line: origin.first_line.clone(),
            }
        };
        let mut p = Parser::new(d.as_ref())
            .try_with_sql(raw.text)
            .map_err(fail)?;
        p.expect_keyword(K::CREATE).map_err(fail)?;
        let _ = p.parse_one_of_keywords(&[K::TEMP, K::TEMPORARY]);
        p.expect_keyword(K::SEQUENCE).map_err(fail)?;
        let _ = p.parse_keywords(&[K::IF, K::NOT, K::EXISTS]);
        let name = self.object_name(&p.parse_object_name(false).map_err(fail)?);
        let mut seq = m::Sequence {
            name: name.clone(),
            data_type: DataType::BigInt,
            start: None,
            increment: None,
            min_value: None,
            max_value: None,
            cache: None,
            cycle: false,
        };
        let num = |p: &mut Parser| -> Result<Option<i64>, DdlError> {
            let e = p.parse_expr().map_err(fail)?;
            Ok(number(&e))
        };
        loop {
            if p.parse_keyword(K::AS) {
                let t = p.parse_data_type().map_err(fail)?;
                seq.data_type = parse_type_text(&t.to_string(), self.dialect);
            } else if p.parse_keyword(K::INCREMENT) {
                let _ = p.parse_keyword(K::BY);
                seq.increment = num(&mut p)?;
            } else if p.parse_keyword(K::START) {
                let _ = p.parse_keyword(K::WITH);
                seq.start = num(&mut p)?;
            } else if p.parse_keyword(K::MINVALUE) {
                seq.min_value = num(&mut p)?;
            } else if p.parse_keyword(K::MAXVALUE) {
                seq.max_value = num(&mut p)?;
            } else if p.parse_keyword(K::CACHE) {
                seq.cache = num(&mut p)?;
            } else if p.parse_keyword(K::CYCLE) {
                seq.cycle = true;
            } else if p.parse_keyword(K::NO) {
                if p.parse_keyword(K::CYCLE) {
                    seq.cycle = false;
                } else if p
                    .parse_one_of_keywords(&[K::MINVALUE, K::MAXVALUE])
                    .is_none()
                {
                    return Err(origin.unsupported("expected CYCLE, MINVALUE or MAXVALUE after NO"));
                }
            } else if p.parse_keywords(&[K::OWNED, K::BY]) {
                let owner = p.parse_object_name(false).map_err(fail)?;
                let mut parts = self.name_parts(&owner);
                if let (Some(col), true) = (parts.pop(), !parts.is_empty()) {
                    let table = match parts.as_slice() {
                        [.., s, t] => ObjectName::new(s.clone(), t.clone()),
                        [t] => ObjectName::new(self.dialect.default_schema(), t.clone()),
                        [] => ObjectName::new("", ""),
                    };
                    self.owned.push((name.clone(), table, col));
                }
            } else if p.peek_token().token == sqlparser::tokenizer::Token::EOF {
                break;
            } else {
                let t = p.peek_token();
                return Err(fail(sqlparser::parser::ParserError::ParserError(format!(
                    "Expected: a sequence option, found: {} at Line: {}, Column: {}",
                    t.token, t.span.start.line, t.span.start.column
                ))));
            }
        }
        let seq = with_sequence_defaults(seq);
        self.used(&name.schema).insert(name.name.clone());
        self.schema.sequences.insert(name, seq);
        Ok(())
    }

    fn used(&mut self, schema: &str) -> &mut BTreeSet<String> {
        self.used_names.entry(schema.to_string()).or_default()
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
            Statement::CreateTable(ct) => self.create_table(ct, text, origin)?,
            Statement::CreateIndex(ci) => self.create_index(ci, origin)?,
            Statement::AlterTable(at) => {
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
            Statement::CreateExtension(_) | Statement::Set(_) | Statement::Query(_) => {}
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

    /// A bare name in a default expression: a column reference, which
    /// PostgreSQL refuses (`DEFAULT DEFAULT NULL` reads as one). SQLite
    /// takes a bare word as a string, except a keyword.
    fn column_reference_in_default(&self, e: &ast::Expr) -> Option<String> {
        let mut found = None;
        let _ = ast::visit_expressions(e, |x| {
            let word = match x {
                ast::Expr::Identifier(i)
                    if i.quote_style.is_none() || self.dialect == Dialect::Postgresql =>
                {
                    Some(i.value.clone())
                }
                ast::Expr::CompoundIdentifier(parts) => Some(
                    parts
                        .iter()
                        .map(|p| p.value.as_str())
                        .collect::<Vec<_>>()
                        .join("."),
                ),
                _ => None,
            };
            match word {
                Some(w)
                    if self.dialect == Dialect::Postgresql
                        || NOT_TYPE_NAMES.contains(&w.to_ascii_uppercase().as_str()) =>
                {
                    found = Some(w);
                    std::ops::ControlFlow::Break(())
                }
                _ => std::ops::ControlFlow::Continue(()),
            }
        });
        found
    }

    /// A column of type `t`: a PostgreSQL serial is an integer column that
    /// owns its sequence (and is NOT NULL); the type's text is kept where
    /// the database keeps it.
    fn new_column(&self, name: String, t: &ast::DataType) -> m::Column {
        let text = t.to_string();
        let lower = text.to_lowercase();
        let serial = matches!(
            lower.as_str(),
            "serial" | "serial4" | "bigserial" | "serial8" | "smallserial" | "serial2"
        ) && self.dialect == Dialect::Postgresql;
        let data_type = parse_type_text(&text, self.dialect);
        let mut column = m::Column::new(name, data_type);
        column.type_as_written = type_as_written(&text, &column.data_type, self.dialect);
        column.serial = serial;
        if serial {
            column.nullable = false;
        }
        column
    }

    fn create_table(
        &mut self,
        ct: ast::CreateTable,
        text: &str,
        origin: &Origin,
    ) -> Result<(), DdlError> {
        let name = self.object_name(&ct.name);
        if self.schema.tables.contains_key(&name) {
            return Err(origin.reference(format!("table {name} is declared twice")));
        }
        // sqlparser takes `CREATE TABLE a` (a statement cut short) as a table
        // without columns; PostgreSQL needs the parentheses, SQLite a column.
        if ct.columns.is_empty() && ct.query.is_none() && ct.like.is_none() {
            let has_list = text.contains('(');
            if !has_list || self.dialect == Dialect::Sqlite {
                return Err(origin.unsupported(format!(
                    "table {name} has {}; is the statement cut short?",
                    if has_list {
                        "no columns (SQLite needs at least one)"
                    } else {
                        "no column list"
                    }
                )));
            }
        }
        let mut table = m::Table::new(name.clone());
        let pg = self.dialect == Dialect::Postgresql;
        if !pg && contains_ignore_case(text, "AUTOINCREMENT") {
            table.sqlite_autoincrement = true;
        }
        self.used(&name.schema).insert(name.name.clone());
        // Column-level constraints become table constraints, in column order.
        let mut constraints: Vec<TableConstraint> = Vec::new();
        if let Some(last) = ct.name.0.last().and_then(|p| p.as_ident())
            && let Some(word) = reserved_word(last)
        {
            return Err(origin.unsupported(format!(
                "table name `{word}` is a reserved word; quote it (\"{word}\") as the database requires"
            )));
        }
        for cd in &ct.columns {
            let col_name = self.ident(&cd.name);
            if let Some(word) = reserved_word(&cd.name) {
                return Err(origin.unsupported(format!(
                    "column name `{word}` in table {name} is a reserved word; quote it (\"{word}\") as the database requires"
                )));
            }
            if table.column(&col_name).is_some() {
                return Err(origin.reference(format!(
                    "column {col_name} is declared twice in table {name}"
                )));
            }
            // `PRIMRAY KEY (id)` reads as a column of type `KEY(id)`: both
            // databases take only numbers as a type's arguments.
            if let ast::DataType::Custom(type_name, args) = &cd.data_type
                && args.iter().any(|a| a.trim().parse::<f64>().is_err())
            {
                return Err(origin.unsupported(format!(
                    "column {col_name} has type `{type_name}({})`, but a type takes only numbers as arguments; is `{} {type_name}` a misspelled constraint (PRIMARY KEY, FOREIGN KEY, UNIQUE)?",
                    args.join(", "),
                    cd.name
                )));
            }
            // `COMMENT ON x` inside a table reads as a column `COMMENT` of
            // type `ON`: a keyword is never a type name.
            // On PostgreSQL neither is a keyword it reserves for other uses
            // (`double precision` with its first word dropped reads as a
            // column `double` of type `precision`). Built-in types never
            // get here: sqlparser reads them as such, not as `Custom`.
            if let ast::DataType::Custom(type_name, _) = &cd.data_type
                && let [only] = type_name.0.as_slice()
                && let Some(word) = only.as_ident().filter(|i| i.quote_style.is_none())
                && (NOT_TYPE_NAMES.contains(&word.value.to_ascii_uppercase().as_str())
                    || (self.dialect == Dialect::Postgresql
                        && migdiff_sqlexpr::pg_needs_quotes(&word.value.to_lowercase())))
            {
                return Err(origin.unsupported(format!(
                    "column {col_name} has type `{type_name}`, a keyword, not a type; is `{} {type_name}` a misspelled clause or a statement inside the table?",
                    cd.name
                )));
            }
            if let ast::DataType::Custom(type_name, args) = &cd.data_type {
                // `varchar20()`: an empty modifier list, which sqlparser
                // drops and both databases refuse.
                if args.is_empty() && has_empty_parens_after(text, &type_name.to_string()) {
                    return Err(origin.unsupported(format!(
                        "column {col_name} has type `{type_name}()`: a type's parentheses hold its modifiers, and cannot be empty"
                    )));
                }
                // SQLite keeps a quoted type name as written and reports it
                // unquoted: it would never compare equal.
                if self.dialect == Dialect::Sqlite
                    && type_name
                        .0
                        .iter()
                        .any(|p| p.as_ident().is_some_and(|i| i.quote_style.is_some()))
                {
                    return Err(origin.unsupported(format!(
                        "column {col_name} has the quoted type name {type_name}; SQLite type names are written bare"
                    )));
                }
            }
            let mut column = self.new_column(col_name.clone(), &cd.data_type);
            refuse_conflicting_nullability(&col_name, &cd.options, origin)?;
            for opt in &cd.options {
                self.column_option(&mut column, &mut constraints, &cd.name, opt, origin)?;
            }
            table.columns.push(column);
        }
        constraints.extend(ct.constraints);
        self.add_constraints(&mut table, constraints, origin)?;
        self.table_origins.insert(name.clone(), origin.clone());
        self.schema.tables.insert(name, table);
        Ok(())
    }

    fn column_option(
        &self,
        column: &mut m::Column,
        constraints: &mut Vec<TableConstraint>,
        col_ident: &Ident,
        opt: &ast::ColumnOptionDef,
        origin: &Origin,
    ) -> Result<(), DdlError> {
        let name = opt.name.clone();
        match &opt.option {
            ColumnOption::Null => column.nullable = true,
            ColumnOption::NotNull => column.nullable = false,
            ColumnOption::Default(e) => {
                if let Some(word) = self.column_reference_in_default(e) {
                    return Err(origin.unsupported(format!(
                        "the default of column {} names `{word}`, but a default cannot refer to a column; quote a string ('{word}') or remove the stray word",
                        column.name
                    )));
                }
                if let Some(literal) = bad_typed_literal(e) {
                    return Err(origin.unsupported(format!(
                        "the default of column {} is `{literal}`: a typed literal takes a quoted string (`{}`), or is this a misplaced type?",
                        column.name,
                        typed_literal_quoted(&literal)
                    )));
                }
                let normalized = normalize_default_parsed(e, &column.data_type, self.dialect);
                // `DEFAULT NULL` is no default (the databases differ in
                // whether they keep it).
                column.default = (!is_null_default(&normalized))
                    .then(|| spelled(&self.spellings, normalized, e));
            }
            ColumnOption::PrimaryKey(pk) => {
                let mut pk = pk.clone();
                pk.name = name.or(pk.name);
                pk.columns = vec![ast::IndexColumn::from(col_ident.clone())];
                constraints.push(TableConstraint::PrimaryKey(pk));
            }
            ColumnOption::Unique(u) => {
                let mut u = u.clone();
                u.name = name.or(u.name);
                u.columns = vec![ast::IndexColumn::from(col_ident.clone())];
                constraints.push(TableConstraint::Unique(u));
            }
            ColumnOption::ForeignKey(fk) => {
                let mut fk = fk.clone();
                fk.name = name.or(fk.name);
                fk.columns = vec![col_ident.clone()];
                constraints.push(TableConstraint::ForeignKey(fk));
            }
            ColumnOption::Check(c) => {
                let mut c = c.clone();
                c.name = name.or(c.name);
                constraints.push(TableConstraint::Check(c));
            }
            ColumnOption::Collation(c) => {
                column.collation = self.name_parts(c).pop();
            }
            ColumnOption::Generated {
                generated_as,
                sequence_options,
                generation_expr,
                generation_expr_mode,
                ..
            } => match generation_expr {
                Some(e) => {
                    column.generated = Some(m::Generated {
                        expr: spelled(&self.spellings, normalize_parsed(e, self.dialect), e),
                        stored: match self.dialect {
                            Dialect::Postgresql => !self
                                .virtual_columns
                                .borrow_mut()
                                .pop_front()
                                .unwrap_or(false),
                            Dialect::Sqlite => matches!(
                                generation_expr_mode,
                                Some(GeneratedExpressionMode::Stored)
                            ),
                        },
                    })
                }
                None if self.dialect == Dialect::Sqlite => {
                    return Err(origin.unsupported(format!(
                        "column {}: SQLite has no identity columns (GENERATED ... AS IDENTITY); use INTEGER PRIMARY KEY",
                        column.name
                    )));
                }
                None => {
                    column.identity = Some(identity(
                        matches!(generated_as, GeneratedAs::Always),
                        sequence_options.as_deref().unwrap_or(&[]),
                    ));
                    column.nullable = false;
                }
            },
            ColumnOption::Comment(c) => column.comment = Some(c.clone()),
            // SQLite's AUTOINCREMENT and the like: seen on the table text.
            ColumnOption::DialectSpecific(_) => {}
            other => {
                return Err(origin.unsupported(format!(
                    "column option `{other}` on {} is not supported",
                    column.name
                )));
            }
        }
        Ok(())
    }

    fn add_constraints(
        &mut self,
        table: &mut m::Table,
        constraints: Vec<TableConstraint>,
        origin: &Origin,
    ) -> Result<(), DdlError> {
        let pg = self.dialect == Dialect::Postgresql;
        let tname = table.name.clone();
        // PostgreSQL names index-backed constraints first, then checks, then FKs.
        let mut ordered: Vec<TableConstraint> = Vec::new();
        let rank = |c: &TableConstraint| match c {
            TableConstraint::PrimaryKey(_) => 0,
            TableConstraint::Unique(_) => 1,
            TableConstraint::Check(_) => 2,
            _ => 3,
        };
        ordered.extend(constraints);
        ordered.sort_by_key(rank);
        // MySQL's `PRIMARY KEY name (...)` / `UNIQUE KEY name USING BTREE`,
        // which sqlparser reads for every dialect: here a stray word
        // (`PRIMARY KEY KEY (id)`) would pass as an index name.
        let mysql_only = |index_name: &Option<ast::Ident>, index_type: bool| match index_name {
            Some(n) => Some(format!("`{n}` after the key words")),
            None => index_type.then(|| "an index type (USING)".to_string()),
        };
        for c in &ordered {
            let stray = match c {
                TableConstraint::PrimaryKey(pk) => {
                    mysql_only(&pk.index_name, pk.index_type.is_some())
                }
                TableConstraint::Unique(u) => mysql_only(&u.index_name, u.index_type.is_some()),
                _ => None,
            };
            if let Some(what) = stray {
                return Err(origin.unsupported(format!(
                    "a key constraint on table {tname} has {what}, which is MySQL syntax; {} refuses it",
                    self.dialect
                )));
            }
        }
        for c in ordered {
            match c {
                TableConstraint::PrimaryKey(pk) => {
                    let columns = self.index_columns(&pk.columns, origin)?;
                    self.refuse_not_enforced(&pk.characteristics, "a primary key", &tname, origin)?;
                    let without_overlaps = self.without_overlaps(&pk.columns, &tname, origin)?;
                    let auto_name = pk.name.is_none();
                    let name = match pk.name {
                        Some(n) => Some(self.ident(&n)),
                        None if pg => Some(choose_name(
                            &tname.name,
                            None,
                            "pkey",
                            self.used(&tname.schema),
                        )),
                        None => None,
                    };
                    if let Some(n) = &name {
                        self.used(&tname.schema).insert(n.clone());
                    }
                    if table.primary_key.is_some() {
                        return Err(
                            origin.reference(format!("table {tname} declares two primary keys"))
                        );
                    }
                    table.primary_key = Some(m::PrimaryKey {
                        name,
                        columns,
                        auto_name,
                        without_overlaps,
                    });
                }
                TableConstraint::Unique(u) => {
                    let columns = self.index_columns(&u.columns, origin)?;
                    self.refuse_not_enforced(
                        &u.characteristics,
                        "a unique constraint",
                        &tname,
                        origin,
                    )?;
                    let without_overlaps = self.without_overlaps(&u.columns, &tname, origin)?;
                    let auto_name = u.name.is_none();
                    // PostgreSQL drops an unnamed key that repeats one the
                    // table already has (`UNIQUE UNIQUE`, `UNIQUE PRIMARY KEY`).
                    if pg
                        && auto_name
                        && (table
                            .primary_key
                            .as_ref()
                            .is_some_and(|k| k.columns == columns)
                            || table.uniques.iter().any(|k| k.columns == columns))
                    {
                        continue;
                    }
                    let name = match u.name {
                        Some(n) => Some(self.ident(&n)),
                        None if pg => Some(choose_name(
                            &tname.name,
                            Some(&column_part(&columns)),
                            "key",
                            self.used(&tname.schema),
                        )),
                        None => None,
                    };
                    if let Some(n) = &name {
                        self.used(&tname.schema).insert(n.clone());
                    }
                    let (d, i) = deferrable(&u.characteristics);
                    table.uniques.push(m::UniqueConstraint {
                        name,
                        auto_name,
                        columns,
                        nulls_not_distinct: matches!(
                            u.nulls_distinct,
                            ast::NullsDistinctOption::NotDistinct
                        ),
                        deferrable: d,
                        initially_deferred: i,
                        without_overlaps,
                    });
                }
                TableConstraint::Check(c) => {
                    let expr = spelled(
                        &self.spellings,
                        normalize_parsed(&c.expr, self.dialect),
                        &c.expr,
                    );
                    let declared = |n: &str| {
                        table
                            .columns
                            .iter()
                            .any(|col| col.name == n || (!pg && col.name.eq_ignore_ascii_case(n)))
                    };
                    if let Some(missing) = migdiff_sqlexpr::referenced_columns(&expr, self.dialect)
                        .into_iter()
                        .find(|n| !declared(n))
                    {
                        return Err(origin.reference(format!(
                            "a CHECK constraint of table {tname} names column {missing}, which the table does not have"
                        )));
                    }
                    let auto_name = c.name.is_none();
                    let name = match c.name {
                        Some(n) => Some(self.ident(&n)),
                        None if pg => {
                            let cols = migdiff_sqlexpr::referenced_columns(&expr, self.dialect);
                            let col = (cols.len() == 1).then(|| cols[0].clone());
                            Some(choose_name(
                                &tname.name,
                                col.as_deref(),
                                "check",
                                self.used(&tname.schema),
                            ))
                        }
                        None => None,
                    };
                    let not_enforced = c.enforced == Some(false);
                    if not_enforced && !pg {
                        return Err(self.not_enforced_elsewhere(
                            "a CHECK constraint",
                            &tname,
                            origin,
                        ));
                    }
                    table.checks.push(m::CheckConstraint {
                        name,
                        expr,
                        auto_name,
                        not_enforced,
                    });
                }
                TableConstraint::ForeignKey(fk) => {
                    let columns = self.idents(&fk.columns);
                    let ref_table = self.object_name(&fk.foreign_table);
                    let ref_columns = self.idents(&fk.referred_columns);
                    let auto_name = fk.name.is_none();
                    let name = match fk.name {
                        Some(n) => Some(self.ident(&n)),
                        None if pg => Some(choose_name(
                            &tname.name,
                            Some(&column_part(&columns)),
                            "fkey",
                            self.used(&tname.schema),
                        )),
                        None => None,
                    };
                    let (d, i) = deferrable(&fk.characteristics);
                    let not_enforced = fk
                        .characteristics
                        .as_ref()
                        .is_some_and(|c| c.enforced == Some(false));
                    if not_enforced && !pg {
                        return Err(self.not_enforced_elsewhere("a foreign key", &tname, origin));
                    }
                    let period = self.period(&fk.columns, &fk.referred_columns, &tname, origin)?;
                    table.foreign_keys.push(m::ForeignKey {
                        name,
                        auto_name,
                        columns,
                        ref_table,
                        ref_columns,
                        on_delete: action(&fk.on_delete),
                        on_update: action(&fk.on_update),
                        deferrable: d,
                        initially_deferred: i,
                        match_kind: match fk.match_kind {
                            Some(ast::ConstraintReferenceMatchKind::Full) => m::FkMatch::Full,
                            Some(ast::ConstraintReferenceMatchKind::Partial) => m::FkMatch::Partial,
                            _ => m::FkMatch::Simple,
                        },
                        period,
                        not_enforced,
                    });
                }
                other => {
                    return Err(
                        origin.unsupported(format!("table constraint `{other}` is not supported"))
                    );
                }
            }
        }
        Ok(())
    }

    /// Whether the key's last column was written `WITHOUT OVERLAPS`
    /// (PostgreSQL 18), which needs another column before it. (On any
    /// other column the words are not blanked, and sqlparser refuses them.)
    fn without_overlaps(
        &self,
        cols: &[ast::IndexColumn],
        table: &ObjectName,
        origin: &Origin,
    ) -> Result<bool, DdlError> {
        let marked = |c: &ast::IndexColumn| match &c.column.expr {
            Expr::Identifier(i) => self.temporal.without_overlaps.contains(&i.span.start),
            _ => false,
        };
        let last = cols.last().is_some_and(marked);
        if last && cols.len() < 2 {
            return Err(origin.unsupported(format!(
                "a key of table {table} uses WITHOUT OVERLAPS on its only column; PostgreSQL needs at least one column before it"
            )));
        }
        Ok(last)
    }

    /// Whether a foreign key's lists end in `PERIOD column` (PostgreSQL
    /// 18): both of them, or neither.
    fn period(
        &self,
        columns: &[Ident],
        referred: &[Ident],
        table: &ObjectName,
        origin: &Origin,
    ) -> Result<bool, DdlError> {
        let marked = |list: &[Ident]| {
            list.last()
                .is_some_and(|i| self.temporal.period.contains(&i.span.start))
        };
        match (marked(columns), marked(referred)) {
            (a, b) if a == b => Ok(a && columns.len() >= 2),
            _ => Err(origin.unsupported(format!(
                "a foreign key of table {table} says PERIOD on one side only; a temporal foreign key says it on both"
            ))),
        }
    }

    fn refuse_not_enforced(
        &self,
        characteristics: &Option<ast::ConstraintCharacteristics>,
        what: &str,
        table: &ObjectName,
        origin: &Origin,
    ) -> Result<(), DdlError> {
        if characteristics
            .as_ref()
            .is_some_and(|c| c.enforced.is_some())
        {
            return Err(origin.unsupported(format!(
                "{what} of table {table} says ENFORCED or NOT ENFORCED, which only CHECK constraints and foreign keys can"
            )));
        }
        Ok(())
    }

    fn not_enforced_elsewhere(&self, what: &str, table: &ObjectName, origin: &Origin) -> DdlError {
        origin.unsupported(format!(
            "{what} of table {table} is NOT ENFORCED, which {} does not have (PostgreSQL 18 does)",
            self.dialect
        ))
    }

    fn index_columns(
        &self,
        cols: &[ast::IndexColumn],
        origin: &Origin,
    ) -> Result<Vec<String>, DdlError> {
        cols.iter()
            .map(|c| match &c.column.expr {
                // `PRIMARY KEY (id id)` reads the second word as an operator
                // class; a key constraint takes plain column names.
                Expr::Identifier(i) if c.operator_class.is_some() => {
                    Err(origin.unsupported(format!(
                        "a key constraint lists column names only; `{i} {}` is not one",
                        c.operator_class
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default()
                    )))
                }
                Expr::Identifier(i) => Ok(self.ident(i)),
                other => Err(origin.unsupported(format!(
                    "a key constraint lists columns, not the expression `{other}`"
                ))),
            })
            .collect()
    }

    fn create_index(&mut self, ci: ast::CreateIndex, origin: &Origin) -> Result<(), DdlError> {
        let table_name = self.object_name(&ci.table_name);
        let mut keys = Vec::new();
        let mut key_names = Vec::new();
        for c in &ci.columns {
            let mut e = &c.column.expr;
            while let Expr::Nested(inner) = e {
                e = inner;
            }
            let target = match e {
                Expr::Identifier(i) => {
                    key_names.push(self.ident(i));
                    m::IndexTarget::Column(self.ident(i))
                }
                other => {
                    key_names.push("expr".to_string());
                    m::IndexTarget::Expression(normalize_parsed(other, self.dialect))
                }
            };
            if self.dialect == Dialect::Sqlite
                && let Some(class) = &c.operator_class
            {
                return Err(origin.unsupported(format!(
                    "index key `{e} {class}`: SQLite has no operator classes; is `{class}` a typo?"
                )));
            }
            let descending = matches!(c.column.options.sort, Some(OrderBySort::Desc));
            let nulls_first = c.column.options.nulls_first.filter(|n| *n != descending);
            keys.push(m::IndexKey {
                target,
                descending,
                nulls_first,
                opclass: c
                    .operator_class
                    .as_ref()
                    .map(|o| o.to_string().to_lowercase()),
                collation: None,
            });
        }
        let name = match &ci.name {
            Some(n) => self.name_parts(n).pop().unwrap_or_default(),
            None if self.dialect == Dialect::Postgresql => choose_name(
                &table_name.name,
                Some(&column_part(&key_names)),
                "idx",
                self.used(&table_name.schema),
            ),
            None => return Err(origin.unsupported("an index needs a name")),
        };
        self.used(&table_name.schema).insert(name.clone());
        if !self
            .index_names
            .insert((table_name.schema.clone(), name.clone()))
        {
            return Err(origin.reference(format!(
                "index {name} is declared twice (index names are unique in schema {})",
                table_name.schema
            )));
        }
        self.index_origins
            .insert((table_name.clone(), name.clone()), origin.clone());
        let index = m::Index {
            name,
            unique: ci.unique,
            keys,
            predicate: ci
                .predicate
                .as_ref()
                .map(|p| spelled(&self.spellings, normalize_parsed(p, self.dialect), p)),
            method: ci
                .using
                .as_ref()
                .map(|u| u.to_string().to_lowercase())
                .unwrap_or_else(|| "btree".to_string()),
            include: self.idents(&ci.include),
            nulls_not_distinct: ci.nulls_distinct == Some(false),
        };
        let Some(table) = self.schema.tables.get_mut(&table_name) else {
            return Err(origin.reference(format!(
                "index {} is on table {table_name}, which is not declared before it",
                index.name
            )));
        };
        table.indexes.push(index);
        Ok(())
    }

    fn alter_table(
        &mut self,
        table_name: &ObjectName,
        op: AlterTableOperation,
        origin: &Origin,
    ) -> Result<(), DdlError> {
        let Some(mut table) = self.schema.tables.remove(table_name) else {
            return Err(origin.reference(format!(
                "ALTER TABLE refers to table {table_name}, which is not declared before it"
            )));
        };
        let result = (|| -> Result<(), DdlError> {
            match op {
                AlterTableOperation::AddConstraint { constraint, .. } => {
                    self.add_constraints(&mut table, vec![constraint], origin)?;
                }
                AlterTableOperation::AlterColumn { column_name, op } => {
                    let col = self.ident(&column_name);
                    let dialect = self.dialect;
                    let Some(column) = table.column_mut(&col) else {
                        return Err(
                            origin.reference(format!("table {table_name} has no column {col}"))
                        );
                    };
                    match op {
                        AlterColumnOperation::SetDefault { value } => {
                            column.default = Some(spelled(
                                &self.spellings,
                                normalize_default_parsed(&value, &column.data_type, dialect),
                                &value,
                            ))
                        }
                        AlterColumnOperation::DropDefault => column.default = None,
                        AlterColumnOperation::SetNotNull => column.nullable = false,
                        AlterColumnOperation::DropNotNull => column.nullable = true,
                        AlterColumnOperation::AddGenerated {
                            generated_as,
                            sequence_options,
                        } => {
                            column.identity = Some(identity(
                                matches!(generated_as, Some(GeneratedAs::Always)),
                                sequence_options.as_deref().unwrap_or(&[]),
                            ));
                            column.nullable = false;
                        }
                        other => {
                            return Err(origin.unsupported(format!(
                                "ALTER COLUMN ... {other} is not supported in a declared schema"
                            )));
                        }
                    }
                }
                AlterTableOperation::AddColumn { column_def, .. } => {
                    let mut constraints = Vec::new();
                    let mut column =
                        self.new_column(self.ident(&column_def.name), &column_def.data_type);
                    for opt in &column_def.options {
                        self.column_option(
                            &mut column,
                            &mut constraints,
                            &column_def.name,
                            opt,
                            origin,
                        )?;
                    }
                    table.columns.push(column);
                    self.add_constraints(&mut table, constraints, origin)?;
                }
                AlterTableOperation::OwnerTo { .. } => {}
                other => {
                    return Err(origin.unsupported(format!(
                        "ALTER TABLE ... {other} is not supported in a declared schema"
                    )));
                }
            }
            Ok(())
        })();
        self.schema.tables.insert(table_name.clone(), table);
        result
    }

    fn comment(
        &mut self,
        object_type: CommentObject,
        object_name: &ast::ObjectName,
        comment: Option<String>,
        origin: &Origin,
    ) -> Result<(), DdlError> {
        let comment = comment.filter(|c| !c.is_empty());
        match object_type {
            CommentObject::Table => {
                let name = self.object_name(object_name);
                match self.schema.tables.get_mut(&name) {
                    Some(t) => t.comment = comment,
                    None => {
                        return Err(origin.reference(format!(
                            "COMMENT ON TABLE {name}: no such table declared before it"
                        )));
                    }
                }
            }
            CommentObject::Column => {
                let mut parts = self.name_parts(object_name);
                let Some(col) = parts.pop() else {
                    return Ok(());
                };
                let table = match parts.as_slice() {
                    [t] => ObjectName::new(self.dialect.default_schema(), t.clone()),
                    [.., s, t] => ObjectName::new(s.clone(), t.clone()),
                    [] => return Err(origin.reference("COMMENT ON COLUMN needs table.column")),
                };
                match self
                    .schema
                    .tables
                    .get_mut(&table)
                    .and_then(|t| t.column_mut(&col))
                {
                    Some(c) => c.comment = comment,
                    None => {
                        return Err(origin.reference(format!(
                            "COMMENT ON COLUMN {table}.{col}: no such column declared before it"
                        )));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn resolve_type(&self, t: &DataType) -> DataType {
        match t {
            DataType::Other(text) => {
                let name = split_type_name(text, self.dialect);
                if self.schema.enums.contains_key(&name) {
                    DataType::Enum(name)
                } else {
                    t.clone()
                }
            }
            DataType::Array(inner) => DataType::Array(Box::new(self.resolve_type(inner))),
            other => other.clone(),
        }
    }

    fn finish(mut self) -> Result<(m::Schema, BTreeMap<String, String>), DdlError> {
        let pg = self.dialect == Dialect::Postgresql;
        // Enum-typed columns, now that every type is known.
        let names: Vec<ObjectName> = self.schema.tables.keys().cloned().collect();
        for name in &names {
            let resolved: Vec<DataType> = self.schema.tables[name]
                .columns
                .iter()
                .map(|c| self.resolve_type(&c.data_type))
                .collect();
            if let Some(t) = self.schema.tables.get_mut(name) {
                for (c, r) in t.columns.iter_mut().zip(resolved) {
                    c.data_type = r;
                }
            }
        }
        // As PostgreSQL's introspection does: no `::text` on varchar columns.
        if pg {
            for table in self.schema.tables.values_mut() {
                let columns = table.column_types();
                let columns: Vec<(&str, &DataType)> =
                    columns.iter().map(|(n, t)| (n.as_str(), t)).collect();
                let spellings = self.spellings.get_mut();
                table.map_expressions(|e| {
                    let stripped =
                        migdiff_sqlexpr::strip_implicit_casts(e, &columns, Dialect::Postgresql);
                    // The written form now belongs to the stripped one.
                    if stripped != e
                        && let Some(written) = spellings.get(e).cloned()
                    {
                        spellings.entry(stripped.clone()).or_insert(written);
                    }
                    stripped
                });
            }
        }
        // A sequence owned by a column whose default is its nextval() is a serial.
        for (seq, table, column) in std::mem::take(&mut self.owned) {
            let Some(col) = self
                .schema
                .tables
                .get_mut(&table)
                .and_then(|t| t.column_mut(&column))
            else {
                continue;
            };
            let uses_it = col
                .default
                .as_deref()
                .is_some_and(|d| d.starts_with("nextval(") && d.contains(&seq.name));
            if uses_it && col.data_type.is_integer() {
                col.serial = true;
                col.default = None;
                self.schema.sequences.remove(&seq);
            }
        }
        for table in self.schema.tables.values_mut() {
            if pg {
                // PostgreSQL makes primary key columns NOT NULL.
                if let Some(pk) = &table.primary_key {
                    for c in pk.columns.clone() {
                        if let Some(col) = table.column_mut(&c) {
                            col.nullable = false;
                        }
                    }
                }
            }
            table.canonicalize();
        }
        self.validate()?;
        Ok((self.schema, self.spellings.into_inner()))
    }

    /// Every name a constraint or index uses must exist.
    fn validate(&self) -> Result<(), DdlError> {
        for (name, table) in &self.schema.tables {
            let origin = self.table_origins.get(name).cloned().unwrap_or(Origin {
                path: String::new(),
                line: 0,
                column: 0,
                first_line: String::new(),
            });
            // PostgreSQL keeps 63 bytes of a name and drops the rest, so a
            // longer one would never match what the server reports.
            if self.dialect == Dialect::Postgresql {
                let mut names = std::iter::once(&name.name)
                    .chain(table.columns.iter().map(|c| &c.name))
                    .chain(table.indexes.iter().map(|i| &i.name))
                    .chain(table.primary_key.iter().filter_map(|k| k.name.as_ref()))
                    .chain(table.foreign_keys.iter().filter_map(|k| k.name.as_ref()))
                    .chain(table.uniques.iter().filter_map(|k| k.name.as_ref()))
                    .chain(table.checks.iter().filter_map(|k| k.name.as_ref()));
                if let Some(long) = names.find(|n| n.len() > 63) {
                    let mut cut = 63;
                    while !long.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    return Err(origin.reference(format!(
                        "name `{long}` in table {name} is {} bytes; PostgreSQL keeps 63 and would store `{}`. Shorten it",
                        long.len(),
                        &long[..cut]
                    )));
                }
            }
            let has = |c: &String| table.column(c).is_some();
            let missing = |what: &str, c: &String| {
                origin.reference(format!(
                    "{what} on table {name} names column {c}, which the table does not have"
                ))
            };
            if let Some(pk) = &table.primary_key
                && let Some(c) = pk.columns.iter().find(|c| !has(c))
            {
                return Err(missing("the primary key", c));
            }
            for u in &table.uniques {
                if let Some(c) = u.columns.iter().find(|c| !has(c)) {
                    return Err(missing("a unique constraint", c));
                }
            }
            for i in &table.indexes {
                for k in &i.keys {
                    if let m::IndexTarget::Column(c) = &k.target
                        && !has(c)
                    {
                        let at = self
                            .index_origins
                            .get(&(name.clone(), i.name.clone()))
                            .unwrap_or(&origin);
                        return Err(at.reference(format!(
                            "index {} on table {name} names column {c}, which the table does not have",
                            i.name
                        )));
                    }
                }
            }
            for f in &table.foreign_keys {
                if let Some(c) = f.columns.iter().find(|c| !has(c)) {
                    return Err(missing("a foreign key", c));
                }
                let Some(target) = self.schema.tables.get(&f.ref_table) else {
                    return Err(origin.reference(format!(
                        "a foreign key on table {name} references table {}, which is not declared",
                        f.ref_table
                    )));
                };
                if let Some(c) = f.ref_columns.iter().find(|c| target.column(c).is_none()) {
                    return Err(origin.reference(format!(
                        "a foreign key on table {name} references column {c} of table {}, which it does not have",
                        f.ref_table
                    )));
                }
            }
            // PostgreSQL 18 computes a virtual column on read: it cannot be
            // indexed nor be part of a key (a revision would fail there).
            let is_virtual = |c: &String| {
                table
                    .column(c)
                    .and_then(|c| c.generated.as_ref())
                    .is_some_and(|g| !g.stored)
            };
            if self.dialect == Dialect::Postgresql {
                let keys = table
                    .primary_key
                    .iter()
                    .map(|k| ("the primary key", &k.columns))
                    .chain(
                        table
                            .uniques
                            .iter()
                            .map(|u| ("a unique constraint", &u.columns)),
                    )
                    .chain(
                        table
                            .foreign_keys
                            .iter()
                            .map(|f| ("a foreign key", &f.columns)),
                    );
                for (what, columns) in keys {
                    if let Some(c) = columns.iter().find(|c| is_virtual(c)) {
                        return Err(origin.reference(format!(
                            "{what} on table {name} includes column {c}, which is a virtual generated column; PostgreSQL cannot key on one (make it STORED)"
                        )));
                    }
                }
                for i in &table.indexes {
                    let used = i.keys.iter().flat_map(|k| match &k.target {
                        m::IndexTarget::Column(c) => vec![c.clone()],
                        m::IndexTarget::Expression(e) => {
                            migdiff_sqlexpr::referenced_columns(e, self.dialect)
                        }
                    });
                    if let Some(c) = used.into_iter().find(|c| is_virtual(c)) {
                        let at = self
                            .index_origins
                            .get(&(name.clone(), i.name.clone()))
                            .unwrap_or(&origin);
                        return Err(at.reference(format!(
                            "index {} on table {name} uses column {c}, which is a virtual generated column; PostgreSQL cannot index one (make it STORED)",
                            i.name
                        )));
                    }
                }
            }
            for c in &table.columns {
                if let DataType::Enum(e) = &c.data_type
                    && !self.schema.enums.contains_key(e)
                {
                    return Err(origin.reference(format!(
                        "column {name}.{} uses type {e}, which is not declared",
                        c.name
                    )));
                }
            }
        }
        Ok(())
    }
}

/// `public.mood`, `"Mood"`, `mood` as an object name.
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
                parts.push(fold(&cur, was_quoted, dialect));
                cur.clear();
                was_quoted = false;
            }
            c => cur.push(c),
        }
    }
    parts.push(fold(&cur, was_quoted, dialect));
    match parts.as_slice() {
        [n] => ObjectName::new(dialect.default_schema(), n.clone()),
        [.., s, n] => ObjectName::new(s.clone(), n.clone()),
        [] => ObjectName::new(dialect.default_schema(), ""),
    }
}

fn fold(s: &str, quoted: bool, dialect: Dialect) -> String {
    if quoted || dialect == Dialect::Sqlite {
        s.to_string()
    } else {
        s.to_lowercase()
    }
}

fn identity(always: bool, options: &[SequenceOptions]) -> m::Identity {
    let mut i = m::Identity {
        always,
        start: None,
        increment: None,
        min_value: None,
        max_value: None,
        cache: None,
        cycle: false,
    };
    for o in options {
        match o {
            SequenceOptions::IncrementBy(e, _) => i.increment = number(e),
            SequenceOptions::MinValue(e) => i.min_value = e.as_ref().and_then(number),
            SequenceOptions::MaxValue(e) => i.max_value = e.as_ref().and_then(number),
            SequenceOptions::StartWith(e, _) => i.start = number(e),
            SequenceOptions::Cache(e) => i.cache = number(e),
            SequenceOptions::Cycle(no) => i.cycle = !no,
        }
    }
    i
}

/// PostgreSQL fills in a sequence's options; so does the declared side.
fn with_sequence_defaults(mut s: m::Sequence) -> m::Sequence {
    let filled = migdiff_model::identity_with_defaults(
        &m::Identity {
            always: false,
            start: s.start,
            increment: s.increment,
            min_value: s.min_value,
            max_value: s.max_value,
            cache: s.cache,
            cycle: s.cycle,
        },
        &s.data_type,
    );
    s.start = filled.start;
    s.increment = filled.increment;
    s.min_value = filled.min_value;
    s.max_value = filled.max_value;
    s.cache = filled.cache;
    s
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
                Dialect::Postgresql,
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
            Dialect::Postgresql,
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
                Dialect::Postgresql,
                "only column",
            ),
            (
                "CREATE TABLE p (a int, b tstzrange, PRIMARY KEY (a, b WITHOUT OVERLAPS));
CREATE TABLE t (a int, b tstzrange, FOREIGN KEY (a, PERIOD b) REFERENCES p (a, b))",
                Dialect::Postgresql,
                "one side only",
            ),
            (
                "CREATE TABLE t (a int, CHECK (a > 0) NOT ENFORCED)",
                Dialect::Sqlite,
                "NOT ENFORCED",
            ),
            (
                "CREATE TABLE t (a int, UNIQUE (a) NOT ENFORCED)",
                Dialect::Postgresql,
                "only CHECK constraints and foreign keys",
            ),
            (
                "CREATE TABLE t (a int, v int GENERATED ALWAYS AS (a * 2) VIRTUAL);
CREATE INDEX t_v ON t ((v + 1))",
                Dialect::Postgresql,
                "cannot index one",
            ),
            (
                "CREATE TABLE t (a int, v int GENERATED ALWAYS AS (a * 2) VIRTUAL UNIQUE)",
                Dialect::Postgresql,
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
            Dialect::Postgresql,
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

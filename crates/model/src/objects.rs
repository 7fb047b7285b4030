//! The objects of a schema beyond tables: views and materialized views,
//! functions and procedures, triggers, extensions. Each keeps what the
//! server stores of it (the text it prints back: its definitions are
//! compared as the server holds them, the declared side settled through a
//! scratch database), the text the declared DDL wrote (rendered in
//! revisions, never compared), and what it depends on (the edges of the
//! dependency graph op ordering reads; never compared).

use std::collections::BTreeSet;
use std::fmt;

use crate::model::{Index, ObjectName};

/// What a view, materialized view or trigger depends on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dependency {
    /// A table, view or materialized view as a whole.
    Relation(ObjectName),
    /// One column of a table or view: a type change or a drop of it is
    /// refused while the dependent exists.
    Column(ObjectName, String),
    Function(FunctionId),
}

/// A view (`materialized: false`) or a materialized view.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub name: ObjectName,
    pub materialized: bool,
    /// The query as the server prints it (`pg_get_viewdef` with an empty
    /// search path: every name qualified), or as the DDL wrote it while it
    /// is not settled. Compared, whitespace aside.
    pub query: String,
    /// The whole `CREATE` statement as the declared DDL writes it (column
    /// names, options, `WITH NO DATA` and all): rendered in revisions,
    /// never compared.
    pub as_written: Option<String>,
    /// The search path the declared DDL had set for the statement as
    /// written (`app, public` after `SET search_path TO app, public`):
    /// the unqualified names in it resolve there. Never compared.
    pub search_path: Option<String>,
    /// `WITH (...)` options (`security_barrier=true`, `check_option=local`),
    /// sorted. Compared.
    pub options: Vec<String>,
    /// The output columns and their types as the server prints them; empty
    /// where unknown (a declared view not settled). Decides whether
    /// `CREATE OR REPLACE VIEW` can do a change: only when the old columns
    /// stay, in order, with their types. Not compared (the query is).
    pub columns: Vec<(String, String)>,
    /// A materialized view's `WITH [NO] DATA`: how it is created. Not
    /// compared: a refresh changes it, the schema stays the same.
    pub with_data: bool,
    /// The role that owns it. Compared only with `compare_owners = true`
    /// (and where the declared side states one).
    pub owner: Option<String>,
    /// A materialized view's indexes. Compared like a table's.
    pub indexes: Vec<Index>,
    pub comment: Option<String>,
    /// Not compared: the graph's edges.
    pub depends_on: BTreeSet<Dependency>,
}

impl View {
    pub fn new(name: ObjectName, materialized: bool, query: impl Into<String>) -> Self {
        View {
            name,
            materialized,
            query: query.into(),
            as_written: None,
            search_path: None,
            options: Vec::new(),
            columns: Vec::new(),
            with_data: true,
            owner: None,
            indexes: Vec::new(),
            comment: None,
            depends_on: BTreeSet::new(),
        }
    }

    /// The view as a comment or an owner names it.
    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef::View {
            name: self.name.clone(),
            materialized: self.materialized,
        }
    }

    /// Whether two views are the same view (what the diff compares).
    pub fn same_definition(&self, other: &View) -> bool {
        self.materialized == other.materialized
            && same_text(&self.query, &other.query)
            && self.options == other.options
    }

    /// Whether `CREATE OR REPLACE VIEW` turns `self` into `to`: a plain
    /// view whose columns stay, in order and with their types (new ones
    /// may follow). Unknown columns are never assumed to fit.
    pub fn replaceable_by(&self, to: &View) -> bool {
        !self.materialized
            && !to.materialized
            && !self.columns.is_empty()
            && to.columns.len() >= self.columns.len()
            && to.columns[..self.columns.len()] == self.columns[..]
    }
}

/// A function's identity: schema, name and the types of its input
/// arguments (`integer, text`), so overloads are distinct objects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FunctionId {
    pub name: ObjectName,
    /// The input argument types as the server prints them, joined by `, `.
    pub args: String,
}

impl fmt::Display for FunctionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name, self.args)
    }
}

/// A function or a procedure.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub id: FunctionId,
    pub procedure: bool,
    /// The whole `CREATE OR REPLACE FUNCTION` statement as the server
    /// prints it (`pg_get_functiondef`: arguments, result, language,
    /// volatility, strictness, security, SET options, body), or as the DDL
    /// wrote it while it is not settled. Compared, whitespace aside.
    pub definition: String,
    /// The statement as the declared DDL writes it: rendered in revisions,
    /// never compared.
    pub as_written: Option<String>,
    /// The search path the declared DDL had set for the statement as
    /// written (`app, public` after `SET search_path TO app, public`):
    /// the unqualified names in it resolve there. Never compared.
    pub search_path: Option<String>,
    /// The result type as the server prints it (`pg_get_function_result`);
    /// `CREATE OR REPLACE` cannot change it. Empty where unknown.
    pub result: String,
    /// The arguments with their names, modes and defaults
    /// (`pg_get_function_arguments`); `CREATE OR REPLACE` cannot rename
    /// them. Empty where unknown.
    pub arguments: String,
    /// Its language (`sql`, `plpgsql`, ...): PostgreSQL checks an SQL body
    /// against the tables when the function is created.
    pub language: String,
    /// The role that owns it. Compared only with `compare_owners = true`
    /// (and where the declared side states one).
    pub owner: Option<String>,
    pub comment: Option<String>,
}

impl Function {
    /// The function as a comment or an owner names it.
    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef::Function {
            id: self.id.clone(),
            procedure: self.procedure,
        }
    }

    pub fn same_definition(&self, other: &Function) -> bool {
        self.procedure == other.procedure
            && (same_text(&self.definition, &other.definition)
                || function_key(&self.definition) == function_key(&other.definition))
    }

    /// The statement that creates it: as written where the DDL wrote it,
    /// else as the server prints it.
    pub fn create_statement(&self) -> &str {
        self.as_written.as_deref().unwrap_or(&self.definition)
    }

    /// Whether `CREATE OR REPLACE` turns `self` into `to`: same kind,
    /// result type and argument names, all known.
    pub fn replaceable_by(&self, to: &Function) -> bool {
        self.procedure == to.procedure
            && !self.result.is_empty()
            && self.result == to.result
            && !self.arguments.is_empty()
            && argument_names(&self.arguments) == argument_names(&to.arguments)
    }

    /// Whether PostgreSQL checks its body against the tables when it is
    /// created: it then has to come after them.
    pub fn body_checked_at_creation(&self) -> bool {
        self.language.eq_ignore_ascii_case("sql")
    }
}

/// A function's statement with what only its spelling changes taken out:
/// `OR REPLACE`, the dollar quote's tag, whitespace outside the body.
/// pg_dump's `CREATE FUNCTION ... AS $$body$$;` and the server's
/// `CREATE OR REPLACE FUNCTION ... AS $function$body$function$` are then
/// one text (both list the options in the server's order).
fn function_key(definition: &str) -> String {
    let squeezed = squeeze_whitespace(definition);
    let mut out = String::with_capacity(squeezed.len());
    let mut rest = squeezed.as_str();
    // `CREATE OR REPLACE` → `CREATE`, in any case.
    if rest
        .get(..17)
        .is_some_and(|head| head.eq_ignore_ascii_case("CREATE OR REPLACE"))
    {
        out.push_str("CREATE");
        rest = &rest[17..];
    }
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let Some(end) = after.find('$') else {
            out.push_str(&rest[at..]);
            return out;
        };
        let tag = &rest[at..at + end + 2];
        let name = &tag[1..tag.len() - 1];
        if !name.chars().all(|c| c.is_alphanumeric() || c == '_')
            || name.starts_with(|c: char| c.is_ascii_digit())
        {
            out.push('$');
            rest = after;
            continue;
        }
        let body_start = at + tag.len();
        match rest[body_start..].find(tag) {
            Some(len) => {
                out.push_str("$$");
                out.push_str(&rest[body_start..body_start + len]);
                out.push_str("$$");
                rest = &rest[body_start + len + tag.len()..];
            }
            None => {
                out.push_str(&rest[at..]);
                return out;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The names and modes of an argument list, defaults aside (`a integer
/// DEFAULT 1, OUT b text` → `a integer, OUT b text`): what `CREATE OR
/// REPLACE` keeps.
fn argument_names(arguments: &str) -> String {
    arguments
        .split(", ")
        .map(|a| match a.find(" DEFAULT ") {
            Some(at) => &a[..at],
            None => a,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// When a trigger fires (`tgenabled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum TriggerEnabled {
    /// Fires in origin and local sessions (the default).
    #[default]
    Origin,
    Disabled,
    Replica,
    Always,
}

impl TriggerEnabled {
    /// The `ALTER TABLE ... <clause> TRIGGER` words that set it.
    pub fn clause(self) -> &'static str {
        match self {
            TriggerEnabled::Origin => "ENABLE",
            TriggerEnabled::Disabled => "DISABLE",
            TriggerEnabled::Replica => "ENABLE REPLICA",
            TriggerEnabled::Always => "ENABLE ALWAYS",
        }
    }

    /// From `pg_trigger.tgenabled`.
    pub fn from_code(code: &str) -> TriggerEnabled {
        match code {
            "D" => TriggerEnabled::Disabled,
            "R" => TriggerEnabled::Replica,
            "A" => TriggerEnabled::Always,
            _ => TriggerEnabled::Origin,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TriggerEnabled::Origin => "enabled",
            TriggerEnabled::Disabled => "disabled",
            TriggerEnabled::Replica => "replica",
            TriggerEnabled::Always => "always",
        }
    }

    pub fn from_name(name: &str) -> Option<TriggerEnabled> {
        [
            TriggerEnabled::Origin,
            TriggerEnabled::Disabled,
            TriggerEnabled::Replica,
            TriggerEnabled::Always,
        ]
        .into_iter()
        .find(|e| e.name() == name)
    }
}

/// A trigger's identity: its table and its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TriggerId {
    pub table: ObjectName,
    pub name: String,
}

impl fmt::Display for TriggerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.table, self.name)
    }
}

/// A trigger (constraint triggers included).
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    pub id: TriggerId,
    /// The `CREATE TRIGGER` statement as the server prints it
    /// (`pg_get_triggerdef`: timing, events with `UPDATE OF` columns, FOR
    /// EACH ROW/STATEMENT, WHEN, the function and its arguments), or as the
    /// DDL wrote it while it is not settled. Compared, whitespace aside.
    pub definition: String,
    /// The statement as the declared DDL writes it: rendered in revisions,
    /// never compared.
    pub as_written: Option<String>,
    /// The search path the declared DDL had set for the statement as
    /// written (`app, public` after `SET search_path TO app, public`):
    /// the unqualified names in it resolve there. Never compared.
    pub search_path: Option<String>,
    pub enabled: TriggerEnabled,
    pub comment: Option<String>,
    /// Not compared: the graph's edges (its function, the columns it names).
    pub depends_on: BTreeSet<Dependency>,
}

impl Trigger {
    pub fn same_definition(&self, other: &Trigger) -> bool {
        same_text(&self.definition, &other.definition)
    }

    /// The statement that creates it: as written where the DDL wrote it,
    /// else as the server prints it.
    pub fn create_statement(&self) -> &str {
        self.as_written.as_deref().unwrap_or(&self.definition)
    }
}

/// A domain: a base type with a default, NOT NULL and named CHECKs.
/// Columns of it carry its name as their type.
#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    pub name: ObjectName,
    pub base_type: crate::types::DataType,
    pub collation: Option<String>,
    pub not_null: bool,
    /// Normalized, as a column's default is.
    pub default: Option<String>,
    /// CHECK constraints by name (an unnamed one is `<domain>_check`, as
    /// the server names it), each a normalized expression over `VALUE`.
    pub checks: Vec<(String, String)>,
    /// The role that owns it. Compared only with `compare_owners = true`
    /// (and where the declared side states one).
    pub owner: Option<String>,
    pub comment: Option<String>,
}

/// An installed extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub name: String,
    /// The schema its objects live in.
    pub schema: String,
    /// Compared only where the declared side states one.
    pub version: Option<String>,
    pub comment: Option<String>,
}

/// An object beyond tables that a comment or a grant can name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ObjectRef {
    View {
        name: ObjectName,
        materialized: bool,
    },
    Function {
        id: FunctionId,
        procedure: bool,
    },
    Trigger(TriggerId),
    Extension(String),
    Domain(ObjectName),
}

impl ObjectRef {
    /// The object's kind as SQL names it (`MATERIALIZED VIEW`).
    pub fn sql_kind(&self) -> &'static str {
        match self {
            ObjectRef::View {
                materialized: true, ..
            } => "MATERIALIZED VIEW",
            ObjectRef::View { .. } => "VIEW",
            ObjectRef::Function {
                procedure: true, ..
            } => "PROCEDURE",
            ObjectRef::Function { .. } => "FUNCTION",
            ObjectRef::Trigger(_) => "TRIGGER",
            ObjectRef::Extension(_) => "EXTENSION",
            ObjectRef::Domain(_) => "DOMAIN",
        }
    }

    /// The kind in a report (`materialized view`).
    pub fn kind_name(&self) -> String {
        self.sql_kind().to_lowercase()
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectRef::View { name, .. } => write!(f, "{name}"),
            ObjectRef::Function { id, .. } => write!(f, "{id}"),
            ObjectRef::Trigger(t) => write!(f, "{t}"),
            ObjectRef::Extension(e) => f.write_str(e),
            ObjectRef::Domain(n) => write!(f, "{n}"),
        }
    }
}

/// Two definitions are the same when only their whitespace differs
/// outside quotes (the server's printer indents; a dump file re-wraps).
pub fn same_text(a: &str, b: &str) -> bool {
    a == b || squeeze_whitespace(a) == squeeze_whitespace(b)
}

/// Runs of whitespace outside string literals and quoted names become one
/// space, and none is kept next to punctuation; a trailing `;` goes.
pub fn squeeze_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let mut pending_space = false;
    // A dollar-quoted body is kept as it is: its tag opens and closes it.
    let mut dollar: Option<String> = None;
    let chars: Vec<char> = text
        .trim()
        .trim_end_matches(';')
        .trim_end()
        .chars()
        .collect();
    let mut i = 0;
    let punct = |c: char| "(),;=<>+-*/|:[]".contains(c);
    while i < chars.len() {
        let c = chars[i];
        if let Some(tag) = &dollar {
            let rest: String = chars[i..].iter().take(tag.len()).collect();
            if &rest == tag {
                out.push_str(tag);
                i += tag.chars().count();
                dollar = None;
                continue;
            }
            out.push(c);
            i += 1;
            continue;
        }
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            pending_space = true;
            i += 1;
            continue;
        }
        if pending_space {
            let last = out.chars().last();
            if last.is_some_and(|l| !punct(l)) && !punct(c) {
                out.push(' ');
            }
            pending_space = false;
        }
        if c == '\'' || c == '"' {
            quote = Some(c);
        } else if c == '$' {
            // `$tag$` opens a dollar-quoted string.
            if let Some(end) = chars[i + 1..].iter().position(|&d| d == '$') {
                let tag: String = chars[i..=i + 1 + end].iter().collect();
                if tag[1..tag.len() - 1]
                    .chars()
                    .all(|d| d.is_alphanumeric() || d == '_')
                    && !tag[1..].starts_with(|d: char| d.is_ascii_digit())
                {
                    out.push_str(&tag);
                    i += tag.chars().count();
                    dollar = Some(tag);
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_outside_quotes_does_not_count() {
        assert!(same_text(
            " SELECT a.id,\n    a.name\n   FROM public.a;",
            "SELECT a.id, a.name FROM public.a"
        ));
        assert!(same_text("SELECT f( 1 )", "SELECT f(1)"));
        assert!(!same_text("SELECT 'a  b'", "SELECT 'a b'"));
        assert!(!same_text("AS $$ a  b $$", "AS $$ a b $$"));
        assert!(same_text("AS $f$ a  b $f$  ", "AS  $f$ a  b $f$"));
        assert!(!same_text("SELECT a FROM t", "SELECT b FROM t"));
    }

    #[test]
    fn a_dumped_function_is_the_one_the_server_prints() {
        let dumped = "CREATE FUNCTION public.f(a integer) RETURNS integer\n    LANGUAGE sql IMMUTABLE\n    AS $$ SELECT a  +  1 $$;";
        let printed = "CREATE OR REPLACE FUNCTION public.f(a integer)\n RETURNS integer\n LANGUAGE sql\n IMMUTABLE\nAS $function$ SELECT a  +  1 $function$";
        assert_eq!(function_key(dumped), function_key(printed));
        let other = printed.replace("a  +  1", "a + 1");
        assert_ne!(function_key(dumped), function_key(&other));
    }

    #[test]
    fn replace_keeps_names_and_result() {
        let f = |args: &str, result: &str| Function {
            id: FunctionId {
                name: ObjectName::new("public", "f"),
                args: "integer".into(),
            },
            procedure: false,
            definition: String::new(),
            as_written: None,
            search_path: None,
            result: result.into(),
            arguments: args.into(),
            language: "sql".into(),
            owner: None,
            comment: None,
        };
        assert!(f("a integer", "integer").replaceable_by(&f("a integer DEFAULT 1", "integer")));
        assert!(!f("a integer", "integer").replaceable_by(&f("b integer", "integer")));
        assert!(!f("a integer", "integer").replaceable_by(&f("a integer", "bigint")));
        assert!(!f("", "").replaceable_by(&f("", "")));
    }

    #[test]
    fn a_view_is_replaced_only_when_its_columns_stay() {
        let v = |cols: &[(&str, &str)]| {
            let mut v = View::new(ObjectName::new("public", "v"), false, "SELECT 1");
            v.columns = cols
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            v
        };
        let old = v(&[("id", "integer")]);
        assert!(old.replaceable_by(&v(&[("id", "integer"), ("x", "text")])));
        assert!(!old.replaceable_by(&v(&[("id", "bigint")])));
        assert!(!old.replaceable_by(&v(&[])));
        assert!(!v(&[]).replaceable_by(&v(&[])));
    }
}

//! The objects beyond tables, read by a targeted reader (sqlparser knows
//! only part of their grammar, and their bodies are whatever a language
//! says): `CREATE [OR REPLACE] VIEW`, `MATERIALIZED VIEW`, `FUNCTION`,
//! `PROCEDURE`, `[CONSTRAINT] TRIGGER`, `CREATE EXTENSION`, `COMMENT ON`
//! them and `ALTER TABLE ... ENABLE/DISABLE TRIGGER`. Each keeps its
//! statement as written; what the server makes of it is settled through a
//! scratch database. Only for dialects that read objects (PostgreSQL).

use super::*;

/// A word or a punctuation mark at the top level of a statement, with its
/// byte range; strings, dollar-quoted bodies and comments are skipped.
#[derive(Debug, Clone)]
pub(super) struct Tok {
    /// A word: folded to lower case unless quoted; punctuation: itself.
    pub(super) text: String,
    quoted: bool,
    word: bool,
    pub(super) start: usize,
    end: usize,
    pub(super) depth: usize,
}

impl Tok {
    pub(super) fn is(&self, keyword: &str) -> bool {
        self.word && !self.quoted && self.text.eq_ignore_ascii_case(keyword)
    }
    pub(super) fn punct(&self, c: &str) -> bool {
        !self.word && self.text == c
    }
}

pub(super) fn tokens(text: &str) -> Vec<Tok> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut depth = 0usize;
    while i < b.len() {
        let c = b[i];
        match c {
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut level = 0;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        level += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        level -= 1;
                        i += 2;
                        if level == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'\'' => {
                let start = i;
                i += 1;
                while i < b.len() {
                    if b[i] == b'\'' {
                        if b.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    if b[i] == b'\\' && start > 0 && matches!(b[start - 1], b'E' | b'e') {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                out.push(Tok {
                    text: text[start..i.min(b.len())].to_string(),
                    quoted: false,
                    word: false,
                    start,
                    end: i.min(b.len()),
                    depth,
                });
            }
            b'"' => {
                let start = i;
                let mut name = String::new();
                i += 1;
                while i < b.len() {
                    if b[i] == b'"' {
                        if b.get(i + 1) == Some(&b'"') {
                            name.push('"');
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    let ch = text[i..].chars().next().unwrap_or(' ');
                    name.push(ch);
                    i += ch.len_utf8();
                }
                i += 1;
                out.push(Tok {
                    text: name,
                    quoted: true,
                    word: true,
                    start,
                    end: i.min(b.len()),
                    depth,
                });
            }
            b'$' if dollar_tag_at(text, i).is_some() => {
                let tag = dollar_tag_at(text, i).unwrap_or_default();
                let start = i;
                let body = i + tag.len();
                i = match text[body..].find(&tag) {
                    Some(at) => body + at + tag.len(),
                    None => b.len(),
                };
                out.push(Tok {
                    text: text[start..i].to_string(),
                    quoted: false,
                    word: false,
                    start,
                    end: i,
                    depth,
                });
            }
            _ if c.is_ascii_whitespace() => i += 1,
            _ if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 => {
                let start = i;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'_'
                        || b[i] == b'$'
                        || b[i] >= 0x80)
                {
                    i += 1;
                }
                out.push(Tok {
                    text: text[start..i].to_lowercase(),
                    quoted: false,
                    word: true,
                    start,
                    end: i,
                    depth,
                });
            }
            _ => {
                if c == b')' {
                    depth = depth.saturating_sub(1);
                }
                let ch = text[i..].chars().next().unwrap_or(' ');
                out.push(Tok {
                    text: ch.to_string(),
                    quoted: false,
                    word: false,
                    start: i,
                    end: i + ch.len_utf8(),
                    depth,
                });
                if c == b'(' {
                    depth += 1;
                }
                i += ch.len_utf8();
            }
        }
    }
    out
}

/// `$tag$` starting at `at`: a dollar quote's opening tag.
fn dollar_tag_at(text: &str, at: usize) -> Option<String> {
    let rest = &text[at + 1..];
    let end = rest.find('$')?;
    let name = &rest[..end];
    if name.starts_with(|c: char| c.is_ascii_digit())
        || !name.chars().all(|c| c.is_alphanumeric() || c == '_')
    {
        return None;
    }
    if at > 0 {
        let before = text.as_bytes()[at - 1];
        if before.is_ascii_alphanumeric() || before == b'_' {
            return None;
        }
    }
    Some(format!("${name}$"))
}

/// A possibly qualified name starting at token `at`: its parts and the
/// index of the token after it.
fn name_at(toks: &[Tok], at: usize) -> Option<(Vec<String>, usize)> {
    let mut parts = Vec::new();
    let mut i = at;
    loop {
        let t = toks.get(i).filter(|t| t.word)?;
        parts.push(t.text.clone());
        i += 1;
        if toks.get(i).is_some_and(|t| t.punct(".")) {
            i += 1;
            continue;
        }
        return Some((parts, i));
    }
}

/// The position of the first top-level word `keyword` from `from` on.
fn find_word(toks: &[Tok], from: usize, keyword: &str) -> Option<usize> {
    toks.iter()
        .enumerate()
        .skip(from)
        .find(|(_, t)| t.depth == 0 && t.is(keyword))
        .map(|(i, _)| i)
}

/// What kind of object statement `text` is, if it is one this reader takes.
pub(super) fn is_object_statement(text: &str) -> bool {
    let up = upper_words(text);
    let up = up
        .strip_prefix("CREATE OR REPLACE ")
        .map(|r| format!("CREATE {r}"))
        .unwrap_or(up);
    [
        "CREATE VIEW ",
        "CREATE RECURSIVE VIEW ",
        "CREATE TEMP VIEW ",
        "CREATE TEMPORARY VIEW ",
        "CREATE MATERIALIZED VIEW ",
        "CREATE FUNCTION ",
        "CREATE PROCEDURE ",
        "CREATE TRIGGER ",
        "CREATE CONSTRAINT TRIGGER ",
        "CREATE EXTENSION ",
        "CREATE DOMAIN ",
        "COMMENT ON DOMAIN ",
        "COMMENT ON VIEW ",
        "COMMENT ON MATERIALIZED VIEW ",
        "COMMENT ON FUNCTION ",
        "COMMENT ON PROCEDURE ",
        "COMMENT ON TRIGGER ",
        "COMMENT ON EXTENSION ",
    ]
    .iter()
    .any(|p| up.starts_with(p))
        // OWNER TO is read; any other ALTER of these changes what is
        // compared, and is refused rather than skipped.
        || [
            "ALTER VIEW ",
            "ALTER MATERIALIZED VIEW ",
            "ALTER FUNCTION ",
            "ALTER PROCEDURE ",
            "ALTER DOMAIN ",
            "ALTER TRIGGER ",
            "ALTER EXTENSION ",
        ]
        .iter()
        .any(|p| up.starts_with(p))
        || (up.starts_with("ALTER TABLE ")
            && (contains_ignore_case(text, " ENABLE ") || contains_ignore_case(text, " DISABLE "))
            && contains_ignore_case(text, " TRIGGER "))
}

/// A function's input argument types as PostgreSQL's `format_type` prints
/// them without modifiers (`int` → `integer`, `varchar(10)` → `character
/// varying`), from an argument list as written; names, modes and defaults
/// aside. Only for matching before the server has settled the function.
pub(super) fn identity_args(list: &str) -> String {
    split_top_level(list)
        .into_iter()
        .filter_map(|arg| {
            let toks = tokens(arg);
            let mut words: Vec<&Tok> = toks.iter().collect();
            // Defaults aside.
            if let Some(at) = words.iter().position(|t| t.is("default") || t.punct("=")) {
                words.truncate(at);
            }
            let mode = words.first().map(|t| t.text.to_ascii_lowercase());
            match mode.as_deref() {
                Some("out") => return None,
                Some("in" | "inout" | "variadic") => {
                    words.remove(0);
                }
                _ => {}
            }
            let type_text = |ws: &[&Tok]| -> String {
                ws.iter()
                    .map(|t| t.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
                    .replace(" . ", ".")
                    .replace(" [ ]", "[]")
                    .replace(" (", "(")
            };
            // A name first when the whole is no type and what follows the
            // first word is one (`a integer`, `n double precision`).
            let whole = type_text(&words);
            let named = words.len() > 1 && !known_type(&whole);
            Some(if named {
                canonical_arg_type(&type_text(&words[1..]))
            } else {
                canonical_arg_type(&whole)
            })
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn split_top_level(list: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for t in tokens(list) {
        if t.depth == 0 && t.punct(",") {
            out.push(list[start..t.start].trim());
            start = t.end;
        }
    }
    let last = list[start..].trim();
    if !last.is_empty() {
        out.push(last);
    }
    out
}

const PG_TYPES: &[(&str, &str)] = &[
    ("int", "integer"),
    ("int4", "integer"),
    ("integer", "integer"),
    ("int8", "bigint"),
    ("bigint", "bigint"),
    ("int2", "smallint"),
    ("smallint", "smallint"),
    ("bool", "boolean"),
    ("boolean", "boolean"),
    ("varchar", "character varying"),
    ("character varying", "character varying"),
    ("char", "character"),
    ("character", "character"),
    ("float8", "double precision"),
    ("double precision", "double precision"),
    ("float4", "real"),
    ("real", "real"),
    ("decimal", "numeric"),
    ("numeric", "numeric"),
    ("timestamptz", "timestamp with time zone"),
    ("timestamp with time zone", "timestamp with time zone"),
    ("timestamp", "timestamp without time zone"),
    ("timestamp without time zone", "timestamp without time zone"),
    ("timetz", "time with time zone"),
    ("time with time zone", "time with time zone"),
    ("time", "time without time zone"),
    ("time without time zone", "time without time zone"),
    ("text", "text"),
    ("uuid", "uuid"),
    ("json", "json"),
    ("jsonb", "jsonb"),
    ("date", "date"),
    ("bytea", "bytea"),
    ("interval", "interval"),
    ("trigger", "trigger"),
    ("record", "record"),
    ("anyelement", "anyelement"),
    ("anyarray", "anyarray"),
    ("void", "void"),
    ("oid", "oid"),
    ("regclass", "regclass"),
    ("inet", "inet"),
    ("cidr", "cidr"),
    ("money", "money"),
    ("name", "name"),
    ("tsvector", "tsvector"),
    ("tsquery", "tsquery"),
];

/// Whether `text` (as written) names a type: a built-in one or a
/// qualified name.
fn known_type(text: &str) -> bool {
    let mut t = text.trim();
    while let Some(stripped) = t.strip_suffix("[]") {
        t = stripped.trim_end();
    }
    let t = match t.find('(') {
        Some(at) => t[..at].trim_end(),
        None => t,
    };
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    PG_TYPES.iter().any(|(k, _)| *k == t) || t.contains('.')
}

fn canonical_arg_type(text: &str) -> String {
    let mut t = text.trim().to_string();
    let mut array = String::new();
    while let Some(stripped) = t.strip_suffix("[]") {
        array.push_str("[]");
        t = stripped.trim_end().to_string();
    }
    // Modifiers are not part of a function's identity.
    if let Some(at) = t.find('(') {
        let close = t.rfind(')').unwrap_or(t.len() - 1);
        t = format!("{}{}", t[..at].trim_end(), &t[close + 1..]);
    }
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    let t = t.strip_prefix("pg_catalog.").unwrap_or(&t).to_string();
    let mapped = PG_TYPES
        .iter()
        .find(|(k, _)| *k == t)
        .map(|(_, c)| c.to_string())
        .unwrap_or_else(|| {
            if t.contains('.') {
                t.clone()
            } else {
                format!("public.{t}")
            }
        });
    format!("{mapped}{array}")
}

impl Reader {
    /// The search path a statement written now resolves names in, where it
    /// is not the default.
    fn search_path_written(&self) -> Option<String> {
        (self.search_schema != self.dialect.default_schema()).then(|| self.search_path.clone())
    }

    fn name_from(&self, parts: Vec<String>) -> ObjectName {
        let default = self.search_schema.clone();
        match parts.as_slice() {
            [n] => ObjectName::new(default, n.clone()),
            [.., s, n] => ObjectName::new(s.clone(), n.clone()),
            [] => ObjectName::new(default, ""),
        }
    }

    /// Folds a name part as the dialect does (quoted parts keep their case).
    fn fold(&self, t: &Tok) -> String {
        if t.quoted {
            t.text.clone()
        } else {
            self.dialect.fold_name(&t.text, false)
        }
    }

    fn qualified_name_at(&self, toks: &[Tok], at: usize) -> Option<(ObjectName, usize)> {
        let (_, next) = name_at(toks, at)?;
        let parts = toks[at..next]
            .iter()
            .filter(|t| t.word)
            .map(|t| self.fold(t))
            .collect();
        Some((self.name_from(parts), next))
    }

    pub(super) fn object_statement(
        &mut self,
        raw: &RawStatement,
        origin: &Origin,
    ) -> Result<(), DdlError> {
        let text = raw.text.trim().trim_end_matches(';').trim_end();
        let toks = tokens(text);
        let first = toks.first().map(|t| t.text.to_ascii_lowercase());
        match first.as_deref() {
            Some("comment") => self.object_comment(text, &toks, origin),
            Some("alter") if toks.get(1).is_some_and(|t| t.is("table")) => {
                self.trigger_enabled(&toks, origin)
            }
            Some("alter") => self.object_owner(text, &toks, origin),
            _ => {
                let kind = toks
                    .iter()
                    .take(6)
                    .find(|t| {
                        [
                            "view",
                            "function",
                            "procedure",
                            "trigger",
                            "extension",
                            "domain",
                        ]
                        .iter()
                        .any(|k| t.is(k))
                    })
                    .map(|t| t.text.to_ascii_lowercase());
                match kind.as_deref() {
                    Some("view") => self.create_view(text, &toks, origin),
                    Some("function" | "procedure") => self.create_function(text, &toks, origin),
                    Some("trigger") => self.create_trigger(text, &toks, origin),
                    Some("extension") => self.create_extension(&toks, origin),
                    Some("domain") => self.create_domain(text, &toks, origin),
                    _ => Err(origin.unsupported("cannot read this statement")),
                }
            }
        }
    }

    fn create_view(&mut self, text: &str, toks: &[Tok], origin: &Origin) -> Result<(), DdlError> {
        if toks
            .iter()
            .take(5)
            .any(|t| t.is("temp") || t.is("temporary"))
        {
            return Err(origin.unsupported(
                "a temporary view is not part of a schema; leave it out of the declared schema",
            ));
        }
        if toks.iter().take(5).any(|t| t.is("recursive")) {
            return Err(origin.unsupported(
                "CREATE RECURSIVE VIEW is not read yet; write it as CREATE VIEW ... AS WITH RECURSIVE ...",
            ));
        }
        let materialized = toks.iter().take(5).any(|t| t.is("materialized"));
        let at = find_word(toks, 0, "view").ok_or_else(|| origin.unsupported("no VIEW"))? + 1;
        let mut at = at;
        if toks.get(at).is_some_and(|t| t.is("if")) {
            at += 3;
        }
        let (name, next) = self
            .qualified_name_at(toks, at)
            .ok_or_else(|| origin.unsupported("a view needs a name"))?;
        let as_at = find_word(toks, next, "as")
            .ok_or_else(|| origin.unsupported("CREATE VIEW without AS query"))?;
        let mut options: Vec<String> = Vec::new();
        // WITH (option = value, ...) before AS.
        if let Some(w) = find_word(toks, next, "with").filter(|w| *w < as_at)
            && toks.get(w + 1).is_some_and(|t| t.punct("("))
        {
            let close = toks[w + 2..]
                .iter()
                .position(|t| t.depth == 0 && t.punct(")"))
                .map(|p| w + 2 + p)
                .unwrap_or(as_at);
            let inner = &text[toks[w + 1].end..toks[close].start];
            for opt in split_top_level(inner) {
                let (k, v) = match opt.split_once('=') {
                    Some((k, v)) => (k.trim(), v.trim()),
                    None => (opt.trim(), "true"),
                };
                options.push(format!(
                    "{}={}",
                    k.to_lowercase(),
                    v.trim_matches('\'').to_lowercase()
                ));
            }
        }
        // The query, less a trailing WITH [NO] DATA or WITH ... CHECK OPTION.
        let mut end = text.len();
        let mut with_data = true;
        let tail: Vec<&Tok> = toks.iter().filter(|t| t.depth == 0).collect();
        let n = tail.len();
        if n >= 3 && tail[n - 1].is("data") {
            if tail[n - 2].is("no") && tail[n - 3].is("with") {
                with_data = false;
                end = tail[n - 3].start;
            } else if tail[n - 2].is("with") {
                end = tail[n - 2].start;
            }
        } else if n >= 3 && tail[n - 1].is("option") && tail[n - 2].is("check") {
            let local = tail[n - 3].is("local");
            let with = if local || tail[n - 3].is("cascaded") {
                n - 4
            } else {
                n - 3
            };
            if let Some(t) = tail.get(with).filter(|t| t.is("with")) {
                end = t.start;
                options.push(format!(
                    "check_option={}",
                    if local { "local" } else { "cascaded" }
                ));
            }
        }
        options.sort();
        let query = text[toks[as_at].end..end].trim().to_string();
        if self.schema.tables.contains_key(&name) {
            return Err(origin.reference(format!(
                "view {name} has the name of a table declared before it"
            )));
        }
        let mut view = m::View::new(name.clone(), materialized, query);
        view.options = options;
        view.with_data = with_data;
        view.as_written = Some(text.to_string());
        view.search_path = self.search_path_written();
        self.schema.views.insert(name, view);
        Ok(())
    }

    fn create_function(
        &mut self,
        text: &str,
        toks: &[Tok],
        origin: &Origin,
    ) -> Result<(), DdlError> {
        let kw = toks
            .iter()
            .position(|t| t.is("function") || t.is("procedure"))
            .ok_or_else(|| origin.unsupported("no FUNCTION"))?;
        let procedure = toks[kw].is("procedure");
        let (name, next) = self
            .qualified_name_at(toks, kw + 1)
            .ok_or_else(|| origin.unsupported("a function needs a name"))?;
        let open = toks
            .get(next)
            .filter(|t| t.punct("("))
            .ok_or_else(|| origin.unsupported("a function needs its argument list"))?;
        let close = toks[next + 1..]
            .iter()
            .position(|t| t.depth == open.depth && t.punct(")"))
            .map(|p| next + 1 + p)
            .ok_or_else(|| origin.unsupported("the argument list is not closed"))?;
        let args = identity_args(&text[open.end..toks[close].start]);
        let language = find_word(toks, close, "language")
            .and_then(|at| toks.get(at + 1))
            .map(|t| t.text.trim_matches('\'').to_lowercase())
            .unwrap_or_else(|| "sql".into());
        let id = m::FunctionId { name, args };
        self.schema.functions.insert(
            id.clone(),
            m::Function {
                id,
                procedure,
                definition: text.to_string(),
                as_written: Some(text.to_string()),
                search_path: self.search_path_written(),
                result: String::new(),
                arguments: String::new(),
                language,
                owner: None,
                comment: None,
            },
        );
        Ok(())
    }

    fn create_trigger(
        &mut self,
        text: &str,
        toks: &[Tok],
        origin: &Origin,
    ) -> Result<(), DdlError> {
        let kw = toks
            .iter()
            .position(|t| t.is("trigger"))
            .ok_or_else(|| origin.unsupported("no TRIGGER"))?;
        // SQLite's IF NOT EXISTS.
        let at = if toks.get(kw + 1).is_some_and(|t| t.is("if")) {
            kw + 4
        } else {
            kw + 1
        };
        let name = toks
            .get(at)
            .filter(|t| t.word)
            .map(|t| self.fold(t))
            .ok_or_else(|| origin.unsupported("a trigger needs a name"))?;
        let on = find_word(toks, at + 1, "on")
            .ok_or_else(|| origin.unsupported("a trigger needs ON table"))?;
        let (table, _) = self
            .qualified_name_at(toks, on + 1)
            .ok_or_else(|| origin.unsupported("a trigger needs ON table"))?;
        if !self.schema.tables.contains_key(&table) && !self.schema.views.contains_key(&table) {
            return Err(origin.reference(format!(
                "trigger {name} is on {table}, which is not declared before it"
            )));
        }
        // The columns of UPDATE OF and the function, as edges.
        let mut depends_on = BTreeSet::new();
        if let Some(at) = find_word(toks, on, "execute") {
            let f = toks
                .get(at + 1)
                .filter(|t| t.is("function") || t.is("procedure"))
                .map(|_| at + 2);
            if let Some((fname, _)) = f.and_then(|f| self.qualified_name_at(toks, f)) {
                depends_on.insert(m::Dependency::Function(m::FunctionId {
                    name: fname,
                    args: String::new(),
                }));
            }
        }
        let id = m::TriggerId { table, name };
        self.schema.triggers.insert(
            id.clone(),
            m::Trigger {
                id,
                definition: text.to_string(),
                as_written: Some(text.to_string()),
                search_path: self.search_path_written(),
                enabled: m::TriggerEnabled::Origin,
                comment: None,
                depends_on,
            },
        );
        Ok(())
    }

    fn create_extension(&mut self, toks: &[Tok], origin: &Origin) -> Result<(), DdlError> {
        let kw = toks
            .iter()
            .position(|t| t.is("extension"))
            .ok_or_else(|| origin.unsupported("no EXTENSION"))?;
        let mut at = kw + 1;
        if toks.get(at).is_some_and(|t| t.is("if")) {
            at += 3;
        }
        let name = toks
            .get(at)
            .filter(|t| t.word)
            .map(|t| self.fold(t))
            .ok_or_else(|| origin.unsupported("an extension needs a name"))?;
        let value_after = |kw: &str| {
            find_word(toks, at + 1, kw)
                .and_then(|i| toks.get(i + 1))
                .map(|t| {
                    if t.word {
                        self.fold(t)
                    } else {
                        t.text.trim_matches('\'').to_string()
                    }
                })
        };
        // plpgsql is in every database: never compared.
        if name == "plpgsql" {
            return Ok(());
        }
        let schema = value_after("schema").unwrap_or_else(|| self.search_schema.clone());
        self.schema.extensions.insert(
            name.clone(),
            m::Extension {
                name,
                schema,
                version: value_after("version"),
                comment: None,
            },
        );
        Ok(())
    }

    /// `CREATE DOMAIN name [AS] type [COLLATE c] [DEFAULT e]
    /// [[CONSTRAINT n] {NOT NULL | NULL | CHECK (e)}]...`.
    fn create_domain(&mut self, text: &str, toks: &[Tok], origin: &Origin) -> Result<(), DdlError> {
        let kw = toks
            .iter()
            .position(|t| t.is("domain"))
            .ok_or_else(|| origin.unsupported("no DOMAIN"))?;
        let (name, mut at) = self
            .qualified_name_at(toks, kw + 1)
            .ok_or_else(|| origin.unsupported("a domain needs a name"))?;
        if toks.get(at).is_some_and(|t| t.is("as")) {
            at += 1;
        }
        // The clauses start at the first top-level keyword after the type.
        let clause = |t: &Tok| {
            t.depth == 0
                && ["collate", "default", "constraint", "not", "null", "check"]
                    .iter()
                    .any(|k| t.is(k))
        };
        let type_start = toks
            .get(at)
            .map(|t| t.start)
            .ok_or_else(|| origin.unsupported("a domain needs a base type"))?;
        let type_end_at = toks[at + 1..]
            .iter()
            .position(clause)
            .map(|p| at + 1 + p)
            .unwrap_or(toks.len());
        let type_end = toks.get(type_end_at).map_or(text.len(), |t| t.start);
        let base_type = parse_type_text(text[type_start..type_end].trim(), self.dialect);
        let mut domain = m::Domain {
            name: name.clone(),
            base_type,
            collation: None,
            not_null: false,
            default: None,
            checks: Vec::new(),
            owner: None,
            comment: None,
        };
        let mut i = type_end_at;
        let mut constraint_name: Option<String> = None;
        // The end of a clause's expression: the next clause keyword.
        let expression_end = |from: usize| {
            toks[from..]
                .iter()
                .position(clause)
                .map(|p| toks[from + p].start)
                .unwrap_or(text.len())
        };
        let expr_error = |e: migdiff_sqlexpr::ExprError| {
            origin.unsupported(format!("domain {name}: cannot read the expression: {e}"))
        };
        while i < toks.len() {
            let t = &toks[i];
            if t.is("collate") {
                domain.collation = toks.get(i + 1).map(|c| self.fold(c));
                i += 2;
            } else if t.is("default") {
                let start = toks.get(i + 1).map_or(text.len(), |t| t.start);
                let end = expression_end(i + 1);
                let d = migdiff_sqlexpr::normalize_default(
                    text[start..end].trim(),
                    &domain.base_type,
                    self.dialect,
                )
                .map_err(expr_error)?;
                domain.default = Some(d);
                i = toks
                    .iter()
                    .position(|t| t.start >= end)
                    .unwrap_or(toks.len());
            } else if t.is("constraint") {
                constraint_name = toks.get(i + 1).map(|c| self.fold(c));
                i += 2;
            } else if t.is("not") && toks.get(i + 1).is_some_and(|t| t.is("null")) {
                domain.not_null = true;
                constraint_name = None;
                i += 2;
            } else if t.is("null") {
                i += 1;
            } else if t.is("check") {
                let open = toks
                    .get(i + 1)
                    .filter(|t| t.punct("("))
                    .ok_or_else(|| origin.unsupported("CHECK needs (expression)"))?;
                let close = toks[i + 2..]
                    .iter()
                    .position(|t| t.depth == open.depth && t.punct(")"))
                    .map(|p| i + 2 + p)
                    .ok_or_else(|| origin.unsupported("CHECK ( is not closed"))?;
                let expr = migdiff_sqlexpr::normalize_expr(
                    &text[open.end..toks[close].start],
                    self.dialect,
                )
                .map_err(expr_error)?;
                // The server's name for an unnamed one: <domain>_check, then
                // <domain>_check1, ...
                let check_name = constraint_name.take().unwrap_or_else(|| {
                    let taken = |n: &str| domain.checks.iter().any(|(c, _)| c == n);
                    let base = format!("{}_check", name.name);
                    (0..)
                        .map(|k| {
                            if k == 0 {
                                base.clone()
                            } else {
                                format!("{base}{k}")
                            }
                        })
                        .find(|n| !taken(n))
                        .unwrap_or(base)
                });
                domain.checks.push((check_name, expr));
                i = close + 1;
            } else {
                return Err(
                    origin.unsupported(format!("domain {name}: cannot read `{}` here", t.text))
                );
            }
        }
        domain.checks.sort();
        self.schema.domains.insert(name, domain);
        Ok(())
    }

    /// The declared function a statement names: `name(args)` by its
    /// identity, or a bare `name` when only one function has it.
    fn function_named(
        &mut self,
        text: &str,
        toks: &[Tok],
        name: &ObjectName,
        next: usize,
    ) -> Option<&mut m::Function> {
        let args = toks.get(next).filter(|t| t.punct("(")).and_then(|open| {
            let close = toks[next + 1..]
                .iter()
                .position(|t| t.depth == open.depth && t.punct(")"))?;
            Some(identity_args(&text[open.end..toks[next + 1 + close].start]))
        });
        let mut matching = self
            .schema
            .functions
            .keys()
            .filter(|id| id.name == *name && args.as_ref().is_none_or(|a| *a == id.args));
        let (Some(id), None) = (matching.next().cloned(), matching.next()) else {
            return None;
        };
        self.schema.functions.get_mut(&id)
    }

    fn object_comment(
        &mut self,
        text: &str,
        toks: &[Tok],
        origin: &Origin,
    ) -> Result<(), DdlError> {
        let is_at = toks
            .iter()
            .rposition(|t| t.depth == 0 && t.is("is"))
            .ok_or_else(|| origin.unsupported("COMMENT ON without IS"))?;
        let value = toks.get(is_at + 1).map(|t| t.text.as_str()).unwrap_or("");
        let comment = if value.eq_ignore_ascii_case("null") {
            None
        } else {
            let lit = &text[toks[is_at].end..].trim();
            let inner = lit
                .strip_prefix(['E', 'e'])
                .unwrap_or(lit)
                .trim_matches('\'')
                .replace("''", "'");
            Some(inner).filter(|c| !c.is_empty())
        };
        let kind_at = 2;
        let kind = toks.get(kind_at).map(|t| t.text.to_ascii_lowercase());
        let name_at = if kind.as_deref() == Some("materialized") {
            4
        } else {
            3
        };
        let missing =
            |what: String| origin.reference(format!("COMMENT ON {what}: not declared before it"));
        match kind.as_deref() {
            Some("view" | "materialized") => {
                let (name, _) = self
                    .qualified_name_at(toks, name_at)
                    .ok_or_else(|| origin.unsupported("COMMENT ON VIEW needs a name"))?;
                let v = self
                    .schema
                    .views
                    .get_mut(&name)
                    .ok_or_else(|| missing(format!("view {name}")))?;
                v.comment = comment;
            }
            Some("function" | "procedure") => {
                let (name, next) = self
                    .qualified_name_at(toks, name_at)
                    .ok_or_else(|| origin.unsupported("COMMENT ON FUNCTION needs a name"))?;
                let f = self
                    .function_named(text, toks, &name, next)
                    .ok_or_else(|| missing(format!("function {name}")))?;
                f.comment = comment;
            }
            Some("trigger") => {
                let name = toks
                    .get(3)
                    .map(|t| self.fold(t))
                    .ok_or_else(|| origin.unsupported("COMMENT ON TRIGGER needs a name"))?;
                let on = find_word(toks, 4, "on")
                    .ok_or_else(|| origin.unsupported("COMMENT ON TRIGGER needs ON table"))?;
                let (table, _) = self
                    .qualified_name_at(toks, on + 1)
                    .ok_or_else(|| origin.unsupported("COMMENT ON TRIGGER needs ON table"))?;
                let id = m::TriggerId { table, name };
                let t = self
                    .schema
                    .triggers
                    .get_mut(&id)
                    .ok_or_else(|| missing(format!("trigger {id}")))?;
                t.comment = comment;
            }
            Some("domain") => {
                let (name, _) = self
                    .qualified_name_at(toks, name_at)
                    .ok_or_else(|| origin.unsupported("COMMENT ON DOMAIN needs a name"))?;
                let d = self
                    .schema
                    .domains
                    .get_mut(&name)
                    .ok_or_else(|| missing(format!("domain {name}")))?;
                d.comment = comment;
            }
            Some("extension") => {
                let name = toks.get(3).map(|t| self.fold(t)).unwrap_or_default();
                if name == "plpgsql" {
                    return Ok(());
                }
                let e = self
                    .schema
                    .extensions
                    .get_mut(&name)
                    .ok_or_else(|| missing(format!("extension {name}")))?;
                e.comment = comment;
            }
            _ => return Err(origin.unsupported("cannot read this COMMENT ON")),
        }
        Ok(())
    }

    /// `ALTER {VIEW | MATERIALIZED VIEW | FUNCTION | PROCEDURE | DOMAIN}
    /// name OWNER TO role`, as pg_dump writes after each object: kept on
    /// the object, compared only with `compare_owners`.
    fn object_owner(&mut self, text: &str, toks: &[Tok], origin: &Origin) -> Result<(), DdlError> {
        let owner_to = toks
            .windows(2)
            .any(|w| w[0].depth == 0 && w[0].is("owner") && w[1].is("to"));
        let kind = toks.get(1).map(|t| t.text.to_ascii_uppercase());
        if !owner_to || matches!(kind.as_deref(), Some("TRIGGER" | "EXTENSION")) {
            return Err(origin.unsupported(format!(
                "ALTER {} is read only as OWNER TO; write the object's final form in its CREATE statement",
                kind.unwrap_or_default()
            )));
        }
        let name_at = if toks.get(1).is_some_and(|t| t.is("materialized")) {
            3
        } else {
            2
        };
        let (name, next) = self
            .qualified_name_at(toks, name_at)
            .ok_or_else(|| origin.unsupported("ALTER ... OWNER TO needs a name"))?;
        let to = find_word(toks, next, "owner")
            .filter(|at| toks.get(at + 1).is_some_and(|t| t.is("to")))
            .and_then(|at| toks.get(at + 2))
            .map(|t| self.fold(t))
            .ok_or_else(|| origin.unsupported("cannot read the role of OWNER TO"))?;
        let missing = |what: String| {
            origin.reference(format!("ALTER {what} OWNER TO: not declared before it"))
        };
        let owner = match toks.get(1).map(|t| t.text.to_ascii_lowercase()).as_deref() {
            Some("view" | "materialized") => {
                let v = self
                    .schema
                    .views
                    .get_mut(&name)
                    .ok_or_else(|| missing(format!("VIEW {name}")))?;
                &mut v.owner
            }
            Some("domain") => {
                let d = self
                    .schema
                    .domains
                    .get_mut(&name)
                    .ok_or_else(|| missing(format!("DOMAIN {name}")))?;
                &mut d.owner
            }
            _ => {
                let f = self
                    .function_named(text, toks, &name, next)
                    .ok_or_else(|| missing(format!("FUNCTION {name}")))?;
                &mut f.owner
            }
        };
        *owner = Some(to);
        Ok(())
    }

    /// `ALTER TABLE t {ENABLE [REPLICA|ALWAYS] | DISABLE} TRIGGER name`.
    fn trigger_enabled(&mut self, toks: &[Tok], origin: &Origin) -> Result<(), DdlError> {
        let mut at = 2;
        if toks.get(at).is_some_and(|t| t.is("only")) {
            at += 1;
        }
        if toks.get(at).is_some_and(|t| t.is("if")) {
            at += 2;
        }
        let (table, next) = self
            .qualified_name_at(toks, at)
            .ok_or_else(|| origin.unsupported("ALTER TABLE needs a table"))?;
        let words: Vec<String> = toks[next..]
            .iter()
            .map(|t| t.text.to_ascii_lowercase())
            .collect();
        let (enabled, name_at) = match words.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["disable", "trigger", ..] => (m::TriggerEnabled::Disabled, next + 2),
            ["enable", "trigger", ..] => (m::TriggerEnabled::Origin, next + 2),
            ["enable", "replica", "trigger", ..] => (m::TriggerEnabled::Replica, next + 3),
            ["enable", "always", "trigger", ..] => (m::TriggerEnabled::Always, next + 3),
            _ => {
                return Err(origin.unsupported(
                    "only one ENABLE/DISABLE TRIGGER per ALTER TABLE is read; write each in a statement of its own",
                ));
            }
        };
        let name = toks
            .get(name_at)
            .map(|t| self.fold(t))
            .ok_or_else(|| origin.unsupported("ENABLE/DISABLE TRIGGER needs a trigger name"))?;
        if toks.len() > name_at + 1 || matches!(name.as_str(), "all" | "user") {
            return Err(origin.unsupported(
                "only ENABLE/DISABLE TRIGGER of one named trigger is read; name the trigger",
            ));
        }
        let id = m::TriggerId { table, name };
        let t = self.schema.triggers.get_mut(&id).ok_or_else(|| {
            origin.reference(format!(
                "trigger {id} is not declared before this ALTER TABLE"
            ))
        })?;
        t.enabled = enabled;
        Ok(())
    }

    /// The declared views' edges to the relations and functions they name
    /// (the server's own edges replace them once settled): enough to
    /// create views in the order they read each other.
    pub(super) fn view_references(&mut self) {
        let relations: BTreeSet<ObjectName> = self
            .schema
            .views
            .keys()
            .chain(self.schema.tables.keys())
            .cloned()
            .collect();
        let default = self.dialect.default_schema().to_string();
        let search_schemas = self.search_schemas.clone();
        for view in self.schema.views.values_mut() {
            let toks = tokens(&view.query);
            let mut i = 0;
            while i < toks.len() {
                if toks[i].word {
                    let mut parts = vec![if toks[i].quoted {
                        toks[i].text.clone()
                    } else {
                        toks[i].text.to_lowercase()
                    }];
                    let mut j = i + 1;
                    while toks.get(j).is_some_and(|t| t.punct("."))
                        && toks.get(j + 1).is_some_and(|t| t.word)
                    {
                        parts.push(toks[j + 1].text.clone());
                        j += 2;
                    }
                    let name = match parts.as_slice() {
                        // Unqualified: the default schema, else one a
                        // search path named.
                        [n] => std::iter::once(&default)
                            .chain(search_schemas.iter())
                            .map(|s| ObjectName::new(s.clone(), n.clone()))
                            .find(|c| relations.contains(c)),
                        [s, n] | [s, n, _] => Some(ObjectName::new(s.clone(), n.clone())),
                        _ => None,
                    };
                    if let Some(n) = name.filter(|n| relations.contains(n) && *n != view.name) {
                        view.depends_on.insert(m::Dependency::Relation(n));
                    }
                    i = j;
                } else {
                    i += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_types_as_the_server_prints_them() {
        assert_eq!(
            identity_args("a int, b varchar(10) DEFAULT 'x'"),
            "integer, character varying"
        );
        assert_eq!(identity_args("integer, OUT r text"), "integer");
        assert_eq!(identity_args("VARIADIC xs int[]"), "integer[]");
        assert_eq!(identity_args("double precision"), "double precision");
        assert_eq!(identity_args("m mood"), "public.mood");
        assert_eq!(identity_args(""), "");
        assert_eq!(identity_args("timestamptz"), "timestamp with time zone");
    }

    #[test]
    fn tokens_skip_bodies_and_strings() {
        let t = tokens("CREATE FUNCTION f() AS $b$ select 'on'; $b$ LANGUAGE sql");
        assert!(t.iter().any(|t| t.is("language")));
        assert!(!t.iter().any(|t| t.is("select")));
        assert!(is_object_statement(
            "create or replace function f() returns int as 'x'"
        ));
        assert!(is_object_statement("ALTER TABLE t DISABLE TRIGGER trg"));
        assert!(!is_object_statement("ALTER TABLE t ADD COLUMN trigger int"));
    }
}

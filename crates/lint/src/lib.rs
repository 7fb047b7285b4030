//! Which online-safety rules a PostgreSQL migration breaks, statement by
//! statement: the SQL a revision runs (Alembic's offline output, or any
//! script) goes through a [`Linter`] in order, which keeps what earlier
//! statements set up — the open transaction, `lock_timeout`, constraints
//! added `NOT VALID` — and says which [`Rule`]s each statement breaks.
//!
//! Statements are read from their tokens, not parsed into a full tree:
//! a migration holds statements no parser knows all of (PL/pgSQL bodies,
//! new syntax), and what matters here is a handful of keyword shapes.
//! A statement that is none of them breaks no rule.

use std::collections::HashSet;

use migdiff_model::{Rule, is_volatile_default};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

/// One significant token: words in upper case (quoted ones as written,
/// marked quoted), parentheses and commas; the rest kept as text.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word { text: String, quoted: bool },
    Open,
    Close,
    Comma,
    Other(String),
}

impl Tok {
    fn is(&self, keyword: &str) -> bool {
        matches!(self, Tok::Word { text, quoted: false } if text == keyword)
    }

    fn sql(&self) -> String {
        match self {
            Tok::Word { text, quoted: true } => format!("\"{}\"", text.replace('"', "\"\"")),
            Tok::Word { text, .. } => text.clone(),
            Tok::Open => "(".into(),
            Tok::Close => ")".into(),
            Tok::Comma => ",".into(),
            Tok::Other(t) => t.clone(),
        }
    }

    fn name(&self) -> Option<String> {
        match self {
            Tok::Word { text, quoted: true } => Some(text.clone()),
            Tok::Word { text, .. } => Some(text.to_lowercase()),
            _ => None,
        }
    }
}

fn tokens(sql: &str) -> Option<Vec<Tok>> {
    let raw = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    Some(
        raw.into_iter()
            .filter_map(|t| match t {
                Token::Whitespace(_) | Token::EOF => None,
                Token::SemiColon => Some(Tok::Other(";".into())),
                Token::Word(w) => Some(match w.quote_style {
                    Some(_) => Tok::Word {
                        text: w.value,
                        quoted: true,
                    },
                    None => Tok::Word {
                        text: w.value.to_uppercase(),
                        quoted: false,
                    },
                }),
                Token::LParen => Some(Tok::Open),
                Token::RParen => Some(Tok::Close),
                Token::Comma => Some(Tok::Comma),
                other => Some(Tok::Other(other.to_string())),
            })
            .collect(),
    )
}

/// `words` at the start of `toks` (unquoted keywords).
fn starts(toks: &[Tok], words: &[&str]) -> bool {
    toks.len() >= words.len() && words.iter().zip(toks).all(|(w, t)| t.is(w))
}

/// Whether the keyword sequence `words` occurs anywhere in `toks`.
fn contains(toks: &[Tok], words: &[&str]) -> bool {
    (0..toks.len()).any(|i| starts(&toks[i..], words))
}

/// `toks` split at commas outside parentheses.
fn split_top_level(toks: &[Tok]) -> Vec<&[Tok]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Open => depth += 1,
            Tok::Close => depth = depth.saturating_sub(1),
            Tok::Comma if depth == 0 => {
                out.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&toks[start..]);
    out
}

/// Reads a migration's statements in order and says which rules each
/// breaks.
#[derive(Debug, Default)]
pub struct Linter {
    in_transaction: bool,
    lock_timeout_set: bool,
    lock_timeout_reported: bool,
    /// Constraints added `NOT VALID` in the open transaction.
    not_valid: HashSet<String>,
    /// `CHECK (col IS NOT NULL)` constraints added NOT VALID: name ->
    /// (table, column).
    not_null_checks: std::collections::HashMap<String, (String, String)>,
    /// Columns such a check was validated for: PostgreSQL 12 and later
    /// set NOT NULL on them from the check, without scanning.
    proven_not_null: HashSet<(String, String)>,
    /// Tables created in the open transaction: no other session sees them
    /// before the commit, so nothing done to them can block anyone.
    created: HashSet<String>,
}

impl Linter {
    pub fn new() -> Linter {
        Linter::default()
    }

    /// Whether a transaction block is open after the statements so far.
    pub fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    /// The rules `sql` breaks, in the order found. `sql` is one statement
    /// or several separated by semicolons (an `op.execute` of a script).
    pub fn statement(&mut self, sql: &str) -> Vec<Rule> {
        let Some(toks) = tokens(sql) else {
            return Vec::new();
        };
        toks.split(|t| matches!(t, Tok::Other(s) if s == ";"))
            .filter(|one| !one.is_empty())
            .flat_map(|one| self.one_statement(one))
            .collect()
    }

    fn one_statement(&mut self, t: &[Tok]) -> Vec<Rule> {
        let mut out = Vec::new();
        if starts(t, &["BEGIN"]) || starts(t, &["START", "TRANSACTION"]) {
            self.in_transaction = true;
            self.not_valid.clear();
            self.created.clear();
            return out;
        }
        if starts(t, &["COMMIT"]) || starts(t, &["END"]) || starts(t, &["ROLLBACK"]) {
            self.in_transaction = false;
            self.not_valid.clear();
            self.created.clear();
            return out;
        }
        if starts(t, &["SET"]) {
            let rest = if t.get(1).is_some_and(|w| w.is("SESSION") || w.is("LOCAL")) {
                &t[2..]
            } else {
                &t[1..]
            };
            if rest.first().is_some_and(|w| w.is("LOCK_TIMEOUT")) {
                self.lock_timeout_set = true;
            }
            return out;
        }
        // A table or materialized view made in this transaction: nobody
        // else sees it yet, so what follows on it locks no one out.
        let made = if starts(t, &["CREATE", "TABLE"]) {
            Some(2)
        } else if starts(t, &["CREATE", "MATERIALIZED", "VIEW"]) {
            Some(3)
        } else {
            None
        };
        if let Some(i) = made {
            if self.in_transaction {
                let mut i = i;
                if starts(&t[i..], &["IF", "NOT", "EXISTS"]) {
                    i += 3;
                }
                if let Some(name) = last_name(&t[i..]) {
                    self.created.insert(name);
                }
            }
            return out;
        }
        if self
            .target(t)
            .is_some_and(|name| self.created.contains(&name))
        {
            return out;
        }
        let locks = takes_a_lock(t);
        if locks && !self.lock_timeout_set && !self.lock_timeout_reported {
            self.lock_timeout_reported = true;
            out.push(Rule::RequireLockTimeout);
        }
        if starts(t, &["CREATE"]) {
            let mut i = 1;
            if t.get(i).is_some_and(|w| w.is("UNIQUE")) {
                i += 1;
            }
            if t.get(i).is_some_and(|w| w.is("INDEX")) {
                let concurrently = t.get(i + 1).is_some_and(|w| w.is("CONCURRENTLY"));
                self.index(concurrently, Rule::RequireConcurrentIndexCreation, &mut out);
            }
        } else if starts(t, &["DROP", "INDEX"]) {
            let concurrently = t.get(2).is_some_and(|w| w.is("CONCURRENTLY"));
            self.index(concurrently, Rule::RequireConcurrentIndexDeletion, &mut out);
        } else if starts(t, &["DROP", "TABLE"]) {
            out.push(Rule::BanDropTable);
        } else if starts(t, &["DROP", "SEQUENCE"]) {
            out.push(Rule::BanDropSequence);
        } else if starts(t, &["ALTER", "TABLE"]) {
            self.alter_table(&t[2..], &mut out);
        }
        out
    }

    /// The table an ALTER TABLE or CREATE INDEX statement works on.
    fn target(&self, t: &[Tok]) -> Option<String> {
        if starts(t, &["ALTER", "TABLE"]) {
            let mut i = 2;
            if starts(&t[i..], &["IF", "EXISTS"]) {
                i += 2;
            }
            if t.get(i).is_some_and(|w| w.is("ONLY")) {
                i += 1;
            }
            return last_name(&t[i..]);
        }
        if starts(t, &["CREATE"]) && contains(t, &["INDEX"]) {
            let on = t.iter().position(|w| w.is("ON"))?;
            let mut i = on + 1;
            if t.get(i).is_some_and(|w| w.is("ONLY")) {
                i += 1;
            }
            return last_name(&t[i..]);
        }
        None
    }

    fn index(&self, concurrently: bool, plain_rule: Rule, out: &mut Vec<Rule>) {
        if !concurrently {
            out.push(plain_rule);
        } else if self.in_transaction {
            out.push(Rule::BanConcurrentIndexCreationInTransaction);
        }
    }

    fn alter_table(&mut self, t: &[Tok], out: &mut Vec<Rule>) {
        let mut i = 0;
        if starts(t, &["IF", "EXISTS"]) {
            i += 2;
        }
        if t.get(i).is_some_and(|w| w.is("ONLY")) {
            i += 1;
        }
        // The table's name: words joined by dots, maybe a trailing `*`.
        i += 1;
        while t
            .get(i)
            .is_some_and(|x| matches!(x, Tok::Other(p) if p == "." || p == "*"))
        {
            i += if t
                .get(i)
                .is_some_and(|x| matches!(x, Tok::Other(p) if p == "."))
            {
                2
            } else {
                1
            };
        }
        let table = last_name(t.get(i - 1..).unwrap_or(&[])).unwrap_or_default();
        for action in split_top_level(t.get(i..).unwrap_or(&[])) {
            self.action(&table, action, out);
        }
    }

    fn action(&mut self, table: &str, a: &[Tok], out: &mut Vec<Rule>) {
        if starts(a, &["ADD"]) {
            let mut rest = &a[1..];
            let mut name = None;
            if rest.first().is_some_and(|w| w.is("CONSTRAINT")) {
                name = rest.get(1).and_then(Tok::name);
                rest = rest.get(2..).unwrap_or(&[]);
            }
            let using_index = contains(rest, &["USING", "INDEX"]);
            let not_valid = contains(rest, &["NOT", "VALID"]);
            let Some(kind) = rest.first() else { return };
            if kind.is("UNIQUE") {
                if !using_index {
                    out.push(Rule::DisallowedUniqueConstraint);
                }
            } else if kind.is("PRIMARY") {
                if !using_index {
                    out.push(Rule::AddingPrimaryKeyConstraint);
                }
            } else if kind.is("FOREIGN") || kind.is("CHECK") {
                if not_valid {
                    if let Some(name) = name {
                        if let Some(column) = not_null_column(rest) {
                            self.not_null_checks
                                .insert(name.clone(), (table.to_string(), column));
                        }
                        self.not_valid.insert(name);
                    }
                } else {
                    if kind.is("FOREIGN") {
                        out.push(Rule::AddingForeignKeyConstraint);
                    }
                    out.push(Rule::ConstraintMissingNotValid);
                }
            } else if kind.is("EXCLUDE") {
            } else {
                add_column(rest, out);
            }
        } else if starts(a, &["ALTER"]) {
            let mut rest = &a[1..];
            if rest.first().is_some_and(|w| w.is("COLUMN")) {
                rest = &rest[1..];
            }
            let column = rest.first().and_then(Tok::name).unwrap_or_default();
            let action = rest.get(1..).unwrap_or(&[]);
            if starts(action, &["SET", "NOT", "NULL"]) {
                if !self.proven_not_null.contains(&(table.to_string(), column)) {
                    out.push(Rule::AddingNotNullableField);
                }
            } else if starts(action, &["TYPE"]) || starts(action, &["SET", "DATA", "TYPE"]) {
                out.push(Rule::ChangingColumnType);
            }
        } else if starts(a, &["DROP"]) {
            let next = a.get(1);
            let is_other = next.is_some_and(|w| {
                ["CONSTRAINT", "NOT", "DEFAULT", "IDENTITY", "EXPRESSION"]
                    .iter()
                    .any(|k| w.is(k))
            });
            if !is_other {
                out.push(Rule::BanDropColumn);
            }
        } else if starts(a, &["RENAME"]) {
            if a.get(1).is_some_and(|w| w.is("TO")) {
                out.push(Rule::RenamingTable);
            } else if !a.get(1).is_some_and(|w| w.is("CONSTRAINT")) {
                out.push(Rule::RenamingColumn);
            }
        } else if starts(a, &["VALIDATE", "CONSTRAINT"]) {
            let name = a.get(2).and_then(Tok::name).unwrap_or_default();
            if self.not_valid.contains(&name) {
                out.push(Rule::ConstraintMissingNotValid);
            } else if let Some(proven) = self.not_null_checks.get(&name) {
                self.proven_not_null.insert(proven.clone());
            }
        }
    }
}

/// Whether the statement takes a lock on something that exists (what a
/// lock_timeout guards): ALTER and DROP of anything, CREATE INDEX.
fn takes_a_lock(t: &[Tok]) -> bool {
    starts(t, &["ALTER"])
        || starts(t, &["DROP"])
        || starts(t, &["CREATE", "INDEX"])
        || starts(t, &["CREATE", "UNIQUE", "INDEX"])
        // A trigger takes SHARE ROW EXCLUSIVE on its table (writes wait);
        // replacing a view or function, ACCESS EXCLUSIVE on what exists;
        // a refresh, ACCESS EXCLUSIVE on the materialized view.
        || starts(t, &["CREATE", "TRIGGER"])
        || starts(t, &["CREATE", "CONSTRAINT", "TRIGGER"])
        || starts(t, &["CREATE", "OR", "REPLACE"])
        || starts(t, &["REFRESH", "MATERIALIZED", "VIEW"])
}

/// The column of `CHECK (col IS NOT NULL)` (`rest` starts at CHECK).
fn not_null_column(rest: &[Tok]) -> Option<String> {
    let mut inner: Vec<&Tok> = rest
        .iter()
        .skip(1)
        .filter(|t| !matches!(t, Tok::Open | Tok::Close))
        .collect();
    if inner.len() >= 2 && inner[inner.len() - 2].is("NOT") && inner[inner.len() - 1].is("VALID") {
        inner.truncate(inner.len() - 2);
    }
    match inner.as_slice() {
        [column, is, not, null] if is.is("IS") && not.is("NOT") && null.is("NULL") => column.name(),
        _ => None,
    }
}

/// The last part of the dotted name `toks` starts with (`s.t` -> `t`).
fn last_name(toks: &[Tok]) -> Option<String> {
    let mut name = toks.first()?.name()?;
    let mut i = 1;
    while toks
        .get(i)
        .is_some_and(|p| matches!(p, Tok::Other(d) if d == "."))
    {
        name = toks.get(i + 1)?.name()?;
        i += 2;
    }
    Some(name)
}

/// Keywords that end a column's DEFAULT expression.
const COLUMN_CLAUSES: &[&str] = &[
    "NOT",
    "NULL",
    "CONSTRAINT",
    "CHECK",
    "REFERENCES",
    "UNIQUE",
    "PRIMARY",
    "GENERATED",
    "COLLATE",
];

/// `ADD [COLUMN] [IF NOT EXISTS] name type [clauses]`.
fn add_column(rest: &[Tok], out: &mut Vec<Rule>) {
    let mut rest = rest;
    if rest.first().is_some_and(|w| w.is("COLUMN")) {
        rest = &rest[1..];
    }
    if starts(rest, &["IF", "NOT", "EXISTS"]) {
        rest = &rest[3..];
    }
    let type_word = rest.get(1);
    let serial = type_word.is_some_and(|w| {
        [
            "SERIAL",
            "BIGSERIAL",
            "SMALLSERIAL",
            "SERIAL4",
            "SERIAL8",
            "SERIAL2",
        ]
        .iter()
        .any(|k| w.is(k))
    });
    let not_null = contains(rest, &["NOT", "NULL"]);
    let identity = contains(rest, &["AS", "IDENTITY"]);
    let generated = contains(rest, &["GENERATED"]) && !identity;
    let stored = generated && contains(rest, &["STORED"]);
    let default = rest.iter().position(|w| w.is("DEFAULT")).map(|at| {
        let mut depth = 0usize;
        let mut text = String::new();
        for t in &rest[at + 1..] {
            match t {
                Tok::Open => depth += 1,
                Tok::Close => depth = depth.saturating_sub(1),
                _ if depth == 0 && COLUMN_CLAUSES.iter().any(|k| t.is(k)) => break,
                _ => {}
            }
            text.push_str(&t.sql());
            text.push(' ');
        }
        text
    });
    if not_null && default.is_none() && !identity && !generated && !serial {
        out.push(Rule::AddingRequiredField);
    }
    if stored || identity || serial || default.as_deref().is_some_and(is_volatile_default) {
        out.push(Rule::AddingFieldWithDefault);
    }
}

#[cfg(test)]
mod tests;

//! Python text: string literals, lists, keyword arguments, names with
//! `op.f()`, types with their imports, defaults as `sa.text(...)`.

use super::*;

/// `lower(code)`: an index key that needs no parentheses of its own (as
/// Alembic writes it); anything else (`a + b`, `x::text`) is wrapped.
pub(super) fn is_function_call(expr: &str) -> bool {
    let Some(open) = expr.find('(') else {
        return false;
    };
    let name = &expr[..open];
    if name.is_empty()
        || name.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return false;
    }
    // The parenthesis opened after the name closes at the very end.
    migdiff_sqlexpr::paren_closes_at_end(expr, open)
}

pub(super) fn s(text: &str) -> String {
    py_repr(text)
}

/// SQL for `op.execute`, which hands a string to SQLAlchemy's `text()`:
/// a colon that `text()` would take for a bind parameter (`:name` not
/// after a word character, a colon or a backslash) is escaped as `\:`.
/// A statement over several lines is written as a triple-quoted block
/// where that spells it exactly, so a view or a function body reads as
/// written.
pub(super) fn sql_literal(sql: &str) -> String {
    let escaped = escape_bind_colons(sql);
    // The lines of a block are its text: the pass that indents the body
    // leaves the lines marked so alone.
    migdiff_model::py_text_block(&escaped).replace('\n', &format!("\n{VERBATIM_LINE}"))
}

/// Starts a line of a body that is part of a string literal: written as it
/// is, not indented (never in a literal itself: `py_text_block` takes no
/// control character).
pub(super) const VERBATIM_LINE: char = '\u{0}';

fn escape_bind_colons(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let word = |c: char| c.is_alphanumeric() || c == '_';
    for (i, &c) in chars.iter().enumerate() {
        if c == ':' {
            let before = i.checked_sub(1).map(|j| chars[j]);
            let after = chars.get(i + 1).copied();
            let bind = before.is_none_or(|b| !(word(b) || b == ':' || b == '\\'))
                && after.is_some_and(word);
            if bind {
                out.push('\\');
            }
        }
        out.push(c);
    }
    out
}

pub(super) fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|i| s(i)).collect::<Vec<_>>().join(", ")
    )
}

/// `sa.String(length=5)` with `collation='C'` added as a keyword.
pub(super) fn with_collation(code: &str, collation: &str) -> String {
    match code.strip_suffix("()") {
        Some(head) => format!("{head}(collation={})", s(collation)),
        None => match code.strip_suffix(')') {
            Some(head) => format!("{head}, collation={})", s(collation)),
            None => code.to_string(),
        },
    }
}

pub(super) fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

impl Ctx<'_> {
    pub(super) fn dialect(&self) -> Dialect {
        self.opts.dialect.dialect()
    }

    pub(super) fn default_schema(&self) -> &'static str {
        self.dialect().default_schema()
    }

    pub(super) fn schema_kw(&self, name: &ObjectName) -> Option<String> {
        (name.schema != self.default_schema()).then(|| format!("schema={}", s(&name.schema)))
    }

    /// A constraint or index name: reflected names, names from DDL or a
    /// database snapshot, and names a naming convention produced are final
    /// (`op.f`), so the project's convention cannot apply twice. A name
    /// SQLAlchemy models give by hand renders as they spell it.
    pub(super) fn name(&self, name: &str, style: TypeStyle) -> String {
        let final_name = match (style, self.opts.hints) {
            (TypeStyle::Reflected, _) | (TypeStyle::Declared, None) => true,
            (TypeStyle::Declared, Some(h)) => !h.from_models || h.final_names.contains(name),
        };
        if final_name {
            format!("{}.f({})", self.prefix, s(name))
        } else {
            s(name)
        }
    }

    pub(super) fn opt_name(&self, name: &Option<String>, style: TypeStyle) -> String {
        match name {
            Some(n) => self.name(n, style),
            None => "None".to_string(),
        }
    }

    pub(super) fn ty(&mut self, t: &migdiff_model::DataType, style: TypeStyle) -> String {
        let p = self.opts.dialect.python_type(t, style, &self.state);
        if let Some(i) = p.import {
            self.imports.insert(i.to_string());
        }
        p.code
    }

    /// A declared expression as the declared source writes it (its
    /// canonical form otherwise, and for everything read from the database).
    pub(super) fn spelling<'b>(&'b self, canonical: &'b str, style: TypeStyle) -> &'b str {
        match (style, self.opts.hints) {
            (TypeStyle::Declared, Some(h)) => {
                h.spellings.get(canonical).map_or(canonical, String::as_str)
            }
            _ => canonical,
        }
    }

    /// A server default, spelled for `style`.
    pub(super) fn default_as(&self, expr: &str, style: TypeStyle) -> String {
        self.default(self.spelling(expr, style))
    }

    pub(super) fn default(&self, expr: &str) -> String {
        match literal_default_text(expr, self.dialect()) {
            Some(text) => s(&text),
            None => format!("sa.text({})", s(&self.opts.dialect.default_sql(expr))),
        }
    }

    /// Table name argument, left out inside a batch block.
    pub(super) fn t(&self, table: &ObjectName) -> Option<String> {
        (self.prefix == "op").then(|| s(&table.name))
    }

    pub(super) fn call(&self, func: &str, args: Vec<Option<String>>) -> String {
        let a: Vec<String> = args.into_iter().flatten().collect();
        format!("{}.{func}({})", self.prefix, a.join(", "))
    }

    pub(super) fn schema_arg(&self, table: &ObjectName) -> Option<String> {
        if self.prefix == "op" {
            self.schema_kw(table)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_literals() {
        assert_eq!(s("it's"), "\"it's\"");
        assert_eq!(s("a\nb"), "'a\\nb'");
        assert_eq!(list(&["a".into(), "b\"c".into()]), "['a', 'b\"c']");
        assert_eq!(py_bool(true), "True");
        assert_eq!(
            with_collation("sa.String()", "C"),
            "sa.String(collation='C')"
        );
        assert_eq!(
            with_collation("sa.String(length=5)", "de_DE"),
            "sa.String(length=5, collation='de_DE')"
        );
    }

    #[test]
    fn defaults_and_convention_names() {
        let (up, _) = super::super::test_support::pg(
            "CREATE TABLE t (id int);",
            "CREATE TABLE t (id int DEFAULT 0, at timestamptz DEFAULT now());",
        );
        assert!(up.contains("server_default=sa.text('now()')"), "{up}");
        assert!(up.contains("server_default=sa.text('0')"), "{up}");
    }
}

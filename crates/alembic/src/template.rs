//! The subset of Mako that Alembic's stock `script.py.mako` templates use:
//! `${expr}`, `${expr | filter,filter}`, `${a if a else "b"}`, `repr()`,
//! `##` comment lines and `\` line continuation. Anything else is an error
//! that names the line, never a silent misrender.

use std::collections::BTreeMap;

use migdiff_model::py_repr;

/// A template value: what Alembic passes in.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    None,
    Str(String),
    Tuple(Vec<String>),
}

impl Value {
    fn truthy(&self) -> bool {
        match self {
            Value::None => false,
            Value::Str(s) => !s.is_empty(),
            Value::Tuple(t) => !t.is_empty(),
        }
    }

    fn repr(&self) -> String {
        match self {
            Value::None => "None".into(),
            Value::Str(s) => py_repr(s),
            Value::Tuple(items) if items.len() == 1 => format!("({},)", py_repr(&items[0])),
            Value::Tuple(items) => format!(
                "({})",
                items
                    .iter()
                    .map(|i| py_repr(i))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn str(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            other => other.repr(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "{path}:{line}: the template uses `{construct}`, which migdiff's Mako subset does not support; use Alembic's stock script.py.mako constructs (${{var}}, ${{var | comma,n}}, ${{a if a else \"b\"}}, repr())"
)]
pub struct TemplateError {
    pub path: String,
    pub line: usize,
    pub construct: String,
}

struct Expr<'a> {
    text: &'a str,
    vars: &'a BTreeMap<String, Value>,
}

impl Expr<'_> {
    fn eval(&self) -> Result<Value, String> {
        let t = self.text.trim();
        // a if b else c
        if let Some(if_at) = find_keyword(t, " if ") {
            let rest = &t[if_at + 4..];
            let else_at = find_keyword(rest, " else ").ok_or("`if` without `else`")?;
            let a = self.sub(&t[..if_at]).eval()?;
            let cond = self.sub(&rest[..else_at]).eval()?;
            let b = self.sub(&rest[else_at + 6..]).eval()?;
            return Ok(if cond.truthy() { a } else { b });
        }
        if let Some(inner) = t.strip_prefix("repr(").and_then(|r| r.strip_suffix(')')) {
            return Ok(Value::Str(self.sub(inner).eval()?.repr()));
        }
        if let Some(inner) = t.strip_prefix("str(").and_then(|r| r.strip_suffix(')')) {
            return Ok(Value::Str(self.sub(inner).eval()?.str()));
        }
        if (t.starts_with('"') && t.ends_with('"') || t.starts_with('\'') && t.ends_with('\''))
            && t.len() >= 2
        {
            return Ok(Value::Str(t[1..t.len() - 1].to_string()));
        }
        if t.chars().all(|c| c.is_alphanumeric() || c == '_') && !t.is_empty() {
            return self
                .vars
                .get(t)
                .cloned()
                .ok_or_else(|| format!("unknown name `{t}`"));
        }
        Err(format!("expression `{t}`"))
    }

    fn sub<'b>(&'b self, text: &'b str) -> Expr<'b> {
        Expr {
            text,
            vars: self.vars,
        }
    }
}

fn find_keyword(s: &str, kw: &str) -> Option<usize> {
    // Outside quotes only.
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if s[i..].starts_with(kw) => return Some(i),
            None => {}
        }
    }
    None
}

fn apply_filter(v: Value, filter: &str) -> Result<Value, String> {
    match filter.trim() {
        // Alembic's own filter: None → "", a sequence → "a, b".
        "comma" => Ok(match v {
            Value::None => Value::Str(String::new()),
            Value::Tuple(items) => Value::Str(items.join(", ")),
            s => s,
        }),
        // `n` turns Mako's default filters off; str() is all they do here.
        "n" | "str" | "unicode" => Ok(v),
        "trim" => Ok(Value::Str(v.str().trim().to_string())),
        other => Err(format!("filter `{other}`")),
    }
}

/// Renders `template` with `vars`.
pub fn render(
    path: &str,
    template: &str,
    vars: &BTreeMap<String, Value>,
) -> Result<String, TemplateError> {
    let err = |line: usize, construct: String| TemplateError {
        path: path.to_string(),
        line,
        construct,
    };
    let mut out = String::new();
    let mut lines = template.split_inclusive('\n').enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("##") {
            continue;
        }
        if trimmed.starts_with('%') && !trimmed.starts_with("%%") {
            return Err(err(n + 1, trimmed.trim_end().to_string()));
        }
        if trimmed.starts_with("%%") {
            out.push_str(&line.replacen("%%", "%", 1));
            continue;
        }
        if line.contains("<%") {
            return Err(err(n + 1, "<% ... %>".into()));
        }
        let mut rest = line;
        while let Some(at) = rest.find("${") {
            out.push_str(&rest[..at]);
            let body_start = at + 2;
            let close = rest[body_start..]
                .find('}')
                .ok_or_else(|| err(n + 1, "unclosed ${".into()))?;
            let body = &rest[body_start..body_start + close];
            let (expr, filters) = match find_keyword(body, "|") {
                Some(p) => (&body[..p], Some(&body[p + 1..])),
                None => (body, None),
            };
            let mut v = Expr { text: expr, vars }
                .eval()
                .map_err(|c| err(n + 1, c))?;
            if let Some(f) = filters {
                for name in f.split(',') {
                    v = apply_filter(v, name).map_err(|c| err(n + 1, c))?;
                }
            }
            out.push_str(&v.str());
            rest = &rest[body_start + close + 1..];
        }
        // A backslash at the end of a line joins it with the next.
        if let Some(stripped) = rest.strip_suffix("\\\n") {
            out.push_str(stripped);
            continue;
        }
        out.push_str(rest);
        let _ = lines.peek();
    }
    Ok(out)
}

/// The template Alembic's `generic` (and `pyproject`, `async`) projects
/// ship, used when a project has no `script.py.mako` of its own.
pub const DEFAULT_TEMPLATE: &str = r#""""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

# revision identifiers, used by Alembic.
revision: str = ${repr(up_revision)}
down_revision: Union[str, Sequence[str], None] = ${repr(down_revision)}
branch_labels: Union[str, Sequence[str], None] = ${repr(branch_labels)}
depends_on: Union[str, Sequence[str], None] = ${repr(depends_on)}


def upgrade() -> None:
    """Upgrade schema."""
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    """Downgrade schema."""
    ${downgrades if downgrades else "pass"}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<String, Value> {
        BTreeMap::from([
            ("message".into(), Value::Str("m".into())),
            ("up_revision".into(), Value::Str("abc".into())),
            ("down_revision".into(), Value::None),
            ("branch_labels".into(), Value::None),
            ("depends_on".into(), Value::None),
            (
                "create_date".into(),
                Value::Str("2026-01-01 00:00:00".into()),
            ),
            ("imports".into(), Value::Str(String::new())),
            ("upgrades".into(), Value::Str(String::new())),
            ("downgrades".into(), Value::Str("op.drop_table('t')".into())),
        ])
    }

    #[test]
    fn stock_template_renders() {
        let out = render("t", DEFAULT_TEMPLATE, &vars()).unwrap();
        assert!(out.contains("Revises: \nCreate Date"));
        assert!(out.contains("revision: str = 'abc'"));
        assert!(out.contains("sa\n\n\n# revision identifiers"));
        assert!(out.contains("    pass\n"));
        assert!(out.contains("    op.drop_table('t')\n"));
    }

    #[test]
    fn unsupported_constructs_name_the_line() {
        let e = render("t.mako", "ok\n<%! import re %>\n", &vars()).unwrap_err();
        assert_eq!(e.line, 2);
        let e = render("t.mako", "${config.get_main_option('x')}\n", &vars()).unwrap_err();
        assert_eq!(e.line, 1);
    }
}

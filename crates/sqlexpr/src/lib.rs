//! SQL expression and type normalization shared by the DDL reader and the
//! dialects' introspection: both sides of a diff go through the same
//! functions, so the same schema gives the same text.
//!
//! Expressions are parsed with sqlparser, rewritten into a canonical tree
//! (no redundant parentheses, folded identifier case, literal casts that
//! change nothing removed, operands of operators fully parenthesized) and
//! printed. Types are read from their text spelling, which is what
//! PostgreSQL's `format_type`, SQLite's declared types and sqlparser's
//! `Display` all give.

use std::ops::ControlFlow;

use migdiff_model::{DataType, Dialect};
use sqlparser::ast::{
    CastKind, Expr, Ident, ObjectNamePart, UnaryOperator, Value, ValueWithSpan,
    visit_expressions_mut,
};
use sqlparser::dialect::{Dialect as SqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

mod keywords;
mod types;

pub use keywords::pg_needs_quotes;
pub use types::{parse_type_text, type_sql};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read SQL expression `{text}`: {message}")]
pub struct ExprError {
    pub text: String,
    pub message: String,
}

pub fn sql_dialect(dialect: Dialect) -> Box<dyn SqlDialect> {
    match dialect {
        Dialect::Postgresql => Box::new(PostgreSqlDialect {}),
        Dialect::Sqlite => Box::new(SQLiteDialect {}),
    }
}

/// Quotes an identifier for SQL when it needs it (PostgreSQL rules: only
/// lower-case simple names that are not keywords go bare).
pub fn quote_ident(name: &str, dialect: Dialect) -> String {
    let simple = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    let needs = match dialect {
        Dialect::Postgresql => !simple || pg_needs_quotes(name),
        Dialect::Sqlite => !simple || pg_needs_quotes(name) || name.contains('$'),
    };
    if needs {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        name.to_string()
    }
}

/// A SQL string literal, quotes doubled.
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

pub fn parse_expr(text: &str, dialect: Dialect) -> Result<Expr, ExprError> {
    let d = sql_dialect(dialect);
    Parser::new(d.as_ref())
        .try_with_sql(text)
        .and_then(|mut p| {
            let e = p.parse_expr()?;
            // Trailing tokens mean the text was not one expression.
            if p.peek_token().token != sqlparser::tokenizer::Token::EOF {
                return Err(sqlparser::parser::ParserError::ParserError(format!(
                    "unexpected `{}` after the expression",
                    p.peek_token().token
                )));
            }
            Ok(e)
        })
        .map_err(|e| ExprError {
            text: text.to_string(),
            message: e.to_string(),
        })
}

/// SQL's value keywords: spelled upper-case, as both servers print them.
const VALUE_KEYWORDS: &[&str] = &[
    "CURRENT_TIMESTAMP",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "CURRENT_USER",
    "SESSION_USER",
];

fn value_keyword(name: &str) -> Option<&'static str> {
    VALUE_KEYWORDS
        .iter()
        .copied()
        .find(|k| k.eq_ignore_ascii_case(name))
}

fn fold_ident(ident: &mut Ident, dialect: Dialect) {
    if ident.quote_style.is_none()
        && let Some(k) = value_keyword(&ident.value)
    {
        ident.value = k.to_string();
        return;
    }
    match (dialect, ident.quote_style) {
        // Unquoted PostgreSQL names fold to lower case; quoted ones are exact.
        (Dialect::Postgresql, None) => ident.value = ident.value.to_lowercase(),
        (Dialect::Postgresql, Some(_)) => {}
        // SQLite compares names case-insensitively, quoted or not.
        (Dialect::Sqlite, _) => ident.value = ident.value.to_lowercase(),
    }
    let canonical = quote_ident(&ident.value, dialect);
    ident.quote_style = canonical.starts_with('"').then_some('"');
}

fn is_atom(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Identifier(_)
            | Expr::CompoundIdentifier(_)
            | Expr::Value(_)
            | Expr::Function(_)
            | Expr::Nested(_)
            | Expr::Array(_)
            | Expr::TypedString { .. }
    ) || matches!(
        e,
        Expr::Cast {
            kind: CastKind::Cast,
            ..
        }
    )
}

fn wrap(e: &mut Expr) {
    if !is_atom(e) {
        let inner = std::mem::replace(e, Expr::value(Value::Null));
        *e = Expr::Nested(Box::new(inner));
    }
}

fn string_literal(e: &Expr) -> Option<&str> {
    match e {
        Expr::Value(ValueWithSpan {
            value: Value::SingleQuotedString(s),
            ..
        }) => Some(s),
        _ => None,
    }
}

fn number_literal(e: &Expr) -> Option<&str> {
    match e {
        Expr::Value(ValueWithSpan {
            value: Value::Number(n, _),
            ..
        }) => Some(n),
        _ => None,
    }
}

/// Rewrites one node whose children are already canonical.
fn canonical_node(e: &mut Expr, dialect: Dialect) {
    // Parentheses carry no meaning once the tree is built; the printer
    // puts them back around every operand that needs them.
    while let Expr::Nested(inner) = e {
        *e = std::mem::replace(inner.as_mut(), Expr::value(Value::Null));
    }
    match e {
        Expr::Identifier(i) => fold_ident(i, dialect),
        Expr::CompoundIdentifier(parts) => parts.iter_mut().for_each(|i| fold_ident(i, dialect)),
        Expr::Function(f) => {
            let bare = matches!(f.args, sqlparser::ast::FunctionArguments::None);
            for part in f.name.0.iter_mut() {
                if let ObjectNamePart::Identifier(i) = part {
                    // Function names fold like identifiers but never need quotes here.
                    if i.quote_style.is_none() {
                        i.value = match value_keyword(&i.value) {
                            Some(k) if bare => k.to_string(),
                            _ => i.value.to_lowercase(),
                        };
                    }
                }
            }
        }
        Expr::Cast {
            kind,
            expr,
            data_type,
            ..
        } => {
            let target = parse_type_text(&data_type.to_string(), dialect);
            // `'5'::integer` is the number 5; `'x'::text` is the literal 'x'.
            // PostgreSQL writes `(0)::numeric` for a literal 0 compared with
            // a numeric column: the number is the same.
            let mut inner: &Expr = expr;
            while let Expr::Nested(x) = inner {
                inner = x;
            }
            if target.is_numeric()
                && let Some(n) = number_literal(inner).map(str::to_owned)
            {
                *e = number(&n);
                return;
            }
            if let Some(s) = string_literal(expr) {
                let numeric_text = s.trim().parse::<f64>().is_ok();
                if target.is_numeric() && numeric_text {
                    *e = number(s.trim());
                    return;
                }
                // `'seq'::regclass` names the same sequence as `'seq'`.
                if target.is_textual() || target == DataType::Other("regclass".into()) {
                    let s = s.to_string();
                    *e = Expr::value(Value::SingleQuotedString(s));
                    return;
                }
            }
            if dialect == Dialect::Postgresql {
                *kind = CastKind::DoubleColon;
            }
            // One spelling per type: `::int4`, `::INT` and `::integer` agree.
            let spelled = type_sql(&target, dialect);
            *data_type = sqlparser::ast::DataType::Custom(
                sqlparser::ast::ObjectName(vec![ObjectNamePart::Identifier(Ident::new(spelled))]),
                vec![],
            );
            wrap(expr);
        }
        Expr::UnaryOp { op, expr } => {
            if *op == UnaryOperator::Minus
                && let Some(n) = number_literal(expr)
            {
                let n = format!("-{n}");
                *e = number(&n);
                return;
            }
            if *op == UnaryOperator::Plus && number_literal(expr).is_some() {
                let inner = std::mem::replace(expr.as_mut(), Expr::value(Value::Null));
                *e = inner;
                return;
            }
            wrap(expr);
        }
        Expr::BinaryOp { left, right, .. } => {
            wrap(left);
            wrap(right);
        }
        Expr::IsNull(x) | Expr::IsNotNull(x) | Expr::IsTrue(x) | Expr::IsFalse(x) => wrap(x),
        Expr::IsNotTrue(x) | Expr::IsNotFalse(x) => wrap(x),
        Expr::Between {
            expr, low, high, ..
        } => {
            wrap(expr);
            wrap(low);
            wrap(high);
        }
        Expr::InList { expr, .. } => wrap(expr),
        Expr::Like { expr, pattern, .. } | Expr::ILike { expr, pattern, .. } => {
            wrap(expr);
            wrap(pattern);
        }
        Expr::AnyOp { left, .. } | Expr::AllOp { left, .. } => wrap(left),
        _ => {}
    }
}

fn number(text: &str) -> Expr {
    Expr::value(Value::Number(text.to_string(), false))
}

/// The canonical form of an expression tree.
pub fn canonicalize(mut expr: Expr, dialect: Dialect) -> Expr {
    let _ = visit_expressions_mut(&mut expr, |e| {
        canonical_node(e, dialect);
        ControlFlow::<()>::Continue(())
    });
    // A top-level operand needs no parentheses.
    while let Expr::Nested(inner) = expr {
        expr = *inner;
    }
    expr
}

/// Parses and canonicalizes a boolean or scalar expression (CHECK bodies,
/// index expressions, partial-index predicates, generated columns).
pub fn normalize_expr(text: &str, dialect: Dialect) -> Result<String, ExprError> {
    Ok(canonicalize(parse_expr(text, dialect)?, dialect).to_string())
}

/// Canonical text of an already-parsed expression.
pub fn normalize_parsed(expr: &Expr, dialect: Dialect) -> String {
    canonicalize(expr.clone(), dialect).to_string()
}

/// A server default in canonical form, for a column of `column_type`: a
/// cast of a literal to the column's own type adds nothing (PostgreSQL
/// writes `'{}'::jsonb` for `DEFAULT '{}'` on a jsonb column) and goes.
pub fn normalize_default(
    text: &str,
    column_type: &DataType,
    dialect: Dialect,
) -> Result<String, ExprError> {
    let expr = parse_expr(text, dialect)?;
    Ok(normalize_default_parsed(&expr, column_type, dialect))
}

pub fn normalize_default_parsed(expr: &Expr, column_type: &DataType, dialect: Dialect) -> String {
    let mut e = canonicalize(expr.clone(), dialect);
    if let Expr::Cast {
        expr: inner,
        data_type,
        ..
    } = &e
    {
        let mut inner_e: &Expr = inner;
        while let Expr::Nested(x) = inner_e {
            inner_e = x;
        }
        let cast_to = parse_type_text(&data_type.to_string(), dialect);
        // An enum's literal is cast to the enum's own name.
        let enum_cast =
            matches!(column_type, DataType::Enum(_)) && matches!(cast_to, DataType::Other(_));
        if string_literal(inner_e).is_some() && (cast_to == *column_type || enum_cast) {
            e = inner_e.clone();
        }
    }
    e.to_string()
}

/// The text inside a string-literal default (`'active'` gives `active`), or
/// `None` when the default is any other expression.
pub fn literal_default_text(canonical: &str, dialect: Dialect) -> Option<String> {
    match parse_expr(canonical, dialect).ok()? {
        Expr::Value(ValueWithSpan {
            value: Value::SingleQuotedString(s),
            ..
        }) => Some(s),
        _ => None,
    }
}

/// Every column name an expression refers to, in order of first use.
pub fn referenced_columns(text: &str, dialect: Dialect) -> Vec<String> {
    let Ok(mut expr) = parse_expr(text, dialect) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    let _ = visit_expressions_mut(&mut expr, |e| {
        let name = match e {
            Expr::Identifier(i) => Some(i.clone()),
            Expr::CompoundIdentifier(parts) => parts.last().cloned(),
            _ => None,
        };
        if let Some(mut i) = name {
            if i.quote_style.is_none() && dialect == Dialect::Postgresql {
                i.value = i.value.to_lowercase();
            }
            if !out.contains(&i.value) {
                out.push(i.value);
            }
        }
        ControlFlow::<()>::Continue(())
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(s: &str) -> String {
        normalize_expr(s, Dialect::Postgresql).unwrap()
    }

    #[test]
    fn parentheses_and_case_do_not_matter() {
        assert_eq!(pg("((age >= 0))"), pg("AGE >= 0"));
        assert_eq!(pg("((a > 0) AND (b < 10))"), pg("a > 0 and b < 10"));
        assert_eq!(pg("age >= 0"), "age >= 0");
    }

    #[test]
    fn precedence_is_kept() {
        assert_ne!(pg("(a + b) * c"), pg("a + b * c"));
        assert_eq!(pg("a + b * c"), "a + (b * c)");
    }

    #[test]
    fn literal_casts_fold() {
        assert_eq!(pg("'x'::character varying"), "'x'");
        assert_eq!(pg("'-1'::integer"), "-1");
        assert_eq!(pg("(-1)"), "-1");
        assert_eq!(pg("nextval('s'::regclass)"), "nextval('s')");
    }

    #[test]
    fn defaults_drop_a_cast_to_the_own_type() {
        let d = |s: &str, t: DataType| normalize_default(s, &t, Dialect::Postgresql).unwrap();
        assert_eq!(d("'{}'::jsonb", DataType::Jsonb), "'{}'");
        assert_eq!(d("'{}'", DataType::Jsonb), "'{}'");
        assert_eq!(d("now()", DataType::Jsonb), "now()");
        assert_eq!(d("NOW()", DataType::Jsonb), "now()");
    }

    #[test]
    fn quoted_names_keep_case() {
        assert_eq!(pg("\"Weird\" > 1"), "\"Weird\" > 1");
        assert_eq!(pg("\"order\" > 1"), "\"order\" > 1");
        assert_eq!(pg("\"plain\" > 1"), "plain > 1");
    }
}

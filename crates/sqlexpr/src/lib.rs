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
use sqlparser::dialect::{Dialect as SqlDialect, GenericDialect, dialect_from_str};
use sqlparser::parser::Parser;

mod keywords;
mod types;

pub use keywords::pg_needs_quotes;
pub use types::{parse_type_text, spell_type, type_as_written, type_sql, with_type_args};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read SQL expression `{text}`: {message}")]
pub struct ExprError {
    pub text: String,
    pub message: String,
}

/// sqlparser's grammar for `dialect` (the one its spec names).
pub fn sql_dialect(dialect: Dialect) -> Box<dyn SqlDialect> {
    dialect_from_str(dialect.sql_grammar()).unwrap_or_else(|| Box::new(GenericDialect {}))
}

/// Quotes an identifier for SQL when `dialect` needs it to read the name
/// back as itself.
pub fn quote_ident(name: &str, dialect: Dialect) -> String {
    if dialect.needs_quotes(name) {
        let q = dialect.identifier_quote();
        let mut doubled = String::with_capacity(name.len() + 2);
        doubled.push(q);
        for c in name.chars() {
            doubled.push(c);
            if c == q {
                doubled.push(q);
            }
        }
        doubled.push(q);
        doubled
    } else {
        name.to_string()
    }
}

/// Whether `name` is a lower-case simple name (letters, digits, `_`, `$`,
/// not starting with a digit or `$`): what PostgreSQL leaves unquoted
/// unless it is a keyword.
pub fn is_simple_lowercase_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
}

/// A SQL string literal, quotes doubled.
/// Whether the parenthesis at byte `open` of `text` closes at its very end
/// (quotes respected): `lower(x)` and `(a) ` from 0 say yes, `(a) + (b)`
/// says no.
pub fn paren_closes_at_end(text: &str, open: usize) -> bool {
    let Some(rest) = text.get(open..).filter(|r| r.starts_with('(')) else {
        return false;
    };
    let (mut depth, mut quoted) = (0usize, None::<char>);
    for (i, c) in rest.char_indices() {
        match (quoted, c) {
            (Some(q), c) if c == q => quoted = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quoted = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return open + i + 1 == text.len();
                }
            }
            _ => {}
        }
    }
    false
}

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
    // One spelling per name: as the catalog keeps it, and lower case
    // where names compare without regard to case anyway.
    ident.value = if dialect.names_ignore_case() {
        ident.value.to_lowercase()
    } else {
        dialect.fold_name(&ident.value, ident.quote_style.is_some())
    };
    let canonical = quote_ident(&ident.value, dialect);
    let q = dialect.identifier_quote();
    ident.quote_style = canonical.starts_with(q).then_some(q);
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
    if let Some(list) = any_of_literals_as_in_list(e) {
        *e = list;
    }
    match e {
        // Where a backslash escapes in a string literal (MySQL), the value
        // read has lost its escapes and the printer does not put them
        // back: written again, `'a\\b'` would read as a and a backspace.
        Expr::Value(ValueWithSpan {
            value: Value::SingleQuotedString(s),
            ..
        }) if dialect.backslash_escapes() => double_backslashes(s),
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
            if dialect.double_colon_casts() {
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

/// PostgreSQL stores `x IN ('a', 'b')` as `x = ANY (ARRAY['a', 'b'])`
/// (and `NOT IN` as `<> ALL (...)`), with casts on the array and its
/// elements: over a list of literals the two say the same, and the IN list
/// is the one people write.
fn any_of_literals_as_in_list(e: &Expr) -> Option<Expr> {
    let (left, right, negated) = match e {
        Expr::AnyOp {
            left,
            compare_op: sqlparser::ast::BinaryOperator::Eq,
            right,
            ..
        } => (left, right, false),
        Expr::AllOp {
            left,
            compare_op: sqlparser::ast::BinaryOperator::NotEq,
            right,
        } => (left, right, true),
        _ => return None,
    };
    let mut array: &Expr = right;
    loop {
        match array {
            Expr::Nested(x) => array = x,
            Expr::Cast { expr, .. } => array = expr,
            _ => break,
        }
    }
    let Expr::Array(sqlparser::ast::Array { elem, .. }) = array else {
        return None;
    };
    let mut list = Vec::with_capacity(elem.len());
    for item in elem {
        let mut v: &Expr = item;
        loop {
            match v {
                Expr::Nested(x) => v = x,
                Expr::Cast { expr, .. } if string_literal(expr).is_some() => v = expr,
                _ => break,
            }
        }
        if string_literal(v).is_none() && number_literal(v).is_none() {
            return None;
        }
        list.push(v.clone());
    }
    Some(Expr::InList {
        expr: left.clone(),
        list,
        negated,
    })
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

/// `expr` as SQL the dialect reads back as the same expression: where a
/// backslash escapes in a string literal (MySQL), the printer's text would
/// lose it, so string literals get their backslashes doubled.
pub fn expr_sql(expr: &Expr, dialect: Dialect) -> String {
    if !dialect.backslash_escapes() {
        return expr.to_string();
    }
    let mut expr = expr.clone();
    let _ = visit_expressions_mut(&mut expr, |e| {
        if let Expr::Value(ValueWithSpan {
            value: Value::SingleQuotedString(s),
            ..
        }) = e
        {
            double_backslashes(s);
        }
        ControlFlow::<()>::Continue(())
    });
    expr.to_string()
}

/// A string literal's value as a backslash-escaping dialect writes it.
fn double_backslashes(value: &mut String) {
    if value.contains('\\') {
        *value = value.replace('\\', "\\\\");
    }
}

/// Parses and canonicalizes a boolean or scalar expression (CHECK bodies,
/// index expressions, partial-index predicates, generated columns).
pub fn normalize_expr(text: &str, dialect: Dialect) -> Result<String, ExprError> {
    Ok(canonicalize(parse_expr(text, dialect)?, dialect).to_string())
}

/// `expr` (canonical) without the casts PostgreSQL adds when it stores an
/// expression over the table's columns: `::text` on a varchar or text
/// column (`(state)::text = 'queued'`, `lower((email)::text)`), and the
/// promotion of an integer column to the numeric type of the column it is
/// computed with (`price * (qty)::numeric`). Both change nothing. Char
/// columns keep their cast (it drops trailing blanks), and an integer
/// column combined with anything but a column of the cast's own type keeps
/// it (`a::numeric / b` is not integer division). `columns` are the table's
/// columns and types; unreadable text is returned as is.
pub fn strip_implicit_casts(expr: &str, columns: &[(&str, &DataType)], dialect: Dialect) -> String {
    if columns.is_empty() || !expr.contains("::") {
        return expr.to_string();
    }
    let Ok(mut parsed) = parse_expr(expr, dialect) else {
        return expr.to_string();
    };
    let type_of = |e: &Expr| -> Option<&DataType> {
        let mut e = e;
        while let Expr::Nested(x) = e {
            e = x;
        }
        match e {
            Expr::Identifier(id) => columns
                .iter()
                .find(|(name, _)| *name == id.value)
                .map(|(_, t)| *t),
            _ => None,
        }
    };
    // The column inside `(col)::type`, and the type it is cast to.
    let cast_column = |e: &Expr| -> Option<(Expr, DataType)> {
        let mut e = e;
        while let Expr::Nested(x) = e {
            e = x;
        }
        let Expr::Cast {
            expr: inner,
            data_type,
            ..
        } = e
        else {
            return None;
        };
        let mut inner: &Expr = inner;
        while let Expr::Nested(x) = inner {
            inner = x;
        }
        type_of(inner)?;
        Some((
            inner.clone(),
            parse_type_text(&data_type.to_string(), dialect),
        ))
    };
    let mut changed = false;
    let _ = visit_expressions_mut(&mut parsed, |e| {
        if let Some((column, target)) = cast_column(e)
            && target == DataType::Text
            && matches!(
                type_of(&column),
                Some(DataType::Varchar { .. } | DataType::Text)
            )
        {
            *e = column;
            changed = true;
        }
        if let Expr::BinaryOp { left, op, right } = e
            && matches!(
                op,
                sqlparser::ast::BinaryOperator::Plus
                    | sqlparser::ast::BinaryOperator::Minus
                    | sqlparser::ast::BinaryOperator::Multiply
                    | sqlparser::ast::BinaryOperator::Divide
            )
        {
            let promoted = |cast_side: &Expr, other: &Expr| {
                cast_column(cast_side).filter(|(column, target)| {
                    type_of(column).is_some_and(DataType::is_integer)
                        && !target.is_integer()
                        && type_of(other).is_some_and(|t| same_numeric_kind(t, target))
                })
            };
            if let Some((column, _)) = promoted(left, right) {
                **left = column;
                changed = true;
            } else if let Some((column, _)) = promoted(right, left) {
                **right = column;
                changed = true;
            }
        }
        ControlFlow::<()>::Continue(())
    });
    if !changed {
        return expr.to_string();
    }
    canonicalize(parsed, dialect).to_string()
}

/// A column of type `column` already has the type `target` an integer is
/// promoted to (numeric of any precision, or the same float type).
fn same_numeric_kind(column: &DataType, target: &DataType) -> bool {
    match (column, target) {
        (DataType::Numeric { .. }, DataType::Numeric { .. }) => true,
        (a, b) => a == b && !a.is_integer() && a.is_numeric(),
    }
}

/// Canonical text of an already-parsed expression.
pub fn normalize_parsed(expr: &Expr, dialect: Dialect) -> String {
    canonicalize(expr.clone(), dialect).to_string()
}

/// A server default in canonical form, for a column of `column_type`: a
/// cast of a literal to the column's own type adds nothing (PostgreSQL
/// writes `'{}'::jsonb` for `DEFAULT '{}'` on a jsonb column) and goes.
/// A default that is the NULL constant, cast or not (`NULL`,
/// `NULL::numeric`): the same as no default. PostgreSQL stores one only
/// when the type needs a coercion (`numeric(10, 2)`, `varchar(20)`), so
/// both sides read it as no default.
pub fn is_null_default(normalized: &str) -> bool {
    let lower = normalized.trim().to_ascii_lowercase();
    let bare = lower.trim_start_matches('(').trim_end_matches(')');
    bare == "null" || bare.starts_with("null::") || bare.starts_with("cast(null as ")
}

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
    if let Some(literal) = literal_for_column(&e, column_type, dialect) {
        e = literal;
    }
    e.to_string()
}

/// One spelling for a literal default that means the same value in a
/// column of this type: `'-1'` and `-1` in a number column; `false`, `'0'`,
/// `0`, `'f'` in a boolean one (`false`/`true` on PostgreSQL, which stores
/// them so; `0`/`1` on SQLite, which has no boolean values).
fn literal_for_column(e: &Expr, column_type: &DataType, dialect: Dialect) -> Option<Expr> {
    if column_type.is_numeric() {
        let text = string_literal(e)?.trim();
        return text.parse::<f64>().is_ok().then(|| number(text));
    }
    if *column_type != DataType::Boolean {
        return None;
    }
    let truth = match e {
        Expr::Value(ValueWithSpan {
            value: Value::Boolean(b),
            ..
        }) => Some(*b),
        _ => {
            let text = string_literal(e)
                .map(str::to_string)
                .or_else(|| number_literal(e).map(str::to_string))?;
            match text.trim().to_ascii_lowercase().as_str() {
                "1" | "t" | "true" | "y" | "yes" | "on" => Some(true),
                "0" | "f" | "false" | "n" | "no" | "off" => Some(false),
                _ => None,
            }
        }
    }?;
    Some(match dialect.boolean_sql(truth) {
        "true" => Expr::value(Value::Boolean(true)),
        "false" => Expr::value(Value::Boolean(false)),
        other => number(other),
    })
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
        // CURRENT_DATE and its kind read as names but are values.
        let name = name.filter(|i| i.quote_style.is_some() || value_keyword(&i.value).is_none());
        if let Some(mut i) = name {
            i.value = dialect.fold_name(&i.value, i.quote_style.is_some());
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
        normalize_expr(s, migdiff_postgres::DIALECT).unwrap()
    }

    #[test]
    fn mysql_backslashes_survive_canonical_text() {
        let my = migdiff_mysql::DIALECT;
        let once = normalize_expr(r"'a\\b' = `x`", my).unwrap();
        assert_eq!(once, r"'a\\b' = x");
        assert_eq!(normalize_expr(&once, my).unwrap(), once);
        assert_eq!(literal_default_text(r"'a\\b'", my).as_deref(), Some(r"a\b"));
        let parsed = parse_expr(r"'a\\b'", my).unwrap();
        assert_eq!(expr_sql(&parsed, my), r"'a\\b'");
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
        let d = |s: &str, t: DataType| normalize_default(s, &t, migdiff_postgres::DIALECT).unwrap();
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

    #[test]
    fn any_of_literals_reads_as_an_in_list() {
        assert_eq!(
            pg(
                "(state)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])"
            ),
            "(state::text) IN ('a', 'b')"
        );
        assert_eq!(pg("n <> ALL (ARRAY[1, 2])"), "n NOT IN (1, 2)");
        // Not a list of literals: kept.
        assert_eq!(pg("n = ANY (tags)"), "n = ANY(tags)");
    }

    #[test]
    fn implicit_casts_over_columns_go() {
        let varchar = DataType::Varchar { length: Some(10) };
        let ch = DataType::Char { length: Some(3) };
        let num = DataType::Numeric {
            precision: Some(10),
            scale: Some(2),
        };
        let cols = [
            ("state", &varchar),
            ("code", &ch),
            ("price", &num),
            ("qty", &DataType::Integer),
            ("n", &DataType::Integer),
        ];
        let strip = |e: &str| strip_implicit_casts(&pg(e), &cols, migdiff_postgres::DIALECT);
        assert_eq!(
            strip("((state)::text = 'queued'::text)"),
            "state = 'queued'"
        );
        assert_eq!(strip("lower((state)::text)"), "lower(state)");
        assert_eq!(strip("price * (qty)::numeric"), "price * qty");
        // Meaningful casts stay: char to text, integer division made exact.
        assert_eq!(strip("(code)::text = 'ab'"), "(code::text) = 'ab'");
        assert_eq!(strip("(qty)::numeric / n"), "(qty::numeric) / n");
    }
}

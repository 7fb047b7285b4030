//! What PostgreSQL refuses but sqlparser reads: a keyword taken as a
//! type name, a reserved word as a bare name, conflicting NULL / NOT NULL,
//! a typed literal of a type that has none.

use super::*;

/// Keywords that sqlparser takes as a type name after a misspelled or
/// misplaced word (`COMMENT ON`, `PRIMRAY KEY`); PostgreSQL refuses them
/// there.
pub(super) const NOT_TYPE_NAMES: &[&str] = &[
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
pub(super) fn bad_typed_literal(e: &ast::Expr) -> Option<String> {
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
pub(super) fn typed_literal_quoted(literal: &str) -> String {
    match literal.rsplit_once(' ') {
        Some((ty, value)) => format!("{ty} '{value}'"),
        None => literal.to_string(),
    }
}

/// Whether `name` is followed by `()` (spaces allowed) somewhere in `text`,
/// outside quotes: a type with an empty modifier list.
pub(super) fn has_empty_parens_after(text: &str, name: &str) -> bool {
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

/// `ident` as written, when it is a word `dialect` reserves and it is
/// not quoted.
pub(super) fn reserved_word(ident: &Ident, dialect: Dialect) -> Option<&str> {
    (ident.quote_style.is_none() && dialect.is_reserved_word(&ident.value))
        .then_some(ident.value.as_str())
}

/// `NOT NULL NULL` on one column: PostgreSQL refuses it ("conflicting
/// NULL/NOT NULL declarations"); whichever came last would win here.
pub(super) fn refuse_conflicting_nullability(
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

#[cfg(test)]
mod tests {
    use super::super::test_support::pg_error;

    #[test]
    fn a_reserved_word_as_a_bare_name_is_refused() {
        let e = pg_error("CREATE TABLE user (id int);");
        assert!(e.contains("s.sql:1:"), "{e}");
        assert!(e.contains("user"), "{e}");
        for word in ["left", "offset", "current_user", "verbose"] {
            let e = pg_error(&format!("CREATE TABLE t ({word} int);"));
            assert!(e.contains("reserved word"), "{e}");
        }
        // SQLite takes `user` and `left` as bare names.
        super::super::test_support::sqlite("CREATE TABLE user (left int);");
    }

    #[test]
    fn conflicting_nullability_is_refused() {
        let e = pg_error("CREATE TABLE t (id int NULL NOT NULL);");
        assert!(e.contains("NULL"), "{e}");
    }

    #[test]
    fn a_keyword_read_as_a_type_is_refused() {
        let e = pg_error("CREATE TABLE t (id int, x PRIMRAY KEY);");
        assert!(e.starts_with("s.sql:1:"), "{e}");
    }
}

/// Table forms the model does not hold yet, refused where they are
/// written rather than read as a plain table (a partitioned table as one
/// without partitions, `LIKE` and `AS` as a table without columns).
pub(super) fn refuse_unread_table_forms(
    ct: &ast::CreateTable,
    origin: &Origin,
) -> Result<(), DdlError> {
    let refuse = |what: &str, instead: &str| {
        Err(origin.unsupported(format!("{what} is not read into the model yet; {instead}")))
    };
    if ct.query.is_some() {
        return refuse(
            "CREATE TABLE ... AS",
            "declare the table with its columns (CREATE TABLE name (column type, ...))",
        );
    }
    if ct.like.is_some() {
        return refuse(
            "CREATE TABLE ... (LIKE ...)",
            "declare the table's columns themselves",
        );
    }
    // A partitioned table is compared as a table (its partition key is
    // not); its partitions are not read on either side.
    if ct.partition_of.is_some() {
        return refuse(
            "a partition (PARTITION OF)",
            "declare the partitioned table alone: its partitions are not compared (nor read from the database)",
        );
    }
    if ct.inherits.is_some() {
        return refuse(
            "table inheritance (INHERITS)",
            "take the inheriting table out of the declared schema and list it in exclude_tables, so the live one is not compared either",
        );
    }
    if ct.unlogged {
        return refuse(
            "an UNLOGGED table",
            "declare it without UNLOGGED (the difference is not compared)",
        );
    }
    if let ast::CreateTableOptions::With(options) = &ct.table_options
        && !options.is_empty()
    {
        return refuse(
            "a table's storage parameters (WITH (...))",
            "declare the table without them (they are not compared)",
        );
    }
    Ok(())
}

/// Constraint and index forms the model does not hold yet: `NOT VALID`
/// and `NO INHERIT` constraints, a `COLLATE` in an index key (read as an
/// expression, it would never match the server's column key).
pub(super) fn refuse_unread_clauses(text: &str, origin: &Origin) -> Result<(), DdlError> {
    let toks = super::objects::tokens(text);
    let word = |i: usize, w: &str| toks.get(i).is_some_and(|t| t.is(w));
    for i in 0..toks.len() {
        if word(i, "not") && word(i + 1, "valid") {
            return Err(origin.unsupported(
                "a NOT VALID constraint is not read yet (it would be compared as a valid one); validate it and declare it without NOT VALID",
            ));
        }
        if word(i, "no") && word(i + 1, "inherit") {
            return Err(origin.unsupported(
                "a NO INHERIT constraint is not read yet; declare it without NO INHERIT",
            ));
        }
        if word(i, "collate")
            && toks[i].depth > 0
            && word(0, "create")
            && toks.iter().take(4).any(|t| t.is("index"))
        {
            return Err(origin.unsupported(
                "a COLLATE in an index key is not compared yet; declare the index on the column (or give the column the collation)",
            ));
        }
    }
    Ok(())
}

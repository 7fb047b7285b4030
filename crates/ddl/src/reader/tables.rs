//! CREATE TABLE: columns, their options (defaults, identity, generated,
//! inline keys and references) and types.

use super::*;

impl Reader {
    /// A bare name in a default expression: a column reference, which
    /// PostgreSQL refuses (`DEFAULT DEFAULT NULL` reads as one). SQLite
    /// takes a bare word as a string, except a keyword.
    pub(super) fn column_reference_in_default(&self, e: &ast::Expr) -> Option<String> {
        let mut found = None;
        let _ = ast::visit_expressions(e, |x| {
            let word = match x {
                ast::Expr::Identifier(i)
                    if i.quote_style.is_none()
                        || !self.dialect.bare_words_in_defaults_are_strings() =>
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
                    if !self.dialect.bare_words_in_defaults_are_strings()
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
    pub(super) fn new_column(&self, name: String, t: &ast::DataType) -> m::Column {
        let text = t.to_string();
        let lower = text.to_lowercase();
        let serial = matches!(
            lower.as_str(),
            "serial" | "serial4" | "bigserial" | "serial8" | "smallserial" | "serial2"
        ) && self.dialect.has_sequences();
        let data_type = parse_type_text(&text, self.dialect);
        let mut column = m::Column::new(name, data_type);
        column.type_as_written = type_as_written(&text, &column.data_type, self.dialect);
        column.serial = serial;
        if serial {
            column.nullable = false;
        }
        column
    }

    pub(super) fn create_table(
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
            if !has_list || self.dialect.tables_need_a_column() {
                return Err(origin.unsupported(format!(
                    "table {name} has {}; is the statement cut short?",
                    if has_list {
                        "no columns (it needs at least one)"
                    } else {
                        "no column list"
                    }
                )));
            }
        }
        let mut table = m::Table::new(name.clone());
        if self.dialect.has_autoincrement_keyword() && contains_ignore_case(text, "AUTOINCREMENT") {
            table.sqlite_autoincrement = true;
        }
        self.used(&name.schema).insert(name.name.clone());
        // Column-level constraints become table constraints, in column order.
        let mut constraints: Vec<TableConstraint> = Vec::new();
        if let Some(last) = ct.name.0.last().and_then(|p| p.as_ident())
            && let Some(word) = reserved_word(last, self.dialect)
        {
            return Err(origin.unsupported(format!(
                "table name `{word}` is a reserved word; quote it (\"{word}\") as the database requires"
            )));
        }
        for cd in &ct.columns {
            let col_name = self.ident(&cd.name);
            if let Some(word) = reserved_word(&cd.name, self.dialect) {
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
                    || self.dialect.keyword_is_not_a_type(&word.value))
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
                if !self.dialect.quoted_type_names()
                    && type_name
                        .0
                        .iter()
                        .any(|p| p.as_ident().is_some_and(|i| i.quote_style.is_some()))
                {
                    return Err(origin.unsupported(format!(
                        "column {col_name} has the quoted type name {type_name}; {} type names are written bare",
                        self.dialect.title()
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
        // MySQL's table option `COMMENT 'text'` / `COMMENT='text'`.
        let options = match &ct.table_options {
            ast::CreateTableOptions::Plain(o) | ast::CreateTableOptions::With(o) => o.as_slice(),
            _ => &[],
        };
        for comment in ct
            .comment
            .iter()
            .chain(options.iter().filter_map(|o| match o {
                ast::SqlOption::Comment(c) => Some(c),
                _ => None,
            }))
        {
            let (ast::CommentDef::WithEq(text) | ast::CommentDef::WithoutEq(text)) = comment;
            table.comment = Some(text.clone());
        }
        // MySQL's `[DEFAULT] CHARSET=…` and `[DEFAULT] COLLATE=…`.
        for option in options {
            if let ast::SqlOption::KeyValue { key, value } = option {
                let value = value
                    .to_string()
                    .trim_matches(['\'', '"', '`'])
                    .to_lowercase();
                match key.value.as_str() {
                    "DEFAULT CHARSET" | "CHARSET" | "DEFAULT CHARACTER SET" | "CHARACTER SET" => {
                        table.charset.charset = Some(value)
                    }
                    "DEFAULT COLLATE" | "COLLATE" => table.charset.collation = Some(value),
                    _ => {}
                }
            }
        }
        constraints.extend(ct.constraints);
        self.add_constraints(&mut table, constraints, origin)?;
        self.table_origins.insert(name.clone(), origin.clone());
        self.schema.tables.insert(name, table);
        Ok(())
    }

    pub(super) fn column_option(
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
                // An `ON UPDATE` read before it stays.
                let on_update = column
                    .default
                    .as_deref()
                    .and_then(|d| d.find(m::DEFAULT_ON_UPDATE).map(|at| d[at..].to_string()));
                // `DEFAULT NULL` is no default (the databases differ in
                // whether they keep it).
                column.default = match on_update {
                    Some(rest) => Some(format!("{normalized}{rest}")),
                    None => (!is_null_default(&normalized))
                        .then(|| spelled(&self.spellings, normalized, e, self.dialect)),
                };
            }
            // MySQL's `ON UPDATE CURRENT_TIMESTAMP` belongs to the default,
            // as SQLAlchemy reflects it and as a model declares it
            // (`server_default=text("CURRENT_TIMESTAMP ON UPDATE ...")`).
            ColumnOption::OnUpdate(e) => {
                let when = normalize_parsed(e, self.dialect);
                let default = column.default.take().unwrap_or_else(|| "NULL".to_string());
                column.default = Some(format!("{default}{}{when}", m::DEFAULT_ON_UPDATE));
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
                        expr: spelled(
                            &self.spellings,
                            normalize_parsed(e, self.dialect),
                            e,
                            self.dialect,
                        ),
                        // Where the mode depends on the server, the text pass
                        // worked it out (sqlparser reads every one as STORED).
                        stored: if self.dialect.generated_mode_depends_on_server() {
                            !self
                                .virtual_columns
                                .borrow_mut()
                                .pop_front()
                                .unwrap_or(false)
                        } else {
                            match generation_expr_mode {
                                Some(GeneratedExpressionMode::Stored) => true,
                                Some(GeneratedExpressionMode::Virtual) => false,
                                None => !self.dialect.generated_without_mode_is_virtual(None),
                            }
                        },
                    })
                }
                None if !self.dialect.has_sequences() => {
                    return Err(origin.unsupported(format!(
                        "column {}: {} has no identity columns (GENERATED ... AS IDENTITY); use INTEGER PRIMARY KEY",
                        column.name,
                        self.dialect.title()
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
            // MySQL's column character set: its collation says it.
            ColumnOption::CharacterSet(_) => {}
            // MySQL's AUTO_INCREMENT: the server numbers the column, as a
            // serial does (only MySQL's grammar reads the word this way).
            ColumnOption::DialectSpecific(tokens) if matches!(tokens.as_slice(), [sqlparser::tokenizer::Token::Word(w)] if w.value.eq_ignore_ascii_case("AUTO_INCREMENT")) =>
            {
                column.serial = true;
            }
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
}

pub(super) fn number(expr: &Expr) -> Option<i64> {
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

#[cfg(test)]
mod tests {
    use super::super::test_support::{pg, sqlite, table};
    use migdiff_model::DataType;

    #[test]
    fn columns_keep_table_order_types_and_defaults() {
        let s = pg(
            "CREATE TABLE t (\n  id bigint NOT NULL,\n  name varchar(50) DEFAULT 'x',\n  at timestamptz DEFAULT now()\n);",
        );
        let t = table(&s, "t");
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "name", "at"]);
        assert_eq!(t.columns[0].data_type, DataType::BigInt);
        assert!(!t.columns[0].nullable);
        assert_eq!(t.columns[1].default.as_deref(), Some("'x'"));
        assert_eq!(t.columns[2].default.as_deref(), Some("now()"));
    }

    #[test]
    fn serial_identity_and_generated_columns() {
        let s = pg(
            "CREATE TABLE t (\n  id serial PRIMARY KEY,\n  n int GENERATED BY DEFAULT AS IDENTITY (START WITH 10),\n  d int GENERATED ALWAYS AS (n * 2) STORED\n);",
        );
        let t = table(&s, "t");
        let id = t.column("id").unwrap();
        assert!(id.serial && !id.nullable);
        let n = t.column("n").unwrap().identity.as_ref().unwrap();
        assert_eq!((n.always, n.start), (false, Some(10)));
        let d = t.column("d").unwrap().generated.as_ref().unwrap();
        assert!(d.stored);
        assert_eq!(
            t.primary_key.as_ref().unwrap().name.as_deref(),
            Some("t_pkey")
        );
    }

    #[test]
    fn quoted_names_keep_their_case_unquoted_fold() {
        let s = pg("CREATE TABLE \"Users\" (\"Id\" int, Name int);");
        let t = table(&s, "Users");
        assert!(t.column("Id").is_some() && t.column("name").is_some());
        // SQLite keeps what was written.
        let s = sqlite("CREATE TABLE Users (Name int);");
        assert!(table(&s, "main.Users").column("Name").is_some());
    }
}

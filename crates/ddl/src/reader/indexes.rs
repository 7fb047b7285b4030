//! CREATE INDEX: key columns and expressions, method, predicate, and the
//! one namespace index names share.

use super::*;

impl Reader {
    pub(super) fn index_columns(
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

    /// An index's keys, and the names its implicit name is made from.
    pub(super) fn index_keys(
        &self,
        columns: &[ast::IndexColumn],
        origin: &Origin,
    ) -> Result<(Vec<m::IndexKey>, Vec<String>), DdlError> {
        let mut keys = Vec::new();
        let mut key_names = Vec::new();
        for c in columns {
            let mut e = &c.column.expr;
            while let Expr::Nested(inner) = e {
                e = inner;
            }
            let mut prefix_length = None;
            let target = match e {
                Expr::Identifier(i) => {
                    key_names.push(self.ident(i));
                    m::IndexTarget::Column(self.ident(i))
                }
                // MySQL's prefix key `name(10)`: the column's first 10
                // characters, not a call.
                other
                    if self.dialect.index_prefix_lengths()
                        && let Some((column, length)) = prefix_key(other) =>
                {
                    key_names.push(self.ident(&column));
                    prefix_length = Some(length);
                    m::IndexTarget::Column(self.ident(&column))
                }
                other => {
                    key_names.push("expr".to_string());
                    m::IndexTarget::Expression(normalize_parsed(other, self.dialect))
                }
            };
            if !self.dialect.has_operator_classes()
                && let Some(class) = &c.operator_class
            {
                return Err(origin.unsupported(format!(
                    "index key `{e} {class}`: {} has no operator classes; is `{class}` a typo?",
                    self.dialect.title()
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
                prefix_length,
            });
        }
        Ok((keys, key_names))
    }

    /// Takes `name` for an index of `table`: names are unique in the
    /// table's namespace.
    pub(super) fn register_index(
        &mut self,
        table: &ObjectName,
        name: &str,
        origin: &Origin,
    ) -> Result<(), DdlError> {
        self.names_of(table).insert(name.to_string());
        let space = self.name_space(table);
        if !self.index_names.insert((space, name.to_string())) {
            return Err(origin.reference(if self.dialect.index_names_per_table() {
                format!("index {name} is declared twice on table {table}")
            } else {
                format!(
                    "index {name} is declared twice (index names are unique in schema {})",
                    table.schema
                )
            }));
        }
        self.index_origins
            .insert((table.clone(), name.to_string()), origin.clone());
        Ok(())
    }

    /// `CREATE [kind] INDEX`; `kind` is MySQL's FULLTEXT or SPATIAL, read
    /// from the text (sqlparser does not take the word; the prepass blanks it).
    pub(super) fn create_index(
        &mut self,
        ci: ast::CreateIndex,
        kind: Option<&str>,
        origin: &Origin,
    ) -> Result<(), DdlError> {
        let table_name = self.object_name(&ci.table_name);
        let (keys, key_names) = self.index_keys(&ci.columns, origin)?;
        let name = match &ci.name {
            Some(n) => self.name_parts(n).pop().unwrap_or_default(),
            None => self
                .implicit_name(&table_name, Some(&key_names), "idx")
                .ok_or_else(|| origin.unsupported("an index needs a name"))?,
        };
        self.register_index(&table_name, &name, origin)?;
        let index = m::Index {
            name,
            unique: ci.unique,
            keys,
            predicate: ci.predicate.as_ref().map(|p| {
                spelled(
                    &self.spellings,
                    normalize_parsed(p, self.dialect),
                    p,
                    self.dialect,
                )
            }),
            method: match kind {
                Some(k) => k.to_string(),
                None => ci
                    .using
                    .as_ref()
                    .map(|u| u.to_string().to_lowercase())
                    .unwrap_or_else(|| "btree".to_string()),
            },
            include: self.idents(&ci.include),
            nulls_not_distinct: ci.nulls_distinct == Some(false),
        };
        // A materialized view's index.
        if let Some(view) = self
            .schema
            .views
            .get_mut(&table_name)
            .filter(|v| v.materialized)
        {
            view.indexes.push(index);
            return Ok(());
        }
        let Some(table) = self.schema.tables.get_mut(&table_name) else {
            return Err(origin.reference(format!(
                "index {} is on table {table_name}, which is not declared before it",
                index.name
            )));
        };
        table.indexes.push(index);
        Ok(())
    }

    /// An index a table's definition declares (MySQL's `KEY name (cols)`,
    /// `FULLTEXT KEY`), where the dialect allows it.
    pub(super) fn inline_index(
        &mut self,
        table: &mut m::Table,
        name: Option<&Ident>,
        columns: &[ast::IndexColumn],
        method: &str,
        origin: &Origin,
    ) -> Result<(), DdlError> {
        let (keys, key_names) = self.index_keys(columns, origin)?;
        let tname = table.name.clone();
        let name = match name {
            Some(n) => self.ident(n),
            None => self
                .implicit_name(&tname, Some(&key_names), "idx")
                .ok_or_else(|| origin.unsupported("an index needs a name"))?,
        };
        self.register_index(&tname, &name, origin)?;
        table.indexes.push(m::Index {
            name,
            unique: false,
            keys,
            predicate: None,
            method: method.to_string(),
            include: Vec::new(),
            nulls_not_distinct: false,
        });
        Ok(())
    }
}

/// `name(10)` as a key: the column and its prefix length.
fn prefix_key(expr: &Expr) -> Option<(Ident, u32)> {
    let Expr::Function(f) = expr else {
        return None;
    };
    let [part] = f.name.0.as_slice() else {
        return None;
    };
    let column = part.as_ident()?.clone();
    let ast::FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(arg))] = list.args.as_slice() else {
        return None;
    };
    let length = super::tables::number(arg)?;
    Some((column, u32::try_from(length).ok().filter(|n| *n > 0)?))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{pg, pg_error, table};
    use migdiff_model::IndexTarget;

    #[test]
    fn index_keys_method_and_predicate() {
        let s = pg("CREATE TABLE t (id int, email text, tags text[]);\n\
             CREATE UNIQUE INDEX t_email ON t (lower(email)) WHERE id > 0;\n\
             CREATE INDEX t_tags ON t USING gin (tags);\n\
             CREATE INDEX t_id_desc ON t (id DESC);");
        let t = table(&s, "t");
        let by = |n: &str| t.indexes.iter().find(|i| i.name == n).unwrap();
        let email = by("t_email");
        assert!(email.unique);
        assert!(matches!(&email.keys[0].target, IndexTarget::Expression(e) if e == "lower(email)"));
        assert_eq!(email.predicate.as_deref(), Some("id > 0"));
        assert_eq!(by("t_tags").method, "gin");
        assert!(by("t_id_desc").keys[0].descending);
    }

    #[test]
    fn index_names_share_one_namespace_per_schema() {
        let e = pg_error(
            "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n\
             CREATE INDEX ix ON a (id);\nCREATE INDEX ix ON b (id);",
        );
        assert!(e.contains("ix"), "{e}");
    }
}

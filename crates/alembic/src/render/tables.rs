//! `create_table` and `create_index`, and what SQLAlchemy cannot declare
//! in a table (moved out into ops of their own).

use super::*;

impl Ctx<'_> {
    pub(super) fn create_table(&mut self, t: &Table, style: TypeStyle) -> String {
        let mut args = vec![s(&t.name.name)];
        for c in &t.columns {
            args.push(self.column(c, Some(t), style));
        }
        args.extend(self.table_constraints(t, style));
        if let Some(k) = self.schema_kw(&t.name) {
            args.push(k);
        }
        if let Some(c) = &t.comment {
            args.push(format!("comment={}", s(c)));
        }
        if t.sqlite_autoincrement {
            args.push("sqlite_autoincrement=True".into());
        }
        // MySQL's table character set and collation, as SQLAlchemy's
        // table keywords take them.
        let d = self.dialect().kwarg_prefix();
        if let Some(cs) = &t.charset.charset {
            // As Alembic writes a reflected table's, and as models write it.
            let key = match style {
                TypeStyle::Reflected => "default_charset",
                TypeStyle::Declared => "charset",
            };
            args.push(format!("{d}_{key}={}", s(cs)));
        }
        if let Some(c) = &t.charset.collation {
            args.push(format!("{d}_collate={}", s(c)));
        }
        format!("op.create_table({}\n)", args.join(",\n"))
    }

    pub(super) fn index_elements(&self, i: &Index) -> String {
        let items: Vec<String> = i
            .keys
            .iter()
            .map(|k| {
                let plain = !k.descending
                    && k.nulls_first.is_none()
                    && k.opclass.is_none()
                    && k.collation.is_none();
                let mut text = match &k.target {
                    IndexTarget::Column(c) if plain => return s(c),
                    IndexTarget::Column(c) => quote_ident(c, self.dialect()),
                    IndexTarget::Expression(e) if is_function_call(e) => e.clone(),
                    IndexTarget::Expression(e) => format!("({e})"),
                };
                if let Some(o) = &k.opclass {
                    text.push(' ');
                    text.push_str(o);
                }
                if k.descending {
                    text.push_str(" DESC");
                }
                match k.nulls_first {
                    Some(true) => text.push_str(" NULLS FIRST"),
                    Some(false) => text.push_str(" NULLS LAST"),
                    None => {}
                }
                format!("sa.literal_column({})", s(&text))
            })
            .collect();
        format!("[{}]", items.join(", "))
    }

    pub(super) fn create_index(&self, table: &ObjectName, i: &Index, style: TypeStyle) -> String {
        let mut a = vec![
            Some(self.name(&i.name, style)),
            self.t(table),
            Some(self.index_elements(i)),
        ];
        a.push(Some(format!("unique={}", py_bool(i.unique))));
        a.push(self.schema_arg(table));
        a.extend(self.index_kwargs(table, i, style).into_iter().map(Some));
        self.call("create_index", a)
    }

    /// An index's dialect keywords (`postgresql_where=...`), as Alembic
    /// writes them on both `create_index` and `drop_index`.
    pub(super) fn index_kwargs(
        &self,
        table: &ObjectName,
        i: &Index,
        style: TypeStyle,
    ) -> Vec<String> {
        let mut a = Vec::new();
        let d = self.dialect().kwarg_prefix();
        if self
            .dialect()
            .default_index_method()
            .is_some_and(|default| i.method != default)
        {
            let (keyword, value) = self.dialect().renderer().index_method_keyword(&i.method);
            a.push(format!("{d}_{keyword}={}", s(&value)));
        }
        let lengths: Vec<String> = i
            .keys
            .iter()
            .filter_map(|k| match (&k.target, k.prefix_length) {
                (IndexTarget::Column(c), Some(n)) => Some(format!("{}: {n}", s(c))),
                _ => None,
            })
            .collect();
        if !lengths.is_empty() {
            a.push(format!("{d}_length={{{}}}", lengths.join(", ")));
        }
        if !i.include.is_empty() {
            a.push(format!("{d}_include={}", list(&i.include)));
        }
        if i.nulls_not_distinct {
            a.push(format!("{d}_nulls_not_distinct=True"));
        }
        if let Some(p) = &i.predicate {
            a.push(format!("{d}_where=sa.text({})", s(self.spelling(p, style))));
        }
        // The models' options for the other dialects the folder serves.
        if style == TypeStyle::Declared
            && let Some(other) = self
                .opts
                .hints
                .and_then(|h| h.index_kwargs.get(&(table.clone(), i.name.clone())))
        {
            for (key, code) in other {
                a.push(format!("{key}={code}"));
            }
        }
        a
    }
}

/// Takes the items `keep` refuses out of `items`, in order.
pub(super) fn take_unless<T>(items: &mut Vec<T>, keep: impl Fn(&T) -> bool) -> Vec<T> {
    let (kept, taken) = std::mem::take(items).into_iter().partition(|x| keep(x));
    *items = kept;
    taken
}

/// `t` without what SQLAlchemy cannot declare in a `create_table`, and the
/// ops that add it afterwards: PostgreSQL 18's constraints above, and
/// serial columns SQLAlchemy would create as plain integers (it makes only
/// a table's one autoincrement primary-key column SERIAL).
pub(super) fn split_undeclarable(t: &Table) -> (Table, Vec<Op>) {
    let mut table = t.clone();
    let mut rest = Vec::new();
    let key: &[String] = t.primary_key.as_ref().map_or(&[], |k| &k.columns);
    let serial_keys = t
        .columns
        .iter()
        .filter(|c| c.serial && key.contains(&c.name))
        .count();
    for column in &mut table.columns {
        if column.serial && !(key.contains(&column.name) && serial_keys == 1) {
            let declared = column.clone();
            column.serial = false;
            rest.push(Op::AlterColumn(AlterColumn {
                table: t.name.clone(),
                from: column.clone(),
                to: declared,
            }));
        }
    }
    if let Some(key) = table.primary_key.take_if(|k| k.without_overlaps) {
        rest.push(Op::AddPrimaryKey {
            table: t.name.clone(),
            key,
        });
    }
    let name = &t.name;
    rest.extend(
        take_unless(&mut table.uniques, |u| !u.without_overlaps)
            .into_iter()
            .map(|unique| Op::AddUnique {
                table: name.clone(),
                unique,
            }),
    );
    rest.extend(
        take_unless(&mut table.checks, |c| !c.not_enforced)
            .into_iter()
            .map(|check| Op::AddCheck {
                table: name.clone(),
                check,
            }),
    );
    rest.extend(
        take_unless(&mut table.foreign_keys, fk_declarable)
            .into_iter()
            .map(|key| Op::AddForeignKey {
                table: name.clone(),
                key,
            }),
    );
    (table, rest)
}

/// Renders `ops` (applied to `start`) as an upgrade (`upgrade = true`) or
/// downgrade body, between Alembic's marker comments.
/// An index on plain columns, each in its default order and operator
/// class: what Alembic's batch rebuild can re-create by column name.
pub(super) fn plain_keys(index: &Index) -> bool {
    index.keys.iter().all(|k| {
        matches!(k.target, IndexTarget::Column(_))
            && !k.descending
            && k.nulls_first.is_none()
            && k.opclass.is_none()
            && k.collation.is_none()
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::pg;

    #[test]
    fn create_table_with_its_constraints_and_indexes() {
        let (up, down) = pg(
            "",
            "CREATE TABLE t (id int PRIMARY KEY, email text NOT NULL);\n\
             CREATE UNIQUE INDEX t_email ON t (lower(email)) WHERE id > 0;",
        );
        assert!(
            up.contains("sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),"),
            "{up}"
        );
        // PostgreSQL's own name for the key is left to PostgreSQL.
        assert!(up.contains("sa.PrimaryKeyConstraint('id')\n    )"), "{up}");
        assert!(
            up.contains("op.create_index(op.f('t_email'), 't', [sa.literal_column('lower(email)')], unique=True, postgresql_where=sa.text('id > 0'))"),
            "{up}"
        );
        // As Alembic writes it: the index's dialect keywords on the drop too.
        let drop_index = down
            .find("op.drop_index(op.f('t_email'), table_name='t', postgresql_where=sa.text('id > 0'))")
            .expect(&down);
        assert!(drop_index < down.find("op.drop_table('t')").expect(&down));
    }

    #[test]
    fn what_sqlalchemy_cannot_declare_follows_as_sql() {
        // A serial column that is not the key: SQLAlchemy would make it a
        // plain integer, so its sequence and default follow the table.
        let (up, _) = pg("", "CREATE TABLE t (id int PRIMARY KEY, n serial);");
        let table = up.find("op.create_table('t',").expect(&up);
        let sequence = up.find("CREATE SEQUENCE").expect(&up);
        assert!(table < sequence, "{up}");
    }
}

//! Keys, foreign keys, unique and CHECK constraints: inside
//! `create_table` and as `create_*_constraint` / `drop_constraint`.

use super::*;

impl Ctx<'_> {
    pub(super) fn deferrable_kw(&self, d: bool, i: bool, out: &mut Vec<String>) {
        if i {
            out.push("initially='DEFERRED'".into());
        }
        if d {
            out.push("deferrable=True".into());
        }
    }

    pub(super) fn fk_target(&self, f: &ForeignKey) -> (Vec<String>, Option<String>) {
        let cols = f
            .ref_columns
            .iter()
            .map(|c| {
                if f.ref_table.schema == self.default_schema() {
                    format!("{}.{c}", f.ref_table.name)
                } else {
                    format!("{}.{}.{c}", f.ref_table.schema, f.ref_table.name)
                }
            })
            .collect();
        let schema =
            (f.ref_table.schema != self.default_schema()).then(|| f.ref_table.schema.clone());
        (cols, schema)
    }

    pub(super) fn fk_options(&self, f: &ForeignKey, out: &mut Vec<String>) {
        if f.on_update != migdiff_model::FkAction::NoAction {
            out.push(format!("onupdate={}", s(f.on_update.sql())));
        }
        if f.on_delete != migdiff_model::FkAction::NoAction {
            out.push(format!("ondelete={}", s(f.on_delete.sql())));
        }
        self.deferrable_kw(f.deferrable, f.initially_deferred, out);
        if f.match_kind != migdiff_model::FkMatch::Simple {
            out.push(format!("match={}", s(f.match_kind.sql())));
        }
    }

    /// Whether `name` is what PostgreSQL would call the constraint anyway;
    /// such names are left out of declared-style `create_table` arguments,
    /// as Alembic leaves them out for a model without names.
    pub(super) fn implicit(
        &self,
        table: &ObjectName,
        name: &Option<String>,
        cols: &[String],
        label: &str,
    ) -> bool {
        let Some(n) = name else { return true };
        // The name before any collision suffix: what the database would
        // choose for the constraint alone.
        let columns = (label != "pkey").then_some(cols);
        self.dialect()
            .implicit_name(&table.name, columns, label, &|_| false)
            .is_some_and(|expected| *n == expected)
    }

    pub(super) fn table_constraints(&mut self, t: &Table, style: TypeStyle) -> Vec<String> {
        let declared = style == TypeStyle::Declared;
        let mut out = Vec::new();
        if let Some(pk) = &t.primary_key {
            let mut a: Vec<String> = pk.columns.iter().map(|c| s(c)).collect();
            if !(declared && self.implicit(&t.name, &pk.name, &pk.columns, "pkey"))
                && let Some(n) = &pk.name
            {
                a.push(format!("name={}", self.name(n, style)));
            }
            out.push(format!("sa.PrimaryKeyConstraint({})", a.join(", ")));
        }
        for f in &t.foreign_keys {
            let (target, _) = self.fk_target(f);
            let mut a = vec![list(&f.columns), list(&target)];
            if !(declared && self.implicit(&t.name, &f.name, &f.columns, "fkey"))
                && let Some(n) = &f.name
            {
                a.push(format!("name={}", self.name(n, style)));
            }
            self.fk_options(f, &mut a);
            out.push(format!("sa.ForeignKeyConstraint({})", a.join(", ")));
        }
        for u in &t.uniques {
            let mut a: Vec<String> = u.columns.iter().map(|c| s(c)).collect();
            self.deferrable_kw(u.deferrable, u.initially_deferred, &mut a);
            if !(declared && self.implicit(&t.name, &u.name, &u.columns, "key"))
                && let Some(n) = &u.name
            {
                a.push(format!("name={}", self.name(n, style)));
            }
            if u.nulls_not_distinct {
                let d = self.dialect().kwarg_prefix();
                a.push(format!("{d}_nulls_not_distinct=True"));
            }
            out.push(format!("sa.UniqueConstraint({})", a.join(", ")));
        }
        for c in &t.checks {
            let mut a = vec![s(self.spelling(&c.expr, style))];
            if let Some(n) = &c.name {
                a.push(format!("name={}", self.name(n, style)));
            }
            out.push(format!("sa.CheckConstraint({})", a.join(", ")));
        }
        // Alembic sorts the constraints of create_table by their text.
        out.sort();
        out
    }

    pub(super) fn create_pk(
        &self,
        table: &ObjectName,
        key: &PrimaryKey,
        style: TypeStyle,
    ) -> String {
        self.call(
            "create_primary_key",
            vec![
                Some(self.opt_name(&key.name, style)),
                self.t(table),
                Some(list(&key.columns)),
                self.schema_arg(table),
            ],
        )
    }

    pub(super) fn create_fk(&self, table: &ObjectName, f: &ForeignKey, style: TypeStyle) -> String {
        let mut a = vec![
            Some(self.opt_name(&f.name, style)),
            self.t(table),
            Some(s(&f.ref_table.name)),
        ];
        a.push(Some(list(&f.columns)));
        a.push(Some(list(&f.ref_columns)));
        if self.prefix == "op" && table.schema != self.default_schema() {
            a.push(Some(format!("source_schema={}", s(&table.schema))));
        }
        if f.ref_table.schema != self.default_schema() {
            a.push(Some(format!("referent_schema={}", s(&f.ref_table.schema))));
        }
        let mut kw = Vec::new();
        self.fk_options(f, &mut kw);
        a.extend(kw.into_iter().map(Some));
        self.call("create_foreign_key", a)
    }

    pub(super) fn create_unique(
        &self,
        table: &ObjectName,
        u: &UniqueConstraint,
        style: TypeStyle,
    ) -> String {
        let mut a = vec![
            Some(self.opt_name(&u.name, style)),
            self.t(table),
            Some(list(&u.columns)),
        ];
        let mut kw = Vec::new();
        self.deferrable_kw(u.deferrable, u.initially_deferred, &mut kw);
        a.extend(kw.into_iter().map(Some));
        a.push(self.schema_arg(table));
        if u.nulls_not_distinct {
            let d = self.dialect().kwarg_prefix();
            a.push(Some(format!("{d}_nulls_not_distinct=True")));
        }
        self.call("create_unique_constraint", a)
    }

    pub(super) fn create_check(
        &self,
        table: &ObjectName,
        c: &CheckConstraint,
        style: TypeStyle,
    ) -> String {
        self.call(
            "create_check_constraint",
            vec![
                Some(self.opt_name(&c.name, style)),
                self.t(table),
                Some(s(self.spelling(&c.expr, style))),
                self.schema_arg(table),
            ],
        )
    }

    pub(super) fn drop_constraint(
        &self,
        table: &ObjectName,
        name: &Option<String>,
        kind: &str,
        style: TypeStyle,
    ) -> String {
        // SQLAlchemy's SQLite reflection leaves a CHECK's or a foreign
        // key's doubled quotes doubled (`ck ""odd""` for `"ck ""odd"""`),
        // and a batch rebuild finds the constraint to drop by that name.
        let reflected = match name {
            Some(n) if (kind == "check" || kind == "foreignkey") && self.prefix == "batch_op" => {
                self.opts.dialect.reflected_constraint_name(n)
            }
            _ => None,
        };
        let name = if reflected.is_some() {
            &reflected
        } else {
            name
        };
        let line = self.call(
            "drop_constraint",
            vec![
                Some(self.opt_name(name, style)),
                self.t(table),
                self.schema_arg(table),
                Some(format!("type_={}", s(kind))),
            ],
        );
        if name.is_none() {
            // Each line indented alike: inside a batch block a comment line
            // must not fall out of the `with`.
            let pad = if self.prefix == "batch_op" {
                "\n    "
            } else {
                "\n"
            };
            format!(
                "# WARNING: constraint name is None; this directive will fail as{pad}# rendered.  Add a name, or use a naming convention; see{pad}# https://alembic.sqlalchemy.org/en/latest/naming.html{pad}{line}"
            )
        } else {
            line
        }
    }
}

/// SQLAlchemy 2.1 has no way to declare PostgreSQL 18's NOT ENFORCED or
/// temporal keys (WITHOUT OVERLAPS, PERIOD): such constraints are written
/// as SQL (`op.execute`).
pub(super) fn fk_declarable(f: &ForeignKey) -> bool {
    !f.not_enforced && !f.period
}

#[cfg(test)]
mod tests {
    use super::super::test_support::pg;

    const PARENT: &str = "CREATE TABLE a (id int PRIMARY KEY);\n";

    #[test]
    fn foreign_keys_with_actions_and_deferral() {
        let live = format!("{PARENT}CREATE TABLE b (id int, a_id int);");
        let declared = format!(
            "{PARENT}CREATE TABLE b (id int, a_id int);\n\
             ALTER TABLE b ADD CONSTRAINT b_a FOREIGN KEY (a_id) REFERENCES a (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;"
        );
        let (up, down) = pg(&live, &declared);
        assert!(
            up.contains("op.create_foreign_key(op.f('b_a'), 'b', 'a', ['a_id'], ['id'], ondelete='CASCADE', initially='DEFERRED', deferrable=True)"),
            "{up}"
        );
        assert!(
            down.contains("op.drop_constraint(op.f('b_a'), 'b', type_='foreignkey')"),
            "{down}"
        );
    }

    #[test]
    fn unique_and_check_constraints() {
        let (up, down) = pg(
            "CREATE TABLE t (code text, n int);",
            "CREATE TABLE t (code text, n int, CONSTRAINT t_code UNIQUE (code), CONSTRAINT t_n CHECK (n > 0));",
        );
        assert!(
            up.contains("op.create_unique_constraint(op.f('t_code'), 't', ['code'])"),
            "{up}"
        );
        assert!(
            up.contains("op.create_check_constraint(op.f('t_n'), 't', 'n > 0')"),
            "{up}"
        );
        assert!(
            down.contains("op.drop_constraint(op.f('t_n'), 't', type_='check')"),
            "{down}"
        );
        assert!(
            down.contains("op.drop_constraint(op.f('t_code'), 't', type_='unique')"),
            "{down}"
        );
    }
}

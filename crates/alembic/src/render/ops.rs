//! One op's lines: the dispatch from [`Op`] to the Alembic call, and
//! `op.execute` for what Alembic has no op for.

use super::*;

impl Ctx<'_> {
    /// The lines for one op (may be several, or contain newlines): its
    /// online form where one is asked for and needed, else the plain one.
    pub(super) fn op_lines(&mut self, op: &Op) -> Vec<String> {
        if let Some(lines) = self.online_lines(op) {
            return lines;
        }
        if let Some(lines) = self.entity_lines(op) {
            return lines;
        }
        if let Op::CreateTable(t) = op {
            self.created.insert(t.name.clone());
        }
        self.op_lines_plain(op)
    }

    /// The lines Alembic's autogenerate writes for one op.
    pub(super) fn op_lines_plain(&mut self, op: &Op) -> Vec<String> {
        let (new, old) = (self.new_style, self.old_style);
        match op {
            Op::CreateTable(t)
                if t.columns
                    .iter()
                    .any(|c| self.sql_only_type(c, &t.name, new)) =>
            {
                self.execute_sql(op)
            }
            Op::CreateTable(t) => {
                // What SQLAlchemy cannot declare follows the table as SQL.
                let (declarable, rest) = split_undeclarable(t);
                let mut out = vec![self.create_table(&declarable, new)];
                for op in &rest {
                    out.extend(self.execute_sql(op));
                }
                out
            }
            Op::DropTable(t) => vec![format!(
                "op.drop_table({}{})",
                s(&t.name.name),
                self.schema_kw(&t.name)
                    .map(|k| format!(", {k}"))
                    .unwrap_or_default()
            )],
            Op::AddColumn { table, column } if self.sql_only_type(column, table, new) => {
                self.execute_sql(op)
            }
            // SQLAlchemy adds a serial column as a plain integer: the
            // sequence and its default follow as SQL.
            Op::AddColumn { table, column } if column.serial => {
                let plain = Column {
                    serial: false,
                    ..column.clone()
                };
                let mut out = self.op_lines(&Op::AddColumn {
                    table: table.clone(),
                    column: plain.clone(),
                });
                out.extend(self.execute_sql(&Op::AlterColumn(AlterColumn {
                    table: table.clone(),
                    from: plain,
                    to: column.clone(),
                })));
                out
            }
            Op::AddColumn { table, column } => {
                let t = self.state.tables.get(table).cloned();
                let col = self.column(column, t.as_ref(), new);
                vec![self.call(
                    "add_column",
                    vec![self.t(table), Some(col), self.schema_arg(table)],
                )]
            }
            Op::DropColumn { table, column } => vec![self.call(
                "drop_column",
                vec![self.t(table), Some(s(&column.name)), self.schema_arg(table)],
            )],
            Op::AlterColumn(a) => {
                let mut out = Vec::new();
                if a.type_changed()
                    || a.nullable_changed()
                    || a.default_changed()
                    || a.comment_changed()
                {
                    if a.from.serial != a.to.serial
                        || a.identity_changed()
                        || (a.type_changed() && self.sql_only_type(&a.to, &a.table, new))
                    {
                        // Alembic has no op for serial/identity changes: plain SQL.
                        out.extend(self.execute_sql(op));
                        return out;
                    }
                    out.push(self.alter_column(a));
                } else if a.identity_changed() {
                    out.extend(self.execute_sql(op));
                }
                out
            }
            Op::RenameColumn { table, from, to } => {
                let col = self
                    .state
                    .tables
                    .get(table)
                    .and_then(|t| t.column(from))
                    .cloned();
                let mut args = vec![
                    self.t(table),
                    Some(s(from)),
                    Some(format!("new_column_name={}", s(to))),
                ];
                if let Some(c) = col {
                    args.push(Some(format!(
                        "existing_type={}",
                        self.column_type(&c, Some(table), old)
                    )));
                    args.push(Some(format!("existing_nullable={}", py_bool(c.nullable))));
                }
                args.push(self.schema_arg(table));
                vec![self.call("alter_column", args)]
            }
            Op::AddPrimaryKey { table, key } if key.without_overlaps => self.execute_sql(op),
            Op::AddPrimaryKey { table, key } => vec![self.create_pk(table, key, new)],
            Op::DropPrimaryKey { table, key } => {
                vec![self.drop_constraint(table, &key.name, "primary", old)]
            }
            Op::RenamePrimaryKey { table, key, to } => {
                let from = key.name.clone().unwrap_or_default();
                match self.opts.dialect.rename_constraint_sql(table, &from, to) {
                    Some(sql) => vec![format!("{}.execute({})", self.prefix, s(&sql))],
                    // No rename in place (SQLite): drop it and add it back.
                    None => {
                        let renamed = PrimaryKey {
                            name: Some(to.clone()),
                            ..key.clone()
                        };
                        vec![
                            self.drop_constraint(table, &key.name, "primary", old),
                            self.create_pk(table, &renamed, new),
                        ]
                    }
                }
            }
            Op::AddForeignKey { key, .. } if !fk_declarable(key) => self.execute_sql(op),
            Op::AddForeignKey { table, key } => vec![self.create_fk(table, key, new)],
            Op::DropForeignKey { table, key } => {
                let mut out = vec![self.drop_constraint(table, &key.name, "foreignkey", old)];
                // MySQL keeps the index it made for the key: it goes too, or
                // the table is left with an index nobody declared.
                let left = self
                    .state
                    .tables
                    .get(table)
                    .and_then(|t| self.opts.dialect.index_left_by_dropped_fk(t, key));
                if let Some(index) = left {
                    let mut a = vec![Some(s(&index))];
                    if self.prefix == "op" {
                        a.push(Some(format!("table_name={}", s(&table.name))));
                    }
                    a.push(self.schema_arg(table));
                    out.push(self.call("drop_index", a));
                }
                out
            }
            Op::AddUnique { unique, .. } if unique.without_overlaps => self.execute_sql(op),
            Op::AddUnique { table, unique } => vec![self.create_unique(table, unique, new)],
            Op::DropUnique { table, unique } => {
                vec![self.drop_constraint(table, &unique.name, "unique", old)]
            }
            Op::AddCheck { check, .. } if check.not_enforced => self.execute_sql(op),
            Op::AddCheck { table, check } => vec![self.create_check(table, check, new)],
            Op::DropCheck { table, check } => {
                vec![self.drop_constraint(table, &check.name, "check", old)]
            }
            Op::CreateIndex { table, index } => vec![self.create_index(table, index, new)],
            Op::DropIndex { table, index } => {
                let mut a = vec![Some(self.name(&index.name, old))];
                if self.prefix == "op" {
                    a.push(Some(format!("table_name={}", s(&table.name))));
                }
                a.push(self.schema_arg(table));
                a.extend(self.index_kwargs(table, index, old).into_iter().map(Some));
                vec![self.call("drop_index", a)]
            }
            // Alembic has no op for a table's options: the dialect's SQL.
            Op::SetTableCharset { .. } => self.execute_sql(op),
            Op::SetTableComment { table, from, to } => {
                let schema = if table.schema == self.default_schema() {
                    "None".to_string()
                } else {
                    s(&table.schema)
                };
                let existing = from.as_deref().map(s).unwrap_or_else(|| "None".into());
                let (func, mut args) = match to {
                    Some(c) => ("create_table_comment", vec![s(c)]),
                    None => ("drop_table_comment", vec![]),
                };
                let mut lines = Vec::new();
                if self.prefix == "op" {
                    args.insert(0, s(&table.name));
                }
                args.push(format!("existing_comment={existing}"));
                if self.prefix == "op" {
                    args.push(format!("schema={schema}"));
                }
                lines.push(format!(
                    "{}.{func}(\n    {}\n)",
                    self.prefix,
                    args.join(",\n    ")
                ));
                lines
            }
            Op::CreateEnum(e) => {
                let ctor = self.enum_ctor(&e.name, &e.values, new);
                vec![format!("{ctor}.create(op.get_bind())")]
            }
            Op::DropEnum(e) => {
                let ctor = self.enum_ctor(&e.name, &[], old);
                vec![format!("{ctor}.drop(op.get_bind())")]
            }
            Op::AddEnumValue { .. } => {
                // ALTER TYPE ... ADD VALUE cannot run inside a transaction
                // block before PostgreSQL 12, and its value cannot be used
                // in the same transaction after: run it outside.
                let sql = self.execute_sql(op);
                let mut text = "with op.get_context().autocommit_block():".to_string();
                for l in sql {
                    text.push_str("\n    ");
                    text.push_str(&l);
                }
                vec![text]
            }
            Op::CreateSchema(_)
            | Op::DropSchema(_)
            | Op::CreateDomain(_)
            | Op::DropDomain(_)
            | Op::AlterDomain { .. }
            | Op::CreateExtension(_)
            | Op::DropExtension(_)
            | Op::AlterExtension { .. }
            | Op::CreateFunction(_)
            | Op::DropFunction(_)
            | Op::ReplaceFunction { .. }
            | Op::RecreateFunction { .. }
            | Op::CreateView(_)
            | Op::DropView(_)
            | Op::ReplaceView { .. }
            | Op::CreateTrigger(_)
            | Op::DropTrigger(_)
            | Op::SetTriggerEnabled { .. }
            | Op::SetObjectComment { .. }
            | Op::SetOwner { .. }
            | Op::RecreateEnum { .. }
            | Op::CreateSequence(_)
            | Op::DropSequence(_)
            | Op::AlterSequence { .. } => self.execute_sql(op),
        }
    }

    pub(super) fn execute_sql(&self, op: &Op) -> Vec<String> {
        self.opts
            .dialect
            .render_sql(std::slice::from_ref(op), &self.state)
            .into_iter()
            .map(|sql| format!("op.execute({})", sql_literal(&sql)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::pg;

    #[test]
    fn schemas_and_sequences_are_sql_undone_in_reverse() {
        let (up, down) = pg(
            "",
            "CREATE SCHEMA app;\nCREATE SEQUENCE app.counter START WITH 10;",
        );
        assert_eq!(
            up.lines().skip(1).take(2).collect::<Vec<_>>(),
            [
                "    op.execute('CREATE SCHEMA app')",
                "    op.execute('CREATE SEQUENCE app.counter AS bigint INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 10 CACHE 1 NO CYCLE')",
            ]
        );
        assert_eq!(
            down.lines().skip(1).take(2).collect::<Vec<_>>(),
            [
                "    op.execute('DROP SEQUENCE app.counter')",
                "    op.execute('DROP SCHEMA app')",
            ]
        );
    }

    #[test]
    fn a_serial_column_added_later_gets_its_sequence_as_sql() {
        let (up, _) = pg(
            "CREATE TABLE t (x int);",
            "CREATE TABLE t (x int, id serial);",
        );
        assert!(
            up.contains("op.add_column('t', sa.Column('id', sa.Integer()"),
            "{up}"
        );
        assert!(up.contains("op.execute("), "{up}");
        assert!(up.contains("nextval"), "{up}");
    }
}

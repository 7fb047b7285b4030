//! `autogenerate --online`: the forms of ops that never hold a busy
//! table's lock for longer than a catalog update, as the dialect allows.
//!
//! PostgreSQL ([`OnlineDdl::AlembicKeywords`]): indexes are built and
//! dropped `CONCURRENTLY` outside the migration's transaction
//! (`autocommit_block`); unique and primary keys take over such an index
//! (`USING INDEX`); foreign keys and CHECKs are added `NOT VALID` and
//! validated after the commit, when the scan no longer blocks writes;
//! `SET NOT NULL` goes through a validated `IS NOT NULL` check, which
//! PostgreSQL 12 and later use instead of scanning the table.
//!
//! MySQL and MariaDB ([`OnlineDdl::Sql`]): each change as the dialect's
//! SQL with InnoDB's `ALGORITHM=INPLACE, LOCK=NONE`.
//!
//! Ops on a table created earlier in the same body keep their plain form:
//! nobody else sees that table before the commit.

use migdiff_model::{IndexKey, OnlineDdl, Rule, apply};

use super::*;

/// An op `--online` will not write, with the rule it would break (its
/// `why` and `fix` say why and what to do instead).
pub struct Refusal {
    pub op: String,
    pub rule: Rule,
}

/// Why `--online` cannot write `ops` for `dialect`: `Err` with a sentence
/// when the dialect has no online forms; else the ops that have none
/// (PostgreSQL: a rewriting type change, a rewriting default, an enum
/// rebuild; MySQL: what the server would copy the table for). Ops on
/// tables created by the same ops are fine.
pub fn online_refusals(
    ops: &[Op],
    live: &Schema,
    dialect: &dyn DialectRender,
) -> Result<Vec<Refusal>, String> {
    let support = dialect.online_ddl();
    if support == OnlineDdl::Unsupported {
        return Err(format!(
            "migdiff has no online forms for {}",
            dialect.dialect().title()
        ));
    }
    let mut state = live.clone();
    let mut out = Vec::new();
    for op in ops {
        let existing = op.table().is_some_and(|t| state.tables.contains_key(t))
            && !matches!(op, Op::CreateTable(_));
        let refused: Vec<Rule> = match support {
            _ if !existing => Vec::new(),
            OnlineDdl::Sql => dialect.online_sql(op, &state).err().into_iter().collect(),
            _ => op
                .hazards()
                .into_iter()
                .filter(|r| matches!(r, Rule::ChangingColumnType | Rule::AddingFieldWithDefault))
                .collect(),
        };
        out.extend(refused.into_iter().map(|rule| Refusal {
            op: op.describe(),
            rule,
        }));
        if let Op::RecreateEnum { .. } = op {
            out.push(Refusal {
                op: op.describe(),
                rule: Rule::ChangingColumnType,
            });
        }
        apply(&mut state, op);
    }
    Ok(out)
}

/// `call` (an `op.something(...)` line) with one more keyword argument.
fn with_kwarg(call: String, kwarg: &str) -> String {
    match call.strip_suffix(')') {
        Some(head) if head.ends_with('(') => format!("{head}{kwarg})"),
        Some(head) => format!("{head}, {kwarg})"),
        None => call,
    }
}

/// Lines inside `with op.get_context().autocommit_block():`.
fn autocommit(lines: Vec<String>) -> String {
    let mut text = "with op.get_context().autocommit_block():".to_string();
    // Continuation lines of a multi-line call move right with it.
    for part in lines.iter().flat_map(|l| l.split('\n')) {
        // A line of a string literal stays as it is.
        if !part.starts_with(super::python::VERBATIM_LINE) {
            text.push_str("\n    ");
        } else {
            text.push('\n');
        }
        text.push_str(part);
    }
    text
}

impl Ctx<'_> {
    fn qualified(&self, t: &ObjectName) -> String {
        let d = self.dialect();
        if t.schema == self.default_schema() {
            quote_ident(&t.name, d)
        } else {
            format!("{}.{}", quote_ident(&t.schema, d), quote_ident(&t.name, d))
        }
    }

    fn execute(&self, sql: &str) -> String {
        format!("op.execute({})", s(sql))
    }

    fn validate(&self, table: &ObjectName, name: &str) -> String {
        self.execute(&format!(
            "ALTER TABLE {} VALIDATE CONSTRAINT {}",
            self.qualified(table),
            quote_ident(name, self.dialect())
        ))
    }

    /// The online form of `op`, when it has one and needs it.
    pub(super) fn online_lines(&mut self, op: &Op) -> Option<Vec<String>> {
        if !self.opts.online || self.prefix != "op" {
            return None;
        }
        let table = op.table()?;
        if self.created.contains(table) {
            return None;
        }
        match self.opts.dialect.online_ddl() {
            OnlineDdl::Unsupported => None,
            // A new table blocks nobody, and dropping one takes its lock
            // only for a moment: Alembic's own calls.
            OnlineDdl::Sql if matches!(op, Op::CreateTable(_) | Op::DropTable(_)) => None,
            OnlineDdl::Sql => {
                let sql = self.opts.dialect.online_sql(op, &self.state).ok()?;
                Some(sql.iter().map(|q| self.execute(q)).collect())
            }
            OnlineDdl::AlembicKeywords => self.keyword_lines(op),
        }
    }

    /// PostgreSQL's online forms: Alembic's calls with CONCURRENTLY and
    /// NOT VALID, and the statements around them.
    fn keyword_lines(&mut self, op: &Op) -> Option<Vec<String>> {
        let new = self.new_style;
        let concurrently = format!("{}_concurrently=True", self.dialect().kwarg_prefix());
        let not_valid = format!("{}_not_valid=True", self.dialect().kwarg_prefix());
        match op {
            Op::CreateIndex { .. } | Op::DropIndex { .. } => {
                let plain = self.op_lines_plain(op);
                let lines = plain
                    .into_iter()
                    .map(|l| with_kwarg(l, &concurrently))
                    .collect();
                Some(vec![autocommit(lines)])
            }
            Op::AddUnique { table, unique }
                if !unique.without_overlaps && !unique.nulls_not_distinct =>
            {
                let name = unique.name.clone()?;
                let index = Index {
                    name: name.clone(),
                    keys: unique.columns.iter().map(IndexKey::column).collect(),
                    ..unique_index(&name)
                };
                let create = with_kwarg(self.create_index(table, &index, new), &concurrently);
                let mut sql = format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}",
                    self.qualified(table),
                    quote_ident(&name, self.dialect()),
                    quote_ident(&name, self.dialect())
                );
                if unique.deferrable {
                    sql.push_str(" DEFERRABLE");
                    if unique.initially_deferred {
                        sql.push_str(" INITIALLY DEFERRED");
                    }
                }
                Some(vec![autocommit(vec![create]), self.execute(&sql)])
            }
            Op::AddPrimaryKey { table, key } if !key.without_overlaps => {
                let name = key.name.clone()?;
                let index = Index {
                    name: name.clone(),
                    keys: key.columns.iter().map(IndexKey::column).collect(),
                    ..unique_index(&name)
                };
                let create = with_kwarg(self.create_index(table, &index, new), &concurrently);
                let sql = format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY USING INDEX {}",
                    self.qualified(table),
                    quote_ident(&name, self.dialect()),
                    quote_ident(&name, self.dialect())
                );
                Some(vec![autocommit(vec![create]), self.execute(&sql)])
            }
            Op::AddForeignKey { table, key } => {
                let name = key.name.clone()?;
                let plain = self.op_lines_plain(op);
                let [call] = plain.as_slice() else {
                    return None;
                };
                if !call.starts_with("op.create_foreign_key(") {
                    return None;
                }
                Some(vec![
                    with_kwarg(call.clone(), &not_valid),
                    autocommit(vec![self.validate(table, &name)]),
                ])
            }
            Op::AddCheck { table, check } if !check.not_enforced => {
                let name = check.name.clone()?;
                let call = with_kwarg(self.create_check(table, check, new), &not_valid);
                Some(vec![call, autocommit(vec![self.validate(table, &name)])])
            }
            Op::AlterColumn(a) if a.from.nullable && !a.to.nullable && !a.type_changed() => {
                let name = not_null_check_name(&a.table.name, &a.to.name);
                let check = CheckConstraint {
                    name: Some(name.clone()),
                    auto_name: false,
                    expr: format!("{} IS NOT NULL", quote_ident(&a.to.name, self.dialect())),
                    not_enforced: false,
                };
                let add = with_kwarg(self.create_check(&a.table, &check, new), &not_valid);
                let mut out = vec![add, autocommit(vec![self.validate(&a.table, &name)])];
                out.extend(self.op_lines_plain(op));
                out.push(self.drop_constraint(&a.table, &Some(name), "check", new));
                Some(out)
            }
            _ => None,
        }
    }
}

/// A plain unique btree index named `name` (keys to be filled in).
fn unique_index(name: &str) -> Index {
    Index {
        name: name.to_string(),
        unique: true,
        keys: Vec::new(),
        predicate: None,
        method: "btree".into(),
        include: Vec::new(),
        nulls_not_distinct: false,
    }
}

/// The temporary check's name, within PostgreSQL's 63 bytes.
fn not_null_check_name(table: &str, column: &str) -> String {
    let mut name = format!("{table}_{column}_not_null");
    while name.len() > 63 {
        name.pop();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::super::test_support::pg_online;

    #[test]
    fn indexes_are_built_and_dropped_concurrently_outside_the_transaction() {
        let (up, down) = pg_online(
            "CREATE TABLE t (a int);",
            "CREATE TABLE t (a int);\nCREATE INDEX ix_t_a ON t (a);",
        );
        assert!(
            up.contains("op.execute(\"SET lock_timeout = '5s'\")"),
            "{up}"
        );
        assert!(
            up.contains("with op.get_context().autocommit_block():\n        op.create_index(op.f('ix_t_a'), 't', ['a'], unique=False, postgresql_concurrently=True)"),
            "{up}"
        );
        assert!(
            down.contains("with op.get_context().autocommit_block():\n        op.drop_index(op.f('ix_t_a'), table_name='t', postgresql_concurrently=True)"),
            "{down}"
        );
    }

    #[test]
    fn a_new_table_keeps_the_plain_forms() {
        let (up, _) = pg_online(
            "",
            "CREATE TABLE t (a int NOT NULL UNIQUE);\nCREATE INDEX ix_t_a ON t (a);",
        );
        assert!(!up.contains("autocommit_block"), "{up}");
        assert!(!up.contains("lock_timeout"), "{up}");
    }

    #[test]
    fn constraints_not_valid_then_validated() {
        let (up, _) = pg_online(
            "CREATE TABLE u (id int PRIMARY KEY);\nCREATE TABLE t (a int, b int);",
            "CREATE TABLE u (id int PRIMARY KEY);\nCREATE TABLE t (a int NOT NULL, b int, CONSTRAINT fk FOREIGN KEY (b) REFERENCES u (id), CONSTRAINT ck CHECK (b > 0), CONSTRAINT uq UNIQUE (b));",
        );
        assert!(up.contains("op.create_foreign_key(op.f('fk'), 't', 'u', ['b'], ['id'], postgresql_not_valid=True)"), "{up}");
        assert!(
            up.contains("op.execute('ALTER TABLE t VALIDATE CONSTRAINT fk')"),
            "{up}"
        );
        assert!(up.contains("postgresql_not_valid=True)"), "{up}");
        assert!(
            up.contains("op.execute('ALTER TABLE t ADD CONSTRAINT uq UNIQUE USING INDEX uq')"),
            "{up}"
        );
        assert!(up.contains("op.create_check_constraint(op.f('t_a_not_null'), 't', 'a IS NOT NULL', postgresql_not_valid=True)"), "{up}");
        assert!(
            up.contains("op.drop_constraint(op.f('t_a_not_null'), 't', type_='check')"),
            "{up}"
        );
    }
}

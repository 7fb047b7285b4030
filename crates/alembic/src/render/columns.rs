//! `sa.Column(...)` and `alter_column`: types (enums, collations, types
//! only SQL can name), defaults, identity and autoincrement.

use super::*;

impl Ctx<'_> {
    /// The type with the column's collation, as SQLAlchemy's string types
    /// take it; a declared column of `table` as its model spells it.
    pub(super) fn column_type(
        &mut self,
        c: &Column,
        table: Option<&ObjectName>,
        style: TypeStyle,
    ) -> String {
        if let (TypeStyle::Declared, Some(table), Some(hints)) = (style, table, self.opts.hints)
            && let Some(model) = hints.column_types.get(&(table.clone(), c.name.clone()))
        {
            if let Some(i) = &model.import {
                self.imports.insert(i.clone());
            }
            return model.code.clone();
        }
        let code = match c.type_as_written.as_deref().and_then(|written| {
            self.opts
                .dialect
                .python_type_as_written(written, &c.data_type, style)
        }) {
            Some(p) => p.code,
            None => self.ty(&c.data_type, style),
        };
        match &c.collation {
            Some(coll) if c.data_type.is_textual() => with_collation(&code, coll),
            _ => code,
        }
    }

    pub(super) fn column(&mut self, c: &Column, table: Option<&Table>, style: TypeStyle) -> String {
        let mut parts = vec![
            s(&c.name),
            self.column_type(c, table.map(|t| &t.name), style),
        ];
        if let Some(i) = &c.identity {
            let mut a = vec![format!("always={}", py_bool(i.always))];
            for (k, v) in [
                ("start", i.start),
                ("increment", i.increment),
                ("minvalue", i.min_value),
                ("maxvalue", i.max_value),
            ] {
                if let Some(v) = v {
                    a.push(format!("{k}={v}"));
                }
            }
            if i.cycle {
                a.push("cycle=True".into());
            }
            if let Some(v) = i.cache {
                a.push(format!("cache={v}"));
            }
            parts.push(format!("sa.Identity({})", a.join(", ")));
        }
        if let Some(g) = &c.generated {
            parts.push(format!(
                "sa.Computed({}, persisted={})",
                s(self.spelling(&g.expr, style)),
                py_bool(g.stored)
            ));
        }
        if let Some(d) = &c.default {
            parts.push(format!("server_default={}", self.default_as(d, style)));
        }
        if let Some(a) = self.autoincrement(c, table, style) {
            parts.push(format!("autoincrement={a}"));
        }
        parts.push(format!("nullable={}", py_bool(c.nullable)));
        if let Some(cm) = &c.comment {
            parts.push(format!("comment={}", s(cm)));
        }
        format!("sa.Column({})", parts.join(", "))
    }

    /// SQLAlchemy makes a lone integer primary key SERIAL unless told not
    /// to; say so whenever that would be wrong.
    pub(super) fn autoincrement(
        &self,
        c: &Column,
        table: Option<&Table>,
        style: TypeStyle,
    ) -> Option<&'static str> {
        if !self.opts.dialect.renders_autoincrement() || !c.data_type.is_integer() {
            return None;
        }
        let lone_pk = table
            .and_then(|t| t.primary_key.as_ref())
            .is_some_and(|pk| pk.columns.len() == 1 && pk.columns[0] == c.name);
        match (c.serial, lone_pk, style) {
            (true, _, TypeStyle::Reflected) => Some("True"),
            (false, _, TypeStyle::Reflected) => Some("False"),
            (true, true, TypeStyle::Declared) => None,
            (true, false, TypeStyle::Declared) => Some("True"),
            (false, true, TypeStyle::Declared) if c.identity.is_none() => Some("False"),
            _ => None,
        }
    }

    pub(super) fn alter_column(&mut self, a: &AlterColumn) -> String {
        let (old, new) = (self.old_style, self.new_style);
        let mut kw: Vec<String> = Vec::new();
        // A type SQLAlchemy cannot name is left out (existing_type is only
        // a hint on PostgreSQL; `sa.NullType()` would not even import).
        if !self.sql_only_type(&a.from, &a.table, old) {
            kw.push(format!(
                "existing_type={}",
                self.column_type(&a.from, Some(&a.table), old)
            ));
        }
        if a.default_changed() {
            kw.push(format!(
                "server_default={}",
                match &a.to.default {
                    Some(d) => self.default_as(d, new),
                    None => "None".to_string(),
                }
            ));
        }
        if a.type_changed() {
            kw.push(format!(
                "type_={}",
                self.column_type(&a.to, Some(&a.table), new)
            ));
            if let Some((key, using)) =
                self.opts
                    .dialect
                    .alter_type_using(&a.to.name, &a.from.data_type, &a.to.data_type)
            {
                kw.push(format!("{key}={}", s(&using)));
            }
        }
        if a.nullable_changed() {
            kw.push(format!("nullable={}", py_bool(a.to.nullable)));
        }
        if a.comment_changed() {
            kw.push(format!(
                "comment={}",
                a.to.comment
                    .as_deref()
                    .map(s)
                    .unwrap_or_else(|| "None".into())
            ));
        }
        if let Some(c) = &a.from.comment {
            kw.push(format!("existing_comment={}", s(c)));
        }
        if !a.nullable_changed() {
            kw.push(format!("existing_nullable={}", py_bool(a.from.nullable)));
        }
        if !a.default_changed()
            && let Some(d) = &a.from.default
        {
            kw.push(format!("existing_server_default={}", self.default(d)));
        }
        let table = &a.table;
        if self.prefix == "op"
            && let Some(k) = self.schema_kw(table)
        {
            kw.push(k);
        }
        let head = self.call("alter_column", vec![self.t(table), Some(s(&a.to.name))]);
        let head = head.trim_end_matches(')').to_string();
        let mut text = head;
        for k in kw {
            text.push_str(",\n           ");
            text.push_str(&k);
        }
        text.push(')');
        text
    }

    /// A column type SQLAlchemy has no name for (`xml`, `point`, `"char"`):
    /// Alembic would write `sa.NullType()`, which is not importable from
    /// `sqlalchemy` and cannot create a column. Ops that create such a
    /// column, or give one its type, are written as SQL.
    pub(super) fn sql_only_type(&self, c: &Column, table: &ObjectName, style: TypeStyle) -> bool {
        let from_model = style == TypeStyle::Declared
            && self.opts.hints.is_some_and(|h| {
                h.column_types
                    .contains_key(&(table.clone(), c.name.clone()))
            });
        !from_model
            && self
                .opts
                .dialect
                .python_type(&c.data_type, style, &self.state)
                .code
                .contains("NullType")
    }

    /// The enum type for an explicit `.create()` or `.drop()`: as the
    /// models spell it when they are what is being created or dropped,
    /// else as Alembic spells a reflected enum.
    pub(super) fn enum_ctor(
        &mut self,
        name: &ObjectName,
        values: &[String],
        style: TypeStyle,
    ) -> String {
        let sa_enum = style == TypeStyle::Declared && self.opts.hints.is_some_and(|h| h.sa_enum);
        let ctor = if sa_enum {
            migdiff_model::PythonType::sa("sa.Enum")
        } else {
            self.opts.dialect.named_enum_type()
        };
        if let Some(import) = ctor.import {
            self.imports.insert(import.into());
        }
        let ctor = ctor.code;
        let mut a: Vec<String> = values.iter().map(|v| s(v)).collect();
        a.push(format!("name={}", s(&name.name)));
        if let Some(k) = self.schema_kw(name) {
            a.push(k);
        }
        format!("{ctor}({})", a.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{pg, sqlite};

    #[test]
    fn add_column_with_type_nullability_and_comment() {
        let (up, down) = pg(
            "CREATE TABLE t (id int);",
            "CREATE TABLE t (id int, name varchar(40) NOT NULL DEFAULT 'x');\n\
             COMMENT ON COLUMN t.name IS 'shown';",
        );
        assert!(
            up.contains("op.add_column('t', sa.Column('name', sa.String(length=40), server_default=sa.text(\"'x'::character varying\"), nullable=False, comment='shown'))")
                || up.contains("sa.Column('name', sa.String(length=40)"),
            "{up}"
        );
        assert!(down.contains("op.drop_column('t', 'name')"), "{down}");
    }

    #[test]
    fn alter_column_states_the_existing_column() {
        let (up, down) = pg(
            "CREATE TABLE t (n int);",
            "CREATE TABLE t (n bigint NOT NULL);",
        );
        assert!(up.contains("op.alter_column('t', 'n',"), "{up}");
        assert!(up.contains("existing_type=sa.INTEGER()"), "{up}");
        assert!(up.contains("type_=sa.BigInteger()"), "{up}");
        assert!(up.contains("nullable=False"), "{up}");
        assert!(down.contains("type_=sa.INTEGER()"), "{down}");
        assert!(down.contains("nullable=True"), "{down}");
    }

    #[test]
    fn enum_columns_carry_their_type() {
        let (up, _) = pg(
            "CREATE TABLE t (id int);",
            "CREATE TYPE mood AS ENUM ('sad', 'ok');\nCREATE TABLE t (id int, m mood);",
        );
        // The type is created first and the column does not create it again.
        assert!(
            up.contains("postgresql.ENUM('sad', 'ok', name='mood').create(op.get_bind())"),
            "{up}"
        );
        assert!(
            up.contains("postgresql.ENUM('sad', 'ok', name='mood', create_type=False)"),
            "{up}"
        );
    }

    #[test]
    fn sqlite_alters_in_a_batch() {
        let (up, _) = sqlite(
            "CREATE TABLE t (n INTEGER);",
            "CREATE TABLE t (n INTEGER NOT NULL);",
        );
        assert!(
            up.contains("with op.batch_alter_table('t', schema=None) as batch_op:"),
            "{up}"
        );
        assert!(up.contains("batch_op.alter_column('n',"), "{up}");
    }
}

//! Ops as Alembic autogenerate writes them (shapes from Alembic 1.20's
//! `autogenerate/render.py`, checked against real Alembic in the tests).

use std::collections::BTreeSet;

use migdiff_model::{
    AlterColumn, CheckConstraint, Column, Dialect, DialectRender, ForeignKey, Index, IndexTarget,
    ModelHints, ObjectName, Op, PrimaryKey, Schema, Table, TypeStyle, UniqueConstraint, py_repr,
};
use migdiff_sqlexpr::{literal_default_text, quote_ident};

/// How to render a body.
pub struct RenderOptions<'a> {
    pub dialect: &'a dyn DialectRender,
    /// Changes to existing tables go into `batch_alter_table` blocks.
    pub batch: bool,
    /// What the declared models say beyond their DDL (SQLAlchemy sources).
    pub hints: Option<&'a ModelHints>,
}

/// A rendered upgrade or downgrade body: the lines between (and including)
/// Alembic's marker comments, and the import lines the types need.
pub struct Body {
    pub text: String,
    pub imports: BTreeSet<String>,
}

struct Ctx<'a> {
    opts: &'a RenderOptions<'a>,
    /// The schema the ops apply to, advanced op by op (for enum values and
    /// the state a downgrade renders from).
    state: Schema,
    /// Values created by this body are spelled like the declared schema in
    /// an upgrade, like the reflected database in a downgrade.
    new_style: TypeStyle,
    old_style: TypeStyle,
    imports: BTreeSet<String>,
    /// `op` or `batch_op`.
    prefix: &'static str,
}

/// `lower(code)`: an index key that needs no parentheses of its own (as
/// Alembic writes it); anything else (`a + b`, `x::text`) is wrapped.
fn is_function_call(expr: &str) -> bool {
    let Some(open) = expr.find('(') else {
        return false;
    };
    let name = &expr[..open];
    if name.is_empty()
        || name.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return false;
    }
    // The parenthesis opened after the name closes at the very end.
    migdiff_sqlexpr::paren_closes_at_end(expr, open)
}

fn s(text: &str) -> String {
    py_repr(text)
}

fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|i| s(i)).collect::<Vec<_>>().join(", ")
    )
}

impl Ctx<'_> {
    fn dialect(&self) -> Dialect {
        self.opts.dialect.dialect()
    }

    fn default_schema(&self) -> &'static str {
        self.dialect().default_schema()
    }

    fn schema_kw(&self, name: &ObjectName) -> Option<String> {
        (name.schema != self.default_schema()).then(|| format!("schema={}", s(&name.schema)))
    }

    /// A constraint or index name: reflected names, names from DDL or a
    /// database snapshot, and names a naming convention produced are final
    /// (`op.f`), so the project's convention cannot apply twice. A name
    /// SQLAlchemy models give by hand renders as they spell it.
    fn name(&self, name: &str, style: TypeStyle) -> String {
        let final_name = match (style, self.opts.hints) {
            (TypeStyle::Reflected, _) | (TypeStyle::Declared, None) => true,
            (TypeStyle::Declared, Some(h)) => !h.from_models || h.final_names.contains(name),
        };
        if final_name {
            format!("{}.f({})", self.prefix, s(name))
        } else {
            s(name)
        }
    }

    fn opt_name(&self, name: &Option<String>, style: TypeStyle) -> String {
        match name {
            Some(n) => self.name(n, style),
            None => "None".to_string(),
        }
    }

    fn ty(&mut self, t: &migdiff_model::DataType, style: TypeStyle) -> String {
        let p = self.opts.dialect.python_type(t, style, &self.state);
        if let Some(i) = p.import {
            self.imports.insert(i.to_string());
        }
        p.code
    }

    /// A declared expression as the declared source writes it (its
    /// canonical form otherwise, and for everything read from the database).
    fn spelling<'b>(&'b self, canonical: &'b str, style: TypeStyle) -> &'b str {
        match (style, self.opts.hints) {
            (TypeStyle::Declared, Some(h)) => {
                h.spellings.get(canonical).map_or(canonical, String::as_str)
            }
            _ => canonical,
        }
    }

    /// A server default, spelled for `style`.
    fn default_as(&self, expr: &str, style: TypeStyle) -> String {
        self.default(self.spelling(expr, style))
    }

    fn default(&self, expr: &str) -> String {
        match literal_default_text(expr, self.dialect()) {
            Some(text) => s(&text),
            None => format!("sa.text({})", s(&self.opts.dialect.default_sql(expr))),
        }
    }

    /// The type with the column's collation, as SQLAlchemy's string types
    /// take it; a declared column of `table` as its model spells it.
    fn column_type(&mut self, c: &Column, table: Option<&ObjectName>, style: TypeStyle) -> String {
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

    fn column(&mut self, c: &Column, table: Option<&Table>, style: TypeStyle) -> String {
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
    fn autoincrement(
        &self,
        c: &Column,
        table: Option<&Table>,
        style: TypeStyle,
    ) -> Option<&'static str> {
        if self.dialect() != Dialect::Postgresql || !c.data_type.is_integer() {
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

    fn deferrable_kw(&self, d: bool, i: bool, out: &mut Vec<String>) {
        if i {
            out.push("initially='DEFERRED'".into());
        }
        if d {
            out.push("deferrable=True".into());
        }
    }

    fn fk_target(&self, f: &ForeignKey) -> (Vec<String>, Option<String>) {
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

    fn fk_options(&self, f: &ForeignKey, out: &mut Vec<String>) {
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
    fn implicit(
        &self,
        table: &ObjectName,
        name: &Option<String>,
        cols: &[String],
        label: &str,
    ) -> bool {
        let Some(n) = name else { return true };
        if self.dialect() != Dialect::Postgresql {
            return false;
        }
        let expected = if label == "pkey" {
            migdiff_ddl::pg_default_name(&table.name, None, label)
        } else {
            migdiff_ddl::pg_default_name(&table.name, Some(cols), label)
        };
        *n == expected
    }

    fn table_constraints(&mut self, t: &Table, style: TypeStyle) -> Vec<String> {
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
                a.push("postgresql_nulls_not_distinct=True".into());
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

    fn create_table(&mut self, t: &Table, style: TypeStyle) -> String {
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
        format!("op.create_table({}\n)", args.join(",\n"))
    }

    /// Table name argument, left out inside a batch block.
    fn t(&self, table: &ObjectName) -> Option<String> {
        (self.prefix == "op").then(|| s(&table.name))
    }

    fn call(&self, func: &str, args: Vec<Option<String>>) -> String {
        let a: Vec<String> = args.into_iter().flatten().collect();
        format!("{}.{func}({})", self.prefix, a.join(", "))
    }

    fn schema_arg(&self, table: &ObjectName) -> Option<String> {
        if self.prefix == "op" {
            self.schema_kw(table)
        } else {
            None
        }
    }

    fn index_elements(&self, i: &Index) -> String {
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

    fn create_index(&self, table: &ObjectName, i: &Index, style: TypeStyle) -> String {
        let mut a = vec![
            Some(self.name(&i.name, style)),
            self.t(table),
            Some(self.index_elements(i)),
        ];
        a.push(Some(format!("unique={}", py_bool(i.unique))));
        a.push(self.schema_arg(table));
        let d = self.dialect().name();
        if i.method != "btree" && self.dialect() == Dialect::Postgresql {
            a.push(Some(format!("postgresql_using={}", s(&i.method))));
        }
        if !i.include.is_empty() {
            a.push(Some(format!("postgresql_include={}", list(&i.include))));
        }
        if i.nulls_not_distinct {
            a.push(Some("postgresql_nulls_not_distinct=True".into()));
        }
        if let Some(p) = &i.predicate {
            a.push(Some(format!(
                "{d}_where=sa.text({})",
                s(self.spelling(p, style))
            )));
        }
        // The models' options for the other dialects the folder serves.
        if style == TypeStyle::Declared
            && let Some(other) = self
                .opts
                .hints
                .and_then(|h| h.index_kwargs.get(&(table.clone(), i.name.clone())))
        {
            for (key, code) in other {
                a.push(Some(format!("{key}={code}")));
            }
        }
        self.call("create_index", a)
    }

    fn drop_constraint(
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
            Some(n)
                if (kind == "check" || kind == "foreignkey")
                    && self.prefix == "batch_op"
                    && self.dialect() == Dialect::Sqlite
                    && n.contains('"') =>
            {
                Some(n.replace('"', "\"\""))
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

    fn alter_column(&mut self, a: &AlterColumn) -> String {
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
    fn sql_only_type(&self, c: &Column, table: &ObjectName, style: TypeStyle) -> bool {
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

    fn execute_sql(&self, op: &Op) -> Vec<String> {
        self.opts
            .dialect
            .render_sql(std::slice::from_ref(op), &self.state)
            .into_iter()
            .map(|sql| format!("op.execute({})", s(&sql)))
            .collect()
    }

    /// The enum type for an explicit `.create()` or `.drop()`: as the
    /// models spell it when they are what is being created or dropped,
    /// else as Alembic spells a reflected enum.
    fn enum_ctor(&mut self, name: &ObjectName, values: &[String], style: TypeStyle) -> String {
        let sa_enum = style == TypeStyle::Declared && self.opts.hints.is_some_and(|h| h.sa_enum);
        let ctor = if sa_enum {
            "sa.Enum"
        } else {
            self.imports
                .insert("from sqlalchemy.dialects import postgresql".into());
            "postgresql.ENUM"
        };
        let mut a: Vec<String> = values.iter().map(|v| s(v)).collect();
        a.push(format!("name={}", s(&name.name)));
        if let Some(k) = self.schema_kw(name) {
            a.push(k);
        }
        format!("{ctor}({})", a.join(", "))
    }

    /// The lines for one op (may be several, or contain newlines).
    fn op_lines(&mut self, op: &Op) -> Vec<String> {
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
                vec![self.drop_constraint(table, &key.name, "foreignkey", old)]
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
                vec![self.call("drop_index", a)]
            }
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
            | Op::RecreateEnum { .. }
            | Op::CreateSequence(_)
            | Op::DropSequence(_)
            | Op::AlterSequence { .. } => self.execute_sql(op),
        }
    }

    fn create_pk(&self, table: &ObjectName, key: &PrimaryKey, style: TypeStyle) -> String {
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

    fn create_fk(&self, table: &ObjectName, f: &ForeignKey, style: TypeStyle) -> String {
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

    fn create_unique(&self, table: &ObjectName, u: &UniqueConstraint, style: TypeStyle) -> String {
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
            a.push(Some("postgresql_nulls_not_distinct=True".into()));
        }
        self.call("create_unique_constraint", a)
    }

    fn create_check(&self, table: &ObjectName, c: &CheckConstraint, style: TypeStyle) -> String {
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
}

/// SQLAlchemy 2.1 has no way to declare PostgreSQL 18's NOT ENFORCED or
/// temporal keys (WITHOUT OVERLAPS, PERIOD): such constraints are written
/// as SQL (`op.execute`).
fn fk_declarable(f: &ForeignKey) -> bool {
    !f.not_enforced && !f.period
}

/// Takes the items `keep` refuses out of `items`, in order.
fn take_unless<T>(items: &mut Vec<T>, keep: impl Fn(&T) -> bool) -> Vec<T> {
    let (kept, taken) = std::mem::take(items).into_iter().partition(|x| keep(x));
    *items = kept;
    taken
}

/// `t` without what SQLAlchemy cannot declare in a `create_table`, and the
/// ops that add it afterwards: PostgreSQL 18's constraints above, and
/// serial columns SQLAlchemy would create as plain integers (it makes only
/// a table's one autoincrement primary-key column SERIAL).
fn split_undeclarable(t: &Table) -> (Table, Vec<Op>) {
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

/// `sa.String(length=5)` with `collation='C'` added as a keyword.
fn with_collation(code: &str, collation: &str) -> String {
    match code.strip_suffix("()") {
        Some(head) => format!("{head}(collation={})", s(collation)),
        None => match code.strip_suffix(')') {
            Some(head) => format!("{head}, collation={})", s(collation)),
            None => code.to_string(),
        },
    }
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// Ops that change an existing table and so go into its batch block.
fn batchable(op: &Op) -> bool {
    !matches!(
        op,
        Op::CreateTable(_)
            | Op::DropTable(_)
            | Op::CreateSchema(_)
            | Op::DropSchema(_)
            | Op::CreateEnum(_)
            | Op::DropEnum(_)
            | Op::AddEnumValue { .. }
            | Op::RecreateEnum { .. }
            | Op::CreateSequence(_)
            | Op::DropSequence(_)
            | Op::AlterSequence { .. }
    )
}

/// Renders `ops` (applied to `start`) as an upgrade (`upgrade = true`) or
/// downgrade body, between Alembic's marker comments.
/// An index on plain columns, each in its default order and operator
/// class: what Alembic's batch rebuild can re-create by column name.
fn plain_keys(index: &Index) -> bool {
    index.keys.iter().all(|k| {
        matches!(k.target, IndexTarget::Column(_))
            && !k.descending
            && k.nulls_first.is_none()
            && k.opclass.is_none()
            && k.collation.is_none()
    })
}

pub fn render_body(ops: &[Op], start: &Schema, upgrade: bool, opts: &RenderOptions) -> Body {
    let (new_style, old_style) = if upgrade {
        (TypeStyle::Declared, TypeStyle::Reflected)
    } else {
        (TypeStyle::Reflected, TypeStyle::Declared)
    };
    let mut ctx = Ctx {
        opts,
        state: start.clone(),
        new_style,
        old_style,
        imports: BTreeSet::new(),
        prefix: "op",
    };
    let mut lines: Vec<String> =
        vec!["# ### commands auto generated by Alembic - please adjust! ###".into()];
    let mut i = 0;
    let mut emitted = 0;
    while i < ops.len() {
        let op = &ops[i];
        if opts.batch && batchable(op) {
            let Some(table) = op.table().cloned() else {
                i += 1;
                continue;
            };
            // Alembic's batch rebuild cannot copy a table with a generated
            // column (SQLite reflects the expression as empty, and the copy
            // inserts into the column), so adding and dropping columns of
            // such a table, which SQLite's ALTER TABLE does itself, stays
            // outside a batch block.
            let has_generated = ctx
                .state
                .tables
                .get(&table)
                .is_some_and(|t| t.columns.iter().any(|c| c.generated.is_some()));
            let block_end = (i..ops.len())
                .find(|&k| !(batchable(&ops[k]) && ops[k].table() == Some(&table)))
                .unwrap_or(ops.len());
            if has_generated
                && ops[i..block_end]
                    .iter()
                    .all(|o| matches!(o, Op::AddColumn { .. } | Op::DropColumn { .. }))
            {
                for o in &ops[i..block_end] {
                    let out = ctx.op_lines(o);
                    emitted += out.len();
                    lines.extend(out);
                    migdiff_model::apply(&mut ctx.state, o);
                }
                i = block_end;
                continue;
            }
            // Alembic's batch rebuild re-creates an index from its column
            // names: one on expressions or ordered keys (`lower(email)`,
            // `age DESC`) fails there (KeyError). SQLite creates and drops
            // indexes itself, so those go before and after the block.
            // A column of a type SQLAlchemy cannot name is added as SQL,
            // which runs at once: before the block, not inside it.
            let (before, rest): (Vec<&Op>, Vec<&Op>) =
                ops[i..block_end].iter().partition(|o| match o {
                    Op::DropIndex { index, .. } => !plain_keys(index),
                    Op::AddColumn { table, column } => {
                        ctx.sql_only_type(column, table, ctx.new_style)
                    }
                    _ => false,
                });
            let (after, block): (Vec<&Op>, Vec<&Op>) = rest
                .into_iter()
                .partition(|o| matches!(o, Op::CreateIndex { index, .. } if !plain_keys(index)));
            for o in before {
                let out = ctx.op_lines(o);
                emitted += out.len();
                lines.extend(out);
                migdiff_model::apply(&mut ctx.state, o);
            }
            // An unnamed unique or foreign key cannot be dropped or added by
            // name: the block gives the table a naming convention, so
            // Alembic's rebuild names the reflected constraints, and uses
            // the names that convention gives.
            // The rebuild copies every reflected column, and SQLite will
            // not take an INSERT into a generated column: the block drops
            // the table's generated columns first and adds them back last,
            // so the copy leaves them out and the new table computes them.
            let touched = |name: &str| {
                block.iter().any(|o| match o {
                    Op::AddColumn { column, .. } | Op::DropColumn { column, .. } => {
                        column.name == name
                    }
                    Op::AlterColumn(a) => a.from.name == name,
                    _ => false,
                })
            };
            let carried: Vec<Column> = ctx
                .state
                .tables
                .get(&table)
                .map(|t| {
                    t.columns
                        .iter()
                        .filter(|c| c.generated.is_some() && !touched(&c.name))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            let drops: Vec<Op> = carried
                .iter()
                .map(|column| Op::DropColumn {
                    table: table.clone(),
                    column: column.clone(),
                })
                .collect();
            let adds: Vec<Op> = carried
                .into_iter()
                .map(|column| Op::AddColumn {
                    table: table.clone(),
                    column,
                })
                .collect();
            let block: Vec<&Op> = if drops.is_empty() {
                block
            } else {
                drops.iter().chain(block).chain(adds.iter()).collect()
            };
            let mut convention: BTreeSet<&'static str> = BTreeSet::new();
            let named_ops: Vec<Op> = block
                .iter()
                .map(|o| name_unnamed(o, &mut convention))
                .collect();
            let mut inner: Vec<String> = Vec::new();
            ctx.prefix = "batch_op";
            for (named, op) in named_ops.iter().zip(&block) {
                inner.extend(ctx.op_lines(named));
                migdiff_model::apply(&mut ctx.state, op);
            }
            ctx.prefix = "op";
            let schema = if table.schema == ctx.default_schema() {
                "None".to_string()
            } else {
                s(&table.schema)
            };
            if !inner.is_empty() {
                let naming = if convention.is_empty() {
                    String::new()
                } else {
                    let entries: Vec<String> = convention
                        .iter()
                        .map(|k| format!("{}: {}", s(k), s(batch_convention(k))))
                        .collect();
                    format!(", naming_convention={{{}}}", entries.join(", "))
                };
                lines.push(format!(
                    "with op.batch_alter_table({}, schema={schema}{naming}) as batch_op:",
                    s(&table.name)
                ));
                for l in inner {
                    lines.push(indent_block(&l));
                }
                lines.push(String::new());
                emitted += 1;
            }
            for o in after {
                let out = ctx.op_lines(o);
                emitted += out.len();
                lines.extend(out);
                migdiff_model::apply(&mut ctx.state, o);
            }
            i = block_end;
            continue;
        }
        let out = ctx.op_lines(op);
        emitted += out.len();
        lines.extend(out);
        migdiff_model::apply(&mut ctx.state, op);
        i += 1;
    }
    if emitted == 0 {
        lines.push("pass".into());
    }
    lines.push("# ### end Alembic commands ###".into());
    // Alembic indents every line by four and strips the first (the
    // template supplies it); embedded newlines are kept as written.
    let text = lines
        .iter()
        .map(|l| {
            l.split('\n')
                .map(|part| format!("    {part}").trim_end().to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string();
    Body {
        text,
        imports: ctx.imports,
    }
}

/// Inside a batch block only the first line of an op moves right; its
/// continuation lines stay as written (Alembic's printer does the same).
/// The naming convention a batch block uses to name reflected unnamed
/// constraints (`uq`, `fk`), as Alembic's documentation recommends.
fn batch_convention(kind: &str) -> &'static str {
    match kind {
        "fk" => "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk" => "pk_%(table_name)s",
        _ => "uq_%(table_name)s_%(column_0_N_name)s",
    }
}

/// An unnamed primary key, unique constraint or foreign key in a batch block, with the
/// name the batch convention gives it (SQLAlchemy's `column_0_N_name` joins
/// the column names with `_`): a drop needs a name to find the reflected
/// constraint, and Alembic's batch rebuild refuses to add one without a
/// name. `kinds` collects the conventions needed.
fn name_unnamed(op: &Op, kinds: &mut BTreeSet<&'static str>) -> Op {
    let uq_name = |table: &ObjectName, u: &UniqueConstraint| {
        format!("uq_{}_{}", table.name, u.columns.join("_"))
    };
    let fk_name = |table: &ObjectName, k: &ForeignKey| {
        format!(
            "fk_{}_{}_{}",
            table.name,
            k.columns.join("_"),
            k.ref_table.name
        )
    };
    match op {
        Op::DropPrimaryKey { table, key } | Op::AddPrimaryKey { table, key }
            if key.name.is_none() =>
        {
            kinds.insert("pk");
            let mut key = key.clone();
            key.name = Some(format!("pk_{}", table.name));
            let table = table.clone();
            if matches!(op, Op::DropPrimaryKey { .. }) {
                Op::DropPrimaryKey { table, key }
            } else {
                Op::AddPrimaryKey { table, key }
            }
        }
        Op::DropUnique { table, unique } | Op::AddUnique { table, unique }
            if unique.name.is_none() =>
        {
            kinds.insert("uq");
            let mut unique = unique.clone();
            unique.name = Some(uq_name(table, &unique));
            let table = table.clone();
            if matches!(op, Op::DropUnique { .. }) {
                Op::DropUnique { table, unique }
            } else {
                Op::AddUnique { table, unique }
            }
        }
        Op::DropForeignKey { table, key } | Op::AddForeignKey { table, key }
            if key.name.is_none() =>
        {
            kinds.insert("fk");
            let mut key = key.clone();
            key.name = Some(fk_name(table, &key));
            let table = table.clone();
            if matches!(op, Op::DropForeignKey { .. }) {
                Op::DropForeignKey { table, key }
            } else {
                Op::AddForeignKey { table, key }
            }
        }
        other => other.clone(),
    }
}

fn indent_block(text: &str) -> String {
    format!("    {text}")
}

#[cfg(test)]
mod tests {
    use super::is_function_call;

    #[test]
    fn index_keys_that_need_no_parentheses() {
        for bare in [
            "lower(code)",
            "public.f(a, (b + 1))",
            "coalesce(x, ')')",
            "f('it''s')",
        ] {
            assert!(is_function_call(bare), "{bare}");
        }
        for wrapped in [
            "a + b",
            "(a)",
            "lower(a) || lower(b)",
            "(code)::text",
            "lower(code)::text",
            "\"f\"(x)",
            "1(x)",
        ] {
            assert!(!is_function_call(wrapped), "{wrapped}");
        }
    }
}

//! MySQL DDL for ops: what `migdiff diff --format sql` prints and what a
//! throwaway database runs. A column is changed with `MODIFY`, which
//! restates it whole; a dropped foreign key takes the index the server
//! made for it along.

use migdiff_model::*;
use migdiff_sqlexpr::{quote_ident, type_sql};

use crate::DIALECT as D;
use crate::normalize::index_left_by;

fn ident(s: &str) -> String {
    quote_ident(s, D)
}

/// A table name: MySQL compares one database, so tables go unqualified.
fn table_name(n: &ObjectName) -> String {
    ident(&n.name)
}

fn idents(cols: &[String]) -> String {
    cols.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ")
}

/// A string literal: MySQL's default SQL mode reads backslashes in one
/// as escapes, so they are doubled along with the quotes.
pub fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

/// A default as a column definition takes it: MySQL 8 and MariaDB take an
/// expression other than a literal or CURRENT_TIMESTAMP in parentheses.
pub fn default_sql(d: &str) -> String {
    let literal = d.starts_with('\'')
        || d.parse::<f64>().is_ok()
        || d.eq_ignore_ascii_case("null")
        || d.to_ascii_uppercase().starts_with("CURRENT_TIMESTAMP");
    if literal || (d.starts_with('(') && d.ends_with(')')) {
        d.to_string()
    } else {
        format!("({d})")
    }
}

pub fn column_sql(c: &Column) -> String {
    let mut s = format!("{} {}", ident(&c.name), type_sql(&c.data_type, D));
    if let Some(coll) = &c.collation {
        s.push_str(&format!(" COLLATE {}", ident(coll)));
    }
    if let Some(g) = &c.generated {
        s.push_str(&format!(
            " GENERATED ALWAYS AS ({}) {}",
            g.expr,
            if g.stored { "STORED" } else { "VIRTUAL" }
        ));
    }
    if let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {}", default_sql(d)));
    }
    s.push_str(if c.nullable { " NULL" } else { " NOT NULL" });
    if c.serial {
        s.push_str(" AUTO_INCREMENT");
    }
    if let Some(text) = &c.comment {
        s.push_str(&format!(" COMMENT {}", quote_literal(text)));
    }
    s
}

fn named(name: &Option<String>) -> String {
    name.as_ref()
        .map(|n| format!("CONSTRAINT {} ", ident(n)))
        .unwrap_or_default()
}

pub fn fk_sql(f: &ForeignKey) -> String {
    let mut s = format!(
        "{}FOREIGN KEY ({}) REFERENCES {} ({})",
        if f.auto_name {
            String::new()
        } else {
            named(&f.name)
        },
        idents(&f.columns),
        table_name(&f.ref_table),
        idents(&f.ref_columns)
    );
    if f.on_update != FkAction::NoAction {
        s.push_str(&format!(" ON UPDATE {}", f.on_update.sql()));
    }
    if f.on_delete != FkAction::NoAction {
        s.push_str(&format!(" ON DELETE {}", f.on_delete.sql()));
    }
    s
}

fn unique_sql(u: &UniqueConstraint) -> String {
    format!(
        "{}UNIQUE ({})",
        if u.auto_name {
            String::new()
        } else {
            named(&u.name)
        },
        idents(&u.columns)
    )
}

fn check_sql(c: &CheckConstraint) -> String {
    format!(
        "{}CHECK ({})",
        if c.auto_name {
            String::new()
        } else {
            named(&c.name)
        },
        c.expr
    )
}

fn pk_sql(p: &PrimaryKey) -> String {
    format!("PRIMARY KEY ({})", idents(&p.columns))
}

fn index_keys(i: &Index) -> String {
    i.keys
        .iter()
        .map(|k| {
            let mut s = match &k.target {
                IndexTarget::Column(c) => ident(c),
                IndexTarget::Expression(e) => format!("({e})"),
            };
            if let Some(n) = k.prefix_length {
                s.push_str(&format!("({n})"));
            }
            if k.descending {
                s.push_str(" DESC");
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn index_sql(table: &ObjectName, i: &Index) -> String {
    let kind = match i.method.as_str() {
        "fulltext" => "FULLTEXT ",
        "spatial" => "SPATIAL ",
        _ if i.unique => "UNIQUE ",
        _ => "",
    };
    let using = match i.method.as_str() {
        "hash" => " USING HASH",
        _ => "",
    };
    format!(
        "CREATE {kind}INDEX {}{using} ON {} ({})",
        ident(&i.name),
        table_name(table),
        index_keys(i)
    )
}

fn alter(table: &ObjectName, what: String) -> String {
    format!("ALTER TABLE {} {what}", table_name(table))
}

/// `CREATE TABLE` with its keys and comments (indexes are their own ops).
pub fn create_table_sql(t: &Table) -> String {
    let mut parts: Vec<String> = t.columns.iter().map(column_sql).collect();
    if let Some(pk) = &t.primary_key {
        parts.push(pk_sql(pk));
    }
    parts.extend(t.uniques.iter().map(unique_sql));
    parts.extend(t.checks.iter().map(check_sql));
    parts.extend(t.foreign_keys.iter().map(fk_sql));
    let mut sql = format!(
        "CREATE TABLE {} (\n    {}\n)",
        table_name(&t.name),
        parts.join(",\n    ")
    );
    sql.push_str(&charset_sql(&t.charset));
    if let Some(c) = &t.comment {
        sql.push_str(&format!(" COMMENT={}", quote_literal(c)));
    }
    sql
}

/// ` DEFAULT CHARSET=… COLLATE=…`, what of it is set.
fn charset_sql(c: &TableCharset) -> String {
    let mut s = String::new();
    if let Some(cs) = &c.charset {
        s.push_str(&format!(" DEFAULT CHARSET={}", ident(cs)));
    }
    if let Some(coll) = &c.collation {
        s.push_str(&format!(" COLLATE={}", ident(coll)));
    }
    s
}

fn drop_named(table: &ObjectName, what: &str, name: &Option<String>) -> String {
    match name {
        Some(n) => alter(table, format!("DROP {what} {}", ident(n))),
        None => format!(
            "-- migdiff: an unnamed constraint on {} cannot be dropped by name",
            table_name(table)
        ),
    }
}

/// SQL statements (without trailing semicolons) for each op, applied in
/// order to `current`.
pub fn render_sql(ops: &[Op], current: &Schema) -> Vec<String> {
    let mut state = current.clone();
    let mut out = Vec::new();
    for op in ops {
        op_sql(op, &state, &mut out);
        apply(&mut state, op);
    }
    out
}

fn op_sql(op: &Op, state: &Schema, out: &mut Vec<String>) {
    match op {
        // MySQL has no schemas, enum types or sequences of its own: the
        // diff never makes these ops for it.
        Op::CreateSchema(_)
        | Op::DropSchema(_)
        | Op::CreateEnum(_)
        | Op::DropEnum(_)
        | Op::AddEnumValue { .. }
        | Op::RecreateEnum { .. }
        | Op::CreateSequence(_)
        | Op::DropSequence(_)
        | Op::AlterSequence { .. }
        // Objects beyond tables are read on PostgreSQL only so far
        // (DialectSpec::reads_objects): the diff never makes these for it.
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
        | Op::RenamePrimaryKey { .. } => {}
        Op::CreateTable(t) => out.push(create_table_sql(t)),
        Op::DropTable(t) => out.push(format!("DROP TABLE {}", table_name(&t.name))),
        Op::AddColumn { table, column } => {
            out.push(alter(table, format!("ADD COLUMN {}", column_sql(column))))
        }
        Op::DropColumn { table, column } => {
            out.push(alter(table, format!("DROP COLUMN {}", ident(&column.name))))
        }
        Op::AlterColumn(a) => out.push(alter(&a.table, format!("MODIFY {}", column_sql(&a.to)))),
        Op::AddPrimaryKey { table, key } => out.push(alter(table, format!("ADD {}", pk_sql(key)))),
        Op::DropPrimaryKey { table, .. } => out.push(alter(table, "DROP PRIMARY KEY".into())),
        Op::AddForeignKey { table, key } => out.push(alter(table, format!("ADD {}", fk_sql(key)))),
        Op::DropForeignKey { table, key } => {
            out.push(drop_named(table, "FOREIGN KEY", &key.name));
            if let Some(index) = state.tables.get(table).and_then(|t| index_left_by(t, key)) {
                out.push(alter(table, format!("DROP INDEX {}", ident(&index))));
            }
        }
        Op::AddUnique { table, unique } => {
            out.push(alter(table, format!("ADD {}", unique_sql(unique))))
        }
        Op::DropUnique { table, unique } => out.push(drop_named(table, "INDEX", &unique.name)),
        Op::AddCheck { table, check } => {
            out.push(alter(table, format!("ADD {}", check_sql(check))))
        }
        // DROP CONSTRAINT: MariaDB's spelling, and MySQL's from 8.0.19.
        Op::DropCheck { table, check } => out.push(drop_named(table, "CONSTRAINT", &check.name)),
        Op::CreateIndex { table, index } => out.push(index_sql(table, index)),
        Op::DropIndex { table, index } => out.push(format!(
            "DROP INDEX {} ON {}",
            ident(&index.name),
            table_name(table)
        )),
        Op::SetTableComment { table, to, .. } => out.push(alter(
            table,
            format!("COMMENT = {}", quote_literal(to.as_deref().unwrap_or(""))),
        )),
        // What new columns take; existing ones keep theirs (CONVERT TO
        // would rewrite them, and is not what a changed default means).
        Op::SetTableCharset { table, to, .. } if !to.is_unset() => {
            out.push(alter(table, charset_sql(to).trim_start().to_string()))
        }
        Op::SetTableCharset { .. } => {}
        Op::RenameColumn { table, from, to } => out.push(alter(
            table,
            format!("RENAME COLUMN {} TO {}", ident(from), ident(to)),
        )),
    }
}

/// An online migration's first statement: a statement waiting for a
/// metadata lock gives up after 5 seconds (the default is a year) instead
/// of stalling every query queued behind it.
pub const ONLINE_PREAMBLE: &str = "SET SESSION lock_wait_timeout = 5";

/// InnoDB's online DDL clause: the server runs the change without
/// blocking reads or writes, or refuses at once (it never falls back to
/// copying the table under a lock).
const ONLINE: &str = ", ALGORITHM=INPLACE, LOCK=NONE";

/// The rule `op` breaks on a busy MySQL or MariaDB table: what the server
/// can only do by copying the table under a lock (a type change, a foreign
/// key or CHECK to validate, a stored generated or auto-increment column,
/// a primary key dropped, a full-text index). `None`: it runs in place.
pub fn online_refusal(op: &Op) -> Option<Rule> {
    match op {
        Op::AlterColumn(a)
            if a.type_changed() && op.hazards().contains(&Rule::ChangingColumnType) =>
        {
            Some(Rule::ChangingColumnType)
        }
        Op::AddForeignKey { .. } => Some(Rule::AddingForeignKeyConstraint),
        Op::AddCheck { .. } => Some(Rule::ConstraintMissingNotValid),
        Op::DropPrimaryKey { .. } => Some(Rule::AddingPrimaryKeyConstraint),
        Op::AddColumn { column, .. }
            if column.serial || column.generated.as_ref().is_some_and(|g| g.stored) =>
        {
            Some(Rule::AddingFieldWithDefault)
        }
        Op::CreateIndex { index, .. }
            if index.method == "fulltext" || index.method == "spatial" =>
        {
            Some(Rule::RequireConcurrentIndexCreation)
        }
        _ => None,
    }
}

/// `op` as SQL MySQL and MariaDB run without blocking writes; the rule it
/// breaks where they cannot ([`online_refusal`]).
pub fn online_sql(op: &Op, state: &Schema) -> Result<Vec<String>, Rule> {
    // A new table blocks nobody; dropping one takes its lock briefly.
    if matches!(op, Op::CreateTable(_) | Op::DropTable(_)) {
        let mut out = Vec::new();
        op_sql(op, state, &mut out);
        return Ok(out);
    }
    if let Some(rule) = online_refusal(op) {
        return Err(rule);
    }
    let mut out = Vec::new();
    match op {
        // As ALTER TABLE, which takes the clause on both servers.
        Op::CreateIndex { table, index } => {
            let kind = if index.unique { "UNIQUE " } else { "" };
            let using = if index.method == "hash" {
                " USING HASH"
            } else {
                ""
            };
            out.push(alter(
                table,
                format!(
                    "ADD {kind}INDEX {}{using} ({})",
                    ident(&index.name),
                    index_keys(index)
                ),
            ));
        }
        Op::DropIndex { table, index } => {
            out.push(alter(table, format!("DROP INDEX {}", ident(&index.name))))
        }
        _ => op_sql(op, state, &mut out),
    }
    Ok(out
        .into_iter()
        .map(|sql| {
            if sql.starts_with("ALTER TABLE ") {
                format!("{sql}{ONLINE}")
            } else {
                sql
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn online_forms_or_the_rule_that_stops_them() {
        use migdiff_model::{Column, IndexKey};
        let table = ObjectName::new("default", "t");
        let state = Schema::default();
        let index = migdiff_model::Index {
            name: "ix_a".into(),
            unique: false,
            keys: vec![IndexKey::column("a")],
            predicate: None,
            method: "btree".into(),
            include: Vec::new(),
            nulls_not_distinct: false,
        };
        let create = Op::CreateIndex {
            table: table.clone(),
            index: index.clone(),
        };
        assert_eq!(
            online_sql(&create, &state),
            Ok(vec![
                "ALTER TABLE t ADD INDEX ix_a (a), ALGORITHM=INPLACE, LOCK=NONE".to_string()
            ])
        );
        let fulltext = Op::CreateIndex {
            table: table.clone(),
            index: migdiff_model::Index {
                method: "fulltext".into(),
                ..index
            },
        };
        assert_eq!(
            online_sql(&fulltext, &state),
            Err(Rule::RequireConcurrentIndexCreation)
        );
        let mut from = Column::new("a", migdiff_model::DataType::Integer);
        from.nullable = true;
        let to = Column {
            data_type: migdiff_model::DataType::BigInt,
            ..from.clone()
        };
        let alter = Op::AlterColumn(migdiff_model::AlterColumn { table, from, to });
        assert_eq!(online_sql(&alter, &state), Err(Rule::ChangingColumnType));
    }

    #[test]
    fn defaults_and_literals() {
        assert_eq!(default_sql("'a'"), "'a'");
        assert_eq!(default_sql("1.50"), "1.50");
        assert_eq!(default_sql("CURRENT_TIMESTAMP"), "CURRENT_TIMESTAMP");
        assert_eq!(default_sql("uuid()"), "(uuid())");
        assert_eq!(quote_literal("it's \\ ok"), "'it''s \\\\ ok'");
    }

    #[test]
    fn a_column_is_restated_whole() {
        let mut c = Column::new("email", DataType::Varchar { length: Some(100) });
        c.nullable = false;
        c.default = Some("'x'".into());
        assert_eq!(column_sql(&c), "email VARCHAR(100) DEFAULT 'x' NOT NULL");
        let mut id = Column::new("ID", DataType::Integer);
        id.serial = true;
        id.nullable = false;
        assert_eq!(column_sql(&id), "`ID` INTEGER NOT NULL AUTO_INCREMENT");
    }
}

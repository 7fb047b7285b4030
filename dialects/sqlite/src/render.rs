//! SQLite DDL for ops. What ALTER TABLE can do (add a plain column, rename a
//! column) it does; every other change to an existing table is the rebuild
//! SQLite's documentation gives: create the new shape, copy the rows, drop
//! the old table, rename, recreate the indexes.

use migdiff_model::*;
use migdiff_sqlexpr::{quote_ident, type_sql};

const D: Dialect = crate::DIALECT;

fn ident(s: &str) -> String {
    quote_ident(s, D)
}

fn idents(cols: &[String]) -> String {
    cols.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ")
}

fn named(name: &Option<String>) -> String {
    name.as_ref()
        .map(|n| format!("CONSTRAINT {} ", ident(n)))
        .unwrap_or_default()
}

fn column_sql(c: &Column, inline_pk: bool) -> String {
    let ty = match &c.type_as_written {
        Some(written) => written.clone(),
        None => type_sql(&c.data_type, D),
    };
    let mut s = format!("{} {ty}", ident(&c.name));
    if inline_pk {
        s.push_str(" PRIMARY KEY AUTOINCREMENT");
    }
    if !c.nullable {
        s.push_str(" NOT NULL");
    }
    if let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {}", default_sql(d)));
    }
    if let Some(g) = &c.generated {
        s.push_str(&format!(
            " GENERATED ALWAYS AS ({}) {}",
            g.expr,
            if g.stored { "STORED" } else { "VIRTUAL" }
        ));
    }
    s
}

/// SQLite wants anything but a literal default in parentheses; keywords
/// such as CURRENT_TIMESTAMP are parenthesized too, as SQLAlchemy writes them.
pub fn default_sql(d: &str) -> String {
    let literal = d.starts_with('\'')
        || d.parse::<f64>().is_ok()
        || matches!(d.to_ascii_uppercase().as_str(), "NULL" | "TRUE" | "FALSE");
    if literal || parenthesized(d) {
        d.to_string()
    } else {
        format!("({d})")
    }
}

/// Whether `d` is one parenthesized expression already, `(CURRENT_TIMESTAMP)`
/// as the DDL spelled it (not `(a) + (b)`): wrapping it again would read
/// `((CURRENT_TIMESTAMP))`.
fn parenthesized(d: &str) -> bool {
    migdiff_sqlexpr::paren_closes_at_end(d, 0)
}

fn fk_sql(f: &ForeignKey) -> String {
    let mut s = format!(
        "{}FOREIGN KEY({}) REFERENCES {} ({})",
        named(&f.name),
        idents(&f.columns),
        ident(&f.ref_table.name),
        idents(&f.ref_columns)
    );
    if f.on_update != FkAction::NoAction {
        s.push_str(&format!(" ON UPDATE {}", f.on_update.sql()));
    }
    if f.on_delete != FkAction::NoAction {
        s.push_str(&format!(" ON DELETE {}", f.on_delete.sql()));
    }
    if f.deferrable {
        s.push_str(if f.initially_deferred {
            " DEFERRABLE INITIALLY DEFERRED"
        } else {
            " DEFERRABLE"
        });
    }
    s
}

pub fn create_table_sql(t: &Table, name: &str) -> String {
    let inline_pk =
        t.sqlite_autoincrement && t.primary_key.as_ref().is_some_and(|p| p.columns.len() == 1);
    let pk_col = t
        .primary_key
        .as_ref()
        .and_then(|p| p.columns.first())
        .cloned();
    let mut parts: Vec<String> = t
        .columns
        .iter()
        .map(|c| column_sql(c, inline_pk && pk_col.as_ref() == Some(&c.name)))
        .collect();
    if let Some(pk) = &t.primary_key
        && !inline_pk
    {
        parts.push(format!(
            "{}PRIMARY KEY ({})",
            named(&pk.name),
            idents(&pk.columns)
        ));
    }
    for u in &t.uniques {
        parts.push(format!("{}UNIQUE ({})", named(&u.name), idents(&u.columns)));
    }
    for c in &t.checks {
        parts.push(format!("{}CHECK ({})", named(&c.name), c.expr));
    }
    for f in &t.foreign_keys {
        parts.push(fk_sql(f));
    }
    format!(
        "CREATE TABLE {} (\n    {}\n)",
        ident(name),
        parts.join(",\n    ")
    )
}

pub fn index_sql(table: &str, i: &Index) -> String {
    let keys: Vec<String> = i
        .keys
        .iter()
        .map(|k| {
            let mut s = match &k.target {
                IndexTarget::Column(c) => ident(c),
                IndexTarget::Expression(e) => e.clone(),
            };
            if k.descending {
                s.push_str(" DESC");
            }
            s
        })
        .collect();
    let mut s = format!(
        "CREATE {}INDEX {} ON {} ({})",
        if i.unique { "UNIQUE " } else { "" },
        ident(&i.name),
        ident(table),
        keys.join(", ")
    );
    if let Some(p) = &i.predicate {
        s.push_str(&format!(" WHERE {p}"));
    }
    s
}

/// True when ALTER TABLE can make the change without a rebuild.
fn simple_alter(op: &Op) -> bool {
    match op {
        Op::AddColumn { column, .. } => {
            (column.nullable || column.default.is_some())
                && column.generated.as_ref().is_none_or(|g| !g.stored)
        }
        Op::RenameColumn { .. } | Op::CreateIndex { .. } | Op::DropIndex { .. } => true,
        _ => false,
    }
}

fn rebuild(old: &Table, new: &Table, renames: &[(String, String)]) -> Vec<String> {
    let tmp = format!("_migdiff_tmp_{}", new.name.name);
    let mut out = vec![create_table_sql(new, &tmp)];
    // Columns present before and after carry their rows over.
    let mut to_cols = Vec::new();
    let mut from_cols = Vec::new();
    for c in &new.columns {
        let source = renames
            .iter()
            .find(|(_, to)| *to == c.name)
            .map(|(from, _)| from.clone())
            .unwrap_or_else(|| c.name.clone());
        if old.column(&source).is_some() {
            to_cols.push(ident(&c.name));
            from_cols.push(ident(&source));
        }
    }
    out.push(format!(
        "INSERT INTO {} ({}) SELECT {} FROM {}",
        ident(&tmp),
        to_cols.join(", "),
        from_cols.join(", "),
        ident(&old.name.name)
    ));
    out.push(format!("DROP TABLE {}", ident(&old.name.name)));
    out.push(format!(
        "ALTER TABLE {} RENAME TO {}",
        ident(&tmp),
        ident(&new.name.name)
    ));
    for i in &new.indexes {
        out.push(index_sql(&new.name.name, i));
    }
    out
}

/// A view's or trigger's statement without its trailing semicolon.
fn object_statement(as_written: Option<&str>, definition: &str) -> String {
    as_written
        .unwrap_or(definition)
        .trim()
        .trim_end_matches(';')
        .trim_end()
        .to_string()
}

/// SQL statements for `ops`, applied in order to `current`.
pub fn render_sql(ops: &[Op], current: &Schema) -> Vec<String> {
    let mut state = current.clone();
    let mut out = Vec::new();
    let mut i = 0;
    while i < ops.len() {
        let op = &ops[i];
        match op {
            Op::CreateTable(t) => out.push(create_table_sql(t, &t.name.name)),
            Op::DropTable(t) => out.push(format!("DROP TABLE {}", ident(&t.name.name))),
            Op::CreateIndex { table, index } => out.push(index_sql(&table.name, index)),
            Op::DropIndex { index, .. } => out.push(format!("DROP INDEX {}", ident(&index.name))),
            Op::AddColumn { table, column } if simple_alter(op) => out.push(format!(
                "ALTER TABLE {} ADD COLUMN {}",
                ident(&table.name),
                column_sql(column, false)
            )),
            Op::RenameColumn { table, from, to } => out.push(format!(
                "ALTER TABLE {} RENAME COLUMN {} TO {}",
                ident(&table.name),
                ident(from),
                ident(to)
            )),
            // Views and triggers as SQLite keeps them: the statement as
            // written (it is what sqlite_schema holds).
            Op::CreateView(v) => out.push(object_statement(v.as_written.as_deref(), &v.query)),
            Op::DropView(v) => out.push(format!("DROP VIEW {}", ident(&v.name.name))),
            Op::CreateTrigger(t) => {
                out.push(object_statement(t.as_written.as_deref(), &t.definition))
            }
            Op::DropTrigger(t) => out.push(format!("DROP TRIGGER {}", ident(&t.id.name))),
            other => {
                let Some(table) = other.table().cloned() else {
                    // Schemas, enums, sequences and comments do not exist in SQLite.
                    apply(&mut state, other);
                    i += 1;
                    continue;
                };
                // Every consecutive change to this table goes into one rebuild.
                let Some(old) = state.tables.get(&table).cloned() else {
                    i += 1;
                    continue;
                };
                let mut j = i;
                let mut scratch = state.clone();
                while j < ops.len()
                    && ops[j].table() == Some(&table)
                    && !matches!(ops[j], Op::CreateTable(_) | Op::DropTable(_))
                {
                    apply(&mut scratch, &ops[j]);
                    j += 1;
                }
                let renames: Vec<(String, String)> = ops[i..j]
                    .iter()
                    .filter_map(|o| match o {
                        Op::RenameColumn { from, to, .. } => Some((from.clone(), to.clone())),
                        _ => None,
                    })
                    .collect();
                if let Some(new) = scratch.tables.get(&table) {
                    let only_comments = ops[i..j].iter().all(|o| {
                        matches!(o, Op::SetTableComment { .. } | Op::SetTableCharset { .. })
                    });
                    if !only_comments {
                        out.extend(rebuild(&old, new, &renames));
                    }
                }
                state = scratch;
                i = j;
                continue;
            }
        }
        apply(&mut state, op);
        i += 1;
    }
    if out.iter().any(|s| s.starts_with("INSERT INTO ")) {
        // SQLite's documented rebuild procedure: with foreign keys enforced,
        // dropping the old table would cascade into (or fail on) the rows
        // that reference it. PRAGMA foreign_keys is ignored inside a
        // transaction, so this SQL is meant to run statement by statement.
        out.insert(0, "PRAGMA foreign_keys=OFF".to_string());
        out.push("PRAGMA foreign_key_check".to_string());
        out.push("PRAGMA foreign_keys=ON".to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::default_sql;

    #[test]
    fn an_expression_default_is_parenthesized_once() {
        assert_eq!(default_sql("CURRENT_TIMESTAMP"), "(CURRENT_TIMESTAMP)");
        assert_eq!(default_sql("(CURRENT_TIMESTAMP)"), "(CURRENT_TIMESTAMP)");
        assert_eq!(default_sql("(a) + (b)"), "((a) + (b))");
        assert_eq!(default_sql("(')' || x)"), "(')' || x)");
        assert_eq!(default_sql("'x'"), "'x'");
        assert_eq!(default_sql("7.5"), "7.5");
    }
}

use crate::model::*;
use crate::ops::{AlterColumn, EnumUsage, Op};
use crate::order::order_ops;
use crate::types::DataType;

/// What the diff compares, beyond the model itself.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Column renames the user asked for: (table, old name, new name).
    pub column_renames: Vec<(ObjectName, String, String)>,
    /// Group each table's changes together (SQLite batch mode) instead of
    /// ordering by phase across tables.
    pub group_by_table: bool,
    /// Alembic's `compare_type = False`: a column's type is not compared.
    pub ignore_types: bool,
    /// Alembic's `compare_server_default = False`: server defaults are not
    /// compared.
    pub ignore_server_defaults: bool,
    /// A column collation the declared side does not state is not
    /// compared (MySQL gives every string column one, from its table).
    pub ignore_unstated_collations: bool,
    /// Compare the owners of views, functions and domains where the
    /// declared side states one (`compare_owners = true`). Off: owners are
    /// neither compared nor written.
    pub compare_owners: bool,
    /// Changing an existing table rebuilds it (SQLite's batch mode): the
    /// triggers on it and the views over it are made again around it.
    pub tables_rebuilt_by_alter: bool,
}

/// The ops that turn `current` into `target`, in executable order.
///
/// Pure and deterministic: inputs are ordered maps, and every list this
/// builds is sorted before it is returned.
pub fn diff(current: &Schema, target: &Schema, options: &DiffOptions) -> Vec<Op> {
    let mut ops = Vec::new();
    let adjusted;
    let target = if options.ignore_types
        || options.ignore_server_defaults
        || options.ignore_unstated_collations
    {
        adjusted = without_ignored_differences(current, target, options);
        &adjusted
    } else {
        target
    };

    for s in target.schemas.difference(&current.schemas) {
        ops.push(Op::CreateSchema(s.clone()));
    }
    for s in current.schemas.difference(&target.schemas) {
        ops.push(Op::DropSchema(s.clone()));
    }

    diff_enums(current, target, &mut ops);

    for (name, seq) in &target.sequences {
        match current.sequences.get(name) {
            None => ops.push(Op::CreateSequence(seq.clone())),
            Some(old) if old != seq => ops.push(Op::AlterSequence {
                from: old.clone(),
                to: seq.clone(),
            }),
            Some(_) => {}
        }
    }
    for (name, seq) in &current.sequences {
        if !target.sequences.contains_key(name) {
            ops.push(Op::DropSequence(seq.clone()));
        }
    }

    for (name, table) in &target.tables {
        match current.tables.get(name) {
            None => ops.push(Op::CreateTable(table.clone())),
            Some(old) => diff_table(old, table, options, &mut ops),
        }
    }
    for (name, table) in &current.tables {
        if !target.tables.contains_key(name) {
            ops.push(Op::DropTable(table.clone()));
        }
    }

    rebuild_dependent_foreign_keys(current, target, &mut ops);
    if options.compare_owners {
        crate::diff_objects::diff_objects(current, target, &mut ops, options);
        crate::diff_objects::diff_owners(current, target, &mut ops);
    } else {
        crate::diff_objects::diff_objects(
            &crate::diff_objects::without_owners(current),
            &crate::diff_objects::without_owners(target),
            &mut ops,
            options,
        );
    }
    order_ops(ops, options.group_by_table)
}

/// `target` with the live type and default of every existing column whose
/// comparison is switched off, so no op comes of them.
fn without_ignored_differences(current: &Schema, target: &Schema, options: &DiffOptions) -> Schema {
    let mut target = target.clone();
    for (name, table) in &mut target.tables {
        let Some(live) = current.tables.get(name) else {
            continue;
        };
        // A table's character set and collation, where the declared side
        // does not say, are whatever the database has; a collation left
        // out goes with the character set it belongs to.
        if options.ignore_unstated_collations {
            let declared = &mut table.charset;
            if declared.charset.is_none() {
                declared.charset = live.charset.charset.clone();
            }
            if declared.collation.is_none() && declared.charset == live.charset.charset {
                declared.collation = live.charset.collation.clone();
            }
        }
        for column in &mut table.columns {
            let Some(old) = live.column(&column.name) else {
                continue;
            };
            if options.ignore_types {
                column.data_type = old.data_type.clone();
            }
            if options.ignore_server_defaults {
                column.default = old.default.clone();
            }
            if options.ignore_unstated_collations && column.collation.is_none() {
                column.collation = old.collation.clone();
            }
        }
    }
    target
}

/// A primary key or unique constraint cannot be dropped while a foreign key
/// depends on it: such foreign keys are dropped first and added back after
/// the key is rebuilt (when the target still has them).
fn rebuild_dependent_foreign_keys(current: &Schema, target: &Schema, ops: &mut Vec<Op>) {
    let mut dropped_keys: Vec<(ObjectName, Vec<String>)> = Vec::new();
    for op in ops.iter() {
        match op {
            Op::DropPrimaryKey { table, key } => {
                dropped_keys.push((table.clone(), key.columns.clone()))
            }
            Op::DropUnique { table, unique } => {
                dropped_keys.push((table.clone(), unique.columns.clone()))
            }
            _ => {}
        }
    }
    let same_set = |a: &[String], b: &[String]| {
        let mut a = a.to_vec();
        let mut b = b.to_vec();
        a.sort();
        b.sort();
        a == b
    };
    for (key_table, key_cols) in dropped_keys {
        for table in current.tables.values() {
            for fk in &table.foreign_keys {
                if fk.ref_table != key_table || !same_set(&fk.ref_columns, &key_cols) {
                    continue;
                }
                let already = ops.iter().any(|o| {
                    matches!(o, Op::DropForeignKey { table: t, key } if *t == table.name && key == fk)
                }) || !target.tables.contains_key(&table.name);
                if already {
                    continue;
                }
                ops.push(Op::DropForeignKey {
                    table: table.name.clone(),
                    key: fk.clone(),
                });
                let readd = target.tables.get(&table.name).and_then(|t| {
                    t.foreign_keys.iter().find(|f| {
                        (f.auto_name || f.name == fk.name) && f.signature() == fk.signature()
                    })
                });
                if let Some(f) = readd {
                    let exists = ops.iter().any(|o| {
                        matches!(o, Op::AddForeignKey { table: t, key } if *t == table.name && key == f)
                    });
                    if !exists {
                        ops.push(Op::AddForeignKey {
                            table: table.name.clone(),
                            key: f.clone(),
                        });
                    }
                }
            }
        }
    }
}

fn enum_usages(schema: &Schema, name: &ObjectName) -> Vec<EnumUsage> {
    let mut out = Vec::new();
    for table in schema.tables.values() {
        for col in &table.columns {
            let (hit, array) = match &col.data_type {
                DataType::Enum(n) => (n == name, false),
                DataType::Array(inner) => {
                    (matches!(&**inner, DataType::Enum(n) if n == name), true)
                }
                _ => (false, false),
            };
            if hit {
                out.push(EnumUsage {
                    table: table.name.clone(),
                    column: col.name.clone(),
                    default: col.default.clone(),
                    array,
                });
            }
        }
    }
    out
}

fn diff_enums(current: &Schema, target: &Schema, ops: &mut Vec<Op>) {
    for (name, e) in &target.enums {
        let Some(old) = current.enums.get(name) else {
            ops.push(Op::CreateEnum(e.clone()));
            continue;
        };
        if old.values == e.values {
            continue;
        }
        // Pure additions keep the old values in the same relative order.
        let kept: Vec<&String> = e.values.iter().filter(|v| old.values.contains(v)).collect();
        let only_additions =
            kept.len() == old.values.len() && kept.iter().zip(&old.values).all(|(a, b)| *a == b);
        let usages = enum_usages(current, name);
        if only_additions {
            let mut values = old.values.clone();
            for (i, v) in e.values.iter().enumerate() {
                if old.values.contains(v) {
                    continue;
                }
                let before = e.values[i + 1..]
                    .iter()
                    .find(|n| old.values.contains(n))
                    .cloned();
                let values_before = values.clone();
                match &before {
                    Some(b) => {
                        let at = values.iter().position(|x| x == b).unwrap_or(values.len());
                        values.insert(at, v.clone());
                    }
                    None => values.push(v.clone()),
                }
                ops.push(Op::AddEnumValue {
                    name: name.clone(),
                    value: v.clone(),
                    before,
                    values_before,
                    values_after: values.clone(),
                    usages: usages.clone(),
                });
            }
        } else {
            ops.push(Op::RecreateEnum {
                name: name.clone(),
                from_values: old.values.clone(),
                to_values: e.values.clone(),
                usages,
            });
        }
    }
    for (name, e) in &current.enums {
        if !target.enums.contains_key(name) {
            ops.push(Op::DropEnum(e.clone()));
        }
    }
}

/// Identity options with PostgreSQL's defaults filled in, so that an
/// identity declared without options equals the one the catalog reports.
pub fn identity_with_defaults(identity: &Identity, data_type: &DataType) -> Identity {
    let max = match data_type {
        DataType::SmallInt => i16::MAX as i64,
        DataType::Integer => i32::MAX as i64,
        _ => i64::MAX,
    };
    let increment = identity.increment.unwrap_or(1);
    let (min, maxv) = if increment > 0 {
        (
            identity.min_value.unwrap_or(1),
            identity.max_value.unwrap_or(max),
        )
    } else {
        (
            identity.min_value.unwrap_or(match data_type {
                DataType::SmallInt => i16::MIN as i64,
                DataType::Integer => i32::MIN as i64,
                _ => i64::MIN,
            }),
            identity.max_value.unwrap_or(-1),
        )
    };
    Identity {
        always: identity.always,
        start: Some(
            identity
                .start
                .unwrap_or(if increment > 0 { min } else { maxv }),
        ),
        increment: Some(increment),
        min_value: Some(min),
        max_value: Some(maxv),
        cache: Some(identity.cache.unwrap_or(1)),
        cycle: identity.cycle,
    }
}

fn same_identity(a: &Column, b: &Column) -> bool {
    match (&a.identity, &b.identity) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            identity_with_defaults(x, &a.data_type) == identity_with_defaults(y, &b.data_type)
        }
        _ => false,
    }
}

/// Whether `expr` names the identifier `name` (bare or double-quoted,
/// outside string literals). A false positive only rebuilds a generated
/// column, which holds no data of its own.
fn mentions_identifier(expr: &str, name: &str) -> bool {
    let mut chars = expr.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        match c {
            '\'' => {
                while let Some((_, c)) = chars.next() {
                    if c == '\'' {
                        if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
            }
            '"' => {
                let mut ident = String::new();
                while let Some((_, c)) = chars.next() {
                    if c == '"' {
                        if chars.peek().is_some_and(|(_, n)| *n == '"') {
                            chars.next();
                            ident.push('"');
                        } else {
                            break;
                        }
                    } else {
                        ident.push(c);
                    }
                }
                if ident == name {
                    return true;
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut end = start + c.len_utf8();
                while let Some(&(i, n)) = chars.peek() {
                    if n.is_alphanumeric() || n == '_' || n == '$' {
                        end = i + n.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                if expr[start..end].eq_ignore_ascii_case(name) {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// Columns equal for diff purposes (identity compared with defaults filled in).
fn columns_equal(a: &Column, b: &Column) -> bool {
    a.data_type == b.data_type
        && a.nullable == b.nullable
        && a.default == b.default
        && a.serial == b.serial
        && same_identity(a, b)
        && a.generated == b.generated
        && a.collation == b.collation
        && a.comment == b.comment
}

/// The name a constraint is matched by: none when the database chose it.
fn given_name(name: &Option<String>, auto_name: bool) -> Option<&String> {
    name.as_ref().filter(|_| !auto_name)
}

/// Pairs items of two lists: by name when both sides carry one, otherwise by
/// a signature. Returns (only in old, matched pairs, only in new).
fn match_items<'a, T, S: PartialEq>(
    old: &'a [T],
    new: &'a [T],
    name: impl Fn(&T) -> Option<&String>,
    signature: impl Fn(&T) -> S,
) -> (Vec<&'a T>, Vec<(&'a T, &'a T)>, Vec<&'a T>) {
    let mut used = vec![false; new.len()];
    let mut removed = Vec::new();
    let mut pairs = Vec::new();
    for o in old {
        let by_name = new.iter().enumerate().find(|(i, n)| {
            !used[*i] && name(o).is_some() && name(n).is_some() && name(o) == name(n)
        });
        let found = by_name.or_else(|| {
            new.iter().enumerate().find(|(i, n)| {
                !used[*i]
                    && (name(o).is_none() || name(n).is_none())
                    && signature(o) == signature(n)
            })
        });
        match found {
            Some((i, n)) => {
                used[i] = true;
                pairs.push((o, n));
            }
            None => removed.push(o),
        }
    }
    let added = new
        .iter()
        .enumerate()
        .filter(|(i, _)| !used[*i])
        .map(|(_, n)| n)
        .collect();
    (removed, pairs, added)
}

fn diff_table(old: &Table, new: &Table, options: &DiffOptions, ops: &mut Vec<Op>) {
    let t = &new.name;

    // Renames by hint: the old column is treated as if it had the new name.
    let mut old_columns: Vec<Column> = old.columns.clone();
    for (table, from, to) in &options.column_renames {
        if table != t || old.column(to).is_some() || new.column(to).is_none() {
            continue;
        }
        if let Some(c) = old_columns.iter_mut().find(|c| &c.name == from) {
            ops.push(Op::RenameColumn {
                table: t.clone(),
                from: from.clone(),
                to: to.clone(),
            });
            c.name = to.clone();
        }
    }

    // PostgreSQL changes neither the type of a column a generated column
    // uses nor, with a USING, a generated column's own type: such generated
    // columns are dropped and added back around the change (after it: see
    // `order`). A batch rebuild (SQLite's) re-creates the whole table.
    let retyped: Vec<&str> = if options.group_by_table {
        Vec::new()
    } else {
        new.columns
            .iter()
            .filter(|col| {
                old_columns.iter().any(|o| {
                    o.name == col.name
                        && (o.data_type != col.data_type || o.collation != col.collation)
                })
            })
            .map(|col| col.name.as_str())
            .collect()
    };
    let rebuilt = |o: &Column, col: &Column| {
        o.generated != col.generated
            || col.generated.as_ref().is_some_and(|g| {
                !options.group_by_table
                    && (o.data_type != col.data_type
                        || retyped
                            .iter()
                            .any(|r| *r != col.name && mentions_identifier(&g.expr, r)))
            })
    };
    for col in &new.columns {
        match old_columns.iter().find(|c| c.name == col.name) {
            None => ops.push(Op::AddColumn {
                table: t.clone(),
                column: col.clone(),
            }),
            Some(o) if !rebuilt(o, col) && columns_equal(o, col) => {}
            Some(o) if rebuilt(o, col) => {
                // A generated expression cannot be altered in place.
                ops.push(Op::DropColumn {
                    table: t.clone(),
                    column: o.clone(),
                });
                ops.push(Op::AddColumn {
                    table: t.clone(),
                    column: col.clone(),
                });
            }
            Some(o) => ops.push(Op::AlterColumn(AlterColumn {
                table: t.clone(),
                from: o.clone(),
                to: col.clone(),
            })),
        }
    }
    for col in &old_columns {
        if new.column(&col.name).is_none() {
            ops.push(Op::DropColumn {
                table: t.clone(),
                column: col.clone(),
            });
        }
    }

    match (&old.primary_key, &new.primary_key) {
        (Some(a), Some(b)) => {
            // Only names the user wrote are compared (see `auto_name`).
            let names_differ = a.name.is_some()
                && b.name.is_some()
                && !a.auto_name
                && !b.auto_name
                && a.name != b.name;
            let same_key = a.columns == b.columns && a.without_overlaps == b.without_overlaps;
            if same_key && names_differ {
                ops.push(Op::RenamePrimaryKey {
                    table: t.clone(),
                    key: a.clone(),
                    to: b.name.clone().unwrap_or_default(),
                });
            } else if !same_key {
                ops.push(Op::DropPrimaryKey {
                    table: t.clone(),
                    key: a.clone(),
                });
                ops.push(Op::AddPrimaryKey {
                    table: t.clone(),
                    key: b.clone(),
                });
            }
        }
        (Some(a), None) => ops.push(Op::DropPrimaryKey {
            table: t.clone(),
            key: a.clone(),
        }),
        (None, Some(b)) => ops.push(Op::AddPrimaryKey {
            table: t.clone(),
            key: b.clone(),
        }),
        (None, None) => {}
    }

    let (removed, pairs, added) = match_items(
        &old.foreign_keys,
        &new.foreign_keys,
        |f| given_name(&f.name, f.auto_name),
        |f| {
            (
                f.columns.clone(),
                f.ref_table.clone(),
                f.ref_columns.clone(),
            )
        },
    );
    let mut fk_drop: Vec<&ForeignKey> = removed;
    let mut fk_add: Vec<&ForeignKey> = added;
    for (o, n) in pairs {
        let same = o.signature() == n.signature()
            && o.on_delete == n.on_delete
            && o.on_update == n.on_update
            && o.deferrable == n.deferrable
            && o.initially_deferred == n.initially_deferred
            && o.match_kind == n.match_kind
            && o.period == n.period
            && o.not_enforced == n.not_enforced;
        if !same {
            fk_drop.push(o);
            fk_add.push(n);
        }
    }
    for key in fk_drop {
        ops.push(Op::DropForeignKey {
            table: t.clone(),
            key: key.clone(),
        });
    }
    for key in fk_add {
        ops.push(Op::AddForeignKey {
            table: t.clone(),
            key: key.clone(),
        });
    }

    let (removed, pairs, added) = match_items(
        &old.uniques,
        &new.uniques,
        |u| given_name(&u.name, u.auto_name),
        |u| u.columns.clone(),
    );
    for u in removed {
        ops.push(Op::DropUnique {
            table: t.clone(),
            unique: u.clone(),
        });
    }
    for (o, n) in pairs {
        let same = o.columns == n.columns
            && o.nulls_not_distinct == n.nulls_not_distinct
            && o.deferrable == n.deferrable
            && o.initially_deferred == n.initially_deferred
            && o.without_overlaps == n.without_overlaps;
        if !same {
            ops.push(Op::DropUnique {
                table: t.clone(),
                unique: o.clone(),
            });
            ops.push(Op::AddUnique {
                table: t.clone(),
                unique: n.clone(),
            });
        }
    }
    for u in added {
        ops.push(Op::AddUnique {
            table: t.clone(),
            unique: u.clone(),
        });
    }

    let (removed, pairs, added) = match_items(
        &old.checks,
        &new.checks,
        |c| given_name(&c.name, c.auto_name),
        |c| c.expr.clone(),
    );
    for c in removed {
        ops.push(Op::DropCheck {
            table: t.clone(),
            check: c.clone(),
        });
    }
    for (o, n) in pairs {
        // Enforcement cannot be altered on a CHECK (PostgreSQL 18 refuses
        // it): a change is a drop and an add.
        if o.expr != n.expr || o.not_enforced != n.not_enforced {
            ops.push(Op::DropCheck {
                table: t.clone(),
                check: o.clone(),
            });
            ops.push(Op::AddCheck {
                table: t.clone(),
                check: n.clone(),
            });
        }
    }
    for c in added {
        ops.push(Op::AddCheck {
            table: t.clone(),
            check: c.clone(),
        });
    }

    for idx in &old.indexes {
        match new.indexes.iter().find(|n| n.name == idx.name) {
            Some(n) if n == idx => {}
            Some(n) => {
                ops.push(Op::DropIndex {
                    table: t.clone(),
                    index: idx.clone(),
                });
                ops.push(Op::CreateIndex {
                    table: t.clone(),
                    index: n.clone(),
                });
            }
            None => ops.push(Op::DropIndex {
                table: t.clone(),
                index: idx.clone(),
            }),
        }
    }
    for idx in &new.indexes {
        if !old.indexes.iter().any(|o| o.name == idx.name) {
            ops.push(Op::CreateIndex {
                table: t.clone(),
                index: idx.clone(),
            });
        }
    }

    if old.comment != new.comment {
        ops.push(Op::SetTableComment {
            table: t.clone(),
            from: old.comment.clone(),
            to: new.comment.clone(),
        });
    }
    if old.charset != new.charset {
        ops.push(Op::SetTableCharset {
            table: t.clone(),
            from: old.charset.clone(),
            to: new.charset.clone(),
        });
    }
}

#[cfg(test)]
mod identifier_tests {
    use super::mentions_identifier;

    #[test]
    fn identifiers_are_found_outside_strings() {
        assert!(mentions_identifier("price * 2", "price"));
        assert!(mentions_identifier("(\"Price\" * 2)", "Price"));
        assert!(mentions_identifier("\"a\"\"b\" + 1", "a\"b"));
        assert!(!mentions_identifier("prices * 2", "price"));
        assert!(!mentions_identifier("'price' || x", "price"));
        assert!(!mentions_identifier("'it''s price' || x", "price"));
    }
}

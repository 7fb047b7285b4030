use crate::model::*;
use crate::objects::ObjectRef;
use crate::ops::Op;

/// Applies an op to a schema: what the database would look like after it.
/// Pure; used to know each table's final shape (SQLite rebuilds) and to
/// test that `diff(a, b)` applied to `a` gives `b`.
pub fn apply(schema: &mut Schema, op: &Op) {
    match op {
        Op::CreateSchema(s) => {
            schema.schemas.insert(s.clone());
        }
        Op::DropSchema(s) => {
            schema.schemas.remove(s);
        }
        Op::CreateEnum(e) => {
            schema.enums.insert(e.name.clone(), e.clone());
        }
        Op::DropEnum(e) => {
            schema.enums.remove(&e.name);
        }
        Op::AddEnumValue {
            name, values_after, ..
        } => {
            if let Some(e) = schema.enums.get_mut(name) {
                e.values = values_after.clone();
            }
        }
        Op::RecreateEnum {
            name, to_values, ..
        } => {
            if let Some(e) = schema.enums.get_mut(name) {
                e.values = to_values.clone();
            }
        }
        Op::CreateSequence(s) => {
            schema.sequences.insert(s.name.clone(), s.clone());
        }
        Op::DropSequence(s) => {
            schema.sequences.remove(&s.name);
        }
        Op::AlterSequence { to, .. } => {
            schema.sequences.insert(to.name.clone(), to.clone());
        }
        Op::CreateTable(t) => {
            schema.tables.insert(t.name.clone(), t.clone());
        }
        Op::DropTable(t) => {
            schema.tables.remove(&t.name);
            // Its triggers go with it.
            schema.triggers.retain(|id, _| id.table != t.name);
        }
        Op::CreateDomain(d) | Op::AlterDomain { to: d, .. } => {
            schema.domains.insert(d.name.clone(), d.clone());
        }
        Op::DropDomain(d) => {
            schema.domains.remove(&d.name);
        }
        Op::CreateExtension(e) | Op::AlterExtension { to: e, .. } => {
            schema.extensions.insert(e.name.clone(), e.clone());
        }
        Op::DropExtension(e) => {
            schema.extensions.remove(&e.name);
        }
        Op::CreateFunction(f)
        | Op::ReplaceFunction { to: f, .. }
        | Op::RecreateFunction { to: f, .. } => {
            schema.functions.insert(f.id.clone(), f.clone());
        }
        Op::DropFunction(f) => {
            schema.functions.remove(&f.id);
        }
        Op::CreateView(v) | Op::ReplaceView { to: v, .. } => {
            schema.views.insert(v.name.clone(), v.clone());
        }
        Op::DropView(v) => {
            schema.views.remove(&v.name);
        }
        Op::CreateTrigger(t) => {
            schema.triggers.insert(t.id.clone(), t.clone());
        }
        Op::DropTrigger(t) => {
            schema.triggers.remove(&t.id);
        }
        Op::SetTriggerEnabled { trigger, to, .. } => {
            if let Some(t) = schema.triggers.get_mut(trigger) {
                t.enabled = *to;
            }
        }
        Op::SetOwner { object, to, .. } => {
            let owner = match object {
                ObjectRef::View { name, .. } => schema.views.get_mut(name).map(|v| &mut v.owner),
                ObjectRef::Function { id, .. } => {
                    schema.functions.get_mut(id).map(|f| &mut f.owner)
                }
                ObjectRef::Domain(n) => schema.domains.get_mut(n).map(|d| &mut d.owner),
                ObjectRef::Trigger(_) | ObjectRef::Extension(_) => None,
            };
            if let Some(o) = owner {
                *o = Some(to.clone());
            }
        }
        Op::SetObjectComment { object, to, .. } => {
            let comment = match object {
                ObjectRef::View { name, .. } => schema.views.get_mut(name).map(|v| &mut v.comment),
                ObjectRef::Function { id, .. } => {
                    schema.functions.get_mut(id).map(|f| &mut f.comment)
                }
                ObjectRef::Trigger(id) => schema.triggers.get_mut(id).map(|t| &mut t.comment),
                ObjectRef::Extension(n) => schema.extensions.get_mut(n).map(|e| &mut e.comment),
                ObjectRef::Domain(n) => schema.domains.get_mut(n).map(|d| &mut d.comment),
            };
            if let Some(c) = comment {
                *c = to.clone();
            }
        }
        // A materialized view's indexes.
        Op::CreateIndex { table, index } if schema.views.contains_key(table) => {
            if let Some(v) = schema.views.get_mut(table) {
                v.indexes.retain(|i| i.name != index.name);
                v.indexes.push(index.clone());
                v.indexes.sort_by(|a, b| a.name.cmp(&b.name));
            }
        }
        Op::DropIndex { table, index } if schema.views.contains_key(table) => {
            if let Some(v) = schema.views.get_mut(table) {
                v.indexes.retain(|i| i.name != index.name);
            }
        }
        other => {
            let Some(name) = other.table().cloned() else {
                return;
            };
            if let Some(t) = schema.tables.get_mut(&name) {
                apply_to_table(t, other);
                t.canonicalize();
            }
        }
    }
}

fn apply_to_table(t: &mut Table, op: &Op) {
    match op {
        Op::AddColumn { column, .. } => t.columns.push(column.clone()),
        Op::DropColumn { column, .. } => t.columns.retain(|c| c.name != column.name),
        Op::AlterColumn(a) => {
            if let Some(c) = t.column_mut(&a.from.name) {
                *c = a.to.clone();
            }
        }
        Op::RenameColumn { from, to, .. } => {
            if let Some(c) = t.column_mut(from) {
                c.name = to.clone();
            }
            let rename = |cols: &mut Vec<String>| {
                for c in cols.iter_mut() {
                    if c == from {
                        *c = to.clone();
                    }
                }
            };
            if let Some(pk) = &mut t.primary_key {
                rename(&mut pk.columns);
            }
            for f in &mut t.foreign_keys {
                rename(&mut f.columns);
            }
            for u in &mut t.uniques {
                rename(&mut u.columns);
            }
            for i in &mut t.indexes {
                for k in &mut i.keys {
                    if k.target == IndexTarget::Column(from.clone()) {
                        k.target = IndexTarget::Column(to.clone());
                    }
                }
            }
        }
        Op::AddPrimaryKey { key, .. } => t.primary_key = Some(key.clone()),
        Op::RenamePrimaryKey { key, to, .. } => {
            t.primary_key = Some(PrimaryKey {
                name: Some(to.clone()),
                ..key.clone()
            })
        }
        Op::DropPrimaryKey { .. } => t.primary_key = None,
        Op::AddForeignKey { key, .. } => t.foreign_keys.push(key.clone()),
        Op::DropForeignKey { key, .. } => t.foreign_keys.retain(|f| f != key),
        Op::AddUnique { unique, .. } => t.uniques.push(unique.clone()),
        Op::DropUnique { unique, .. } => t.uniques.retain(|u| u != unique),
        Op::AddCheck { check, .. } => t.checks.push(check.clone()),
        Op::DropCheck { check, .. } => t.checks.retain(|c| c != check),
        Op::CreateIndex { index, .. } => t.indexes.push(index.clone()),
        Op::DropIndex { index, .. } => t.indexes.retain(|i| i.name != index.name),
        Op::SetTableComment { to, .. } => t.comment = to.clone(),
        Op::SetTableCharset { to, .. } => t.charset = to.clone(),
        _ => {}
    }
}

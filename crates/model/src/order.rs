use std::collections::{BTreeMap, BTreeSet};

use crate::model::*;
use crate::objects::{Dependency, View};
use crate::ops::Op;

/// Phases run in this order; within a phase, ops sort by table then by name.
/// Everything that other objects depend on is created before them and
/// dropped after them: views and triggers are dropped before any table
/// changes under them and created after every table change, views in the
/// order of their dependency graph.
fn phase(op: &Op) -> u8 {
    match op {
        Op::CreateSchema(_) => 0,
        Op::CreateExtension(_) | Op::AlterExtension { .. } => 1,
        Op::CreateEnum(_) | Op::AddEnumValue { .. } | Op::RecreateEnum { .. } => 2,
        Op::CreateDomain(_) | Op::AlterDomain { .. } => 2,
        Op::CreateSequence(_) | Op::AlterSequence { .. } => 2,
        // Dependents go before anything under them changes.
        Op::DropTrigger(_) => 3,
        Op::DropView(_) => 4,
        // A table's defaults and CHECKs may call a function; a body
        // PostgreSQL checks at creation (SQL) may read the tables instead.
        Op::CreateFunction(f)
        | Op::ReplaceFunction { to: f, .. }
        | Op::RecreateFunction { to: f, .. }
            if !f.body_checked_at_creation() =>
        {
            5
        }
        Op::DropForeignKey { .. } => 6,
        Op::DropIndex { .. } | Op::DropUnique { .. } | Op::DropCheck { .. } => 7,
        Op::DropPrimaryKey { .. } => 8,
        Op::CreateTable(_) => 9,
        Op::RenameColumn { .. } => 10,
        // Drops before adds: a generated column whose expression changed is
        // dropped and added again under the same name.
        Op::DropColumn { .. } => 11,
        // A generated column comes after the columns' changes: its
        // expression may use a column whose type changes.
        Op::AddColumn { column, .. } if column.generated.is_some() => 14,
        Op::AddColumn { .. } => 12,
        Op::AlterColumn(_) => 13,
        Op::AddPrimaryKey { .. } | Op::RenamePrimaryKey { .. } => 15,
        Op::AddUnique { .. } | Op::AddCheck { .. } | Op::CreateIndex { .. } => 16,
        Op::SetTableComment { .. } | Op::SetTableCharset { .. } => 17,
        Op::AddForeignKey { .. } => 18,
        Op::CreateFunction(_) | Op::ReplaceFunction { .. } | Op::RecreateFunction { .. } => 19,
        Op::CreateView(_) | Op::ReplaceView { .. } => 20,
        Op::CreateTrigger(_) | Op::SetTriggerEnabled { .. } => 21,
        Op::SetObjectComment { .. } | Op::SetOwner { .. } => 22,
        Op::DropTable(_) => 23,
        Op::DropSequence(_) => 24,
        Op::DropFunction(_) => 25,
        Op::DropEnum(_) | Op::DropDomain(_) => 26,
        Op::DropExtension(_) => 27,
        Op::DropSchema(_) => 28,
    }
}

/// The first phase of existing tables' changes, of new tables, of foreign
/// keys added, of object creation: see `phase`.
const FIRST_TABLE_PHASE: u8 = 6;
const CREATE_TABLE_PHASE: u8 = 9;
const ADD_FOREIGN_KEY_PHASE: u8 = 18;
const FIRST_OBJECT_CREATE_PHASE: u8 = 19;

/// The order inside a table's phase. Added and altered columns keep the
/// order the diff emits them in, which is the declared table's column order
/// (the sort is stable): a revision lists them as the models do.
fn sub_name(op: &Op) -> String {
    match op {
        Op::AddColumn { .. } | Op::AlterColumn(_) => String::new(),
        Op::DropColumn { column, .. } => column.name.clone(),
        _ => op.object_path(),
    }
}

/// Sorts ops into an order that executes: see `phase`. New tables come in
/// FK dependency order, and an FK that closes a cycle among new tables is
/// taken out of its `CreateTable` and added afterwards; dropped tables go
/// children first, with cycle-closing FKs dropped beforehand. The indexes of
/// new and dropped tables become their own ops, as Alembic writes them.
pub fn order_ops(ops: Vec<Op>, group_by_table: bool) -> Vec<Op> {
    let mut created: BTreeMap<ObjectName, Table> = BTreeMap::new();
    let mut dropped: BTreeMap<ObjectName, Table> = BTreeMap::new();
    let mut rest: Vec<Op> = Vec::new();
    for op in ops {
        match op {
            Op::CreateTable(t) => {
                created.insert(t.name.clone(), t);
            }
            Op::DropTable(t) => {
                dropped.insert(t.name.clone(), t);
            }
            other => rest.push(other),
        }
    }

    let (create_order, deferred_fks) = topo_order(&mut created);
    let (drop_order_rev, cyclic_drops) = topo_order(&mut dropped);

    // Cycle-closing FKs become ops of their own.
    for (table, key) in deferred_fks {
        rest.push(Op::AddForeignKey { table, key });
    }
    for (table, key) in cyclic_drops {
        rest.push(Op::DropForeignKey { table, key });
    }

    rest.sort_by(|a, b| {
        let ka = (phase(a), a.table().cloned(), sub_name(a));
        let kb = (phase(b), b.table().cloned(), sub_name(b));
        ka.cmp(&kb)
    });
    if group_by_table {
        // Stable: keeps the phase order inside each table.
        rest.sort_by(|a, b| {
            let ga = group_key(a);
            let gb = group_key(b);
            ga.cmp(&gb)
        });
    }

    // In group mode every existing-table op (constraint drops included)
    // follows the new tables, so each table's changes stay in one block.
    let first_split = if group_by_table {
        FIRST_TABLE_PHASE
    } else {
        CREATE_TABLE_PHASE
    };
    let mut out = Vec::new();
    let (before, after): (Vec<Op>, Vec<Op>) =
        rest.into_iter().partition(|op| phase(op) < first_split);
    let (middle, after): (Vec<Op>, Vec<Op>) = after
        .into_iter()
        .partition(|op| phase(op) < ADD_FOREIGN_KEY_PHASE);
    // Index names (and the indexes behind primary keys and unique
    // constraints) are unique per schema: when a new object takes a name a
    // dropped table frees, the dropped tables go first.
    let reuses_a_name = {
        let freed: BTreeSet<(String, String)> = dropped.values().flat_map(relation_names).collect();
        !freed.is_empty()
            && (created
                .values()
                .flat_map(relation_names)
                .any(|n| freed.contains(&n))
                || middle
                    .iter()
                    .any(|op| created_relation_name(op).is_some_and(|n| freed.contains(&n))))
    };
    out.extend(before);
    let mut drops = Vec::new();
    for name in drop_order_rev.into_iter().rev() {
        if let Some(mut table) = dropped.remove(&name) {
            let mut indexes = std::mem::take(&mut table.indexes);
            indexes.sort_by(|a, b| a.name.cmp(&b.name));
            for index in indexes {
                drops.push(Op::DropIndex {
                    table: name.clone(),
                    index,
                });
            }
            drops.push(Op::DropTable(table));
        }
    }
    if reuses_a_name {
        out.append(&mut drops);
    }
    for name in create_order {
        if let Some(mut table) = created.remove(&name) {
            let mut indexes = std::mem::take(&mut table.indexes);
            indexes.sort_by(|a, b| a.name.cmp(&b.name));
            out.push(Op::CreateTable(table));
            for index in indexes {
                out.push(Op::CreateIndex {
                    table: name.clone(),
                    index,
                });
            }
        }
    }
    out.extend(middle);
    out.extend(drops);
    out.extend(after);
    order_views(&mut out);
    out
}

/// Puts the views dropped in a row dependents first, and the views created
/// or replaced in a row after the views they read (their own edges: the
/// live side's for a drop, the declared side's for a create). Kahn's
/// algorithm with ties broken by name.
fn order_views(ops: &mut [Op]) {
    let runs = |ops: &[Op], pick: fn(&Op) -> bool| -> Option<(usize, usize)> {
        let start = ops.iter().position(pick)?;
        let len = ops[start..].iter().take_while(|o| pick(o)).count();
        Some((start, start + len))
    };
    if let Some((a, b)) = runs(ops, |o| matches!(o, Op::DropView(_))) {
        let mut run: Vec<Op> = ops[a..b].to_vec();
        run = topo_views(run);
        run.reverse();
        ops[a..b].clone_from_slice(&run);
    }
    if let Some((a, b)) = runs(ops, |o| {
        matches!(o, Op::CreateView(_) | Op::ReplaceView { .. })
    }) {
        let run = topo_views(ops[a..b].to_vec());
        ops[a..b].clone_from_slice(&run);
    }
}

fn topo_views(run: Vec<Op>) -> Vec<Op> {
    let view_of = |op: &Op| match op {
        Op::CreateView(v) | Op::DropView(v) | Op::ReplaceView { to: v, .. } => Some(v.clone()),
        _ => None,
    };
    let mut by_name: BTreeMap<ObjectName, Op> = BTreeMap::new();
    let mut pending: BTreeMap<ObjectName, BTreeSet<ObjectName>> = BTreeMap::new();
    let views: Vec<View> = run.iter().filter_map(view_of).collect();
    let names: BTreeSet<ObjectName> = views.iter().map(|v| v.name.clone()).collect();
    for v in &views {
        let deps = v
            .depends_on
            .iter()
            .filter_map(|d| match d {
                Dependency::Relation(r) | Dependency::Column(r, _) => Some(r),
                Dependency::Function(_) => None,
            })
            .filter(|r| **r != v.name && names.contains(*r))
            .cloned()
            .collect();
        pending.insert(v.name.clone(), deps);
    }
    for op in run {
        if let Some(v) = view_of(&op) {
            by_name.insert(v.name.clone(), op);
        }
    }
    // Kahn's algorithm: the ready views in name order, so the result is
    // the first view by name whose dependencies are placed, each time; a
    // cycle (impossible for views the server made) takes the first
    // unplaced one. O((n + e) log n).
    let mut dependents: BTreeMap<ObjectName, Vec<ObjectName>> = BTreeMap::new();
    for (name, deps) in &pending {
        for d in deps {
            dependents.entry(d.clone()).or_default().push(name.clone());
        }
    }
    let mut ready: BTreeSet<ObjectName> = pending
        .iter()
        .filter(|(_, deps)| deps.is_empty())
        .map(|(n, _)| n.clone())
        .collect();
    let mut out = Vec::with_capacity(by_name.len());
    let mut placed: BTreeSet<ObjectName> = BTreeSet::new();
    while placed.len() < pending.len() {
        let next = match ready.pop_first() {
            Some(n) => n,
            None => match pending.keys().find(|n| !placed.contains(*n)) {
                Some(n) => n.clone(),
                None => break,
            },
        };
        if !placed.insert(next.clone()) {
            continue;
        }
        for d in dependents.get(&next).into_iter().flatten() {
            if let Some(deps) = pending.get_mut(d) {
                deps.remove(&next);
                if deps.is_empty() && !placed.contains(d) {
                    ready.insert(d.clone());
                }
            }
        }
        if let Some(op) = by_name.remove(&next) {
            out.push(op);
        }
    }
    out
}

/// The schema-wide relation names a table holds besides its own: its
/// indexes, and the indexes behind its primary key and unique constraints.
fn relation_names(table: &Table) -> Vec<(String, String)> {
    let schema = &table.name.schema;
    table
        .indexes
        .iter()
        .map(|i| i.name.clone())
        .chain(table.primary_key.iter().filter_map(|k| k.name.clone()))
        .chain(table.uniques.iter().filter_map(|u| u.name.clone()))
        .map(|n| (schema.clone(), n))
        .collect()
}

/// The schema-wide relation name an op creates, if any.
fn created_relation_name(op: &Op) -> Option<(String, String)> {
    let (table, name) = match op {
        Op::CreateIndex { table, index } => (table, Some(index.name.clone())),
        Op::AddPrimaryKey { table, key } => (table, key.name.clone()),
        Op::AddUnique { table, unique } => (table, unique.name.clone()),
        _ => return None,
    };
    name.map(|n| (table.schema.clone(), n))
}

/// Existing-table ops group by table; schema-level ops keep their place.
fn group_key(op: &Op) -> (u8, Option<ObjectName>) {
    match phase(op) {
        p if p < FIRST_TABLE_PHASE => (p, None),
        p if p >= FIRST_OBJECT_CREATE_PHASE => (p, None),
        _ => (CREATE_TABLE_PHASE, op.table().cloned()),
    }
}

/// Orders tables so that every table comes after the tables its FKs point
/// at (among `tables` only): Kahn's algorithm with a sorted ready set, so
/// ties break by name and the order is deterministic. When a cycle blocks
/// progress, the smallest remaining table by name goes next and its FKs to
/// tables not yet placed are taken out of it and returned. O((n + e) log n).
fn topo_order(
    tables: &mut BTreeMap<ObjectName, Table>,
) -> (Vec<ObjectName>, Vec<(ObjectName, ForeignKey)>) {
    // Dependencies (FK targets among these tables, self-references aside)
    // and, for each table, the tables that depend on it.
    let mut pending: BTreeMap<ObjectName, BTreeSet<ObjectName>> = BTreeMap::new();
    let mut dependents: BTreeMap<ObjectName, Vec<ObjectName>> = BTreeMap::new();
    for (name, t) in tables.iter() {
        let deps: BTreeSet<ObjectName> = t
            .foreign_keys
            .iter()
            .map(|f| f.ref_table.clone())
            .filter(|r| r != name && tables.contains_key(r))
            .collect();
        for d in &deps {
            dependents.entry(d.clone()).or_default().push(name.clone());
        }
        pending.insert(name.clone(), deps);
    }
    let mut ready: BTreeSet<ObjectName> = pending
        .iter()
        .filter(|(_, d)| d.is_empty())
        .map(|(n, _)| n.clone())
        .collect();
    let mut placed: BTreeSet<ObjectName> = BTreeSet::new();
    let mut order = Vec::with_capacity(tables.len());
    let mut taken_out = Vec::new();
    while placed.len() < pending.len() {
        let next = match ready.pop_first() {
            Some(n) => n,
            None => {
                // A cycle: break it at the smallest unplaced table.
                let Some(n) = pending.keys().find(|n| !placed.contains(*n)).cloned() else {
                    break;
                };
                if let Some(t) = tables.get_mut(&n) {
                    let (keep, out): (Vec<ForeignKey>, Vec<ForeignKey>) =
                        std::mem::take(&mut t.foreign_keys)
                            .into_iter()
                            .partition(|f| {
                                f.ref_table == n
                                    || !pending.contains_key(&f.ref_table)
                                    || placed.contains(&f.ref_table)
                            });
                    t.foreign_keys = keep;
                    taken_out.extend(out.into_iter().map(|f| (n.clone(), f)));
                }
                n
            }
        };
        if !placed.insert(next.clone()) {
            continue;
        }
        for d in dependents.get(&next).cloned().unwrap_or_default() {
            if let Some(deps) = pending.get_mut(&d) {
                deps.remove(&next);
                if deps.is_empty() && !placed.contains(&d) {
                    ready.insert(d);
                }
            }
        }
        // A table whose cycle was broken is placed; its other dependencies
        // no longer block it.
        if let Some(deps) = pending.get_mut(&next) {
            deps.clear();
        }
        order.push(next);
    }
    (order, taken_out)
}

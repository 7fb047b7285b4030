//! The diff of the objects beyond tables, and the part of the dependency
//! graph that makes a revision run: PostgreSQL refuses a column type
//! change, a dropped column or table, a dropped or re-created view or
//! function while something depends on it, so every dependent (views,
//! materialized views with their indexes, triggers; transitively) is
//! dropped before and created again after, in the same revision. The
//! edges are the live side's (`pg_depend`): what the server refuses
//! depends on what it has now.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Index, ObjectName, Schema};
use crate::objects::*;
use crate::ops::Op;
use crate::types::DataType;

/// An object that can be dropped and created again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    View(ObjectName),
    Trigger(TriggerId),
    Function(FunctionId),
}

/// Appends the ops for views, functions, triggers and extensions to `ops`,
/// which already holds the tables' ops (they decide which dependents must
/// be rebuilt).
pub(crate) fn diff_objects(
    current: &Schema,
    target: &Schema,
    ops: &mut Vec<Op>,
    options: &crate::DiffOptions,
) {
    diff_extensions(current, target, ops);
    diff_domains(current, target, ops);
    let mut rebuild: BTreeSet<Key> = BTreeSet::new();
    let mut object_ops: Vec<Op> = Vec::new();

    for (id, f) in &target.functions {
        match current.functions.get(id) {
            None => object_ops.push(Op::CreateFunction(f.clone())),
            Some(old) if !old.same_definition(f) => {
                if old.replaceable_by(f) {
                    object_ops.push(Op::ReplaceFunction {
                        from: old.clone(),
                        to: f.clone(),
                    });
                    comment_op(&mut object_ops, f.object_ref(), &old.comment, &f.comment);
                } else {
                    rebuild.insert(Key::Function(id.clone()));
                }
            }
            Some(old) => comment_op(&mut object_ops, f.object_ref(), &old.comment, &f.comment),
        }
    }
    for (id, f) in &current.functions {
        if !target.functions.contains_key(id) {
            object_ops.push(Op::DropFunction(f.clone()));
        }
    }

    for (name, v) in &target.views {
        match current.views.get(name) {
            None => object_ops.push(Op::CreateView(v.clone())),
            Some(old) if !old.same_definition(v) => {
                if old.replaceable_by(v) {
                    object_ops.push(Op::ReplaceView {
                        from: old.clone(),
                        to: v.clone(),
                    });
                    comment_op(&mut object_ops, v.object_ref(), &old.comment, &v.comment);
                } else {
                    rebuild.insert(Key::View(name.clone()));
                }
            }
            Some(old) => {
                comment_op(&mut object_ops, v.object_ref(), &old.comment, &v.comment);
                diff_view_indexes(old, v, &mut object_ops);
            }
        }
    }
    for (name, v) in &current.views {
        if !target.views.contains_key(name) {
            object_ops.push(Op::DropView(v.clone()));
        }
    }

    for (id, t) in &target.triggers {
        match current.triggers.get(id) {
            None => object_ops.push(Op::CreateTrigger(t.clone())),
            Some(old) if !old.same_definition(t) => {
                rebuild.insert(Key::Trigger(id.clone()));
            }
            Some(old) => {
                if old.enabled != t.enabled {
                    object_ops.push(Op::SetTriggerEnabled {
                        trigger: id.clone(),
                        from: old.enabled,
                        to: t.enabled,
                    });
                }
                comment_op(
                    &mut object_ops,
                    ObjectRef::Trigger(id.clone()),
                    &old.comment,
                    &t.comment,
                );
            }
        }
    }
    for (id, t) in &current.triggers {
        if !target.triggers.contains_key(id) {
            object_ops.push(Op::DropTrigger(t.clone()));
        }
    }

    // What goes away or is rebuilt: its dependents must be rebuilt.
    let mut changing = Changing::default();
    for op in ops.iter().chain(&object_ops) {
        changing.note(op, current);
        if options.tables_rebuilt_by_alter {
            changing.note_rebuild(op, current);
        }
    }
    for key in &rebuild {
        changing.note_key(key);
    }
    close_over_dependents(current, &mut changing, &mut rebuild);

    // A rebuilt object is dropped and created again: no other op of it.
    let rebuilt_ref = |op: &Op| {
        let key = match op {
            Op::ReplaceView { to, .. } => Key::View(to.name.clone()),
            Op::ReplaceFunction { to, .. } => Key::Function(to.id.clone()),
            Op::SetTriggerEnabled { trigger, .. } => Key::Trigger(trigger.clone()),
            Op::SetObjectComment { object, .. } => match object {
                ObjectRef::View { name, .. } => Key::View(name.clone()),
                ObjectRef::Function { id, .. } => Key::Function(id.clone()),
                ObjectRef::Trigger(id) => Key::Trigger(id.clone()),
                ObjectRef::Extension(_) | ObjectRef::Domain(_) => return false,
            },
            Op::CreateIndex { table, .. } | Op::DropIndex { table, .. } => Key::View(table.clone()),
            _ => return false,
        };
        rebuild.contains(&key)
    };
    object_ops.retain(|op| !rebuilt_ref(op));
    for key in &rebuild {
        match key {
            Key::View(name) => {
                if let (Some(old), Some(new)) = (current.views.get(name), target.views.get(name)) {
                    object_ops.push(Op::DropView(old.clone()));
                    object_ops.push(Op::CreateView(new.clone()));
                }
            }
            Key::Trigger(id) => {
                if let (Some(old), Some(new)) = (current.triggers.get(id), target.triggers.get(id))
                {
                    object_ops.push(Op::DropTrigger(old.clone()));
                    object_ops.push(Op::CreateTrigger(new.clone()));
                }
            }
            Key::Function(id) => {
                if let (Some(old), Some(new)) =
                    (current.functions.get(id), target.functions.get(id))
                {
                    object_ops.push(Op::RecreateFunction {
                        from: old.clone(),
                        to: new.clone(),
                    });
                }
            }
        }
    }
    ops.extend(object_ops);
}

/// `schema` with no owner on any object (owners not compared: none is
/// written either). Borrowed as it is when it has none.
pub(crate) fn without_owners(schema: &Schema) -> std::borrow::Cow<'_, Schema> {
    let owned = schema.views.values().any(|v| v.owner.is_some())
        || schema.functions.values().any(|f| f.owner.is_some())
        || schema.domains.values().any(|d| d.owner.is_some());
    if !owned {
        return std::borrow::Cow::Borrowed(schema);
    }
    let mut s = schema.clone();
    s.views.values_mut().for_each(|v| v.owner = None);
    s.functions.values_mut().for_each(|f| f.owner = None);
    s.domains.values_mut().for_each(|d| d.owner = None);
    std::borrow::Cow::Owned(s)
}

/// `ALTER ... OWNER TO` for the objects on both sides whose declared owner
/// differs from the live one.
pub(crate) fn diff_owners(current: &Schema, target: &Schema, ops: &mut Vec<Op>) {
    let mut push = |object: ObjectRef, from: &Option<String>, to: &Option<String>| {
        if let (Some(from), Some(to)) = (from, to)
            && from != to
        {
            ops.push(Op::SetOwner {
                object,
                from: from.clone(),
                to: to.clone(),
            });
        }
    };
    for (n, v) in &target.views {
        if let Some(old) = current.views.get(n) {
            push(v.object_ref(), &old.owner, &v.owner);
        }
    }
    for (id, f) in &target.functions {
        if let Some(old) = current.functions.get(id) {
            push(f.object_ref(), &old.owner, &f.owner);
        }
    }
    for (n, d) in &target.domains {
        if let Some(old) = current.domains.get(n) {
            push(ObjectRef::Domain(n.clone()), &old.owner, &d.owner);
        }
    }
}

fn comment_op(ops: &mut Vec<Op>, object: ObjectRef, from: &Option<String>, to: &Option<String>) {
    if from != to {
        ops.push(Op::SetObjectComment {
            object,
            from: from.clone(),
            to: to.clone(),
        });
    }
}

fn diff_extensions(current: &Schema, target: &Schema, ops: &mut Vec<Op>) {
    for (name, e) in &target.extensions {
        let Some(old) = current.extensions.get(name) else {
            ops.push(Op::CreateExtension(e.clone()));
            continue;
        };
        // The version and the comment are compared only where declared.
        let mut want = e.clone();
        if want.version.is_none() {
            want.version = old.version.clone();
        }
        if want.comment.is_none() {
            want.comment = old.comment.clone();
        }
        if old.schema != want.schema || old.version != want.version {
            ops.push(Op::AlterExtension {
                from: Extension {
                    comment: want.comment.clone(),
                    ..old.clone()
                },
                to: want.clone(),
            });
        }
        comment_op(
            ops,
            ObjectRef::Extension(name.clone()),
            &old.comment,
            &want.comment,
        );
    }
    for (name, e) in &current.extensions {
        if !target.extensions.contains_key(name) {
            ops.push(Op::DropExtension(e.clone()));
        }
    }
}

fn diff_domains(current: &Schema, target: &Schema, ops: &mut Vec<Op>) {
    for (name, d) in &target.domains {
        match current.domains.get(name) {
            None => ops.push(Op::CreateDomain(d.clone())),
            Some(old) => {
                // A new base type or collation: the renderer makes the
                // domain again, which the server refuses while a column
                // uses it.
                let same = Domain {
                    comment: old.comment.clone(),
                    ..d.clone()
                };
                if *old != same {
                    ops.push(Op::AlterDomain {
                        from: old.clone(),
                        to: Domain {
                            comment: old.comment.clone(),
                            ..d.clone()
                        },
                    });
                }
                comment_op(
                    ops,
                    ObjectRef::Domain(name.clone()),
                    &old.comment,
                    &d.comment,
                );
            }
        }
    }
    for (name, d) in &current.domains {
        if !target.domains.contains_key(name) {
            ops.push(Op::DropDomain(d.clone()));
        }
    }
}

/// A materialized view's indexes, by name, as a table's are.
fn diff_view_indexes(old: &View, new: &View, ops: &mut Vec<Op>) {
    let find = |list: &[Index], name: &str| list.iter().find(|i| i.name == name).cloned();
    for i in &new.indexes {
        match find(&old.indexes, &i.name) {
            Some(o) if &o == i => {}
            Some(o) => {
                ops.push(Op::DropIndex {
                    table: old.name.clone(),
                    index: o,
                });
                ops.push(Op::CreateIndex {
                    table: new.name.clone(),
                    index: i.clone(),
                });
            }
            None => ops.push(Op::CreateIndex {
                table: new.name.clone(),
                index: i.clone(),
            }),
        }
    }
    for o in &old.indexes {
        if find(&new.indexes, &o.name).is_none() {
            ops.push(Op::DropIndex {
                table: old.name.clone(),
                index: o.clone(),
            });
        }
    }
}

/// The relations, columns and functions that go away or change under
/// their dependents in this revision.
#[derive(Default)]
struct Changing {
    /// Whole relations: dropped tables, dropped or rebuilt views.
    relations: BTreeSet<ObjectName>,
    /// Columns whose type changes or that are dropped.
    columns: BTreeSet<(ObjectName, String)>,
    functions: BTreeSet<FunctionId>,
    /// Tables made again (SQLite's batch mode): their triggers go with them.
    rebuilt_tables: BTreeSet<ObjectName>,
}

impl Changing {
    /// An existing table an op rebuilds, as Alembic's batch mode on SQLite
    /// does for every change but an index and a column added with no
    /// server default (a default is an expression to it).
    fn note_rebuild(&mut self, op: &Op, current: &Schema) {
        let rebuilds = match op {
            Op::CreateIndex { .. }
            | Op::DropIndex { .. }
            | Op::CreateTable(_)
            | Op::DropTable(_) => false,
            Op::AddColumn { column, .. } => {
                column.default.is_some() || column.generated.as_ref().is_some_and(|g| g.stored)
            }
            _ => true,
        };
        if let Some(table) = op
            .table()
            .filter(|t| rebuilds && current.tables.contains_key(*t))
        {
            self.relations.insert(table.clone());
            self.rebuilt_tables.insert(table.clone());
        }
    }

    fn note(&mut self, op: &Op, current: &Schema) {
        match op {
            Op::DropTable(t) => {
                self.relations.insert(t.name.clone());
            }
            Op::DropView(v) => {
                self.relations.insert(v.name.clone());
            }
            Op::DropColumn { table, column } => {
                self.columns.insert((table.clone(), column.name.clone()));
            }
            Op::AlterColumn(a) if a.type_changed() => {
                self.columns.insert((a.table.clone(), a.from.name.clone()));
            }
            Op::RecreateEnum { usages, .. } => {
                for u in usages {
                    self.columns.insert((u.table.clone(), u.column.clone()));
                }
            }
            // A type changed by ALTER TYPE ... ADD VALUE keeps its columns.
            Op::DropFunction(f) => {
                self.functions.insert(f.id.clone());
            }
            Op::DropEnum(e) => {
                // Columns of a dropped enum change type with it.
                for t in current.tables.values() {
                    for c in &t.columns {
                        if matches!(&c.data_type, DataType::Enum(n) if *n == e.name) {
                            self.columns.insert((t.name.clone(), c.name.clone()));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn note_key(&mut self, key: &Key) {
        match key {
            Key::View(n) => {
                self.relations.insert(n.clone());
            }
            Key::Function(id) => {
                self.functions.insert(id.clone());
            }
            Key::Trigger(_) => {}
        }
    }

    fn hits(&self, dependency: &Dependency) -> bool {
        match dependency {
            Dependency::Relation(r) => {
                self.relations.contains(r) || self.columns.iter().any(|(t, _)| t == r)
            }
            Dependency::Column(t, c) => {
                self.relations.contains(t) || self.columns.contains(&(t.clone(), c.clone()))
            }
            Dependency::Function(f) => self.functions.contains(f),
        }
    }
}

/// Adds to `rebuild` every current view and trigger that depends on what
/// changes, transitively (a view over a rebuilt view is rebuilt too).
fn close_over_dependents(current: &Schema, changing: &mut Changing, rebuild: &mut BTreeSet<Key>) {
    // Dependents by what they depend on: a relation's name or a function.
    let mut by_relation: BTreeMap<&ObjectName, Vec<(Key, &Dependency)>> = BTreeMap::new();
    let mut by_function: BTreeMap<&FunctionId, Vec<Key>> = BTreeMap::new();
    let edges = current
        .views
        .values()
        .flat_map(|v| v.depends_on.iter().map(|d| (Key::View(v.name.clone()), d)))
        .chain(
            current
                .triggers
                .values()
                .flat_map(|t| t.depends_on.iter().map(|d| (Key::Trigger(t.id.clone()), d))),
        );
    // A trigger on a table made again is lost with the old table.
    for t in current.triggers.values() {
        if changing.rebuilt_tables.contains(&t.id.table) {
            rebuild.insert(Key::Trigger(t.id.clone()));
        }
    }
    for (key, dep) in edges {
        match dep {
            Dependency::Relation(r) | Dependency::Column(r, _) => {
                by_relation.entry(r).or_default().push((key, dep))
            }
            Dependency::Function(f) => by_function.entry(f).or_default().push(key),
        }
    }
    let mut queue: Vec<Key> = Vec::new();
    let relations: Vec<ObjectName> = changing
        .relations
        .iter()
        .chain(changing.columns.iter().map(|(t, _)| t))
        .cloned()
        .collect();
    let mut pending_relations = relations;
    let mut pending_functions: Vec<FunctionId> = changing.functions.iter().cloned().collect();
    loop {
        for r in std::mem::take(&mut pending_relations) {
            for (key, dep) in by_relation.get(&r).into_iter().flatten() {
                if changing.hits(dep) && !rebuild.contains(key) {
                    queue.push(key.clone());
                }
            }
        }
        for f in std::mem::take(&mut pending_functions) {
            for key in by_function.get(&f).into_iter().flatten() {
                if !rebuild.contains(key) {
                    queue.push(key.clone());
                }
            }
        }
        if queue.is_empty() {
            break;
        }
        for key in std::mem::take(&mut queue) {
            if !rebuild.insert(key.clone()) {
                continue;
            }
            // A rebuilt view changes as a whole under its own dependents.
            if let Key::View(n) = &key {
                changing.relations.insert(n.clone());
                pending_relations.push(n.clone());
            }
        }
    }
    // Objects the target no longer has are dropped anyway; objects new in
    // the target are created anyway: only those on both sides are rebuilt
    // (the caller checks both sides).
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Column, Table};
    use crate::{DiffOptions, apply, diff};

    fn name(n: &str) -> ObjectName {
        ObjectName::new("public", n)
    }

    fn view(n: &str, materialized: bool, deps: &[Dependency]) -> View {
        let mut v = View::new(name(n), materialized, format!("SELECT * FROM {n}_src"));
        v.columns = vec![("name".into(), "character varying(100)".into())];
        v.depends_on = deps.iter().cloned().collect();
        v
    }

    /// `t.name` under v1 ← v2 ← v3 and under a materialized view with an
    /// index, and a trigger naming the column.
    fn schema(length: u32) -> Schema {
        let mut s = Schema::default();
        let mut t = Table::new(name("t"));
        t.columns.push(Column::new("id", DataType::Integer));
        t.columns.push(Column::new(
            "name",
            DataType::Varchar {
                length: Some(length),
            },
        ));
        s.tables.insert(t.name.clone(), t);
        let col = Dependency::Column(name("t"), "name".into());
        for v in [
            view("v1", false, std::slice::from_ref(&col)),
            view(
                "v2",
                false,
                &[Dependency::Column(name("v1"), "name".into())],
            ),
            view("v3", false, &[Dependency::Relation(name("v2"))]),
            view(
                "zz_unrelated",
                false,
                &[Dependency::Column(name("t"), "id".into())],
            ),
        ] {
            s.views.insert(v.name.clone(), v);
        }
        let mut mv = view("mv", true, std::slice::from_ref(&col));
        mv.indexes.push(Index {
            name: "mv_name".into(),
            unique: false,
            keys: vec![crate::model::IndexKey::column("name")],
            predicate: None,
            method: "btree".into(),
            include: vec![],
            nulls_not_distinct: false,
        });
        s.views.insert(mv.name.clone(), mv);
        let id = TriggerId {
            table: name("t"),
            name: "trg".into(),
        };
        s.triggers.insert(
            id.clone(),
            Trigger {
                id,
                definition: "CREATE TRIGGER trg BEFORE UPDATE OF name ON public.t".into(),
                as_written: None,
                search_path: None,
                enabled: TriggerEnabled::Origin,
                comment: None,
                depends_on: [col].into_iter().collect(),
            },
        );
        s
    }

    #[test]
    fn a_type_change_rebuilds_its_dependents_transitively_in_order() {
        let (before, after) = (schema(100), schema(500));
        let ops = diff(&before, &after, &DiffOptions::default());
        let kinds: Vec<String> = ops
            .iter()
            .map(|o| format!("{} {}", o.kind(), o.object_path()))
            .collect();
        assert_eq!(
            kinds,
            [
                "drop_trigger public.t.trg",
                "drop_view public.v3",
                "drop_view public.v2",
                "drop_view public.v1",
                "drop_materialized_view public.mv",
                "alter_column public.t.name",
                "create_materialized_view public.mv",
                "create_view public.v1",
                "create_view public.v2",
                "create_view public.v3",
                "create_trigger public.t.trg",
            ]
        );
        // The materialized view comes back with its index.
        assert!(
            ops.iter()
                .any(|o| matches!(o, Op::CreateView(v) if v.materialized && v.indexes.len() == 1))
        );
        // Applied, the ops give the target; their inverses give the start.
        let mut s = before.clone();
        for op in &ops {
            apply(&mut s, op);
        }
        assert_eq!(s, after);
        for op in ops.iter().rev() {
            apply(&mut s, &op.inverse());
        }
        assert_eq!(s, before);
    }

    #[test]
    fn a_dropped_view_goes_before_the_table_and_unchanged_objects_are_left_alone() {
        let before = schema(100);
        let mut after = before.clone();
        after.tables.remove(&name("t"));
        after.views.clear();
        after.triggers.clear();
        let ops = diff(&before, &after, &DiffOptions::default());
        let last = ops.last().map(|o| o.kind());
        assert_eq!(last, Some("drop_table"));
        assert_eq!(diff(&before, &before, &DiffOptions::default()), vec![]);
    }

    #[test]
    fn a_view_whose_columns_stay_is_replaced_in_place() {
        let before = schema(100);
        let mut after = before.clone();
        let v3 = after.views.get_mut(&name("v3")).unwrap();
        v3.query = "SELECT name, 1 AS one FROM v2".into();
        v3.columns.push(("one".into(), "integer".into()));
        let ops = diff(&before, &after, &DiffOptions::default());
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].kind(), "replace_view");
        // Columns that change: dropped and created again, with dependents.
        let mut after = before.clone();
        let v2 = after.views.get_mut(&name("v2")).unwrap();
        v2.query = "SELECT 1 AS other".into();
        v2.columns = vec![("other".into(), "integer".into())];
        let kinds: Vec<String> = diff(&before, &after, &DiffOptions::default())
            .iter()
            .map(|o| format!("{} {}", o.kind(), o.object_path()))
            .collect();
        assert_eq!(
            kinds,
            [
                "drop_view public.v3",
                "drop_view public.v2",
                "create_view public.v2",
                "create_view public.v3",
            ]
        );
    }
}

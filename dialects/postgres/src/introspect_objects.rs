//! The objects beyond tables, read in five more set-based catalog queries
//! (views and materialized views, functions and procedures, triggers,
//! extensions, and the dependency edges from `pg_depend`), whatever their
//! number. Definitions are read as the server prints them under an empty
//! search path, so every name in them is qualified (as `pg_dump` writes
//! them); objects that belong to an extension are left out.

use std::collections::{BTreeSet, HashMap};

use migdiff_model::*;
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::introspect::PgError;

pub(crate) const VIEWS: &str = "select c.oid::int8, n.nspname::text, c.relname::text, \
    c.relkind = 'm', pg_get_viewdef(c.oid), coalesce(c.reloptions::text[], '{}'), \
    c.relispopulated, ds.description, \
    array(select a.attname::text from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 \
        and not a.attisdropped order by a.attnum), \
    array(select format_type(a.atttypid, a.atttypmod) from pg_attribute a \
        where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum), \
    pg_get_userbyid(c.relowner)::text \
    from pg_class c join pg_namespace n on n.oid = c.relnamespace \
    left join pg_description ds on ds.objoid = c.oid and ds.classoid = 'pg_class'::regclass \
        and ds.objsubid = 0 \
    where c.relkind in ('v', 'm') and n.nspname = any($1) \
    and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass \
        and d.objid = c.oid and d.deptype = 'e') \
    order by 2, 3";

pub(crate) const FUNCTIONS: &str = "select p.oid::int8, n.nspname::text, p.proname::text, \
    p.prokind = 'p', \
    array_to_string(array(select format_type(u.t, null) \
        from unnest(p.proargtypes::oid[]) with ordinality u(t, o) order by u.o), ', '), \
    pg_get_functiondef(p.oid), coalesce(pg_get_function_result(p.oid), ''), \
    coalesce(pg_get_function_arguments(p.oid), ''), l.lanname::text, ds.description, \
    pg_get_userbyid(p.proowner)::text \
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace \
    join pg_language l on l.oid = p.prolang \
    left join pg_description ds on ds.objoid = p.oid and ds.classoid = 'pg_proc'::regclass \
        and ds.objsubid = 0 \
    where n.nspname = any($1) and p.prokind in ('f', 'p') \
    and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass \
        and d.objid = p.oid and d.deptype = 'e') \
    order by 2, 3, 5";

// Triggers a partition inherits from its parent's are the parent's.
pub(crate) const TRIGGERS: &str = "select t.oid::int8, n.nspname::text, c.relname::text, \
    t.tgname::text, pg_get_triggerdef(t.oid), t.tgenabled::text, ds.description \
    from pg_trigger t join pg_class c on c.oid = t.tgrelid \
    join pg_namespace n on n.oid = c.relnamespace \
    left join pg_description ds on ds.objoid = t.oid and ds.classoid = 'pg_trigger'::regclass \
        and ds.objsubid = 0 \
    where not t.tgisinternal and t.tgparentid = 0 and n.nspname = any($1) \
    order by 2, 3, 4";

// plpgsql is in every database from the start: never declared, never drift.
pub(crate) const EXTENSIONS: &str = "select e.extname::text, n.nspname::text, \
    e.extversion::text, ds.description \
    from pg_extension e join pg_namespace n on n.oid = e.extnamespace \
    left join pg_description ds on ds.objoid = e.oid and ds.classoid = 'pg_extension'::regclass \
        and ds.objsubid = 0 \
    where e.extname <> 'plpgsql' and (cardinality($1::text[]) = 0 or n.nspname = any($1) \
        or n.nspname = 'pg_catalog') \
    order by 1";

// The normal dependencies of views (through their rewrite rule) and of
// triggers on relations, their columns and functions. A view's rule on its
// own view and a trigger on its own table are internal or automatic
// dependencies, left out by `deptype = 'n'`.
pub(crate) const DEPENDS: &str = "select (d.classid = 'pg_trigger'::regclass), \
    coalesce(r.ev_class, t.oid)::int8, \
    coalesce(rn.nspname, pn.nspname)::text, coalesce(rc.relname, p.proname)::text, \
    ra.attname::text, \
    case when p.oid is not null then array_to_string(array(select format_type(u.t, null) \
        from unnest(p.proargtypes::oid[]) with ordinality u(t, o) order by u.o), ', ') end \
    from pg_depend d \
    left join pg_rewrite r on d.classid = 'pg_rewrite'::regclass and r.oid = d.objid \
    left join pg_trigger t on d.classid = 'pg_trigger'::regclass and t.oid = d.objid \
    left join pg_class rc on d.refclassid = 'pg_class'::regclass and rc.oid = d.refobjid \
    left join pg_namespace rn on rn.oid = rc.relnamespace \
    left join pg_attribute ra on ra.attrelid = rc.oid and ra.attnum = d.refobjsubid \
        and d.refobjsubid > 0 \
    left join pg_proc p on d.refclassid = 'pg_proc'::regclass and p.oid = d.refobjid \
    left join pg_namespace pn on pn.oid = p.pronamespace \
    where d.deptype = 'n' and (r.oid is not null or t.oid is not null) \
    and (rc.oid is not null or p.oid is not null) \
    and (r.oid is null or rc.oid is null or rc.oid <> r.ev_class) \
    and coalesce(rn.nspname, pn.nspname) = any($1)";

pub(crate) const DOMAINS: &str = "select n.nspname::text, t.typname::text, \
    format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault, \
    array(select k.conname::text from pg_constraint k where k.contypid = t.oid \
        and k.contype = 'c' order by k.conname), \
    array(select pg_get_constraintdef(k.oid) from pg_constraint k where k.contypid = t.oid \
        and k.contype = 'c' order by k.conname), \
    case when t.typcollation <> 0 and t.typcollation <> bt.typcollation then co.collname::text end, \
    ds.description, pg_get_userbyid(t.typowner)::text \
    from pg_type t join pg_namespace n on n.oid = t.typnamespace \
    join pg_type bt on bt.oid = t.typbasetype \
    left join pg_collation co on co.oid = t.typcollation \
    left join pg_description ds on ds.objoid = t.oid and ds.classoid = 'pg_type'::regclass \
        and ds.objsubid = 0 \
    where t.typtype = 'd' and n.nspname = any($1) \
    and not exists (select 1 from pg_depend d where d.classid = 'pg_type'::regclass \
        and d.objid = t.oid and d.deptype = 'e') \
    order by 1, 2";

/// The object queries' rows, as read.
#[derive(Default)]
pub(crate) struct ObjectRows {
    pub(crate) views: Vec<(i64, View)>,
    pub(crate) functions: Vec<Function>,
    pub(crate) triggers: Vec<(i64, Trigger)>,
    pub(crate) extensions: Vec<Extension>,
    pub(crate) domains: Vec<Domain>,
    pub(crate) depends: Vec<DependRow>,
}

pub(crate) struct DependRow {
    trigger: bool,
    dependent: i64,
    on: Dependency,
}

pub(crate) fn view_row(row: PgRow) -> Result<Option<(i64, View)>, PgError> {
    let name = ObjectName::new(row.get::<String, _>(1), row.get::<String, _>(2));
    // pg_get_viewdef ends the query with a semicolon.
    let query = row.get::<String, _>(4);
    let query = query.trim().trim_end_matches(';').trim_end().to_string();
    let mut view = View::new(name, row.get(3), query);
    let mut options: Vec<String> = row.get(5);
    options.sort();
    view.options = options;
    view.with_data = row.get(6);
    view.comment = row.get(7);
    let names: Vec<String> = row.get(8);
    let types: Vec<String> = row.get(9);
    view.columns = names.into_iter().zip(types).collect();
    view.owner = row.get(10);
    Ok(Some((row.get(0), view)))
}

pub(crate) fn function_row(row: PgRow) -> Result<Option<Function>, PgError> {
    Ok(Some(Function {
        id: FunctionId {
            name: ObjectName::new(row.get::<String, _>(1), row.get::<String, _>(2)),
            args: row.get(4),
        },
        procedure: row.get(3),
        definition: row.get::<String, _>(5).trim().to_string(),
        as_written: None,
        search_path: None,
        result: row.get(6),
        arguments: row.get(7),
        language: row.get(8),
        comment: row.get(9),
        owner: row.get(10),
    }))
}

pub(crate) fn trigger_row(row: PgRow) -> Result<Option<(i64, Trigger)>, PgError> {
    let table = ObjectName::new(row.get::<String, _>(1), row.get::<String, _>(2));
    Ok(Some((
        row.get(0),
        Trigger {
            id: TriggerId {
                table,
                name: row.get(3),
            },
            definition: row.get(4),
            as_written: None,
            search_path: None,
            enabled: TriggerEnabled::from_code(&row.get::<String, _>(5)),
            comment: row.get(6),
            depends_on: BTreeSet::new(),
        },
    )))
}

pub(crate) fn extension_row(row: PgRow) -> Result<Option<Extension>, PgError> {
    Ok(Some(Extension {
        name: row.get(0),
        schema: row.get(1),
        version: row.get(2),
        comment: row.get(3),
    }))
}

pub(crate) fn domain_row(row: PgRow) -> Result<Option<Domain>, PgError> {
    let base_type = migdiff_sqlexpr::parse_type_text(&row.get::<String, _>(2), crate::DIALECT);
    let default: Option<String> = row.get(4);
    let names: Vec<String> = row.get(5);
    let defs: Vec<String> = row.get(6);
    let mut checks = Vec::new();
    for (name, def) in names.into_iter().zip(defs) {
        let body = crate::introspect::check_body(&def);
        checks.push((name, migdiff_sqlexpr::normalize_expr(body, crate::DIALECT)?));
    }
    Ok(Some(Domain {
        name: ObjectName::new(row.get::<String, _>(0), row.get::<String, _>(1)),
        default: default
            .map(|d| migdiff_sqlexpr::normalize_default(&d, &base_type, crate::DIALECT))
            .transpose()?,
        base_type,
        collation: row.get(7),
        not_null: row.get(3),
        checks,
        comment: row.get(8),
        owner: row.get(9),
    }))
}

pub(crate) fn depend_row(row: PgRow) -> Result<Option<DependRow>, PgError> {
    let name = ObjectName::new(row.get::<String, _>(2), row.get::<String, _>(3));
    let column: Option<String> = row.get(4);
    let args: Option<String> = row.get(5);
    let on = match (args, column) {
        (Some(args), _) => Dependency::Function(FunctionId { name, args }),
        (None, Some(c)) => Dependency::Column(name, c),
        (None, None) => Dependency::Relation(name),
    };
    Ok(Some(DependRow {
        trigger: row.get(0),
        dependent: row.get(1),
        on,
    }))
}

/// Files the objects into `schema`: triggers on a relation the schema
/// holds, the dependency edges on their dependents.
pub(crate) fn assemble(schema: &mut Schema, rows: ObjectRows, view_indexes: Vec<(i64, Index)>) {
    let mut view_names: HashMap<i64, ObjectName> = HashMap::new();
    for (oid, view) in rows.views {
        view_names.insert(oid, view.name.clone());
        schema.views.insert(view.name.clone(), view);
    }
    for (oid, index) in view_indexes {
        if let Some(v) = view_names.get(&oid).and_then(|n| schema.views.get_mut(n)) {
            v.indexes.push(index);
        }
    }
    for f in rows.functions {
        schema.functions.insert(f.id.clone(), f);
    }
    let mut trigger_ids: HashMap<i64, TriggerId> = HashMap::new();
    for (oid, t) in rows.triggers {
        let on = &t.id.table;
        if schema.tables.contains_key(on) || schema.views.contains_key(on) {
            trigger_ids.insert(oid, t.id.clone());
            schema.triggers.insert(t.id.clone(), t);
        }
    }
    for e in rows.extensions {
        schema.extensions.insert(e.name.clone(), e);
    }
    for d in rows.domains {
        schema.domains.insert(d.name.clone(), d);
    }
    for d in rows.depends {
        if d.trigger {
            if let Some(t) = trigger_ids
                .get(&d.dependent)
                .and_then(|id| schema.triggers.get_mut(id))
            {
                t.depends_on.insert(d.on);
            }
        } else if let Some(v) = view_names
            .get(&d.dependent)
            .and_then(|n| schema.views.get_mut(n))
        {
            v.depends_on.insert(d.on);
        }
    }
    schema.canonicalize();
}

//! PostgreSQL DDL for the objects beyond tables. A created object is
//! written as the declared DDL wrote it (its own spelling), or, for one
//! the live database holds (a downgrade), as the server prints it.

use migdiff_model::*;
use migdiff_sqlexpr::{quote_ident, quote_literal};

use crate::render::index_sql;

fn ident(s: &str) -> String {
    quote_ident(s, crate::DIALECT)
}

/// Always schema-qualified: object bodies are printed with every name
/// qualified, and a revision may run under any search path.
fn qualified(n: &ObjectName) -> String {
    format!("{}.{}", ident(&n.schema), ident(&n.name))
}

fn function_target(id: &FunctionId) -> String {
    format!("{}({})", qualified(&id.name), id.args)
}

fn kind_target(object: &ObjectRef) -> String {
    let what = match object {
        ObjectRef::View { name, .. } => qualified(name),
        ObjectRef::Function { id, .. } => function_target(id),
        ObjectRef::Trigger(t) => format!("{} ON {}", ident(&t.name), qualified(&t.table)),
        ObjectRef::Extension(e) => ident(e),
        ObjectRef::Domain(n) => qualified(n),
    };
    format!("{} {what}", object.sql_kind())
}

fn comment_sql(object: &ObjectRef, text: &Option<String>) -> String {
    format!(
        "COMMENT ON {} IS {}",
        kind_target(object),
        text.as_deref()
            .map(quote_literal)
            .unwrap_or_else(|| "NULL".into())
    )
}

/// A statement without its trailing semicolon and surrounding blank space.
fn statement(text: &str) -> String {
    text.trim().trim_end_matches(';').trim_end().to_string()
}

/// `CREATE ...` made `CREATE OR REPLACE ...` (a no-op where it already is).
fn or_replace(text: &str) -> String {
    let text = statement(text);
    let head: String = text
        .chars()
        .take(20)
        .collect::<String>()
        .to_ascii_uppercase();
    if head.starts_with("CREATE OR REPLACE") {
        return text;
    }
    match text.get(..6) {
        Some(c) if c.eq_ignore_ascii_case("CREATE") => format!("CREATE OR REPLACE{}", &text[6..]),
        _ => text,
    }
}

/// A statement as written under the search path it was written for: set
/// for it alone (a revision runs under any search path), then reset.
fn under_search_path(search_path: &Option<String>, statements: Vec<String>) -> Vec<String> {
    match search_path {
        Some(path) => {
            let mut out = vec![format!("SET search_path TO {path}")];
            out.extend(statements);
            out.push("RESET search_path".to_string());
            out
        }
        None => statements,
    }
}

fn view_statement(v: &View) -> String {
    if let Some(w) = &v.as_written {
        return statement(w);
    }
    let kind = if v.materialized {
        "MATERIALIZED VIEW"
    } else {
        "VIEW"
    };
    let options = if v.options.is_empty() {
        String::new()
    } else {
        format!(" WITH ({})", v.options.join(", "))
    };
    let data = if v.materialized && !v.with_data {
        " WITH NO DATA"
    } else {
        ""
    };
    format!(
        "CREATE {kind} {}{options} AS\n{}{data}",
        qualified(&v.name),
        statement(&v.query)
    )
}

fn owner_sql(object: &ObjectRef, owner: &str) -> String {
    format!("ALTER {} OWNER TO {}", kind_target(object), ident(owner))
}

fn create_view(v: &View) -> Vec<String> {
    let path = v.as_written.as_ref().and(v.search_path.clone());
    let mut out = under_search_path(&path, vec![view_statement(v)]);
    for i in &v.indexes {
        out.push(index_sql(&v.name, i));
    }
    if v.comment.is_some() {
        out.push(comment_sql(&v.object_ref(), &v.comment));
    }
    // Owners are carried only where they are compared.
    out.extend(v.owner.iter().map(|o| owner_sql(&v.object_ref(), o)));
    out
}

fn create_function(f: &Function) -> Vec<String> {
    let path = f.as_written.as_ref().and(f.search_path.clone());
    let mut out = under_search_path(&path, vec![statement(f.create_statement())]);
    if f.comment.is_some() {
        out.push(comment_sql(&f.object_ref(), &f.comment));
    }
    out.extend(f.owner.iter().map(|o| owner_sql(&f.object_ref(), o)));
    out
}

fn drop_function(f: &Function) -> String {
    let kind = if f.procedure { "PROCEDURE" } else { "FUNCTION" };
    format!("DROP {kind} {}", function_target(&f.id))
}

fn set_enabled(id: &TriggerId, to: TriggerEnabled) -> String {
    format!(
        "ALTER TABLE {} {} TRIGGER {}",
        qualified(&id.table),
        to.clause(),
        ident(&id.name)
    )
}

fn create_trigger(t: &Trigger) -> Vec<String> {
    let path = t.as_written.as_ref().and(t.search_path.clone());
    let mut out = under_search_path(&path, vec![statement(t.create_statement())]);
    if t.enabled != TriggerEnabled::Origin {
        out.push(set_enabled(&t.id, t.enabled));
    }
    if t.comment.is_some() {
        out.push(comment_sql(&ObjectRef::Trigger(t.id.clone()), &t.comment));
    }
    out
}

fn create_extension(e: &Extension) -> Vec<String> {
    let mut sql = format!(
        "CREATE EXTENSION {} WITH SCHEMA {}",
        ident(&e.name),
        ident(&e.schema)
    );
    if let Some(v) = &e.version {
        sql.push_str(&format!(" VERSION {}", quote_literal(v)));
    }
    vec![sql]
}

fn create_domain(d: &Domain) -> Vec<String> {
    let mut sql = format!(
        "CREATE DOMAIN {} AS {}",
        qualified(&d.name),
        migdiff_sqlexpr::type_sql(&d.base_type, crate::DIALECT)
    );
    if let Some(c) = &d.collation {
        sql.push_str(&format!(" COLLATE {}", ident(c)));
    }
    if let Some(default) = &d.default {
        sql.push_str(&format!(" DEFAULT {default}"));
    }
    if d.not_null {
        sql.push_str(" NOT NULL");
    }
    for (name, check) in &d.checks {
        sql.push_str(&format!(" CONSTRAINT {} CHECK ({check})", ident(name)));
    }
    let mut out = vec![sql];
    if d.comment.is_some() {
        out.push(comment_sql(&ObjectRef::Domain(d.name.clone()), &d.comment));
    }
    out.extend(
        d.owner
            .iter()
            .map(|o| owner_sql(&ObjectRef::Domain(d.name.clone()), o)),
    );
    out
}

/// `ALTER DOMAIN` for what changed; a new base type or collation makes
/// the domain again (refused by the server while a column uses it).
fn alter_domain(from: &Domain, to: &Domain) -> Vec<String> {
    let name = qualified(&to.name);
    if from.base_type != to.base_type || from.collation != to.collation {
        let mut out = vec![format!("DROP DOMAIN {name}")];
        out.extend(create_domain(to));
        return out;
    }
    let mut out = Vec::new();
    if from.default != to.default {
        out.push(match &to.default {
            Some(d) => format!("ALTER DOMAIN {name} SET DEFAULT {d}"),
            None => format!("ALTER DOMAIN {name} DROP DEFAULT"),
        });
    }
    if from.not_null != to.not_null {
        let verb = if to.not_null { "SET" } else { "DROP" };
        out.push(format!("ALTER DOMAIN {name} {verb} NOT NULL"));
    }
    for (n, e) in &from.checks {
        if !to.checks.iter().any(|(tn, te)| tn == n && te == e) {
            out.push(format!("ALTER DOMAIN {name} DROP CONSTRAINT {}", ident(n)));
        }
    }
    for (n, e) in &to.checks {
        if !from.checks.iter().any(|(fn_, fe)| fn_ == n && fe == e) {
            out.push(format!(
                "ALTER DOMAIN {name} ADD CONSTRAINT {} CHECK ({e})",
                ident(n)
            ));
        }
    }
    out
}

/// The SQL of an op on an object beyond tables; `None` for the others.
pub(crate) fn object_sql(op: &Op) -> Option<Vec<String>> {
    Some(match op {
        Op::CreateDomain(d) => create_domain(d),
        Op::DropDomain(d) => vec![format!("DROP DOMAIN {}", qualified(&d.name))],
        Op::AlterDomain { from, to } => alter_domain(from, to),
        Op::CreateExtension(e) => create_extension(e),
        Op::DropExtension(e) => vec![format!("DROP EXTENSION {}", ident(&e.name))],
        Op::AlterExtension { from, to } => {
            let mut out = Vec::new();
            if from.schema != to.schema {
                out.push(format!(
                    "ALTER EXTENSION {} SET SCHEMA {}",
                    ident(&to.name),
                    ident(&to.schema)
                ));
            }
            if from.version != to.version
                && let Some(v) = &to.version
            {
                out.push(format!(
                    "ALTER EXTENSION {} UPDATE TO {}",
                    ident(&to.name),
                    quote_literal(v)
                ));
            }
            out
        }
        Op::CreateFunction(f) => create_function(f),
        Op::DropFunction(f) => vec![drop_function(f)],
        Op::ReplaceFunction { to, .. } => under_search_path(
            &to.as_written.as_ref().and(to.search_path.clone()),
            vec![or_replace(to.create_statement())],
        ),
        Op::RecreateFunction { from, to } => {
            let mut out = vec![drop_function(from)];
            out.extend(create_function(to));
            out
        }
        Op::CreateView(v) => create_view(v),
        Op::DropView(v) => vec![format!(
            "DROP {} {}",
            v.object_ref().sql_kind(),
            qualified(&v.name)
        )],
        Op::ReplaceView { to, .. } => under_search_path(
            &to.as_written.as_ref().and(to.search_path.clone()),
            vec![or_replace(&view_statement(to))],
        ),
        Op::CreateTrigger(t) => create_trigger(t),
        Op::DropTrigger(t) => vec![format!(
            "DROP TRIGGER {} ON {}",
            ident(&t.id.name),
            qualified(&t.id.table)
        )],
        Op::SetTriggerEnabled { trigger, to, .. } => vec![set_enabled(trigger, *to)],
        Op::SetObjectComment { object, to, .. } => vec![comment_sql(object, to)],
        Op::SetOwner { object, to, .. } => vec![owner_sql(object, to)],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_is_spelled_where_create_was_written() {
        assert_eq!(
            or_replace("create view v as select 1;"),
            "CREATE OR REPLACE view v as select 1"
        );
        assert_eq!(
            or_replace("CREATE OR REPLACE FUNCTION f() ..."),
            "CREATE OR REPLACE FUNCTION f() ..."
        );
    }

    #[test]
    fn a_live_view_is_written_from_its_parts() {
        let mut v = View::new(ObjectName::new("app", "Mv"), true, " SELECT 1 AS one;");
        v.with_data = false;
        v.comment = Some("it's".into());
        let sql = object_sql(&Op::CreateView(v)).unwrap();
        assert_eq!(
            sql,
            [
                "CREATE MATERIALIZED VIEW app.\"Mv\" AS\nSELECT 1 AS one WITH NO DATA",
                "COMMENT ON MATERIALIZED VIEW app.\"Mv\" IS 'it''s'"
            ]
        );
    }
}

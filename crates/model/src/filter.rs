//! Which part of a schema is compared: `include_schemas`, `exclude_tables`
//! and `exclude_columns` as migdiff.toml and the command line give them.
//! One filter applies to both sides of a comparison, so what it leaves out
//! can never show up as drift.

use std::collections::BTreeSet;

use crate::Schema;

/// Schemas, tables and columns to compare. Empty lists filter nothing.
#[derive(Clone, Debug, Default)]
pub struct SchemaFilter {
    /// Only these schemas; empty means all.
    pub include_schemas: Vec<String>,
    /// Tables left out: globs on `name` or `schema.name`.
    pub exclude_tables: Vec<String>,
    /// Columns left out: globs on `table.column` or `schema.table.column`.
    pub exclude_columns: Vec<String>,
    /// Leave out views, functions, triggers and extensions: the declared
    /// source cannot state them (SQLAlchemy models), so the live ones are
    /// none of its business, as they are none of Alembic's.
    pub exclude_objects: bool,
}

impl SchemaFilter {
    /// Whether the table `schema.name` is left out by an exclude glob (the
    /// schema list is not consulted: the version table is looked up by
    /// name wherever it lives).
    pub fn excludes_table(&self, schema: Option<&str>, name: &str) -> bool {
        self.exclude_tables.iter().any(|g| {
            glob_match(g, name) || schema.is_some_and(|s| glob_match(g, &format!("{s}.{name}")))
        })
    }

    /// Removes what the filter leaves out from `schema`.
    pub fn apply(&self, schema: &mut Schema) {
        if !self.exclude_columns.is_empty() {
            for table in schema.tables.values_mut() {
                let (short, full) = (table.name.name.clone(), table.name.to_string());
                table.columns.retain(|c| {
                    !self.exclude_columns.iter().any(|g| {
                        glob_match(g, &format!("{short}.{}", c.name))
                            || glob_match(g, &format!("{full}.{}", c.name))
                    })
                });
            }
        }
        let includes = &self.include_schemas;
        schema.tables.retain(|n, _| {
            (includes.is_empty() || includes.contains(&n.schema))
                && !self.excludes_table(Some(&n.schema), &n.name)
        });
        if self.exclude_objects {
            schema.views.clear();
            schema.functions.clear();
            schema.triggers.clear();
            schema.extensions.clear();
        }
        if !includes.is_empty() {
            schema.enums.retain(|n, _| includes.contains(&n.schema));
            schema.sequences.retain(|n, _| includes.contains(&n.schema));
            schema.views.retain(|n, _| includes.contains(&n.schema));
            schema
                .functions
                .retain(|id, _| includes.contains(&id.name.schema));
            schema.schemas.retain(|s| includes.contains(s));
        }
        // A trigger goes with its table or view.
        let (tables, views) = (&schema.tables, &schema.views);
        schema
            .triggers
            .retain(|id, _| tables.contains_key(&id.table) || views.contains_key(&id.table));
    }
}

/// Schemas that hold nothing are not compared (Alembic ignores schemas),
/// except those in `keep`: an existing empty schema the declared side also
/// has is not created again.
pub fn drop_empty_schemas(schema: &mut Schema, keep: &BTreeSet<String>) {
    let used: BTreeSet<String> = schema
        .tables
        .keys()
        .chain(schema.enums.keys())
        .chain(schema.sequences.keys())
        .chain(schema.views.keys())
        .chain(schema.functions.keys().map(|f| &f.name))
        .map(|n| n.schema.clone())
        .chain(schema.extensions.values().map(|e| e.schema.clone()))
        .collect();
    schema
        .schemas
        .retain(|s| used.contains(s) || keep.contains(s));
}

/// A shell-style glob: `*` any run of characters, `?` one character,
/// everything else literal. Linear backtracking on the last star.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Column, DataType, ObjectName, Table};

    #[test]
    fn globs() {
        assert!(glob_match("audit_*", "audit_log"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(glob_match("*_tmp_*", "x_tmp_y_tmp_z"));
        assert!(!glob_match("audit", "audit_log"));
        assert!(glob_match("ü*", "über"));
    }

    fn table(schema: &str, name: &str, columns: &[&str]) -> Table {
        let mut t = Table::new(ObjectName::new(schema, name));
        for c in columns {
            t.columns.push(Column::new(*c, DataType::Integer));
        }
        t
    }

    #[test]
    fn filter_leaves_out_tables_columns_and_schemas() {
        let mut s = Schema::default();
        for t in [
            table("public", "users", &["id", "secret_hash"]),
            table("public", "audit_log", &["id"]),
            table("billing", "invoices", &["id", "secret_x"]),
        ] {
            s.tables.insert(t.name.clone(), t);
        }
        s.schemas.insert("billing".into());
        s.schemas.insert("public".into());
        let f = SchemaFilter {
            include_schemas: vec!["public".into()],
            exclude_tables: vec!["audit_*".into()],
            exclude_columns: vec!["users.secret_*".into()],
            exclude_objects: false,
        };
        f.apply(&mut s);
        let names: Vec<String> = s.tables.keys().map(|n| n.to_string()).collect();
        assert_eq!(names, ["public.users"]);
        let users = &s.tables[&ObjectName::new("public", "users")];
        assert_eq!(users.columns.len(), 1);
        assert!(!s.schemas.contains("billing"));
        assert!(f.excludes_table(Some("public"), "audit_log"));
        assert!(!f.excludes_table(None, "alembic_version"));
    }

    #[test]
    fn empty_schemas_dropped_unless_kept() {
        let mut s = Schema::default();
        s.schemas.insert("empty".into());
        s.schemas.insert("kept".into());
        let t = table("used", "t", &["id"]);
        s.tables.insert(t.name.clone(), t);
        s.schemas.insert("used".into());
        drop_empty_schemas(&mut s, &BTreeSet::from(["kept".to_string()]));
        let left: Vec<&String> = s.schemas.iter().collect();
        assert_eq!(left, ["kept", "used"]);
    }
}

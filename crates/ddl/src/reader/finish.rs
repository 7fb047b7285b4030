//! After the last statement: user types resolved, OWNED BY applied,
//! defaults and expressions normalized against the finished tables, and
//! every reference checked.

use super::*;

impl Reader {
    pub(super) fn resolve_type(&self, t: &DataType) -> DataType {
        match t {
            DataType::Other(text) => {
                let name = split_type_name(text, self.dialect);
                if self.schema.enums.contains_key(&name) {
                    return DataType::Enum(name);
                }
                // A domain, spelled as the server prints a column of it:
                // qualified outside the default schema, quoted as needed.
                if self.schema.domains.contains_key(&name) {
                    let quote = |n: &str| migdiff_sqlexpr::quote_ident(n, self.dialect);
                    return DataType::Other(if name.schema == self.dialect.default_schema() {
                        quote(&name.name)
                    } else {
                        format!("{}.{}", quote(&name.schema), quote(&name.name))
                    });
                }
                // Unqualified, under a `SET search_path`: the one enum of
                // that name in a schema a search path named.
                let unqualified = !text.contains('.');
                let mut found = self
                    .search_schemas
                    .iter()
                    .map(|s| ObjectName::new(s.clone(), name.name.clone()))
                    .filter(|n| unqualified && self.schema.enums.contains_key(n));
                match (found.next(), found.next()) {
                    (Some(n), None) => DataType::Enum(n),
                    _ => t.clone(),
                }
            }
            DataType::Array(inner) => DataType::Array(Box::new(self.resolve_type(inner))),
            other => other.clone(),
        }
    }

    pub(super) fn finish(mut self) -> Result<(m::Schema, BTreeMap<String, String>), DdlError> {
        self.view_references();
        // Enum-typed columns, now that every type is known.
        let names: Vec<ObjectName> = self.schema.tables.keys().cloned().collect();
        for name in &names {
            let resolved: Vec<DataType> = self.schema.tables[name]
                .columns
                .iter()
                .map(|c| self.resolve_type(&c.data_type))
                .collect();
            if let Some(t) = self.schema.tables.get_mut(name) {
                for (c, r) in t.columns.iter_mut().zip(resolved) {
                    c.data_type = r;
                }
            }
        }
        // As the server's introspection does: no `::text` on varchar columns.
        if self.dialect.adds_implicit_casts() {
            for table in self.schema.tables.values_mut() {
                let columns = table.column_types();
                let columns: Vec<(&str, &DataType)> =
                    columns.iter().map(|(n, t)| (n.as_str(), t)).collect();
                let spellings = self.spellings.get_mut();
                table.map_expressions(|e| {
                    let stripped = migdiff_sqlexpr::strip_implicit_casts(e, &columns, self.dialect);
                    // The written form now belongs to the stripped one.
                    if stripped != e
                        && let Some(written) = spellings.get(e).cloned()
                    {
                        spellings.entry(stripped.clone()).or_insert(written);
                    }
                    stripped
                });
            }
        }
        // A sequence owned by a column whose default is its nextval() is a serial.
        for (seq, table, column) in std::mem::take(&mut self.owned) {
            let Some(col) = self
                .schema
                .tables
                .get_mut(&table)
                .and_then(|t| t.column_mut(&column))
            else {
                continue;
            };
            let uses_it = col
                .default
                .as_deref()
                .is_some_and(|d| d.starts_with("nextval(") && d.contains(&seq.name));
            if uses_it && col.data_type.is_integer() {
                col.serial = true;
                col.default = None;
                self.schema.sequences.remove(&seq);
            }
        }
        for table in self.schema.tables.values_mut() {
            if self.dialect.primary_key_implies_not_null()
                && let Some(pk) = &table.primary_key
            {
                for c in pk.columns.clone() {
                    if let Some(col) = table.column_mut(&c) {
                        col.nullable = false;
                    }
                }
            }
            table.canonicalize();
        }
        self.validate()?;
        // What the server makes of the declared tables, as the catalog
        // side gets it too. A default it rewrites (MySQL's `2` in a
        // DECIMAL(10,2) is `2.00`) keeps the spelling the DDL wrote.
        let defaults = |schema: &m::Schema| -> Vec<((ObjectName, String), String)> {
            schema
                .tables
                .iter()
                .flat_map(|(name, t)| {
                    t.columns.iter().filter_map(move |c| {
                        c.default
                            .clone()
                            .map(|d| ((name.clone(), c.name.clone()), d))
                    })
                })
                .collect()
        };
        let before: BTreeMap<(ObjectName, String), String> =
            defaults(&self.schema).into_iter().collect();
        self.dialect.normalize(&mut self.schema);
        let mut spellings = self.spellings.into_inner();
        for (key, after) in defaults(&self.schema) {
            if let Some(was) = before.get(&key).filter(|was| **was != after) {
                let written = spellings.get(was).cloned().unwrap_or_else(|| was.clone());
                spellings.entry(after).or_insert(written);
            }
        }
        Ok((self.schema, spellings))
    }

    /// Every name a constraint or index uses must exist.
    pub(super) fn validate(&self) -> Result<(), DdlError> {
        for (name, table) in &self.schema.tables {
            let origin = self.table_origins.get(name).cloned().unwrap_or(Origin {
                path: String::new(),
                line: 0,
                column: 0,
                first_line: String::new(),
            });
            // PostgreSQL keeps 63 bytes of a name and drops the rest, so a
            // longer one would never match what the server reports.
            if let Some(max) = self.dialect.max_name_bytes() {
                let mut names = std::iter::once(&name.name)
                    .chain(table.columns.iter().map(|c| &c.name))
                    .chain(table.indexes.iter().map(|i| &i.name))
                    .chain(table.primary_key.iter().filter_map(|k| k.name.as_ref()))
                    .chain(table.foreign_keys.iter().filter_map(|k| k.name.as_ref()))
                    .chain(table.uniques.iter().filter_map(|k| k.name.as_ref()))
                    .chain(table.checks.iter().filter_map(|k| k.name.as_ref()));
                if let Some(long) = names.find(|n| n.len() > max) {
                    let mut cut = max;
                    while !long.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    return Err(origin.reference(format!(
                        "name `{long}` in table {name} is {} bytes; {} keeps {max} and would store `{}`. Shorten it",
                        long.len(),
                        self.dialect.title(),
                        &long[..cut]
                    )));
                }
            }
            let has = |c: &String| table.column(c).is_some();
            let missing = |what: &str, c: &String| {
                origin.reference(format!(
                    "{what} on table {name} names column {c}, which the table does not have"
                ))
            };
            if let Some(pk) = &table.primary_key
                && let Some(c) = pk.columns.iter().find(|c| !has(c))
            {
                return Err(missing("the primary key", c));
            }
            for u in &table.uniques {
                if let Some(c) = u.columns.iter().find(|c| !has(c)) {
                    return Err(missing("a unique constraint", c));
                }
            }
            for i in &table.indexes {
                for k in &i.keys {
                    if let m::IndexTarget::Column(c) = &k.target
                        && !has(c)
                    {
                        let at = self
                            .index_origins
                            .get(&(name.clone(), i.name.clone()))
                            .unwrap_or(&origin);
                        return Err(at.reference(format!(
                            "index {} on table {name} names column {c}, which the table does not have",
                            i.name
                        )));
                    }
                }
            }
            for f in &table.foreign_keys {
                if let Some(c) = f.columns.iter().find(|c| !has(c)) {
                    return Err(missing("a foreign key", c));
                }
                let Some(target) = self.schema.tables.get(&f.ref_table) else {
                    return Err(origin.reference(format!(
                        "a foreign key on table {name} references table {}, which is not declared",
                        f.ref_table
                    )));
                };
                if let Some(c) = f.ref_columns.iter().find(|c| target.column(c).is_none()) {
                    return Err(origin.reference(format!(
                        "a foreign key on table {name} references column {c} of table {}, which it does not have",
                        f.ref_table
                    )));
                }
            }
            // PostgreSQL 18 computes a virtual column on read: it cannot be
            // indexed nor be part of a key (a revision would fail there).
            let is_virtual = |c: &String| {
                table
                    .column(c)
                    .and_then(|c| c.generated.as_ref())
                    .is_some_and(|g| !g.stored)
            };
            if !self.dialect.keys_on_virtual_columns() {
                let keys = table
                    .primary_key
                    .iter()
                    .map(|k| ("the primary key", &k.columns))
                    .chain(
                        table
                            .uniques
                            .iter()
                            .map(|u| ("a unique constraint", &u.columns)),
                    )
                    .chain(
                        table
                            .foreign_keys
                            .iter()
                            .map(|f| ("a foreign key", &f.columns)),
                    );
                for (what, columns) in keys {
                    if let Some(c) = columns.iter().find(|c| is_virtual(c)) {
                        return Err(origin.reference(format!(
                            "{what} on table {name} includes column {c}, which is a virtual generated column; {} cannot key on one (make it STORED)",
                            self.dialect.title()
                        )));
                    }
                }
                for i in &table.indexes {
                    let used = i.keys.iter().flat_map(|k| match &k.target {
                        m::IndexTarget::Column(c) => vec![c.clone()],
                        m::IndexTarget::Expression(e) => {
                            migdiff_sqlexpr::referenced_columns(e, self.dialect)
                        }
                    });
                    if let Some(c) = used.into_iter().find(|c| is_virtual(c)) {
                        let at = self
                            .index_origins
                            .get(&(name.clone(), i.name.clone()))
                            .unwrap_or(&origin);
                        return Err(at.reference(format!(
                            "index {} on table {name} uses column {c}, which is a virtual generated column; {} cannot index one (make it STORED)",
                            i.name,
                            self.dialect.title()
                        )));
                    }
                }
            }
            for c in &table.columns {
                if let DataType::Enum(e) = &c.data_type
                    && !self.schema.enums.contains_key(e)
                {
                    return Err(origin.reference(format!(
                        "column {name}.{} uses type {e}, which is not declared",
                        c.name
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{pg, pg_error, table};
    use migdiff_model::{DataType, ObjectName};

    #[test]
    fn a_default_the_server_rewrites_keeps_its_spelling() {
        let (schema, spellings) = super::super::read_schema_spelled(
            &[crate::SourceFile {
                path: "s.sql".into(),
                text: "CREATE TABLE t (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY, \
                       n NUMERIC(10, 2) DEFAULT 2, ts DATETIME DEFAULT now());"
                    .into(),
            }],
            migdiff_mysql::DIALECT,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let t = &schema.tables[&ObjectName::new("default", "t")];
        let default = |c: &str| t.column(c).and_then(|c| c.default.clone());
        assert_eq!(default("n").as_deref(), Some("2.00"));
        assert_eq!(default("ts").as_deref(), Some("CURRENT_TIMESTAMP"));
        assert_eq!(spellings.get("2.00").map(String::as_str), Some("2"));
        assert_eq!(
            spellings.get("CURRENT_TIMESTAMP").map(String::as_str),
            Some("now()")
        );
    }

    #[test]
    fn enum_types_resolve_and_references_are_checked() {
        let s = pg("CREATE TYPE mood AS ENUM ('sad', 'ok');\nCREATE TABLE t (m mood);");
        assert_eq!(
            s.enums[&ObjectName::new("public", "mood")].values,
            ["sad", "ok"]
        );
        assert!(matches!(
            &table(&s, "t").column("m").unwrap().data_type,
            DataType::Enum(n) if n.name == "mood"
        ));
        let e = pg_error("CREATE TABLE t (a_id int REFERENCES a (id));");
        assert!(e.contains("s.sql:1:"), "{e}");
        let e = pg_error("CREATE TABLE t (id int);\nCREATE INDEX i ON t (nope);");
        assert!(e.contains("nope"), "{e}");
    }

    #[test]
    fn defaults_are_normalized_against_the_finished_table() {
        let s = pg("CREATE TABLE t (d date DEFAULT '2024-01-01'::date, n numeric DEFAULT (1));");
        let t = table(&s, "t");
        assert_eq!(
            t.column("d").unwrap().default.as_deref(),
            Some("'2024-01-01'")
        );
        assert_eq!(t.column("n").unwrap().default.as_deref(), Some("1"));
    }
}

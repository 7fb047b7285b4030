//! Table constraints (primary key, unique, foreign key, CHECK, exclusion),
//! inline or from ALTER TABLE, with PostgreSQL's implicit names, and
//! PostgreSQL 18's temporal keys and NOT ENFORCED.

use super::*;

impl Reader {
    pub(super) fn add_constraints(
        &mut self,
        table: &mut m::Table,
        constraints: Vec<TableConstraint>,
        origin: &Origin,
    ) -> Result<(), DdlError> {
        let tname = table.name.clone();
        // PostgreSQL names index-backed constraints first, then checks, then FKs.
        let mut ordered: Vec<TableConstraint> = Vec::new();
        let rank = |c: &TableConstraint| match c {
            TableConstraint::PrimaryKey(_) => 0,
            TableConstraint::Unique(_) => 1,
            TableConstraint::Check(_) => 2,
            _ => 3,
        };
        ordered.extend(constraints);
        ordered.sort_by_key(rank);
        // MySQL's `PRIMARY KEY name (...)` / `UNIQUE KEY name USING BTREE`,
        // which sqlparser reads for every dialect: here a stray word
        // (`PRIMARY KEY KEY (id)`) would pass as an index name.
        let mysql_only = |index_name: &Option<ast::Ident>, index_type: bool| match index_name {
            Some(n) => Some(format!("`{n}` after the key words")),
            None => index_type.then(|| "an index type (USING)".to_string()),
        };
        for c in &ordered {
            let stray = match c {
                TableConstraint::PrimaryKey(pk) => {
                    mysql_only(&pk.index_name, pk.index_type.is_some())
                }
                TableConstraint::Unique(u) => mysql_only(&u.index_name, u.index_type.is_some()),
                _ => None,
            };
            if let Some(what) = stray.filter(|_| !self.dialect.declares_indexes_in_tables()) {
                return Err(origin.unsupported(format!(
                    "a key constraint on table {tname} has {what}, which is MySQL syntax; {} refuses it",
                    self.dialect
                )));
            }
        }
        for c in ordered {
            match c {
                TableConstraint::PrimaryKey(pk) => {
                    let columns = self.index_columns(&pk.columns, origin)?;
                    self.refuse_not_enforced(&pk.characteristics, "a primary key", &tname, origin)?;
                    let without_overlaps = self.without_overlaps(&pk.columns, &tname, origin)?;
                    let auto_name = pk.name.is_none();
                    let name = match pk.name {
                        Some(n) => Some(self.ident(&n)),
                        None => self.implicit_name(&tname, None, "pkey"),
                    };
                    if let Some(n) = &name {
                        self.names_of(&tname).insert(n.clone());
                    }
                    if table.primary_key.is_some() {
                        return Err(
                            origin.reference(format!("table {tname} declares two primary keys"))
                        );
                    }
                    table.primary_key = Some(m::PrimaryKey {
                        name,
                        columns,
                        auto_name,
                        without_overlaps,
                    });
                }
                TableConstraint::Unique(u) => {
                    let columns = self.index_columns(&u.columns, origin)?;
                    self.refuse_not_enforced(
                        &u.characteristics,
                        "a unique constraint",
                        &tname,
                        origin,
                    )?;
                    let without_overlaps = self.without_overlaps(&u.columns, &tname, origin)?;
                    let auto_name = u.name.is_none();
                    // PostgreSQL drops an unnamed key that repeats one the
                    // table already has (`UNIQUE UNIQUE`, `UNIQUE PRIMARY KEY`).
                    if self.dialect.drops_repeated_unnamed_keys()
                        && auto_name
                        && (table
                            .primary_key
                            .as_ref()
                            .is_some_and(|k| k.columns == columns)
                            || table.uniques.iter().any(|k| k.columns == columns))
                    {
                        continue;
                    }
                    // MySQL's `UNIQUE KEY name (...)` names the index.
                    let auto_name = auto_name && u.index_name.is_none();
                    let name = match u.index_name.or(u.name) {
                        Some(n) => Some(self.ident(&n)),
                        None => self.implicit_name(&tname, Some(&columns), "key"),
                    };
                    if let Some(n) = &name {
                        self.names_of(&tname).insert(n.clone());
                    }
                    let (d, i) = deferrable(&u.characteristics);
                    table.uniques.push(m::UniqueConstraint {
                        name,
                        auto_name,
                        columns,
                        nulls_not_distinct: matches!(
                            u.nulls_distinct,
                            ast::NullsDistinctOption::NotDistinct
                        ),
                        deferrable: d,
                        initially_deferred: i,
                        without_overlaps,
                    });
                }
                TableConstraint::Check(c) => {
                    let expr = spelled(
                        &self.spellings,
                        normalize_parsed(&c.expr, self.dialect),
                        &c.expr,
                        self.dialect,
                    );
                    let declared = |n: &str| {
                        table.columns.iter().any(|col| {
                            col.name == n
                                || (self.dialect.names_ignore_case()
                                    && col.name.eq_ignore_ascii_case(n))
                        })
                    };
                    if let Some(missing) = migdiff_sqlexpr::referenced_columns(&expr, self.dialect)
                        .into_iter()
                        .find(|n| !declared(n))
                    {
                        return Err(origin.reference(format!(
                            "a CHECK constraint of table {tname} names column {missing}, which the table does not have"
                        )));
                    }
                    let auto_name = c.name.is_none();
                    let name = match c.name {
                        Some(n) => Some(self.ident(&n)),
                        None => {
                            // Named after its column when it has exactly one.
                            let cols = migdiff_sqlexpr::referenced_columns(&expr, self.dialect);
                            let col = (cols.len() == 1).then_some(cols);
                            self.implicit_name(&tname, col.as_deref(), "check")
                        }
                    };
                    let not_enforced = c.enforced == Some(false);
                    if not_enforced && !self.dialect.has_temporal_and_not_enforced() {
                        return Err(self.not_enforced_elsewhere(
                            "a CHECK constraint",
                            &tname,
                            origin,
                        ));
                    }
                    table.checks.push(m::CheckConstraint {
                        name,
                        expr,
                        auto_name,
                        not_enforced,
                    });
                }
                TableConstraint::ForeignKey(fk) => {
                    let columns = self.idents(&fk.columns);
                    let ref_table = self.object_name(&fk.foreign_table);
                    let ref_columns = self.idents(&fk.referred_columns);
                    let auto_name = fk.name.is_none();
                    let name = match fk.name {
                        Some(n) => Some(self.ident(&n)),
                        None => self.implicit_name(&tname, Some(&columns), "fkey"),
                    };
                    let (d, i) = deferrable(&fk.characteristics);
                    let not_enforced = fk
                        .characteristics
                        .as_ref()
                        .is_some_and(|c| c.enforced == Some(false));
                    if not_enforced && !self.dialect.has_temporal_and_not_enforced() {
                        return Err(self.not_enforced_elsewhere("a foreign key", &tname, origin));
                    }
                    let period = self.period(&fk.columns, &fk.referred_columns, &tname, origin)?;
                    table.foreign_keys.push(m::ForeignKey {
                        name,
                        auto_name,
                        columns,
                        ref_table,
                        ref_columns,
                        on_delete: action(&fk.on_delete),
                        on_update: action(&fk.on_update),
                        deferrable: d,
                        initially_deferred: i,
                        match_kind: match fk.match_kind {
                            Some(ast::ConstraintReferenceMatchKind::Full) => m::FkMatch::Full,
                            Some(ast::ConstraintReferenceMatchKind::Partial) => m::FkMatch::Partial,
                            _ => m::FkMatch::Simple,
                        },
                        period,
                        not_enforced,
                    });
                }
                TableConstraint::Index(ic) if self.dialect.declares_indexes_in_tables() => {
                    let method = ic
                        .index_type
                        .as_ref()
                        .map(|t| t.to_string().to_lowercase())
                        .unwrap_or_else(|| "btree".to_string());
                    self.inline_index(table, ic.name.as_ref(), &ic.columns, &method, origin)?;
                }
                TableConstraint::FulltextOrSpatial(f)
                    if self.dialect.declares_indexes_in_tables() =>
                {
                    let method = if f.fulltext { "fulltext" } else { "spatial" };
                    self.inline_index(
                        table,
                        f.opt_index_name.as_ref(),
                        &f.columns,
                        method,
                        origin,
                    )?;
                }
                other => {
                    return Err(
                        origin.unsupported(format!("table constraint `{other}` is not supported"))
                    );
                }
            }
        }
        Ok(())
    }

    /// Whether the key's last column was written `WITHOUT OVERLAPS`
    /// (PostgreSQL 18), which needs another column before it. (On any
    /// other column the words are not blanked, and sqlparser refuses them.)
    pub(super) fn without_overlaps(
        &self,
        cols: &[ast::IndexColumn],
        table: &ObjectName,
        origin: &Origin,
    ) -> Result<bool, DdlError> {
        let marked = |c: &ast::IndexColumn| match &c.column.expr {
            Expr::Identifier(i) => self.temporal.without_overlaps.contains(&i.span.start),
            _ => false,
        };
        let last = cols.last().is_some_and(marked);
        if last && cols.len() < 2 {
            return Err(origin.unsupported(format!(
                "a key of table {table} uses WITHOUT OVERLAPS on its only column; PostgreSQL needs at least one column before it"
            )));
        }
        Ok(last)
    }

    /// Whether a foreign key's lists end in `PERIOD column` (PostgreSQL
    /// 18): both of them, or neither.
    pub(super) fn period(
        &self,
        columns: &[Ident],
        referred: &[Ident],
        table: &ObjectName,
        origin: &Origin,
    ) -> Result<bool, DdlError> {
        let marked = |list: &[Ident]| {
            list.last()
                .is_some_and(|i| self.temporal.period.contains(&i.span.start))
        };
        match (marked(columns), marked(referred)) {
            (a, b) if a == b => Ok(a && columns.len() >= 2),
            _ => Err(origin.unsupported(format!(
                "a foreign key of table {table} says PERIOD on one side only; a temporal foreign key says it on both"
            ))),
        }
    }

    pub(super) fn refuse_not_enforced(
        &self,
        characteristics: &Option<ast::ConstraintCharacteristics>,
        what: &str,
        table: &ObjectName,
        origin: &Origin,
    ) -> Result<(), DdlError> {
        if characteristics
            .as_ref()
            .is_some_and(|c| c.enforced.is_some())
        {
            return Err(origin.unsupported(format!(
                "{what} of table {table} says ENFORCED or NOT ENFORCED, which only CHECK constraints and foreign keys can"
            )));
        }
        Ok(())
    }

    pub(super) fn not_enforced_elsewhere(
        &self,
        what: &str,
        table: &ObjectName,
        origin: &Origin,
    ) -> DdlError {
        origin.unsupported(format!(
            "{what} of table {table} is NOT ENFORCED, which {} does not have (PostgreSQL 18 does)",
            self.dialect
        ))
    }
}

pub(super) fn action(a: &Option<ReferentialAction>) -> m::FkAction {
    match a {
        Some(ReferentialAction::Restrict) => m::FkAction::Restrict,
        Some(ReferentialAction::Cascade) => m::FkAction::Cascade,
        Some(ReferentialAction::SetNull) => m::FkAction::SetNull,
        Some(ReferentialAction::SetDefault) => m::FkAction::SetDefault,
        _ => m::FkAction::NoAction,
    }
}

pub(super) fn deferrable(c: &Option<ast::ConstraintCharacteristics>) -> (bool, bool) {
    match c {
        Some(c) => {
            let initially = matches!(c.initially, Some(ast::DeferrableInitial::Deferred));
            (c.deferrable.unwrap_or(false) || initially, initially)
        }
        None => (false, false),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{pg, table};
    use migdiff_model::FkAction;

    #[test]
    fn unnamed_constraints_get_postgresqls_names() {
        let s = pg("CREATE TABLE a (id int PRIMARY KEY);\n\
             CREATE TABLE b (\n  id int,\n  a_id int REFERENCES a (id) ON DELETE CASCADE,\n  code text UNIQUE,\n  CHECK (id > 0)\n);");
        let b = table(&s, "b");
        assert_eq!(b.foreign_keys[0].name.as_deref(), Some("b_a_id_fkey"));
        assert_eq!(b.foreign_keys[0].on_delete, FkAction::Cascade);
        assert_eq!(b.uniques[0].name.as_deref(), Some("b_code_key"));
        assert_eq!(b.checks[0].name.as_deref(), Some("b_id_check"));
    }

    #[test]
    fn constraints_added_by_alter_table_and_deferrable() {
        let s = pg("CREATE TABLE a (id int PRIMARY KEY);\n\
             CREATE TABLE b (id int, a_id int);\n\
             ALTER TABLE b ADD CONSTRAINT b_a FOREIGN KEY (a_id) REFERENCES a (id) DEFERRABLE INITIALLY DEFERRED;");
        let fk = &table(&s, "b").foreign_keys[0];
        assert_eq!(fk.name.as_deref(), Some("b_a"));
        assert!(fk.deferrable && fk.initially_deferred);
    }
}

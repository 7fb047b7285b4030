//! ALTER TABLE (columns, constraints, ownership) and COMMENT ON.

use super::*;

impl Reader {
    pub(super) fn alter_table(
        &mut self,
        table_name: &ObjectName,
        op: AlterTableOperation,
        origin: &Origin,
    ) -> Result<(), DdlError> {
        let Some(mut table) = self.schema.tables.remove(table_name) else {
            return Err(origin.reference(format!(
                "ALTER TABLE refers to table {table_name}, which is not declared before it"
            )));
        };
        let result = (|| -> Result<(), DdlError> {
            match op {
                AlterTableOperation::AddConstraint { constraint, .. } => {
                    self.add_constraints(&mut table, vec![constraint], origin)?;
                }
                AlterTableOperation::AlterColumn { column_name, op } => {
                    let col = self.ident(&column_name);
                    let dialect = self.dialect;
                    let Some(column) = table.column_mut(&col) else {
                        return Err(
                            origin.reference(format!("table {table_name} has no column {col}"))
                        );
                    };
                    match op {
                        AlterColumnOperation::SetDefault { value } => {
                            column.default = Some(spelled(
                                &self.spellings,
                                normalize_default_parsed(&value, &column.data_type, dialect),
                                &value,
                                dialect,
                            ))
                        }
                        AlterColumnOperation::DropDefault => column.default = None,
                        AlterColumnOperation::SetNotNull => column.nullable = false,
                        AlterColumnOperation::DropNotNull => column.nullable = true,
                        AlterColumnOperation::AddGenerated {
                            generated_as,
                            sequence_options,
                        } => {
                            column.identity = Some(identity(
                                matches!(generated_as, Some(GeneratedAs::Always)),
                                sequence_options.as_deref().unwrap_or(&[]),
                            ));
                            column.nullable = false;
                        }
                        other => {
                            return Err(origin.unsupported(format!(
                                "ALTER COLUMN ... {other} is not supported in a declared schema"
                            )));
                        }
                    }
                }
                AlterTableOperation::AddColumn { column_def, .. } => {
                    let mut constraints = Vec::new();
                    let mut column =
                        self.new_column(self.ident(&column_def.name), &column_def.data_type);
                    for opt in &column_def.options {
                        self.column_option(
                            &mut column,
                            &mut constraints,
                            &column_def.name,
                            opt,
                            origin,
                        )?;
                    }
                    table.columns.push(column);
                    self.add_constraints(&mut table, constraints, origin)?;
                }
                AlterTableOperation::OwnerTo { .. } => {}
                other => {
                    return Err(origin.unsupported(format!(
                        "ALTER TABLE ... {other} is not supported in a declared schema"
                    )));
                }
            }
            Ok(())
        })();
        self.schema.tables.insert(table_name.clone(), table);
        result
    }

    pub(super) fn comment(
        &mut self,
        object_type: CommentObject,
        object_name: &ast::ObjectName,
        comment: Option<String>,
        origin: &Origin,
    ) -> Result<(), DdlError> {
        let comment = comment.filter(|c| !c.is_empty());
        match object_type {
            CommentObject::Table => {
                let name = self.object_name(object_name);
                match self.schema.tables.get_mut(&name) {
                    Some(t) => t.comment = comment,
                    None => {
                        return Err(origin.reference(format!(
                            "COMMENT ON TABLE {name}: no such table declared before it"
                        )));
                    }
                }
            }
            CommentObject::Column => {
                let mut parts = self.name_parts(object_name);
                let Some(col) = parts.pop() else {
                    return Ok(());
                };
                let table = match parts.as_slice() {
                    [t] => ObjectName::new(self.search_schema.clone(), t.clone()),
                    [.., s, t] => ObjectName::new(s.clone(), t.clone()),
                    [] => return Err(origin.reference("COMMENT ON COLUMN needs table.column")),
                };
                match self
                    .schema
                    .tables
                    .get_mut(&table)
                    .and_then(|t| t.column_mut(&col))
                {
                    Some(c) => c.comment = comment,
                    None => {
                        return Err(origin.reference(format!(
                            "COMMENT ON COLUMN {table}.{col}: no such column declared before it"
                        )));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{pg, table};

    #[test]
    fn alter_table_changes_columns() {
        let s = pg("CREATE TABLE t (id int, x int);\n\
             ALTER TABLE t ADD COLUMN y text NOT NULL DEFAULT '';\n\
             ALTER TABLE t ALTER COLUMN x SET DEFAULT 1;\n\
             ALTER TABLE t ALTER COLUMN id SET NOT NULL;");
        let t = table(&s, "t");
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "x", "y"]);
        assert_eq!(t.column("x").unwrap().default.as_deref(), Some("1"));
        assert!(!t.column("id").unwrap().nullable);
        assert!(!t.column("y").unwrap().nullable);
    }

    #[test]
    fn comments_on_tables_and_columns() {
        let s = pg("CREATE TABLE t (id int);\n\
             COMMENT ON TABLE t IS 'the t''s table';\n\
             COMMENT ON COLUMN t.id IS 'key';");
        let t = table(&s, "t");
        assert_eq!(t.comment.as_deref(), Some("the t's table"));
        assert_eq!(t.column("id").unwrap().comment.as_deref(), Some("key"));
    }
}

//! What MySQL and MariaDB make of a declared table, applied to both sides
//! of a comparison (the DDL reader's schema and the catalog's), so that a
//! schema loaded and read back compares as nothing.

use migdiff_model::{
    Column, DEFAULT_ON_UPDATE, DataType, FkAction, ForeignKey, Index, IndexTarget, Schema, Table,
    UniqueConstraint,
};

pub(crate) fn normalize(schema: &mut Schema) {
    for table in schema.tables.values_mut() {
        normalize_table(table);
    }
}

fn normalize_table(table: &mut Table) {
    // A primary key is always called PRIMARY, whatever name was written
    // for it: it has no name of its own (SQLAlchemy reflects none, and
    // Alembic writes none).
    if let Some(pk) = &mut table.primary_key {
        pk.name = None;
        pk.auto_name = true;
    }
    // RESTRICT and NO ACTION are the same check in InnoDB; the servers
    // report either for a key declared with neither.
    for fk in &mut table.foreign_keys {
        for action in [&mut fk.on_delete, &mut fk.on_update] {
            if *action == FkAction::Restrict {
                *action = FkAction::NoAction;
            }
        }
    }
    // A unique index over plain columns is what a UNIQUE constraint is:
    // the catalog lists both as constraints.
    let (uniques, indexes): (Vec<Index>, Vec<Index>) = std::mem::take(&mut table.indexes)
        .into_iter()
        .partition(is_plain_unique_index);
    table.indexes = indexes;
    for index in uniques {
        let columns = index
            .keys
            .iter()
            .filter_map(|k| match &k.target {
                IndexTarget::Column(c) => Some(c.clone()),
                IndexTarget::Expression(_) => None,
            })
            .collect();
        table.uniques.push(UniqueConstraint {
            name: Some(index.name),
            auto_name: false,
            columns,
            nulls_not_distinct: false,
            deferrable: false,
            initially_deferred: false,
            without_overlaps: false,
        });
    }
    // A unique key named after its first column is how the server names
    // an unnamed one: matched by its columns, as an unnamed one is.
    for unique in &mut table.uniques {
        if let (Some(name), Some(first)) = (&unique.name, unique.columns.first())
            && is_named_after(name, first)
        {
            unique.auto_name = true;
        }
    }
    // The index the server makes for a foreign key no other index serves.
    let implicit: Vec<String> = table
        .foreign_keys
        .iter()
        .filter_map(|fk| implicit_fk_index(table, fk))
        .collect();
    table.indexes.retain(|i| !implicit.contains(&i.name));
    for column in &mut table.columns {
        normalize_default(column);
    }
    json_columns(table);
    table.canonicalize();
}

/// MariaDB's JSON is LONGTEXT with a `json_valid()` CHECK (and a binary
/// collation): read back, it is the JSON column that was declared.
fn json_columns(table: &mut Table) {
    let mut json = Vec::new();
    table.checks.retain(|check| {
        let body = check.expr.to_ascii_lowercase().replace(['`', ' '], "");
        let column = body
            .strip_prefix("json_valid(")
            .and_then(|r| r.strip_suffix(')'))
            .map(str::to_string);
        let is_json_column = column.as_ref().is_some_and(|c| {
            table.columns.iter().any(|col| {
                col.name.eq_ignore_ascii_case(c)
                    && matches!(&col.data_type, DataType::Json)
                        | matches!(&col.data_type, DataType::Other(t) if t == "longtext")
            })
        });
        if is_json_column && check.auto_name {
            json.extend(column);
            false
        } else {
            true
        }
    });
    for column in &mut table.columns {
        if json.iter().any(|c| column.name.eq_ignore_ascii_case(c)) {
            column.data_type = DataType::Json;
            column.collation = None;
        }
    }
}

fn is_plain_unique_index(index: &Index) -> bool {
    index.unique
        && index.predicate.is_none()
        && index.keys.iter().all(|k| {
            matches!(k.target, IndexTarget::Column(_))
                && !k.descending
                && k.collation.is_none()
                && k.prefix_length.is_none()
        })
}

fn leading_columns(index: &Index) -> Vec<&str> {
    index
        .keys
        .iter()
        .map_while(|k| match &k.target {
            IndexTarget::Column(c) if k.prefix_length.is_none() => Some(c.as_str()),
            _ => None,
        })
        .collect()
}

/// Whether `columns` lead with `fk`'s columns: an index over them can
/// serve the key.
fn leads_with<S: AsRef<str>>(columns: &[S], fk: &ForeignKey) -> bool {
    columns.len() >= fk.columns.len()
        && columns
            .iter()
            .zip(&fk.columns)
            .all(|(a, b)| a.as_ref() == b)
}

/// Whether the primary key, a unique key or an index other than `except`
/// serves `fk` (the server then makes no index of its own for it).
fn served_by_a_key(table: &Table, fk: &ForeignKey, except: Option<&str>) -> bool {
    table
        .primary_key
        .as_ref()
        .is_some_and(|pk| leads_with(&pk.columns, fk))
        || table.uniques.iter().any(|u| leads_with(&u.columns, fk))
        || table
            .indexes
            .iter()
            .any(|i| Some(i.name.as_str()) != except && leads_with(&leading_columns(i), fk))
}

/// The name of the index the server made for `fk`, when `table` has one of
/// that name over exactly its columns and nothing else leads with them.
fn implicit_fk_index(table: &Table, fk: &ForeignKey) -> Option<String> {
    let first = fk.columns.first()?;
    let made_for_it = |i: &Index| {
        !i.unique
            && i.keys.len() == fk.columns.len()
            && leads_with(&leading_columns(i), fk)
            && (fk.name.as_deref() == Some(i.name.as_str()) || is_named_after(&i.name, first))
    };
    let candidate = table.indexes.iter().find(|i| made_for_it(i))?;
    (!served_by_a_key(table, fk, Some(&candidate.name))).then(|| candidate.name.clone())
}

/// `name` is `column` or `column_<n>`: how the server names an index it
/// makes for an unnamed key.
fn is_named_after(name: &str, column: &str) -> bool {
    name == column
        || name
            .strip_prefix(column)
            .and_then(|r| r.strip_prefix('_'))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The index the server made for `fk` and keeps after the key is dropped:
/// what it would be called, when no other index of `table` serves the key.
pub(crate) fn index_left_by(table: &Table, fk: &ForeignKey) -> Option<String> {
    // Another key over the same columns shares the index.
    let shared = table
        .foreign_keys
        .iter()
        .any(|other| other.name != fk.name && other.columns.starts_with(&fk.columns));
    if shared || served_by_a_key(table, fk, None) {
        return None;
    }
    if fk.auto_name {
        fk.columns.first().cloned()
    } else {
        fk.name.clone()
    }
}

/// Defaults as both servers store them: timestamps' `now()` and
/// `current_timestamp()` are CURRENT_TIMESTAMP, a number default of a
/// number column is a number (`'0'` is `0`), and a decimal literal has the
/// column's scale (`1.5` in a DECIMAL(10,2) is `1.50`).
fn normalize_default(column: &mut Column) {
    if let Some(d) = column.default.take() {
        column.default = Some(normalized_default(&d, &column.data_type));
    }
}

fn normalized_default(default: &str, data_type: &DataType) -> String {
    // `CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP`: each side alone.
    if let Some((value, when)) = default.split_once(DEFAULT_ON_UPDATE) {
        return format!(
            "{}{DEFAULT_ON_UPDATE}{}",
            normalized_default(value, data_type),
            normalized_default(when, data_type)
        );
    }
    let lower = default.to_ascii_lowercase();
    for word in ["current_timestamp", "now", "localtimestamp", "localtime"] {
        if lower == word || lower == format!("{word}()") {
            return "CURRENT_TIMESTAMP".into();
        }
        if let Some(p) = lower
            .strip_prefix(word)
            .and_then(|r| r.strip_prefix('('))
            .and_then(|r| r.strip_suffix(')'))
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        {
            return format!("CURRENT_TIMESTAMP({p})");
        }
    }
    let unquoted = default
        .strip_prefix('\'')
        .and_then(|d| d.strip_suffix('\''))
        .filter(|d| data_type.is_numeric() && d.parse::<f64>().is_ok());
    let number = unquoted.unwrap_or(default);
    if let DataType::Numeric {
        scale: Some(scale), ..
    } = data_type
        && let Some(scaled) = with_scale(number, *scale as usize)
    {
        return scaled;
    }
    number.to_string()
}

fn with_scale(number: &str, scale: usize) -> Option<String> {
    let (sign, digits) = match number.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", number),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > scale
    {
        return None;
    }
    if scale == 0 {
        return Some(format!("{sign}{whole}"));
    }
    Some(format!("{sign}{whole}.{fraction:0<scale$}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use migdiff_model::{IndexKey, ObjectName};

    fn fk(name: &str, auto: bool, col: &str) -> ForeignKey {
        ForeignKey {
            name: Some(name.into()),
            auto_name: auto,
            columns: vec![col.into()],
            ref_table: ObjectName::new("default", "a"),
            ref_columns: vec!["id".into()],
            on_delete: FkAction::Restrict,
            on_update: FkAction::NoAction,
            deferrable: false,
            initially_deferred: false,
            match_kind: Default::default(),
            period: false,
            not_enforced: false,
        }
    }

    fn index(name: &str, unique: bool, cols: &[&str]) -> Index {
        Index {
            name: name.into(),
            unique,
            keys: cols.iter().map(|c| IndexKey::column(*c)).collect(),
            predicate: None,
            method: "btree".into(),
            include: vec![],
            nulls_not_distinct: false,
        }
    }

    #[test]
    fn server_made_indexes_and_keys_compare_as_declared() {
        let mut t = Table::new(ObjectName::new("default", "b"));
        t.columns = vec![
            Column::new("x", DataType::Integer),
            Column::new("y", DataType::Integer),
        ];
        t.foreign_keys = vec![fk("fkx", false, "x"), fk("b_ibfk_1", true, "y")];
        t.indexes = vec![index("fkx", false, &["x"]), index("y", false, &["y"])];
        normalize_table(&mut t);
        assert!(t.indexes.is_empty(), "{:?}", t.indexes);
        let key = |t: &Table, name: &str| {
            t.foreign_keys
                .iter()
                .find(|f| f.name.as_deref() == Some(name))
                .cloned()
                .expect("key")
        };
        assert_eq!(index_left_by(&t, &key(&t, "fkx")).as_deref(), Some("fkx"));
        t.indexes.push(index("uq", true, &["x", "y"]));
        normalize_table(&mut t);
        assert_eq!(t.uniques.len(), 1);
        assert!(
            t.foreign_keys
                .iter()
                .all(|f| f.on_delete == FkAction::NoAction)
        );
        // The unique key over (x, y) now serves x: dropping fkx leaves nothing.
        assert_eq!(index_left_by(&t, &key(&t, "fkx")), None);
        assert_eq!(
            index_left_by(&t, &key(&t, "b_ibfk_1")).as_deref(),
            Some("y")
        );
    }

    #[test]
    fn defaults_as_the_server_stores_them() {
        let mut c = Column::new(
            "n",
            DataType::Numeric {
                precision: Some(10),
                scale: Some(2),
            },
        );
        c.default = Some("1.5".into());
        normalize_default(&mut c);
        assert_eq!(c.default.as_deref(), Some("1.50"));
        let mut ts = Column::new(
            "t",
            DataType::Timestamp {
                timezone: false,
                precision: None,
            },
        );
        ts.default = Some("current_timestamp()".into());
        normalize_default(&mut ts);
        assert_eq!(ts.default.as_deref(), Some("CURRENT_TIMESTAMP"));
        assert_eq!(with_scale("-3", 2).as_deref(), Some("-3.00"));
        assert_eq!(with_scale("1.234", 2), None);
    }
}

//! Property: a random model, written as each dialect's DDL by migdiff's own
//! SQL renderer, reads back (DDL reader) as the same model.

mod common;

use migdiff_model::*;
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_]{0,10}",
        Just("select".to_string()),
        Just("Mixed Case".to_string()),
        Just("we\"ird'\\name".to_string()),
        Just("Straße_ü".to_string()),
    ]
}

fn data_type(dialect: Dialect) -> impl Strategy<Value = DataType> {
    let common = prop_oneof![
        Just(DataType::Integer),
        Just(DataType::BigInt),
        Just(DataType::SmallInt),
        Just(DataType::Text),
        Just(DataType::Boolean),
        Just(DataType::Date),
        (1u32..300).prop_map(|l| DataType::Varchar { length: Some(l) }),
        (1u32..20, 0u32..5).prop_map(|(p, s)| DataType::Numeric {
            precision: Some(p.max(s)),
            scale: Some(s)
        }),
    ];
    let pg_only = prop_oneof![
        Just(DataType::Jsonb),
        Just(DataType::Uuid),
        Just(DataType::Timestamp {
            timezone: true,
            precision: None
        }),
        Just(DataType::Array(Box::new(DataType::Text))),
        Just(DataType::Double),
    ];
    if dialect == migdiff_postgres::DIALECT {
        prop_oneof![common, pg_only].boxed()
    } else {
        common.boxed()
    }
}

/// A default in its canonical form (SQLite has no boolean values: 1).
fn default_for(t: &DataType, dialect: Dialect) -> Option<String> {
    match t {
        DataType::Integer | DataType::BigInt | DataType::SmallInt => Some("-7".into()),
        DataType::Text | DataType::Varchar { .. } => Some("'it''s'".into()),
        DataType::Boolean if dialect == migdiff_sqlite::DIALECT => Some("1".into()),
        DataType::Boolean => Some("true".into()),
        _ => None,
    }
}

fn table(dialect: Dialect) -> impl Strategy<Value = Table> {
    (
        name(),
        proptest::collection::vec(
            (name(), data_type(dialect), any::<bool>(), any::<bool>()),
            1..6,
        ),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(move |(tname, cols, with_check, with_unique)| {
            let schema = dialect.default_schema();
            let mut t = Table::new(ObjectName::new(schema, format!("t_{tname}")));
            let mut seen = std::collections::BTreeSet::new();
            for (n, ty, nullable, with_default) in cols {
                if !seen.insert(n.clone()) {
                    continue;
                }
                let mut c = Column::new(n, ty.clone());
                c.nullable = nullable;
                if with_default {
                    c.default = default_for(&ty, dialect);
                }
                t.columns.push(c);
            }
            let first = t.columns[0].name.clone();
            t.columns[0].nullable = false;
            t.primary_key = Some(PrimaryKey {
                name: Some(format!("pk {tname}")),
                auto_name: false,
                columns: vec![first.clone()],
                without_overlaps: false,
            });
            if with_check && t.columns[0].data_type.is_integer() {
                let col = migdiff_sqlexpr::quote_ident(&first, dialect);
                t.checks.push(CheckConstraint {
                    name: Some(format!("ck_{tname}")),
                    auto_name: false,
                    // Model expressions are canonical (both readers normalize
                    // them); SQLite folds the case of every name.
                    expr: migdiff_sqlexpr::normalize_expr(&format!("{col} > 0"), dialect)
                        .unwrap_or_default(),
                    not_enforced: false,
                });
            }
            if with_unique && t.columns.len() > 1 {
                t.uniques.push(UniqueConstraint {
                    name: Some(format!("uq_{tname}")),
                    auto_name: false,
                    columns: vec![t.columns[1].name.clone()],
                    nulls_not_distinct: false,
                    deferrable: false,
                    initially_deferred: false,
                    without_overlaps: false,
                });
                t.indexes.push(Index {
                    name: format!("ix_{tname}"),
                    unique: false,
                    keys: vec![IndexKey::column(t.columns[1].name.clone())],
                    predicate: None,
                    method: "btree".into(),
                    include: vec![],
                    nulls_not_distinct: false,
                });
            }
            t.canonicalize();
            t
        })
}

fn render(schema: &Schema, dialect: Dialect) -> String {
    let ops: Vec<Op> = diff(&Schema::default(), schema, &DiffOptions::default());
    let r: &dyn DialectRender = dialect.renderer();
    r.render_sql(&ops, &Schema::default()).join(";\n") + ";\n"
}

fn roundtrip(tables: Vec<Table>, dialect: Dialect) -> Result<(), TestCaseError> {
    let mut schema = Schema::default();
    for t in tables {
        schema.tables.insert(t.name.clone(), t);
    }
    let ddl = render(&schema, dialect);
    let back = migdiff_ddl::read_schema(
        &[migdiff_ddl::SourceFile {
            path: "p.sql".into(),
            text: ddl.clone(),
        }],
        dialect,
    )
    .map_err(|e| TestCaseError::fail(format!("{e}\n{ddl}")))?;
    let d: Vec<String> = diff(&back, &schema, &DiffOptions::default())
        .iter()
        .map(|o| o.describe())
        .collect();
    prop_assert!(d.is_empty(), "{d:#?}\n{ddl}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn postgres_ddl_reads_back(tables in proptest::collection::vec(table(migdiff_postgres::DIALECT), 1..4)) {
        roundtrip(tables, migdiff_postgres::DIALECT)?;
    }

    #[test]
    fn sqlite_ddl_reads_back(tables in proptest::collection::vec(table(migdiff_sqlite::DIALECT), 1..4)) {
        roundtrip(tables, migdiff_sqlite::DIALECT)?;
    }
}

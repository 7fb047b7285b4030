//! The TOML snapshot (`format = 1`): the model serialized with stable key
//! order, one section per table. Documented in `docs/snapshot-format.md`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::dialect::Dialect;
use crate::hints::{ModelHints, ModelType};
use crate::model::*;
use crate::types::DataType;

pub const FORMAT: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("not a valid snapshot: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("cannot write snapshot: {0}")]
    Write(#[from] toml::ser::Error),
    #[error("snapshot format {found} is not supported (this migdiff reads format {FORMAT})")]
    Format { found: u32 },
    #[error("snapshot table {table}: {message}")]
    Invalid { table: String, message: String },
    #[error("snapshot: {0}")]
    Dialect(String),
}

fn is_false(b: &bool) -> bool {
    !*b
}
fn is_true(b: &bool) -> bool {
    *b
}
fn yes() -> bool {
    true
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotDoc {
    format: u32,
    dialect: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    schemas: Vec<String>,
    /// From SQLAlchemy models: enum types are spelled `sa.Enum`.
    #[serde(default, skip_serializing_if = "is_false")]
    sa_enum: bool,
    /// Written from SQLAlchemy models: only convention-made names are final.
    #[serde(default, skip_serializing_if = "is_false")]
    from_models: bool,
    /// From models with alembic_utils entities: revisions write them so.
    #[serde(default, skip_serializing_if = "is_false")]
    alembic_utils: bool,
    /// Expressions as the declared source writes them, by canonical form.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    spellings: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    enums: BTreeMap<String, BTreeMap<String, EnumDoc>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    sequences: BTreeMap<String, BTreeMap<String, SequenceDoc>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    tables: BTreeMap<String, BTreeMap<String, TableDoc>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    domains: BTreeMap<String, BTreeMap<String, objects::DomainDoc>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    views: BTreeMap<String, BTreeMap<String, objects::ViewDoc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    functions: Vec<objects::FunctionDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    triggers: Vec<objects::TriggerDoc>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    extensions: BTreeMap<String, objects::ExtensionDoc>,
}

mod objects;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnumDoc {
    values: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SequenceDoc {
    #[serde(rename = "type")]
    data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    increment: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_value: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_value: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cache: Option<i64>,
    #[serde(default, skip_serializing_if = "is_false")]
    cycle: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    sqlite_autoincrement: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    charset: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    collation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    primary_key: Option<PrimaryKeyDoc>,
    #[serde(default)]
    columns: Vec<ColumnDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    foreign_keys: Vec<ForeignKeyDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    unique_constraints: Vec<UniqueDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    check_constraints: Vec<CheckDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    indexes: Vec<IndexDoc>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrimaryKeyDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// The name came from a naming convention (rendered `op.f(...)`).
    #[serde(default, skip_serializing_if = "is_false")]
    convention: bool,
    /// Declared without a name: `name` is the one the database gives it,
    /// matched by definition, never by that name.
    #[serde(default, skip_serializing_if = "is_false")]
    auto_name: bool,
    columns: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    without_overlaps: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnDoc {
    name: String,
    #[serde(rename = "type")]
    data_type: String,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    nullable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    serial: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    identity: Option<IdentityDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    generated: Option<GeneratedDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    collation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    /// The type as the table's DDL writes it, where it differs from `type`'s
    /// spelling and the database keeps it (SQLite's `TIMESTAMP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    type_as_written: Option<String>,
    /// The type as the SQLAlchemy model spells it, and the import it needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model_import: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentityDoc {
    always: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    increment: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_value: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_value: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cache: Option<i64>,
    #[serde(default, skip_serializing_if = "is_false")]
    cycle: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GeneratedDoc {
    expr: String,
    #[serde(default = "yes")]
    stored: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ForeignKeyDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// The name came from a naming convention (rendered `op.f(...)`).
    #[serde(default, skip_serializing_if = "is_false")]
    convention: bool,
    /// Declared without a name: `name` is the one the database gives it,
    /// matched by definition, never by that name.
    #[serde(default, skip_serializing_if = "is_false")]
    auto_name: bool,
    columns: Vec<String>,
    ref_schema: String,
    ref_table: String,
    ref_columns: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    on_delete: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    on_update: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    deferrable: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    initially_deferred: bool,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "match")]
    match_kind: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    period: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    not_enforced: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UniqueDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// The name came from a naming convention (rendered `op.f(...)`).
    #[serde(default, skip_serializing_if = "is_false")]
    convention: bool,
    /// Declared without a name: `name` is the one the database gives it,
    /// matched by definition, never by that name.
    #[serde(default, skip_serializing_if = "is_false")]
    auto_name: bool,
    columns: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    nulls_not_distinct: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    deferrable: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    initially_deferred: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    without_overlaps: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// The name came from a naming convention (rendered `op.f(...)`).
    #[serde(default, skip_serializing_if = "is_false")]
    convention: bool,
    /// Declared without a name: `name` is the one the database gives it,
    /// matched by definition, never by that name.
    #[serde(default, skip_serializing_if = "is_false")]
    auto_name: bool,
    expr: String,
    #[serde(default, skip_serializing_if = "is_false")]
    not_enforced: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexDoc {
    name: String,
    #[serde(default, skip_serializing_if = "is_false")]
    convention: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    unique: bool,
    keys: Vec<IndexKeyDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "where")]
    predicate: Option<String>,
    #[serde(default = "btree", skip_serializing_if = "is_btree")]
    method: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    include: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    nulls_not_distinct: bool,
    /// From SQLAlchemy models: the index's options for other dialects, as
    /// Python source (`sqlite_where = "sa.text('...')"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    other_dialects: BTreeMap<String, String>,
}

fn btree() -> String {
    "btree".into()
}
fn is_btree(s: &String) -> bool {
    s == "btree"
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexKeyDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expr: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    desc: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nulls_first: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    opclass: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    collation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    length: Option<u32>,
}

/// An index as a snapshot writes it (a table's or a materialized view's).
fn index_doc(i: &Index) -> IndexDoc {
    IndexDoc {
        name: i.name.clone(),
        convention: false,
        unique: i.unique,
        keys: i
            .keys
            .iter()
            .map(|k| {
                let (column, expr) = match &k.target {
                    IndexTarget::Column(c) => (Some(c.clone()), None),
                    IndexTarget::Expression(e) => (None, Some(e.clone())),
                };
                IndexKeyDoc {
                    column,
                    expr,
                    desc: k.descending,
                    nulls_first: k.nulls_first,
                    opclass: k.opclass.clone(),
                    collation: k.collation.clone(),
                    length: k.prefix_length,
                }
            })
            .collect(),
        predicate: i.predicate.clone(),
        method: i.method.clone(),
        include: i.include.clone(),
        nulls_not_distinct: i.nulls_not_distinct,
        other_dialects: BTreeMap::new(),
    }
}

/// An index read back from a snapshot, on the relation `label`.
fn index_from_doc(label: &str, i: IndexDoc) -> Result<Index, SnapshotError> {
    let mut keys = Vec::new();
    for k in i.keys {
        let target = match (k.column, k.expr) {
            (Some(c), None) => IndexTarget::Column(c),
            (None, Some(e)) => IndexTarget::Expression(e),
            _ => {
                return Err(SnapshotError::Invalid {
                    table: label.to_string(),
                    message: format!(
                        "index {}: each key has exactly one of `column` or `expr`",
                        i.name
                    ),
                });
            }
        };
        keys.push(IndexKey {
            target,
            descending: k.desc,
            nulls_first: k.nulls_first,
            opclass: k.opclass,
            collation: k.collation,
            prefix_length: k.length,
        });
    }
    Ok(Index {
        name: i.name,
        unique: i.unique,
        keys,
        predicate: i.predicate,
        method: i.method,
        include: i.include,
        nulls_not_distinct: i.nulls_not_distinct,
    })
}

fn action_out(a: FkAction) -> Option<String> {
    (a != FkAction::NoAction).then(|| a.sql().to_string())
}

/// Serializes a schema. Same schema, same bytes.
pub fn to_toml(schema: &Schema, dialect: Dialect) -> Result<String, SnapshotError> {
    to_toml_with_hints(schema, dialect, &ModelHints::default())
}

/// Serializes a declared schema with what its SQLAlchemy models say beyond
/// it, so a revision rendered from the snapshot reads as one rendered from
/// the models.
pub fn to_toml_with_hints(
    schema: &Schema,
    dialect: Dialect,
    hints: &ModelHints,
) -> Result<String, SnapshotError> {
    let convention =
        |name: &Option<String>| name.as_ref().is_some_and(|n| hints.final_names.contains(n));
    let mut doc = SnapshotDoc {
        format: FORMAT,
        dialect: dialect.name().to_string(),
        schemas: schema.schemas.iter().cloned().collect(),
        sa_enum: hints.sa_enum,
        from_models: hints.from_models,
        alembic_utils: hints.alembic_utils,
        spellings: hints.spellings.clone(),
        enums: BTreeMap::new(),
        sequences: BTreeMap::new(),
        tables: BTreeMap::new(),
        domains: BTreeMap::new(),
        views: BTreeMap::new(),
        functions: Vec::new(),
        triggers: Vec::new(),
        extensions: BTreeMap::new(),
    };
    let docs = objects::to_docs(schema);
    doc.domains = docs.domains;
    doc.views = docs.views;
    doc.functions = docs.functions;
    doc.triggers = docs.triggers;
    doc.extensions = docs.extensions;
    for (n, e) in &schema.enums {
        doc.enums.entry(n.schema.clone()).or_default().insert(
            n.name.clone(),
            EnumDoc {
                values: e.values.clone(),
            },
        );
    }
    for (n, s) in &schema.sequences {
        doc.sequences.entry(n.schema.clone()).or_default().insert(
            n.name.clone(),
            SequenceDoc {
                data_type: s.data_type.to_string(),
                start: s.start,
                increment: s.increment,
                min_value: s.min_value,
                max_value: s.max_value,
                cache: s.cache,
                cycle: s.cycle,
            },
        );
    }
    for (n, t) in &schema.tables {
        let mut t = t.clone();
        t.canonicalize();
        let table = TableDoc {
            comment: t.comment.clone(),
            sqlite_autoincrement: t.sqlite_autoincrement,
            charset: t.charset.charset.clone(),
            collation: t.charset.collation.clone(),
            primary_key: t.primary_key.as_ref().map(|p| PrimaryKeyDoc {
                convention: convention(&p.name),
                auto_name: p.auto_name,
                name: p.name.clone(),
                columns: p.columns.clone(),
                without_overlaps: p.without_overlaps,
            }),
            columns: t
                .columns
                .iter()
                .map(|c| {
                    let model = hints.column_types.get(&(n.clone(), c.name.clone()));
                    ColumnDoc {
                        model_type: model.map(|m| m.code.clone()),
                        model_import: model.and_then(|m| m.import.clone()),
                        name: c.name.clone(),
                        data_type: c.data_type.to_string(),
                        nullable: c.nullable,
                        default: c.default.clone(),
                        serial: c.serial,
                        identity: c.identity.as_ref().map(|i| IdentityDoc {
                            always: i.always,
                            start: i.start,
                            increment: i.increment,
                            min_value: i.min_value,
                            max_value: i.max_value,
                            cache: i.cache,
                            cycle: i.cycle,
                        }),
                        generated: c.generated.as_ref().map(|g| GeneratedDoc {
                            expr: g.expr.clone(),
                            stored: g.stored,
                        }),
                        collation: c.collation.clone(),
                        comment: c.comment.clone(),
                        type_as_written: c.type_as_written.clone(),
                    }
                })
                .collect(),
            foreign_keys: t
                .foreign_keys
                .iter()
                .map(|f| ForeignKeyDoc {
                    convention: convention(&f.name),
                    auto_name: f.auto_name,
                    name: f.name.clone(),
                    columns: f.columns.clone(),
                    ref_schema: f.ref_table.schema.clone(),
                    ref_table: f.ref_table.name.clone(),
                    ref_columns: f.ref_columns.clone(),
                    on_delete: action_out(f.on_delete),
                    on_update: action_out(f.on_update),
                    deferrable: f.deferrable,
                    initially_deferred: f.initially_deferred,
                    match_kind: (f.match_kind != FkMatch::Simple)
                        .then(|| f.match_kind.sql().to_string()),
                    period: f.period,
                    not_enforced: f.not_enforced,
                })
                .collect(),
            unique_constraints: t
                .uniques
                .iter()
                .map(|u| UniqueDoc {
                    convention: convention(&u.name),
                    auto_name: u.auto_name,
                    name: u.name.clone(),
                    columns: u.columns.clone(),
                    nulls_not_distinct: u.nulls_not_distinct,
                    deferrable: u.deferrable,
                    initially_deferred: u.initially_deferred,
                    without_overlaps: u.without_overlaps,
                })
                .collect(),
            check_constraints: t
                .checks
                .iter()
                .map(|c| CheckDoc {
                    convention: convention(&c.name),
                    auto_name: c.auto_name,
                    name: c.name.clone(),
                    expr: c.expr.clone(),
                    not_enforced: c.not_enforced,
                })
                .collect(),
            indexes: t
                .indexes
                .iter()
                .map(|i| IndexDoc {
                    other_dialects: hints
                        .index_kwargs
                        .get(&(n.clone(), i.name.clone()))
                        .map(|kw| kw.iter().cloned().collect())
                        .unwrap_or_default(),
                    convention: hints.final_names.contains(&i.name),
                    name: i.name.clone(),
                    unique: i.unique,
                    ..index_doc(i)
                })
                .collect(),
        };
        doc.tables
            .entry(n.schema.clone())
            .or_default()
            .insert(n.name.clone(), table);
    }
    Ok(toml::to_string(&doc)?)
}

/// A type name as DDL writes one (`TIMESTAMP`, `NUMERIC(10, 2)`): it is
/// written into DDL as is, so nothing else may pass.
fn is_plain_type_text(text: &str) -> bool {
    !text.trim().is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '(' | ')' | ','))
}

fn parse_type(table: &str, text: &str) -> Result<DataType, SnapshotError> {
    text.parse()
        .map_err(|e: crate::types::ParseTypeError| SnapshotError::Invalid {
            table: table.to_string(),
            message: e.to_string(),
        })
}

fn action_in(table: &str, a: Option<String>) -> Result<FkAction, SnapshotError> {
    match a {
        None => Ok(FkAction::NoAction),
        Some(s) => FkAction::parse(&s).ok_or_else(|| SnapshotError::Invalid {
            table: table.to_string(),
            message: format!("unknown foreign key action `{s}`"),
        }),
    }
}

/// Reads a snapshot back. `from_toml(to_toml(s))` gives `s` again.
/// `dialects` are the dialects it may be written for.
pub fn from_toml(text: &str, dialects: &[Dialect]) -> Result<(Dialect, Schema), SnapshotError> {
    from_toml_with_hints(text, dialects).map(|(dialect, schema, _)| (dialect, schema))
}

/// Reads a snapshot back with the model hints it carries (none unless it
/// was written from SQLAlchemy models).
pub fn from_toml_with_hints(
    text: &str,
    dialects: &[Dialect],
) -> Result<(Dialect, Schema, ModelHints), SnapshotError> {
    let doc: SnapshotDoc = toml::from_str(text)?;
    if doc.format != FORMAT {
        return Err(SnapshotError::Format { found: doc.format });
    }
    let dialect = Dialect::find(dialects, &doc.dialect).map_err(SnapshotError::Dialect)?;
    let mut schema = Schema {
        schemas: doc.schemas.into_iter().collect(),
        ..Schema::default()
    };
    let mut hints = ModelHints {
        sa_enum: doc.sa_enum,
        from_models: doc.from_models,
        alembic_utils: doc.alembic_utils,
        spellings: doc.spellings,
        ..ModelHints::default()
    };
    let mut index_kwargs: Vec<((ObjectName, String), crate::hints::DialectKwargs)> = Vec::new();
    let mut convention = |flag: bool, name: &Option<String>| {
        if let (true, Some(n)) = (flag, name) {
            hints.final_names.insert(n.clone());
        }
    };
    for (s, enums) in doc.enums {
        for (n, e) in enums {
            let name = ObjectName::new(s.clone(), n);
            schema.enums.insert(
                name.clone(),
                EnumType {
                    name,
                    values: e.values,
                },
            );
        }
    }
    for (s, seqs) in doc.sequences {
        for (n, q) in seqs {
            let name = ObjectName::new(s.clone(), n);
            let data_type = parse_type(&name.to_string(), &q.data_type)?;
            schema.sequences.insert(
                name.clone(),
                Sequence {
                    name,
                    data_type,
                    start: q.start,
                    increment: q.increment,
                    min_value: q.min_value,
                    max_value: q.max_value,
                    cache: q.cache,
                    cycle: q.cycle,
                },
            );
        }
    }
    for (s, tables) in doc.tables {
        for (n, t) in tables {
            let name = ObjectName::new(s.clone(), n);
            let label = name.to_string();
            let mut table = Table::new(name.clone());
            table.comment = t.comment;
            table.sqlite_autoincrement = t.sqlite_autoincrement;
            table.charset = TableCharset {
                charset: t.charset,
                collation: t.collation,
            };
            table.primary_key = t.primary_key.map(|p| {
                convention(p.convention, &p.name);
                PrimaryKey {
                    name: p.name,
                    columns: p.columns,
                    auto_name: p.auto_name,
                    without_overlaps: p.without_overlaps,
                }
            });
            for c in t.columns {
                if let Some(code) = c.model_type {
                    hints.column_types.insert(
                        (name.clone(), c.name.clone()),
                        ModelType {
                            code,
                            import: c.model_import,
                        },
                    );
                }
                if let Some(written) = &c.type_as_written
                    && !is_plain_type_text(written)
                {
                    return Err(SnapshotError::Invalid {
                        table: label,
                        message: format!(
                            "column {}: type_as_written {written:?} is not a type name (letters, digits, spaces, `_`, and numbers in parentheses)",
                            c.name
                        ),
                    });
                }
                table.columns.push(Column {
                    data_type: parse_type(&label, &c.data_type)?,
                    name: c.name,
                    nullable: c.nullable,
                    default: c.default,
                    serial: c.serial,
                    identity: c.identity.map(|i| Identity {
                        always: i.always,
                        start: i.start,
                        increment: i.increment,
                        min_value: i.min_value,
                        max_value: i.max_value,
                        cache: i.cache,
                        cycle: i.cycle,
                    }),
                    generated: c.generated.map(|g| Generated {
                        expr: g.expr,
                        stored: g.stored,
                    }),
                    collation: c.collation,
                    comment: c.comment,
                    type_as_written: c.type_as_written,
                });
            }
            for f in t.foreign_keys {
                let match_kind = match f.match_kind.as_deref().map(str::to_ascii_uppercase) {
                    None => FkMatch::Simple,
                    Some(m) if m == "SIMPLE" => FkMatch::Simple,
                    Some(m) if m == "FULL" => FkMatch::Full,
                    Some(m) if m == "PARTIAL" => FkMatch::Partial,
                    Some(m) => {
                        return Err(SnapshotError::Invalid {
                            table: label,
                            message: format!("unknown MATCH kind `{m}`"),
                        });
                    }
                };
                convention(f.convention, &f.name);
                table.foreign_keys.push(ForeignKey {
                    name: f.name,
                    auto_name: f.auto_name,
                    columns: f.columns,
                    ref_table: ObjectName::new(f.ref_schema, f.ref_table),
                    ref_columns: f.ref_columns,
                    on_delete: action_in(&label, f.on_delete)?,
                    on_update: action_in(&label, f.on_update)?,
                    deferrable: f.deferrable,
                    initially_deferred: f.initially_deferred,
                    match_kind,
                    period: f.period,
                    not_enforced: f.not_enforced,
                });
            }
            for u in t.unique_constraints {
                convention(u.convention, &u.name);
                table.uniques.push(UniqueConstraint {
                    name: u.name,
                    auto_name: u.auto_name,
                    columns: u.columns,
                    nulls_not_distinct: u.nulls_not_distinct,
                    deferrable: u.deferrable,
                    initially_deferred: u.initially_deferred,
                    without_overlaps: u.without_overlaps,
                });
            }
            for c in t.check_constraints {
                convention(c.convention, &c.name);
                table.checks.push(CheckConstraint {
                    name: c.name,
                    auto_name: c.auto_name,
                    expr: c.expr,
                    not_enforced: c.not_enforced,
                });
            }
            for mut i in t.indexes {
                convention(i.convention, &Some(i.name.clone()));
                if !i.other_dialects.is_empty() {
                    index_kwargs.push((
                        (name.clone(), i.name.clone()),
                        std::mem::take(&mut i.other_dialects).into_iter().collect(),
                    ));
                }
                table.indexes.push(index_from_doc(&label, i)?);
            }
            table.canonicalize();
            schema.tables.insert(name, table);
        }
    }
    hints.index_kwargs.extend(index_kwargs);
    objects::from_docs(
        objects::ObjectDocs {
            domains: doc.domains,
            views: doc.views,
            functions: doc.functions,
            triggers: doc.triggers,
            extensions: doc.extensions,
        },
        &mut schema,
        parse_type,
    )?;
    schema.canonicalize();
    check_references(&schema)?;
    Ok((dialect, schema, hints))
}

/// What the DDL reader refuses, a snapshot may not say either: a key,
/// index or foreign key on a column its table lacks, a foreign key to a
/// table or columns the snapshot does not have.
fn check_references(schema: &Schema) -> Result<(), SnapshotError> {
    for (name, table) in &schema.tables {
        let invalid = |message: String| SnapshotError::Invalid {
            table: name.to_string(),
            message,
        };
        let missing = |what: &str, columns: &[String]| {
            columns.iter().find(|c| table.column(c).is_none()).map(|c| {
                invalid(format!(
                    "{what} names column {c}, which the table does not have"
                ))
            })
        };
        if let Some(pk) = &table.primary_key
            && let Some(e) = missing("the primary key", &pk.columns)
        {
            return Err(e);
        }
        for u in &table.uniques {
            if let Some(e) = missing("a unique constraint", &u.columns) {
                return Err(e);
            }
        }
        for i in &table.indexes {
            let columns: Vec<String> = i
                .keys
                .iter()
                .filter_map(|k| match &k.target {
                    IndexTarget::Column(c) => Some(c.clone()),
                    IndexTarget::Expression(_) => None,
                })
                .chain(i.include.iter().cloned())
                .collect();
            if let Some(e) = missing(&format!("index {}", i.name), &columns) {
                return Err(e);
            }
        }
        for fk in &table.foreign_keys {
            if let Some(e) = missing("a foreign key", &fk.columns) {
                return Err(e);
            }
            let Some(target) = schema.tables.get(&fk.ref_table) else {
                return Err(invalid(format!(
                    "a foreign key points at table {}, which the snapshot does not have",
                    fk.ref_table
                )));
            };
            if let Some(c) = fk.ref_columns.iter().find(|c| target.column(c).is_none()) {
                return Err(invalid(format!(
                    "a foreign key points at column {c} of table {}, which it does not have",
                    fk.ref_table
                )));
            }
            if fk.columns.len() != fk.ref_columns.len() {
                return Err(invalid(
                    "a foreign key's columns and referenced columns differ in number".into(),
                ));
            }
        }
        // A temporal key compares its last column for overlap: it needs
        // another column to compare for equality (PostgreSQL refuses it).
        let temporal = table
            .primary_key
            .iter()
            .filter(|k| k.without_overlaps)
            .map(|k| ("the primary key's without_overlaps", k.columns.len()))
            .chain(
                table
                    .uniques
                    .iter()
                    .filter(|u| u.without_overlaps)
                    .map(|u| ("a unique constraint's without_overlaps", u.columns.len())),
            )
            .chain(
                table
                    .foreign_keys
                    .iter()
                    .filter(|f| f.period)
                    .map(|f| ("a foreign key's period", f.columns.len())),
            );
        for (what, n) in temporal {
            if n < 2 {
                return Err(invalid(format!(
                    "{what} needs at least two columns (the last is the period)"
                )));
            }
        }
    }
    Ok(())
}

//! The objects beyond tables in a snapshot: views by schema and name,
//! functions and triggers as lists (their identities have more parts),
//! extensions by name. Definitions are kept as the server prints them,
//! with the text the declared DDL wrote where it differs.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{IndexDoc, SnapshotError, is_false, yes};
use crate::model::{ObjectName, Schema};
use crate::objects::*;

fn is_true(b: &bool) -> bool {
    *b
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ViewDoc {
    #[serde(default, skip_serializing_if = "is_false")]
    materialized: bool,
    query: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    as_written: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    options: Vec<String>,
    /// `[name, type]` pairs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    columns: Vec<(String, String)>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    with_data: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<DependencyDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    indexes: Vec<IndexDoc>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DependencyDoc {
    schema: String,
    name: String,
    /// A column of the relation; without it, the relation as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    column: Option<String>,
    /// A function's argument types: the dependency is a function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    args: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FunctionDoc {
    schema: String,
    name: String,
    args: String,
    #[serde(default, skip_serializing_if = "is_false")]
    procedure: bool,
    definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    as_written: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    result: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    arguments: String,
    language: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TriggerDoc {
    schema: String,
    table: String,
    name: String,
    definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    as_written: Option<String>,
    #[serde(default = "enabled", skip_serializing_if = "is_enabled")]
    enabled: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<DependencyDoc>,
}

fn enabled() -> String {
    TriggerEnabled::Origin.name().into()
}
fn is_enabled(s: &String) -> bool {
    s == TriggerEnabled::Origin.name()
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExtensionDoc {
    schema: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DomainDoc {
    #[serde(rename = "type")]
    base_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    collation: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    not_null: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default: Option<String>,
    /// `[name, expression]` pairs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    checks: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

/// The object sections of a snapshot.
#[derive(Default)]
pub(super) struct ObjectDocs {
    pub(super) domains: BTreeMap<String, BTreeMap<String, DomainDoc>>,
    pub(super) views: BTreeMap<String, BTreeMap<String, ViewDoc>>,
    pub(super) functions: Vec<FunctionDoc>,
    pub(super) triggers: Vec<TriggerDoc>,
    pub(super) extensions: BTreeMap<String, ExtensionDoc>,
}

fn dependency_doc(d: &Dependency) -> DependencyDoc {
    match d {
        Dependency::Relation(n) => DependencyDoc {
            schema: n.schema.clone(),
            name: n.name.clone(),
            column: None,
            args: None,
        },
        Dependency::Column(n, c) => DependencyDoc {
            schema: n.schema.clone(),
            name: n.name.clone(),
            column: Some(c.clone()),
            args: None,
        },
        Dependency::Function(f) => DependencyDoc {
            schema: f.name.schema.clone(),
            name: f.name.name.clone(),
            column: None,
            args: Some(f.args.clone()),
        },
    }
}

fn dependency(d: DependencyDoc) -> Dependency {
    let name = ObjectName::new(d.schema, d.name);
    match (d.args, d.column) {
        (Some(args), _) => Dependency::Function(FunctionId { name, args }),
        (None, Some(c)) => Dependency::Column(name, c),
        (None, None) => Dependency::Relation(name),
    }
}

pub(super) fn to_docs(schema: &Schema) -> ObjectDocs {
    let mut docs = ObjectDocs::default();
    for (n, d) in &schema.domains {
        docs.domains.entry(n.schema.clone()).or_default().insert(
            n.name.clone(),
            DomainDoc {
                base_type: d.base_type.to_string(),
                collation: d.collation.clone(),
                not_null: d.not_null,
                default: d.default.clone(),
                checks: d.checks.clone(),
                owner: d.owner.clone(),
                comment: d.comment.clone(),
            },
        );
    }
    for (n, v) in &schema.views {
        docs.views.entry(n.schema.clone()).or_default().insert(
            n.name.clone(),
            ViewDoc {
                materialized: v.materialized,
                query: v.query.clone(),
                as_written: v.as_written.clone(),
                options: v.options.clone(),
                columns: v.columns.clone(),
                with_data: v.with_data,
                owner: v.owner.clone(),
                comment: v.comment.clone(),
                depends_on: v.depends_on.iter().map(dependency_doc).collect(),
                indexes: v.indexes.iter().map(super::index_doc).collect(),
            },
        );
    }
    for f in schema.functions.values() {
        docs.functions.push(FunctionDoc {
            schema: f.id.name.schema.clone(),
            name: f.id.name.name.clone(),
            args: f.id.args.clone(),
            procedure: f.procedure,
            definition: f.definition.clone(),
            as_written: f.as_written.clone(),
            result: f.result.clone(),
            arguments: f.arguments.clone(),
            language: f.language.clone(),
            owner: f.owner.clone(),
            comment: f.comment.clone(),
        });
    }
    for t in schema.triggers.values() {
        docs.triggers.push(TriggerDoc {
            schema: t.id.table.schema.clone(),
            table: t.id.table.name.clone(),
            name: t.id.name.clone(),
            definition: t.definition.clone(),
            as_written: t.as_written.clone(),
            enabled: t.enabled.name().into(),
            comment: t.comment.clone(),
            depends_on: t.depends_on.iter().map(dependency_doc).collect(),
        });
    }
    for (n, e) in &schema.extensions {
        docs.extensions.insert(
            n.clone(),
            ExtensionDoc {
                schema: e.schema.clone(),
                version: e.version.clone(),
                comment: e.comment.clone(),
            },
        );
    }
    docs
}

pub(super) fn from_docs(
    docs: ObjectDocs,
    schema: &mut Schema,
    parse_type: impl Fn(&str, &str) -> Result<crate::types::DataType, SnapshotError>,
) -> Result<(), SnapshotError> {
    for (s, domains) in docs.domains {
        for (n, d) in domains {
            let name = ObjectName::new(s.clone(), n);
            let base_type = parse_type(&name.to_string(), &d.base_type)?;
            schema.domains.insert(
                name.clone(),
                Domain {
                    name,
                    base_type,
                    collation: d.collation,
                    not_null: d.not_null,
                    default: d.default,
                    checks: d.checks,
                    owner: d.owner,
                    comment: d.comment,
                },
            );
        }
    }
    for (s, views) in docs.views {
        for (n, v) in views {
            let name = ObjectName::new(s.clone(), n);
            let mut indexes = Vec::new();
            for i in v.indexes {
                indexes.push(super::index_from_doc(&name.to_string(), i)?);
            }
            let view = View {
                name: name.clone(),
                materialized: v.materialized,
                query: v.query,
                as_written: v.as_written,
                search_path: None,
                options: v.options,
                columns: v.columns,
                with_data: v.with_data,
                owner: v.owner,
                indexes,
                comment: v.comment,
                depends_on: v.depends_on.into_iter().map(dependency).collect(),
            };
            schema.views.insert(name, view);
        }
    }
    for f in docs.functions {
        let id = FunctionId {
            name: ObjectName::new(f.schema, f.name),
            args: f.args,
        };
        schema.functions.insert(
            id.clone(),
            Function {
                id,
                procedure: f.procedure,
                definition: f.definition,
                as_written: f.as_written,
                search_path: None,
                result: f.result,
                arguments: f.arguments,
                language: f.language,
                owner: f.owner,
                comment: f.comment,
            },
        );
    }
    for t in docs.triggers {
        let id = TriggerId {
            table: ObjectName::new(t.schema, t.table),
            name: t.name,
        };
        let enabled =
            TriggerEnabled::from_name(&t.enabled).ok_or_else(|| SnapshotError::Invalid {
                table: id.to_string(),
                message: format!(
                    "trigger `enabled` is one of enabled, disabled, replica, always; not {:?}",
                    t.enabled
                ),
            })?;
        let depends_on: BTreeSet<Dependency> = t.depends_on.into_iter().map(dependency).collect();
        schema.triggers.insert(
            id.clone(),
            Trigger {
                id,
                definition: t.definition,
                as_written: t.as_written,
                search_path: None,
                enabled,
                comment: t.comment,
                depends_on,
            },
        );
    }
    for (n, e) in docs.extensions {
        schema.extensions.insert(
            n.clone(),
            Extension {
                name: n,
                schema: e.schema,
                version: e.version,
                comment: e.comment,
            },
        );
    }
    Ok(())
}

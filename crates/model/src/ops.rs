use crate::model::*;
use crate::objects::*;
use crate::rules::Rule;
use crate::types::DataType;

/// One change to a schema. Every op knows its inverse, so a downgrade is the
/// reversed list of inverses; rendering is a separate pass.
// Ops are counted in changes, not rows: a whole table inline is simpler
// than boxing and costs nothing that matters.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    CreateSchema(String),
    DropSchema(String),
    CreateEnum(EnumType),
    DropEnum(EnumType),
    /// `ALTER TYPE ... ADD VALUE`, at its position.
    AddEnumValue {
        name: ObjectName,
        value: String,
        /// The value the new one goes before (None: appended).
        before: Option<String>,
        values_before: Vec<String>,
        values_after: Vec<String>,
        usages: Vec<EnumUsage>,
    },
    /// Values removed, renamed or reordered: the type is rebuilt and every
    /// column using it is cast over. Fails if rows hold a removed value.
    RecreateEnum {
        name: ObjectName,
        from_values: Vec<String>,
        to_values: Vec<String>,
        usages: Vec<EnumUsage>,
    },
    CreateSequence(Sequence),
    DropSequence(Sequence),
    AlterSequence {
        from: Sequence,
        to: Sequence,
    },
    /// Creates the table with the FKs it carries; FKs that close a cycle are
    /// left out by the ordering pass and added as separate ops.
    CreateTable(Table),
    DropTable(Table),
    AddColumn {
        table: ObjectName,
        column: Column,
    },
    DropColumn {
        table: ObjectName,
        column: Column,
    },
    AlterColumn(AlterColumn),
    AddPrimaryKey {
        table: ObjectName,
        key: PrimaryKey,
    },
    DropPrimaryKey {
        table: ObjectName,
        key: PrimaryKey,
    },
    /// The same primary key under another name: renamed in place where the
    /// database can (PostgreSQL's `RENAME CONSTRAINT`), so the foreign keys
    /// that point at it stay.
    RenamePrimaryKey {
        table: ObjectName,
        key: PrimaryKey,
        to: String,
    },
    AddForeignKey {
        table: ObjectName,
        key: ForeignKey,
    },
    DropForeignKey {
        table: ObjectName,
        key: ForeignKey,
    },
    AddUnique {
        table: ObjectName,
        unique: UniqueConstraint,
    },
    DropUnique {
        table: ObjectName,
        unique: UniqueConstraint,
    },
    AddCheck {
        table: ObjectName,
        check: CheckConstraint,
    },
    DropCheck {
        table: ObjectName,
        check: CheckConstraint,
    },
    CreateIndex {
        table: ObjectName,
        index: Index,
    },
    DropIndex {
        table: ObjectName,
        index: Index,
    },
    SetTableComment {
        table: ObjectName,
        from: Option<String>,
        to: Option<String>,
    },
    /// MySQL's table default character set and collation: what new
    /// columns take (existing ones keep theirs, nothing is rewritten).
    SetTableCharset {
        table: ObjectName,
        from: TableCharset,
        to: TableCharset,
    },
    RenameColumn {
        table: ObjectName,
        from: String,
        to: String,
    },
    CreateDomain(Domain),
    DropDomain(Domain),
    /// Default, NOT NULL and CHECKs changed in place (`ALTER DOMAIN`).
    AlterDomain {
        from: Domain,
        to: Domain,
    },
    CreateExtension(Extension),
    DropExtension(Extension),
    /// Another schema (`SET SCHEMA`) or a declared version (`UPDATE TO`).
    AlterExtension {
        from: Extension,
        to: Extension,
    },
    CreateFunction(Function),
    DropFunction(Function),
    /// `CREATE OR REPLACE`: same kind, result type and argument names.
    ReplaceFunction {
        from: Function,
        to: Function,
    },
    /// A function `CREATE OR REPLACE` cannot change: dropped and created
    /// again (what depends on it is dropped before and re-created after).
    RecreateFunction {
        from: Function,
        to: Function,
    },
    /// A view or materialized view, with a materialized view's indexes.
    CreateView(View),
    DropView(View),
    /// `CREATE OR REPLACE VIEW`: the old columns stay, in order.
    ReplaceView {
        from: View,
        to: View,
    },
    CreateTrigger(Trigger),
    DropTrigger(Trigger),
    /// `ALTER TABLE ... ENABLE/DISABLE TRIGGER`.
    SetTriggerEnabled {
        trigger: TriggerId,
        from: TriggerEnabled,
        to: TriggerEnabled,
    },
    /// `ALTER ... OWNER TO` (only with `compare_owners`).
    SetOwner {
        object: ObjectRef,
        from: String,
        to: String,
    },
    /// `COMMENT ON` a view, function, trigger or extension.
    SetObjectComment {
        object: ObjectRef,
        from: Option<String>,
        to: Option<String>,
    },
}

/// A column that has an enum type, with the default it carries (the default
/// has to be dropped and restored around a type rebuild).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumUsage {
    pub table: ObjectName,
    pub column: String,
    pub default: Option<String>,
    pub array: bool,
}

/// A column changed in place: the whole column before and after, so that
/// renderers can write `existing_*` arguments and the inverse is a swap.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterColumn {
    pub table: ObjectName,
    pub from: Column,
    pub to: Column,
}

impl AlterColumn {
    pub fn type_changed(&self) -> bool {
        self.from.data_type != self.to.data_type || self.from.collation != self.to.collation
    }
    pub fn nullable_changed(&self) -> bool {
        self.from.nullable != self.to.nullable
    }
    pub fn default_changed(&self) -> bool {
        self.from.default != self.to.default || self.from.serial != self.to.serial
    }
    pub fn comment_changed(&self) -> bool {
        self.from.comment != self.to.comment
    }
    pub fn identity_changed(&self) -> bool {
        self.from.identity != self.to.identity
    }
}

impl Op {
    /// The op that undoes this one.
    pub fn inverse(&self) -> Op {
        match self.clone() {
            Op::CreateSchema(s) => Op::DropSchema(s),
            Op::DropSchema(s) => Op::CreateSchema(s),
            Op::CreateEnum(e) => Op::DropEnum(e),
            Op::DropEnum(e) => Op::CreateEnum(e),
            Op::AddEnumValue {
                name,
                values_before,
                values_after,
                usages,
                ..
            } => Op::RecreateEnum {
                name,
                from_values: values_after,
                to_values: values_before,
                usages,
            },
            Op::RecreateEnum {
                name,
                from_values,
                to_values,
                usages,
            } => Op::RecreateEnum {
                name,
                from_values: to_values,
                to_values: from_values,
                usages,
            },
            Op::CreateSequence(s) => Op::DropSequence(s),
            Op::DropSequence(s) => Op::CreateSequence(s),
            Op::AlterSequence { from, to } => Op::AlterSequence { from: to, to: from },
            Op::CreateTable(t) => Op::DropTable(t),
            Op::DropTable(t) => Op::CreateTable(t),
            Op::AddColumn { table, column } => Op::DropColumn { table, column },
            Op::DropColumn { table, column } => Op::AddColumn { table, column },
            Op::AlterColumn(a) => Op::AlterColumn(AlterColumn {
                table: a.table,
                from: a.to,
                to: a.from,
            }),
            Op::AddPrimaryKey { table, key } => Op::DropPrimaryKey { table, key },
            Op::DropPrimaryKey { table, key } => Op::AddPrimaryKey { table, key },
            Op::RenamePrimaryKey { table, key, to } => {
                let from = key.name.clone().unwrap_or_default();
                Op::RenamePrimaryKey {
                    table,
                    key: PrimaryKey {
                        name: Some(to),
                        ..key
                    },
                    to: from,
                }
            }
            Op::AddForeignKey { table, key } => Op::DropForeignKey { table, key },
            Op::DropForeignKey { table, key } => Op::AddForeignKey { table, key },
            Op::AddUnique { table, unique } => Op::DropUnique { table, unique },
            Op::DropUnique { table, unique } => Op::AddUnique { table, unique },
            Op::AddCheck { table, check } => Op::DropCheck { table, check },
            Op::DropCheck { table, check } => Op::AddCheck { table, check },
            Op::CreateIndex { table, index } => Op::DropIndex { table, index },
            Op::DropIndex { table, index } => Op::CreateIndex { table, index },
            Op::SetTableComment { table, from, to } => Op::SetTableComment {
                table,
                from: to,
                to: from,
            },
            Op::SetTableCharset { table, from, to } => Op::SetTableCharset {
                table,
                from: to,
                to: from,
            },
            Op::RenameColumn { table, from, to } => Op::RenameColumn {
                table,
                from: to,
                to: from,
            },
            Op::CreateDomain(d) => Op::DropDomain(d),
            Op::DropDomain(d) => Op::CreateDomain(d),
            Op::AlterDomain { from, to } => Op::AlterDomain { from: to, to: from },
            Op::CreateExtension(e) => Op::DropExtension(e),
            Op::DropExtension(e) => Op::CreateExtension(e),
            Op::AlterExtension { from, to } => Op::AlterExtension { from: to, to: from },
            Op::CreateFunction(f) => Op::DropFunction(f),
            Op::DropFunction(f) => Op::CreateFunction(f),
            Op::ReplaceFunction { from, to } => Op::ReplaceFunction { from: to, to: from },
            Op::RecreateFunction { from, to } => Op::RecreateFunction { from: to, to: from },
            Op::CreateView(v) => Op::DropView(v),
            Op::DropView(v) => Op::CreateView(v),
            Op::ReplaceView { from, to } => Op::ReplaceView { from: to, to: from },
            Op::CreateTrigger(t) => Op::DropTrigger(t),
            Op::DropTrigger(t) => Op::CreateTrigger(t),
            Op::SetTriggerEnabled { trigger, from, to } => Op::SetTriggerEnabled {
                trigger,
                from: to,
                to: from,
            },
            Op::SetOwner { object, from, to } => Op::SetOwner {
                object,
                from: to,
                to: from,
            },
            Op::SetObjectComment { object, from, to } => Op::SetObjectComment {
                object,
                from: to,
                to: from,
            },
        }
    }

    /// The table an op changes, when it changes one that exists on both sides.
    pub fn table(&self) -> Option<&ObjectName> {
        match self {
            Op::AddColumn { table, .. }
            | Op::DropColumn { table, .. }
            | Op::AddPrimaryKey { table, .. }
            | Op::DropPrimaryKey { table, .. }
            | Op::RenamePrimaryKey { table, .. }
            | Op::AddForeignKey { table, .. }
            | Op::DropForeignKey { table, .. }
            | Op::AddUnique { table, .. }
            | Op::DropUnique { table, .. }
            | Op::AddCheck { table, .. }
            | Op::DropCheck { table, .. }
            | Op::CreateIndex { table, .. }
            | Op::DropIndex { table, .. }
            | Op::SetTableComment { table, .. }
            | Op::SetTableCharset { table, .. }
            | Op::RenameColumn { table, .. } => Some(table),
            Op::AlterColumn(a) => Some(&a.table),
            Op::CreateTable(t) | Op::DropTable(t) => Some(&t.name),
            _ => None,
        }
    }

    /// A short machine name for the kind of change (used in JSON reports).
    pub fn kind(&self) -> &'static str {
        match self {
            Op::CreateSchema(_) => "create_schema",
            Op::DropSchema(_) => "drop_schema",
            Op::CreateEnum(_) => "create_enum",
            Op::DropEnum(_) => "drop_enum",
            Op::AddEnumValue { .. } => "add_enum_value",
            Op::RecreateEnum { .. } => "recreate_enum",
            Op::CreateSequence(_) => "create_sequence",
            Op::DropSequence(_) => "drop_sequence",
            Op::AlterSequence { .. } => "alter_sequence",
            Op::CreateTable(_) => "create_table",
            Op::DropTable(_) => "drop_table",
            Op::AddColumn { .. } => "add_column",
            Op::DropColumn { .. } => "drop_column",
            Op::AlterColumn(_) => "alter_column",
            Op::AddPrimaryKey { .. } => "add_primary_key",
            Op::DropPrimaryKey { .. } => "drop_primary_key",
            Op::RenamePrimaryKey { .. } => "rename_primary_key",
            Op::AddForeignKey { .. } => "add_foreign_key",
            Op::DropForeignKey { .. } => "drop_foreign_key",
            Op::AddUnique { .. } => "add_unique_constraint",
            Op::DropUnique { .. } => "drop_unique_constraint",
            Op::AddCheck { .. } => "add_check_constraint",
            Op::DropCheck { .. } => "drop_check_constraint",
            Op::CreateIndex { .. } => "create_index",
            Op::DropIndex { .. } => "drop_index",
            Op::SetTableComment { .. } => "set_table_comment",
            Op::SetTableCharset { .. } => "set_table_charset",
            Op::RenameColumn { .. } => "rename_column",
            Op::CreateDomain(_) => "create_domain",
            Op::DropDomain(_) => "drop_domain",
            Op::AlterDomain { .. } => "alter_domain",
            Op::CreateExtension(_) => "create_extension",
            Op::DropExtension(_) => "drop_extension",
            Op::AlterExtension { .. } => "alter_extension",
            Op::CreateFunction(f) if f.procedure => "create_procedure",
            Op::CreateFunction(_) => "create_function",
            Op::DropFunction(f) if f.procedure => "drop_procedure",
            Op::DropFunction(_) => "drop_function",
            Op::ReplaceFunction { to, .. } if to.procedure => "replace_procedure",
            Op::ReplaceFunction { .. } => "replace_function",
            Op::RecreateFunction { to, .. } if to.procedure => "recreate_procedure",
            Op::RecreateFunction { .. } => "recreate_function",
            Op::CreateView(v) if v.materialized => "create_materialized_view",
            Op::CreateView(_) => "create_view",
            Op::DropView(v) if v.materialized => "drop_materialized_view",
            Op::DropView(_) => "drop_view",
            Op::ReplaceView { .. } => "replace_view",
            Op::CreateTrigger(_) => "create_trigger",
            Op::DropTrigger(_) => "drop_trigger",
            Op::SetTriggerEnabled { .. } => "set_trigger_enabled",
            Op::SetObjectComment { .. } => "set_comment",
            Op::SetOwner { .. } => "set_owner",
        }
    }

    /// The dotted path of the object the op is about.
    pub fn object_path(&self) -> String {
        let sub = |t: &ObjectName, n: &str| format!("{t}.{n}");
        let opt = |t: &ObjectName, n: &Option<String>| match n {
            Some(n) => sub(t, n),
            None => format!("{t}.<unnamed>"),
        };
        match self {
            Op::CreateSchema(s) | Op::DropSchema(s) => s.clone(),
            Op::CreateEnum(e) | Op::DropEnum(e) => e.name.to_string(),
            Op::AddEnumValue { name, .. } | Op::RecreateEnum { name, .. } => name.to_string(),
            Op::CreateSequence(s) | Op::DropSequence(s) => s.name.to_string(),
            Op::AlterSequence { to, .. } => to.name.to_string(),
            Op::CreateTable(t) | Op::DropTable(t) => t.name.to_string(),
            Op::AddColumn { table, column } | Op::DropColumn { table, column } => {
                sub(table, &column.name)
            }
            Op::AlterColumn(a) => sub(&a.table, &a.to.name),
            Op::AddPrimaryKey { table, key }
            | Op::DropPrimaryKey { table, key }
            | Op::RenamePrimaryKey { table, key, .. } => opt(table, &key.name),
            Op::AddForeignKey { table, key } | Op::DropForeignKey { table, key } => {
                opt(table, &key.name)
            }
            Op::AddUnique { table, unique } | Op::DropUnique { table, unique } => {
                opt(table, &unique.name)
            }
            Op::AddCheck { table, check } | Op::DropCheck { table, check } => {
                opt(table, &check.name)
            }
            Op::CreateIndex { table, index } | Op::DropIndex { table, index } => {
                sub(table, &index.name)
            }
            Op::SetTableComment { table, .. } | Op::SetTableCharset { table, .. } => {
                table.to_string()
            }
            Op::RenameColumn { table, from, .. } => sub(table, from),
            Op::CreateExtension(e) | Op::DropExtension(e) => e.name.clone(),
            Op::AlterExtension { to, .. } => to.name.clone(),
            Op::CreateDomain(d) | Op::DropDomain(d) => d.name.to_string(),
            Op::AlterDomain { to, .. } => to.name.to_string(),
            Op::CreateFunction(f) | Op::DropFunction(f) => f.id.to_string(),
            Op::ReplaceFunction { to, .. } | Op::RecreateFunction { to, .. } => to.id.to_string(),
            Op::CreateView(v) | Op::DropView(v) => v.name.to_string(),
            Op::ReplaceView { to, .. } => to.name.to_string(),
            Op::CreateTrigger(t) | Op::DropTrigger(t) => t.id.to_string(),
            Op::SetTriggerEnabled { trigger, .. } => trigger.to_string(),
            Op::SetObjectComment { object, .. } | Op::SetOwner { object, .. } => object.to_string(),
        }
    }

    /// The object beyond tables an op is about, if any.
    pub fn object(&self) -> Option<ObjectRef> {
        Some(match self {
            Op::CreateExtension(e) | Op::DropExtension(e) => ObjectRef::Extension(e.name.clone()),
            Op::CreateDomain(d) | Op::DropDomain(d) => ObjectRef::Domain(d.name.clone()),
            Op::AlterDomain { to, .. } => ObjectRef::Domain(to.name.clone()),
            Op::AlterExtension { to, .. } => ObjectRef::Extension(to.name.clone()),
            Op::CreateFunction(f) | Op::DropFunction(f) => f.object_ref(),
            Op::ReplaceFunction { to, .. } | Op::RecreateFunction { to, .. } => to.object_ref(),
            Op::CreateView(v) | Op::DropView(v) => v.object_ref(),
            Op::ReplaceView { to, .. } => to.object_ref(),
            Op::CreateTrigger(t) | Op::DropTrigger(t) => ObjectRef::Trigger(t.id.clone()),
            Op::SetTriggerEnabled { trigger, .. } => ObjectRef::Trigger(trigger.clone()),
            Op::SetObjectComment { object, .. } | Op::SetOwner { object, .. } => object.clone(),
            _ => return None,
        })
    }

    /// One human line: what changes, old → new where it applies.
    pub fn describe(&self) -> String {
        let path = self.object_path();
        match self {
            Op::CreateSchema(_) => format!("add schema {path}"),
            Op::DropSchema(_) => format!("remove schema {path}"),
            Op::CreateEnum(e) => format!("add enum {path} ({})", e.values.join(", ")),
            Op::DropEnum(_) => format!("remove enum {path}"),
            Op::AddEnumValue { value, before, .. } => match before {
                Some(b) => format!("add value '{value}' to enum {path} before '{b}'"),
                None => format!("add value '{value}' to enum {path}"),
            },
            Op::RecreateEnum {
                from_values,
                to_values,
                ..
            } => format!(
                "rebuild enum {path}: ({}) → ({})",
                from_values.join(", "),
                to_values.join(", ")
            ),
            Op::CreateSequence(_) => format!("add sequence {path}"),
            Op::DropSequence(_) => format!("remove sequence {path}"),
            Op::AlterSequence { .. } => format!("alter sequence {path}"),
            Op::CreateTable(_) => format!("add table {path}"),
            Op::DropTable(_) => format!("remove table {path}"),
            Op::AddColumn { column, .. } => format!(
                "add column {path} ({}{})",
                column.data_type,
                if column.nullable { "" } else { ", not null" }
            ),
            Op::DropColumn { .. } => format!("remove column {path}"),
            Op::AlterColumn(a) => {
                let mut parts = Vec::new();
                if a.type_changed() {
                    parts.push(format!("type {} → {}", a.from.data_type, a.to.data_type));
                }
                if a.nullable_changed() {
                    let n = |b: bool| if b { "null" } else { "not null" };
                    parts.push(format!("{} → {}", n(a.from.nullable), n(a.to.nullable)));
                }
                if a.default_changed() {
                    let d = |c: &Column| {
                        if c.serial {
                            "serial".to_string()
                        } else {
                            c.default.clone().unwrap_or_else(|| "none".into())
                        }
                    };
                    parts.push(format!("default {} → {}", d(&a.from), d(&a.to)));
                }
                if a.comment_changed() {
                    parts.push("comment".to_string());
                }
                if a.identity_changed() {
                    parts.push("identity".to_string());
                }
                format!("alter column {path}: {}", parts.join(", "))
            }
            Op::AddPrimaryKey { key, .. } => {
                format!("add primary key {path} ({})", key.columns.join(", "))
            }
            Op::DropPrimaryKey { .. } => format!("remove primary key {path}"),
            Op::RenamePrimaryKey { to, .. } => format!("rename primary key {path} to {to}"),
            Op::AddForeignKey { key, .. } => format!(
                "add foreign key {path} ({}) → {} ({})",
                key.columns.join(", "),
                key.ref_table,
                key.ref_columns.join(", ")
            ),
            Op::DropForeignKey { .. } => format!("remove foreign key {path}"),
            Op::AddUnique { unique, .. } => {
                format!(
                    "add unique constraint {path} ({})",
                    unique.columns.join(", ")
                )
            }
            Op::DropUnique { .. } => format!("remove unique constraint {path}"),
            Op::AddCheck { check, .. } => format!("add check constraint {path} ({})", check.expr),
            Op::DropCheck { .. } => format!("remove check constraint {path}"),
            Op::CreateIndex { .. } => format!("add index {path}"),
            Op::DropIndex { .. } => format!("remove index {path}"),
            Op::SetTableComment { from, to, .. } => format!(
                "table comment {path}: {} → {}",
                from.as_deref().unwrap_or("none"),
                to.as_deref().unwrap_or("none")
            ),
            Op::SetTableCharset { from, to, .. } => {
                format!("table character set {path}: {from} → {to}")
            }
            Op::RenameColumn { table, to, .. } => {
                format!("rename column {path} → {}", format_args!("{table}.{to}"))
            }
            Op::CreateDomain(d) => format!("add domain {path} ({})", d.base_type),
            Op::DropDomain(_) => format!("remove domain {path}"),
            Op::AlterDomain { .. } => format!("alter domain {path}"),
            Op::CreateExtension(e) => format!("add extension {path} (schema {})", e.schema),
            Op::DropExtension(_) => format!("remove extension {path}"),
            Op::AlterExtension { from, to } => {
                let mut parts = Vec::new();
                if from.schema != to.schema {
                    parts.push(format!("schema {} → {}", from.schema, to.schema));
                }
                if from.version != to.version {
                    let v = |v: &Option<String>| v.clone().unwrap_or_else(|| "default".into());
                    parts.push(format!("version {} → {}", v(&from.version), v(&to.version)));
                }
                format!("alter extension {path}: {}", parts.join(", "))
            }
            _ => {
                let kind = self.object().map(|o| o.kind_name()).unwrap_or_default();
                match self {
                    Op::CreateFunction(_) | Op::CreateView(_) | Op::CreateTrigger(_) => {
                        format!("add {kind} {path}")
                    }
                    Op::DropFunction(_) | Op::DropView(_) | Op::DropTrigger(_) => {
                        format!("remove {kind} {path}")
                    }
                    Op::ReplaceFunction { .. } | Op::ReplaceView { .. } => {
                        format!("change {kind} {path}")
                    }
                    Op::RecreateFunction { .. } => {
                        format!("change {kind} {path} (dropped and created again)")
                    }
                    Op::SetTriggerEnabled { from, to, .. } => {
                        format!("trigger {path}: {} → {}", from.name(), to.name())
                    }
                    Op::SetOwner { from, to, .. } => format!("{kind} owner {path}: {from} → {to}"),
                    Op::SetObjectComment { from, to, .. } => format!(
                        "{kind} comment {path}: {} → {}",
                        from.as_deref().unwrap_or("none"),
                        to.as_deref().unwrap_or("none")
                    ),
                    _ => path,
                }
            }
        }
    }

    /// The online-safety rules this op breaks when it runs against a busy
    /// database with data in it (`migdiff lint` finds the same in SQL).
    pub fn hazards(&self) -> Vec<Rule> {
        let mut out = Vec::new();
        match self {
            Op::DropTable(_) => out.push(Rule::BanDropTable),
            Op::DropColumn { .. } => out.push(Rule::BanDropColumn),
            Op::DropSequence(_) => out.push(Rule::BanDropSequence),
            Op::RenameColumn { .. } => out.push(Rule::RenamingColumn),
            Op::RecreateEnum {
                from_values,
                to_values,
                ..
            } => {
                if from_values.iter().any(|v| !to_values.contains(v)) {
                    out.push(Rule::RemovingEnumValue);
                }
                // Every column of the type is cast over to the new one.
                out.push(Rule::ChangingColumnType);
            }
            Op::AddColumn { column, .. } => {
                if !column.nullable
                    && column.default.is_none()
                    && !column.serial
                    && column.identity.is_none()
                    && column.generated.is_none()
                {
                    out.push(Rule::AddingRequiredField);
                }
                // A virtual column is computed on read: nothing is written.
                // A serial's nextval(), an identity and a volatile default
                // give every existing row its own value: a rewrite.
                if column.generated.as_ref().is_some_and(|g| g.stored)
                    || column.serial
                    || column.identity.is_some()
                    || column
                        .default
                        .as_deref()
                        .is_some_and(crate::volatile::is_volatile_default)
                {
                    out.push(Rule::AddingFieldWithDefault);
                }
            }
            Op::AlterColumn(a) => {
                if a.type_changed() {
                    if a.from.data_type.is_narrowing_to(&a.to.data_type) {
                        out.push(Rule::NarrowingColumnType);
                    }
                    if !widening_without_rewrite(&a.from.data_type, &a.to.data_type) {
                        out.push(Rule::ChangingColumnType);
                    }
                }
                if a.from.nullable && !a.to.nullable {
                    out.push(Rule::AddingNotNullableField);
                }
            }
            Op::AddPrimaryKey { .. } => out.push(Rule::AddingPrimaryKeyConstraint),
            Op::AddUnique { .. } => out.push(Rule::DisallowedUniqueConstraint),
            Op::CreateIndex { .. } => out.push(Rule::RequireConcurrentIndexCreation),
            Op::DropIndex { .. } => out.push(Rule::RequireConcurrentIndexDeletion),
            Op::AddForeignKey { .. } => {
                out.push(Rule::AddingForeignKeyConstraint);
                out.push(Rule::ConstraintMissingNotValid);
            }
            Op::AddCheck { .. } => out.push(Rule::ConstraintMissingNotValid),
            _ => {}
        }
        out.sort();
        out.dedup();
        out
    }
}

/// PostgreSQL changes a varchar's length upwards (or to text) without a rewrite.
fn widening_without_rewrite(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    match (from, to) {
        (Varchar { length: Some(a) }, Varchar { length: Some(b) }) => b >= a,
        (Varchar { .. }, Varchar { length: None } | Text) => true,
        _ => false,
    }
}

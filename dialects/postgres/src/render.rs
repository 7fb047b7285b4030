//! PostgreSQL DDL for ops: what `migdiff diff --format sql` prints and what
//! the scratch database runs.

use migdiff_model::*;
use migdiff_sqlexpr::{quote_ident, quote_literal, type_sql};

const D: Dialect = crate::DIALECT;

fn ident(s: &str) -> String {
    quote_ident(s, D)
}

fn qualified(n: &ObjectName) -> String {
    if n.schema == "public" {
        ident(&n.name)
    } else {
        format!("{}.{}", ident(&n.schema), ident(&n.name))
    }
}

fn idents(cols: &[String]) -> String {
    cols.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ")
}

fn serial_type(t: &DataType) -> &'static str {
    match t {
        DataType::SmallInt => "smallserial",
        DataType::BigInt => "bigserial",
        _ => "serial",
    }
}

fn identity_sql(i: &Identity) -> String {
    let mut opts = Vec::new();
    if let Some(v) = i.start {
        opts.push(format!("START WITH {v}"));
    }
    if let Some(v) = i.increment {
        opts.push(format!("INCREMENT BY {v}"));
    }
    if let Some(v) = i.min_value {
        opts.push(format!("MINVALUE {v}"));
    }
    if let Some(v) = i.max_value {
        opts.push(format!("MAXVALUE {v}"));
    }
    if let Some(v) = i.cache {
        opts.push(format!("CACHE {v}"));
    }
    if i.cycle {
        opts.push("CYCLE".into());
    }
    let kind = if i.always { "ALWAYS" } else { "BY DEFAULT" };
    if opts.is_empty() {
        format!("GENERATED {kind} AS IDENTITY")
    } else {
        format!("GENERATED {kind} AS IDENTITY ({})", opts.join(" "))
    }
}

/// A default as a column definition takes it: PostgreSQL's grammar only
/// allows a restricted expression there, so one with a top-level `AT TIME
/// ZONE`, `AND`, `IS`, `IN`, `LIKE`, `COLLATE`... goes in parentheses.
pub fn default_sql(d: &str) -> String {
    const NEEDS_PARENS: &[&str] = &[
        "AT", "AND", "OR", "NOT", "IS", "ISNULL", "NOTNULL", "IN", "LIKE", "ILIKE", "BETWEEN",
        "COLLATE", "SIMILAR", "OVERLAPS",
    ];
    let bytes = d.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += 1;
                }
            }
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b if b.is_ascii_alphabetic() => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &d[start..i];
                if depth == 0 && NEEDS_PARENS.iter().any(|w| word.eq_ignore_ascii_case(w)) {
                    return format!("({d})");
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    d.to_string()
}

/// Moves the sequence of a column that just became serial or identity past
/// the values its rows already hold: a fresh sequence starts at 1, and the
/// next insert would take a used key.
fn continue_after_rows(table: &ObjectName, column: &str) -> String {
    format!(
        "SELECT setval(pg_get_serial_sequence({}, {}), coalesce(max({}), 0) + 1, false) FROM {}",
        quote_literal(&qualified(table)),
        quote_literal(column),
        ident(column),
        qualified(table)
    )
}

/// The `SET ...` clauses that turn identity `from` into `to` (an option
/// `to` leaves out goes back to its default).
fn identity_sets(from: &Identity, to: &Identity) -> Vec<String> {
    let mut sets = Vec::new();
    if from.always != to.always {
        sets.push(format!(
            "SET GENERATED {}",
            if to.always { "ALWAYS" } else { "BY DEFAULT" }
        ));
    }
    if from.increment != to.increment {
        sets.push(format!("SET INCREMENT BY {}", to.increment.unwrap_or(1)));
    }
    if from.min_value != to.min_value {
        sets.push(match to.min_value {
            Some(v) => format!("SET MINVALUE {v}"),
            None => "SET NO MINVALUE".into(),
        });
    }
    if from.max_value != to.max_value {
        sets.push(match to.max_value {
            Some(v) => format!("SET MAXVALUE {v}"),
            None => "SET NO MAXVALUE".into(),
        });
    }
    // START WITH, never RESTART: the column keeps counting from where it is.
    if from.start != to.start {
        match to.start {
            Some(v) => sets.push(format!("SET START WITH {v}")),
            // The default start is the minimum (1 ascending, the maximum
            // descending): only said when the new increment says which.
            None if to.increment.unwrap_or(1) > 0 => {
                sets.push(format!("SET START WITH {}", to.min_value.unwrap_or(1)))
            }
            None => {}
        }
    }
    if from.cache != to.cache {
        sets.push(format!("SET CACHE {}", to.cache.unwrap_or(1)));
    }
    if from.cycle != to.cycle {
        sets.push(
            if to.cycle {
                "SET CYCLE"
            } else {
                "SET NO CYCLE"
            }
            .into(),
        );
    }
    sets
}

pub fn column_sql(c: &Column) -> String {
    let mut s = ident(&c.name);
    s.push(' ');
    if c.serial {
        s.push_str(serial_type(&c.data_type));
    } else {
        s.push_str(&type_sql(&c.data_type, D));
    }
    if let Some(coll) = &c.collation {
        s.push_str(&format!(" COLLATE {}", ident(coll)));
    }
    if let Some(g) = &c.generated {
        // VIRTUAL: PostgreSQL 18 and later (a declared schema is only
        // read as virtual for such a server).
        s.push_str(&format!(
            " GENERATED ALWAYS AS ({}) {}",
            g.expr,
            if g.stored { "STORED" } else { "VIRTUAL" }
        ));
    }
    if let Some(i) = &c.identity {
        s.push(' ');
        s.push_str(&identity_sql(i));
    }
    if let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {}", default_sql(d)));
    }
    if !c.nullable {
        s.push_str(" NOT NULL");
    }
    s
}

fn deferrable(d: bool, initially: bool) -> &'static str {
    match (d, initially) {
        (true, true) => " DEFERRABLE INITIALLY DEFERRED",
        (true, false) => " DEFERRABLE",
        _ => "",
    }
}

fn named(name: &Option<String>) -> String {
    name.as_ref()
        .map(|n| format!("CONSTRAINT {} ", ident(n)))
        .unwrap_or_default()
}

/// A key's column list; PostgreSQL 18's temporal keys qualify the last
/// column (`valid_at WITHOUT OVERLAPS`, `PERIOD valid_at`).
fn key_columns(columns: &[String], last_before: &str, last_after: &str) -> String {
    let mut list: Vec<String> = columns.iter().map(|c| ident(c)).collect();
    if let Some(last) = list.last_mut() {
        *last = format!("{last_before}{last}{last_after}");
    }
    list.join(", ")
}

fn enforcement(not_enforced: bool) -> &'static str {
    if not_enforced { " NOT ENFORCED" } else { "" }
}

pub fn fk_sql(f: &ForeignKey) -> String {
    let period = if f.period { "PERIOD " } else { "" };
    let mut s = format!(
        "{}FOREIGN KEY ({}) REFERENCES {} ({})",
        named(&f.name),
        key_columns(&f.columns, period, ""),
        qualified(&f.ref_table),
        key_columns(&f.ref_columns, period, "")
    );
    if f.match_kind != FkMatch::Simple {
        s.push_str(&format!(" MATCH {}", f.match_kind.sql()));
    }
    if f.on_update != FkAction::NoAction {
        s.push_str(&format!(" ON UPDATE {}", f.on_update.sql()));
    }
    if f.on_delete != FkAction::NoAction {
        s.push_str(&format!(" ON DELETE {}", f.on_delete.sql()));
    }
    s.push_str(deferrable(f.deferrable, f.initially_deferred));
    s.push_str(enforcement(f.not_enforced));
    s
}

fn overlaps(without_overlaps: bool) -> &'static str {
    if without_overlaps {
        " WITHOUT OVERLAPS"
    } else {
        ""
    }
}

fn unique_sql(u: &UniqueConstraint) -> String {
    format!(
        "{}UNIQUE{} ({}){}",
        named(&u.name),
        if u.nulls_not_distinct {
            " NULLS NOT DISTINCT"
        } else {
            ""
        },
        key_columns(&u.columns, "", overlaps(u.without_overlaps)),
        deferrable(u.deferrable, u.initially_deferred)
    )
}

fn check_sql(c: &CheckConstraint) -> String {
    format!(
        "{}CHECK ({}){}",
        named(&c.name),
        c.expr,
        enforcement(c.not_enforced)
    )
}

fn pk_sql(p: &PrimaryKey) -> String {
    format!(
        "{}PRIMARY KEY ({})",
        named(&p.name),
        key_columns(&p.columns, "", overlaps(p.without_overlaps))
    )
}

pub fn index_sql(table: &ObjectName, i: &Index) -> String {
    let keys: Vec<String> = i
        .keys
        .iter()
        .map(|k| {
            let mut s = match &k.target {
                IndexTarget::Column(c) => ident(c),
                IndexTarget::Expression(e) => format!("({e})"),
            };
            if let Some(c) = &k.collation {
                s.push_str(&format!(" COLLATE {}", ident(c)));
            }
            if let Some(o) = &k.opclass {
                s.push_str(&format!(" {o}"));
            }
            if k.descending {
                s.push_str(" DESC");
            }
            match k.nulls_first {
                Some(true) => s.push_str(" NULLS FIRST"),
                Some(false) => s.push_str(" NULLS LAST"),
                None => {}
            }
            s
        })
        .collect();
    let mut s = format!(
        "CREATE {}INDEX {} ON {}",
        if i.unique { "UNIQUE " } else { "" },
        ident(&i.name),
        qualified(table)
    );
    if i.method != "btree" {
        s.push_str(&format!(" USING {}", i.method));
    }
    s.push_str(&format!(" ({})", keys.join(", ")));
    if !i.include.is_empty() {
        s.push_str(&format!(" INCLUDE ({})", idents(&i.include)));
    }
    if i.nulls_not_distinct {
        s.push_str(" NULLS NOT DISTINCT");
    }
    if let Some(p) = &i.predicate {
        s.push_str(&format!(" WHERE {p}"));
    }
    s
}

fn comment(target: &str, text: &Option<String>) -> String {
    format!(
        "COMMENT ON {target} IS {}",
        text.as_deref()
            .map(quote_literal)
            .unwrap_or_else(|| "NULL".into())
    )
}

fn sequence_options(s: &Sequence) -> String {
    let mut o = format!(" AS {}", type_sql(&s.data_type, D));
    if let Some(v) = s.increment {
        o.push_str(&format!(" INCREMENT BY {v}"));
    }
    if let Some(v) = s.min_value {
        o.push_str(&format!(" MINVALUE {v}"));
    }
    if let Some(v) = s.max_value {
        o.push_str(&format!(" MAXVALUE {v}"));
    }
    if let Some(v) = s.start {
        o.push_str(&format!(" START WITH {v}"));
    }
    if let Some(v) = s.cache {
        o.push_str(&format!(" CACHE {v}"));
    }
    o.push_str(if s.cycle { " CYCLE" } else { " NO CYCLE" });
    o
}

/// How long an online migration's statement waits for its lock before it
/// gives up (`SET lock_timeout`).
pub const ONLINE_LOCK_TIMEOUT: &str = "5s";

/// `ALTER TABLE ... RENAME CONSTRAINT`: the constraint (and the index
/// behind a primary key) keeps everything but its name.
pub fn rename_constraint_sql(table: &ObjectName, from: &str, to: &str) -> String {
    alter(
        table,
        format!("RENAME CONSTRAINT {} TO {}", ident(from), ident(to)),
    )
}

fn alter(table: &ObjectName, what: String) -> String {
    format!("ALTER TABLE {} {what}", qualified(table))
}

/// `CREATE TABLE` with its constraints and comments (indexes are their own ops).
pub fn create_table_sql(t: &Table) -> Vec<String> {
    let mut parts: Vec<String> = t.columns.iter().map(column_sql).collect();
    if let Some(pk) = &t.primary_key {
        parts.push(pk_sql(pk));
    }
    parts.extend(t.uniques.iter().map(unique_sql));
    parts.extend(t.checks.iter().map(check_sql));
    parts.extend(t.foreign_keys.iter().map(fk_sql));
    let mut out = vec![format!(
        "CREATE TABLE {} (\n    {}\n)",
        qualified(&t.name),
        parts.join(",\n    ")
    )];
    if t.comment.is_some() {
        out.push(comment(
            &format!("TABLE {}", qualified(&t.name)),
            &t.comment,
        ));
    }
    for c in &t.columns {
        if c.comment.is_some() {
            out.push(comment(
                &format!("COLUMN {}.{}", qualified(&t.name), ident(&c.name)),
                &c.comment,
            ));
        }
    }
    out
}

fn enum_values(values: &[String]) -> String {
    values
        .iter()
        .map(|v| quote_literal(v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rebuilds an enum type with new values and casts every using column over.
fn recreate_enum(name: &ObjectName, to: &[String], usages: &[EnumUsage]) -> Vec<String> {
    let old = ObjectName::new(name.schema.clone(), format!("{}__migdiff_old", name.name));
    let mut out = vec![format!(
        "ALTER TYPE {} RENAME TO {}",
        qualified(name),
        ident(&old.name)
    )];
    out.push(format!(
        "CREATE TYPE {} AS ENUM ({})",
        qualified(name),
        enum_values(to)
    ));
    for u in usages {
        let col = ident(&u.column);
        let ty = if u.array {
            format!("{}[]", qualified(name))
        } else {
            qualified(name)
        };
        if u.default.is_some() {
            out.push(alter(&u.table, format!("ALTER COLUMN {col} DROP DEFAULT")));
        }
        out.push(alter(
            &u.table,
            format!(
                "ALTER COLUMN {col} TYPE {ty} USING {col}::text{}::{ty}",
                if u.array { "[]" } else { "" }
            ),
        ));
        if let Some(d) = &u.default {
            let d = d.split("::").next().unwrap_or(d);
            out.push(alter(
                &u.table,
                format!("ALTER COLUMN {col} SET DEFAULT {d}"),
            ));
        }
    }
    out.push(format!("DROP TYPE {}", qualified(&old)));
    out
}

/// SQL statements (without trailing semicolons) for each op, in order.
pub fn render_sql(ops: &[Op]) -> Vec<String> {
    let mut out = Vec::new();
    for op in ops {
        if let Some(sql) = crate::render_objects::object_sql(op) {
            out.extend(sql);
            continue;
        }
        match op {
            Op::CreateSchema(s) => out.push(format!("CREATE SCHEMA {}", ident(s))),
            Op::DropSchema(s) => out.push(format!("DROP SCHEMA {}", ident(s))),
            Op::CreateEnum(e) => out.push(format!(
                "CREATE TYPE {} AS ENUM ({})",
                qualified(&e.name),
                enum_values(&e.values)
            )),
            Op::DropEnum(e) => out.push(format!("DROP TYPE {}", qualified(&e.name))),
            Op::AddEnumValue {
                name,
                value,
                before,
                ..
            } => out.push(match before {
                Some(b) => format!(
                    "ALTER TYPE {} ADD VALUE {} BEFORE {}",
                    qualified(name),
                    quote_literal(value),
                    quote_literal(b)
                ),
                None => format!(
                    "ALTER TYPE {} ADD VALUE {}",
                    qualified(name),
                    quote_literal(value)
                ),
            }),
            Op::RecreateEnum {
                name,
                to_values,
                usages,
                ..
            } => out.extend(recreate_enum(name, to_values, usages)),
            Op::CreateSequence(s) => out.push(format!(
                "CREATE SEQUENCE {}{}",
                qualified(&s.name),
                sequence_options(s)
            )),
            Op::DropSequence(s) => out.push(format!("DROP SEQUENCE {}", qualified(&s.name))),
            // START WITH, never RESTART: a live sequence keeps counting
            // from where it is (RESTART would hand out used values again).
            Op::AlterSequence { to, .. } => out.push(format!(
                "ALTER SEQUENCE {}{}",
                qualified(&to.name),
                sequence_options(to)
            )),
            Op::CreateTable(t) => out.extend(create_table_sql(t)),
            Op::DropTable(t) => out.push(format!("DROP TABLE {}", qualified(&t.name))),
            Op::AddColumn { table, column } => {
                out.push(alter(table, format!("ADD COLUMN {}", column_sql(column))));
                if column.comment.is_some() {
                    out.push(comment(
                        &format!("COLUMN {}.{}", qualified(table), ident(&column.name)),
                        &column.comment,
                    ));
                }
            }
            Op::DropColumn { table, column } => {
                out.push(alter(table, format!("DROP COLUMN {}", ident(&column.name))))
            }
            Op::AlterColumn(a) => out.extend(alter_column(a)),
            Op::AddPrimaryKey { table, key } => {
                out.push(alter(table, format!("ADD {}", pk_sql(key))))
            }
            Op::RenamePrimaryKey { table, key, to } => out.push(rename_constraint_sql(
                table,
                key.name.as_deref().unwrap_or_default(),
                to,
            )),
            Op::DropPrimaryKey { table, key } => out.push(alter(
                table,
                format!(
                    "DROP CONSTRAINT {}",
                    ident(
                        key.name
                            .as_deref()
                            .unwrap_or(&format!("{}_pkey", table.name))
                    )
                ),
            )),
            Op::AddForeignKey { table, key } => {
                out.push(alter(table, format!("ADD {}", fk_sql(key))))
            }
            Op::AddUnique { table, unique } => {
                out.push(alter(table, format!("ADD {}", unique_sql(unique))))
            }
            Op::AddCheck { table, check } => {
                out.push(alter(table, format!("ADD {}", check_sql(check))))
            }
            Op::DropForeignKey { table, key } => out.push(drop_constraint(table, &key.name)),
            Op::DropUnique { table, unique } => out.push(drop_constraint(table, &unique.name)),
            Op::DropCheck { table, check } => out.push(drop_constraint(table, &check.name)),
            Op::CreateIndex { table, index } => out.push(index_sql(table, index)),
            Op::DropIndex { table, index } => {
                let n = ObjectName::new(table.schema.clone(), index.name.clone());
                out.push(format!("DROP INDEX {}", qualified(&n)))
            }
            Op::SetTableComment { table, to, .. } => {
                out.push(comment(&format!("TABLE {}", qualified(table)), to))
            }
            // PostgreSQL tables have no character set of their own.
            Op::SetTableCharset { .. } => {}
            Op::RenameColumn { table, from, to } => out.push(alter(
                table,
                format!("RENAME COLUMN {} TO {}", ident(from), ident(to)),
            )),
            // Rendered by render_objects above.
            _ => {}
        }
    }
    out
}

fn drop_constraint(table: &ObjectName, name: &Option<String>) -> String {
    match name {
        Some(n) => alter(table, format!("DROP CONSTRAINT {}", ident(n))),
        // An unnamed constraint cannot be dropped by name; say so in SQL.
        None => format!(
            "-- migdiff: an unnamed constraint on {} cannot be dropped by name",
            qualified(table)
        ),
    }
}

/// Whether `ALTER COLUMN ... TYPE` from `from` to `to` needs a USING
/// clause: PostgreSQL converts existing values by itself only along an
/// assignment cast (numbers to wider numbers, text types to text types,
/// timestamps with and without time zone, a date to a timestamp). Anything
/// else (varchar to uuid, text to jsonb, integer to boolean, arrays) fails
/// with "cannot be cast automatically".
pub fn needs_using(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    let text = |t: &DataType| matches!(t, Text | Varchar { .. } | Char { .. });
    let number_rank = |t: &DataType| match t {
        SmallInt => Some(0),
        Integer => Some(1),
        BigInt => Some(2),
        Numeric { .. } => Some(3),
        Real | Float => Some(4),
        Double => Some(5),
        _ => None,
    };
    let implicit = match (from, to) {
        _ if from == to => true,
        (a, b) if text(a) && text(b) => true,
        // Every number casts to every other number by assignment.
        (a, b) if number_rank(a).is_some() && number_rank(b).is_some() => true,
        (Timestamp { .. }, Timestamp { .. }) | (Time { .. }, Time { .. }) => true,
        (Date, Timestamp { .. }) | (Interval { .. }, Interval { .. }) => true,
        (Json, Jsonb) | (Jsonb, Json) => false,
        _ => false,
    };
    !implicit
}

fn alter_column(a: &AlterColumn) -> Vec<String> {
    let t = &a.table;
    let col = ident(&a.to.name);
    let mut out = Vec::new();
    if a.identity_changed() && a.from.identity.is_some() && a.to.identity.is_none() {
        out.push(alter(t, format!("ALTER COLUMN {col} DROP IDENTITY")));
    }
    if a.default_changed() && (a.from.default.is_some() || a.from.serial) {
        out.push(alter(t, format!("ALTER COLUMN {col} DROP DEFAULT")));
        // A column that stops being serial takes its sequence with it (it
        // would be left behind, owned and unseen, and block a later
        // CREATE SEQUENCE of the same name). Its name is the server's.
        if a.from.serial && !a.to.serial {
            out.push(format!(
                "DO $migdiff$ BEGIN EXECUTE format('DROP SEQUENCE %s', pg_get_serial_sequence({}, {})); END $migdiff$",
                quote_literal(&qualified(t)),
                quote_literal(&a.from.name)
            ));
        }
    }
    if a.type_changed() {
        let ty = type_sql(&a.to.data_type, D);
        let coll =
            a.to.collation
                .as_ref()
                .map(|c| format!(" COLLATE {}", ident(c)))
                .unwrap_or_default();
        out.push(alter(
            t,
            format!("ALTER COLUMN {col} TYPE {ty}{coll} USING {col}::{ty}"),
        ));
    }
    if a.nullable_changed() {
        out.push(alter(
            t,
            format!(
                "ALTER COLUMN {col} {} NOT NULL",
                if a.to.nullable { "DROP" } else { "SET" }
            ),
        ));
    }
    if a.default_changed() {
        if let Some(d) = &a.to.default {
            out.push(alter(t, format!("ALTER COLUMN {col} SET DEFAULT {d}")));
        } else if a.to.serial {
            let seq = format!("{}_{}_seq", t.name, a.to.name);
            let seq_name = ObjectName::new(t.schema.clone(), seq);
            out.push(format!(
                "CREATE SEQUENCE {} OWNED BY {}.{col}",
                qualified(&seq_name),
                qualified(t)
            ));
            out.push(alter(
                t,
                format!(
                    "ALTER COLUMN {col} SET DEFAULT nextval({}::regclass)",
                    quote_literal(&qualified(&seq_name))
                ),
            ));
            out.push(continue_after_rows(t, &a.to.name));
        }
    }
    if a.identity_changed() {
        match (&a.from.identity, &a.to.identity) {
            (None, Some(i)) => {
                out.push(alter(
                    t,
                    format!("ALTER COLUMN {col} ADD {}", identity_sql(i)),
                ));
                if i.increment.unwrap_or(1) > 0 && i.start.is_none() {
                    out.push(continue_after_rows(t, &a.to.name));
                }
            }
            // Altered in place: dropping and adding the identity again
            // would start its sequence over, and hand out used values.
            (Some(from), Some(to)) => {
                let sets = identity_sets(from, to);
                if !sets.is_empty() {
                    out.push(alter(t, format!("ALTER COLUMN {col} {}", sets.join(" "))));
                }
            }
            _ => {}
        }
    }
    if a.comment_changed() {
        out.push(comment(
            &format!("COLUMN {}.{col}", qualified(t)),
            &a.to.comment,
        ));
    }
    out
}

#[cfg(test)]
mod default_tests {
    use super::default_sql;

    #[test]
    fn defaults_a_column_definition_cannot_take_bare_get_parentheses() {
        assert_eq!(
            default_sql("now() AT TIME ZONE 'utc'::text"),
            "(now() AT TIME ZONE 'utc'::text)"
        );
        assert_eq!(default_sql("(a IS NULL)"), "(a IS NULL)");
        assert_eq!(default_sql("'AT' || x"), "'AT' || x");
        assert_eq!(default_sql("now()"), "now()");
        assert_eq!(default_sql("-1"), "-1");
        assert_eq!(default_sql("'{}'::jsonb"), "'{}'::jsonb");
    }
}

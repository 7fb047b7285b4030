//! PostgreSQL's facts for the dialect-neutral crates: how it folds and
//! quotes names, names unnamed constraints, spells types and values, and
//! what its DDL can say.

use migdiff_model::{DataType, Dialect, DialectRender, DialectSpec};
use migdiff_sqlexpr::{is_simple_lowercase_name, pg_needs_quotes, spell_type, with_type_args};

use crate::Postgres;
use crate::names::{column_part, make_object_name};

/// PostgreSQL, as the dialect-neutral crates see it.
pub const DIALECT: Dialect = Dialect::new(&Postgres);

impl DialectSpec for Postgres {
    fn name(&self) -> &'static str {
        "postgresql"
    }
    fn title(&self) -> &'static str {
        "PostgreSQL"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["postgres", "pg"]
    }
    fn default_schema(&self) -> &'static str {
        "public"
    }
    fn has_schemas(&self) -> bool {
        true
    }
    fn sql_grammar(&self) -> &'static str {
        "postgresql"
    }

    fn fold_name(&self, name: &str, quoted: bool) -> String {
        if quoted {
            name.to_string()
        } else {
            name.to_lowercase()
        }
    }
    fn names_ignore_case(&self) -> bool {
        false
    }
    fn needs_quotes(&self, name: &str) -> bool {
        !is_simple_lowercase_name(name) || pg_needs_quotes(name)
    }
    fn is_reserved_word(&self, word: &str) -> bool {
        RESERVED.contains(&word.to_ascii_uppercase().as_str())
    }
    fn implicit_name(
        &self,
        table: &str,
        columns: Option<&[String]>,
        label: &str,
        taken: &dyn Fn(&str) -> bool,
    ) -> Option<String> {
        let part = columns.map(column_part);
        // makeObjectName, then ChooseConstraintName's numbered labels.
        (0..)
            .map(|pass| {
                let label = if pass == 0 {
                    label.to_string()
                } else {
                    format!("{label}{pass}")
                };
                make_object_name(table, part.as_deref(), &label)
            })
            .find(|candidate| !taken(candidate))
    }

    fn type_named(&self, base: &str, args: &[Option<u32>]) -> Option<DataType> {
        let arg = |i: usize| args.get(i).copied().flatten();
        Some(match base {
            // float(p) is real up to 24 bits of precision.
            "float" => match arg(0) {
                Some(p) if p <= 24 => DataType::Real,
                _ => DataType::Double,
            },
            // A bare `char` means char(1); `bpchar` alone is unbounded.
            "char" | "character" | "nchar" => DataType::Char {
                length: arg(0).or(Some(1)),
            },
            "jsonb" => DataType::Jsonb,
            _ => return None,
        })
    }
    fn type_sql(&self, data_type: &DataType) -> String {
        // What format_type() prints.
        spell_type(data_type, DIALECT, &|t| {
            let zone = |tz: bool| {
                if tz {
                    " with time zone"
                } else {
                    " without time zone"
                }
            };
            Some(match t {
                DataType::Double => "double precision".to_string(),
                DataType::Varchar { length } => with_type_args("character varying", &[*length]),
                DataType::Char { length } => with_type_args("character", &[*length]),
                DataType::Binary => "bytea".to_string(),
                DataType::Time {
                    timezone,
                    precision,
                } => with_type_args("time", &[*precision]) + zone(*timezone),
                DataType::Timestamp {
                    timezone,
                    precision,
                } => with_type_args("timestamp", &[*precision]) + zone(*timezone),
                _ => return None,
            })
        })
    }
    fn boolean_sql(&self, value: bool) -> &'static str {
        if value { "true" } else { "false" }
    }
    fn double_colon_casts(&self) -> bool {
        true
    }
    fn adds_implicit_casts(&self) -> bool {
        true
    }

    fn has_sequences(&self) -> bool {
        true
    }
    fn reads_objects(&self) -> bool {
        true
    }
    fn has_search_path(&self) -> bool {
        true
    }
    fn refuses_unmodelled_table_forms(&self) -> bool {
        true
    }
    fn generated_without_mode_is_virtual(&self, server_major: Option<u32>) -> bool {
        server_major.is_some_and(|m| m >= 18)
    }
    fn generated_mode_depends_on_server(&self) -> bool {
        true
    }
    fn has_temporal_and_not_enforced(&self) -> bool {
        true
    }
    fn keyword_is_not_a_type(&self, word: &str) -> bool {
        // `double precision` with its first word dropped reads as a column
        // `double` of type `precision`.
        pg_needs_quotes(&word.to_lowercase())
    }
    fn max_name_bytes(&self) -> Option<usize> {
        Some(63)
    }
    fn keys_on_virtual_columns(&self) -> bool {
        false
    }
    fn drops_repeated_unnamed_keys(&self) -> bool {
        true
    }
    fn kwarg_prefix(&self) -> &'static str {
        "postgresql"
    }
    fn sqlalchemy_scheme(&self) -> &'static str {
        "postgresql://"
    }
    fn renderer(&self) -> &'static dyn DialectRender {
        &Postgres
    }
}

/// Words PostgreSQL never takes as a bare table or column name: its
/// reserved keywords and those reserved but for function and type names
/// (`pg_get_keywords()` catcode R and T, PostgreSQL 15).
const RESERVED: &[&str] = &[
    "ALL",
    "ANALYSE",
    "ANALYZE",
    "AND",
    "ANY",
    "ARRAY",
    "AS",
    "ASC",
    "ASYMMETRIC",
    "AUTHORIZATION",
    "BINARY",
    "BOTH",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLLATION",
    "COLUMN",
    "CONCURRENTLY",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT_CATALOG",
    "CURRENT_DATE",
    "CURRENT_ROLE",
    "CURRENT_SCHEMA",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "DEFAULT",
    "DEFERRABLE",
    "DESC",
    "DISTINCT",
    "DO",
    "ELSE",
    "END",
    "EXCEPT",
    "FALSE",
    "FETCH",
    "FOR",
    "FOREIGN",
    "FREEZE",
    "FROM",
    "FULL",
    "GRANT",
    "GROUP",
    "HAVING",
    "ILIKE",
    "IN",
    "INITIALLY",
    "INNER",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "LATERAL",
    "LEADING",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "NATURAL",
    "NOT",
    "NOTNULL",
    "NULL",
    "OFFSET",
    "ON",
    "ONLY",
    "OR",
    "ORDER",
    "OUTER",
    "OVERLAPS",
    "PLACING",
    "PRIMARY",
    "REFERENCES",
    "RETURNING",
    "RIGHT",
    "SELECT",
    "SESSION_USER",
    "SIMILAR",
    "SOME",
    "SYMMETRIC",
    "TABLE",
    "TABLESAMPLE",
    "THEN",
    "TO",
    "TRAILING",
    "TRUE",
    "UNION",
    "UNIQUE",
    "USER",
    "USING",
    "VARIADIC",
    "VERBOSE",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
];

#[cfg(test)]
mod tests {
    use migdiff_model::{DataType, ObjectName};
    use migdiff_sqlexpr::{parse_type_text, type_sql};

    use super::DIALECT;

    /// Every type PostgreSQL spells reads back as itself: the catalog's
    /// `format_type` text and the declared side meet in one `DataType`.
    #[test]
    fn every_type_reads_back_from_its_spelling() {
        let types = [
            DataType::SmallInt,
            DataType::Integer,
            DataType::BigInt,
            DataType::Real,
            DataType::Double,
            DataType::Numeric {
                precision: Some(12),
                scale: Some(4),
            },
            DataType::Numeric {
                precision: None,
                scale: None,
            },
            DataType::Boolean,
            DataType::Text,
            DataType::Varchar { length: Some(50) },
            DataType::Varchar { length: None },
            DataType::Char { length: Some(3) },
            DataType::Binary,
            DataType::Date,
            DataType::Time {
                timezone: true,
                precision: Some(3),
            },
            DataType::Timestamp {
                timezone: false,
                precision: None,
            },
            DataType::Timestamp {
                timezone: true,
                precision: Some(6),
            },
            DataType::Interval {
                fields: None,
                precision: None,
            },
            DataType::Uuid,
            DataType::Json,
            DataType::Jsonb,
            DataType::Array(Box::new(DataType::Integer)),
            DataType::Other("inet".into()),
        ];
        for t in types {
            let spelled = type_sql(&t, DIALECT);
            assert_eq!(parse_type_text(&spelled, DIALECT), t, "{spelled}");
        }
        assert_eq!(type_sql(&DataType::Double, DIALECT), "double precision");
        assert_eq!(
            type_sql(&DataType::Enum(ObjectName::new("Sales", "tier")), DIALECT),
            "\"Sales\".tier"
        );
        // PostgreSQL's own readings of the shared names.
        assert_eq!(parse_type_text("float(10)", DIALECT), DataType::Real);
        assert_eq!(
            parse_type_text("char", DIALECT),
            DataType::Char { length: Some(1) }
        );
        assert_eq!(
            parse_type_text("bpchar", DIALECT),
            DataType::Char { length: None }
        );
        assert_eq!(
            parse_type_text("double", DIALECT),
            DataType::Other("double".into())
        );
    }
}

//! SQLite's facts for the dialect-neutral crates: names compare without
//! regard to case and keep their spelling, types are kept as written,
//! constraints stay unnamed unless named, and most table changes need
//! Alembic's batch mode.

use migdiff_model::{DataType, Dialect, DialectRender, DialectSpec};
use migdiff_sqlexpr::{is_simple_lowercase_name, pg_needs_quotes, spell_type, with_type_args};

use crate::Sqlite;

/// SQLite, as the dialect-neutral crates see it.
pub const DIALECT: Dialect = Dialect::new(&Sqlite);

impl DialectSpec for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }
    fn title(&self) -> &'static str {
        "SQLite"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["sqlite3"]
    }
    fn default_schema(&self) -> &'static str {
        "main"
    }
    fn has_schemas(&self) -> bool {
        false
    }
    fn sql_grammar(&self) -> &'static str {
        "sqlite"
    }

    fn fold_name(&self, name: &str, _quoted: bool) -> String {
        name.to_string()
    }
    fn names_ignore_case(&self) -> bool {
        true
    }
    fn needs_quotes(&self, name: &str) -> bool {
        // As SQLAlchemy quotes for SQLite: PostgreSQL's rules, and `$`.
        !is_simple_lowercase_name(name) || pg_needs_quotes(name) || name.contains('$')
    }
    fn is_reserved_word(&self, word: &str) -> bool {
        RESERVED.contains(&word.to_ascii_uppercase().as_str())
    }
    fn implicit_name(
        &self,
        _table: &str,
        _columns: Option<&[String]>,
        _label: &str,
        _taken: &dyn Fn(&str) -> bool,
    ) -> Option<String> {
        None
    }

    fn type_named(&self, base: &str, args: &[Option<u32>]) -> Option<DataType> {
        Some(match base {
            "double" => DataType::Double,
            "blob" => DataType::Binary,
            "datetime" => DataType::Timestamp {
                timezone: false,
                precision: args.first().copied().flatten(),
            },
            _ => return None,
        })
    }
    fn type_sql(&self, data_type: &DataType) -> String {
        // As SQLAlchemy declares types for SQLite, in capitals.
        spell_type(data_type, DIALECT, &|t| {
            Some(match t {
                DataType::Binary => "blob".to_string(),
                DataType::Timestamp { precision, .. } => with_type_args("datetime", &[*precision]),
                _ => return None,
            })
        })
        .to_uppercase()
    }
    fn keeps_type_as_written(&self) -> bool {
        true
    }
    fn boolean_sql(&self, value: bool) -> &'static str {
        if value { "1" } else { "0" }
    }

    fn has_sequences(&self) -> bool {
        false
    }
    fn reads_objects(&self) -> bool {
        true
    }
    fn alters_by_rebuilding(&self) -> bool {
        true
    }
    fn generated_without_mode_is_virtual(&self, _server_major: Option<u32>) -> bool {
        true
    }
    fn bare_words_in_defaults_are_strings(&self) -> bool {
        true
    }
    fn tables_need_a_column(&self) -> bool {
        true
    }
    fn has_autoincrement_keyword(&self) -> bool {
        true
    }
    fn quoted_type_names(&self) -> bool {
        false
    }
    fn primary_key_implies_not_null(&self) -> bool {
        false
    }
    fn has_operator_classes(&self) -> bool {
        false
    }
    fn batch_by_default(&self) -> bool {
        true
    }
    fn default_index_method(&self) -> Option<&'static str> {
        None
    }
    fn kwarg_prefix(&self) -> &'static str {
        "sqlite"
    }
    fn sqlalchemy_scheme(&self) -> &'static str {
        "sqlite://"
    }
    fn renderer(&self) -> &'static dyn DialectRender {
        &Sqlite
    }
}

/// Words SQLite's parser refuses as a bare table or column name.
const RESERVED: &[&str] = &[
    "ALL",
    "AND",
    "AS",
    "CASE",
    "CHECK",
    "COLLATE",
    "CONSTRAINT",
    "CREATE",
    "DEFAULT",
    "DEFERRABLE",
    "DISTINCT",
    "ELSE",
    "EXCEPT",
    "FOREIGN",
    "FROM",
    "GROUP",
    "HAVING",
    "IN",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "LIMIT",
    "NOT",
    "NOTNULL",
    "NULL",
    "ON",
    "OR",
    "ORDER",
    "PRIMARY",
    "REFERENCES",
    "RETURNING",
    "SELECT",
    "TABLE",
    "THEN",
    "TO",
    "UNION",
    "UNIQUE",
    "USING",
    "WHEN",
    "WHERE",
];

#[cfg(test)]
mod tests {
    use migdiff_model::DataType;
    use migdiff_sqlexpr::{parse_type_text, type_sql};

    use super::DIALECT;

    /// Every type SQLite is given reads back as itself, in SQLAlchemy's
    /// capitals.
    #[test]
    fn every_type_reads_back_from_its_spelling() {
        let types = [
            DataType::Integer,
            DataType::BigInt,
            DataType::Real,
            DataType::Double,
            DataType::Float,
            DataType::Numeric {
                precision: Some(10),
                scale: Some(2),
            },
            DataType::Boolean,
            DataType::Text,
            DataType::Varchar { length: Some(20) },
            DataType::Char { length: Some(2) },
            DataType::Binary,
            DataType::Date,
            DataType::Time {
                timezone: false,
                precision: None,
            },
            DataType::Timestamp {
                timezone: false,
                precision: None,
            },
            DataType::Json,
        ];
        for t in types {
            let spelled = type_sql(&t, DIALECT);
            assert_eq!(spelled, spelled.to_uppercase());
            assert_eq!(parse_type_text(&spelled, DIALECT), t, "{spelled}");
        }
        assert_eq!(type_sql(&DataType::Binary, DIALECT), "BLOB");
        assert_eq!(
            type_sql(
                &DataType::Timestamp {
                    timezone: false,
                    precision: None
                },
                DIALECT
            ),
            "DATETIME"
        );
        assert_eq!(
            parse_type_text("char", DIALECT),
            DataType::Char { length: None }
        );
    }
}

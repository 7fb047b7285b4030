//! MySQL's and MariaDB's facts for the dialect-neutral crates: names keep
//! their spelling and are quoted with backticks, the server names unnamed
//! keys after their first column (`email`, `email_2`), foreign keys
//! `<table>_ibfk_<n>` and checks `<table>_chk_<n>` (MySQL) or
//! `CONSTRAINT_<n>` (MariaDB), a primary key is always `PRIMARY`, and a
//! boolean is `TINYINT(1)`.

use migdiff_model::{DataType, Dialect, DialectRender, DialectSpec, Schema};
use migdiff_sqlexpr::{is_simple_lowercase_name, spell_type, with_type_args};

use crate::Mysql;

/// MySQL and MariaDB, as the dialect-neutral crates see them.
pub const DIALECT: Dialect = Dialect::new(&Mysql);

/// The schema every table of the connected database is read into: MySQL's
/// schemas are databases, and migdiff compares one.
pub const DEFAULT_SCHEMA: &str = "default";

impl DialectSpec for Mysql {
    fn name(&self) -> &'static str {
        "mysql"
    }
    fn title(&self) -> &'static str {
        "MySQL"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["mariadb"]
    }
    fn default_schema(&self) -> &'static str {
        DEFAULT_SCHEMA
    }
    fn has_schemas(&self) -> bool {
        false
    }
    fn sql_grammar(&self) -> &'static str {
        "mysql"
    }

    fn fold_name(&self, name: &str, _quoted: bool) -> String {
        name.to_string()
    }
    fn names_ignore_case(&self) -> bool {
        false
    }
    fn needs_quotes(&self, name: &str) -> bool {
        // As SQLAlchemy quotes for MySQL: anything but a plain lower-case
        // name, and the reserved words.
        !is_simple_lowercase_name(name) || is_reserved(name)
    }
    fn identifier_quote(&self) -> char {
        '`'
    }
    fn is_reserved_word(&self, word: &str) -> bool {
        is_reserved(word)
    }
    fn implicit_name(
        &self,
        table: &str,
        columns: Option<&[String]>,
        label: &str,
        taken: &dyn Fn(&str) -> bool,
    ) -> Option<String> {
        let first_free = |base: &str| -> String {
            if !taken(base) {
                return base.to_string();
            }
            (2..)
                .map(|n| format!("{base}_{n}"))
                .find(|n| !taken(n))
                .unwrap_or_default()
        };
        let numbered = |prefix: String| -> String {
            (1..)
                .map(|n| format!("{prefix}{n}"))
                .find(|n| !taken(n))
                .unwrap_or_default()
        };
        Some(match label {
            "pkey" => "PRIMARY".to_string(),
            "fkey" => numbered(format!("{table}_ibfk_")),
            "check" => numbered(format!("{table}_chk_")),
            _ => first_free(columns.and_then(|c| c.first())?),
        })
    }

    fn type_named(&self, base: &str, args: &[Option<u32>]) -> Option<DataType> {
        let first = args.first().copied().flatten();
        // An integer's display width (`int(11)`) changes nothing; MySQL
        // 8.0.19 stopped printing it, MariaDB still does.
        Some(match base {
            "tinyint" if first == Some(1) => DataType::Boolean,
            "tinyint" => DataType::Other("tinyint".into()),
            "int" | "integer" => DataType::Integer,
            "smallint" => DataType::SmallInt,
            "bigint" => DataType::BigInt,
            "mediumint" => DataType::Other("mediumint".into()),
            b if b.ends_with(" unsigned") || b.ends_with(" zerofill") => {
                DataType::Other(b.to_string())
            }
            "float" if first.is_none() => DataType::Real,
            "double" | "double precision" | "real" => DataType::Double,
            "datetime" => DataType::Timestamp {
                timezone: false,
                precision: first,
            },
            // TIMESTAMP is kept in UTC and shown in the session's zone: the
            // zone-aware one of the two.
            "timestamp" => DataType::Timestamp {
                timezone: true,
                precision: first,
            },
            "blob" => DataType::Binary,
            _ => return None,
        })
    }
    fn type_sql(&self, data_type: &DataType) -> String {
        if let DataType::Other(raw) = data_type {
            return raw.clone();
        }
        // As SQLAlchemy declares types for MySQL, in capitals.
        spell_type(data_type, DIALECT, &|t| {
            Some(match t {
                DataType::Boolean => "bool".to_string(),
                DataType::Real | DataType::Float => "float".to_string(),
                DataType::Double => "double".to_string(),
                DataType::Binary => "blob".to_string(),
                DataType::Uuid => "char(32)".to_string(),
                DataType::Jsonb => "json".to_string(),
                DataType::Timestamp {
                    timezone: false,
                    precision,
                } => with_type_args("datetime", &[*precision]),
                _ => return None,
            })
        })
        .to_uppercase()
    }
    fn boolean_sql(&self, value: bool) -> &'static str {
        if value { "1" } else { "0" }
    }
    fn backslash_escapes(&self) -> bool {
        true
    }

    fn has_sequences(&self) -> bool {
        false
    }
    fn generated_without_mode_is_virtual(&self, _server_major: Option<u32>) -> bool {
        true
    }
    fn has_operator_classes(&self) -> bool {
        false
    }
    fn index_names_per_table(&self) -> bool {
        true
    }
    fn declares_indexes_in_tables(&self) -> bool {
        true
    }
    fn index_prefix_lengths(&self) -> bool {
        true
    }
    fn collations_compared_only_when_declared(&self) -> bool {
        true
    }
    fn transactional_ddl(&self) -> bool {
        false
    }
    fn max_name_bytes(&self) -> Option<usize> {
        Some(64)
    }
    fn kwarg_prefix(&self) -> &'static str {
        "mysql"
    }
    fn sqlalchemy_scheme(&self) -> &'static str {
        "mysql://"
    }
    fn normalize(&self, schema: &mut Schema) {
        crate::normalize::normalize(schema);
    }
    fn renderer(&self) -> &'static dyn DialectRender {
        &Mysql
    }
}

fn is_reserved(word: &str) -> bool {
    let upper = word.to_ascii_uppercase();
    RESERVED.binary_search(&upper.as_str()).is_ok()
}

/// MySQL 8's and MariaDB's reserved words (what they refuse as a bare
/// name), sorted.
const RESERVED: &[&str] = &[
    "ACCESSIBLE",
    "ADD",
    "ALL",
    "ALTER",
    "ANALYZE",
    "AND",
    "AS",
    "ASC",
    "ASENSITIVE",
    "BEFORE",
    "BETWEEN",
    "BIGINT",
    "BINARY",
    "BLOB",
    "BOTH",
    "BY",
    "CALL",
    "CASCADE",
    "CASE",
    "CHANGE",
    "CHAR",
    "CHARACTER",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "CONDITION",
    "CONSTRAINT",
    "CONTINUE",
    "CONVERT",
    "CREATE",
    "CROSS",
    "CUBE",
    "CUME_DIST",
    "CURRENT_DATE",
    "CURRENT_ROLE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "CURSOR",
    "DATABASE",
    "DATABASES",
    "DAY_HOUR",
    "DAY_MICROSECOND",
    "DAY_MINUTE",
    "DAY_SECOND",
    "DEC",
    "DECIMAL",
    "DECLARE",
    "DEFAULT",
    "DELAYED",
    "DELETE",
    "DENSE_RANK",
    "DESC",
    "DESCRIBE",
    "DETERMINISTIC",
    "DISTINCT",
    "DISTINCTROW",
    "DIV",
    "DOUBLE",
    "DROP",
    "DUAL",
    "EACH",
    "ELSE",
    "ELSEIF",
    "EMPTY",
    "ENCLOSED",
    "ESCAPED",
    "EXCEPT",
    "EXISTS",
    "EXIT",
    "EXPLAIN",
    "FALSE",
    "FETCH",
    "FIRST_VALUE",
    "FLOAT",
    "FLOAT4",
    "FLOAT8",
    "FOR",
    "FORCE",
    "FOREIGN",
    "FROM",
    "FULLTEXT",
    "FUNCTION",
    "GENERATED",
    "GET",
    "GRANT",
    "GROUP",
    "GROUPING",
    "GROUPS",
    "HAVING",
    "HIGH_PRIORITY",
    "HOUR_MICROSECOND",
    "HOUR_MINUTE",
    "HOUR_SECOND",
    "IF",
    "IGNORE",
    "IN",
    "INDEX",
    "INFILE",
    "INNER",
    "INOUT",
    "INSENSITIVE",
    "INSERT",
    "INT",
    "INT1",
    "INT2",
    "INT3",
    "INT4",
    "INT8",
    "INTEGER",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IO_AFTER_GTIDS",
    "IO_BEFORE_GTIDS",
    "IS",
    "ITERATE",
    "JOIN",
    "JSON_TABLE",
    "KEY",
    "KEYS",
    "KILL",
    "LAG",
    "LAST_VALUE",
    "LATERAL",
    "LEAD",
    "LEADING",
    "LEAVE",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LINEAR",
    "LINES",
    "LOAD",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "LOCK",
    "LONG",
    "LONGBLOB",
    "LONGTEXT",
    "LOOP",
    "LOW_PRIORITY",
    "MASTER_BIND",
    "MASTER_SSL_VERIFY_SERVER_CERT",
    "MATCH",
    "MAXVALUE",
    "MEDIUMBLOB",
    "MEDIUMINT",
    "MEDIUMTEXT",
    "MIDDLEINT",
    "MINUTE_MICROSECOND",
    "MINUTE_SECOND",
    "MOD",
    "MODIFIES",
    "NATURAL",
    "NOT",
    "NO_WRITE_TO_BINLOG",
    "NTH_VALUE",
    "NTILE",
    "NULL",
    "NUMERIC",
    "OF",
    "OFFSET",
    "ON",
    "OPTIMIZE",
    "OPTIMIZER_COSTS",
    "OPTION",
    "OPTIONALLY",
    "OR",
    "ORDER",
    "OUT",
    "OUTER",
    "OUTFILE",
    "OVER",
    "PARTITION",
    "PERCENT_RANK",
    "PRECISION",
    "PRIMARY",
    "PROCEDURE",
    "PURGE",
    "RANGE",
    "RANK",
    "READ",
    "READS",
    "READ_WRITE",
    "REAL",
    "RECURSIVE",
    "REFERENCES",
    "REGEXP",
    "RELEASE",
    "RENAME",
    "REPEAT",
    "REPLACE",
    "REQUIRE",
    "RESIGNAL",
    "RESTRICT",
    "RETURN",
    "RETURNING",
    "REVOKE",
    "RIGHT",
    "RLIKE",
    "ROW",
    "ROWS",
    "ROW_NUMBER",
    "SCHEMA",
    "SCHEMAS",
    "SECOND_MICROSECOND",
    "SELECT",
    "SENSITIVE",
    "SEPARATOR",
    "SET",
    "SHOW",
    "SIGNAL",
    "SMALLINT",
    "SPATIAL",
    "SPECIFIC",
    "SQL",
    "SQLEXCEPTION",
    "SQLSTATE",
    "SQLWARNING",
    "SQL_BIG_RESULT",
    "SQL_CALC_FOUND_ROWS",
    "SQL_SMALL_RESULT",
    "SSL",
    "STARTING",
    "STORED",
    "STRAIGHT_JOIN",
    "SYSTEM",
    "TABLE",
    "TERMINATED",
    "THEN",
    "TINYBLOB",
    "TINYINT",
    "TINYTEXT",
    "TO",
    "TRAILING",
    "TRIGGER",
    "TRUE",
    "UNDO",
    "UNION",
    "UNIQUE",
    "UNLOCK",
    "UNSIGNED",
    "UPDATE",
    "USAGE",
    "USE",
    "USING",
    "UTC_DATE",
    "UTC_TIME",
    "UTC_TIMESTAMP",
    "VALUES",
    "VARBINARY",
    "VARCHAR",
    "VARCHARACTER",
    "VARYING",
    "VIRTUAL",
    "WHEN",
    "WHERE",
    "WHILE",
    "WINDOW",
    "WITH",
    "WRITE",
    "XOR",
    "YEAR_MONTH",
    "ZEROFILL",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_words_are_sorted_and_found() {
        assert!(RESERVED.windows(2).all(|w| w[0] < w[1]));
        assert!(is_reserved("select") && is_reserved("Order") && is_reserved("key"));
        assert!(!is_reserved("user") && !is_reserved("name"));
    }

    #[test]
    fn types_read_back_as_themselves() {
        let read = |t: &str| migdiff_sqlexpr::parse_type_text(t, DIALECT);
        assert_eq!(read("int(11)"), DataType::Integer);
        assert_eq!(read("tinyint(1)"), DataType::Boolean);
        assert_eq!(read("BOOL"), DataType::Boolean);
        assert_eq!(read("bigint(20)"), DataType::BigInt);
        for t in [
            DataType::Integer,
            DataType::BigInt,
            DataType::SmallInt,
            DataType::Boolean,
            DataType::Real,
            DataType::Double,
            DataType::Text,
            DataType::Binary,
            DataType::Date,
            DataType::Varchar { length: Some(20) },
            DataType::Char { length: Some(2) },
            DataType::Numeric {
                precision: Some(10),
                scale: Some(2),
            },
            DataType::Timestamp {
                timezone: false,
                precision: None,
            },
            DataType::Timestamp {
                timezone: true,
                precision: Some(6),
            },
            DataType::Json,
        ] {
            let sql = DIALECT.type_sql(&t);
            assert_eq!(read(&sql), t, "{sql}");
        }
    }

    #[test]
    fn server_names_for_unnamed_constraints() {
        let taken = |n: &str| n == "email" || n == "t_ibfk_1";
        let cols = ["email".to_string()];
        let name = |label| DIALECT.implicit_name("t", Some(&cols), label, &taken);
        assert_eq!(name("key").as_deref(), Some("email_2"));
        assert_eq!(name("fkey").as_deref(), Some("t_ibfk_2"));
        assert_eq!(name("pkey").as_deref(), Some("PRIMARY"));
        assert_eq!(name("check").as_deref(), Some("t_chk_1"));
    }
}

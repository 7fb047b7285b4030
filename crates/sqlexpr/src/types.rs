use migdiff_model::{DataType, Dialect};

/// `text` lower-cased outside its double-quoted parts.
fn fold_unquoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
            out.push(c);
        } else if quoted {
            out.push(c);
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// `text` lower-cased and without blanks, except inside '...' strings.
fn squash_string_args(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quoted = false;
    for c in text.chars() {
        if c == '\'' {
            quoted = !quoted;
            out.push(c);
        } else if quoted {
            out.push(c);
        } else if !c.is_whitespace() {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Reads a type from its text spelling: PostgreSQL's `format_type()`
/// output, a SQLite declared type, or a type as DDL writes it. Aliases fold
/// to one `DataType` (`int4`, `int` and `integer` are the same); what is
/// not recognized stays as `Other` with its lower-cased text.
pub fn parse_type_text(text: &str, dialect: Dialect) -> DataType {
    let mut s = text.trim().to_string();
    // Array suffixes: `text[]`, `integer[3][]`, `int ARRAY`.
    let lower = s.to_lowercase();
    if let Some(base) = lower.strip_suffix(" array") {
        return DataType::Array(Box::new(parse_type_text(base, dialect)));
    }
    if s.ends_with(']')
        && let Some(open) = s.rfind('[')
    {
        let base = s[..open].to_string();
        let inner = parse_type_text(&base, dialect);
        // PostgreSQL does not track dimensions: `int[][]` is `int[]`.
        return match inner {
            DataType::Array(_) => inner,
            other => DataType::Array(Box::new(other)),
        };
    }
    // A name with a quoted part (`"char"`, `"Sales ""EU""".tier`) is a
    // user's or an internal type: its quoted parts keep their case, the
    // rest folds as PostgreSQL folds it.
    if s.contains('"') {
        return DataType::Other(fold_unquoted(&s));
    }
    // String arguments (MySQL's `ENUM('new','Done')`, `SET('a','b')`) keep
    // their case; the rest folds, and spacing between them goes.
    if s.contains('\'') {
        return DataType::Other(squash_string_args(&s));
    }
    s = s.to_lowercase();
    let (name, args, suffix) = match (s.find('('), s.find(')')) {
        (Some(open), Some(close)) if close > open => (
            format!("{} {}", s[..open].trim(), s[close + 1..].trim())
                .trim()
                .to_string(),
            s[open + 1..close]
                .split(',')
                .map(|a| a.trim().parse::<i64>().ok())
                .collect::<Vec<_>>(),
            s[close + 1..].trim().to_string(),
        ),
        _ => (s.clone(), Vec::new(), String::new()),
    };
    let _ = suffix;
    let name: String = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let arg = |i: usize| {
        args.get(i)
            .copied()
            .flatten()
            .and_then(|v| u32::try_from(v).ok())
    };
    let tz_in_name = name.contains("with time zone");
    let base = name
        .replace(" without time zone", "")
        .replace(" with time zone", "");
    let numbers: Vec<Option<u32>> = (0..args.len()).map(arg).collect();
    if let Some(own) = dialect.type_named(&base, &numbers) {
        return own;
    }
    match base.as_str() {
        "smallint" | "int2" | "smallserial" | "serial2" => DataType::SmallInt,
        "integer" | "int" | "int4" | "serial" | "serial4" | "mediumint" => DataType::Integer,
        "bigint" | "int8" | "bigserial" | "serial8" => DataType::BigInt,
        "real" | "float4" => DataType::Real,
        "double precision" | "float8" => DataType::Double,
        "float" => DataType::Float,
        "numeric" | "decimal" | "dec" => DataType::Numeric {
            precision: arg(0),
            scale: arg(1),
        },
        "boolean" | "bool" => DataType::Boolean,
        "text" => DataType::Text,
        "varchar" | "character varying" | "char varying" | "nvarchar" => {
            DataType::Varchar { length: arg(0) }
        }
        "char" | "character" | "bpchar" | "nchar" => DataType::Char { length: arg(0) },
        "bytea" => DataType::Binary,
        "date" => DataType::Date,
        "time" => DataType::Time {
            timezone: tz_in_name,
            precision: arg(0),
        },
        "timetz" => DataType::Time {
            timezone: true,
            precision: arg(0),
        },
        "timestamp" => DataType::Timestamp {
            timezone: tz_in_name,
            precision: arg(0),
        },
        "timestamptz" => DataType::Timestamp {
            timezone: true,
            precision: arg(0),
        },
        "uuid" => DataType::Uuid,
        "json" => DataType::Json,
        b if b == "interval" || b.starts_with("interval ") => {
            let fields = b["interval".len()..].trim();
            DataType::Interval {
                fields: (!fields.is_empty()).then(|| fields.to_string()),
                precision: arg(0),
            }
        }
        _ => DataType::Other(s),
    }
}

/// The type's text as written, when `dialect` keeps that text and it is not
/// how `data_type` is spelled back: SQLite stores a column's declared type
/// verbatim, so `TIMESTAMP` stays `TIMESTAMP` though the model folds it with
/// `DATETIME`. PostgreSQL keeps no spelling (`format_type` is canonical).
pub fn type_as_written(text: &str, data_type: &DataType, dialect: Dialect) -> Option<String> {
    if !dialect.keeps_type_as_written() {
        return None;
    }
    let squash = |t: &str| {
        t.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase()
    };
    let text = text.trim();
    (squash(text) != squash(&type_sql(data_type, dialect))).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_arguments_keep_their_case() {
        let my = |s| parse_type_text(s, migdiff_mysql::DIALECT);
        assert_eq!(
            my("ENUM('new', 'Done', 'it''s')"),
            DataType::Other("enum('new','Done','it''s')".into())
        );
        assert_eq!(
            my("enum('new','Done','it''s')"),
            my("ENUM('new', 'Done', 'it''s')")
        );
    }

    #[test]
    fn aliases_fold() {
        let pg = |s| parse_type_text(s, migdiff_postgres::DIALECT);
        assert_eq!(pg("int4"), DataType::Integer);
        assert_eq!(pg("INTEGER"), DataType::Integer);
        assert_eq!(
            pg("character varying(50)"),
            DataType::Varchar { length: Some(50) }
        );
        assert_eq!(pg("VARCHAR(50)"), DataType::Varchar { length: Some(50) });
        assert_eq!(
            pg("timestamp(3) with time zone"),
            DataType::Timestamp {
                timezone: true,
                precision: Some(3)
            }
        );
        assert_eq!(
            pg("TIMESTAMPTZ"),
            DataType::Timestamp {
                timezone: true,
                precision: None
            }
        );
        assert_eq!(pg("text[]"), DataType::Array(Box::new(DataType::Text)));
        assert_eq!(
            pg("numeric(12, 4)"),
            DataType::Numeric {
                precision: Some(12),
                scale: Some(4)
            }
        );
        assert_eq!(pg("FLOAT"), DataType::Double);
        assert_eq!(pg("inet"), DataType::Other("inet".into()));
        assert_eq!(
            pg("\"Sales \"\"EU\"\"\".Tier"),
            DataType::Other("\"Sales \"\"EU\"\"\".tier".into())
        );
        assert_eq!(pg("\"char\""), DataType::Other("\"char\"".into()));
    }

    #[test]
    fn sqlite_keeps_a_synonym_as_written() {
        let written = |s| {
            let t = parse_type_text(s, migdiff_sqlite::DIALECT);
            type_as_written(s, &t, migdiff_sqlite::DIALECT)
        };
        assert_eq!(written("TIMESTAMP"), Some("TIMESTAMP".into()));
        assert_eq!(written("DATETIME"), None);
        assert_eq!(written("VARCHAR(20)"), None);
        assert_eq!(written("NUMERIC(10, 2)"), None);
        assert_eq!(written("INT"), Some("INT".into()));
        let t = parse_type_text("TIMESTAMP", migdiff_postgres::DIALECT);
        assert_eq!(
            type_as_written("TIMESTAMP", &t, migdiff_postgres::DIALECT),
            None
        );
    }
}

/// The SQL spelling of a type for `dialect` (what its catalog prints).
pub fn type_sql(data_type: &DataType, dialect: Dialect) -> String {
    dialect.type_sql(data_type)
}

/// `name(1, 2)`, or `name` when no argument is set (stops at the first
/// unset one).
pub fn with_type_args(name: &str, args: &[Option<u32>]) -> String {
    let set: Vec<String> = args
        .iter()
        .map_while(|a| a.map(|v| v.to_string()))
        .collect();
    if set.is_empty() {
        name.to_string()
    } else {
        format!("{name}({})", set.join(", "))
    }
}

/// The lower-case spelling dialects share, with `own` asked first: what a
/// dialect's `type_sql` builds on.
pub fn spell_type(
    data_type: &DataType,
    dialect: Dialect,
    own: &dyn Fn(&DataType) -> Option<String>,
) -> String {
    if let Some(spelled) = own(data_type) {
        return spelled;
    }
    match data_type {
        DataType::SmallInt => "smallint".to_string(),
        DataType::Integer => "integer".to_string(),
        DataType::BigInt => "bigint".to_string(),
        DataType::Real => "real".to_string(),
        DataType::Double => "double".to_string(),
        DataType::Float => "float".to_string(),
        DataType::Numeric { precision, scale } => with_type_args("numeric", &[*precision, *scale]),
        DataType::Boolean => "boolean".to_string(),
        DataType::Text => "text".to_string(),
        DataType::Varchar { length } => with_type_args("varchar", &[*length]),
        DataType::Char { length } => with_type_args("char", &[*length]),
        DataType::Binary => "binary".to_string(),
        DataType::Date => "date".to_string(),
        DataType::Time { precision, .. } => with_type_args("time", &[*precision]),
        DataType::Timestamp { precision, .. } => with_type_args("timestamp", &[*precision]),
        DataType::Interval { fields, precision } => {
            let mut s = "interval".to_string();
            if let Some(f) = fields {
                s.push(' ');
                s.push_str(f);
            }
            if let Some(p) = precision {
                s.push_str(&format!("({p})"));
            }
            s
        }
        DataType::Uuid => "uuid".to_string(),
        DataType::Json => "json".to_string(),
        DataType::Jsonb => "jsonb".to_string(),
        DataType::Enum(name) => {
            let n = crate::quote_ident(&name.name, dialect);
            if name.schema == dialect.default_schema() {
                n
            } else {
                format!("{}.{n}", crate::quote_ident(&name.schema, dialect))
            }
        }
        DataType::Array(inner) => format!("{}[]", dialect.type_sql(inner)),
        DataType::Other(raw) => raw.clone(),
    }
}

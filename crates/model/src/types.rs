use std::fmt;
use std::str::FromStr;

use crate::model::ObjectName;

/// A column's data type with its parameters. Dialects map their spellings
/// onto these; the canonical text (`Display`/`FromStr`) is what snapshots store.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DataType {
    SmallInt,
    Integer,
    BigInt,
    /// `real` / `float4`.
    Real,
    /// `double precision` / `float8`.
    Double,
    /// SQLite's `FLOAT` kept as written (PostgreSQL folds it to real/double).
    Float,
    Numeric {
        precision: Option<u32>,
        scale: Option<u32>,
    },
    Boolean,
    Text,
    Varchar {
        length: Option<u32>,
    },
    Char {
        length: Option<u32>,
    },
    /// `bytea` / `BLOB`.
    Binary,
    Date,
    Time {
        timezone: bool,
        precision: Option<u32>,
    },
    Timestamp {
        timezone: bool,
        precision: Option<u32>,
    },
    Interval {
        fields: Option<String>,
        precision: Option<u32>,
    },
    Uuid,
    Json,
    Jsonb,
    /// A user-defined enum type.
    Enum(ObjectName),
    Array(Box<DataType>),
    /// Anything else, spelled as the database spells it (`inet`, `tsvector`, ...).
    Other(String),
}

impl DataType {
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            DataType::SmallInt | DataType::Integer | DataType::BigInt
        )
    }

    pub fn is_numeric(&self) -> bool {
        self.is_integer()
            || matches!(
                self,
                DataType::Real | DataType::Double | DataType::Float | DataType::Numeric { .. }
            )
    }

    pub fn is_textual(&self) -> bool {
        matches!(
            self,
            DataType::Text | DataType::Varchar { .. } | DataType::Char { .. }
        )
    }

    /// True when changing from `self` to `to` can lose data or fail on
    /// existing rows (a hazard worth flagging).
    pub fn is_narrowing_to(&self, to: &DataType) -> bool {
        use DataType::*;
        match (self, to) {
            (a, b) if a == b => false,
            (Varchar { length: Some(a) }, Varchar { length: Some(b) }) => b < a,
            (Varchar { .. } | Text, Varchar { length: None } | Text) => false,
            (Char { length: Some(a) }, Char { length: Some(b) }) => b < a,
            (SmallInt, Integer | BigInt) | (Integer, BigInt) => false,
            (
                Numeric {
                    precision: Some(p1),
                    scale: s1,
                },
                Numeric {
                    precision: Some(p2),
                    scale: s2,
                },
            ) => p2 < p1 || s2.unwrap_or(0) < s1.unwrap_or(0),
            (
                Numeric { .. },
                Numeric {
                    precision: None, ..
                },
            ) => false,
            // Every value of the first is a value of the second.
            (Real, Double) | (SmallInt | Integer, Double) => false,
            (
                SmallInt | Integer | BigInt,
                Numeric {
                    precision: None, ..
                },
            ) => false,
            (Date, Timestamp { .. }) => false,
            // An inline value list (MySQL's `enum('a','b')`, `set(...)`)
            // keeps every row while no value goes.
            (Other(a), Other(b)) if inline_values(a).is_some() => {
                let kind = |t: &str| t.split('(').next().unwrap_or("").to_string();
                match (inline_values(a), inline_values(b)) {
                    (Some(from), Some(to)) if kind(a) == kind(b) => {
                        from.iter().any(|v| !to.contains(v))
                    }
                    _ => true,
                }
            }
            // Gaining a time zone keeps every value (read in the session's
            // zone); losing one drops the offset, or folds the instants of
            // a DST change into one local time. Fewer fractional digits
            // round values.
            (
                Timestamp {
                    timezone: z1,
                    precision: p1,
                },
                Timestamp {
                    timezone: z2,
                    precision: p2,
                },
            )
            | (
                Time {
                    timezone: z1,
                    precision: p1,
                },
                Time {
                    timezone: z2,
                    precision: p2,
                },
            ) => (*z1 && !*z2) || p2.unwrap_or(6) < p1.unwrap_or(6),
            _ => true,
        }
    }
}

fn params(f: &mut fmt::Formatter<'_>, name: &str, p: &[Option<u32>]) -> fmt::Result {
    f.write_str(name)?;
    let set: Vec<String> = p.iter().map_while(|x| x.map(|v| v.to_string())).collect();
    if !set.is_empty() {
        write!(f, "({})", set.join(","))?;
    }
    Ok(())
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DataType::*;
        match self {
            SmallInt => f.write_str("smallint"),
            Integer => f.write_str("integer"),
            BigInt => f.write_str("bigint"),
            Real => f.write_str("real"),
            Double => f.write_str("double precision"),
            Float => f.write_str("float"),
            Numeric { precision, scale } => params(f, "numeric", &[*precision, *scale]),
            Boolean => f.write_str("boolean"),
            Text => f.write_str("text"),
            Varchar { length } => params(f, "varchar", &[*length]),
            Char { length } => params(f, "char", &[*length]),
            Binary => f.write_str("binary"),
            Date => f.write_str("date"),
            Time {
                timezone,
                precision,
            } => {
                params(f, "time", &[*precision])?;
                if *timezone {
                    f.write_str(" with time zone")?;
                }
                Ok(())
            }
            Timestamp {
                timezone,
                precision,
            } => {
                params(f, "timestamp", &[*precision])?;
                if *timezone {
                    f.write_str(" with time zone")?;
                }
                Ok(())
            }
            Interval { fields, precision } => {
                f.write_str("interval")?;
                if let Some(fields) = fields {
                    write!(f, " {fields}")?;
                }
                if let Some(p) = precision {
                    write!(f, "({p})")?;
                }
                Ok(())
            }
            Uuid => f.write_str("uuid"),
            Json => f.write_str("json"),
            Jsonb => f.write_str("jsonb"),
            Enum(name) => write!(
                f,
                "enum({})",
                quote_part(&name.schema) + "." + &quote_part(&name.name)
            ),
            Array(inner) => write!(f, "{inner}[]"),
            Other(raw) => write!(f, "other({raw})"),
        }
    }
}

/// Enum names inside `enum(...)` are quoted only when they need it, so the
/// canonical text stays unambiguous for hostile names.
fn quote_part(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_') {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

/// The values of an inline value-list type as the catalog spells it
/// (MySQL's `enum('a','it''s')`, `set('x')`), unquoted; `None` for any
/// other type text.
pub fn inline_values(raw: &str) -> Option<Vec<String>> {
    let (kind, rest) = raw.split_once('(')?;
    if kind != "enum" && kind != "set" {
        return None;
    }
    let inner = rest.strip_suffix(')')?;
    let mut values = Vec::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let mut value = String::new();
                loop {
                    match chars.next()? {
                        '\'' if chars.peek() == Some(&'\'') => {
                            chars.next();
                            value.push('\'');
                        }
                        '\'' => break,
                        other => value.push(other),
                    }
                }
                values.push(value);
            }
            ',' => {}
            _ => return None,
        }
    }
    Some(values)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a data type migdiff knows: {reason}")]
pub struct ParseTypeError {
    pub text: String,
    pub reason: String,
}

fn split_enum_name(s: &str) -> Option<ObjectName> {
    // Two parts, each bare or double-quoted with "" escapes.
    let mut parts = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    '"' => break,
                    c => part.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                part.push(c);
                chars.next();
            }
        }
        parts.push(part);
        match chars.next() {
            Some('.') => continue,
            None => break,
            Some(_) => return None,
        }
    }
    match parts.as_slice() {
        [schema, name] => Some(ObjectName::new(schema.clone(), name.clone())),
        _ => None,
    }
}

impl FromStr for DataType {
    type Err = ParseTypeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| ParseTypeError {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        let s = text.trim();
        if let Some(inner) = s.strip_suffix("[]") {
            return Ok(DataType::Array(Box::new(inner.parse()?)));
        }
        if let Some(rest) = s.strip_prefix("other(").and_then(|r| r.strip_suffix(')')) {
            return Ok(DataType::Other(rest.to_string()));
        }
        if let Some(rest) = s.strip_prefix("enum(").and_then(|r| r.strip_suffix(')')) {
            return split_enum_name(rest)
                .map(DataType::Enum)
                .ok_or_else(|| err("an enum is written enum(schema.name)"));
        }
        let (head, tz) = match s.strip_suffix(" with time zone") {
            Some(h) => (h, true),
            None => (s, false),
        };
        let (name, args) = match head.find('(') {
            Some(open) if head.ends_with(')') => {
                let args: Result<Vec<u32>, _> = head[open + 1..head.len() - 1]
                    .split(',')
                    .map(|a| a.trim().parse::<u32>())
                    .collect();
                (
                    &head[..open],
                    args.map_err(|_| err("parameters must be numbers"))?,
                )
            }
            _ => (head, Vec::new()),
        };
        let a0 = args.first().copied();
        let a1 = args.get(1).copied();
        Ok(match name {
            "smallint" => DataType::SmallInt,
            "integer" => DataType::Integer,
            "bigint" => DataType::BigInt,
            "real" => DataType::Real,
            "double precision" => DataType::Double,
            "float" => DataType::Float,
            "numeric" => DataType::Numeric {
                precision: a0,
                scale: a1,
            },
            "boolean" => DataType::Boolean,
            "text" => DataType::Text,
            "varchar" => DataType::Varchar { length: a0 },
            "char" => DataType::Char { length: a0 },
            "binary" => DataType::Binary,
            "date" => DataType::Date,
            "time" => DataType::Time {
                timezone: tz,
                precision: a0,
            },
            "timestamp" => DataType::Timestamp {
                timezone: tz,
                precision: a0,
            },
            "uuid" => DataType::Uuid,
            "json" => DataType::Json,
            "jsonb" => DataType::Jsonb,
            n if n.starts_with("interval") => {
                let fields = n["interval".len()..].trim();
                DataType::Interval {
                    fields: (!fields.is_empty()).then(|| fields.to_string()),
                    precision: a0,
                }
            }
            _ => return Err(err("use one of the canonical spellings, or other(...)")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_type() -> impl Strategy<Value = DataType> {
        let leaf = prop_oneof![
            Just(DataType::SmallInt),
            Just(DataType::Integer),
            Just(DataType::BigInt),
            Just(DataType::Double),
            Just(DataType::Text),
            (
                proptest::option::of(1u32..1000),
                proptest::option::of(0u32..10)
            )
                .prop_map(|(p, s)| DataType::Numeric {
                    precision: p,
                    scale: if p.is_some() { s } else { None }
                }),
            proptest::option::of(1u32..500).prop_map(|length| DataType::Varchar { length }),
            (any::<bool>(), proptest::option::of(0u32..7)).prop_map(|(timezone, precision)| {
                DataType::Timestamp {
                    timezone,
                    precision,
                }
            }),
            ("[a-zA-Z_\" .]{1,12}", "[a-zA-Z_\" .]{1,12}")
                .prop_map(|(s, n)| DataType::Enum(ObjectName::new(s, n))),
            "[a-z]{1,10}".prop_map(DataType::Other),
        ];
        leaf.prop_recursive(2, 4, 1, |inner| {
            inner.prop_map(|t| DataType::Array(Box::new(t)))
        })
    }

    proptest! {
        #[test]
        fn canonical_text_round_trips(t in arb_type()) {
            let text = t.to_string();
            prop_assert_eq!(text.parse::<DataType>().unwrap(), t);
        }
    }
}

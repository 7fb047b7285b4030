//! SQLAlchemy type expressions for PostgreSQL columns, spelled as Alembic's
//! autogenerate spells them.

use migdiff_model::{DataType, ObjectName, PythonType, Schema, TypeStyle};

const PG_IMPORT: &str = "from sqlalchemy.dialects import postgresql";

fn pg(code: impl Into<String>) -> PythonType {
    PythonType {
        code: code.into(),
        import: Some(PG_IMPORT),
    }
}

use migdiff_model::py_repr as py_str;

fn args(pairs: &[(&str, Option<String>)]) -> String {
    pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn enum_type(name: &ObjectName, schema: &Schema) -> PythonType {
    let values = schema
        .enums
        .get(name)
        .map(|e| e.values.clone())
        .unwrap_or_default();
    let mut parts: Vec<String> = values.iter().map(|v| py_str(v)).collect();
    parts.push(format!("name={}", py_str(&name.name)));
    if name.schema != "public" {
        parts.push(format!("schema={}", py_str(&name.schema)));
    }
    // The type is created and dropped by its own ops, never by a table's.
    parts.push("create_type=False".to_string());
    pg(format!("postgresql.ENUM({})", parts.join(", ")))
}

pub fn python_type(t: &DataType, style: TypeStyle, schema: &Schema) -> PythonType {
    let declared = style == TypeStyle::Declared;
    let num = |v: &Option<u32>| v.map(|x| x.to_string());
    let tz = |b: bool| b.then(|| "True".to_string());
    match t {
        DataType::SmallInt if declared => PythonType::sa("sa.SmallInteger()"),
        DataType::SmallInt => PythonType::sa("sa.SMALLINT()"),
        DataType::Integer if declared => PythonType::sa("sa.Integer()"),
        DataType::Integer => PythonType::sa("sa.INTEGER()"),
        DataType::BigInt if declared => PythonType::sa("sa.BigInteger()"),
        DataType::BigInt => PythonType::sa("sa.BIGINT()"),
        DataType::Real => PythonType::sa("sa.REAL()"),
        DataType::Double | DataType::Float if declared => PythonType::sa("sa.Double()"),
        DataType::Double | DataType::Float => PythonType::sa("sa.DOUBLE_PRECISION(precision=53)"),
        DataType::Numeric { precision, scale } => PythonType::sa(format!(
            "sa.{}({})",
            if declared { "Numeric" } else { "NUMERIC" },
            args(&[("precision", num(precision)), ("scale", num(scale))])
        )),
        DataType::Boolean if declared => PythonType::sa("sa.Boolean()"),
        DataType::Boolean => PythonType::sa("sa.BOOLEAN()"),
        DataType::Text if declared => PythonType::sa("sa.Text()"),
        DataType::Text => PythonType::sa("sa.TEXT()"),
        DataType::Varchar { length } => PythonType::sa(format!(
            "sa.{}({})",
            if declared { "String" } else { "VARCHAR" },
            args(&[("length", num(length))])
        )),
        DataType::Char { length } => {
            PythonType::sa(format!("sa.CHAR({})", args(&[("length", num(length))])))
        }
        DataType::Binary if declared => PythonType::sa("sa.LargeBinary()"),
        DataType::Binary => pg("postgresql.BYTEA()"),
        DataType::Date if declared => PythonType::sa("sa.Date()"),
        DataType::Date => PythonType::sa("sa.DATE()"),
        DataType::Time {
            timezone,
            precision: None,
        } if declared => {
            PythonType::sa(format!("sa.Time({})", args(&[("timezone", tz(*timezone))])))
        }
        DataType::Time {
            timezone,
            precision,
        } => pg(format!(
            "postgresql.TIME({})",
            args(&[("timezone", tz(*timezone)), ("precision", num(precision))])
        )),
        DataType::Timestamp {
            timezone,
            precision: None,
        } if declared => PythonType::sa(format!(
            "sa.DateTime({})",
            args(&[("timezone", tz(*timezone))])
        )),
        DataType::Timestamp {
            timezone,
            precision,
        } => pg(format!(
            "postgresql.TIMESTAMP({})",
            args(&[("timezone", tz(*timezone)), ("precision", num(precision))])
        )),
        DataType::Interval { fields, precision } => pg(format!(
            "postgresql.INTERVAL({})",
            args(&[
                ("precision", num(precision)),
                ("fields", fields.as_ref().map(|f| py_str(f))),
            ])
        )),
        DataType::Uuid => PythonType::sa("sa.UUID()"),
        DataType::Json if declared => PythonType::sa("sa.JSON()"),
        DataType::Json => pg("postgresql.JSON(astext_type=sa.Text())"),
        DataType::Jsonb => pg("postgresql.JSONB(astext_type=sa.Text())"),
        DataType::Enum(name) => enum_type(name, schema),
        DataType::Array(inner) => {
            let inner = python_type(inner, style, schema);
            pg(format!("postgresql.ARRAY({})", inner.code))
        }
        DataType::Other(raw) => other_type(raw),
    }
}

fn other_type(raw: &str) -> PythonType {
    let (name, arg) = match raw.find('(') {
        Some(i) => (&raw[..i], raw[i + 1..].trim_end_matches(')').trim()),
        None => (raw, ""),
    };
    let simple = |t: &str| pg(format!("postgresql.{t}()"));
    match name.trim() {
        "inet" => simple("INET"),
        "cidr" => simple("CIDR"),
        "macaddr" => simple("MACADDR"),
        "macaddr8" => simple("MACADDR8"),
        "money" => simple("MONEY"),
        "tsvector" => simple("TSVECTOR"),
        "tsquery" => simple("TSQUERY"),
        "oid" => simple("OID"),
        "regclass" => simple("REGCLASS"),
        "citext" => PythonType::sa("sa.Text()"),
        "int4range" => simple("INT4RANGE"),
        "int8range" => simple("INT8RANGE"),
        "numrange" => simple("NUMRANGE"),
        "daterange" => simple("DATERANGE"),
        "tsrange" => simple("TSRANGE"),
        "tstzrange" => simple("TSTZRANGE"),
        "hstore" => pg("postgresql.HSTORE(text_type=sa.Text())"),
        "bit" if !arg.is_empty() => pg(format!("postgresql.BIT(length={arg})")),
        "bit" => simple("BIT"),
        "bit varying" => pg(format!(
            "postgresql.BIT({}varying=True)",
            if arg.is_empty() {
                String::new()
            } else {
                format!("length={arg}, ")
            }
        )),
        // Alembic writes sa.NullType() for types it does not know either.
        _ => PythonType::sa("sa.NullType()"),
    }
}

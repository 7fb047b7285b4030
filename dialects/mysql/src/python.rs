//! SQLAlchemy type expressions for MySQL columns: the model-level types
//! for declared values, the SQL-named ones (and `mysql.*` where SQLAlchemy
//! has no generic name) for reflected values, as Alembic writes them.

use migdiff_model::{DataType, PythonType, TypeStyle, inline_values, py_repr};

const MYSQL_IMPORT: &str = "from sqlalchemy.dialects import mysql";

fn mysql(code: impl Into<String>) -> PythonType {
    PythonType {
        code: code.into(),
        import: Some(MYSQL_IMPORT),
    }
}

fn args(pairs: &[(&str, Option<u32>)]) -> String {
    pairs
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn python_type(t: &DataType, style: TypeStyle) -> PythonType {
    let declared = style == TypeStyle::Declared;
    let pick = |model: &str, sql: &str| PythonType::sa(if declared { model } else { sql });
    match t {
        DataType::SmallInt => pick("sa.SmallInteger()", "sa.SMALLINT()"),
        DataType::Integer => pick("sa.Integer()", "sa.INTEGER()"),
        DataType::BigInt => pick("sa.BigInteger()", "sa.BIGINT()"),
        DataType::Real | DataType::Float => pick("sa.Float()", "sa.FLOAT()"),
        DataType::Double if declared => PythonType::sa("sa.Double()"),
        DataType::Double => mysql("mysql.DOUBLE()"),
        DataType::Numeric { precision, scale } => PythonType::sa(format!(
            "sa.{}({})",
            if declared { "Numeric" } else { "NUMERIC" },
            args(&[("precision", *precision), ("scale", *scale)])
        )),
        DataType::Boolean => pick("sa.Boolean()", "sa.BOOLEAN()"),
        DataType::Text => pick("sa.Text()", "sa.TEXT()"),
        DataType::Varchar { length } => PythonType::sa(format!(
            "sa.{}({})",
            if declared { "String" } else { "VARCHAR" },
            args(&[("length", *length)])
        )),
        DataType::Char { length } => {
            PythonType::sa(format!("sa.CHAR({})", args(&[("length", *length)])))
        }
        DataType::Binary => pick("sa.LargeBinary()", "sa.BLOB()"),
        DataType::Date => pick("sa.Date()", "sa.DATE()"),
        DataType::Time {
            precision: None, ..
        } if declared => PythonType::sa("sa.Time()"),
        DataType::Time { precision, .. } => {
            mysql(format!("mysql.TIME({})", args(&[("fsp", *precision)])))
        }
        DataType::Timestamp {
            timezone: false,
            precision: None,
        } if declared => PythonType::sa("sa.DateTime()"),
        DataType::Timestamp {
            timezone: false,
            precision,
        } => mysql(format!("mysql.DATETIME({})", args(&[("fsp", *precision)]))),
        DataType::Timestamp {
            timezone: true,
            precision,
        } => mysql(format!("mysql.TIMESTAMP({})", args(&[("fsp", *precision)]))),
        DataType::Uuid => pick("sa.Uuid()", "sa.CHAR(length=32)"),
        DataType::Json | DataType::Jsonb => pick("sa.JSON()", "mysql.JSON()"),
        DataType::Other(raw) => other_type(raw, style),
        // Interval, enum types and arrays do not exist in MySQL; a
        // snapshot edited by hand is the only way here.
        DataType::Interval { .. } | DataType::Enum(_) | DataType::Array(_) => {
            PythonType::sa("sa.NullType()")
        }
    }
}

fn other_type(raw: &str, style: TypeStyle) -> PythonType {
    let simple = |t: &str| mysql(format!("mysql.{t}()"));
    let values = |raw: &str| {
        inline_values(raw).map(|v| v.iter().map(|x| py_repr(x)).collect::<Vec<_>>().join(", "))
    };
    if raw.starts_with("enum(")
        && let Some(v) = values(raw)
    {
        return match style {
            TypeStyle::Declared => PythonType::sa(format!("sa.Enum({v})")),
            TypeStyle::Reflected => mysql(format!("mysql.ENUM({v})")),
        };
    }
    if raw.starts_with("set(")
        && let Some(v) = values(raw)
    {
        return mysql(format!("mysql.SET({v})"));
    }
    match raw {
        "tinyint" => simple("TINYINT"),
        "mediumint" => simple("MEDIUMINT"),
        "tinytext" => simple("TINYTEXT"),
        "mediumtext" => simple("MEDIUMTEXT"),
        "longtext" => simple("LONGTEXT"),
        "tinyblob" => simple("TINYBLOB"),
        "mediumblob" => simple("MEDIUMBLOB"),
        "longblob" => simple("LONGBLOB"),
        "year" => simple("YEAR"),
        "int unsigned" => mysql("mysql.INTEGER(unsigned=True)"),
        "bigint unsigned" => mysql("mysql.BIGINT(unsigned=True)"),
        "smallint unsigned" => mysql("mysql.SMALLINT(unsigned=True)"),
        "tinyint unsigned" => mysql("mysql.TINYINT(unsigned=True)"),
        // Alembic writes sa.NullType() for types it does not know either.
        _ => PythonType::sa("sa.NullType()"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_and_set_values() {
        assert_eq!(
            inline_values("enum('new','Done','it''s')"),
            Some(vec!["new".into(), "Done".into(), "it's".into()])
        );
        let t = python_type(
            &DataType::Other("enum('a','it''s')".into()),
            TypeStyle::Declared,
        );
        assert_eq!(t.code, "sa.Enum('a', \"it's\")");
        let t = python_type(&DataType::Other("set('x')".into()), TypeStyle::Reflected);
        assert_eq!(t.code, "mysql.SET('x')");
    }
}

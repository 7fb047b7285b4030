use migdiff_model::{DataType, PythonType, Schema, TypeStyle};

fn args(pairs: &[(&str, Option<u32>)]) -> String {
    pairs
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// SQLAlchemy types whose SQLite DDL is the declared type migdiff read.
pub fn python_type(t: &DataType, style: TypeStyle, _schema: &Schema) -> PythonType {
    let declared = style == TypeStyle::Declared;
    let pick = |d: &str, r: &str| PythonType::sa(if declared { d } else { r }.to_string());
    match t {
        DataType::SmallInt => pick("sa.SmallInteger()", "sa.SMALLINT()"),
        DataType::Integer => pick("sa.Integer()", "sa.INTEGER()"),
        DataType::BigInt => pick("sa.BigInteger()", "sa.BIGINT()"),
        DataType::Real => PythonType::sa("sa.REAL()"),
        DataType::Double => pick("sa.Double()", "sa.DOUBLE()"),
        DataType::Float => pick("sa.Float()", "sa.FLOAT()"),
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
        DataType::Time { .. } => pick("sa.Time()", "sa.TIME()"),
        DataType::Timestamp { .. } => pick("sa.DateTime()", "sa.DATETIME()"),
        DataType::Json | DataType::Jsonb => PythonType::sa("sa.JSON()"),
        DataType::Uuid => PythonType::sa("sa.UUID()"),
        DataType::Enum(_) | DataType::Array(_) | DataType::Interval { .. } => {
            PythonType::sa("sa.Text()")
        }
        // Alembic writes sa.NullType() for a type SQLAlchemy does not know.
        DataType::Other(_) => PythonType::sa("sa.NullType()"),
    }
}

/// SQLite keeps a column's declared type as written, and SQLAlchemy reflects
/// some synonyms as their own types (`TIMESTAMP` as `sa.TIMESTAMP()`, not
/// the `sa.DATETIME()` of `DataType::Timestamp`): a re-created column must
/// get the type it had, and a declared one the type its DDL names.
pub fn python_type_as_written(written: &str, data_type: &DataType) -> Option<PythonType> {
    let base = written
        .split('(')
        .next()
        .unwrap_or(written)
        .trim()
        .to_ascii_uppercase();
    let code = match (base.as_str(), data_type) {
        ("TIMESTAMP", DataType::Timestamp { .. }) => "sa.TIMESTAMP()".to_string(),
        ("DECIMAL", DataType::Numeric { precision, scale }) => format!(
            "sa.DECIMAL({})",
            args(&[("precision", *precision), ("scale", *scale)])
        ),
        ("NVARCHAR", DataType::Varchar { length }) => {
            format!("sa.NVARCHAR({})", args(&[("length", *length)]))
        }
        ("NCHAR", DataType::Char { length }) => {
            format!("sa.NCHAR({})", args(&[("length", *length)]))
        }
        _ => return None,
    };
    Some(PythonType::sa(code))
}

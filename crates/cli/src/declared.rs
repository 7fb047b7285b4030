//! Reading the declared schema: a `.sql` file, a folder of them, or a TOML
//! snapshot.

use std::path::{Path, PathBuf};

use migdiff_alembic::ModelHints;
use migdiff_ddl::{SourceFile, has_generated_without_mode, read_schema_for_server};
use migdiff_model::{Dialect, Schema, snapshot};

use crate::error::CliError;

/// Where the project's Python is, for `sqlalchemy:` sources.
pub struct PythonEnv {
    pub python: Option<String>,
    pub sys_path: Vec<PathBuf>,
    pub cache: crate::sqlalchemy::CacheSettings,
}

/// A declared schema and, from SQLAlchemy models, what their DDL cannot say.
pub struct Declared {
    pub schema: Schema,
    pub hints: ModelHints,
    /// The DDL has a PostgreSQL generated column without `STORED` or
    /// `VIRTUAL`: read for `server_major` (stored when it was unknown),
    /// it must be read again for a server of 18 or later.
    pub depends_on_server_major: bool,
}

/// Every expression a snapshot holds must be SQL migdiff can read (the
/// DDL path refuses the same mistakes when it parses them).
fn check_expressions(schema: &Schema, dialect: Dialect) -> Result<(), String> {
    for (name, table) in &schema.tables {
        let mut exprs: Vec<(&str, &str)> = Vec::new();
        exprs.extend(table.checks.iter().map(|c| ("a CHECK", c.expr.as_str())));
        for c in &table.columns {
            if let Some(d) = &c.default {
                // MySQL's ON UPDATE clause: each side is an expression.
                exprs.extend(
                    d.split(migdiff_model::DEFAULT_ON_UPDATE)
                        .map(|p| ("a default", p)),
                );
            }
            if let Some(g) = &c.generated {
                exprs.push(("a generated column", &g.expr));
            }
        }
        for i in &table.indexes {
            if let Some(p) = &i.predicate {
                exprs.push(("an index predicate", p));
            }
        }
        for (what, text) in exprs {
            migdiff_sqlexpr::parse_expr(text, dialect)
                .map_err(|e| format!("table {name}: {what} is not SQL migdiff can read: {e}"))?;
        }
    }
    Ok(())
}

/// A schema read from DDL files for a server of `server_major`, with the
/// expressions as the DDL spells them.
fn spelled(
    sources: &[SourceFile],
    dialect: Dialect,
    server_major: Option<u32>,
) -> Result<Declared, CliError> {
    let (schema, spellings) = read_schema_for_server(sources, dialect, server_major)?;
    Ok(Declared {
        schema: with_implied_schemas(schema, dialect),
        hints: ModelHints {
            spellings,
            ..ModelHints::default()
        },
        depends_on_server_major: sources
            .iter()
            .any(|s| has_generated_without_mode(&s.text, dialect)),
    })
}

/// Reads the declared schema for a server of `server_major` (`None`: not
/// known, read as for PostgreSQL before 18).
pub fn load(
    source: &str,
    dialect: Dialect,
    server_major: Option<u32>,
    base: &Path,
    py: &PythonEnv,
) -> Result<Declared, CliError> {
    if source.starts_with("sqlalchemy:") {
        return crate::sqlalchemy::export(
            source,
            dialect,
            server_major,
            base,
            py.python.as_deref(),
            &py.sys_path,
            &py.cache,
        );
    }
    load_files(source, dialect, server_major, base)
}

/// A `.sql` file, a folder of them, or a TOML snapshot (with the model
/// hints it carries when it was written from SQLAlchemy models).
fn load_files(
    source: &str,
    dialect: Dialect,
    server_major: Option<u32>,
    base: &Path,
) -> Result<Declared, CliError> {
    let path = base.join(source);
    if !path.exists() {
        return Err(CliError::usage(format!(
            "declared schema {} does not exist; pass --schema with a .sql file, a folder of .sql files or a .toml snapshot",
            path.display()
        )));
    }
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
            .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(CliError::usage(format!(
                "folder {} holds no .sql files",
                path.display()
            )));
        }
        let sources = files
            .iter()
            .map(|f| read_source(f, source))
            .collect::<Result<Vec<_>, _>>()?;
        return spelled(&sources, dialect, server_major);
    }
    if path.extension().is_some_and(|x| x == "toml") {
        let text = read_text(&path, source)?;
        let (snap_dialect, schema, hints) =
            snapshot::from_toml_with_hints(&text, crate::dialects())
                .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
        if snap_dialect != dialect {
            return Err(CliError::usage(format!(
                "{} is a {snap_dialect} snapshot but the database is {dialect}",
                path.display()
            )));
        }
        check_expressions(&schema, dialect)
            .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
        return Ok(Declared {
            schema,
            hints,
            depends_on_server_major: false,
        });
    }
    let src = read_source(&path, source)?;
    spelled(&[src], dialect, server_major)
}

/// A file's text; bytes that are not UTF-8 are reported where they are
/// (the file named as the user named it: `shown`).
fn read_text(path: &Path, shown: &str) -> Result<String, CliError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        // Columns count characters, as an editor shows them.
        let column = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
        CliError::usage(format!(
            "{shown}:{line}:{column}: the file is not UTF-8 (byte 0x{:02x}); save it as UTF-8",
            e.as_bytes()[good.len()]
        ))
    })
}

fn read_source(path: &Path, shown: &str) -> Result<SourceFile, CliError> {
    let display = if path.ends_with(shown) {
        shown.to_string()
    } else {
        path.display().to_string()
    };
    let text = read_text(path, &display)?;
    Ok(SourceFile {
        path: display,
        text,
    })
}

/// A table or type in schema `s` means schema `s` exists.
pub fn with_implied_schemas(mut schema: Schema, dialect: Dialect) -> Schema {
    let default = dialect.default_schema();
    let used: Vec<String> = schema
        .tables
        .keys()
        .chain(schema.enums.keys())
        .chain(schema.sequences.keys())
        .map(|n| n.schema.clone())
        .filter(|s| s != default)
        .collect();
    schema.schemas.extend(used);
    schema
}

//! SQLAlchemy models as the declared schema (`sqlalchemy:module:attr`).
//! migdiff runs the project's own Python with a small exporter carried in
//! the binary; SQLAlchemy compiles the MetaData to DDL for the target
//! dialect, and that DDL goes through the same reader as a schema.sql.

use std::path::{Path, PathBuf};
use std::process::Command;

use migdiff_ddl::{SourceFile, read_schema};
use migdiff_model::{Dialect, Schema};

use crate::error::CliError;

const EXPORTER: &str = include_str!("sqlalchemy_exporter.py");

/// The Python to run: `python` in config, `$VIRTUAL_ENV`, `.venv`, then
/// `python3` on PATH.
pub fn find_python(configured: Option<&str>, base: &Path) -> PathBuf {
    if let Some(p) = configured {
        return base.join(p);
    }
    if let Some(v) = std::env::var_os("VIRTUAL_ENV") {
        let p = PathBuf::from(v).join("bin/python");
        if p.exists() {
            return p;
        }
    }
    let local = base.join(".venv/bin/python");
    if local.exists() {
        return local;
    }
    PathBuf::from("python3")
}

pub fn export(
    source: &str,
    dialect: Dialect,
    base: &Path,
    python: Option<&str>,
    extra_paths: &[PathBuf],
) -> Result<Schema, CliError> {
    let spec = source.trim_start_matches("sqlalchemy:");
    let Some((module, attr)) = spec.rsplit_once(':') else {
        return Err(CliError::usage(format!(
            "`{source}`: write it as sqlalchemy:package.module:attribute (a MetaData or a declarative Base)"
        )));
    };
    let python = find_python(python, base);
    let url = match dialect {
        Dialect::Postgresql => "postgresql://",
        Dialect::Sqlite => "sqlite://",
    };
    let mut cmd = Command::new(&python);
    cmd.arg("-c")
        .arg(EXPORTER)
        .arg(module)
        .arg(attr)
        .arg(url)
        .arg(base)
        .args(extra_paths)
        .current_dir(base);
    let out = cmd.output().map_err(|e| {
        CliError::usage(format!(
            "cannot run {}: {e}; install Python with SQLAlchemy, or set `python` in migdiff.toml",
            python.display()
        ))
    })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err
            .lines()
            .rev()
            .take(8)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(CliError::usage(format!(
            "importing `{module}:{attr}` with {} failed:\n{}",
            python.display(),
            tail.join("\n")
        )));
    }
    let ddl = String::from_utf8_lossy(&out.stdout).to_string();
    let schema = read_schema(
        &[SourceFile {
            path: format!("<DDL of {source}>"),
            text: ddl,
        }],
        dialect,
    )?;
    Ok(crate::declared::with_implied_schemas(schema, dialect))
}

//! SQLAlchemy models as the declared schema (`sqlalchemy:module:attr`).
//! migdiff runs the project's own Python with a small exporter carried in
//! the binary; SQLAlchemy compiles the MetaData to DDL for the target
//! dialect, and that DDL goes through the same reader as a schema.sql.

use std::path::{Path, PathBuf};
use std::process::Command;

use migdiff_alembic::{ModelHints, ModelType};
use migdiff_ddl::{SourceFile, has_generated_without_mode, read_schema_for_server};
use migdiff_model::{Dialect, ObjectName};

use crate::declared::Declared;
use crate::error::CliError;
use crate::model_cache;

/// The exporter's last line: what the DDL above it cannot carry.
const HINTS_MARKER: &str = "-- migdiff-hints: ";
/// The line before it: the files the export imported (for the cache).
const DEPS_MARKER: &str = "-- migdiff-deps: ";

/// How `export` uses the declared-schema cache.
#[derive(Debug, Clone, Default)]
pub struct CacheSettings {
    pub enabled: bool,
    /// Variables besides the import ones that change what the models say.
    pub env: Vec<String>,
    /// Say hit or miss, and why, on stderr.
    pub verbose: bool,
}

#[derive(serde::Deserialize)]
struct ExportedHints {
    final_names: Vec<String>,
    column_types: Vec<ExportedType>,
    #[serde(default)]
    sa_enum: bool,
    #[serde(default)]
    index_kwargs: Vec<ExportedIndexKwargs>,
    #[serde(default)]
    alembic_utils: bool,
}

#[derive(serde::Deserialize)]
struct ExportedIndexKwargs {
    schema: Option<String>,
    table: String,
    index: String,
    kwargs: Vec<(String, String)>,
}

#[derive(serde::Deserialize)]
struct ExportedType {
    schema: Option<String>,
    table: String,
    column: String,
    code: String,
    import: Option<String>,
}

/// Splits the exporter's output into its DDL and its hints.
fn split_hints(output: &str, dialect: Dialect) -> Result<(&str, ModelHints), CliError> {
    let Some(at) = output.rfind(HINTS_MARKER) else {
        let hints = ModelHints {
            from_models: true,
            ..ModelHints::default()
        };
        return Ok((output, hints));
    };
    let json = output[at + HINTS_MARKER.len()..].trim();
    let exported: ExportedHints = serde_json::from_str(json).map_err(|e| {
        CliError::usage(format!(
            "the SQLAlchemy exporter wrote hints migdiff cannot read ({e}); this is a bug in migdiff"
        ))
    })?;
    let mut hints = ModelHints {
        final_names: exported.final_names.into_iter().collect(),
        sa_enum: exported.sa_enum,
        from_models: true,
        alembic_utils: exported.alembic_utils,
        ..ModelHints::default()
    };
    for i in exported.index_kwargs {
        let schema = i
            .schema
            .unwrap_or_else(|| dialect.default_schema().to_string());
        hints
            .index_kwargs
            .insert((ObjectName::new(schema, i.table), i.index), i.kwargs);
    }
    for t in exported.column_types {
        let schema = t
            .schema
            .unwrap_or_else(|| dialect.default_schema().to_string());
        hints.column_types.insert(
            (ObjectName::new(schema, t.table), t.column),
            ModelType {
                code: t.code,
                import: t.import,
            },
        );
    }
    Ok((&output[..at], hints))
}

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

/// Where the exporter keeps compiled models when the environment turns
/// `.pyc` files off (PYTHONDONTWRITEBYTECODE, common in containers):
/// compiling a large models module is a fifth of its import, every run.
fn bytecode_cache() -> Option<PathBuf> {
    Some(model_cache::user_cache()?.join("pycache"))
}

pub fn export(
    source: &str,
    dialect: Dialect,
    server_major: Option<u32>,
    base: &Path,
    python: Option<&str>,
    extra_paths: &[PathBuf],
    cache: &CacheSettings,
) -> Result<Declared, CliError> {
    let spec = source.trim_start_matches("sqlalchemy:");
    let Some((module, attr)) = spec.rsplit_once(':') else {
        return Err(CliError::usage(format!(
            "`{source}`: write it as sqlalchemy:package.module:attribute (a MetaData or a declarative Base)"
        )));
    };
    let python = find_python(python, base);
    let url = dialect.sqlalchemy_scheme();
    let cache_dir = model_cache::directory().filter(|_| cache.enabled);
    let key = model_cache::Key::new(spec, url, base, extra_paths, &python, EXPORTER, &cache.env);
    if let Some(dir) = &cache_dir {
        match model_cache::lookup(dir, &key) {
            model_cache::Lookup::Hit { output, files } => {
                if cache.verbose {
                    eprintln!("models cache: hit ({files} files unchanged)");
                }
                return declared_from(&output, source, dialect, server_major);
            }
            model_cache::Lookup::Miss(why) => {
                if cache.verbose {
                    eprintln!("models cache: miss ({why})");
                }
            }
        }
    }
    let mut cmd = Command::new(&python);
    cmd.arg("-c")
        .arg(EXPORTER)
        .arg(module)
        .arg(attr)
        .arg(url)
        .arg(base)
        .args(extra_paths)
        .current_dir(base);
    if let Some(cache) = bytecode_cache() {
        cmd.env("MIGDIFF_PYCACHE", cache);
    }
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
    let output = String::from_utf8_lossy(&out.stdout);
    let (output, files) = split_deps(&output);
    let declared = declared_from(&output, source, dialect, server_major)?;
    // No file list (an exporter that could not say): nothing to check a
    // later run against, so nothing is stored.
    if let Some(dir) = cache_dir.as_ref().filter(|_| !files.is_empty()) {
        model_cache::store(dir, &key, &files, &output);
    }
    Ok(declared)
}

/// Takes the list of imported files out of the exporter's output.
fn split_deps(output: &str) -> (String, Vec<String>) {
    let Some(at) = output.find(DEPS_MARKER) else {
        return (output.to_string(), Vec::new());
    };
    let rest = &output[at + DEPS_MARKER.len()..];
    let (json, after) = rest.split_once('\n').unwrap_or((rest, ""));
    let files: Vec<String> = serde_json::from_str(json.trim()).unwrap_or_default();
    (format!("{}{}", &output[..at], after), files)
}

/// The declared schema from the exporter's output (DDL, then hints).
fn declared_from(
    output: &str,
    source: &str,
    dialect: Dialect,
    server_major: Option<u32>,
) -> Result<Declared, CliError> {
    let (ddl, mut hints) = split_hints(output, dialect)?;
    let (schema, spellings) = read_schema_for_server(
        &[SourceFile {
            path: format!("<DDL of {source}>"),
            text: ddl.to_string(),
        }],
        dialect,
        server_major,
    )?;
    hints.spellings = spellings;
    Ok(Declared {
        schema: crate::declared::with_implied_schemas(schema, dialect),
        hints,
        depends_on_server_major: has_generated_without_mode(ddl, dialect),
    })
}

//! Where each setting comes from. Precedence: command-line flag >
//! environment (`MIGDIFF_DATABASE_URL`, `DATABASE_URL`) > `migdiff.toml` >
//! `pyproject.toml [tool.migdiff]` > Alembic's own configuration.

use std::path::{Path, PathBuf};

use migdiff_alembic::config::{self as alembic_config, AlembicConfig};
use serde::Deserialize;

use crate::error::CliError;

/// migdiff's own options, as `migdiff.toml` or `[tool.migdiff]` spell them.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub url: Option<String>,
    pub schema: Option<String>,
    pub dialect: Option<String>,
    #[serde(default)]
    pub include_schemas: Vec<String>,
    #[serde(default)]
    pub exclude_tables: Vec<String>,
    pub render_as_batch: Option<bool>,
    pub version_table: Option<String>,
    pub version_table_schema: Option<String>,
    /// Column renames: `"table.old_name" = "new_name"`.
    #[serde(default)]
    pub renames: std::collections::BTreeMap<String, String>,
    pub python: Option<String>,
    pub dev_url: Option<String>,
    /// Sandbox provider: auto, server, cluster or docker.
    pub sandbox: Option<String>,
    /// Environment variables the project's env.py (or application) reads
    /// its database URL from: set to the throwaway database's URL in every
    /// Alembic process migdiff starts.
    #[serde(default)]
    pub sandbox_url_env: Vec<String>,
    /// The Flask application for a Flask-Migrate env.py, as `flask --app`
    /// takes it (`module`, `module:app`, `module:create_app()`); default:
    /// `$FLASK_APP`, `.flaskenv`/`.env`, then `wsgi.py` / `app.py`.
    pub flask_app: Option<String>,
    /// Alembic's switches, for adopting the gate on an old database: with
    /// `false`, column types (server defaults) are not compared. Default:
    /// migdiff's strict comparison.
    pub compare_type: Option<bool>,
    pub compare_server_default: Option<bool>,
    /// Columns left out of the comparison on both sides (`table.column` or
    /// `schema.table.column`, globs allowed), like Alembic's include_object.
    #[serde(default)]
    pub exclude_columns: Vec<String>,
    /// Seconds connecting to the database may take (default 10).
    pub connect_timeout: Option<f64>,
    /// The declared-schema cache for SQLAlchemy sources (default: on).
    pub cache: Option<bool>,
    /// Environment variables that change what the models say, added to
    /// the cache key.
    #[serde(default)]
    pub cache_env: Vec<String>,
    /// Rules `migdiff lint` does not report: `"rule"` everywhere, or
    /// `"<revision>:rule"` in one revision.
    #[serde(default)]
    pub lint_ignore: Vec<String>,
    /// `autogenerate` writes the online-safe forms (as `--online`).
    pub online: Option<bool>,
    /// Compare the owners of views, functions and domains where the
    /// declared schema states them (`ALTER ... OWNER TO`). Default: off.
    pub compare_owners: Option<bool>,
}

impl FileSettings {
    fn merge_under(self, lower: FileSettings) -> FileSettings {
        FileSettings {
            url: self.url.or(lower.url),
            schema: self.schema.or(lower.schema),
            dialect: self.dialect.or(lower.dialect),
            include_schemas: if self.include_schemas.is_empty() {
                lower.include_schemas
            } else {
                self.include_schemas
            },
            exclude_tables: if self.exclude_tables.is_empty() {
                lower.exclude_tables
            } else {
                self.exclude_tables
            },
            render_as_batch: self.render_as_batch.or(lower.render_as_batch),
            version_table: self.version_table.or(lower.version_table),
            version_table_schema: self.version_table_schema.or(lower.version_table_schema),
            renames: if self.renames.is_empty() {
                lower.renames
            } else {
                self.renames
            },
            python: self.python.or(lower.python),
            dev_url: self.dev_url.or(lower.dev_url),
            sandbox: self.sandbox.or(lower.sandbox),
            sandbox_url_env: if self.sandbox_url_env.is_empty() {
                lower.sandbox_url_env
            } else {
                self.sandbox_url_env
            },
            flask_app: self.flask_app.or(lower.flask_app),
            compare_type: self.compare_type.or(lower.compare_type),
            compare_server_default: self.compare_server_default.or(lower.compare_server_default),
            compare_owners: self.compare_owners.or(lower.compare_owners),
            cache: self.cache.or(lower.cache),
            connect_timeout: self.connect_timeout.or(lower.connect_timeout),
            cache_env: if self.cache_env.is_empty() {
                lower.cache_env
            } else {
                self.cache_env
            },
            exclude_columns: if self.exclude_columns.is_empty() {
                lower.exclude_columns
            } else {
                self.exclude_columns
            },
            lint_ignore: if self.lint_ignore.is_empty() {
                lower.lint_ignore
            } else {
                self.lint_ignore
            },
            online: self.online.or(lower.online),
        }
    }
}

/// Everything a command needs to know about the project.
#[derive(Debug, Clone)]
pub struct Project {
    pub dir: PathBuf,
    pub file: FileSettings,
    pub alembic: Option<AlembicConfig>,
    /// The URL and where it came from (for messages).
    pub url: Option<(String, String)>,
}

fn read_migdiff_toml(path: &Path) -> Result<FileSettings, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
    toml::from_str(&text)
        .map_err(|e| CliError::usage(format!("{}: {}", path.display(), e.to_string().trim_end())))
}

/// `[tool.migdiff]` of the project folder's pyproject.toml, for layouts
/// whose Alembic config lives elsewhere (Flask-Migrate's migrations/).
fn project_pyproject_migdiff(dir: &Path) -> Result<Option<toml::Table>, CliError> {
    let path = dir.join("pyproject.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| CliError::usage(format!("{}: {e}", path.display())))?;
    Ok(doc
        .get("tool")
        .and_then(|t| t.get("migdiff"))
        .and_then(|t| t.as_table())
        .cloned())
}

/// Loads the project in `dir`. `config` is `--config`: an `alembic.ini`,
/// a `pyproject.toml` or a `migdiff.toml`.
pub fn load(
    dir: &Path,
    config: Option<&Path>,
    url_flag: Option<&str>,
) -> Result<Project, CliError> {
    let (alembic_file, migdiff_file) = match config {
        Some(p) if !p.exists() => {
            return Err(CliError::usage(format!(
                "config file {} does not exist; pass an existing alembic.ini, pyproject.toml or migdiff.toml",
                p.display()
            )));
        }
        Some(p) if p.file_name().is_some_and(|n| n == "migdiff.toml") => {
            (None, Some(p.to_path_buf()))
        }
        // migdiff's own settings apply whichever Alembic config is named.
        _ => (
            config.map(Path::to_path_buf),
            Some(dir.join("migdiff.toml")).filter(|p| p.exists()),
        ),
    };
    let alembic = alembic_config::load(alembic_file.as_deref(), dir)?;
    let mut file = match &migdiff_file {
        Some(p) => read_migdiff_toml(p)?,
        None => FileSettings::default(),
    };
    let pyproject_migdiff = match alembic.as_ref().and_then(|a| a.pyproject_migdiff.clone()) {
        Some(table) => Some(table),
        None => project_pyproject_migdiff(dir)?,
    };
    if let Some(table) = pyproject_migdiff {
        let lower: FileSettings =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    CliError::usage(format!("pyproject.toml [tool.migdiff]: {e}"))
                })?;
        file = file.merge_under(lower);
    }
    let url = if let Some(u) = url_flag {
        Some((u.to_string(), "--url".to_string()))
    } else if let Ok(u) = std::env::var("MIGDIFF_DATABASE_URL") {
        Some((u, "MIGDIFF_DATABASE_URL".to_string()))
    } else if let Ok(u) = std::env::var("DATABASE_URL") {
        Some((u, "DATABASE_URL".to_string()))
    } else if let Some(u) = &file.url {
        Some((u.clone(), "migdiff.toml".to_string()))
    } else {
        alembic.as_ref().and_then(|a| {
            a.sqlalchemy_url
                .clone()
                .map(|u| (u, a.source.display().to_string()))
        })
    };
    Ok(Project {
        dir: dir.to_path_buf(),
        file,
        alembic,
        url,
    })
}

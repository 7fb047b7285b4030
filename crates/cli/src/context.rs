//! The one context every command runs in: the parsed command line and the
//! project's settings (migdiff.toml, alembic.ini), and what follows from
//! them — the URL, the dialect, filters, the revision graph, sandboxes.

use std::path::{Path, PathBuf};

use migdiff_alembic::config::AlembicConfig;
use migdiff_alembic::graph::Graph;
use migdiff_model::{Dialect, DiffOptions, ObjectName, Schema, SchemaFilter};

use crate::args::Global;
use crate::live::VersionTable;
use crate::settings::Project;
use crate::{CliError, declared, dialects, replay, revision_syntax, sqlalchemy};
use migdiff_driver::{ConnectSettings, Target};

pub(crate) struct Ctx {
    pub(crate) global: Global,
    pub(crate) project: Project,
    /// Whether the SQLAlchemy models, once read, declare views, functions,
    /// triggers or extensions (alembic_utils entities, `DDL` listeners):
    /// only then are the live ones compared.
    pub(crate) models_declare_objects: std::sync::atomic::AtomicBool,
}

impl Ctx {
    pub(crate) fn url(&self) -> Result<Box<dyn Target>, CliError> {
        let Some((u, _)) = &self.project.url else {
            return Err(CliError::usage(
                "no database URL: pass --url, set MIGDIFF_DATABASE_URL or DATABASE_URL, or set url in migdiff.toml (or sqlalchemy.url in alembic.ini)",
            ));
        };
        let mut settings = ConnectSettings::default();
        if let Some(seconds) = self.project.file.connect_timeout {
            settings.connect_timeout = std::time::Duration::try_from_secs_f64(seconds)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    CliError::usage(format!(
                        "connect_timeout = {seconds} in migdiff.toml: give a number of seconds above 0"
                    ))
                })?;
        }
        dialects::parse_url(u, &self.project.dir, settings)
    }

    pub(crate) fn schema_source(&self) -> Result<String, CliError> {
        self.global
            .schema
            .clone()
            .or_else(|| self.project.file.schema.clone())
            .ok_or_else(|| CliError::usage("no declared schema: pass --schema PATH (a .sql file, a folder of .sql files or a .toml snapshot) or set schema in migdiff.toml"))
    }

    /// The project's Python, for `sqlalchemy:` sources.
    pub(crate) fn python_env(&self) -> declared::PythonEnv {
        declared::PythonEnv {
            python: self.project.file.python.clone(),
            sys_path: self
                .project
                .alembic
                .as_ref()
                .map(|a| a.prepend_sys_path.clone())
                .unwrap_or_default(),
            cache: sqlalchemy::CacheSettings {
                enabled: !self.global.no_cache && self.project.file.cache != Some(false),
                env: self.project.file.cache_env.clone(),
                verbose: self.global.verbose,
            },
        }
    }

    pub(crate) fn include_schemas(&self) -> Vec<String> {
        if self.global.include_schema.is_empty() {
            self.project.file.include_schemas.clone()
        } else {
            self.global.include_schema.clone()
        }
    }

    pub(crate) fn version_table(&self) -> VersionTable {
        VersionTable {
            schema: self.project.file.version_table_schema.clone(),
            name: self
                .project
                .file
                .version_table
                .clone()
                .unwrap_or_else(|| "alembic_version".to_string()),
        }
    }

    /// The version table, when there is a reason to read it: an Alembic
    /// project whose filters do not leave the table out. A role without
    /// SELECT on it can then still run `check --exclude-table`.
    pub(crate) fn version_table_to_read(&self) -> Option<VersionTable> {
        self.project.alembic.as_ref()?;
        let table = self.version_table();
        let excluded = self
            .schema_filter()
            .excludes_table(table.schema.as_deref(), &table.name);
        (!excluded).then_some(table)
    }

    pub(crate) fn excludes(&self) -> Vec<String> {
        self.global
            .exclude_table
            .iter()
            .chain(self.project.file.exclude_tables.iter())
            .cloned()
            .collect()
    }

    pub(crate) fn batch(&self, dialect: Dialect) -> bool {
        self.project
            .file
            .render_as_batch
            .unwrap_or(dialect.batch_by_default())
    }

    pub(crate) fn renames(
        &self,
        dialect: Dialect,
    ) -> Result<Vec<(ObjectName, String, String)>, CliError> {
        let mut out = Vec::new();
        let mut specs: Vec<(String, String)> = self
            .project
            .file
            .renames
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for r in &self.global.rename_column {
            let (k, v) = r.split_once('=').ok_or_else(|| {
                CliError::usage(format!("--rename-column `{r}`: write it as table.old=new"))
            })?;
            specs.push((k.to_string(), v.to_string()));
        }
        for (k, new) in specs {
            let parts: Vec<&str> = k.split('.').collect();
            let (table, old) = match parts.as_slice() {
                [t, c] => (ObjectName::new(dialect.default_schema(), *t), c.to_string()),
                [s, t, c] => (ObjectName::new(*s, *t), c.to_string()),
                _ => {
                    return Err(CliError::usage(format!(
                        "rename `{k}`: write it as table.old_column (or schema.table.old_column)"
                    )));
                }
            };
            out.push((table, old, new));
        }
        Ok(out)
    }

    /// Filters and hints that name nothing are mistakes, never a silent
    /// "no drift": `--include-schema pubic`, a schema on SQLite, a rename of
    /// a column the database does not have.
    pub(crate) fn check_filters_match(
        &self,
        dialect: Dialect,
        live: &Schema,
        declared: &Schema,
    ) -> Result<(), CliError> {
        for wanted in self.include_schemas() {
            if !dialect.has_schemas() && wanted != dialect.default_schema() {
                return Err(CliError::usage(format!(
                    "--include-schema {wanted}: {} has one schema, `{}`; leave the option out",
                    dialect.title(),
                    dialect.default_schema()
                )));
            }
            let known = |s: &Schema| {
                s.schemas.contains(&wanted)
                    || s.tables.keys().any(|n| n.schema == wanted)
                    || s.enums.keys().any(|n| n.schema == wanted)
            };
            if !known(live) && !known(declared) {
                return Err(CliError::usage(format!(
                    "--include-schema {wanted}: no such schema in the database or the declared schema; check the spelling"
                )));
            }
        }
        for (table, old, new) in self.renames(dialect)? {
            // Done already (the database has the new name) is fine: a
            // rename kept in migdiff.toml must not fail every later check.
            let has = |c: &str| {
                live.tables
                    .get(&table)
                    .is_some_and(|t| t.column(c).is_some())
            };
            if !has(&old) && !has(&new) {
                return Err(CliError::usage(format!(
                    "rename {table}.{old} -> {new}: the database has neither column in table {table}; check the rename (table.old=new)"
                )));
            }
            // A new name the declared table does not have would be no
            // rename at all: the column dropped and another added.
            let declared_columns: Vec<&str> = declared
                .tables
                .get(&table)
                .map(|t| t.columns.iter().map(|c| c.name.as_str()).collect())
                .unwrap_or_default();
            // (Where the declared table still has the old name, the rename
            // does not apply yet, or no longer.)
            if has(&old)
                && !declared_columns.contains(&new.as_str())
                && !declared_columns.contains(&old.as_str())
            {
                let candidates: Vec<&str> = declared_columns
                    .iter()
                    .copied()
                    .filter(|c| !has(c))
                    .collect();
                let hint = closest(&new, &candidates)
                    .map(|c| format!(" (did you mean `{table}.{old}={c}`?)"))
                    .unwrap_or_default();
                return Err(CliError::usage(format!(
                    "rename {table}.{old} -> {new}: the declared table {table} has no column `{new}`{hint}; check the new name, or the rename would drop the column and its data"
                )));
            }
        }
        Ok(())
    }

    /// How schemas are compared: batch grouping and Alembic's switches.
    pub(crate) fn diff_options(&self, dialect: Dialect) -> DiffOptions {
        let file = &self.project.file;
        DiffOptions {
            column_renames: Vec::new(),
            group_by_table: self.batch(dialect),
            ignore_types: file.compare_type == Some(false),
            ignore_server_defaults: file.compare_server_default == Some(false),
            ignore_unstated_collations: dialect.collations_compared_only_when_declared(),
            compare_owners: file.compare_owners == Some(true),
            tables_rebuilt_by_alter: dialect.alters_by_rebuilding(),
        }
    }

    /// What `--include-schema`, `--exclude-table` and `exclude_columns`
    /// leave in a comparison.
    pub(crate) fn schema_filter(&self) -> SchemaFilter {
        SchemaFilter {
            include_schemas: self.include_schemas(),
            exclude_tables: self.excludes(),
            exclude_columns: self.project.file.exclude_columns.clone(),
            // Models that declare no views, functions or triggers leave
            // the live ones alone, as Alembic does.
            exclude_objects: self
                .schema_source()
                .is_ok_and(|s| s.starts_with("sqlalchemy:"))
                && !self
                    .models_declare_objects
                    .load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    pub(crate) fn filter(&self, schema: &mut Schema) {
        self.schema_filter().apply(schema);
    }

    /// Notes what the declared schema declares, before anything is
    /// filtered: models with objects have the live objects compared.
    pub(crate) fn note_declared(&self, declared: &Schema) {
        if declared.has_objects() {
            self.models_declare_objects
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    pub(crate) fn graph(&self) -> Result<Option<Graph>, CliError> {
        let Some(a) = &self.project.alembic else {
            return Ok(None);
        };
        let graph = Graph::load(&a.version_locations, a.recursive_version_locations)?;
        let files: Vec<&std::path::Path> =
            graph.revisions.values().map(|r| r.path.as_path()).collect();
        let python =
            sqlalchemy::find_python(self.project.file.python.as_deref(), &self.project.dir);
        revision_syntax::check(&python, &files)?;
        Ok(Some(graph))
    }

    /// A sandbox for `dialect` from the provider `--sandbox` or config
    /// names (auto by default).
    pub(crate) async fn sandbox(
        &self,
        dialect: Dialect,
        server: Option<&str>,
        live_db: Option<&str>,
    ) -> Result<migdiff_sandbox::Sandbox, CliError> {
        replay::sandbox(dialect, server, live_db, self.sandbox_provider()?).await
    }

    /// `--sandbox`, else `sandbox` in config, else auto.
    pub(crate) fn sandbox_provider(&self) -> Result<migdiff_sandbox::Provider, CliError> {
        match self
            .global
            .sandbox
            .as_deref()
            .or(self.project.file.sandbox.as_deref())
        {
            Some(p) => p.parse().map_err(CliError::usage),
            None => Ok(migdiff_sandbox::Provider::Auto),
        }
    }

    pub(crate) fn dialect_for_sandbox(
        &self,
    ) -> Result<(Dialect, Option<String>, Option<String>), CliError> {
        // (dialect, server for a temporary database, live database name)
        let dev = self
            .global
            .dev_url
            .clone()
            .or_else(|| self.project.file.dev_url.clone());
        match self.url() {
            Ok(u) => {
                let live_db = u.database_name();
                let server = dev.or_else(|| self.project.url.as_ref().map(|(u, _)| u.clone()));
                Ok((u.dialect(), server, live_db))
            }
            Err(e) => Ok((self.configured_dialect()?.ok_or(e)?, dev, None)),
        }
    }

    /// `--dialect`, else `dialect` in config.
    pub(crate) fn configured_dialect(&self) -> Result<Option<Dialect>, CliError> {
        match self
            .global
            .dialect
            .as_deref()
            .or(self.project.file.dialect.as_deref())
        {
            Some(name) => crate::dialects::by_name(name).map(Some),
            None => Ok(None),
        }
    }

    /// The database URL's dialect, else the configured one; for commands
    /// that never connect. A configured dialect that contradicts the URL is
    /// an error.
    pub(crate) fn dialect(&self) -> Result<Dialect, CliError> {
        match self.url() {
            Ok(u) => match self.configured_dialect()? {
                Some(d) if d != u.dialect() => Err(CliError::usage(format!(
                    "--dialect {d} contradicts the database URL {} ({}); leave --dialect out or fix the URL",
                    u.display(),
                    u.dialect()
                ))),
                _ => Ok(u.dialect()),
            },
            Err(e) => self.configured_dialect()?.ok_or(e),
        }
    }

    /// The revisions the live database's version table holds.
    pub(crate) async fn applied_versions(&self) -> Result<Vec<String>, CliError> {
        let url = self.url()?;
        let live = crate::live::load(
            url.as_ref(),
            &self.include_schemas(),
            Some(&self.version_table()),
        )
        .await?;
        Ok(live.versions.unwrap_or_default())
    }

    /// What every Alembic runner needs: the project, its Python and the
    /// settings env.py is run with.
    fn runner_parts(
        &self,
    ) -> Result<(AlembicConfig, PathBuf, replay::RunnerSettings<'_>), CliError> {
        let alembic = self
            .project
            .alembic
            .clone()
            .ok_or_else(|| CliError::usage("no Alembic project"))?;
        let python =
            sqlalchemy::find_python(self.project.file.python.as_deref(), &self.project.dir);
        let settings = replay::RunnerSettings {
            project_url: self.project.url.as_ref().map(|(u, _)| u.as_str()),
            url_env: &self.project.file.sandbox_url_env,
            flask_app: self.project.file.flask_app.as_deref(),
        };
        Ok((alembic, python, settings))
    }

    pub(crate) fn runner(
        &self,
        sandbox: &migdiff_sandbox::Sandbox,
    ) -> Result<replay::Runner, CliError> {
        let (alembic, python, settings) = self.runner_parts()?;
        replay::Runner::new(&alembic, &self.project.dir, python, sandbox, &settings)
    }

    /// A runner for Alembic's offline mode: env.py gets a URL that names
    /// the dialect and no database, and may connect to nothing.
    pub(crate) fn offline_runner(&self, dialect: Dialect) -> Result<replay::Runner, CliError> {
        let (alembic, python, settings) = self.runner_parts()?;
        let driver = crate::dialects::driver(dialect)?;
        let sa_url = driver.sqlalchemy_url(
            driver.offline_url(),
            alembic.sqlalchemy_url.as_deref().or(settings.project_url),
        );
        replay::Runner::for_url(
            &alembic,
            &self.project.dir,
            python,
            sa_url,
            dialect,
            &settings,
        )
    }

    /// The declared schema (filtered) for a server of `server_major`, when
    /// one is given (`--schema`, migdiff.toml).
    pub(crate) fn declared_for(
        &self,
        dialect: Dialect,
        server_major: Option<u32>,
    ) -> Result<Option<declared::Declared>, CliError> {
        let Ok(source) = self.schema_source() else {
            return Ok(None);
        };
        let mut d = declared::load(
            &source,
            dialect,
            server_major,
            &self.project.dir,
            &self.python_env(),
        )?;
        self.note_declared(&d.schema);
        self.filter(&mut d.schema);
        Ok(Some(d))
    }

    /// `declared`, read again for the throwaway database's major when its
    /// meaning depends on it (PostgreSQL 18 makes a generated column
    /// without STORED virtual).
    pub(crate) async fn declared_on_sandbox(
        &self,
        dialect: Dialect,
        declared: Option<declared::Declared>,
        sandbox: &migdiff_sandbox::Sandbox,
    ) -> Result<Option<Schema>, CliError> {
        match declared {
            Some(d) if d.depends_on_server_major => match sandbox.server_major().await {
                Some(major) if major >= 18 => {
                    Ok(self.declared_for(dialect, Some(major))?.map(|d| d.schema))
                }
                _ => Ok(Some(d.schema)),
            },
            other => Ok(other.map(|d| d.schema)),
        }
    }

    /// The revision graph; an error when there is no Alembic project.
    pub(crate) fn require_graph(&self) -> Result<Graph, CliError> {
        self.graph()?.ok_or_else(|| {
            CliError::usage(format!(
                "no Alembic project in {}: no alembic.ini (or pyproject.toml [tool.alembic]); pass --config or run from the project folder",
                self.project.dir.display()
            ))
        })
    }

    /// Phase timings, with -v.
    pub(crate) fn print_timings(&self, timings: &[(&str, std::time::Duration)]) {
        if self.global.verbose {
            for (name, d) in timings {
                eprintln!("{name}: {:.1} ms", d.as_secs_f64() * 1000.0);
            }
        }
    }
}

/// Writes `text` to `path` atomically (a temporary file renamed over it).
pub(crate) fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".migdiff-{}.tmp", uuid::Uuid::new_v4().simple()));
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            CliError::usage(format!(
                "cannot write {}: {e}; choose a writable path with -o",
                path.display()
            ))
        })
}

/// The candidate closest to `wanted` by edit distance, when it is close
/// enough to be a misspelling (at most a third of its length away).
fn closest<'a>(wanted: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let distance = |a: &str, b: &str| {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
                prev = cur;
            }
        }
        row[b.len()]
    };
    candidates
        .iter()
        .map(|c| (distance(wanted, c), *c))
        .filter(|(d, _)| *d <= wanted.chars().count().div_ceil(3).max(1))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn a_misspelt_name_finds_the_one_meant() {
        assert_eq!(
            closest("dispaly_name", &["display_name", "email"]),
            Some("display_name")
        );
        assert_eq!(closest("zzz", &["display_name"]), None);
    }
}

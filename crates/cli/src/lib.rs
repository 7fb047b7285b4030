//! The `migdiff` command line. Library crates return typed errors; this
//! crate turns them into one-paragraph messages and the documented exit
//! codes: 0 clean / done, 1 drift, 2 error, 3 database not at head.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand, ValueEnum};
use migdiff_alembic::graph::Graph;
use migdiff_alembic::revision;
use migdiff_alembic::{RenderOptions, render_body};
use migdiff_model::{Dialect, DialectRender, DiffOptions, ObjectName, Op, Schema, diff, snapshot};

mod declared;
mod error;
mod hooks;
mod live;
mod model_cache;
mod replay;
pub mod report;
mod revision_syntax;
mod settings;
mod settle;
mod sqlalchemy;
mod url;

pub use error::CliError;
use live::VersionTable;
use settings::Project;
use url::DbUrl;

#[derive(Parser, Debug)]
#[command(
    name = "migdiff",
    version,
    about = "Alembic-compatible migration diffs for PostgreSQL and SQLite"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug, Clone)]
struct Global {
    /// Database URL (sqlx or SQLAlchemy form). Default: $MIGDIFF_DATABASE_URL,
    /// $DATABASE_URL, migdiff.toml, then sqlalchemy.url in alembic.ini.
    #[arg(long, global = true)]
    url: Option<String>,
    /// Declared schema: a .sql file, a folder of .sql files or a .toml snapshot.
    #[arg(long, global = true)]
    schema: Option<String>,
    /// alembic.ini, pyproject.toml or migdiff.toml to read instead of the defaults.
    #[arg(long, short = 'c', global = true)]
    config: Option<PathBuf>,
    /// The dialect, when no database URL says it.
    #[arg(long, global = true)]
    dialect: Option<Dialect>,
    /// Only these schemas (PostgreSQL). Repeatable.
    #[arg(long = "include-schema", global = true)]
    include_schema: Vec<String>,
    /// Leave out tables matching this glob (`name` or `schema.name`). Repeatable.
    #[arg(long = "exclude-table", global = true)]
    exclude_table: Vec<String>,
    /// A PostgreSQL server where migdiff may create scratch databases (to
    /// settle expressions the server rewrites). Default: the live server.
    #[arg(long = "dev-url", global = true)]
    dev_url: Option<String>,
    /// Where throwaway databases come from: auto (a temporary database on
    /// the dev or live server, else a private cluster, else Docker),
    /// server, cluster or docker. Default: `sandbox` in config, else auto.
    #[arg(long = "sandbox", global = true)]
    sandbox: Option<String>,
    /// Treat a column as renamed: `table.old=new`. Repeatable.
    #[arg(long = "rename-column", global = true)]
    rename_column: Vec<String>,
    /// Import SQLAlchemy models afresh instead of using the cached export.
    #[arg(long = "no-cache", global = true)]
    no_cache: bool,
    /// Less output.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// More output (phase timings).
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Color: auto, always or never.
    #[arg(long, global = true, default_value = "auto")]
    color: ColorWhen,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
enum DiffFormat {
    Text,
    Json,
    Sql,
    Alembic,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
enum CheckFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write the live schema (or, with --declared, the declared one) as a TOML snapshot.
    Snapshot {
        /// Output file (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Snapshot the declared schema (--schema) instead of the database;
        /// from SQLAlchemy models it keeps their spelling of types and
        /// convention-made names. The database is not contacted; its URL
        /// (or --dialect) only names the dialect.
        #[arg(long)]
        declared: bool,
    },
    /// Print the changes from the database to the declared schema; writes nothing.
    Diff {
        #[arg(long, default_value = "text")]
        format: DiffFormat,
        /// Add a unified diff of the changed tables' snapshot text.
        #[arg(long)]
        show_diff: bool,
    },
    /// CI gate: exit 0 when the database matches the declared schema, 1 on drift.
    Check {
        #[arg(long, default_value = "text")]
        format: CheckFormat,
        #[arg(long)]
        show_diff: bool,
        /// Build the heads' schema by running the whole migration history in
        /// a throwaway database, and compare that instead of a live database.
        #[arg(long)]
        replay: bool,
    },
    /// Prove a revision in a throwaway database: upgrade, compare with the
    /// declared schema, downgrade, compare with the parent state, upgrade again.
    Verify {
        /// The revision (default: the single head).
        rev: Option<String>,
    },
    /// Write the next Alembic revision for the changes.
    Autogenerate {
        /// The revision message.
        #[arg(short, long)]
        message: String,
        /// Use this revision id instead of a random one.
        #[arg(long)]
        rev_id: Option<String>,
        /// The revision to build on when there are several heads.
        #[arg(long)]
        head: Option<String>,
        /// Print the upgrade as SQL instead of writing a file.
        #[arg(long)]
        sql: bool,
        /// Verify the new revision in a throwaway database; remove it if that fails.
        #[arg(long)]
        verify: bool,
    },
    /// The revision graph's heads, as `alembic heads` prints them.
    Heads,
    /// The revision history, as `alembic history` prints it.
    History,
    /// The database's current revision, as `alembic current` prints it.
    Current,
    /// Prints the PostgreSQL catalog queries (for the benchmark's psql floor).
    #[command(hide = true)]
    CatalogSql,
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let choice = match cli.global.color {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let _ = writeln!(anstream::stderr(), "error: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

struct Ctx {
    global: Global,
    project: Project,
}

fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

impl Ctx {
    fn url(&self) -> Result<DbUrl, CliError> {
        let Some((u, _)) = &self.project.url else {
            return Err(CliError::usage(
                "no database URL: pass --url, set MIGDIFF_DATABASE_URL or DATABASE_URL, or set url in migdiff.toml (or sqlalchemy.url in alembic.ini)",
            ));
        };
        let mut parsed = url::parse(u, &self.project.dir)?;
        if let (
            DbUrl::Postgres {
                connect_timeout, ..
            },
            Some(seconds),
        ) = (&mut parsed, self.project.file.connect_timeout)
        {
            *connect_timeout = std::time::Duration::try_from_secs_f64(seconds)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    CliError::usage(format!(
                        "connect_timeout = {seconds} in migdiff.toml: give a number of seconds above 0"
                    ))
                })?;
        }
        Ok(parsed)
    }

    fn schema_source(&self) -> Result<String, CliError> {
        self.global
            .schema
            .clone()
            .or_else(|| self.project.file.schema.clone())
            .ok_or_else(|| CliError::usage("no declared schema: pass --schema PATH (a .sql file, a folder of .sql files or a .toml snapshot) or set schema in migdiff.toml"))
    }

    /// The project's Python, for `sqlalchemy:` sources.
    fn python_env(&self) -> declared::PythonEnv {
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

    fn include_schemas(&self) -> Vec<String> {
        if self.global.include_schema.is_empty() {
            self.project.file.include_schemas.clone()
        } else {
            self.global.include_schema.clone()
        }
    }

    fn version_table(&self) -> VersionTable {
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
    fn version_table_to_read(&self) -> Option<VersionTable> {
        self.project.alembic.as_ref()?;
        let table = self.version_table();
        let excluded = self.excludes().iter().any(|g| {
            glob_match(g, &table.name)
                || table
                    .schema
                    .as_ref()
                    .is_some_and(|s| glob_match(g, &format!("{s}.{}", table.name)))
        });
        (!excluded).then_some(table)
    }

    fn excludes(&self) -> Vec<String> {
        self.global
            .exclude_table
            .iter()
            .chain(self.project.file.exclude_tables.iter())
            .cloned()
            .collect()
    }

    fn batch(&self, dialect: Dialect) -> bool {
        self.project
            .file
            .render_as_batch
            .unwrap_or(dialect == Dialect::Sqlite)
    }

    fn renames(&self, dialect: Dialect) -> Result<Vec<(ObjectName, String, String)>, CliError> {
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
    fn check_filters_match(
        &self,
        dialect: Dialect,
        live: &Schema,
        declared: &Schema,
    ) -> Result<(), CliError> {
        for wanted in self.include_schemas() {
            if dialect == Dialect::Sqlite && wanted != dialect.default_schema() {
                return Err(CliError::usage(format!(
                    "--include-schema {wanted}: SQLite has one schema, `main`; leave the option out"
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
        }
        Ok(())
    }

    /// How schemas are compared: batch grouping and Alembic's switches.
    fn diff_options(&self, dialect: Dialect) -> DiffOptions {
        let file = &self.project.file;
        DiffOptions {
            column_renames: Vec::new(),
            group_by_table: self.batch(dialect),
            ignore_types: file.compare_type == Some(false),
            ignore_server_defaults: file.compare_server_default == Some(false),
        }
    }

    fn filter(&self, schema: &mut Schema) {
        let excludes = self.excludes();
        let column_globs = &self.project.file.exclude_columns;
        if !column_globs.is_empty() {
            for table in schema.tables.values_mut() {
                let (short, full) = (table.name.name.clone(), table.name.to_string());
                table.columns.retain(|c| {
                    !column_globs.iter().any(|g| {
                        glob_match(g, &format!("{short}.{}", c.name))
                            || glob_match(g, &format!("{full}.{}", c.name))
                    })
                });
            }
        }
        let includes = self.include_schemas();
        schema.tables.retain(|n, _| {
            (includes.is_empty() || includes.contains(&n.schema))
                && !excludes
                    .iter()
                    .any(|g| glob_match(g, &n.name) || glob_match(g, &n.to_string()))
        });
        if !includes.is_empty() {
            schema.enums.retain(|n, _| includes.contains(&n.schema));
            schema.sequences.retain(|n, _| includes.contains(&n.schema));
            schema.schemas.retain(|s| includes.contains(s));
        }
    }

    fn graph(&self) -> Result<Option<Graph>, CliError> {
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
}

fn renderer(dialect: Dialect) -> &'static dyn DialectRender {
    match dialect {
        Dialect::Postgresql => &migdiff_postgres::Postgres,
        Dialect::Sqlite => &migdiff_sqlite::Sqlite,
    }
}

/// Schemas that hold nothing are not compared (Alembic ignores schemas),
/// except those in `declared`: an existing empty schema the declared side
/// also has is not created again.
fn drop_empty_schemas(schema: &mut Schema, declared: &BTreeSet<String>) {
    let used: BTreeSet<String> = schema
        .tables
        .keys()
        .chain(schema.enums.keys())
        .chain(schema.sequences.keys())
        .map(|n| n.schema.clone())
        .collect();
    schema
        .schemas
        .retain(|s| used.contains(s) || declared.contains(s));
}

struct Comparison {
    live: live::Live,
    declared: Schema,
    hints: migdiff_alembic::ModelHints,
    /// What could not be settled without a scratch database.
    unverified: Vec<String>,
    ops: Vec<Op>,
    dialect: Dialect,
    url: DbUrl,
    timings: Vec<(&'static str, std::time::Duration)>,
}

async fn compare(ctx: &Ctx, head_check: bool) -> Result<Comparison, CliError> {
    let url = ctx.url()?;
    let dialect = ctx.dialect()?;
    let source = ctx.schema_source()?;
    let py = ctx.python_env();
    // Reading the declared schema is client CPU work and introspection
    // mostly waits on the server: the two run at the same time.
    let dir = ctx.project.dir.clone();
    let reading = tokio::task::spawn_blocking(move || {
        let t = Instant::now();
        declared::load(&source, dialect, None, &dir, &py).map(|s| (s, t.elapsed()))
    });
    // Without the version table (filtered out) there is no head to check.
    let graph = if head_check && ctx.version_table_to_read().is_some() {
        ctx.graph()?
    } else {
        None
    };
    let live = live::load(
        &url,
        &ctx.include_schemas(),
        ctx.version_table_to_read().as_ref(),
    )
    .await;
    let (loaded, read_time) = reading
        .await
        .map_err(|e| CliError::usage(format!("reading the declared schema failed: {e}")))??;
    let mut live = live?;
    // Read before the server's version was known: PostgreSQL 18 makes a
    // generated column without STORED virtual (read again, from the cache
    // for models).
    let loaded = match live.server_major {
        Some(major) if major >= 18 && loaded.depends_on_server_major => {
            let (source, py) = (ctx.schema_source()?, ctx.python_env());
            declared::load(&source, dialect, Some(major), &ctx.project.dir, &py)?
        }
        _ => loaded,
    };
    let declared::Declared {
        schema: mut declared,
        hints,
        ..
    } = loaded;
    if let Some(graph) = &graph {
        check_at_head(graph, live.versions.as_deref().unwrap_or(&[]))?;
    }
    ctx.check_filters_match(dialect, &live.schema, &declared)?;
    ctx.filter(&mut live.schema);
    ctx.filter(&mut declared);
    drop_empty_schemas(&mut live.schema, &declared.schemas);
    let mut unverified = Vec::new();
    if let DbUrl::Postgres { options, .. } = &url {
        let t = Instant::now();
        // The scratch database comes from where every throwaway database
        // does: --dev-url, else the live server, as --sandbox allows.
        let dev = ctx
            .global
            .dev_url
            .clone()
            .or_else(|| ctx.project.file.dev_url.clone());
        // A dev server the user named is the only place auto looks.
        let provider = match ctx.sandbox_provider()? {
            migdiff_sandbox::Provider::Auto if dev.is_some() => migdiff_sandbox::Provider::Server,
            chosen => chosen,
        };
        let server = dev.or_else(|| ctx.project.url.as_ref().map(|(u, _)| u.clone()));
        let database = options.get_database().unwrap_or_default().to_string();
        unverified = settle::settle(
            &live.schema,
            &mut declared,
            server.as_deref(),
            &database,
            provider,
        )
        .await?;
        if ctx.global.verbose {
            eprintln!(
                "settle expressions: {:.1} ms",
                t.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
    let t = Instant::now();
    let options = DiffOptions {
        column_renames: ctx.renames(dialect)?,
        ..ctx.diff_options(dialect)
    };
    let ops = diff(&live.schema, &declared, &options);
    let diff_time = t.elapsed();
    if ctx.global.verbose {
        eprintln!("catalog queries: {}", live.queries);
    }
    let timings = vec![
        ("connect", live.connect_time),
        ("introspect", live.introspect_time),
        ("read declared schema", read_time),
        ("diff", diff_time),
    ];
    Ok(Comparison {
        live,
        declared,
        hints,
        unverified,
        ops,
        dialect,
        url,
        timings,
    })
}

fn check_at_head(graph: &Graph, current: &[String]) -> Result<(), CliError> {
    if let Some(unknown) = current.iter().find(|v| !graph.revisions.contains_key(*v)) {
        return Err(CliError::usage(format!(
            "the database is at revision {unknown}, which no revision file defines; check version_locations, or whether this is the right database"
        )));
    }
    let heads: BTreeSet<&str> = graph.heads().iter().map(|r| r.id.as_str()).collect();
    let cur: BTreeSet<&str> = current.iter().map(String::as_str).collect();
    if heads != cur {
        let fmt = |s: &BTreeSet<&str>| {
            if s.is_empty() {
                "no revision".to_string()
            } else {
                s.iter().copied().collect::<Vec<_>>().join(", ")
            }
        };
        return Err(CliError::not_at_head(format!(
            "Target database is not up to date: it is at {}, the revision graph's heads are {}. Run `alembic upgrade head` first, or compare the migration history instead of this database with `migdiff check --replay`.",
            fmt(&cur),
            fmt(&heads)
        )));
    }
    Ok(())
}

fn print_timings(ctx: &Ctx, timings: &[(&str, std::time::Duration)]) {
    if ctx.global.verbose {
        for (name, d) in timings {
            eprintln!("{name}: {:.1} ms", d.as_secs_f64() * 1000.0);
        }
    }
}

async fn run(cli: Cli) -> Result<u8, CliError> {
    let dir =
        std::env::current_dir().map_err(|e| CliError::usage(format!("no current folder: {e}")))?;
    let project = settings::load(
        &dir,
        cli.global.config.as_deref(),
        cli.global.url.as_deref(),
    )?;
    let ctx = Ctx {
        global: cli.global,
        project,
    };
    // A misspelled provider is refused whatever the command, not only when
    // a throwaway database is needed.
    ctx.sandbox_provider()?;
    let mut stdout = anstream::stdout();
    match cli.command {
        Command::Snapshot { output, declared } => {
            let text = if declared {
                let dialect = ctx.dialect()?;
                let source = ctx.schema_source()?;
                // The database is not contacted: read as for a server
                // before PostgreSQL 18.
                let mut loaded =
                    declared::load(&source, dialect, None, &ctx.project.dir, &ctx.python_env())?;
                ctx.filter(&mut loaded.schema);
                snapshot::to_toml_with_hints(&loaded.schema, dialect, &loaded.hints)?
            } else {
                let url = ctx.url()?;
                let mut live = live::load(&url, &ctx.include_schemas(), None).await?;
                ctx.filter(&mut live.schema);
                drop_empty_schemas(&mut live.schema, &BTreeSet::new());
                snapshot::to_toml(&live.schema, url.dialect())?
            };
            match output {
                Some(path) => {
                    let path = ctx.project.dir.join(path);
                    write_file(&path, &text)?;
                    if !ctx.global.quiet {
                        eprintln!("Wrote {}", path.display());
                    }
                }
                None => {
                    let _ = stdout.write_all(text.as_bytes());
                }
            }
            Ok(0)
        }
        Command::Diff { format, show_diff } => {
            let c = compare(&ctx, false).await?;
            print_timings(&ctx, &c.timings);
            match format {
                DiffFormat::Text => {
                    let _ = report::text(&mut stdout, &c.ops, &c.unverified, "the declared schema");
                }
                DiffFormat::Json => {
                    let _ = writeln!(stdout, "{}", report::json(&c.ops, &c.unverified));
                }
                DiffFormat::Sql => {
                    for s in renderer(c.dialect).render_sql(&c.ops, &c.live.schema) {
                        let _ = writeln!(stdout, "{s};");
                    }
                }
                DiffFormat::Alembic => {
                    let opts = RenderOptions {
                        dialect: renderer(c.dialect),
                        batch: ctx.batch(c.dialect),
                        hints: Some(&c.hints),
                    };
                    let body = render_body(&c.ops, &c.live.schema, true, &opts);
                    let _ = writeln!(stdout, "{}", body.text);
                }
            }
            if show_diff && !c.ops.is_empty() {
                let _ = write!(
                    stdout,
                    "{}",
                    report::snapshot_diff(&c.ops, &c.live.schema, &c.declared, c.dialect)
                );
            }
            Ok(0)
        }
        Command::Check {
            format,
            show_diff,
            replay: true,
        } => with_ctrl_c(replay_check(&ctx, format, show_diff)).await,
        Command::Verify { rev } => with_ctrl_c(verify(&ctx, rev)).await,
        Command::Check {
            format, show_diff, ..
        } => {
            let c = compare(&ctx, true).await?;
            print_timings(&ctx, &c.timings);
            match format {
                CheckFormat::Text => {
                    let _ = report::text(&mut stdout, &c.ops, &c.unverified, "the declared schema");
                    if show_diff && !c.ops.is_empty() {
                        let _ = write!(
                            stdout,
                            "{}",
                            report::snapshot_diff(&c.ops, &c.live.schema, &c.declared, c.dialect)
                        );
                    }
                }
                CheckFormat::Json => {
                    let _ = writeln!(stdout, "{}", report::json(&c.ops, &c.unverified));
                }
            }
            let _ = c.url;
            // Unverified is not clean: CI must not pass what was not proven.
            Ok(if c.ops.is_empty() && c.unverified.is_empty() {
                0
            } else {
                1
            })
        }
        Command::Autogenerate {
            message,
            rev_id,
            head,
            sql,
            verify: prove,
        } => {
            let (code, written) = autogenerate(&ctx, &message, rev_id, head, sql).await?;
            match (prove, written) {
                (true, Some((path, rev))) => match with_ctrl_c(verify(&ctx, Some(rev))).await {
                    Ok(0) => Ok(0),
                    Ok(c) => {
                        let _ = std::fs::remove_file(&path);
                        eprintln!("verification failed: removed {}", path.display());
                        Ok(c)
                    }
                    Err(e) => {
                        let _ = std::fs::remove_file(&path);
                        Err(CliError {
                            message: format!(
                                "{}
verification failed: removed {}",
                                e.message,
                                path.display()
                            ),
                            code: e.code,
                        })
                    }
                },
                _ => Ok(code),
            }
        }
        Command::CatalogSql => {
            for q in migdiff_postgres::catalog_queries(150000) {
                let _ = writeln!(stdout, "{};", q.replace("$1", "'{public}'::text[]"));
            }
            Ok(0)
        }
        Command::Heads => {
            let graph = require_graph(&ctx)?;
            let _ = write!(stdout, "{}", graph.heads_text());
            Ok(0)
        }
        Command::History => {
            let graph = require_graph(&ctx)?;
            let _ = write!(stdout, "{}", graph.history_text(&[]));
            Ok(0)
        }
        Command::Current => {
            let graph = require_graph(&ctx)?;
            let url = ctx.url()?;
            let live = live::load(&url, &ctx.include_schemas(), Some(&ctx.version_table())).await?;
            let heads: BTreeSet<String> = graph.heads().iter().map(|r| r.id.clone()).collect();
            for v in live.versions.unwrap_or_default() {
                let mut line = v.clone();
                if heads.contains(&v) {
                    line.push_str(" (head)");
                }
                if graph.revisions.get(&v).is_some_and(|r| r.down.len() > 1) {
                    line.push_str(" (mergepoint)");
                }
                if !graph.revisions.contains_key(&v) {
                    return Err(CliError::usage(format!(
                        "the database is at revision {v}, which no revision file defines; check version_locations or the database"
                    )));
                }
                let _ = writeln!(stdout, "{line}");
            }
            Ok(0)
        }
    }
}

fn require_graph(ctx: &Ctx) -> Result<Graph, CliError> {
    ctx.graph()?.ok_or_else(|| {
        CliError::usage(format!(
            "no Alembic project in {}: no alembic.ini (or pyproject.toml [tool.alembic]); pass --config or run from the project folder",
            ctx.project.dir.display()
        ))
    })
}

fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
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

async fn autogenerate(
    ctx: &Ctx,
    message: &str,
    rev_id: Option<String>,
    head: Option<String>,
    sql: bool,
) -> Result<(u8, Option<(PathBuf, String)>), CliError> {
    let graph = require_graph(ctx)?;
    let Some(alembic) = ctx.project.alembic.clone() else {
        return Err(CliError::usage("no Alembic project"));
    };
    let down: Vec<String> = match &head {
        Some(h) => vec![graph.resolve(h)?.id.clone()],
        None => {
            let heads = graph.heads();
            if heads.len() > 1 {
                return Err(CliError::usage(format!(
                    "Multiple head revisions are present ({}); pass --head REV to build on one, or merge them with `alembic merge heads`",
                    heads
                        .iter()
                        .map(|r| r.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            heads.iter().map(|r| r.id.clone()).collect()
        }
    };
    let rev_id = match rev_id {
        Some(id) => {
            revision::check_rev_id(&id)?;
            if graph.revisions.contains_key(&id) {
                return Err(CliError::usage(format!(
                    "revision {id} already exists; choose another --rev-id"
                )));
            }
            id
        }
        None => revision::new_rev_id(),
    };
    let c = compare(ctx, head.is_none()).await?;
    if let Some(h) = &head {
        let current = c.live.versions.clone().unwrap_or_default();
        if !current.contains(h) && !down.iter().all(|d| current.contains(d)) {
            return Err(CliError::not_at_head(format!(
                "Target database is not up to date: it is not at {h}. Run `alembic upgrade {h}` first."
            )));
        }
    }
    print_timings(ctx, &c.timings);
    let mut out = anstream::stdout();
    if c.ops.is_empty() {
        let _ = writeln!(out, "No changes in schema detected.");
        return Ok((0, None));
    }
    let dialect_render = renderer(c.dialect);
    if sql {
        for s in dialect_render.render_sql(&c.ops, &c.live.schema) {
            let _ = writeln!(out, "{s};");
        }
        return Ok((0, None));
    }
    let opts = RenderOptions {
        dialect: dialect_render,
        batch: ctx.batch(c.dialect),
        hints: Some(&c.hints),
    };
    let bodies = migdiff_alembic::revision_bodies(&c.ops, &c.live.schema, &opts);
    let date = revision::create_date(alembic.timezone.as_deref())?;
    let slug = revision::slug(message, alembic.truncate_slug_length);
    let name = revision::file_name(&alembic.file_template, &rev_id, &slug, &date)?;
    let versions_dir = alembic
        .version_locations
        .first()
        .cloned()
        .unwrap_or_else(|| alembic.script_location.join("versions"));
    let path = versions_dir.join(name);
    let script = revision::render_script(
        Some(&alembic.script_location.join("script.py.mako")),
        &revision::NewRevision {
            rev_id: rev_id.clone(),
            message,
            down_revisions: down,
            imports: bodies.imports,
            upgrades: bodies.upgrades,
            downgrades: bodies.downgrades,
        },
        &date,
    )?;
    revision::write_new_file(&path, &script)?;
    let shown = path.canonicalize().unwrap_or(path);
    let _ = writeln!(out, "Generating {} ...  done", shown.display());
    if !alembic.post_write_hooks.is_empty() {
        let python = sqlalchemy::find_python(ctx.project.file.python.as_deref(), &ctx.project.dir);
        hooks::run(&alembic.post_write_hooks, &shown, &python, ctx.global.quiet)?;
    }
    Ok((0, Some((shown, rev_id))))
}

/// Runs a sandbox command. Ctrl-C, SIGTERM (what `timeout`, CI
/// cancellation and `docker stop` send) and SIGHUP drop it: the Alembic
/// child is killed and the sandbox removed in their Drop. The exit code is
/// 128 + the signal's number.
async fn with_ctrl_c<F>(f: F) -> Result<u8, CliError>
where
    F: std::future::Future<Output = Result<u8, CliError>>,
{
    use tokio::signal::unix::{SignalKind, signal};
    let stopped = |what: &str, code: u8| CliError {
        message: format!("{what}; the throwaway database was removed"),
        code,
    };
    let (Ok(mut term), Ok(mut hangup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        return tokio::select! {
            r = f => r,
            _ = tokio::signal::ctrl_c() => Err(stopped("interrupted", 130)),
        };
    };
    tokio::select! {
        r = f => r,
        _ = tokio::signal::ctrl_c() => Err(stopped("interrupted", 130)),
        _ = term.recv() => Err(stopped("terminated (SIGTERM)", 143)),
        _ = hangup.recv() => Err(stopped("hung up (SIGHUP)", 129)),
    }
}

impl Ctx {
    /// A sandbox for `dialect` from the provider `--sandbox` or config
    /// names (auto by default).
    async fn sandbox(
        &self,
        dialect: Dialect,
        server: Option<&str>,
        live_db: Option<&str>,
    ) -> Result<migdiff_sandbox::Sandbox, CliError> {
        replay::sandbox(dialect, server, live_db, self.sandbox_provider()?).await
    }

    /// `--sandbox`, else `sandbox` in config, else auto.
    fn sandbox_provider(&self) -> Result<migdiff_sandbox::Provider, CliError> {
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

    fn dialect_for_sandbox(&self) -> Result<(Dialect, Option<String>, Option<String>), CliError> {
        // (dialect, server for a temporary database, live database name)
        let dev = self
            .global
            .dev_url
            .clone()
            .or_else(|| self.project.file.dev_url.clone());
        match self.url() {
            Ok(u) => {
                let live_db = match &u {
                    DbUrl::Postgres { options, .. } => options.get_database().map(str::to_string),
                    DbUrl::Sqlite { .. } => None,
                };
                let server = dev.or_else(|| self.project.url.as_ref().map(|(u, _)| u.clone()));
                Ok((u.dialect(), server, live_db))
            }
            Err(e) => Ok((self.configured_dialect()?.ok_or(e)?, dev, None)),
        }
    }

    /// `--dialect`, else `dialect` in config.
    fn configured_dialect(&self) -> Result<Option<Dialect>, CliError> {
        match (self.global.dialect, &self.project.file.dialect) {
            (Some(d), _) => Ok(Some(d)),
            (None, Some(d)) => d.parse().map(Some).map_err(CliError::usage),
            (None, None) => Ok(None),
        }
    }

    /// The database URL's dialect, else the configured one; for commands
    /// that never connect. A configured dialect that contradicts the URL is
    /// an error.
    fn dialect(&self) -> Result<Dialect, CliError> {
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

    fn runner(&self, sandbox: &migdiff_sandbox::Sandbox) -> Result<replay::Runner, CliError> {
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
        replay::Runner::new(&alembic, &self.project.dir, python, sandbox, &settings)
    }

    /// The declared schema (filtered) for a server of `server_major`, when
    /// one is given (`--schema`, migdiff.toml).
    fn declared_for(
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
        self.filter(&mut d.schema);
        Ok(Some(d))
    }

    /// `declared`, read again for the throwaway database's major when its
    /// meaning depends on it (PostgreSQL 18 makes a generated column
    /// without STORED virtual).
    async fn declared_on_sandbox(
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
}

fn differences(a: &Schema, b: &Schema, options: &DiffOptions) -> Vec<Op> {
    let mut a = a.clone();
    drop_empty_schemas(&mut a, &b.schemas);
    diff(&a, b, options)
}

/// The declared schema with expressions PostgreSQL rewrites settled on the
/// sandbox's own server (a throwaway database there).
async fn settle_on_sandbox(
    built: &Schema,
    declared: &Schema,
    sandbox: &migdiff_sandbox::Sandbox,
) -> Result<(Schema, Vec<String>), CliError> {
    let mut declared = declared.clone();
    let url = replay::db_url_of(sandbox)?;
    let unverified = match &url {
        DbUrl::Postgres { options, .. } => {
            let db = options.get_database().unwrap_or_default().to_string();
            // A second throwaway database beside the sandbox's, on its server.
            settle::settle(
                built,
                &mut declared,
                Some(sandbox.url()),
                &db,
                migdiff_sandbox::Provider::Server,
            )
            .await?
        }
        DbUrl::Sqlite { .. } => Vec::new(),
    };
    Ok((declared, unverified))
}

async fn verify(ctx: &Ctx, rev: Option<String>) -> Result<u8, CliError> {
    let graph = require_graph(ctx)?;
    let target = match &rev {
        Some(r) => graph.resolve(r)?.clone(),
        None => graph.resolve("head")?.clone(),
    };
    let parent = match target.down.as_slice() {
        [] => "base".to_string(),
        [one] => one.clone(),
        _ => {
            return Err(CliError::usage(format!(
                "{} is a merge revision; verify one of its parents' branches instead",
                target.id
            )));
        }
    };
    let is_head = graph.heads().iter().any(|h| h.id == target.id);
    let (dialect, server, live_db) = ctx.dialect_for_sandbox()?;
    // Alembic's switches apply to the comparison with the declared schema;
    // a downgrade must restore the parent state exactly.
    let compare_options = ctx.diff_options(dialect);
    let declared = if is_head {
        ctx.declared_for(dialect, None)?
    } else {
        None
    };
    let sandbox = ctx
        .sandbox(dialect, server.as_deref(), live_db.as_deref())
        .await?;
    let declared = ctx.declared_on_sandbox(dialect, declared, &sandbox).await?;
    let runner = ctx.runner(&sandbox)?;
    let vt = ctx.version_table();
    let steps = replay::Steps {
        quiet: ctx.global.quiet,
    };
    if !ctx.global.quiet {
        println!(
            "Verifying {} in a {} ({})",
            target.id,
            sandbox.kind(),
            url::mask(sandbox.url())
        );
    }
    let mut failures: Vec<String> = Vec::new();
    let before = steps
        .run(&format!("upgrade to the parent ({parent})"), async {
            if parent != "base" {
                // The history before the revision failing is an error, not
                // a finding about the revision.
                runner
                    .alembic_chain(&["upgrade", &parent], graph.revisions.len())
                    .await
                    .map_err(|e| CliError::usage(e.message))?;
            }
            replay::read(&sandbox, &vt).await
        })
        .await?
        .0;
    let mut before = before;
    ctx.filter(&mut before);
    let (mut after, versions) = steps
        .run(&format!("upgrade to {}", target.id), async {
            runner.alembic(&["upgrade", &target.id]).await?;
            replay::read(&sandbox, &vt).await
        })
        .await?;
    replay::check_injected(&versions, &[target.id.as_str()], replay::sa_url_of(&runner))?;
    ctx.filter(&mut after);
    if let Some(d) = &declared {
        let (ops, unverified) = steps
            .run_compare("compare with the declared schema", async {
                let (d, unverified) = settle_on_sandbox(&after, d, &sandbox).await?;
                Ok((differences(&after, &d, &compare_options), unverified))
            })
            .await?;
        failures.extend(
            ops.iter()
                .map(|o| format!("after upgrade: {}", o.describe())),
        );
        failures.extend(unverified.iter().map(|u| format!("unverified: {u}")));
    }
    let down = if parent == "base" {
        "base".to_string()
    } else {
        parent.clone()
    };
    let mut restored = steps
        .run(&format!("downgrade to {down}"), async {
            runner.alembic(&["downgrade", &down]).await?;
            replay::read(&sandbox, &vt).await
        })
        .await?
        .0;
    ctx.filter(&mut restored);
    let (ops, _) = steps
        .run_compare("compare with the parent state", async {
            Ok((
                differences(&restored, &before, &DiffOptions::default()),
                Vec::<String>::new(),
            ))
        })
        .await?;
    failures.extend(
        ops.iter()
            .map(|o| format!("after downgrade: {}", o.describe())),
    );
    // A downgrade that left things behind often breaks the next upgrade:
    // reported with the rest, not instead of it.
    if let Err(e) = steps
        .run(&format!("upgrade to {} again", target.id), async {
            runner.alembic(&["upgrade", &target.id]).await
        })
        .await
    {
        failures.push(format!("upgrade again: {}", e.message));
    }
    drop(sandbox);
    if failures.is_empty() {
        if !ctx.global.quiet {
            println!(
                "Verified: {} upgrades, downgrades and upgrades again cleanly.",
                target.id
            );
        }
        Ok(0)
    } else {
        println!("Verification of {} failed:", target.id);
        for f in &failures {
            println!("  {f}");
        }
        Ok(1)
    }
}

async fn replay_check(ctx: &Ctx, format: CheckFormat, show_diff: bool) -> Result<u8, CliError> {
    let graph = require_graph(ctx)?;
    let (dialect, server, live_db) = ctx.dialect_for_sandbox()?;
    let Some(declared) = ctx.declared_for(dialect, None)? else {
        return Err(CliError::usage(
            "check --replay compares with a declared schema: pass --schema",
        ));
    };
    let sandbox = ctx
        .sandbox(dialect, server.as_deref(), live_db.as_deref())
        .await?;
    let Some(declared) = ctx
        .declared_on_sandbox(dialect, Some(declared), &sandbox)
        .await?
    else {
        return Err(CliError::usage(
            "check --replay compares with a declared schema: pass --schema",
        ));
    };
    if ctx.global.verbose {
        eprintln!(
            "replaying {} revisions in a {} ({})",
            graph.revisions.len(),
            sandbox.kind(),
            url::mask(sandbox.url())
        );
    }
    let runner = ctx.runner(&sandbox)?;
    let vt = ctx.version_table();
    if !graph.revisions.is_empty() {
        // The history failing to upgrade is an error, not drift.
        runner
            .alembic_chain(&["upgrade", "heads"], graph.revisions.len())
            .await
            .map_err(|e| CliError::usage(e.message))?;
    }
    let (mut built, versions) = replay::read(&sandbox, &vt).await?;
    let heads = graph.heads();
    let head_ids: Vec<&str> = heads.iter().map(|r| r.id.as_str()).collect();
    replay::check_injected(&versions, &head_ids, replay::sa_url_of(&runner))?;
    ctx.filter(&mut built);
    drop_empty_schemas(&mut built, &declared.schemas);
    let (declared, unverified) = settle_on_sandbox(&built, &declared, &sandbox).await?;
    drop(sandbox);
    let options = ctx.diff_options(dialect);
    let ops = diff(&built, &declared, &options);
    let mut stdout = anstream::stdout();
    match format {
        CheckFormat::Text => {
            let _ = report::text(
                &mut stdout,
                &ops,
                &unverified,
                "the declared schema (history replayed)",
            );
            if show_diff && !ops.is_empty() {
                let _ = write!(
                    stdout,
                    "{}",
                    report::snapshot_diff(&ops, &built, &declared, dialect)
                );
            }
        }
        CheckFormat::Json => {
            let _ = writeln!(stdout, "{}", report::json(&ops, &unverified));
        }
    }
    Ok(if ops.is_empty() && unverified.is_empty() {
        0
    } else {
        1
    })
}

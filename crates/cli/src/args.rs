//! The command line as clap parses it: global options and one subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "migdiff",
    version,
    about = "Alembic-compatible migration diffs for PostgreSQL, MySQL/MariaDB and SQLite"
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Args, Debug, Clone)]
pub(crate) struct Global {
    /// Database URL (sqlx or SQLAlchemy form). Default: $MIGDIFF_DATABASE_URL,
    /// $DATABASE_URL, migdiff.toml, then sqlalchemy.url in alembic.ini.
    #[arg(long, global = true)]
    pub(crate) url: Option<String>,
    /// Declared schema: a .sql file, a folder of .sql files or a .toml snapshot.
    #[arg(long, global = true)]
    pub(crate) schema: Option<String>,
    /// alembic.ini, pyproject.toml or migdiff.toml to read instead of the defaults.
    #[arg(long, short = 'c', global = true)]
    pub(crate) config: Option<PathBuf>,
    /// The dialect, when no database URL says it.
    #[arg(long, global = true)]
    pub(crate) dialect: Option<String>,
    /// Only these schemas (PostgreSQL). Repeatable.
    #[arg(long = "include-schema", global = true)]
    pub(crate) include_schema: Vec<String>,
    /// Leave out tables matching this glob (`name` or `schema.name`). Repeatable.
    #[arg(long = "exclude-table", global = true)]
    pub(crate) exclude_table: Vec<String>,
    /// A PostgreSQL server where migdiff may create scratch databases (to
    /// settle expressions the server rewrites). Default: the live server.
    #[arg(long = "dev-url", global = true)]
    pub(crate) dev_url: Option<String>,
    /// Where throwaway databases come from: auto (a temporary database on
    /// the dev or live server, else a private cluster, else Docker),
    /// server, cluster or docker. Default: `sandbox` in config, else auto.
    #[arg(long = "sandbox", global = true)]
    pub(crate) sandbox: Option<String>,
    /// Treat a column as renamed: `table.old=new`. Repeatable.
    #[arg(long = "rename-column", global = true)]
    pub(crate) rename_column: Vec<String>,
    /// Import SQLAlchemy models afresh instead of using the cached export.
    #[arg(long = "no-cache", global = true)]
    pub(crate) no_cache: bool,
    /// Less output.
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
    /// More output (phase timings).
    #[arg(short, long, global = true)]
    pub(crate) verbose: bool,
    /// Color: auto, always or never.
    #[arg(long, global = true, default_value = "auto")]
    pub(crate) color: ColorWhen,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub(crate) enum DiffFormat {
    Text,
    Json,
    Sql,
    Alembic,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub(crate) enum CheckFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
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
        /// Write the online-safe forms (PostgreSQL): indexes built and
        /// dropped CONCURRENTLY, constraints added NOT VALID and validated
        /// after the commit, SET NOT NULL through a validated check, a
        /// lock_timeout first. Default: `online` in migdiff.toml.
        #[arg(long, conflicts_with = "sql")]
        online: bool,
    },
    /// Lint revisions for steps that lock a busy table, rewrite it, lose
    /// data or break running code (PostgreSQL). Exit 1 on findings.
    Lint {
        /// Revision ids (or unique prefixes) or revision files. Default:
        /// the revisions not yet applied to the database.
        revs: Vec<String>,
        /// Every revision.
        #[arg(long, conflicts_with = "revs")]
        all: bool,
        #[arg(long, default_value = "text")]
        format: CheckFormat,
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

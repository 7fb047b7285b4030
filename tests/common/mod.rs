//! Test support: a fresh PostgreSQL database per test on the running server
//! (dropped afterwards), SQLite files in temporary folders, Alembic projects
//! run by the real, pinned Alembic in target/venv.
#![allow(dead_code)]

pub mod corpus;

use std::path::{Path, PathBuf};
use std::process::Command;

use migdiff_model::{Dialect, Schema};

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f)
}

/// The server tests create their databases on.
pub fn pg_base() -> String {
    std::env::var("MIGDIFF_TEST_PG_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432".into())
}

fn admin_url() -> String {
    format!("{}/postgres", pg_base().trim_end_matches('/'))
}

pub fn exec_pg(url: &str, sql: &str) {
    let url = url.replacen("postgresql://", "postgres://", 1);
    let sql = sql.to_string();
    block_on(async move {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL is required for this test ({url}): {e}"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{e}\n--- SQL ---\n{sql}"));
        let _ = c.close().await;
    });
}

/// A database of its own for one test; dropped when the value goes.
pub struct PgDb {
    pub name: String,
    pub url: String,
}

impl PgDb {
    pub fn new() -> PgDb {
        let name = format!("migdiff_test_{}", uuid::Uuid::new_v4().simple());
        exec_pg(
            &admin_url(),
            &format!("create database \"{name}\" template template0"),
        );
        let url = format!("{}/{}", pg_base().trim_end_matches('/'), name);
        PgDb { name, url }
    }

    pub fn exec(&self, sql: &str) {
        exec_pg(&self.url, sql);
    }

    pub fn schema(&self) -> Schema {
        let url = self.url.replacen("postgresql://", "postgres://", 1);
        block_on(async move {
            use std::str::FromStr;
            let opts = sqlx::postgres::PgConnectOptions::from_str(&url).expect("url");
            let mut c = migdiff_postgres::connect(opts, "test")
                .await
                .expect("connect");
            migdiff_postgres::introspect(&mut c, &Default::default())
                .await
                .expect("introspect")
                .schema
        })
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // A thread of its own: Drop may run inside another runtime.
        let _ = std::thread::spawn(move || {
            exec_pg(
                &admin_url(),
                &format!("drop database if exists \"{name}\" with (force)"),
            );
        })
        .join();
    }
}

/// A SQLite file in a temporary folder.
pub struct SqliteDb {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub url: String,
}

impl SqliteDb {
    pub fn new() -> SqliteDb {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("app.db");
        let url = format!("sqlite:///{}", path.display());
        let db = SqliteDb { dir, path, url };
        db.exec("select 1");
        db
    }

    pub fn exec(&self, sql: &str) {
        let path = self.path.clone();
        let sql = sql.to_string();
        block_on(async move {
            use sqlx::ConnectOptions;
            let mut c = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true)
                .connect()
                .await
                .expect("sqlite");
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&mut c)
                .await
                .unwrap_or_else(|e| panic!("{e}\n--- SQL ---\n{sql}"));
        });
    }

    pub fn schema(&self) -> Schema {
        let path = self.path.clone();
        block_on(async move {
            use sqlx::ConnectOptions;
            let mut c = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .connect()
                .await
                .expect("sqlite");
            migdiff_sqlite::introspect(&mut c, "alembic_version")
                .await
                .expect("introspect")
                .0
        })
    }
}

/// The MySQL or MariaDB server tests create their databases on.
pub fn mysql_base() -> String {
    std::env::var("MIGDIFF_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
        .trim_end_matches('/')
        .to_string()
}

/// Runs `sql` (several statements) on the MySQL database at `url`
/// (`mysql://` or SQLAlchemy's `mysql+pymysql://`).
pub fn exec_mysql(url: &str, sql: &str) {
    let url = url.replacen("mysql+pymysql://", "mysql://", 1);
    let sql = sql.to_string();
    block_on(async move {
        use sqlx::Connection;
        let mut c = sqlx::MySqlConnection::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("MySQL or MariaDB is required for this test ({url}): {e}"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{e}\n--- SQL ---\n{sql}"));
        let _ = c.close().await;
    });
}

/// A MySQL database of its own for one test; dropped when the value goes.
/// Its URL is SQLAlchemy's (PyMySQL), which Alembic and migdiff both take.
pub struct MyDb {
    pub name: String,
    pub url: String,
}

impl MyDb {
    pub fn new() -> MyDb {
        let name = format!("migdiff_test_{}", uuid::Uuid::new_v4().simple());
        exec_mysql(
            &mysql_base(),
            &format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"),
        );
        let base = mysql_base().replacen("mysql://", "mysql+pymysql://", 1);
        MyDb {
            url: format!("{base}/{name}"),
            name,
        }
    }

    pub fn exec(&self, sql: &str) {
        exec_mysql(&self.url, sql);
    }

    pub fn sqlalchemy_url(&self) -> String {
        self.url.clone()
    }
}

impl Drop for MyDb {
    fn drop(&mut self) {
        exec_mysql(
            &mysql_base(),
            &format!("DROP DATABASE IF EXISTS `{}`", self.name),
        );
    }
}

impl MyDb {
    pub fn schema(&self) -> Schema {
        let url = self.url.replacen("mysql+pymysql://", "mysql://", 1);
        block_on(async move {
            use sqlx::Connection;
            let mut c = sqlx::MySqlConnection::connect(&url).await.expect("connect");
            let server = migdiff_mysql::ServerInfo::ask(&mut c)
                .await
                .expect("version");
            migdiff_mysql::introspect(&mut c, &server, "alembic_version")
                .await
                .expect("introspect")
                .0
        })
    }
}

/// Any kind of test database.
pub enum TestDb {
    Pg(PgDb),
    Sqlite(SqliteDb),
    My(MyDb),
}

impl TestDb {
    pub fn new(dialect: Dialect) -> TestDb {
        if dialect == migdiff_sqlite::DIALECT {
            TestDb::Sqlite(SqliteDb::new())
        } else if dialect == migdiff_mysql::DIALECT {
            TestDb::My(MyDb::new())
        } else {
            TestDb::Pg(PgDb::new())
        }
    }
    pub fn url(&self) -> &str {
        match self {
            TestDb::Pg(d) => &d.url,
            TestDb::Sqlite(d) => &d.url,
            TestDb::My(d) => &d.url,
        }
    }
    pub fn exec(&self, sql: &str) {
        match self {
            TestDb::Pg(d) => d.exec(sql),
            TestDb::Sqlite(d) => d.exec(sql),
            TestDb::My(d) => d.exec(sql),
        }
    }
    pub fn schema(&self) -> Schema {
        match self {
            TestDb::Pg(d) => d.schema(),
            TestDb::Sqlite(d) => d.schema(),
            TestDb::My(d) => d.schema(),
        }
    }
}

pub fn parse(sql: &str, dialect: Dialect) -> Schema {
    migdiff_ddl::read_schema(
        &[migdiff_ddl::SourceFile {
            path: "test.sql".into(),
            text: sql.into(),
        }],
        dialect,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// The pinned Python with Alembic and SQLAlchemy (scripts/test.sh makes it).
pub fn python() -> PathBuf {
    let p = std::env::var("MIGDIFF_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/venv/bin/python")
        });
    assert!(
        p.exists(),
        "{} is missing: run scripts/test.sh, which installs the pinned Alembic",
        p.display()
    );
    p
}

/// The virtualenv of the pinned Python: what the throwaway runs use as the
/// project's (`VIRTUAL_ENV`).
pub fn venv() -> PathBuf {
    python()
        .parent()
        .and_then(|b| b.parent())
        .expect("the pinned Python lives in a virtualenv")
        .to_path_buf()
}

pub fn migdiff(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_migdiff"));
    c.current_dir(dir);
    c.env_remove("DATABASE_URL")
        .env_remove("MIGDIFF_DATABASE_URL")
        .env_remove("ALEMBIC_CONFIG");
    c
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(mut c: Command) -> Output {
    let o = c.output().expect("run");
    Output {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        stderr: String::from_utf8_lossy(&o.stderr).into(),
    }
}

const ENV_PY: &str = r#"
import importlib.util, os
from sqlalchemy import engine_from_config, pool
from alembic import context
config = context.config
target_metadata = None
if os.environ.get("MODELS_FILE"):
    spec = importlib.util.spec_from_file_location("target_models", os.environ["MODELS_FILE"])
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    target_metadata = mod.metadata if hasattr(mod, "metadata") else mod.Base.metadata
def run_migrations_online():
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}),
                                     prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          compare_server_default=True,
                          include_schemas=connection.dialect.name == "postgresql",
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
"#;

/// An Alembic project (alembic.ini, env.py, the stock script.py.mako, an
/// empty versions folder) pointing at `url`.
pub fn alembic_project(url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = dir.path().join("migrations");
    std::fs::create_dir_all(m.join("versions")).expect("mkdir");
    std::fs::write(m.join("env.py"), ENV_PY).expect("env.py");
    let template = python()
        .parent()
        .and_then(|b| b.parent())
        .map(|v| v.join("lib/python3.11/site-packages/alembic/templates/generic/script.py.mako"))
        .filter(|p| p.exists());
    let text = match template {
        Some(t) => std::fs::read_to_string(t).expect("template"),
        None => migdiff_alembic::template::DEFAULT_TEMPLATE.to_string(),
    };
    std::fs::write(m.join("script.py.mako"), text).expect("mako");
    std::fs::write(
        dir.path().join("alembic.ini"),
        format!(
            "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = {}\n",
            url.replace('%', "%%")
        ),
    )
    .expect("ini");
    dir
}

/// The text of the project's one revision file (empty when there is none).
pub fn only_revision(dir: &Path) -> String {
    std::fs::read_dir(dir.join("migrations/versions"))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .find(|e| e.path().extension().is_some_and(|x| x == "py"))
        .map(|e| std::fs::read_to_string(e.path()).expect("read"))
        .unwrap_or_default()
}

pub fn alembic(dir: &Path, args: &[&str]) -> Output {
    let mut c = Command::new(python());
    c.arg("-m").arg("alembic").args(args).current_dir(dir);
    c.env_remove("MODELS_FILE");
    run(c)
}

/// The diff between two schemas, as lines (empty when equal).
pub fn differences(current: &Schema, target: &Schema) -> Vec<String> {
    migdiff_model::diff(current, target, &Default::default())
        .iter()
        .map(|o| o.describe())
        .collect()
}

/// The major version of the PostgreSQL server at `url` (0 when it cannot
/// be asked).
pub fn server_major(url: &str) -> u32 {
    let o = Command::new("psql")
        .args([url, "-Atc", "show server_version_num"])
        .output()
        .expect("psql");
    String::from_utf8_lossy(&o.stdout)
        .trim()
        .parse::<u32>()
        .unwrap_or(0)
        / 10000
}

/// The case folders of the golden corpus (`tests/golden_corpus/`), sorted.
pub fn golden_corpus_cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden_corpus");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/golden_corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

//! Reading the live database: connect, introspect read-only, and read the
//! Alembic version table.

use std::time::{Duration, Instant};

use migdiff_model::Schema;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row};

use crate::error::CliError;
use crate::url::DbUrl;

pub struct Live {
    pub schema: Schema,
    pub queries: usize,
    /// Rows of the version table; `None` when it does not exist.
    pub versions: Option<Vec<String>>,
    pub connect_time: Duration,
    pub introspect_time: Duration,
    /// The server's major version (PostgreSQL; `None` for SQLite).
    pub server_major: Option<u32>,
}

pub struct VersionTable {
    pub schema: Option<String>,
    pub name: String,
}

fn pg_error(url: &DbUrl, e: &sqlx::Error) -> CliError {
    CliError::usage(format!(
        "{}: {}",
        url.display(),
        migdiff_postgres::server_error(e)
    ))
}

/// A PostgreSQL server that refused or failed the connection.
fn connect_error(url: &DbUrl, e: &sqlx::Error) -> CliError {
    CliError::usage(format!(
        "cannot connect to {}: {}. Check that the server is running, and the URL, user and password (from --url, MIGDIFF_DATABASE_URL, DATABASE_URL, migdiff.toml or alembic.ini).",
        url.display(),
        migdiff_postgres::server_error(e)
    ))
}

/// Connects with `options`, giving up after `timeout`.
async fn connect_within(
    options: &sqlx::postgres::PgConnectOptions,
    timeout: Duration,
    url: &DbUrl,
) -> Result<Result<sqlx::PgConnection, migdiff_postgres::PgError>, tokio::time::error::Elapsed> {
    tokio::time::timeout(
        timeout,
        migdiff_postgres::connect(options.clone(), url.display()),
    )
    .await
}

/// Introspects `url`; reads the version rows from `version` when given
/// (None: no Alembic project, or the table is filtered out: never read).
pub async fn load(
    url: &DbUrl,
    include_schemas: &[String],
    version: Option<&VersionTable>,
) -> Result<Live, CliError> {
    let unnamed = VersionTable {
        schema: None,
        name: "alembic_version".to_string(),
    };
    let (read_versions, version) = match version {
        Some(v) => (true, v),
        None => (false, &unnamed),
    };
    let started = Instant::now();
    match url {
        DbUrl::Postgres {
            options,
            connect_timeout,
            tls_fallback,
            ..
        } => {
            let mut options = (**options).clone();
            let mut connected = connect_within(&options, *connect_timeout, url).await;
            // Plain first on loopback; a server that wants TLS there (a
            // `hostssl` line) is asked again, as libpq's `prefer` would.
            if *tls_fallback
                && matches!(&connected, Ok(Err(migdiff_postgres::PgError::Connect { source, .. }))
                    if source.as_database_error().and_then(|e| e.code()).as_deref() == Some("28000"))
            {
                options = options.ssl_mode(sqlx::postgres::PgSslMode::Prefer);
                connected = connect_within(&options, *connect_timeout, url).await;
            }
            let mut conn = connected
                .map_err(|_| {
                    CliError::usage(format!(
                        "{}: no answer from the server within {} s; check the host and port (a proxy or firewall that accepts connections and never answers looks like this), or raise connect_timeout in migdiff.toml",
                        url.display(),
                        connect_timeout.as_secs_f64()
                    ))
                })?
                .map_err(|e| match e {
                    migdiff_postgres::PgError::Connect { source, .. } => connect_error(url, &source),
                    other => CliError::usage(other.to_string()),
                })?;
            let connect_time = started.elapsed();
            let server_major = conn.server_version_num().map(|v| v / 10000);
            let t = Instant::now();
            let opts = migdiff_postgres::IntrospectOptions {
                schemas: include_schemas.to_vec(),
                version_table: (version.schema.clone(), version.name.clone()),
                ..Default::default()
            };
            // A second connection lets the server run the catalog queries
            // on two cores; without one, they run one after the other.
            let mut second = connect_within(&options, *connect_timeout, url)
                .await
                .ok()
                .and_then(Result::ok);
            let result = migdiff_postgres::introspect_on(&mut conn, second.as_mut(), &opts)
                .await
                .map_err(|e| CliError::usage(format!("{}: {e}", url.display())))?;
            if let Some(c) = second {
                let _ = c.close().await;
            }
            let introspect_time = t.elapsed();
            let vt_schema = version.schema.clone().unwrap_or_else(|| "public".into());
            let qualified = format!(
                "{}.{}",
                migdiff_sqlexpr::quote_ident(&vt_schema, migdiff_postgres::DIALECT),
                migdiff_sqlexpr::quote_ident(&version.name, migdiff_postgres::DIALECT)
            );
            let exists: bool = read_versions
                && sqlx::query_scalar("select to_regclass($1) is not null")
                    .bind(&qualified)
                    .fetch_one(&mut conn)
                    .await
                    .map_err(|e| pg_error(url, &e))?;
            let versions = if exists {
                let sql = format!("select version_num from {qualified}");
                Some(
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                        .fetch_all(&mut conn)
                        .await
                        .map_err(|e| pg_error(url, &e))?,
                )
            } else {
                None
            };
            let _ = conn.close().await;
            Ok(Live {
                schema: result.schema,
                queries: result.queries,
                versions,
                connect_time,
                introspect_time,
                server_major,
            })
        }
        DbUrl::Sqlite { path, .. } => {
            if !path.exists() {
                return Err(CliError::usage(format!(
                    "SQLite database {} does not exist; check the URL (sqlite:///relative.db or sqlite:////absolute.db)",
                    path.display()
                )));
            }
            let mut conn = SqliteConnectOptions::new()
                .filename(path)
                .read_only(true)
                .create_if_missing(false)
                .busy_timeout(Duration::from_secs(5))
                .disable_statement_logging()
                .connect()
                .await
                .map_err(|e| {
                    CliError::usage(format!(
                        "cannot open the SQLite database {}: {e}. Check that the file is a SQLite database and readable by this user.",
                        path.display()
                    ))
                })?;
            let connect_time = started.elapsed();
            let t = Instant::now();
            let (schema, queries) = migdiff_sqlite::introspect(&mut conn, &version.name).await?;
            let introspect_time = t.elapsed();
            let exists: bool = read_versions
                && sqlx::query_scalar(
                    "select count(*) > 0 from sqlite_schema where type = 'table' and name = ?",
                )
                .bind(&version.name)
                .fetch_one(&mut conn)
                .await
                .map_err(|e| CliError::usage(format!("{}: {e}", url.display())))?;
            let versions = if exists {
                let sql = format!(
                    "select version_num from {}",
                    migdiff_sqlexpr::quote_ident(&version.name, migdiff_sqlite::DIALECT)
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&mut conn)
                    .await
                    .map_err(|e| CliError::usage(format!("{}: {e}", url.display())))?;
                Some(rows.iter().map(|r| r.get::<String, _>(0)).collect())
            } else {
                None
            };
            let _ = conn.close().await;
            Ok(Live {
                schema,
                queries,
                versions,
                connect_time,
                introspect_time,
                server_major: None,
            })
        }
    }
}

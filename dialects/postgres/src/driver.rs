//! PostgreSQL's driver: its URLs (libpq's and SQLAlchemy's spellings, Unix
//! sockets, plain first on loopback), reading a database read-only,
//! throwaway databases, and settling the expressions the server rewrites.

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use migdiff_driver::{
    BoxFuture, ConnectSettings, Driver, DriverError, Live, ReadRequest, Target, project_scheme,
};
use migdiff_model::{Dialect, Schema};
use migdiff_sandbox::{Provider, Sandbox};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgSslMode};

use crate::{DIALECT, PgError, Postgres};

/// The schemes a PostgreSQL URL may have (SQLAlchemy's `+driver` aside).
const SCHEMES: &[&str] = &["postgresql", "postgres", "pgsql"];

impl Driver for Postgres {
    fn dialect(&self) -> Dialect {
        DIALECT
    }
    fn url_schemes(&self) -> &'static [&'static str] {
        SCHEMES
    }
    fn example_url(&self) -> &'static str {
        "postgresql://user@host:port/db"
    }
    fn parse_url(
        &self,
        url: &str,
        display: &str,
        _base: &Path,
        settings: ConnectSettings,
    ) -> Result<Box<dyn Target>, DriverError> {
        PgTarget::parse(url, display, settings).map(|t| Box::new(t) as Box<dyn Target>)
    }
    fn sandbox<'a>(
        &'a self,
        server: Option<&'a str>,
        live_database: Option<&'a str>,
        provider: Provider,
    ) -> BoxFuture<'a, Result<Sandbox, DriverError>> {
        Box::pin(async move {
            migdiff_sandbox::postgres(server, live_database, provider)
                .await
                .map_err(|e| DriverError(e.to_string()))
        })
    }
    fn offline_url(&self) -> &'static str {
        "postgresql://offline.migdiff.invalid/offline"
    }
    fn sqlalchemy_url(&self, database_url: &str, project_url: Option<&str>) -> String {
        let scheme = match project_scheme(project_url, SCHEMES) {
            Some(s) if !s.eq_ignore_ascii_case("postgres") => s,
            _ => "postgresql",
        };
        format!(
            "{scheme}://{}",
            database_url.split("://").nth(1).unwrap_or("")
        )
    }
    fn settle<'a>(
        &'a self,
        live: &'a Schema,
        declared: &'a mut Schema,
        server: Option<&'a str>,
        live_database: &'a str,
        provider: Provider,
    ) -> BoxFuture<'a, Result<Vec<String>, DriverError>> {
        Box::pin(crate::settle::settle(
            live,
            declared,
            server,
            live_database,
            provider,
        ))
    }
    fn catalog_sql(&self) -> Vec<String> {
        crate::catalog_queries(150000)
            .into_iter()
            .map(|q| q.replace("$1", "'{public}'::text[]"))
            .collect()
    }
}

/// A parsed PostgreSQL URL.
#[derive(Debug)]
pub struct PgTarget {
    options: PgConnectOptions,
    display: String,
    /// How long connecting (and the server's startup answer) may take.
    connect_timeout: Duration,
    /// `options` skip TLS on a loopback host where the URL and
    /// `$PGSSLMODE` leave the mode to libpq's default (`prefer`): a server
    /// that then refuses plain connections is asked again with TLS (see
    /// `migdiff_sandbox::plain_on_loopback`).
    tls_fallback: bool,
}

impl Target for PgTarget {
    fn dialect(&self) -> Dialect {
        DIALECT
    }
    fn display(&self) -> &str {
        &self.display
    }
    fn database_name(&self) -> Option<String> {
        self.options.get_database().map(str::to_string)
    }
    fn read<'a>(
        &'a self,
        request: &'a ReadRequest<'a>,
    ) -> BoxFuture<'a, Result<Live, DriverError>> {
        Box::pin(self.read_now(request))
    }
}

fn pg_error(display: &str, e: &sqlx::Error) -> DriverError {
    DriverError(format!("{display}: {}", crate::server_error(e)))
}

/// A server that refused or failed the connection.
fn connect_error(display: &str, e: &sqlx::Error) -> DriverError {
    DriverError(format!(
        "cannot connect to {display}: {}. Check that the server is running, and the URL, user and password (from --url, MIGDIFF_DATABASE_URL, DATABASE_URL, migdiff.toml or alembic.ini).",
        crate::server_error(e)
    ))
}

/// Connects with `options`, giving up after `timeout`.
async fn connect_within(
    options: &PgConnectOptions,
    timeout: Duration,
    display: &str,
) -> Result<Result<sqlx::PgConnection, PgError>, tokio::time::error::Elapsed> {
    tokio::time::timeout(timeout, crate::connect(options.clone(), display)).await
}

impl PgTarget {
    /// Parses a PostgreSQL URL (libpq's and SQLAlchemy's spellings);
    /// `display` is it with the password masked.
    fn parse(url: &str, display: &str, settings: ConnectSettings) -> Result<PgTarget, DriverError> {
        let scheme_end = url.find("://").unwrap_or(0);
        let normalized = with_socket_host(&format!("postgres{}", &url[scheme_end..]));
        let mut options = PgConnectOptions::from_str(&normalized).map_err(|e| {
            DriverError(format!(
                "database URL `{display}`: {e}. Use {}",
                Postgres.example_url()
            ))
        })?;
        if !names_user(&normalized)
            && std::env::var("PGUSER").is_err()
            && let Some(user) = os_user()
        {
            options = options.username(&user);
        }
        let tls_fallback = migdiff_sandbox::plain_on_loopback(&normalized, &options);
        if tls_fallback {
            options = options.ssl_mode(PgSslMode::Disable);
        }
        Ok(PgTarget {
            options,
            display: display.to_string(),
            connect_timeout: settings.connect_timeout,
            tls_fallback,
        })
    }

    async fn read_now(&self, request: &ReadRequest<'_>) -> Result<Live, DriverError> {
        let version = request.version_table;
        let started = Instant::now();
        let mut options = self.options.clone();
        let mut connected = connect_within(&options, self.connect_timeout, &self.display).await;
        // Plain first on loopback; a server that wants TLS there (a
        // `hostssl` line) is asked again, as libpq's `prefer` would.
        if self.tls_fallback
            && matches!(&connected, Ok(Err(crate::PgError::Connect { source, .. }))
                if source.as_database_error().and_then(|e| e.code()).as_deref() == Some("28000"))
        {
            options = options.ssl_mode(sqlx::postgres::PgSslMode::Prefer);
            connected = connect_within(&options, self.connect_timeout, &self.display).await;
        }
        let mut conn = connected
            .map_err(|_| {
                DriverError(format!(
                "{}: no answer from the server within {} s; check the host and port (a proxy or firewall that accepts connections and never answers looks like this), or raise connect_timeout in migdiff.toml",
                self.display,
                self.connect_timeout.as_secs_f64()
                ))
            })?
            .map_err(|e| match e {
                crate::PgError::Connect { source, .. } => connect_error(&self.display, &source),
                other => DriverError(other.to_string()),
            })?;
        let connect_time = started.elapsed();
        let server_major = conn.server_version_num().map(|v| v / 10000);
        let t = Instant::now();
        let opts = crate::IntrospectOptions {
            schemas: request.include_schemas.to_vec(),
            version_table: (version.schema.clone(), version.name.clone()),
            ..Default::default()
        };
        // A second connection lets the server run the catalog queries
        // on two cores; without one, they run one after the other.
        let mut second = connect_within(&options, self.connect_timeout, &self.display)
            .await
            .ok()
            .and_then(Result::ok);
        let result = crate::introspect_on(&mut conn, second.as_mut(), &opts)
            .await
            .map_err(|e| DriverError(format!("{}: {e}", self.display)))?;
        if let Some(c) = second {
            let _ = c.close().await;
        }
        let introspect_time = t.elapsed();
        let vt_schema = version.schema.clone().unwrap_or_else(|| "public".into());
        let qualified = format!(
            "{}.{}",
            migdiff_sqlexpr::quote_ident(&vt_schema, crate::DIALECT),
            migdiff_sqlexpr::quote_ident(&version.name, crate::DIALECT)
        );
        let exists: bool = request.read_versions
            && sqlx::query_scalar("select to_regclass($1) is not null")
                .bind(&qualified)
                .fetch_one(&mut conn)
                .await
                .map_err(|e| pg_error(&self.display, &e))?;
        let versions = if exists {
            let sql = format!("select version_num from {qualified}");
            Some(
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&mut conn)
                    .await
                    .map_err(|e| pg_error(&self.display, &e))?,
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
}

/// libpq's Unix-socket forms, `postgresql://user@/db?host=/var/run/postgresql`
/// and `postgresql:///db`, have an empty host, which a URL parser refuses:
/// the host becomes `localhost` with the socket folder as `host=` (the one
/// the URL names, else the first of libpq's usual folders that holds the
/// port's socket; without one, TCP to localhost, as libpq falls back).
fn with_socket_host(url: &str) -> String {
    let Some(after) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let authority_end = url[after..]
        .find(['/', '?'])
        .map_or(url.len(), |i| after + i);
    let authority = &url[after..authority_end];
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let host_and_port = &authority[host_start..];
    if !host_and_port.is_empty() && !host_and_port.starts_with(':') {
        return url.to_string();
    }
    let port = host_and_port.strip_prefix(':').unwrap_or("5432");
    let query = url.find('?').map(|i| &url[i + 1..]).unwrap_or("");
    let names_socket = query
        .split('&')
        .any(|kv| kv.starts_with("host=") && kv[5..].starts_with(['/', '%']));
    let mut out = format!(
        "{}localhost{}",
        &url[..after + host_start],
        &url[after + host_start..]
    );
    if !names_socket
        && let Some(dir) = ["/var/run/postgresql", "/run/postgresql", "/tmp"]
            .into_iter()
            .find(|d| Path::new(d).join(format!(".s.PGSQL.{port}")).exists())
    {
        out.push(if query.is_empty() && !url.contains('?') {
            '?'
        } else {
            '&'
        });
        out.push_str("host=");
        out.push_str(dir);
    }
    out
}

/// Whether the URL's authority names a user (`user@host`).
fn names_user(url: &str) -> bool {
    let after = url.find("://").map_or(0, |i| i + 3);
    let authority = url[after..].split(['/', '?']).next().unwrap_or("");
    authority.contains('@') && !authority.starts_with('@')
}

/// The operating-system user, whom libpq connects as when the URL and
/// `$PGUSER` name nobody (sqlx would say "anonymous" where `$USER` is
/// unset, as in containers and CI jobs).
fn os_user() -> Option<String> {
    for var in ["USER", "LOGNAME"] {
        if let Ok(u) = std::env::var(var)
            && !u.is_empty()
        {
            return Some(u);
        }
    }
    let out = std::process::Command::new("id").arg("-un").output().ok()?;
    let name = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> PgTarget {
        PgTarget::parse(url, url, ConnectSettings::default())
            .unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn unix_socket_urls() {
        for url in [
            "postgresql://u@/db?host=/var/run/postgresql",
            "postgresql+psycopg://u@/db?host=/var/run/postgresql",
            "postgresql://u@:5433/db?host=/tmp",
        ] {
            let t = parse(url);
            assert_eq!(t.options.get_database(), Some("db"), "{url}");
            assert_eq!(t.options.get_username(), "u", "{url}");
            assert!(t.options.get_socket().is_some(), "{url}");
        }
        assert_eq!(
            with_socket_host("postgresql://u@h:5/db?host=/x"),
            "postgresql://u@h:5/db?host=/x"
        );
        assert!(with_socket_host("postgresql:///db").starts_with("postgresql://localhost/db"));
    }

    #[test]
    fn loopback_without_a_mode_connects_plain_first() {
        let fallback = |url: &str| parse(url).tls_fallback;
        if std::env::var_os("PGSSLMODE").is_none() {
            assert!(fallback("postgresql://u@127.0.0.1:5432/db"));
            assert!(fallback("postgresql://u@localhost/db"));
            assert!(fallback("postgresql://u@[::1]:5432/db"));
        }
        assert!(!fallback("postgresql://u@127.0.0.1/db?sslmode=require"));
        assert!(!fallback("postgresql://u@127.0.0.1/db?sslmode=prefer"));
        assert!(!fallback("postgresql://u@db.internal/db"));
        assert!(!fallback("postgresql://u@/db?host=/var/run/postgresql"));
    }

    #[test]
    fn the_throwaway_url_keeps_the_projects_driver() {
        let sandbox = Sandbox::Sqlite {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
            url: "postgres://u@h:5/t".into(),
        };
        assert_eq!(
            Postgres.sqlalchemy_url(sandbox.url(), Some("postgresql+asyncpg://x@y/z")),
            "postgresql+asyncpg://u@h:5/t"
        );
        assert_eq!(
            Postgres.sqlalchemy_url(sandbox.url(), Some("postgres://x@y/z")),
            "postgresql://u@h:5/t"
        );
        assert_eq!(
            Postgres.sqlalchemy_url(sandbox.url(), None),
            "postgresql://u@h:5/t"
        );
    }
}

//! MySQL's and MariaDB's driver: their URLs (`mysql://`, `mariadb://` and
//! SQLAlchemy's `+pymysql`, `+mysqldb`...), reading a database read-only,
//! and throwaway databases on the same server.

use std::path::Path;
use std::time::Instant;

use migdiff_driver::{
    BoxFuture, ConnectSettings, Driver, DriverError, Live, ReadRequest, Target, project_scheme,
};
use migdiff_model::Dialect;
use migdiff_sandbox::{Provider, Sandbox};
use sqlx::mysql::{MySqlConnectOptions, MySqlSslMode};
use sqlx::{ConnectOptions, Connection, Row};

use crate::{DIALECT, Flavour, Mysql, ServerInfo};

const SCHEMES: &[&str] = &["mysql", "mariadb"];

impl Driver for Mysql {
    fn dialect(&self) -> Dialect {
        DIALECT
    }
    fn url_schemes(&self) -> &'static [&'static str] {
        SCHEMES
    }
    fn example_url(&self) -> &'static str {
        "mysql://user@host:3306/db"
    }
    fn parse_url(
        &self,
        url: &str,
        display: &str,
        _base: &Path,
        settings: ConnectSettings,
    ) -> Result<Box<dyn Target>, DriverError> {
        MysqlTarget::parse(url, display, settings).map(|t| Box::new(t) as Box<dyn Target>)
    }
    fn sandbox<'a>(
        &'a self,
        server: Option<&'a str>,
        live_database: Option<&'a str>,
        provider: Provider,
    ) -> BoxFuture<'a, Result<Sandbox, DriverError>> {
        Box::pin(async move {
            migdiff_sandbox::mysql(server, live_database, provider)
                .await
                .map_err(|e| DriverError(e.to_string()))
        })
    }
    fn offline_url(&self) -> &'static str {
        "mysql://offline.migdiff.invalid/offline"
    }
    fn sqlalchemy_url(&self, database_url: &str, project_url: Option<&str>) -> String {
        // The project's own DBAPI driver where it names one; PyMySQL else
        // (SQLAlchemy's bare `mysql://` means mysqlclient).
        let scheme = match project_scheme(project_url, SCHEMES) {
            Some(s) => s.to_string(),
            None => "mysql+pymysql".to_string(),
        };
        format!(
            "{scheme}://{}",
            database_url.split("://").nth(1).unwrap_or("")
        )
    }
    fn catalog_sql(&self) -> Vec<String> {
        crate::catalog_queries(Flavour::MariaDb)
    }
}

/// A MySQL or MariaDB database.
#[derive(Debug)]
pub struct MysqlTarget {
    options: MySqlConnectOptions,
    database: String,
    display: String,
    settings: ConnectSettings,
}

fn is_loopback(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "localhost" | "::1" | "[::1]")
}

impl MysqlTarget {
    /// Parses `url`: `mysql[+driver]://user:password@host:port/database`,
    /// `?unix_socket=/path` for a socket; `display` is it with the password
    /// masked, for messages.
    pub fn parse(
        url: &str,
        display: &str,
        settings: ConnectSettings,
    ) -> Result<MysqlTarget, DriverError> {
        let bad = |why: String| {
            DriverError(format!(
                "database URL `{display}`: {why}. Use {}",
                Mysql.example_url()
            ))
        };
        let rest = url.split_once("://").map_or("", |(_, r)| r);
        let parsed = url::Url::parse(&format!("mysql://{rest}")).map_err(|e| bad(e.to_string()))?;
        let database = parsed.path().trim_start_matches('/').to_string();
        if database.is_empty() {
            return Err(bad("it names no database (…/dbname)".into()));
        }
        let decode = |s: &str| {
            url::form_urlencoded::parse(s.as_bytes())
                .next()
                .map(|(k, _)| k.into_owned())
                .unwrap_or_default()
        };
        let mut options = MySqlConnectOptions::new()
            .database(&decode(&database))
            .port(parsed.port().unwrap_or(3306));
        let host = parsed.host_str().unwrap_or("localhost").to_string();
        options = options.host(&host);
        if !parsed.username().is_empty() {
            options = options.username(&decode(parsed.username()));
        }
        if let Some(p) = parsed.password() {
            options = options.password(&decode(p));
        }
        for (key, value) in parsed.query_pairs() {
            if key == "unix_socket" {
                options = options.socket(value.as_ref());
            }
        }
        // No TLS on loopback: nothing to protect, and it costs a round trip.
        if is_loopback(&host) {
            options = options.ssl_mode(MySqlSslMode::Disabled);
        }
        Ok(MysqlTarget {
            options: options.disable_statement_logging(),
            database: decode(&database),
            display: display.to_string(),
            settings,
        })
    }

    async fn read_now(&self, request: &ReadRequest<'_>) -> Result<Live, DriverError> {
        let started = Instant::now();
        let fail = |e: String| DriverError(format!("{}: {e}", self.display));
        let mut conn = tokio::time::timeout(self.settings.connect_timeout, self.options.connect())
            .await
            .map_err(|_| {
                fail(format!(
                    "no answer within {} s; check the host and port, or raise connect_timeout in migdiff.toml",
                    self.settings.connect_timeout.as_secs()
                ))
            })?
            .map_err(|e| fail(crate::server_error(&e)))?;
        let connect_time = started.elapsed();
        let t = Instant::now();
        let server = ServerInfo::ask(&mut conn)
            .await
            .map_err(|e| fail(crate::server_error(&e)))?;
        // A catalog read that hangs must not make a CI gate hang.
        let timeout = match server.flavour {
            Flavour::MariaDb => "SET SESSION max_statement_time = 60",
            Flavour::Mysql => "SET SESSION max_execution_time = 60000",
        };
        sqlx::raw_sql(timeout)
            .execute(&mut conn)
            .await
            .map_err(|e| fail(crate::server_error(&e)))?;
        let (schema, queries) =
            crate::introspect::introspect(&mut conn, &server, &request.version_table.name)
                .await
                .map_err(|e| fail(e.0))?;
        let introspect_time = t.elapsed();
        let versions = if request.read_versions {
            self.versions(&mut conn, &request.version_table.name)
                .await
                .map_err(|e| fail(crate::server_error(&e)))?
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
            server_major: Some(server.major),
        })
    }

    async fn versions(
        &self,
        conn: &mut sqlx::MySqlConnection,
        table: &str,
    ) -> Result<Option<Vec<String>>, sqlx::Error> {
        let exists: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
        )
        .bind(table)
        .fetch_one(&mut *conn)
        .await?;
        if exists == 0 {
            return Ok(None);
        }
        let sql = format!(
            "SELECT version_num FROM {}",
            migdiff_sqlexpr::quote_ident(table, DIALECT)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await?;
        Ok(Some(
            rows.iter()
                .map(|r| r.try_get::<String, _>(0).unwrap_or_default())
                .collect(),
        ))
    }
}

impl Target for MysqlTarget {
    fn dialect(&self) -> Dialect {
        DIALECT
    }
    fn display(&self) -> &str {
        &self.display
    }
    fn database_name(&self) -> Option<String> {
        Some(self.database.clone())
    }
    fn read<'a>(
        &'a self,
        request: &'a ReadRequest<'a>,
    ) -> BoxFuture<'a, Result<Live, DriverError>> {
        Box::pin(self.read_now(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<MysqlTarget, DriverError> {
        MysqlTarget::parse(url, &migdiff_driver::mask(url), ConnectSettings::default())
    }

    #[test]
    fn urls_in_every_spelling() {
        let t = parse("mysql+pymysql://root:s%40cret@127.0.0.1:3307/app").unwrap();
        assert_eq!(t.database, "app");
        assert_eq!(t.options.get_port(), 3307);
        assert_eq!(t.options.get_username(), "root");
        assert!(!t.display.contains("s%40cret"), "{}", t.display);
        let t = parse("mariadb://u@db.example/shop?charset=utf8mb4").unwrap();
        assert_eq!(t.options.get_host(), "db.example");
        assert_eq!(t.options.get_port(), 3306);
        let e = parse("mysql://u:pw@h:3306/").unwrap_err();
        assert!(e.0.contains("no database") && !e.0.contains("pw@"), "{e}");
    }
}

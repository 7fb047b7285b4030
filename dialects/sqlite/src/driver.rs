//! SQLite's driver: `sqlite:///relative.db` and `sqlite:////absolute.db`,
//! read read-only, and a file for a throwaway database.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use migdiff_driver::{
    BoxFuture, ConnectSettings, Driver, DriverError, Live, ReadRequest, Target, project_scheme,
};
use migdiff_model::Dialect;
use migdiff_sandbox::{Provider, Sandbox};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row};

use crate::{DIALECT, Sqlite};

const SCHEMES: &[&str] = &["sqlite"];

impl Driver for Sqlite {
    fn dialect(&self) -> Dialect {
        DIALECT
    }
    fn url_schemes(&self) -> &'static [&'static str] {
        SCHEMES
    }
    fn example_url(&self) -> &'static str {
        "sqlite:///path.db"
    }
    fn parse_url(
        &self,
        url: &str,
        display: &str,
        base: &Path,
        _settings: ConnectSettings,
    ) -> Result<Box<dyn Target>, DriverError> {
        let path = file_path(url, display, base)?;
        Ok(Box::new(SqliteTarget {
            path,
            display: display.to_string(),
        }))
    }
    fn sandbox<'a>(
        &'a self,
        _server: Option<&'a str>,
        _live_database: Option<&'a str>,
        _provider: Provider,
    ) -> BoxFuture<'a, Result<Sandbox, DriverError>> {
        Box::pin(async { migdiff_sandbox::sqlite_file().map_err(|e| DriverError(e.to_string())) })
    }
    fn offline_url(&self) -> &'static str {
        "sqlite://:memory:"
    }
    fn sqlalchemy_url(&self, database_url: &str, project_url: Option<&str>) -> String {
        let path = database_url.strip_prefix("sqlite://").unwrap_or("");
        let scheme = project_scheme(project_url, SCHEMES).unwrap_or("sqlite");
        format!("{scheme}:///{path}")
    }
}

/// The file a SQLite URL names: `sqlite:///rel.db` is relative to `base`,
/// `sqlite:////abs.db` absolute; an in-memory database has no schema.
fn file_path(url: &str, display: &str, base: &Path) -> Result<PathBuf, DriverError> {
    let memory = || {
        DriverError(format!(
            "database URL `{display}`: an in-memory SQLite database has no schema to compare; give a file. Use {}",
            Sqlite.example_url()
        ))
    };
    let rest = url.split_once("://").map_or("", |(_, r)| r);
    let path_part = rest.split('?').next().unwrap_or("");
    Ok(match path_part.strip_prefix('/') {
        Some(p) if p.is_empty() || p == ":memory:" => return Err(memory()),
        Some(p) if p.starts_with('/') => PathBuf::from(p),
        Some(p) => base.join(p),
        None if path_part.is_empty() => return Err(memory()),
        None => base.join(path_part),
    })
}

/// A SQLite database file.
#[derive(Debug)]
pub struct SqliteTarget {
    path: PathBuf,
    display: String,
}

impl SqliteTarget {
    async fn read_now(&self, request: &ReadRequest<'_>) -> Result<Live, DriverError> {
        let version = request.version_table;
        let started = Instant::now();
        if !self.path.exists() {
            return Err(DriverError(format!(
                "SQLite database {} does not exist; check the URL (sqlite:///relative.db or sqlite:////absolute.db)",
                self.path.display()
            )));
        }
        let mut conn = SqliteConnectOptions::new()
                .filename(&self.path)
                .read_only(true)
                .create_if_missing(false)
                .busy_timeout(Duration::from_secs(5))
                .disable_statement_logging()
                .connect()
                .await
                .map_err(|e| {
                    DriverError(format!(
                        "cannot open the SQLite database {}: {e}. Check that the file is a SQLite database and readable by this user.",
                        self.path.display()
                    ))
                })?;
        let connect_time = started.elapsed();
        let t = Instant::now();
        let (schema, queries) = crate::introspect(&mut conn, &version.name)
            .await
            .map_err(|e| DriverError(e.to_string()))?;
        let introspect_time = t.elapsed();
        let exists: bool = request.read_versions
            && sqlx::query_scalar(
                "select count(*) > 0 from sqlite_schema where type = 'table' and name = ?",
            )
            .bind(&version.name)
            .fetch_one(&mut conn)
            .await
            .map_err(|e| DriverError(format!("{}: {e}", self.display)))?;
        let versions = if exists {
            let sql = format!(
                "select version_num from {}",
                migdiff_sqlexpr::quote_ident(&version.name, crate::DIALECT)
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut conn)
                .await
                .map_err(|e| DriverError(format!("{}: {e}", self.display)))?;
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

impl Target for SqliteTarget {
    fn dialect(&self) -> Dialect {
        DIALECT
    }
    fn display(&self) -> &str {
        &self.display
    }
    fn database_name(&self) -> Option<String> {
        None
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

    fn path_of(url: &str) -> Result<PathBuf, DriverError> {
        file_path(url, url, Path::new("/base"))
    }

    #[test]
    fn relative_and_absolute_files() {
        assert_eq!(
            path_of("sqlite:///rel.db").unwrap(),
            PathBuf::from("/base/rel.db")
        );
        assert_eq!(
            path_of("sqlite:////abs/x.db").unwrap(),
            PathBuf::from("/abs/x.db")
        );
        let e = path_of("sqlite://").unwrap_err();
        assert!(e.0.contains("in-memory"), "{e}");
        assert!(path_of("sqlite:///:memory:").is_err());
    }
}

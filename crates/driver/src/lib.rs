//! The I/O half of the dialect seam. [`migdiff_model::DialectSpec`] says
//! what a dialect's SQL means; a [`Driver`] does what needs the database:
//! it parses the dialect's URLs, reads a database (schema and Alembic
//! version rows, read-only), makes throwaway databases, and settles the
//! expressions its server rewrites. Each `dialects/*` crate implements one;
//! the command line's registry lists them and never asks which it has.
//!
//! Errors are messages (exit 2 at the command line): what went wrong with
//! which database, and what to do.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use migdiff_model::{Dialect, Schema};
use migdiff_sandbox::{Provider, Sandbox};

/// A future a driver returns (drivers are trait objects).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What went wrong, worded for the user: it names the database (password
/// masked) and says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverError(pub String);

impl std::fmt::Display for DriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DriverError {}

/// A server that accepts the connection and never answers must not make
/// a CI gate hang: connecting gives up after this long (`connect_timeout`
/// in migdiff.toml changes it).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How to connect, beyond the URL.
#[derive(Debug, Clone, Copy)]
pub struct ConnectSettings {
    pub connect_timeout: Duration,
}

impl Default for ConnectSettings {
    fn default() -> Self {
        ConnectSettings {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

/// Alembic's version table: where it is and what it is called.
#[derive(Debug, Clone)]
pub struct VersionTable {
    pub schema: Option<String>,
    pub name: String,
}

/// What to read from a database.
pub struct ReadRequest<'a> {
    /// Only these schemas (empty: all but the system ones).
    pub include_schemas: &'a [String],
    /// The version table: always left out of the schema; its rows are read
    /// when `read_versions`.
    pub version_table: &'a VersionTable,
    pub read_versions: bool,
}

/// A database as read.
pub struct Live {
    pub schema: Schema,
    /// Catalog queries it took.
    pub queries: usize,
    /// Rows of the version table; `None` when it does not exist (or was
    /// not to be read).
    pub versions: Option<Vec<String>>,
    pub connect_time: Duration,
    pub introspect_time: Duration,
    /// The server's major version, where the dialect has one that changes
    /// what DDL means.
    pub server_major: Option<u32>,
}

/// A database URL a driver has parsed.
pub trait Target: Send + Sync {
    fn dialect(&self) -> Dialect;
    /// The URL with any password masked, for messages.
    fn display(&self) -> &str;
    /// The database's name on its server, where a server holds several
    /// (throwaway databases are made beside it, and never under its name).
    fn database_name(&self) -> Option<String>;
    /// Reads the schema (and the version rows), read-only.
    fn read<'a>(&'a self, request: &'a ReadRequest<'a>)
    -> BoxFuture<'a, Result<Live, DriverError>>;
}

/// What a dialect does with databases.
pub trait Driver: Send + Sync + 'static {
    fn dialect(&self) -> Dialect;
    /// URL schemes (before any SQLAlchemy `+driver`) that name this
    /// dialect: `postgresql`, `postgres`.
    fn url_schemes(&self) -> &'static [&'static str];
    /// An example URL, for messages: `postgresql://user@host:port/db`.
    fn example_url(&self) -> &'static str;
    /// Parses `url` (relative paths against `base`). `display` is the URL
    /// with its password masked, for messages.
    fn parse_url(
        &self,
        url: &str,
        display: &str,
        base: &Path,
        settings: ConnectSettings,
    ) -> Result<Box<dyn Target>, DriverError>;
    /// A throwaway database: on `server` (a URL) beside `live_database`, or
    /// wherever `provider` allows.
    fn sandbox<'a>(
        &'a self,
        server: Option<&'a str>,
        live_database: Option<&'a str>,
        provider: Provider,
    ) -> BoxFuture<'a, Result<Sandbox, DriverError>>;
    /// A database (`database_url`, in this driver's form: a throwaway
    /// database's or [`Driver::offline_url`]) as a SQLAlchemy URL for the
    /// project's env.py, keeping the driver of `project_url` (`+asyncpg`,
    /// `+aiosqlite`).
    fn sqlalchemy_url(&self, database_url: &str, project_url: Option<&str>) -> String;
    /// A URL that names the dialect and no database anyone has: Alembic's
    /// offline mode (`--sql`) reads only the dialect from it, and the
    /// runner's guard lets env.py connect to nothing else.
    fn offline_url(&self) -> &'static str;
    /// Replaces declared expressions the server would store differently
    /// with the server's own text, found in a throwaway database (on
    /// `server` or as `provider` allows). Returns what could not be settled
    /// (reported unverified, never drift). Dialects whose expressions the
    /// offline normalization already settles have nothing to do.
    fn settle<'a>(
        &'a self,
        _live: &'a Schema,
        _declared: &'a mut Schema,
        _server: Option<&'a str>,
        _live_database: &'a str,
        _provider: Provider,
    ) -> BoxFuture<'a, Result<Vec<String>, DriverError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    /// The catalog queries, for the benchmark's floor (hidden command).
    fn catalog_sql(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Replaces the password in a URL-looking string with `***`.
pub fn mask(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let auth = &rest[..auth_end];
    match auth.rfind('@') {
        Some(at) => {
            let userinfo = &auth[..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &rest[at..]
                ),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

/// The scheme of `project_url` when its backend is one of `schemes` (its
/// SQLAlchemy driver kept): what a throwaway URL is written with.
pub fn project_scheme<'a>(project_url: Option<&'a str>, schemes: &[&str]) -> Option<&'a str> {
    let scheme = project_url?.split("://").next()?;
    let base = scheme.split('+').next()?;
    schemes
        .iter()
        .any(|s| s.eq_ignore_ascii_case(base))
        .then_some(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_passwords() {
        assert_eq!(
            mask("postgresql://u:secret@h:5432/db"),
            "postgresql://u:***@h:5432/db"
        );
        assert_eq!(mask("postgresql://u@h/db"), "postgresql://u@h/db");
        assert_eq!(mask("sqlite:///x.db"), "sqlite:///x.db");
    }

    #[test]
    fn project_schemes_keep_their_driver() {
        let pg = &["postgresql", "postgres"];
        assert_eq!(
            project_scheme(Some("postgresql+asyncpg://u@h/db"), pg),
            Some("postgresql+asyncpg")
        );
        assert_eq!(project_scheme(Some("sqlite:///x.db"), pg), None);
        assert_eq!(project_scheme(None, pg), None);
    }
}

//! Database URLs: sqlx's and SQLAlchemy's spellings, with the password
//! masked in every message.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use migdiff_model::Dialect;
use sqlx::postgres::{PgConnectOptions, PgSslMode};

use crate::error::CliError;

/// A parsed database URL.
#[derive(Debug, Clone)]
pub enum DbUrl {
    Postgres {
        options: Box<PgConnectOptions>,
        display: String,
        /// How long connecting (and the server's startup answer) may take.
        connect_timeout: std::time::Duration,
        /// `options` skip TLS on a loopback host where the URL and
        /// `$PGSSLMODE` leave the mode to libpq's default (`prefer`): a
        /// server that then refuses plain connections is asked again with
        /// TLS (see [`plain_on_loopback`]).
        tls_fallback: bool,
    },
    Sqlite {
        path: PathBuf,
        display: String,
    },
}

impl DbUrl {
    pub fn dialect(&self) -> Dialect {
        match self {
            DbUrl::Postgres { .. } => migdiff_postgres::DIALECT,
            DbUrl::Sqlite { .. } => migdiff_sqlite::DIALECT,
        }
    }

    /// The URL with any password replaced by `***`.
    pub fn display(&self) -> &str {
        match self {
            DbUrl::Postgres { display, .. } | DbUrl::Sqlite { display, .. } => display,
        }
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

/// A server that accepts the connection and never answers must not make
/// a CI gate hang: connecting gives up after this long (`connect_timeout`
/// in migdiff.toml changes it).
pub const DEFAULT_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

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
/// Whether to connect without TLS first: the host is this machine (TLS
/// there protects nothing) and nobody chose a mode. sqlx's TLS handshake
/// costs about 90 ms a connection (its socket waits on delayed ACKs), and
/// a check makes two; libpq's `prefer` would negotiate it.
fn plain_on_loopback(url: &str, options: &PgConnectOptions) -> bool {
    let host = options.get_host().trim_matches(['[', ']']);
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let chosen = query
        .split('&')
        .any(|kv| kv.to_ascii_lowercase().starts_with("sslmode="))
        || std::env::var_os("PGSSLMODE").is_some();
    loopback && !chosen && options.get_socket().is_none()
}

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

/// Parses `url` (relative SQLite paths against `base`).
pub fn parse(url: &str, base: &Path) -> Result<DbUrl, CliError> {
    let display = mask(url);
    let bad = |why: &str| {
        CliError::usage(format!(
            "database URL `{display}`: {why}. Use postgresql://user@host:port/db or sqlite:///path.db"
        ))
    };
    let Some(scheme_end) = url.find("://") else {
        return Err(bad("not a URL"));
    };
    let scheme = &url[..scheme_end];
    // SQLAlchemy's `dialect+driver`: the driver does not matter here.
    let dialect = scheme
        .split('+')
        .next()
        .unwrap_or(scheme)
        .to_ascii_lowercase();
    match dialect.as_str() {
        "postgresql" | "postgres" | "pgsql" => {
            let normalized = with_socket_host(&format!("postgres{}", &url[scheme_end..]));
            let mut options =
                PgConnectOptions::from_str(&normalized).map_err(|e| bad(&e.to_string()))?;
            if !names_user(&normalized)
                && std::env::var("PGUSER").is_err()
                && let Some(user) = os_user()
            {
                options = options.username(&user);
            }
            let tls_fallback = plain_on_loopback(&normalized, &options);
            if tls_fallback {
                options = options.ssl_mode(PgSslMode::Disable);
            }
            Ok(DbUrl::Postgres {
                options: Box::new(options),
                display,
                connect_timeout: DEFAULT_CONNECT_TIMEOUT,
                tls_fallback,
            })
        }
        "sqlite" => {
            // sqlite:///rel.db is relative, sqlite:////abs.db absolute.
            let rest = &url[scheme_end + 3..];
            let path_part = rest.split('?').next().unwrap_or("");
            let path = match path_part.strip_prefix('/') {
                Some(p) if p.is_empty() || p == ":memory:" => {
                    return Err(bad(
                        "an in-memory SQLite database has no schema to compare; give a file",
                    ));
                }
                Some(p) if p.starts_with('/') => PathBuf::from(p),
                Some(p) => base.join(p),
                None if path_part.is_empty() => {
                    return Err(bad(
                        "an in-memory SQLite database has no schema to compare; give a file",
                    ));
                }
                None => base.join(path_part),
            };
            Ok(DbUrl::Sqlite { path, display })
        }
        other => Err(bad(&format!("unknown scheme `{other}`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_passwords() {
        assert_eq!(
            mask("postgresql://u:secret@h:5/db"),
            "postgresql://u:***@h:5/db"
        );
        assert_eq!(mask("postgresql://u@h/db"), "postgresql://u@h/db");
        assert_eq!(mask("sqlite:///x.db"), "sqlite:///x.db");
    }

    #[test]
    fn unix_socket_urls() {
        let base = Path::new("/base");
        for url in [
            "postgresql://u@/db?host=/var/run/postgresql",
            "postgresql+psycopg://u@/db?host=/var/run/postgresql",
            "postgresql://u@:5433/db?host=/tmp",
        ] {
            match parse(url, base).unwrap() {
                DbUrl::Postgres { options, .. } => {
                    assert_eq!(options.get_database(), Some("db"), "{url}");
                    assert_eq!(options.get_username(), "u", "{url}");
                    assert!(options.get_socket().is_some(), "{url}");
                }
                _ => panic!("{url}"),
            }
        }
        assert_eq!(
            with_socket_host("postgresql://u@h:5/db?host=/x"),
            "postgresql://u@h:5/db?host=/x"
        );
        assert!(with_socket_host("postgresql:///db").starts_with("postgresql://localhost/db"));
    }

    #[test]
    fn loopback_without_a_mode_connects_plain_first() {
        let base = Path::new("/base");
        let fallback = |url: &str| match parse(url, base).unwrap() {
            DbUrl::Postgres { tls_fallback, .. } => tls_fallback,
            _ => panic!("{url}"),
        };
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
    fn sqlalchemy_urls() {
        let base = Path::new("/base");
        assert!(matches!(
            parse("postgresql+psycopg2://u@h/db", base).unwrap(),
            DbUrl::Postgres { .. }
        ));
        match parse("sqlite:///rel.db", base).unwrap() {
            DbUrl::Sqlite { path, .. } => assert_eq!(path, PathBuf::from("/base/rel.db")),
            _ => panic!(),
        }
        match parse("sqlite:////abs/x.db", base).unwrap() {
            DbUrl::Sqlite { path, .. } => assert_eq!(path, PathBuf::from("/abs/x.db")),
            _ => panic!(),
        }
        let e = parse("mysql://u:pw@h/db", base).unwrap_err();
        assert!(
            e.message.contains("***") && !e.message.contains("pw@"),
            "{}",
            e.message
        );
    }
}

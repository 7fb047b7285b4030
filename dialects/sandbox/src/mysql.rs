//! Throwaway databases on a MySQL or MariaDB server: `migdiff_tmp_<epoch>_<rand>`
//! beside the live database, dropped when the sandbox is, and swept when a
//! crashed run left one older than an hour. MySQL has no private-cluster or
//! container provider here: the server (the dev URL or the live one) must
//! let the user create databases.

use sqlx::mysql::MySqlConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::{Provider, Sandbox, SandboxError, is_stale, throwaway_name};

/// The name of a throwaway database, as the server quotes it.
fn quoted(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `DROP DATABASE` for a throwaway database.
pub(crate) fn drop_sql(name: &str) -> String {
    format!("DROP DATABASE IF EXISTS {}", quoted(name))
}

/// Drops `migdiff_tmp_<epoch>_*` databases older than an hour.
async fn sweep(c: &mut sqlx::MySqlConnection) {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'migdiff\\_tmp\\_%'",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap_or_default();
    for name in names {
        if is_stale(&name) {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(drop_sql(&name)))
                .execute(&mut *c)
                .await;
        }
    }
}

/// A throwaway database on the MySQL server `server` (a URL; its database
/// part is ignored), never named `live_database`.
pub async fn mysql(
    server: Option<&str>,
    live_database: Option<&str>,
    provider: Provider,
) -> Result<Sandbox, SandboxError> {
    let no_server = |message: &str| SandboxError::TempDatabase {
        server: "(none)".to_string(),
        message: message.to_string(),
    };
    if matches!(provider, Provider::Cluster | Provider::Docker) {
        return Err(no_server(
            "MySQL throwaway databases are made on a server: use --sandbox server (or auto) with --dev-url or the live URL",
        ));
    }
    let server = server.ok_or_else(|| no_server("no server: pass --dev-url or a live --url"))?;
    let mut parsed = url::Url::parse(server).map_err(|e| no_server(&e.to_string()))?;
    parsed.set_path("");
    let _ = parsed.set_scheme("mysql");
    let admin: MySqlConnectOptions = parsed
        .as_str()
        .parse()
        .map_err(|e: sqlx::Error| no_server(&e.to_string()))?;
    let admin = if parsed
        .host_str()
        .is_some_and(|h| h == "127.0.0.1" || h == "localhost" || h == "::1")
    {
        admin.ssl_mode(sqlx::mysql::MySqlSslMode::Disabled)
    } else {
        admin
    };
    let name = throwaway_name();
    if live_database == Some(name.as_str()) {
        return Err(SandboxError::LiveDatabase(name));
    }
    let display = format!(
        "{}:{}",
        parsed.host_str().unwrap_or("localhost"),
        parsed.port().unwrap_or(3306)
    );
    let err = |message: String| SandboxError::TempDatabase {
        server: display.clone(),
        message,
    };
    let mut c = admin
        .clone()
        .disable_statement_logging()
        .connect()
        .await
        .map_err(|e| err(crate::server_error(&e)))?;
    sweep(&mut c).await;
    let create = format!("CREATE DATABASE {} CHARACTER SET utf8mb4", quoted(&name));
    sqlx::raw_sql(sqlx::AssertSqlSafe(create))
        .execute(&mut c)
        .await
        .map_err(|e| err(crate::server_error(&e)))?;
    let _ = c.close().await;
    parsed.set_path(&format!("/{name}"));
    Ok(Sandbox::Mysql {
        admin: Box::new(admin),
        name,
        url: parsed.to_string(),
    })
}

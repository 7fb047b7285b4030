//! Throwaway databases. Providers, in the order `auto` tries them: a
//! temporary database on a PostgreSQL server (`migdiff_tmp_<epoch>_<rand>`,
//! from template0, dropped WITH (FORCE)); a private cluster from the local
//! `initdb`/`pg_ctl`; a SQLite file in a temporary folder. A sandbox is
//! cleaned up when dropped (success, error, or Ctrl-C through the caller's
//! signal handler), stale `migdiff_tmp_*` databases older than an hour are
//! swept, and a provider never hands out the live URL's own database.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot create a temporary database on {server}: {message}")]
    TempDatabase { server: String, message: String },
    #[error(
        "no PostgreSQL server binaries (initdb, pg_ctl) found on PATH or under /usr/lib/postgresql/*/bin; install PostgreSQL or pass --dev-url"
    )]
    NoBinaries,
    #[error("the private cluster did not start: {0}")]
    Cluster(String),
    #[error("refusing to use the live database `{0}` as a sandbox")]
    LiveDatabase(String),
    #[error("migdiff was built without the `docker` feature; use --dev-url or install PostgreSQL")]
    NoDocker,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Which database a sandbox is.
pub enum Sandbox {
    /// A database of its own on an existing server.
    TempDatabase {
        admin: Box<PgConnectOptions>,
        name: String,
        url: String,
    },
    /// A private cluster in a temporary folder.
    Cluster {
        dir: tempfile::TempDir,
        pg_ctl: PathBuf,
        as_user: Option<String>,
        url: String,
    },
    Sqlite {
        dir: tempfile::TempDir,
        url: String,
    },
}

impl Sandbox {
    /// The sandbox as a sqlx URL (`postgres://…` or `sqlite://…`).
    pub fn url(&self) -> &str {
        match self {
            Sandbox::TempDatabase { url, .. }
            | Sandbox::Cluster { url, .. }
            | Sandbox::Sqlite { url, .. } => url,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Sandbox::TempDatabase { .. } => "temporary database",
            Sandbox::Cluster { .. } => "private cluster",
            Sandbox::Sqlite { .. } => "SQLite file",
        }
    }
}

fn epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Runs a future to completion from synchronous code (Drop), on a thread
/// of its own so it works inside or outside a runtime.
fn block_on_thread<F>(f: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let _ = std::thread::spawn(move || {
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            rt.block_on(f);
        }
    })
    .join();
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        match self {
            Sandbox::TempDatabase { admin, name, .. } => {
                let admin = (**admin).clone();
                let sql = format!("drop database if exists \"{name}\" with (force)");
                block_on_thread(async move {
                    if let Ok(mut c) = admin.disable_statement_logging().connect().await {
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                            .execute(&mut c)
                            .await;
                        let _ = c.close().await;
                    }
                });
            }
            Sandbox::Cluster {
                dir,
                pg_ctl,
                as_user,
                ..
            } => {
                let data = dir.path().join("data");
                let _ = run_as(
                    as_user.as_deref(),
                    pg_ctl,
                    &[
                        "-D",
                        &data.to_string_lossy(),
                        "-m",
                        "immediate",
                        "-w",
                        "stop",
                    ],
                )
                .output();
            }
            Sandbox::Sqlite { .. } => {}
        }
    }
}

/// Drops `migdiff_tmp_<epoch>_*` databases older than an hour.
pub async fn sweep(admin: &PgConnectOptions) {
    let Ok(mut c) = admin.clone().disable_statement_logging().connect().await else {
        return;
    };
    let names: Vec<String> = sqlx::query_scalar(
        "select datname::text from pg_database where datname like 'migdiff\\_tmp\\_%'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap_or_default();
    for name in names {
        let old = name
            .strip_prefix("migdiff_tmp_")
            .and_then(|r| r.split('_').next())
            .and_then(|e| e.parse::<u64>().ok())
            .is_some_and(|e| epoch().saturating_sub(e) > 3600);
        if old {
            let sql = format!("drop database if exists \"{name}\" with (force)");
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut c)
                .await;
        }
    }
    let _ = c.close().await;
}

/// A temporary database on the server `admin` connects to.
pub async fn temp_database(
    admin: &PgConnectOptions,
    live_database: Option<&str>,
) -> Result<Sandbox, SandboxError> {
    sweep(admin).await;
    let name = format!(
        "migdiff_tmp_{}_{}",
        epoch(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    if live_database == Some(name.as_str()) {
        return Err(SandboxError::LiveDatabase(name));
    }
    let server = format!("{}:{}", admin.get_host(), admin.get_port());
    let err = |message: String| SandboxError::TempDatabase {
        server: server.clone(),
        message,
    };
    let mut c = admin
        .clone()
        .disable_statement_logging()
        .connect()
        .await
        .map_err(|e| err(e.to_string()))?;
    let sql = format!("create database \"{name}\" template template0");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut c)
        .await
        .map_err(|e| err(e.to_string()))?;
    let _ = c.close().await;
    let user = admin.get_username().to_string();
    let url = format!(
        "postgres://{user}@{}:{}/{name}",
        admin.get_host(),
        admin.get_port()
    );
    Ok(Sandbox::TempDatabase {
        admin: Box::new(admin.clone()),
        name,
        url,
    })
}

fn find_binary(name: &str) -> Option<PathBuf> {
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin").join(name)))
        .filter(|p| p.is_file())
        .collect();
    versions.sort();
    versions.pop()
}

fn run_as(user: Option<&str>, program: &Path, args: &[&str]) -> Command {
    match user {
        Some(u) => {
            let mut c = Command::new("runuser");
            c.args(["-u", u, "--"]).arg(program).args(args);
            c
        }
        None => {
            let mut c = Command::new(program);
            c.args(args);
            c
        }
    }
}

fn is_root() -> bool {
    // `id -u` keeps this crate free of unsafe libc calls.
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> Result<u16, SandboxError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// A private cluster from the local PostgreSQL binaries, on a random port
/// of 127.0.0.1; as root it runs as the `postgres` user.
pub async fn private_cluster() -> Result<Sandbox, SandboxError> {
    let (Some(initdb), Some(pg_ctl)) = (find_binary("initdb"), find_binary("pg_ctl")) else {
        return Err(SandboxError::NoBinaries);
    };
    let dir = tempfile::Builder::new()
        .prefix("migdiff-cluster-")
        .tempdir()?;
    let as_user = is_root().then(|| "postgres".to_string());
    if let Some(u) = &as_user {
        let _ = Command::new("chown")
            .args(["-R", &format!("{u}:{u}"), &dir.path().to_string_lossy()])
            .status();
    }
    let data = dir.path().join("data");
    let data_s = data.to_string_lossy().to_string();
    let out = run_as(
        as_user.as_deref(),
        &initdb,
        &["-D", &data_s, "-A", "trust", "-U", "postgres", "--no-sync"],
    )
    .output()?;
    if !out.status.success() {
        return Err(SandboxError::Cluster(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    let port = free_port()?;
    let opts = format!(
        "-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={} -c fsync=off",
        dir.path().display()
    );
    let log = dir.path().join("log");
    let out = run_as(
        as_user.as_deref(),
        &pg_ctl,
        &[
            "-D",
            &data_s,
            "-l",
            &log.to_string_lossy(),
            "-o",
            &opts,
            "-w",
            "start",
        ],
    )
    .output()?;
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let sandbox = Sandbox::Cluster {
        dir,
        pg_ctl,
        as_user,
        url,
    };
    if !out.status.success() {
        let log_text = std::fs::read_to_string(&log).unwrap_or_default();
        return Err(SandboxError::Cluster(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr).trim(),
            log_text
        )));
    }
    Ok(sandbox)
}

/// A SQLite file in a temporary folder (never `:memory:`).
pub fn sqlite_file() -> Result<Sandbox, SandboxError> {
    let dir = tempfile::Builder::new()
        .prefix("migdiff-sqlite-")
        .tempdir()?;
    let path = dir.path().join("sandbox.db");
    // An empty file is an empty SQLite database.
    std::fs::File::create(&path)?;
    let url = format!("sqlite://{}", path.display());
    Ok(Sandbox::Sqlite { dir, url })
}

/// PostgreSQL sandbox: a temporary database on `server` when given (the
/// dev URL or the live server), else a private cluster.
pub async fn postgres(
    server: Option<&str>,
    live_database: Option<&str>,
) -> Result<Sandbox, SandboxError> {
    // SQLAlchemy's `postgresql+driver://` is sqlx's `postgres://`.
    let parsed = server.and_then(|s| {
        let rest = s.split_once("://").map(|(_, r)| r)?;
        PgConnectOptions::from_str(&format!("postgres://{rest}")).ok()
    });
    if let Some(opts) = parsed {
        let admin = opts.database("postgres");
        match temp_database(&admin, live_database).await {
            Ok(sb) => return Ok(sb),
            Err(SandboxError::LiveDatabase(n)) => return Err(SandboxError::LiveDatabase(n)),
            // The server would not give us a database: a private cluster instead.
            Err(_) => {}
        }
    }
    private_cluster().await
}

/// The docker provider: not built in this version.
pub fn docker() -> Result<Sandbox, SandboxError> {
    Err(SandboxError::NoDocker)
}

//! Throwaway databases. Providers, in the order `auto` tries them: a
//! temporary database on a PostgreSQL server (`migdiff_tmp_<epoch>_<rand>`,
//! from template0, dropped WITH (FORCE)); a private cluster from the local
//! `initdb`/`pg_ctl`; a SQLite file in a temporary folder. A sandbox is
//! cleaned up when dropped (success, error, or Ctrl-C through the caller's
//! signal handler), stale `migdiff_tmp_*` databases older than an hour are
//! swept, private clusters whose migdiff process died (SIGKILL, a crash)
//! are stopped and removed by the next run that starts one, and a provider
//! never hands out the live URL's own database.

mod mysql;

pub use mysql::mysql;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::postgres::{PgConnectOptions, PgConnection, PgSslMode};
use sqlx::{ConnectOptions, Connection};

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot create a temporary database on {server}: {message}")]
    TempDatabase { server: String, message: String },
    #[error(
        "no PostgreSQL server binaries (initdb, pg_ctl) found in $MIGDIFF_PG_BINDIR, on PATH or under /usr/lib/postgresql/*/bin; install PostgreSQL or pass --dev-url"
    )]
    NoBinaries,
    #[error(
        "the database is PostgreSQL {major}, but the PostgreSQL server binaries found are {found}: a private cluster must be the same major version. Install PostgreSQL {major}'s server (Debian: postgresql-{major}) or set MIGDIFF_PG_BINDIR to its bin folder, or pass --dev-url"
    )]
    NoBinariesForMajor { major: u32, found: String },
    #[error("the private cluster did not start: {0}")]
    Cluster(String),
    #[error("refusing to use the live database `{0}` as a sandbox")]
    LiveDatabase(String),
    #[error(
        "migdiff was built without the `docker` feature (cargo install --features docker); use --dev-url or install PostgreSQL"
    )]
    NoDockerFeature,
    #[error(
        "no Docker daemon answered ({0}); start Docker, set DOCKER_HOST, or use --dev-url or a local PostgreSQL"
    )]
    NoDockerDaemon(String),
    #[error("the PostgreSQL container ({image}) did not start: {message}")]
    Container { image: String, message: String },
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
    /// A database of its own on a MySQL or MariaDB server.
    Mysql {
        admin: Box<sqlx::mysql::MySqlConnectOptions>,
        name: String,
        url: String,
    },
    /// A PostgreSQL container, removed when dropped.
    #[cfg(feature = "docker")]
    Docker {
        container: Option<Box<docker::Container>>,
        url: String,
    },
}

impl Sandbox {
    /// The major version of the throwaway database's server; `None` for
    /// SQLite or when it cannot be asked.
    pub async fn server_major(&self) -> Option<u32> {
        if !self.url().starts_with("postgres") {
            return None;
        }
        server_major(&PgConnectOptions::from_str(self.url()).ok()?).await
    }

    /// The sandbox as a sqlx URL (`postgres://…` or `sqlite://…`).
    pub fn url(&self) -> &str {
        match self {
            Sandbox::TempDatabase { url, .. }
            | Sandbox::Cluster { url, .. }
            | Sandbox::Sqlite { url, .. }
            | Sandbox::Mysql { url, .. } => url,
            #[cfg(feature = "docker")]
            Sandbox::Docker { url, .. } => url,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Sandbox::TempDatabase { .. } => "temporary database",
            Sandbox::Cluster { .. } => "private cluster",
            Sandbox::Sqlite { .. } => "SQLite file",
            Sandbox::Mysql { .. } => "temporary database",
            #[cfg(feature = "docker")]
            Sandbox::Docker { .. } => "Docker container",
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
                    if let Ok(mut c) = connect_pg(&admin).await {
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
            Sandbox::Mysql { admin, name, .. } => {
                let admin = (**admin).clone();
                let sql = mysql::drop_sql(name);
                block_on_thread(async move {
                    if let Ok(mut c) = admin.disable_statement_logging().connect().await {
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                            .execute(&mut c)
                            .await;
                        let _ = c.close().await;
                    }
                });
            }
            #[cfg(feature = "docker")]
            Sandbox::Docker { container, .. } => {
                if let Some(c) = container.take() {
                    // testcontainers' own Drop needs the caller's runtime;
                    // removing it here works from anywhere.
                    block_on_thread(async move {
                        let _ = c.rm().await;
                    });
                }
            }
        }
    }
}

/// A new throwaway database's name: `migdiff_tmp_<epoch>_<random>`.
pub(crate) fn throwaway_name() -> String {
    format!(
        "migdiff_tmp_{}_{}",
        epoch(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// Whether `name` is a throwaway database (`migdiff_tmp_<epoch>_<rand>`)
/// made more than an hour ago: its run crashed or was killed.
pub(crate) fn is_stale(name: &str) -> bool {
    name.strip_prefix("migdiff_tmp_")
        .and_then(|r| r.split('_').next())
        .and_then(|e| e.parse::<u64>().ok())
        .is_some_and(|e| epoch().saturating_sub(e) > 3600)
}

/// Whether to connect to a PostgreSQL server without TLS first: the host
/// is this machine (TLS there protects nothing) and nobody chose a mode
/// (`sslmode=` in the URL, `$PGSSLMODE`). sqlx's TLS handshake costs about
/// 90 ms a connection (its socket waits on delayed ACKs); libpq's `prefer`
/// would negotiate it.
pub fn plain_on_loopback(url: &str, options: &PgConnectOptions) -> bool {
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

/// Options for the server `url` names, plain on loopback (see
/// [`plain_on_loopback`]).
pub fn pg_options(url: &str) -> Result<PgConnectOptions, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?;
    Ok(if plain_on_loopback(url, &options) {
        options.ssl_mode(PgSslMode::Disable)
    } else {
        options
    })
}

/// A connection (statements not logged); a server that refuses a plain
/// connection (a `hostssl` line) is asked again with TLS, as libpq's
/// `prefer` would.
pub async fn connect_pg(options: &PgConnectOptions) -> Result<PgConnection, sqlx::Error> {
    let options = options.clone().disable_statement_logging();
    match options.connect().await {
        Err(e)
            if matches!(options.get_ssl_mode(), PgSslMode::Disable)
                && e.as_database_error().and_then(|d| d.code()).as_deref() == Some("28000") =>
        {
            options.ssl_mode(PgSslMode::Prefer).connect().await
        }
        other => other,
    }
}

/// Drops `migdiff_tmp_<epoch>_*` databases older than an hour.
pub async fn sweep(admin: &PgConnectOptions) {
    let Ok(mut c) = connect_pg(admin).await else {
        return;
    };
    sweep_on(&mut c).await;
    let _ = c.close().await;
}

async fn sweep_on(c: &mut PgConnection) {
    let names: Vec<String> = sqlx::query_scalar(
        "select datname::text from pg_database where datname like 'migdiff\\_tmp\\_%'",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap_or_default();
    for name in names {
        if is_stale(&name) {
            let sql = format!("drop database if exists \"{name}\" with (force)");
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut *c)
                .await;
        }
    }
}

/// A temporary database on the server `admin` connects to.
pub async fn temp_database(
    admin: &PgConnectOptions,
    live_database: Option<&str>,
) -> Result<Sandbox, SandboxError> {
    let name = throwaway_name();
    if live_database == Some(name.as_str()) {
        return Err(SandboxError::LiveDatabase(name));
    }
    let server = format!("{}:{}", admin.get_host(), admin.get_port());
    let err = |message: String| SandboxError::TempDatabase {
        server: server.clone(),
        message,
    };
    // One connection sweeps the stale ones and makes the new one.
    let mut c = connect_pg(admin).await.map_err(|e| err(server_error(&e)))?;
    sweep_on(&mut c).await;
    let sql = format!("create database \"{name}\" template template0");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut c)
        .await
        .map_err(|e| err(server_error(&e)))?;
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

/// `url` with the password (and connection parameters such as
/// `sslmode`) of `server`, when it has them.
fn with_password_of(url: &str, server: &str) -> String {
    let (Ok(mut out), Ok(from)) = (url::Url::parse(url), url::Url::parse(server)) else {
        return url.to_string();
    };
    if let Some(password) = from.password() {
        let _ = out.set_password(Some(password));
    }
    if out.query().is_none() && from.query().is_some() {
        out.set_query(from.query());
    }
    out.to_string()
}

/// Folders that may hold PostgreSQL's server binaries, in the order they
/// are tried: `$MIGDIFF_PG_BINDIR` (`:`-separated), `PATH`, then the
/// packages' folders (Debian's newest major first, RHEL's, the source
/// build's).
fn server_binary_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for var in ["MIGDIFF_PG_BINDIR", "PATH"] {
        if let Some(paths) = std::env::var_os(var) {
            dirs.extend(std::env::split_paths(&paths));
        }
    }
    for parent in ["/usr/lib/postgresql", "/usr"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(parent)
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| {
                        parent != "/usr" || e.file_name().to_string_lossy().starts_with("pgsql-")
                    })
                    .map(|e| e.path().join("bin"))
                    .collect()
            })
            .unwrap_or_default();
        found.sort_by_key(|p| std::cmp::Reverse(major_in_path(p)));
        dirs.extend(found);
    }
    dirs.push(PathBuf::from("/usr/local/pgsql/bin"));
    dirs
}

/// The major version in a package folder's name (`/usr/lib/postgresql/16/bin`).
fn major_in_path(p: &Path) -> u32 {
    p.components()
        .filter_map(|c| {
            let s = c.as_os_str().to_string_lossy();
            s.trim_start_matches("pgsql-").parse::<u32>().ok()
        })
        .next()
        .unwrap_or(0)
}

/// The major version a `pg_ctl` belongs to (`pg_ctl (PostgreSQL) 15.19 ...`).
fn binary_major(pg_ctl: &Path) -> Option<u32> {
    let out = Command::new(pg_ctl).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.split(") ").nth(1)?;
    version
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// `initdb` and `pg_ctl` of PostgreSQL `major` (any major when `None`: the
/// first found): a database is never replayed on another major version.
fn server_binaries(major: Option<u32>) -> Result<(PathBuf, PathBuf), SandboxError> {
    let mut found: Vec<(u32, PathBuf)> = Vec::new();
    for dir in server_binary_dirs() {
        let (initdb, pg_ctl) = (dir.join("initdb"), dir.join("pg_ctl"));
        if !initdb.is_file() || !pg_ctl.is_file() {
            continue;
        }
        let Some(m) = binary_major(&pg_ctl) else {
            continue;
        };
        if major.is_none_or(|want| want == m) {
            return Ok((initdb, pg_ctl));
        }
        found.push((m, dir));
    }
    match major {
        Some(major) if !found.is_empty() => Err(SandboxError::NoBinariesForMajor {
            major,
            found: found
                .iter()
                .map(|(m, d)| format!("{m} ({})", d.display()))
                .collect::<Vec<_>>()
                .join(", "),
        }),
        _ => Err(SandboxError::NoBinaries),
    }
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

/// A private cluster lives in a temporary folder with this prefix, which
/// holds [`CLUSTER_OWNER`]: the pid of the migdiff process that started it.
const CLUSTER_PREFIX: &str = "migdiff-cluster-";
const CLUSTER_OWNER: &str = "owner.pid";
const CLUSTER_PG_CTL: &str = "pg_ctl.path";

fn process_alive(pid: u32) -> bool {
    if Path::new("/proc/self").exists() {
        return Path::new(&format!("/proc/{pid}")).exists();
    }
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .map_or(true, |s| s.success())
}

/// Stops and removes the private clusters under `parent` (the system's
/// temporary folder in use) whose owning process is gone: the cleanup a
/// killed run could not do. A folder without an owner file is left alone
/// for an hour (a run may be between creating it and writing the file).
/// Returns how many were removed.
pub fn sweep_clusters(parent: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let dir = entry.path();
        let is_cluster = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(CLUSTER_PREFIX));
        if !is_cluster || !dir.is_dir() {
            continue;
        }
        let owner = std::fs::read_to_string(dir.join(CLUSTER_OWNER))
            .ok()
            .and_then(|t| t.trim().parse::<u32>().ok());
        let dead = match owner {
            Some(pid) => !process_alive(pid),
            None => entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 3600),
        };
        if !dead {
            continue;
        }
        let data = dir.join("data");
        let recorded = std::fs::read_to_string(dir.join(CLUSTER_PG_CTL))
            .ok()
            .map(PathBuf::from)
            .filter(|p| p.is_file());
        if data.join("postmaster.pid").exists()
            && let Some(pg_ctl) = recorded.or_else(|| server_binaries(None).ok().map(|(_, c)| c))
        {
            let as_user = is_root().then_some("postgres");
            let _ = run_as(
                as_user,
                &pg_ctl,
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
        if std::fs::remove_dir_all(&dir).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// A private cluster from the local PostgreSQL binaries of `major` (any
/// when `None`), on a random port of 127.0.0.1; as root it runs as the
/// `postgres` user.
pub async fn private_cluster(major: Option<u32>) -> Result<Sandbox, SandboxError> {
    let (initdb, pg_ctl) = server_binaries(major)?;
    sweep_clusters(&std::env::temp_dir());
    let dir = tempfile::Builder::new().prefix(CLUSTER_PREFIX).tempdir()?;
    std::fs::write(
        dir.path().join(CLUSTER_OWNER),
        std::process::id().to_string(),
    )?;
    // The sweep stops it with the same major's pg_ctl.
    std::fs::write(
        dir.path().join(CLUSTER_PG_CTL),
        pg_ctl.as_os_str().as_encoded_bytes(),
    )?;
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

/// Which provider makes a PostgreSQL sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Provider {
    /// A temporary database on the server when there is one, else a
    /// private cluster, else (with the `docker` feature) a container.
    #[default]
    Auto,
    /// Only a temporary database on the dev or live server.
    Server,
    /// Only a private cluster from the local binaries.
    Cluster,
    /// Only a Docker container.
    Docker,
}

impl FromStr for Provider {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Provider::Auto),
            "server" => Ok(Provider::Server),
            "cluster" => Ok(Provider::Cluster),
            "docker" if cfg!(feature = "docker") => Ok(Provider::Docker),
            // Named but not built in: refused up front, never a fallback.
            "docker" => Err(SandboxError::NoDockerFeature.to_string()),
            other => Err(format!(
                "unknown sandbox provider `{other}`; use auto, server, cluster or docker"
            )),
        }
    }
}

/// The server's major version (`server_version_num` / 10000).
async fn server_major(admin: &PgConnectOptions) -> Option<u32> {
    let mut c = connect_pg(admin).await.ok()?;
    let v: String = sqlx::query_scalar("select current_setting('server_version_num')")
        .fetch_one(&mut c)
        .await
        .ok()?;
    let _ = c.close().await;
    v.parse::<u32>().ok().map(|n| n / 10000)
}

/// PostgreSQL sandbox from `provider`: a temporary database on `server`
/// (the dev URL or the live server), a private cluster, or a container
/// whose major version matches the server's.
pub async fn postgres(
    server: Option<&str>,
    live_database: Option<&str>,
    provider: Provider,
) -> Result<Sandbox, SandboxError> {
    // SQLAlchemy's `postgresql+driver://` is sqlx's `postgres://`.
    let admin = server
        .and_then(|s| {
            let rest = s.split_once("://").map(|(_, r)| r)?;
            pg_options(&format!("postgres://{rest}")).ok()
        })
        .map(|opts| opts.database("postgres"));
    // The server's password, for the throwaway database's URL: Alembic
    // connects with it on a server with password authentication.
    let keep_password = |mut sandbox: Sandbox| {
        if let (Sandbox::TempDatabase { url, .. }, Some(server)) = (&mut sandbox, server) {
            *url = with_password_of(url, server);
        }
        sandbox
    };
    match provider {
        Provider::Server => match &admin {
            Some(admin) => temp_database(admin, live_database).await.map(keep_password),
            None => Err(SandboxError::TempDatabase {
                server: "(none)".to_string(),
                message: "no server: pass --dev-url or a live --url".to_string(),
            }),
        },
        Provider::Cluster => {
            let major = match &admin {
                Some(a) => server_major(a).await,
                None => None,
            };
            private_cluster(major).await
        }
        Provider::Docker => {
            let major = match &admin {
                Some(a) => server_major(a).await,
                None => None,
            };
            docker(major).await
        }
        Provider::Auto => {
            if let Some(admin) = &admin {
                match temp_database(admin, live_database).await {
                    Ok(sb) => return Ok(keep_password(sb)),
                    Err(SandboxError::LiveDatabase(n)) => {
                        return Err(SandboxError::LiveDatabase(n));
                    }
                    // The server would not give us a database: a private cluster instead.
                    Err(_) => {}
                }
            }
            let major = match &admin {
                Some(a) => server_major(a).await,
                None => None,
            };
            match private_cluster(major).await {
                Ok(sb) => Ok(sb),
                #[cfg(feature = "docker")]
                Err(cluster_error) => docker(None).await.map_err(|docker_error| {
                    SandboxError::Cluster(format!(
                        "{cluster_error}; and the Docker provider: {docker_error}"
                    ))
                }),
                #[cfg(not(feature = "docker"))]
                Err(e) => Err(e),
            }
        }
    }
}

/// The major version of the local PostgreSQL binaries, if any.
#[cfg(feature = "docker")]
fn local_major_version() -> Option<u32> {
    let (_, pg_ctl) = server_binaries(None).ok()?;
    binary_major(&pg_ctl)
}

/// A PostgreSQL container of `major` (the live server's, else the local
/// binaries', else 16), when a Docker daemon answers.
#[cfg(feature = "docker")]
pub async fn docker(major: Option<u32>) -> Result<Sandbox, SandboxError> {
    docker::start(major.or_else(local_major_version).unwrap_or(16)).await
}

/// The docker provider needs the `docker` feature.
#[cfg(not(feature = "docker"))]
pub async fn docker(_major: Option<u32>) -> Result<Sandbox, SandboxError> {
    Err(SandboxError::NoDockerFeature)
}

#[cfg(feature = "docker")]
mod docker {
    use std::time::Duration;

    use testcontainers_modules::postgres::Postgres;
    use testcontainers_modules::testcontainers::core::client::docker_client_instance;
    use testcontainers_modules::testcontainers::runners::AsyncRunner;
    use testcontainers_modules::testcontainers::{ContainerAsync, ImageExt};

    use super::{Sandbox, SandboxError};

    pub type Container = ContainerAsync<Postgres>;

    pub async fn start(major: u32) -> Result<Sandbox, SandboxError> {
        // Ask the daemon first: without one, say so instead of failing
        // somewhere inside container creation.
        let ping = async {
            let client = docker_client_instance().await.map_err(|e| e.to_string())?;
            client.ping().await.map_err(|e| e.to_string())
        };
        match tokio::time::timeout(Duration::from_secs(5), ping).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(SandboxError::NoDockerDaemon(e)),
            Err(_) => {
                return Err(SandboxError::NoDockerDaemon(
                    "no answer within 5 s".to_string(),
                ));
            }
        }
        let tag = format!("{major}-alpine");
        let image = format!("postgres:{tag}");
        let err = |e: &dyn std::fmt::Display| SandboxError::Container {
            image: image.clone(),
            message: format!(
                "{e}; an offline machine needs the image pulled beforehand (docker pull {image})"
            ),
        };
        let container = Postgres::default()
            .with_host_auth()
            .with_tag(tag.clone())
            .start()
            .await
            .map_err(|e| err(&e))?;
        let host = container.get_host().await.map_err(|e| err(&e))?;
        let port = container
            .get_host_port_ipv4(5432)
            .await
            .map_err(|e| err(&e))?;
        let url = format!("postgres://postgres@{host}:{port}/postgres");
        Ok(Sandbox::Docker {
            container: Some(Box::new(container)),
            url,
        })
    }
}

#[cfg(test)]
mod url_tests {
    use super::{PgSslMode, pg_options, with_password_of};

    #[test]
    fn throwaway_connections_are_plain_on_loopback_unless_a_mode_is_chosen() {
        let plain = |url: &str| {
            matches!(
                pg_options(url).map(|o| o.get_ssl_mode()),
                Ok(PgSslMode::Disable)
            )
        };
        if std::env::var_os("PGSSLMODE").is_none() {
            assert!(plain("postgres://u@127.0.0.1:5432/migdiff_tmp_1_a"));
            assert!(plain("postgres://u@localhost/db"));
        }
        assert!(!plain("postgres://u@127.0.0.1/db?sslmode=require"));
        assert!(!plain("postgres://u@db.internal/db"));
    }

    #[test]
    fn the_throwaway_url_keeps_the_servers_password_and_parameters() {
        assert_eq!(
            with_password_of(
                "postgres://app@db.internal:5432/migdiff_tmp_1_ab",
                "postgresql://app:s3cr%40t@db.internal:5432/prod?sslmode=require"
            ),
            "postgres://app:s3cr%40t@db.internal:5432/migdiff_tmp_1_ab?sslmode=require"
        );
        assert_eq!(
            with_password_of("postgres://app@h:5432/t", "postgresql://app@h:5432/prod"),
            "postgres://app@h:5432/t"
        );
    }
}

#[cfg(test)]
mod binary_tests {
    use super::*;

    #[test]
    fn majors_are_read_from_folders_and_versions() {
        assert_eq!(major_in_path(Path::new("/usr/lib/postgresql/16/bin")), 16);
        assert_eq!(major_in_path(Path::new("/usr/pgsql-17/bin")), 17);
        assert_eq!(major_in_path(Path::new("/opt/bin")), 0);
    }

    /// A major no machine has: refused, naming the majors that were found
    /// (this machine has PostgreSQL's server binaries: the tests need them).
    #[test]
    fn a_missing_major_names_what_was_found() {
        let (_, pg_ctl) = server_binaries(None).expect("PostgreSQL's server binaries");
        let local = binary_major(&pg_ctl).expect("pg_ctl --version");
        let (_, same) = server_binaries(Some(local)).unwrap();
        assert_eq!(binary_major(&same), Some(local));
        match server_binaries(Some(99)) {
            Err(e @ SandboxError::NoBinariesForMajor { .. }) => {
                let text = e.to_string();
                assert!(
                    text.contains("PostgreSQL 99") && text.contains(&local.to_string()),
                    "{text}"
                );
                assert!(text.contains("MIGDIFF_PG_BINDIR"), "{text}");
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
    }
}

/// An error from sqlx, worded as the server sent it: the message, then its
/// DETAIL and HINT. sqlx's own wording ends in "at line 948", a line of the
/// server's C source that means nothing to a user, and prefixes "error
/// returned from database".
pub fn server_error(e: &sqlx::Error) -> String {
    use sqlx::postgres::PgDatabaseError;
    let sqlx::Error::Database(db) = e else {
        return e.to_string();
    };
    let Some(pg) = db.try_downcast_ref::<PgDatabaseError>() else {
        return db.message().to_string();
    };
    let mut text = pg.message().to_string();
    if let Some(detail) = pg.detail() {
        text.push_str(&format!(" ({detail})"));
    }
    if let Some(hint) = pg.hint() {
        text.push_str(&format!("; hint: {hint}"));
    }
    text
}

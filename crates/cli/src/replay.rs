//! Proving revisions in throwaway databases: `migdiff verify` (upgrade,
//! compare, downgrade, compare, upgrade again) and `migdiff check --replay`
//! (build the heads' schema from the migration history, no live database).
//! The project's real Alembic runs under a temporary config whose
//! `sqlalchemy.url` points at the sandbox.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use tokio::io::AsyncBufReadExt;

use migdiff_alembic::config::AlembicConfig;
use migdiff_model::{Dialect, Schema};
use migdiff_sandbox::Sandbox;

use crate::error::CliError;
use crate::live::{self, VersionTable};
use migdiff_driver::{ConnectSettings, Target};

pub struct Runner {
    python: PathBuf,
    project_dir: PathBuf,
    ini: tempfile::NamedTempFile,
    sa_url: String,
    /// Variables set to the sandbox URL besides the common ones.
    url_env: Vec<String>,
    /// env.py needs a Flask application (Flask-Migrate).
    flask: bool,
    flask_app: Option<String>,
    /// The throwaway database's dialect, for what a failure leaves behind.
    dialect: Dialect,
}

/// One statement offline Alembic wrote, with where it came from.
#[derive(serde::Deserialize, Debug)]
pub struct Captured {
    /// Which of the commands wrote it.
    pub run: usize,
    #[serde(default)]
    pub sql: String,
    /// The command failed: Alembic's error (no statement on this line).
    #[serde(default)]
    pub error: Option<String>,
    /// The revision file of the op (None: Alembic's own statements).
    pub file: Option<PathBuf>,
    pub line: Option<usize>,
}

/// What a failed Alembic run says, in two lines: the exception and the
/// statement it ran (`[SQL: ...]`, which SQLAlchemy prints over several
/// lines); `None` when the output has neither.
pub(crate) fn failure_summary(output: &str) -> Option<String> {
    let error = output.lines().rev().find(|l| {
        let head = l.split([':', ' ']).next().unwrap_or("");
        !l.starts_with(' ') && (head.ends_with("Error") || head.ends_with("Exception"))
    });
    let statement = output.rfind("[SQL:").map(|at| {
        let rest = &output[at + "[SQL:".len()..];
        let end = rest
            .find("]\n")
            .or_else(|| rest.rfind(']'))
            .unwrap_or(rest.len());
        rest[..end].split_whitespace().collect::<Vec<_>>().join(" ")
    });
    let mut lines = Vec::new();
    if let Some(e) = error {
        lines.push(format!("error: {}", e.trim()));
    }
    if let Some(s) = statement.filter(|s| !s.is_empty()) {
        lines.push(format!("the statement that failed: {s}"));
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// What the project's settings tell the runner.
pub struct RunnerSettings<'a> {
    /// The project's own database URL (alembic.ini, else the live URL):
    /// the sandbox URL keeps its driver (`+asyncpg`, `+aiosqlite`).
    pub project_url: Option<&'a str>,
    pub url_env: &'a [String],
    pub flask_app: Option<&'a str>,
}

/// Logging for the temporary ini when the project's config has none:
/// env.py files call `fileConfig()` on it (Alembic's templates do).
const DEFAULT_LOGGING: &str = "
[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %%(levelname)-5.5s [%%(name)s] %%(message)s
datefmt = %%H:%%M:%%S
";

impl Runner {
    pub fn new(
        alembic: &AlembicConfig,
        project_dir: &Path,
        python: PathBuf,
        sandbox: &Sandbox,
        settings: &RunnerSettings<'_>,
    ) -> Result<Runner, CliError> {
        let driver = crate::dialects::driver(db_url_of(sandbox)?.dialect())?;
        let sa_url = driver.sqlalchemy_url(
            sandbox.url(),
            alembic.sqlalchemy_url.as_deref().or(settings.project_url),
        );
        Runner::for_url(
            alembic,
            project_dir,
            python,
            sa_url,
            driver.dialect(),
            settings,
        )
    }

    /// A runner whose env.py gets `sa_url` and may connect to it only
    /// (offline runs get a URL of no database: see `Driver::offline_url`).
    pub fn for_url(
        alembic: &AlembicConfig,
        project_dir: &Path,
        python: PathBuf,
        sa_url: String,
        dialect: Dialect,
        settings: &RunnerSettings<'_>,
    ) -> Result<Runner, CliError> {
        let here = alembic
            .source
            .parent()
            .unwrap_or(project_dir)
            .to_string_lossy()
            .to_string();
        let script = alembic.script_location.to_string_lossy().to_string();
        // The project's own ini (logging sections included), with the URL
        // and paths fixed so it works from a temporary file. A project
        // configured in pyproject.toml may keep its logging in an
        // alembic.ini beside it.
        let ini_source = if alembic.source.extension().is_some_and(|e| e == "ini") {
            Some(alembic.source.clone())
        } else {
            Some(project_dir.join("alembic.ini")).filter(|p| p.is_file())
        };
        let original = ini_source
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .unwrap_or_default();
        let mut out = String::new();
        let mut in_alembic = false;
        let mut saw_alembic = false;
        let mut saw_loggers = false;
        for line in original.lines() {
            let t = line.trim();
            if t.starts_with('[') {
                in_alembic = t == "[alembic]";
                saw_loggers |= t == "[loggers]";
                out.push_str(line);
                out.push('\n');
                if in_alembic {
                    saw_alembic = true;
                    out.push_str(&format!(
                        "script_location = {}\n",
                        script.replace('%', "%%")
                    ));
                    out.push_str(&format!("sqlalchemy.url = {}\n", sa_url.replace('%', "%%")));
                }
                continue;
            }
            let key = t.split(['=', ':']).next().unwrap_or("").trim();
            if in_alembic && (key == "script_location" || key == "sqlalchemy.url") {
                continue;
            }
            out.push_str(&line.replace("%(here)s", &here.replace('%', "%%")));
            out.push('\n');
        }
        if !saw_alembic {
            out.push_str(&format!(
                "\n[alembic]\nscript_location = {}\nsqlalchemy.url = {}\n",
                script.replace('%', "%%"),
                sa_url.replace('%', "%%")
            ));
        }
        if !saw_loggers {
            out.push_str(DEFAULT_LOGGING);
        }
        let mut ini = tempfile::Builder::new()
            .prefix("migdiff-alembic-")
            .suffix(".ini")
            .tempfile()
            .map_err(|e| CliError::usage(format!("cannot write a temporary alembic.ini: {e}")))?;
        std::io::Write::write_all(&mut ini, out.as_bytes())
            .map_err(|e| CliError::usage(format!("cannot write a temporary alembic.ini: {e}")))?;
        Ok(Runner {
            python,
            project_dir: project_dir.to_path_buf(),
            ini,
            sa_url,
            url_env: settings.url_env.to_vec(),
            flask: alembic.env_needs_flask_app || settings.flask_app.is_some(),
            flask_app: settings.flask_app.map(str::to_string),
            dialect,
        })
    }

    /// Runs Alembic's command line (`alembic -c <temp ini> <args>`) in the
    /// project folder, under the guard. A migration that fails is exit 1
    /// (the caller decides whether that is a finding); env.py failing
    /// before any migration ran, or the guard stopping it, is exit 2.
    pub async fn alembic(&self, args: &[&str]) -> Result<(), CliError> {
        self.run(args, None, None).await
    }

    /// Runs each of `commands` (offline: `upgrade A:B --sql`) in one
    /// process and returns every statement Alembic wrote, in order, with
    /// the file and line among `revision_files` of the op that wrote it.
    pub async fn capture(
        &self,
        commands: &[Vec<String>],
        revision_files: &[PathBuf],
    ) -> Result<Vec<Captured>, CliError> {
        let file = tempfile::Builder::new()
            .prefix("migdiff-lint-")
            .suffix(".jsonl")
            .tempfile()
            .map_err(|e| CliError::usage(format!("cannot write a temporary file: {e}")))?;
        let extra = serde_json::json!({
            "commands": commands,
            "capture": {
                "path": file.path(),
                "files": revision_files,
            },
        });
        let first: Vec<&str> = commands
            .first()
            .map(|c| c.iter().map(String::as_str).collect())
            .unwrap_or_default();
        self.run(&first, None, Some(extra)).await?;
        let text = std::fs::read_to_string(file.path())
            .map_err(|e| CliError::usage(format!("cannot read Alembic's statements: {e}")))?;
        text.lines()
            .filter(|l| !l.is_empty())
            .map(|l| {
                serde_json::from_str::<Captured>(l).map_err(|e| {
                    CliError::usage(format!("cannot read Alembic's statements ({e}): {l}"))
                })
            })
            .collect()
    }

    /// Like `alembic`, for a command that runs up to `steps` migrations:
    /// a progress bar on a terminal when the chain is long.
    pub async fn alembic_chain(&self, args: &[&str], steps: usize) -> Result<(), CliError> {
        self.run(args, Some(steps), None).await
    }

    /// The child is awaited, never blocked on, and killed if this future is
    /// dropped (Ctrl-C, SIGTERM): the sandbox it works in is then removed.
    async fn run(
        &self,
        args: &[&str],
        steps: Option<usize>,
        extra: Option<serde_json::Value>,
    ) -> Result<(), CliError> {
        let mut cmd = tokio::process::Command::new(&self.python);
        let mut config = serde_json::json!({
            "sandbox_url": self.sa_url,
            "flask": self.flask,
            "flask_app": self.flask_app,
        });
        if let (Some(serde_json::Value::Object(extra)), Some(config)) =
            (extra, config.as_object_mut())
        {
            config.extend(extra);
        }
        cmd.arg("-c")
            .arg(ALEMBIC_RUNNER)
            .arg("-c")
            .arg(self.ini.path())
            .args(args)
            .current_dir(&self.project_dir)
            .env("MIGDIFF_RUNNER_CONFIG", config.to_string())
            // env.py files that read the URL from the environment.
            .env("DATABASE_URL", &self.sa_url)
            .env("MIGDIFF_DATABASE_URL", &self.sa_url)
            .env("SQLALCHEMY_DATABASE_URL", &self.sa_url)
            .env("SQLALCHEMY_DATABASE_URI", &self.sa_url)
            .env("SQLALCHEMY_URL", &self.sa_url)
            // The project's settings, if it reads its own from the
            // environment, must not point Alembic at itself.
            .env_remove("ALEMBIC_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for name in &self.url_env {
            cmd.env(name, &self.sa_url);
        }
        let cannot_run = |e: std::io::Error| {
            CliError::usage(format!(
                "cannot run {} -m alembic: {e}; install Alembic in the project's Python (or set `python` in migdiff.toml)",
                self.python.display()
            ))
        };
        let mut child = cmd.spawn().map_err(cannot_run)?;
        let bar = steps
            .filter(|&n| n >= PROGRESS_FROM_STEPS && std::io::stderr().is_terminal())
            .map(|n| {
                let bar = indicatif::ProgressBar::new(n as u64);
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "  {msg} [{bar:30}] {pos}/{len} revisions ({elapsed})",
                ) {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar.set_message(format!("alembic {}", args.join(" ")));
                bar
            });
        let mut err = String::new();
        let mut started = false;
        let mut stopped: Option<CliError> = None;
        if let Some(stderr) = child.stderr.take() {
            let mut lines = tokio::io::BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if line == STEP_MARKER {
                    if let Some(bar) = &bar {
                        bar.inc(1);
                    }
                    continue;
                }
                if line == STARTED_MARKER {
                    started = true;
                    continue;
                }
                if let Some(json) = line.strip_prefix(GUARD_MARKER) {
                    stopped = Some(guard_error(json));
                    continue;
                }
                if let Some(json) = line.strip_prefix(ENV_MARKER) {
                    stopped = Some(env_error(json));
                    continue;
                }
                err.push_str(&line);
                err.push('\n');
            }
        }
        let status = child.wait().await.map_err(cannot_run)?;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        if let Some(e) = stopped {
            return Err(e);
        }
        if status.success() {
            return Ok(());
        }
        if err.contains("No module named alembic") || err.contains("No module named 'alembic'") {
            return Err(CliError::usage(format!(
                "{} cannot import alembic; install it there (pip install alembic) or set `python` in migdiff.toml",
                self.python.display()
            )));
        }
        let tail: Vec<&str> = err
            .lines()
            .rev()
            .take(12)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if started {
            let mut summary = failure_summary(&err)
                .map(|s| format!("{s}\n"))
                .unwrap_or_default();
            if !self.dialect.transactional_ddl() {
                summary.push_str(&format!(
                    "{} does not run DDL in a transaction: the statements before this one stayed applied, so on a real database this revision would stop half-way.\n",
                    self.dialect.title()
                ));
            }
            Err(CliError::finding(format!(
                "`alembic {}` failed in the throwaway database:\n{summary}{}",
                args.join(" "),
                tail.join("\n")
            )))
        } else {
            Err(CliError::usage(format!(
                "`alembic {}` failed before any migration ran (the project's env.py or its configuration):\n{}",
                args.join(" "),
                tail.join("\n")
            )))
        }
    }
}

/// What the guard reports when env.py reaches for another database.
#[derive(serde::Deserialize)]
struct GuardReport {
    url: String,
    how: String,
    #[serde(rename = "where")]
    location: Option<String>,
    env: Vec<String>,
    sandbox: String,
}

fn guard_error(json: &str) -> CliError {
    let Ok(r) = serde_json::from_str::<GuardReport>(json) else {
        return CliError::usage(format!(
            "the project's env.py tried to connect to a database other than the throwaway one; the run was stopped before anything was sent ({json})"
        ));
    };
    let mut origin = vec![r.how.clone()];
    if let Some(w) = &r.location {
        origin.push(format!("at {w}"));
    }
    if !r.env.is_empty() {
        let vars: Vec<String> = r.env.iter().map(|v| format!("${v}")).collect();
        origin.push(format!("the value of {}", vars.join(", ")));
    }
    let fix = match r.env.first() {
        Some(var) => format!(
            "If that variable names the database env.py migrates, add it to migdiff.toml so that migdiff points it at the throwaway database: sandbox_url_env = [\"{var}\"]"
        ),
        None => "Make env.py take its URL from config.get_main_option(\"sqlalchemy.url\") or $DATABASE_URL, or name the environment variable it reads in migdiff.toml: sandbox_url_env = [\"YOUR_DATABASE_URL\"]".to_string(),
    };
    CliError::usage(format!(
        "the project's env.py tried to connect to {} ({}); migdiff runs migrations only in its throwaway database ({}), so it stopped the run before anything was sent. {fix}",
        r.url,
        origin.join(", "),
        r.sandbox,
    ))
}

fn env_error(json: &str) -> CliError {
    #[derive(serde::Deserialize)]
    struct EnvReport {
        message: String,
        hint: String,
    }
    match serde_json::from_str::<EnvReport>(json) {
        Ok(r) => CliError::usage(format!("{}; {}", r.message, r.hint)),
        Err(_) => CliError::usage(format!("the project's env.py could not start: {json}")),
    }
}

/// Runs Alembic's command line under the guard, with progress markers.
const ALEMBIC_RUNNER: &str = include_str!("alembic_runner.py");
/// The runner's marker lines on stderr.
const STEP_MARKER: &str = "\0migdiff-step";
const STARTED_MARKER: &str = "\0migdiff-migrations-started";
const GUARD_MARKER: &str = "\0migdiff-guard ";
const ENV_MARKER: &str = "\0migdiff-env-error ";
/// Shorter chains finish before a bar would help.
const PROGRESS_FROM_STEPS: usize = 10;

/// Makes a sandbox for `dialect`.
pub async fn sandbox(
    dialect: Dialect,
    server: Option<&str>,
    live_database: Option<&str>,
    provider: migdiff_sandbox::Provider,
) -> Result<Sandbox, CliError> {
    crate::dialects::driver(dialect)?
        .sandbox(server, live_database, provider)
        .await
        .map_err(|e| CliError::usage(e.0))
}

/// The sandbox's schema and version rows.
pub async fn read(
    sandbox: &Sandbox,
    version: &VersionTable,
) -> Result<(Schema, Vec<String>), CliError> {
    let url = db_url_of(sandbox)?;
    let l = live::load(url.as_ref(), &[], Some(version)).await?;
    Ok((l.schema, l.versions.unwrap_or_default()))
}

/// One timed step of a verification, printed as it completes.
pub struct Steps {
    pub quiet: bool,
}

impl Steps {
    pub async fn run<F, T>(&self, name: &str, f: F) -> Result<T, CliError>
    where
        F: std::future::Future<Output = Result<T, CliError>>,
    {
        let t = Instant::now();
        let r = f.await;
        self.print(name, if r.is_ok() { "ok" } else { "FAILED" }, t);
        r
    }

    /// A comparison step: differences found, or anything left unverified,
    /// is marked as such, never "ok".
    pub async fn run_compare<F, D, U>(&self, name: &str, f: F) -> Result<(Vec<D>, Vec<U>), CliError>
    where
        F: std::future::Future<Output = Result<(Vec<D>, Vec<U>), CliError>>,
    {
        let t = Instant::now();
        let r = f.await;
        let mark = match &r {
            Ok((d, _)) if !d.is_empty() => "DIFFERS",
            Ok((_, u)) if !u.is_empty() => "UNVERIFIED",
            Ok(_) => "ok",
            Err(_) => "FAILED",
        };
        self.print(name, mark, t);
        r
    }

    fn print(&self, name: &str, mark: &str, started: Instant) {
        if !self.quiet {
            println!(
                "  {name:<48} {mark:>10}  {:>8.0} ms",
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
}

/// Whether the migrations ran in the sandbox: after an upgrade its version
/// table must hold exactly the expected revisions, else the project's
/// env.py ran them somewhere else (exit 2, never a drift report).
pub fn check_injected(
    versions: &[String],
    expected: &[&str],
    sa_url_hint: &str,
) -> Result<(), CliError> {
    let mut have: Vec<&str> = versions.iter().map(String::as_str).collect();
    let mut want = expected.to_vec();
    have.sort_unstable();
    want.sort_unstable();
    if have == want {
        return Ok(());
    }
    let shown = |v: &[&str]| {
        if v.is_empty() {
            "no revision".to_string()
        } else {
            v.join(", ")
        }
    };
    Err(CliError::usage(format!(
        "after `alembic upgrade` the throwaway database is at {} instead of {}: the project's env.py did not run the migrations on the throwaway URL ({}). Make env.py read config.get_main_option(\"sqlalchemy.url\") or $DATABASE_URL, or name the variable it reads in migdiff.toml (sandbox_url_env)",
        shown(&have),
        shown(&want),
        migdiff_driver::mask(sa_url_hint)
    )))
}

pub fn sa_url_of(runner: &Runner) -> &str {
    &runner.sa_url
}

/// The sandbox as a database its driver reads.
pub fn db_url_of(sandbox: &Sandbox) -> Result<Box<dyn Target>, CliError> {
    crate::dialects::parse_url(sandbox.url(), Path::new("/"), ConnectSettings::default())
}

#[cfg(test)]
mod failure_tests {
    use super::failure_summary;

    #[test]
    fn the_error_and_the_statement() {
        let out = "Traceback (most recent call last):\n  File \"x\", line 1\n    raise errorclass(errno, errval)\nsqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (1005, 'Can't create table')\n[SQL: \nCREATE TABLE tags (\n\tid INTEGER NOT NULL\n)\n\n]\n(Background on this error at: https://sqlalche.me/e/21/e3q8)\n";
        let s = failure_summary(out).unwrap_or_default();
        assert!(
            s.starts_with("error: sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError)"),
            "{s}"
        );
        assert!(
            s.ends_with("the statement that failed: CREATE TABLE tags ( id INTEGER NOT NULL )"),
            "{s}"
        );
        assert_eq!(failure_summary("nothing useful"), None);
    }
}

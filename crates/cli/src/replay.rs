//! Proving revisions in throwaway databases: `migdiff verify` (upgrade,
//! compare, downgrade, compare, upgrade again) and `migdiff check --replay`
//! (build the heads' schema from the migration history, no live database).
//! The project's real Alembic runs under a temporary config whose
//! `sqlalchemy.url` points at the sandbox.

use std::io::{BufRead, BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use migdiff_alembic::config::AlembicConfig;
use migdiff_model::{Dialect, Schema};
use migdiff_sandbox::Sandbox;

use crate::error::CliError;
use crate::live::{self, VersionTable};
use crate::url::DbUrl;

pub struct Runner {
    python: PathBuf,
    project_dir: PathBuf,
    ini: tempfile::NamedTempFile,
    sa_url: String,
}

/// The sandbox as a SQLAlchemy URL, keeping the project's driver.
fn sqlalchemy_url(sandbox: &Sandbox, project_url: Option<&str>) -> String {
    let url = sandbox.url();
    if let Some(path) = url.strip_prefix("sqlite://") {
        return format!("sqlite:///{path}");
    }
    let scheme = project_url
        .and_then(|u| u.split("://").next())
        .filter(|s| s.starts_with("postgres"))
        .unwrap_or("postgresql");
    let scheme = if scheme == "postgres" {
        "postgresql"
    } else {
        scheme
    };
    format!("{scheme}://{}", url.split("://").nth(1).unwrap_or(""))
}

impl Runner {
    pub fn new(
        alembic: &AlembicConfig,
        project_dir: &Path,
        python: PathBuf,
        sandbox: &Sandbox,
    ) -> Result<Runner, CliError> {
        let sa_url = sqlalchemy_url(sandbox, alembic.sqlalchemy_url.as_deref());
        let here = alembic
            .source
            .parent()
            .unwrap_or(project_dir)
            .to_string_lossy()
            .to_string();
        let script = alembic.script_location.to_string_lossy().to_string();
        // The project's own ini (logging sections included), with the URL
        // and paths fixed so it works from a temporary file.
        let original = if alembic.source.extension().is_some_and(|e| e == "ini") {
            std::fs::read_to_string(&alembic.source).unwrap_or_default()
        } else {
            String::new()
        };
        let mut out = String::new();
        let mut in_alembic = false;
        let mut saw_alembic = false;
        for line in original.lines() {
            let t = line.trim();
            if t.starts_with('[') {
                in_alembic = t == "[alembic]";
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
                "[alembic]\nscript_location = {}\nsqlalchemy.url = {}\n",
                script.replace('%', "%%"),
                sa_url.replace('%', "%%")
            ));
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
        })
    }

    /// Runs `python -m alembic -c <temp ini> <args>` in the project folder.
    pub fn alembic(&self, args: &[&str]) -> Result<(), CliError> {
        self.run(args, None)
    }

    /// Like `alembic`, for a command that runs up to `steps` migrations:
    /// a progress bar on a terminal when the chain is long.
    pub fn alembic_chain(&self, args: &[&str], steps: usize) -> Result<(), CliError> {
        self.run(args, Some(steps))
    }

    fn run(&self, args: &[&str], steps: Option<usize>) -> Result<(), CliError> {
        let mut cmd = Command::new(&self.python);
        match steps {
            Some(_) => cmd.arg("-c").arg(PROGRESS_WRAPPER),
            None => cmd.args(["-m", "alembic"]),
        };
        cmd.arg("-c")
            .arg(self.ini.path())
            .args(args)
            .current_dir(&self.project_dir)
            // env.py files that read the URL from the environment.
            .env("DATABASE_URL", &self.sa_url)
            .env("MIGDIFF_DATABASE_URL", &self.sa_url)
            .env("SQLALCHEMY_DATABASE_URL", &self.sa_url)
            .env("SQLALCHEMY_URL", &self.sa_url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
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
        if let Some(stderr) = child.stderr.take() {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line == STEP_MARKER {
                    if let Some(bar) = &bar {
                        bar.inc(1);
                    }
                    continue;
                }
                err.push_str(&line);
                err.push('\n');
            }
        }
        let status = child.wait().map_err(cannot_run)?;
        if let Some(bar) = bar {
            bar.finish_and_clear();
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
        Err(CliError {
            message: format!(
                "`alembic {}` failed in the sandbox:\n{}",
                args.join(" "),
                tail.join("\n")
            ),
            code: 1,
        })
    }
}

/// Runs Alembic's command line with a marker line after each migration.
const PROGRESS_WRAPPER: &str = include_str!("alembic_progress.py");
/// The marker, as one line of stderr.
const STEP_MARKER: &str = "\0migdiff-step";
/// Shorter chains finish before a bar would help.
const PROGRESS_FROM_STEPS: usize = 10;

/// Makes a sandbox for `dialect`.
pub async fn sandbox(
    dialect: Dialect,
    server: Option<&str>,
    live_database: Option<&str>,
    provider: migdiff_sandbox::Provider,
) -> Result<Sandbox, CliError> {
    let sb = match dialect {
        Dialect::Sqlite => migdiff_sandbox::sqlite_file(),
        Dialect::Postgresql => migdiff_sandbox::postgres(server, live_database, provider).await,
    };
    sb.map_err(|e| CliError::usage(e.to_string()))
}

/// The sandbox's schema and version rows.
pub async fn read(
    sandbox: &Sandbox,
    version: &VersionTable,
) -> Result<(Schema, Vec<String>), CliError> {
    let url = crate::url::parse(sandbox.url(), Path::new("/"))?;
    let l = live::load(&url, &[], version).await?;
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
        if !self.quiet {
            let mark = if r.is_ok() { "ok" } else { "FAILED" };
            println!(
                "  {name:<48} {mark:>6}  {:>8.0} ms",
                t.elapsed().as_secs_f64() * 1000.0
            );
        }
        r
    }
}

/// Whether the sandbox URL reached env.py: after an upgrade the sandbox's
/// version table must hold the revision.
pub fn check_injected(versions: &[String], rev: &str, sa_url_hint: &str) -> Result<(), CliError> {
    if versions.iter().any(|v| v == rev) {
        return Ok(());
    }
    Err(CliError::usage(format!(
        "after `alembic upgrade {rev}` the sandbox is not at {rev}: the project's env.py did not use the sandbox URL ({sa_url_hint}). Make env.py read config.get_main_option(\"sqlalchemy.url\") or $DATABASE_URL"
    )))
}

pub fn sa_url_of(runner: &Runner) -> &str {
    &runner.sa_url
}

pub fn db_url_of(sandbox: &Sandbox) -> Result<DbUrl, CliError> {
    crate::url::parse(sandbox.url(), Path::new("/"))
}

//! Throwaway databases: each provider that can run here, `migdiff verify`
//! catching broken revisions by name, `check --replay` without a live
//! database, and nothing left behind.

// A test that meets an unexpected error should stop right there.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

#[test]
fn providers_create_and_clean_up() {
    // A temporary database on the running server.
    let url = block_on(async {
        let admin = std::str::FromStr::from_str(&format!(
            "{}/postgres",
            pg_base().replacen("postgresql", "postgres", 1)
        ))
        .unwrap();
        let sb = migdiff_sandbox::temp_database(&admin, None).await.unwrap();
        let url = sb.url().to_string();
        assert!(url.contains("/migdiff_tmp_"), "{url}");
        url
    });
    let name = url.rsplit('/').next().unwrap().to_string();
    let left = std::process::Command::new("psql")
        .args([
            &format!("{}/postgres", pg_base()),
            "-Atc",
            &format!("select count(*) from pg_database where datname = '{name}'"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&left.stdout).trim(),
        "0",
        "the temporary database is dropped"
    );

    // A private cluster from initdb/pg_ctl.
    let sb = block_on(migdiff_sandbox::private_cluster(None)).unwrap();
    exec_pg(
        &sb.url().replacen("postgres://", "postgresql://", 1),
        "create table t (id int)",
    );
    let dir = match &sb {
        migdiff_sandbox::Sandbox::Cluster { dir, .. } => dir.path().to_path_buf(),
        _ => panic!("not a cluster"),
    };
    drop(sb);
    assert!(!dir.exists(), "the cluster folder is removed");
    let ps = std::process::Command::new("ps")
        .arg("aux")
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&ps.stdout).contains(&dir.to_string_lossy().to_string()),
        "no cluster process is left"
    );

    // A SQLite file.
    let sb = migdiff_sandbox::sqlite_file().unwrap();
    assert!(sb.url().starts_with("sqlite:///"));
}

/// A private cluster whose migdiff was killed (SIGKILL: no cleanup ran) is
/// stopped and removed by the next run's sweep; a live owner's is kept.
#[test]
fn a_dead_runs_private_cluster_is_swept() {
    let cluster_dir = |sb: &migdiff_sandbox::Sandbox| match sb {
        migdiff_sandbox::Sandbox::Cluster { dir, .. } => dir.path().to_path_buf(),
        _ => panic!("not a cluster"),
    };
    let alive = block_on(migdiff_sandbox::private_cluster(None)).unwrap();
    let orphan = block_on(migdiff_sandbox::private_cluster(None)).unwrap();
    let orphan_dir = cluster_dir(&orphan);
    let orphan_url = orphan.url().replacen("postgres://", "postgresql://", 1);
    // The owner is a process that has exited, and nothing cleans up after it.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = gone.id();
    gone.wait().unwrap();
    std::fs::write(orphan_dir.join("owner.pid"), dead_pid.to_string()).unwrap();
    std::mem::forget(orphan);

    // Another test starting a cluster meanwhile may sweep it first: what
    // counts is that it is gone, whoever swept it.
    migdiff_sandbox::sweep_clusters(&std::env::temp_dir());
    for _ in 0..100 {
        if !orphan_dir.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        !orphan_dir.exists(),
        "the dead run's cluster folder is removed"
    );
    let ps = std::process::Command::new("ps")
        .arg("aux")
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&ps.stdout).contains(&orphan_dir.to_string_lossy().to_string()),
        "its server is stopped"
    );
    let probe = std::process::Command::new("psql")
        .args([orphan_url.as_str(), "-Atc", "select 1"])
        .output()
        .unwrap();
    assert!(!probe.status.success(), "its port no longer answers");
    // This process owns the other one: it is still there and answers.
    let alive_dir = cluster_dir(&alive);
    assert!(alive_dir.exists());
    exec_pg(
        &alive.url().replacen("postgres://", "postgresql://", 1),
        "select 1",
    );
    drop(alive);
    assert!(!alive_dir.exists());
}

/// `--sandbox docker` on a machine without a Docker daemon (DOCKER_HOST
/// points at a socket that does not exist): exit 2 and what to do, whether
/// or not the binary has the `docker` feature.
#[test]
fn docker_provider_fails_cleanly_without_a_daemon() {
    // A PostgreSQL project whose server is not there.
    let p = project("postgresql://postgres@127.0.0.1:1/app");
    let dir = p.path();
    let nowhere = tempfile::tempdir().unwrap();
    let mut c = migdiff(dir);
    c.env("PATH", path_with_venv())
        .env(
            "DOCKER_HOST",
            format!("unix://{}/docker.sock", nowhere.path().display()),
        )
        .args([
            "--dialect",
            "postgresql",
            "--sandbox",
            "docker",
            "--schema",
            "v1.sql",
            "check",
            "--replay",
        ]);
    let o = run(c);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    let expected = if cfg!(feature = "docker") {
        "no Docker daemon answered"
    } else {
        "built without the `docker` feature"
    };
    assert!(o.stderr.contains(expected), "{}", o.stderr);
    assert!(!o.stderr.contains("panicked"), "{}", o.stderr);

    // An unknown provider name is bad input.
    let o = md(
        dir,
        &[
            "--sandbox",
            "kubernetes",
            "--schema",
            "v1.sql",
            "check",
            "--replay",
        ],
    );
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("auto, server, cluster or docker"),
        "{}",
        o.stderr
    );
}

/// A named provider is the only one tried: `--sandbox cluster` replays in
/// a private cluster even when a server is at hand.
#[test]
fn a_named_provider_is_used() {
    let db = PgDb::new();
    let p = project(&db.url);
    let dir = p.path();
    let o = md(
        dir,
        &[
            "--schema",
            "v1.sql",
            "autogenerate",
            "-m",
            "one",
            "--rev-id",
            "r1",
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let o = md(
        dir,
        &[
            "-v",
            "--sandbox",
            "cluster",
            "--schema",
            "v1.sql",
            "check",
            "--replay",
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr
            .contains("replaying 1 revisions in a private cluster"),
        "{}",
        o.stderr
    );
}

fn project(dialect_url: &str) -> tempfile::TempDir {
    let p = alembic_project(dialect_url);
    std::fs::write(
        p.path().join("v1.sql"),
        "CREATE TABLE t (id INTEGER NOT NULL, PRIMARY KEY (id));",
    )
    .unwrap();
    std::fs::write(p.path().join("v2.sql"), "CREATE TABLE t (id INTEGER NOT NULL, name VARCHAR(20), PRIMARY KEY (id)); CREATE INDEX ix_t_name ON t (name);").unwrap();
    p
}

/// PATH with the test venv first, so `python3 -m alembic` finds Alembic.
fn path_with_venv() -> String {
    format!(
        "{}:{}",
        python().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn md(dir: &std::path::Path, args: &[&str]) -> Output {
    let mut c = migdiff(dir);
    c.env("PATH", path_with_venv()).args(args);
    run(c)
}

#[test]
fn verify_passes_on_good_revisions_and_names_what_breaks() {
    for dialect in [migdiff_sqlite::DIALECT, migdiff_postgres::DIALECT] {
        let db = TestDb::new(dialect);
        let p = project(db.url());
        let dir = p.path();
        // Two good revisions, written by migdiff and applied.
        let o = md(
            dir,
            &[
                "--schema",
                "v1.sql",
                "autogenerate",
                "-m",
                "one",
                "--rev-id",
                "r1",
                "--verify",
            ],
        );
        assert_eq!(o.code, 0, "{dialect}: {}{}", o.stdout, o.stderr);
        assert!(o.stdout.contains("Verified: r1"), "{}", o.stdout);
        assert_eq!(alembic(dir, &["upgrade", "head"]).code, 0);
        let o = md(
            dir,
            &[
                "--schema",
                "v2.sql",
                "autogenerate",
                "-m",
                "two",
                "--rev-id",
                "r2",
            ],
        );
        assert_eq!(o.code, 0, "{}", o.stderr);
        let o = md(dir, &["--schema", "v2.sql", "verify"]);
        assert_eq!(o.code, 0, "{dialect}: {}{}", o.stdout, o.stderr);
        let o = md(dir, &["--schema", "v2.sql", "verify", "r1"]);
        assert_eq!(
            o.code, 0,
            "an older revision verifies too: {}{}",
            o.stdout, o.stderr
        );

        // Drift from the declared schema: the head does not produce v2.sql's table.
        std::fs::write(dir.join("v3.sql"), "CREATE TABLE t (id INTEGER NOT NULL, name VARCHAR(20), extra TEXT, PRIMARY KEY (id)); CREATE INDEX ix_t_name ON t (name);").unwrap();
        let o = md(dir, &["--schema", "v3.sql", "verify"]);
        assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
        assert!(o.stdout.contains("t.extra"), "{}", o.stdout);

        // A downgrade that does not undo its upgrade.
        let v = dir.join("migrations/versions");
        std::fs::write(
            v.join("r3_bad_down.py"),
            "from alembic import op\nimport sqlalchemy as sa\nrevision = 'r3'\ndown_revision = 'r2'\nbranch_labels = None\ndepends_on = None\n\ndef upgrade():\n    op.add_column('t', sa.Column('junk', sa.Integer()))\n\ndef downgrade():\n    pass\n",
        )
        .unwrap();
        let o = md(dir, &["verify", "r3"]);
        assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
        assert!(
            o.stdout.contains("after downgrade") && o.stdout.contains("t.junk"),
            "{}",
            o.stdout
        );
        assert!(o.stdout.contains("upgrade again"), "{}", o.stdout);
        std::fs::remove_file(v.join("r3_bad_down.py")).unwrap();

        // An upgrade that fails.
        std::fs::write(
            v.join("r4_bad_up.py"),
            "from alembic import op\nrevision = 'r4'\ndown_revision = 'r2'\nbranch_labels = None\ndepends_on = None\n\ndef upgrade():\n    op.execute('select * from no_such_table')\n\ndef downgrade():\n    pass\n",
        )
        .unwrap();
        let o = md(dir, &["verify", "r4"]);
        assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
        assert!(
            o.stderr.contains("upgrade r4") && o.stderr.contains("no_such_table"),
            "{}",
            o.stderr
        );
    }
}

#[test]
fn check_replay_needs_no_live_database() {
    let p = project("sqlite:////nonexistent/never.db");
    let dir = p.path();
    let db = SqliteDb::new();
    let o = md(
        dir,
        &[
            "--url",
            &db.url,
            "--schema",
            "v1.sql",
            "autogenerate",
            "-m",
            "one",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    // The live database of alembic.ini does not exist; replay does not need it.
    let o = md(dir, &["--schema", "v1.sql", "check", "--replay"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let o = md(
        dir,
        &[
            "--schema", "v2.sql", "check", "--replay", "--format", "json",
        ],
    );
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("main.t.name"), "{}", o.stdout);
}

#[test]
fn no_python_with_alembic_is_exit_2() {
    let db = SqliteDb::new();
    let p = project(&db.url);
    let dir = p.path();
    let o = md(dir, &["--schema", "v1.sql", "autogenerate", "-m", "one"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    std::fs::write(
        dir.join("migdiff.toml"),
        "python = \"/nonexistent/python\"\n",
    )
    .unwrap();
    let o = md(dir, &["--schema", "v1.sql", "check", "--replay"]);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("/nonexistent/python"), "{}", o.stderr);
    // migdiff.toml applies when -c names the Alembic config too.
    let o = md(
        dir,
        &[
            "-c",
            "alembic.ini",
            "--schema",
            "v1.sql",
            "check",
            "--replay",
        ],
    );
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("/nonexistent/python"), "{}", o.stderr);
}

/// On a terminal, replaying a long chain shows a progress bar counting
/// revisions (run under `script`, which gives migdiff a pseudo-terminal).
#[test]
fn a_long_chain_shows_a_progress_bar_on_a_terminal() {
    let p = project("sqlite:////nonexistent/never.db");
    let dir = p.path();
    let versions = dir.join("migrations/versions");
    let mut schema = String::new();
    let mut down = "None".to_string();
    for i in 1..=12 {
        std::fs::write(
            versions.join(format!("r{i}.py")),
            format!(
                "from alembic import op\nimport sqlalchemy as sa\nrevision = 'r{i}'\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\ndef upgrade():\n    op.create_table('t{i}', sa.Column('id', sa.Integer(), primary_key=True))\n\ndef downgrade():\n    op.drop_table('t{i}')\n"
            ),
        )
        .unwrap();
        down = format!("'r{i}'");
        schema.push_str(&format!(
            "CREATE TABLE t{i} (id INTEGER NOT NULL, PRIMARY KEY (id));\n"
        ));
    }
    std::fs::write(dir.join("chain.sql"), schema).unwrap();
    let typescript = dir.join("typescript");
    let command = format!(
        "'{}' --schema chain.sql check --replay",
        env!("CARGO_BIN_EXE_migdiff")
    );
    let mut c = std::process::Command::new("script");
    c.args(["-qec", &command])
        .arg(&typescript)
        .current_dir(dir)
        .env("PATH", path_with_venv())
        .env_remove("DATABASE_URL")
        .env_remove("MIGDIFF_DATABASE_URL");
    let o = run(c);
    let seen = std::fs::read_to_string(&typescript).unwrap_or_default();
    assert_eq!(o.code, 0, "{}{}{seen}", o.stdout, o.stderr);
    assert!(seen.contains("12/12 revisions"), "{seen}");
    assert!(seen.contains("No drift"), "{seen}");
}

/// `verify` leaves excluded tables out on the throwaway side too, and a
/// comparison that finds differences is never marked "ok".
#[test]
fn verify_honours_exclude_table_and_marks_differences() {
    let db = SqliteDb::new();
    let p = project(&db.url);
    let dir = p.path();
    std::fs::write(
        dir.join("migrations/versions/l1_legacy.py"),
        "from alembic import op\nimport sqlalchemy as sa\nrevision = 'l1'\ndown_revision = None\nbranch_labels = None\ndepends_on = None\n\ndef upgrade():\n    op.create_table('t', sa.Column('id', sa.Integer(), nullable=False), sa.PrimaryKeyConstraint('id'))\n    op.create_table('legacy_audit', sa.Column('id', sa.Integer(), nullable=False), sa.PrimaryKeyConstraint('id'))\n\ndef downgrade():\n    op.drop_table('legacy_audit')\n    op.drop_table('t')\n",
    )
    .unwrap();
    let o = md(dir, &["--schema", "v1.sql", "verify"]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    let compare = o
        .stdout
        .lines()
        .find(|l| l.contains("compare with the declared schema"))
        .unwrap_or_default()
        .to_string();
    assert!(compare.contains("DIFFERS"), "{}", o.stdout);
    assert!(o.stdout.contains("legacy_audit"), "{}", o.stdout);
    let o = md(
        dir,
        &[
            "--schema",
            "v1.sql",
            "--exclude-table",
            "legacy_*",
            "verify",
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
}

/// SIGTERM (what `timeout` and CI cancellation send) during a throwaway
/// run: the Alembic child is killed, the throwaway database removed, exit
/// 143.
#[test]
fn sigterm_removes_the_throwaway_database() {
    let db = PgDb::new();
    let p = project(&db.url);
    let dir = p.path();
    let token = format!("migdiff_sigterm_{}", &db.name[13..21]);
    std::fs::write(
        dir.join("migrations/versions/s1_slow.py"),
        format!(
            "from alembic import op\nrevision = 's1'\ndown_revision = None\nbranch_labels = None\ndepends_on = None\n\ndef upgrade():\n    op.execute(\"select pg_sleep(60) /* {token} */\")\n\ndef downgrade():\n    pass\n"
        ),
    )
    .unwrap();
    let mut c = migdiff(dir);
    c.env("PATH", path_with_venv())
        .args(["--schema", "v1.sql", "check", "--replay"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let admin = format!("{}/postgres", pg_base());
    let find = |sql: &str| {
        let o = std::process::Command::new("psql")
            .args([admin.as_str(), "-Atc", sql])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    // Wait until the migration runs in its throwaway database.
    let mut sandbox = String::new();
    for _ in 0..200 {
        sandbox = find(&format!(
            "select datname from pg_stat_activity where query like '%{token}%' and query not like '%pg_stat_activity%'"
        ));
        if !sandbox.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        sandbox.starts_with("migdiff_tmp_"),
        "no throwaway run seen: {sandbox:?}"
    );
    let started = std::time::Instant::now();
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(status.code(), Some(143));
    let left = find(&format!(
        "select count(*) from pg_database where datname = '{sandbox}'"
    ));
    assert_eq!(left, "0", "{sandbox} was left behind");
}

/// SIGTERM while a private cluster replays the migrations: the cluster's
/// server is stopped and its folder removed, exit 143.
#[test]
fn sigterm_stops_the_private_cluster() {
    let db = PgDb::new();
    let p = project(&db.url);
    let dir = p.path();
    std::fs::write(
        dir.join("migrations/versions/s1_slow.py"),
        "from alembic import op\nrevision = 's1'\ndown_revision = None\nbranch_labels = None\ndepends_on = None\n\ndef upgrade():\n    op.execute(\"select pg_sleep(60)\")\n\ndef downgrade():\n    pass\n",
    )
    .unwrap();
    let mut c = migdiff(dir);
    c.env("PATH", path_with_venv())
        .args([
            "--schema",
            "v1.sql",
            "--sandbox",
            "cluster",
            "check",
            "--replay",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let processes = || {
        let o = std::process::Command::new("ps")
            .args(["-eo", "args"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    // The cluster's folder, from its server's command line, once the
    // migration's statement runs there.
    let mut cluster = None;
    for _ in 0..300 {
        let ps = processes();
        // A cluster's backend has no cluster name in its title, unlike the
        // system server's (`postgres: 15/main: ...`).
        let sleeping = ps
            .lines()
            .any(|l| l.starts_with("postgres: postgres postgres") && l.contains("SELECT"));
        cluster = ps
            .split_whitespace()
            .find(|w| w.contains("migdiff-cluster-") && w.ends_with("/data"))
            .map(|w| w.trim_end_matches("/data").to_string());
        if cluster.is_some() && sleeping {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let cluster = cluster.expect("no private cluster seen");
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    assert!(
        !std::path::Path::new(&cluster).exists(),
        "{cluster} was left behind"
    );
    assert!(
        !processes().contains(&cluster),
        "the cluster's server still runs"
    );
}

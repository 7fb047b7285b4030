//! The command-line contract: exit codes, one-paragraph errors that say
//! what, where and what to do, masked passwords, nothing written on error,
//! and byte-identical output across processes.

// A test that meets an unexpected error should stop right there.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

fn cmd(dir: &std::path::Path, args: &[&str]) -> Output {
    let mut c = migdiff(dir);
    c.args(args);
    run(c)
}

#[test]
fn check_exit_codes_clean_drift_not_at_head() {
    let db = SqliteDb::new();
    db.exec("CREATE TABLE t (id INTEGER NOT NULL, PRIMARY KEY (id));");
    let project = alembic_project(&db.url);
    let dir = project.path();
    std::fs::write(
        dir.join("same.sql"),
        "CREATE TABLE t (id INTEGER NOT NULL, PRIMARY KEY (id));",
    )
    .unwrap();
    std::fs::write(
        dir.join("more.sql"),
        "CREATE TABLE t (id INTEGER NOT NULL, v TEXT, PRIMARY KEY (id));",
    )
    .unwrap();

    let o = cmd(dir, &["--schema", "same.sql", "check"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let o = cmd(dir, &["--schema", "more.sql", "check"]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("add column main.t.v"), "{}", o.stdout);

    let o = cmd(dir, &["--schema", "more.sql", "check", "--format", "json"]);
    assert_eq!(o.code, 1);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).expect("json");
    assert_eq!(v["version"], 1);
    assert_eq!(v["changes"][0]["kind"], "add_column");
    assert_eq!(v["changes"][0]["object"], "main.t.v");

    // A revision the database has not run: not at head, exit 3.
    let o = cmd(
        dir,
        &["--schema", "more.sql", "autogenerate", "-m", "add v"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.starts_with("Generating ") && o.stdout.trim_end().ends_with(" ...  done"),
        "{}",
        o.stdout
    );
    let o = cmd(dir, &["--schema", "more.sql", "check"]);
    assert_eq!(o.code, 3, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("not up to date"), "{}", o.stderr);
    assert!(
        o.stderr.contains("migdiff check --replay") && !o.stderr.contains("once it lands"),
        "{}",
        o.stderr
    );
    let o = cmd(
        dir,
        &["--schema", "more.sql", "autogenerate", "-m", "again"],
    );
    assert_eq!(o.code, 3, "autogenerate refuses too: {}", o.stderr);
}

#[test]
fn no_changes_writes_nothing() {
    let db = SqliteDb::new();
    db.exec("CREATE TABLE t (id INTEGER)");
    let project = alembic_project(&db.url);
    let dir = project.path();
    std::fs::write(dir.join("s.sql"), "CREATE TABLE t (id INTEGER)").unwrap();
    let o = cmd(dir, &["--schema", "s.sql", "autogenerate", "-m", "nothing"]);
    assert_eq!(o.code, 0);
    assert_eq!(o.stdout.trim(), "No changes in schema detected.");
    assert_eq!(
        std::fs::read_dir(dir.join("migrations/versions"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn unreachable_database_is_exit_2_with_masked_password() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.sql"), "CREATE TABLE t (id INT);").unwrap();
    let o = cmd(
        dir.path(),
        &[
            "--url",
            "postgresql://bob:hunter2@127.0.0.1:1/nowhere",
            "--schema",
            "s.sql",
            "check",
        ],
    );
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("cannot connect") && o.stderr.contains("bob:***@"),
        "{}",
        o.stderr
    );
    assert!(!o.stderr.contains("hunter2"), "{}", o.stderr);
}

#[test]
fn wrong_password_is_exit_2_and_masked() {
    let db = PgDb::new();
    db.exec("create role migdiff_pw_test login password 'right'");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.sql"), "CREATE TABLE t (id INT);").unwrap();
    let url = db
        .url
        .replacen("postgres@", "migdiff_pw_test:wrong-secret@", 1);
    let o = cmd(dir.path(), &["--url", &url, "--schema", "s.sql", "check"]);
    // trust auth accepts any password here; either way nothing leaks.
    assert!(!o.stderr.contains("wrong-secret") && !o.stdout.contains("wrong-secret"));
    db.exec("drop role migdiff_pw_test");
}

#[test]
fn unknown_scheme_and_missing_files_are_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = cmd(
        dir.path(),
        &["--url", "oracle://u:pw@h/db", "--schema", "x.sql", "check"],
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("unknown scheme") && o.stderr.contains("u:***@"),
        "{}",
        o.stderr
    );

    let db = SqliteDb::new();
    let o = cmd(
        dir.path(),
        &["--url", &db.url, "--schema", "missing.sql", "check"],
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("missing.sql") && o.stderr.contains("does not exist"),
        "{}",
        o.stderr
    );

    let o = cmd(
        dir.path(),
        &[
            "--url",
            "sqlite:///nope/none.db",
            "--schema",
            "x.sql",
            "check",
        ],
    );
    assert_eq!(o.code, 2, "{}", o.stderr);

    let o = cmd(dir.path(), &["check", "--format", "yaml"]);
    assert_eq!(o.code, 2, "an unknown format is a usage error");
}

#[test]
fn unreadable_ddl_names_file_line_and_column() {
    let db = SqliteDb::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.sql"),
        "CREATE TABLE ok (id INT);\n\nCREATE TABLE broken (\n  id INT,\n  name VARCHAR(10) NOT NULL NOT,\n);\n",
    )
    .unwrap();
    let o = cmd(
        dir.path(),
        &["--url", &db.url, "--schema", "bad.sql", "check"],
    );
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("bad.sql:5:"), "{}", o.stderr);
    assert!(o.stderr.contains("CREATE TABLE broken ("), "{}", o.stderr);
}

#[test]
fn missing_references_are_named() {
    let db = SqliteDb::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.sql"),
        "CREATE TABLE b (id INT, a_id INT REFERENCES a (id));",
    )
    .unwrap();
    let o = cmd(
        dir.path(),
        &["--url", &db.url, "--schema", "s.sql", "check"],
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("table main.a") && o.stderr.contains("table main.b"),
        "{}",
        o.stderr
    );
}

#[test]
fn unwritable_snapshot_output_is_exit_2_and_writes_nothing() {
    let db = SqliteDb::new();
    db.exec("CREATE TABLE t (id INT)");
    let dir = tempfile::tempdir().unwrap();
    let o = cmd(
        dir.path(),
        &["--url", &db.url, "snapshot", "-o", "no/such/dir/snap.toml"],
    );
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("cannot write"), "{}", o.stderr);
    assert!(!dir.path().join("no").exists());
}

#[test]
fn multiple_heads_refuse_autogenerate() {
    let db = SqliteDb::new();
    let project = alembic_project(&db.url);
    let dir = project.path();
    let v = dir.join("migrations/versions");
    std::fs::write(v.join("a1_a.py"), "revision = 'a1'\ndown_revision = None\n").unwrap();
    std::fs::write(v.join("b1_b.py"), "revision = 'b1'\ndown_revision = None\n").unwrap();
    std::fs::write(dir.join("s.sql"), "CREATE TABLE t (id INT)").unwrap();
    let o = cmd(dir, &["--schema", "s.sql", "autogenerate", "-m", "x"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("Multiple head revisions") && o.stderr.contains("--head"),
        "{}",
        o.stderr
    );
    assert_eq!(std::fs::read_dir(&v).unwrap().count(), 2, "nothing written");
}

#[test]
fn broken_graph_and_config_are_exit_2() {
    let db = SqliteDb::new();
    let project = alembic_project(&db.url);
    let dir = project.path();
    let v = dir.join("migrations/versions");
    std::fs::write(v.join("a1_a.py"), "revision = 'a1'\ndown_revision = 'zz'\n").unwrap();
    let o = cmd(dir, &["heads"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("a1_a.py") && o.stderr.contains("zz"),
        "{}",
        o.stderr
    );

    std::fs::write(
        dir.join("alembic.ini"),
        "[alembic]\nscript_location = %(here)s/nowhere\n",
    )
    .unwrap();
    let o = cmd(dir, &["heads"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("nowhere") && o.stderr.contains("does not exist"),
        "{}",
        o.stderr
    );
}

#[test]
fn unsupported_template_construct_is_named() {
    let db = SqliteDb::new();
    let project = alembic_project(&db.url);
    let dir = project.path();
    std::fs::write(
        dir.join("migrations/script.py.mako"),
        "<%! import re %>\n${message}\n",
    )
    .unwrap();
    std::fs::write(dir.join("s.sql"), "CREATE TABLE t (id INT)").unwrap();
    let o = cmd(dir, &["--schema", "s.sql", "autogenerate", "-m", "x"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("script.py.mako:1") && o.stderr.contains("<%"),
        "{}",
        o.stderr
    );
    assert_eq!(
        std::fs::read_dir(dir.join("migrations/versions"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn output_is_identical_across_processes() {
    let db = PgDb::new();
    db.exec("CREATE TABLE a (id INT PRIMARY KEY); CREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES a (id)); CREATE TABLE c (x INT, y INT, z INT); CREATE TABLE d (id INT);");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.sql"),
        "CREATE TABLE e (id INT PRIMARY KEY, f_id INT); CREATE TABLE f (id INT PRIMARY KEY, e_id INT REFERENCES e (id)); ALTER TABLE e ADD CONSTRAINT fk_e_f FOREIGN KEY (f_id) REFERENCES f (id); CREATE TABLE c (x INT, w INT, v INT);",
    )
    .unwrap();
    let mut outputs = std::collections::BTreeSet::new();
    for _ in 0..6 {
        for format in ["json", "sql", "alembic"] {
            let o = cmd(
                dir.path(),
                &[
                    "--url", &db.url, "--schema", "s.sql", "diff", "--format", format,
                ],
            );
            assert_eq!(o.code, 0, "{}", o.stderr);
            outputs.insert((format, o.stdout));
        }
    }
    assert_eq!(
        outputs.len(),
        3,
        "each format gives one output, whatever the process"
    );
}

#[test]
fn dialect_flag_and_url_precedence() {
    // --url beats DATABASE_URL, which beats alembic.ini.
    let db = SqliteDb::new();
    db.exec("CREATE TABLE t (id INT)");
    let project = alembic_project("sqlite:////nonexistent/x.db");
    let dir = project.path();
    std::fs::write(dir.join("s.sql"), "CREATE TABLE t (id INT)").unwrap();
    let o = cmd(dir, &["--schema", "s.sql", "diff"]);
    assert_eq!(
        o.code, 2,
        "alembic.ini's URL is used when nothing else is given"
    );
    let mut c = migdiff(dir);
    c.env("DATABASE_URL", &db.url)
        .args(["--schema", "s.sql", "diff"]);
    let o = run(c);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let mut c = migdiff(dir);
    c.env("DATABASE_URL", "sqlite:////nonexistent/y.db")
        .args(["--url", &db.url, "--schema", "s.sql", "diff"]);
    assert_eq!(run(c).code, 0);
    let _ = migdiff_sqlite::DIALECT;
}

#[test]
fn filters_leave_tables_out_on_both_sides() {
    let db = PgDb::new();
    db.exec("CREATE SCHEMA other; CREATE TABLE keep (id INT); CREATE TABLE tmp_1 (id INT); CREATE TABLE other.x (id INT);");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.sql"), "CREATE TABLE keep (id INT);").unwrap();
    let o = cmd(
        dir.path(),
        &["--url", &db.url, "--schema", "s.sql", "check"],
    );
    assert_eq!(o.code, 1, "without filters the extra tables are drift");
    let o = cmd(
        dir.path(),
        &[
            "--url",
            &db.url,
            "--schema",
            "s.sql",
            "--include-schema",
            "public",
            "--exclude-table",
            "tmp_*",
            "check",
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    std::fs::write(
        dir.path().join("migdiff.toml"),
        "include_schemas = [\"public\"]\nexclude_tables = [\"public.tmp_*\"]\n",
    )
    .unwrap();
    let o = cmd(
        dir.path(),
        &["--url", &db.url, "--schema", "s.sql", "check"],
    );
    assert_eq!(
        o.code, 0,
        "the same filters from migdiff.toml: {}{}",
        o.stdout, o.stderr
    );
}

#[test]
fn a_database_version_the_graph_does_not_know_is_exit_2() {
    let db = SqliteDb::new();
    db.exec("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); INSERT INTO alembic_version VALUES ('deadbeef0000');");
    let project = alembic_project(&db.url);
    std::fs::write(project.path().join("s.sql"), "").unwrap();
    let o = cmd(project.path(), &["--schema", "s.sql", "check"]);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("deadbeef0000"), "{}", o.stderr);
}

/// A role that may not read the version table can still run the gate
/// when there is no Alembic project, or the table is excluded.
#[test]
fn the_version_table_is_not_read_without_a_reason() {
    let db = PgDb::new();
    let role = format!("migdiff_ro_{}", &db.name[13..25]);
    db.exec(&format!(
        "CREATE TABLE t (id integer PRIMARY KEY); CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); \
         CREATE ROLE {role} LOGIN; GRANT SELECT ON t TO {role}; REVOKE ALL ON alembic_version FROM {role};"
    ));
    let url = db.url.replacen("postgres@", &format!("{role}@"), 1);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.sql"),
        "CREATE TABLE t (id integer PRIMARY KEY);",
    )
    .unwrap();
    let o = cmd(
        dir.path(),
        &[
            "--url",
            &url,
            "--schema",
            "s.sql",
            "check",
            "--exclude-table",
            "alembic_version",
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let o = cmd(
        dir.path(),
        &[
            "--url",
            &url,
            "--schema",
            "s.sql",
            "--exclude-table",
            "alembic_version",
            "check",
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    // With a project whose filters leave the table out, too.
    let project = alembic_project(&url);
    std::fs::write(
        project.path().join("s.sql"),
        "CREATE TABLE t (id integer PRIMARY KEY);",
    )
    .unwrap();
    let o = cmd(
        project.path(),
        &[
            "--schema",
            "s.sql",
            "check",
            "--exclude-table",
            "alembic_version",
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    drop(db);
    exec_pg(
        &format!("{}/postgres", pg_base()),
        &format!("DROP ROLE IF EXISTS {role}"),
    );
}

/// `--sandbox docker` in a build without the feature is refused at once,
/// never a silent fallback to another provider.
#[cfg(not(feature = "docker"))]
#[test]
fn a_docker_sandbox_without_the_feature_is_refused() {
    let db = PgDb::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.sql"),
        "CREATE TABLE t (id integer PRIMARY KEY);",
    )
    .unwrap();
    let o = cmd(
        dir.path(),
        &[
            "--url",
            &db.url,
            "--schema",
            "s.sql",
            "--sandbox",
            "docker",
            "check",
        ],
    );
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("--features docker"), "{}", o.stderr);
}

/// A string or comment left open in a statement migdiff skips must not
/// swallow the statements after it: exit 2, located where it opens.
#[test]
fn an_unterminated_literal_never_hides_what_follows() {
    let db = SqliteDb::new();
    let dir = tempfile::tempdir().unwrap();
    for (script, at) in [
        (
            "SET search_path = 'oops;\nCREATE TABLE t (a int);\n",
            "s.sql:1:19",
        ),
        ("SELECT 'x;\nCREATE TABLE t (a int);\n", "s.sql:1:8"),
        (
            "COMMENT ON SCHEMA public IS 'x;\nCREATE TABLE t (a int);\n",
            "s.sql:1:29",
        ),
        ("SET x = E'  '';\nCREATE TABLE t (a int);\n", "s.sql:1:10"),
        ("CREATE TABLE t (a int);\n/* open\n", "s.sql:2:1"),
    ] {
        std::fs::write(dir.path().join("s.sql"), script).unwrap();
        let o = cmd(
            dir.path(),
            &["--url", &db.url, "--schema", "s.sql", "check"],
        );
        assert_eq!(o.code, 2, "{script}: {}{}", o.stdout, o.stderr);
        assert!(
            o.stderr.contains(at) && o.stderr.contains("unterminated"),
            "{script}: {}",
            o.stderr
        );
    }
}

/// DDL the databases refuse is refused, never read into something else.
#[test]
fn ddl_the_databases_refuse_is_refused() {
    let db = SqliteDb::new();
    let dir = tempfile::tempdir().unwrap();
    for (script, says) in [
        (
            "CREATE TABLE t (id int, PRIMRAY KEY (id));",
            "misspelled constraint",
        ),
        (
            "CREATE TABLE t (id int, id int);",
            "column id is declared twice",
        ),
        (
            "CREATE TABLE t (id int); CREATE INDEX ix ON t (id); CREATE INDEX ix ON t (id);",
            "index ix is declared twice",
        ),
        (
            "CREATE TABLE t (id int, CHECK (nope > 0));",
            "names column nope",
        ),
        (
            "CREATE TABLE t (id INTEGER GENERATED ALWAYS AS IDENTITY, PRIMARY KEY (id));",
            "SQLite has no identity columns",
        ),
        (
            "CREATE TABLE t (a int); CREATE INDEX ix ON t (a FUNCTION);",
            "SQLite has no operator classes",
        ),
        ("CREATE TABLE t (id int, COMMENT ON x);", "cannot read"),
        (
            "CREATE TABLE t (id int, COMMENT ON);",
            "a keyword, not a type",
        ),
        (
            "CREATE TABLE t (id int, PRIMRAY KEY);",
            "a keyword, not a type",
        ),
    ] {
        std::fs::write(dir.path().join("s.sql"), script).unwrap();
        let o = cmd(
            dir.path(),
            &["--url", &db.url, "--schema", "s.sql", "check"],
        );
        assert_eq!(o.code, 2, "{script}: {}{}", o.stdout, o.stderr);
        assert!(
            o.stderr.contains(says) && o.stderr.contains("s.sql:1"),
            "{script}: {}",
            o.stderr
        );
    }
}

/// Revision files: mode as any new file (not 0600), a message with `"""`
/// and backslashes stays a valid docstring, a revision id cannot leave the
/// versions folder.
#[test]
fn revision_files_are_plain_valid_and_stay_in_versions() {
    let db = SqliteDb::new();
    let project = alembic_project(&db.url);
    let dir = project.path();
    std::fs::write(
        dir.join("s.sql"),
        "CREATE TABLE t (id INTEGER NOT NULL, PRIMARY KEY (id));",
    )
    .unwrap();
    let o = cmd(
        dir,
        &[
            "--schema",
            "s.sql",
            "autogenerate",
            "-m",
            "../../evil",
            "--rev-id",
            "../../evil",
        ],
    );
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    let message = "say \"\"\" and C:\\new";
    let o = cmd(
        dir,
        &[
            "--schema",
            "s.sql",
            "autogenerate",
            "-m",
            message,
            "--rev-id",
            "r1",
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let file = std::fs::read_dir(dir.join("migrations/versions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "py"))
        .unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_ne!(mode, 0o600, "{mode:o}");
    assert!(
        mode & 0o044 != 0,
        "readable as Alembic's files are: {mode:o}"
    );
    let o = alembic(dir, &["history"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains(message), "{}", o.stdout);
    let o = cmd(dir, &["history"]);
    assert!(o.stdout.contains(message), "{}", o.stdout);
}

/// A server that accepts the connection and never answers: exit 2 after
/// the connect timeout, never a hang.
#[test]
fn a_silent_server_times_out() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and hold the connections, answering nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(4) {
            held.push(stream);
        }
        std::thread::sleep(std::time::Duration::from_secs(30));
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.sql"),
        "CREATE TABLE t (id integer PRIMARY KEY);",
    )
    .unwrap();
    std::fs::write(dir.path().join("migdiff.toml"), "connect_timeout = 1\n").unwrap();
    let url = format!("postgresql://u@127.0.0.1:{port}/db");
    let started = std::time::Instant::now();
    let o = cmd(dir.path(), &["--url", &url, "--schema", "s.sql", "check"]);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("no answer from the server within 1 s"),
        "{}",
        o.stderr
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

/// A PostgreSQL name over 63 bytes is refused (the server would truncate
/// it, and every check would then report it added and removed).
#[test]
fn names_postgresql_would_truncate_are_refused() {
    let db = PgDb::new();
    let dir = tempfile::tempdir().unwrap();
    let long = "c".repeat(64);
    std::fs::write(
        dir.path().join("s.sql"),
        format!("CREATE TABLE t (id integer PRIMARY KEY, {long} text);"),
    )
    .unwrap();
    let o = cmd(
        dir.path(),
        &["--url", &db.url, "--schema", "s.sql", "check"],
    );
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("64 bytes") && o.stderr.contains("s.sql:1"),
        "{}",
        o.stderr
    );
}

/// Filters and options that name nothing are refused, never a silent
/// "no drift".
#[test]
fn filters_that_match_nothing_are_refused() {
    let db = SqliteDb::new();
    db.exec("CREATE TABLE t (id INTEGER NOT NULL, PRIMARY KEY (id));");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.sql"),
        "CREATE TABLE t (id INTEGER NOT NULL, PRIMARY KEY (id));",
    )
    .unwrap();
    let base = ["--url", db.url.as_str(), "--schema", "s.sql"];
    let run_with = |extra: &[&str]| {
        let args: Vec<&str> = base.iter().chain(extra.iter()).copied().collect();
        cmd(dir.path(), &args)
    };
    for (extra, says) in [
        (
            &["--include-schema", "public", "check"][..],
            "SQLite has one schema",
        ),
        (
            &["--rename-column", "nope.a=b", "check"][..],
            "neither column",
        ),
        (&["--dialect", "postgresql", "check"][..], "contradicts"),
        (
            &["--sandbox", "kubernetes", "check"][..],
            "unknown sandbox provider",
        ),
        (
            &["--dialect", "oracle", "heads"][..],
            "unknown dialect `oracle`: use `postgresql` or `sqlite`",
        ),
    ] {
        let o = run_with(extra);
        assert_eq!(o.code, 2, "{extra:?}: {}{}", o.stdout, o.stderr);
        assert!(o.stderr.contains(says), "{extra:?}: {}", o.stderr);
    }
    let pg = PgDb::new();
    pg.exec("CREATE TABLE t (id integer PRIMARY KEY);");
    std::fs::write(
        dir.path().join("p.sql"),
        "CREATE TABLE t (id integer PRIMARY KEY);",
    )
    .unwrap();
    let o = cmd(
        dir.path(),
        &[
            "--url",
            &pg.url,
            "--schema",
            "p.sql",
            "--include-schema",
            "pubic",
            "check",
        ],
    );
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("pubic"), "{}", o.stderr);
    let o = cmd(
        dir.path(),
        &[
            "--url",
            &pg.url,
            "--schema",
            "p.sql",
            "--include-schema",
            "public",
            "check",
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
}

/// A TOML snapshot is held to what the DDL path refuses: references to
/// missing tables or columns, expressions that are not SQL.
#[test]
fn snapshots_are_validated() {
    let db = SqliteDb::new();
    let dir = tempfile::tempdir().unwrap();
    let head = "format = 1\ndialect = \"sqlite\"\n\n[[tables.main.t.columns]]\nname = \"id\"\ntype = \"integer\"\nnullable = false\n\n[tables.main.t.primary_key]\ncolumns = [\"id\"]\n";
    for (extra, says) in [
        (
            "\n[[tables.main.t.foreign_keys]]\ncolumns = [\"id\"]\nref_schema = \"main\"\nref_table = \"nope\"\nref_columns = [\"id\"]\n",
            "table main.nope",
        ),
        (
            "\n[[tables.main.t.indexes]]\nname = \"ix\"\nkeys = [{ column = \"missing\" }]\n",
            "column missing",
        ),
        (
            "\n[[tables.main.t.check_constraints]]\nname = \"ck\"\nexpr = \"id >\"\n",
            "not SQL",
        ),
    ] {
        std::fs::write(dir.path().join("s.toml"), format!("{head}{extra}")).unwrap();
        let o = cmd(
            dir.path(),
            &["--url", &db.url, "--schema", "s.toml", "check"],
        );
        assert_eq!(o.code, 2, "{extra}: {}{}", o.stdout, o.stderr);
        assert!(o.stderr.contains(says), "{extra}: {}", o.stderr);
    }
}

/// Messages say what the user can act on: PostgreSQL's words without the
/// server's source line, no server advice for a SQLite file, the place of
/// the real cause (an index at its CREATE INDEX, bad bytes at their line
/// and column, an open dollar quote where it opens), no 200 KB echo.
#[test]
fn messages_point_at_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("ok.sql"), "CREATE TABLE t (id int);\n").unwrap();
    // PostgreSQL's own message, without "at line 948".
    let pg = PgDb::new();
    let missing_db = format!("{}_missing", pg.url);
    let o = cmd(d, &["--url", &missing_db, "--schema", "ok.sql", "check"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("does not exist"), "{}", o.stderr);
    assert!(!o.stderr.contains(" at line "), "{}", o.stderr);
    // A SQLite file that is not a database: no talk of servers.
    std::fs::write(
        d.join("junk.db"),
        "this is not a database, it is text ".repeat(200),
    )
    .unwrap();
    let junk = format!("sqlite:///{}", d.join("junk.db").display());
    let o = cmd(d, &["--url", &junk, "--schema", "ok.sql", "check"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(!o.stderr.contains("password"), "{}", o.stderr);
    let db = SqliteDb::new();
    let located = |script: &[u8], at: &str, says: &str| {
        std::fs::write(d.join("s.sql"), script).unwrap();
        let o = cmd(d, &["--url", &db.url, "--schema", "s.sql", "check"]);
        assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
        assert!(
            o.stderr.contains(at) && o.stderr.contains(says),
            "{at}: {}",
            o.stderr
        );
        o.stderr
    };
    located(
        b"CREATE TABLE t (id int);\n\nCREATE INDEX ix ON t (nope);\n",
        "s.sql:3",
        "index ix on table main.t names column nope",
    );
    located(
        b"CREATE TABLE t (id int);\nCREATE TABLE u (name text DEFAULT 'caf\xe9');\n",
        "s.sql:2:39",
        "not UTF-8",
    );
    let pg_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        pg_dir.path().join("s.sql"),
        "CREATE TABLE t (id int);\nCREATE TABLE u (a text DEFAULT $$x);\n\nCREATE TABLE v (b int);\n",
    )
    .unwrap();
    let o = cmd(
        pg_dir.path(),
        &["--url", &pg.url, "--schema", "s.sql", "check"],
    );
    assert!(
        o.code == 2 && o.stderr.contains("s.sql:2:32"),
        "{}",
        o.stderr
    );
    // One generated line of 200 KB with a mistake: the message stays short.
    let long = format!(
        "CREATE TABLE t (id int, PRIMRAY KEY (id)); {}\n",
        "CREATE TABLE x (a int); ".repeat(8000)
    );
    let stderr = located(long.as_bytes(), "s.sql:1", "misspelled constraint");
    assert!(stderr.len() < 2000, "{} bytes of message", stderr.len());
}

/// libpq's URL forms: a Unix socket (`host=/var/run/postgresql`, empty
/// host) and no user (the operating-system user, as libpq does), and TLS
/// (`sslmode=require`).
#[test]
fn socket_tls_and_userless_urls_connect() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("ok.sql"), "CREATE TABLE t (id int);\n").unwrap();
    let pg = PgDb::new();
    let (base, db) = pg.url.rsplit_once('/').unwrap();
    let port = base.rsplit(':').next().unwrap();
    // scripts/pg-major.sh's servers keep their socket in their own folder.
    let own = std::env::var("MIGDIFF_TEST_PG_SOCKET_DIR").unwrap_or_default();
    let socket_dir = [
        own.as_str(),
        "/var/run/postgresql",
        "/run/postgresql",
        "/tmp",
    ]
    .into_iter()
    .find(|s| {
        !s.is_empty()
            && std::path::Path::new(s)
                .join(format!(".s.PGSQL.{port}"))
                .exists()
    })
    .expect("the test server's Unix socket (MIGDIFF_TEST_PG_SOCKET_DIR names its folder)");
    let user = base.split("://").nth(1).unwrap().split('@').next().unwrap();
    for url in [
        format!("postgresql://{user}@/{db}?host={socket_dir}&port={port}"),
        format!("postgresql+psycopg://{user}@:{port}/{db}?host={socket_dir}"),
        format!("{}?sslmode=require", pg.url),
    ] {
        let o = cmd(d, &["--url", &url, "--schema", "ok.sql", "check"]);
        assert_eq!(o.code, 1, "{url}: {}{}", o.stdout, o.stderr);
        assert!(
            o.stdout.contains("add table public.t"),
            "{url}: {}",
            o.stdout
        );
    }
    // No user in the URL: $PGUSER, else the operating-system user.
    let mut c = migdiff(d);
    c.env("PGUSER", user).env_remove("USER").args([
        "--url",
        &format!("postgresql://{}/{db}", base.split('@').nth(1).unwrap()),
        "--schema",
        "ok.sql",
        "check",
    ]);
    let o = run(c);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
}

/// A revision file Python cannot compile (a bad merge left a conflict
/// marker) fails `heads`, `check` and `autogenerate` with its file, line
/// and column, as Alembic would fail to load it; nothing is written.
#[test]
fn a_revision_with_a_syntax_error_is_exit_2() {
    let db = SqliteDb::new();
    let project = alembic_project(&db.url);
    let dir = project.path();
    std::fs::write(
        dir.join("s.sql"),
        "CREATE TABLE t (id INTEGER NOT NULL, PRIMARY KEY (id));",
    )
    .unwrap();
    std::fs::write(
        dir.join("migrations/versions/r1_bad.py"),
        "\"\"\"bad\"\"\"\nfrom alembic import op\nrevision = 'r1'\ndown_revision = None\n\ndef upgrade():\n<<<<<<< HEAD\n    op.drop_table('a')\n=======\n    pass\n>>>>>>> theirs\n\ndef downgrade():\n    pass\n",
    )
    .unwrap();
    for args in [
        vec!["heads"],
        vec!["--schema", "s.sql", "check"],
        vec!["--schema", "s.sql", "autogenerate", "-m", "next"],
    ] {
        let mut c = migdiff(dir);
        c.env("VIRTUAL_ENV", python().parent().unwrap().parent().unwrap())
            .args(&args);
        let o = run(c);
        assert_eq!(o.code, 2, "{args:?}: {}{}", o.stdout, o.stderr);
        assert!(
            o.stderr.contains("r1_bad.py:7:1") && o.stderr.contains("cannot compile"),
            "{args:?}: {}",
            o.stderr
        );
    }
    let files = std::fs::read_dir(dir.join("migrations/versions"))
        .unwrap()
        .count();
    assert_eq!(files, 1, "nothing was written");
}

/// On a loopback host with no `sslmode`, migdiff connects without TLS
/// first (sqlx's TLS handshake costs ~90 ms a connection); a server whose
/// pg_hba.conf wants TLS there is asked again with it, as libpq's default
/// `prefer` would. scripts/pg-major.sh's servers have such a role; the
/// system's server has none, and there nothing is left to prove.
#[test]
fn loopback_connects_plain_and_falls_back_to_tls() {
    let pg = PgDb::new();
    let rules = std::process::Command::new("psql")
        .args([
            pg.url.as_str(),
            "-Atc",
            "select count(*) from pg_hba_file_rules where 'migdiff_tls_only' = any(user_name)",
        ])
        .output()
        .unwrap();
    if String::from_utf8_lossy(&rules.stdout).trim() != "2" {
        eprintln!("no TLS-only role on this server: nothing to prove");
        return;
    }
    pg.exec(
        "do $$ begin if not exists (select from pg_roles where rolname = 'migdiff_tls_only') \
         then create role migdiff_tls_only login; end if; end $$",
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("ok.sql"), "CREATE TABLE t (id int);\n").unwrap();
    let (base, db) = pg.url.rsplit_once('/').unwrap();
    let host = base.split('@').nth(1).unwrap();
    let url = format!("postgresql://migdiff_tls_only@{host}/{db}");
    let o = cmd(d, &["--url", &url, "--schema", "ok.sql", "check"]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("add table public.t"), "{}", o.stdout);
    // Asked for no TLS, it gets none: the server's refusal, exit 2.
    let o = cmd(
        d,
        &[
            "--url",
            &format!("{url}?sslmode=disable"),
            "--schema",
            "ok.sql",
            "check",
        ],
    );
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("no encryption"), "{}", o.stderr);
}

/// A rename whose new name the declared table lacks would drop the column
/// and add another (its data lost): an error that names the column meant.
#[test]
fn a_misspelt_new_name_in_a_rename_is_an_error_with_the_name_meant() {
    let db = SqliteDb::new();
    db.exec("CREATE TABLE authors (id INTEGER NOT NULL, name TEXT, PRIMARY KEY (id));");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.sql"),
        "CREATE TABLE authors (id INTEGER NOT NULL, display_name TEXT, PRIMARY KEY (id));",
    )
    .unwrap();
    let o = cmd(
        dir.path(),
        &[
            "--url",
            &db.url,
            "--schema",
            "s.sql",
            "--rename-column",
            "authors.name=dispaly_name",
            "diff",
        ],
    );
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("no column `dispaly_name`")
            && o.stderr
                .contains("did you mean `main.authors.name=display_name`?"),
        "{}",
        o.stderr
    );
    // Spelt right, it is a rename.
    let o = cmd(
        dir.path(),
        &[
            "--url",
            &db.url,
            "--schema",
            "s.sql",
            "--rename-column",
            "authors.name=display_name",
            "diff",
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("rename column"), "{}", o.stdout);
}

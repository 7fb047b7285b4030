//! Online-safe migrations on PostgreSQL: `migdiff lint` against squawk on
//! the same revisions, and `autogenerate --online` revisions that squawk
//! finds no lock in and that run up and down under real Alembic.
//!
//! Each case is a change to an existing table. Its default revision is
//! linted by migdiff and by squawk (on the SQL `alembic upgrade --sql`
//! writes for it): the same rules, the same number of times. Its
//! `--online` revision (or the refusal, for changes that have no online
//! form) is linted by squawk again: none of the lock rules; then Alembic
//! upgrades (the database then equals the declared schema) and downgrades
//! (equal to where it started).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// The lock rules: what `--online` must leave none of.
const LOCK_RULES: &[&str] = &[
    "require-concurrent-index-creation",
    "require-concurrent-index-deletion",
    "disallowed-unique-constraint",
    "adding-serial-primary-key-field",
    "adding-foreign-key-constraint",
    "constraint-missing-not-valid",
    "adding-not-nullable-field",
    "adding-field-with-default",
    "changing-column-type",
    "ban-concurrent-index-creation-in-transaction",
    "require-lock-timeout",
];

fn squawk() -> PathBuf {
    let p = venv().join("bin/squawk");
    assert!(
        p.exists(),
        "{} is missing: scripts/test.sh installs squawk-cli in the test virtualenv",
        p.display()
    );
    p
}

/// The SQL Alembic writes for the project's only revision, offline.
fn offline_sql(dir: &Path) -> String {
    let o = alembic(dir, &["upgrade", "head", "--sql"]);
    assert_eq!(o.code, 0, "alembic upgrade --sql: {}", o.stderr);
    o.stdout
}

/// squawk's findings on `sql`, counted by rule, among the rules migdiff
/// lint has (squawk's style rules, such as prefer-robust-stmts, left out).
fn squawk_counts(sql: &str) -> BTreeMap<String, usize> {
    let file = tempfile::NamedTempFile::new().expect("temp");
    std::fs::write(file.path(), sql).expect("write");
    let o = run({
        let mut c = Command::new(squawk());
        c.arg("--reporter").arg("json").arg(file.path());
        c
    });
    let found: serde_json::Value = serde_json::from_str(o.stdout.trim())
        .unwrap_or_else(|e| panic!("squawk's JSON ({e}): {}{}", o.stdout, o.stderr));
    let mut out = BTreeMap::new();
    for f in found.as_array().into_iter().flatten() {
        let rule = f["rule_name"].as_str().unwrap_or("").to_string();
        if migdiff_model::Rule::from_name(&rule).is_some() {
            *out.entry(rule).or_default() += 1;
        }
    }
    out
}

fn lint_counts(dir: &Path) -> BTreeMap<String, usize> {
    let mut c = migdiff(dir);
    c.env("VIRTUAL_ENV", venv())
        .args(["lint", "--all", "--format", "json"]);
    let o = run(c);
    assert!(o.code == 0 || o.code == 1, "lint: {}{}", o.stdout, o.stderr);
    let doc: serde_json::Value = serde_json::from_str(&o.stdout).expect("lint JSON");
    let mut out = BTreeMap::new();
    for f in doc["findings"].as_array().into_iter().flatten() {
        *out.entry(f["rule"].as_str().unwrap_or("").to_string())
            .or_default() += 1;
    }
    out
}

struct Case {
    before: &'static str,
    after: &'static str,
    extra: &'static [&'static str],
    /// squawk's rules migdiff does not report here, with why.
    squawk_only: &'static [&'static str],
    /// `--online` refuses the change (no online form).
    refused: bool,
}

/// A project on a fresh database holding `before`, its revision written
/// by migdiff (`--online` or not) for `after`.
fn make_project(case: &Case, online: bool) -> (PgDb, tempfile::TempDir, common::Output) {
    let db = PgDb::new();
    db.exec(case.before);
    let project = alembic_project(&db.url);
    let dir = project.path();
    std::fs::write(dir.join("after.sql"), case.after).expect("write");
    let mut c = migdiff(dir);
    c.env("VIRTUAL_ENV", venv())
        .args(["--schema", "after.sql"])
        .args(case.extra)
        .args(["autogenerate", "-m", "change"]);
    if online {
        c.arg("--online");
    }
    let o = run(c);
    (db, project, o)
}

fn run_case(case: Case) {
    // The default revision: migdiff lint and squawk agree.
    let (_db, project, o) = make_project(&case, false);
    let dir = project.path();
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let revision = only_revision(dir);
    let sql = offline_sql(dir);
    let mut theirs = squawk_counts(&sql);
    for r in case.squawk_only {
        theirs.remove(*r);
    }
    let ours = lint_counts(dir);
    assert_eq!(ours, theirs, "migdiff lint vs squawk on\n{sql}\n{revision}");
    assert!(!ours.is_empty(), "every case breaks a rule by default");

    // The online revision: no lock rule left, and it runs up and down.
    let (db, project, o) = make_project(&case, true);
    let dir = project.path();
    if case.refused {
        assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
        assert!(o.stderr.contains("nothing was written"), "{}", o.stderr);
        assert!(o.stderr.contains("instead:"), "{}", o.stderr);
        assert_eq!(only_revision(dir), "", "a refused revision is not written");
        return;
    }
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let revision = only_revision(dir);
    let sql = offline_sql(dir);
    let left: Vec<String> = squawk_counts(&sql)
        .into_keys()
        .filter(|r| LOCK_RULES.contains(&r.as_str()))
        .collect();
    assert!(
        left.is_empty(),
        "squawk on the online revision: {left:?}\n{sql}\n{revision}"
    );
    let ours = lint_counts(dir);
    assert!(
        ours.keys().all(|r| !LOCK_RULES.contains(&r.as_str())),
        "migdiff lint on the online revision: {ours:?}\n{revision}"
    );
    let o = alembic(dir, &["upgrade", "head"]);
    assert_eq!(o.code, 0, "upgrade: {}\n{revision}", o.stderr);
    let check = |schema: &str| {
        let mut c = migdiff(dir);
        c.env("VIRTUAL_ENV", venv())
            .args(["--schema", schema])
            .args(case.extra)
            .arg("check");
        run(c)
    };
    let o = check("after.sql");
    assert_eq!(
        o.code, 0,
        "after the upgrade: {}{}\n{revision}",
        o.stdout, o.stderr
    );
    let o = alembic(dir, &["downgrade", "base"]);
    assert_eq!(o.code, 0, "downgrade: {}\n{revision}", o.stderr);
    std::fs::write(dir.join("before.sql"), case.before).expect("write");
    let mut c = migdiff(dir);
    c.env("VIRTUAL_ENV", venv())
        .args(["--schema", "before.sql", "diff", "--format", "json"]);
    let o = run(c);
    assert!(
        o.stdout.contains("\"clean\": true"),
        "after the downgrade: {}{}\n{revision}",
        o.stdout,
        o.stderr
    );
    drop(db);
}

const BASE: &str = "CREATE TABLE u (id integer PRIMARY KEY);\nCREATE TABLE t (id integer PRIMARY KEY, a integer, b integer);\n";

#[test]
fn index() {
    run_case(Case {
        before: BASE,
        after: "CREATE TABLE u (id integer PRIMARY KEY);\nCREATE TABLE t (id integer PRIMARY KEY, a integer, b integer);\nCREATE INDEX ix_t_a ON t (a);",
        extra: &[],
        squawk_only: &[],
        refused: false,
    });
}

#[test]
fn dropped_index() {
    run_case(Case {
        before: "CREATE TABLE t (id integer PRIMARY KEY, a integer);\nCREATE INDEX ix_t_a ON t (a);",
        after: "CREATE TABLE t (id integer PRIMARY KEY, a integer);",
        extra: &[],
        squawk_only: &[],
        refused: false,
    });
}

#[test]
fn unique() {
    run_case(Case {
        before: BASE,
        after: "CREATE TABLE u (id integer PRIMARY KEY);\nCREATE TABLE t (id integer PRIMARY KEY, a integer, b integer, CONSTRAINT uq_t_a UNIQUE (a));",
        extra: &[],
        // squawk also asks for NOT VALID on a UNIQUE constraint, which
        // PostgreSQL does not accept there (only foreign keys and CHECKs).
        squawk_only: &["constraint-missing-not-valid"],
        refused: false,
    });
}

#[test]
fn foreign_key() {
    run_case(Case {
        before: BASE,
        after: "CREATE TABLE u (id integer PRIMARY KEY);\nCREATE TABLE t (id integer PRIMARY KEY, a integer, b integer, CONSTRAINT fk_t_b FOREIGN KEY (b) REFERENCES u (id));",
        extra: &[],
        squawk_only: &[],
        refused: false,
    });
}

#[test]
fn check() {
    run_case(Case {
        before: BASE,
        after: "CREATE TABLE u (id integer PRIMARY KEY);\nCREATE TABLE t (id integer PRIMARY KEY, a integer, b integer, CONSTRAINT ck_t_a CHECK (a > 0));",
        extra: &[],
        squawk_only: &[],
        refused: false,
    });
}

#[test]
fn not_null() {
    run_case(Case {
        before: BASE,
        after: "CREATE TABLE u (id integer PRIMARY KEY);\nCREATE TABLE t (id integer PRIMARY KEY, a integer NOT NULL, b integer);",
        extra: &[],
        squawk_only: &[],
        refused: false,
    });
}

#[test]
fn volatile_default() {
    run_case(Case {
        before: BASE,
        after: "CREATE TABLE u (id integer PRIMARY KEY);\nCREATE TABLE t (id integer PRIMARY KEY, a integer, b integer, c uuid DEFAULT gen_random_uuid());",
        extra: &[],
        squawk_only: &[],
        refused: true,
    });
}

#[test]
fn type_change() {
    run_case(Case {
        before: BASE,
        after: "CREATE TABLE u (id integer PRIMARY KEY);\nCREATE TABLE t (id integer PRIMARY KEY, a bigint, b integer);",
        extra: &[],
        squawk_only: &[],
        refused: true,
    });
}

#[test]
fn drops() {
    run_case(Case {
        before: BASE,
        after: "CREATE TABLE t (id integer PRIMARY KEY, a integer);",
        extra: &[],
        squawk_only: &[],
        refused: false,
    });
}

#[test]
fn rename() {
    run_case(Case {
        before: BASE,
        after: "CREATE TABLE u (id integer PRIMARY KEY);\nCREATE TABLE t (id integer PRIMARY KEY, a2 integer, b integer);",
        extra: &["--rename-column", "t.a=a2"],
        squawk_only: &[],
        refused: false,
    });
}

#[test]
fn lint_names_the_op_line_and_honours_ignores() {
    let db = PgDb::new();
    db.exec(BASE);
    let project = alembic_project(&db.url);
    let dir = project.path();
    let versions = dir.join("migrations/versions");
    std::fs::write(
        versions.join("a1_hand.py"),
        "\"\"\"by hand\n\nRevision ID: a1\nRevises:\n\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = 'a1'\ndown_revision = None\n\n\ndef upgrade():\n    op.execute(\"SET lock_timeout = '2s'\")\n    op.create_index('ix_t_b', 't',\n                    ['b'])\n    op.drop_column('t', 'a')  # migdiff: ignore[ban-drop-column]\n    # migdiff: ignore[renaming-table]\n    op.rename_table('u', 'u2')\n    op.alter_column('t', 'b', new_column_name='c')\n\n\ndef downgrade():\n    pass\n",
    )
    .expect("write");
    let lint = |args: &[&str]| {
        let mut c = migdiff(dir);
        c.env("VIRTUAL_ENV", venv()).arg("lint").args(args);
        run(c)
    };
    // Nothing applied yet: the default lints a1.
    let o = lint(&[]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout
            .contains("migrations/versions/a1_hand.py:15: require-concurrent-index-creation (a1)"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains("migrations/versions/a1_hand.py:20: renaming-column (a1)"),
        "{}",
        o.stdout
    );
    assert!(!o.stdout.contains("ban-drop-column"), "{}", o.stdout);
    assert!(!o.stdout.contains("renaming-table"), "{}", o.stdout);
    assert!(!o.stdout.contains("require-lock-timeout"), "{}", o.stdout);
    assert!(
        o.stdout.contains("2 findings in 1 revision"),
        "{}",
        o.stdout
    );
    // A file path works as well as an id; migdiff.toml ignores a rule.
    std::fs::write(
        dir.join("migdiff.toml"),
        "lint_ignore = [\"a1:renaming-column\"]\n",
    )
    .expect("write");
    let o = lint(&["migrations/versions/a1_hand.py", "--format", "json"]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    let doc: serde_json::Value = serde_json::from_str(&o.stdout).expect("json");
    let rules: Vec<&str> = doc["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(rules, ["require-concurrent-index-creation"]);
    // Applied: nothing left to lint.
    let o = alembic(dir, &["stamp", "head"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = lint(&[]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    // A misspelled rule is a usage error.
    std::fs::write(dir.join("migdiff.toml"), "lint_ignore = [\"no-such\"]\n").expect("write");
    let o = lint(&["--all"]);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("names no rule"), "{}", o.stderr);
}

#[test]
fn lint_never_lets_env_py_reach_a_database() {
    // An env.py that connects even offline (to the live database) is
    // stopped before anything is sent.
    let db = PgDb::new();
    let project = alembic_project(&db.url);
    let dir = project.path();
    std::fs::write(
        dir.join("migrations/env.py"),
        format!(
            "from sqlalchemy import create_engine\nfrom alembic import context\ncreate_engine({:?}).connect()\ncontext.configure(url=context.config.get_main_option('sqlalchemy.url'))\nwith context.begin_transaction():\n    context.run_migrations()\n",
            db.url
        ),
    )
    .expect("env.py");
    std::fs::write(
        dir.join("migrations/versions/a1.py"),
        "revision = 'a1'\ndown_revision = None\nfrom alembic import op\ndef upgrade():\n    op.create_index('ix', 't', ['a'])\ndef downgrade():\n    pass\n",
    )
    .expect("write");
    let mut c = migdiff(dir);
    c.env("VIRTUAL_ENV", venv()).args(["lint", "--all"]);
    let o = run(c);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr
            .contains("stopped the run before anything was sent"),
        "{}",
        o.stderr
    );
}

#[test]
fn a_revision_that_cannot_run_offline_is_named_and_the_others_are_linted() {
    let db = PgDb::new();
    db.exec(BASE);
    let project = alembic_project(&db.url);
    let dir = project.path();
    let versions = dir.join("migrations/versions");
    std::fs::write(
        versions.join("a1_index.py"),
        "revision = 'a1'\ndown_revision = None\nfrom alembic import op\ndef upgrade():\n    op.create_index('ix_t_a', 't', ['a'])\ndef downgrade():\n    pass\n",
    )
    .expect("write");
    std::fs::write(
        versions.join("b2_data.py"),
        "revision = 'b2'\ndown_revision = 'a1'\nfrom alembic import op\nimport sqlalchemy as sa\ndef upgrade():\n    rows = op.get_bind().execute(sa.text('SELECT id FROM t')).fetchall()\ndef downgrade():\n    pass\n",
    )
    .expect("write");
    let mut c = migdiff(dir);
    c.env("VIRTUAL_ENV", venv()).args(["lint", "--all"]);
    let o = run(c);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout
            .contains("a1_index.py:5: require-concurrent-index-creation"),
        "{}",
        o.stdout
    );
    assert!(
        o.stderr
            .contains("1 revision could not be rendered offline"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("b2 (migrations/versions/b2_data.py)"),
        "{}",
        o.stderr
    );
}

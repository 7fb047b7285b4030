//! Expressions PostgreSQL rewrites when it stores them are settled through
//! a scratch database; without one they are reported unverified.

// A test that meets an unexpected error should stop right there.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

const REWRITTEN: &str = r#"
CREATE TABLE orders (
    id INT PRIMARY KEY,
    status VARCHAR(10) NOT NULL,
    price NUMERIC(10, 2),
    quantity INTEGER,
    total NUMERIC GENERATED ALWAYS AS (price * quantity) STORED,
    CONSTRAINT ck_status CHECK (status IN ('new', 'paid')),
    CONSTRAINT ck_qty CHECK (quantity BETWEEN 1 AND 100),
    CONSTRAINT ck_name CHECK (status LIKE 'n%' OR status <> '')
);
CREATE INDEX ix_lower ON orders (lower(status));
CREATE INDEX ix_partial ON orders (id) WHERE status IN ('new');
"#;

#[test]
fn rewritten_expressions_check_clean() {
    let db = PgDb::new();
    db.exec(REWRITTEN);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.sql"), REWRITTEN).unwrap();
    let mut c = migdiff(dir.path());
    c.args(["--url", &db.url, "--schema", "s.sql", "check"]);
    let o = run(c);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);

    // A real change among them is still found.
    std::fs::write(
        dir.path().join("t.sql"),
        REWRITTEN.replace("'paid'", "'shipped'"),
    )
    .unwrap();
    let mut c = migdiff(dir.path());
    c.args(["--url", &db.url, "--schema", "t.sql", "check"]);
    let o = run(c);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains("ck_status") && !o.stdout.contains("ix_lower"),
        "{}",
        o.stdout
    );
}

/// `command` (with `args`) on the rewritten schema against itself, with a
/// dev server that answers nowhere, plus `extra` global options.
fn with_dev_server_nowhere(extra: &[&str], command: &str, args: &[&str]) -> Output {
    let db = PgDb::new();
    db.exec(REWRITTEN);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.sql"), REWRITTEN).unwrap();
    let mut c = migdiff(dir.path());
    c.args([
        "--url",
        &db.url,
        "--dev-url",
        "postgresql://postgres@127.0.0.1:1/nowhere",
        "--schema",
        "s.sql",
    ])
    .args(extra)
    .arg(command)
    .args(args);
    run(c)
}

/// `check` of the rewritten schema against itself, with no dev server.
fn check_with_dev_server_nowhere(extra: &[&str], format: &[&str]) -> Output {
    with_dev_server_nowhere(extra, "check", format)
}

#[test]
fn without_a_scratch_database_it_is_unverified_not_clean() {
    let o = check_with_dev_server_nowhere(&[], &["--format", "json"]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).expect("json");
    assert_eq!(v["clean"], false);
    assert!(
        v["unverified"][0]
            .as_str()
            .unwrap_or("")
            .contains("public.orders"),
        "{}",
        o.stdout
    );
    // Unverified is not drift: nothing of it is listed as a change.
    assert_eq!(
        v["changes"].as_array().map(Vec::len),
        Some(0),
        "{}",
        o.stdout
    );
}

/// Without a scratch database, `diff --format alembic` writes no no-op
/// `alter_column` for an expression it could not settle.
#[test]
fn unsettled_expressions_write_no_ops() {
    let o = with_dev_server_nowhere(&[], "diff", &["--format", "alembic"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(
        !o.stdout.contains("alter_column")
            && !o.stdout.contains("constraint")
            && o.stdout.contains("pass"),
        "{}",
        o.stdout
    );
}

#[test]
fn the_scratch_database_follows_the_sandbox_option() {
    // The dev server answers nowhere, but a private cluster is asked for.
    let o = check_with_dev_server_nowhere(&["--sandbox", "cluster"], &[]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
}

/// Expressions settled side by side in shared scratch tables: the same
/// column name with different types (where the server spells the same
/// text differently) must not share one, and repeated expressions over
/// many tables settle once.
#[test]
fn many_tables_and_clashing_columns_settle_alike() {
    let mut sql = String::from(
        "CREATE TABLE a (id INT PRIMARY KEY, name VARCHAR(20), CONSTRAINT ck_a CHECK (name SIMILAR TO 'a%'));\n\
         CREATE TABLE b (id INT PRIMARY KEY, name TEXT, CONSTRAINT ck_b CHECK (name SIMILAR TO 'a%'));\n",
    );
    for i in 0..60 {
        sql.push_str(&format!(
            "CREATE TABLE t{i} (id INT PRIMARY KEY, qty INT, CONSTRAINT ck_t{i} CHECK (qty BETWEEN 0 AND {}));\n",
            i % 3 + 1
        ));
    }
    let db = PgDb::new();
    db.exec(&sql);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.sql"), &sql).unwrap();
    let mut c = migdiff(dir.path());
    c.args(["--url", &db.url, "--schema", "s.sql", "check"]);
    let o = run(c);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    // One real change among them is found, and only that one.
    std::fs::write(
        dir.path().join("t.sql"),
        sql.replace(
            "CHECK (qty BETWEEN 0 AND 3));\nCREATE TABLE t3 ",
            "CHECK (qty BETWEEN 0 AND 4));\nCREATE TABLE t3 ",
        ),
    )
    .unwrap();
    let mut c = migdiff(dir.path());
    c.args(["--url", &db.url, "--schema", "t.sql", "check"]);
    let o = run(c);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains("ck_t2") && !o.stdout.contains("ck_t5"),
        "{}",
        o.stdout
    );
}

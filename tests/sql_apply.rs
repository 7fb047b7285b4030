//! `migdiff diff --format sql` applied to real databases that hold rows:
//! afterwards `check` is clean, and SQLite's table rebuilds keep the data.

// A test that meets an unexpected error should stop right there.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use migdiff_model::Dialect;

fn apply_sql(dialect: Dialect, before: &str, rows: &str, after: &str) -> TestDb {
    let db = TestDb::new(dialect);
    if !before.trim().is_empty() {
        db.exec(before);
    }
    if !rows.trim().is_empty() {
        db.exec(rows);
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("after.sql"), after).unwrap();
    let mut c = migdiff(dir.path());
    c.args([
        "--url",
        db.url(),
        "--schema",
        "after.sql",
        "diff",
        "--format",
        "sql",
    ]);
    let o = run(c);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // As psql does: one statement at a time, each committed (an enum value
    // added by ALTER TYPE cannot be used in the transaction that adds it).
    // SQLite's PRAGMAs hold per connection: the script runs on one.
    if dialect == migdiff_sqlite::DIALECT {
        db.exec(&o.stdout);
    } else {
        for statement in o.stdout.split(";\n").filter(|s| !s.trim().is_empty()) {
            db.exec(statement);
        }
    }
    let mut c = migdiff(dir.path());
    c.args(["--url", db.url(), "--schema", "after.sql", "check"]);
    let chk = run(c);
    assert_eq!(
        chk.code, 0,
        "not clean after applying:\n{}\n--- check ---\n{}{}",
        o.stdout, chk.stdout, chk.stderr
    );
    db
}

fn count(db: &TestDb, table: &str) -> i64 {
    scalar(db, &format!("select count(*) from {table}"))
}

fn scalar(db: &TestDb, sql: &str) -> i64 {
    let url = db.url().to_string();
    let sql = sql.to_string();
    block_on(async move {
        use sqlx::Connection;
        if url.starts_with("sqlite") {
            let mut c =
                sqlx::SqliteConnection::connect(&url.replacen("sqlite:///", "sqlite://", 1))
                    .await
                    .unwrap();
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut c)
                .await
                .unwrap()
        } else {
            let mut c =
                sqlx::PgConnection::connect(&url.replacen("postgresql://", "postgres://", 1))
                    .await
                    .unwrap();
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut c)
                .await
                .unwrap()
        }
    })
}

const PG_BEFORE: &str = r#"
CREATE TYPE st AS ENUM ('a', 'c');
CREATE TABLE users (id SERIAL PRIMARY KEY, name VARCHAR(50) NOT NULL, email VARCHAR(100), age INTEGER, s st DEFAULT 'a', old TEXT);
CREATE TABLE posts (id INT PRIMARY KEY, user_id INT, title TEXT);
CREATE TABLE gone (id INT PRIMARY KEY);
CREATE INDEX ix_old ON users (age);
COMMENT ON TABLE users IS 'old comment';
"#;
const PG_ROWS: &str = "INSERT INTO users (name, email, age) VALUES ('a', 'a@x', 30), ('b', NULL, 40); INSERT INTO posts VALUES (1, 1, 'hello');";
const PG_AFTER: &str = r#"
CREATE SCHEMA app;
CREATE TYPE st AS ENUM ('a', 'b', 'c');
CREATE TYPE app.kind AS ENUM ('x', 'y');
CREATE SEQUENCE app.counter START WITH 5;
CREATE TABLE users (
    id SERIAL PRIMARY KEY, name VARCHAR(200) NOT NULL, email VARCHAR(100) DEFAULT 'none',
    age BIGINT, s st DEFAULT 'b', nick TEXT, CONSTRAINT ck_age CHECK (age > 0), CONSTRAINT uq_email UNIQUE (email)
);
COMMENT ON TABLE users IS 'new comment';
COMMENT ON COLUMN users.nick IS 'nickname';
CREATE TABLE posts (id INT PRIMARY KEY, user_id INT REFERENCES users (id) ON DELETE CASCADE, title TEXT NOT NULL DEFAULT '');
CREATE TABLE app.things (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, k app.kind, n INT DEFAULT nextval('app.counter'));
CREATE INDEX ix_new ON users (lower(name)) WHERE age > 18;
CREATE UNIQUE INDEX ix_title ON posts (title DESC);
"#;

#[test]
fn postgres_every_op_kind_with_rows() {
    let db = apply_sql(migdiff_postgres::DIALECT, PG_BEFORE, PG_ROWS, PG_AFTER);
    assert_eq!(count(&db, "users"), 2);
    assert_eq!(count(&db, "posts"), 1);
}

#[test]
fn postgres_enum_value_removal_and_pk_change() {
    apply_sql(
        migdiff_postgres::DIALECT,
        "CREATE TYPE st AS ENUM ('a', 'b', 'c'); CREATE TABLE p (a INT NOT NULL, b INT NOT NULL, s st DEFAULT 'a', PRIMARY KEY (a)); CREATE TABLE c (id INT PRIMARY KEY, pa INT REFERENCES p (a));",
        "INSERT INTO p VALUES (1, 1, 'a'), (2, 2, 'c'); INSERT INTO c VALUES (1, 1);",
        "CREATE TYPE st AS ENUM ('a', 'c'); CREATE TABLE p (a INT NOT NULL, b INT NOT NULL, s st DEFAULT 'a', PRIMARY KEY (a, b), UNIQUE (a)); CREATE TABLE c (id INT PRIMARY KEY, pa INT REFERENCES p (a));",
    );
}

#[test]
fn postgres_drop_everything() {
    apply_sql(migdiff_postgres::DIALECT, PG_AFTER, "", "");
}

const LITE_BEFORE: &str = r#"
CREATE TABLE users (id INTEGER NOT NULL, name VARCHAR(50) NOT NULL, email VARCHAR(100), age INTEGER, old TEXT, PRIMARY KEY (id));
CREATE TABLE posts (id INTEGER NOT NULL, user_id INTEGER, title TEXT, PRIMARY KEY (id));
CREATE TABLE gone (id INTEGER);
CREATE INDEX ix_old ON users (age);
"#;
const LITE_ROWS: &str = "INSERT INTO users (id, name, email, age, old) VALUES (1, 'a', 'a@x', 30, 'o'), (2, 'b', NULL, 40, 'p'); INSERT INTO posts VALUES (1, 1, 'hello');";
const LITE_AFTER: &str = r#"
CREATE TABLE users (id INTEGER NOT NULL, name VARCHAR(200) NOT NULL, email VARCHAR(100) DEFAULT 'none', age BIGINT, nick TEXT, PRIMARY KEY (id), CONSTRAINT ck_age CHECK (age > 0), CONSTRAINT uq_email UNIQUE (email));
CREATE TABLE posts (id INTEGER NOT NULL, user_id INTEGER, title TEXT NOT NULL DEFAULT '', PRIMARY KEY (id), CONSTRAINT fk_posts_users FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE);
CREATE TABLE things (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER DEFAULT 3);
CREATE INDEX ix_new ON users (lower(name)) WHERE age > 18;
CREATE UNIQUE INDEX ix_title ON posts (title DESC);
"#;

#[test]
fn sqlite_rebuilds_keep_rows() {
    let db = apply_sql(migdiff_sqlite::DIALECT, LITE_BEFORE, LITE_ROWS, LITE_AFTER);
    assert_eq!(count(&db, "users"), 2);
    assert_eq!(count(&db, "posts"), 1);
}

#[test]
fn sqlite_drop_everything() {
    apply_sql(migdiff_sqlite::DIALECT, LITE_AFTER, "", "");
}

/// A changed sequence keeps counting from where it is: `START WITH` is
/// altered, never `RESTART` (which would hand out used values again).
#[test]
fn altering_a_sequence_keeps_its_position() {
    let db = apply_sql(
        migdiff_postgres::DIALECT,
        "CREATE SEQUENCE invoice_numbers START WITH 1000;",
        "SELECT nextval('invoice_numbers'); SELECT nextval('invoice_numbers'); SELECT nextval('invoice_numbers');",
        "CREATE SEQUENCE invoice_numbers START WITH 2000 INCREMENT BY 5;",
    );
    assert_eq!(scalar(&db, "select nextval('invoice_numbers')"), 1007);
}

/// PostgreSQL cannot change the type of a column a generated column uses
/// (nor a generated column's own type with USING): the generated columns
/// are dropped and added back after the change, and the rows keep their
/// values.
#[test]
fn retyping_a_column_a_generated_column_uses() {
    let db = apply_sql(
        migdiff_postgres::DIALECT,
        "CREATE TABLE t (id int PRIMARY KEY, a int, doubled int GENERATED ALWAYS AS (a * 2) STORED, other int GENERATED ALWAYS AS (id + 1) STORED);",
        "INSERT INTO t (id, a) VALUES (1, 20), (2, 21);",
        "CREATE TABLE t (id int PRIMARY KEY, a bigint, doubled bigint GENERATED ALWAYS AS (a * 2) STORED, other int GENERATED ALWAYS AS (id + 1) STORED);",
    );
    assert_eq!(scalar(&db, "select sum(doubled)::int8 from t"), 82);
    assert_eq!(scalar(&db, "select sum(other)::int8 from t"), 5);
}

/// An identity column whose options change is altered in place (`SET ...`):
/// dropping and adding the identity again would start it over, and the
/// next row would take a used key.
#[test]
fn altering_an_identity_keeps_its_position() {
    let db = apply_sql(
        migdiff_postgres::DIALECT,
        "CREATE TABLE t (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text);",
        "INSERT INTO t (v) SELECT 'x' FROM generate_series(1, 5);",
        "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY (START WITH 1 INCREMENT BY 10) PRIMARY KEY, v text);",
    );
    db.exec("INSERT INTO t (v) VALUES ('after')");
    assert_eq!(scalar(&db, "select id from t where v = 'after'"), 15);
}

/// A column that becomes serial or identity continues after the values
/// its rows hold (a fresh sequence would start at 1 and collide).
#[test]
fn a_column_that_becomes_serial_or_identity_continues_after_its_rows() {
    let db = apply_sql(
        migdiff_postgres::DIALECT,
        "CREATE TABLE a (id integer PRIMARY KEY, v text); CREATE TABLE b (id serial PRIMARY KEY, v text);",
        "INSERT INTO a VALUES (1, 'x'), (7, 'y'); INSERT INTO b (v) VALUES ('x'), ('y'), ('z');",
        "CREATE TABLE a (id serial PRIMARY KEY, v text); CREATE TABLE b (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text);",
    );
    db.exec("INSERT INTO a (v) VALUES ('after'); INSERT INTO b (v) VALUES ('after');");
    assert_eq!(scalar(&db, "select id::int8 from a where v = 'after'"), 8);
    assert_eq!(scalar(&db, "select id::int8 from b where v = 'after'"), 4);
}

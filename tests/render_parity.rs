//! Render parity: for the changes Alembic itself detects, every op that
//! Alembic's own autogenerate writes appears, character for character, in
//! the revision migdiff writes for the same change. Alembic's output is
//! generated inside the test by the pinned Alembic, never copied by hand.

// A test that meets an unexpected error should stop right there.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use migdiff_model::Dialect;

/// Upgrade-body statements: each top-level `op.` call with its
/// continuation lines, or a whole `with op.batch_alter_table` block.
fn statements(script: &str) -> Vec<String> {
    let body = script
        .split("def upgrade()")
        .nth(1)
        .and_then(|s| s.split("def downgrade()").next())
        .unwrap_or("");
    let mut out: Vec<String> = Vec::new();
    for line in body.lines() {
        let starts = line.starts_with("    op.")
            || line.starts_with("    with ")
            || line.starts_with("        batch_op.");
        if starts {
            out.push(line.to_string());
        } else if line.starts_with("    ")
            && !line.trim_start().starts_with('#')
            && !line.trim().is_empty()
            && let Some(last) = out.last_mut()
        {
            // A continuation line of the statement before.
            last.push('\n');
            last.push_str(line);
        }
    }
    out.into_iter()
        .filter(|s| !s.starts_with("    with "))
        .collect()
}

fn alembic_script(dialect: Dialect, before: &str, after_models: &str) -> (String, String) {
    let db = TestDb::new(dialect);
    if !before.is_empty() {
        db.exec(before);
    }
    let project = alembic_project(db.url());
    let dir = project.path();
    std::fs::write(dir.join("models.py"), after_models).unwrap();
    let mut c = std::process::Command::new(python());
    c.args([
        "-m",
        "alembic",
        "revision",
        "--autogenerate",
        "-m",
        "ref",
        "--rev-id",
        "ref",
    ])
    .current_dir(dir)
    .env("MODELS_FILE", dir.join("models.py"));
    let o = run(c);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let theirs = std::fs::read_to_string(dir.join("migrations/versions/ref_ref.py")).unwrap();
    std::fs::remove_file(dir.join("migrations/versions/ref_ref.py")).unwrap();
    // migdiff reads the same models through SQLAlchemy's own DDL.
    std::fs::write(dir.join("models_after.py"), after_models).unwrap();
    let o = run({
        let mut c = migdiff(dir);
        c.env("VIRTUAL_ENV", python().parent().unwrap().parent().unwrap())
            .args([
                "--schema",
                "sqlalchemy:models_after:metadata",
                "autogenerate",
                "-m",
                "ours",
                "--rev-id",
                "ours",
            ]);
        c
    });
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let ours = std::fs::read_to_string(dir.join("migrations/versions/ours_ours.py")).unwrap();
    (theirs, ours)
}

const HEAD: &str = "import sqlalchemy as sa\nmetadata = sa.MetaData()\n";

fn check(dialect: Dialect, before: &str, after: &str) {
    let (theirs, ours) = alembic_script(dialect, before, &format!("{HEAD}{after}"));
    let ours_statements = statements(&ours);
    let mut missing = Vec::new();
    for s in statements(&theirs) {
        if !ours_statements.contains(&s) {
            missing.push(s);
        }
    }
    assert!(
        missing.is_empty(),
        "Alembic wrote, migdiff did not:\n{}\n--- alembic ---\n{theirs}\n--- migdiff ---\n{ours}",
        missing.join("\n")
    );
}

const USERS_SQL: &str = "CREATE TABLE users (id SERIAL NOT NULL, name VARCHAR(50) NOT NULL, email VARCHAR(100), age INTEGER, PRIMARY KEY (id));";
const USERS_LITE: &str = "CREATE TABLE users (id INTEGER NOT NULL, name VARCHAR(50) NOT NULL, email VARCHAR(100), age INTEGER, PRIMARY KEY (id));";

// `DateTime(timezone=True)` is left out: SQLite's DDL says DATETIME either
// way, so a model read through SQLite DDL cannot carry the flag (README).
#[test]
fn create_tables_with_fk_index_unique() {
    let models = "authors = sa.Table('authors', metadata, sa.Column('id', sa.Integer, primary_key=True), sa.Column('name', sa.String(100), nullable=False, server_default='anon'))
books = sa.Table('books', metadata, sa.Column('id', sa.Integer, primary_key=True), sa.Column('title', sa.String(200), nullable=False),
    sa.Column('author_id', sa.Integer, sa.ForeignKey('authors.id', ondelete='CASCADE', name='fk_books_author')),
    sa.Column('price', sa.Numeric(10, 2)), sa.Column('at', sa.DateTime(), server_default=sa.func.now()),
    sa.UniqueConstraint('title', name='uq_books_title'), sa.Index('ix_books_price', 'price'))
";
    check(migdiff_postgres::DIALECT, "", models);
    check(migdiff_sqlite::DIALECT, "", models);
}

#[test]
fn column_changes() {
    let after = "users = sa.Table('users', metadata, sa.Column('id', sa.Integer, primary_key=True),
    sa.Column('name', sa.String(200), nullable=False), sa.Column('email', sa.String(100), nullable=False),
    sa.Column('status', sa.String(20), nullable=False, server_default='active'))
";
    check(migdiff_postgres::DIALECT, USERS_SQL, after);
    check(migdiff_sqlite::DIALECT, USERS_LITE, after);
}

#[test]
fn index_and_constraint_changes() {
    let after = "users = sa.Table('users', metadata, sa.Column('id', sa.Integer, primary_key=True),
    sa.Column('name', sa.String(50), nullable=False), sa.Column('email', sa.String(100)), sa.Column('age', sa.Integer),
    sa.UniqueConstraint('email', name='uq_users_email'), sa.Index('ix_users_age', 'age'), sa.Index('ix_users_name_email', 'name', 'email', unique=True))
";
    check(migdiff_postgres::DIALECT, USERS_SQL, after);
    check(migdiff_sqlite::DIALECT, USERS_LITE, after);
}

#[test]
fn drop_table_and_column() {
    let before_pg = "CREATE TABLE a (id SERIAL PRIMARY KEY, v TEXT, w INTEGER); CREATE TABLE b (id SERIAL PRIMARY KEY);";
    let after = "a = sa.Table('a', metadata, sa.Column('id', sa.Integer, primary_key=True), sa.Column('v', sa.Text))\n";
    check(migdiff_postgres::DIALECT, before_pg, after);
}

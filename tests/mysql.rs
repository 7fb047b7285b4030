//! MySQL and MariaDB end to end, on the running server
//! ($MIGDIFF_TEST_MYSQL_URL, default mysql://root@127.0.0.1:3306): a
//! round-trip corpus (load the declared schema, read it back, no diff) in
//! SQLAlchemy's spelling and in the dump tools', revisions run by real
//! Alembic up and down, throwaway databases, and URLs. A missing server
//! fails these tests; it never skips them.

mod common;

use std::path::Path;

use common::*;

fn check(dir: &Path, url: &str, schema: &str) -> Output {
    let mut c = migdiff(dir);
    c.args(["--url", url, "--schema", schema, "check"]);
    run(c)
}

/// Loads `sql` into a fresh database and checks it against itself: the
/// schema read back must compare as nothing. Then the same for what the
/// server's dump tool writes of it, where the tool is installed.
fn round_trip(sql: &str) {
    let db = MyDb::new();
    db.exec(sql);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("schema.sql"), sql).expect("write");
    let o = check(dir.path(), &db.url, "schema.sql");
    assert_eq!(o.code, 0, "{}{}\n--- schema ---\n{sql}", o.stdout, o.stderr);
    for tool in ["mariadb-dump", "mysqldump"] {
        let Ok(out) = std::process::Command::new(tool)
            .args(["-uroot", "-h127.0.0.1", "--no-data", &db.name])
            .output()
        else {
            continue;
        };
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(dir.path().join("dump.sql"), &out.stdout).expect("write");
        let o = check(dir.path(), &db.url, "dump.sql");
        assert_eq!(
            o.code,
            0,
            "{tool}: {}{}\n--- dump ---\n{}",
            o.stdout,
            o.stderr,
            String::from_utf8_lossy(&out.stdout)
        );
        break;
    }
}

#[test]
fn sqlalchemy_spelling_round_trips() {
    // What SQLAlchemy's MySQL compiler writes.
    round_trip(
        "CREATE TABLE authors (
	id INTEGER NOT NULL AUTO_INCREMENT,
	name VARCHAR(100) NOT NULL COMMENT 'the name',
	bio TEXT,
	active BOOL NOT NULL DEFAULT 1,
	score NUMERIC(10, 2) DEFAULT 1.5,
	rating FLOAT,
	ratio DOUBLE,
	created DATETIME DEFAULT CURRENT_TIMESTAMP,
	seen TIMESTAMP NULL,
	born DATE,
	at TIME,
	data JSON,
	photo BLOB,
	code CHAR(3),
	big BIGINT,
	small SMALLINT,
	PRIMARY KEY (id),
	UNIQUE (name),
	CONSTRAINT ck_score CHECK (score >= 0)
) COMMENT 'writers';
CREATE TABLE books (
	id INTEGER NOT NULL AUTO_INCREMENT,
	author_id INTEGER,
	editor_id INTEGER,
	title VARCHAR(200) NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT fk_books_author FOREIGN KEY(author_id) REFERENCES authors (id) ON DELETE CASCADE,
	FOREIGN KEY(editor_id) REFERENCES authors (id) ON UPDATE SET NULL,
	CHECK (char_length(title) > 0)
);
CREATE INDEX ix_books_title ON books (title);
CREATE UNIQUE INDEX uq_books_title_author ON books (title, author_id);
",
    );
}

#[test]
fn keys_collations_and_hostile_names_round_trip() {
    round_trip(
        "CREATE TABLE `Group` (
	`ID` INTEGER NOT NULL AUTO_INCREMENT,
	`select` VARCHAR(10) COLLATE utf8mb4_bin,
	`order` INTEGER,
	`it's \"odd\"` VARCHAR(5) DEFAULT 'a''b',
	`naïve` VARCHAR(5),
	PRIMARY KEY (`ID`),
	KEY ix_order (`order` DESC),
	UNIQUE KEY uq_select (`select`, `order`)
);
CREATE TABLE member (
	group_id INTEGER NOT NULL,
	user_id INTEGER NOT NULL,
	role VARCHAR(20) NOT NULL DEFAULT 'member',
	joined DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY (group_id, user_id),
	FOREIGN KEY(group_id) REFERENCES `Group` (`ID`),
	CONSTRAINT fk_member_self FOREIGN KEY(user_id) REFERENCES `Group` (`ID`) ON DELETE RESTRICT
);
",
    );
}

fn introspect(url: &str) -> (usize, usize) {
    let url = url.to_string();
    block_on(async move {
        use sqlx::Connection;
        let url = url.replacen("mysql+pymysql://", "mysql://", 1);
        let mut c = sqlx::MySqlConnection::connect(&url).await.expect("connect");
        let server = migdiff_mysql::ServerInfo::ask(&mut c)
            .await
            .expect("version");
        let (schema, queries) = migdiff_mysql::introspect(&mut c, &server, "alembic_version")
            .await
            .expect("introspect");
        (queries, schema.tables.len())
    })
}

#[test]
fn query_count_does_not_grow_with_tables() {
    let db = MyDb::new();
    db.exec("CREATE TABLE t0 (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY)");
    let (small, n) = introspect(&db.url);
    assert_eq!(n, 1);
    let mut sql = String::new();
    for i in 1..=60 {
        sql.push_str(&format!(
            "CREATE TABLE t{i} (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY, ref INTEGER, v VARCHAR(10), CHECK (v <> ''), FOREIGN KEY (ref) REFERENCES t{} (id));\n",
            i - 1
        ));
        sql.push_str(&format!("CREATE INDEX ix_t{i}_v ON t{i} (v);\n"));
    }
    db.exec(&sql);
    let (large, n) = introspect(&db.url);
    assert_eq!(n, 61);
    assert_eq!(small, large);
    assert_eq!(large, 6);
}

/// The project's revision, written by migdiff, run by real Alembic: up,
/// checked, down, checked against where it started.
fn alembic_round_trip(before: &str, after: &str) -> String {
    alembic_round_trip_with(before, after, &[])
}

/// `alembic_round_trip` with more arguments for `autogenerate`.
fn alembic_round_trip_with(before: &str, after: &str, autogenerate: &[&str]) -> String {
    let db = MyDb::new();
    if !before.is_empty() {
        db.exec(before);
    }
    let project = alembic_project(&db.sqlalchemy_url());
    let dir = project.path();
    std::fs::write(dir.join("before.sql"), before).expect("write");
    std::fs::write(dir.join("after.sql"), after).expect("write");
    // The throwaway runs use the project's Python (its virtualenv).
    let venv = venv();
    let md = |args: &[&str]| {
        let mut c = migdiff(dir);
        c.env("VIRTUAL_ENV", &venv).args(args);
        run(c)
    };
    let o = md(&["--schema", "after.sql", "check"]);
    assert_eq!(o.code, 1, "before the upgrade: {}{}", o.stdout, o.stderr);
    let mut args = vec!["--schema", "after.sql", "autogenerate", "-m", "change"];
    args.extend_from_slice(autogenerate);
    let o = md(&args);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let revision = only_revision(dir);
    let o = alembic(dir, &["upgrade", "head"]);
    assert_eq!(o.code, 0, "upgrade: {}\n{revision}", o.stderr);
    let o = md(&["--schema", "after.sql", "check"]);
    assert_eq!(
        o.code, 0,
        "after the upgrade: {}{}\n{revision}",
        o.stdout, o.stderr
    );
    if before.is_empty() {
        // The history starts from nothing: it replays in a throwaway
        // database on the same server, which is dropped afterwards.
        for args in [
            vec!["--schema", "after.sql", "verify"],
            vec!["--schema", "after.sql", "check", "--replay"],
        ] {
            let o = md(&args);
            assert_eq!(o.code, 0, "{args:?}: {}{}\n{revision}", o.stdout, o.stderr);
        }
    }
    let o = alembic(dir, &["downgrade", "base"]);
    assert_eq!(o.code, 0, "downgrade: {}\n{revision}", o.stderr);
    let o = md(&["--schema", "before.sql", "diff", "--format", "json"]);
    assert!(
        o.code == 0 && o.stdout.contains("\"clean\": true"),
        "after the downgrade: {}{}\n{revision}",
        o.stdout,
        o.stderr
    );
    revision
}

#[test]
fn revisions_run_up_and_down_under_alembic() {
    let before = "CREATE TABLE authors (id INTEGER NOT NULL AUTO_INCREMENT, name VARCHAR(50) NOT NULL, PRIMARY KEY (id));
CREATE TABLE books (id INTEGER NOT NULL AUTO_INCREMENT, author_id INTEGER, title VARCHAR(100), flag BOOL DEFAULT 0, PRIMARY KEY (id));
";
    let after = "CREATE TABLE authors (id INTEGER NOT NULL AUTO_INCREMENT, name VARCHAR(80) NOT NULL, email VARCHAR(100) COLLATE utf8mb4_bin, PRIMARY KEY (id), CONSTRAINT ck_name CHECK (char_length(name) > 1));
CREATE TABLE books (id INTEGER NOT NULL AUTO_INCREMENT, author_id INTEGER, title VARCHAR(100) NOT NULL DEFAULT 'untitled', flag BOOL DEFAULT 1, PRIMARY KEY (id),
  CONSTRAINT fk_books_author FOREIGN KEY(author_id) REFERENCES authors (id) ON DELETE CASCADE);
CREATE TABLE tags (id INTEGER NOT NULL AUTO_INCREMENT, book_id INTEGER NOT NULL, label VARCHAR(20) NOT NULL, PRIMARY KEY (id), FOREIGN KEY(book_id) REFERENCES books (id), UNIQUE (label));
";
    let revision = alembic_round_trip(before, after);
    // Alembic's own autogenerate misses the CHECK and leaves the index the
    // server made for the foreign key behind on downgrade.
    assert!(
        revision.contains("op.create_check_constraint("),
        "{revision}"
    );
    assert!(
        revision.contains("op.drop_index('fk_books_author', table_name='books')"),
        "{revision}"
    );
    // MySQL restates the whole column: its collation goes along.
    assert!(
        revision.contains("existing_type=sa.VARCHAR(length=50, collation='utf8mb4_general_ci')"),
        "{revision}"
    );
}

#[test]
fn dropped_keys_take_their_index_along() {
    let before = "CREATE TABLE a (id INTEGER NOT NULL AUTO_INCREMENT, PRIMARY KEY (id));
CREATE TABLE b (id INTEGER NOT NULL AUTO_INCREMENT, a_id INTEGER, other_id INTEGER, PRIMARY KEY (id),
  FOREIGN KEY(a_id) REFERENCES a (id), CONSTRAINT fk_other FOREIGN KEY(other_id) REFERENCES a (id));
";
    let after = "CREATE TABLE a (id INTEGER NOT NULL AUTO_INCREMENT, PRIMARY KEY (id));
CREATE TABLE b (id INTEGER NOT NULL AUTO_INCREMENT, a_id INTEGER, other_id INTEGER, PRIMARY KEY (id));
";
    let revision = alembic_round_trip(before, after);
    assert!(
        revision.contains("op.drop_constraint(op.f('b_ibfk_1')"),
        "{revision}"
    );
    assert!(
        revision.contains("op.drop_index('a_id', table_name='b')"),
        "{revision}"
    );
    assert!(
        revision.contains("op.drop_index('fk_other', table_name='b')"),
        "{revision}"
    );
}

#[test]
fn sql_output_restates_the_column() {
    let db = MyDb::new();
    db.exec("CREATE TABLE t (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10) DEFAULT 'x')");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("s.sql"),
        "CREATE TABLE t (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10) NOT NULL DEFAULT 'x');",
    )
    .expect("write");
    let mut c = migdiff(dir.path());
    c.args([
        "--url", &db.url, "--schema", "s.sql", "diff", "--format", "sql",
    ]);
    let o = run(c);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains(
            "ALTER TABLE t MODIFY v VARCHAR(10) COLLATE utf8mb4_general_ci DEFAULT 'x' NOT NULL"
        ),
        "{}",
        o.stdout
    );
    // The printed SQL runs.
    let statements: String = o
        .stdout
        .lines()
        .filter(|l| !l.starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    db.exec(&statements);
    let mut c = migdiff(dir.path());
    c.args(["--url", &db.url, "--schema", "s.sql", "check"]);
    assert_eq!(run(c).code, 0);
}

#[test]
fn urls_and_passwords() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("s.sql"),
        "CREATE TABLE t (id INTEGER PRIMARY KEY);",
    )
    .expect("write");
    for url in [
        "mysql://root:s3cr3t@127.0.0.1:1/nope",
        "mariadb+pymysql://root:s3cr3t@127.0.0.1:1/nope",
    ] {
        let o = check(dir.path(), url, "s.sql");
        assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
        assert!(!o.stderr.contains("s3cr3t"), "{}", o.stderr);
        assert!(o.stderr.contains("***"), "{}", o.stderr);
    }
    let o = check(dir.path(), "mysql://root@127.0.0.1:3306", "s.sql");
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("names no database"), "{}", o.stderr);
}

#[test]
fn verify_and_replay_in_a_throwaway_database() {
    alembic_round_trip(
        "",
        "CREATE TABLE a (id INTEGER NOT NULL AUTO_INCREMENT, note TEXT, PRIMARY KEY (id));
CREATE TABLE b (id INTEGER NOT NULL AUTO_INCREMENT, a_id INTEGER, PRIMARY KEY (id), CONSTRAINT fk_b_a FOREIGN KEY(a_id) REFERENCES a (id));",
    );
}

#[test]
fn mysql_column_kinds_round_trip_under_alembic() {
    // Inline ENUM and SET (values keep their case and quotes), generated
    // columns, ON UPDATE, a full-text index and a prefix index.
    let schema = "CREATE TABLE t (
	id INTEGER NOT NULL AUTO_INCREMENT,
	status ENUM('new','Done','it''s') NOT NULL DEFAULT 'new',
	flags SET('a','b'),
	a INTEGER,
	b INTEGER,
	s INTEGER GENERATED ALWAYS AS (a + b),
	s2 INTEGER GENERATED ALWAYS AS (a * 2) STORED,
	updated DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
	body TEXT,
	name VARCHAR(200),
	price NUMERIC(10, 2) DEFAULT '2',
	big BIGINT DEFAULT '0',
	PRIMARY KEY (id)
);
CREATE FULLTEXT INDEX ix_body ON t (body);
CREATE INDEX ix_name ON t (name(10));
";
    round_trip(schema);
    let revision = alembic_round_trip("", schema);
    for expected in [
        "sa.Enum('new', 'Done', \"it's\")",
        "mysql.SET('a', 'b')",
        "sa.Computed('a + b'",
        "server_default=sa.text('CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP')",
        "mysql_prefix='FULLTEXT'",
        "mysql_length={'name': 10}",
    ] {
        assert!(revision.contains(expected), "{expected}\n{revision}");
    }
}

#[test]
fn changing_enum_values_and_column_kinds() {
    let before = "CREATE TABLE t (id INTEGER NOT NULL AUTO_INCREMENT, status ENUM('a','b') NOT NULL DEFAULT 'a', updated DATETIME, body TEXT, PRIMARY KEY (id));";
    let after = "CREATE TABLE t (id INTEGER NOT NULL AUTO_INCREMENT, status ENUM('a','b','C') NOT NULL DEFAULT 'a', updated DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, body TEXT, PRIMARY KEY (id), FULLTEXT KEY ix_body (body));";
    let revision = alembic_round_trip(before, after);
    assert!(
        revision.contains("type_=sa.Enum('a', 'b', 'C')"),
        "{revision}"
    );
}

#[test]
fn a_failing_revision_names_its_statement() {
    let db = MyDb::new();
    let project = alembic_project(&db.sqlalchemy_url());
    let dir = project.path();
    std::fs::write(
        dir.join("migrations/versions/a1_broken.py"),
        "revision = 'a1'\ndown_revision = None\nbranch_labels = None\ndepends_on = None\n\
from alembic import op\nimport sqlalchemy as sa\n\n\
def upgrade():\n    op.create_table('a', sa.Column('id', sa.Integer(), primary_key=True))\n    \
op.execute('ALTER TABLE a ADD COLUMN id INTEGER')\n\n\
def downgrade():\n    op.drop_table('a')\n",
    )
    .expect("revision");
    std::fs::write(
        dir.join("s.sql"),
        "CREATE TABLE a (id INTEGER NOT NULL AUTO_INCREMENT, PRIMARY KEY (id));",
    )
    .expect("write");
    let venv = venv();
    let mut c = migdiff(dir);
    c.env("VIRTUAL_ENV", &venv)
        .args(["--schema", "s.sql", "verify"]);
    let o = run(c);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    let all = format!("{}{}", o.stdout, o.stderr);
    assert!(
        all.contains("the statement that failed: ALTER TABLE a ADD COLUMN id INTEGER"),
        "{all}"
    );
    assert!(all.contains("does not run DDL in a transaction"), "{all}");
}

#[test]
fn collations_are_compared_where_declared() {
    let db = MyDb::new();
    db.exec("CREATE TABLE t (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY, a VARCHAR(10), b VARCHAR(10) COLLATE utf8mb4_bin)");
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |sql: &str| std::fs::write(dir.path().join("s.sql"), sql).expect("write");
    // Unstated: whatever the server has, even the binary one.
    write(
        "CREATE TABLE t (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY, a VARCHAR(10), b VARCHAR(10));",
    );
    assert_eq!(check(dir.path(), &db.url, "s.sql").code, 0);
    // Stated as the table's default: the same.
    write(
        "CREATE TABLE t (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY, a VARCHAR(10) COLLATE utf8mb4_general_ci, b VARCHAR(10) COLLATE utf8mb4_bin);",
    );
    assert_eq!(check(dir.path(), &db.url, "s.sql").code, 0);
    // Stated otherwise: drift.
    write(
        "CREATE TABLE t (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY, a VARCHAR(10) COLLATE utf8mb4_bin, b VARCHAR(10));",
    );
    let o = check(dir.path(), &db.url, "s.sql");
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains(".t.a"), "{}", o.stdout);
}

const HOSTILE: &str = "CREATE TABLE `we``ird \"t\"` (
	`id` INTEGER NOT NULL AUTO_INCREMENT,
	`back\\slash` VARCHAR(20) DEFAULT 'a\\\\b',
	`quote'd` VARCHAR(20) DEFAULT 'it''s',
	`new
line` INTEGER COMMENT 'multi
line',
	`\"\"\"` TEXT,
	`ünïcode` VARCHAR(5) DEFAULT 'é',
	`select` INTEGER,
	PRIMARY KEY (`id`),
	CONSTRAINT `ck \"x\"` CHECK (`select` > 0)
) COMMENT 'a\\\\b';
CREATE INDEX `ix back\\slash` ON `we``ird \"t\"` (`back\\slash`);
";

#[test]
fn hostile_names_round_trip_everywhere() {
    round_trip(HOSTILE);
    alembic_round_trip("", HOSTILE);
}

const MODELS: &str = r#"
import enum
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

class Mood(enum.Enum):
    happy = "happy"
    Sad = "Sad"

users = sa.Table("users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(120), nullable=False, unique=True),
    sa.Column("name", sa.Unicode(50), index=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("mood", sa.Enum(Mood), nullable=False, server_default="happy"),
    sa.Column("prefs", sa.JSON),
    sa.Column("seen", sa.DateTime(timezone=True)),
    sa.Column("updated", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP")),
    sa.Column("balance", sa.Numeric(12, 2), server_default="0"),
    sa.Column("tiny", mysql.TINYINT),
    sa.Column("notes", mysql.LONGTEXT),
    sa.Column("code", sa.String(10, collation="utf8mb4_bin")),
    sa.CheckConstraint("balance >= 0", name="balance_positive"),
)
posts = sa.Table("posts", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text),
    sa.Column("words", sa.Integer, sa.Computed("char_length(title)")),
    sa.Index("ix_posts_title_prefix", "title", mysql_length=20),
    sa.Index("ix_posts_body", "body", mysql_prefix="FULLTEXT"),
)
"#;

#[test]
fn sqlalchemy_models_on_mysql() {
    let db = MyDb::new();
    let project = alembic_project(&db.sqlalchemy_url());
    let dir = project.path();
    std::fs::write(dir.join("models.py"), MODELS).expect("models");
    let venv = venv();
    let md = |args: &[&str]| {
        let mut c = migdiff(dir);
        c.env("VIRTUAL_ENV", &venv).args(args);
        run(c)
    };
    let schema = "sqlalchemy:models:metadata";
    let o = md(&["--schema", schema, "autogenerate", "-m", "models"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let revision = only_revision(dir);
    // As the models spell it.
    for expected in [
        "op.f('uq_users_email')",
        "op.f('ck_users_balance_positive')",
        "sa.Enum('happy', 'Sad', name='mood')",
        "sa.DateTime(timezone=True)",
        "sa.Unicode(length=50)",
        "mysql_prefix='FULLTEXT'",
    ] {
        assert!(revision.contains(expected), "{expected}\n{revision}");
    }
    let o = alembic(dir, &["upgrade", "head"]);
    assert_eq!(o.code, 0, "upgrade: {}\n{revision}", o.stderr);
    let o = md(&["--schema", schema, "check"]);
    assert_eq!(
        o.code, 0,
        "after the upgrade: {}{}\n{revision}",
        o.stdout, o.stderr
    );
    // create_all of the same models: no drift either.
    let other = MyDb::new();
    let create = format!(
        "import sys, sqlalchemy as sa; sys.path.insert(0, '.'); import models; \
         e = sa.create_engine({:?}); models.metadata.create_all(e); e.dispose()",
        other.sqlalchemy_url()
    );
    let mut c = std::process::Command::new(python());
    c.args(["-c", &create]).current_dir(dir);
    let o = run(c);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = md(&[
        "--url", &other.url, "--schema", schema, "diff", "--format", "json",
    ]);
    assert!(
        o.code == 0 && o.stdout.contains("\"clean\": true"),
        "create_all: {}{}",
        o.stdout,
        o.stderr
    );
    let o = alembic(dir, &["downgrade", "base"]);
    assert_eq!(o.code, 0, "downgrade: {}\n{revision}", o.stderr);
}

#[test]
fn table_charsets_are_compared_where_declared() {
    let db = MyDb::new();
    db.exec("CREATE TABLE t (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY, a VARCHAR(10)) DEFAULT CHARSET=utf8mb4");
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |sql: &str| std::fs::write(dir.path().join("s.sql"), sql).expect("write");
    let table = "CREATE TABLE t (id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY, a VARCHAR(10))";
    for (options, drift) in [
        ("", false),
        (" DEFAULT CHARSET=utf8mb4", false),
        (" CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci", false),
        (" DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin", true),
        (" CHARSET=latin1", true),
    ] {
        write(&format!("{table}{options};"));
        let o = check(dir.path(), &db.url, "s.sql");
        assert_eq!(
            o.code,
            i32::from(drift),
            "{options}: {}{}",
            o.stdout,
            o.stderr
        );
    }
    // Changed under Alembic, and back.
    let revision = alembic_round_trip(
        &format!("{table};"),
        &format!("{table} DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;"),
    );
    assert!(
        revision
            .contains("op.execute('ALTER TABLE t DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin')"),
        "{revision}"
    );
    let revision = alembic_round_trip(
        "",
        &format!("{table} DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;"),
    );
    assert!(
        revision.contains("mysql_charset='utf8mb4',")
            && revision.contains("mysql_collate='utf8mb4_bin'"),
        "{revision}"
    );
}

#[test]
fn online_revisions_use_inplace_algorithms() {
    let before = "CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(20), c INT);\nCREATE INDEX ix_t_c ON t (c);";
    let after = "CREATE TABLE t (id INT PRIMARY KEY, a INT NOT NULL, b VARCHAR(20), d INT, CONSTRAINT uq_t_b UNIQUE (b));\nCREATE INDEX ix_t_a ON t (a);\nCREATE TABLE n (id INT PRIMARY KEY, t_id INT, CONSTRAINT fk_n_t FOREIGN KEY (t_id) REFERENCES t (id));";
    let revision = alembic_round_trip_with(before, after, &["--online"]);
    assert!(
        revision.contains("op.execute('SET SESSION lock_wait_timeout = 5')"),
        "{revision}"
    );
    for sql in [
        "ALTER TABLE t ADD INDEX ix_t_a (a), ALGORITHM=INPLACE, LOCK=NONE",
        "ALTER TABLE t DROP INDEX ix_t_c, ALGORITHM=INPLACE, LOCK=NONE",
        "ALTER TABLE t ADD COLUMN d INTEGER NULL, ALGORITHM=INPLACE, LOCK=NONE",
        "ALTER TABLE t MODIFY a INTEGER NOT NULL, ALGORITHM=INPLACE, LOCK=NONE",
        "ALTER TABLE t ADD CONSTRAINT uq_t_b UNIQUE (b), ALGORITHM=INPLACE, LOCK=NONE",
    ] {
        assert!(revision.contains(sql), "{sql}\n{revision}");
    }
    // A new table and its keys keep Alembic's own calls.
    assert!(revision.contains("op.create_table('n'"), "{revision}");
    // What the server would copy the table for is refused, nothing written.
    let db = MyDb::new();
    db.exec("CREATE TABLE t (id INT PRIMARY KEY, a INT);\nCREATE TABLE u (id INT PRIMARY KEY);");
    let project = alembic_project(&db.sqlalchemy_url());
    let dir = project.path();
    std::fs::write(
        dir.join("after.sql"),
        "CREATE TABLE t (id INT PRIMARY KEY, a BIGINT, CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id));\nCREATE TABLE u (id INT PRIMARY KEY);",
    )
    .expect("write");
    let mut c = migdiff(dir);
    c.env("VIRTUAL_ENV", venv()).args([
        "--schema",
        "after.sql",
        "autogenerate",
        "-m",
        "x",
        "--online",
    ]);
    let o = run(c);
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("[changing-column-type]"), "{}", o.stderr);
    assert!(
        o.stderr.contains("[adding-foreign-key-constraint]"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("nothing was written"), "{}", o.stderr);
    assert_eq!(
        std::fs::read_dir(dir.join("migrations/versions"))
            .map(|d| d.count())
            .unwrap_or(0),
        0
    );
}

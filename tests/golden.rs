//! Golden files (insta, in the top-level `snapshots/` folder) of rendered
//! revision bodies, upgrade and downgrade, for the patterns a revision must
//! spell as the declared schema does. No database: both sides are read
//! from DDL, as the database would report them. Review a changed snapshot
//! like code.

// A test that meets an unexpected error should stop right there.
#![allow(clippy::unwrap_used)]

mod common;

use migdiff_alembic::{ModelHints, RenderOptions, render_body};
use migdiff_model::{Dialect, DialectRender, DiffOptions, ObjectName, Op, apply, diff};

fn renderer(dialect: Dialect) -> &'static dyn DialectRender {
    dialect.renderer()
}

/// The upgrade and downgrade bodies that turn `live` into `declared`.
fn revision(dialect: Dialect, live: &str, declared: &str, hints: Option<&ModelHints>) -> String {
    let current = common::parse(live, dialect);
    let (target, spellings) = migdiff_ddl::read_schema_spelled(
        &[migdiff_ddl::SourceFile {
            path: "declared.sql".into(),
            text: declared.into(),
        }],
        dialect,
    )
    .unwrap();
    // As the CLI reads a schema.sql: with the expressions as it writes them.
    let from_ddl = ModelHints {
        spellings,
        ..ModelHints::default()
    };
    let hints = hints.or(Some(&from_ddl));
    let batch = dialect == migdiff_sqlite::DIALECT;
    let ops = diff(
        &current,
        &target,
        &DiffOptions {
            group_by_table: batch,
            ..DiffOptions::default()
        },
    );
    let opts = RenderOptions {
        dialect: renderer(dialect),
        batch,
        hints,
        online: false,
    };
    let upgrade = render_body(&ops, &current, true, &opts);
    let mut after = current.clone();
    for op in &ops {
        apply(&mut after, op);
    }
    let inverse: Vec<Op> = ops.iter().rev().map(Op::inverse).collect();
    let downgrade = render_body(&inverse, &after, false, &opts);
    format!(
        "def upgrade():\n    {}\n\ndef downgrade():\n    {}\n",
        upgrade.text, downgrade.text
    )
}

macro_rules! golden {
    ($name:expr, $text:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!($name, $text);
        });
    };
}

#[test]
fn unnamed_constraints_with_other_database_names_need_no_ops() {
    let live = "CREATE TABLE users (id integer NOT NULL, email varchar(200), CONSTRAINT users_pk_legacy PRIMARY KEY (id), CONSTRAINT uq_legacy UNIQUE (email));\n\
                CREATE TABLE orders (id integer PRIMARY KEY, user_id integer, qty integer, CONSTRAINT fk_legacy FOREIGN KEY (user_id) REFERENCES users (id), CONSTRAINT ck_legacy CHECK (qty > 0));";
    let declared = "CREATE TABLE users (id integer NOT NULL, email varchar(200), PRIMARY KEY (id), UNIQUE (email));\n\
                    CREATE TABLE orders (id integer PRIMARY KEY, user_id integer REFERENCES users (id), qty integer CHECK (qty > 0));";
    golden!(
        "pg_unnamed_constraints_match",
        revision(migdiff_postgres::DIALECT, live, declared, None)
    );
}

#[test]
fn added_columns_keep_the_declared_order() {
    for dialect in [migdiff_postgres::DIALECT, migdiff_sqlite::DIALECT] {
        golden!(
            format!("{dialect}_column_order"),
            revision(
                dialect,
                "CREATE TABLE t (id integer NOT NULL, PRIMARY KEY (id));",
                "CREATE TABLE t (id integer NOT NULL, zeta text, alpha text, mid text, PRIMARY KEY (id));\n\
                 CREATE TABLE n (zz integer NOT NULL, bb text, aa text, PRIMARY KEY (zz));",
                None,
            )
        );
    }
}

#[test]
fn names_from_ddl_are_final() {
    for dialect in [migdiff_postgres::DIALECT, migdiff_sqlite::DIALECT] {
        golden!(
            format!("{dialect}_final_names"),
            revision(
                dialect,
                "CREATE TABLE users (id integer NOT NULL, age integer, PRIMARY KEY (id));",
                "CREATE TABLE users (id integer NOT NULL, age integer, CONSTRAINT ck_users_age_positive CHECK (age > 0), CONSTRAINT uq_users_age UNIQUE (age), PRIMARY KEY (id));\n\
                 CREATE INDEX ix_users_age ON users (age);",
                None,
            )
        );
    }
}

#[test]
fn type_changes_carry_their_cast() {
    golden!(
        "pg_type_changes_using",
        revision(
            migdiff_postgres::DIALECT,
            "CREATE TABLE t (id integer PRIMARY KEY, code varchar(36), doc text, n varchar(10), flag integer, xs integer[], wide integer);",
            "CREATE TABLE t (id integer PRIMARY KEY, code uuid, doc jsonb, n integer, flag boolean, xs bigint[], wide bigint);",
            None,
        )
    );
}

#[test]
fn a_dropped_table_frees_a_name_before_it_is_reused() {
    golden!(
        "pg_name_reuse_order",
        revision(
            migdiff_postgres::DIALECT,
            "CREATE TABLE accounts (id integer PRIMARY KEY, email varchar(100));\n\
             CREATE INDEX ix_email ON accounts (email);\n\
             CREATE TABLE posts (id integer PRIMARY KEY, author_id integer, CONSTRAINT fk_posts_author FOREIGN KEY (author_id) REFERENCES accounts (id));",
            "CREATE TABLE users (id integer PRIMARY KEY, email varchar(100));\n\
             CREATE INDEX ix_email ON users (email);\n\
             CREATE TABLE posts (id integer PRIMARY KEY, author_id integer, CONSTRAINT fk_posts_author FOREIGN KEY (author_id) REFERENCES users (id));",
            None,
        )
    );
}

#[test]
fn a_renamed_primary_key_is_renamed_in_place() {
    let live = "CREATE TABLE users (id integer NOT NULL, CONSTRAINT users_pk_old PRIMARY KEY (id));\n\
                CREATE TABLE orders (id integer PRIMARY KEY, user_id integer, CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id));";
    let declared = live.replace("users_pk_old", "pk_users");
    for dialect in [migdiff_postgres::DIALECT, migdiff_sqlite::DIALECT] {
        golden!(
            format!("{dialect}_primary_key_rename"),
            revision(dialect, live, &declared, None)
        );
    }
}

#[test]
fn sqlite_unnamed_constraints_in_a_batch() {
    golden!(
        "sqlite_unnamed_constraints_batch",
        revision(
            migdiff_sqlite::DIALECT,
            "CREATE TABLE t2 (code VARCHAR(5) NOT NULL, PRIMARY KEY (code));\n\
             CREATE TABLE t (id INTEGER NOT NULL, email VARCHAR(20), code VARCHAR(5), PRIMARY KEY (id), UNIQUE (email), FOREIGN KEY (code) REFERENCES t2 (code));",
            "CREATE TABLE t2 (code VARCHAR(5) NOT NULL, PRIMARY KEY (code));\n\
             CREATE TABLE t (id INTEGER NOT NULL, email VARCHAR(20), code VARCHAR(5), PRIMARY KEY (id));",
            None,
        )
    );
}

#[test]
fn generated_columns_tables_are_not_rebuilt() {
    golden!(
        "sqlite_generated_column_outside_batch",
        revision(
            migdiff_sqlite::DIALECT,
            "CREATE TABLE items (id INTEGER NOT NULL, price NUMERIC(10, 2), qty INTEGER, total NUMERIC(12, 2) GENERATED ALWAYS AS (price * qty) VIRTUAL, PRIMARY KEY (id));",
            "CREATE TABLE items (id INTEGER NOT NULL, price NUMERIC(10, 2), qty INTEGER, total NUMERIC(12, 2) GENERATED ALWAYS AS (price * qty) VIRTUAL, note TEXT, PRIMARY KEY (id));",
            None,
        )
    );
    // PostgreSQL: GENERATED ALWAYS AS without STORED, as SQLAlchemy 2.1 writes it.
    golden!(
        "pg_generated_without_stored",
        revision(
            migdiff_postgres::DIALECT,
            "CREATE TABLE items (id integer PRIMARY KEY);",
            "CREATE TABLE items (id integer PRIMARY KEY, price numeric(10, 2), qty integer, total numeric(12, 2) GENERATED ALWAYS AS (price * qty));",
            None,
        )
    );
}

#[test]
fn index_options_of_every_dialect_from_models() {
    let mut hints = ModelHints {
        from_models: true,
        ..ModelHints::default()
    };
    hints.index_kwargs.insert(
        (ObjectName::new("public", "jobs"), "ix_jobs_queued".into()),
        vec![(
            "sqlite_where".into(),
            "sa.text(\"state = 'queued'\")".into(),
        )],
    );
    golden!(
        "pg_index_other_dialects",
        revision(
            migdiff_postgres::DIALECT,
            "CREATE TABLE jobs (id integer PRIMARY KEY, state varchar(10));",
            "CREATE TABLE jobs (id integer PRIMARY KEY, state varchar(10));\n\
             CREATE INDEX ix_jobs_queued ON jobs (id) WHERE state = 'queued';",
            Some(&hints),
        )
    );
}

#[test]
fn hostile_names_round_trip_in_the_text() {
    for dialect in [migdiff_postgres::DIALECT, migdiff_sqlite::DIALECT] {
        golden!(
            format!("{dialect}_hostile_names"),
            revision(
                dialect,
                "CREATE TABLE \"select\" (id integer NOT NULL, PRIMARY KEY (id));",
                "CREATE TABLE \"select\" (id integer NOT NULL, \"it's \"\"quoted\"\"\" text, \"back\\slash\" text, \"üñí\" text, PRIMARY KEY (id));\n\
                 CREATE INDEX \"ix '\"\"\"\" x\" ON \"select\" (\"üñí\");",
                None,
            )
        );
    }
}

#[test]
fn expressions_are_spelled_as_declared() {
    for dialect in [migdiff_postgres::DIALECT, migdiff_sqlite::DIALECT] {
        golden!(
            format!("{dialect}_declared_spelling"),
            revision(
                dialect,
                "CREATE TABLE jobs (id integer NOT NULL, PRIMARY KEY (id));",
                "CREATE TABLE jobs (id integer NOT NULL, state varchar(10) DEFAULT 'queued', score integer, weight float DEFAULT '7.5', \
                   CONSTRAINT ck_jobs_score CHECK (score >= 0 AND score < 100), PRIMARY KEY (id));\n\
                 CREATE INDEX ix_jobs_queued ON jobs (id) WHERE state='queued';",
                None,
            )
        );
    }
}

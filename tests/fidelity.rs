//! Revisions as the models spell them, constraints matched as Alembic
//! matches them, and no false drift: each case against a real database and
//! real Alembic.

// A test that meets an unexpected error should stop right there.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

fn md(dir: &std::path::Path, args: &[&str]) -> Output {
    let venv = python().parent().unwrap().parent().unwrap().to_path_buf();
    let mut c = migdiff(dir);
    c.env("VIRTUAL_ENV", venv).args(args);
    run(c)
}

/// A database whose constraints an old migration named differently: the
/// declared schema does not name them, so they match by definition.
#[test]
fn unnamed_constraints_match_by_definition() {
    let db = PgDb::new();
    db.exec(
        "CREATE TABLE users (id integer NOT NULL, email varchar(200) NOT NULL, \
           CONSTRAINT users_pk_legacy PRIMARY KEY (id), CONSTRAINT uq_legacy_email UNIQUE (email)); \
         CREATE TABLE orders (id integer NOT NULL, user_id integer NOT NULL, qty integer NOT NULL, \
           CONSTRAINT orders_pk_legacy PRIMARY KEY (id), \
           CONSTRAINT fk_legacy_orders_users FOREIGN KEY (user_id) REFERENCES users (id), \
           CONSTRAINT ck_legacy_qty CHECK (qty > 0));",
    );
    let project = alembic_project(&db.url);
    let dir = project.path();
    std::fs::write(
        dir.join("schema.sql"),
        "CREATE TABLE users (id integer NOT NULL, email varchar(200) NOT NULL, PRIMARY KEY (id), UNIQUE (email));\n\
         CREATE TABLE orders (id integer NOT NULL, user_id integer NOT NULL REFERENCES users (id), qty integer NOT NULL CHECK (qty > 0), PRIMARY KEY (id));\n",
    )
    .unwrap();
    let o = md(dir, &["--schema", "schema.sql", "check"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);

    // The same from SQLAlchemy models without names.
    std::fs::write(
        dir.join("shop_models.py"),
        "import sqlalchemy as sa\nmetadata = sa.MetaData()\n\
         sa.Table('users', metadata, sa.Column('id', sa.Integer, primary_key=True, autoincrement=False), sa.Column('email', sa.String(200), nullable=False, unique=True))\n\
         sa.Table('orders', metadata, sa.Column('id', sa.Integer, primary_key=True, autoincrement=False), sa.Column('user_id', sa.Integer, sa.ForeignKey('users.id'), nullable=False), sa.Column('qty', sa.Integer, nullable=False), sa.CheckConstraint('qty > 0'))\n",
    )
    .unwrap();
    let o = md(
        dir,
        &["--schema", "sqlalchemy:shop_models:metadata", "check"],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);

    // A name the user wrote is compared.
    std::fs::write(
        dir.join("named.sql"),
        "CREATE TABLE users (id integer NOT NULL, email varchar(200) NOT NULL, PRIMARY KEY (id), UNIQUE (email));\n\
         CREATE TABLE orders (id integer NOT NULL, user_id integer NOT NULL, qty integer NOT NULL CHECK (qty > 0), PRIMARY KEY (id), \
           CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id));\n",
    )
    .unwrap();
    let o = md(dir, &["--schema", "named.sql", "check"]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains("fk_orders_user") && o.stdout.contains("fk_legacy_orders_users"),
        "{}",
        o.stdout
    );
}

/// SQLAlchemy models with `Computed(...)` (no `persisted=`), `%` in a
/// comment, a CHECK and a default, and columns added out of alphabetical
/// order: the revision runs under Alembic, keeps the models' column order,
/// and the database then checks clean (no `%%`, no exit 2).
#[test]
fn models_with_computed_percent_and_column_order_round_trip() {
    for dialect in [migdiff_postgres::DIALECT, migdiff_sqlite::DIALECT] {
        let db = TestDb::new(dialect);
        let project = alembic_project(db.url());
        let dir = project.path();
        let models = |extra: &str| {
            format!(
                "import sqlalchemy as sa\nmetadata = sa.MetaData()\n\
                 sa.Table('items', metadata,\n\
                 \x20   sa.Column('id', sa.Integer, primary_key=True),\n\
                 \x20   sa.Column('price', sa.Numeric(10, 2), nullable=False),\n\
                 \x20   sa.Column('qty', sa.Integer, nullable=False),\n\
                 \x20   sa.Column('total', sa.Numeric(12, 2), sa.Computed('price * qty')),\n\
                 \x20   sa.Column('note', sa.String(50), server_default='50% done', comment='50% done'),\n\
                 \x20   sa.CheckConstraint(\"note LIKE '%done'\", name='ck_items_note'),\n{extra})\n"
            )
        };
        std::fs::write(dir.join("m1.py"), models("")).unwrap();
        let o = md(
            dir,
            &[
                "--schema",
                "sqlalchemy:m1:metadata",
                "autogenerate",
                "-m",
                "items",
                "--rev-id",
                "r1",
            ],
        );
        assert_eq!(o.code, 0, "{dialect}: {}{}", o.stdout, o.stderr);
        let text = std::fs::read_to_string(dir.join("migrations/versions/r1_items.py")).unwrap();
        assert!(!text.contains("%%"), "{text}");
        let o = alembic(dir, &["upgrade", "head"]);
        assert_eq!(o.code, 0, "{dialect}: {}", o.stderr);
        let o = md(dir, &["--schema", "sqlalchemy:m1:metadata", "check"]);
        assert_eq!(o.code, 0, "{dialect}: {}{}", o.stdout, o.stderr);

        std::fs::write(
            dir.join("m2.py"),
            models("    sa.Column('zeta', sa.Text),\n    sa.Column('alpha', sa.Text),\n    sa.Column('mid', sa.Text),\n"),
        )
        .unwrap();
        let o = md(
            dir,
            &[
                "--schema",
                "sqlalchemy:m2:metadata",
                "autogenerate",
                "-m",
                "more",
                "--rev-id",
                "r2",
            ],
        );
        assert_eq!(o.code, 0, "{dialect}: {}{}", o.stdout, o.stderr);
        let text = std::fs::read_to_string(dir.join("migrations/versions/r2_more.py")).unwrap();
        let at = |c: &str| text.find(&format!("sa.Column('{c}'")).unwrap();
        assert!(
            at("zeta") < at("alpha") && at("alpha") < at("mid"),
            "{text}"
        );
        let (up, down) = text.split_once("def downgrade").unwrap();
        assert!(
            up.contains("zeta") && down.find("'mid'") < down.find("'zeta'"),
            "{text}"
        );
        let o = alembic(dir, &["upgrade", "head"]);
        assert_eq!(o.code, 0, "{dialect}: {}\n{text}", o.stderr);
        let o = md(dir, &["--schema", "sqlalchemy:m2:metadata", "check"]);
        assert_eq!(o.code, 0, "{dialect}: {}{}", o.stdout, o.stderr);
        let o = alembic(dir, &["downgrade", "base"]);
        assert_eq!(o.code, 0, "{dialect}: {}", o.stderr);
    }
}

/// An empty schema that exists already is not created again.
#[test]
fn an_existing_empty_schema_is_not_created_again() {
    let db = PgDb::new();
    db.exec("CREATE SCHEMA audit;");
    let project = alembic_project(&db.url);
    let dir = project.path();
    std::fs::write(
        dir.join("schema.sql"),
        "CREATE SCHEMA audit;\nCREATE TABLE audit.log (id integer NOT NULL, PRIMARY KEY (id));\n",
    )
    .unwrap();
    let o = md(
        dir,
        &[
            "--schema",
            "schema.sql",
            "autogenerate",
            "-m",
            "log",
            "--rev-id",
            "a1",
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let text = std::fs::read_to_string(dir.join("migrations/versions/a1_log.py")).unwrap();
    assert!(!text.contains("CREATE SCHEMA"), "{text}");
    let o = alembic(dir, &["upgrade", "head"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = md(dir, &["--schema", "schema.sql", "check"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let o = alembic(dir, &["downgrade", "base"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
}

fn alembic_with_models(dir: &std::path::Path, models: &std::path::Path, args: &[&str]) -> Output {
    let mut c = std::process::Command::new(python());
    c.args(["-m", "alembic"])
        .args(args)
        .current_dir(dir)
        .env("MODELS_FILE", models);
    run(c)
}

/// Names from DDL are final: an env.py whose target_metadata has a naming
/// convention cannot rename them again (`op.f()`), in the upgrade and in
/// the downgrade.
#[test]
fn names_from_ddl_survive_a_naming_convention() {
    for dialect in [migdiff_postgres::DIALECT, migdiff_sqlite::DIALECT] {
        let db = TestDb::new(dialect);
        db.exec("CREATE TABLE users (id INTEGER NOT NULL, age INTEGER, PRIMARY KEY (id));");
        let project = alembic_project(db.url());
        let dir = project.path();
        let models = dir.join("conventions.py");
        std::fs::write(
            &models,
            "import sqlalchemy as sa\nmetadata = sa.MetaData(naming_convention={'ck': 'ck_%(table_name)s_%(constraint_name)s', 'uq': 'uq_%(table_name)s_%(column_0_name)s', 'ix': 'ix_%(column_0_label)s'})\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("schema.sql"),
            "CREATE TABLE users (id INTEGER NOT NULL, age INTEGER, CONSTRAINT ck_users_age_positive CHECK (age > 0), PRIMARY KEY (id));\n",
        )
        .unwrap();
        let o = md(
            dir,
            &[
                "--schema",
                "schema.sql",
                "autogenerate",
                "-m",
                "ck",
                "--rev-id",
                "c1",
            ],
        );
        assert_eq!(o.code, 0, "{dialect}: {}{}", o.stdout, o.stderr);
        let text = std::fs::read_to_string(dir.join("migrations/versions/c1_ck.py")).unwrap();
        assert!(text.contains("op.f('ck_users_age_positive')"), "{text}");
        let o = alembic_with_models(dir, &models, &["upgrade", "head"]);
        assert_eq!(o.code, 0, "{dialect}: {}", o.stderr);
        let o = md(dir, &["--schema", "schema.sql", "check"]);
        assert_eq!(
            o.code, 0,
            "{dialect}: no double prefix: {}{}",
            o.stdout, o.stderr
        );
        let o = alembic_with_models(dir, &models, &["downgrade", "base"]);
        assert_eq!(o.code, 0, "{dialect}: {}", o.stderr);
    }
}

/// Type changes PostgreSQL cannot cast on its own carry the cast, both ways.
#[test]
fn type_changes_without_an_implicit_cast_carry_using() {
    let db = PgDb::new();
    db.exec(
        "CREATE TABLE t (id integer PRIMARY KEY, code varchar(36), doc text, n varchar(10), flag integer, xs integer[]); \
         INSERT INTO t VALUES (1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": 1}', '42', 1, '{1,2}');",
    );
    let project = alembic_project(&db.url);
    let dir = project.path();
    std::fs::write(
        dir.join("schema.sql"),
        "CREATE TABLE t (id integer PRIMARY KEY, code uuid, doc jsonb, n integer, flag boolean, xs bigint[]);\n",
    )
    .unwrap();
    let o = md(
        dir,
        &[
            "--schema",
            "schema.sql",
            "autogenerate",
            "-m",
            "types",
            "--rev-id",
            "t1",
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let text = std::fs::read_to_string(dir.join("migrations/versions/t1_types.py")).unwrap();
    assert!(text.contains("postgresql_using='code::uuid'"), "{text}");
    assert!(
        text.contains("postgresql_using='code::character varying(36)'"),
        "{text}"
    );
    let o = alembic(dir, &["upgrade", "head"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = md(dir, &["--schema", "schema.sql", "check"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let o = alembic(dir, &["downgrade", "base"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
}

/// A database created from models with a non-native enum, a partial index,
/// expressions on varchar columns, literal defaults of every spelling and
/// a computed column checks clean with no throwaway database at all: the
/// offline normalization settles them.
#[test]
fn models_check_clean_without_a_throwaway_database() {
    for dialect in [migdiff_postgres::DIALECT, migdiff_sqlite::DIALECT] {
        let db = TestDb::new(dialect);
        let project = alembic_project(db.url());
        let dir = project.path();
        std::fs::write(
            dir.join("jobs.py"),
            "import sqlalchemy as sa\nmetadata = sa.MetaData()\n\
             jobs = sa.Table('jobs', metadata,\n\
             \x20   sa.Column('id', sa.Integer, primary_key=True),\n\
             \x20   sa.Column('state', sa.Enum('queued', 'done', name='job_state', native_enum=False, create_constraint=True), nullable=False),\n\
             \x20   sa.Column('email', sa.String(200)),\n\
             \x20   sa.Column('retries', sa.Integer, server_default='-1'),\n\
             \x20   sa.Column('urgent', sa.Boolean, server_default='0'),\n\
             \x20   sa.Column('done', sa.Boolean, server_default=sa.false()),\n\
             \x20   sa.Column('weight', sa.Float, server_default='7.5'),\n\
             \x20   sa.Column('price', sa.Numeric(10, 2)),\n\
             \x20   sa.Column('qty', sa.Integer),\n\
             \x20   sa.Column('total', sa.Numeric(12, 2), sa.Computed('price * qty')),\n\
             \x20   sa.CheckConstraint(\"state = 'queued' OR retries >= 0\", name='ck_jobs_retry'),\n\
             )\n\
             sa.Index('ix_jobs_queued', jobs.c.id, postgresql_where=sa.text(\"state = 'queued'\"), sqlite_where=sa.text(\"state = 'queued'\"))\n\
             sa.Index('ix_jobs_email', sa.func.lower(jobs.c.email))\n",
        )
        .unwrap();
        let schema = "sqlalchemy:jobs:metadata";
        let o = md(dir, &["--schema", schema, "autogenerate", "-m", "jobs"]);
        assert_eq!(o.code, 0, "{dialect}: {}{}", o.stdout, o.stderr);
        let o = alembic(dir, &["upgrade", "head"]);
        assert_eq!(o.code, 0, "{dialect}: {}", o.stderr);
        let o = md(
            dir,
            &[
                "--schema",
                schema,
                "--dev-url",
                "postgresql://postgres@127.0.0.1:1/nowhere",
                "--sandbox",
                "server",
                "check",
            ],
        );
        assert_eq!(o.code, 0, "{dialect}: {}{}", o.stdout, o.stderr);
    }
}

/// On SQLite, dropping an unnamed unique constraint or foreign key: the
/// batch block names them by a naming convention and drops them by name;
/// the script is valid Python, upgrades and downgrades.
#[test]
fn sqlite_drops_unnamed_constraints_in_a_batch() {
    let db = SqliteDb::new();
    db.exec(
        "CREATE TABLE t2 (code VARCHAR(5) NOT NULL, PRIMARY KEY (code)); \
         CREATE TABLE t (id INTEGER NOT NULL, email VARCHAR(20), code VARCHAR(5), PRIMARY KEY (id), UNIQUE (email), FOREIGN KEY (code) REFERENCES t2 (code));",
    );
    let project = alembic_project(&db.url);
    let dir = project.path();
    std::fs::write(
        dir.join("before.sql"),
        "CREATE TABLE t2 (code VARCHAR(5) NOT NULL, PRIMARY KEY (code));\n\
         CREATE TABLE t (id INTEGER NOT NULL, email VARCHAR(20), code VARCHAR(5), PRIMARY KEY (id), UNIQUE (email), FOREIGN KEY (code) REFERENCES t2 (code));\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("after.sql"),
        "CREATE TABLE t2 (code VARCHAR(5) NOT NULL, PRIMARY KEY (code));\n\
         CREATE TABLE t (id INTEGER NOT NULL, email VARCHAR(20), code VARCHAR(5), PRIMARY KEY (id));\n",
    )
    .unwrap();
    let o = md(
        dir,
        &[
            "--schema",
            "after.sql",
            "autogenerate",
            "-m",
            "drop",
            "--rev-id",
            "d1",
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let text = std::fs::read_to_string(dir.join("migrations/versions/d1_drop.py")).unwrap();
    assert!(!text.contains("drop_constraint(None"), "{text}");
    let o = alembic(dir, &["upgrade", "head"]);
    assert_eq!(o.code, 0, "{}\n{text}", o.stderr);
    let o = md(dir, &["--schema", "after.sql", "check"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let o = alembic(dir, &["downgrade", "base"]);
    assert_eq!(o.code, 0, "{}\n{text}", o.stderr);
    let o = md(
        dir,
        &[
            "--schema",
            "before.sql",
            "--exclude-table",
            "alembic_version",
            "check",
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
}

/// Alembic's switches from migdiff.toml, for adopting the gate on an old
/// database: `compare_type = false`, `compare_server_default = false`, and
/// columns left out of the comparison.
#[test]
fn compare_switches_and_column_excludes() {
    let db = PgDb::new();
    db.exec("CREATE TABLE t (id integer PRIMARY KEY, name varchar(20) DEFAULT 'x', legacy text);");
    let project = alembic_project(&db.url);
    let dir = project.path();
    std::fs::write(
        dir.join("schema.sql"),
        "CREATE TABLE t (id integer PRIMARY KEY, name varchar(50) DEFAULT 'y');\n",
    )
    .unwrap();
    let o = md(dir, &["--schema", "schema.sql", "check"]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains("varchar(50)") && o.stdout.contains("'y'"),
        "{}",
        o.stdout
    );
    std::fs::write(dir.join("migdiff.toml"), "compare_type = false\n").unwrap();
    let o = md(dir, &["--schema", "schema.sql", "check"]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        !o.stdout.contains("varchar(50)") && o.stdout.contains("'y'"),
        "{}",
        o.stdout
    );
    std::fs::write(
        dir.join("migdiff.toml"),
        "compare_type = false\ncompare_server_default = false\nexclude_columns = [\"t.leg*\"]\n",
    )
    .unwrap();
    let o = md(dir, &["--schema", "schema.sql", "check"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
}

/// A primary key whose name changed is renamed in place: the foreign keys
/// pointing at it are not rebuilt. A real key change reports the FK
/// rebuilds it forces under it, not as drift of their own.
#[test]
fn primary_key_renames_and_forced_rebuilds() {
    let db = PgDb::new();
    db.exec(
        "CREATE TABLE users (id integer NOT NULL, org integer NOT NULL, CONSTRAINT users_pk_old PRIMARY KEY (id)); \
         CREATE TABLE orders (id integer PRIMARY KEY, user_id integer, CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id));",
    );
    let project = alembic_project(&db.url);
    let dir = project.path();
    let schema = |pk: &str| {
        format!(
            "CREATE TABLE users (id integer NOT NULL, org integer NOT NULL, CONSTRAINT pk_users PRIMARY KEY ({pk}));\n\
             CREATE TABLE orders (id integer PRIMARY KEY, user_id integer, CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id));\n"
        )
    };
    std::fs::write(dir.join("renamed.sql"), schema("id")).unwrap();
    let o = md(dir, &["--schema", "renamed.sql", "check"]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains("1 change")
            && o.stdout
                .contains("rename primary key public.users.users_pk_old to pk_users"),
        "{}",
        o.stdout
    );
    let o = md(
        dir,
        &[
            "--schema",
            "renamed.sql",
            "autogenerate",
            "-m",
            "pk",
            "--rev-id",
            "p1",
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let text = std::fs::read_to_string(dir.join("migrations/versions/p1_pk.py")).unwrap();
    assert!(
        text.contains("RENAME CONSTRAINT") && !text.contains("fk_orders_user"),
        "{text}"
    );
    let o = alembic(dir, &["upgrade", "head"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = md(dir, &["--schema", "renamed.sql", "check"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let o = alembic(dir, &["downgrade", "base"]);
    assert_eq!(o.code, 0, "{}", o.stderr);

    // A key on other columns: one change, the FK rebuild under it.
    db.exec("CREATE UNIQUE INDEX ux_users_id ON users (id);");
    std::fs::write(
        dir.join("rekeyed.sql"),
        format!(
            "{}CREATE UNIQUE INDEX ux_users_id ON users (id);\n",
            schema("id, org")
        ),
    )
    .unwrap();
    let o = md(
        dir,
        &[
            "--schema",
            "rekeyed.sql",
            "--exclude-table",
            "alembic_version",
            "check",
        ],
    );
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout
            .contains("which drops and re-adds foreign key public.orders.fk_orders_user"),
        "{}",
        o.stdout
    );
}

/// An index's options for every dialect the models give, not only the
/// live database's: one migrations folder often serves several databases.
/// A snapshot written from the models keeps them.
#[test]
fn every_dialects_index_options_are_rendered() {
    for dialect in [migdiff_postgres::DIALECT, migdiff_sqlite::DIALECT] {
        let db = TestDb::new(dialect);
        let project = alembic_project(db.url());
        let dir = project.path();
        std::fs::write(
            dir.join("multi.py"),
            "import sqlalchemy as sa\nmetadata = sa.MetaData()\n\
             jobs = sa.Table('jobs', metadata, sa.Column('id', sa.Integer, primary_key=True), sa.Column('state', sa.String(10)), sa.Column('name', sa.String(40)))\n\
             sa.Index('ix_jobs_queued', jobs.c.id, postgresql_where=jobs.c.state == 'queued', sqlite_where=jobs.c.state == 'queued')\n\
             sa.Index('ix_jobs_name', jobs.c.name, postgresql_ops={'name': 'varchar_pattern_ops'}, mysql_length={'name': 10})\n",
        )
        .unwrap();
        let schema = "sqlalchemy:multi:metadata";
        let o = md(
            dir,
            &[
                "--schema",
                schema,
                "autogenerate",
                "-m",
                "jobs",
                "--rev-id",
                "m1",
            ],
        );
        assert_eq!(o.code, 0, "{dialect}: {}{}", o.stdout, o.stderr);
        let path = dir.join("migrations/versions/m1_jobs.py");
        let text = std::fs::read_to_string(&path).unwrap();
        for kw in [
            "postgresql_where=",
            "sqlite_where=",
            "mysql_length={'name': 10}",
        ] {
            assert!(text.contains(kw), "{dialect}: {kw}\n{text}");
        }
        assert!(
            text.contains("sa.text(\"state = 'queued'\")"),
            "{dialect}: {text}"
        );
        let o = alembic(dir, &["upgrade", "head"]);
        assert_eq!(o.code, 0, "{dialect}: {}", o.stderr);
        let o = md(dir, &["--schema", schema, "check"]);
        assert_eq!(o.code, 0, "{dialect}: {}{}", o.stdout, o.stderr);
        assert_eq!(alembic(dir, &["downgrade", "base"]).code, 0);

        // The snapshot of the models renders the same revision.
        let o = md(
            dir,
            &[
                "--schema",
                schema,
                "snapshot",
                "--declared",
                "-o",
                "models.toml",
            ],
        );
        assert_eq!(o.code, 0, "{dialect}: {}{}", o.stdout, o.stderr);
        std::fs::remove_file(&path).unwrap();
        let o = md(
            dir,
            &[
                "--schema",
                "models.toml",
                "autogenerate",
                "-m",
                "jobs",
                "--rev-id",
                "m1",
            ],
        );
        assert_eq!(o.code, 0, "{dialect}: {}{}", o.stdout, o.stderr);
        let again = std::fs::read_to_string(&path).unwrap();
        let body = |t: &str| {
            t.split_once("def upgrade")
                .map(|(_, b)| b.to_string())
                .unwrap_or_default()
        };
        assert_eq!(body(&again), body(&text), "{dialect}");
    }
}

/// SQLite keeps `TIMESTAMP` as written (the model folds it with DATETIME):
/// a downgrade re-creates a dropped column and a dropped table with the
/// type they had, and the SQL output writes it so too.
#[test]
fn sqlite_timestamp_comes_back_as_timestamp() {
    let db = SqliteDb::new();
    let before = "CREATE TABLE t (id INTEGER NOT NULL, seen_at TIMESTAMP, made DATETIME, PRIMARY KEY (id));\n\
                  CREATE TABLE log (id INTEGER NOT NULL, at TIMESTAMP NOT NULL, PRIMARY KEY (id));\n";
    db.exec(before);
    let project = alembic_project(&db.url);
    let dir = project.path();
    std::fs::write(dir.join("before.sql"), before).unwrap();
    std::fs::write(
        dir.join("after.sql"),
        "CREATE TABLE t (id INTEGER NOT NULL, made DATETIME, PRIMARY KEY (id));\n",
    )
    .unwrap();
    let o = md(
        dir,
        &[
            "--schema",
            "after.sql",
            "autogenerate",
            "-m",
            "drop",
            "--rev-id",
            "t1",
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let text = std::fs::read_to_string(dir.join("migrations/versions/t1_drop.py")).unwrap();
    assert!(
        text.contains("sa.Column('seen_at', sa.TIMESTAMP(), nullable=True)"),
        "{text}"
    );
    assert!(
        text.contains("sa.Column('at', sa.TIMESTAMP(), nullable=False)"),
        "{text}"
    );
    assert!(!text.contains("DATETIME()"), "{text}");
    let o = alembic(dir, &["upgrade", "head"]);
    assert_eq!(o.code, 0, "{}\n{text}", o.stderr);
    let o = alembic(dir, &["downgrade", "base"]);
    assert_eq!(o.code, 0, "{}\n{text}", o.stderr);
    let live = db.schema();
    for (table, column) in [("t", "seen_at"), ("log", "at")] {
        let c = live
            .tables
            .values()
            .find(|t| t.name.name == table)
            .and_then(|t| t.column(column))
            .unwrap();
        assert_eq!(
            c.type_as_written.as_deref(),
            Some("TIMESTAMP"),
            "{table}.{column}"
        );
    }
    let o = md(
        dir,
        &[
            "--schema",
            "before.sql",
            "--exclude-table",
            "alembic_version",
            "check",
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    // migdiff's own SQL writes the type as the DDL does.
    let empty = SqliteDb::new();
    let o = md(
        dir,
        &[
            "--url",
            &empty.url,
            "--schema",
            "before.sql",
            "diff",
            "--format",
            "sql",
        ],
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("seen_at TIMESTAMP"), "{}", o.stdout);
    assert!(o.stdout.contains("at TIMESTAMP NOT NULL"), "{}", o.stdout);
}

//! Views, materialized views, functions, procedures, triggers and
//! extensions on PostgreSQL, end to end: read from DDL as people and
//! pg_dump write it, compared with the live database by meaning, written
//! into revisions in dependency order that real Alembic runs up and down.

// A test that meets an unexpected error should stop right there.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

const FIXTURE: &str = include_str!("fixtures/objects.sql");
const FIXTURE_DUMP: &str = include_str!("fixtures/objects_pg_dump.sql");

fn check(dir: &std::path::Path, schema: &str) -> Output {
    let mut c = migdiff(dir);
    c.args(["--schema", schema, "check"]);
    run(c)
}

/// autogenerate from `before` to `after` with rows in the tables, then
/// upgrade, check, downgrade, check against `before`: the revision's text.
fn roundtrip(before: &str, rows: &str, after: &str) -> String {
    let db = PgDb::new();
    db.exec(before);
    if !rows.is_empty() {
        db.exec(rows);
    }
    let project = alembic_project(&db.url);
    let dir = project.path();
    std::fs::write(dir.join("after.sql"), after).unwrap();
    std::fs::write(dir.join("before.sql"), before).unwrap();
    let mut c = migdiff(dir);
    c.args(["--schema", "after.sql", "autogenerate", "-m", "change"]);
    let o = run(c);
    assert_eq!(o.code, 0, "autogenerate: {}{}", o.stdout, o.stderr);
    let script = only_revision(dir);
    // A revision from nothing proves itself in a throwaway database too
    // (one from a database made by hand has no history to replay).
    if before.trim().is_empty() {
        let mut c = migdiff(dir);
        c.env("VIRTUAL_ENV", venv())
            .args(["--schema", "after.sql", "verify"]);
        let o = run(c);
        assert_eq!(
            o.code, 0,
            "verify: {}{}\n--- script ---\n{script}",
            o.stdout, o.stderr
        );
    }
    let o = alembic(dir, &["upgrade", "head"]);
    assert_eq!(o.code, 0, "upgrade: {}\n--- script ---\n{script}", o.stderr);
    let o = check(dir, "after.sql");
    assert_eq!(
        o.code, 0,
        "after upgrade: {}{}\n{script}",
        o.stdout, o.stderr
    );
    let o = alembic(dir, &["downgrade", "-1"]);
    assert_eq!(
        o.code, 0,
        "downgrade: {}\n--- script ---\n{script}",
        o.stderr
    );
    let mut c = migdiff(dir);
    c.args(["--schema", "before.sql", "diff", "--format", "json"]);
    let o = run(c);
    assert!(
        o.code == 0 && o.stdout.contains("\"clean\": true"),
        "after downgrade: {}{}\n{script}",
        o.stdout,
        o.stderr
    );
    script
}

const CHAIN: &str = "
CREATE TABLE t (id integer PRIMARY KEY, name varchar(100) NOT NULL, note text);
CREATE VIEW v1 AS SELECT id, name FROM t;
CREATE VIEW v2 AS SELECT id, upper(name) AS shout FROM v1;
CREATE VIEW v3 AS SELECT count(*) AS n, max(shout) AS top FROM v2;
CREATE VIEW untouched AS SELECT id, note FROM t;
CREATE MATERIALIZED VIEW mv AS SELECT name, count(*) AS n FROM t GROUP BY name;
CREATE UNIQUE INDEX mv_name ON mv (name);
COMMENT ON VIEW v2 IS 'loud';
CREATE FUNCTION lower_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.name := lower(NEW.name); RETURN NEW; END $$;
CREATE TRIGGER t_lower BEFORE INSERT OR UPDATE OF name ON t
    FOR EACH ROW EXECUTE FUNCTION lower_name();
";

#[test]
fn a_type_change_under_a_view_chain_and_a_materialized_view_runs_up_and_down() {
    let after = CHAIN.replace("varchar(100)", "varchar(500)");
    let script = roundtrip(
        CHAIN,
        "INSERT INTO t VALUES (1, 'Ann', 'x'), (2, 'bob', NULL); REFRESH MATERIALIZED VIEW mv;",
        &after,
    );
    // Dependents first, then the change, then the dependents again, in
    // the order they read each other; the untouched view stays.
    let at = |needle: &str| {
        script
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} not in\n{script}"))
    };
    assert!(at("DROP TRIGGER t_lower") < at("DROP VIEW public.v3"));
    assert!(at("DROP VIEW public.v3") < at("DROP VIEW public.v2"));
    assert!(at("DROP VIEW public.v2") < at("DROP VIEW public.v1"));
    assert!(at("DROP MATERIALIZED VIEW public.mv") < at("op.alter_column"));
    assert!(at("op.alter_column") < at("CREATE VIEW v1"));
    assert!(at("CREATE VIEW v1") < at("CREATE VIEW v2"));
    assert!(at("CREATE VIEW v2") < at("CREATE VIEW v3"));
    assert!(at("CREATE UNIQUE INDEX mv_name") > at("CREATE MATERIALIZED VIEW mv"));
    assert!(script.contains("COMMENT ON VIEW public.v2 IS 'loud'"));
    assert!(!script.contains("untouched"), "{script}");
}

#[test]
fn check_fails_on_a_database_that_lacks_the_objects() {
    let db = PgDb::new();
    // The tables alone: every object is missing.
    db.exec("CREATE TABLE t (id integer PRIMARY KEY, name varchar(100) NOT NULL, note text);");
    let project = alembic_project(&db.url);
    let dir = project.path();
    std::fs::write(dir.join("schema.sql"), CHAIN).unwrap();
    let mut c = migdiff(dir);
    c.args(["--schema", "schema.sql", "check", "--format", "json"]);
    let o = run(c);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    for kind in [
        "create_view",
        "create_materialized_view",
        "create_function",
        "create_trigger",
    ] {
        assert!(o.stdout.contains(kind), "{kind} missing in {}", o.stdout);
    }
    // And the other way: objects the declared schema does not have.
    db.exec(CHAIN.split_once(";\n").unwrap().1);
    std::fs::write(
        dir.join("tables.sql"),
        "CREATE TABLE t (id integer PRIMARY KEY, name varchar(100) NOT NULL, note text);",
    )
    .unwrap();
    let o = check(dir, "tables.sql");
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("remove view public.v3"), "{}", o.stdout);
    assert!(
        o.stdout.contains("remove trigger public.t.t_lower"),
        "{}",
        o.stdout
    );
}

#[test]
fn a_database_made_from_the_declared_file_checks_clean_as_written_and_as_dumped() {
    for text in [FIXTURE, FIXTURE_DUMP] {
        let db = PgDb::new();
        // psql's own commands in a dump (`\restrict`) are not SQL.
        let sql: String = text
            .lines()
            .filter(|l| !l.starts_with('\\'))
            .map(|l| format!("{l}\n"))
            .collect();
        db.exec(&sql);
        let project = alembic_project(&db.url);
        let dir = project.path();
        std::fs::write(dir.join("schema.sql"), text).unwrap();
        let o = check(dir, "schema.sql");
        assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
        // Its snapshot holds every object and reads back as the same schema.
        let mut c = migdiff(dir);
        c.args(["snapshot", "-o", "snapshot.toml"]);
        let o = run(c);
        assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
        let toml = std::fs::read_to_string(dir.join("snapshot.toml")).unwrap();
        for section in [
            "[views.public.author_totals]",
            "[[functions]]",
            "[[triggers]]",
        ] {
            assert!(toml.contains(section), "{section} not in\n{toml}");
        }
        let o = check(dir, "snapshot.toml");
        assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    }
}

#[test]
fn the_whole_fixture_is_created_from_nothing_and_dropped_again() {
    let script = roundtrip("", "", FIXTURE);
    // A colon SQLAlchemy's text() would take for a parameter is escaped.
    assert!(script.contains("at \\\\:now"), "{script}");
    assert!(script.contains("ALTER TABLE public.books DISABLE TRIGGER books_price"));
}

#[test]
fn functions_are_replaced_in_place_or_dropped_and_created_with_their_dependents() {
    let before = "
CREATE TABLE t (id integer PRIMARY KEY, n integer);
CREATE FUNCTION twice(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT x * 2';
CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t_stamp BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION stamp();
CREATE VIEW doubled AS SELECT id, public.twice(n) AS d FROM t;
";
    // A new body: CREATE OR REPLACE, the view stays.
    let body = before.replace("'SELECT x * 2'", "'SELECT x + x'");
    let script = roundtrip(before, "INSERT INTO t VALUES (1, 2);", &body);
    assert!(script.contains("CREATE OR REPLACE FUNCTION"), "{script}");
    assert!(!script.contains("DROP VIEW"), "{script}");
    // Another result type: dropped and created again, the view around it.
    let result = before.replace(
        "RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT x * 2'",
        "RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT x * 2::bigint'",
    );
    let script = roundtrip(before, "INSERT INTO t VALUES (1, 2);", &result);
    assert!(script.contains("DROP VIEW public.doubled"), "{script}");
    assert!(
        script.contains("DROP FUNCTION public.twice(integer)"),
        "{script}"
    );
    // A trigger's new timing: dropped and created again; an overload is
    // another function.
    let timing = before.replace("BEFORE INSERT", "AFTER INSERT").replace(
        "CREATE VIEW",
        "CREATE FUNCTION twice(x text) RETURNS text LANGUAGE sql AS 'SELECT x || x';\nCREATE VIEW",
    );
    let script = roundtrip(before, "", &timing);
    assert!(script.contains("DROP TRIGGER t_stamp"), "{script}");
    assert!(script.contains("twice(x text)"), "{script}");
    assert!(
        !script.contains("DROP FUNCTION public.twice(integer)"),
        "{script}"
    );
}

#[test]
fn extensions_comments_and_enabled_state_are_compared() {
    let before = "
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;
CREATE TABLE t (id integer PRIMARY KEY, email citext);
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();
CREATE VIEW v AS SELECT id FROM t;
";
    let after = format!(
        "{before}
CREATE EXTENSION pg_trgm;
ALTER TABLE t DISABLE TRIGGER trg;
COMMENT ON VIEW v IS 'ids';
COMMENT ON FUNCTION f() IS 'does nothing';"
    );
    let script = roundtrip(before, "INSERT INTO t VALUES (1, 'A@x');", &after);
    assert!(script.contains("CREATE EXTENSION pg_trgm"), "{script}");
    assert!(script.contains("DROP EXTENSION pg_trgm"), "{script}");
    assert!(script.contains("DISABLE TRIGGER trg"), "{script}");
    assert!(script.contains("ENABLE TRIGGER trg"), "{script}");
    assert!(
        script.contains("COMMENT ON VIEW public.v IS NULL"),
        "{script}"
    );
}

#[test]
fn hostile_names_round_trip() {
    let after = r#"
CREATE SCHEMA "we'ird";
CREATE TABLE "we'ird"."Ta""ble" (id integer PRIMARY KEY, "sel ect" text);
CREATE VIEW "we'ird"."vi""ew" AS SELECT id, "sel ect" AS """""" FROM "we'ird"."Ta""ble";
CREATE FUNCTION "we'ird"."fn""x"(a text) RETURNS text LANGUAGE sql AS $$ SELECT a || '\n"""' $$;
COMMENT ON VIEW "we'ird"."vi""ew" IS 'it''s "quoted" \ and ünïcode';
"#;
    roundtrip("", "", after);
}

#[test]
fn set_search_path_decides_where_unqualified_names_go() {
    let after = "
CREATE SCHEMA app;
SET search_path TO app, public;
CREATE TYPE mood AS ENUM ('a', 'b');
CREATE TABLE t (id integer PRIMARY KEY, m mood);
CREATE TABLE u (id integer REFERENCES t (id));
CREATE VIEW v AS SELECT id, m FROM t;
CREATE FUNCTION ids() RETURNS SETOF integer LANGUAGE sql AS 'SELECT id FROM t';
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE public.w (id integer);
";
    let script = roundtrip("", "", after);
    assert!(script.contains("schema='app'"), "{script}");
    // Created from the server's text, every name qualified.
    assert!(script.contains("FROM app.t"), "{script}");
}

#[test]
fn table_forms_not_modelled_are_refused_where_they_are_written() {
    let db = PgDb::new();
    let project = alembic_project(&db.url);
    let dir = project.path();
    for (sql, what) in [
        (
            "CREATE TABLE p (id int, d date) PARTITION BY RANGE (d);\nCREATE TABLE p1 PARTITION OF p FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');",
            "PARTITION OF",
        ),
        ("CREATE TABLE a (id int);\nCREATE TABLE b (LIKE a);", "LIKE"),
        (
            "CREATE TABLE a (id int);\nCREATE TABLE b AS SELECT * FROM a;",
            "AS",
        ),
        (
            "CREATE TABLE a (id int);\nCREATE TABLE c () INHERITS (a);",
            "INHERITS",
        ),
        ("CREATE UNLOGGED TABLE u (id int);", "UNLOGGED"),
        (
            "CREATE TABLE f (id int) WITH (fillfactor = 70);",
            "storage parameters",
        ),
        (
            "CREATE TABLE n (id int);\nALTER TABLE n ADD CONSTRAINT c CHECK (id > 0) NOT VALID;",
            "NOT VALID",
        ),
        (
            "CREATE TABLE n (id int, CONSTRAINT c CHECK (id > 0) NO INHERIT);",
            "NO INHERIT",
        ),
        (
            "CREATE TABLE i (name text);\nCREATE INDEX ix ON i (name COLLATE \"C\");",
            "COLLATE",
        ),
        ("CREATE TEMP VIEW tv AS SELECT 1;", "temporary view"),
        (
            "CREATE VIEW v AS SELECT 1 AS one;\nALTER VIEW v SET (security_barrier = true);",
            "only as OWNER TO",
        ),
    ] {
        std::fs::write(dir.join("schema.sql"), sql).unwrap();
        let o = check(dir, "schema.sql");
        assert_eq!(o.code, 2, "{sql}: {}{}", o.stdout, o.stderr);
        let line = sql.lines().count();
        assert!(
            o.stderr.contains(&format!("schema.sql:{line}:")) && o.stderr.contains(what),
            "{sql}: {}",
            o.stderr
        );
    }
}

const ENTITY_MODELS: &str = r#"
import sqlalchemy as sa
from alembic_utils.pg_function import PGFunction
from alembic_utils.pg_trigger import PGTrigger
from alembic_utils.pg_view import PGView

metadata = sa.MetaData()
items = sa.Table(
    "items", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
)
# A DDL listener, as projects without alembic_utils declare objects.
sa.event.listen(items, "after_create", sa.DDL("CREATE VIEW item_ids AS SELECT id FROM items"))

touch = PGFunction(
    schema="public",
    signature="touch()",
    definition="RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := lower(NEW.name); RETURN NEW; END $$",
)
entities = [
    PGView(schema="public", signature="item_names", definition="SELECT id, name FROM public.items"),
    PGTrigger(
        schema="public",
        signature="items_touch",
        on_entity="public.items",
        definition="BEFORE INSERT ON public.items FOR EACH ROW EXECUTE FUNCTION public.touch()",
    ),
]
"#;

fn models_check(dir: &std::path::Path, url: &str) -> Output {
    let mut c = migdiff(dir);
    c.env("VIRTUAL_ENV", venv()).args([
        "--url",
        url,
        "--schema",
        "sqlalchemy:models:metadata",
        "--no-cache",
        "check",
    ]);
    run(c)
}

#[test]
fn models_declare_objects_with_alembic_utils_and_ddl_listeners() {
    let db = PgDb::new();
    db.exec("CREATE TABLE items (id serial PRIMARY KEY, name varchar(100) NOT NULL);");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("models.py"), ENTITY_MODELS).unwrap();
    let o = models_check(dir.path(), &db.url);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    for missing in [
        "add view public.item_ids",
        "add view public.item_names",
        "add function public.touch()",
        "add trigger public.items.items_touch",
    ] {
        assert!(o.stdout.contains(missing), "{missing} not in {}", o.stdout);
    }
    db.exec(
        "CREATE VIEW item_ids AS SELECT id FROM items;
         CREATE VIEW item_names AS SELECT id, name FROM items;
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := lower(NEW.name); RETURN NEW; END $$;
         CREATE TRIGGER items_touch BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION touch();",
    );
    let o = models_check(dir.path(), &db.url);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
}

#[test]
fn models_without_objects_leave_the_live_ones_alone() {
    let db = PgDb::new();
    db.exec(
        "CREATE TABLE items (id serial PRIMARY KEY, name varchar(100) NOT NULL);
         CREATE VIEW by_hand AS SELECT id FROM items;",
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("models.py"),
        "import sqlalchemy as sa\nmetadata = sa.MetaData()\nsa.Table('items', metadata, sa.Column('id', sa.Integer, primary_key=True), sa.Column('name', sa.String(100), nullable=False))\n",
    )
    .unwrap();
    let o = models_check(dir.path(), &db.url);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
}

#[test]
fn domains_are_altered_in_place_with_rows_in_their_columns() {
    let before = "
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TABLE t (id integer PRIMARY KEY, n posint);
";
    let after = "
CREATE DOMAIN posint AS integer DEFAULT 1 NOT NULL CONSTRAINT posint_check CHECK (VALUE >= 0)
    CONSTRAINT small CHECK (VALUE < 1000);
COMMENT ON DOMAIN posint IS 'counts';
CREATE TABLE t (id integer PRIMARY KEY, n posint);
";
    let script = roundtrip(before, "INSERT INTO t VALUES (1, 5), (2, 7);", after);
    assert!(
        script.contains("ALTER DOMAIN public.posint SET NOT NULL"),
        "{script}"
    );
    assert!(script.contains("ADD CONSTRAINT small"), "{script}");
    assert!(!script.contains("DROP DOMAIN"), "{script}");
}

#[test]
fn owners_are_compared_only_when_the_project_asks() {
    let role = format!("migdiff_owner_{}", uuid::Uuid::new_v4().simple());
    exec_pg(
        &format!("{}/postgres", pg_base().trim_end_matches('/')),
        &format!("CREATE ROLE {role}"),
    );
    let before = format!(
        "CREATE TABLE t (id integer PRIMARY KEY);
CREATE VIEW v AS SELECT id FROM t;
ALTER VIEW v OWNER TO {role};
CREATE FUNCTION f() RETURNS integer LANGUAGE sql AS 'SELECT 1';
ALTER FUNCTION f() OWNER TO {role};
"
    );
    let after = before.replace(&format!("OWNER TO {role}"), "OWNER TO postgres");
    {
        let db = PgDb::new();
        db.exec(&before);
        let project = alembic_project(&db.url);
        let dir = project.path();
        std::fs::write(dir.join("after.sql"), &after).unwrap();
        // Off by default: another owner is no drift.
        let o = check(dir, "after.sql");
        assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
        std::fs::write(dir.join("migdiff.toml"), "compare_owners = true\n").unwrap();
        let o = check(dir, "after.sql");
        assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
        assert!(
            o.stdout
                .contains(&format!("view owner public.v: {role} → postgres")),
            "{}",
            o.stdout
        );
        assert!(
            o.stdout.contains("function owner public.f()"),
            "{}",
            o.stdout
        );
        let mut c = migdiff(dir);
        c.args(["--schema", "after.sql", "autogenerate", "-m", "owners"]);
        let o = run(c);
        assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
        let script = only_revision(dir);
        assert!(
            script.contains("ALTER VIEW public.v OWNER TO postgres"),
            "{script}"
        );
        let o = alembic(dir, &["upgrade", "head"]);
        assert_eq!(o.code, 0, "{}\n{script}", o.stderr);
        assert_eq!(check(dir, "after.sql").code, 0);
        let o = alembic(dir, &["downgrade", "-1"]);
        assert_eq!(o.code, 0, "{}\n{script}", o.stderr);
        std::fs::write(dir.join("before.sql"), &before).unwrap();
        let mut c = migdiff(dir);
        c.args(["--schema", "before.sql", "diff", "--format", "json"]);
        let o = run(c);
        assert!(
            o.stdout.contains("\"clean\": true"),
            "{}\n{script}",
            o.stdout
        );
    }
    exec_pg(
        &format!("{}/postgres", pg_base().trim_end_matches('/')),
        &format!("DROP ROLE {role}"),
    );
}

#[test]
fn alembic_utils_projects_get_entities_in_their_revisions() {
    let db = PgDb::new();
    db.exec("CREATE TABLE items (id serial PRIMARY KEY, name varchar(100) NOT NULL);");
    let project = alembic_project(&db.url);
    let dir = project.path();
    std::fs::write(dir.join("models.py"), ENTITY_MODELS).unwrap();
    let mut c = migdiff(dir);
    c.env("VIRTUAL_ENV", venv()).args([
        "--schema",
        "sqlalchemy:models:metadata",
        "--no-cache",
        "autogenerate",
        "-m",
        "entities",
    ]);
    let o = run(c);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let script = only_revision(dir);
    for needle in [
        "from alembic_utils.pg_view import PGView",
        "from alembic_utils.pg_function import PGFunction",
        "from alembic_utils.pg_trigger import PGTrigger",
        "public_item_names = PGView(",
        "op.create_entity(public_item_names)",
        "signature='touch()'",
        "op.create_entity(public_items_touch)",
        "op.drop_entity(public_touch)",
    ] {
        assert!(script.contains(needle), "{needle} not in\n{script}");
    }
    let o = alembic(dir, &["upgrade", "head"]);
    assert_eq!(o.code, 0, "{}\n{script}", o.stderr);
    let o = models_check(dir, &db.url);
    assert_eq!(o.code, 0, "{}{}\n{script}", o.stdout, o.stderr);
    let o = alembic(dir, &["downgrade", "-1"]);
    assert_eq!(o.code, 0, "{}\n{script}", o.stderr);
    // Back to the tables alone.
    let mut c = migdiff(dir);
    c.env("VIRTUAL_ENV", venv()).args([
        "--schema",
        "sqlalchemy:models:metadata",
        "--no-cache",
        "diff",
        "--format",
        "json",
    ]);
    let o = run(c);
    assert!(
        o.stdout.contains("create_view") && o.stdout.contains("create_trigger"),
        "{}{}",
        o.stdout,
        o.stderr
    );
}

/// SQLite: views and triggers read from sqlite_schema and from DDL, and
/// kept through Alembic's batch rebuild of the table under them.
#[test]
fn sqlite_views_and_triggers_survive_a_batch_rebuild() {
    let before = "
CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, note TEXT);
CREATE TABLE log (id INTEGER PRIMARY KEY, what TEXT);
CREATE VIEW author_names AS SELECT id, name FROM authors;
CREATE VIEW shouting AS SELECT id, upper(name) AS name FROM author_names;
CREATE VIEW log_view AS SELECT what FROM log;
CREATE TRIGGER authors_log AFTER UPDATE OF name ON authors
BEGIN
    INSERT INTO log (what) VALUES ('renamed; ' || NEW.name);
    UPDATE log SET what = CASE WHEN what IS NULL THEN '' ELSE what END;
END;
";
    // A type change and a dropped column: both rebuild the table.
    let after = before
        .replace(
            "name VARCHAR(100) NOT NULL, note TEXT",
            "name VARCHAR(500) NOT NULL",
        )
        .replace("CREATE VIEW log_view", "CREATE VIEW log_view2");
    let db = TestDb::new(migdiff_sqlite::DIALECT);
    db.exec(before);
    db.exec("INSERT INTO authors VALUES (1, 'Ann', 'x');");
    let project = alembic_project(db.url());
    let dir = project.path();
    std::fs::write(dir.join("before.sql"), before).unwrap();
    std::fs::write(dir.join("after.sql"), &after).unwrap();
    // The database made from the file checks clean.
    assert_eq!(check(dir, "before.sql").code, 0);
    let mut c = migdiff(dir);
    c.args(["--schema", "after.sql", "autogenerate", "-m", "rebuild"]);
    let o = run(c);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let script = only_revision(dir);
    let at = |needle: &str| {
        script
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} not in\n{script}"))
    };
    assert!(at("DROP TRIGGER authors_log") < at("batch_alter_table('authors'"));
    assert!(at("DROP VIEW shouting") < at("DROP VIEW author_names"));
    assert!(at("batch_alter_table('authors'") < at("CREATE VIEW author_names"));
    assert!(at("CREATE VIEW author_names") < at("CREATE VIEW shouting"));
    assert!(at("CREATE VIEW shouting") < at("CREATE TRIGGER authors_log"));
    let o = alembic(dir, &["upgrade", "head"]);
    assert_eq!(o.code, 0, "{}\n{script}", o.stderr);
    let o = check(dir, "after.sql");
    assert_eq!(o.code, 0, "{}{}\n{script}", o.stdout, o.stderr);
    let o = alembic(dir, &["downgrade", "-1"]);
    assert_eq!(o.code, 0, "{}\n{script}", o.stderr);
    let mut c = migdiff(dir);
    c.args(["--schema", "before.sql", "diff", "--format", "json"]);
    let o = run(c);
    assert!(
        o.stdout.contains("\"clean\": true"),
        "{}\n{script}",
        o.stdout
    );
}

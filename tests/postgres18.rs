//! What PostgreSQL 18 added, read, diffed, rendered and run by real
//! Alembic: virtual generated columns (and stored ones, and the form
//! without a keyword, virtual on 18), `uuidv7()` defaults, and NOT NULL
//! constraints that 18 records with names. Runs against the server at
//! MIGDIFF_TEST_PG_URL when it is 18 or later (scripts/test.sh runs the
//! suite against 18 too); on an older server there is nothing to prove.

// A test that meets an unexpected error should stop right there.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

const SCHEMA: &str = "CREATE TABLE orders (
    id uuid DEFAULT uuidv7() NOT NULL,
    price numeric(10, 2) NOT NULL,
    qty integer NOT NULL,
    total numeric GENERATED ALWAYS AS (price * qty) VIRTUAL,
    total_stored numeric GENERATED ALWAYS AS (price * qty) STORED,
    label text GENERATED ALWAYS AS ('#' || qty::text),
    note text CONSTRAINT orders_note_nn NOT NULL,
    CONSTRAINT orders_pkey PRIMARY KEY (id)
);
";

#[test]
fn postgres_18_features_round_trip_under_alembic() {
    let db = PgDb::new();
    let major = server_major(&db.url);
    if major < 18 {
        eprintln!("PostgreSQL {major}: nothing of 18 to prove here");
        return;
    }
    let project = alembic_project(&db.url);
    let dir = project.path();
    std::fs::write(dir.join("s.sql"), SCHEMA).unwrap();
    std::fs::write(dir.join("empty.sql"), "").unwrap();
    let md = |args: &[&str]| {
        let mut c = migdiff(dir);
        c.args(args);
        run(c)
    };
    let o = md(&[
        "--schema",
        "s.sql",
        "autogenerate",
        "-m",
        "pg18",
        "--rev-id",
        "a1",
    ]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let text = std::fs::read_to_string(dir.join("migrations/versions/a1_pg18.py")).unwrap();
    assert!(
        text.contains("sa.Computed('price * qty', persisted=False)"),
        "{text}"
    );
    assert!(
        text.contains("sa.Computed('price * qty', persisted=True)"),
        "{text}"
    );
    let o = alembic(dir, &["upgrade", "head"]);
    assert_eq!(o.code, 0, "{}\n{text}", o.stderr);
    // What the server made: virtual where the DDL said VIRTUAL or nothing.
    let live = db.schema();
    let orders = live
        .tables
        .values()
        .find(|t| t.name.name == "orders")
        .unwrap();
    let stored = |c: &str| orders.column(c).unwrap().generated.as_ref().unwrap().stored;
    assert!(!stored("total") && stored("total_stored") && !stored("label"));
    assert!(!orders.column("note").unwrap().nullable);
    // 18's named NOT NULL constraints are neither CHECKs nor drift.
    assert!(orders.checks.is_empty(), "{:?}", orders.checks);
    let o = md(&[
        "--schema",
        "s.sql",
        "--exclude-table",
        "alembic_version",
        "check",
    ]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    // The throwaway database is 18 too: verify and the replay read the
    // keyword-less column as virtual there.
    let venv = python().parent().unwrap().parent().unwrap().to_path_buf();
    for args in [
        vec!["--schema", "s.sql", "verify"],
        vec!["--schema", "s.sql", "check", "--replay"],
    ] {
        let mut c = migdiff(dir);
        c.env("VIRTUAL_ENV", &venv).args(&args);
        let o = run(c);
        assert_eq!(o.code, 0, "{args:?}: {}{}", o.stdout, o.stderr);
    }
    let o = alembic(dir, &["downgrade", "base"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = md(&[
        "--schema",
        "empty.sql",
        "--exclude-table",
        "alembic_version",
        "check",
    ]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    // migdiff's own SQL says VIRTUAL, and the server takes it.
    let o = md(&[
        "--schema",
        "s.sql",
        "--exclude-table",
        "alembic_version",
        "diff",
        "--format",
        "sql",
    ]);
    assert!(o.stdout.contains("(price * qty) VIRTUAL"), "{}", o.stdout);
    db.exec(&o.stdout);
    let o = md(&[
        "--schema",
        "s.sql",
        "--exclude-table",
        "alembic_version",
        "check",
    ]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
}

/// NOT ENFORCED checks and foreign keys (PostgreSQL 18) are read, not an
/// introspection error; enforcement itself is not compared yet.
#[test]
fn not_enforced_constraints_are_read() {
    let db = PgDb::new();
    let major = server_major(&db.url);
    if major < 18 {
        eprintln!("PostgreSQL {major}: nothing of 18 to prove here");
        return;
    }
    let ddl = "CREATE TABLE p (id integer PRIMARY KEY);
CREATE TABLE c (
    id integer PRIMARY KEY,
    p_id integer CONSTRAINT c_p_fk REFERENCES p (id) NOT ENFORCED,
    n integer CONSTRAINT c_n_positive CHECK (n > 0) NOT ENFORCED
);
";
    db.exec(ddl);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.sql"), ddl).unwrap();
    let mut c = migdiff(dir.path());
    c.args(["--url", &db.url, "--schema", "s.sql", "check"]);
    let o = run(c);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
}

const TEMPORAL: &str = "CREATE TABLE hosts (id integer PRIMARY KEY);
CREATE TABLE rooms (
    room int4range NOT NULL,
    code int4range NOT NULL,
    valid_at tstzrange NOT NULL,
    CONSTRAINT rooms_pkey PRIMARY KEY (room, valid_at WITHOUT OVERLAPS),
    CONSTRAINT rooms_code_key UNIQUE (code, valid_at WITHOUT OVERLAPS)
);
CREATE TABLE bookings (
    id integer PRIMARY KEY,
    room int4range,
    valid_at tstzrange,
    guests integer,
    host_id integer,
    CONSTRAINT bookings_room_fkey FOREIGN KEY (room, PERIOD valid_at) REFERENCES rooms (room, PERIOD valid_at),
    CONSTRAINT bookings_guests_check CHECK (guests > 0) NOT ENFORCED,
    CONSTRAINT bookings_host_fkey FOREIGN KEY (host_id) REFERENCES hosts (id) NOT ENFORCED
);
";

/// Temporal keys (WITHOUT OVERLAPS, PERIOD) and NOT ENFORCED constraints:
/// read on both sides, compared, written as SQL in the revision (SQLAlchemy
/// 2.1 cannot declare them), run by real Alembic both ways.
#[test]
fn temporal_keys_and_not_enforced_round_trip_under_alembic() {
    let db = PgDb::new();
    let major = server_major(&db.url);
    if major < 18 {
        eprintln!("PostgreSQL {major}: nothing of 18 to prove here");
        return;
    }
    let project = alembic_project(&db.url);
    let dir = project.path();
    std::fs::write(dir.join("s.sql"), TEMPORAL).unwrap();
    std::fs::write(dir.join("empty.sql"), "").unwrap();
    // The same schema with every constraint enforced: drift, not sameness.
    let enforced = TEMPORAL.replace(" NOT ENFORCED", "");
    std::fs::write(dir.join("enforced.sql"), &enforced).unwrap();
    let md = |args: &[&str]| {
        let mut c = migdiff(dir);
        c.args(args);
        run(c)
    };
    let o = md(&[
        "--schema",
        "s.sql",
        "autogenerate",
        "-m",
        "t",
        "--rev-id",
        "t1",
    ]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let text = std::fs::read_to_string(dir.join("migrations/versions/t1_t.py")).unwrap();
    for sql in [
        "PRIMARY KEY (room, valid_at WITHOUT OVERLAPS)",
        "UNIQUE (code, valid_at WITHOUT OVERLAPS)",
        "FOREIGN KEY (room, PERIOD valid_at) REFERENCES rooms (room, PERIOD valid_at)",
        "CHECK (guests > 0) NOT ENFORCED",
        "REFERENCES hosts (id) NOT ENFORCED",
    ] {
        assert!(text.contains(sql), "{sql} not in\n{text}");
    }
    let o = alembic(dir, &["upgrade", "head"]);
    assert_eq!(o.code, 0, "{}\n{text}", o.stderr);
    let check = |schema: &str| {
        md(&[
            "--schema",
            schema,
            "--exclude-table",
            "alembic_version",
            "check",
        ])
    };
    let o = check("s.sql");
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let o = check("enforced.sql");
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains("bookings_guests_check") && o.stdout.contains("bookings_host_fkey"),
        "{}",
        o.stdout
    );
    // Enforcing them is a revision that runs, and then there is no drift.
    let o = md(&[
        "--schema",
        "enforced.sql",
        "autogenerate",
        "-m",
        "enforce",
        "--rev-id",
        "t2",
    ]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let o = alembic(dir, &["upgrade", "head"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(check("enforced.sql").code, 0);
    let venv = python().parent().unwrap().parent().unwrap().to_path_buf();
    let mut c = migdiff(dir);
    c.env("VIRTUAL_ENV", &venv)
        .args(["--schema", "enforced.sql", "check", "--replay"]);
    let o = run(c);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let o = alembic(dir, &["downgrade", "t1"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(check("s.sql").code, 0);
    let o = alembic(dir, &["downgrade", "base"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(check("empty.sql").code, 0);
    // migdiff's own SQL, run by the server, reads back the same.
    let o = md(&[
        "--schema",
        "s.sql",
        "--exclude-table",
        "alembic_version",
        "diff",
        "--format",
        "sql",
    ]);
    db.exec(&o.stdout);
    let o = check("s.sql");
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
}

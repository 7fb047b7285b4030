//! Live introspection against real PostgreSQL and SQLite: every object kind,
//! hostile names, the fixed query count, and that the declared (parsed) and
//! the introspected model of the same DDL are equal.

// A test that meets an unexpected error should stop right there.
#![allow(clippy::unwrap_used)]

mod common;

use common::corpus::*;
use common::*;
use migdiff_model::*;

#[test]
fn postgres_every_object_kind() {
    let db = PgDb::new();
    db.exec(PG_RICH);
    let s = db.schema();

    assert!(s.schemas.contains("audit") && s.schemas.contains("Weird Schema"));
    assert_eq!(
        s.enums[&ObjectName::new("public", "mood")].values,
        vec!["sad", "ok", "it's \"great\""]
    );
    let seq = &s.sequences[&ObjectName::new("public", "invoice_numbers")];
    assert_eq!(
        (seq.start, seq.increment, seq.cache),
        (Some(1000), Some(5), Some(10))
    );
    assert_eq!(
        s.sequences.len(),
        1,
        "owned sequences are part of their columns"
    );

    let users = &s.tables[&ObjectName::new("public", "users")];
    let col = |n: &str| users.column(n).unwrap_or_else(|| panic!("column {n}"));
    assert!(col("id").serial && !col("id").nullable && col("id").default.is_none());
    assert_eq!(
        col("email").data_type,
        DataType::Varchar { length: Some(200) }
    );
    assert_eq!(col("name").collation.as_deref(), Some("C"));
    assert_eq!(col("MixedCase").default.as_deref(), Some("-1"));
    assert_eq!(
        col("feeling").data_type,
        DataType::Enum(ObjectName::new("public", "mood"))
    );
    assert_eq!(col("feeling").default.as_deref(), Some("'ok'"));
    assert_eq!(
        col("feelings").data_type,
        DataType::Array(Box::new(DataType::Enum(ObjectName::new("public", "mood"))))
    );
    assert_eq!(col("payload").default.as_deref(), Some("'{}'"));
    assert_eq!(col("created").default.as_deref(), Some("now()"));
    assert_eq!(col("ip").data_type, DataType::Other("inet".into()));
    assert_eq!(col("email").comment.as_deref(), Some("the login"));
    assert_eq!(
        users.comment.as_deref(),
        Some("people; it's \"quoted\"\nand multi-line")
    );
    assert_eq!(
        users.primary_key.as_ref().and_then(|p| p.name.as_deref()),
        Some("users_pkey")
    );
    assert_eq!(users.uniques[0].name.as_deref(), Some("users_email_key"));
    assert_eq!(users.checks[0].expr, "(score >= 0) AND (score < 1000000)");
    let idx = |n: &str| {
        users
            .indexes
            .iter()
            .find(|i| i.name == n)
            .unwrap_or_else(|| panic!("index {n}"))
    };
    assert_eq!(
        idx("ix_users_lower_email").keys[0].target,
        IndexTarget::Expression("lower(email)".into())
    );
    let partial = idx("ix_users_name_partial");
    assert!(
        partial.unique && partial.keys[0].descending && partial.keys[0].nulls_first == Some(false)
    );
    assert_eq!(partial.predicate.as_deref(), Some("name IS NOT NULL"));
    assert_eq!(idx("ix_users_tags").method, "gin");

    let log = &s.tables[&ObjectName::new("audit", "log")];
    let id = log
        .column("id")
        .and_then(|c| c.identity.clone())
        .expect("identity");
    assert!(id.always && id.start == Some(10) && id.increment == Some(2));
    assert!(
        !log.column("seq")
            .and_then(|c| c.identity.clone())
            .expect("identity")
            .always
    );
    assert_eq!(
        log.column("total")
            .and_then(|c| c.generated.clone())
            .map(|g| g.expr),
        Some("price * 2".into())
    );
    let fk = &log.foreign_keys[0];
    assert_eq!(
        (fk.on_delete, fk.on_update),
        (FkAction::Cascade, FkAction::SetNull)
    );
    assert!(fk.deferrable && fk.initially_deferred);
    let note_ix = &log.indexes[0];
    assert_eq!(note_ix.keys[0].opclass.as_deref(), Some("text_pattern_ops"));
    assert_eq!(note_ix.include, vec!["qty"]);

    let weird = &s.tables[&ObjectName::new("public", "we\"ird'\\name")];
    assert!(weird.column("line\nbreak").is_some() && weird.column("\"").is_some());
    assert_eq!(
        weird.primary_key.as_ref().and_then(|p| p.name.as_deref()),
        Some("pk weird")
    );
    assert!(weird.uniques[0].nulls_not_distinct);

    let child = &s.tables[&ObjectName::new("public", "child")];
    assert_eq!(child.foreign_keys[0].match_kind, FkMatch::Full);
    assert_eq!(
        child.foreign_keys[0].ref_table,
        ObjectName::new("Weird Schema", "Order")
    );
    assert!(
        s.tables.contains_key(&ObjectName::new("public", "events")),
        "partitioned tables are tables"
    );
}

#[test]
fn postgres_alembic_version_is_never_in_the_model() {
    let db = PgDb::new();
    db.exec("create table alembic_version (version_num varchar(32) not null primary key); create table t (id int)");
    let s = db.schema();
    assert_eq!(
        s.tables.keys().map(|k| k.name.as_str()).collect::<Vec<_>>(),
        vec!["t"]
    );
}

#[test]
fn postgres_query_count_does_not_grow_with_tables() {
    let db = PgDb::new();
    db.exec("create table t0 (id serial primary key, name text unique, v int check (v > 0))");
    let count = |db: &PgDb| {
        let url = db.url.replacen("postgresql://", "postgres://", 1);
        block_on(async move {
            use std::str::FromStr;
            let opts = sqlx::postgres::PgConnectOptions::from_str(&url).expect("url");
            let mut c = migdiff_postgres::connect(opts, "t").await.expect("connect");
            let r = migdiff_postgres::introspect(&mut c, &Default::default())
                .await
                .expect("introspect");
            (
                r.queries,
                r.schema.tables.len(),
                r.schema.views.len() + r.schema.functions.len() + r.schema.triggers.len(),
            )
        })
    };
    let (small, n, _) = count(&db);
    assert_eq!(n, 1);
    // 1,000 tables, created in batches (max_locks_per_transaction).
    for batch in 0..10 {
        let mut sql = String::new();
        for i in 1..=100 {
            let n = batch * 100 + i;
            sql.push_str(&format!(
                "create table t{n} (id serial primary key, ref int references t{} (id), name varchar(50) unique, v int check (v > 0));\ncreate index ix_t{n} on t{n} (name);\n",
                n - 1
            ));
            // Objects beyond tables: a view, a function and a trigger per
            // ten tables.
            if n % 10 == 0 {
                sql.push_str(&format!(
                    "create view v{n} as select id, name from t{n};\n\
                     create function f{n}() returns trigger language plpgsql as $$ begin return new; end $$;\n\
                     create trigger g{n} before insert on t{n} for each row execute function f{n}();\n"
                ));
            }
        }
        db.exec(&sql);
    }
    let (large, n, objects) = count(&db);
    assert_eq!(n, 1001);
    assert_eq!(objects, 300);
    assert_eq!(
        small, large,
        "the catalog query count must not depend on the table count"
    );
    assert_eq!(
        large, 13,
        "ARCHITECTURE.md states 13 catalog queries for PostgreSQL"
    );
}

#[test]
fn sqlite_every_object_kind() {
    let db = SqliteDb::new();
    db.exec(SQLITE_RICH);
    db.exec("create table alembic_version (version_num varchar(32) not null primary key)");
    let s = db.schema();
    assert!(
        !s.tables
            .contains_key(&ObjectName::new("main", "alembic_version"))
    );
    let users = &s.tables[&ObjectName::new("main", "users")];
    assert_eq!(
        users.primary_key.as_ref().map(|p| p.columns.clone()),
        Some(vec!["id".to_string()])
    );
    assert_eq!(
        users
            .column("name")
            .and_then(|c| c.default.clone())
            .as_deref(),
        Some("'anon'")
    );
    assert_eq!(
        users
            .column("created")
            .and_then(|c| c.default.clone())
            .as_deref(),
        Some("CURRENT_TIMESTAMP")
    );
    assert_eq!(
        users
            .column("doubled")
            .and_then(|c| c.generated.clone())
            .map(|g| (g.expr, g.stored)),
        Some(("id * 2".into(), false))
    );
    assert_eq!(users.uniques[0].name.as_deref(), Some("uq_users_email"));
    assert_eq!(users.checks[0].name.as_deref(), Some("ck_score"));
    let posts = &s.tables[&ObjectName::new("main", "posts")];
    assert!(posts.sqlite_autoincrement);
    assert_eq!(posts.foreign_keys[0].on_delete, FkAction::Cascade);
    assert_eq!(posts.uniques[0].columns, vec!["user_id", "title"]);
    let lower = posts
        .indexes
        .iter()
        .find(|i| i.name == "ix_posts_lower")
        .expect("index");
    assert!(lower.unique);
    assert_eq!(lower.predicate.as_deref(), Some("body IS NOT NULL"));
    assert_eq!(
        lower.keys[0].target,
        IndexTarget::Expression("lower(title)".into())
    );
    let weird = &s.tables[&ObjectName::new("main", "we\"ird'\\name")];
    assert!(weird.column("\"").is_some() && weird.indexes[0].keys[0].descending);
}

#[test]
fn parsed_and_introspected_agree_postgres() {
    let db = PgDb::new();
    db.exec(PG_RICH);
    let live = db.schema();
    let declared = parse(PG_RICH, migdiff_postgres::DIALECT);
    let d = differences(&live, &declared);
    // `lower(email)` is stored as `lower(email::text)`: an implicit cast only
    // the server can settle (see the settle tests); everything else agrees
    // offline.
    let unsettled: Vec<&String> = d
        .iter()
        .filter(|l| !l.contains("ix_users_lower_email"))
        .collect();
    assert!(unsettled.is_empty(), "{d:#?}");
}

#[test]
fn parsed_and_introspected_agree_sqlite() {
    let db = SqliteDb::new();
    db.exec(SQLITE_RICH);
    let d = differences(&db.schema(), &parse(SQLITE_RICH, migdiff_sqlite::DIALECT));
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn snapshot_round_trips_and_is_deterministic() {
    let db = PgDb::new();
    db.exec(PG_RICH);
    let s = db.schema();
    let a = snapshot::to_toml(&s, migdiff_postgres::DIALECT).expect("toml");
    let b = snapshot::to_toml(&db.schema(), migdiff_postgres::DIALECT).expect("toml");
    assert_eq!(
        a, b,
        "two snapshots of the same database are byte-identical"
    );
    let (d, back) = snapshot::from_toml(&a, migdiff_cli::dialects()).expect("read back");
    assert_eq!(d, migdiff_postgres::DIALECT);
    assert_eq!(back, s);
}

#[test]
fn snapshot_command_output_checks_clean() {
    for dialect in [migdiff_postgres::DIALECT, migdiff_sqlite::DIALECT] {
        let db = TestDb::new(dialect);
        db.exec(if dialect == migdiff_postgres::DIALECT {
            PG_RICH
        } else {
            SQLITE_RICH
        });
        let dir = tempfile::tempdir().expect("tmp");
        let mut c = migdiff(dir.path());
        c.args(["--url", db.url(), "snapshot", "-o", "snap.toml"]);
        let o = run(c);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let mut c = migdiff(dir.path());
        c.args(["--url", db.url(), "--schema", "snap.toml", "check"]);
        let o = run(c);
        assert_eq!(o.code, 0, "{dialect}: {}{}", o.stdout, o.stderr);
    }
}

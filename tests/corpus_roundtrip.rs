//! The golden corpus (`tests/golden_corpus/`) run for real: each case's
//! live schema is loaded into a fresh database (with migdiff's own SQL),
//! migdiff writes the revision to the declared schema, real Alembic
//! upgrades (the database then checks clean against the declared schema)
//! and downgrades (clean against the live one again). The golden files pin
//! what the outputs say; this proves they run.

// A test that meets an unexpected error should stop right there.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::*;
use migdiff_model::snapshot;

fn round_trip(case: &Path) {
    let name = case.file_name().unwrap().to_string_lossy().to_string();
    let live_toml = std::fs::read_to_string(case.join("live.toml")).unwrap();
    let (dialect, _) = snapshot::from_toml(&live_toml, migdiff_cli::dialects()).unwrap();
    let db = TestDb::new(dialect);
    if name.starts_with("pg18") && server_major(db.url()) < 18 {
        eprintln!("{name}: PostgreSQL 18's features need a server of 18");
        return;
    }
    let project = alembic_project(db.url());
    let dir = project.path();
    for side in ["live", "declared"] {
        std::fs::copy(
            case.join(format!("{side}.toml")),
            dir.join(format!("{side}.toml")),
        )
        .unwrap();
    }
    let md = |args: &[&str]| {
        let mut c = migdiff(dir);
        c.args(args);
        run(c)
    };
    let check = |schema: &str| {
        md(&[
            "--schema",
            schema,
            "--exclude-table",
            "alembic_version",
            "check",
        ])
    };
    // The live side, as migdiff's SQL creates it.
    let o = md(&["--schema", "live.toml", "diff", "--format", "sql"]);
    assert_eq!(o.code, 0, "{name}: {}{}", o.stdout, o.stderr);
    if dialect == migdiff_sqlite::DIALECT {
        db.exec(&o.stdout);
    } else {
        for statement in o.stdout.split(";\n").filter(|s| !s.trim().is_empty()) {
            db.exec(statement);
        }
    }
    let o = check("live.toml");
    assert_eq!(
        o.code, 0,
        "{name}: live not loaded clean:\n{}{}",
        o.stdout, o.stderr
    );
    let o = md(&[
        "--schema",
        "declared.toml",
        "autogenerate",
        "-m",
        "corpus",
        "--rev-id",
        "c0",
    ]);
    assert_eq!(o.code, 0, "{name}: {}{}", o.stdout, o.stderr);
    let script = std::fs::read_to_string(dir.join("migrations/versions/c0_corpus.py")).unwrap();
    let o = alembic(dir, &["upgrade", "head"]);
    assert_eq!(o.code, 0, "{name}: upgrade failed:\n{}\n{script}", o.stderr);
    let o = check("declared.toml");
    assert_eq!(
        o.code, 0,
        "{name}: not the declared schema after upgrade:\n{}{}\n{script}",
        o.stdout, o.stderr
    );
    let o = alembic(dir, &["downgrade", "base"]);
    assert_eq!(
        o.code, 0,
        "{name}: downgrade failed:\n{}\n{script}",
        o.stderr
    );
    let o = check("live.toml");
    assert_eq!(
        o.code, 0,
        "{name}: not the live schema after downgrade:\n{}{}\n{script}",
        o.stdout, o.stderr
    );
}

#[test]
fn corpus_revisions_run_under_alembic() {
    for case in golden_corpus_cases() {
        round_trip(&case);
    }
}

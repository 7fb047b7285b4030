//! SQLAlchemy models as the declared schema, in each style: Core tables,
//! declarative with `Mapped[]` and mixins and a naming convention, classic
//! `declarative_base()` with several schemas. migdiff writes the revision,
//! real Alembic runs it, and then real `alembic check` with the same models
//! agrees that nothing is left to do.

// A test that meets an unexpected error should stop right there.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use migdiff_model::Dialect;

fn models_roundtrip(dialect: Dialect, file: &str, attr: &str, alembic_can_agree: bool) {
    let db = TestDb::new(dialect);
    let project = alembic_project(db.url());
    let dir = project.path();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/models")
        .join(file);
    std::fs::copy(&src, dir.join(file)).unwrap();
    let module = file.trim_end_matches(".py");
    let schema = format!("sqlalchemy:{module}:{attr}");
    let venv = python().parent().unwrap().parent().unwrap().to_path_buf();
    let md = |args: &[&str]| {
        let mut c = migdiff(dir);
        c.env("VIRTUAL_ENV", &venv)
            .args(["--schema", &schema])
            .args(args);
        run(c)
    };
    let o = md(&["autogenerate", "-m", "models"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let o = alembic(dir, &["upgrade", "head"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = md(&["check"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);

    // Real Alembic, given the same models, finds nothing left to do.
    if alembic_can_agree {
        let mut c = std::process::Command::new(python());
        c.args(["-m", "alembic", "check"])
            .current_dir(dir)
            .env("MODELS_FILE", dir.join(file));
        let o = run(c);
        assert_eq!(
            o.code, 0,
            "alembic check disagrees:\n{}{}",
            o.stdout, o.stderr
        );
    }

    let o = alembic(dir, &["downgrade", "base"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let left = db.schema();
    assert!(
        left.tables.is_empty() && left.enums.is_empty(),
        "downgrade left {:?} {:?}",
        left.tables.keys(),
        left.enums.keys()
    );
}

#[test]
fn core_tables() {
    models_roundtrip(Dialect::Postgresql, "core_tables.py", "metadata", true);
    // SQLite has no identity columns: Alembic reports `sa.Identity` as a
    // change on every run there, so only migdiff's check can be clean.
    models_roundtrip(Dialect::Sqlite, "core_tables.py", "metadata", false);
}

#[test]
fn declarative_mapped_mixins_conventions() {
    models_roundtrip(Dialect::Postgresql, "declarative_mapped.py", "Base", true);
    models_roundtrip(Dialect::Sqlite, "declarative_mapped.py", "Base", true);
}

#[test]
fn classic_base_with_schemas() {
    models_roundtrip(Dialect::Postgresql, "classic_schemas.py", "Base", true);
}

#[test]
fn a_module_that_fails_to_import_is_exit_2_with_the_traceback() {
    let db = SqliteDb::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.py"),
        "import sqlalchemy as sa\nraise RuntimeError('models are broken here')\n",
    )
    .unwrap();
    let venv = python().parent().unwrap().parent().unwrap().to_path_buf();
    let mut c = migdiff(dir.path());
    c.env("VIRTUAL_ENV", &venv).args([
        "--url",
        &db.url,
        "--schema",
        "sqlalchemy:broken:metadata",
        "check",
    ]);
    let o = run(c);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("RuntimeError: models are broken here"),
        "{}",
        o.stderr
    );
}

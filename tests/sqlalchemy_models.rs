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

/// migdiff in `dir` with the test environment's Python, the models
/// `schema` (`sqlalchemy:module:attr`) and `args`.
fn with_models(dir: &std::path::Path, schema: &str, args: &[&str]) -> std::process::Command {
    let venv = python().parent().unwrap().parent().unwrap().to_path_buf();
    let mut c = migdiff(dir);
    c.env("VIRTUAL_ENV", venv)
        .args(["--schema", schema])
        .args(args);
    c
}

/// Returns the revision migdiff wrote.
fn models_roundtrip(dialect: Dialect, file: &str, attr: &str, alembic_can_agree: bool) -> String {
    let db = TestDb::new(dialect);
    let project = alembic_project(db.url());
    let dir = project.path();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/models")
        .join(file);
    std::fs::copy(&src, dir.join(file)).unwrap();
    let module = file.trim_end_matches(".py");
    let schema = format!("sqlalchemy:{module}:{attr}");
    let md = |args: &[&str]| run(with_models(dir, &schema, args));
    let o = md(&["autogenerate", "-m", "models"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let revision = std::fs::read_dir(dir.join("migrations/versions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "py"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .unwrap();
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
    revision
}

#[test]
fn core_tables() {
    let revision = models_roundtrip(
        migdiff_postgres::DIALECT,
        "core_tables.py",
        "metadata",
        true,
    );
    // Types resolved for the target dialect, spelled as Alembic spells them.
    for spelled in [
        "sa.Column('meta', postgresql.JSONB(astext_type=sa.Text()), nullable=True)",
        "sa.Column('title', sa.String(length=200), nullable=False)",
    ] {
        assert!(revision.contains(spelled), "{spelled} in\n{revision}");
    }
    // SQLite has no identity columns: Alembic reports `sa.Identity` as a
    // change on every run there, so only migdiff's check can be clean.
    models_roundtrip(migdiff_sqlite::DIALECT, "core_tables.py", "metadata", false);
}

#[test]
fn declarative_mapped_mixins_conventions() {
    for dialect in [migdiff_postgres::DIALECT, migdiff_sqlite::DIALECT] {
        let revision = models_roundtrip(dialect, "declarative_mapped.py", "Base", true);
        // Names the naming convention made are final, as Alembic renders
        // them, including a CHECK given on a column and `index=True`.
        for name in [
            "name=op.f('pk_author')",
            "name=op.f('uq_author_name')",
            "name=op.f('fk_book_author_id_author')",
            "name=op.f('ck_order_item_positive')",
            "f('ix_book_title')",
        ] {
            assert!(revision.contains(name), "{name} in\n{revision}");
        }
        // The models' types, even where the DDL flattens them (SQLite
        // has no time zone in DATETIME).
        assert!(
            revision.contains("sa.Column('created_at', sa.DateTime(timezone=True)"),
            "{revision}"
        );
        assert!(
            revision.contains("sa.Numeric(precision=10, scale=2)"),
            "{revision}"
        );
        // The enum as the models spell it. On PostgreSQL its type is
        // created and dropped explicitly, so downgrade removes it (Alembic's
        // inline sa.Enum leaves it behind and fails where it exists).
        let spellings: &[&str] = if dialect == migdiff_postgres::DIALECT {
            &[
                "sa.Enum('open', 'shipped', name='order_status').create(op.get_bind())",
                "sa.Column('status', sa.Enum('open', 'shipped', name='order_status', create_type=False)",
                "sa.Enum(name='order_status').drop(op.get_bind())",
            ]
        } else {
            &["sa.Column('status', sa.Enum('open', 'shipped', name='order_status')"]
        };
        for spelled in spellings {
            assert!(revision.contains(spelled), "{spelled} in\n{revision}");
        }
        assert!(!revision.contains("postgresql.ENUM"), "{revision}");
    }
}

#[test]
fn many_tables_compiled_in_two_processes_with_shared_enums_and_a_cycle() {
    let revision = models_roundtrip(
        migdiff_postgres::DIALECT,
        "many_tables.py",
        "metadata",
        true,
    );
    assert_eq!(revision.matches("op.create_table(").count(), 240);
    // Created once, though both halves of the tables emit them.
    for once in [
        "name='level').create(op.get_bind())",
        "name='shared_mood').create(op.get_bind())",
        "op.execute('CREATE SEQUENCE invoice_numbers ",
    ] {
        assert_eq!(revision.matches(once).count(), 1, "{once} in\n{revision}");
    }
    assert!(revision.contains("'fk_t0_last'"), "{revision}");
}

#[test]
fn model_types_that_ddl_flattens_are_rendered_as_the_models_say() {
    let db = SqliteDb::new();
    let project = alembic_project(&db.url);
    let pdir = project.path();
    std::fs::write(
        pdir.join("flat.py"),
        r#"import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

class Money(TypeDecorator):
    impl = sa.Numeric(12, 2)
    cache_ok = True

metadata = sa.MetaData()
sa.Table("t", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True)),
    sa.Column("label", sa.Unicode(50)),
    sa.Column("body", sa.UnicodeText),
    sa.Column("key", sa.Uuid),
    sa.Column("amount", Money),
    sa.Column("coll", sa.String(20, collation="NOCASE")),
)
"#,
    )
    .unwrap();
    let md = |args: &[&str]| run(with_models(pdir, "sqlalchemy:flat:metadata", args));
    let o = md(&["diff", "--format", "alembic"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    for expected in [
        "sa.Column('at', sa.DateTime(timezone=True), nullable=True)",
        "sa.Column('label', sa.Unicode(length=50), nullable=True)",
        "sa.Column('body', sa.UnicodeText(), nullable=True)",
        "sa.Column('key', sa.Uuid(), nullable=True)",
        // A TypeDecorator: its module, and its arguments as repr() gives them.
        "sa.Column('amount', flat.Money(precision=12, scale=2), nullable=True)",
        "sa.Column('coll', sa.String(length=20, collation='NOCASE'), nullable=True)",
    ] {
        assert!(o.stdout.contains(expected), "{expected} in\n{}", o.stdout);
    }

    // The script migdiff writes imports the models' module for its type,
    // runs, and leaves nothing to do.
    let o = md(&["autogenerate", "-m", "flat"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let o = alembic(pdir, &["upgrade", "head"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = md(&["check"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let o = alembic(pdir, &["downgrade", "base"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
}

#[test]
fn classic_base_with_schemas() {
    let revision = models_roundtrip(
        migdiff_postgres::DIALECT,
        "classic_schemas.py",
        "Base",
        true,
    );
    // Alembic prefixes an array's item type too.
    let spelled = "sa.Column('tags', sa.ARRAY(sa.String(length=20)), nullable=True)";
    assert!(revision.contains(spelled), "{spelled} in\n{revision}");
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
    let o = run(with_models(
        dir.path(),
        "sqlalchemy:broken:metadata",
        &["--url", &db.url, "check"],
    ));
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("RuntimeError: models are broken here"),
        "{}",
        o.stderr
    );
}

#[test]
fn with_bytecode_turned_off_the_models_are_cached_outside_the_project() {
    let db = SqliteDb::new();
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tiny.py"),
        "import sqlalchemy as sa\nmetadata = sa.MetaData()\nsa.Table('t', metadata, sa.Column('id', sa.Integer, primary_key=True))\n",
    )
    .unwrap();
    for _ in 0..2 {
        let mut c = with_models(
            dir.path(),
            "sqlalchemy:tiny:metadata",
            &["--url", &db.url, "diff"],
        );
        c.env("PYTHONDONTWRITEBYTECODE", "1")
            .env_remove("PYTHONPYCACHEPREFIX")
            .env("XDG_CACHE_HOME", cache.path());
        let o = run(c);
        assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
        assert!(o.stdout.contains("add table main.t"), "{}", o.stdout);
    }
    assert!(!dir.path().join("__pycache__").exists());
    let cached: Vec<_> = walk(&cache.path().join("migdiff/pycache"))
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("tiny."))
        })
        .collect();
    assert_eq!(cached.len(), 1, "{cached:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Where Alembic's inline `sa.Enum` fails: a second table on a type that
/// exists, a new type used only by `add_column`, and upgrading again after
/// a downgrade (Alembic's downgrade leaves the type behind).
#[test]
fn model_enums_on_existing_types_and_new_columns_round_trip() {
    let db = PgDb::new();
    let project = alembic_project(&db.url);
    let pdir = project.path();
    let write_models = |second_step: bool| {
        let mut text = String::from(
            r#"import sqlalchemy as sa
metadata = sa.MetaData()
mood = sa.Enum("sad", "ok", name="mood")
sa.Table("a", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("m", mood))
"#,
        );
        if second_step {
            text.push_str(
                r#"sa.Table("b", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("m", mood))
sa.Table("c", metadata, sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("lvl", sa.Enum("low", "high", name="level")))
"#,
            );
        } else {
            text.push_str(
                "sa.Table(\"c\", metadata, sa.Column(\"id\", sa.Integer, primary_key=True))\n",
            );
        }
        std::fs::write(pdir.join("enums.py"), text).unwrap();
    };
    let md = |args: &[&str]| run(with_models(pdir, "sqlalchemy:enums:metadata", args));
    let ok = |o: &Output| assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);

    write_models(false);
    ok(&md(&["autogenerate", "-m", "first"]));
    ok(&alembic(pdir, &["upgrade", "head"]));
    write_models(true);
    let o = md(&["diff", "--format", "alembic"]);
    ok(&o);
    for expected in [
        "sa.Enum('low', 'high', name='level').create(op.get_bind())",
        "sa.Column('lvl', sa.Enum('low', 'high', name='level', create_type=False), nullable=True)",
        "sa.Column('m', sa.Enum('sad', 'ok', name='mood', create_type=False), nullable=True)",
    ] {
        assert!(o.stdout.contains(expected), "{expected} in\n{}", o.stdout);
    }
    ok(&md(&["autogenerate", "-m", "second"]));
    ok(&alembic(pdir, &["upgrade", "head"]));
    ok(&md(&["check"]));
    ok(&alembic(pdir, &["downgrade", "-1"]));
    assert!(!db.schema().enums.keys().any(|n| n.name == "level"));
    ok(&alembic(pdir, &["upgrade", "head"]));
    ok(&md(&["check"]));
    ok(&alembic(pdir, &["downgrade", "base"]));
    let left = db.schema();
    assert!(left.tables.is_empty() && left.enums.is_empty(), "{left:?}");
}

/// `snapshot --declared` writes the models in the snapshot format with their
/// spelling (model types, convention-made names); a revision rendered from
/// that snapshot is the one rendered from the models.
#[test]
fn models_snapshot_renders_the_same_revision_as_the_models() {
    for dialect in [migdiff_postgres::DIALECT, migdiff_sqlite::DIALECT] {
        let db = TestDb::new(dialect);
        let dir = tempfile::tempdir().unwrap();
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/models/declarative_mapped.py");
        std::fs::copy(&src, dir.path().join("declarative_mapped.py")).unwrap();
        let md = |schema: &str, args: &[&str]| {
            let o = run(with_models(
                dir.path(),
                schema,
                &[&["--url", db.url()], args].concat(),
            ));
            assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
            o.stdout
        };
        let models = "sqlalchemy:declarative_mapped:Base";
        let snapshot = md(models, &["snapshot", "--declared"]);
        for expected in [
            "model_type = \"sa.DateTime(timezone=True)\"",
            "name = \"fk_book_author_id_author\"\nconvention = true",
        ] {
            assert!(snapshot.contains(expected), "{expected} in\n{snapshot}");
        }
        assert_eq!(
            snapshot.contains("sa_enum = true"),
            dialect == migdiff_postgres::DIALECT,
            "{snapshot}"
        );
        // No database is needed to name the dialect.
        let dialect_name = dialect.to_string();
        let o = run(with_models(
            dir.path(),
            models,
            &["--dialect", &dialect_name, "snapshot", "--declared"],
        ));
        assert_eq!((o.code, &o.stdout), (0, &snapshot), "{}", o.stderr);
        std::fs::write(dir.path().join("models.toml"), &snapshot).unwrap();
        assert_eq!(md("models.toml", &["snapshot", "--declared"]), snapshot);
        let from_models = md(models, &["diff", "--format", "alembic"]);
        let from_snapshot = md("models.toml", &["diff", "--format", "alembic"]);
        assert_eq!(from_snapshot, from_models);
        assert!(from_models.contains("op.f('pk_author')"), "{from_models}");
    }
}

#[test]
fn hostile_names_in_models_round_trip() {
    // Not compared with `alembic check`: its server-default comparison
    // sends `'it's'` to PostgreSQL unescaped and fails with a syntax error.
    for dialect in [migdiff_postgres::DIALECT, migdiff_sqlite::DIALECT] {
        models_roundtrip(dialect, "hostile_names.py", "metadata", false);
    }
}

/// The declared-schema cache: a warm run starts no Python and says so;
/// a change in a file the models module imports indirectly is seen; a
/// corrupt entry is rebuilt; `--no-cache` and `cache = false` bypass it.
#[test]
fn the_models_cache_sees_indirect_changes() {
    let db = SqliteDb::new();
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    let cache = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.join("shop")).unwrap();
    std::fs::write(
        dir.join("shop/__init__.py"),
        "from shop.tables import metadata\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("shop/tables.py"),
        "import sqlalchemy as sa\nfrom shop.columns import extra\nmetadata = sa.MetaData()\nsa.Table('items', metadata, sa.Column('id', sa.Integer, primary_key=True), *extra())\n",
    )
    .unwrap();
    let columns = |names: &[&str]| {
        let cols: Vec<String> = names
            .iter()
            .map(|n| format!("sa.Column('{n}', sa.Text)"))
            .collect();
        format!(
            "import sqlalchemy as sa\ndef extra():\n    return [{}]\n",
            cols.join(", ")
        )
    };
    std::fs::write(dir.join("shop/columns.py"), columns(&["a"])).unwrap();
    let md = |args: &[&str]| {
        let mut c = with_models(dir, "sqlalchemy:shop:metadata", args);
        c.env("XDG_CACHE_HOME", cache.path())
            .env("PYTHONDONTWRITEBYTECODE", "1");
        run(c)
    };
    let diff = |extra: &[&str]| {
        let mut args = vec!["--url", db.url.as_str(), "-v", "diff"];
        args.extend_from_slice(extra);
        md(&args)
    };
    let o = diff(&[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("models cache: miss"), "{}", o.stderr);
    let o = diff(&[]);
    assert!(o.stderr.contains("models cache: hit"), "{}", o.stderr);
    assert!(o.stdout.contains("add table main.items"), "{}", o.stdout);

    // A column added in a module imported two levels down.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(dir.join("shop/columns.py"), columns(&["a", "b_added"])).unwrap();
    let o = diff(&["--format", "sql"]);
    assert!(o.stderr.contains("columns.py changed"), "{}", o.stderr);
    assert!(o.stdout.contains("b_added"), "{}", o.stdout);
    let o = diff(&["--format", "sql"]);
    assert!(
        o.stderr.contains("models cache: hit") && o.stdout.contains("b_added"),
        "{}{}",
        o.stdout,
        o.stderr
    );

    // A corrupt entry is ignored and rebuilt.
    for entry in std::fs::read_dir(cache.path().join("migdiff/models")).unwrap() {
        std::fs::write(entry.unwrap().path(), "{not json").unwrap();
    }
    let o = diff(&["--format", "sql"]);
    assert!(
        o.stderr.contains("unreadable") && o.stdout.contains("b_added"),
        "{}{}",
        o.stdout,
        o.stderr
    );

    // Bypassed on request.
    let mut c = with_models(
        dir,
        "sqlalchemy:shop:metadata",
        &["--url", &db.url, "-v", "--no-cache", "diff"],
    );
    c.env("XDG_CACHE_HOME", cache.path());
    let o = run(c);
    assert!(!o.stderr.contains("models cache"), "{}", o.stderr);
    std::fs::write(dir.join("migdiff.toml"), "cache = false\n").unwrap();
    let o = diff(&[]);
    assert!(!o.stderr.contains("models cache"), "{}", o.stderr);
}

//! Real Alembic projects as they are, end to end against real Alembic: a
//! Flask-Migrate application, the async template, an env.py that reads its
//! own variable (with a canary database that must stay empty), post-write
//! hooks, and the pyproject layout. The fixture sources live in
//! tests/projects/; each test works on a copy.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn venv_bin() -> PathBuf {
    python().parent().expect("venv bin").to_path_buf()
}

fn venv_dir() -> PathBuf {
    venv_bin().parent().expect("venv").to_path_buf()
}

fn path_with_venv() -> String {
    format!(
        "{}:{}",
        venv_bin().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// A copy of tests/projects/NAME in a temporary folder.
fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/projects")
            .join(name),
        dir.path(),
    );
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A command from the test venv (flask, alembic, ruff, black), run in `dir`.
fn tool(dir: &Path, program: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(venv_bin().join(program));
    c.args(args)
        .current_dir(dir)
        .env("PATH", path_with_venv())
        .env_remove("DATABASE_URL")
        .env_remove("ALEMBIC_CONFIG");
    for (k, v) in env {
        c.env(k, v);
    }
    run(c)
}

/// migdiff in `dir`, finding the project's Python through $VIRTUAL_ENV.
fn md(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = migdiff(dir);
    c.args(args)
        .env("PATH", path_with_venv())
        .env("VIRTUAL_ENV", venv_dir());
    for (k, v) in env {
        c.env(k, v);
    }
    run(c)
}

fn ok(o: &Output, what: &str) {
    assert_eq!(o.code, 0, "{what}:\n{}\n{}", o.stdout, o.stderr);
}

/// Alembic's listings without its INFO log lines.
fn listing(o: &Output) -> String {
    o.stdout
        .lines()
        .filter(|l| !l.starts_with("INFO"))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn sqlite_tables(path: &Path) -> Vec<String> {
    if !path.exists() || std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) == 0 {
        return Vec::new();
    }
    let o = run({
        let mut c = Command::new(python());
        c.args([
            "-c",
            "import sqlite3, sys; print('\\n'.join(r[0] for r in sqlite3.connect(sys.argv[1]).execute(\"select name from sqlite_master where type = 'table'\")))",
        ])
        .arg(path);
        c
    });
    o.stdout.lines().map(str::to_string).collect()
}

fn pg_tables(db: &PgDb) -> i64 {
    let o = run({
        let mut c = Command::new("psql");
        c.args([
            &db.url,
            "-Atc",
            "select count(*) from pg_tables where schemaname = 'public'",
        ]);
        c
    });
    o.stdout.trim().parse().expect("a count")
}

const MODELS: &str = "sqlalchemy:shop.models:metadata";

#[test]
fn flask_migrate_application_end_to_end() {
    let p = fixture("flask_shop");
    let dir = p.path();
    let live = dir.join("live.db");
    let shop_db = format!("sqlite:///{}", live.display());
    let env = [
        ("FLASK_APP", "shop:create_app()"),
        ("SHOP_DB", shop_db.as_str()),
    ];
    ok(&tool(dir, "flask", &["db", "init"], &env), "flask db init");
    // Flask-Migrate's ini has no script_location.
    let ini = std::fs::read_to_string(dir.join("migrations/alembic.ini")).expect("ini");
    assert!(!ini.contains("script_location"), "{ini}");
    std::fs::write(&live, "").expect("live db");

    let url = format!("sqlite:///{}", live.display());
    let base = ["--url", url.as_str(), "--schema", MODELS];
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter()
            .chain(extra.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let args = with(&["autogenerate", "-m", "initial", "--rev-id", "a1"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&md(dir, &args, &env), "autogenerate from the project root");
    assert!(dir.join("migrations/versions/a1_initial.py").exists());
    ok(
        &tool(dir, "flask", &["db", "upgrade"], &env),
        "flask db upgrade",
    );

    // The graph as `flask db` prints it, found from the root, with -c and
    // from inside migrations/.
    for cmd in ["heads", "history"] {
        let theirs = listing(&tool(dir, "flask", &["db", cmd], &env));
        assert_eq!(md(dir, &[cmd], &env).stdout, theirs, "{cmd} from the root");
        assert_eq!(
            md(dir, &["-c", "migrations/alembic.ini", cmd], &env).stdout,
            theirs,
            "{cmd} with -c"
        );
        assert_eq!(
            md(&dir.join("migrations"), &[cmd], &env).stdout,
            theirs,
            "{cmd} from migrations/"
        );
    }
    let theirs = listing(&tool(dir, "flask", &["db", "current"], &env));
    assert_eq!(md(dir, &["--url", &url, "current"], &env).stdout, theirs);

    let run_with = |extra: &[&str], env: &[(&str, &str)]| {
        let args = with(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        md(dir, &args, env)
    };
    ok(&run_with(&["check"], &env), "check");
    let before = std::fs::read(&live).expect("live");
    // The throwaway runs load the app as `flask` does and point
    // Flask-SQLAlchemy at the throwaway database: the live one is untouched.
    let o = run_with(&["verify"], &env);
    ok(&o, "verify");
    assert!(o.stdout.contains("Verified: a1"), "{}", o.stdout);
    ok(&run_with(&["check", "--replay"], &env), "check --replay");
    assert_eq!(
        std::fs::read(&live).expect("live"),
        before,
        "live db changed"
    );

    // The app named in migdiff.toml instead of FLASK_APP.
    std::fs::write(
        dir.join("migdiff.toml"),
        "flask_app = \"shop:create_app()\"\n",
    )
    .expect("toml");
    let env_no_app = [("SHOP_DB", shop_db.as_str())];
    ok(
        &run_with(&["check", "--replay"], &env_no_app),
        "flask_app in migdiff.toml",
    );
    std::fs::remove_file(dir.join("migdiff.toml")).expect("rm");

    // Drift: the models gain a column the history does not have.
    let users = dir.join("shop/models/users.py");
    let text = std::fs::read_to_string(&users).expect("users");
    std::fs::write(
        &users,
        format!("{text}    nickname = db.Column(db.String(30))\n"),
    )
    .expect("users");
    let o = run_with(&["check", "--replay"], &env);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("nickname"), "{}", o.stdout);
    let o = run_with(&["verify"], &env);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("DIFFERS"), "{}", o.stdout);
    assert_eq!(
        std::fs::read(&live).expect("live"),
        before,
        "live db changed"
    );

    // An app that cannot be found is an error, not drift.
    let o = run_with(
        &["check", "--replay"],
        &[("FLASK_APP", "nosuchapp"), ("SHOP_DB", &shop_db)],
    );
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("flask_app"), "{}", o.stderr);
}

/// Alembic's async template, on asyncpg and on aiosqlite.
#[test]
fn async_env_py_end_to_end() {
    let pg = PgDb::new();
    let sqlite = SqliteDb::new();
    let pg_async = pg.url.replacen("postgresql://", "postgresql+asyncpg://", 1);
    let sqlite_async = format!("sqlite+aiosqlite:///{}", sqlite.path.display());
    for (async_url, live_url) in [(&pg_async, &pg.url), (&sqlite_async, &sqlite.url)] {
        let p = fixture("async_app");
        let dir = p.path();
        ok(
            &tool(dir, "alembic", &["init", "-t", "async", "migrations"], &[]),
            "init",
        );
        let ini = std::fs::read_to_string(dir.join("alembic.ini")).expect("ini");
        let ini: String = ini
            .lines()
            .map(|l| {
                if l.starts_with("sqlalchemy.url") {
                    format!("sqlalchemy.url = {async_url}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        std::fs::write(dir.join("alembic.ini"), ini).expect("ini");
        let schema = "sqlalchemy:app.models:Base";
        let o = md(
            dir,
            &[
                "--url",
                live_url,
                "--schema",
                schema,
                "autogenerate",
                "-m",
                "accounts",
                "--rev-id",
                "r1",
            ],
            &[],
        );
        ok(&o, "autogenerate");
        ok(
            &tool(dir, "alembic", &["upgrade", "head"], &[]),
            "alembic upgrade",
        );
        for cmd in ["heads", "history", "current"] {
            let theirs = listing(&tool(dir, "alembic", &[cmd], &[]));
            let mine = md(dir, &["--url", live_url, cmd], &[]);
            assert_eq!(mine.stdout, theirs, "{cmd} on {async_url}");
        }
        ok(
            &md(dir, &["--url", live_url, "--schema", schema, "check"], &[]),
            "check",
        );
        if async_url.starts_with("postgresql") {
            // lint renders the history through the async template's
            // offline branch: nothing applied is left, and creating tables
            // (with their indexes, in the same transaction) blocks nobody.
            let o = md(dir, &["--url", live_url, "lint"], &[]);
            ok(&o, "lint");
            assert!(o.stdout.contains("No revisions to lint"), "{}", o.stdout);
            let o = md(dir, &["--url", live_url, "lint", "--all"], &[]);
            ok(&o, "lint --all");
            assert!(
                o.stdout.contains("No findings in 1 revision"),
                "{}",
                o.stdout
            );
        }
        let o = md(dir, &["--url", live_url, "--schema", schema, "verify"], &[]);
        ok(&o, "verify");
        ok(
            &md(
                dir,
                &["--url", live_url, "--schema", schema, "check", "--replay"],
                &[],
            ),
            "check --replay",
        );
        // Drift from the history: exit 1 from both.
        std::fs::write(
            dir.join("drift.sql"),
            "CREATE TABLE accounts (id INTEGER NOT NULL, name VARCHAR(80) NOT NULL, PRIMARY KEY (id));\n",
        )
        .expect("drift");
        for cmd in [&["check", "--replay"][..], &["verify"][..]] {
            let mut args = vec!["--url", live_url.as_str(), "--schema", "drift.sql"];
            args.extend_from_slice(cmd);
            let o = md(dir, &args, &[]);
            assert_eq!(
                o.code, 1,
                "{cmd:?} on {async_url}: {}{}",
                o.stdout, o.stderr
            );
        }
    }
}

fn own_settings_project() -> tempfile::TempDir {
    let p = fixture("own_settings");
    // Git keeps no empty folder: the versions folder is made here.
    std::fs::create_dir_all(p.path().join("migrations/versions")).expect("versions");
    let mako =
        venv_dir().join("lib/python3.11/site-packages/alembic/templates/generic/script.py.mako");
    std::fs::copy(mako, p.path().join("migrations/script.py.mako")).expect("mako");
    p
}

/// An env.py that reads its own variable, pointed at a canary: every
/// throwaway run is stopped before the canary is touched (exit 2, the URL
/// masked, the variable and the setting named); with `sandbox_url_env` the
/// runs work. The canary never gets a table.
#[test]
fn an_env_py_with_its_own_variable_never_touches_the_canary() {
    let p = own_settings_project();
    let dir = p.path();
    let live = SqliteDb::new();
    let canary = dir.join("canary.db");
    let canary_url = format!("sqlite:///{}", canary.display());
    let env = [("APP_DATABASE_URL", canary_url.as_str())];
    let base = ["--url", live.url.as_str(), "--schema", "schema.sql"];
    let cmd = |extra: &[&str], env: &[(&str, &str)]| {
        let args: Vec<&str> = base.iter().chain(extra.iter()).copied().collect();
        md(dir, &args, env)
    };
    ok(
        &cmd(&["autogenerate", "-m", "notes", "--rev-id", "n1"], &env),
        "autogenerate",
    );
    for extra in [
        &["verify"][..],
        &["check", "--replay"][..],
        &["autogenerate", "-m", "more", "--rev-id", "n2", "--verify"][..],
    ] {
        if extra[0] == "autogenerate" {
            // Something to write: a second table.
            std::fs::write(
                dir.join("schema.sql"),
                "CREATE TABLE notes (id INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (id));\nCREATE TABLE tags (id INTEGER NOT NULL, PRIMARY KEY (id));\n",
            )
            .expect("schema");
            live.exec("CREATE TABLE notes (id INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (id)); CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); INSERT INTO alembic_version VALUES ('n1');");
        }
        let o = cmd(extra, &env);
        assert_eq!(o.code, 2, "{extra:?}: {}{}", o.stdout, o.stderr);
        assert!(
            o.stderr.contains(&canary_url)
                && o.stderr.contains("$APP_DATABASE_URL")
                && o.stderr
                    .contains("sandbox_url_env = [\"APP_DATABASE_URL\"]")
                && o.stderr.contains("migrations/env.py:12"),
            "{extra:?}: {}",
            o.stderr
        );
        assert!(
            sqlite_tables(&canary).is_empty(),
            "{extra:?} touched the canary"
        );
    }
    // autogenerate --verify removed the revision it could not prove.
    assert!(!dir.join("migrations/versions/n2_more.py").exists());

    // A PostgreSQL canary with a password: masked, and never reached.
    let pg_canary = PgDb::new();
    let with_password =
        pg_canary
            .url
            .replacen("postgresql://postgres@", "postgresql://postgres:s3cret@", 1);
    let o = cmd(
        &["check", "--replay"],
        &[("APP_DATABASE_URL", with_password.as_str())],
    );
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(
        !o.stderr.contains("s3cret") && o.stderr.contains("postgres:***@"),
        "{}",
        o.stderr
    );
    assert_eq!(pg_tables(&pg_canary), 0);

    // The graph as Alembic prints it (Alembic pointed at the live database).
    let live_env = [("APP_DATABASE_URL", live.url.as_str())];
    for cmd in ["heads", "history", "current"] {
        let theirs = listing(&tool(dir, "alembic", &[cmd], &live_env));
        let mine = md(dir, &["--url", &live.url, cmd], &env);
        assert_eq!(mine.stdout, theirs, "{cmd}: {}", mine.stderr);
    }
    assert!(sqlite_tables(&canary).is_empty(), "the canary got a table");

    // Named in migdiff.toml, the variable points at the throwaway database.
    std::fs::write(
        dir.join("migdiff.toml"),
        "sandbox_url_env = [\"APP_DATABASE_URL\"]\n",
    )
    .expect("toml");
    let o = cmd(
        &["autogenerate", "-m", "more", "--rev-id", "n2", "--verify"],
        &env,
    );
    ok(&o, "autogenerate --verify with sandbox_url_env");
    ok(&cmd(&["verify"], &env), "verify");
    ok(&cmd(&["check", "--replay"], &env), "check --replay");
    assert!(sqlite_tables(&canary).is_empty(), "the canary got a table");
}

const EMPTY_REVISION: &str = "revision = 'e1'\ndown_revision = None\nbranch_labels = None\ndepends_on = None\n\ndef upgrade():\n    pass\n\ndef downgrade():\n    pass\n";

/// A direct driver connect (no SQLAlchemy engine) is guarded too.
#[test]
fn a_direct_driver_connect_is_stopped() {
    let p = own_settings_project();
    let dir = p.path();
    let canary = dir.join("raw-canary.db");
    std::fs::write(
        dir.join("migrations/env.py"),
        format!(
            "import sqlite3\nsqlite3.connect({:?}).execute('create table touched (id integer)')\nfrom alembic import context\ncontext.configure(url='sqlite://')\nwith context.begin_transaction():\n    context.run_migrations()\n",
            canary.display().to_string()
        ),
    )
    .expect("env.py");
    std::fs::write(dir.join("migrations/versions/e1_empty.py"), EMPTY_REVISION).expect("revision");
    let live = SqliteDb::new();
    let o = md(
        dir,
        &[
            "--url",
            &live.url,
            "--schema",
            "schema.sql",
            "check",
            "--replay",
        ],
        &[],
    );
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("sqlite3.connect"), "{}", o.stderr);
    assert!(sqlite_tables(&canary).is_empty());
}

/// A migration that fails while the history is replayed is an error
/// (exit 2), not drift; the env.py that sends migrations elsewhere (the
/// throwaway database not at the head afterwards) is exit 2 too.
#[test]
fn throwaway_failures_are_errors_not_drift() {
    let p = own_settings_project();
    let dir = p.path();
    std::fs::write(
        dir.join("migdiff.toml"),
        "sandbox_url_env = [\"APP_DATABASE_URL\"]\n",
    )
    .expect("toml");
    let live = SqliteDb::new();
    let env = [("APP_DATABASE_URL", "sqlite:///unused.db")];
    std::fs::write(
        dir.join("migrations/versions/b1_broken.py"),
        "from alembic import op\nrevision = 'b1'\ndown_revision = None\nbranch_labels = None\ndepends_on = None\n\ndef upgrade():\n    op.execute('select * from no_such_table')\n\ndef downgrade():\n    pass\n",
    )
    .expect("revision");
    let o = md(
        dir,
        &[
            "--url",
            &live.url,
            "--schema",
            "schema.sql",
            "check",
            "--replay",
        ],
        &env,
    );
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("no_such_table"), "{}", o.stderr);

    // An env.py that runs no migration where it was pointed: exit 2.
    std::fs::remove_file(dir.join("migrations/versions/b1_broken.py")).expect("rm");
    std::fs::write(dir.join("migrations/versions/e1_empty.py"), EMPTY_REVISION).expect("revision");
    // An in-memory database can reach no other database: allowed, but the
    // migrations did not run in the throwaway database.
    std::fs::write(
        dir.join("migrations/env.py"),
        "from alembic import context\nfrom sqlalchemy import create_engine\nwith create_engine('sqlite://').connect() as c:\n    context.configure(connection=c)\n    with context.begin_transaction():\n        context.run_migrations()\n",
    )
    .expect("env.py");
    let o = md(
        dir,
        &[
            "--url",
            &live.url,
            "--schema",
            "schema.sql",
            "check",
            "--replay",
        ],
        &env,
    );
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("at no revision instead of e1"),
        "{}",
        o.stderr
    );
}

fn hooks_project(hooks_ini: &str) -> (tempfile::TempDir, SqliteDb) {
    let db = SqliteDb::new();
    let p = alembic_project(&db.url);
    let ini = std::fs::read_to_string(p.path().join("alembic.ini")).expect("ini");
    std::fs::write(p.path().join("alembic.ini"), format!("{ini}\n{hooks_ini}")).expect("ini");
    std::fs::write(
        p.path().join("schema.sql"),
        "CREATE TABLE products (id INTEGER NOT NULL, name VARCHAR(100) NOT NULL, price NUMERIC(10, 2) DEFAULT 0 NOT NULL, note TEXT, PRIMARY KEY (id));\nCREATE INDEX ix_products_name ON products (name);\nCREATE TABLE line_items (id INTEGER NOT NULL, product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE, quantity INTEGER NOT NULL CHECK (quantity > 0), PRIMARY KEY (id));\n",
    )
    .expect("schema");
    (p, db)
}

fn the_revision(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir.join("migrations/versions"))
        .expect("versions")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "py"))
        .expect("a revision")
}

/// Every hook type Alembic has, in order, `options` with the file's
/// token, `cwd`: the revision passes the project's own lint and format
/// checks.
#[test]
fn post_write_hooks_run_in_order_and_the_revision_passes_lint() {
    let ruff = venv_bin().join("ruff");
    let (p, _db) = hooks_project(&format!(
        "[post_write_hooks]\nhooks = ruff_fix, ruff_format black\nruff_fix.type = module\nruff_fix.module = ruff\nruff_fix.options = check --fix --quiet REVISION_SCRIPT_FILENAME\nruff_format.type = exec\nruff_format.executable = {}\nruff_format.options = format --quiet REVISION_SCRIPT_FILENAME\nruff_format.cwd = %(here)s\nblack.type = console_scripts\nblack.entrypoint = black\nblack.options = -q\n",
        ruff.display()
    ));
    let dir = p.path();
    let o = md(
        dir,
        &["--schema", "schema.sql", "autogenerate", "-m", "products"],
        &[],
    );
    ok(&o, "autogenerate with hooks");
    let order: Vec<&str> = o
        .stdout
        .lines()
        .filter(|l| l.starts_with("Running post write hook"))
        .collect();
    assert_eq!(
        order,
        [
            "Running post write hook 'ruff_fix' ...",
            "Running post write hook 'ruff_format' ...",
            "Running post write hook 'black' ..."
        ],
        "{}",
        o.stdout
    );
    let file = the_revision(dir);
    let f = file.to_string_lossy().to_string();
    ok(&tool(dir, "ruff", &["check", &f], &[]), "ruff check");
    ok(
        &tool(dir, "ruff", &["format", "--check", &f], &[]),
        "ruff format --check",
    );
    ok(&tool(dir, "black", &["--check", &f], &[]), "black --check");
    for cmd in ["heads", "history"] {
        let theirs = listing(&tool(dir, "alembic", &[cmd], &[]));
        assert_eq!(md(dir, &[cmd], &[]).stdout, theirs, "{cmd}");
    }
    // And Alembic still runs it; the database then matches.
    ok(&alembic(dir, &["upgrade", "head"]), "upgrade");
    ok(&md(dir, &["--schema", "schema.sql", "check"], &[]), "check");
    ok(
        &md(dir, &["--schema", "schema.sql", "verify"], &[]),
        "verify",
    );
    ok(
        &md(dir, &["--schema", "schema.sql", "check", "--replay"], &[]),
        "check --replay",
    );
    ok(&alembic(dir, &["downgrade", "base"]), "downgrade");
}

/// `[[tool.alembic.post_write_hooks]]` in pyproject.toml; a hook whose
/// command fails keeps the file (a warning); a hook configured wrongly is
/// exit 2 and the file stays.
#[test]
fn post_write_hooks_from_pyproject_and_failing_hooks() {
    let (p, _db) = hooks_project("");
    let dir = p.path();
    std::fs::write(
        dir.join("pyproject.toml"),
        "[tool.alembic]\n\n[[tool.alembic.post_write_hooks]]\nname = \"black\"\ntype = \"console_scripts\"\nentrypoint = \"black\"\noptions = \"-q\"\n\n[[tool.alembic.post_write_hooks]]\nname = \"fails\"\ntype = \"exec\"\nexecutable = \"false\"\n",
    )
    .expect("pyproject");
    let o = md(
        dir,
        &["--schema", "schema.sql", "autogenerate", "-m", "products"],
        &[],
    );
    ok(&o, "autogenerate");
    assert!(
        o.stdout.contains("Running post write hook 'black' ..."),
        "{}",
        o.stdout
    );
    assert!(
        o.stderr.contains("'fails' exited with status 1"),
        "{}",
        o.stderr
    );
    let file = the_revision(dir);
    ok(
        &tool(dir, "black", &["--check", &file.to_string_lossy()], &[]),
        "black --check",
    );
    std::fs::remove_file(&file).expect("rm");

    std::fs::write(
        dir.join("pyproject.toml"),
        "[tool.alembic]\n\n[[tool.alembic.post_write_hooks]]\nname = \"lint\"\ntype = \"console_scripts\"\nentrypoint = \"no-such-linter\"\n",
    )
    .expect("pyproject");
    let o = md(
        dir,
        &["--schema", "schema.sql", "autogenerate", "-m", "products"],
        &[],
    );
    assert_eq!(o.code, 2, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr
            .contains("Could not find entrypoint console_scripts.no-such-linter"),
        "{}",
        o.stderr
    );
    assert!(the_revision(dir).exists(), "the file stays");
}

/// `alembic init -t pyproject`: the settings in pyproject.toml, logging in
/// the ini; throwaway runs work (no KeyError: 'formatters').
#[test]
fn pyproject_layout_runs_in_the_sandbox() {
    let db = SqliteDb::new();
    let p = tempfile::tempdir().expect("tempdir");
    let dir = p.path();
    ok(
        &tool(
            dir,
            "alembic",
            &["init", "-t", "pyproject", "migrations"],
            &[],
        ),
        "init",
    );
    std::fs::write(
        dir.join("schema.sql"),
        "CREATE TABLE t (id INTEGER NOT NULL, PRIMARY KEY (id));",
    )
    .expect("schema");
    let base = ["--url", db.url.as_str(), "--schema", "schema.sql"];
    let cmd = |extra: &[&str]| {
        let args: Vec<&str> = base.iter().chain(extra.iter()).copied().collect();
        md(dir, &args, &[])
    };
    ok(
        &cmd(&["autogenerate", "-m", "t", "--rev-id", "t1"]),
        "autogenerate",
    );
    ok(&cmd(&["verify"]), "verify");
    ok(&cmd(&["check", "--replay"]), "check --replay");
    // Also when -c names pyproject.toml (no ini at all is read).
    std::fs::remove_file(dir.join("alembic.ini")).expect("rm ini");
    let args: Vec<&str> = ["-c", "pyproject.toml"]
        .iter()
        .chain(base.iter())
        .chain(["check", "--replay"].iter())
        .copied()
        .collect();
    ok(
        &md(dir, &args, &[]),
        "check --replay with -c pyproject.toml",
    );
}

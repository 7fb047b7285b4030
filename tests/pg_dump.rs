//! `pg_dump --schema-only` output, read as a declared schema, equals the
//! database it was dumped from (settle included), and so does the DDL
//! SQLAlchemy writes for the conformance cases.

// A test that meets an unexpected error should stop right there.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::process::Command;

/// A pg_dump that can dump a server of `major` (its own major or newer):
/// `$MIGDIFF_PG_BINDIR`'s, else the packages'.
fn pg_dump_for(major: u32) -> Option<std::path::PathBuf> {
    let mut dirs: Vec<std::path::PathBuf> = std::env::var_os("MIGDIFF_PG_BINDIR")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        dirs.extend(entries.flatten().map(|e| e.path().join("bin")));
    }
    dirs.into_iter().map(|d| d.join("pg_dump")).find(|p| {
        Command::new(p)
            .arg("--version")
            .output()
            .ok()
            .and_then(|o| {
                let text = String::from_utf8_lossy(&o.stdout).to_string();
                text.split(") ")
                    .nth(1)?
                    .split('.')
                    .next()?
                    .parse::<u32>()
                    .ok()
            })
            .is_some_and(|m| m >= major)
    })
}

#[test]
fn pg_dump_schema_only_reads_back_clean() {
    let db = PgDb::new();
    db.exec(common::corpus::PG_RICH);
    let major: u32 = {
        let o = Command::new("psql")
            .args([db.url.as_str(), "-Atc", "show server_version_num"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout)
            .trim()
            .parse::<u32>()
            .unwrap()
            / 10000
    };
    // pg_dump refuses a newer server; the embedded builds of newer majors
    // carry no pg_dump. The server is there: only the client is missing.
    let Some(pg_dump) = pg_dump_for(major) else {
        eprintln!("no pg_dump for PostgreSQL {major} on this machine: not run");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dump = Command::new(&pg_dump)
        .args(["--schema-only", "--no-owner", &db.url])
        .output()
        .expect("pg_dump is installed with PostgreSQL");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    std::fs::write(dir.path().join("dump.sql"), &dump.stdout).unwrap();
    // With owners and privileges too: those statements are skipped.
    let full = Command::new(&pg_dump)
        .args(["--schema-only", &db.url])
        .output()
        .unwrap();
    std::fs::write(dir.path().join("full.sql"), &full.stdout).unwrap();
    for file in ["dump.sql", "full.sql"] {
        let mut c = migdiff(dir.path());
        c.args(["--url", &db.url, "--schema", file, "check"]);
        let o = run(c);
        assert_eq!(o.code, 0, "{file}:\n{}{}", o.stdout, o.stderr);
    }
}

/// The DDL SQLAlchemy's compiler writes for every conformance case, loaded
/// into an empty database of each dialect: the parsed and introspected
/// models agree.
#[test]
fn sqlalchemy_ddl_of_the_conformance_cases_round_trips() {
    let cases =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/cases");
    assert!(
        cases.is_dir(),
        "the conformance cases are beside the checkout: {}",
        cases.display()
    );
    let script = r#"
import importlib.util, sys, sqlalchemy as sa
spec = importlib.util.spec_from_file_location("m", sys.argv[1]); mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
out = []
def ex(sql, *a, **k): out.append(str(sql.compile(dialect=eng.dialect)).strip() + ";")
eng = sa.create_mock_engine(sys.argv[2], ex)
mod.metadata.create_all(eng, checkfirst=False)
print("\n\n".join(out))
"#;
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&cases)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    entries.sort();
    for case in entries {
        let meta = std::fs::read_to_string(case.join("meta.json")).unwrap_or_default();
        let pg_only = meta.contains("\"dialects\"") && !meta.contains("\"sqlite\"");
        for model in ["before.py", "after.py"] {
            let path = case.join(model);
            if !path.exists() {
                continue;
            }
            for (dialect, url) in [
                (migdiff_postgres::DIALECT, "postgresql://"),
                (migdiff_sqlite::DIALECT, "sqlite://"),
            ] {
                if pg_only && dialect == migdiff_sqlite::DIALECT {
                    continue;
                }
                let o = Command::new(python())
                    .args(["-c", script, path.to_str().unwrap(), url])
                    .output()
                    .unwrap();
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                let ddl = String::from_utf8_lossy(&o.stdout).to_string();
                if ddl.trim() == ";" || ddl.trim().is_empty() {
                    continue;
                }
                let db = TestDb::new(dialect);
                db.exec(&ddl);
                let d = differences(&db.schema(), &parse(&ddl, dialect));
                assert!(
                    d.is_empty(),
                    "{} {model} on {dialect}: {d:#?}\n{ddl}",
                    case.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "only {checked} schemas checked");
}

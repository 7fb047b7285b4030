//! The revision graph read statically, printed as Alembic prints it:
//! compared line by line with real Alembic on a graph with a branch point,
//! a branch label, a merge and both header styles; broken graphs of every
//! kind give exit 2 naming the file.

// A test that meets an unexpected error should stop right there.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

fn write_rev(dir: &std::path::Path, file: &str, text: &str) {
    std::fs::write(dir.join("migrations/versions").join(file), text).unwrap();
}

fn annotated(rev: &str, down: &str, labels: &str, msg: &str) -> String {
    format!(
        "\"\"\"{msg}\n\nRevision ID: {rev}\nRevises: \nCreate Date: 2026-01-01 00:00:00\n\n\"\"\"\nfrom typing import Sequence, Union\n\nrevision: str = '{rev}'\ndown_revision: Union[str, Sequence[str], None] = {down}\nbranch_labels: Union[str, Sequence[str], None] = {labels}\ndepends_on: Union[str, Sequence[str], None] = None\n\n\ndef upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n"
    )
}

fn project_with_graph() -> tempfile::TempDir {
    let db = SqliteDb::new();
    let project = alembic_project(&db.url);
    let dir = project.path();
    write_rev(
        dir,
        "75863d6e17ae_init.py",
        &annotated("75863d6e17ae", "None", "None", "init"),
    );
    // An old-style file: no annotations, double quotes, docstring after a comment-free header.
    write_rev(
        dir,
        "2b58539453d6_batch.py",
        "\"\"\"batch changes\n\nRevision ID: 2b58539453d6\n\"\"\"\nrevision = \"2b58539453d6\"\ndown_revision = \"75863d6e17ae\"\nbranch_labels = None\ndepends_on = None\n\ndef upgrade():\n    pass\n\ndef downgrade():\n    pass\n",
    );
    write_rev(
        dir,
        "aaaa00000001_feat_a.py",
        &annotated("aaaa00000001", "'2b58539453d6'", "None", "feat a"),
    );
    write_rev(
        dir,
        "bbbb00000002_feat_b.py",
        &annotated("bbbb00000002", "'2b58539453d6'", "('featb',)", "feat b"),
    );
    write_rev(
        dir,
        "dddd00000004_merge.py",
        &annotated(
            "dddd00000004",
            "('aaaa00000001', 'bbbb00000002')",
            "None",
            "merge a and b",
        ),
    );
    write_rev(
        dir,
        "cccc00000003_side.py",
        &annotated("cccc00000003", "'aaaa00000001'", "None", "side branch"),
    );
    // Keep the database from mattering: heads/history do not connect.
    std::mem::forget(db);
    project
}

#[test]
fn heads_and_history_match_alembic() {
    let project = project_with_graph();
    let dir = project.path();
    for cmd in ["heads", "history"] {
        let ours = run({
            let mut c = migdiff(dir);
            c.arg(cmd);
            c
        });
        assert_eq!(ours.code, 0, "{}", ours.stderr);
        let theirs = alembic(dir, &[cmd]);
        assert_eq!(theirs.code, 0, "{}", theirs.stderr);
        let sort = |s: &str| {
            let mut v: Vec<String> = s.lines().map(str::to_string).collect();
            v.sort();
            v
        };
        // Alembic walks sibling branches in an order of its own; the lines
        // themselves must be the same.
        assert_eq!(
            sort(&ours.stdout),
            sort(&theirs.stdout),
            "{cmd}:\nours:\n{}\nalembic:\n{}",
            ours.stdout,
            theirs.stdout
        );
    }
}

#[test]
fn autogenerate_builds_on_the_head_given() {
    let project = project_with_graph();
    let dir = project.path();
    // Two heads (cccc00000003 and dddd00000004): --head picks one.
    std::fs::write(dir.join("s.sql"), "CREATE TABLE t (id INTEGER)").unwrap();
    let mut c = migdiff(dir);
    c.args([
        "--schema",
        "s.sql",
        "autogenerate",
        "-m",
        "x",
        "--head",
        "dddd",
        "--rev-id",
        "eeee00000005",
    ]);
    let o = run(c);
    // The empty database is at no revision: refused as not at head.
    assert_eq!(o.code, 3, "{}{}", o.stdout, o.stderr);
}

#[test]
fn broken_graphs_name_the_file() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "dup_a.py",
            "revision = 'dup'\ndown_revision = None\n",
            "defined twice",
        ),
        (
            "x1_x.py",
            "revision = 'x1'\ndown_revision = 'missing'\n",
            "missing",
        ),
        (
            "c1_c.py",
            "revision = 'c1'\ndown_revision = 'c2'\n",
            "cycle",
        ),
        ("bad.py", "revision = compute()\n", "cannot read `revision`"),
        ("noid.py", "down_revision = None\n", "no `revision"),
    ];
    for (file, text, expect) in cases {
        let db = SqliteDb::new();
        let project = alembic_project(&db.url);
        let dir = project.path();
        write_rev(dir, file, text);
        if *file == "dup_a.py" {
            write_rev(dir, "dup_b.py", text);
        }
        if *file == "c1_c.py" {
            write_rev(dir, "c2_c.py", "revision = 'c2'\ndown_revision = 'c1'\n");
        }
        let o = run({
            let mut c = migdiff(dir);
            c.arg("heads");
            c
        });
        assert_eq!(o.code, 2, "{file}: {}", o.stderr);
        assert!(o.stderr.contains(expect), "{file}: {}", o.stderr);
    }
}

#[test]
fn file_template_and_slug_follow_the_config() {
    let db = SqliteDb::new();
    let project = alembic_project(&db.url);
    let dir = project.path();
    let ini = std::fs::read_to_string(dir.join("alembic.ini")).unwrap();
    std::fs::write(
        dir.join("alembic.ini"),
        ini.replace(
            "[alembic]\n",
            "[alembic]\nfile_template = %%(year)d_%%(month).2d_%%(rev)s_%%(slug)s\ntruncate_slug_length = 10\ntimezone = UTC\n",
        ),
    )
    .unwrap();
    std::fs::write(dir.join("s.sql"), "CREATE TABLE t (id INTEGER)").unwrap();
    let o = run({
        let mut c = migdiff(dir);
        c.args([
            "--schema",
            "s.sql",
            "autogenerate",
            "-m",
            "Add a very long message",
            "--rev-id",
            "abc123",
        ]);
        c
    });
    assert_eq!(o.code, 0, "{}", o.stderr);
    let files: Vec<String> = std::fs::read_dir(dir.join("migrations/versions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(files.len(), 1);
    let name = &files[0];
    // Alembic cuts at the last underscore within 10 characters: "add_a_".
    assert!(name.ends_with("_abc123_add_a_.py"), "{name}");
    let text = std::fs::read_to_string(dir.join("migrations/versions").join(name)).unwrap();
    assert!(
        text.contains("+00:00\n"),
        "timezone = UTC gives an offset in Create Date:\n{text}"
    );
    // Real Alembic reads the file we wrote.
    let h = alembic(dir, &["heads"]);
    assert_eq!(h.stdout.trim(), "abc123 (head)", "{}", h.stderr);
}

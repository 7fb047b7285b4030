//! The README's quickstart, step by step, twice: it works on a fresh copy
//! of `examples/quickstart`, its reset step brings the folder back to what
//! git holds, and Alembic's logging says what it ran.

// A test that meets an unexpected error should stop right there.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

fn files(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "__pycache__") {
                    stack.push(p);
                }
            } else {
                out.insert(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

#[test]
fn the_quickstart_runs_twice_and_leaves_the_folder_as_it_was() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart");
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("quickstart");
    copy_dir(&example, &dir);
    let pristine = files(&dir);
    assert!(
        !pristine.contains("app.db"),
        "the example ships no database"
    );
    for round in 1..=2 {
        // `alembic upgrade head` makes the empty database.
        let o = alembic(&dir, &["upgrade", "head"]);
        assert_eq!(o.code, 0, "round {round}: {}", o.stderr);
        let o = run({
            let mut c = migdiff(&dir);
            c.args(["autogenerate", "-m", "initial schema"]);
            c
        });
        assert_eq!(o.code, 0, "round {round}: {}{}", o.stdout, o.stderr);
        let o = alembic(&dir, &["upgrade", "head"]);
        assert_eq!(o.code, 0, "round {round}: {}", o.stderr);
        assert!(
            o.stderr.contains("Running upgrade  ->"),
            "Alembic's log says what it ran: {}",
            o.stderr
        );
        let o = run({
            let mut c = migdiff(&dir);
            c.arg("check");
            c
        });
        assert_eq!(o.code, 0, "round {round}: {}{}", o.stdout, o.stderr);
        let o = alembic(&dir, &["downgrade", "base"]);
        assert_eq!(o.code, 0, "round {round}: {}", o.stderr);
        // The reset step: `rm -f app.db migrations/versions/*.py`.
        std::fs::remove_file(dir.join("app.db")).unwrap();
        for e in std::fs::read_dir(dir.join("migrations/versions"))
            .unwrap()
            .flatten()
        {
            if e.path().extension().is_some_and(|x| x == "py") {
                std::fs::remove_file(e.path()).unwrap();
            }
        }
        assert_eq!(files(&dir), pristine, "round {round}");
    }
}

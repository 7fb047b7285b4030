//! Golden files (insta, in the top-level `snapshots/` folder) for a corpus
//! of schema pairs: `tests/golden_corpus/<case>/live.toml` (the database)
//! and `declared.toml` (the declared schema), TOML snapshots as `migdiff
//! snapshot` writes them. For each case, what each output of migdiff says
//! of the change, each in its own golden file: the whole revision file
//! (`__revision`: imports, upgrade, downgrade, through Alembic's stock
//! template), `diff --format sql` (`__sql`), and the text and JSON reports
//! (`__text`, `__json`). No database. Review a changed snapshot like code.

// A test that meets an unexpected error should stop right there.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use migdiff_alembic::{RenderOptions, revision};
use migdiff_model::{Dialect, DialectRender, DiffOptions, diff, snapshot};

fn renderer(dialect: Dialect) -> &'static dyn DialectRender {
    dialect.renderer()
}

/// Every output for one case: (kind, text), each its own golden file.
fn outputs(case: &Path) -> Vec<(&'static str, String)> {
    let read = |side: &str| {
        let text = std::fs::read_to_string(case.join(format!("{side}.toml"))).unwrap();
        snapshot::from_toml_with_hints(&text, migdiff_cli::dialects()).unwrap()
    };
    let (dialect, live, _) = read("live");
    let (declared_dialect, declared, hints) = read("declared");
    assert_eq!(dialect, declared_dialect, "{}", case.display());
    // SQLite's changes to existing tables go into batch blocks, as
    // render_as_batch projects have them.
    let batch = dialect == migdiff_sqlite::DIALECT;
    let ops = diff(
        &live,
        &declared,
        &DiffOptions {
            group_by_table: batch,
            ..DiffOptions::default()
        },
    );
    let render = renderer(dialect);
    let opts = RenderOptions {
        dialect: render,
        batch,
        hints: Some(&hints),
        online: false,
    };
    let bodies = migdiff_alembic::revision_bodies(&ops, &live, &opts);
    let date = revision::CreateDate {
        text: "2026-12-01 12:00:00.000000".into(),
        epoch: 1_796_126_400,
        year: 2026,
        month: 12,
        day: 1,
        hour: 12,
        minute: 0,
        second: 0,
    };
    let script = revision::render_script(
        None,
        &revision::NewRevision {
            rev_id: "1a2b3c4d5e6f".into(),
            message: "golden",
            down_revisions: vec!["0f0e0d0c0b0a".into()],
            imports: bodies.imports,
            upgrades: bodies.upgrades,
            downgrades: bodies.downgrades,
        },
        &date,
    )
    .unwrap();
    let sql: Vec<String> = render
        .render_sql(&ops, &live)
        .into_iter()
        .map(|s| format!("{s};"))
        .collect();
    let text = migdiff_cli::report::text_plain(&ops, &[], "the declared schema", dialect);
    let json = migdiff_cli::report::json(&ops, &[], dialect);
    vec![
        ("revision", script),
        ("sql", sql.join("\n") + "\n"),
        ("text", text),
        ("json", json + "\n"),
    ]
}

#[test]
fn corpus_outputs_are_as_reviewed() {
    let cases = common::golden_corpus_cases();
    assert!(cases.len() >= 9, "{cases:?}");
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        for (kind, text) in outputs(&case) {
            let what = match kind {
                "revision" => "the revision file",
                "sql" => "diff --format sql",
                "text" => "check (text report)",
                _ => "check --format json",
            };
            insta::with_settings!({
                snapshot_path => "../snapshots",
                prepend_module_to_snapshot => false,
                description => format!("tests/golden_corpus/{name}: {what}"),
            }, {
                insta::assert_snapshot!(format!("corpus_{name}__{kind}"), text);
            });
        }
    }
}

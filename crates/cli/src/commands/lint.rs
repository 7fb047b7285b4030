//! `migdiff lint`: any revision, written by migdiff or by hand, checked for
//! steps that lock a busy table, rewrite it, lose data or break running
//! code. The project's own Alembic renders each revision offline
//! (`alembic upgrade A:B --sql`, no database), the runner records which op
//! line wrote each statement, and the statements go through the linter in
//! order.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use migdiff_alembic::graph::{Graph, Revision};
use migdiff_lint::Linter;
use migdiff_model::Rule;
use serde_json::json;

use crate::CliError;
use crate::args::CheckFormat;
use crate::context::Ctx;
use crate::exit::ExitStatus;

/// The host of the URL offline runs get (`Driver::offline_url`): an error
/// naming it means env.py tried to connect.
const OFFLINE_HOST: &str = "offline.migdiff.invalid";

/// One rule broken by one statement of a revision.
struct Finding {
    revision: String,
    file: PathBuf,
    line: usize,
    rule: Rule,
    statement: String,
}

pub(crate) async fn run(
    ctx: &Ctx,
    revs: Vec<String>,
    all: bool,
    format: CheckFormat,
) -> Result<ExitStatus, CliError> {
    let graph = ctx.require_graph()?;
    let dialect = ctx.dialect()?;
    if dialect.name() != "postgresql" {
        return Err(CliError::usage(format!(
            "migdiff lint checks PostgreSQL migrations (its rules are PostgreSQL's locks); this project's database is {}",
            dialect.title()
        )));
    }
    let ignored = config_ignores(&ctx.project.file.lint_ignore)?;
    let chosen = choose(ctx, &graph, &revs, all).await?;
    if chosen.is_empty() {
        if !ctx.global.quiet {
            println!("No revisions to lint: the database is at the head.");
        }
        return Ok(ExitStatus::Success);
    }
    let runner = ctx.offline_runner(dialect)?;
    let commands: Vec<Vec<String>> = chosen
        .iter()
        .map(|r| {
            let range = match r.down.first() {
                Some(parent) => format!("{parent}:{}", r.id),
                None => r.id.clone(),
            };
            vec!["--raiseerr".into(), "upgrade".into(), range, "--sql".into()]
        })
        .collect();
    let files: Vec<PathBuf> = chosen.iter().map(|r| canonical(&r.path)).collect();
    let captured = runner.capture(&commands, &files).await.map_err(|e| {
        let hint = if e.message.contains(OFFLINE_HOST) {
            "\nThe project's env.py connected to a database although Alembic ran it offline: give it the `if context.is_offline_mode():` branch Alembic's templates have (context.configure(url=..., literal_binds=True), no engine)."
        } else {
            ""
        };
        CliError::usage(format!(
            "could not render the revisions offline (alembic upgrade --sql): {}{hint}",
            e.message
        ))
    })?;
    let mut findings = Vec::new();
    // Revisions Alembic could not render offline (a data migration that
    // queries through op.get_bind(), say): named, never passed over.
    let unrendered: Vec<(&Revision, &str)> = captured
        .iter()
        .filter_map(|c| Some((*chosen.get(c.run)?, c.error.as_deref()?)))
        .collect();
    for (run, revision) in chosen.iter().enumerate() {
        let file = &files[run];
        let source = std::fs::read_to_string(file).unwrap_or_default();
        let lines: Vec<&str> = source.lines().collect();
        let mut linter = Linter::new();
        for c in captured.iter().filter(|c| c.run == run) {
            let rules = linter.statement(&c.sql);
            let (Some(at), Some(line)) = (&c.file, c.line) else {
                continue;
            };
            if at != file {
                continue;
            }
            for rule in rules {
                let in_config = ignored.iter().any(|(rev, rules)| {
                    rules.contains(&rule)
                        && rev.as_deref().is_none_or(|r| revision.id.starts_with(r))
                });
                if in_config || ignored_here(&lines, line, rule) {
                    continue;
                }
                findings.push(Finding {
                    revision: revision.id.clone(),
                    file: revision.path.clone(),
                    line,
                    rule,
                    statement: c.sql.trim().trim_end_matches(';').to_string(),
                });
            }
        }
    }
    match format {
        CheckFormat::Text => print_text(ctx, &findings, chosen.len()),
        CheckFormat::Json => {
            let doc = json!({
                "version": 1,
                "revisions": chosen.iter().map(|r| &r.id).collect::<Vec<_>>(),
                "unrendered": unrendered.iter().map(|(r, e)| json!({
                    "revision": r.id,
                    "file": r.path,
                    "error": e,
                })).collect::<Vec<_>>(),
                "findings": findings.iter().map(|f| json!({
                    "revision": f.revision,
                    "file": f.file,
                    "line": f.line,
                    "rule": f.rule.name(),
                    "statement": f.statement,
                    "why": f.rule.why(),
                    "fix": f.rule.fix(),
                })).collect::<Vec<_>>(),
            });
            println!("{doc:#}");
        }
    }
    if !unrendered.is_empty() {
        let lines: Vec<String> = unrendered
            .iter()
            .map(|(r, e)| {
                format!(
                    "  {} ({}): {e}",
                    r.id,
                    r.path
                        .strip_prefix(&ctx.project.dir)
                        .unwrap_or(&r.path)
                        .display()
                )
            })
            .collect();
        return Err(CliError::usage(format!(
            "{} revision{} could not be rendered offline (alembic upgrade --sql) and {} not linted:\n{}\nA revision that reads the database (op.get_bind().execute(...)) cannot run offline: check `context.is_offline_mode()` around that part, or lint the other revisions by name.",
            unrendered.len(),
            if unrendered.len() == 1 { "" } else { "s" },
            if unrendered.len() == 1 { "was" } else { "were" },
            lines.join("\n")
        )));
    }
    Ok(if findings.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Findings
    })
}

fn print_text(ctx: &Ctx, findings: &[Finding], revisions: usize) {
    let mut out = anstream::stdout();
    let bold = anstyle::Style::new().bold();
    for f in findings {
        let path = f
            .file
            .strip_prefix(&ctx.project.dir)
            .unwrap_or(&f.file)
            .display();
        let _ = writeln!(
            out,
            "{bold}{path}:{}{bold:#}: {} ({})",
            f.line,
            f.rule.name(),
            f.revision
        );
        let _ = writeln!(out, "    {}", one_line(&f.statement));
        let _ = writeln!(out, "    why: {}", f.rule.why());
        let _ = writeln!(out, "    instead: {}", f.rule.fix());
    }
    if !ctx.global.quiet {
        let s = |n: usize| if n == 1 { "" } else { "s" };
        if findings.is_empty() {
            let _ = writeln!(out, "No findings in {revisions} revision{}.", s(revisions));
        } else {
            let _ = writeln!(
                out,
                "{} finding{} in {revisions} revision{}; silence one with `# migdiff: ignore[rule]` on its op's line, or lint_ignore in migdiff.toml.",
                findings.len(),
                s(findings.len()),
                s(revisions)
            );
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The revisions to lint, parents before children.
async fn choose<'g>(
    ctx: &Ctx,
    graph: &'g Graph,
    revs: &[String],
    all: bool,
) -> Result<Vec<&'g Revision>, CliError> {
    let mut wanted: BTreeSet<&str> = BTreeSet::new();
    if all {
        wanted.extend(graph.revisions.keys().map(String::as_str));
    } else if !revs.is_empty() {
        for r in revs {
            wanted.insert(resolve(graph, r)?.id.as_str());
        }
    } else {
        let mut applied: BTreeSet<&str> = BTreeSet::new();
        let mut stack: Vec<String> = ctx.applied_versions().await?;
        while let Some(id) = stack.pop() {
            let Some(r) = graph.revisions.get(&id) else {
                return Err(CliError::usage(format!(
                    "the database is at revision {id}, which no revision file defines; check version_locations or the database"
                )));
            };
            if applied.insert(r.id.as_str()) {
                stack.extend(r.down.iter().cloned());
            }
        }
        wanted.extend(
            graph
                .revisions
                .keys()
                .map(String::as_str)
                .filter(|id| !applied.contains(id)),
        );
    }
    Ok(in_order(graph, &wanted))
}

/// A revision id, unique prefix, or revision file.
fn resolve<'g>(graph: &'g Graph, text: &str) -> Result<&'g Revision, CliError> {
    let path = Path::new(text);
    if text.ends_with(".py") || path.is_file() {
        let want = canonical(path);
        return graph
            .revisions
            .values()
            .find(|r| canonical(&r.path) == want)
            .ok_or_else(|| {
                CliError::usage(format!(
                    "{text} is not a revision file of this project's migrations (script_location / version_locations)"
                ))
            });
    }
    Ok(graph.resolve(text)?)
}

/// `wanted`, parents before children (ties by id).
fn in_order<'g>(graph: &'g Graph, wanted: &BTreeSet<&str>) -> Vec<&'g Revision> {
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut out = Vec::new();
    let mut pending: Vec<&Revision> = graph
        .revisions
        .values()
        .filter(|r| wanted.contains(r.id.as_str()))
        .collect();
    while !pending.is_empty() {
        let (ready, rest): (Vec<&Revision>, Vec<&Revision>) = pending.into_iter().partition(|r| {
            r.down
                .iter()
                .all(|d| done.contains(d.as_str()) || !wanted.contains(d.as_str()))
        });
        if ready.is_empty() {
            // A cycle; the graph reader refuses those, so never reached.
            out.extend(rest);
            break;
        }
        for r in ready {
            done.insert(r.id.as_str());
            out.push(r);
        }
        pending = rest;
    }
    out
}

/// `# migdiff: ignore[rule, ...]` (or a bare `# migdiff: ignore`) on the
/// op's line or the line above it.
fn ignored_here(lines: &[&str], line: usize, rule: Rule) -> bool {
    let at = |n: usize| n.checked_sub(1).and_then(|i| lines.get(i)).copied();
    [at(line), line.checked_sub(1).and_then(at)]
        .into_iter()
        .flatten()
        .any(|text| comment_ignores(text, rule))
}

fn comment_ignores(text: &str, rule: Rule) -> bool {
    let Some(at) = text.find("# migdiff: ignore") else {
        return false;
    };
    let rest = &text[at + "# migdiff: ignore".len()..];
    match rest.strip_prefix('[') {
        Some(list) => list
            .split(']')
            .next()
            .unwrap_or("")
            .split(',')
            .any(|r| r.trim() == rule.name()),
        None => true,
    }
}

/// `lint_ignore` entries: `rule` (everywhere) or `revision:rule` (a
/// revision id or its prefix).
fn config_ignores(
    entries: &[String],
) -> Result<BTreeMap<Option<String>, BTreeSet<Rule>>, CliError> {
    let mut out: BTreeMap<Option<String>, BTreeSet<Rule>> = BTreeMap::new();
    for e in entries {
        let (rev, name) = match e.rsplit_once(':') {
            Some((rev, name)) => (Some(rev.trim().to_string()), name.trim()),
            None => (None, e.trim()),
        };
        let rule = Rule::from_name(name).ok_or_else(|| {
            CliError::usage(format!(
                "lint_ignore in migdiff.toml: `{e}` names no rule; the rules are {}",
                Rule::ALL
                    .iter()
                    .map(|r| r.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        out.entry(rev).or_default().insert(rule);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{comment_ignores, config_ignores};
    use migdiff_model::Rule;

    #[test]
    fn ignore_comments() {
        let r = Rule::BanDropColumn;
        assert!(comment_ignores(
            "    op.drop_column('t', 'a')  # migdiff: ignore[ban-drop-column]",
            r
        ));
        assert!(comment_ignores(
            "# migdiff: ignore[renaming-table, ban-drop-column]",
            r
        ));
        assert!(comment_ignores(
            "op.drop_column('t', 'a')  # migdiff: ignore",
            r
        ));
        assert!(!comment_ignores("# migdiff: ignore[ban-drop-table]", r));
        assert!(!comment_ignores("op.drop_column('t', 'a')", r));
    }

    #[test]
    fn config_entries() {
        let m = config_ignores(&["ban-drop-table".into(), "abc123:renaming-column".into()])
            .unwrap_or_default();
        assert!(m[&None].contains(&Rule::BanDropTable));
        assert!(m[&Some("abc123".into())].contains(&Rule::RenamingColumn));
        assert!(config_ignores(&["no-such-rule".into()]).is_err());
    }
}

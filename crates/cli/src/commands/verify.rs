//! `migdiff verify`: a revision proven in a throwaway database.

use migdiff_model::DiffOptions;

use crate::compare::{differences, settle_on_sandbox};
use crate::context::Ctx;
use crate::exit::ExitStatus;
use crate::{CliError, replay};

/// `verify [REV]`: upgrade to the parent, upgrade to REV and compare with
/// the declared schema (REV a head), downgrade and compare with the parent
/// state, upgrade again.
pub(crate) async fn run(ctx: &Ctx, rev: Option<String>) -> Result<ExitStatus, CliError> {
    let graph = ctx.require_graph()?;
    let target = match &rev {
        Some(r) => graph.resolve(r)?.clone(),
        None => graph.resolve("head")?.clone(),
    };
    let parent = match target.down.as_slice() {
        [] => "base".to_string(),
        [one] => one.clone(),
        _ => {
            return Err(CliError::usage(format!(
                "{} is a merge revision; verify one of its parents' branches instead",
                target.id
            )));
        }
    };
    let is_head = graph.heads().iter().any(|h| h.id == target.id);
    let (dialect, server, live_db) = ctx.dialect_for_sandbox()?;
    // Alembic's switches apply to the comparison with the declared schema;
    // a downgrade must restore the parent state exactly.
    let compare_options = ctx.diff_options(dialect);
    let declared = if is_head {
        ctx.declared_for(dialect, None)?
    } else {
        None
    };
    let sandbox = ctx
        .sandbox(dialect, server.as_deref(), live_db.as_deref())
        .await?;
    let declared = ctx.declared_on_sandbox(dialect, declared, &sandbox).await?;
    let runner = ctx.runner(&sandbox)?;
    let vt = ctx.version_table();
    let steps = replay::Steps {
        quiet: ctx.global.quiet,
    };
    if !ctx.global.quiet {
        println!(
            "Verifying {} in a {} ({})",
            target.id,
            sandbox.kind(),
            migdiff_driver::mask(sandbox.url())
        );
    }
    let mut failures: Vec<String> = Vec::new();
    let before = steps
        .run(&format!("upgrade to the parent ({parent})"), async {
            if parent != "base" {
                // The history before the revision failing is an error, not
                // a finding about the revision.
                runner
                    .alembic_chain(&["upgrade", &parent], graph.revisions.len())
                    .await
                    .map_err(|e| CliError::usage(e.message))?;
            }
            replay::read(&sandbox, &vt).await
        })
        .await?
        .0;
    let mut before = before;
    ctx.filter(&mut before);
    let (mut after, versions) = steps
        .run(&format!("upgrade to {}", target.id), async {
            runner.alembic(&["upgrade", &target.id]).await?;
            replay::read(&sandbox, &vt).await
        })
        .await?;
    replay::check_injected(&versions, &[target.id.as_str()], replay::sa_url_of(&runner))?;
    ctx.filter(&mut after);
    if let Some(d) = &declared {
        let (ops, unverified) = steps
            .run_compare("compare with the declared schema", async {
                let (d, unverified) = settle_on_sandbox(&after, d, &sandbox).await?;
                Ok((differences(&after, &d, &compare_options), unverified))
            })
            .await?;
        failures.extend(
            ops.iter()
                .map(|o| format!("after upgrade: {}", o.describe())),
        );
        failures.extend(unverified.iter().map(|u| format!("unverified: {u}")));
    }
    let down = if parent == "base" {
        "base".to_string()
    } else {
        parent.clone()
    };
    let mut restored = steps
        .run(&format!("downgrade to {down}"), async {
            runner.alembic(&["downgrade", &down]).await?;
            replay::read(&sandbox, &vt).await
        })
        .await?
        .0;
    ctx.filter(&mut restored);
    let (ops, _) = steps
        .run_compare("compare with the parent state", async {
            Ok((
                differences(&restored, &before, &DiffOptions::default()),
                Vec::<String>::new(),
            ))
        })
        .await?;
    failures.extend(
        ops.iter()
            .map(|o| format!("after downgrade: {}", o.describe())),
    );
    // A downgrade that left things behind often breaks the next upgrade:
    // reported with the rest, not instead of it.
    if let Err(e) = steps
        .run(&format!("upgrade to {} again", target.id), async {
            runner.alembic(&["upgrade", &target.id]).await
        })
        .await
    {
        failures.push(format!("upgrade again: {}", e.message));
    }
    drop(sandbox);
    if failures.is_empty() {
        if !ctx.global.quiet {
            println!(
                "Verified: {} upgrades, downgrades and upgrades again cleanly.",
                target.id
            );
        }
        Ok(ExitStatus::Success)
    } else {
        println!("Verification of {} failed:", target.id);
        for f in &failures {
            println!("  {f}");
        }
        Ok(ExitStatus::Findings)
    }
}

//! `migdiff diff`: the changes, as a report, SQL or Alembic ops; writes nothing.

use std::io::Write;

use migdiff_alembic::{RenderOptions, render_body};

use crate::args::DiffFormat;
use crate::compare::compare;
use crate::context::Ctx;
use crate::exit::ExitStatus;
use crate::{CliError, report};

pub(crate) async fn run(
    ctx: &Ctx,
    format: DiffFormat,
    show_diff: bool,
) -> Result<ExitStatus, CliError> {
    let c = compare(ctx, false).await?;
    ctx.print_timings(&c.timings);
    let mut stdout = anstream::stdout();
    match format {
        DiffFormat::Text => {
            let _ = report::text(
                &mut stdout,
                &c.ops,
                &c.unverified,
                "the declared schema",
                c.dialect,
            );
        }
        DiffFormat::Json => {
            let _ = writeln!(stdout, "{}", report::json(&c.ops, &c.unverified, c.dialect));
        }
        DiffFormat::Sql => {
            for s in c.dialect.renderer().render_sql(&c.ops, &c.live.schema) {
                let _ = writeln!(stdout, "{s};");
            }
        }
        DiffFormat::Alembic => {
            let opts = RenderOptions {
                dialect: c.dialect.renderer(),
                batch: ctx.batch(c.dialect),
                hints: Some(&c.hints),
                online: ctx.project.file.online == Some(true),
            };
            let body = render_body(&c.ops, &c.live.schema, true, &opts);
            let _ = writeln!(stdout, "{}", body.text);
        }
    }
    if show_diff && !c.ops.is_empty() {
        let _ = write!(
            stdout,
            "{}",
            report::snapshot_diff(&c.ops, &c.live.schema, &c.declared, c.dialect)
        );
    }
    // Drift is not an error here: `diff` reports, `check` gates.
    Ok(ExitStatus::Success)
}

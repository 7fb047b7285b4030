//! `migdiff snapshot`: the live (or declared) schema as a TOML snapshot.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use migdiff_model::{drop_empty_schemas, snapshot};

use crate::context::{Ctx, write_file};
use crate::exit::ExitStatus;
use crate::{CliError, declared, live};

pub(crate) async fn run(
    ctx: &Ctx,
    output: Option<PathBuf>,
    declared: bool,
) -> Result<ExitStatus, CliError> {
    let text = if declared {
        let dialect = ctx.dialect()?;
        let source = ctx.schema_source()?;
        // The database is not contacted: read as for a server before
        // PostgreSQL 18.
        let mut loaded =
            declared::load(&source, dialect, None, &ctx.project.dir, &ctx.python_env())?;
        ctx.note_declared(&loaded.schema);
        ctx.filter(&mut loaded.schema);
        snapshot::to_toml_with_hints(&loaded.schema, dialect, &loaded.hints)?
    } else {
        let url = ctx.url()?;
        let mut live = live::load(url.as_ref(), &ctx.include_schemas(), None).await?;
        // A snapshot of the database holds every object it has, whatever
        // the declared source can state.
        let mut filter = ctx.schema_filter();
        filter.exclude_objects = false;
        filter.apply(&mut live.schema);
        drop_empty_schemas(&mut live.schema, &BTreeSet::new());
        snapshot::to_toml(&live.schema, url.dialect())?
    };
    match output {
        Some(path) => {
            let path = ctx.project.dir.join(path);
            write_file(&path, &text)?;
            if !ctx.global.quiet {
                eprintln!("Wrote {}", path.display());
            }
        }
        None => {
            let _ = anstream::stdout().write_all(text.as_bytes());
        }
    }
    Ok(ExitStatus::Success)
}

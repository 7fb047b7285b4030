//! The one place dialects are registered: every dialect the command line
//! knows, and what it does with each that is not yet behind a trait (the
//! throwaway database each one gets).

use migdiff_model::Dialect;
use migdiff_sandbox::{Provider, Sandbox};

use crate::CliError;

/// Every dialect migdiff reads, compares and writes.
pub const DIALECTS: &[Dialect] = &[migdiff_postgres::DIALECT, migdiff_sqlite::DIALECT];

/// The dialect `text` names (its name or an alias).
pub(crate) fn by_name(text: &str) -> Result<Dialect, CliError> {
    Dialect::find(DIALECTS, text).map_err(CliError::usage)
}

/// A throwaway database for `dialect`: a file for SQLite; for PostgreSQL
/// from `provider` (a temporary database on `server`, a private cluster,
/// Docker).
pub(crate) async fn sandbox(
    dialect: Dialect,
    server: Option<&str>,
    live_database: Option<&str>,
    provider: Provider,
) -> Result<Sandbox, CliError> {
    let made = if dialect == migdiff_sqlite::DIALECT {
        migdiff_sandbox::sqlite_file()
    } else if dialect == migdiff_postgres::DIALECT {
        migdiff_sandbox::postgres(server, live_database, provider).await
    } else {
        return Err(CliError::usage(format!(
            "{} has no throwaway databases yet",
            dialect.title()
        )));
    };
    made.map_err(|e| CliError::usage(e.to_string()))
}

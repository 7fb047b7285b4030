//! Reading the live database through its dialect's driver: read-only, the
//! version table's rows when there is a reason to read them.

pub use migdiff_driver::{Live, VersionTable};
use migdiff_driver::{ReadRequest, Target};

use crate::error::CliError;

/// Reads `target`; the version rows from `version` when given (`None`: no
/// Alembic project, or the table is filtered out: never read).
pub async fn load(
    target: &dyn Target,
    include_schemas: &[String],
    version: Option<&VersionTable>,
) -> Result<Live, CliError> {
    let unnamed = VersionTable {
        schema: None,
        name: "alembic_version".to_string(),
    };
    let request = ReadRequest {
        include_schemas,
        version_table: version.unwrap_or(&unnamed),
        read_versions: version.is_some(),
    };
    target
        .read(&request)
        .await
        .map_err(|e| CliError::usage(e.0))
}

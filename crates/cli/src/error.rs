/// An error the binary reports: one paragraph, and the exit code it means.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub code: u8,
}

impl CliError {
    /// Bad input or an environment problem: exit 2.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: 2,
        }
    }

    /// The database is not at the revision graph's heads: exit 3.
    pub fn not_at_head(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: 3,
        }
    }
}

macro_rules! from_error {
    ($($t:ty),*) => {$(
        impl From<$t> for CliError {
            fn from(e: $t) -> Self {
                CliError::usage(e.to_string())
            }
        }
    )*};
}

from_error!(
    migdiff_ddl::DdlError,
    migdiff_alembic::config::ConfigError,
    migdiff_alembic::graph::GraphError,
    migdiff_alembic::revision::RevisionError,
    migdiff_alembic::template::TemplateError,
    migdiff_model::snapshot::SnapshotError,
    migdiff_sqlite::SqliteError
);

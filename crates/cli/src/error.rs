use crate::exit::{ExitStatus, Signal};

/// An error the binary reports: one paragraph, and how the run ended.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub status: ExitStatus,
}

impl CliError {
    /// Bad input or an environment problem: exit 2.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            status: ExitStatus::Error,
        }
    }

    /// The database is not at the revision graph's heads: exit 3.
    pub fn not_at_head(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            status: ExitStatus::NotAtHead,
        }
    }

    /// What was checked is wrong (a verified revision's own step failed):
    /// exit 1, as drift is.
    pub fn finding(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            status: ExitStatus::Findings,
        }
    }

    /// Stopped by a signal after cleaning up.
    pub fn stopped(message: impl Into<String>, signal: Signal) -> Self {
        CliError {
            message: message.into(),
            status: ExitStatus::Stopped(signal),
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
    migdiff_model::snapshot::SnapshotError
);

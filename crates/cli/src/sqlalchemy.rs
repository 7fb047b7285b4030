//! SQLAlchemy models as the declared schema (`sqlalchemy:module:attr`).

use std::path::Path;

use migdiff_model::{Dialect, Schema};

use crate::error::CliError;

pub fn export(source: &str, _dialect: Dialect, _base: &Path) -> Result<Schema, CliError> {
    Err(CliError::usage(format!(
        "`{source}`: SQLAlchemy models as the declared schema are not supported in this version; \
         write the schema with SQLAlchemy's DDL compiler to a .sql file and pass that instead"
    )))
}

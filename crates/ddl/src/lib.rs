//! Reads declared schemas written as SQL DDL (hand-written, SQLAlchemy's
//! DDL compiler, `pg_dump --schema-only`) into the model, normalized the way
//! introspection normalizes, so that the same schema compares equal.
//!
//! A statement that cannot be read is an error with file, line and column;
//! statements that carry no schema (SET, GRANT, OWNER TO, ...) are
//! recognized and skipped, never silently anything else.

mod names;
mod reader;
mod split;
mod temporal;

/// The name PostgreSQL gives an unnamed constraint of `table` over
/// `columns` (`label` is `pkey`, `key`, `fkey`, `check` or `idx`), before
/// any collision suffix.
pub fn pg_default_name(table: &str, columns: Option<&[String]>, label: &str) -> String {
    let part = columns.map(names::column_part);
    names::make_object_name(table, part.as_deref(), label)
}

pub use reader::{
    DdlError, SourceFile, has_generated_without_mode, read_schema, read_schema_for_server,
    read_schema_spelled,
};
pub use split::{RawStatement, split_statements};

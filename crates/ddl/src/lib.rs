//! Reads declared schemas written as SQL DDL (hand-written, SQLAlchemy's
//! DDL compiler, `pg_dump --schema-only`) into the model, normalized the way
//! introspection normalizes, so that the same schema compares equal.
//!
//! A statement that cannot be read is an error with file, line and column;
//! statements that carry no schema (SET, GRANT, OWNER TO, ...) are
//! recognized and skipped, never silently anything else.

mod reader;
mod split;
mod temporal;

pub use reader::{
    DdlError, SourceFile, has_generated_without_mode, read_schema, read_schema_for_server,
    read_schema_spelled,
};
pub use split::{RawStatement, split_statements};

//! The one schema model everything else converts to and from, the typed
//! [`Op`]s a diff is made of, and the diff itself.
//!
//! Invariants: no I/O, no async, no database or parser crates. Every
//! collection that reaches an output is ordered (`BTreeMap` or a sorted
//! `Vec`), so the same input gives byte-identical output whatever the hash
//! seed.

mod apply;
mod dialect;
mod diff;
mod diff_objects;
mod filter;
mod hints;
mod model;
mod objects;
mod ops;
mod order;
mod pyrepr;
mod render;
mod rules;
pub mod snapshot;
mod types;
mod volatile;

#[cfg(test)]
mod tests;

pub use apply::apply;
pub use dialect::{Dialect, DialectSpec};
pub use diff::{DiffOptions, diff, identity_with_defaults};
pub use filter::{SchemaFilter, drop_empty_schemas, glob_match};
pub use hints::{ModelHints, ModelType};
pub use model::*;
pub use objects::{
    Dependency, Domain, Extension, Function, FunctionId, ObjectRef, Trigger, TriggerEnabled,
    TriggerId, View, same_text, squeeze_whitespace,
};
pub use ops::{AlterColumn, EnumUsage, Op};
pub use order::order_ops;
pub use pyrepr::{py_repr, py_text_block};
pub use render::{DialectRender, Entity, EntityObject, OnlineDdl, PythonType, TypeStyle};
pub use rules::Rule;
pub use types::{DataType, ParseTypeError, inline_values};
pub use volatile::is_volatile_default;

//! PostgreSQL driver: live introspection through a fixed set of set-based
//! catalog queries, SQL rendering of ops, and Alembic type rendering.

mod introspect;
mod render;

pub use introspect::{IntrospectOptions, Introspection, PgError, connect, introspect};
pub use render::render_sql;

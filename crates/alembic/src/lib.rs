//! Everything Alembic-shaped: the project's configuration (`alembic.ini`,
//! `pyproject.toml`), the revision graph read statically from the versions
//! folders, the `script.py.mako` subset renderer, and the rendering of ops
//! as Alembic's autogenerate writes them.
//!
//! Invariant: every string and identifier written into Python goes through
//! `migdiff_model::py_repr`; no other quoting exists in this crate.

mod assemble;
pub mod config;
pub mod graph;
mod render;
pub mod revision;
pub mod template;

pub use assemble::{RevisionBodies, revision_bodies};
pub use migdiff_model::{ModelHints, ModelType};
pub use render::{Refusal, RenderOptions, online_refusals, render_body};

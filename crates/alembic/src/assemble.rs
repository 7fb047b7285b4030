//! Revision assembly: what goes into a revision file's upgrade and
//! downgrade for a list of ops, and the imports both need. The downgrade
//! is the inverse of each op, last first, rendered from the state the
//! upgrade leaves (so a dropped column is re-created as it was).

use migdiff_model::{Op, Schema, apply};

use crate::render::{RenderOptions, render_body};

/// The bodies of a revision, ready for its template.
pub struct RevisionBodies {
    pub upgrades: String,
    pub downgrades: String,
    /// The import lines of both bodies, sorted, each once.
    pub imports: Vec<String>,
}

/// The upgrade that applies `ops` to `live`, and the downgrade that
/// undoes them.
pub fn revision_bodies(ops: &[Op], live: &Schema, opts: &RenderOptions) -> RevisionBodies {
    let upgrade = render_body(ops, live, true, opts);
    let mut after = live.clone();
    for op in ops {
        apply(&mut after, op);
    }
    let inverse: Vec<Op> = ops.iter().rev().map(Op::inverse).collect();
    let downgrade = render_body(&inverse, &after, false, opts);
    let imports = upgrade
        .imports
        .union(&downgrade.imports)
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    RevisionBodies {
        upgrades: upgrade.text,
        downgrades: downgrade.text,
        imports,
    }
}

//! Reports of a diff: human text (colored on a terminal) and versioned JSON.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use anstyle::{AnsiColor, Style};
use migdiff_model::{Dialect, Op, Schema, snapshot};
use serde_json::json;

/// The JSON report's shape version; bump on any incompatible change.
pub const JSON_VERSION: u32 = 1;

fn marker(op: &Op) -> (&'static str, Style) {
    let kind = op.kind();
    if kind.starts_with("create") || kind.starts_with("add") {
        ("+", Style::new().fg_color(Some(AnsiColor::Green.into())))
    } else if kind.starts_with("drop") {
        ("-", Style::new().fg_color(Some(AnsiColor::Red.into())))
    } else {
        ("~", Style::new().fg_color(Some(AnsiColor::Yellow.into())))
    }
}

/// Foreign keys dropped and added back unchanged because the key they
/// point at is rebuilt: by the index of the key's drop, the indexes of the
/// FK drop and add it forces. They are part of that change, not drift of
/// their own.
fn forced_rebuilds(ops: &[Op]) -> BTreeMap<usize, Vec<usize>> {
    let mut out: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (d, drop) in ops.iter().enumerate() {
        let Op::DropForeignKey { table, key } = drop else {
            continue;
        };
        let add = ops.iter().position(
            |o| matches!(o, Op::AddForeignKey { table: t, key: k } if t == table && k == key),
        );
        let cause = ops.iter().position(|o| match o {
            Op::DropPrimaryKey { table: t, .. } | Op::DropUnique { table: t, .. } => {
                *t == key.ref_table
            }
            _ => false,
        });
        if let (Some(a), Some(c)) = (add, cause) {
            out.entry(c).or_default().extend([d, a]);
        }
    }
    out
}

/// `text` with its control characters escaped (`\n`, `\t`, `\u{1b}`):
/// a name or comment with a newline must not break a change's line, nor
/// an escape sequence in a name restyle the terminal.
fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.into()
}

pub fn text(
    out: &mut dyn Write,
    ops: &[Op],
    unverified: &[String],
    what: &str,
    dialect: Dialect,
) -> std::io::Result<()> {
    if ops.is_empty() && unverified.is_empty() {
        writeln!(out, "No drift: the database matches {what}.")?;
        return Ok(());
    }
    let forced = forced_rebuilds(ops);
    let hidden: BTreeSet<usize> = forced.values().flatten().copied().collect();
    let shown = ops.len() - hidden.len();
    if !ops.is_empty() {
        writeln!(
            out,
            "Drift: {} change{} between the database and {what}:",
            shown,
            if shown == 1 { "" } else { "s" }
        )?;
    }
    for (i, op) in ops.iter().enumerate() {
        if hidden.contains(&i) {
            continue;
        }
        let (m, style) = marker(op);
        let hazards: Vec<&str> = dialect
            .renderer()
            .hazards(op)
            .iter()
            .map(|h| h.name())
            .collect();
        let hz = if hazards.is_empty() {
            String::new()
        } else {
            format!("  [{}]", hazards.join(", "))
        };
        writeln!(
            out,
            "  {style}{m}{style:#} {}{hz}",
            one_line(&op.describe())
        )?;
        for &f in forced.get(&i).into_iter().flatten() {
            if let Op::DropForeignKey { .. } = &ops[f] {
                writeln!(
                    out,
                    "      which drops and re-adds foreign key {}",
                    one_line(&ops[f].object_path())
                )?;
            }
        }
    }
    for u in unverified {
        writeln!(
            out,
            "  ? {} (unverified: no scratch database to settle the expression; pass --dev-url)",
            one_line(u)
        )?;
    }
    Ok(())
}

/// The text report without terminal styles (for golden files).
pub fn text_plain(ops: &[Op], unverified: &[String], what: &str, dialect: Dialect) -> String {
    let mut out = Vec::new();
    let _ = text(&mut out, ops, unverified, what, dialect);
    anstream::adapter::strip_str(&String::from_utf8_lossy(&out)).to_string()
}

pub fn json(ops: &[Op], unverified: &[String], dialect: Dialect) -> String {
    let changes: Vec<serde_json::Value> = ops
        .iter()
        .map(|op| {
            json!({
                "kind": op.kind(),
                "object": op.object_path(),
                "table": op.table().map(|t| t.to_string()),
                "description": op.describe(),
                "hazards": dialect.renderer().hazards(op).iter().map(|h| h.name()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let doc = json!({
        "version": JSON_VERSION,
        "clean": ops.is_empty() && unverified.is_empty(),
        "changes": changes,
        "unverified": unverified,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// A unified diff of the snapshot text of every table the ops touch.
pub fn snapshot_diff(ops: &[Op], live: &Schema, declared: &Schema, dialect: Dialect) -> String {
    let mut names: Vec<_> = ops.iter().filter_map(|o| o.table().cloned()).collect();
    names.sort();
    names.dedup();
    let pick = |s: &Schema| {
        let mut sub = Schema::default();
        for n in &names {
            if let Some(t) = s.tables.get(n) {
                sub.tables.insert(n.clone(), t.clone());
            }
        }
        snapshot::to_toml(&sub, dialect).unwrap_or_default()
    };
    let (a, b) = (pick(live), pick(declared));
    similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .header("database", "declared")
        .to_string()
}

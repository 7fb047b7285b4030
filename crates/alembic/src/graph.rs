//! The revision graph, read statically from the versions folders: migdiff
//! never imports the project's Python. Module-level assignments of
//! `revision`, `down_revision`, `branch_labels` and `depends_on` are read as
//! Python literals (annotated or not, str / tuple / list / None).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}:{line}: cannot read `{name}`: {message}; write it as a string, a tuple of strings or None"
    )]
    Literal {
        path: PathBuf,
        line: usize,
        name: String,
        message: String,
    },
    #[error(
        "{path}: no `revision = '...'` at module level, and the file name is not a revision id"
    )]
    NoRevision { path: PathBuf },
    #[error("revision {id} is defined twice: {first} and {second}")]
    Duplicate {
        id: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error(
        "{path}: revision {id} names {missing} as its down_revision, but no revision file defines it"
    )]
    Dangling {
        path: PathBuf,
        id: String,
        missing: String,
    },
    #[error("the revision graph has a cycle through {ids}; fix the down_revision values")]
    Cycle { ids: String },
    #[error("no revision matches `{0}`")]
    NoSuchRevision(String),
    #[error("`{prefix}` matches several revisions: {ids}; give more characters")]
    Ambiguous { prefix: String, ids: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub id: String,
    pub down: Vec<String>,
    pub branch_labels: Vec<String>,
    pub depends_on: Vec<String>,
    pub path: PathBuf,
    /// The module docstring.
    pub doc: String,
}

impl Revision {
    /// The first paragraph of the docstring, as Alembic's listings show it.
    pub fn summary(&self) -> String {
        self.doc
            .trim()
            .split("\n\n")
            .next()
            .unwrap_or("")
            .trim()
            .to_string()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub revisions: BTreeMap<String, Revision>,
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    None,
    Str(String),
    Seq(Vec<Literal>),
}

struct LiteralParser<'a> {
    chars: Vec<char>,
    pos: usize,
    _src: &'a str,
}

impl LiteralParser<'_> {
    fn skip_ws(&mut self) {
        while let Some(c) = self.chars.get(self.pos) {
            if c.is_whitespace() || *c == '\\' {
                self.pos += 1;
            } else if *c == '#' {
                while self.chars.get(self.pos).is_some_and(|c| *c != '\n') {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let mut raw = false;
        while let Some(c) = self.chars.get(self.pos) {
            match c.to_ascii_lowercase() {
                'r' => {
                    raw = true;
                    self.pos += 1
                }
                'u' | 'b' => self.pos += 1,
                'f' => return Err("f-strings are computed at import time".into()),
                _ => break,
            }
        }
        let q = *self.chars.get(self.pos).ok_or("unexpected end")?;
        let triple =
            self.chars.get(self.pos + 1) == Some(&q) && self.chars.get(self.pos + 2) == Some(&q);
        self.pos += if triple { 3 } else { 1 };
        let mut out = String::new();
        loop {
            let c = *self.chars.get(self.pos).ok_or("unterminated string")?;
            if c == q {
                if !triple {
                    self.pos += 1;
                    return Ok(out);
                }
                if self.chars.get(self.pos + 1) == Some(&q)
                    && self.chars.get(self.pos + 2) == Some(&q)
                {
                    self.pos += 3;
                    return Ok(out);
                }
            }
            if c == '\\' && !raw {
                let n = *self.chars.get(self.pos + 1).ok_or("unterminated string")?;
                self.pos += 2;
                match n {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '\\' | '\'' | '"' => out.push(n),
                    '\n' => {}
                    'x' => {
                        let hex: String = self.chars[self.pos..self.pos + 2].iter().collect();
                        self.pos += 2;
                        out.push(
                            char::from_u32(
                                u32::from_str_radix(&hex, 16).map_err(|e| e.to_string())?,
                            )
                            .unwrap_or('?'),
                        );
                    }
                    'u' | 'U' => {
                        let len = if n == 'u' { 4 } else { 8 };
                        let hex: String = self.chars
                            [self.pos..(self.pos + len).min(self.chars.len())]
                            .iter()
                            .collect();
                        self.pos += len;
                        out.push(
                            char::from_u32(
                                u32::from_str_radix(&hex, 16).map_err(|e| e.to_string())?,
                            )
                            .unwrap_or('?'),
                        );
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
                continue;
            }
            out.push(c);
            self.pos += 1;
        }
    }

    fn value(&mut self) -> Result<Literal, String> {
        self.skip_ws();
        let c = *self.chars.get(self.pos).ok_or("no value")?;
        if c == '(' || c == '[' {
            let close = if c == '(' { ')' } else { ']' };
            self.pos += 1;
            let mut items = Vec::new();
            let mut trailing_comma = false;
            loop {
                self.skip_ws();
                if self.chars.get(self.pos) == Some(&close) {
                    self.pos += 1;
                    break;
                }
                items.push(self.value()?);
                self.skip_ws();
                match self.chars.get(self.pos) {
                    Some(',') => {
                        self.pos += 1;
                        trailing_comma = true;
                    }
                    Some(x) if *x == close => {
                        trailing_comma = false;
                    }
                    _ => return Err("expected `,` or a closing bracket".into()),
                }
            }
            // `('a')` is just a parenthesized string.
            if c == '(' && items.len() == 1 && !trailing_comma {
                return Ok(items.remove(0));
            }
            return Ok(Literal::Seq(items));
        }
        let rest: String = self.chars[self.pos..].iter().take(4).collect();
        if rest == "None" {
            self.pos += 4;
            return Ok(Literal::None);
        }
        if c == '\'' || c == '"' || c.is_ascii_alphabetic() {
            let mut s = self.string()?;
            // Implicit concatenation: 'a' 'b'.
            loop {
                let save = self.pos;
                self.skip_ws_inline();
                match self.chars.get(self.pos) {
                    Some('\'') | Some('"') => s.push_str(&self.string()?),
                    _ => {
                        self.pos = save;
                        break;
                    }
                }
            }
            return Ok(Literal::Str(s));
        }
        Err(format!("`{}` is not a literal", rest))
    }

    fn skip_ws_inline(&mut self) {
        while self
            .chars
            .get(self.pos)
            .is_some_and(|c| *c == ' ' || *c == '\t')
        {
            self.pos += 1;
        }
    }
}

fn flatten(l: Literal) -> Result<Vec<String>, String> {
    match l {
        Literal::None => Ok(Vec::new()),
        Literal::Str(s) => Ok(vec![s]),
        Literal::Seq(items) => items
            .into_iter()
            .map(|i| match i {
                Literal::Str(s) => Ok(s),
                _ => Err("a sequence may hold only strings".to_string()),
            })
            .collect(),
    }
}

/// `text` from its first line that is neither blank nor a comment.
fn skip_comments(text: &str) -> &str {
    let mut rest = text;
    loop {
        let t = rest.trim_start();
        match t.strip_prefix('#') {
            Some(comment) => rest = comment.split_once('\n').map_or("", |(_, after)| after),
            None => return t,
        }
    }
}

/// Reads one revision file's identifiers and docstring.
pub fn read_revision(path: &Path, text: &str) -> Result<Revision, GraphError> {
    let mut found: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let names = ["revision", "down_revision", "branch_labels", "depends_on"];
    let mut offset = 0usize;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let Some(name) = names.iter().find(|name| {
            line.starts_with(**name) && line[name.len()..].trim_start().starts_with([':', '='])
        }) else {
            continue;
        };
        let after = &line[name.len()..];
        // Skip the annotation up to the `=`.
        let Some(eq) = after.find('=') else { continue };
        let value_start = start + name.len() + eq + 1;
        let mut p = LiteralParser {
            chars: text[value_start..].chars().collect(),
            pos: 0,
            _src: text,
        };
        let value = p
            .value()
            .and_then(flatten)
            .map_err(|message| GraphError::Literal {
                path: path.to_path_buf(),
                line: n + 1,
                name: name.to_string(),
                message,
            })?;
        found.insert(name, value);
    }
    let id = match found.get("revision").and_then(|v| v.first()) {
        Some(id) => id.clone(),
        None => {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            if !stem.is_empty() && stem.chars().all(|c| c.is_ascii_hexdigit()) {
                stem.to_string()
            } else {
                return Err(GraphError::NoRevision {
                    path: path.to_path_buf(),
                });
            }
        }
    };
    let doc = {
        // The docstring is the module's first statement: comment lines
        // (a licence header, an encoding line) and blank lines may come first.
        let t = skip_comments(text);
        let mut p = LiteralParser {
            chars: t.chars().collect(),
            pos: 0,
            _src: t,
        };
        if t.starts_with("\"\"\"")
            || t.starts_with("'''")
            || t.starts_with('"')
            || t.starts_with('\'')
        {
            p.string().unwrap_or_default()
        } else {
            String::new()
        }
    };
    Ok(Revision {
        id,
        down: found.remove("down_revision").unwrap_or_default(),
        branch_labels: found.remove("branch_labels").unwrap_or_default(),
        depends_on: found.remove("depends_on").unwrap_or_default(),
        path: path.to_path_buf(),
        doc,
    })
}

fn collect_files(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> Result<(), GraphError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(GraphError::Read {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if recursive && name != "__pycache__" {
                collect_files(&p, recursive, out)?;
            }
        } else if name.ends_with(".py") && name != "__init__.py" && !name.starts_with(".#") {
            out.push(p);
        }
    }
    Ok(())
}

impl Graph {
    /// Reads every revision under the version locations and checks the graph.
    pub fn load(locations: &[PathBuf], recursive: bool) -> Result<Graph, GraphError> {
        let mut files = Vec::new();
        for l in locations {
            collect_files(l, recursive, &mut files)?;
        }
        let mut graph = Graph::default();
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|source| GraphError::Read {
                path: f.clone(),
                source,
            })?;
            let rev = read_revision(&f, &text)?;
            if let Some(prev) = graph.revisions.get(&rev.id) {
                return Err(GraphError::Duplicate {
                    id: rev.id.clone(),
                    first: prev.path.clone(),
                    second: f,
                });
            }
            graph.revisions.insert(rev.id.clone(), rev);
        }
        graph.check()?;
        Ok(graph)
    }

    fn check(&self) -> Result<(), GraphError> {
        for r in self.revisions.values() {
            for d in r.down.iter() {
                if !self.revisions.contains_key(d) {
                    return Err(GraphError::Dangling {
                        path: r.path.clone(),
                        id: r.id.clone(),
                        missing: d.clone(),
                    });
                }
            }
        }
        // Kahn's algorithm: whatever cannot be ordered is on a cycle.
        let mut indegree: BTreeMap<&str, usize> =
            self.revisions.keys().map(|k| (k.as_str(), 0)).collect();
        for r in self.revisions.values() {
            *indegree.entry(r.id.as_str()).or_default() += r.down.len();
        }
        let mut ready: Vec<&str> = indegree
            .iter()
            .filter(|(_, d)| **d == 0)
            .map(|(k, _)| *k)
            .collect();
        let mut seen = 0;
        while let Some(id) = ready.pop() {
            seen += 1;
            for child in self.children(id) {
                if let Some(d) = indegree.get_mut(child.id.as_str()) {
                    *d -= 1;
                    if *d == 0 {
                        ready.push(child.id.as_str());
                    }
                }
            }
        }
        if seen < self.revisions.len() {
            let ids: Vec<&str> = indegree
                .iter()
                .filter(|(_, d)| **d > 0)
                .map(|(k, _)| *k)
                .collect();
            return Err(GraphError::Cycle {
                ids: ids.join(", "),
            });
        }
        Ok(())
    }

    pub fn children<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Revision> + 'a {
        self.revisions
            .values()
            .filter(move |r| r.down.iter().any(|d| d == id))
    }

    /// Revisions no other revision builds on, sorted by id.
    pub fn heads(&self) -> Vec<&Revision> {
        let referenced: BTreeSet<&str> = self
            .revisions
            .values()
            .flat_map(|r| r.down.iter().map(String::as_str))
            .collect();
        self.revisions
            .values()
            .filter(|r| !referenced.contains(r.id.as_str()))
            .collect()
    }

    /// Resolves a full id or a unique prefix (and `head` when there is one).
    pub fn resolve(&self, text: &str) -> Result<&Revision, GraphError> {
        if text == "head" {
            return Self::exactly_one(text, self.heads());
        }
        if let Some(r) = self.revisions.get(text) {
            return Ok(r);
        }
        let matches = self
            .revisions
            .values()
            .filter(|r| r.id.starts_with(text))
            .collect();
        Self::exactly_one(text, matches)
    }

    fn exactly_one<'a>(text: &str, found: Vec<&'a Revision>) -> Result<&'a Revision, GraphError> {
        match found.as_slice() {
            [one] => Ok(one),
            [] => Err(GraphError::NoSuchRevision(text.into())),
            many => Err(GraphError::Ambiguous {
                prefix: text.into(),
                ids: many
                    .iter()
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// Branch labels as Alembic shows them: a label also belongs to every
    /// descendant of its revision, and to the ancestors up a linear chain
    /// (stopping below a branch point or a merge point).
    fn effective_labels(&self) -> BTreeMap<&str, BTreeSet<&str>> {
        let mut out: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for r in self.revisions.values() {
            if r.branch_labels.is_empty() {
                continue;
            }
            let labels: Vec<&str> = r.branch_labels.iter().map(String::as_str).collect();
            let mut stack = vec![r.id.as_str()];
            let mut seen = BTreeSet::new();
            while let Some(id) = stack.pop() {
                if !seen.insert(id) {
                    continue;
                }
                out.entry(id).or_default().extend(labels.iter().copied());
                stack.extend(self.children(id).map(|c| c.id.as_str()));
            }
            let mut cur = r;
            while cur.down.len() == 1 {
                let Some(parent) = self.revisions.get(&cur.down[0]) else {
                    break;
                };
                if self.children(&parent.id).count() > 1 || parent.down.len() > 1 {
                    break;
                }
                out.entry(parent.id.as_str())
                    .or_default()
                    .extend(labels.iter().copied());
                cur = parent;
            }
        }
        out
    }

    fn labels(labels: &BTreeMap<&str, BTreeSet<&str>>, r: &Revision) -> String {
        match labels.get(r.id.as_str()) {
            Some(l) if !l.is_empty() => {
                format!(" ({})", l.iter().copied().collect::<Vec<_>>().join(", "))
            }
            _ => String::new(),
        }
    }

    /// `alembic heads`: one line per head.
    pub fn heads_text(&self) -> String {
        let labels = self.effective_labels();
        self.heads()
            .iter()
            .map(|r| format!("{}{} (head)\n", r.id, Self::labels(&labels, r)))
            .collect()
    }

    /// `alembic history`: newest first, from the heads down to the base.
    pub fn history_text(&self, current: &[String]) -> String {
        let mut out = String::new();
        let labels = self.effective_labels();
        let mut visited: BTreeSet<&str> = BTreeSet::new();
        let mut stack: Vec<&Revision> = self.heads().into_iter().rev().collect();
        let heads: BTreeSet<&str> = self.heads().iter().map(|r| r.id.as_str()).collect();
        // Emit a revision only once all its children are out (newest first).
        let mut order = Vec::new();
        let mut pending: BTreeMap<&str, usize> = self
            .revisions
            .keys()
            .map(|k| (k.as_str(), self.children(k).count()))
            .collect();
        while let Some(r) = stack.pop() {
            if !visited.insert(r.id.as_str()) {
                continue;
            }
            order.push(r);
            for d in r.down.iter().rev() {
                if let Some(n) = pending.get_mut(d.as_str()) {
                    *n = n.saturating_sub(1);
                    if *n == 0
                        && let Some(p) = self.revisions.get(d)
                    {
                        stack.push(p);
                    }
                }
            }
        }
        for r in order {
            let parents = if r.down.is_empty() {
                "<base>".to_string()
            } else {
                r.down.join(", ")
            };
            let mut line = format!("{parents} -> {}{}", r.id, Self::labels(&labels, r));
            if heads.contains(r.id.as_str()) {
                line.push_str(" (head)");
            }
            if current.contains(&r.id) {
                line.push_str(" (current)");
            }
            if self.children(&r.id).count() > 1 {
                line.push_str(" (branchpoint)");
            }
            if r.down.len() > 1 {
                line.push_str(" (mergepoint)");
            }
            out.push_str(&format!("{line}, {}\n", r.summary()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_annotated_and_plain_headers() {
        let text = "\"\"\"add users\n\nRevision ID: abc\n\"\"\"\nrevision: str = 'abc'\ndown_revision: Union[str, Sequence[str], None] = (\n    'x1',\n    \"y2\",\n)\nbranch_labels = None\ndepends_on = ('d',)\n";
        let r = read_revision(Path::new("abc_x.py"), text).unwrap();
        assert_eq!(r.id, "abc");
        assert_eq!(r.down, vec!["x1", "y2"]);
        assert!(r.branch_labels.is_empty());
        assert_eq!(r.depends_on, vec!["d"]);
        assert_eq!(r.summary(), "add users");
    }

    #[test]
    fn docstring_after_a_licence_header_or_a_blank_line() {
        let text = "# Copyright 2024 Example Corp.\n# SPDX-License-Identifier: MIT\n\n\"\"\"\nadd orders\n\nRevision ID: abc\n\"\"\"\nrevision = 'abc'\ndown_revision = None\n";
        let r = read_revision(Path::new("abc.py"), text).expect("reads");
        assert_eq!(r.summary(), "add orders");
    }

    #[test]
    fn computed_values_are_refused() {
        let err = read_revision(Path::new("a.py"), "revision = make_id()\n").unwrap_err();
        assert!(err.to_string().contains("cannot read `revision`"), "{err}");
    }
}

//! Revision files Python cannot compile. migdiff reads a revision's
//! identifiers without Python, so a file with a syntax error (a bad merge,
//! a half-edited op) would pass `heads`, `check` and `autogenerate` and
//! fail only when Alembic loads it. Python's own compiler is the judge; it
//! compiles, never imports or runs, every file in one process.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::CliError;

/// Compiles each path read from stdin (NUL-separated); prints the first
/// SyntaxError's fields, NUL-separated, and stops.
const COMPILE_ALL: &str = r#"
import sys
for path in sys.stdin.buffer.read().decode("utf-8", "surrogateescape").split("\0"):
    if not path:
        continue
    try:
        with open(path, "rb") as f:
            compile(f.read(), path, "exec", dont_inherit=True)
    except SyntaxError as e:
        text = (e.text or "").strip()[:160]
        sys.stdout.write(f"{e.lineno or 0}\0{e.offset or 0}\0{e.msg}\0{text}\0{path}")
        break
"#;

/// Exit 2 naming the file, line and column of the first syntax error in
/// `files`. Without a Python that starts, nothing is checked: Alembic
/// cannot run there either, and migdiff's other commands still work.
pub fn check(python: &Path, files: &[&Path]) -> Result<(), CliError> {
    if files.is_empty() {
        return Ok(());
    }
    let Ok(mut child) = Command::new(python)
        .args(["-I", "-c", COMPILE_ALL])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    else {
        return Ok(());
    };
    if let Some(mut stdin) = child.stdin.take() {
        let mut list = Vec::new();
        for f in files {
            list.extend_from_slice(f.as_os_str().as_encoded_bytes());
            list.push(0);
        }
        // A child that died early is seen below as empty output.
        let _ = stdin.write_all(&list);
    }
    let Ok(out) = child.wait_with_output() else {
        return Ok(());
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.splitn(5, '\0');
    let (Some(line), Some(column), Some(message), Some(source), Some(path)) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Ok(());
    };
    Err(CliError::usage(format!(
        "{path}:{line}:{column}: Python cannot compile this revision file: {message}\n    {source}\nAlembic would fail to load it; fix the file (or remove it if it is not a revision)."
    )))
}

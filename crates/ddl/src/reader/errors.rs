//! Where a statement came from, and the errors that point there: file,
//! line and column inside the file, and the statement's first line.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DdlError {
    #[error(
        "{path}:{line}:{column}: cannot read this statement: {message}\n    {first_line}\nFix the statement, or move it out of the declared schema if it is not DDL."
    )]
    Parse {
        path: String,
        line: usize,
        column: usize,
        message: String,
        first_line: String,
    },
    #[error(
        "{path}:{line}:{column}: {message}\n    {first_line}\nmigdiff reads CREATE / ALTER / COMMENT statements for schemas, types, tables, indexes and sequences, and for views and triggers (on PostgreSQL also materialized views, functions, procedures, extensions and domains)."
    )]
    Unsupported {
        path: String,
        line: usize,
        column: usize,
        message: String,
        first_line: String,
    },
    #[error("{path}:{line}: {message}\nDeclare the missing object, or fix the reference.")]
    Reference {
        path: String,
        line: usize,
        message: String,
    },
}

#[derive(Clone)]
pub(super) struct Origin {
    pub(super) path: String,
    pub(super) line: usize,
    pub(super) column: usize,
    pub(super) first_line: String,
}

impl Origin {
    pub(super) fn unsupported(&self, message: impl Into<String>) -> DdlError {
        DdlError::Unsupported {
            path: self.path.clone(),
            line: self.line,
            column: self.column,
            message: message.into(),
            first_line: self.first_line.clone(),
        }
    }
    pub(super) fn reference(&self, message: impl Into<String>) -> DdlError {
        DdlError::Reference {
            path: self.path.clone(),
            line: self.line,
            message: message.into(),
        }
    }
}

/// A statement's first line as an error message quotes it: at most
/// [`QUOTED_CHARS`] characters (a generated file's one 200 KB line must not
/// fill the terminal).
pub(super) fn first_line(text: &str) -> String {
    shorten(text.trim().lines().next().unwrap_or("").trim())
}

pub(super) const QUOTED_CHARS: usize = 160;

pub(super) fn shorten(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// Maps sqlparser's `Line: L, Column: C` inside a statement to the file.
pub(super) fn locate(message: &str, raw: &RawStatement) -> (usize, usize) {
    let grab = |key: &str| -> Option<usize> {
        let at = message.rfind(key)? + key.len();
        message[at..]
            .trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    match (grab("Line:"), grab("Column:")) {
        (Some(l), Some(c)) if l >= 1 => {
            let line = raw.line + l - 1;
            let column = if l == 1 { raw.column + c - 1 } else { c };
            (line, column)
        }
        _ => (raw.line, raw.column),
    }
}

pub(super) fn clean_message(message: &str) -> String {
    let m = message.trim_start_matches("sql parser error: ");
    match m.rfind(" at Line:") {
        Some(at) => shorten(&m[..at]),
        None => shorten(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_inside_a_statement_map_to_the_file() {
        let raw = RawStatement {
            text: "CREATE TABLE t (\n  id int,\n  x nope nope\n)",
            line: 10,
            column: 5,
            empty_item: None,
        };
        // On the statement's first line the column is offset too.
        assert_eq!(locate("error at Line: 1, Column: 3", &raw), (10, 7));
        assert_eq!(locate("error at Line: 3, Column: 9", &raw), (12, 9));
        assert_eq!(locate("no position", &raw), (10, 5));
    }

    #[test]
    fn messages_are_cleaned_and_quotes_shortened() {
        assert_eq!(
            clean_message("sql parser error: Expected: ), found: x at Line: 1, Column: 2"),
            "Expected: ), found: x"
        );
        let long = "x".repeat(QUOTED_CHARS + 40);
        let short = shorten(&long);
        assert_eq!(short.chars().count(), QUOTED_CHARS + 1);
        assert!(short.ends_with('…'));
        assert_eq!(
            first_line("  \n  CREATE TABLE t (\n id int)"),
            "CREATE TABLE t ("
        );
    }

    #[test]
    fn a_reference_error_says_what_to_do() {
        let origin = Origin {
            path: "schema.sql".into(),
            line: 4,
            column: 1,
            first_line: "CREATE INDEX i ON nope (id);".into(),
        };
        let text = origin.reference("table nope does not exist").to_string();
        assert!(text.starts_with("schema.sql:4: table nope does not exist"));
        assert!(text.contains("Declare the missing object"));
    }
}

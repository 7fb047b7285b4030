//! Splits a SQL script into statements, keeping where each one starts, so
//! that every error can name its file, line and column.

/// One statement of a script: its text (without the `;`), borrowed from the
/// script, and the line and column (1-based, in characters) where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawStatement<'a> {
    pub text: &'a str,
    pub line: usize,
    pub column: usize,
    /// Where the statement has an empty item in a list (`(,`, `,,`, `,)`,
    /// outside strings and comments), as line and column: sqlparser
    /// skips some (`numeric10(, 2)` reads as `numeric10(2)`) and both
    /// databases refuse them. Reported after sqlparser's own errors.
    pub empty_item: Option<(usize, usize)>,
}

/// A string, quoted name, comment or dollar quote that the script never
/// closes: it would swallow every statement after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unterminated {
    /// What is wrong, as a message: what is left open (`unterminated
    /// string literal ...`), or an empty item in a list.
    pub what: String,
    /// Where it opens (1-based line and column, in characters).
    pub line: usize,
    pub column: usize,
}

/// Splits on `;` outside strings, quoted names, comments and dollar quotes.
/// psql meta-commands (lines starting with `\`) are dropped. A string,
/// quoted name, comment or dollar quote left open is an error: PostgreSQL
/// and SQLite refuse it, and everything after it would be read as part of
/// it (a skipped `SET x = 'oops;` must not hide the tables that follow).
///
/// Works on bytes: every delimiter is ASCII, and in UTF-8 no byte of a
/// multi-byte character equals an ASCII one. A statement is the slice from
/// its first character to its `;`, so nothing is copied.
pub fn split_statements(script: &str) -> Result<Vec<RawStatement<'_>>, Unterminated> {
    let bytes = script.as_bytes();
    let n = bytes.len();
    let mut out = Vec::new();
    let mut cursor = Cursor { line: 1, column: 1 };
    // (byte offset, line, column) of the statement being read.
    let mut start: Option<(usize, usize, usize)> = None;
    let mut i = 0;
    let mut at_line_start = true;
    // The last character outside whitespace, strings and comments (ASCII
    // only matters; anything else is a letter here).
    let mut last_significant: Option<u8> = None;
    let mut empty_item: Option<(usize, usize)> = None;
    // A trigger whose body is a `BEGIN ... END` block (SQLite, MySQL):
    // its semicolons are inside it. Words seen in the statement, whether
    // it is a trigger, and how deep in BEGIN / CASE ... END it is.
    let mut words = 0usize;
    let mut trigger = false;
    let mut block = 0usize;

    while i < n {
        let c = char_at(script, i);
        let next = bytes.get(i + 1).copied();
        // A psql meta-command runs to the end of its line.
        if at_line_start && c == '\\' && start.is_none() {
            let end = find_byte(bytes, i, b'\n');
            i = cursor.pass(bytes, i, end);
            continue;
        }
        if c == '\n' {
            at_line_start = true;
        } else if !c.is_whitespace() {
            at_line_start = false;
        }
        if start.is_none() && !c.is_whitespace() && c != ';' {
            // Comments before a statement are not part of where it starts.
            let is_comment = (c == '-' && next == Some(b'-')) || (c == '/' && next == Some(b'*'));
            if !is_comment {
                start = Some((i, cursor.line, cursor.column));
            }
        }
        let (line, column) = (cursor.line, cursor.column);
        let open = |what: &str| Unterminated {
            what: format!("unterminated {what}: everything after it would be read as part of it"),
            line,
            column,
        };
        // `(,`, `,,` and `,)` outside strings and comments: an empty item
        // in a list, which sqlparser would skip (`numeric10(, 2)` read as
        // `numeric10(2)`) and both databases refuse.
        if (c == ',' || c == ')')
            && let Some(prev) = last_significant
            && (prev == b',' || (prev == b'(' && c == ','))
            && empty_item.is_none()
        {
            empty_item = Some((line, column));
        }
        if !c.is_whitespace() {
            last_significant = Some(if c.is_ascii() { c as u8 } else { b'a' });
        }
        i = match c {
            '-' if next == Some(b'-') => cursor.pass(bytes, i, find_byte(bytes, i, b'\n')),
            '/' if next == Some(b'*') => {
                let mut depth = 0usize;
                let mut j = i;
                while j < n {
                    if bytes[j] == b'/' && bytes.get(j + 1) == Some(&b'*') {
                        depth += 1;
                        j += 2;
                    } else if bytes[j] == b'*' && bytes.get(j + 1) == Some(&b'/') {
                        depth = depth.saturating_sub(1);
                        j += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        j += 1;
                    }
                }
                if depth > 0 {
                    return Err(open("comment (/* without */)"));
                }
                cursor.pass(bytes, i, j.min(n))
            }
            '\'' | '"' | '`' => {
                let quote = bytes[i];
                // E'...' strings allow backslash escapes.
                let mut before = script[..i].chars().rev();
                let backslash = quote == b'\''
                    && matches!(before.next(), Some('e' | 'E'))
                    && !before.next().is_some_and(char::is_alphanumeric);
                let mut j = i + 1;
                let mut closed = false;
                while j < n {
                    let d = bytes[j];
                    if backslash && d == b'\\' && j + 1 < n {
                        j += 2;
                        continue;
                    }
                    j += 1;
                    if d == quote {
                        if bytes.get(j) == Some(&quote) {
                            j += 1;
                            continue;
                        }
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Err(open(match quote {
                        b'\'' => "string literal (a ' without its closing ')",
                        _ => "quoted name (a quote without its closing quote)",
                    }));
                }
                // An escape may have stepped into a multi-byte character.
                cursor.pass(bytes, i, boundary(script, j))
            }
            '$' => match dollar_tag(script, i) {
                Some(tag_end) => {
                    let tag = &script[i..tag_end];
                    let Some(at) = script[tag_end..].find(tag) else {
                        return Err(open("dollar-quoted string (no closing tag)"));
                    };
                    cursor.pass(bytes, i, tag_end + at + tag.len())
                }
                None => cursor.pass(bytes, i, i + 1),
            },
            c if c.is_ascii_alphabetic() || c == '_' => {
                let end = bytes[i..]
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$'))
                    .map_or(n, |p| i + p);
                let word = &script[i..end];
                words += 1;
                if words <= 4 && word.eq_ignore_ascii_case("TRIGGER") {
                    trigger = true;
                } else if (trigger && word.eq_ignore_ascii_case("BEGIN"))
                    || (block > 0 && word.eq_ignore_ascii_case("CASE"))
                {
                    block += 1;
                } else if block > 0 && word.eq_ignore_ascii_case("END") {
                    block -= 1;
                }
                cursor.pass(bytes, i, end)
            }
            ';' if block > 0 => cursor.pass(bytes, i, i + 1),
            ';' => {
                (words, trigger) = (0, false);
                if let Some((from, line, column)) = start.take() {
                    out.push(RawStatement {
                        text: &script[from..i],
                        line,
                        column,
                        empty_item: empty_item.take(),
                    });
                }
                cursor.pass(bytes, i, i + 1)
            }
            other => cursor.pass(bytes, i, i + other.len_utf8()),
        };
    }
    if let Some((from, line, column)) = start
        && !script[from..].trim().is_empty()
    {
        out.push(RawStatement {
            text: &script[from..],
            line,
            column,
            empty_item,
        });
    }
    Ok(out)
}

/// Line and column (in characters) of the next byte to read.
struct Cursor {
    line: usize,
    column: usize,
}

impl Cursor {
    /// Moves over `bytes[from..to]` and returns `to`.
    fn pass(&mut self, bytes: &[u8], from: usize, to: usize) -> usize {
        for &b in &bytes[from..to] {
            if b == b'\n' {
                self.line += 1;
                self.column = 1;
            } else if b & 0xC0 != 0x80 {
                // Not a continuation byte: a character starts here.
                self.column += 1;
            }
        }
        to
    }
}

fn char_at(script: &str, at: usize) -> char {
    script[at..].chars().next().unwrap_or('\0')
}

/// The first `byte` at or after `from`, else the end.
fn find_byte(bytes: &[u8], from: usize, byte: u8) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == byte)
        .map_or(bytes.len(), |at| from + at)
}

/// The first character boundary at or after `at`.
fn boundary(script: &str, mut at: usize) -> usize {
    while at < script.len() && !script.is_char_boundary(at) {
        at += 1;
    }
    at.min(script.len())
}

/// When a dollar quote's opening tag (`$$`, `$tag$`) starts at `at`, the
/// byte after it. A tag is letters, digits and `_`, not starting with a
/// digit (`$1` is a parameter), and not glued to a preceding word.
fn dollar_tag(script: &str, at: usize) -> Option<usize> {
    let glued = script[..at]
        .chars()
        .next_back()
        .is_some_and(|p| p.is_alphanumeric() || p == '_');
    if glued {
        return None;
    }
    let rest = &script[at + 1..];
    let name_len = rest
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(rest.len(), |(k, _)| k);
    let name = &rest[..name_len];
    if name.starts_with(|c: char| c.is_ascii_digit()) || !rest[name_len..].starts_with('$') {
        return None;
    }
    Some(at + 1 + name_len + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trigger_body_block_is_one_statement() {
        let texts: Vec<&str> = split_statements(
            "CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (1); UPDATE c SET x = CASE WHEN 1 THEN 2 END; END;\nCREATE TABLE z (id int);\nCREATE TRIGGER p BEFORE INSERT ON a EXECUTE FUNCTION f();",
        )
        .unwrap()
        .into_iter()
        .map(|s| s.text)
        .collect();
        assert_eq!(texts.len(), 3, "{texts:?}");
        assert!(texts[0].ends_with("END; END"));
    }

    #[test]
    fn splits_outside_quotes_and_comments() {
        let s = split_statements(
            "-- c;\nCREATE TABLE \"a;b\" (x text DEFAULT 'q;''r');\n/* ; */ SELECT $$;$$;\n\\restrict abc\nSET x = 1",
        )
        .expect("splits");
        let texts: Vec<String> = s.iter().map(|r| r.text.trim().to_string()).collect();
        assert_eq!(texts.len(), 3, "{texts:?}");
        assert!(texts[0].contains("\"a;b\""));
        assert_eq!((s[0].line, s[0].column), (2, 1));
        assert!(texts[1].ends_with("SELECT $$;$$"));
        assert_eq!(texts[2], "SET x = 1");
    }

    #[test]
    fn columns_count_characters_and_statements_borrow_the_script() {
        let script = "-- é\nCREATE TABLE \"naïve\" (x int);  SELECT 'ü;';\n\tSELECT 1";
        let s = split_statements(script).expect("splits");
        let at: Vec<(&str, usize, usize)> = s.iter().map(|r| (r.text, r.line, r.column)).collect();
        assert_eq!(
            at,
            [
                ("CREATE TABLE \"naïve\" (x int)", 2, 1),
                ("SELECT 'ü;'", 2, 32),
                ("SELECT 1", 3, 2),
            ]
        );
    }

    #[test]
    fn escapes_dollar_quotes_and_nested_comments() {
        let s = split_statements(
            "SELECT E'a\\';b';SELECT 'a\\';SELECT $f$ ; $f$;SELECT $1;/* a /* ; */ ; */SELECT x$y;z$",
        )
        .expect("splits");
        let texts: Vec<&str> = s.iter().map(|r| r.text).collect();
        assert_eq!(
            texts,
            [
                "SELECT E'a\\';b'",
                "SELECT 'a\\'",
                "SELECT $f$ ; $f$",
                "SELECT $1",
                "SELECT x$y",
                "z$",
            ]
        );
    }

    #[test]
    fn anything_left_open_is_an_error_where_it_opens() {
        for (script, what, line, column) in [
            (
                "SET search_path = 'oops;\nCREATE TABLE t (a int);",
                "string",
                1,
                19,
            ),
            ("CREATE TABLE t (a int);\n/* open", "comment", 2, 1),
            (
                "CREATE FUNCTION f() AS $$ body;\nCREATE TABLE t (a int);",
                "dollar",
                1,
                24,
            ),
            ("CREATE TABLE \"t (a int);", "quoted name", 1, 14),
        ] {
            let e = split_statements(script).expect_err(script);
            assert!(e.what.contains(what), "{script}: {e:?}");
            assert_eq!((e.line, e.column), (line, column), "{script}");
        }
        // `''` inside a string is a quote, not its end.
        assert!(split_statements("SET x = E'  '';").is_err());
        assert_eq!(
            split_statements("SET x = E'it\\'s';")
                .expect("closed")
                .len(),
            1
        );
    }
}

//! PostgreSQL 18's temporal keys, which sqlparser does not read:
//! `PRIMARY KEY (id, valid_at WITHOUT OVERLAPS)` (and UNIQUE), and
//! `FOREIGN KEY (id, PERIOD valid_at) REFERENCES t (id, PERIOD valid_at)`.
//!
//! The key words are blanked out with as many spaces, so that every
//! position sqlparser reports in the rest of the statement still holds,
//! and the positions of the identifiers they qualified are kept: the
//! reader asks, for the last column of a key, whether it was one.

use sqlparser::tokenizer::Location;

/// Where the temporal key words of one statement were.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct TemporalMarks {
    /// Start of each identifier followed by `WITHOUT OVERLAPS`.
    pub without_overlaps: Vec<Location>,
    /// Start of each identifier preceded by `PERIOD` in a key list.
    pub period: Vec<Location>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    Quoted,
    Open,
    Close,
    Comma,
    Dot,
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

/// The tokens of `text` that matter here: words, quoted identifiers,
/// parentheses, commas and dots; string literals and comments are skipped
/// whole so that nothing inside them is taken for a key word.
fn tokens(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let kind = match bytes[i] {
            b'\'' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'\'' {
                    i += 1;
                }
                i += 1;
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += 1;
                }
                i += 1;
                Kind::Quoted
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
                continue;
            }
            b if b.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b if is_word_byte(b) => {
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                Kind::Word
            }
            b => {
                i += 1;
                match b {
                    b'(' => Kind::Open,
                    b')' => Kind::Close,
                    b',' => Kind::Comma,
                    b'.' => Kind::Dot,
                    _ => Kind::Other,
                }
            }
        };
        out.push(Token {
            kind,
            start,
            end: i.min(bytes.len()),
        });
    }
    out
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// sqlparser's position (1-based line, 1-based column in characters) of
/// byte `at` of `text`.
fn location(text: &str, at: usize) -> Location {
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    Location {
        line: before.matches('\n').count() as u64 + 1,
        column: before[line_start..].chars().count() as u64 + 1,
    }
}

/// `text` with the temporal key words blanked out, and where they were.
/// Only PostgreSQL has them; the text is returned as it was when there
/// are none.
pub(crate) fn blank_temporal_keywords(text: String) -> (String, TemporalMarks) {
    let mut marks = TemporalMarks::default();
    if !(contains_word(&text, "OVERLAPS") || contains_word(&text, "PERIOD")) {
        return (text, marks);
    }
    let toks = tokens(&text);
    let word =
        |t: &Token, w: &str| t.kind == Kind::Word && text[t.start..t.end].eq_ignore_ascii_case(w);
    let is_name = |t: &Token| matches!(t.kind, Kind::Word | Kind::Quoted);
    let mut blanks: Vec<(usize, usize)> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        // `valid_at WITHOUT OVERLAPS )`: the key's last column.
        if word(t, "WITHOUT")
            && toks.get(i + 1).is_some_and(|n| word(n, "OVERLAPS"))
            && toks.get(i + 2).is_some_and(|n| n.kind == Kind::Close)
            && let Some(column) = i.checked_sub(1).map(|p| toks[p]).filter(is_name)
        {
            marks.without_overlaps.push(location(&text, column.start));
            blanks.push((t.start, toks[i + 1].end));
        }
        // `, PERIOD valid_at )` in the column list of FOREIGN KEY or
        // REFERENCES (a column named `period` elsewhere is left alone).
        if word(t, "PERIOD")
            && i.checked_sub(1)
                .is_some_and(|p| matches!(toks[p].kind, Kind::Comma | Kind::Open))
            && toks.get(i + 1).is_some_and(is_name)
            && toks.get(i + 2).is_some_and(|n| n.kind == Kind::Close)
            && in_key_list(&toks, i, &word)
        {
            marks.period.push(location(&text, toks[i + 1].start));
            blanks.push((t.start, t.end));
        }
    }
    if blanks.is_empty() {
        return (text, marks);
    }
    let mut bytes = text.into_bytes();
    for (from, to) in blanks {
        bytes[from..to].fill(b' ');
    }
    // Only ASCII key words were replaced by ASCII spaces.
    let text = String::from_utf8(bytes).unwrap_or_default();
    (text, marks)
}

/// Whether token `at` is inside the parenthesized column list right after
/// `FOREIGN KEY` or after `REFERENCES name`.
fn in_key_list(toks: &[Token], at: usize, word: &dyn Fn(&Token, &str) -> bool) -> bool {
    let Some(open) = toks[..at].iter().rposition(|t| t.kind == Kind::Open) else {
        return false;
    };
    if toks[open + 1..at]
        .iter()
        .any(|t| !matches!(t.kind, Kind::Word | Kind::Quoted | Kind::Comma))
    {
        return false;
    }
    let before = &toks[..open];
    let n = before.len();
    if n >= 2 && word(&before[n - 1], "KEY") && word(&before[n - 2], "FOREIGN") {
        return true;
    }
    // REFERENCES name (  or  REFERENCES schema.name (
    (n >= 2 && word(&before[n - 2], "REFERENCES"))
        || (n >= 4 && before[n - 2].kind == Kind::Dot && word(&before[n - 4], "REFERENCES"))
}

fn contains_word(text: &str, w: &str) -> bool {
    text.as_bytes()
        .windows(w.len())
        .any(|win| win.eq_ignore_ascii_case(w.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u64, column: u64) -> Location {
        Location { line, column }
    }

    #[test]
    fn without_overlaps_is_blanked_and_its_column_kept() {
        let sql = "CREATE TABLE b (room int,\n  valid_at tstzrange,\n  PRIMARY KEY (room, valid_at WITHOUT OVERLAPS))";
        let (text, marks) = blank_temporal_keywords(sql.into());
        assert!(!text.contains("WITHOUT"));
        assert_eq!(text.len(), sql.len());
        assert_eq!(marks.without_overlaps, vec![at(3, 22)]);
        assert!(marks.period.is_empty());
    }

    #[test]
    fn period_is_blanked_in_key_lists_only() {
        let sql = "CREATE TABLE c (period int, room int, valid_at tstzrange,\nFOREIGN KEY (room, PERIOD valid_at) REFERENCES public.b (room, PERIOD \"valid_at\"))";
        let (text, marks) = blank_temporal_keywords(sql.into());
        assert!(text.starts_with("CREATE TABLE c (period int"));
        assert_eq!(text.len(), sql.len());
        assert_eq!(marks.period, vec![at(2, 27), at(2, 71)]);
    }

    #[test]
    fn words_in_strings_and_comments_are_not_key_words() {
        let sql = "CREATE TABLE t (a text DEFAULT 'x WITHOUT OVERLAPS)', -- PERIOD b)\n b int)";
        let (text, marks) = blank_temporal_keywords(sql.into());
        assert_eq!(text, sql);
        assert_eq!(marks, TemporalMarks::default());
    }
}

//! Text passes before sqlparser: statements that carry no schema are
//! recognized and skipped, and the PostgreSQL spellings sqlparser cannot
//! read (a generated column's mode, identity options in any order, an
//! identity's SEQUENCE NAME) are rewritten to ones it can, keeping what
//! they meant.

use super::*;

/// Statements that carry no schema objects of the model: recognized by
/// their first words and skipped.
pub(super) const IGNORED_PREFIXES: &[&str] = &[
    "SET ",
    "RESET ",
    "SELECT ",
    "GRANT ",
    "REVOKE ",
    "BEGIN",
    "COMMIT",
    "END",
    "START TRANSACTION",
    "ROLLBACK",
    "CREATE EXTENSION",
    "DROP EXTENSION",
    "COMMENT ON EXTENSION",
    "COMMENT ON SCHEMA",
    "COMMENT ON FUNCTION",
    "COMMENT ON VIEW",
    "COMMENT ON TRIGGER",
    "COMMENT ON TYPE",
    "COMMENT ON SEQUENCE",
    "COMMENT ON INDEX",
    "COMMENT ON CONSTRAINT",
    "ALTER DEFAULT PRIVILEGES",
    "CREATE FUNCTION",
    "CREATE OR REPLACE FUNCTION",
    "CREATE PROCEDURE",
    "CREATE OR REPLACE PROCEDURE",
    "CREATE TRIGGER",
    "CREATE OR REPLACE TRIGGER",
    "CREATE CONSTRAINT TRIGGER",
    "CREATE VIEW",
    "CREATE OR REPLACE VIEW",
    "CREATE MATERIALIZED VIEW",
    "CREATE RECURSIVE VIEW",
    "CREATE TEMP VIEW",
    "CREATE TEMPORARY VIEW",
    "CREATE AGGREGATE",
    "CREATE POLICY",
    "CREATE PUBLICATION",
    "CREATE SUBSCRIPTION",
    "CREATE RULE",
    "CREATE EVENT TRIGGER",
    "REFRESH MATERIALIZED VIEW",
    "SECURITY LABEL",
    "PRAGMA",
    "ANALYZE",
    "VACUUM",
    "INSERT ",
    "COPY ",
];

/// The first words of a statement, upper-cased and single-spaced: enough to
/// classify it without copying the whole text.
pub(super) fn upper_words(text: &str) -> String {
    let mut out = String::with_capacity(64);
    for (i, w) in text.split_whitespace().enumerate() {
        if i >= 12 {
            break;
        }
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&w.to_uppercase());
    }
    out
}

/// Case-insensitive ASCII search without allocating.
pub(super) fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let n = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(n.len())
        .any(|w| w.eq_ignore_ascii_case(n))
}

pub(super) fn is_ignored(text: &str) -> bool {
    let up = upper_words(text);
    if IGNORED_PREFIXES.iter().any(|p| up.starts_with(p)) {
        return true;
    }
    // Ownership and table-level settings pg_dump writes.
    let owner_to = contains_ignore_case(text, " OWNER TO ");
    up.starts_with("ALTER ")
        && (owner_to
            || up.contains(" REPLICA IDENTITY ")
            || up.contains(" ROW LEVEL SECURITY")
            || up.starts_with("ALTER FUNCTION ")
            || up.starts_with("ALTER VIEW ")
            || up.starts_with("ALTER MATERIALIZED VIEW ")
            || up.starts_with("ALTER SCHEMA ")
            || up.starts_with("ALTER EXTENSION ")
            || up.starts_with("ALTER ROLE ")
            || up.starts_with("ALTER DATABASE "))
        && !contains_ignore_case(text, " OWNED BY ")
}

/// Whether PostgreSQL DDL has a generated column without `STORED` or
/// `VIRTUAL`, whose meaning depends on the server's major version.
pub fn has_generated_without_mode(text: &str, dialect: Dialect) -> bool {
    dialect.generated_mode_depends_on_server()
        && contains_ignore_case(text, "GENERATED")
        && generated_keyword(text.to_string(), false).unspecified
}

/// `GENERATED ALWAYS AS (expr)` without `STORED` or `VIRTUAL`: what
/// SQLAlchemy 2.1 compiles for `Computed("expr")` when it does not know the
/// server version, and PostgreSQL 18's own default form (virtual). Before
/// 18 a generated column can only be stored (SQLAlchemy adds `STORED` when
/// it runs against such a server). `keyword` is what the server makes of
/// it (`virtual_by_default`); sqlparser's PostgreSQL dialect insists on a
/// keyword, and takes only STORED.
pub(super) fn generated_keyword(text: String, virtual_by_default: bool) -> GeneratedModes {
    const KEY: &[&str] = &["GENERATED", "ALWAYS", "AS"];
    let bytes = text.as_bytes();
    // (byte range to replace, replacement): the keyword sqlparser wants.
    let mut edits: Vec<(std::ops::Range<usize>, &str)> = Vec::new();
    let mut virtual_columns = Vec::new();
    let mut unspecified = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            // Quoted text and identifiers never hold the clause.
            quote @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += 1;
                }
                i += 1;
                continue;
            }
            c if c.is_ascii_alphabetic() && (i == 0 || !is_word_byte(bytes[i - 1])) => {
                if let Some(open) =
                    after_words(bytes, i, KEY).filter(|&p| bytes.get(p) == Some(&b'('))
                    && let Some(close) = matching_paren(bytes, open)
                {
                    let next = skip_space(bytes, close + 1);
                    let word_end = next
                        + bytes[next..]
                            .iter()
                            .take_while(|b| is_word_byte(**b))
                            .count();
                    let word = &text[next..word_end];
                    if word.eq_ignore_ascii_case("STORED") {
                        virtual_columns.push(false);
                    } else if word.eq_ignore_ascii_case("VIRTUAL") {
                        // sqlparser's PostgreSQL dialect takes only STORED.
                        edits.push((next..word_end, "STORED"));
                        virtual_columns.push(true);
                    } else {
                        edits.push((close + 1..close + 1, " STORED"));
                        virtual_columns.push(virtual_by_default);
                        unspecified = true;
                    }
                    i = close + 1;
                    continue;
                }
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                continue;
            }
            _ => i += 1,
        }
    }
    let text = if edits.is_empty() {
        text
    } else {
        let mut out = String::with_capacity(text.len() + 7 * edits.len());
        let mut from = 0;
        for (range, replacement) in edits {
            out.push_str(&text[from..range.start]);
            out.push_str(replacement);
            from = range.end;
        }
        out.push_str(&text[from..]);
        out
    };
    GeneratedModes {
        text,
        virtual_columns,
        unspecified,
    }
}

/// A PostgreSQL statement with every generated column's mode written as
/// `STORED` (all sqlparser reads), and which of them, in text order, are
/// in fact virtual.
pub(super) struct GeneratedModes {
    pub(super) text: String,
    pub(super) virtual_columns: Vec<bool>,
    /// Some column said neither STORED nor VIRTUAL.
    pub(super) unspecified: bool,
}

/// MySQL's `CREATE FULLTEXT INDEX` / `CREATE SPATIAL INDEX`: the kind, in
/// lower case.
pub(super) fn index_kind(text: &str) -> Option<&'static str> {
    let up = upper_words(text);
    if up.starts_with("CREATE FULLTEXT INDEX ") {
        Some("fulltext")
    } else if up.starts_with("CREATE SPATIAL INDEX ") {
        Some("spatial")
    } else {
        None
    }
}

/// The kind word of `CREATE FULLTEXT INDEX` blanked to spaces, so that
/// sqlparser reads a plain CREATE INDEX at the same positions.
pub(super) fn blank_index_kind(text: String) -> String {
    let Some(kind) = index_kind(&text) else {
        return text;
    };
    let lower = text.to_ascii_lowercase();
    match lower.find(kind) {
        Some(at) => {
            let mut out = text;
            out.replace_range(at..at + kind.len(), &" ".repeat(kind.len()));
            out
        }
        None => text,
    }
}

pub(super) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

pub(super) fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && bytes[at].is_ascii_whitespace() {
        at += 1;
    }
    at
}

/// Where the text after the keywords `words` (starting at `at`) begins.
pub(super) fn after_words(bytes: &[u8], mut at: usize, words: &[&str]) -> Option<usize> {
    for (n, w) in words.iter().enumerate() {
        if n > 0 {
            let next = skip_space(bytes, at);
            if next == at {
                return None;
            }
            at = next;
        }
        let end = at + w.len();
        if end > bytes.len()
            || !bytes[at..end].eq_ignore_ascii_case(w.as_bytes())
            || bytes.get(end).is_some_and(|b| is_word_byte(*b))
        {
            return None;
        }
        at = end;
    }
    Some(skip_space(bytes, at))
}

/// The `)` closing the `(` at `open`, skipping quoted text.
pub(super) fn matching_paren(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            quote @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `SEQUENCE NAME x` inside an identity's options (pg_dump writes it) is
/// not something sqlparser reads; the name is PostgreSQL's default anyway.
pub(super) fn strip_sequence_name(text: &str) -> String {
    if !contains_ignore_case(text, "SEQUENCE NAME ") {
        return text.to_string();
    }
    let up = text.to_uppercase();
    if let Some(at) = up.find("SEQUENCE NAME ") {
        let rest = &text[at + "SEQUENCE NAME ".len()..];
        let name_len = rest
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || *c == ')')
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let mut out = text[..at].to_string();
        out.push_str(&rest[name_len..]);
        return out;
    }
    text.to_string()
}

/// PostgreSQL takes identity options in any order; sqlparser wants
/// INCREMENT, MINVALUE, MAXVALUE, START, CACHE, CYCLE. Reorders the list
/// after every `AS IDENTITY (`.
pub(super) fn reorder_identity_options(text: &str) -> String {
    if !contains_ignore_case(text, "AS IDENTITY") {
        return text.to_string();
    }
    let up = text.to_uppercase();
    let mut out = String::new();
    let mut from = 0;
    while let Some(rel) = up[from..].find("AS IDENTITY") {
        let at = from + rel + "AS IDENTITY".len();
        let rest = &text[at..];
        let Some(open_rel) = rest.find('(') else {
            break;
        };
        if !rest[..open_rel].trim().is_empty() {
            out.push_str(&text[from..at]);
            from = at;
            continue;
        }
        let open = at + open_rel;
        let Some(close_rel) = text[open..].find(')') else {
            break;
        };
        let close = open + close_rel;
        let words: Vec<&str> = text[open + 1..close].split_whitespace().collect();
        let mut groups: Vec<(u8, Vec<&str>)> = Vec::new();
        let rank = |w: &str| match w.to_uppercase().as_str() {
            "INCREMENT" => Some(0),
            "MINVALUE" => Some(1),
            "MAXVALUE" => Some(2),
            "START" => Some(3),
            "CACHE" => Some(4),
            "CYCLE" => Some(5),
            "NO" => Some(9),
            _ => None,
        };
        let mut i = 0;
        while i < words.len() {
            match rank(words[i]) {
                Some(9) => {
                    let next = words.get(i + 1).copied().unwrap_or("");
                    let r = rank(next).unwrap_or(5);
                    groups.push((r, vec![words[i], next]));
                    i += 2;
                }
                Some(r) => {
                    groups.push((r, vec![words[i]]));
                    i += 1;
                }
                None => {
                    if let Some(g) = groups.last_mut() {
                        g.1.push(words[i]);
                    }
                    i += 1;
                }
            }
        }
        groups.sort_by_key(|g| g.0);
        let body: Vec<String> = groups.iter().map(|g| g.1.join(" ")).collect();
        out.push_str(&text[from..open + 1]);
        out.push_str(&body.join(" "));
        from = close;
    }
    out.push_str(&text[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_without_schema_are_ignored() {
        for text in [
            "SET statement_timeout = 0",
            "SELECT pg_catalog.set_config('search_path', '', false)",
            "ALTER TABLE public.t OWNER TO app",
            "GRANT SELECT ON t TO reader",
            "COMMENT ON EXTENSION plpgsql IS 'x'",
        ] {
            assert!(is_ignored(text), "{text}");
        }
        for text in [
            "CREATE TABLE t (id int)",
            "ALTER TABLE t ADD COLUMN x int",
            "ALTER SEQUENCE s OWNED BY t.id",
        ] {
            assert!(!is_ignored(text), "{text}");
        }
    }

    #[test]
    fn generated_modes_become_stored_and_remember_virtual() {
        let m = generated_keyword(
            "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL, \
             c int GENERATED ALWAYS AS (a + 1), d text DEFAULT 'GENERATED ALWAYS AS (x)')"
                .into(),
            true,
        );
        assert_eq!(m.virtual_columns, [true, true]);
        assert!(m.unspecified);
        assert!(m.text.contains("(a * 2) STORED,"));
        assert!(m.text.contains("(a + 1) STORED,"));
        assert!(m.text.contains("'GENERATED ALWAYS AS (x)'"));
        assert!(has_generated_without_mode(
            "CREATE TABLE t (a int GENERATED ALWAYS AS (1))",
            migdiff_postgres::DIALECT
        ));
        assert!(!has_generated_without_mode(
            "CREATE TABLE t (a int GENERATED ALWAYS AS (1) STORED)",
            migdiff_postgres::DIALECT
        ));
    }

    #[test]
    fn identity_options_are_put_in_sqlparsers_order() {
        assert_eq!(
            reorder_identity_options(
                "id int GENERATED ALWAYS AS IDENTITY (START WITH 5 INCREMENT BY 2 NO CYCLE)"
            ),
            "id int GENERATED ALWAYS AS IDENTITY (INCREMENT BY 2 START WITH 5 NO CYCLE)"
        );
        assert_eq!(
            strip_sequence_name(
                "id int GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME public.t_id_seq START WITH 1)"
            ),
            "id int GENERATED BY DEFAULT AS IDENTITY ( START WITH 1)"
        );
    }

    #[test]
    fn parens_and_words_skip_quoted_text() {
        let text = b"f('(', \")\") + 1";
        assert_eq!(matching_paren(text, 1), Some(10));
        assert_eq!(
            after_words(
                b"GENERATED  ALWAYS AS (x)",
                0,
                &["GENERATED", "ALWAYS", "AS"]
            ),
            Some(21)
        );
        assert_eq!(
            after_words(b"GENERATEDX ALWAYS AS", 0, &["GENERATED"]),
            None
        );
        assert_eq!(
            upper_words("create  temp\n sequence s"),
            "CREATE TEMP SEQUENCE S"
        );
    }
}

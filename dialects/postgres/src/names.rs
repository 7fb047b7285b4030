//! The names PostgreSQL gives constraints and indexes declared without one
//! (`users_pkey`, `users_email_key`, `books_author_id_fkey`, ...), so that a
//! declared schema matches what the server reports.

const NAMEDATALEN: usize = 64;

/// Truncates to at most `max` bytes on a char boundary.
fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// PostgreSQL's makeObjectName: `name1_name2_label`, shortening the longer
/// of name1 / name2 until it fits in 63 bytes.
pub(crate) fn make_object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    // Room left after the separating underscores and the label.
    let avail = NAMEDATALEN - 1 - label.len() - 1 - name2.map_or(0, |_| 1);
    let mut n1 = name1.len();
    let mut n2 = name2.map_or(0, str::len);
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let mut out = clip(name1, n1).to_string();
    if let Some(n) = name2 {
        out.push('_');
        out.push_str(clip(n, n2));
    }
    out.push('_');
    out.push_str(label);
    out
}

/// Column names joined the way index and constraint names use them.
pub(crate) fn column_part(columns: &[String]) -> String {
    let mut out = String::new();
    for c in columns {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(c);
        if out.len() >= NAMEDATALEN {
            break;
        }
    }
    clip(&out, NAMEDATALEN - 1).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implicit_names() {
        use migdiff_model::DialectSpec;
        let taken = |n: &str| n == "users_email_key";
        let name = |cols: Option<&[String]>, label| {
            crate::Postgres.implicit_name("users", cols, label, &taken)
        };
        assert_eq!(name(None, "pkey").as_deref(), Some("users_pkey"));
        let email = ["email".to_string()];
        assert_eq!(
            name(Some(&email), "key").as_deref(),
            Some("users_email_key1")
        );
        let long = "a".repeat(40);
        let name = make_object_name(&long, Some(&"b".repeat(40)), "fkey");
        assert_eq!(name.len(), 63);
        assert!(name.ends_with("_fkey"));
    }
}

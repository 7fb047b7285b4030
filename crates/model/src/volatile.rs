//! Whether a default expression is volatile: PostgreSQL (11 and later)
//! adds a column with a constant or stable default by writing it to the
//! catalog, but a volatile one must be evaluated for every existing row,
//! which rewrites the table.

/// PostgreSQL's volatile functions that defaults commonly call.
const VOLATILE_FUNCTIONS: &[&str] = &[
    "random",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "uuidv4",
    "uuidv7",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "txid_current",
    "setseed",
];

/// Whether `default` (SQL text) calls one of the volatile functions.
/// Text inside string literals and quoted identifiers is skipped.
pub fn is_volatile_default(default: &str) -> bool {
    let bytes = default.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\'' || b == b'"' {
            // Skip to the closing quote (a doubled quote stays inside).
            i += 1;
            while i < bytes.len() {
                if bytes[i] == b {
                    if bytes.get(i + 1) == Some(&b) {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
            continue;
        }
        if b.is_ascii_alphabetic() || b == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let word = &default[start..i];
            let mut j = i;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if bytes.get(j) == Some(&b'(')
                && VOLATILE_FUNCTIONS
                    .iter()
                    .any(|f| f.eq_ignore_ascii_case(word))
            {
                return true;
            }
            continue;
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::is_volatile_default;

    #[test]
    fn volatile_calls_only() {
        assert!(is_volatile_default("gen_random_uuid()"));
        assert!(is_volatile_default("public.uuid_generate_v4 ()"));
        assert!(is_volatile_default("nextval('s'::regclass)"));
        assert!(is_volatile_default("(RANDOM() * 10)::int"));
        assert!(!is_volatile_default("now()"));
        assert!(!is_volatile_default("CURRENT_TIMESTAMP"));
        assert!(!is_volatile_default("'random()'"));
        assert!(!is_volatile_default("\"random\"(1)"));
        assert!(!is_volatile_default("0"));
        assert!(!is_volatile_default("random_thing()"));
    }
}

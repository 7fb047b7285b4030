//! Python's `repr()` of a `str`, exact: every string and name written into
//! a revision script goes through this one function.

/// Characters Python's `str.isprintable()` rejects besides the C0/C1
/// controls: separators other than the ASCII space, format characters and
/// private-use code points.
fn is_unprintable(c: char) -> bool {
    let u = c as u32;
    c.is_control()
        || matches!(
            u,
            0xA0 | 0xAD
                | 0x034F
                | 0x061C
                | 0x115F..=0x1160
                | 0x1680
                | 0x180E
                | 0x2000..=0x200F
                | 0x2028..=0x202F
                | 0x205F..=0x206F
                | 0x3000
                | 0xFEFF
                | 0xFFF9..=0xFFFB
                | 0xE000..=0xF8FF
                | 0xD800..=0xDFFF
                | 0xF0000..=0x10FFFF
                | 0xE0000..=0xE007F
        )
}

/// A Python literal for a block of text (a view's or a function's SQL):
/// triple-quoted over its own lines where that spells it exactly
/// (backslashes doubled; no `"""` inside, no quote at its end, no
/// character `repr()` would escape but the newline and the tab), else
/// [`py_repr`].
pub fn py_text_block(s: &str) -> String {
    let plain = s.contains('\n')
        && !s.contains("\"\"\"")
        && !s.ends_with('"')
        && !s
            .chars()
            .any(|c| c != '\n' && c != '\t' && is_unprintable(c));
    if plain {
        format!("\"\"\"{}\"\"\"", s.replace('\\', "\\\\"))
    } else {
        py_repr(s)
    }
}

pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_unprintable(c) => {
                let u = c as u32;
                if u < 0x100 {
                    out.push_str(&format!("\\x{u:02x}"));
                } else if u < 0x10000 {
                    out.push_str(&format!("\\u{u:04x}"));
                } else {
                    out.push_str(&format!("\\U{u:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::py_repr;

    #[test]
    fn matches_python() {
        assert_eq!(py_repr("abc"), "'abc'");
        assert_eq!(py_repr("it's"), "\"it's\"");
        assert_eq!(py_repr("it's a \"q\""), "'it\\'s a \"q\"'");
        assert_eq!(py_repr("a\\b\nc\u{7}"), "'a\\\\b\\nc\\x07'");
        assert_eq!(py_repr("\"\"\""), "'\"\"\"'");
        assert_eq!(py_repr("Straße ünï"), "'Straße ünï'");
        assert_eq!(py_repr("\u{2028}"), "'\\u2028'");
    }
}

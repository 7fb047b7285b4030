//! Splits a SQL script into statements, keeping where each one starts, so
//! that every error can name its file, line and column.

/// One statement of a script: its text (without the `;`) and the line and
/// column (1-based) where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawStatement {
    pub text: String,
    pub line: usize,
    pub column: usize,
}

/// Splits on `;` outside strings, quoted names, comments and dollar quotes.
/// psql meta-commands (lines starting with `\`) are dropped.
pub fn split_statements(script: &str) -> Vec<RawStatement> {
    let chars: Vec<char> = script.chars().collect();
    let mut out = Vec::new();
    let mut current = String::with_capacity(1024);
    let (mut line, mut col) = (1usize, 1usize);
    let mut start: Option<(usize, usize)> = None;
    let mut i = 0;
    let mut at_line_start = true;

    macro_rules! advance {
        ($c:expr) => {{
            let c: char = $c;
            current.push(c);
            if c == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
        }};
    }

    while i < chars.len() {
        let c = chars[i];
        // A psql meta-command runs to the end of its line.
        if at_line_start && c == '\\' && start.is_none() {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
                col += 1;
            }
            continue;
        }
        if c == '\n' {
            at_line_start = true;
        } else if !c.is_whitespace() {
            at_line_start = false;
        }
        if start.is_none() && !c.is_whitespace() && c != ';' {
            // Comments before a statement are not part of where it starts.
            let is_comment = (c == '-' && chars.get(i + 1) == Some(&'-'))
                || (c == '/' && chars.get(i + 1) == Some(&'*'));
            if !is_comment {
                start = Some((line, col));
                current.clear();
            }
        }
        match c {
            '-' if chars.get(i + 1) == Some(&'-') => {
                while i < chars.len() && chars[i] != '\n' {
                    advance!(chars[i]);
                    i += 1;
                }
                continue;
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                        depth += 1;
                        advance!('/');
                        advance!('*');
                        i += 2;
                        continue;
                    }
                    if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        advance!('*');
                        advance!('/');
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                        continue;
                    }
                    advance!(chars[i]);
                    i += 1;
                }
                continue;
            }
            '\'' | '"' | '`' => {
                // E'...' strings allow backslash escapes.
                let backslash = c == '\''
                    && i > 0
                    && matches!(chars[i - 1], 'e' | 'E')
                    && (i < 2 || !chars[i - 2].is_alphanumeric());
                advance!(c);
                i += 1;
                while i < chars.len() {
                    let d = chars[i];
                    if backslash && d == '\\' && i + 1 < chars.len() {
                        advance!(d);
                        advance!(chars[i + 1]);
                        i += 2;
                        continue;
                    }
                    advance!(d);
                    i += 1;
                    if d == c {
                        if chars.get(i) == Some(&c) {
                            advance!(c);
                            i += 1;
                            continue;
                        }
                        break;
                    }
                }
                continue;
            }
            '$' => {
                // $tag$ ... $tag$
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                let is_tag = j < chars.len()
                    && chars[j] == '$'
                    && !(i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'))
                    && chars[i + 1..j]
                        .iter()
                        .all(|c| !c.is_ascii_digit() || j > i + 1);
                if is_tag && !chars[i + 1..j].first().is_some_and(|c| c.is_ascii_digit()) {
                    let tag: String = chars[i..=j].iter().collect();
                    for &c in &chars[i..=j] {
                        advance!(c);
                    }
                    i = j + 1;
                    let tag_chars: Vec<char> = tag.chars().collect();
                    while i < chars.len() {
                        if chars[i..].starts_with(&tag_chars) {
                            for k in 0..tag_chars.len() {
                                advance!(chars[i + k]);
                            }
                            i += tag_chars.len();
                            break;
                        }
                        advance!(chars[i]);
                        i += 1;
                    }
                    continue;
                }
                advance!(c);
                i += 1;
                continue;
            }
            ';' => {
                if let Some((l, c0)) = start.take() {
                    out.push(RawStatement {
                        text: std::mem::take(&mut current),
                        line: l,
                        column: c0,
                    });
                } else {
                    current.clear();
                }
                col += 1;
                i += 1;
                continue;
            }
            _ => {
                advance!(c);
                i += 1;
            }
        }
    }
    if let Some((l, c0)) = start
        && !current.trim().is_empty()
    {
        out.push(RawStatement {
            text: current,
            line: l,
            column: c0,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_quotes_and_comments() {
        let s = split_statements(
            "-- c;\nCREATE TABLE \"a;b\" (x text DEFAULT 'q;''r');\n/* ; */ SELECT $$;$$;\n\\restrict abc\nSET x = 1",
        );
        let texts: Vec<String> = s.iter().map(|r| r.text.trim().to_string()).collect();
        assert_eq!(texts.len(), 3, "{texts:?}");
        assert!(texts[0].contains("\"a;b\""));
        assert_eq!((s[0].line, s[0].column), (2, 1));
        assert!(texts[1].ends_with("SELECT $$;$$"));
        assert_eq!(texts[2], "SET x = 1");
    }
}

//! Writing a new revision: its id, slug, file name and create date exactly
//! as Alembic makes them, written atomically and never over another file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Local, Timelike, Utc};

use crate::template::{self, TemplateError, Value};

#[derive(Debug, thiserror::Error)]
pub enum RevisionError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("cannot read template {path}: {source}")]
    ReadTemplate {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("file_template `{template}`: {message}")]
    FileTemplate { template: String, message: String },
    #[error(
        "{path} already exists; migdiff never overwrites a revision file (choose another --rev-id)"
    )]
    Exists { path: PathBuf },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("revision id `{0}` contains one of `@ - + :`, which Alembic does not allow")]
    BadId(String),
    #[error("timezone `{0}` is not supported by migdiff yet; use UTC or leave it unset")]
    Timezone(String),
}

/// Twelve lowercase hex digits from a random UUID4, as Alembic's rev_id().
pub fn new_rev_id() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    hex[hex.len() - 12..].to_string()
}

pub fn check_rev_id(id: &str) -> Result<(), RevisionError> {
    // Alembic's reserved characters, and anything that would let the file
    // name leave the versions folder or break a line.
    if id.is_empty()
        || id.starts_with('.')
        || id.contains(['@', '-', '+', ':', '/', '\\'])
        || id.chars().any(char::is_control)
    {
        return Err(RevisionError::BadId(id.to_string()));
    }
    Ok(())
}

/// Alembic's slug: word characters joined by `_`, lower-cased, cut at the
/// last underscore within `truncate` characters (keeping that underscore).
pub fn slug(message: &str, truncate: usize) -> String {
    let mut words = Vec::new();
    let mut cur = String::new();
    for c in message.chars() {
        if c.is_alphanumeric() || c == '_' {
            cur.push(c);
        } else if !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let slug = words.join("_").to_lowercase();
    let chars: Vec<char> = slug.chars().collect();
    if chars.len() > truncate {
        let head: String = chars[..truncate].iter().collect();
        match head.rfind('_') {
            Some(at) => format!("{}_", &head[..at]),
            None => format!("{head}_"),
        }
    } else {
        slug
    }
}

/// The create date and its `str()` form.
pub struct CreateDate {
    pub text: String,
    pub epoch: i64,
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

fn python_str<Tz: chrono::TimeZone>(d: &DateTime<Tz>, with_offset: bool) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let micros = d.timestamp_subsec_micros();
    let mut s = if micros == 0 {
        d.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        d.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
    };
    if with_offset {
        s.push_str(&d.format("%:z").to_string());
    }
    s
}

pub fn create_date(timezone: Option<&str>) -> Result<CreateDate, RevisionError> {
    let (text, naive, epoch) = match timezone {
        None => {
            let now = Local::now();
            (python_str(&now, false), now.naive_local(), now.timestamp())
        }
        Some(tz) if tz.eq_ignore_ascii_case("utc") => {
            let now = Utc::now();
            (python_str(&now, true), now.naive_utc(), now.timestamp())
        }
        Some(other) => return Err(RevisionError::Timezone(other.to_string())),
    };
    Ok(CreateDate {
        text,
        epoch,
        year: naive.year(),
        month: naive.month(),
        day: naive.day(),
        hour: naive.hour(),
        minute: naive.minute(),
        second: naive.second(),
    })
}

/// Python `%`-formatting of `file_template` with its tokens.
pub fn file_name(
    template: &str,
    rev: &str,
    slug: &str,
    date: &CreateDate,
) -> Result<String, RevisionError> {
    let err = |m: &str| RevisionError::FileTemplate {
        template: template.to_string(),
        message: m.to_string(),
    };
    let mut out = String::new();
    let mut rest = template;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(r) = after.strip_prefix('%') {
            out.push('%');
            rest = r;
            continue;
        }
        let r = after
            .strip_prefix('(')
            .ok_or_else(|| err("a `%` must start `%(name)s`"))?;
        let close = r.find(')').ok_or_else(|| err("unclosed `%(`"))?;
        let key = &r[..close];
        let spec_and_rest = &r[close + 1..];
        let conv_at = spec_and_rest
            .find(|c: char| c.is_ascii_alphabetic())
            .ok_or_else(|| err("missing conversion after `%(name)`"))?;
        let spec = &spec_and_rest[..conv_at];
        let conv = &spec_and_rest[conv_at..conv_at + 1];
        let num: Option<i64> = match key {
            "epoch" => Some(date.epoch),
            "year" => Some(date.year as i64),
            "month" => Some(date.month as i64),
            "day" => Some(date.day as i64),
            "hour" => Some(date.hour as i64),
            "minute" => Some(date.minute as i64),
            "second" => Some(date.second as i64),
            _ => None,
        };
        let text = match (key, conv) {
            ("rev", "s") => rev.to_string(),
            ("slug", "s") => slug.to_string(),
            (_, "d") | (_, "s") if num.is_some() => {
                let n = num.unwrap_or_default();
                // Supports `.2d`, `02d`, `2d`.
                let (zero, width) = if let Some(p) = spec.strip_prefix('.') {
                    (true, p.parse::<usize>().unwrap_or(0))
                } else if let Some(p) = spec.strip_prefix('0') {
                    (true, p.parse::<usize>().unwrap_or(0))
                } else {
                    (false, spec.parse::<usize>().unwrap_or(0))
                };
                if zero {
                    format!("{n:0width$}")
                } else {
                    format!("{n:width$}")
                }
            }
            _ => return Err(err(&format!("unknown token `%({key}){spec}{conv}`"))),
        };
        out.push_str(&text);
        rest = &spec_and_rest[conv_at + 1..];
    }
    out.push_str(rest);
    Ok(format!("{out}.py"))
}

/// What goes into a new revision file.
pub struct NewRevision<'a> {
    pub rev_id: String,
    pub message: &'a str,
    pub down_revisions: Vec<String>,
    pub imports: Vec<String>,
    pub upgrades: String,
    pub downgrades: String,
}

/// Renders the revision through the project's template (or the stock one).
pub fn render_script(
    template_path: Option<&Path>,
    rev: &NewRevision,
    date: &CreateDate,
) -> Result<String, RevisionError> {
    let (path, text) = match template_path {
        Some(p) if p.exists() => (
            p.display().to_string(),
            std::fs::read_to_string(p).map_err(|source| RevisionError::ReadTemplate {
                path: p.to_path_buf(),
                source,
            })?,
        ),
        _ => (
            "<stock script.py.mako>".to_string(),
            template::DEFAULT_TEMPLATE.to_string(),
        ),
    };
    let down = match rev.down_revisions.as_slice() {
        [] => Value::None,
        [one] => Value::Str(one.clone()),
        many => Value::Tuple(many.to_vec()),
    };
    let vars = BTreeMap::from([
        // The stock template puts the message in the module docstring: a
        // backslash or `"""` in it must not end or change the string.
        (
            "message".to_string(),
            Value::Str(
                rev.message
                    .replace('\\', "\\\\")
                    .replace("\"\"\"", "\\\"\"\""),
            ),
        ),
        ("up_revision".to_string(), Value::Str(rev.rev_id.clone())),
        ("down_revision".to_string(), down),
        ("branch_labels".to_string(), Value::None),
        ("depends_on".to_string(), Value::None),
        ("create_date".to_string(), Value::Str(date.text.clone())),
        ("imports".to_string(), Value::Str(rev.imports.join("\n"))),
        ("upgrades".to_string(), Value::Str(rev.upgrades.clone())),
        ("downgrades".to_string(), Value::Str(rev.downgrades.clone())),
    ]);
    Ok(template::render(&path, &text, &vars)?)
}

/// Writes `contents` to `path` atomically: a new file in the same folder,
/// then a hard link that refuses to replace an existing file.
pub fn write_new_file(path: &Path, contents: &str) -> Result<(), RevisionError> {
    if path.exists() {
        return Err(RevisionError::Exists {
            path: path.to_path_buf(),
        });
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| RevisionError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    // Created like any new file (0666 less the umask, as Alembic's are),
    // not with a temporary file's private 0600.
    let tmp_path = dir.join(format!(".migdiff-{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp_path)
        .and_then(|mut f| f.write_all(contents.as_bytes()).and_then(|_| f.flush()));
    if let Err(source) = written {
        let _ = std::fs::remove_file(&tmp_path);
        return Err(RevisionError::Write {
            path: path.to_path_buf(),
            source,
        });
    }
    // A hard link never replaces an existing file; the rename fallback is
    // for file systems without links.
    let linked = match std::fs::hard_link(&tmp_path, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
        Err(_) if !path.exists() => std::fs::rename(&tmp_path, path),
        Err(e) => Err(e),
    };
    let _ = std::fs::remove_file(&tmp_path);
    linked.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            RevisionError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            RevisionError::Write {
                path: path.to_path_buf(),
                source: e,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_match_alembic() {
        assert_eq!(
            slug("Initial schema: users, orders & items (v1)!", 40),
            "initial_schema_users_orders_items_v1"
        );
        assert_eq!(
            slug(
                "Add a very long column name to the users table for testing",
                40
            ),
            "add_a_very_long_column_name_to_the_"
        );
        assert_eq!(slug(&"a".repeat(50), 40), format!("{}_", "a".repeat(40)));
        assert_eq!(slug("Ünïcödé Straße añadir", 40), "ünïcödé_straße_añadir");
        assert_eq!(slug("drop   --- column", 40), "drop_column");
        assert_eq!(slug("", 40), "");
    }

    #[test]
    fn file_template_tokens() {
        let d = CreateDate {
            text: String::new(),
            epoch: 1700000000,
            year: 2026,
            month: 3,
            day: 7,
            hour: 4,
            minute: 5,
            second: 6,
        };
        assert_eq!(
            file_name("%(rev)s_%(slug)s", "abc", "x", &d).unwrap(),
            "abc_x.py"
        );
        assert_eq!(
            file_name("%(year)d_%(month).2d_%(day).2d_%(rev)s", "abc", "x", &d).unwrap(),
            "2026_03_07_abc.py"
        );
        assert!(file_name("%(nope)s", "a", "b", &d).is_err());
    }
}

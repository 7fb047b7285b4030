//! Finds and reads an Alembic project's configuration: `alembic.ini`
//! (`[alembic]`, with configparser's `%(here)s` interpolation) and
//! `pyproject.toml [tool.alembic]` (Alembic 1.16+); the ini wins per key,
//! as in Alembic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "{path}: no `script_location` in [alembic] (or [tool.alembic]); set it to the folder holding env.py and versions/"
    )]
    NoScriptLocation { path: PathBuf },
    #[error(
        "{path}: script_location `{location}` does not exist; create it with `alembic init` or fix the path"
    )]
    MissingScriptLocation { path: PathBuf, location: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// The Alembic settings migdiff honours.
#[derive(Debug, Clone)]
pub struct AlembicConfig {
    /// The file the settings came from (the ini when there is one).
    pub source: PathBuf,
    pub script_location: PathBuf,
    pub version_locations: Vec<PathBuf>,
    pub recursive_version_locations: bool,
    pub file_template: String,
    pub truncate_slug_length: usize,
    pub timezone: Option<String>,
    pub output_encoding: String,
    pub sqlalchemy_url: Option<String>,
    /// `prepend_sys_path` entries, resolved against the config's folder.
    pub prepend_sys_path: Vec<PathBuf>,
    /// `[tool.migdiff]` from pyproject.toml, when present (raw TOML).
    pub pyproject_migdiff: Option<toml::Table>,
    /// `[post_write_hooks]` (ini) or `[[tool.alembic.post_write_hooks]]`,
    /// in the order Alembic runs them.
    pub post_write_hooks: Vec<PostWriteHook>,
    /// env.py takes its engine from a Flask application (`current_app`):
    /// Flask-Migrate's template. Alembic runs need the app's context.
    pub env_needs_flask_app: bool,
}

/// One post-write hook as Alembic reads it: its name and its options
/// (`type`, `entrypoint`, `executable`, `module`, `options`, `cwd`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostWriteHook {
    pub name: String,
    pub options: BTreeMap<String, String>,
}

/// Splits `hooks = a, b c` as Alembic does (commas and spaces).
fn hook_names(list: &str) -> impl Iterator<Item = &str> {
    list.split([',', ' ', '\n', '\t']).filter(|n| !n.is_empty())
}

/// Parses an ini file the way Python's configparser reads alembic.ini:
/// sections, `key = value` / `key: value`, indented continuation lines,
/// `#` / `;` comment lines, keys lower-cased.
pub fn parse_ini(
    path: &Path,
    text: &str,
) -> Result<BTreeMap<String, BTreeMap<String, String>>, ConfigError> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut section: Option<String> = None;
    let mut last_key: Option<String> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            last_key = None;
            continue;
        }
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        // An indented line continues the previous value.
        if line.starts_with(char::is_whitespace)
            && let (Some(s), Some(k)) = (&section, &last_key)
            && let Some(v) = out.get_mut(s).and_then(|m| m.get_mut(k))
        {
            v.push('\n');
            v.push_str(trimmed);
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            section = Some(name.trim().to_string());
            out.entry(name.trim().to_string()).or_default();
            last_key = None;
            continue;
        }
        let Some(sec) = &section else {
            return Err(ConfigError::Syntax {
                path: path.to_path_buf(),
                line: n + 1,
                message: "a setting before any [section] header".into(),
            });
        };
        let sep = trimmed
            .find(['=', ':'])
            .ok_or_else(|| ConfigError::Syntax {
                path: path.to_path_buf(),
                line: n + 1,
                message: format!("expected `key = value`, found `{trimmed}`"),
            })?;
        let key = trimmed[..sep].trim().to_lowercase();
        let value = trimmed[sep + 1..].trim().to_string();
        out.entry(sec.clone())
            .or_default()
            .insert(key.clone(), value);
        last_key = Some(key);
    }
    Ok(out)
}

/// configparser's BasicInterpolation: `%(name)s` from the section, the
/// defaults (`here`) and `%%` for a literal percent sign.
pub fn interpolate(
    value: &str,
    vars: &BTreeMap<String, String>,
    path: &Path,
) -> Result<String, ConfigError> {
    let mut out = String::new();
    let mut rest = value;
    let mut depth = 0;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(r) = after.strip_prefix('%') {
            out.push('%');
            rest = r;
        } else if let Some(r) = after.strip_prefix('(') {
            let close = r.find(")s").ok_or_else(|| ConfigError::Invalid {
                path: path.to_path_buf(),
                message: format!("bad interpolation in `{value}` (write %% for a percent sign)"),
            })?;
            let name = r[..close].to_lowercase();
            let v = vars.get(&name).ok_or_else(|| ConfigError::Invalid {
                path: path.to_path_buf(),
                message: format!("`%({name})s` in `{value}` names no setting"),
            })?;
            depth += 1;
            if depth > 10 {
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    message: format!("interpolation in `{value}` refers to itself"),
                });
            }
            out.push_str(&interpolate(v, vars, path)?);
            rest = &r[close + 2..];
        } else {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                message: format!("bad interpolation in `{value}` (write %% for a percent sign)"),
            });
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn toml_to_string(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        toml::Value::Array(items) => Some(
            items
                .iter()
                .filter_map(toml_to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => None,
    }
}

/// Flask-Migrate keeps its ini in the migrations folder it creates.
const FLASK_MIGRATE_INI: &str = "migrations/alembic.ini";

/// Finds the project config as Alembic and Flask-Migrate do: an explicit
/// file (`-c`), `$ALEMBIC_CONFIG`, `alembic.ini` or `pyproject.toml
/// [tool.alembic]` in `dir`, then Flask-Migrate's `migrations/alembic.ini`.
/// `Ok(None)` when there is no Alembic project there.
pub fn load(explicit: Option<&Path>, dir: &Path) -> Result<Option<AlembicConfig>, ConfigError> {
    // Relative to the folder migdiff runs in, so `%(here)s` is a full path.
    let chosen = explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("ALEMBIC_CONFIG").map(PathBuf::from))
        .map(|p| dir.join(p));
    if chosen.is_none() && !dir.join("alembic.ini").exists() {
        if let Some(found) = load_from(None, dir)? {
            return Ok(Some(found));
        }
        let flask = dir.join(FLASK_MIGRATE_INI);
        if flask.exists() {
            return load_from(Some(flask), dir);
        }
        return Ok(None);
    }
    load_from(chosen.or_else(|| Some(dir.join("alembic.ini"))), dir)
}

fn load_from(ini_path: Option<PathBuf>, dir: &Path) -> Result<Option<AlembicConfig>, ConfigError> {
    let is_toml = ini_path
        .as_ref()
        .is_some_and(|p| p.extension().is_some_and(|e| e == "toml"));
    let (ini_path, pyproject_path) = if is_toml {
        (None, ini_path)
    } else {
        let pp = ini_path
            .as_ref()
            .and_then(|p| p.parent())
            .unwrap_or(dir)
            .join("pyproject.toml");
        (ini_path, pp.exists().then_some(pp))
    };

    let mut settings: BTreeMap<String, String> = BTreeMap::new();
    let mut source = None;
    let mut migdiff_table = None;
    let mut hooks: Vec<PostWriteHook> = Vec::new();
    // pyproject first: the ini overrides it key by key.
    if let Some(pp) = &pyproject_path {
        let text = read(pp)?;
        let doc: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Invalid {
                path: pp.clone(),
                message: e.to_string(),
            })?;
        let tool = doc.get("tool").and_then(|t| t.as_table());
        migdiff_table = tool
            .and_then(|t| t.get("migdiff"))
            .and_then(|t| t.as_table())
            .cloned();
        if let Some(alembic) = tool
            .and_then(|t| t.get("alembic"))
            .and_then(|t| t.as_table())
        {
            let here = pp.parent().unwrap_or(dir).to_string_lossy().to_string();
            let vars = BTreeMap::from([("here".to_string(), here)]);
            for (k, v) in alembic {
                if k == "post_write_hooks" {
                    hooks = toml_hooks(v, &vars, pp)?;
                } else if let Some(s) = toml_to_string(v) {
                    settings.insert(k.to_lowercase(), interpolate(&s, &vars, pp)?);
                }
            }
            source = Some(pp.clone());
        }
    }
    if let Some(ip) = &ini_path {
        let text = read(ip)?;
        let ini = parse_ini(ip, &text)?;
        let here = ip
            .canonicalize()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| dir.to_path_buf());
        let defaults = || {
            let mut vars = ini.get("DEFAULT").cloned().unwrap_or_default();
            vars.insert("here".into(), here.to_string_lossy().to_string());
            vars
        };
        // Alembic takes the ini's hooks when it has the section at all.
        if let Some(section) = ini.get("post_write_hooks") {
            let mut vars = defaults();
            vars.extend(section.clone());
            let names = section.get("hooks").map(String::as_str).unwrap_or("");
            hooks = hook_names(names)
                .map(|name| {
                    let prefix = format!("{name}.");
                    let options = section
                        .iter()
                        .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.to_string(), v)))
                        .map(|(k, v)| Ok((k, interpolate(v, &vars, ip)?)))
                        .collect::<Result<_, ConfigError>>()?;
                    Ok(PostWriteHook {
                        name: name.to_string(),
                        options,
                    })
                })
                .collect::<Result<_, ConfigError>>()?;
        }
        if let Some(section) = ini.get("alembic") {
            let mut vars = defaults();
            for (k, v) in section {
                vars.insert(k.clone(), v.clone());
            }
            for (k, v) in section {
                settings.insert(k.clone(), interpolate(v, &vars, ip)?);
            }
        }
        source = Some(ip.clone());
    }
    let Some(source) = source else {
        return Ok(None);
    };
    let base = source.parent().unwrap_or(dir).to_path_buf();
    // Flask-Migrate's ini has no script_location: the folder it sits in is
    // the script location (Flask-Migrate passes it to Alembic itself).
    let own_folder = ini_path
        .as_ref()
        .filter(|_| base.join("env.py").is_file())
        .map(|_| ".".to_string());
    let Some(location) = settings.get("script_location").or(own_folder.as_ref()) else {
        return Err(ConfigError::NoScriptLocation { path: source });
    };
    if location.contains(':') && !Path::new(location).is_absolute() {
        return Err(ConfigError::Invalid {
            path: source,
            message: format!(
                "script_location `{location}` is a package resource; migdiff needs a folder path"
            ),
        });
    }
    let script_location = if location == "." {
        base.clone()
    } else {
        base.join(location)
    };
    if !script_location.is_dir() {
        return Err(ConfigError::MissingScriptLocation {
            path: source,
            location: location.clone(),
        });
    }
    let version_locations = match settings.get("version_locations") {
        Some(v) => {
            let sep = settings.get("path_separator").map(String::as_str);
            let parts: Vec<&str> = match sep {
                Some("newline") => v.lines().collect(),
                Some(":") => v.split(':').collect(),
                Some(";") => v.split(';').collect(),
                Some("space") => v.split(' ').collect(),
                Some("os") => v.split(':').collect(),
                _ => v.split(|c: char| c.is_whitespace() || c == ',').collect(),
            };
            parts
                .into_iter()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| base.join(p))
                .collect()
        }
        None => vec![script_location.join("versions")],
    };
    let truth = |k: &str| {
        settings
            .get(k)
            .is_some_and(|v| matches!(v.to_lowercase().as_str(), "true" | "1" | "yes" | "on"))
    };
    if let Some(enc) = settings.get("output_encoding") {
        let e = enc.to_ascii_lowercase().replace(['-', '_'], "");
        if e != "utf8" {
            return Err(ConfigError::Invalid {
                path: source,
                message: format!(
                    "output_encoding `{enc}` is not supported by migdiff, which writes UTF-8; remove it or set utf-8"
                ),
            });
        }
    }
    let truncate_slug_length = match settings.get("truncate_slug_length") {
        Some(v) => v
            .trim()
            .parse::<usize>()
            .map_err(|_| ConfigError::Invalid {
                path: source.clone(),
                message: format!("truncate_slug_length `{v}` is not a whole number"),
            })?,
        None => 40,
    };
    let env_needs_flask_app = std::fs::read_to_string(script_location.join("env.py"))
        .is_ok_and(|env| env.contains("current_app"));
    Ok(Some(AlembicConfig {
        env_needs_flask_app,
        script_location,
        version_locations,
        recursive_version_locations: truth("recursive_version_locations"),
        file_template: settings
            .get("file_template")
            .cloned()
            .unwrap_or_else(|| "%(rev)s_%(slug)s".to_string()),
        truncate_slug_length: if truncate_slug_length == 0 {
            40
        } else {
            truncate_slug_length
        },
        timezone: settings.get("timezone").filter(|t| !t.is_empty()).cloned(),
        output_encoding: settings
            .get("output_encoding")
            .cloned()
            .unwrap_or_else(|| "utf-8".to_string()),
        sqlalchemy_url: settings
            .get("sqlalchemy.url")
            .filter(|u| !u.is_empty())
            .cloned(),
        prepend_sys_path: settings
            .get("prepend_sys_path")
            .map(|v| {
                v.split([':', '\n', ' '])
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| base.join(p))
                    .collect()
            })
            .unwrap_or_default(),
        source,
        pyproject_migdiff: migdiff_table,
        post_write_hooks: hooks,
    }))
}

/// `[[tool.alembic.post_write_hooks]]`: tables with a `name` each.
fn toml_hooks(
    value: &toml::Value,
    vars: &BTreeMap<String, String>,
    path: &Path,
) -> Result<Vec<PostWriteHook>, ConfigError> {
    let invalid = |message: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let Some(items) = value.as_array() else {
        return Err(invalid(
            "[tool.alembic] post_write_hooks must be an array of tables ([[tool.alembic.post_write_hooks]])".into(),
        ));
    };
    items
        .iter()
        .map(|item| {
            let table = item.as_table().ok_or_else(|| {
                invalid("each post_write_hooks entry must be a table with a `name`".into())
            })?;
            let mut options = BTreeMap::new();
            for (k, v) in table {
                let text = toml_to_string(v)
                    .ok_or_else(|| invalid(format!("post_write_hooks: `{k}` must be a string")))?;
                options.insert(k.clone(), interpolate(&text, vars, path)?);
            }
            let name = options
                .remove("name")
                .ok_or_else(|| invalid("a post_write_hooks entry has no `name`".into()))?;
            Ok(PostWriteHook { name, options })
        })
        .collect()
}

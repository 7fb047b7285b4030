//! The declared-schema cache for SQLAlchemy sources: importing a project's
//! models is the floor Alembic pays on every run; migdiff pays it once per
//! change. An entry holds the exporter's output, keyed by what it depends
//! on, and a warm run starts no Python.
//!
//! The key: the source (`module:attr`), the dialect, the project folder,
//! the extra import paths, the interpreter (path, size, mtime), the
//! exporter's own text, and the environment variables that can change what
//! the models say (`PYTHONPATH`, `PYTHONHOME`, `VIRTUAL_ENV` and those
//! named by `cache_env`). Beside it, every file the import loaded (the
//! project's, SQLAlchemy's, the standard library's) with its size and
//! modification time, checked the way Python checks a `.pyc`: stat, never
//! read, so a warm check of a few hundred files costs about a millisecond.
//! A corrupt entry, one written for another key, or one a version of
//! migdiff could not read is ignored and rebuilt, never trusted.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Entry format; entries of another version are ignored.
const FORMAT: u32 = 1;
/// Entries written longer ago are removed when a new one is written.
const MAX_AGE: Duration = Duration::from_secs(30 * 24 * 3600);
/// At most this many entries are kept (the least recently written go).
const MAX_ENTRIES: usize = 64;
/// Variables that change what an import finds, always in the key.
const IMPORT_ENV: &[&str] = &["PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"];

/// What a lookup found, for `-v`.
pub enum Lookup {
    Hit { output: String, files: usize },
    Miss(String),
}

#[derive(Serialize, Deserialize, PartialEq, Eq, Debug, Clone)]
pub struct Key {
    source: String,
    dialect: String,
    project: String,
    extra_paths: Vec<String>,
    python: (String, Option<Stamp>),
    exporter: u64,
    env: Vec<(String, Option<String>)>,
}

/// A file's size and modification time in nanoseconds.
type Stamp = (u64, u128);

#[derive(Serialize, Deserialize)]
struct Entry {
    format: u32,
    key: Key,
    /// Every file the export imported, with its stamp (None: missing).
    files: Vec<(String, Option<Stamp>)>,
    output: String,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some((meta.len(), mtime.as_nanos()))
}

/// migdiff's folder in the user cache: `$XDG_CACHE_HOME/migdiff`, else
/// `~/.cache/migdiff`.
pub fn user_cache() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".cache"))
        })?;
    Some(base.join("migdiff"))
}

/// Where the entries live: `<user cache>/models`.
pub fn directory() -> Option<PathBuf> {
    Some(user_cache()?.join("models"))
}

/// A stable 64-bit FNV-1a hash (file names and the exporter's identity;
/// not a security boundary: the whole key is compared on every hit).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Key {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        source: &str,
        dialect: &str,
        project: &Path,
        extra_paths: &[PathBuf],
        python: &Path,
        exporter: &str,
        cache_env: &[String],
    ) -> Key {
        // `python3` from PATH: the interpreter it names is what counts.
        let resolved = if python.components().count() == 1 {
            std::env::var_os("PATH")
                .and_then(|paths| {
                    std::env::split_paths(&paths)
                        .map(|d| d.join(python))
                        .find(|p| p.is_file())
                })
                .unwrap_or_else(|| python.to_path_buf())
        } else {
            python.to_path_buf()
        };
        let mut env: Vec<(String, Option<String>)> = IMPORT_ENV
            .iter()
            .map(|s| s.to_string())
            .chain(cache_env.iter().cloned())
            .map(|name| {
                let value = std::env::var(&name).ok();
                (name, value)
            })
            .collect();
        env.sort();
        env.dedup();
        Key {
            source: source.to_string(),
            dialect: dialect.to_string(),
            project: project.to_string_lossy().into_owned(),
            extra_paths: extra_paths
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect(),
            python: (resolved.to_string_lossy().into_owned(), stamp(&resolved)),
            exporter: fnv(exporter.as_bytes()),
            env,
        }
    }

    fn file_name(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        format!("{:016x}.json", fnv(text.as_bytes()))
    }
}

/// The cached output for `key`, if every file it depends on is unchanged.
pub fn lookup(dir: &Path, key: &Key) -> Lookup {
    let path = dir.join(key.file_name());
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Lookup::Miss("no entry for these models".into());
    };
    let Ok(entry) = serde_json::from_str::<Entry>(&text) else {
        return Lookup::Miss("the entry is unreadable; rebuilding it".into());
    };
    if entry.format != FORMAT || entry.key != *key {
        return Lookup::Miss("the entry was written for another setup; rebuilding it".into());
    }
    for (file, was) in &entry.files {
        if stamp(Path::new(file)) != *was {
            return Lookup::Miss(format!("{file} changed"));
        }
    }
    Lookup::Hit {
        files: entry.files.len(),
        output: entry.output,
    }
}

/// Stores `output` for `key` with the files it depends on; written to a
/// temporary file and renamed, so a reader never sees half an entry.
/// Failing to write a cache is never an error.
pub fn store(dir: &Path, key: &Key, files: &[String], output: &str) {
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let entry = Entry {
        format: FORMAT,
        key: key.clone(),
        files: files
            .iter()
            .map(|f| (f.clone(), stamp(Path::new(f))))
            .collect(),
        output: output.to_string(),
    };
    let Ok(text) = serde_json::to_string(&entry) else {
        return;
    };
    let path = dir.join(key.file_name());
    let tmp = dir.join(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
    if std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, &path))
        .is_err()
    {
        let _ = std::fs::remove_file(&tmp);
        return;
    }
    prune(dir);
}

/// Removes entries older than `MAX_AGE`, and the oldest beyond
/// `MAX_ENTRIES`.
fn prune(dir: &Path) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    let mut entries: Vec<(SystemTime, PathBuf)> = read
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    entries.sort();
    let excess = entries.len().saturating_sub(MAX_ENTRIES);
    for (i, (modified, path)) in entries.iter().enumerate() {
        let old = now.duration_since(*modified).unwrap_or_default() > MAX_AGE;
        if i < excess || old {
            let _ = std::fs::remove_file(path);
        }
    }
}

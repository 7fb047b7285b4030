//! Alembic's `post_write_hooks`, run on a revision migdiff wrote, in the
//! order the config lists them, as Alembic runs them: `console_scripts`
//! (an entry point of the project's Python), `exec` (an executable) and
//! `module` (`python -m`), each with `options` (the file's path replaces
//! `REVISION_SCRIPT_FILENAME`, or comes first when the token is absent)
//! and an optional `cwd`. Like Alembic, a hook's own exit status does not
//! undo the revision: the file stays, and migdiff says the hook failed.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use migdiff_alembic::config::PostWriteHook;
// Hook names appear in messages as Alembic's show them: Python's repr.
use migdiff_model::py_repr;

use crate::error::CliError;

const TOKEN: &str = "REVISION_SCRIPT_FILENAME";

/// The exit status the helper scripts use for "entry point / module not
/// found" (Alembic raises a CommandError there, before running anything).
const NOT_FOUND: i32 = 97;

/// Runs a console_scripts entry point of the interpreter it runs in.
const CONSOLE_SCRIPT: &str = r#"
import sys
from importlib.metadata import entry_points
name = sys.argv[1]
found = [e for e in entry_points(group="console_scripts") if e.name == name]
if not found:
    sys.exit(97)
sys.argv = [name, *sys.argv[2:]]
sys.exit(found[0].load()())
"#;

/// `python -m module`, with Alembic's check that the module exists first.
const RUN_MODULE: &str = r#"
import importlib.util, runpy, sys
name = sys.argv[1]
if importlib.util.find_spec(name) is None:
    sys.exit(97)
sys.argv = [name, *sys.argv[2:]]
runpy.run_module(name, run_name="__main__", alter_sys=True)
"#;

/// Runs every hook on `path`. A hook that cannot be run as configured is
/// an error (exit 2; the revision stays); a hook whose command exits
/// non-zero is reported on stderr and the rest still run.
pub fn run(
    hooks: &[PostWriteHook],
    path: &Path,
    python: &Path,
    quiet: bool,
) -> Result<(), CliError> {
    let mut out = anstream::stdout();
    for hook in hooks {
        let name = &hook.name;
        if !quiet {
            let _ = writeln!(out, "Running post write hook {} ...", py_repr(name));
            let _ = out.flush();
        }
        let result = run_one(hook, path, python);
        if !quiet {
            let _ = writeln!(out, "  {}", if result.is_err() { "FAILED" } else { "done" });
        }
        match result {
            Ok(0) => {}
            Ok(status) => {
                eprintln!(
                    "warning: post write hook {} exited with status {status}; the revision was kept as written: {}",
                    py_repr(name),
                    path.display()
                );
            }
            Err(message) => {
                return Err(CliError::usage(format!(
                    "{message}; the revision was written ({}) but not processed by this hook or the ones after it",
                    path.display()
                )));
            }
        }
    }
    Ok(())
}

fn required<'a>(hook: &'a PostWriteHook, key: &str) -> Result<&'a str, String> {
    hook.options.get(key).map(String::as_str).ok_or_else(|| {
        format!(
            "Key {}.{key} is required for post write hook {}",
            hook.name,
            py_repr(&hook.name)
        )
    })
}

/// Runs one hook; Ok(exit status) when its command ran.
fn run_one(hook: &PostWriteHook, path: &Path, python: &Path) -> Result<i32, String> {
    let kind = hook.options.get("type").ok_or_else(|| {
        format!(
            "Key '{}.type' (or 'type' in toml) is required for post write hook {}",
            hook.name,
            py_repr(&hook.name)
        )
    })?;
    let (mut cmd, what) = match kind.as_str() {
        "console_scripts" => {
            let entry = required(hook, "entrypoint")?;
            let mut c = Command::new(python);
            c.arg("-c").arg(CONSOLE_SCRIPT).arg(entry);
            (
                c,
                format!("Could not find entrypoint console_scripts.{entry}"),
            )
        }
        "exec" => {
            let exe = required(hook, "executable")?;
            (Command::new(exe), String::new())
        }
        "module" => {
            let module = required(hook, "module")?;
            let mut c = Command::new(python);
            c.arg("-c").arg(RUN_MODULE).arg(module);
            (c, format!("Could not find module {module}"))
        }
        other => return Err(format!("No formatter with name '{other}' registered")),
    };
    let options = hook
        .options
        .get("options")
        .map(String::as_str)
        .unwrap_or("");
    cmd.args(arguments(options, &path.to_string_lossy())?);
    if let Some(cwd) = hook.options.get("cwd") {
        cmd.current_dir(cwd);
    }
    let status = cmd.status().map_err(|e| {
        format!(
            "post write hook {} could not start {}: {e}",
            py_repr(&hook.name),
            cmd.get_program().to_string_lossy()
        )
    })?;
    match status.code() {
        Some(NOT_FOUND) if !what.is_empty() => Err(what),
        Some(code) => Ok(code),
        None => Ok(-1),
    }
}

/// The hook's `options` as arguments: split as a POSIX shell would (what
/// Alembic's `shlex.split` does), the revision's path in place of
/// `REVISION_SCRIPT_FILENAME`, which comes first when absent.
fn arguments(options: &str, path: &str) -> Result<Vec<String>, String> {
    let text = if options.contains(TOKEN) {
        options.to_string()
    } else {
        format!("{TOKEN} {options}")
    };
    Ok(shell_split(&text)?
        .into_iter()
        .map(|a| a.replace(TOKEN, path))
        .collect())
}

/// POSIX shell word splitting without expansion (Python's `shlex.split`).
fn shell_split(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(format!("options `{text}`: no closing quotation")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('\\' | '"' | '$' | '`')) => word.push(e),
                            Some(other) => {
                                word.push('\\');
                                word.push(other);
                            }
                            None => return Err(format!("options `{text}`: no closing quotation")),
                        },
                        Some(c) => word.push(c),
                        None => return Err(format!("options `{text}`: no closing quotation")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(e) => word.push(e),
                    None => return Err(format!("options `{text}`: no escaped character")),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_split_as_shlex_does() {
        assert_eq!(
            shell_split(r#"check --fix "a b" 'c d' e\ f "g\"h""#).expect("splits"),
            vec!["check", "--fix", "a b", "c d", "e f", "g\"h"]
        );
        assert!(shell_split("'open").is_err());
    }

    #[test]
    fn the_file_comes_first_unless_placed() {
        assert_eq!(
            arguments("-l 79", "/p/r.py").expect("ok"),
            vec!["/p/r.py", "-l", "79"]
        );
        assert_eq!(
            arguments("format REVISION_SCRIPT_FILENAME --quiet", "/p/r.py").expect("ok"),
            vec!["format", "/p/r.py", "--quiet"]
        );
    }
}

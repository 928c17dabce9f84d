//! Argument vectors for commands in a sandbox.
//!
//! Caller strings (command, arguments, working directory) only ever travel
//! as argv entries, and environment values never do: argv is visible in the
//! exec URL (and so in API-server audit logs), in `ps`, and in error
//! messages that name the command. Where a shell is needed (to change
//! directory and export variables before the program starts), the shell
//! runs [`AGENT_PRELUDE`], a fixed script that takes directory and variable
//! names from positional parameters and the values from its input, ahead
//! of the program's own input ([`AgentArgv::env_input`]). No caller byte is
//! ever part of shell text, so there is nothing to quote and nothing to
//! search or splice.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// `sh -c AGENT_PRELUDE sh <file> <cwd> <n> <KEY>... <cmd> <args>...`:
/// reads the `n` values from `file` (removed once open), or from stdin when
/// `file` is empty (one line count, then that many lines, per value; the
/// shell's `read` takes a byte at a time from a pipe, so the program's own
/// input is left where it starts); changes to `cwd` when not empty; exports
/// the variables; then replaces itself with the program.
pub const AGENT_PRELUDE: &str = r#"if [ -n "$1" ]; then exec 3<"$1" && rm -f "$1" || exit; else exec 3<&0; fi; if [ -n "$2" ]; then cd "$2" || exit; fi; n=$3; shift 3; while [ "$n" -gt 0 ]; do IFS= read -r c <&3 || exit 125; v=; nl=; while [ "$c" -gt 0 ]; do IFS= read -r l <&3 || exit 125; v=$v$nl$l; nl='
'; c=$((c - 1)); done; export "$1=$v" || exit; shift; n=$((n - 1)); done; exec 3<&-; exec "$@""#;

/// Whether `key` can name an environment variable for the prelude.
pub fn is_env_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    matches!(bytes.next(), Some(b'A'..=b'Z' | b'a'..=b'z' | b'_'))
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A command line for a sandbox, and the environment values it reads first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentArgv {
    pub argv: Vec<String>,
    /// The values, encoded for [`AGENT_PRELUDE`]: to be sent as the first
    /// bytes of the command's stdin (or staged in a file, see
    /// [`AgentArgv::read_env_from`]). `None` when no variable is set.
    pub env_input: Option<Vec<u8>>,
}

impl AgentArgv {
    /// The same command reading its values from `file` instead of stdin (a
    /// TTY's line discipline would echo and edit them). Returns `self`
    /// unchanged when there is no prelude.
    pub fn read_env_from(mut self, file: &str) -> Self {
        if self.argv.get(2).map(String::as_str) == Some(AGENT_PRELUDE) {
            self.argv[4] = file.to_string();
        }
        self
    }
}

/// `values` as [`AGENT_PRELUDE`] reads them: per value its line count, then
/// its lines, each ended by a newline.
fn encode_values<'a>(values: impl Iterator<Item = &'a String>) -> Vec<u8> {
    let mut out = Vec::new();
    for value in values {
        let lines: Vec<&str> = value.split('\n').collect();
        out.extend_from_slice(format!("{}\n", lines.len()).as_bytes());
        for line in lines {
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
    }
    out
}

/// The argv that runs `cmd args` in `cwd` with `env` added: `[cmd, args...]`
/// when neither is given, else the prelude. Errors (`INVALID_ARGUMENT`): an
/// empty command, a command starting with `-` (a shell's `exec` would read
/// it as an option), a NUL byte anywhere (argv cannot carry one), an
/// environment key that is not an identifier.
pub fn agent_argv(
    cmd: &str,
    args: &[String],
    env: &BTreeMap<String, String>,
    cwd: Option<&str>,
) -> Result<AgentArgv> {
    if cmd.is_empty() {
        return Err(Error::invalid_argument(
            "the command is empty: give the program to run",
        ));
    }
    if cmd.starts_with('-') {
        return Err(Error::invalid_argument(format!(
            "the command {cmd:?} starts with '-': give a program name or path (e.g. ./{cmd})"
        )));
    }
    for key in env.keys() {
        if !is_env_key(key) {
            return Err(Error::invalid_argument(format!(
                "Invalid environment variable key: {key} (letters, digits and '_', not starting with a digit)"
            )));
        }
    }
    let has_nul = |s: &str| s.contains('\0');
    if has_nul(cmd) || args.iter().any(|a| has_nul(a)) || env.values().any(|v| has_nul(v)) {
        return Err(Error::invalid_argument(
            "a command, argument or environment value contains a NUL byte, which a process cannot receive",
        ));
    }
    let cwd = cwd.filter(|c| !c.is_empty());
    if let Some(dir) = cwd
        && has_nul(dir)
    {
        return Err(Error::invalid_argument(
            "the working directory contains a NUL byte",
        ));
    }
    if cwd.is_none() && env.is_empty() {
        return Ok(AgentArgv {
            argv: std::iter::once(cmd.to_string())
                .chain(args.iter().cloned())
                .collect(),
            env_input: None,
        });
    }
    let mut argv = Vec::with_capacity(7 + env.len() + args.len());
    argv.extend([
        "sh".to_string(),
        "-c".into(),
        AGENT_PRELUDE.into(),
        "sh".into(),
        String::new(),
    ]);
    argv.push(cwd.map(cd_operand).unwrap_or_default());
    argv.push(env.len().to_string());
    argv.extend(env.keys().cloned());
    argv.push(cmd.to_string());
    argv.extend(args.iter().cloned());
    Ok(AgentArgv {
        argv,
        env_input: (!env.is_empty()).then(|| encode_values(env.values())),
    })
}

/// A relative directory as `./dir`: `cd` then neither reads a leading `-` as
/// an option (or `-` as the previous directory) nor searches `CDPATH`.
fn cd_operand(dir: &str) -> String {
    if dir.starts_with('/') || dir.starts_with("./") {
        dir.to_string()
    } else {
        format!("./{dir}")
    }
}

/// Runs `argv` under a shell that records its pid in `pid_file` (`$0`), so
/// that [`signal_argv`] can signal its process group later. The program is
/// `exec`ed in a subshell: run as `"$@"` a name such as `eval`, `[` or `cd`
/// would be the shell's builtin, not the program.
pub fn with_pid_file(argv: Vec<String>, pid_file: &str) -> Vec<String> {
    const SCRIPT: &str = r#"echo $$ > "$0"; (exec "$@"); rc=$?; rm -f "$0"; exit $rc"#;
    ["sh", "-c", SCRIPT, pid_file]
        .into_iter()
        .map(str::to_string)
        .chain(argv)
        .collect()
}

/// Signals the process group recorded in `pid_file` (else the process and
/// its children). `signal` is a name such as `SIGTERM` or `TERM`.
pub fn signal_argv(pid_file: &str, signal: &str) -> Result<Vec<String>> {
    // POSIX `kill -s SIG -- -PGID` (dash refuses `kill -SIG -- ...`).
    const SCRIPT: &str = r#"p=$(cat "$0" 2>/dev/null) || exit 0; kill -s "$1" -- -"$p" 2>/dev/null || { pkill -"$1" -P "$p"; kill -s "$1" "$p"; }; rm -f "$0""#;
    let name = signal.strip_prefix("SIG").unwrap_or(signal);
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Err(Error::invalid_argument(format!(
            "killSignal {signal:?} is not a signal name such as \"SIGTERM\""
        )));
    }
    Ok(["sh", "-c", SCRIPT, pid_file, name]
        .into_iter()
        .map(str::to_string)
        .collect())
}

/// A file path split into the directory to run `tar` in and the entry name.
#[derive(Debug, PartialEq, Eq)]
pub struct FilePath<'a> {
    pub dir: &'a str,
    pub name: &'a str,
}

/// Splits at the last `/`. Refused (`INVALID_ARGUMENT`): an empty path, a
/// path ending in `/`, a name of `.` or `..`, a NUL byte.
pub fn split_file_path(path: &str) -> Result<FilePath<'_>> {
    let invalid = |why: &str| Error::invalid_argument(format!("invalid path {path:?}: {why}"));
    if path.contains('\0') {
        return Err(invalid("it contains a NUL byte"));
    }
    let (dir, name) = match path.rfind('/') {
        None => (".", path),
        Some(0) => ("/", &path[1..]),
        Some(at) => (&path[..at], &path[at + 1..]),
    };
    match name {
        "" => Err(invalid("it names no file")),
        "." | ".." => Err(invalid("it names a directory")),
        _ => Ok(FilePath { dir, name }),
    }
}

/// A tmux session name tmux keeps as given: not empty, at most 256
/// characters, none of `.` `:` (tmux rewrites them) or control characters.
pub fn check_tmux_session_name(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.chars().count() > 256
        || name.chars().any(|c| c == '.' || c == ':' || c.is_control());
    if bad {
        return Err(Error::invalid_argument(format!(
            "invalid tmux session name {name:?}: use 1 to 256 characters without '.', ':' or control characters"
        )));
    }
    Ok(())
}

/// The exact-match target of a session (`=name`), never a prefix or pattern.
pub fn tmux_session_target(name: &str) -> String {
    format!("={name}")
}

/// The active pane of a session, matched exactly.
pub fn tmux_pane_target(name: &str) -> String {
    format!("={name}:")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn plain_commands_are_argv_only() {
        let argv = agent_argv("ls", &["-la".into()], &BTreeMap::new(), None).unwrap();
        assert_eq!(argv.argv, ["ls", "-la"]);
        assert_eq!(argv.env_input, None);
        let argv = agent_argv("ls", &[], &BTreeMap::new(), Some("")).unwrap();
        assert_eq!(argv.argv, ["ls"]);
    }

    #[test]
    fn the_prelude_gets_names_as_parameters_and_values_as_input() {
        let argv = agent_argv(
            "node",
            &["exec $(touch /tmp/x)".into()],
            &env(&[("A", "$(touch /tmp/y)"), ("B", "two\nlines\n")]),
            Some("dir"),
        )
        .unwrap();
        assert_eq!(
            &argv.argv[3..],
            [
                "sh",
                "",
                "./dir",
                "2",
                "A",
                "B",
                "node",
                "exec $(touch /tmp/x)"
            ]
        );
        assert_eq!(argv.argv[2], AGENT_PRELUDE);
        // No value in argv, all of them in the input.
        assert!(!argv.argv.iter().any(|a| a.contains("touch /tmp/y")));
        assert_eq!(
            argv.env_input.as_deref(),
            Some(&b"1\n$(touch /tmp/y)\n3\ntwo\nlines\n\n"[..])
        );
        let staged = argv.read_env_from("/tmp/.env-1");
        assert_eq!(staged.argv[4], "/tmp/.env-1");
    }

    #[test]
    fn refusals_are_coded() {
        let code = |r: Result<AgentArgv>| r.unwrap_err().code().as_str();
        let none = BTreeMap::new();
        assert_eq!(code(agent_argv("", &[], &none, None)), "INVALID_ARGUMENT");
        assert_eq!(code(agent_argv("-c", &[], &none, None)), "INVALID_ARGUMENT");
        assert_eq!(
            code(agent_argv("a\0b", &[], &none, None)),
            "INVALID_ARGUMENT"
        );
        assert_eq!(
            code(agent_argv("true", &[], &env(&[("BAD;KEY", "x")]), None)),
            "INVALID_ARGUMENT"
        );
        assert_eq!(
            code(agent_argv("true", &[], &env(&[("1A", "x")]), None)),
            "INVALID_ARGUMENT"
        );
        assert_eq!(
            code(agent_argv("true", &[], &none, Some("a\0"))),
            "INVALID_ARGUMENT"
        );
    }

    #[test]
    fn file_paths() {
        assert_eq!(
            split_file_path("/a/b.txt").unwrap(),
            FilePath {
                dir: "/a",
                name: "b.txt"
            }
        );
        assert_eq!(
            split_file_path("/b").unwrap(),
            FilePath {
                dir: "/",
                name: "b"
            }
        );
        assert_eq!(
            split_file_path("b").unwrap(),
            FilePath {
                dir: ".",
                name: "b"
            }
        );
        for bad in ["", "/a/", "/a/..", "a/.", "x\0y"] {
            assert!(split_file_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tmux_names() {
        assert!(check_tmux_session_name("agent-1").is_ok());
        assert!(check_tmux_session_name("-t").is_ok()); // always an option's value
        for bad in ["", "a.b", "a:b", "a\nb"] {
            assert!(check_tmux_session_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(tmux_session_target("ab"), "=ab");
        assert_eq!(tmux_pane_target("ab"), "=ab:");
    }
}

//! Argv assembly through a real `sh`: whatever bytes a caller gives as the
//! command, its arguments, environment values or working directory, the
//! program receives exactly those bytes and no shell ever interprets them.
//! Environment values arrive through the input (or a staged file), never
//! argv, and the program's own input follows them untouched.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use agent_sandbox::provider::command::agent_argv;
use proptest::prelude::*;

/// Prints its working directory, `$V0`..`$V2` (unset as `<unset>`), its
/// input and every argument, each followed by a NUL.
const DUMPER: &str = "#!/bin/sh\nprintf '%s\\0' \"$PWD\" \"${V0-<unset>}\" \"${V1-<unset>}\" \"${V2-<unset>}\" \"$(cat)\" \"$@\"\n";

/// What the program reads after the prelude took the values.
const PROGRAM_INPUT: &str = "the program's own input\nline 2";

#[path = "common/hostile.rs"]
mod hostile;
use hostile::hostile;

/// A hostile name that a file system accepts as one path segment and `exec`
/// finds as a program: no `/`, not `.`/`..`, not empty, no leading `-`.
fn program_name() -> impl Strategy<Value = String> {
    hostile().prop_map(|s| {
        let s = s.replace('/', "_");
        let s = s.trim_start_matches('-').to_string();
        // "sh" would put the dumper in place of the shell that runs the
        // prelude (it comes first in PATH), and the test would check the
        // dumper's output as if the prelude had run.
        if s.is_empty() || s == "." || s == ".." || s == "sh" {
            format!("p{s}")
        } else {
            s
        }
    })
}

/// Test threads write scripts and fork at once: a child forked while another
/// thread has a script open for writing makes that script's exec fail with
/// ETXTBSY. Writing and spawning take turns.
static SPAWN: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn spawn_lock() -> std::sync::MutexGuard<'static, ()> {
    SPAWN.lock().unwrap_or_else(|p| p.into_inner())
}

/// Writes the dumper as an executable `path`.
fn write_dumper(path: &Path) {
    let _turn = spawn_lock();
    std::fs::write(path, DUMPER).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Runs `argv` with `input` then [`PROGRAM_INPUT`] as its stdin.
fn run(argv: &[String], path: &Path, input: Option<&[u8]>) -> Vec<String> {
    use std::io::Write;
    let _turn = spawn_lock();
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .env_clear()
        .env("PATH", path)
        .current_dir("/")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the argv runs");
    let mut stdin = child.stdin.take().unwrap();
    let mut all = input.unwrap_or_default().to_vec();
    all.extend_from_slice(PROGRAM_INPUT.as_bytes());
    // From a thread: a program that reads nothing must not block the test.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&all);
    });
    let out = child.wait_with_output().expect("the argv runs");
    writer.join().unwrap();
    assert!(
        out.status.success(),
        "exit {:?}; stderr {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8 out");
    let mut fields: Vec<String> = text.split('\0').map(str::to_string).collect();
    assert_eq!(fields.pop().as_deref(), Some(""), "output ends in NUL");
    fields
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_program_receives_exactly_the_callers_bytes(
        name in program_name(),
        args in prop::collection::vec(hostile(), 0..5),
        values in prop::collection::vec(hostile(), 0..3),
        cwd in prop::option::of(program_name()),
        staged in any::<bool>(),
    ) {
        let root = tempfile::tempdir().unwrap();
        let bin = root.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        write_dumper(&bin.join(&name));
        let dir = cwd.as_ref().map(|c| {
            let d = root.path().join("work").join(c);
            std::fs::create_dir_all(&d).unwrap();
            d.to_str().unwrap().to_string()
        });
        let env: BTreeMap<String, String> =
            values.iter().enumerate().map(|(i, v)| (format!("V{i}"), v.clone())).collect();

        let argv = agent_argv(&name, &args, &env, dir.as_deref()).unwrap();
        // No value is ever an argv entry.
        for v in values.iter().filter(|v| v.len() > 3) {
            prop_assert!(!argv.argv.iter().skip(3).any(|a| a.contains(v.as_str())) || args.iter().any(|a| a.contains(v.as_str())) || name.contains(v.as_str()) || dir.as_deref().is_some_and(|d| d.contains(v.as_str())));
        }
        // A TTY session reads them from a staged file instead of stdin.
        let env_file = root.path().join("env-values");
        let (argv, input) = match (&argv.env_input, staged) {
            (Some(values), true) => {
                std::fs::write(&env_file, values).unwrap();
                (argv.clone().read_env_from(env_file.to_str().unwrap()), None)
            }
            _ => (argv.clone(), argv.env_input.clone()),
        };
        let path = format!("{}:/usr/bin:/bin", bin.display());
        let fields = run(&argv.argv, Path::new(&path), input.as_deref());

        prop_assert_eq!(&fields[0], dir.as_deref().unwrap_or("/"));
        for i in 0..3 {
            let want = values.get(i).map(String::as_str).unwrap_or("<unset>");
            prop_assert_eq!(&fields[1 + i], want);
        }
        prop_assert_eq!(&fields[4], PROGRAM_INPUT);
        prop_assert_eq!(&fields[5..], &args[..]);
        prop_assert!(!env_file.exists(), "a staged file is removed once read");
        // Nothing was run by a shell: no `pwned` file anywhere we ran.
        prop_assert!(!Path::new("/pwned").exists());
        prop_assert!(!root.path().join("work").join("pwned").exists());
        if let Some(d) = &dir {
            prop_assert!(!Path::new(d).join("pwned").exists());
        }
    }
}

#[test]
fn a_relative_cwd_that_looks_like_an_option_is_a_directory() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("-P")).unwrap();
    let argv = agent_argv("pwd", &[], &BTreeMap::new(), Some("-P"))
        .unwrap()
        .argv;
    let _turn = spawn_lock();
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(root.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let pwd = String::from_utf8(out.stdout).unwrap();
    assert!(pwd.trim_end().ends_with("/-P"), "{pwd}");
}

/// The same through the pid-file wrapper a `killSignal` session runs under
/// (`with_pid_file`): the program still receives exactly the caller's bytes,
/// and the pid file, whose name is hostile too, is written and removed.
mod with_pid_file {
    use super::*;
    use agent_sandbox::provider::command::with_pid_file;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn the_wrapped_program_receives_exactly_the_callers_bytes(
            name in program_name(),
            args in prop::collection::vec(hostile(), 0..5),
            values in prop::collection::vec(hostile(), 0..3),
            pid_name in program_name(),
        ) {
            let root = tempfile::tempdir().unwrap();
            let bin = root.path().join("bin");
            std::fs::create_dir(&bin).unwrap();
            write_dumper(&bin.join(&name));
            let env: BTreeMap<String, String> =
                values.iter().enumerate().map(|(i, v)| (format!("V{i}"), v.clone())).collect();
            let pid_file = root.path().join(format!("{pid_name}.pid"));
            let pid_file = pid_file.to_str().unwrap();

            let agent = agent_argv(&name, &args, &env, None).unwrap();
            let argv = with_pid_file(agent.argv, pid_file);
            let path = format!("{}:/usr/bin:/bin", bin.display());
            let fields = run(&argv, Path::new(&path), agent.env_input.as_deref());

            for i in 0..3 {
                let want = values.get(i).map(String::as_str).unwrap_or("<unset>");
                prop_assert_eq!(&fields[1 + i], want);
            }
            prop_assert_eq!(&fields[4], PROGRAM_INPUT);
            prop_assert_eq!(&fields[5..], &args[..]);
            prop_assert!(!Path::new(pid_file).exists(), "the pid file is removed");
            prop_assert!(!Path::new("/pwned").exists());
            prop_assert!(!root.path().join("pwned").exists());
        }
    }
}

/// `signal_argv` takes only a signal name; any other text is refused, and
/// an accepted name travels as an argument of a fixed script.
mod signal_argv {
    use super::*;
    use agent_sandbox::provider::command::{signal_argv, with_pid_file};

    proptest! {
        #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn only_signal_names_pass_and_only_as_arguments(signal in hostile(), pid_file in hostile()) {
            let fixed = signal_argv("/p", "TERM").unwrap();
            match signal_argv(&pid_file, &signal) {
                Err(e) => prop_assert_eq!(e.code().as_str(), "INVALID_ARGUMENT"),
                Ok(argv) => {
                    let name = signal.strip_prefix("SIG").unwrap_or(&signal);
                    prop_assert!(!name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
                    prop_assert_eq!(&argv[..3], &fixed[..3], "the script text never changes");
                    prop_assert_eq!(&argv[3], &pid_file);
                    prop_assert_eq!(&argv[4], name);
                }
            }
        }
    }

    #[test]
    fn kills_the_process_group_recorded_in_the_pid_file() {
        let root = tempfile::tempdir().unwrap();
        let pid_file = root.path().join("a 'b' $(c).pid");
        let pid_file = pid_file.to_str().unwrap();
        let argv = with_pid_file(vec!["sleep".into(), "30".into()], pid_file);
        let mut child = {
            let _turn = spawn_lock();
            Command::new(&argv[0])
                .args(&argv[1..])
                .process_group(0)
                .spawn()
                .unwrap()
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !Path::new(pid_file).exists() {
            assert!(std::time::Instant::now() < deadline, "the pid file appears");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let kill = signal_argv(pid_file, "SIGKILL").unwrap();
        let status = {
            let _turn = spawn_lock();
            Command::new(&kill[0]).args(&kill[1..]).status().unwrap()
        };
        assert!(status.success());
        let exited = child.wait().unwrap();
        assert!(
            !exited.success(),
            "the wrapped command was killed: {exited:?}"
        );
    }
}

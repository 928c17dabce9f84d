//! Argv assembly through a real `sh`: whatever bytes a caller gives as the
//! command, its arguments, environment values or working directory, the
//! program receives exactly those bytes and no shell ever interprets them.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use agent_sandbox::provider::command::agent_argv;
use proptest::prelude::*;

/// Prints its working directory, `$V0`..`$V2` (unset as `<unset>`) and
/// every argument, each followed by a NUL.
const DUMPER: &str = "#!/bin/sh\nprintf '%s\\0' \"$PWD\" \"${V0-<unset>}\" \"${V1-<unset>}\" \"${V2-<unset>}\" \"$@\"\n";

/// Text built to break naive quoting: quotes, `$()`, backticks, newlines,
/// `exec `, leading dashes, globs, unicode.
fn hostile() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "'",
        "\"",
        "\\",
        "$(touch pwned)",
        "`touch pwned`",
        "$HOME",
        "${V0}",
        "\n",
        "\t",
        " ",
        "exec ",
        "-",
        "--",
        "-c",
        "*",
        "?",
        "[a]",
        ";",
        "&&",
        "|",
        ">",
        "<",
        "#",
        "~",
        "é",
        "日本",
        "🙂",
        "\u{7f}",
        "\u{1b}[0m",
        "a",
        "b",
        "0",
        "=",
        "%s",
        "'\\''",
    ]);
    prop::collection::vec(
        prop_oneof![pieces.prop_map(str::to_string), "[ -~]{0,4}"],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

/// A hostile name that a file system accepts as one path segment and `exec`
/// finds as a program: no `/`, not `.`/`..`, not empty, no leading `-`.
fn program_name() -> impl Strategy<Value = String> {
    hostile().prop_map(|s| {
        let s = s.replace('/', "_");
        let s = s.trim_start_matches('-').to_string();
        if s.is_empty() || s == "." || s == ".." {
            format!("p{s}")
        } else {
            s
        }
    })
}

fn run(argv: &[String], path: &Path) -> Vec<String> {
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .env_clear()
        .env("PATH", path)
        .current_dir("/")
        .output()
        .expect("the argv runs");
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
    ) {
        let root = tempfile::tempdir().unwrap();
        let bin = root.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let program = bin.join(&name);
        std::fs::write(&program, DUMPER).unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let dir = cwd.as_ref().map(|c| {
            let d = root.path().join("work").join(c);
            std::fs::create_dir_all(&d).unwrap();
            d.to_str().unwrap().to_string()
        });
        let env: BTreeMap<String, String> =
            values.iter().enumerate().map(|(i, v)| (format!("V{i}"), v.clone())).collect();

        let argv = agent_argv(&name, &args, &env, dir.as_deref()).unwrap();
        let path = format!("{}:/usr/bin:/bin", bin.display());
        let fields = run(&argv, Path::new(&path));

        prop_assert_eq!(&fields[0], dir.as_deref().unwrap_or("/"));
        for i in 0..3 {
            let want = values.get(i).map(String::as_str).unwrap_or("<unset>");
            prop_assert_eq!(&fields[1 + i], want);
        }
        prop_assert_eq!(&fields[4..], &args[..]);
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
    let argv = agent_argv("pwd", &[], &BTreeMap::new(), Some("-P")).unwrap();
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(root.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let pwd = String::from_utf8(out.stdout).unwrap();
    assert!(pwd.trim_end().ends_with("/-P"), "{pwd}");
}

//! The Docker provider against a real dockerd: the one named by
//! AGENT_SANDBOX_TEST_DOCKER_HOST (scripts/test.sh starts one from
//! docker/testenv), with the images it built locally
//! (AGENT_SANDBOX_TEST_DOCKER_IMAGE: AgentPane-shaped, with tmux and tar).
//! Without that variable these tests say so and pass nothing off as run.

use std::collections::BTreeMap;
use std::time::Duration;

use agent_sandbox::ErrorCode;
use agent_sandbox::provider::{
    AgentCommand, DockerProvider, DockerProviderOptions, NetworkMode, SandboxConfig,
    SandboxProvider, SandboxStatus,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[path = "common/hostile.rs"]
mod hostile;
#[path = "common/sandbox_io.rs"]
mod sandbox_io;

struct Env {
    host: String,
    image: String,
}

fn env() -> Option<Env> {
    let host = std::env::var("AGENT_SANDBOX_TEST_DOCKER_HOST").ok()?;
    let image = std::env::var("AGENT_SANDBOX_TEST_DOCKER_IMAGE").ok()?;
    Some(Env { host, image })
}

macro_rules! docker_env {
    () => {
        match env() {
            Some(e) => e,
            None => {
                eprintln!(
                    "SKIPPED: AGENT_SANDBOX_TEST_DOCKER_HOST / _IMAGE not set (scripts/test.sh sets them)"
                );
                return;
            }
        }
    };
}

/// A provider in a scope of its own, so tests never see each other's sandboxes.
async fn provider(env: &Env, scope: &str) -> DockerProvider {
    DockerProvider::connect(DockerProviderOptions {
        host: Some(env.host.clone()),
        scope: format!("rust-{scope}-{}", std::process::id()),
        image: env.image.clone(),
        default_network_mode: NetworkMode::Bridge,
        ready_timeout: Duration::from_secs(60),
        ..DockerProviderOptions::default()
    })
    .await
    .expect("the test dockerd answers")
}

fn config(env: &Env, codespace: &str) -> SandboxConfig {
    SandboxConfig {
        codespace_id: codespace.into(),
        image: env.image.clone(),
        memory_mb: 256,
        cpu_cores: 1.0,
        idle_timeout_minutes: 30,
        ..SandboxConfig::default()
    }
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn create_exec_files_stop_round_trip() {
    let env = docker_env!();
    let p = provider(&env, "round").await;
    let mut events = Vec::new();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    p.events()
        .subscribe(move |e| sink.lock().unwrap().push(e.type_name()));
    let sb = p.create(config(&env, "cs-round")).await.unwrap();
    assert_eq!(sb.status(), SandboxStatus::Running);

    // Its hostname is its name; it runs as the non-root user; exit codes come through.
    let out = sb.exec("hostname", &[]).await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        sb.container_id()
    );
    let out = sb.exec("id", &args(&["-u"])).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1000");
    let root = sb.exec_as_root("id", &args(&["-u"])).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&root.stdout).trim(), "0");
    let out = sb
        .exec("sh", &args(&["-c", "echo err >&2; exit 7"]))
        .await
        .unwrap();
    assert_eq!((out.exit_code, out.stderr.as_slice()), (7, &b"err\n"[..]));

    // Files through the archive API: bytes and mode kept.
    let content: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    sb.write_file("/tmp/data.bin", &content, 0o640)
        .await
        .unwrap();
    assert_eq!(sb.read_file("/tmp/data.bin").await.unwrap(), content);
    let out = sb
        .exec("stat", &args(&["-c", "%a %u", "/tmp/data.bin"]))
        .await
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "640 1000");
    let missing = sb.read_file("/tmp/none").await.unwrap_err();
    assert_eq!(missing.code(), ErrorCode::CommandFailed);

    // A second create for the codespace is refused.
    let again = p.create(config(&env, "cs-round")).await.unwrap_err();
    assert_eq!(again.code(), ErrorCode::SandboxAlreadyExists);

    sb.stop("test").await.unwrap();
    assert_eq!(sb.refresh_status().await, SandboxStatus::Stopped);
    assert!(p.get_by_id(sb.id()).await.unwrap().is_none());
    events.extend(seen.lock().unwrap().iter().copied());
    assert_eq!(
        events,
        [
            "sandbox:creating",
            "sandbox:created",
            "sandbox:started",
            "sandbox:stopping",
            "sandbox:stopped"
        ]
    );
}

#[tokio::test]
async fn streams_take_input_env_and_a_terminal() {
    let env = docker_env!();
    let p = provider(&env, "stream").await;
    let sb = p.create(config(&env, "cs-stream")).await.unwrap();

    // stdin with half-close; env and cwd from the request, not argv.
    let mut session = sb
        .exec_stream(&AgentCommand {
            cmd: "sh".into(),
            args: args(&["-c", "pwd; printf '%s|' \"$SECRET\"; wc -c"]),
            env: BTreeMap::from([("SECRET".into(), "a b'c\nd".into())]),
            cwd: Some("/tmp".into()),
            stdin: true,
            ..AgentCommand::default()
        })
        .await
        .unwrap();
    let mut stdin = session.stdin().unwrap();
    let mut stdout = session.stdout().unwrap();
    stdin.write_all(&[b'x'; 100_000]).await.unwrap();
    stdin.shutdown().await.unwrap();
    let mut text = String::new();
    stdout.read_to_string(&mut text).await.unwrap();
    assert_eq!(text.trim(), "/tmp\na b'c\nd|100000");
    assert_eq!(session.wait().await.unwrap(), 0);

    // A TTY: one stream, the terminal's size set from here.
    let mut session = sb
        .exec_stream(&AgentCommand {
            cmd: "sh".into(),
            args: args(&["-c", "sleep 1; stty size"]),
            tty: true,
            ..AgentCommand::default()
        })
        .await
        .unwrap();
    assert!(session.stderr().is_none());
    let mut resize = session.terminal_size().unwrap();
    resize
        .try_send(agent_sandbox::exec::TerminalSize {
            width: 91,
            height: 33,
        })
        .unwrap();
    let mut out = String::new();
    session
        .stdout()
        .unwrap()
        .read_to_string(&mut out)
        .await
        .unwrap();
    assert_eq!(out.trim(), "33 91");
    assert_eq!(session.wait().await.unwrap(), 0);

    // Bytes that look like a frame header on a TTY are just bytes.
    let mut session = sb
        .exec_stream(&AgentCommand {
            cmd: "printf".into(),
            args: args(&["\\001\\000\\000\\000\\377\\377\\377\\377done"]),
            tty: true,
            ..AgentCommand::default()
        })
        .await
        .unwrap();
    let mut raw = Vec::new();
    session
        .stdout()
        .unwrap()
        .read_to_end(&mut raw)
        .await
        .unwrap();
    assert!(raw.ends_with(b"done"), "{raw:?}");
    assert_eq!(session.wait().await.unwrap(), 0);

    // kill_signal reaches the process group.
    let mut session = sb
        .exec_stream(&AgentCommand {
            cmd: "sleep".into(),
            args: args(&["600"]),
            kill_signal: Some("SIGTERM".into()),
            ..AgentCommand::default()
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    session.take_remote_kill().unwrap().await;
    let code = tokio::time::timeout(Duration::from_secs(20), session.wait())
        .await
        .expect("the killed command ends")
        .unwrap();
    assert_eq!(code, 143);
    sb.stop("test").await.unwrap();
}

#[tokio::test]
async fn memory_hog_is_killed_with_137() {
    let env = docker_env!();
    let p = provider(&env, "oom").await;
    let mut c = config(&env, "cs-oom");
    c.memory_mb = 32;
    let sb = p.create(c).await.unwrap();
    // The shell keeps what it captures (200 MB) in memory.
    let hog = r#"x=$(head -c 200000000 /dev/zero | tr '\0' a); echo ${#x}"#;
    let out = tokio::time::timeout(Duration::from_secs(60), sb.exec("sh", &args(&["-c", hog])))
        .await
        .expect("the memory hog ends, it does not hang")
        .unwrap();
    assert_eq!(
        out.exit_code,
        137,
        "{:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    sb.stop("test").await.unwrap();
}

#[tokio::test]
async fn network_none_has_only_loopback_and_cannot_reach_the_host() {
    let env = docker_env!();
    let p = provider(&env, "net").await;
    let mut c = config(&env, "cs-net");
    c.network_mode = Some(NetworkMode::None);
    let sb = p.create(c).await.unwrap();
    let out = sb.exec("ls", &args(&["/sys/class/net"])).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "lo");

    // A listener on the host side of the test daemon's bridge: a bridge
    // sandbox reaches it, the isolated one cannot.
    let Ok(host_ip) = std::env::var("AGENT_SANDBOX_TEST_DOCKER_HOST_IP") else {
        eprintln!("SKIPPED the reachability half: AGENT_SANDBOX_TEST_DOCKER_HOST_IP not set");
        sb.stop("test").await.unwrap();
        return;
    };
    let listener = tokio::net::TcpListener::bind((host_ip.as_str(), 0))
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = tokio::spawn(async move {
        let (mut conn, _) = listener.accept().await.unwrap();
        let mut got = String::new();
        conn.read_to_string(&mut got).await.unwrap();
        got
    });
    // Address and port as positional parameters, never in the script text.
    let port = port.to_string();
    let connect = args(&[
        "-c",
        r#"exec 3<>"/dev/tcp/$0/$1" && echo hello-from-bridge >&3"#,
        &host_ip,
        &port,
    ]);
    let isolated = sb.exec("bash", &connect).await.unwrap();
    assert_ne!(
        isolated.exit_code, 0,
        "the isolated sandbox reached the host"
    );
    let bridge = p.create(config(&env, "cs-net-bridge")).await.unwrap();
    let out = bridge.exec("bash", &connect).await.unwrap();
    assert_eq!(out.exit_code, 0, "{}", String::from_utf8_lossy(&out.stderr));
    let got = tokio::time::timeout(Duration::from_secs(20), accepted)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.trim(), "hello-from-bridge");
    sb.stop("test").await.unwrap();
    bridge.stop("test").await.unwrap();
}

#[tokio::test]
async fn recover_adopts_this_scopes_sandboxes_only() {
    let env = docker_env!();
    let first = provider(&env, "recover").await;
    let sb = first.create(config(&env, "cs-rec")).await.unwrap();
    let other = provider(&env, "recover-other").await;
    let foreign = other.create(config(&env, "cs-rec")).await.unwrap();

    // A new provider (as after a restart) of the first scope.
    let again = provider(&env, "recover").await;
    let result = again.recover().await.unwrap();
    assert_eq!((result.recovered, result.removed), (1, 0));
    let found = again.get("cs-rec").await.unwrap().expect("adopted");
    assert_eq!(found.id(), sb.id());
    assert_eq!(again.list().await.unwrap().len(), 1);
    found.stop("test").await.unwrap();
    foreign.stop("test").await.unwrap();
}

#[tokio::test]
async fn an_unpullable_image_is_a_coded_error_naming_it() {
    let env = docker_env!();
    let p = provider(&env, "pull").await;
    let image = "registry.invalid/agent-sandbox/none:1";
    assert!(!p.is_image_available(image).await.unwrap());
    let err = p.pull_image(image).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ImageNotFound);
    assert!(err.to_string().contains(image), "{err}");
    let mut c = config(&env, "cs-pull");
    c.image = image.into();
    let err = p.create(c).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ImageNotFound);
    assert!(p.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn metrics_come_from_the_daemons_stats() {
    let env = docker_env!();
    let p = provider(&env, "metrics").await;
    let sb = p.create(config(&env, "cs-metrics")).await.unwrap();
    let m = sb.metrics().await;
    assert_eq!(
        m.source,
        agent_sandbox::provider::metrics::MetricsSource::MetricsApi
    );
    assert_eq!(m.memory_limit_mb, 256.0);
    assert!(m.memory_usage_mb < 256.0, "{m:?}");
    assert!(m.uptime >= 0.0 && m.cpu_usage_percent >= 0.0, "{m:?}");
    sb.stop("test").await.unwrap();
}

#[tokio::test]
async fn read_only_root_and_pids_limit_are_applied() {
    let env = docker_env!();
    let p = DockerProvider::connect(DockerProviderOptions {
        host: Some(env.host.clone()),
        scope: format!("rust-ro-{}", std::process::id()),
        default_network_mode: NetworkMode::None,
        read_only_root_filesystem: true,
        pids_limit: 50,
        ..DockerProviderOptions::default()
    })
    .await
    .unwrap();
    let sb = p.create(config(&env, "cs-ro")).await.unwrap();
    let root = sb.exec("sh", &args(&["-c", "touch /etc/x"])).await.unwrap();
    assert_ne!(root.exit_code, 0, "the root filesystem is writable");
    for dir in ["/tmp", "/home/node"] {
        let script = r#"echo ok > "$0/f" && cat "$0/f""#;
        let out = sb.exec("sh", &args(&["-c", script, dir])).await.unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "ok",
            "{dir}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    sb.write_file("/tmp/through-archive", b"x", 0o600)
        .await
        .unwrap();
    let inspect = p
        .docker()
        .api()
        .inspect_container(sb.container_id(), None)
        .await
        .unwrap();
    let host = inspect.host_config.unwrap();
    assert_eq!(host.pids_limit, Some(50));
    assert_eq!(host.readonly_rootfs, Some(true));
    assert_eq!(host.network_mode.as_deref(), Some("none"));
    sb.stop("test").await.unwrap();
}

/// Prints its working directory, `$V0`, `$V1` (unset as `<unset>`) and
/// every argument, each followed by a NUL.
const DUMPER: &[u8] =
    b"#!/bin/sh\nprintf '%s\\0' \"$PWD\" \"${V0-<unset>}\" \"${V1-<unset>}\" \"$@\"\n";

/// Whatever bytes a caller gives as arguments, environment values or working
/// directory, the program in the container receives exactly those, and no
/// shell ever interprets them (the daemon takes env and directory in the
/// request body, argv as a list).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_arguments_values_and_directories_arrive_as_given() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    let env = docker_env!();
    let p = provider(&env, "hostile").await;
    let sb = p.create(config(&env, "cs-hostile")).await.unwrap();
    sb.write_file("/tmp/dump", DUMPER, 0o755).await.unwrap();
    let runtime = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let cases = (
        prop::collection::vec(hostile::hostile(), 0..4),
        prop::collection::vec(hostile::hostile(), 0..3),
        prop::option::of(hostile::hostile()),
    );
    let result = runner.run(&cases, |(arguments, values, dir)| {
        let dir = dir.map(|d| format!("/tmp/hostile/d{}", d.replace('/', "_")));
        let env_values: BTreeMap<String, String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("V{i}"), v.clone()))
            .collect();
        let fields = tokio::task::block_in_place(|| {
            runtime.block_on(async {
                if let Some(d) = &dir {
                    let made = sb.exec("mkdir", &args(&["-p", "--", d])).await.unwrap();
                    assert_eq!(
                        made.exit_code,
                        0,
                        "{}",
                        String::from_utf8_lossy(&made.stderr)
                    );
                }
                let mut session = sb
                    .exec_stream(&AgentCommand {
                        cmd: "/tmp/dump".into(),
                        args: arguments.clone(),
                        env: env_values.clone(),
                        cwd: dir.clone(),
                        ..AgentCommand::default()
                    })
                    .await
                    .unwrap();
                let mut out = Vec::new();
                session
                    .stdout()
                    .unwrap()
                    .read_to_end(&mut out)
                    .await
                    .unwrap();
                assert_eq!(session.wait().await.unwrap(), 0);
                String::from_utf8(out).unwrap()
            })
        });
        let mut fields: Vec<&str> = fields.split('\0').collect();
        prop_assert_eq!(fields.pop(), Some(""), "output ends in NUL");
        prop_assert_eq!(fields[0], dir.as_deref().unwrap_or("/home/node"));
        for i in 0..2 {
            let want = values.get(i).map(String::as_str).unwrap_or("<unset>");
            prop_assert_eq!(fields[1 + i], want);
        }
        prop_assert_eq!(
            &fields[3..],
            &arguments.iter().map(String::as_str).collect::<Vec<_>>()[..]
        );
        Ok::<(), TestCaseError>(())
    });
    // Nothing a value said was run by a shell anywhere.
    let pwned = sb
        .exec("find", &args(&["/", "-xdev", "-name", "pwned"]))
        .await
        .unwrap();
    sb.stop("test").await.unwrap();
    result.unwrap();
    assert_eq!(String::from_utf8_lossy(&pwned.stdout).trim(), "");
}

/// A TCP echo server for inside a sandbox (node is in the agent image),
/// printing its port once it listens on all of the container's addresses.
const ECHO_SERVER: &str = "const s = require('net').createServer((c) => c.pipe(c)); \
     s.listen(0, '0.0.0.0', () => console.log(s.address().port));";

#[tokio::test]
async fn forwarded_ports_echo_byte_exact_with_half_close_and_logs_read_back() {
    use agent_sandbox::logs::LogOptions;
    use agent_sandbox::port_forward::PortForwardOptions;
    use agent_sandbox::provider::SandboxPorts;

    let env = docker_env!();
    let p = provider(&env, "ports").await;
    let box_ = p.create(config(&env, "cs-ports")).await.unwrap();
    let mut server = box_
        .exec_stream(&AgentCommand {
            cmd: "node".into(),
            args: args(&["-e", ECHO_SERVER]),
            ..AgentCommand::default()
        })
        .await
        .unwrap();
    let port = sandbox_io::printed_port(&mut server.stdout().unwrap()).await;
    let forward = box_
        .forward_port(port, PortForwardOptions::default())
        .await
        .unwrap();
    assert!(forward.local_addr().ip().is_loopback());
    let clients = (0..3u8).map(|i| {
        let addr = forward.local_addr();
        async move {
            let payload: Vec<u8> = (0..300_000u32).map(|n| (n as u8) ^ i).collect();
            let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
            let (mut r, mut w) = c.split();
            let send = async {
                w.write_all(&payload).await.unwrap();
                // Half-close: the server sees the end and ends its echo.
                w.shutdown().await.unwrap();
            };
            let mut echoed = Vec::new();
            let (_, read) = tokio::join!(send, r.read_to_end(&mut echoed));
            read.unwrap();
            assert!(echoed == payload, "connection {i}: the echo differs");
        }
    });
    futures::future::join_all(clients).await;
    forward.close();
    forward.closed().await;
    assert!(
        tokio::net::TcpStream::connect(forward.local_addr())
            .await
            .is_err()
    );

    // The container's log: what its main process (PID 1) prints.
    let print = args(&["-c", "for l in a b c; do echo \"$l\" > /proc/1/fd/1; done"]);
    assert_eq!(box_.exec("sh", &print).await.unwrap().exit_code, 0);
    let tail = LogOptions {
        tail_lines: Some(2),
        ..LogOptions::default()
    };
    let lines = sandbox_io::all_lines(box_.logs(&tail).await.unwrap()).await;
    assert_eq!(lines, vec!["b", "c"]);
    server.abort();
    box_.stop("test").await.unwrap();
}

#[tokio::test]
async fn a_sandbox_without_a_network_has_no_port_to_forward() {
    use agent_sandbox::port_forward::PortForwardOptions;
    use agent_sandbox::provider::SandboxPorts;
    let env = docker_env!();
    let p = provider(&env, "noport").await;
    let isolated = SandboxConfig {
        network_mode: Some(NetworkMode::None),
        ..config(&env, "cs-isolated")
    };
    let box_ = p.create(isolated).await.unwrap();
    let err = box_
        .forward_port(8080, PortForwardOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::PortForwardFailed);
    assert!(err.to_string().contains("no network address"), "{err}");
    box_.stop("test").await.unwrap();
}

//! What a Docker sandbox is made of: its labels and its container's
//! configuration (limits, a non-root user, no capabilities, no new
//! privileges, the network), and how a container's state reads as a status.

use std::collections::HashMap;

use bollard::models::{ContainerCreateBody, ContainerStateStatusEnum, HostConfig};

use super::DockerProviderOptions;
use crate::provider::kubernetes::{LABEL_PROJECT_ID, LABEL_SANDBOX_ID};
use crate::provider::{NetworkMode, SandboxConfig, SandboxStatus};

/// Marks the containers this SDK made (`recover()` never touches others).
pub const LABEL_MANAGED_BY: &str = "agentpane.io/managed-by";
pub const MANAGED_BY: &str = "agent-sandbox-sdk";
/// The provider's scope (its `namespace` option): Docker has no namespaces.
pub const LABEL_SCOPE: &str = "agentpane.io/scope";
pub const LABEL_CODESPACE_ID: &str = "agentpane.io/codespace-id";
pub const LABEL_MEMORY_MB: &str = "agentpane.io/memory-mb";
pub const LABEL_CPU_CORES: &str = "agentpane.io/cpu-cores";
pub const LABEL_IDLE_TIMEOUT: &str = "agentpane.io/idle-timeout-minutes";

/// Keeps the container alive until it is removed (`docker-init` is PID 1
/// and reaps what the agent's commands leave behind).
const KEEP_ALIVE: [&str; 3] = ["tail", "-f", "/dev/null"];
/// Writable places on a read-only root filesystem.
const TMPFS_TMP: &str = "rw,nosuid,nodev,mode=1777";

/// The labels of a sandbox's container.
pub fn labels(
    options: &DockerProviderOptions,
    sandbox_id: &str,
    config: &SandboxConfig,
) -> HashMap<String, String> {
    HashMap::from([
        (LABEL_MANAGED_BY.to_string(), MANAGED_BY.to_string()),
        (LABEL_SCOPE.to_string(), options.scope.clone()),
        (LABEL_SANDBOX_ID.to_string(), sandbox_id.to_string()),
        (LABEL_PROJECT_ID.to_string(), config.codespace_id.clone()),
        (LABEL_CODESPACE_ID.to_string(), config.codespace_id.clone()),
        (LABEL_MEMORY_MB.to_string(), config.memory_mb.to_string()),
        (LABEL_CPU_CORES.to_string(), config.cpu_cores.to_string()),
        (
            LABEL_IDLE_TIMEOUT.to_string(),
            config.idle_timeout_minutes.to_string(),
        ),
    ])
}

/// List filters selecting this provider's containers, and `extra` labels.
pub fn filters(
    options: &DockerProviderOptions,
    extra: &[(&str, &str)],
) -> HashMap<String, Vec<String>> {
    let mut labels = vec![
        format!("{LABEL_MANAGED_BY}={MANAGED_BY}"),
        format!("{LABEL_SCOPE}={}", options.scope),
    ];
    labels.extend(extra.iter().map(|(k, v)| format!("{k}={v}")));
    HashMap::from([("label".to_string(), labels)])
}

/// The container of a sandbox; its hostname is its name.
pub fn container_body(
    options: &DockerProviderOptions,
    name: &str,
    sandbox_id: &str,
    config: &SandboxConfig,
    network: NetworkMode,
) -> ContainerCreateBody {
    let memory = i64::try_from(config.memory_mb.saturating_mul(1024 * 1024)).unwrap_or(i64::MAX);
    let tmpfs = options.read_only_root_filesystem.then(|| {
        let home = format!(
            "rw,nosuid,nodev,mode=0755,uid={uid},gid={uid}",
            uid = options.user_id()
        );
        HashMap::from([
            ("/tmp".to_string(), TMPFS_TMP.to_string()),
            (options.home.clone(), home),
        ])
    });
    ContainerCreateBody {
        hostname: Some(name.to_string()),
        image: Some(config.image.clone()),
        cmd: Some(KEEP_ALIVE.map(str::to_string).to_vec()),
        entrypoint: Some(Vec::new()),
        user: Some(options.user.clone()),
        env: Some(config.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        labels: Some(labels(options, sandbox_id, config)),
        host_config: Some(HostConfig {
            memory: Some(memory),
            // No swap beyond the limit: a memory hog is killed, not slowed.
            memory_swap: Some(memory),
            nano_cpus: Some((config.cpu_cores * 1e9).round() as i64),
            pids_limit: Some(options.pids_limit),
            cap_drop: Some(vec!["ALL".into()]),
            security_opt: Some(vec!["no-new-privileges".into()]),
            readonly_rootfs: Some(options.read_only_root_filesystem),
            tmpfs,
            network_mode: Some(
                match network {
                    NetworkMode::None => "none",
                    NetworkMode::Bridge => "bridge",
                }
                .into(),
            ),
            init: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A container's state as AgentPane's status: running is `running`, paused
/// `idle`, created or restarting `creating`, exited `stopped` (killed by
/// the memory limit, or dead: `error`).
pub fn status_of(state: Option<&ContainerStateStatusEnum>, oom_killed: bool) -> SandboxStatus {
    use ContainerStateStatusEnum as S;
    match state {
        Some(S::RUNNING) => SandboxStatus::Running,
        Some(S::PAUSED) => SandboxStatus::Idle,
        Some(S::CREATED | S::RESTARTING) => SandboxStatus::Creating,
        Some(S::REMOVING) => SandboxStatus::Stopping,
        Some(S::EXITED) if oom_killed => SandboxStatus::Error,
        Some(S::EXITED) => SandboxStatus::Stopped,
        Some(S::DEAD) => SandboxStatus::Error,
        _ => SandboxStatus::Error,
    }
}

/// A container list's `State` (a plain string there).
pub fn status_of_summary(state: &str) -> SandboxStatus {
    match state {
        "running" => SandboxStatus::Running,
        "paused" => SandboxStatus::Idle,
        "created" | "restarting" => SandboxStatus::Creating,
        "removing" => SandboxStatus::Stopping,
        "exited" => SandboxStatus::Stopped,
        _ => SandboxStatus::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_container_is_limited_and_unprivileged() {
        let options = DockerProviderOptions::default();
        let config = SandboxConfig {
            codespace_id: "cs".into(),
            image: "img".into(),
            memory_mb: 512,
            cpu_cores: 1.5,
            ..Default::default()
        };
        let body = container_body(&options, "box-1", "sb1", &config, NetworkMode::None);
        assert_eq!(body.hostname.as_deref(), Some("box-1"));
        let host = body.host_config.unwrap();
        assert_eq!(host.memory, Some(512 * 1024 * 1024));
        assert_eq!(host.memory_swap, host.memory);
        assert_eq!(host.nano_cpus, Some(1_500_000_000));
        assert_eq!(host.cap_drop, Some(vec!["ALL".to_string()]));
        assert_eq!(host.network_mode.as_deref(), Some("none"));
        assert_eq!(body.user.as_deref(), Some("1000:1000"));
        let labels = body.labels.unwrap();
        assert_eq!(labels[LABEL_SANDBOX_ID], "sb1");
        assert_eq!(labels[LABEL_PROJECT_ID], "cs");
        assert_eq!(labels[LABEL_SCOPE], options.scope);
    }

    #[test]
    fn states_map_to_statuses() {
        use ContainerStateStatusEnum as S;
        assert_eq!(status_of(Some(&S::RUNNING), false), SandboxStatus::Running);
        assert_eq!(status_of(Some(&S::EXITED), false), SandboxStatus::Stopped);
        assert_eq!(status_of(Some(&S::EXITED), true), SandboxStatus::Error);
        assert_eq!(status_of_summary("paused"), SandboxStatus::Idle);
        assert_eq!(status_of_summary("bogus"), SandboxStatus::Error);
    }
}

//! Sandbox providers: one interface over the backends that run AgentPane's
//! sandboxes (Kubernetes here; Docker plugs into the same traits).
//!
//! - [`SandboxProvider`]: create, find, list, recover and clean up sandboxes,
//!   health, images, warm pool, events;
//! - [`Sandbox`]: one running sandbox: exec (buffered and streaming), files,
//!   tmux, stop, activity, status, metrics;
//! - [`command`]: argv assembly (no shell text is ever built from caller
//!   strings), [`status`]: the status rule, [`events`]: what providers emit,
//!   [`metrics`]: the in-sandbox metrics probe;
//! - [`kubernetes`]: the Agent Sandbox controller implementation;
//! - [`docker`]: containers on a Docker daemon.

mod activity;
mod cache;
pub mod command;
pub mod docker;
pub mod errors;
pub mod events;
pub mod kubernetes;
pub mod metrics;
pub mod naming;
pub mod select;
pub mod status;
mod tmux;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

pub use crate::cancel::CancellationToken;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};
use crate::exec::{ExecOutput, ExecSession};
use crate::logs::{LogLines, LogOptions};
use crate::port_forward::{PortForward, PortForwardOptions, Relay};

pub use docker::{DockerProvider, DockerProviderOptions, DockerSandbox};
pub(crate) use errors::command_failed;
pub use events::{Events, ProviderEvent};
pub use kubernetes::{KubernetesProvider, KubernetesProviderOptions, KubernetesSandbox};
pub use metrics::SandboxMetrics;
pub use status::SandboxStatus;

/// AgentPane's defaults for a sandbox.
pub mod defaults {
    pub const IMAGE: &str = "srlynch1/agent-sandbox:latest";
    pub const MEMORY_MB: u64 = 4096;
    pub const CPU_CORES: f64 = 2.0;
    pub const IDLE_TIMEOUT_MINUTES: u64 = 30;
    pub const USER_HOME: &str = "/home/node";
    /// The container commands run in.
    pub const CONTAINER: &str = "sandbox";
}

/// `bridge` (default) or `none` (isolated).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkMode {
    #[default]
    Bridge,
    None,
}

impl NetworkMode {
    /// `none` only when `SANDBOX_DEFAULT_NETWORK_MODE` is `none`.
    pub fn default_from_env() -> Self {
        Self::from_setting(
            std::env::var("SANDBOX_DEFAULT_NETWORK_MODE")
                .ok()
                .as_deref(),
        )
    }

    /// The rule for a value of `SANDBOX_DEFAULT_NETWORK_MODE` read elsewhere
    /// (a JS runtime's `process.env` is not always the process environment).
    pub fn from_setting(value: Option<&str>) -> Self {
        match value {
            Some("none") => NetworkMode::None,
            _ => NetworkMode::Bridge,
        }
    }
}

/// What to create (AgentPane's `SandboxConfig`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SandboxConfig {
    pub id: Option<String>,
    pub codespace_id: String,
    pub codespace_path: Option<String>,
    pub image: String,
    pub memory_mb: u64,
    pub cpu_cores: f64,
    pub idle_timeout_minutes: u64,
    pub volume_mounts: Vec<serde_json::Value>,
    pub env: BTreeMap<String, String>,
    pub network_mode: Option<NetworkMode>,
}

/// A sandbox as `list()` reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxInfo {
    pub id: String,
    pub codespace_id: String,
    pub container_id: String,
    pub status: SandboxStatus,
    pub image: String,
    pub created_at: String,
    pub last_activity_at: String,
    pub memory_mb: u64,
    pub cpu_cores: f64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverResult {
    pub recovered: u32,
    pub removed: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProviderHealth {
    pub healthy: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub details: serde_json::Value,
}

/// Which cached sandboxes `cleanup()` removes.
#[derive(Clone, Debug)]
pub struct CleanupOptions {
    /// Statuses to remove (default: `stopped`).
    pub statuses: Vec<SandboxStatus>,
    /// Only those whose last activity is older.
    pub older_than: Option<SystemTime>,
}

impl Default for CleanupOptions {
    fn default() -> Self {
        CleanupOptions {
            statuses: vec![SandboxStatus::Stopped],
            older_than: None,
        }
    }
}

/// A streaming command (AgentPane's `execStream` options).
#[derive(Clone, Debug, Default)]
pub struct AgentCommand {
    pub cmd: String,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub cwd: Option<String>,
    pub stdin: bool,
    pub tty: bool,
    /// Opt-in: a signal name (`SIGTERM`) that killing the session also
    /// sends to the remote process group.
    pub kill_signal: Option<String>,
}

/// A tmux session inside a sandbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TmuxSession {
    pub name: String,
    pub sandbox_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    pub created_at: String,
    pub window_count: u32,
    pub attached: bool,
}

/// A shared handle to a sandbox of any backend.
pub type SandboxHandle = Arc<dyn Sandbox>;

/// One running sandbox.
#[async_trait]
pub trait Sandbox: Send + Sync + 'static {
    fn id(&self) -> &str;
    fn codespace_id(&self) -> &str;
    /// The backend's name for it (the Sandbox or container name).
    fn container_id(&self) -> &str;
    fn status(&self) -> SandboxStatus;
    /// Marks activity now (and may extend the sandbox's expiry).
    fn touch(&self);
    fn last_activity(&self) -> SystemTime;

    /// Runs `cmd args` to completion; output is not trimmed here.
    async fn exec(&self, cmd: &str, args: &[String]) -> Result<ExecOutput>;
    /// Runs `cmd args` as root where the backend can (Docker); elsewhere
    /// (Kubernetes pods run as UID 1000) it warns and runs as the sandbox's
    /// user, as AgentPane's provider did.
    async fn exec_as_root(&self, cmd: &str, args: &[String]) -> Result<ExecOutput> {
        tracing::warn!(command = %cmd, "execAsRoot: sandbox pods run as a non-root user; running as that user");
        self.exec(cmd, args).await
    }
    /// Starts an agent command with streamed output.
    async fn exec_stream(&self, command: &AgentCommand) -> Result<ExecSession>;
    async fn write_file(&self, path: &str, content: &[u8], mode: u32) -> Result<()>;
    async fn read_file(&self, path: &str) -> Result<Vec<u8>>;
    /// Removes the sandbox; `reason` goes to the stopping event.
    async fn stop(&self, reason: &str) -> Result<()>;
    /// Reads the backend's status; never fails (a gone sandbox is `stopped`).
    async fn refresh_status(&self) -> SandboxStatus;
    async fn metrics(&self) -> SandboxMetrics;
    /// How a connection reaches `remote_port` inside the sandbox (see
    /// [`SandboxPorts::forward_port`], which listens and relays). Fails when
    /// the sandbox is gone or cannot be reached at all.
    async fn port_relay(&self, remote_port: u16) -> Result<Arc<dyn Relay>>;
    /// The sandbox's log (what its main process prints) as lines.
    async fn logs(&self, options: &LogOptions) -> Result<LogLines>;

    async fn create_tmux_session(&self, name: &str, task_id: Option<&str>) -> Result<TmuxSession> {
        tmux::create(self, name, task_id).await
    }
    async fn list_tmux_sessions(&self) -> Result<Vec<TmuxSession>> {
        tmux::list(self).await
    }
    async fn kill_tmux_session(&self, name: &str) -> Result<()> {
        tmux::kill(self, name).await
    }
    async fn send_keys_to_tmux(&self, name: &str, keys: &str) -> Result<()> {
        tmux::send_keys(self, name, keys).await
    }
    async fn capture_tmux_pane(&self, name: &str, lines: u32) -> Result<String> {
        tmux::capture(self, name, lines).await
    }
}

/// Port forwarding on a sandbox handle.
#[async_trait]
pub trait SandboxPorts {
    /// Reaches `remote_port` inside the sandbox through a listener on
    /// 127.0.0.1 (see [`crate::port_forward`]). Fails now when the sandbox
    /// is gone or has no reachable address; a connection that cannot reach
    /// the port is reported by the forward. Every connection is activity
    /// (`touch()`): a sandbox in use through its ports is not idle.
    async fn forward_port(
        &self,
        remote_port: u16,
        options: PortForwardOptions,
    ) -> Result<PortForward>;
}

#[async_trait]
impl SandboxPorts for SandboxHandle {
    async fn forward_port(
        &self,
        remote_port: u16,
        options: PortForwardOptions,
    ) -> Result<PortForward> {
        crate::port_forward::check_port("the remote port", remote_port)?;
        let inner = self.port_relay(remote_port).await?;
        self.touch();
        let relay = ActiveRelay {
            inner,
            sandbox: Arc::downgrade(self),
        };
        PortForward::start(remote_port, options, Arc::new(relay)).await
    }
}

/// A relay that marks its sandbox active on every connection.
struct ActiveRelay {
    inner: Arc<dyn Relay>,
    sandbox: std::sync::Weak<dyn Sandbox>,
}

#[async_trait]
impl Relay for ActiveRelay {
    async fn relay(&self, local: tokio::net::TcpStream) -> Result<()> {
        if let Some(sandbox) = self.sandbox.upgrade() {
            sandbox.touch();
        }
        self.inner.relay(local).await
    }
}

impl std::fmt::Debug for dyn Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("id", &self.id())
            .field("container_id", &self.container_id())
            .field("status", &self.status())
            .finish()
    }
}

/// A backend that runs sandboxes (AgentPane's `EventEmittingSandboxProvider`).
#[async_trait]
pub trait SandboxProvider: Send + Sync + 'static {
    /// `kubernetes`, `docker`, ...
    fn name(&self) -> &'static str;
    /// The provider's events; subscribe before acting to see them all.
    fn events(&self) -> &Events;

    async fn create(&self, config: SandboxConfig) -> Result<SandboxHandle> {
        self.create_cancellable(config, CancellationToken::new())
            .await
    }
    /// `create`, ended early by `cancel`: it then removes what it made (the
    /// Sandbox, claim and NetworkPolicy) and fails with `CANCELLED`.
    async fn create_cancellable(
        &self,
        config: SandboxConfig,
        cancel: CancellationToken,
    ) -> Result<SandboxHandle>;
    /// The codespace's live sandbox (never another codespace's), or `None`.
    async fn get(&self, codespace_id: &str) -> Result<Option<SandboxHandle>>;
    async fn get_by_id(&self, sandbox_id: &str) -> Result<Option<SandboxHandle>>;
    /// Every sandbox this provider manages, with its real status.
    async fn list(&self) -> Result<Vec<SandboxInfo>>;
    /// Adopts live sandboxes left by an earlier process, removes dead ones.
    async fn recover(&self) -> Result<RecoverResult>;
    /// Refreshes every cached sandbox, forgetting gone ones.
    async fn validate_sandboxes(&self) -> Result<()>;
    async fn cleanup(&self, options: &CleanupOptions) -> Result<u32>;
    async fn health_check(&self) -> ProviderHealth;
    async fn pull_image(&self, image: &str) -> Result<()>;
    async fn is_image_available(&self, image: &str) -> Result<bool>;
    /// Creates or resizes the warm pool (a no-op where it is off).
    async fn init_warm_pool(&self) -> Result<()>;
    /// Fails when network isolation is asked for and cannot be enforced.
    async fn assert_network_isolation_support(&self) -> Result<()>;
}

/// A failed call of the cluster API as the JS client reports one:
/// `K8S_API_ERROR` with `CRUD <op> failed: <msg>`, the finer code in
/// `details.type`, the HTTP status of the answer where there was one.
pub(crate) fn crud_failed(op: &str, err: Error) -> Error {
    if matches!(err, Error::Provider { .. }) {
        return err;
    }
    Error::provider(
        ErrorCode::Api,
        format!("CRUD {op} failed: {}", message_of(&err)),
        serde_json::json!({ "type": err.code().as_str() }),
        Some(err),
    )
}

/// The message of an error without the codes around it.
pub(crate) fn message_of(err: &Error) -> String {
    match err {
        Error::Exec { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// RFC 3339 time, millisecond precision (what JS's `toISOString` gives).
pub(crate) fn iso_time(t: SystemTime) -> String {
    let ms = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn iso_time_matches_js() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_764_633_600_123);
        assert_eq!(iso_time(t), "2025-12-02T00:00:00.123Z");
        assert_eq!(iso_time(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(iso_time(leap), "2000-02-29T00:00:00.000Z");
    }
}

//! One sandbox container as a [`Sandbox`] handle.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;

use super::Shared;
use super::container::status_of;
use crate::docker::{Docker, ExecSpec, api_error};
use crate::error::{Error, Result};
use crate::exec::{DEFAULT_MAX_OUTPUT_BYTES, ExecOutput, ExecSession};
use crate::logs::{LogLines, LogOptions};
use crate::port_forward::{self, Relay};
use crate::provider::activity::Activity;
use crate::provider::command::{agent_argv, signal_argv, split_file_path, with_pid_file};
use crate::provider::metrics::{MetricsSource, SandboxMetrics};
use crate::provider::{
    AgentCommand, ProviderEvent, Sandbox, SandboxStatus, command_failed, errors,
    errors::{tar_failed, transfer_failed},
    message_of,
};
use crate::tar;

/// Deadline of the remote kill and of the daemon's stats.
const SIDE_CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// A sandbox container.
pub struct DockerSandbox {
    id: String,
    codespace_id: String,
    name: String,
    docker: Docker,
    idle_timeout: Option<Duration>,
    activity: Activity,
    started: SystemTime,
    /// The daemon refuses archive uploads to a read-only root filesystem
    /// (even into its tmpfs mounts): files then go through `tar` run as the
    /// sandbox's user.
    read_only_root: bool,
    owner: Weak<Shared>,
}

/// How to reach a container that exists.
#[derive(Clone, Debug)]
pub struct ContainerRef {
    pub id: String,
    pub codespace_id: String,
    pub name: String,
    pub idle_timeout_minutes: u64,
    pub status: SandboxStatus,
    pub started: SystemTime,
}

impl DockerSandbox {
    pub(super) fn new(
        docker: Docker,
        r: ContainerRef,
        read_only_root: bool,
        owner: Weak<Shared>,
    ) -> Self {
        DockerSandbox {
            id: r.id,
            codespace_id: r.codespace_id,
            name: r.name,
            docker,
            idle_timeout: (r.idle_timeout_minutes > 0)
                .then(|| Duration::from_secs(r.idle_timeout_minutes * 60)),
            activity: Activity::new(r.status),
            started: r.started,
            read_only_root,
            owner,
        }
    }

    /// The container as the daemon reports it.
    async fn inspect(&self) -> Result<bollard::models::ContainerInspectResponse> {
        self.docker
            .api()
            .inspect_container(&self.name, None)
            .await
            .map_err(|e| api_error("inspect", e))
    }

    /// The container's address on its network, which this host reaches
    /// when the daemon runs here.
    async fn address(&self) -> Result<IpAddr> {
        let unsupported = |why: String| {
            Error::provider(
                crate::ErrorCode::PortForwardFailed,
                why,
                serde_json::json!({ "sandbox": self.name }),
                None,
            )
        };
        let endpoint = self.docker.endpoint();
        if !endpoint.is_on_this_host() {
            return Err(unsupported(format!(
                "forwardPort reaches a container at its address on the daemon's network, which only the daemon's host can; this daemon is at {endpoint}"
            )));
        }
        let info = self.inspect().await?;
        let address = info
            .network_settings
            .and_then(|n| n.networks)
            .into_iter()
            .flat_map(|networks| networks.into_values())
            .filter_map(|n| n.ip_address)
            .find_map(|ip| ip.parse::<IpAddr>().ok());
        address.ok_or_else(|| {
            unsupported(format!(
                "sandbox {} has no network address (network mode 'none', or it is not running): nothing outside it can reach its ports",
                self.name
            ))
        })
    }

    /// The container's name.
    pub fn container_name(&self) -> &str {
        &self.name
    }

    fn set_status(&self, next: SandboxStatus) {
        if let Some(idle) = self.activity.set(&self.id, next)
            && let Some(owner) = self.owner.upgrade()
        {
            owner.events.emit(idle);
        }
    }

    /// Past its idle timeout: no activity for that long (a controller's
    /// `shutdownTime` on Kubernetes; here the provider ends it).
    fn expired(&self) -> bool {
        self.idle_timeout.is_some_and(|limit| {
            SystemTime::now()
                .duration_since(self.last_activity())
                .is_ok_and(|idle| idle > limit)
        })
    }

    fn spec(argv: Vec<String>) -> ExecSpec {
        ExecSpec {
            argv,
            ..ExecSpec::default()
        }
    }

    /// The archive of `path` (a symlink is read as what it points to, one
    /// level, as `tar h` does on Kubernetes), at most `limit` bytes.
    async fn download(&self, path: &str, limit: u64) -> Result<Vec<u8>> {
        let api = self.docker.api();
        let mut target = path.to_string();
        if let Ok(info) = api
            .get_container_archive_info(&self.name, Some(archive_options(path)))
            .await
            && let link = info.link_target
            && !link.is_empty()
        {
            target = if link.starts_with('/') {
                link
            } else {
                let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                format!("{dir}/{link}")
            };
        }
        let mut stream = Box::pin(api.download_from_container(
            &self.name,
            Some(bollard::query_parameters::DownloadFromContainerOptions { path: target }),
        ));
        let mut archive = Vec::new();
        // The archive of the file: its content, a header, padding, trailer.
        let cap = limit.saturating_add(64 * 1024);
        while let Some(chunk) = stream.next().await {
            let chunk: Bytes = chunk.map_err(|e| api_error("readFile", e))?;
            if (archive.len() + chunk.len()) as u64 > cap {
                return Err(Error::OutputTooLarge {
                    operation: format!("readFile {path}"),
                    limit,
                });
            }
            archive.extend_from_slice(&chunk);
        }
        Ok(archive)
    }
}

fn archive_options(path: &str) -> bollard::query_parameters::ContainerArchiveInfoOptions {
    bollard::query_parameters::ContainerArchiveInfoOptions {
        path: path.to_string(),
    }
}

#[async_trait]
impl Sandbox for DockerSandbox {
    fn id(&self) -> &str {
        &self.id
    }

    fn codespace_id(&self) -> &str {
        &self.codespace_id
    }

    fn container_id(&self) -> &str {
        &self.name
    }

    fn status(&self) -> SandboxStatus {
        self.activity.status()
    }

    fn touch(&self) {
        self.activity.touch();
    }

    fn last_activity(&self) -> SystemTime {
        self.activity.last()
    }

    async fn exec(&self, cmd: &str, args: &[String]) -> Result<ExecOutput> {
        self.touch();
        let run = async {
            let argv = agent_argv(cmd, args, &Default::default(), None)?.argv;
            self.docker
                .exec_output(
                    &self.name,
                    &Self::spec(argv),
                    None,
                    DEFAULT_MAX_OUTPUT_BYTES,
                )
                .await
        };
        run.await
            .map_err(|e| command_failed(cmd, message_of(&e), Some(e)))
    }

    async fn exec_as_root(&self, cmd: &str, args: &[String]) -> Result<ExecOutput> {
        self.touch();
        let run = async {
            let argv = agent_argv(cmd, args, &Default::default(), None)?.argv;
            let spec = ExecSpec {
                // Root without capabilities and without new privileges.
                user: Some("0:0".into()),
                ..Self::spec(argv)
            };
            self.docker
                .exec_output(&self.name, &spec, None, DEFAULT_MAX_OUTPUT_BYTES)
                .await
        };
        run.await
            .map_err(|e| command_failed(cmd, message_of(&e), Some(e)))
    }

    async fn exec_stream(&self, command: &AgentCommand) -> Result<ExecSession> {
        self.touch();
        let cmd = command.cmd.as_str();
        let failed = |e: Error| command_failed(cmd, message_of(&e), Some(e));
        // The same checks as on Kubernetes; here the daemon takes the
        // directory and the variables itself (in the request body, never in
        // argv), so no prelude is needed.
        agent_argv(cmd, &command.args, &command.env, command.cwd.as_deref()).map_err(failed)?;
        let mut argv: Vec<String> = std::iter::once(cmd.to_string())
            .chain(command.args.iter().cloned())
            .collect();
        let pid_file = command.kill_signal.as_ref().map(|_| {
            format!(
                "/tmp/.agent-sandbox-exec-{}.pid",
                crate::provider::naming::create_id()
            )
        });
        let kill = match (&command.kill_signal, &pid_file) {
            (Some(signal), Some(file)) => {
                let kill = signal_argv(file, signal).map_err(failed)?;
                argv = with_pid_file(argv, file);
                Some(kill)
            }
            _ => None,
        };
        let spec = ExecSpec {
            argv,
            env: command
                .env
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
            working_dir: command.cwd.clone().filter(|c| !c.is_empty()),
            user: None,
            stdin: command.stdin,
            tty: command.tty,
        };
        let mut session = self.docker.exec(&self.name, &spec).await.map_err(failed)?;
        if let Some(kill) = kill {
            let (docker, name) = (self.docker.clone(), self.name.clone());
            session.set_remote_kill(Box::pin(async move {
                let spec = Self::spec(kill);
                let run = docker.exec_output(&name, &spec, None, 64 * 1024);
                match tokio::time::timeout(SIDE_CALL_TIMEOUT, run).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "could not signal the remote process"),
                    Err(_) => tracing::warn!("signalling the remote process timed out"),
                }
            }));
        }
        Ok(session)
    }

    async fn write_file(&self, path: &str, content: &[u8], mode: u32) -> Result<()> {
        let failed = |e: Error| transfer_failed("writeFile", "write", path, e);
        let file = split_file_path(path).map_err(failed)?;
        let mtime = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let archive = tar::single_file_archive(file.name, content, mode, mtime).map_err(failed)?;
        if self.read_only_root {
            let argv = ["tar", "xf", "-", "-C", file.dir]
                .map(str::to_string)
                .to_vec();
            let out = self
                .docker
                .exec_output(&self.name, &Self::spec(argv), Some(&archive), 64 * 1024)
                .await
                .map_err(failed)?;
            if out.exit_code != 0 {
                return Err(tar_failed("writeFile", "tar xf", "writing", path, &out));
            }
            self.touch();
            return Ok(());
        }
        let options = bollard::query_parameters::UploadToContainerOptions {
            path: file.dir.to_string(),
            ..Default::default()
        };
        self.docker
            .api()
            .upload_to_container(
                &self.name,
                Some(options),
                bollard::body_full(Bytes::from(archive)),
            )
            .await
            .map_err(|e| failed(api_error("writeFile", e)))?;
        self.touch();
        Ok(())
    }

    async fn read_file(&self, path: &str) -> Result<Vec<u8>> {
        let failed = |e: Error| transfer_failed("readFile", "read", path, e);
        split_file_path(path).map_err(failed)?;
        let archive = self
            .download(path, DEFAULT_MAX_OUTPUT_BYTES)
            .await
            .map_err(failed)?;
        self.touch();
        Ok(tar::first_file(&archive).map_err(failed)?.content)
    }

    async fn stop(&self, reason: &str) -> Result<()> {
        self.set_status(SandboxStatus::Stopping);
        let owner = self.owner.upgrade();
        if let Some(owner) = &owner {
            owner.events.emit(ProviderEvent::Stopping {
                sandbox_id: self.id.clone(),
                reason: reason.to_string(),
            });
        }
        let options = bollard::query_parameters::RemoveContainerOptions {
            force: true,
            v: true,
            link: false,
        };
        match self
            .docker
            .api()
            .remove_container(&self.name, Some(options))
            .await
            .map_err(|e| api_error("remove", e))
        {
            Err(e) if !e.is_not_found() => {
                self.set_status(SandboxStatus::Error);
                let message = message_of(&e);
                return Err(errors::sandbox_deletion_failed(
                    &self.name,
                    &message,
                    Some(e),
                ));
            }
            _ => {}
        }
        self.set_status(SandboxStatus::Stopped);
        if let Some(owner) = owner {
            owner.events.emit(ProviderEvent::Stopped {
                sandbox_id: self.id.clone(),
            });
            owner.forget(&self.id, &self.codespace_id);
        }
        Ok(())
    }

    async fn refresh_status(&self) -> SandboxStatus {
        if self.expired() && !self.status().is_gone() {
            if let Err(e) = self.stop("idle timeout").await {
                tracing::warn!(sandbox = %self.name, error = %e, "stopping an idle sandbox failed");
            }
            return self.status();
        }
        let next = match self.inspect().await {
            Ok(c) => {
                let state = c.state.as_ref();
                status_of(
                    state.and_then(|s| s.status.as_ref()),
                    state.and_then(|s| s.oom_killed).unwrap_or(false),
                )
            }
            Err(e) => {
                if e.is_not_found() {
                    SandboxStatus::Stopped
                } else {
                    tracing::debug!(sandbox = %self.name, error = %e, "refreshStatus failed");
                    SandboxStatus::Error
                }
            }
        };
        self.set_status(next);
        next
    }

    async fn port_relay(&self, remote_port: u16) -> Result<Arc<dyn Relay>> {
        let address = self.address().await?;
        Ok(Arc::new(ContainerPortRelay {
            sandbox: self.name.clone(),
            target: SocketAddr::new(address, remote_port),
        }))
    }

    async fn logs(&self, options: &LogOptions) -> Result<LogLines> {
        options.check()?;
        if options
            .container
            .as_deref()
            .is_some_and(|c| c != crate::provider::defaults::CONTAINER)
        {
            return Err(Error::invalid_argument(format!(
                "a Docker sandbox has one container, '{}'",
                crate::provider::defaults::CONTAINER
            )));
        }
        // A gone container fails the call, not the first line.
        self.inspect().await?;
        let since = options.since_seconds.map_or(0, |s| {
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            i32::try_from(now.saturating_sub(s)).unwrap_or(0)
        });
        let query = bollard::query_parameters::LogsOptions {
            follow: options.follow,
            stdout: true,
            stderr: true,
            since,
            until: 0,
            timestamps: options.timestamps,
            tail: options
                .tail_lines
                .map_or_else(|| "all".to_string(), |n| n.to_string()),
        };
        let chunks = self
            .docker
            .api()
            .logs(&self.name, Some(query))
            .map(|item| match item {
                Ok(output) => Ok(output.into_bytes()),
                Err(e) => Err(api_error("logs", e)),
            });
        Ok(LogLines::new(chunks))
    }

    async fn metrics(&self) -> SandboxMetrics {
        let uptime = SystemTime::now()
            .duration_since(self.started)
            .map(|d| d.as_millis() as f64)
            .unwrap_or(0.0);
        let options = bollard::query_parameters::StatsOptions {
            stream: false,
            one_shot: false,
        };
        let mut stats = Box::pin(self.docker.api().stats(&self.name, Some(options)));
        let sample = match tokio::time::timeout(SIDE_CALL_TIMEOUT, stats.next()).await {
            Ok(Some(Ok(s))) => s,
            other => {
                let why = match other {
                    Ok(Some(Err(e))) => api_error("stats", e).to_string(),
                    Ok(None) => "no sample".into(),
                    _ => "timed out".into(),
                };
                tracing::warn!(sandbox = %self.name, why, "getMetrics: the daemon's stats are unavailable");
                return SandboxMetrics::unavailable(0.0, uptime);
            }
        };
        let mib = 1024.0 * 1024.0;
        let memory = sample.memory_stats.as_ref();
        // Page cache is not the sandbox's use (what `docker stats` shows).
        let cache = memory
            .and_then(|m| m.stats.as_ref())
            .and_then(|s| {
                s.get("total_inactive_file")
                    .or_else(|| s.get("inactive_file"))
            })
            .copied()
            .unwrap_or(0);
        let usage = memory
            .and_then(|m| m.usage)
            .unwrap_or(0)
            .saturating_sub(cache);
        let limit = memory.and_then(|m| m.limit).unwrap_or(0);
        let cpu = |s: &Option<bollard::models::ContainerCpuStats>| {
            let s = s.as_ref();
            (
                s.and_then(|c| c.cpu_usage.as_ref())
                    .and_then(|u| u.total_usage)
                    .unwrap_or(0),
                s.and_then(|c| c.system_cpu_usage).unwrap_or(0),
                s.and_then(|c| c.online_cpus).unwrap_or(0),
            )
        };
        let (total, system, cpus) = cpu(&sample.cpu_stats);
        let (pre_total, pre_system, _) = cpu(&sample.precpu_stats);
        let cpu_delta = total.saturating_sub(pre_total) as f64;
        let system_delta = system.saturating_sub(pre_system) as f64;
        let cpu_percent = if system_delta > 0.0 {
            cpu_delta / system_delta * f64::from(cpus.max(1)) * 100.0
        } else {
            0.0
        };
        let (rx, tx) = sample
            .networks
            .as_ref()
            .map(|n| {
                n.values().fold((0u64, 0u64), |(rx, tx), i| {
                    (rx + i.rx_bytes.unwrap_or(0), tx + i.tx_bytes.unwrap_or(0))
                })
            })
            .unwrap_or((0, 0));
        SandboxMetrics {
            cpu_usage_percent: cpu_percent,
            memory_usage_mb: (usage as f64 / mib).round(),
            memory_limit_mb: (limit as f64 / mib).round(),
            disk_usage_mb: 0.0,
            network_rx_bytes: rx as f64,
            network_tx_bytes: tx as f64,
            uptime,
            source: MetricsSource::MetricsApi,
        }
    }
}

/// Relays a connection to the container's address.
struct ContainerPortRelay {
    sandbox: String,
    target: SocketAddr,
}

/// How long connecting to the container may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[async_trait]
impl Relay for ContainerPortRelay {
    async fn relay(&self, mut local: tokio::net::TcpStream) -> Result<()> {
        let port = self.target.port();
        let failed = |why: String| port_forward::failed(&self.sandbox, port, &why);
        let mut remote =
            tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(self.target))
                .await
                .map_err(|_| failed(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())))?
                .map_err(|e| failed(e.to_string()))?;
        let _ = remote.set_nodelay(true);
        // Half-closes pass through; a reset midway is the peers' business.
        let _ = tokio::io::copy_bidirectional(&mut local, &mut remote).await;
        Ok(())
    }
}

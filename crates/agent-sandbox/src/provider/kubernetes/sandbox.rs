//! One Agent Sandbox `Sandbox` as a [`Sandbox`] handle.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use serde_json::{Value, json};

use super::Shared;
use crate::client::{Client, ListOptions, Propagation};
use crate::error::{Error, Result};
use crate::exec::{ExecOutput, ExecRequest, ExecSession, resolve_pod_name};
use crate::logs::{LogLines, LogOptions};
use crate::port_forward::{self, Relay};
use crate::provider::activity::Activity;
use crate::provider::command::{agent_argv, split_file_path};
use crate::provider::errors::{tar_failed, transfer_failed};
use crate::provider::metrics::{self, SandboxMetrics};
use crate::provider::{
    AgentCommand, ProviderEvent, Sandbox, SandboxStatus, command_failed, defaults, errors,
    iso_time, message_of, status::status_of,
};
use crate::resources::{Kind, ResourceRef, Version};
use crate::tar;

/// `touch()` pushes `spec.shutdownTime` out at most this often.
const SHUTDOWN_EXTEND_INTERVAL: Duration = Duration::from_secs(60);
/// Deadline of the metrics probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(15);

pub(super) fn sandboxes() -> ResourceRef {
    ResourceRef::of(Kind::Sandbox, Version::V1alpha1)
}

pub(super) fn claims() -> ResourceRef {
    ResourceRef::of(Kind::SandboxClaim, Version::V1alpha1)
}

/// A Sandbox of the Agent Sandbox controller.
pub struct KubernetesSandbox {
    id: String,
    sandbox_name: String,
    codespace_id: String,
    namespace: String,
    client: Client,
    /// The SandboxClaim it came from (warm pool); `stop()` deletes it too.
    claim_name: Option<String>,
    /// When set, `touch()` also extends `spec.shutdownTime`.
    idle_timeout_minutes: Option<u64>,
    activity: Activity,
    last_shutdown_extension: Mutex<Option<Instant>>,
    /// The provider that made or adopted it (events, its caches).
    owner: Weak<Shared>,
}

/// How to reach a Sandbox that exists.
#[derive(Clone, Debug, Default)]
pub struct SandboxRef {
    pub id: String,
    pub sandbox_name: String,
    pub codespace_id: String,
    pub namespace: String,
    pub claim_name: Option<String>,
    pub idle_timeout_minutes: Option<u64>,
}

impl KubernetesSandbox {
    /// A handle on an existing Sandbox, outside any provider (no events).
    pub fn new(client: Client, r: SandboxRef) -> Self {
        Self::owned(client, r, Weak::new())
    }

    pub(super) fn owned(client: Client, r: SandboxRef, owner: Weak<Shared>) -> Self {
        KubernetesSandbox {
            id: r.id,
            sandbox_name: r.sandbox_name,
            codespace_id: r.codespace_id,
            namespace: r.namespace,
            client,
            claim_name: r.claim_name,
            idle_timeout_minutes: r.idle_timeout_minutes.filter(|m| *m > 0),
            activity: Activity::new(SandboxStatus::Creating),
            last_shutdown_extension: Mutex::new(None),
            owner,
        }
    }

    pub fn sandbox_name(&self) -> &str {
        &self.sandbox_name
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn claim_name(&self) -> Option<&str> {
        self.claim_name.as_deref()
    }

    /// Takes the status of `sandbox`, this sandbox's object as just read.
    pub(crate) fn status_from(&self, sandbox: &Value) {
        self.set_status(status_of(sandbox));
    }

    fn set_status(&self, next: SandboxStatus) {
        if let Some(idle) = self.activity.set(&self.id, next)
            && let Some(owner) = self.owner.upgrade()
        {
            owner.events.emit(idle);
        }
    }

    fn request(&self, pod: String, command: Vec<String>, stdin: bool, tty: bool) -> ExecRequest {
        ExecRequest {
            namespace: self.namespace.clone(),
            pod,
            container: Some(defaults::CONTAINER.into()),
            command,
            stdin,
            tty,
        }
    }

    /// Writes encoded environment values to a new file only the sandbox's
    /// user can read (under `/tmp`); returns its path.
    async fn stage_env(&self, values: &[u8]) -> Result<String> {
        let file = format!(
            "/tmp/.agent-sandbox-env-{}",
            crate::provider::naming::create_id()
        );
        // `set -C`: never write through a file that is already there.
        let argv = [
            "sh",
            "-c",
            r#"umask 077 && set -C && cat > "$0""#,
            file.as_str(),
        ]
        .map(str::to_string)
        .to_vec();
        let out = self.run_with_input(argv, Some(values)).await?;
        if out.exit_code != 0 {
            return Err(Error::Exec {
                command: "stage the environment".into(),
                message: format!(
                    "could not write the environment file (exit code {}): {}",
                    out.exit_code,
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
                exit_code: Some(out.exit_code),
            });
        }
        Ok(file)
    }

    /// Removes a staged environment file the command never opened.
    async fn unstage_env(&self, file: &str) {
        let argv = ["rm", "-f", "--", file].map(str::to_string).to_vec();
        if let Err(e) = self.run_with_input(argv, None).await {
            tracing::warn!(error = %e, "could not remove a staged environment file");
        }
    }

    async fn pod(&self) -> Result<String> {
        resolve_pod_name(&self.client, &self.namespace, &self.sandbox_name).await
    }

    /// Runs `argv` with `stdin` as its input; collects both outputs.
    async fn run_with_input(&self, argv: Vec<String>, input: Option<&[u8]>) -> Result<ExecOutput> {
        let pod = self.pod().await?;
        let session = self
            .client
            .exec(&self.request(pod, argv, input.is_some(), false))
            .await?;
        // Bounded: a file (or whatever the sandbox prints) larger than the
        // limit ends the session instead of filling this process's memory.
        crate::exec::collect(session, input, crate::exec::DEFAULT_MAX_OUTPUT_BYTES, "tar").await
    }

    fn extend_shutdown(&self, now: Instant) {
        let Some(minutes) = self.idle_timeout_minutes else {
            return;
        };
        {
            let mut last = lock(&self.last_shutdown_extension);
            if last.is_some_and(|t| now.duration_since(t) < SHUTDOWN_EXTEND_INTERVAL) {
                return;
            }
            *last = Some(now);
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::debug!(sandbox = %self.sandbox_name, "touch() outside a runtime: shutdownTime not extended");
            return;
        };
        let shutdown_time = iso_time(SystemTime::now() + Duration::from_secs(minutes * 60));
        let (client, namespace, name) = (
            self.client.clone(),
            self.namespace.clone(),
            self.sandbox_name.clone(),
        );
        runtime.spawn(async move {
            let patch = json!({ "spec": { "shutdownTime": shutdown_time } });
            if let Err(e) = client
                .merge_patch(&sandboxes(), &namespace, &name, patch)
                .await
            {
                tracing::warn!(sandbox = %name, error = %e, "extending shutdownTime failed");
            }
        });
    }

    async fn delete_ignoring_not_found(&self, r: &ResourceRef, name: &str) -> Result<()> {
        match self
            .client
            .delete(r, &self.namespace, name, Propagation::ServerDefault)
            .await
        {
            Err(e) if !e.is_not_found() => Err(e),
            _ => Ok(()),
        }
    }

    /// The Sandbox's pod object, if it can be read.
    /// The sandbox's pod: its name and object. NOT_FOUND (naming the
    /// sandbox) when it has none.
    async fn existing_pod(&self) -> Result<(String, Value)> {
        let pod = self.pod().await?;
        match self
            .client
            .get(&ResourceRef::new("", "v1", "pods"), &self.namespace, &pod)
            .await
        {
            Ok(object) => Ok((pod, object)),
            Err(e) if e.is_not_found() => Err(Error::provider(
                crate::ErrorCode::NotFound,
                format!(
                    "sandbox {} has no pod (it was stopped, or is not ready yet)",
                    self.sandbox_name
                ),
                json!({ "sandbox": self.sandbox_name, "pod": pod }),
                Some(e),
            )),
            Err(e) => Err(e),
        }
    }

    async fn pod_object(&self) -> Option<Value> {
        self.existing_pod().await.ok().map(|(_, object)| object)
    }
}

/// Relays a connection through the pod's `portforward` subresource.
struct PodPortRelay {
    client: Client,
    namespace: String,
    sandbox_name: String,
    pod: String,
    port: u16,
}

#[async_trait]
impl Relay for PodPortRelay {
    async fn relay(&self, local: tokio::net::TcpStream) -> Result<()> {
        let failed = |why: &str| port_forward::failed(&self.sandbox_name, self.port, why);
        let connection = self
            .client
            .open_port_forward(&self.namespace, &self.pod, self.port)
            .await
            .map_err(|e| failed(&message_of(&e)))?;
        port_forward::websocket::relay(connection, local, self.port)
            .await
            .map_err(|why| failed(&why))
    }
}

#[async_trait]
impl Sandbox for KubernetesSandbox {
    fn id(&self) -> &str {
        &self.id
    }

    fn codespace_id(&self) -> &str {
        &self.codespace_id
    }

    fn container_id(&self) -> &str {
        &self.sandbox_name
    }

    fn status(&self) -> SandboxStatus {
        self.activity.status()
    }

    fn touch(&self) {
        self.activity.touch();
        self.extend_shutdown(Instant::now());
    }

    fn last_activity(&self) -> SystemTime {
        self.activity.last()
    }

    async fn exec(&self, cmd: &str, args: &[String]) -> Result<ExecOutput> {
        self.touch();
        let run = async {
            let argv = agent_argv(cmd, args, &Default::default(), None)?.argv;
            let pod = self.pod().await?;
            self.client
                .exec_output(&self.request(pod, argv, false, false), None)
                .await
        };
        run.await
            .map_err(|e| command_failed(cmd, message_of(&e), Some(e)))
    }

    async fn exec_stream(&self, command: &AgentCommand) -> Result<ExecSession> {
        self.touch();
        let cmd = command.cmd.as_str();
        let failed = |e: Error| command_failed(cmd, message_of(&e), Some(e));
        let argv =
            agent_argv(cmd, &command.args, &command.env, command.cwd.as_deref()).map_err(failed)?;
        let pod = self.pod().await.map_err(failed)?;
        // Environment values go in as input, never in argv. A TTY would echo
        // and edit its input, so there they are staged in a private file that
        // the prelude removes as it opens it.
        let staged = match (&argv.env_input, command.tty) {
            (Some(values), true) => Some(self.stage_env(values).await.map_err(failed)?),
            _ => None,
        };
        let (argv, first_input) = match &staged {
            Some(file) => (argv.read_env_from(file), None),
            None => {
                let input = argv.env_input.clone();
                (argv, input)
            }
        };
        let request = self.request(
            pod,
            argv.argv,
            command.stdin || first_input.is_some(),
            command.tty,
        );
        let opened = self
            .client
            .exec_killable(&request, command.kill_signal.as_deref())
            .await;
        let mut session = match opened {
            Ok(session) => session,
            Err(e) => {
                if let Some(file) = staged {
                    self.unstage_env(&file).await;
                }
                return Err(failed(e));
            }
        };
        if let Some(values) = first_input {
            session
                .send_input_first(&values, command.stdin)
                .await
                .map_err(failed)?;
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
        let argv = ["tar", "xf", "-", "-C", file.dir]
            .map(str::to_string)
            .to_vec();
        let out = self
            .run_with_input(argv, Some(&archive))
            .await
            .map_err(failed)?;
        if out.exit_code != 0 {
            return Err(tar_failed("writeFile", "tar xf", "writing", path, &out));
        }
        self.touch();
        Ok(())
    }

    async fn read_file(&self, path: &str) -> Result<Vec<u8>> {
        let failed = |e: Error| transfer_failed("readFile", "read", path, e);
        let file = split_file_path(path).map_err(failed)?;
        let entry = format!("./{}", file.name);
        // `h`: a symlink is read as the file it points to.
        let argv = ["tar", "chf", "-", "-C", file.dir, entry.as_str()]
            .map(str::to_string)
            .to_vec();
        let out = self.run_with_input(argv, None).await.map_err(failed)?;
        if out.exit_code != 0 {
            return Err(tar_failed("readFile", "tar cf", "reading", path, &out));
        }
        self.touch();
        Ok(tar::first_file(&out.stdout).map_err(failed)?.content)
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
        // Deleting the claim lets the controller delete its Sandbox; deleting
        // the Sandbox as well makes stop() not depend on that.
        let deleted = async {
            if let Some(claim) = &self.claim_name {
                self.delete_ignoring_not_found(&claims(), claim).await?;
            }
            self.delete_ignoring_not_found(&sandboxes(), &self.sandbox_name)
                .await
        };
        if let Err(e) = deleted.await {
            self.set_status(SandboxStatus::Error);
            let message = message_of(&e);
            return Err(errors::sandbox_deletion_failed(
                &self.sandbox_name,
                &message,
                Some(e),
            ));
        }
        self.set_status(SandboxStatus::Stopped);
        if let Some(owner) = owner {
            owner.events.emit(ProviderEvent::Stopped {
                sandbox_id: self.id.clone(),
            });
            owner.forget(&self.id, &self.codespace_id);
            owner.delete_network_policies(&self.id).await;
        }
        Ok(())
    }

    async fn refresh_status(&self) -> SandboxStatus {
        let next = match self
            .client
            .get(&sandboxes(), &self.namespace, &self.sandbox_name)
            .await
        {
            Ok(sandbox) => status_of(&sandbox),
            Err(e) if e.is_not_found() => SandboxStatus::Stopped,
            Err(e) => {
                tracing::debug!(sandbox = %self.sandbox_name, error = %e, "refreshStatus failed");
                SandboxStatus::Error
            }
        };
        self.set_status(next);
        next
    }

    async fn port_relay(&self, remote_port: u16) -> Result<Arc<dyn Relay>> {
        let (pod, _) = self.existing_pod().await?;
        Ok(Arc::new(PodPortRelay {
            client: self.client.clone(),
            namespace: self.namespace.clone(),
            sandbox_name: self.sandbox_name.clone(),
            pod,
            port: remote_port,
        }))
    }

    async fn logs(&self, options: &LogOptions) -> Result<LogLines> {
        options.check()?;
        let (pod, _) = self.existing_pod().await?;
        let container = options.container.as_deref().unwrap_or(defaults::CONTAINER);
        self.client
            .pod_logs(&self.namespace, &pod, container, options)
            .await
    }

    async fn metrics(&self) -> SandboxMetrics {
        let default_limit = defaults::MEMORY_MB as f64;
        let since_activity = || {
            SystemTime::now()
                .duration_since(self.last_activity())
                .map(|d| d.as_millis() as f64)
                .unwrap_or(0.0)
        };
        let sandbox = match self
            .client
            .get(&sandboxes(), &self.namespace, &self.sandbox_name)
            .await
        {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(sandbox = %self.sandbox_name, error = %e, "getMetrics: the Sandbox cannot be read");
                return SandboxMetrics::unavailable(0.0, since_activity());
            }
        };
        let pod = self.pod_object().await;
        let container = pod.as_ref().and_then(|p| {
            let containers = p.pointer("/spec/containers")?.as_array()?;
            containers
                .iter()
                .find(|c| c.get("name").and_then(Value::as_str) == Some(defaults::CONTAINER))
                .or_else(|| containers.first())
        });
        let limit = |k: &str| {
            container
                .and_then(|c| c.pointer(&format!("/resources/limits/{k}")))
                .and_then(Value::as_str)
                .and_then(metrics::parse_quantity)
        };
        let (cpu_limit, memory_limit) = (limit("cpu"), limit("memory"));
        let started = pod
            .as_ref()
            .and_then(|p| p.pointer("/status/startTime"))
            .or_else(|| sandbox.pointer("/metadata/creationTimestamp"))
            .and_then(Value::as_str)
            .and_then(parse_rfc3339);
        let uptime = started
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .map(|d| d.as_millis() as f64)
            .unwrap_or(0.0);
        let memory_limit_mb = memory_limit
            .map(|b| (b / (1024.0 * 1024.0)).round())
            .unwrap_or(default_limit);

        // metrics.k8s.io when the cluster serves it.
        if let Some(pod_name) = pod
            .as_ref()
            .and_then(|p| p.pointer("/metadata/name"))
            .and_then(Value::as_str)
        {
            let pod_metrics = ResourceRef::new("metrics.k8s.io", "v1beta1", "pods");
            if let Ok(m) = self
                .client
                .get(&pod_metrics, &self.namespace, pod_name)
                .await
            {
                let name = container
                    .and_then(|c| c.get("name"))
                    .and_then(Value::as_str);
                let usage = m
                    .get("containers")
                    .and_then(Value::as_array)
                    .and_then(|cs| {
                        cs.iter()
                            .find(|c| c.get("name").and_then(Value::as_str) == name)
                    })
                    .and_then(|c| c.get("usage"));
                if let Some(usage) = usage {
                    let q = |k: &str| {
                        usage
                            .get(k)
                            .and_then(Value::as_str)
                            .and_then(metrics::parse_quantity)
                    };
                    let cores = q("cpu").unwrap_or(0.0);
                    return SandboxMetrics {
                        cpu_usage_percent: cores / cpu_limit.filter(|c| *c > 0.0).unwrap_or(1.0)
                            * 100.0,
                        memory_usage_mb: (q("memory").unwrap_or(0.0) / (1024.0 * 1024.0)).round(),
                        memory_limit_mb,
                        disk_usage_mb: 0.0,
                        network_rx_bytes: 0.0,
                        network_tx_bytes: 0.0,
                        uptime,
                        source: metrics::MetricsSource::MetricsApi,
                    };
                }
            }
        }

        let probe = async {
            let pod = self.pod().await?;
            let argv = ["sh", "-c", metrics::PROBE].map(str::to_string).to_vec();
            self.client
                .exec_output(&self.request(pod, argv, false, false), Some(PROBE_TIMEOUT))
                .await
        };
        match probe.await {
            Ok(out) => metrics::from_probe(
                &String::from_utf8_lossy(&out.stdout),
                cpu_limit,
                memory_limit,
                default_limit,
                uptime,
            ),
            Err(e) => {
                tracing::warn!(sandbox = %self.sandbox_name, error = %e, "getMetrics: the cgroup probe failed");
                SandboxMetrics::unavailable(memory_limit_mb, uptime)
            }
        }
    }
}

/// `2026-12-02T06:12:52Z` (optionally with fractional seconds) as a time.
pub(crate) fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !s.ends_with('Z') || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (inverse of provider::civil_from_days).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + se;
    u64::try_from(secs)
        .ok()
        .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `labels` as a label selector's `k=v,...` (values are checked label values).
pub(super) fn selector(labels: &[(&str, &str)]) -> ListOptions {
    ListOptions {
        label_selector: Some(
            labels
                .iter()
                .map(|(k, v)| {
                    if v.is_empty() {
                        k.to_string()
                    } else {
                        format!("{k}={v}")
                    }
                })
                .collect::<Vec<_>>()
                .join(","),
        ),
        ..ListOptions::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        let t = parse_rfc3339("2025-12-02T00:00:00Z").unwrap();
        assert_eq!(iso_time(t), "2025-12-02T00:00:00.000Z");
        assert!(parse_rfc3339("2025-13-02T00:00:00Z").is_none());
        assert!(parse_rfc3339("garbage").is_none());
    }
}

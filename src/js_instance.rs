//! `AgentSandboxInstance`: one running sandbox (the core's [`Sandbox`]) as a
//! JS class. Made by the provider (wired to its events and caches) or
//! directly, for an existing Sandbox, from an `AgentSandboxClient`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use agent_sandbox::provider::kubernetes::{KubernetesSandbox, SandboxRef};
use agent_sandbox::provider::{AgentCommand, SandboxHandle, SandboxStatus};
use napi::bindgen_prelude::PromiseRaw;
use napi::bindgen_prelude::{Buffer, Either};
use napi::{Env, JsDate};
use napi_derive::napi;
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::js_cancel::{CancelToken, or_cancelled, token_of};
use crate::js_client::{Connection, NativeClient};
use crate::js_error::{IntoJs, decode, invalid_argument as invalid};
use crate::js_events::{EventSink, millis};
use crate::js_exec::{Deadline, NativeExecSession};
use crate::js_logs::NativeLogStream;
use crate::js_port_forward::NativePortForward;

/// What an instance holds: the sandbox, made on first use for an instance
/// built from a client that has not connected yet.
pub(crate) struct InstanceState {
    id: String,
    sandbox_name: String,
    codespace_id: String,
    namespace: String,
    idle_timeout_minutes: Option<u64>,
    sandbox: OnceCell<SandboxHandle>,
    connection: Option<Arc<Connection>>,
    /// The provider's events, flushed before a stop() settles.
    events: Option<Arc<EventSink>>,
    created: std::time::SystemTime,
}

impl InstanceState {
    async fn sandbox(&self) -> napi::Result<&SandboxHandle> {
        self.sandbox
            .get_or_try_init(|| async {
                let connection = self
                    .connection
                    .as_ref()
                    .ok_or_else(|| invalid("this instance has no client"))?;
                let client = connection.client().await.into_js()?;
                let r = SandboxRef {
                    id: self.id.clone(),
                    sandbox_name: self.sandbox_name.clone(),
                    codespace_id: self.codespace_id.clone(),
                    namespace: self.namespace.clone(),
                    claim_name: None,
                    idle_timeout_minutes: self.idle_timeout_minutes,
                };
                Ok(Arc::new(KubernetesSandbox::new(client, r)) as SandboxHandle)
            })
            .await
    }

    async fn flush(&self) {
        if let Some(events) = &self.events {
            events.flush().await;
        }
    }
}

#[napi]
pub struct AgentSandboxInstance {
    state: Arc<InstanceState>,
}

impl AgentSandboxInstance {
    /// The instance of a sandbox a provider made or found.
    pub(crate) fn of(
        sandbox: SandboxHandle,
        namespace: &str,
        events: Arc<EventSink>,
    ) -> AgentSandboxInstance {
        let state = InstanceState {
            id: sandbox.id().to_string(),
            sandbox_name: sandbox.container_id().to_string(),
            codespace_id: sandbox.codespace_id().to_string(),
            namespace: namespace.to_string(),
            idle_timeout_minutes: None,
            sandbox: OnceCell::new_with(Some(sandbox)),
            connection: None,
            events: Some(events),
            created: std::time::SystemTime::now(),
        };
        AgentSandboxInstance {
            state: Arc::new(state),
        }
    }

    pub(crate) fn handle(&self) -> Option<&SandboxHandle> {
        self.state.sandbox.get()
    }

    /// `exec` / `execAsRoot`: output trimmed, a cancelled call closes its
    /// connection.
    fn run_exec<'env>(
        &self,
        env: &'env Env,
        cmd: String,
        args: Option<Vec<String>>,
        cancel: Option<&CancelToken>,
        as_root: bool,
    ) -> napi::Result<PromiseRaw<'env, JsExecResult>> {
        let state = self.state.clone();
        let token = token_of(cancel);
        let operation = if as_root { "execAsRoot" } else { "exec" };
        env.spawn_future(or_cancelled(operation, token, async move {
            let sandbox = state.sandbox().await?;
            let args = args.unwrap_or_default();
            let out = match as_root {
                true => sandbox.exec_as_root(&cmd, &args).await,
                false => sandbox.exec(&cmd, &args).await,
            }
            .into_js()?;
            Ok(JsExecResult {
                exit_code: out.exit_code,
                stdout: trimmed(&out.stdout),
                stderr: trimmed(&out.stderr),
            })
        }))
    }
}

#[napi(object)]
pub struct JsExecResult {
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

#[napi(object)]
pub struct JsAgentCommand {
    pub cmd: String,
    pub args: Option<Vec<String>>,
    pub env: Option<HashMap<String, String>>,
    pub cwd: Option<String>,
    pub stdin: Option<bool>,
    pub tty: Option<bool>,
    pub kill_signal: Option<String>,
    /// Positive: the deadline after which wait() rejects with TIMEOUT.
    pub timeout_ms: Option<f64>,
}

/// `logs()` options (the signal stays in JS).
#[napi(object)]
pub struct JsLogOptions {
    pub follow: Option<bool>,
    pub since_seconds: Option<f64>,
    pub tail_lines: Option<f64>,
    pub timestamps: Option<bool>,
    pub container: Option<String>,
}

fn trimmed(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_string()
}

#[napi]
impl AgentSandboxInstance {
    /// An instance for an existing Sandbox, through a client's connection
    /// (the JS layer passes the client's native handle). With
    /// `idleTimeoutMinutes`, touch() also extends `spec.shutdownTime`.
    #[napi(catch_unwind, constructor)]
    pub fn new(
        id: String,
        sandbox_name: String,
        codespace_id: String,
        namespace: String,
        client: Option<&NativeClient>,
        idle_timeout_minutes: Option<f64>,
    ) -> napi::Result<Self> {
        let client = client.ok_or_else(|| {
            invalid("client must be an AgentSandboxClient of @agentpane/agent-sandbox-sdk")
        })?;
        let idle_timeout_minutes = match idle_timeout_minutes {
            None => None,
            Some(m) if m.is_finite() && m >= 0.0 => Some(m.round() as u64),
            Some(m) => {
                return Err(invalid(format!(
                    "idleTimeoutMinutes must be a non-negative number of minutes, got {m}"
                )));
            }
        };
        let state = InstanceState {
            id,
            sandbox_name,
            codespace_id,
            namespace,
            idle_timeout_minutes,
            sandbox: OnceCell::new(),
            connection: Some(client.connection()),
            events: None,
            created: std::time::SystemTime::now(),
        };
        Ok(AgentSandboxInstance {
            state: Arc::new(state),
        })
    }

    #[napi(getter)]
    pub fn id(&self) -> String {
        self.state.id.clone()
    }

    #[napi(getter)]
    pub fn sandbox_name(&self) -> String {
        self.state.sandbox_name.clone()
    }

    #[napi(getter)]
    pub fn codespace_id(&self) -> String {
        self.state.codespace_id.clone()
    }

    #[napi(getter)]
    pub fn namespace(&self) -> String {
        self.state.namespace.clone()
    }

    #[napi(getter)]
    pub fn container_id(&self) -> String {
        self.state.sandbox_name.clone()
    }

    /// 'creating' until the first refresh, then the last status seen.
    #[napi(
        getter,
        ts_return_type = "'creating' | 'running' | 'idle' | 'stopping' | 'stopped' | 'error'"
    )]
    pub fn status(&self) -> String {
        self.handle()
            .map(|s| s.status())
            .unwrap_or(SandboxStatus::Creating)
            .as_str()
            .to_string()
    }

    /// Runs `cmd args` (no shell); output trimmed. Failures are
    /// K8S_EXEC_FAILED; a cancelled call closes its connection.
    #[napi(ts_return_type = "Promise<{ exitCode: number; stdout: string; stderr: string }>")]
    pub fn exec<'env>(
        &self,
        env: &'env Env,
        cmd: String,
        args: Option<Vec<String>>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, JsExecResult>> {
        self.run_exec(env, cmd, args, cancel, false)
    }

    /// As root on Docker; on Kubernetes (pods run as a non-root user) it
    /// warns and runs as that user.
    #[napi(ts_return_type = "Promise<{ exitCode: number; stdout: string; stderr: string }>")]
    pub fn exec_as_root<'env>(
        &self,
        env: &'env Env,
        cmd: String,
        args: Option<Vec<String>>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, JsExecResult>> {
        self.run_exec(env, cmd, args, cancel, true)
    }

    /// Opens a streaming command (the JS layer's `execStream` wraps it in
    /// Node streams). `cwd`, `env` and the command reach the program as argv.
    /// Cancelled before the session opens, nothing runs.
    #[napi(ts_return_type = "Promise<NativeExecSession>")]
    pub fn open_exec_stream<'env>(
        &self,
        env: &'env Env,
        command: JsAgentCommand,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, NativeExecSession>> {
        let state = self.state.clone();
        let token = token_of(cancel);
        let operation = format!("exec {}", command.cmd);
        let timeout_ms = command.timeout_ms;
        let command = AgentCommand {
            cmd: command.cmd,
            args: command.args.unwrap_or_default(),
            env: command
                .env
                .unwrap_or_default()
                .into_iter()
                .collect::<BTreeMap<_, _>>(),
            cwd: command.cwd.filter(|c| !c.is_empty()),
            stdin: command.stdin.unwrap_or(false),
            tty: command.tty.unwrap_or(false),
            kill_signal: command.kill_signal,
        };
        env.spawn_future(or_cancelled("execStream", token, async move {
            let deadline = agent_sandbox::exec::check_timeout_ms(timeout_ms)
                .into_js()?
                .map(|ms| Deadline { operation, ms });
            let sandbox = state.sandbox().await?;
            let session = sandbox.exec_stream(&command).await.into_js()?;
            Ok(NativeExecSession::new(session, deadline))
        }))
    }

    /// Writes a file through a tar archive on stdin (never in argv).
    #[napi]
    pub async fn write_file(
        &self,
        path: String,
        content: Either<String, Buffer>,
        mode: Option<u32>,
    ) -> napi::Result<()> {
        let sandbox = self.state.sandbox().await?;
        let bytes: &[u8] = match &content {
            Either::A(text) => text.as_bytes(),
            Either::B(buffer) => buffer,
        };
        sandbox
            .write_file(&path, bytes, mode.unwrap_or(0o600))
            .await
            .into_js()
    }

    #[napi]
    pub async fn read_file(&self, path: String) -> napi::Result<Buffer> {
        let sandbox = self.state.sandbox().await?;
        Ok(sandbox.read_file(&path).await.into_js()?.into())
    }

    #[napi]
    pub async fn create_tmux_session(
        &self,
        session_name: String,
        task_id: Option<String>,
    ) -> napi::Result<Value> {
        let sandbox = self.state.sandbox().await?;
        let session = sandbox
            .create_tmux_session(&session_name, task_id.as_deref())
            .await
            .into_js()?;
        serde_json::to_value(session).map_err(decode)
    }

    #[napi]
    pub async fn list_tmux_sessions(&self) -> napi::Result<Value> {
        let sandbox = self.state.sandbox().await?;
        let sessions = sandbox.list_tmux_sessions().await.into_js()?;
        serde_json::to_value(sessions).map_err(decode)
    }

    #[napi]
    pub async fn kill_tmux_session(&self, session_name: String) -> napi::Result<()> {
        let sandbox = self.state.sandbox().await?;
        sandbox.kill_tmux_session(&session_name).await.into_js()
    }

    /// Types `keys` literally into the session, then Enter.
    #[napi]
    pub async fn send_keys_to_tmux(&self, session_name: String, keys: String) -> napi::Result<()> {
        let sandbox = self.state.sandbox().await?;
        sandbox
            .send_keys_to_tmux(&session_name, &keys)
            .await
            .into_js()
    }

    #[napi]
    pub async fn capture_tmux_pane(
        &self,
        session_name: String,
        lines: Option<u32>,
    ) -> napi::Result<String> {
        let sandbox = self.state.sandbox().await?;
        sandbox
            .capture_tmux_pane(&session_name, lines.unwrap_or(100))
            .await
            .into_js()
    }

    /// Deletes the Sandbox (and its claim); `reason` goes to the stopping event.
    #[napi]
    pub async fn stop(&self, reason: Option<String>) -> napi::Result<()> {
        let sandbox = self.state.sandbox().await?;
        let result = sandbox.stop(reason.as_deref().unwrap_or("stop")).await;
        self.state.flush().await;
        result.into_js()
    }

    /// Marks activity; with an idle timeout, also pushes `spec.shutdownTime`
    /// out (at most once a minute, in the background).
    #[napi(catch_unwind)]
    pub fn touch(&self) {
        match self.handle() {
            Some(sandbox) => sandbox.touch(),
            None => {
                let state = self.state.clone();
                napi::bindgen_prelude::spawn(async move {
                    if let Ok(sandbox) = state.sandbox().await {
                        sandbox.touch();
                    }
                });
            }
        }
    }

    #[napi(catch_unwind)]
    pub fn get_last_activity<'env>(&self, env: &'env Env) -> napi::Result<JsDate<'env>> {
        let at = self
            .handle()
            .map(|s| s.last_activity())
            .unwrap_or(self.state.created);
        env.create_date(millis(at))
    }

    /// Reads the Sandbox's status; never throws (gone is 'stopped').
    #[napi(
        ts_return_type = "Promise<'creating' | 'running' | 'idle' | 'stopping' | 'stopped' | 'error'>"
    )]
    pub async fn refresh_status(&self) -> napi::Result<String> {
        let status = match self.state.sandbox().await {
            Ok(sandbox) => sandbox.refresh_status().await,
            Err(_) => SandboxStatus::Error,
        };
        self.state.flush().await;
        Ok(status.as_str().to_string())
    }

    /// Listens on 127.0.0.1 (`localPort`, or a free port) and relays each
    /// connection to `remotePort` inside the sandbox.
    #[napi(ts_return_type = "Promise<NativePortForward>")]
    pub fn open_port_forward<'env>(
        &self,
        env: &'env Env,
        remote_port: f64,
        local_port: Option<f64>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, NativePortForward>> {
        use agent_sandbox::port_forward::{PortForwardOptions, port_number};
        use agent_sandbox::provider::SandboxPorts;
        let state = self.state.clone();
        let token = token_of(cancel);
        env.spawn_future(or_cancelled("forwardPort", token, async move {
            let remote = port_number("remotePort", remote_port).into_js()?;
            let local = local_port
                .map(|p| port_number("localPort", p))
                .transpose()
                .into_js()?;
            let sandbox = state.sandbox().await?;
            let options = PortForwardOptions { local_port: local };
            let forward = sandbox.forward_port(remote, options).await.into_js()?;
            Ok(NativePortForward::new(forward))
        }))
    }

    /// Opens the sandbox's log (the JS layer's `logs()` iterates it).
    #[napi(ts_return_type = "Promise<NativeLogStream>")]
    pub fn open_logs<'env>(
        &self,
        env: &'env Env,
        options: Option<JsLogOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, NativeLogStream>> {
        use agent_sandbox::logs::LogOptions;
        let state = self.state.clone();
        let token = token_of(cancel);
        env.spawn_future(or_cancelled("logs", token, async move {
            let o = options.unwrap_or(JsLogOptions {
                follow: None,
                since_seconds: None,
                tail_lines: None,
                timestamps: None,
                container: None,
            });
            let options = LogOptions::from_numbers(
                o.follow.unwrap_or(false),
                o.since_seconds,
                o.tail_lines,
                o.timestamps.unwrap_or(false),
                o.container,
            )
            .into_js()?;
            let sandbox = state.sandbox().await?;
            let lines = sandbox.logs(&options).await.into_js()?;
            Ok(NativeLogStream::new(lines))
        }))
    }

    /// metrics.k8s.io when served, else the container's cgroup; never throws.
    #[napi]
    pub async fn get_metrics(&self) -> napi::Result<Value> {
        let sandbox = self.state.sandbox().await?;
        serde_json::to_value(sandbox.metrics().await).map_err(decode)
    }
}

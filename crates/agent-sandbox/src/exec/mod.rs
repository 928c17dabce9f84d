//! Running commands in a Sandbox's pod over the Kubernetes streaming protocol
//! (WebSocket `v5.channel.k8s.io`, with `v4` as fallback).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::api::{AttachParams, AttachedProcess, TerminalSize};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::resources::{Kind, POD_NAME_ANNOTATION, ResourceRef, Version};

/// Bytes buffered per stream of a session while the reader lags.
const PIPE_BUFFER: usize = 1024 * 1024;

/// The container used when none is named.
pub const DEFAULT_CONTAINER: &str = "sandbox";

/// What to run, and where.
#[derive(Clone, Debug)]
pub struct ExecRequest {
    pub namespace: String,
    pub pod: String,
    pub container: Option<String>,
    pub command: Vec<String>,
    pub stdin: bool,
    pub tty: bool,
}

/// A running command. Drop it (or call [`ExecSession::abort`]) to close the
/// connection; the remote process is not signalled by that. Its output
/// readers then end after what was already received.
pub struct ExecSession {
    process: AttachedProcess,
    command: String,
    closed: CancelOnDrop,
    remote_kill: Option<futures::future::BoxFuture<'static, ()>>,
}

/// Ends the session's readers when the session goes away.
struct CancelOnDrop(CancellationToken);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// An output stream of a session: ends at the session's end of output, or,
/// once the session is aborted, as soon as the buffered bytes are read.
/// (kube's readers alone would wait forever after an abort.)
pub struct OutputReader {
    inner: Box<dyn AsyncRead + Send + Unpin>,
    closed: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl AsyncRead for OutputReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => Poll::Ready(r),
            // Nothing buffered: end of output if the session is gone.
            Poll::Pending => match this.closed.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Ok(())),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

/// The most a buffered exec (or a file read) keeps of a command's output,
/// stdout and stderr together, unless the caller asks for another limit.
pub const DEFAULT_MAX_OUTPUT_BYTES: u64 = 32 * 1024 * 1024;

/// Reads both outputs to their end, at most `limit` bytes together: more
/// is [`Error::OutputTooLarge`] (the caller then drops the session, which
/// closes the connection). A read error is an exec failure, never dropped.
pub async fn read_outputs<O, E>(
    stdout: Option<O>,
    stderr: Option<E>,
    limit: u64,
    operation: &str,
) -> Result<(Vec<u8>, Vec<u8>)>
where
    O: tokio::io::AsyncRead + Unpin,
    E: tokio::io::AsyncRead + Unpin,
{
    let total = std::sync::atomic::AtomicU64::new(0);
    tokio::try_join!(
        read_capped(stdout, &total, limit, operation, "stdout"),
        read_capped(stderr, &total, limit, operation, "stderr"),
    )
}

/// One output of [`read_outputs`], counted against the shared `total`.
async fn read_capped<R: tokio::io::AsyncRead + Unpin>(
    reader: Option<R>,
    total: &std::sync::atomic::AtomicU64,
    limit: u64,
    operation: &str,
    name: &str,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let Some(mut reader) = reader else {
        return Ok(out);
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf).await.map_err(|e| Error::Exec {
            command: operation.to_string(),
            message: format!("reading {name} failed: {e}"),
            exit_code: None,
        })?;
        if n == 0 {
            return Ok(out);
        }
        let seen = total.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed) + n as u64;
        if seen > limit {
            return Err(Error::OutputTooLarge {
                operation: operation.to_string(),
                limit,
            });
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Output and exit code of a finished command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecOutput {
    pub exit_code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// The pod of a Sandbox: the legacy `agents.x-k8s.io/pod-name` annotation
/// when it is set and not empty (controllers before v1.0 write it, and a
/// warm-pool Sandbox's pod has another name there), else the Sandbox's own
/// name (v1.x: the pod is named after the Sandbox; also bare pods, when the
/// Sandbox does not exist). Reads the Sandbox only: no pod permission is
/// needed beyond `pods/exec`. Errors other than 404 are returned as they are.
pub async fn resolve_pod_name(client: &Client, namespace: &str, sandbox: &str) -> Result<String> {
    let r = ResourceRef::of(Kind::Sandbox, Version::V1alpha1);
    match client.get(&r, namespace, sandbox).await {
        Ok(obj) => Ok(pod_name_of(&obj, sandbox)),
        Err(e) if e.is_not_found() => Ok(sandbox.to_string()),
        Err(e) => Err(e),
    }
}

/// [`resolve_pod_name`]'s rule on a Sandbox object named `sandbox`.
pub fn pod_name_of(obj: &Value, sandbox: &str) -> String {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get(POD_NAME_ANNOTATION))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(sandbox)
        .to_string()
}

/// The exit code carried by the status frame: `Success` is 0; a failure whose
/// first cause is `ExitCode` gives that code (0 or unparsable become 1); any
/// other failure is 1.
pub fn exit_code(status: &Status) -> i32 {
    if status.status.as_deref() == Some("Success") {
        return 0;
    }
    let cause = status
        .details
        .as_ref()
        .and_then(|d| d.causes.as_ref())
        .and_then(|c| c.first());
    match cause {
        Some(c) if c.reason.as_deref() == Some("ExitCode") => {
            match c.message.as_deref().unwrap_or("").trim().parse::<i32>() {
                Ok(0) | Err(_) => 1,
                Ok(code) => code,
            }
        }
        _ => 1,
    }
}

impl Client {
    /// Starts a command whose processes `kill_signal` (a name such as
    /// `SIGTERM`) reaches when the session is killed: it runs under a shell
    /// that records its pid, and the session's remote kill signals that
    /// process group (closing a connection does not stop a process under a
    /// real kubelet). Without a signal this is [`Client::exec`].
    pub async fn exec_killable(
        &self,
        req: &ExecRequest,
        kill_signal: Option<&str>,
    ) -> Result<ExecSession> {
        use crate::provider::command::{signal_argv, with_pid_file};
        let Some(signal) = kill_signal else {
            return self.exec(req).await;
        };
        let pid_file = format!(
            "/tmp/.agent-sandbox-exec-{}.pid",
            crate::provider::naming::create_id()
        );
        let kill = ExecRequest {
            command: signal_argv(&pid_file, signal)?,
            stdin: false,
            tty: false,
            ..req.clone()
        };
        let wrapped = ExecRequest {
            command: with_pid_file(req.command.clone(), &pid_file),
            ..req.clone()
        };
        let mut session = self.exec(&wrapped).await?;
        let client = self.clone();
        session.set_remote_kill(Box::pin(async move {
            if let Err(e) = client
                .exec_output(&kill, Some(Duration::from_secs(10)))
                .await
            {
                tracing::warn!(error = %e, "could not signal the remote process");
            }
        }));
        Ok(session)
    }

    /// Starts a command. Fails with [`Error::Exec`] when the session cannot open.
    pub async fn exec(&self, req: &ExecRequest) -> Result<ExecSession> {
        crate::resources::check_namespace(&req.namespace, false)?;
        crate::resources::check_name(&req.pod)?;
        let command = req.command.join(" ");
        if req.command.is_empty() {
            return Err(Error::Exec {
                command,
                message: "no command given".into(),
                exit_code: None,
            });
        }
        let pods: kube::Api<Pod> = kube::Api::namespaced(self.kube().clone(), &req.namespace);
        let params = AttachParams {
            container: Some(
                req.container
                    .clone()
                    .unwrap_or_else(|| DEFAULT_CONTAINER.to_string()),
            ),
            stdin: req.stdin,
            stdout: true,
            stderr: !req.tty,
            tty: req.tty,
            // kube's pipes default to 1 KiB, which caps a stream at a few MB/s
            // (one hand-off per KiB). These are upper bounds, filled only
            // while the reader lags: memory stays bounded, throughput follows
            // the network.
            max_stdout_buf_size: Some(PIPE_BUFFER),
            max_stderr_buf_size: Some(PIPE_BUFFER),
            max_stdin_buf_size: Some(PIPE_BUFFER),
        };
        let process = pods
            .exec(&req.pod, req.command.clone(), &params)
            .await
            .map_err(|e| {
                let e = Error::from(e);
                let message = match e.status() {
                    Some(status) => format!("{e} (HTTP {status})"),
                    None => e.to_string(),
                };
                Error::Exec {
                    command: command.clone(),
                    message,
                    exit_code: None,
                }
            })?;
        Ok(ExecSession {
            process,
            command,
            closed: CancelOnDrop(CancellationToken::new()),
            remote_kill: None,
        })
    }

    /// Runs a command to completion and collects its output. `timeout` of
    /// `None` means no deadline.
    pub async fn exec_output(
        &self,
        req: &ExecRequest,
        timeout: Option<Duration>,
    ) -> Result<ExecOutput> {
        self.exec_output_limited(req, timeout, DEFAULT_MAX_OUTPUT_BYTES)
            .await
    }

    /// [`Client::exec_output`] keeping at most `limit` bytes of output.
    pub async fn exec_output_limited(
        &self,
        req: &ExecRequest,
        timeout: Option<Duration>,
        limit: u64,
    ) -> Result<ExecOutput> {
        let command = req.command.join(" ");
        let run = async {
            let mut session = self.exec(req).await?;
            let (stdout, stderr) = (session.stdout(), session.stderr());
            let operation = format!("exec {command}");
            let (stdout, stderr) = read_outputs(stdout, stderr, limit, &operation).await?;
            let exit_code = session.wait().await?;
            Ok(ExecOutput {
                exit_code,
                stdout,
                stderr,
            })
        };
        match timeout {
            Some(t) => tokio::time::timeout(t, run)
                .await
                .map_err(|_| Error::Timeout {
                    operation: format!("exec {command}"),
                    timeout_ms: t.as_millis() as u64,
                })?,
            None => run.await,
        }
    }
}

impl ExecSession {
    pub fn command(&self) -> &str {
        &self.command
    }

    /// The command's stdout (taken once).
    pub fn stdout(&mut self) -> Option<OutputReader> {
        let inner = self.process.stdout()?;
        Some(self.reader(Box::new(inner)))
    }

    /// The command's stderr (taken once; none with a TTY).
    pub fn stderr(&mut self) -> Option<OutputReader> {
        let inner = self.process.stderr()?;
        Some(self.reader(Box::new(inner)))
    }

    fn reader(&self, inner: Box<dyn AsyncRead + Send + Unpin>) -> OutputReader {
        OutputReader {
            inner,
            closed: Box::pin(self.closed.0.clone().cancelled_owned()),
        }
    }

    /// The command's stdin (taken once). Dropping or shutting it down sends
    /// end-of-input; the session stays open for the exit status.
    pub fn stdin(&mut self) -> Option<impl AsyncWrite + Unpin + use<>> {
        self.process.stdin()
    }

    /// A sender of terminal sizes (TTY sessions only; taken once).
    pub fn terminal_size(&mut self) -> Option<futures::channel::mpsc::Sender<TerminalSize>> {
        self.process.terminal_size()
    }

    /// Attaches what signals the remote process (a provider's opt-in kill
    /// signal): closing a connection does not stop a process under a real
    /// kubelet.
    pub fn set_remote_kill(&mut self, kill: futures::future::BoxFuture<'static, ()>) {
        self.remote_kill = Some(kill);
    }

    /// The remote kill attached by [`ExecSession::set_remote_kill`] (taken once).
    pub fn take_remote_kill(&mut self) -> Option<futures::future::BoxFuture<'static, ()>> {
        self.remote_kill.take()
    }

    /// Closes the connection now. The remote process is not signalled.
    pub fn abort(&self) {
        self.closed.0.cancel();
        self.process.abort();
    }

    /// Waits for the exit status. A connection that ends without one is an
    /// [`Error::Exec`].
    pub async fn wait(mut self) -> Result<i32> {
        let closed = || Error::Exec {
            command: self.command.clone(),
            message: "connection closed before exit status was received".into(),
            exit_code: None,
        };
        let Some(status) = self.process.take_status() else {
            return Err(closed());
        };
        match status.await {
            Some(status) => Ok(exit_code(&status)),
            None => {
                // The message loop ended without a status: say why if it knows.
                let command = self.command.clone();
                match self.process.join().await {
                    Err(e) => Err(Error::Exec {
                        command,
                        message: format!("connection failed: {e}"),
                        exit_code: None,
                    }),
                    Ok(()) => Err(closed()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pod_is_the_legacy_annotation_when_set_else_the_sandbox_name() {
        let with = |v: Value| serde_json::json!({ "metadata": { "annotations": { POD_NAME_ANNOTATION: v } } });
        assert_eq!(pod_name_of(&with("warm-abc12".into()), "box"), "warm-abc12");
        // v1.x writes none; an emptied or blank one is unset (upstream #1467).
        assert_eq!(
            pod_name_of(&serde_json::json!({ "metadata": {} }), "box"),
            "box"
        );
        assert_eq!(pod_name_of(&with("".into()), "box"), "box");
        assert_eq!(pod_name_of(&with("  ".into()), "box"), "box");
        assert_eq!(pod_name_of(&with(Value::Null), "box"), "box");
    }
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{StatusCause, StatusDetails};

    fn failure(causes: Vec<StatusCause>) -> Status {
        Status {
            status: Some("Failure".into()),
            reason: Some("NonZeroExitCode".into()),
            details: Some(StatusDetails {
                causes: Some(causes),
                ..StatusDetails::default()
            }),
            ..Status::default()
        }
    }

    fn cause(reason: &str, message: &str) -> StatusCause {
        StatusCause {
            reason: Some(reason.into()),
            message: Some(message.into()),
            field: None,
        }
    }

    #[test]
    fn exit_codes_follow_the_contract() {
        assert_eq!(
            exit_code(&Status {
                status: Some("Success".into()),
                ..Status::default()
            }),
            0
        );
        assert_eq!(exit_code(&failure(vec![cause("ExitCode", "42")])), 42);
        assert_eq!(exit_code(&failure(vec![cause("ExitCode", "0")])), 1);
        assert_eq!(exit_code(&failure(vec![cause("ExitCode", "x")])), 1);
        assert_eq!(exit_code(&failure(vec![cause("Other", "7")])), 1);
        assert_eq!(
            exit_code(&Status {
                status: Some("Failure".into()),
                ..Status::default()
            }),
            1
        );
    }
}

//! Running commands in a Sandbox's pod over the Kubernetes streaming protocol
//! (WebSocket `v5.channel.k8s.io`, with `v4` as fallback).

mod pipes;
pub(crate) mod websocket;

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
pub use kube::api::TerminalSize;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWrite};
use tokio_util::sync::CancellationToken;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::resources::{Kind, POD_NAME_ANNOTATION, ResourceRef, Version};
pub(crate) use pipes::{Channels, End, deliver, next_size, pipes, recv};
pub use pipes::{InputWriter, OutputReader};
pub use websocket::{LIVENESS_TIMEOUT, PING_INTERVAL};

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
    channels: pipes::Channels,
    command: String,
    _closed: tokio_util::sync::DropGuard,
    remote_kill: Option<futures::future::BoxFuture<'static, ()>>,
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

/// Runs an open session to its end: `input` (then end of input) to its
/// stdin while both outputs are read, at most `limit` bytes of them kept
/// (more is [`Error::OutputTooLarge`]); then the exit status.
pub async fn collect(
    mut session: ExecSession,
    input: Option<&[u8]>,
    limit: u64,
    operation: &str,
) -> Result<ExecOutput> {
    use tokio::io::AsyncWriteExt;
    let (stdout, stderr) = (session.stdout(), session.stderr());
    let stdin = session.stdin();
    let write = async {
        if let (Some(mut w), Some(bytes)) = (stdin, input) {
            // A write error shows up as the command's failure.
            let _ = w.write_all(bytes).await;
            let _ = w.shutdown().await;
        }
    };
    let (_, read) = tokio::join!(write, read_outputs(stdout, stderr, limit, operation));
    let (stdout, stderr) = read?;
    let exit_code = session.wait().await?;
    Ok(ExecOutput {
        exit_code,
        stdout,
        stderr,
    })
}

/// A caller's `timeoutMs`: absent or 0 is no deadline (the contract keeps
/// exec without a default deadline; a dead connection is still noticed, see
/// [`LIVENESS_TIMEOUT`]); otherwise a finite positive number of
/// milliseconds (fractions round up).
pub fn check_timeout_ms(timeout_ms: Option<f64>) -> Result<Option<u64>> {
    match timeout_ms {
        None => Ok(None),
        Some(0.0) => Ok(None),
        Some(t) if t.is_finite() && t > 0.0 => Ok(Some((t.ceil()).min(9.0e15) as u64)),
        Some(t) => Err(Error::invalid_argument(format!(
            "timeoutMs must be a positive number of milliseconds (0 or absent for none), not {t}"
        ))),
    }
}

/// A caller's `maxOutputBytes`: absent is [`DEFAULT_MAX_OUTPUT_BYTES`];
/// otherwise a whole number of bytes, 0 or more.
pub fn check_output_limit(max_output_bytes: Option<f64>) -> Result<u64> {
    match max_output_bytes {
        None => Ok(DEFAULT_MAX_OUTPUT_BYTES),
        Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 => Ok(n.min(9.0e15) as u64),
        Some(n) => Err(Error::invalid_argument(format!(
            "maxOutputBytes must be a whole number of bytes, 0 or more, not {n}"
        ))),
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
        let url = exec_url(req);
        let request = http::Request::get(url)
            .body(Vec::new())
            .map_err(|e| Error::invalid(format!("could not build the exec request: {e}")))?;
        let failed = |e: Error| {
            let message = match e.status() {
                Some(status) => format!("{e} (HTTP {status})"),
                None => e.to_string(),
            };
            Error::Exec {
                command: command.clone(),
                message,
                exit_code: None,
            }
        };
        let connection = tokio::time::timeout(self.request_timeout(), self.kube().connect(request))
            .await
            .map_err(|_| {
                failed(Error::Unreachable {
                    message: format!(
                        "the exec connection did not open within {} s",
                        self.request_timeout().as_secs()
                    ),
                })
            })?
            .map_err(|e| failed(Error::from(e)))?;
        let channels = websocket::start(connection, req.stdin, !req.tty, req.tty).await;
        Ok(ExecSession::from_channels(channels, command))
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
            let session = self.exec(req).await?;
            collect(session, None, limit, &format!("exec {command}")).await
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

/// `pods/exec` of the request: the command as repeated `command`
/// parameters (the API server's form; never one shell string).
fn exec_url(req: &ExecRequest) -> String {
    let mut query = form_urlencoded::Serializer::new(format!(
        "/api/v1/namespaces/{}/pods/{}/exec?",
        req.namespace, req.pod
    ));
    for arg in &req.command {
        query.append_pair("command", arg);
    }
    query.append_pair(
        "container",
        req.container.as_deref().unwrap_or(DEFAULT_CONTAINER),
    );
    query.append_pair("stdout", "true");
    if req.stdin {
        query.append_pair("stdin", "true");
    }
    if req.tty {
        query.append_pair("tty", "true");
    } else {
        query.append_pair("stderr", "true");
    }
    query.finish()
}

impl ExecSession {
    /// A session over another transport's channels (a Docker daemon's).
    pub(crate) fn from_channels(channels: Channels, command: String) -> Self {
        let closed = channels.stop.clone().drop_guard();
        ExecSession {
            channels,
            command,
            _closed: closed,
            remote_kill: None,
        }
    }

    pub fn command(&self) -> &str {
        &self.command
    }

    /// The command's stdout (taken once).
    pub fn stdout(&mut self) -> Option<OutputReader> {
        self.channels.stdout.take()
    }

    /// The command's stderr (taken once; none with a TTY).
    pub fn stderr(&mut self) -> Option<OutputReader> {
        self.channels.stderr.take()
    }

    /// The command's stdin (taken once). Dropping or shutting it down sends
    /// end-of-input; the session stays open for the exit status.
    pub fn stdin(&mut self) -> Option<impl AsyncWrite + Unpin + use<>> {
        self.channels.stdin.take()
    }

    /// Writes `input` as the first bytes of the command's stdin, then ends
    /// the input unless `keep_open` (the caller's own input follows).
    pub async fn send_input_first(&mut self, input: &[u8], keep_open: bool) -> Result<()> {
        use tokio::io::AsyncWriteExt;
        let Some(mut stdin) = self.channels.stdin.take() else {
            return Err(Error::invalid("the session was opened without stdin"));
        };
        let written = stdin.write_all(input).await.map_err(|e| Error::Exec {
            command: self.command.clone(),
            message: format!("sending the command's input failed: {e}"),
            exit_code: None,
        });
        if keep_open {
            self.channels.stdin = Some(stdin);
        }
        written
    }

    /// A sender of terminal sizes (TTY sessions only; taken once).
    pub fn terminal_size(&mut self) -> Option<futures::channel::mpsc::Sender<TerminalSize>> {
        self.channels.resize.take()
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
        self.channels.stop.cancel();
    }

    /// A token that closes the connection when cancelled (as
    /// [`ExecSession::abort`] does), usable after the session is consumed.
    pub fn abort_token(&self) -> CancellationToken {
        self.channels.stop.clone()
    }

    /// Waits for the exit status. Output nobody took is discarded. A
    /// connection that ends without a status is an [`Error::Exec`].
    pub async fn wait(mut self) -> Result<i32> {
        self.channels.stdout = None;
        self.channels.stderr = None;
        let command = self.command.clone();
        let failed = |message: String| Error::Exec {
            command: command.clone(),
            message,
            exit_code: None,
        };
        match (&mut self.channels.reader).await {
            Ok(End::Status(status)) => Ok(exit_code(&status)),
            // The contract's -1: the command ended, its code is unknown.
            Ok(End::Exited(code)) => Ok(code.unwrap_or(-1)),
            Ok(End::Failed(why)) => Err(failed(format!("connection failed: {why}"))),
            Ok(End::Closed) => Err(failed(
                "connection closed before exit status was received".into(),
            )),
            Ok(End::Aborted) => Err(failed(
                "the session was closed before the command finished".into(),
            )),
            Err(e) => Err(failed(format!("the exec session's reader failed: {e}"))),
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
    fn timeouts_and_limits_are_checked() {
        assert_eq!(check_timeout_ms(None).unwrap(), None);
        assert_eq!(check_timeout_ms(Some(0.0)).unwrap(), None);
        assert_eq!(check_timeout_ms(Some(1.5)).unwrap(), Some(2));
        // Above 2^31 - 1 ms (where a JS timer fires at once) is a deadline.
        assert_eq!(check_timeout_ms(Some(4e9)).unwrap(), Some(4_000_000_000));
        for bad in [-1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(matches!(
                check_timeout_ms(Some(bad)),
                Err(Error::InvalidArgument { .. })
            ));
        }
        assert_eq!(check_output_limit(None).unwrap(), DEFAULT_MAX_OUTPUT_BYTES);
        assert_eq!(check_output_limit(Some(0.0)).unwrap(), 0);
        for bad in [-1.0, 0.5, f64::NAN, f64::INFINITY] {
            assert!(check_output_limit(Some(bad)).is_err());
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

//! `NativeExecSession`: one running command, read and written chunk by chunk
//! from JS (so a slow consumer slows the producer), waited on once.

use agent_sandbox::exec::{ExecRequest, ExecSession};
use futures::{FutureExt, SinkExt};
use kube::api::TerminalSize;
use napi::Env;
use napi::bindgen_prelude::{Buffer, PromiseRaw};
use napi_derive::napi;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Mutex;

use crate::js_cancel::{CancelToken, or_cancelled, token_of};
use crate::js_client::NativeClient;
use crate::js_error::{IntoJs, to_napi};
use crate::js_task::CancellableTask;

/// Largest chunk handed to JS by one read.
const READ_CHUNK: usize = 256 * 1024;

type Reader = Box<dyn AsyncRead + Send + Unpin>;
type Writer = Box<dyn AsyncWrite + Send + Unpin>;

#[napi(object)]
pub struct JsExecRequest {
    pub namespace: String,
    pub sandbox_name: String,
    pub container: Option<String>,
    pub command: Vec<String>,
    pub stdin: Option<bool>,
    pub tty: Option<bool>,
    /// Opt-in: a signal name (`SIGTERM`) that kill() also sends to the
    /// command's process group.
    pub kill_signal: Option<String>,
    /// Streamed sessions: positive, the deadline after which wait() rejects
    /// with TIMEOUT and the connection is closed.
    pub timeout_ms: Option<f64>,
}

#[napi(object)]
pub struct JsExecOutput {
    pub exit_code: i32,
    pub stdout: Buffer,
    pub stderr: Buffer,
}

#[napi]
pub struct NativeExecSession {
    stdout: Mutex<Option<Output>>,
    stderr: Mutex<Option<Output>>,
    stdin: Mutex<Option<Writer>>,
    resize: Mutex<Option<futures::channel::mpsc::Sender<TerminalSize>>>,
    /// Waits for the exit status; cancelling it drops the session, which
    /// closes the connection.
    exit: CancellableTask<i32>,
    command: String,
    /// Signals the remote process on kill() (a provider's opt-in `killSignal`).
    remote_kill: std::sync::Mutex<Option<futures::future::BoxFuture<'static, ()>>>,
}

#[napi(object)]
pub struct JsExecOptions {
    /// Positive: the deadline, after which the session is closed and the
    /// call rejects with TIMEOUT. Absent or 0: none.
    pub timeout_ms: Option<f64>,
    /// The most output kept, stdout and stderr together (default 32 MiB);
    /// more closes the session and rejects with OUTPUT_TOO_LARGE.
    pub max_output_bytes: Option<f64>,
}

#[napi(object)]
pub struct JsExecResult {
    pub exit_code: i32,
    /// UTF-8 (invalid sequences replaced), trimmed at both ends (the contract's quirk).
    pub stdout: String,
    pub stderr: String,
}

/// Resolves the Sandbox's pod (errors other than 404 are returned as they
/// are), then opens the session (open failures are EXEC_FAILED).
async fn open_session(
    connection: std::sync::Arc<crate::js_client::Connection>,
    req: JsExecRequest,
) -> napi::Result<NativeExecSession> {
    let timeout_ms = agent_sandbox::exec::check_timeout_ms(req.timeout_ms).into_js()?;
    let deadline = timeout_ms.map(|ms| Deadline {
        operation: format!("exec {}", req.command.join(" ")),
        ms,
    });
    let client = connection.client().await.into_js()?;
    let pod = agent_sandbox::exec::resolve_pod_name(&client, &req.namespace, &req.sandbox_name)
        .await
        .into_js()?;
    let session = client
        .exec_killable(
            &ExecRequest {
                namespace: req.namespace,
                pod,
                container: req.container,
                command: req.command,
                stdin: req.stdin.unwrap_or(false),
                tty: req.tty.unwrap_or(false),
            },
            req.kill_signal.as_deref(),
        )
        .await
        .into_js()?;
    Ok(NativeExecSession::new(session, deadline))
}

#[napi]
impl NativeClient {
    /// Opens a session for streaming. Cancelled before the session is open,
    /// nothing runs.
    #[napi(ts_return_type = "Promise<NativeExecSession>")]
    pub fn start_exec<'env>(
        &self,
        env: &'env Env,
        req: JsExecRequest,
        _options: Option<napi::bindgen_prelude::Object>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, NativeExecSession>> {
        let operation = format!("exec {}", req.command.join(" "));
        let (opening, token) = (open_session(self.connection(), req), token_of(cancel));
        env.spawn_future(async move { or_cancelled(&operation, token, opening).await })
    }

    /// Runs a command to its end: output and exit code. The deadline or the
    /// token closes the session (TIMEOUT, CANCELLED).
    #[napi(ts_return_type = "Promise<JsExecResult>")]
    pub fn exec<'env>(
        &self,
        env: &'env Env,
        req: JsExecRequest,
        options: Option<JsExecOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, JsExecResult>> {
        let operation = format!("exec {}", req.command.join(" "));
        let limit = options.as_ref().and_then(|o| o.max_output_bytes);
        let timeout_ms = options.and_then(|o| o.timeout_ms);
        let connection = self.connection();
        let token = token_of(cancel);
        env.spawn_future(async move {
            let limit = agent_sandbox::exec::check_output_limit(limit).into_js()?;
            let timeout_ms = agent_sandbox::exec::check_timeout_ms(timeout_ms).into_js()?;
            let run = or_cancelled(&operation, token, async {
                open_session(connection, req)
                    .await?
                    .collect_at_most(limit)
                    .await
            });
            let out = match timeout_ms {
                None => run.await?,
                Some(ms) => tokio::time::timeout(std::time::Duration::from_millis(ms), run)
                    .await
                    .map_err(|_| {
                        to_napi(agent_sandbox::Error::Timeout {
                            operation: operation.clone(),
                            timeout_ms: ms,
                        })
                    })??,
            };
            let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_string();
            Ok(JsExecResult {
                exit_code: out.exit_code,
                stdout: text(&out.stdout),
                stderr: text(&out.stderr),
            })
        })
    }
}

/// When a streamed command is given up on, and how the TIMEOUT names it.
pub(crate) struct Deadline {
    pub operation: String,
    pub ms: u64,
}

impl NativeExecSession {
    /// A session; with a `deadline`, wait() rejects with TIMEOUT when it
    /// passes and the connection is closed.
    pub(crate) fn new(mut session: ExecSession, deadline: Option<Deadline>) -> Self {
        let remote_kill = std::sync::Mutex::new(session.take_remote_kill());
        let stdout = session.stdout().map(|r| Output::new(Box::new(r)));
        let stderr = session.stderr().map(|r| Output::new(Box::new(r)));
        let stdin = session.stdin().map(|w| Box::new(w) as Writer);
        let resize = session.terminal_size();
        let command = session.command().to_string();
        let exit = CancellableTask::spawn(format!("exec {command}"), async move {
            let Some(Deadline { operation, ms }) = deadline else {
                return session.wait().await;
            };
            let waiting =
                tokio::time::timeout(std::time::Duration::from_millis(ms), session.wait());
            waiting.await.unwrap_or(Err(agent_sandbox::Error::Timeout {
                operation,
                timeout_ms: ms,
            }))
        });
        NativeExecSession {
            stdout: Mutex::new(stdout),
            stderr: Mutex::new(stderr),
            stdin: Mutex::new(stdin),
            resize: Mutex::new(resize),
            exit,
            command,
            remote_kill,
        }
    }

    /// Both outputs to their end, at most `limit` bytes together (more closes
    /// the session: OUTPUT_TOO_LARGE), and the exit code.
    pub(crate) async fn collect_at_most(&self, limit: u64) -> napi::Result<JsExecOutput> {
        let stdout = self.stdout.lock().await.take().map(|o| o.reader);
        let stderr = self.stderr.lock().await.take().map(|o| o.reader);
        let operation = format!("exec {}", self.command);
        let read = agent_sandbox::exec::read_outputs(stdout, stderr, limit, &operation).await;
        let (stdout, stderr) = match read {
            Ok(outputs) => outputs,
            Err(e) => {
                self.kill();
                return Err(to_napi(e));
            }
        };
        let exit_code = self.wait().await?;
        Ok(JsExecOutput {
            exit_code,
            stdout: stdout.into(),
            stderr: stderr.into(),
        })
    }

    /// A coded EXEC_FAILED error about this session.
    fn failed(&self, message: String) -> napi::Error {
        to_napi(agent_sandbox::Error::Exec {
            command: self.command.clone(),
            message,
            exit_code: None,
        })
    }
}

/// One output of a session with the buffer it is read through. The buffer is
/// reused and only the bytes read are copied out: a fresh zeroed 256 KiB
/// allocation per chunk (mmap, page faults, memset) cost more CPU than the
/// rest of the read path together.
struct Output {
    reader: Reader,
    buf: Box<[u8]>,
}

impl Output {
    fn new(reader: Reader) -> Self {
        Output {
            reader,
            buf: vec![0u8; READ_CHUNK].into_boxed_slice(),
        }
    }
}

/// Waits for output, then also takes whatever else has already arrived (up
/// to the buffer's size): fewer, larger chunks mean fewer crossings into JS,
/// each of which costs a thread wake-up.
async fn read_chunk(slot: &Mutex<Option<Output>>) -> std::io::Result<Option<Buffer>> {
    let mut guard = slot.lock().await;
    let Some(output) = guard.as_mut() else {
        return Ok(None);
    };
    let mut n = output.reader.read(&mut output.buf).await?;
    if n == 0 {
        *guard = None;
        return Ok(None);
    }
    while n < output.buf.len() {
        // Reads are cancel-safe: an unready read is dropped without loss.
        match output.reader.read(&mut output.buf[n..]).now_or_never() {
            Some(Ok(k)) if k > 0 => n += k,
            // End of output or an error: reported by the next call.
            _ => break,
        }
    }
    Ok(Some(output.buf[..n].to_vec().into()))
}

#[napi]
impl NativeExecSession {
    /// The next stdout chunk, or null at end of output.
    #[napi]
    pub async fn read_stdout(&self) -> napi::Result<Option<Buffer>> {
        read_chunk(&self.stdout)
            .await
            .map_err(|e| self.failed(format!("reading stdout failed: {e}")))
    }

    /// The next stderr chunk, or null at end of output.
    #[napi]
    pub async fn read_stderr(&self) -> napi::Result<Option<Buffer>> {
        read_chunk(&self.stderr)
            .await
            .map_err(|e| self.failed(format!("reading stderr failed: {e}")))
    }

    #[napi]
    pub async fn write_stdin(&self, chunk: Buffer) -> napi::Result<()> {
        let mut guard = self.stdin.lock().await;
        let Some(w) = guard.as_mut() else {
            return Err(self.failed("stdin is closed or was not requested".into()));
        };
        w.write_all(&chunk)
            .await
            .map_err(|e| self.failed(format!("writing stdin failed: {e}")))
    }

    /// End of input: the remote command reads EOF; output and status still arrive.
    #[napi]
    pub async fn close_stdin(&self) -> napi::Result<()> {
        if let Some(mut w) = self.stdin.lock().await.take() {
            let _ = w.shutdown().await;
        }
        Ok(())
    }

    #[napi]
    pub async fn resize(&self, columns: u32, rows: u32) -> napi::Result<()> {
        let mut guard = self.resize.lock().await;
        if let Some(tx) = guard.as_mut() {
            let size = TerminalSize {
                width: columns.min(u16::MAX as u32) as u16,
                height: rows.min(u16::MAX as u32) as u16,
            };
            let _ = tx.send(size).await;
        }
        Ok(())
    }

    /// The exit code. Call once; later calls fail.
    #[napi]
    pub async fn wait(&self) -> napi::Result<i32> {
        self.exit.result("wait()").await
    }

    /// Closes the connection (idempotent, never throws). The remote process
    /// is signalled only when the session was opened with a kill signal.
    #[napi(catch_unwind)]
    pub fn kill(&self) {
        self.exit.cancel();
        let remote = self.remote_kill.lock().ok().and_then(|mut k| k.take());
        if let Some(remote) = remote {
            napi::bindgen_prelude::spawn(remote);
        }
    }
}

//! `NativeExecSession`: one running command, its output pushed to JS in
//! chunks (see `js_push`: a slow consumer slows the producer), its input
//! written chunk by chunk, waited on once.

use agent_sandbox::exec::{ExecRequest, ExecSession, OutputReader};
use futures::{FutureExt, SinkExt, Stream};
use kube::api::TerminalSize;
use napi::Env;
use napi::bindgen_prelude::{Buffer, Function, PromiseRaw};
use napi_derive::napi;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::Mutex;

use crate::js_cancel::{CancelToken, or_cancelled, token_of};
use crate::js_client::NativeClient;
use crate::js_error::{IntoJs, to_napi};
use crate::js_push::{DeliverArgs, NativeStream};
use crate::js_task::CancellableTask;

/// The most output handed to JS in one chunk.
const MAX_CHUNK: usize = 256 * 1024;

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
    stdout: std::sync::Mutex<Option<OutputReader>>,
    stderr: std::sync::Mutex<Option<OutputReader>>,
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
        let stdout = session.stdout();
        let stderr = session.stderr();
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
            stdout: std::sync::Mutex::new(stdout),
            stderr: std::sync::Mutex::new(stderr),
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
        let stdout = take(&self.stdout);
        let stderr = take(&self.stderr);
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

fn take(slot: &std::sync::Mutex<Option<OutputReader>>) -> Option<OutputReader> {
    slot.lock().unwrap_or_else(|p| p.into_inner()).take()
}

/// An output in chunks: each waits for output, then also takes what else has
/// already arrived (up to [`MAX_CHUNK`]): fewer, larger chunks mean fewer
/// crossings into JS. Each chunk is copied at most once on its way: several
/// messages are joined in one buffer; a lone message becomes the buffer
/// itself when it owns its memory (moved to the front of it), else copied.
fn output_chunks(reader: Option<OutputReader>) -> impl Stream<Item = napi::Result<Buffer>> {
    futures::stream::unfold(reader, |reader| async move {
        let mut reader = reader?;
        let first = reader.next_chunk().await?;
        let mut more = Vec::new();
        let mut len = first.len();
        while len < MAX_CHUNK {
            // Cancel-safe: an unready receive is dropped without loss.
            match reader.next_chunk().now_or_never() {
                Some(Some(chunk)) => {
                    len += chunk.len();
                    more.push(chunk);
                }
                // The end is reported by the next call.
                _ => break,
            }
        }
        let chunk = match more.is_empty() {
            true => Vec::from(first),
            false => {
                let mut joined = Vec::with_capacity(len);
                joined.extend_from_slice(&first);
                more.iter().for_each(|c| joined.extend_from_slice(c));
                joined
            }
        };
        Some((Ok(Buffer::from(chunk)), Some(reader)))
    })
}

#[napi]
impl NativeExecSession {
    /// Pushes stdout to `deliver` in chunks, then null at its end (at once
    /// when it is not there or already taken). Once per session.
    #[napi(catch_unwind)]
    pub fn stream_stdout(
        &self,
        #[napi(ts_arg_type = "(chunk: Buffer | null, error?: string) => void")] deliver: Function<
            '_,
            DeliverArgs<Buffer>,
            (),
        >,
    ) -> napi::Result<NativeStream> {
        NativeStream::start(deliver, output_chunks(take(&self.stdout)))
    }

    /// [`NativeExecSession::stream_stdout`] for stderr.
    #[napi(catch_unwind)]
    pub fn stream_stderr(
        &self,
        #[napi(ts_arg_type = "(chunk: Buffer | null, error?: string) => void")] deliver: Function<
            '_,
            DeliverArgs<Buffer>,
            (),
        >,
    ) -> napi::Result<NativeStream> {
        NativeStream::start(deliver, output_chunks(take(&self.stderr)))
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

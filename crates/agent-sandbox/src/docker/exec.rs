//! Commands in a container: `POST /containers/{id}/exec`, then
//! `POST /exec/{id}/start` on a connection of our own that the daemon
//! hijacks for the command's streams.
//!
//! Without a TTY the daemon multiplexes stdout and stderr in frames (an
//! 8-byte header: stream, 3 zero bytes, a big-endian length); with one the
//! bytes are the terminal's, raw. Frames are forwarded piece by piece as they
//! arrive, never gathered whole, and TTY bytes are never parsed, so nothing
//! a command prints (a forged header included) makes this process buffer
//! more than the bounded pipes hold. Half-closing the connection's write
//! side is the command's end of input.

use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Docker, Endpoint, api_error};
use crate::error::{Error, ErrorCode, Result};
use crate::exec::{Channels, End, ExecOutput, ExecSession, pipes};

/// Bytes read from the connection at a time.
const READ_BUFFER: usize = 8 * 1024;
/// Opening the connection and the daemon's answer to `start`.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the exit code may take to show once the output has ended.
const EXIT_CODE_WAIT: Duration = Duration::from_secs(5);
/// The most of an error answer read from the daemon.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// What to run in a container.
#[derive(Clone, Debug, Default)]
pub struct ExecSpec {
    pub argv: Vec<String>,
    /// `KEY=value` entries. They travel in the request body, never in argv
    /// or a URL, and `docker inspect` of the exec does not show them.
    pub env: Vec<String>,
    pub working_dir: Option<String>,
    /// `uid[:gid]` or a name; the container's user when `None`.
    pub user: Option<String>,
    pub stdin: bool,
    pub tty: bool,
}

type Upgraded = TokioIo<hyper::upgrade::Upgraded>;

impl Docker {
    /// Starts a command in `container`. Fails with [`Error::Exec`] when it
    /// cannot start (no such container, a stopped one, no such program).
    pub async fn exec(&self, container: &str, spec: &ExecSpec) -> Result<ExecSession> {
        let command = spec.argv.join(" ");
        let failed = |e: Error| Error::Exec {
            command: command.clone(),
            message: e.to_string(),
            exit_code: None,
        };
        if spec.argv.is_empty() {
            return Err(failed(Error::invalid_argument("no command given")));
        }
        let config = bollard::models::ExecConfig {
            attach_stdin: Some(spec.stdin),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(spec.tty),
            env: (!spec.env.is_empty()).then(|| spec.env.clone()),
            cmd: Some(spec.argv.clone()),
            user: spec.user.clone(),
            working_dir: spec.working_dir.clone(),
            ..Default::default()
        };
        let created = self
            .api
            .create_exec(container, config)
            .await
            .map_err(|e| failed(api_error("exec", e)))?;
        let id = created.id;
        let body = serde_json::json!({ "Detach": false, "Tty": spec.tty }).to_string();
        let stream = tokio::time::timeout(
            START_TIMEOUT,
            self.hijack(&format!("/exec/{id}/start"), body),
        )
        .await
        .map_err(|_| {
            failed(Error::Docker {
                code: ErrorCode::Timeout,
                status: None,
                message: format!(
                    "the daemon did not start the command within {} s",
                    START_TIMEOUT.as_secs()
                ),
            })
        })?
        .map_err(failed)?;
        let (ends, caller) = pipes(spec.stdin, !spec.tty, spec.tty);
        let (read, write) = tokio::io::split(stream);
        let reader = tokio::spawn(read_loop(
            read,
            ends.outputs,
            spec.tty,
            ends.stop.clone(),
            ExitCode {
                api: self.api.clone(),
                exec_id: id.clone(),
            },
        ));
        tokio::spawn(write_loop(
            write,
            ends.stdin,
            ends.resize,
            ends.stop,
            self.api.clone(),
            id,
        ));
        let channels: Channels = caller.with_reader(reader);
        Ok(ExecSession::from_channels(channels, command))
    }

    /// Runs a command to completion with `input` as its stdin (then ended),
    /// keeping at most `limit` bytes of output.
    pub async fn exec_output(
        &self,
        container: &str,
        spec: &ExecSpec,
        input: Option<&[u8]>,
        limit: u64,
    ) -> Result<ExecOutput> {
        let spec = ExecSpec {
            stdin: spec.stdin || input.is_some(),
            ..spec.clone()
        };
        let session = self.exec(container, &spec).await?;
        let operation = format!("exec {}", session.command());
        crate::exec::collect(session, input, limit, &operation).await
    }

    /// `POST path` with `body`, on a connection the daemon takes over
    /// (`Upgrade: tcp`): the raw stream after its `101`.
    async fn hijack(&self, path: &str, body: String) -> Result<Upgraded> {
        let unreachable = |e: std::io::Error| Error::Docker {
            code: ErrorCode::Unreachable,
            status: None,
            message: format!("cannot reach the Docker daemon at {}: {e}", self.endpoint),
        };
        match &self.endpoint {
            Endpoint::Unix(socket) => {
                let stream = tokio::net::UnixStream::connect(socket)
                    .await
                    .map_err(unreachable)?;
                upgrade(stream, path, body).await
            }
            Endpoint::Tcp(addr) => {
                let stream = tokio::net::TcpStream::connect(addr)
                    .await
                    .map_err(unreachable)?;
                let _ = stream.set_nodelay(true);
                upgrade(stream, path, body).await
            }
        }
    }
}

async fn upgrade<S>(stream: S, path: &str, body: String) -> Result<Upgraded>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    use http::header::{CONNECTION, CONTENT_TYPE, HOST, UPGRADE};
    let broken = |what: &str, e: hyper::Error| Error::Docker {
        code: ErrorCode::Unreachable,
        status: None,
        message: format!("the Docker daemon connection failed ({what}): {e}"),
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| broken("handshake", e))?;
    tokio::spawn(async move {
        // Ends when the upgraded stream is dropped.
        let _ = connection.with_upgrades().await;
    });
    let request = http::Request::post(path)
        .header(HOST, "docker")
        .header(CONTENT_TYPE, "application/json")
        .header(CONNECTION, "Upgrade")
        .header(UPGRADE, "tcp")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| Error::invalid(format!("could not build the exec request: {e}")))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| broken("request", e))?;
    let status = response.status();
    if status != http::StatusCode::SWITCHING_PROTOCOLS {
        let body = Limited::new(response.into_body(), MAX_ERROR_BODY)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let message = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("message")?.as_str().map(str::to_string))
            .unwrap_or_else(|| String::from_utf8_lossy(&body).trim().to_string());
        return Err(api_error(
            "exec start",
            bollard::errors::Error::DockerResponseServerError {
                status_code: status.as_u16(),
                message,
            },
        ));
    }
    let upgraded = hyper::upgrade::on(response)
        .await
        .map_err(|e| broken("upgrade", e))?;
    Ok(TokioIo::new(upgraded))
}

/// Reads the exit code of a finished exec.
struct ExitCode {
    api: bollard::Docker,
    exec_id: String,
}

impl ExitCode {
    /// The code once the daemon reports the process gone; `None` when it
    /// cannot be learned (the contract's -1).
    async fn read(&self) -> Option<i32> {
        let deadline = tokio::time::Instant::now() + EXIT_CODE_WAIT;
        let mut pause = Duration::from_millis(10);
        loop {
            match self.api.inspect_exec(&self.exec_id).await {
                Ok(inspect) if inspect.running != Some(true) => {
                    return inspect.exit_code.and_then(|c| i32::try_from(c).ok());
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "reading an exec's exit code failed");
                    return None;
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }
}

/// Where the demultiplexer is in the frame stream.
enum Frame {
    /// Reading a header: the bytes so far.
    Header { have: [u8; 8], len: usize },
    /// Inside a frame of `stream` (1 stdout, 2 stderr): bytes still to come.
    Payload { stream: u8, remaining: usize },
}

async fn read_loop<R: AsyncRead + Unpin>(
    mut read: R,
    mut outputs: [Option<mpsc::Sender<Bytes>>; 2],
    tty: bool,
    stop: CancellationToken,
    exit: ExitCode,
) -> End {
    // Whatever ends the reader ends the writer too.
    let _stop_writer = stop.clone().drop_guard();
    let mut buf = BytesMut::new();
    let mut frame = Frame::Header {
        have: [0; 8],
        len: 0,
    };
    loop {
        buf.reserve(READ_BUFFER);
        let n = tokio::select! {
            _ = stop.cancelled() => return End::Aborted,
            read = read.read_buf(&mut buf) => match read {
                Ok(n) => n,
                Err(e) => return End::Failed(e.to_string()),
            },
        };
        if n == 0 {
            break;
        }
        if tty {
            if !crate::exec::deliver(&mut outputs[0], buf.split().freeze(), &stop).await {
                return End::Aborted;
            }
            continue;
        }
        while !buf.is_empty() {
            match &mut frame {
                Frame::Header { have, len } => {
                    let take = (8 - *len).min(buf.len());
                    have[*len..*len + take].copy_from_slice(&buf[..take]);
                    buf.advance(take);
                    *len += take;
                    if *len == 8 {
                        let size = u32::from_be_bytes([have[4], have[5], have[6], have[7]]);
                        frame = Frame::Payload {
                            stream: have[0],
                            remaining: size as usize,
                        };
                    }
                }
                Frame::Payload { stream, remaining } => {
                    let take = (*remaining).min(buf.len());
                    let data = buf.split_to(take).freeze();
                    *remaining -= take;
                    let slot = match *stream {
                        1 => Some(&mut outputs[0]),
                        2 => Some(&mut outputs[1]),
                        // stdin echo (0) or anything else: not output.
                        _ => None,
                    };
                    if let Some(slot) = slot
                        && !data.is_empty()
                        && !crate::exec::deliver(slot, data, &stop).await
                    {
                        return End::Aborted;
                    }
                    if *remaining == 0 {
                        frame = Frame::Header {
                            have: [0; 8],
                            len: 0,
                        };
                    }
                }
            }
        }
    }
    // The daemon closes the stream when the command is done.
    End::Exited(exit.read().await)
}

async fn write_loop<W: AsyncWrite + Unpin>(
    mut write: W,
    mut stdin: Option<mpsc::Receiver<Bytes>>,
    mut resize: Option<futures::channel::mpsc::Receiver<kube::api::TerminalSize>>,
    stop: CancellationToken,
    api: bollard::Docker,
    exec_id: String,
) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            chunk = crate::exec::recv(&mut stdin) => match chunk {
                Some(chunk) => {
                    let written = tokio::select! {
                        _ = stop.cancelled() => break,
                        written = write.write_all(&chunk) => written,
                    };
                    if written.is_err() {
                        break;
                    }
                }
                None => {
                    stdin = None;
                    // End of input: half-close, the output keeps coming.
                    let _ = write.shutdown().await;
                }
            },
            size = crate::exec::next_size(&mut resize) => match size {
                Some(size) => {
                    let options = bollard::query_parameters::ResizeExecOptions {
                        h: i32::from(size.height),
                        w: i32::from(size.width),
                    };
                    if let Err(e) = api.resize_exec(&exec_id, options).await {
                        tracing::debug!(error = %e, "resizing an exec's terminal failed");
                    }
                }
                None => resize = None,
            },
        }
    }
}

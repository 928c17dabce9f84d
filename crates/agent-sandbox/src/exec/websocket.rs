//! The Kubernetes remote-command protocol over a WebSocket
//! (`v5.channel.k8s.io`, `v4.channel.k8s.io` as fallback). Each binary
//! message starts with its channel: 0 stdin, 1 stdout, 2 stderr, 3 the exit
//! status, 4 a terminal size, 255 "this stream is closed" (v5 only).
//!
//! Two tasks share the socket. The reader hands output to bounded pipes, so
//! a slow consumer slows the server down and memory stays bounded; the
//! writer sends input, terminal sizes and pings. A connection that brings
//! nothing (not even the answer to a ping) for [`LIVENESS_TIMEOUT`] while
//! the reader waits on it is taken for dead: a stalled proxy or a half-dead
//! peer never closes it, and TCP keepalive cannot see a proxy that still
//! acknowledges.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::api::TerminalSize;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_util::sync::{CancellationToken, PollSender};

const STDIN: u8 = 0;
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const STATUS: u8 = 3;
const RESIZE: u8 = 4;
const CLOSE: u8 = 255;

/// How often the writer pings the server.
pub const PING_INTERVAL: Duration = Duration::from_secs(15);
/// Silence (while waiting on the socket) after which the connection is
/// taken for dead: two pings unanswered. A stall is noticed within
/// `LIVENESS_TIMEOUT` of the last byte received.
pub const LIVENESS_TIMEOUT: Duration = Duration::from_secs(35);
/// Messages buffered per output stream while its reader lags. Servers send
/// at most a few tens of KiB per message, so this is about a MiB.
const OUTPUT_MESSAGES: usize = 32;
/// Input chunks queued for the socket.
const INPUT_MESSAGES: usize = 8;
/// The largest input chunk sent in one message.
const INPUT_CHUNK: usize = 64 * 1024;
/// The largest message accepted from the server (they send far smaller).
const MAX_MESSAGE: usize = 1024 * 1024;
/// The socket's read buffer. tungstenite's default is 128 KiB per socket,
/// allocated for every session, idle ones included.
const READ_BUFFER: usize = 8 * 1024;

type Socket = WebSocketStream<hyper_util::rt::TokioIo<hyper::upgrade::Upgraded>>;

/// How the session's connection ended.
pub(super) enum End {
    /// The server sent the exit status.
    Status(Box<Status>),
    /// The connection closed without one.
    Closed,
    /// The connection failed (or went silent): why.
    Failed(String),
    /// Closed by the caller.
    Aborted,
}

/// The running session's halves: pipes for the caller, tasks on the socket.
pub(super) struct Channels {
    pub stdout: Option<OutputReader>,
    pub stderr: Option<OutputReader>,
    pub stdin: Option<InputWriter>,
    pub resize: Option<futures::channel::mpsc::Sender<TerminalSize>>,
    pub reader: tokio::task::JoinHandle<End>,
    /// Cancelled to close the connection (both tasks end).
    pub stop: CancellationToken,
}

/// Starts the reader and writer on an upgraded connection.
pub(super) async fn start(
    connection: kube::client::Connection,
    stdin: bool,
    stderr: bool,
    tty: bool,
) -> Channels {
    let can_close = connection.supports_stream_close();
    // A fresh stream over the same upgraded connection, with small buffers
    // (nothing has been read from it yet; bytes hyper read ahead stay in
    // the upgraded connection).
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let socket = Socket::from_raw_socket(
        connection.into_stream().into_inner(),
        Role::Client,
        Some(config),
    )
    .await;
    let (sink, stream) = socket.split();
    let stop = CancellationToken::new();
    let (stdout_tx, stdout_rx) = mpsc::channel(OUTPUT_MESSAGES);
    let (stderr_tx, stderr_rx) = if stderr {
        let (tx, rx) = mpsc::channel(OUTPUT_MESSAGES);
        (Some(tx), Some(rx))
    } else {
        (None, None)
    };
    let (stdin_tx, stdin_rx) = if stdin {
        let (tx, rx) = mpsc::channel::<Bytes>(INPUT_MESSAGES);
        (
            Some(InputWriter {
                tx: PollSender::new(tx),
            }),
            Some(rx),
        )
    } else {
        (None, None)
    };
    let (resize_tx, resize_rx) = if tty {
        let (tx, rx) = futures::channel::mpsc::channel(1);
        (Some(tx), Some(rx))
    } else {
        (None, None)
    };
    let reader = tokio::spawn(read_loop(
        stream,
        [Some(stdout_tx), stderr_tx],
        stop.clone(),
    ));
    tokio::spawn(write_loop(
        sink,
        stdin_rx,
        resize_rx,
        can_close,
        stop.clone(),
    ));
    Channels {
        stdout: Some(OutputReader::new(stdout_rx)),
        stderr: stderr_rx.map(OutputReader::new),
        stdin: stdin_tx,
        resize: resize_tx,
        reader,
        stop,
    }
}

async fn read_loop(
    mut stream: futures::stream::SplitStream<Socket>,
    mut outputs: [Option<mpsc::Sender<Bytes>>; 2],
    stop: CancellationToken,
) -> End {
    // Whatever ends the reader ends the writer too.
    let _stop_writer = stop.clone().drop_guard();
    loop {
        let message = tokio::select! {
            _ = stop.cancelled() => return End::Aborted,
            next = tokio::time::timeout(LIVENESS_TIMEOUT, stream.next()) => match next {
                Err(_) => {
                    return End::Failed(format!(
                        "the connection went silent: nothing received for {} s, pings unanswered",
                        LIVENESS_TIMEOUT.as_secs()
                    ));
                }
                Ok(None) => return End::Closed,
                Ok(Some(Err(e))) => return End::Failed(e.to_string()),
                Ok(Some(Ok(message))) => message,
            },
        };
        let mut data = match message {
            Message::Binary(data) => data,
            Message::Close(_) => return End::Closed,
            // Pongs (and pings, answered by tungstenite) only prove life.
            _ => continue,
        };
        if data.is_empty() {
            continue;
        }
        let channel = data.get_u8();
        match channel {
            STDOUT | STDERR if !data.is_empty() => {
                let slot = &mut outputs[usize::from(channel - STDOUT)];
                if let Some(tx) = slot {
                    let delivered = tokio::select! {
                        _ = stop.cancelled() => return End::Aborted,
                        sent = tx.send(data) => sent.is_ok(),
                    };
                    // Nobody reads this stream any more: drop its output.
                    if !delivered {
                        *slot = None;
                    }
                }
            }
            STATUS => {
                let status = serde_json::from_slice::<Status>(&data).unwrap_or_else(|e| Status {
                    status: Some("Failure".into()),
                    message: Some(format!("unreadable exit status: {e}")),
                    ..Status::default()
                });
                return End::Status(Box::new(status));
            }
            _ => {}
        }
    }
}

async fn write_loop(
    mut sink: futures::stream::SplitSink<Socket, Message>,
    mut stdin: Option<mpsc::Receiver<Bytes>>,
    mut resize: Option<futures::channel::mpsc::Receiver<TerminalSize>>,
    can_close: bool,
    stop: CancellationToken,
) {
    let mut ping =
        tokio::time::interval_at(tokio::time::Instant::now() + PING_INTERVAL, PING_INTERVAL);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let message = tokio::select! {
            _ = stop.cancelled() => break,
            chunk = recv(&mut stdin) => match chunk {
                Some(chunk) => framed(STDIN, &chunk),
                None => {
                    stdin = None;
                    // v4 has no way to say "end of input".
                    if !can_close {
                        continue;
                    }
                    Message::Binary(Bytes::from_static(&[CLOSE, STDIN]))
                }
            },
            size = next_size(&mut resize) => match size {
                Some(size) => {
                    let json = format!(r#"{{"Width":{},"Height":{}}}"#, size.width, size.height);
                    framed(RESIZE, json.as_bytes())
                }
                None => {
                    resize = None;
                    continue;
                }
            },
            _ = ping.tick() => Message::Ping(Bytes::new()),
        };
        let sent = tokio::select! {
            _ = stop.cancelled() => break,
            sent = sink.send(message) => sent,
        };
        if sent.is_err() {
            break;
        }
    }
    // Best effort: tell the server we are done (the reader may be gone).
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
}

fn framed(channel: u8, data: &[u8]) -> Message {
    let mut buf = BytesMut::with_capacity(data.len() + 1);
    buf.extend_from_slice(&[channel]);
    buf.extend_from_slice(data);
    Message::Binary(buf.freeze())
}

/// The next item of an optional receiver; pending forever once it is gone.
async fn recv(rx: &mut Option<mpsc::Receiver<Bytes>>) -> Option<Bytes> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn next_size(
    rx: &mut Option<futures::channel::mpsc::Receiver<TerminalSize>>,
) -> Option<TerminalSize> {
    match rx {
        Some(rx) => rx.next().await,
        None => std::future::pending().await,
    }
}

/// An output stream of a session: its bytes in order, then end of output
/// when the connection ends (after the exit status, a failure or an abort).
pub struct OutputReader {
    rx: mpsc::Receiver<Bytes>,
    chunk: Bytes,
}

impl OutputReader {
    fn new(rx: mpsc::Receiver<Bytes>) -> Self {
        OutputReader {
            rx,
            chunk: Bytes::new(),
        }
    }

    /// The next chunk as it arrived (no copy); `None` at the end.
    pub async fn next_chunk(&mut self) -> Option<Bytes> {
        if !self.chunk.is_empty() {
            return Some(std::mem::take(&mut self.chunk));
        }
        self.rx.recv().await
    }
}

impl AsyncRead for OutputReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.chunk.is_empty() {
            match ready!(this.rx.poll_recv(cx)) {
                Some(chunk) => this.chunk = chunk,
                None => return Poll::Ready(Ok(())),
            }
        }
        let n = this.chunk.len().min(buf.remaining());
        buf.put_slice(&this.chunk[..n]);
        this.chunk.advance(n);
        Poll::Ready(Ok(()))
    }
}

/// A session's stdin. Shutting it down (or dropping it) sends end of input
/// (v5; a v4 server cannot be told).
pub struct InputWriter {
    tx: PollSender<Bytes>,
}

impl AsyncWrite for InputWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let this = self.get_mut();
        let closed =
            || std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the exec session is closed");
        ready!(this.tx.poll_reserve(cx)).map_err(|_| closed())?;
        let n = buf.len().min(INPUT_CHUNK);
        this.tx
            .send_item(Bytes::copy_from_slice(&buf[..n]))
            .map_err(|_| closed())?;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.get_mut().tx.close();
        Poll::Ready(Ok(()))
    }
}

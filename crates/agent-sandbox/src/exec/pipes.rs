//! What a running command's session hands its caller, whatever carries it
//! (the Kubernetes WebSocket, a Docker daemon's hijacked connection): bounded
//! pipes for output and input, terminal sizes, and how the connection ended.
//!
//! Bounded everywhere: a transport task that forwards output waits while the
//! caller lags, so a command that prints fast slows down instead of filling
//! this process's memory.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use kube::api::TerminalSize;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, PollSender};

/// Messages buffered per output stream while its reader lags. Transports
/// send at most a few tens of KiB per message, so this is about a MiB.
const OUTPUT_MESSAGES: usize = 32;
/// Input chunks queued for the connection.
const INPUT_MESSAGES: usize = 8;
/// The largest input chunk handed to the transport in one piece.
pub(crate) const INPUT_CHUNK: usize = 64 * 1024;

/// How the session's connection ended.
pub(crate) enum End {
    /// The Kubernetes server sent the exit status.
    Status(Box<k8s_openapi::apimachinery::pkg::apis::meta::v1::Status>),
    /// The command's exit code, read by the transport; `None` when the
    /// command ended but its code could not be learned.
    Exited(Option<i32>),
    /// The connection closed without an exit status.
    Closed,
    /// The connection failed (or went silent): why.
    Failed(String),
    /// Closed by the caller.
    Aborted,
}

/// The running session's halves: pipes for the caller, the transport's task.
pub(crate) struct Channels {
    pub stdout: Option<OutputReader>,
    pub stderr: Option<OutputReader>,
    pub stdin: Option<InputWriter>,
    pub resize: Option<futures::channel::mpsc::Sender<TerminalSize>>,
    pub reader: tokio::task::JoinHandle<End>,
    /// Cancelled to close the connection (the transport's tasks end).
    pub stop: CancellationToken,
}

/// The transport's ends of the pipes.
pub(crate) struct TransportEnds {
    /// stdout, then stderr (absent with a TTY).
    pub outputs: [Option<mpsc::Sender<Bytes>>; 2],
    pub stdin: Option<mpsc::Receiver<Bytes>>,
    pub resize: Option<futures::channel::mpsc::Receiver<TerminalSize>>,
    pub stop: CancellationToken,
}

/// The caller's ends, made into [`Channels`] once the transport runs.
pub(crate) struct CallerEnds {
    stdout: OutputReader,
    stderr: Option<OutputReader>,
    stdin: Option<InputWriter>,
    resize: Option<futures::channel::mpsc::Sender<TerminalSize>>,
    stop: CancellationToken,
}

impl CallerEnds {
    pub fn with_reader(self, reader: tokio::task::JoinHandle<End>) -> Channels {
        Channels {
            stdout: Some(self.stdout),
            stderr: self.stderr,
            stdin: self.stdin,
            resize: self.resize,
            reader,
            stop: self.stop,
        }
    }
}

/// New pipes: stdout always, stderr and stdin when asked, terminal sizes
/// with a TTY.
pub(crate) fn pipes(stdin: bool, stderr: bool, tty: bool) -> (TransportEnds, CallerEnds) {
    let stop = CancellationToken::new();
    let (stdout_tx, stdout_rx) = mpsc::channel(OUTPUT_MESSAGES);
    let (stderr_tx, stderr_rx) = match stderr {
        true => {
            let (tx, rx) = mpsc::channel(OUTPUT_MESSAGES);
            (Some(tx), Some(OutputReader::new(rx)))
        }
        false => (None, None),
    };
    let (stdin_tx, stdin_rx) = match stdin {
        true => {
            let (tx, rx) = mpsc::channel::<Bytes>(INPUT_MESSAGES);
            let writer = InputWriter {
                tx: PollSender::new(tx),
            };
            (Some(writer), Some(rx))
        }
        false => (None, None),
    };
    let (resize_tx, resize_rx) = match tty {
        true => {
            let (tx, rx) = futures::channel::mpsc::channel(1);
            (Some(tx), Some(rx))
        }
        false => (None, None),
    };
    let transport = TransportEnds {
        outputs: [Some(stdout_tx), stderr_tx],
        stdin: stdin_rx,
        resize: resize_rx,
        stop: stop.clone(),
    };
    let caller = CallerEnds {
        stdout: OutputReader::new(stdout_rx),
        stderr: stderr_rx,
        stdin: stdin_tx,
        resize: resize_tx,
        stop,
    };
    (transport, caller)
}

/// Hands `data` to an output pipe, waiting while the caller lags. `false`
/// when the session was stopped meanwhile. A pipe nobody reads any more is
/// dropped (its output is discarded from then on).
pub(crate) async fn deliver(
    slot: &mut Option<mpsc::Sender<Bytes>>,
    data: Bytes,
    stop: &CancellationToken,
) -> bool {
    let Some(tx) = slot else { return true };
    let delivered = tokio::select! {
        _ = stop.cancelled() => return false,
        sent = tx.send(data) => sent.is_ok(),
    };
    if !delivered {
        *slot = None;
    }
    true
}

/// The next item of an optional receiver; pending forever once it is gone.
pub(crate) async fn recv(rx: &mut Option<mpsc::Receiver<Bytes>>) -> Option<Bytes> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// The next terminal size; pending forever once the sender is gone.
pub(crate) async fn next_size(
    rx: &mut Option<futures::channel::mpsc::Receiver<TerminalSize>>,
) -> Option<TerminalSize> {
    use futures::StreamExt;
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
    pub(crate) fn new(rx: mpsc::Receiver<Bytes>) -> Self {
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
/// (over the Kubernetes protocol v5; a v4 server cannot be told).
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

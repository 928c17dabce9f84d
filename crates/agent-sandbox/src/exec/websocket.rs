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

use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::api::TerminalSize;
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_util::sync::CancellationToken;

use super::pipes::{Channels, End, deliver, next_size, pipes, recv};

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
/// The largest message accepted from the server (they send far smaller).
const MAX_MESSAGE: usize = 1024 * 1024;
/// The socket's read buffer. tungstenite's default is 128 KiB per socket,
/// allocated for every session, idle ones included.
const READ_BUFFER: usize = 8 * 1024;

pub(crate) type Socket = WebSocketStream<hyper_util::rt::TokioIo<hyper::upgrade::Upgraded>>;

/// Starts the reader and writer on an upgraded connection.
/// A fresh WebSocket over an upgraded connection, with a small read buffer
/// and messages of at most [`MAX_MESSAGE`] (nothing has been read from it
/// yet; bytes hyper read ahead stay in the upgraded connection).
pub(crate) async fn small_socket(connection: kube::client::Connection) -> Socket {
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    Socket::from_raw_socket(
        connection.into_stream().into_inner(),
        Role::Client,
        Some(config),
    )
    .await
}

pub(super) async fn start(
    connection: kube::client::Connection,
    stdin: bool,
    stderr: bool,
    tty: bool,
) -> Channels {
    let can_close = connection.supports_stream_close();
    let (sink, stream) = small_socket(connection).await.split();
    let (ends, caller) = pipes(stdin, stderr, tty);
    let reader = tokio::spawn(read_loop(stream, ends.outputs, ends.stop.clone()));
    tokio::spawn(write_loop(
        sink,
        ends.stdin,
        ends.resize,
        can_close,
        ends.stop,
    ));
    caller.with_reader(reader)
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
                if !deliver(slot, data, &stop).await {
                    return End::Aborted;
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

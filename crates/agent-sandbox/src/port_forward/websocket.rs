//! The Kubernetes port-forward protocol over a WebSocket (`pods/portforward`,
//! one port per connection): channel 0 carries the data, channel 1 the
//! server's error message; each channel's first message is the port number
//! (2 bytes, little endian).
//!
//! The protocol cannot say "no more input" (v4 has no half-close): after
//! the local client stops sending, the pod's answer is still relayed until
//! the pod's side closes or stays silent for [`LINGER`]. Pings keep a quiet
//! connection alive and a dead one noticed, as for exec.

use std::time::Duration;

use bytes::{Buf, Bytes};
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::watch;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::exec::{LIVENESS_TIMEOUT, PING_INTERVAL};

const DATA: u8 = 0;
const ERROR: u8 = 1;
/// How long the pod's side may stay silent after the local client stopped
/// sending before the connection is closed.
pub const LINGER: Duration = Duration::from_secs(10);
/// Bytes read from the local client per message.
const CHUNK: usize = 16 * 1024;
/// The most of the server's error message kept.
const MAX_ERROR: usize = 4096;

impl Client {
    /// Opens `pods/portforward` for one port of `pod`.
    pub(crate) async fn open_port_forward(
        &self,
        namespace: &str,
        pod: &str,
        port: u16,
    ) -> Result<kube::client::Connection> {
        crate::resources::check_namespace(namespace, false)?;
        crate::resources::check_name(pod)?;
        let url = format!("/api/v1/namespaces/{namespace}/pods/{pod}/portforward?ports={port}");
        let request = http::Request::get(url)
            .body(Vec::new())
            .map_err(|e| Error::invalid(format!("could not build the request: {e}")))?;
        tokio::time::timeout(self.request_timeout(), self.kube().connect(request))
            .await
            .map_err(|_| Error::Unreachable {
                message: format!(
                    "the port-forward connection did not open within {} s",
                    self.request_timeout().as_secs()
                ),
            })?
            .map_err(Error::from)
    }
}

/// Relays `local` over `connection` until either side ends. Fails with the
/// server's message when it could not reach the port, or with what broke.
pub(crate) async fn relay(
    connection: kube::client::Connection,
    local: TcpStream,
    port: u16,
) -> std::result::Result<(), String> {
    let socket = crate::exec::websocket::small_socket(connection).await;
    relay_socket(socket, local, port).await
}

/// [`relay`] over any WebSocket.
async fn relay_socket<S>(
    socket: WebSocketStream<S>,
    local: TcpStream,
    port: u16,
) -> std::result::Result<(), String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sink, stream) = socket.split();
    let (local_in, local_out) = local.into_split();
    let stop = CancellationToken::new();
    // However this ends (even dropped midway), the writer stops too.
    let _stop_writer = stop.clone().drop_guard();
    let (local_done, local_done_seen) = watch::channel(false);
    let writer = tokio::spawn(to_pod(sink, local_in, local_done, stop.clone()));
    let outcome = from_pod(stream, local_out, port, local_done_seen, &stop).await;
    stop.cancel();
    let _ = writer.await;
    outcome
}

/// Local client → pod, and pings. Marks `local_done` when the client stops
/// sending.
async fn to_pod<S>(
    mut sink: futures::stream::SplitSink<WebSocketStream<S>, Message>,
    mut local: OwnedReadHalf,
    local_done: watch::Sender<bool>,
    stop: CancellationToken,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut ping =
        tokio::time::interval_at(tokio::time::Instant::now() + PING_INTERVAL, PING_INTERVAL);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut buf = vec![0u8; CHUNK + 1];
    buf[0] = DATA;
    let mut reading = true;
    loop {
        let message = tokio::select! {
            _ = stop.cancelled() => break,
            read = local.read(&mut buf[1..]), if reading => match read {
                Ok(n) if n > 0 => Message::Binary(Bytes::copy_from_slice(&buf[..=n])),
                _ => {
                    reading = false;
                    let _ = local_done.send(true);
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
            stop.cancel();
            break;
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
}

/// Pod → local client, until the pod's side closes, the local client is
/// gone, or the connection goes silent.
async fn from_pod<S>(
    mut stream: futures::stream::SplitStream<WebSocketStream<S>>,
    mut local: OwnedWriteHalf,
    port: u16,
    mut local_done: watch::Receiver<bool>,
    stop: &CancellationToken,
) -> std::result::Result<(), String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut opened = [false; 2];
    let mut error = Vec::new();
    let outcome = loop {
        let silence = if *local_done.borrow() {
            LINGER
        } else {
            LIVENESS_TIMEOUT
        };
        let next = tokio::select! {
            _ = stop.cancelled() => break Ok(()),
            // Re-evaluate the allowed silence once the client stops sending.
            changed = local_done.changed(), if !*local_done.borrow() => {
                if changed.is_err() {
                    break Ok(());
                }
                continue;
            }
            next = tokio::time::timeout(silence, stream.next()) => next,
        };
        let message = match next {
            Err(_) if *local_done.borrow() => break Ok(()),
            Err(_) => {
                break Err(format!(
                    "the connection went silent: nothing received for {} s, pings unanswered",
                    silence.as_secs()
                ));
            }
            Ok(None) => break Ok(()),
            Ok(Some(Err(e))) => break Err(format!("the connection broke: {e}")),
            Ok(Some(Ok(Message::Binary(data)))) => data,
            Ok(Some(Ok(Message::Close(_)))) => break Ok(()),
            Ok(Some(Ok(_))) => continue,
        };
        let mut data = message;
        let Some(channel) = data.first().copied() else {
            continue;
        };
        data.advance(1);
        let slot = match channel {
            DATA => 0,
            ERROR => 1,
            other => break Err(format!("the server used channel {other}, not 0 or 1")),
        };
        if !opened[slot] {
            // The channel's first two bytes name the port.
            if data.len() < 2 {
                break Err("the server's first message is not a port number".into());
            }
            let named = data.get_u16_le();
            if named != port {
                break Err(format!("the server answered for port {named}"));
            }
            opened[slot] = true;
        }
        if data.is_empty() {
            continue;
        }
        if slot == usize::from(ERROR) {
            let room = MAX_ERROR.saturating_sub(error.len());
            error.extend_from_slice(&data[..data.len().min(room)]);
        } else if local.write_all(&data).await.is_err() {
            // The local client is gone: nothing more to relay.
            break Ok(());
        }
    };
    let _ = local.shutdown().await;
    match outcome {
        Ok(()) if !error.is_empty() => Err(String::from_utf8_lossy(&error).trim().to_string()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    //! Faults a real kubelet does not produce on demand, from an in-process
    //! WebSocket peer (the working paths run against the real control plane:
    //! `__test__/provider-behaviour.test.mjs`).
    use super::*;
    use tokio::net::TcpListener;
    use tokio_tungstenite::tungstenite::protocol::Role;

    /// A local client connection and the relay's end of it.
    async fn local_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        (client.unwrap(), accepted.unwrap().0)
    }

    /// The relay's socket and the in-process server's.
    async fn socket_pair() -> (
        WebSocketStream<tokio::io::DuplexStream>,
        WebSocketStream<tokio::io::DuplexStream>,
    ) {
        let (a, b) = tokio::io::duplex(64 * 1024);
        let client = WebSocketStream::from_raw_socket(a, Role::Client, None).await;
        let server = WebSocketStream::from_raw_socket(b, Role::Server, None).await;
        (client, server)
    }

    fn on(channel: u8, data: &[u8]) -> Message {
        let mut m = vec![channel];
        m.extend_from_slice(data);
        Message::Binary(m.into())
    }

    #[tokio::test]
    async fn the_servers_error_message_is_the_failure_and_the_data_before_it_arrives() {
        let (socket, mut server) = socket_pair().await;
        let (mut client, relayed) = local_pair().await;
        let peer = tokio::spawn(async move {
            let port = 8080u16.to_le_bytes();
            server.send(on(DATA, &port)).await.unwrap();
            server.send(on(ERROR, &port)).await.unwrap();
            server.send(on(DATA, b"partial answer")).await.unwrap();
            server
                .send(on(ERROR, b"dial tcp 127.0.0.1:8080: connection refused"))
                .await
                .unwrap();
            server.close(None).await.unwrap();
        });
        let outcome = relay_socket(socket, relayed, 8080).await;
        peer.await.unwrap();
        assert_eq!(
            outcome.unwrap_err(),
            "dial tcp 127.0.0.1:8080: connection refused"
        );
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"partial answer");
    }

    #[tokio::test]
    async fn a_server_that_answers_for_another_port_is_refused() {
        let (socket, mut server) = socket_pair().await;
        let (_client, relayed) = local_pair().await;
        tokio::spawn(async move {
            server.send(on(DATA, &9u16.to_le_bytes())).await.unwrap();
            // Keep the connection open: the relay must not wait on it.
            tokio::time::sleep(Duration::from_secs(60)).await;
        });
        let outcome =
            tokio::time::timeout(Duration::from_secs(5), relay_socket(socket, relayed, 8080))
                .await
                .expect("the relay ends at once");
        assert_eq!(outcome.unwrap_err(), "the server answered for port 9");
    }

    #[tokio::test]
    async fn input_reaches_the_server_on_the_data_channel_and_a_closed_client_ends_the_relay() {
        let (socket, mut server) = socket_pair().await;
        let (mut client, relayed) = local_pair().await;
        let relay = tokio::spawn(relay_socket(socket, relayed, 80));
        server.send(on(DATA, &80u16.to_le_bytes())).await.unwrap();
        client.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
        let mut input = Vec::new();
        while input.len() < 18 {
            match server.next().await.unwrap().unwrap() {
                Message::Binary(data) => {
                    assert_eq!(data[0], DATA);
                    input.extend_from_slice(&data[1..]);
                }
                _ => continue,
            }
        }
        assert_eq!(input, b"GET / HTTP/1.1\r\n\r\n");
        server.send(on(DATA, b"HTTP/1.1 200 OK\r\n")).await.unwrap();
        let mut answer = [0u8; 17];
        client.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"HTTP/1.1 200 OK\r\n");
        // The client goes away entirely; the next answer cannot be written,
        // and the relay ends without an error.
        drop(client);
        let _ = server.send(on(DATA, b"more")).await;
        let _ = server.send(on(DATA, b"and more")).await;
        let outcome = tokio::time::timeout(Duration::from_secs(5), relay)
            .await
            .expect("the relay ends")
            .unwrap();
        assert_eq!(outcome, Ok(()));
    }
}

//! A port inside a sandbox, reached through a TCP listener on this host's
//! loopback: every connection accepted is relayed to the sandbox's port by
//! the backend's [`Relay`] (the pod's `portforward` subresource on
//! Kubernetes, see [`websocket`]; the container's address on Docker).
//!
//! A connection that cannot reach the port is closed, and why is queued for
//! the caller ([`PortForward::next_error`]) as `PORT_FORWARD_FAILED`; the
//! listener goes on accepting. Closing the forward (or dropping it) stops
//! the listener and every connection it relays.

pub(crate) mod websocket;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use async_trait::async_trait;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use crate::error::{Error, ErrorCode, Result};

/// Connections relayed at once; more wait to be accepted.
pub const MAX_CONNECTIONS: usize = 256;
/// Failures kept for the caller; older ones beyond this are dropped.
const ERROR_QUEUE: usize = 64;
/// The most of a server's error message kept.
const MAX_REMOTE_MESSAGE: usize = 1024;

/// Relays one accepted connection to the sandbox's port.
#[async_trait]
pub trait Relay: Send + Sync + 'static {
    /// Carries bytes both ways until either side ends; fails (with a coded
    /// error) when the port cannot be reached or the relay breaks.
    async fn relay(&self, local: TcpStream) -> Result<()>;
}

/// `forwardPort` options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortForwardOptions {
    /// The local port on 127.0.0.1; an ephemeral one when unset.
    pub local_port: Option<u16>,
}

/// `PORT_FORWARD_FAILED` for port `port` of `sandbox`.
pub fn failed(sandbox: &str, port: u16, why: &str) -> Error {
    let why: String = why.chars().take(MAX_REMOTE_MESSAGE).collect();
    Error::provider(
        ErrorCode::PortForwardFailed,
        format!(
            "port {port} of sandbox {sandbox} could not be reached: {why}; is a server listening on it inside the sandbox?"
        ),
        serde_json::json!({ "sandbox": sandbox, "port": port }),
        None,
    )
}

/// Refuses port 0 (the range is the type's).
pub fn check_port(name: &str, port: u16) -> Result<()> {
    if port == 0 {
        return Err(port_refused(name, "0"));
    }
    Ok(())
}

/// A caller's port number (a JS number): a whole number from 1 to 65535.
pub fn port_number(name: &str, value: f64) -> Result<u16> {
    if value.is_finite() && value.fract() == 0.0 && (1.0..=65535.0).contains(&value) {
        return Ok(value as u16);
    }
    Err(port_refused(name, &value.to_string()))
}

fn port_refused(name: &str, value: &str) -> Error {
    Error::invalid_argument(format!(
        "{name} must be a whole port number from 1 to 65535, not {value}"
    ))
}

/// A listening forward.
pub struct PortForward {
    local: SocketAddr,
    remote_port: u16,
    stop: CancellationToken,
    /// Fired once the listener is closed (after `stop`).
    stopped: CancellationToken,
    errors: Mutex<mpsc::Receiver<Error>>,
}

impl PortForward {
    /// Listens on 127.0.0.1 (`options.local_port`, or an ephemeral port)
    /// and relays each connection with `relay`.
    pub async fn start(
        remote_port: u16,
        options: PortForwardOptions,
        relay: Arc<dyn Relay>,
    ) -> Result<PortForward> {
        check_port("the remote port", remote_port)?;
        if let Some(p) = options.local_port {
            check_port("localPort", p)?;
        }
        let wanted = SocketAddr::from((Ipv4Addr::LOCALHOST, options.local_port.unwrap_or(0)));
        let listener = TcpListener::bind(wanted).await.map_err(|e| {
            Error::provider(
                ErrorCode::PortForwardFailed,
                format!(
                    "could not listen on {wanted}: {e}; pass another localPort, or none for a free one"
                ),
                serde_json::json!({ "localPort": wanted.port() }),
                None,
            )
        })?;
        let local = listener
            .local_addr()
            .map_err(|e| Error::invalid(format!("the listener has no address: {e}")))?;
        let stop = CancellationToken::new();
        let stopped = CancellationToken::new();
        let (report, errors) = mpsc::channel(ERROR_QUEUE);
        let (done, until_stopped) = (stopped.clone(), stop.clone());
        tokio::spawn(async move {
            // The listener is dropped (closed) when accept_loop returns.
            let _done = done.drop_guard();
            accept_loop(listener, relay, until_stopped, report).await;
        });
        Ok(PortForward {
            local,
            remote_port,
            stop,
            stopped,
            errors: Mutex::new(errors),
        })
    }

    /// Where to connect: 127.0.0.1 and the local port.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub fn remote_port(&self) -> u16 {
        self.remote_port
    }

    /// The next connection's failure, oldest first; `None` once closed
    /// (the listener's port no longer accepts connections).
    pub async fn next_error(&self) -> Option<Error> {
        let mut errors = self.errors.lock().await;
        tokio::select! {
            biased;
            _ = self.stop.cancelled() => {
                self.stopped.cancelled().await;
                None
            }
            error = errors.recv() => error,
        }
    }

    /// Stops listening and ends every relayed connection (see [`Self::closed`]).
    pub fn close(&self) {
        self.stop.cancel();
    }

    /// Resolves once the listener is closed.
    pub async fn closed(&self) {
        self.stopped.cancelled().await;
    }

    pub fn is_closed(&self) -> bool {
        self.stop.is_cancelled()
    }
}

impl std::fmt::Debug for PortForward {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortForward")
            .field("local", &self.local)
            .field("remote_port", &self.remote_port)
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Drop for PortForward {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn accept_loop(
    listener: TcpListener,
    relay: Arc<dyn Relay>,
    stop: CancellationToken,
    report: mpsc::Sender<Error>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let accepted = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let socket = match accepted {
            Ok((socket, _)) => socket,
            Err(e) => {
                // Out of file descriptors and the like: wait, then go on.
                tracing::warn!(error = %e, "port forward: accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = socket.set_nodelay(true);
        let relay = relay.clone();
        let stop = stop.clone();
        let report = report.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let outcome = tokio::select! {
                _ = stop.cancelled() => return,
                outcome = relay.relay(socket) => outcome,
            };
            if let Err(error) = outcome {
                tracing::debug!(error = %error, "port forward: a connection failed");
                // A full queue drops the newest: nobody is reading them.
                let _ = report.try_send(error);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_numbers_are_whole_and_in_range() {
        assert_eq!(port_number("p", 8080.0).unwrap(), 8080);
        assert_eq!(port_number("p", 65535.0).unwrap(), 65535);
        for bad in [0.0, -1.0, 65536.0, 80.5, f64::NAN, f64::INFINITY] {
            let e = port_number("remotePort", bad).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidArgument);
            assert!(e.to_string().starts_with("remotePort must be"), "{e}");
        }
    }
}

//! The HTTP stack under `kube::Client`: kube's own layers (base URI, auth,
//! impersonation headers) and timeouts, over a TCP connector with
//! `TCP_NODELAY`. kube's default connector leaves Nagle's algorithm on, which
//! holds back the small WebSocket frames of exec (stdin, resize, close)
//! until the peer's delayed ACK: about 40 ms on every exec round trip. The
//! sockets also have TCP keepalive, so that a long exec or watch whose peer
//! vanished (a NAT or proxy dropping idle state) fails instead of hanging.

use std::time::Duration;

use hyper_timeout::TimeoutConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kube::client::ConfigExt;
use tower::{BoxError, ServiceBuilder};

/// Idle time before the first keepalive probe (client-go's dialer uses 30 s).
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
/// Probes 10 s apart, 3 unanswered ones end the connection: a dead peer is
/// noticed about a minute after the connection went quiet.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVE_RETRIES: u32 = 3;

pub(crate) fn kube_client(config: kube::Config) -> Result<kube::Client, kube::Error> {
    let mut tcp = HttpConnector::new();
    tcp.enforce_http(false);
    tcp.set_nodelay(true);
    tcp.set_keepalive(Some(KEEPALIVE_IDLE));
    tcp.set_keepalive_interval(Some(KEEPALIVE_INTERVAL));
    tcp.set_keepalive_retries(Some(KEEPALIVE_RETRIES));
    let tls = config.rustls_https_connector_with_connector(tcp)?;
    let mut connector = TimeoutConnector::new(tls);
    connector.set_connect_timeout(config.connect_timeout);
    connector.set_read_timeout(config.read_timeout);
    connector.set_write_timeout(config.write_timeout);
    let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(connector);
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(BoxError::from)
        .service(http);
    Ok(kube::Client::new(service, config.default_namespace))
}

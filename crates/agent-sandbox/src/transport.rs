//! The HTTP stack under `kube::Client`: kube's own layers (base URI, auth,
//! impersonation headers) and timeouts, over our TCP connector, which goes
//! through the configured proxy (see [`crate::proxy`]) when there is one.
//! Requests and WebSocket upgrades (exec) share it.
//!
//! The sockets have `TCP_NODELAY`: kube's default connector leaves Nagle's
//! algorithm on, which holds back the small WebSocket frames of exec (stdin,
//! resize, close) until the peer's delayed ACK, about 40 ms on every exec
//! round trip. They also have TCP keepalive, so that a long exec or watch
//! whose peer vanished (a NAT or proxy dropping idle state) fails instead of
//! hanging.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_timeout::TimeoutConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use kube::client::ConfigExt;
use tokio::net::TcpStream;
use tower::{BoxError, ServiceBuilder};

use crate::error::{Error, Result};
use crate::proxy::{Proxy, ProxyConnectError, ProxyScheme, ProxySource};
use crate::read_ahead::ReadAhead;

/// Idle time before the first keepalive probe (client-go's dialer uses 30 s).
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
/// Probes 10 s apart, 3 unanswered ones end the connection: a dead peer is
/// noticed about a minute after the connection went quiet.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVE_RETRIES: u32 = 3;

pub(crate) fn kube_client(config: kube::Config) -> Result<kube::Client> {
    // `kube::Config::proxy_url` is the decision of `config::client_config`
    // (or of whoever built the configuration); it is carried out here.
    let proxy = config
        .proxy_url
        .as_ref()
        .map(|uri| Proxy::from_uri(uri, ProxySource::ClientConfig))
        .transpose()?;
    let built = |e: kube::Error| {
        Error::kubeconfig(
            None,
            format!("cannot build a client: {}", crate::error::error_chain(&e)),
        )
    };
    let tls = config
        .rustls_https_connector_with_connector(Connector::new(proxy))
        .map_err(built)?;
    let mut connector = TimeoutConnector::new(tls);
    connector.set_connect_timeout(config.connect_timeout);
    connector.set_read_timeout(config.read_timeout);
    connector.set_write_timeout(config.write_timeout);
    let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(connector);
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer().map_err(built)?)
        .layer(config.extra_headers_layer().map_err(built)?)
        .map_err(BoxError::from)
        .service(http);
    Ok(kube::Client::new(service, config.default_namespace))
}

/// TCP to the server, or to the proxy and through it (an HTTP CONNECT
/// tunnel or SOCKS5); TLS to the server goes on top, end to end.
#[derive(Clone)]
struct Connector {
    tcp: HttpConnector,
    proxy: Option<Arc<Proxy>>,
}

impl Connector {
    fn new(proxy: Option<Proxy>) -> Self {
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_keepalive(Some(KEEPALIVE_IDLE));
        tcp.set_keepalive_interval(Some(KEEPALIVE_INTERVAL));
        tcp.set_keepalive_retries(Some(KEEPALIVE_RETRIES));
        Connector {
            tcp,
            proxy: proxy.map(Arc::new),
        }
    }
}

/// The connection TLS runs over: TCP, read in gulps (see [`crate::read_ahead`]).
type Socket = TokioIo<ReadAhead<TcpStream>>;

type Connecting = Pin<Box<dyn Future<Output = Result<Socket, BoxError>> + Send>>;

impl tower::Service<http::Uri> for Connector {
    type Response = Socket;
    type Error = BoxError;
    type Future = Connecting;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        tower::Service::<http::Uri>::poll_ready(&mut self.tcp, cx).map_err(Into::into)
    }

    fn call(&mut self, dst: http::Uri) -> Self::Future {
        let mut tcp = self.tcp.clone();
        let Some(proxy) = self.proxy.clone() else {
            return Box::pin(async move {
                let stream = tower::Service::call(&mut tcp, dst).await?;
                Ok(TokioIo::new(ReadAhead::new(stream.into_inner())))
            });
        };
        Box::pin(async move {
            let (host, port) = destination(&dst);
            let target = crate::proxy::host_port(&host, port);
            if host.is_empty() {
                return Err(ProxyConnectError::Target {
                    proxy: proxy.address(),
                    target,
                    problem: "the server URL has no host",
                }
                .into());
            }
            // The proxy's address only: the connector needs no credentials.
            let proxy_uri: http::Uri =
                format!("http://{}", proxy.address()).parse().map_err(|_| {
                    ProxyConnectError::Target {
                        proxy: proxy.address(),
                        target: target.clone(),
                        problem: "the proxy's address is not usable",
                    }
                })?;
            let stream = tower::Service::call(&mut tcp, proxy_uri)
                .await
                .map_err(|e| ProxyConnectError::Connect {
                    proxy: proxy.address(),
                    source: Box::new(e),
                })?;
            let mut stream = stream.into_inner();
            match proxy.scheme() {
                ProxyScheme::Http => {
                    crate::proxy::tunnel::open(&mut stream, &proxy, &target).await?
                }
                ProxyScheme::Socks5 => {
                    crate::proxy::socks::open(&mut stream, &proxy, &host, port).await?
                }
            }
            Ok(TokioIo::new(ReadAhead::new(stream)))
        })
    }
}

/// The server's host (IPv6 without brackets) and port (by scheme when the
/// URL has none).
fn destination(dst: &http::Uri) -> (String, u16) {
    let host = dst.host().unwrap_or_default();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .to_string();
    let default = if dst.scheme_str() == Some("http") {
        80
    } else {
        443
    };
    (host, dst.port_u16().unwrap_or(default))
}

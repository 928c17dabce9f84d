//! The errors of reaching a server through a proxy.

/// Why a connection through a proxy failed. Messages name the proxy by
/// `host:port` only (never its credentials) and say that it was the proxy.
#[derive(Debug, thiserror::Error)]
pub enum ProxyConnectError {
    #[error("cannot connect to the proxy {proxy}")]
    Connect {
        proxy: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("the connection to the proxy {proxy} failed while opening a tunnel to {target}")]
    Io {
        proxy: String,
        target: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the proxy {proxy} closed the connection instead of opening a tunnel to {target}")]
    Closed { proxy: String, target: String },
    #[error("the proxy {proxy} refused to open a tunnel to {target}: HTTP {status} {reason}{hint}")]
    Refused {
        proxy: String,
        target: String,
        status: u16,
        reason: String,
        hint: &'static str,
    },
    #[error(
        "the proxy {proxy} answered the tunnel request to {target} with something other than HTTP"
    )]
    NotHttp { proxy: String, target: String },
    #[error("the SOCKS5 proxy {proxy} refused the connection to {target}: {reason}")]
    SocksRefused {
        proxy: String,
        target: String,
        reason: &'static str,
    },
    #[error("the SOCKS5 proxy {proxy} {problem}")]
    SocksAuth {
        proxy: String,
        problem: &'static str,
    },
    #[error("the SOCKS5 proxy {proxy} broke the SOCKS5 protocol ({problem})")]
    SocksProtocol {
        proxy: String,
        problem: &'static str,
    },
    #[error("the server address {target} cannot be sent to the proxy {proxy} ({problem})")]
    Target {
        proxy: String,
        target: String,
        problem: &'static str,
    },
}

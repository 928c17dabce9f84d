//! Which proxy, if any, carries the connections to the API server, decided
//! the way kubectl (client-go) decides it:
//!
//! 1. the cluster's `proxy-url` in the kubeconfig, when set, always;
//! 2. otherwise the environment: `HTTPS_PROXY`/`https_proxy` for an `https`
//!    server, `HTTP_PROXY`/`http_proxy` for an `http` one, unless the server
//!    is `localhost` or a loopback address, or `NO_PROXY`/`no_proxy` matches
//!    it (see [`NoProxy`]).
//!
//! This module is the only reader of those settings: kube's own loader mixes
//! the kubeconfig and the environment and checks `NO_PROXY` against the
//! proxy's address rather than the server's (see `config::client_config`).
//!
//! A proxy URL may hold a password. It never appears in an error, a log
//! event or a `Debug` output of this crate: a proxy is shown as
//! `scheme://host:port`, and a URL that does not parse is named by where it
//! came from, never quoted.

mod connect_error;
mod no_proxy;
pub(crate) mod socks;
pub(crate) mod tunnel;

use std::fmt;

use http::Uri;
use secrecy::{ExposeSecret, SecretString};

pub use connect_error::ProxyConnectError;
pub use no_proxy::NoProxy;

/// The proxy settings of the environment; injectable for tests.
#[derive(Clone, Debug, Default)]
pub struct ProxyEnv {
    /// `HTTPS_PROXY` or `https_proxy`: (the variable's name, its value).
    pub https_proxy: Option<(&'static str, Secret)>,
    /// `HTTP_PROXY` or `http_proxy`.
    pub http_proxy: Option<(&'static str, Secret)>,
    /// `NO_PROXY` or `no_proxy` (holds no secret).
    pub no_proxy: Option<String>,
}

impl ProxyEnv {
    /// The process environment; the upper-case name wins when both are set,
    /// as in Go's `net/http`.
    pub fn from_process() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The settings from any lookup of variables (the first non-empty of
    /// each pair).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let first = |names: [&'static str; 2]| {
            names.into_iter().find_map(|name| {
                lookup(name)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (name, v))
            })
        };
        ProxyEnv {
            https_proxy: first(["HTTPS_PROXY", "https_proxy"]).map(|(n, v)| (n, Secret::from(v))),
            http_proxy: first(["HTTP_PROXY", "http_proxy"]).map(|(n, v)| (n, Secret::from(v))),
            no_proxy: first(["NO_PROXY", "no_proxy"]).map(|(_, v)| v),
        }
    }
}

/// A string that may hold a password: its `Debug` shows nothing of it.
#[derive(Clone, Default)]
pub struct Secret(SecretString);

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(SecretString::from(value))
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(SecretString::from(value.to_string()))
    }
}

impl Secret {
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where a proxy setting came from, to name it in messages instead of
/// quoting it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxySource {
    /// The cluster's `proxy-url` in the kubeconfig.
    Kubeconfig,
    /// An environment variable (its name).
    Env(&'static str),
    /// `kube::Config::proxy_url`, set by whoever built the configuration.
    ClientConfig,
}

impl fmt::Display for ProxySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxySource::Kubeconfig => f.write_str("the kubeconfig's proxy-url"),
            ProxySource::Env(name) => f.write_str(name),
            ProxySource::ClientConfig => f.write_str("the client configuration's proxy_url"),
        }
    }
}

/// How a proxy is spoken to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyScheme {
    /// `http://`: an HTTP CONNECT tunnel.
    Http,
    /// `socks5://` and `socks5h://`: SOCKS5; either way the server's name is
    /// resolved by the proxy, as kubectl does (the name often resolves only
    /// on the proxy's side).
    Socks5,
}

impl ProxyScheme {
    fn default_port(self) -> u16 {
        match self {
            ProxyScheme::Http => 80,
            ProxyScheme::Socks5 => 1080,
        }
    }
}

/// A proxy to use: where it is, how to speak to it, and the credentials
/// from its URL (percent-decoded).
#[derive(Clone)]
pub struct Proxy {
    scheme: ProxyScheme,
    host: String,
    port: u16,
    username: Option<String>,
    password: Option<Secret>,
    source: ProxySource,
    /// The URL as given (with its credentials), for `kube::Config::proxy_url`.
    uri: Uri,
}

/// SOCKS5 carries each credential in one length byte (RFC 1929).
const SOCKS_CREDENTIAL_MAX: usize = 255;

impl Proxy {
    /// Parses a proxy URL. Without `scheme://` it is taken as `http://`, as
    /// Go does with `HTTPS_PROXY=proxy.corp:3128`.
    pub fn parse(text: &str, source: ProxySource) -> Result<Proxy, ProxyError> {
        let text = text.trim();
        let with_scheme;
        let text = if text.contains("://") {
            text
        } else {
            with_scheme = format!("http://{text}");
            &with_scheme
        };
        let uri: Uri = text.parse().map_err(|e: http::uri::InvalidUri| {
            // The parser's message names the kind of mistake, never the text.
            ProxyError::InvalidUrl {
                origin: source,
                problem: e.to_string(),
            }
        })?;
        Proxy::from_uri(&uri, source)
    }

    /// A proxy from a parsed URL.
    pub fn from_uri(uri: &Uri, source: ProxySource) -> Result<Proxy, ProxyError> {
        let invalid = |problem: &str| ProxyError::InvalidUrl {
            origin: source,
            problem: problem.to_string(),
        };
        let scheme = match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
            Some("http") => ProxyScheme::Http,
            Some("socks5" | "socks5h") => ProxyScheme::Socks5,
            Some(other) => {
                return Err(ProxyError::UnsupportedScheme {
                    origin: source,
                    scheme: printable(other),
                });
            }
            None => return Err(invalid("it has no scheme")),
        };
        let authority = uri.authority().ok_or_else(|| invalid("it has no host"))?;
        let host = authority.host();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if host.is_empty() {
            return Err(invalid("it has no host"));
        }
        // `http::Uri` keeps userinfo in the authority and never decodes it.
        let (username, password) = match authority.as_str().rsplit_once('@') {
            Some((userinfo, _)) => {
                let (user, pass) = match userinfo.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (userinfo, None),
                };
                let decode = |s: &str| {
                    percent_encoding::percent_decode_str(s)
                        .decode_utf8()
                        .map(|c| c.into_owned())
                        .map_err(|_| {
                            invalid("its user name or password is not UTF-8 once percent-decoded")
                        })
                };
                (Some(decode(user)?), pass.map(decode).transpose()?)
            }
            None => (None, None),
        };
        if scheme == ProxyScheme::Socks5
            && (username
                .as_ref()
                .is_some_and(|u| u.len() > SOCKS_CREDENTIAL_MAX)
                || password
                    .as_ref()
                    .is_some_and(|p| p.len() > SOCKS_CREDENTIAL_MAX))
        {
            return Err(invalid(
                "a SOCKS5 user name or password is at most 255 bytes long",
            ));
        }
        Ok(Proxy {
            scheme,
            host: host.to_ascii_lowercase(),
            port: authority
                .port_u16()
                .unwrap_or_else(|| scheme.default_port()),
            username,
            password: password.map(Secret::from),
            source,
            uri: uri.clone(),
        })
    }

    pub fn scheme(&self) -> ProxyScheme {
        self.scheme
    }

    pub fn source(&self) -> ProxySource {
        self.source
    }

    /// `host:port` (IPv6 in brackets), to connect to and to name in messages.
    pub fn address(&self) -> String {
        host_port(&self.host, self.port)
    }

    /// The URL as given, credentials included: only for
    /// `kube::Config::proxy_url`, never for a message.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    pub(crate) fn has_credentials(&self) -> bool {
        self.username.is_some()
    }

    /// The user name and password (empty when the URL has none), decoded.
    pub(crate) fn credentials(&self) -> Option<(&str, &str)> {
        let user = self.username.as_deref()?;
        Some((user, self.password.as_ref().map_or("", Secret::expose)))
    }

    /// `Basic <base64(user:password)>` for `Proxy-Authorization`.
    pub(crate) fn basic_authorization(&self) -> Option<Secret> {
        use base64::Engine;
        let (user, password) = self.credentials()?;
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Some(Secret::from(format!("Basic {encoded}")))
    }
}

/// `scheme://host:port`, never the credentials.
impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            ProxyScheme::Http => "http",
            ProxyScheme::Socks5 => "socks5",
        };
        write!(f, "{scheme}://{}", self.address())
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("scheme", &self.scheme)
            .field("address", &self.address())
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("source", &self.source)
            .finish()
    }
}

/// A proxy setting that cannot be used. Messages name where the setting
/// came from and never quote it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    #[error(
        "{origin} is not a valid proxy URL ({problem}); it is not shown because it may hold a password. \
         Percent-encode special characters of the user name and password"
    )]
    InvalidUrl {
        origin: ProxySource,
        problem: String,
    },
    #[error(
        "{origin} uses the proxy scheme \"{scheme}\", which is not supported: use http:// (HTTP CONNECT) \
         or socks5:// (SOCKS5)"
    )]
    UnsupportedScheme { origin: ProxySource, scheme: String },
}

impl From<ProxyError> for crate::Error {
    fn from(err: ProxyError) -> Self {
        crate::Error::kubeconfig(None, err.to_string())
    }
}

/// The proxy for connections to `server`, or `None` to connect directly.
///
/// `kubeconfig_proxy_url` is the current cluster's `proxy-url`.
pub fn choose(
    kubeconfig_proxy_url: Option<&str>,
    env: &ProxyEnv,
    server: &Uri,
) -> Result<Option<Proxy>, ProxyError> {
    if let Some(url) = kubeconfig_proxy_url.filter(|u| !u.trim().is_empty()) {
        return Proxy::parse(url, ProxySource::Kubeconfig).map(Some);
    }
    let Some(host) = server.host() else {
        return Ok(None);
    };
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .to_ascii_lowercase();
    let (setting, default_port) = match server.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("http") => (&env.http_proxy, 80),
        // kube only builds https and http servers; https is its default.
        _ => (&env.https_proxy, 443),
    };
    let Some((name, url)) = setting else {
        return Ok(None);
    };
    let port = server.port_u16().unwrap_or(default_port);
    // Go's net/http never sends loopback traffic to an environment proxy
    // (it could not reach the caller's loopback anyway).
    if is_loopback(&host)
        || env
            .no_proxy
            .as_deref()
            .is_some_and(|list| NoProxy::parse(list).matches(&host, port))
    {
        return Ok(None);
    }
    Proxy::parse(url.expose(), ProxySource::Env(name)).map(Some)
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `host:port`, with an IPv6 address in brackets.
pub(crate) fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// A scheme to quote in a message: printable ASCII, at most 32 characters.
fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(32)
        .collect()
}

#[cfg(test)]
mod tests;

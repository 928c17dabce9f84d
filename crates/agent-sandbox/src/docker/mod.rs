//! A Docker Engine: where it listens, a connection to it, and its failures
//! as this crate's errors. The Docker sandbox provider
//! ([`crate::provider::docker`]) is built on this.
//!
//! Requests go through `bollard`; exec streams through our own hijacked
//! connection ([`exec`]), whose framing and buffers we control.

mod exec;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use exec::ExecSpec;

use crate::error::{Error, ErrorCode, Result};

/// How long a daemon has to answer `/_ping` when one is looked for.
const PING_TIMEOUT: Duration = Duration::from_secs(5);
/// bollard's per-request deadline, in seconds (pulls and stats included).
const REQUEST_TIMEOUT_SECS: u64 = 120;

/// Where a Docker daemon listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// A unix socket.
    Unix(PathBuf),
    /// Plain HTTP on `host:port` (no TLS).
    Tcp(String),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(path) => write!(f, "unix://{}", path.display()),
            Endpoint::Tcp(addr) => write!(f, "tcp://{addr}"),
        }
    }
}

impl Endpoint {
    /// Whether the daemon runs on this host (a unix socket, or TCP to a
    /// loopback address): only then are its containers' network addresses
    /// reachable from here.
    pub fn is_on_this_host(&self) -> bool {
        match self {
            Endpoint::Unix(_) => true,
            Endpoint::Tcp(addr) => {
                let host = addr.rsplit_once(':').map_or(addr.as_str(), |(h, _)| h);
                let host = host.trim_start_matches('[').trim_end_matches(']');
                host == "localhost"
                    || host
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            }
        }
    }

    /// A `DOCKER_HOST` value: `unix:///path`, `tcp://host:port` or
    /// `http://host:port`. TLS (`https://`, `DOCKER_TLS_VERIFY`), `ssh://`
    /// and named pipes are refused with a message that says so.
    pub fn parse(value: &str) -> Result<Endpoint> {
        let value = value.trim();
        if let Some(path) = value.strip_prefix("unix://") {
            if !path.starts_with('/') {
                return Err(Error::invalid_argument(
                    "a unix Docker host needs an absolute path: unix:///path/to/docker.sock",
                ));
            }
            return Ok(Endpoint::Unix(PathBuf::from(path)));
        }
        let tcp = value
            .strip_prefix("tcp://")
            .or_else(|| value.strip_prefix("http://"));
        if let Some(rest) = tcp {
            let addr = rest.trim_end_matches('/');
            let well_formed = !addr.is_empty()
                && !addr.contains(['/', '@', '?', '#'])
                && addr.rsplit_once(':').is_some_and(|(host, port)| {
                    !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
                });
            if !well_formed {
                return Err(Error::invalid_argument(
                    "a TCP Docker host must be tcp://host:port (no user, path or query)",
                ));
            }
            return Ok(Endpoint::Tcp(addr.to_string()));
        }
        let scheme = value.split("://").next().unwrap_or_default();
        Err(Error::Unsupported {
            message: format!(
                "Docker host scheme {scheme:?} is not supported: use unix:///path or tcp://host:port \
                 (TLS, ssh and named pipes are not implemented)"
            ),
        })
    }

    /// Where to look, in order: `host` when given, else `DOCKER_HOST` when
    /// set (nothing else then: the user chose), else the system socket and
    /// the rootless ones.
    pub fn candidates(host: Option<&str>) -> Result<Vec<Endpoint>> {
        let env = std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty());
        if let Some(host) = host.filter(|h| !h.is_empty()).or(env.as_deref()) {
            return Ok(vec![Endpoint::parse(host)?]);
        }
        let mut found = vec![Endpoint::Unix(PathBuf::from("/var/run/docker.sock"))];
        if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR") {
            found.push(Endpoint::Unix(Path::new(&runtime).join("docker.sock")));
        }
        if let Some(home) = std::env::var_os("HOME") {
            found.push(Endpoint::Unix(
                Path::new(&home).join(".docker/run/docker.sock"),
            ));
        }
        found.dedup();
        Ok(found)
    }
}

/// A connection to one Docker daemon.
#[derive(Clone)]
pub struct Docker {
    api: bollard::Docker,
    endpoint: Endpoint,
}

impl std::fmt::Debug for Docker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Docker")
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

impl Docker {
    /// The first daemon of [`Endpoint::candidates`] that answers a ping,
    /// with the API version negotiated. Fails with `UNREACHABLE`, naming
    /// every place it looked.
    pub async fn connect(host: Option<&str>) -> Result<Docker> {
        let mut tried = Vec::new();
        for endpoint in Endpoint::candidates(host)? {
            match Docker::connect_to(&endpoint).await {
                Ok(docker) => return Ok(docker),
                Err(e) => tried.push(format!("{endpoint}: {e}")),
            }
        }
        Err(Error::Docker {
            code: ErrorCode::Unreachable,
            status: None,
            message: format!(
                "no Docker daemon answered ({}); start one, or set DOCKER_HOST",
                tried.join("; ")
            ),
        })
    }

    /// A daemon at `endpoint` that answered a ping.
    pub async fn connect_to(endpoint: &Endpoint) -> Result<Docker> {
        let api = match endpoint {
            Endpoint::Unix(path) => {
                if !path.exists() {
                    return Err(unreachable_error("no socket there"));
                }
                bollard::Docker::connect_with_unix(
                    &path.to_string_lossy(),
                    REQUEST_TIMEOUT_SECS,
                    bollard::API_DEFAULT_VERSION,
                )
            }
            Endpoint::Tcp(addr) => bollard::Docker::connect_with_http(
                &format!("http://{addr}"),
                REQUEST_TIMEOUT_SECS,
                bollard::API_DEFAULT_VERSION,
            ),
        }
        .map_err(|e| api_error("connect", e))?;
        let api = tokio::time::timeout(PING_TIMEOUT, api.negotiate_version())
            .await
            .map_err(|_| {
                unreachable_error(&format!("no answer within {} s", PING_TIMEOUT.as_secs()))
            })?
            .map_err(|e| api_error("ping", e))?;
        Ok(Docker {
            api,
            endpoint: endpoint.clone(),
        })
    }

    /// The bollard client (for what this crate does not wrap).
    pub fn api(&self) -> &bollard::Docker {
        &self.api
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }
}

fn unreachable_error(why: &str) -> Error {
    Error::Docker {
        code: ErrorCode::Unreachable,
        status: None,
        message: why.to_string(),
    }
}

/// A failed daemon call (`what` names it) as a coded error: the daemon's
/// status and message when it answered, `UNREACHABLE` when it could not be
/// reached.
pub(crate) fn api_error(what: &str, err: bollard::errors::Error) -> Error {
    use bollard::errors::Error as B;
    match err {
        B::DockerResponseServerError {
            status_code,
            message,
        } => {
            let status = status_code;
            let code = match status {
                404 => ErrorCode::NotFound,
                409 => ErrorCode::Conflict,
                400 => ErrorCode::Invalid,
                401 => ErrorCode::Unauthorized,
                403 => ErrorCode::Forbidden,
                _ => ErrorCode::DockerApi,
            };
            Error::Docker {
                code,
                status: Some(status),
                message: format!("Docker {what} failed (HTTP {status}): {}", message.trim()),
            }
        }
        B::RequestTimeoutError => Error::Docker {
            code: ErrorCode::Timeout,
            status: None,
            message: format!(
                "Docker {what}: the daemon did not answer within {REQUEST_TIMEOUT_SECS} s"
            ),
        },
        B::SocketNotFoundError(_)
        | B::IOError { .. }
        | B::HyperResponseError { .. }
        | B::HyperLegacyError { .. }
        | B::HttpClientError { .. } => Error::Docker {
            code: ErrorCode::Unreachable,
            status: None,
            message: format!("Docker {what}: cannot reach the daemon: {err}"),
        },
        other => Error::Docker {
            code: ErrorCode::DockerApi,
            status: None,
            message: format!("Docker {what}: {other}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sockets_and_loopback_daemons_are_on_this_host() {
        for here in [
            "unix:///run/docker.sock",
            "tcp://127.0.0.1:2375",
            "tcp://localhost:2375",
            "tcp://[::1]:2375",
        ] {
            assert!(Endpoint::parse(here).unwrap().is_on_this_host(), "{here}");
        }
        for there in [
            "tcp://10.0.0.5:2375",
            "tcp://docker.example:2375",
            "tcp://[2001:db8::1]:2375",
        ] {
            assert!(
                !Endpoint::parse(there).unwrap().is_on_this_host(),
                "{there}"
            );
        }
    }

    #[test]
    fn hosts_parse_or_are_refused_with_a_reason() {
        assert_eq!(
            Endpoint::parse("unix:///run/docker.sock").unwrap(),
            Endpoint::Unix("/run/docker.sock".into())
        );
        assert_eq!(
            Endpoint::parse("tcp://127.0.0.1:2375").unwrap(),
            Endpoint::Tcp("127.0.0.1:2375".into())
        );
        assert_eq!(
            Endpoint::parse("http://localhost:2375/").unwrap(),
            Endpoint::Tcp("localhost:2375".into())
        );
        for bad in [
            "unix://relative.sock",
            "tcp://host",
            "tcp://:2375",
            "tcp://u:p@host:2375",
            "tcp://host:0",
        ] {
            assert_eq!(
                Endpoint::parse(bad).unwrap_err().code(),
                ErrorCode::InvalidArgument,
                "{bad}"
            );
        }
        for unsupported in ["https://host:2376", "ssh://me@host", "npipe:////./pipe/x"] {
            assert_eq!(
                Endpoint::parse(unsupported).unwrap_err().code(),
                ErrorCode::Unsupported
            );
        }
    }

    #[test]
    fn an_explicit_host_is_the_only_candidate() {
        let found = Endpoint::candidates(Some("unix:///x/d.sock")).unwrap();
        assert_eq!(found, vec![Endpoint::Unix("/x/d.sock".into())]);
    }

    #[tokio::test]
    async fn a_missing_socket_is_unreachable_and_named() {
        let err = Docker::connect(Some("unix:///nonexistent/agent-sandbox/docker.sock"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::Unreachable);
        assert!(
            err.to_string()
                .contains("unix:///nonexistent/agent-sandbox/docker.sock"),
            "{err}"
        );
    }
}

//! The one error type of the crate.
//!
//! Every failure carries a stable [`ErrorCode`] (its string form is what the
//! Node binding exposes as `error.code`), the HTTP status when the API server
//! answered, and the server's own message.

use std::path::PathBuf;

/// Stable, machine-readable error codes. Their string forms never change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    NotFound,
    AlreadyExists,
    Conflict,
    Invalid,
    Unauthorized,
    Forbidden,
    Timeout,
    Unreachable,
    KubeConfig,
    ControllerNotInstalled,
    ExecFailed,
    Unsupported,
    SandboxFailed,
    Cancelled,
    /// A caller's argument was refused before anything was sent.
    InvalidArgument,
    /// A command printed more than a buffered read keeps.
    OutputTooLarge,
    /// Any other answer of the API server (5xx, 429, 415, ...).
    Api,
    // The sandbox provider's codes (AgentPane's `K8S_*`, the same on every backend).
    SandboxAlreadyExists,
    SandboxCreationFailed,
    SandboxDeletionFailed,
    CommandFailed,
    NetworkIsolationUnsupported,
    NetworkPolicyCreationFailed,
    ImageNotFound,
    TmuxSessionExists,
    TmuxCreationFailed,
    /// The Docker daemon answered with an error.
    DockerApi,
    /// `createSandboxProvider({ kind: 'auto' })` found neither a cluster
    /// with the controller nor a Docker daemon.
    NoSandboxBackend,
    /// A forwarded connection could not reach the sandbox's port.
    PortForwardFailed,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::AlreadyExists => "ALREADY_EXISTS",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::Invalid => "INVALID",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::Unreachable => "UNREACHABLE",
            ErrorCode::KubeConfig => "KUBECONFIG_ERROR",
            ErrorCode::ControllerNotInstalled => "CONTROLLER_NOT_INSTALLED",
            ErrorCode::ExecFailed => "EXEC_FAILED",
            ErrorCode::Unsupported => "UNSUPPORTED",
            ErrorCode::SandboxFailed => "SANDBOX_FAILED",
            ErrorCode::Cancelled => "CANCELLED",
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::OutputTooLarge => "OUTPUT_TOO_LARGE",
            ErrorCode::Api => "K8S_API_ERROR",
            ErrorCode::SandboxAlreadyExists => "K8S_POD_ALREADY_EXISTS",
            ErrorCode::SandboxCreationFailed => "K8S_POD_CREATION_FAILED",
            ErrorCode::SandboxDeletionFailed => "K8S_POD_DELETION_FAILED",
            ErrorCode::CommandFailed => "K8S_EXEC_FAILED",
            ErrorCode::NetworkIsolationUnsupported => "K8S_NETWORK_ISOLATION_UNSUPPORTED",
            ErrorCode::NetworkPolicyCreationFailed => "K8S_NETWORK_POLICY_CREATION_FAILED",
            ErrorCode::ImageNotFound => "K8S_IMAGE_NOT_FOUND",
            ErrorCode::TmuxSessionExists => "K8S_TMUX_SESSION_EXISTS",
            ErrorCode::TmuxCreationFailed => "K8S_TMUX_CREATION_FAILED",
            ErrorCode::DockerApi => "DOCKER_API_ERROR",
            ErrorCode::NoSandboxBackend => "NO_SANDBOX_BACKEND",
            ErrorCode::PortForwardFailed => "PORT_FORWARD_FAILED",
        }
    }

    /// The HTTP-like status a provider error reports (AgentPane's values).
    pub const fn provider_status(self) -> u16 {
        match self {
            ErrorCode::SandboxAlreadyExists | ErrorCode::TmuxSessionExists => 409,
            ErrorCode::ImageNotFound => 404,
            ErrorCode::InvalidArgument => 400,
            ErrorCode::NoSandboxBackend => 503,
            ErrorCode::PortForwardFailed => 502,
            _ => 500,
        }
    }

    /// The code for an HTTP status answered by the API server.
    pub fn from_status(status: u16, reason: &str) -> Self {
        match (status, reason) {
            (404, _) => ErrorCode::NotFound,
            (409, "AlreadyExists") => ErrorCode::AlreadyExists,
            (409, _) => ErrorCode::Conflict,
            (422, _) | (400, "BadRequest" | "Invalid") => ErrorCode::Invalid,
            (401, _) => ErrorCode::Unauthorized,
            (403, _) => ErrorCode::Forbidden,
            (408 | 504, _) => ErrorCode::Timeout,
            _ => ErrorCode::Api,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API server answered with an error status.
    #[error("{message}")]
    Api {
        code: ErrorCode,
        status: u16,
        /// The `reason` of the server's `Status` (e.g. `AlreadyExists`).
        reason: String,
        /// The server's `Status.message`.
        message: String,
    },

    /// The API server could not be reached (connection refused, TLS, DNS, ...).
    #[error("cannot reach the Kubernetes API server: {message}")]
    Unreachable { message: String },

    /// A kubeconfig could not be found, read or used.
    #[error("{message}")]
    KubeConfig {
        path: Option<PathBuf>,
        message: String,
    },

    /// An operation ran past its deadline.
    #[error("{operation} timed out after {timeout_ms}ms")]
    Timeout { operation: String, timeout_ms: u64 },

    /// The caller cancelled the operation.
    #[error("{operation} was cancelled")]
    Cancelled { operation: String },

    /// A buffered command printed more than `limit` bytes (stdout and stderr
    /// together); the session was closed.
    #[error(
        "{operation} printed more than {limit} bytes, the most a buffered read keeps: stream it instead, \
         or raise maxOutputBytes"
    )]
    OutputTooLarge { operation: String, limit: u64 },

    /// A command in a sandbox could not be run, or its session broke.
    #[error("Exec failed for \"{command}\": {message}")]
    Exec {
        command: String,
        message: String,
        exit_code: Option<i32>,
    },

    /// A Sandbox (or claim) reached a terminal failure while being waited for.
    #[error("{message}")]
    SandboxFailed {
        name: String,
        namespace: String,
        reason: String,
        message: String,
    },

    /// The Agent Sandbox CRDs are not served by the cluster.
    #[error("Agent Sandbox CRD controller is not installed in the cluster")]
    ControllerNotInstalled,

    /// The request needs something this server (or controller version) lacks.
    #[error("{message}")]
    Unsupported { message: String },

    /// Input that could not be used as given.
    #[error("{message}")]
    Invalid { message: String },

    /// The server answered with something we could not decode.
    #[error("unexpected response from the API server: {message}")]
    Decode { message: String },

    /// A caller's argument that cannot be used: nothing was sent.
    #[error("{message}")]
    InvalidArgument { message: String },

    /// The Docker daemon answered with an error (`status`), or could not be
    /// reached or understood (no status).
    #[error("{message}")]
    Docker {
        code: ErrorCode,
        status: Option<u16>,
        message: String,
    },

    /// A sandbox provider's failure, with its `K8S_*` code; `source` is the
    /// failure underneath (the JS error's `cause`).
    #[error("{message}")]
    Provider {
        code: ErrorCode,
        message: String,
        details: serde_json::Map<String, serde_json::Value>,
        #[source]
        source: Option<Box<Error>>,
    },
}

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Api { code, .. } => *code,
            Error::Unreachable { .. } => ErrorCode::Unreachable,
            Error::KubeConfig { .. } => ErrorCode::KubeConfig,
            Error::Timeout { .. } => ErrorCode::Timeout,
            Error::Cancelled { .. } => ErrorCode::Cancelled,
            Error::OutputTooLarge { .. } => ErrorCode::OutputTooLarge,
            Error::Exec { .. } => ErrorCode::ExecFailed,
            Error::SandboxFailed { .. } => ErrorCode::SandboxFailed,
            Error::ControllerNotInstalled => ErrorCode::ControllerNotInstalled,
            Error::Unsupported { .. } => ErrorCode::Unsupported,
            Error::Invalid { .. } => ErrorCode::Invalid,
            Error::Decode { .. } => ErrorCode::Api,
            Error::InvalidArgument { .. } => ErrorCode::InvalidArgument,
            Error::Provider { code, .. } => *code,
            Error::Docker { code, .. } => *code,
        }
    }

    /// The HTTP status of the server's answer, where there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            Error::InvalidArgument { .. } => Some(400),
            Error::Docker { status, .. } => *status,
            // A wrapped API failure keeps the server's status.
            Error::Provider {
                code: ErrorCode::Api,
                source: Some(source),
                ..
            } => source.status().or(Some(500)),
            Error::Provider { code, .. } => Some(code.provider_status()),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.code() == ErrorCode::NotFound
    }

    pub fn kubeconfig(path: Option<PathBuf>, message: impl Into<String>) -> Self {
        Error::KubeConfig {
            path,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid {
            message: message.into(),
        }
    }

    /// A refused argument (`INVALID_ARGUMENT`, 400).
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            message: message.into(),
        }
    }

    /// A provider failure with `details` (a JSON object) and the failure underneath.
    pub fn provider(
        code: ErrorCode,
        message: impl Into<String>,
        details: serde_json::Value,
        source: Option<Error>,
    ) -> Self {
        let details = match details {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        Error::Provider {
            code,
            message: message.into(),
            details,
            source: source.map(Box::new),
        }
    }
}

impl From<kube::Error> for Error {
    fn from(err: kube::Error) -> Self {
        match err {
            kube::Error::Api(status) => {
                let status_code = status.code;
                let reason = status.reason.clone();
                let message = if status.message.is_empty() {
                    format!("HTTP {status_code} {reason}")
                } else {
                    status.message.clone()
                };
                Error::Api {
                    code: ErrorCode::from_status(status_code, &reason),
                    status: status_code,
                    reason,
                    message,
                }
            }
            kube::Error::InferKubeconfig(e) => Error::kubeconfig(None, e.to_string()),
            kube::Error::InferConfig(e) => Error::kubeconfig(None, e.to_string()),
            kube::Error::Auth(e) => Error::Api {
                code: ErrorCode::Unauthorized,
                status: 401,
                reason: "Unauthorized".into(),
                message: format!("could not obtain credentials: {}", describe_auth(&e)),
            },
            kube::Error::SerdeError(e) => Error::Decode {
                message: e.to_string(),
            },
            kube::Error::BuildRequest(e) => {
                Error::invalid(format!("could not build the request: {e}"))
            }
            kube::Error::UpgradeConnection(e) => upgrade_error(e),
            // The auth layer fails inside the HTTP service: still a
            // credential problem, not an unreachable server.
            other if auth_error_in(&other).is_some() => Error::Api {
                code: ErrorCode::Unauthorized,
                status: 401,
                reason: "Unauthorized".into(),
                message: error_chain(&other),
            },
            other => Error::Unreachable {
                message: error_chain(&other),
            },
        }
    }
}

/// A failed WebSocket upgrade still tells the HTTP status the server gave.
fn upgrade_error(e: kube::client::UpgradeConnectionError) -> Error {
    use kube::client::UpgradeConnectionError as U;
    match &e {
        U::ProtocolSwitch(status) => {
            let code = status.as_u16();
            Error::Api {
                code: ErrorCode::from_status(code, ""),
                status: code,
                reason: status.canonical_reason().unwrap_or_default().to_string(),
                message: format!("the server refused the streaming upgrade: HTTP {status}"),
            }
        }
        _ => Error::Unreachable {
            message: error_chain(&e),
        },
    }
}

/// What went wrong obtaining credentials, without what kube's own text
/// carries: a plugin's stdout and stderr, its command line with arguments
/// and environment, the token or password that a header refused.
pub(crate) fn describe_auth(e: &kube::client::AuthError) -> String {
    use kube::client::AuthError as A;
    match e {
        A::InvalidBasicAuth(_) => "the username or password cannot be sent in an HTTP header (a line break or control character?)".into(),
        A::InvalidBearerToken(_) => "the token cannot be sent in an HTTP header (a line break or control character? check a token file for a trailing newline)".into(),
        A::AuthExecStart(io) => format!("the exec credential plugin could not be started: {io}"),
        A::AuthExecRun { out, .. } => format!(
            "the exec credential plugin failed ({}); its output is not shown (it may hold secrets)",
            out.status
        ),
        A::AuthExecParse(_) | A::ExecPluginFailed => "the exec credential plugin's output is not an ExecCredential with a status; the output is not shown (it may hold secrets)".into(),
        A::AuthExec(_) => "the exec credential plugin could not be used (check its command, apiVersion and installHint); details are not shown (they may hold secrets)".into(),
        A::MalformedTokenExpirationDate(_) => "the exec credential plugin's expirationTimestamp is not a date".into(),
        A::ReadTokenFile(io, path) => format!("cannot read the token file {}: {io}", path.display()),
        A::ParseTokenKey(_) => "the auth provider's token is not valid JSON (not shown)".into(),
        other => other.to_string(),
    }
}

/// The credential failure somewhere in `err`'s chain, if any.
fn auth_error_in<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a kube::client::AuthError> {
    let mut level = Some(err);
    while let Some(e) = level {
        if let Some(auth) = e.downcast_ref::<kube::client::AuthError>() {
            return Some(auth);
        }
        level = e.source();
    }
    None
}

/// `err: source: source` so that transport errors say what really failed.
/// A credential failure anywhere in the chain is told by [`describe_auth`]
/// alone: the texts around it embed kube's own, secrets included.
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    if let Some(auth) = auth_error_in(err) {
        return format!("could not obtain credentials: {}", describe_auth(auth));
    }
    let mut msg = err.to_string();
    let mut cur = err.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        cur = s.source();
    }
    msg
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_map_to_stable_codes() {
        assert_eq!(ErrorCode::from_status(404, "NotFound"), ErrorCode::NotFound);
        assert_eq!(
            ErrorCode::from_status(409, "AlreadyExists"),
            ErrorCode::AlreadyExists
        );
        assert_eq!(ErrorCode::from_status(409, "Conflict"), ErrorCode::Conflict);
        assert_eq!(ErrorCode::from_status(422, "Invalid"), ErrorCode::Invalid);
        assert_eq!(
            ErrorCode::from_status(401, "Unauthorized"),
            ErrorCode::Unauthorized
        );
        assert_eq!(
            ErrorCode::from_status(403, "Forbidden"),
            ErrorCode::Forbidden
        );
        assert_eq!(
            ErrorCode::from_status(503, "ServiceUnavailable"),
            ErrorCode::Api
        );
        assert_eq!(ErrorCode::Api.as_str(), "K8S_API_ERROR");
    }

    #[test]
    fn api_status_keeps_server_message_and_status() {
        let status =
            kube::core::Status::failure("sandboxes \"x\" not found", "NotFound").with_code(404);
        let err: Error = kube::Error::Api(Box::new(status)).into();
        assert_eq!(err.code(), ErrorCode::NotFound);
        assert_eq!(err.status(), Some(404));
        assert_eq!(err.to_string(), "sandboxes \"x\" not found");
    }
}

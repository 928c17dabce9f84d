//! Errors crossing into JS.
//!
//! Every native failure reaches JS as an `Error` whose message is a JSON
//! document prefixed with [`MARKER`]; the JS layer (`lib/errors.js`) turns it
//! into an instance of the right exported error class.

use agent_sandbox::Error;
use serde_json::json;

pub const MARKER: &str = "AGENT_SANDBOX_NATIVE_ERROR:";

pub fn to_napi(err: Error) -> napi::Error {
    failure(&payload(&err))
}

/// A failure built from its payload (see [`payload`]).
pub fn failure(payload: &serde_json::Value) -> napi::Error {
    napi::Error::from_reason(format!("{MARKER}{payload}"))
}

/// `{code, message, statusCode, details, cause?}`; `cause` is the error a
/// provider error wraps (the JS layer sets it as the error's `cause`).
pub fn payload(err: &Error) -> serde_json::Value {
    let mut details = serde_json::Map::new();
    match err {
        Error::Api { reason, .. } => {
            details.insert("reason".into(), json!(reason));
        }
        Error::KubeConfig { path: Some(p), .. } => {
            details.insert("path".into(), json!(p.display().to_string()));
        }
        Error::Cancelled { operation } => {
            details.insert("operation".into(), json!(operation));
        }
        Error::OutputTooLarge { operation, limit } => {
            details.insert("operation".into(), json!(operation));
            details.insert("limit".into(), json!(limit));
        }
        Error::Timeout {
            operation,
            timeout_ms,
        } => {
            details.insert("operation".into(), json!(operation));
            details.insert("timeoutMs".into(), json!(timeout_ms));
        }
        Error::Exec {
            command,
            exit_code,
            message,
        } => {
            details.insert("command".into(), json!(command));
            details.insert("exitCode".into(), json!(exit_code));
            // The JS ExecError is built from these: without the message it
            // read `Exec failed for "…": undefined`.
            details.insert("message".into(), json!(message));
        }
        Error::Provider { details: d, .. } => {
            details.extend(d.clone());
        }
        Error::SandboxFailed {
            name,
            namespace,
            reason,
            ..
        } => {
            details.insert("name".into(), json!(name));
            details.insert("namespace".into(), json!(namespace));
            details.insert("reason".into(), json!(reason));
        }
        _ => {}
    }
    let mut payload = json!({
        "code": err.code().as_str(),
        "message": err.to_string(),
        "statusCode": err.status(),
        "details": details,
    });
    if let Error::Provider {
        source: Some(cause),
        ..
    } = err
    {
        payload["cause"] = self::payload(cause);
    }
    payload
}

/// A coded INVALID error (bad use of the native API, bad input).
pub fn invalid(message: impl Into<String>) -> napi::Error {
    to_napi(Error::invalid(message))
}

/// A coded INVALID_ARGUMENT error: a caller's value was refused.
pub fn invalid_argument(message: impl Into<String>) -> napi::Error {
    to_napi(Error::invalid_argument(message))
}

/// A coded error for an answer that could not be encoded or decoded.
pub fn decode(err: impl std::fmt::Display) -> napi::Error {
    to_napi(Error::Decode {
        message: err.to_string(),
    })
}

pub trait IntoJs<T> {
    fn into_js(self) -> napi::Result<T>;
}

impl<T> IntoJs<T> for agent_sandbox::Result<T> {
    fn into_js(self) -> napi::Result<T> {
        self.map_err(to_napi)
    }
}

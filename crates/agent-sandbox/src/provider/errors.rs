//! The provider's `K8S_*` errors (AgentPane's `K8sErrors`): one constructor
//! each, so a message is written in one place (the JS `K8sErrors` factory
//! asks for these too).

use std::fmt::Display;

use serde_json::json;

use crate::error::{Error, ErrorCode};

/// `K8S_POD_ALREADY_EXISTS` (409).
pub fn sandbox_already_exists(codespace_id: &str) -> Error {
    Error::provider(
        ErrorCode::SandboxAlreadyExists,
        "Pod already exists for codespace",
        json!({ "codespaceId": codespace_id }),
        None,
    )
}

/// `K8S_POD_CREATION_FAILED`.
pub fn sandbox_creation_failed(name: &str, message: impl Display, source: Option<Error>) -> Error {
    Error::provider(
        ErrorCode::SandboxCreationFailed,
        format!("Failed to create pod {name}: {message}"),
        json!({ "name": name }),
        source,
    )
}

/// `K8S_POD_DELETION_FAILED`.
pub fn sandbox_deletion_failed(name: &str, message: impl Display, source: Option<Error>) -> Error {
    Error::provider(
        ErrorCode::SandboxDeletionFailed,
        format!("Failed to delete pod {name}: {message}"),
        json!({ "name": name }),
        source,
    )
}

/// `K8S_EXEC_FAILED` for `command`.
pub fn command_failed(command: &str, message: impl Display, source: Option<Error>) -> Error {
    Error::provider(
        ErrorCode::CommandFailed,
        format!("Command execution failed: {message}"),
        json!({ "command": command }),
        source,
    )
}

/// `K8S_NETWORK_ISOLATION_UNSUPPORTED`.
pub fn network_isolation_unsupported(
    provider: &str,
    reason: impl Display,
    source: Option<Error>,
) -> Error {
    Error::provider(
        ErrorCode::NetworkIsolationUnsupported,
        format!("Network isolation is not supported by {provider}: {reason}"),
        json!({ "provider": provider, "reason": reason.to_string() }),
        source,
    )
}

/// `K8S_NETWORK_POLICY_CREATION_FAILED`.
pub fn network_policy_creation_failed(
    name: &str,
    message: impl Display,
    source: Option<Error>,
) -> Error {
    Error::provider(
        ErrorCode::NetworkPolicyCreationFailed,
        format!("Failed to create NetworkPolicy {name}: {message}"),
        json!({ "name": name }),
        source,
    )
}

/// `K8S_IMAGE_NOT_FOUND` (404).
pub fn image_not_found(image: &str) -> Error {
    Error::provider(
        ErrorCode::ImageNotFound,
        format!("Image not found: {image:?}"),
        json!({ "image": image }),
        None,
    )
}

/// `K8S_IMAGE_NOT_FOUND` (404): the daemon could not pull `image` (offline,
/// no such image, or no access), with its reason.
pub fn image_pull_failed(image: &str, reason: impl Display) -> Error {
    Error::provider(
        ErrorCode::ImageNotFound,
        format!("Image {image:?} is not available and could not be pulled: {reason}"),
        json!({ "image": image }),
        None,
    )
}

/// `K8S_TMUX_SESSION_EXISTS` (409).
pub fn tmux_session_exists(name: &str) -> Error {
    Error::provider(
        ErrorCode::TmuxSessionExists,
        format!("tmux session already exists: {name}"),
        json!({ "sessionName": name }),
        None,
    )
}

/// `K8S_TMUX_CREATION_FAILED`.
pub fn tmux_creation_failed(name: &str, message: impl Display) -> Error {
    Error::provider(
        ErrorCode::TmuxCreationFailed,
        format!("Failed to create tmux session {name}: {message}"),
        json!({ "sessionName": name }),
        None,
    )
}

/// A failed file transfer (`method` is `writeFile` or `readFile`) as
/// `K8S_EXEC_FAILED`; the provider's own errors pass as they are.
pub(crate) fn transfer_failed(method: &str, verb: &str, path: &str, e: Error) -> Error {
    if e.code().as_str().starts_with("K8S_") {
        return e;
    }
    let msg = format!(
        "failed to {verb} {path}: {}",
        crate::provider::message_of(&e)
    );
    command_failed(method, msg, Some(e))
}

/// `tar` in the sandbox exited non-zero: `K8S_EXEC_FAILED` with its exit
/// code and stderr.
pub(crate) fn tar_failed(
    method: &str,
    tar: &str,
    doing: &str,
    path: &str,
    out: &crate::exec::ExecOutput,
) -> Error {
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    let stderr = if stderr.is_empty() {
        "no stderr".to_string()
    } else {
        stderr
    };
    let msg = format!(
        "{tar} failed (exit {}) {doing} {path}: {stderr}",
        out.exit_code
    );
    command_failed(method, msg, None)
}

//! The `K8sErrors` factory of the JS layer, made by the core's constructors
//! (`agent_sandbox::provider::errors`): one message per error, everywhere.

use agent_sandbox::provider::errors as k8s;
use napi_derive::napi;
use serde_json::Value;

use crate::js_error::{invalid_argument, payload};

/// The factory's names, in AgentPane's order.
const NAMES: [&str; 9] = [
    "POD_ALREADY_EXISTS",
    "POD_CREATION_FAILED",
    "POD_DELETION_FAILED",
    "EXEC_FAILED",
    "NETWORK_ISOLATION_UNSUPPORTED",
    "NETWORK_POLICY_CREATION_FAILED",
    "IMAGE_NOT_FOUND",
    "TMUX_SESSION_ALREADY_EXISTS",
    "TMUX_CREATION_FAILED",
];

#[napi(catch_unwind, js_name = "k8sErrorNames")]
pub fn k8s_error_names() -> Vec<&'static str> {
    NAMES.to_vec()
}

/// The failure payload of `K8sErrors[name](...args)` (the JS layer makes the
/// error object from it).
#[napi(catch_unwind, js_name = "k8sError")]
pub fn k8s_error(name: String, args: Vec<String>) -> napi::Result<Value> {
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("undefined");
    let err = match name.as_str() {
        "POD_ALREADY_EXISTS" => k8s::sandbox_already_exists(arg(0)),
        "POD_CREATION_FAILED" => k8s::sandbox_creation_failed(arg(0), arg(1), None),
        "POD_DELETION_FAILED" => k8s::sandbox_deletion_failed(arg(0), arg(1), None),
        "EXEC_FAILED" => k8s::command_failed(arg(0), arg(1), None),
        "NETWORK_ISOLATION_UNSUPPORTED" => k8s::network_isolation_unsupported(arg(0), arg(1), None),
        "NETWORK_POLICY_CREATION_FAILED" => {
            k8s::network_policy_creation_failed(arg(0), arg(1), None)
        }
        "IMAGE_NOT_FOUND" => k8s::image_not_found(arg(0)),
        "TMUX_SESSION_ALREADY_EXISTS" => k8s::tmux_session_exists(arg(0)),
        "TMUX_CREATION_FAILED" => k8s::tmux_creation_failed(arg(0), arg(1)),
        other => return Err(invalid_argument(format!("K8sErrors has no {other:?}"))),
    };
    Ok(payload(&err))
}

//! The provider's rules, asked for by the JS provider (one copy, in the core):
//! the status of a Sandbox, argv assembly, ids and names.

use std::collections::{BTreeMap, HashMap};

use agent_sandbox::provider::{command, naming, status};
use napi_derive::napi;

use crate::js_error::{IntoJs, decode};

/// AgentPane's status of a Sandbox object (JSON text): 'creating' |
/// 'running' | 'idle' | 'stopped' | 'error'.
#[napi]
pub fn sandbox_status(sandbox: String) -> napi::Result<String> {
    let sandbox: serde_json::Value = serde_json::from_str(&sandbox).map_err(decode)?;
    Ok(status::status_of(&sandbox).as_str().to_string())
}

/// The argv that runs `cmd args` in `cwd` with `env`: caller strings only
/// ever as argv entries (see the core's `provider::command`). Refusals are
/// coded INVALID_ARGUMENT.
#[napi]
pub fn agent_argv(
    cmd: String,
    args: Vec<String>,
    env: Option<HashMap<String, String>>,
    cwd: Option<String>,
) -> napi::Result<Vec<String>> {
    let env: BTreeMap<String, String> = env.unwrap_or_default().into_iter().collect();
    command::agent_argv(&cmd, &args, &env, cwd.as_deref()).into_js()
}

/// A cuid2-shaped sandbox id.
#[napi]
pub fn create_sandbox_id() -> String {
    naming::create_id()
}

/// `agentpane-<codespace[0:20]>-<id[0:8]>`, made a valid object name.
#[napi]
pub fn sandbox_name_for(codespace_id: String, sandbox_id: String) -> String {
    naming::sandbox_name_for(&codespace_id, &sandbox_id)
}

//! Node binding of the `agent-sandbox` crate.
//!
//! The JS-facing types are named `Js*` / `Native*`, except the classes of the
//! drop-in API (`AgentSandboxProvider`, `AgentSandboxInstance`); the
//! hand-written JS layer (`lib/`) adds what must be JS (error classes, Node
//! streams, KubeConfig objects). Errors cross the boundary as
//! [`js_error::to_napi`].

mod js_agent_sandbox_client;
mod js_cancel;
mod js_client;
mod js_constants;
mod js_crud;
mod js_error;
mod js_events;
mod js_exec;
mod js_instance;
mod js_json;
mod js_k8s_errors;
mod js_kubeconfig;
mod js_lifecycle;
mod js_logger;
mod js_logs;
#[cfg(debug_assertions)]
mod js_panic_probe;
mod js_pod_security;
mod js_port_forward;
mod js_provider;
mod js_push;
mod js_schema;
mod js_task;
mod js_watch;

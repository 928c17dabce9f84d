//! Node binding of the `agent-sandbox` crate.
//!
//! The JS-facing types are named `Js*` / `Native*`; the hand-written JS layer
//! (`lib/`) wraps them into the drop-in API (error classes, KubeConfig
//! objects, streams). Errors cross the boundary as [`js_error::to_napi`].

mod js_client;
mod js_error;
mod js_exec;
mod js_json;
mod js_kubeconfig;
mod js_lifecycle;
mod js_provider_rules;
mod js_schema;
mod js_tar;
mod js_task;
mod js_watch;

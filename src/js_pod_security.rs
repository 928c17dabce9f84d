//! The restricted Pod Security defaults, for the JS builders'
//! `restrictedPodSecurity()` (the same rule the provider's manifests use).

use napi_derive::napi;

use crate::js_error::decode;
use crate::js_json::parse;

/// The pod spec (JSON text) with the restricted defaults added where
/// missing; explicit values are kept.
#[napi(catch_unwind)]
pub fn restrict_pod_spec(pod_spec: String) -> napi::Result<String> {
    let mut spec = parse(&pod_spec, "the pod spec")?;
    agent_sandbox::pod_security::restrict(&mut spec);
    serde_json::to_string(&spec).map_err(decode)
}

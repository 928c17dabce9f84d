//! Claims, and how far a Sandbox is from Ready (the waits themselves are on
//! `CustomResourceCrud`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use agent_sandbox::lifecycle::{ClaimRequest, Readiness};
use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use serde_json::json;

use crate::js_cancel::{CancelToken, token_of};
use crate::js_client::Connection;
use crate::js_crud::deadline;
use crate::js_error::IntoJs;
use crate::js_json::{Answer, IntoAnswer};

#[napi(object)]
#[derive(Default)]
pub struct JsClaimOptions {
    /// Default: `claim-` and 10 random base-36 characters.
    pub name: Option<String>,
    /// Default: the client's.
    pub namespace: Option<String>,
    pub warm_pool: Option<String>,
    pub template: Option<String>,
    pub labels: Option<HashMap<String, String>>,
    /// Default 120,000.
    pub timeout_ms: Option<f64>,
    /// Expiry: the claim and its Sandbox are deleted this many seconds after
    /// the claim is made (`lifecycle.shutdownTime` with policy `Delete`).
    pub shutdown_after_seconds: Option<f64>,
    /// Wait on an existing claim of this name (after a restart, say) instead
    /// of failing with ALREADY_EXISTS; a claim reconnected to is never deleted
    /// by this call.
    pub reconnect: Option<bool>,
}

/// `claim-` and 10 base-36 characters from the OS's random source.
fn random_claim_name() -> String {
    let id = agent_sandbox::provider::naming::create_id();
    format!("claim-{}", &id[1..11])
}

/// Creates a SandboxClaim, waits until it is bound and its Sandbox is
/// Ready: `{claim, sandbox, podName}`. On failure (deadline, cancel,
/// terminal reason) the claim is deleted again, unless it was not ours (a
/// claim of that name already existed).
pub(crate) fn claim_sandbox_on<'env>(
    env: &'env Env,
    connection: Arc<Connection>,
    namespace: String,
    options: JsClaimOptions,
    cancel: Option<&CancelToken>,
) -> napi::Result<PromiseRaw<'env, Answer>> {
    let token = token_of(cancel);
    let timeout = deadline(options.timeout_ms);
    let request = ClaimRequest {
        name: options
            .name
            .filter(|n| !n.is_empty())
            .unwrap_or_else(random_claim_name),
        warm_pool: options.warm_pool,
        template: options.template,
        labels: options.labels.unwrap_or_default().into_iter().collect(),
        shutdown_after: options
            .shutdown_after_seconds
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(|s| Duration::from_secs_f64(s.min(1e12))),
        reconnect: options.reconnect.unwrap_or(false),
    };
    env.spawn_future(async move {
        let client = connection.client().await.into_js()?;
        let bound = agent_sandbox::lifecycle::claim_sandbox_or_clean_up(
            &client, &namespace, &request, timeout, &token,
        )
        .await
        .into_js()?;
        json!({ "claim": bound.claim, "sandbox": bound.sandbox, "podName": bound.pod_name })
            .into_answer()
            .into_js()
    })
}

#[napi(object)]
pub struct JsReadiness {
    /// "ready", "failed" or "pending".
    pub state: String,
    pub reason: Option<String>,
    pub message: Option<String>,
}

/// Where a Sandbox object (JSON text) stands, judged as the watch-driven
/// wait judges it (one definition of "terminal", in the core).
#[napi(catch_unwind)]
pub fn sandbox_readiness(sandbox: String) -> napi::Result<JsReadiness> {
    let sandbox = crate::js_json::parse(&sandbox, "the Sandbox")?;
    let (state, reason, message) = match agent_sandbox::lifecycle::readiness(&sandbox) {
        Readiness::Ready => ("ready", None, None),
        Readiness::Failed { reason, message } => ("failed", Some(reason), Some(message)),
        Readiness::Pending => ("pending", None, None),
    };
    Ok(JsReadiness {
        state: state.into(),
        reason,
        message,
    })
}

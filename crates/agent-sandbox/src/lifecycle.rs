//! Waiting for a Sandbox to become ready, driven by a watch: it returns as
//! soon as `Ready=True` is seen, fails fast on terminal reasons, and keeps
//! its deadline exactly.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::client::Client;
use crate::error::{Error, ErrorCode, Result};
use crate::reflector::Seen;
use crate::resources::ResourceRef;
use std::sync::Arc;
use tokio::sync::watch;

/// `Ready=False` reasons after which waiting is pointless: the original
/// SDK's and the upstream controller's (`InvalidConfiguration` since v1.0.4:
/// the API server refuses what the Sandbox asks for, e.g. a Service name
/// longer than 63 characters).
pub const TERMINAL_REASONS: [&str; 7] = [
    "InvalidConfiguration",
    "PodCreationFailed",
    "TemplateNotFound",
    "SandboxExpired",
    "PodSucceeded",
    "PodFailed",
    "MultiplePods",
];

/// Marks, in a `ReconcilerError` message, of an admission refusal that no
/// amount of waiting fixes (the controller retries it forever): the pod spec
/// breaks the namespace's Pod Security level or its LimitRange, asks for a
/// RuntimeClass the cluster does not have, or more than its quota allows.
const PERMANENT_RECONCILER_ERRORS: [&str; 5] = [
    "violates PodSecurity",
    "pod rejected: RuntimeClass",
    "usage per Container is",
    "usage per Pod is",
    "exceeded quota:",
];

/// Why a container of the Sandbox's pod waits, when no wait will end it: the
/// image cannot be pulled or named, its configuration refers to what does
/// not exist, or it crashes on every start. The controller reports none of
/// these (its condition only says the pod is not ready), so the pod is read.
pub const PERMANENT_CONTAINER_WAITS: [&str; 5] = [
    "ImagePullBackOff",
    "InvalidImageName",
    "ErrImageNeverPull",
    "CreateContainerConfigError",
    "CrashLoopBackOff",
];

/// How often a waiting Sandbox's pod is read for [`PERMANENT_CONTAINER_WAITS`].
const POD_CHECK_INTERVAL: Duration = Duration::from_secs(3);

/// The first container (init containers first) of `pod` waiting for a
/// reason in [`PERMANENT_CONTAINER_WAITS`], as (reason, message).
pub fn pod_failure(pod: &Value) -> Option<(String, String)> {
    ["initContainerStatuses", "containerStatuses"]
        .iter()
        .filter_map(|list| pod.pointer(&format!("/status/{list}"))?.as_array())
        .flatten()
        .find_map(|status| {
            let waiting = status.pointer("/state/waiting")?;
            let reason = waiting.get("reason")?.as_str()?;
            if !PERMANENT_CONTAINER_WAITS.contains(&reason) {
                return None;
            }
            let container = status.get("name").and_then(Value::as_str).unwrap_or("?");
            let detail = waiting
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default();
            Some((
                reason.to_string(),
                format!("container {container}: {reason} {detail}")
                    .trim_end()
                    .to_string(),
            ))
        })
}

/// Follows the pod named in `pod_name` (it moves when the Sandbox names
/// another) until one of its containers waits for good; pends forever when
/// the user may not read pods (the Sandbox's own conditions still decide
/// then).
async fn watch_pod_for_failure(
    client: &Client,
    namespace: &str,
    mut pod_name: watch::Receiver<String>,
) -> (String, String) {
    let pods = ResourceRef::new("", "v1", "pods");
    loop {
        let name = pod_name.borrow_and_update().clone();
        let mut follow = client.follow(&pods, namespace, &name);
        match client.get(&pods, namespace, &name).await {
            Ok(pod) => {
                if let Some(failure) = pod_failure(&pod) {
                    return failure;
                }
            }
            Err(e) if matches!(e.status(), Some(401 | 403)) => {
                tracing::debug!(error = %e, "waitForReady: pods cannot be read; relying on the Sandbox's conditions");
                std::future::pending::<()>().await;
            }
            // Not there yet: its creation arrives through the shared watch.
            Err(_) => {}
        }
        loop {
            tokio::select! {
                moved = pod_name.changed() => match moved {
                    Ok(()) => break,
                    Err(_) => std::future::pending::<()>().await,
                },
                seen = follow.changed() => match seen {
                    Seen::Object(pod) => {
                        if let Some(failure) = pod_failure(&pod) {
                            return failure;
                        }
                    }
                    Seen::Ended => return poll_pod_for_failure(client, namespace, &pod_name).await,
                    Seen::Deleted(_) => {}
                },
            }
        }
    }
}

/// [`watch_pod_for_failure`] for a user who may read pods but not watch
/// them: reads the pod every [`POD_CHECK_INTERVAL`].
async fn poll_pod_for_failure(
    client: &Client,
    namespace: &str,
    pod_name: &watch::Receiver<String>,
) -> (String, String) {
    let pods = ResourceRef::new("", "v1", "pods");
    loop {
        tokio::time::sleep(POD_CHECK_INTERVAL).await;
        let name = pod_name.borrow().clone();
        match client.get(&pods, namespace, &name).await {
            Ok(pod) => {
                if let Some(failure) = pod_failure(&pod) {
                    return failure;
                }
            }
            Err(e) if matches!(e.status(), Some(401 | 403)) => {
                std::future::pending::<()>().await;
            }
            Err(_) => {}
        }
    }
}

fn is_terminal(reason: &str, message: &str) -> bool {
    TERMINAL_REASONS.contains(&reason)
        || (reason == "ReconcilerError"
            && PERMANENT_RECONCILER_ERRORS
                .iter()
                .any(|m| message.contains(m)))
}

/// How far a Sandbox is.
#[derive(Debug, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    Failed { reason: String, message: String },
    Pending,
}

pub fn readiness(sandbox: &Value) -> Readiness {
    let ready = sandbox
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|c| {
            c.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        });
    let Some(ready) = ready else {
        return Readiness::Pending;
    };
    let field = |k: &str| {
        ready
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    match field("status").as_str() {
        "True" => Readiness::Ready,
        "False" if is_terminal(&field("reason"), &field("message")) => Readiness::Failed {
            reason: field("reason"),
            message: ready
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("Sandbox failed to become ready")
                .to_string(),
        },
        _ => Readiness::Pending,
    }
}

/// Waits until the Sandbox `name` (read through `r`, so in the caller's API
/// version) is ready. Errors: the `get` error (404 included), [`Error::SandboxFailed`]
/// on a terminal reason, [`Error::Timeout`] at the deadline.
pub async fn wait_for_ready(
    client: &Client,
    r: &ResourceRef,
    namespace: &str,
    name: &str,
    timeout: Duration,
) -> Result<Value> {
    let deadline = Instant::now() + timeout;
    let timed_out = || Error::Timeout {
        operation: format!("waitForReady({name})"),
        timeout_ms: timeout.as_millis() as u64,
    };
    if timeout.is_zero() {
        return Err(timed_out());
    }
    tokio::time::timeout_at(deadline, wait(client, r, namespace, name))
        .await
        .map_err(|_| timed_out())?
}

async fn wait(client: &Client, r: &ResourceRef, namespace: &str, name: &str) -> Result<Value> {
    // Often decided at once (a warm pool's Sandbox is Ready when claimed):
    // one read, and no shared watch started for it.
    let current = client.get(r, namespace, name).await?;
    if let Some(done) = decision(&current, namespace, name) {
        return done.map(|()| current);
    }
    let pod = crate::exec::pod_name_of(&current, name);
    let (pod_name, pod_name_rx) = watch::channel(pod);
    tokio::select! {
        done = wait_for_sandbox(client, r, namespace, name, &pod_name) => done,
        (reason, message) = watch_pod_for_failure(client, namespace, pod_name_rx) => Err(Error::SandboxFailed {
            name: name.to_string(),
            namespace: namespace.to_string(),
            reason,
            message,
        }),
    }
}

/// Whether the Sandbox `obj` ends a wait: ready, failed for good, or not yet.
fn decision(obj: &Value, namespace: &str, name: &str) -> Option<Result<()>> {
    match readiness(obj) {
        Readiness::Ready => Some(Ok(())),
        Readiness::Failed { reason, message } => Some(Err(Error::SandboxFailed {
            name: name.to_string(),
            namespace: namespace.to_string(),
            reason,
            message,
        })),
        Readiness::Pending => None,
    }
}

/// [`wait`] on the Sandbox's own conditions: its state now, then its
/// changes through the namespace's shared watch; keeps `pod_name` current.
async fn wait_for_sandbox(
    client: &Client,
    r: &ResourceRef,
    namespace: &str,
    name: &str,
    pod_name: &watch::Sender<String>,
) -> Result<Value> {
    let decide = |obj: &Value| -> Option<Result<()>> {
        pod_name.send_if_modified(|pod| {
            let now = crate::exec::pod_name_of(obj, name);
            let moved = *pod != now;
            *pod = now;
            moved
        });
        decision(obj, namespace, name)
    };
    // Following starts before the read, so no change after it is missed.
    let mut follow = client.follow(r, namespace, name);
    let current = client.get(r, namespace, name).await?;
    if let Some(done) = decide(&current) {
        return done.map(|()| current);
    }
    loop {
        let obj = follow.next_state(&current).await?;
        if let Some(done) = decide(&obj) {
            return done.map(|()| Arc::unwrap_or_clone(obj));
        }
    }
}

/// What to claim.
#[derive(Clone, Debug, Default)]
pub struct ClaimRequest {
    pub name: String,
    /// The pool to adopt from (v1beta1 needs one; a pool of 0 replicas is a
    /// template-only pool).
    pub warm_pool: Option<String>,
    /// The template (v1alpha1 servers; read from the pool when absent).
    pub template: Option<String>,
    pub labels: std::collections::BTreeMap<String, String>,
    /// Expiry: the claim (and its Sandbox) is deleted this long after it is
    /// made (`spec.lifecycle`: `shutdownTime` with policy `Delete`).
    pub shutdown_after: Option<Duration>,
    /// A claim of this name that already exists is waited on (reconnecting
    /// to it, e.g. after a restart) instead of refused with ALREADY_EXISTS.
    pub reconnect: bool,
}

/// A claim bound to a ready Sandbox.
#[derive(Clone, Debug)]
pub struct BoundClaim {
    pub claim: Value,
    pub sandbox: Value,
    pub pod_name: String,
}

/// Claim reasons after which the claim will not become usable.
pub const TERMINAL_CLAIM_REASONS: [&str; 5] = [
    "InvalidMetadata",
    "EnvVarsInjectionRejected",
    "VolumeClaimTemplatesError",
    "ClaimExpired",
    "SandboxExpired",
];

/// Creates a SandboxClaim in the version the cluster serves, waits until it
/// is bound and its Sandbox is Ready, and returns both with the pod name.
pub async fn claim_sandbox(
    client: &Client,
    namespace: &str,
    req: &ClaimRequest,
    timeout: Duration,
) -> Result<BoundClaim> {
    let timed_out = || Error::Timeout {
        operation: format!("claimSandbox({})", req.name),
        timeout_ms: timeout.as_millis() as u64,
    };
    tokio::time::timeout(timeout, claim(client, namespace, req))
        .await
        .map_err(|_| timed_out())?
}

/// [`claim_sandbox`] that also ends on `cancel`, and leaves no claim behind
/// when it fails: the claim is deleted again, unless it was not made by this
/// call (a claim of that name already existed: refused, or reconnected to).
pub async fn claim_sandbox_or_clean_up(
    client: &Client,
    namespace: &str,
    req: &ClaimRequest,
    timeout: Duration,
    cancel: &crate::cancel::CancellationToken,
) -> Result<BoundClaim> {
    let operation = format!("claimSandbox({})", req.name);
    let claims = || {
        use crate::resources::{Kind, Version};
        ResourceRef::of(Kind::SandboxClaim, Version::V1alpha1)
    };
    // A claim reconnected to was not made by this call: never deleted by it.
    let existed = req.reconnect && client.get(&claims(), namespace, &req.name).await.is_ok();
    let claiming = claim_sandbox(client, namespace, req, timeout);
    let err = match crate::cancel::until_cancelled(&operation, cancel, claiming).await {
        Ok(bound) => return Ok(bound),
        Err(e) => e,
    };
    if err.code() != ErrorCode::AlreadyExists && !existed {
        let propagation = crate::client::Propagation::Background;
        if let Err(e) = client
            .delete(&claims(), namespace, &req.name, propagation)
            .await
            && !e.is_not_found()
        {
            tracing::warn!(claim = %req.name, error = %e, "deleting a failed claim failed");
        }
    }
    Err(err)
}

/// Creates the claim `req` describes as `claims` (the version the cluster
/// serves: v1beta1 adopts from `warmPoolRef`; v1alpha1 names the template
/// and the pool).
async fn create_claim(
    client: &Client,
    namespace: &str,
    req: &ClaimRequest,
    claims: &ResourceRef,
) -> Result<Value> {
    use crate::resources::{Kind, Version};
    use serde_json::json;
    let mut spec = if claims.version == Version::V1beta1.as_str() {
        let pool = req.warm_pool.clone().ok_or_else(|| Error::Unsupported {
            message: "this cluster serves v1beta1 claims, which need a warm pool: give warmPool (a pool with replicas 0 \
                      is a template-only pool)"
                .into(),
        })?;
        json!({ "warmPoolRef": { "name": pool } })
    } else {
        let template = match (&req.template, &req.warm_pool) {
            (Some(t), _) => t.clone(),
            (None, Some(pool)) => {
                let p = client
                    .get(
                        &ResourceRef::of(Kind::SandboxWarmPool, Version::V1alpha1),
                        namespace,
                        pool,
                    )
                    .await?;
                p.pointer("/spec/sandboxTemplateRef/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            }
            (None, None) => return Err(Error::invalid("a claim needs a warm pool or a template")),
        };
        let warmpool = req.warm_pool.clone().unwrap_or_else(|| "none".into());
        json!({ "sandboxTemplateRef": { "name": template }, "warmpool": warmpool })
    };
    if let Some(after) = req.shutdown_after {
        let at = std::time::SystemTime::now() + after;
        spec["lifecycle"] =
            json!({ "shutdownTime": crate::provider::iso_time(at), "shutdownPolicy": "Delete" });
    }
    let labels = serde_json::to_value(&req.labels).unwrap_or_default();
    let body = json!({
        "apiVersion": claims.api_version(), "kind": "SandboxClaim",
        "metadata": { "name": req.name, "labels": labels }, "spec": spec,
    });
    client.create(claims, namespace, body).await
}

async fn claim(client: &Client, namespace: &str, req: &ClaimRequest) -> Result<BoundClaim> {
    use crate::resources::{Kind, Version};
    let served = client.served_versions().await?;
    let version = if served.extensions.contains(&Version::V1beta1) {
        Version::V1beta1
    } else {
        Version::V1alpha1
    };
    let claims = ResourceRef::of(Kind::SandboxClaim, version);
    // Following starts before the claim is read or made: no change after is missed.
    let mut follow = client.follow(&claims, namespace, &req.name);
    let existing = match req.reconnect {
        true => match client.get(&claims, namespace, &req.name).await {
            Ok(claim) => Some(claim),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e),
        },
        false => None,
    };
    let created = match existing {
        Some(claim) => claim,
        None => match create_claim(client, namespace, req, &claims).await {
            // Made by someone else in between: reconnect to it.
            Err(e) if req.reconnect && e.code() == ErrorCode::AlreadyExists => {
                client.get(&claims, namespace, &req.name).await?
            }
            other => other?,
        },
    };
    // Bound: status.sandbox.name (Name on old controllers).
    let bound_name = |claim: &Value| -> Result<Option<String>> {
        if let Some(ready) = claim
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .and_then(|c| {
                c.iter()
                    .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
            })
        {
            let reason = ready
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if ready.get("status").and_then(Value::as_str) == Some("False")
                && TERMINAL_CLAIM_REASONS.contains(&reason)
            {
                return Err(Error::SandboxFailed {
                    name: req.name.clone(),
                    namespace: namespace.to_string(),
                    reason: reason.to_string(),
                    message: ready
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("claim failed")
                        .to_string(),
                });
            }
        }
        Ok(claim
            .pointer("/status/sandbox")
            .and_then(|s| s.get("name").or_else(|| s.get("Name")))
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .map(str::to_string))
    };
    let mut claim_obj = created;
    let mut sandbox_name = bound_name(&claim_obj)?;
    while sandbox_name.is_none() {
        let obj = follow.next_state(&claim_obj).await?;
        sandbox_name = bound_name(&obj)?;
        claim_obj = Arc::unwrap_or_clone(obj);
    }
    let sandbox_name = sandbox_name.unwrap_or_default();
    let sandbox_version = if served.sandboxes.contains(&Version::V1beta1) {
        Version::V1beta1
    } else {
        Version::V1alpha1
    };
    let sandboxes = ResourceRef::of(Kind::Sandbox, sandbox_version);
    let sandbox = wait(client, &sandboxes, namespace, &sandbox_name).await?;
    let pod_name = crate::exec::pod_name_of(&sandbox, &sandbox_name);
    Ok(BoundClaim {
        claim: claim_obj,
        sandbox,
        pod_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn containers_that_wait_for_good_fail_the_wait() {
        let pod = |statuses: Value| json!({ "status": { "containerStatuses": statuses } });
        let waiting = |reason: &str| json!([{ "name": "sandbox", "state": { "waiting": { "reason": reason, "message": "Back-off pulling image \"x\"" } } }]);
        assert_eq!(
            pod_failure(&pod(waiting("ImagePullBackOff"))),
            Some((
                "ImagePullBackOff".into(),
                "container sandbox: ImagePullBackOff Back-off pulling image \"x\"".into()
            ))
        );
        assert_eq!(pod_failure(&pod(waiting("ContainerCreating"))), None);
        assert_eq!(pod_failure(&pod(waiting("ErrImagePull"))), None);
        assert_eq!(pod_failure(&json!({ "status": {} })), None);
        let init = json!({ "status": { "initContainerStatuses": [{ "name": "init", "state": { "waiting": { "reason": "InvalidImageName" } } }] } });
        assert_eq!(pod_failure(&init).unwrap().0, "InvalidImageName");
    }

    #[test]
    fn readiness_from_conditions() {
        let with = |status: &str, reason: &str| json!({"status":{"conditions":[{"type":"Ready","status":status,"reason":reason,"message":"m"}]}});
        assert_eq!(readiness(&json!({})), Readiness::Pending);
        assert_eq!(
            readiness(&with("True", "DependenciesReady")),
            Readiness::Ready
        );
        assert_eq!(
            readiness(&with("False", "DependenciesNotReady")),
            Readiness::Pending
        );
        assert_eq!(
            readiness(&with("False", "SandboxExpired")),
            Readiness::Failed {
                reason: "SandboxExpired".into(),
                message: "m".into()
            }
        );
        // v1.0.4: the API server refuses what the Sandbox asks for; terminal.
        assert_eq!(
            readiness(&with("False", "InvalidConfiguration")),
            Readiness::Failed {
                reason: "InvalidConfiguration".into(),
                message: "m".into()
            }
        );
        // Admission refusals of the pod spec itself are terminal too.
        for refused in [
            "pods \"x\" is forbidden: pod rejected: RuntimeClass \"gvisor\" not found",
            "pods \"x\" is forbidden: maximum cpu usage per Container is 2, but limit is 4",
            "pods \"x\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1",
        ] {
            let sandbox = json!({"status":{"conditions":[{"type":"Ready","status":"False","reason":"ReconcilerError","message":refused}]}});
            assert!(
                matches!(readiness(&sandbox), Readiness::Failed { .. }),
                "{refused}"
            );
        }
        // A quota whose usage is not known yet is not a refusal of the spec.
        let unknown = "pods \"x\" is forbidden: status unknown for quota: q, resources: pods";
        let sandbox = json!({"status":{"conditions":[{"type":"Ready","status":"False","reason":"ReconcilerError","message":unknown}]}});
        assert_eq!(readiness(&sandbox), Readiness::Pending);
        // A reconcile error is transient, unless the pod breaks Pod Security.
        assert_eq!(
            readiness(&with("False", "ReconcilerError")),
            Readiness::Pending
        );
        let refused = "Error seen: pods \"x\" is forbidden: violates PodSecurity \"restricted:latest\": runAsNonRoot != true";
        let sandbox = json!({"status":{"conditions":[{"type":"Ready","status":"False","reason":"ReconcilerError","message":refused}]}});
        assert_eq!(
            readiness(&sandbox),
            Readiness::Failed {
                reason: "ReconcilerError".into(),
                message: refused.into()
            }
        );
    }
}

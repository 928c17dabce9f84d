//! Waiting for a Sandbox to become ready, driven by a watch: it returns as
//! soon as `Ready=True` is seen, fails fast on terminal reasons, and keeps
//! its deadline exactly.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::client::Client;
use crate::error::{Error, ErrorCode, Result};
use crate::resources::ResourceRef;
use crate::watch::WatchOptions;

/// `Ready=False` reasons after which waiting is pointless: the original
/// SDK's and the upstream controller's.
pub const TERMINAL_REASONS: [&str; 6] = [
    "PodCreationFailed",
    "TemplateNotFound",
    "SandboxExpired",
    "PodSucceeded",
    "PodFailed",
    "MultiplePods",
];

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
        "False" if TERMINAL_REASONS.contains(&field("reason").as_str()) => Readiness::Failed {
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
    let decide = |obj: Value| -> Option<Result<Value>> {
        match readiness(&obj) {
            Readiness::Ready => Some(Ok(obj)),
            Readiness::Failed { reason, message } => Some(Err(Error::SandboxFailed {
                name: name.to_string(),
                namespace: namespace.to_string(),
                reason,
                message,
            })),
            Readiness::Pending => None,
        }
    };
    loop {
        let current = client.get(r, namespace, name).await?;
        let version = current
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(done) = decide(current) {
            return done;
        }
        let options = WatchOptions {
            field_selector: Some(format!("metadata.name={name}")),
            resource_version: version,
            ..WatchOptions::default()
        };
        let mut watch = client.watch(r, namespace, options);
        while let Some(event) = watch.next().await {
            match event {
                Ok(ev) if ev.event_type == "DELETED" => {
                    return Err(Error::Api {
                        code: ErrorCode::NotFound,
                        status: 404,
                        reason: "NotFound".into(),
                        message: format!(
                            "{} \"{name}\" was deleted while waiting for it",
                            r.plural
                        ),
                    });
                }
                Ok(ev) if ev.event_type == "ERROR" => {}
                Ok(ev) => {
                    if let Some(done) = decide(ev.object) {
                        return done;
                    }
                }
                // A watch this user may not open: fall back to reading again.
                Err(e) => {
                    tracing::debug!(error = %e, "waitForReady: watch failed, polling");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
    }
}

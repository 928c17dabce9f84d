//! The status AgentPane shows for a sandbox, derived from the Sandbox object
//! with the same readiness rule [`crate::lifecycle::wait_for_ready`] uses, so
//! that a provider and a wait never disagree about a Sandbox.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::lifecycle::{Readiness, readiness};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SandboxStatus {
    Creating,
    Running,
    Idle,
    Stopping,
    Stopped,
    Error,
}

impl SandboxStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            SandboxStatus::Creating => "creating",
            SandboxStatus::Running => "running",
            SandboxStatus::Idle => "idle",
            SandboxStatus::Stopping => "stopping",
            SandboxStatus::Stopped => "stopped",
            SandboxStatus::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            SandboxStatus::Creating,
            SandboxStatus::Running,
            SandboxStatus::Idle,
            SandboxStatus::Stopping,
            SandboxStatus::Stopped,
            SandboxStatus::Error,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    /// Gone for good: a sandbox in this state is not handed out again.
    pub const fn is_gone(self) -> bool {
        matches!(self, SandboxStatus::Stopped | SandboxStatus::Error)
    }
}

/// First match wins:
/// 1. suspended (`spec.replicas: 0`, v1beta1 `operatingMode: Suspended`, or
///    the `SandboxSuspended` reason) → `idle`;
/// 2. ready → `running`;
/// 3. a terminal failure: `SandboxExpired` → `stopped`, else `error`;
/// 4. anything still pending (no condition, provisioning reasons, transient
///    reconcile errors, reasons this version does not know) → `creating`.
pub fn status_of(sandbox: &Value) -> SandboxStatus {
    let spec = sandbox.get("spec");
    let suspended = spec.and_then(|s| s.get("replicas")).and_then(Value::as_i64) == Some(0)
        || spec
            .and_then(|s| s.get("operatingMode"))
            .and_then(Value::as_str)
            == Some("Suspended");
    if suspended {
        return SandboxStatus::Idle;
    }
    match readiness(sandbox) {
        Readiness::Ready => SandboxStatus::Running,
        Readiness::Failed { reason, .. } if reason == "SandboxExpired" => SandboxStatus::Stopped,
        Readiness::Failed { .. } => SandboxStatus::Error,
        Readiness::Pending if ready_reason(sandbox) == Some("SandboxSuspended") => {
            SandboxStatus::Idle
        }
        Readiness::Pending => SandboxStatus::Creating,
    }
}

fn ready_reason(sandbox: &Value) -> Option<&str> {
    sandbox
        .pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))?
        .get("reason")?
        .as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with_ready(status: &str, reason: &str) -> Value {
        json!({"spec":{},"status":{"conditions":[{"type":"Ready","status":status,"reason":reason,"message":"m"}]}})
    }

    #[test]
    fn the_contract_fixtures() {
        let cases = [
            (
                json!({"spec":{"replicas":1},"status":{"conditions":[{"type":"Ready","status":"True"}]}}),
                "running",
            ),
            (json!({"spec":{}}), "creating"),
            (json!({"spec":{"replicas":0}}), "idle"),
            (with_ready("False", "PodFailed"), "error"),
            (with_ready("False", "SandboxExpired"), "stopped"),
            (with_ready("False", "PodNotReady"), "creating"),
            (with_ready("False", "ContainersNotReady"), "creating"),
        ];
        for (sandbox, want) in cases {
            assert_eq!(status_of(&sandbox).as_str(), want, "{sandbox}");
        }
    }

    /// The JS provider mapped these to `error`, so `get()` forgot a sandbox
    /// that was only reconciling and `create()` could start a second one.
    #[test]
    fn transient_reasons_are_creating_like_the_wait_says() {
        assert_eq!(
            status_of(&with_ready("False", "ReconcilerError")),
            SandboxStatus::Creating
        );
        assert_eq!(
            status_of(&with_ready("False", "SomeFutureReason")),
            SandboxStatus::Creating
        );
        assert_eq!(
            status_of(&with_ready("False", "SandboxSuspended")),
            SandboxStatus::Idle
        );
        let refused = json!({"status":{"conditions":[{"type":"Ready","status":"False","reason":"ReconcilerError",
            "message":"pods \"x\" is forbidden: violates PodSecurity \"restricted:latest\""}]}});
        assert_eq!(status_of(&refused), SandboxStatus::Error);
        assert_eq!(
            status_of(&json!({"spec":{"operatingMode":"Suspended"}})),
            SandboxStatus::Idle
        );
    }
}

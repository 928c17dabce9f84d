//! The original SDK's exported constants (`CRD_API`, `CRD_PLURALS`, …), with
//! the group, version and kind names taken from the core.

use agent_sandbox::resources::{Kind, Version};
use napi_derive::napi;
use serde_json::{Value, json};

fn api(kind: Kind, version: Version) -> Value {
    let (group, version) = (kind.group(), version.as_str());
    json!({ "group": group, "version": version, "apiVersion": format!("{group}/{version}") })
}

/// Every `CRD_*` constant, keyed by its exported name (the JS layer freezes them).
#[napi(
    catch_unwind,
    ts_return_type = "Record<string, Record<string, string>>"
)]
pub fn crd_constants() -> Value {
    let by_kind = |f: fn(Kind) -> &'static str| {
        let [s, t, c, w] = [
            Kind::Sandbox,
            Kind::SandboxTemplate,
            Kind::SandboxClaim,
            Kind::SandboxWarmPool,
        ]
        .map(f);
        json!({ "sandbox": s, "sandboxTemplate": t, "sandboxClaim": c, "sandboxWarmPool": w })
    };
    json!({
        "CRD_API": api(Kind::Sandbox, Version::V1alpha1),
        "CRD_EXTENSIONS_API": api(Kind::SandboxClaim, Version::V1alpha1),
        "CRD_API_V1BETA1": api(Kind::Sandbox, Version::V1beta1),
        "CRD_EXTENSIONS_API_V1BETA1": api(Kind::SandboxClaim, Version::V1beta1),
        "CRD_PLURALS": by_kind(Kind::plural),
        "CRD_KINDS": by_kind(Kind::kind),
        "CRD_ANNOTATIONS": {
            "ttl": "agents.x-k8s.io/ttl",
            "pauseReason": "agents.x-k8s.io/pause-reason",
            "createdBy": "agents.x-k8s.io/created-by",
            "sandboxId": "agentpane.io/sandbox-id",
            "projectId": "agentpane.io/project-id",
            "taskId": "agentpane.io/task-id",
        },
        "CRD_CONDITIONS": {
            "ready": "Ready",
            "podReady": "PodReady",
            "networkReady": "NetworkReady",
            "storageReady": "StorageReady",
            "paused": "Paused",
            "expired": "SandboxExpired",
        },
        "CRD_LABELS": {
            "managed": "agentpane.io/managed",
            "sandbox": "agentpane.io/sandbox",
            "projectId": "agentpane.io/project-id",
            "warmPool": "agentpane.io/warm-pool",
            "warmPoolState": "agentpane.io/warm-pool-state",
            "claimUid": "agents.x-k8s.io/claim-uid",
        },
    })
}

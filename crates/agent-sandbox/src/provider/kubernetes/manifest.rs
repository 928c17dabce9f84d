//! The objects the Kubernetes provider writes, and the checks on what goes
//! into them.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::KubernetesProviderOptions;
use crate::error::{Error, Result};
use crate::provider::{SandboxConfig, defaults, iso_time, naming};
use crate::resources::ResourceRef;

pub const LABEL_SANDBOX_ID: &str = "agentpane.io/sandbox-id";
pub const LABEL_PROJECT_ID: &str = "agentpane.io/project-id";
pub const WARM_POOL_NAME: &str = "agentpane-warm-pool";
pub const WARM_POOL_TEMPLATE: &str = "agentpane-default";
/// The agent image's user (`node`), as the default template runs it.
const AGENT_UID: i64 = 1000;

pub(super) fn network_policies() -> ResourceRef {
    ResourceRef::new("networking.k8s.io", "v1", "networkpolicies")
}

/// The two labels that tie objects to a sandbox and its codespace.
pub(super) struct Labels<'a> {
    pub sandbox_id: &'a str,
    pub project_id: &'a str,
}

impl Labels<'_> {
    pub fn map(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (LABEL_SANDBOX_ID.to_string(), self.sandbox_id.to_string()),
            (LABEL_PROJECT_ID.to_string(), self.project_id.to_string()),
        ])
    }
}

/// A label value as the API server accepts it: at most 63 characters of
/// `[A-Za-z0-9._-]`, starting and ending alphanumeric. Checked before any
/// request, so it can also go into a label selector as it is.
pub fn check_label_value(what: &str, value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= 63
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && value.as_bytes()[0].is_ascii_alphanumeric()
        && value.as_bytes()[value.len() - 1].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "{what} {value:?} cannot be used: give 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        )))
    }
}

/// Refuses a config `create()` cannot use, before anything is sent.
pub(crate) fn check_config(config: &SandboxConfig) -> Result<()> {
    check_label_value("codespaceId", &config.codespace_id)?;
    if let Some(id) = &config.id {
        check_label_value("id", id)?;
    }
    if config.image.trim().is_empty() {
        return Err(Error::invalid_argument(
            "image is empty: give the sandbox's container image",
        ));
    }
    if !(config.cpu_cores.is_finite() && config.cpu_cores > 0.0) || config.memory_mb == 0 {
        return Err(Error::invalid_argument(format!(
            "cpuCores ({}) and memoryMb ({}) must be positive",
            config.cpu_cores, config.memory_mb
        )));
    }
    Ok(())
}

/// A cold Sandbox: the config's image and limits, our labels on the Sandbox
/// and its pod template (so the NetworkPolicy selects the pod), expiry after
/// the idle timeout, and the restricted Pod Security level (the sandbox
/// namespace enforces it; the agent image runs as UID 1000).
pub(super) fn cold_sandbox(
    name: &str,
    config: &SandboxConfig,
    options: &KubernetesProviderOptions,
    labels: &Labels<'_>,
) -> Value {
    let shutdown =
        iso_time(SystemTime::now() + Duration::from_secs(config.idle_timeout_minutes * 60));
    let mut pod_spec = json!({
        "containers": [{
            "name": defaults::CONTAINER,
            "image": config.image,
            "resources": { "limits": { "cpu": format!("{}", config.cpu_cores), "memory": format!("{}Mi", config.memory_mb) } },
        }],
        "securityContext": { "runAsUser": AGENT_UID, "runAsGroup": AGENT_UID, "fsGroup": AGENT_UID },
    });
    crate::pod_security::restrict(&mut pod_spec);
    if let Some(rc) = options
        .runtime_class_name
        .as_deref()
        .filter(|rc| *rc != "none")
    {
        pod_spec["runtimeClassName"] = json!(rc);
    }
    json!({
        "apiVersion": "agents.x-k8s.io/v1alpha1",
        "kind": "Sandbox",
        "metadata": { "name": name, "namespace": options.namespace, "labels": labels.map() },
        "spec": {
            "podTemplate": { "metadata": { "labels": labels.map() }, "spec": pod_spec },
            "shutdownTime": shutdown,
        },
    })
}

/// Deny-all ingress and egress for the pod of one sandbox.
pub(super) fn deny_all_policy(sandbox_name: &str, namespace: &str, sandbox_id: &str) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": naming::network_policy_name_for(sandbox_name),
            "namespace": namespace,
            "labels": { LABEL_SANDBOX_ID: sandbox_id },
        },
        "spec": {
            "podSelector": { "matchLabels": { LABEL_SANDBOX_ID: sandbox_id } },
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [],
            "egress": [],
        },
    })
}

/// The controller's label on every pod of a Sandbox (also a pod it makes
/// again): what a claimed sandbox's policy selects, since our own labels on
/// its pod do not survive a new pod (see `claim_from_warm_pool`).
pub(super) const LABEL_SANDBOX_NAME_HASH: &str = "agents.x-k8s.io/sandbox-name-hash";

/// [`deny_all_policy`] for the pods of a claimed Sandbox, by the
/// controller's name-hash label; labelled with our id, so it goes with the
/// sandbox.
pub(super) fn deny_all_policy_by_name_hash(
    sandbox_name: &str,
    namespace: &str,
    sandbox_id: &str,
    name_hash: &str,
) -> Value {
    let mut policy = deny_all_policy(sandbox_name, namespace, sandbox_id);
    policy["metadata"]["name"] = json!(format!(
        "{}-pods",
        naming::network_policy_name_for(sandbox_name)
    ));
    policy["spec"]["podSelector"] =
        json!({ "matchLabels": { LABEL_SANDBOX_NAME_HASH: name_hash } });
    policy
}

pub(super) fn warm_pool(namespace: &str, replicas: i32) -> Value {
    json!({
        "apiVersion": "extensions.agents.x-k8s.io/v1alpha1",
        "kind": "SandboxWarmPool",
        "metadata": { "name": WARM_POOL_NAME, "namespace": namespace },
        "spec": { "replicas": replicas, "sandboxTemplateRef": { "name": WARM_POOL_TEMPLATE } },
    })
}

/// The `sandbox` container (else the first) of the container list at `pointer`.
pub(super) fn sandbox_container_object<'a>(obj: &'a Value, pointer: &str) -> Option<&'a Value> {
    let containers = obj.pointer(pointer)?.as_array()?;
    containers
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(defaults::CONTAINER))
        .or_else(|| containers.first())
}

/// That container's image.
pub(super) fn sandbox_container<'a>(obj: &'a Value, pointer: &str) -> Option<&'a str> {
    sandbox_container_object(obj, pointer)?
        .get("image")?
        .as_str()
}

/// `<n>Mi` is n, `<n>Gi` is n×1024, anything else 0.
pub(super) fn memory_mb_of(quantity: &str) -> u64 {
    let parse = |s: &str| {
        s.parse::<u64>()
            .ok()
            .filter(|_| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
    };
    if let Some(n) = quantity.strip_suffix("Gi").and_then(parse) {
        n.saturating_mul(1024)
    } else {
        quantity.strip_suffix("Mi").and_then(parse).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values() {
        assert!(check_label_value("codespaceId", "cs-a.b_1").is_ok());
        for bad in ["", "-a", "a-", "a,b=c", "a b", "x".repeat(64).as_str(), "é"] {
            let e = check_label_value("codespaceId", bad).unwrap_err();
            assert_eq!(e.code().as_str(), "INVALID_ARGUMENT", "{bad:?}");
        }
    }

    #[test]
    fn memory() {
        assert_eq!(memory_mb_of("512Mi"), 512);
        assert_eq!(memory_mb_of("4Gi"), 4096);
        assert_eq!(memory_mb_of("1G"), 0);
        assert_eq!(memory_mb_of("Mi"), 0);
    }

    #[test]
    fn cold_manifest_meets_restricted_and_carries_labels_on_the_pod() {
        let config = SandboxConfig {
            codespace_id: "cs".into(),
            image: "busybox".into(),
            memory_mb: 512,
            cpu_cores: 1.0,
            idle_timeout_minutes: 30,
            ..SandboxConfig::default()
        };
        let options = KubernetesProviderOptions {
            runtime_class_name: Some("gvisor".into()),
            ..KubernetesProviderOptions::default()
        };
        let labels = Labels {
            sandbox_id: "id1",
            project_id: "cs",
        };
        let s = cold_sandbox("agentpane-cs-id1", &config, &options, &labels);
        assert_eq!(
            s["spec"]["podTemplate"]["metadata"]["labels"][LABEL_SANDBOX_ID],
            "id1"
        );
        let pod = &s["spec"]["podTemplate"]["spec"];
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_eq!(pod["runtimeClassName"], "gvisor");
        assert_eq!(
            pod["containers"][0]["resources"]["limits"],
            json!({"cpu":"1","memory":"512Mi"})
        );
        assert_eq!(
            pod["containers"][0]["securityContext"]["capabilities"]["drop"],
            json!(["ALL"])
        );
    }
}

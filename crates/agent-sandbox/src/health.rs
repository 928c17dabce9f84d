//! Health check: is the cluster reachable, are the CRDs there, does the
//! namespace exist, and is the upstream controller deployed.

use serde::Serialize;
use serde_json::Value;

use crate::client::Client;
use crate::resources::{CONTROLLER_NAMESPACE, Kind};

/// What [`health_check`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthReport {
    pub healthy: bool,
    pub controller_installed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controller_version: Option<String>,
    pub crd_registered: bool,
    pub namespace: String,
    pub namespace_exists: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_version: Option<String>,
}

/// What AgentPane's `GET /api/sandbox/k8s/controller` serves: the health
/// check, plus the API versions the cluster serves and whether the
/// controller's Deployment has ready replicas.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ControllerStatus {
    pub installed: bool,
    pub version: Option<String>,
    pub crd_registered: bool,
    /// `crdRegistered && namespaceExists`.
    pub crd_ready: bool,
    pub crd_group: String,
    /// Served versions per group, most preferred first.
    pub served_versions: std::collections::BTreeMap<String, Vec<String>>,
    pub namespace: String,
    pub namespace_exists: bool,
    pub cluster_version: Option<String>,
    /// The controller Deployment has ready replicas (false when none is found,
    /// e.g. a controller running outside the cluster).
    pub controller_ready: bool,
    /// `healthy` of the health check: CRDs and namespace (the controller is not required).
    pub ready: bool,
}

impl HealthReport {
    /// The report when the cluster cannot be reached at all.
    pub fn unreachable(namespace: &str) -> Self {
        HealthReport {
            namespace: namespace.to_string(),
            ..HealthReport::default()
        }
    }
}

impl ControllerStatus {
    /// The status when the cluster cannot be reached at all.
    pub fn unreachable(namespace: &str) -> Self {
        ControllerStatus {
            crd_group: Kind::Sandbox.group().to_string(),
            namespace: namespace.to_string(),
            ..ControllerStatus::default()
        }
    }
}

pub async fn controller_status(client: &Client, namespace: &str) -> ControllerStatus {
    let report = health_check(client, namespace).await;
    let deployment = if report.crd_registered {
        find_controller(client).await
    } else {
        None
    };
    let mut served_versions = std::collections::BTreeMap::new();
    if report.cluster_version.is_some()
        && let Ok(served) = client.served_versions().await
    {
        let names = |v: &[crate::resources::Version]| {
            v.iter().map(|v| v.as_str().to_string()).collect::<Vec<_>>()
        };
        served_versions.insert(
            crate::resources::GROUP.to_string(),
            names(&served.sandboxes),
        );
        served_versions.insert(
            crate::resources::EXTENSIONS_GROUP.to_string(),
            names(&served.extensions),
        );
    }
    ControllerStatus {
        installed: report.controller_installed,
        version: report.controller_version.clone(),
        crd_registered: report.crd_registered,
        crd_ready: report.crd_registered && report.namespace_exists,
        crd_group: crate::resources::GROUP.to_string(),
        served_versions,
        namespace: report.namespace.clone(),
        namespace_exists: report.namespace_exists,
        cluster_version: report.cluster_version.clone(),
        controller_ready: deployment.is_some_and(|d| d.ready_replicas > 0),
        ready: report.healthy,
    }
}

/// The upstream controller's Deployment, looked up the ways it is really
/// labelled and named (release manifests, Helm chart, older scripts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllerDeployment {
    pub name: String,
    pub version: Option<String>,
    pub ready_replicas: i64,
    pub replicas: i64,
}

/// The original's check order, with the controller lookup widened.
/// `healthy` does not require the controller.
pub async fn health_check(client: &Client, namespace: &str) -> HealthReport {
    let mut report = HealthReport {
        namespace: namespace.to_string(),
        ..HealthReport::default()
    };
    let Ok(version) = client.get_path("/version").await else {
        return report;
    };
    report.cluster_version = version
        .get("gitVersion")
        .and_then(Value::as_str)
        .map(str::to_string);

    let crd = |kind: Kind| {
        format!(
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{}",
            kind.crd_name()
        )
    };
    report.crd_registered = client.get_path(&crd(Kind::Sandbox)).await.is_ok()
        && client.get_path(&crd(Kind::SandboxTemplate)).await.is_ok();
    report.namespace_exists = client
        .get_path(&format!("/api/v1/namespaces/{namespace}"))
        .await
        .is_ok();
    if report.crd_registered
        && let Some(deployment) = find_controller(client).await
    {
        report.controller_installed = true;
        report.controller_version = deployment.version;
    }
    report.healthy = report.crd_registered && report.namespace_exists;
    report
}

/// Finds the controller Deployment in `agent-sandbox-system`; errors count as
/// "not found".
pub async fn find_controller(client: &Client) -> Option<ControllerDeployment> {
    let base = format!("/apis/apps/v1/namespaces/{CONTROLLER_NAMESPACE}/deployments");
    for selector in [
        "app.kubernetes.io/name=agent-sandbox-controller",
        "app=agent-sandbox-controller",
    ] {
        if let Ok(list) = client
            .get_path(&format!(
                "{base}?labelSelector={}",
                selector.replace('=', "%3D")
            ))
            .await
            && let Some(first) = list
                .get("items")
                .and_then(Value::as_array)
                .and_then(|i| i.first())
        {
            return Some(describe(first));
        }
    }
    for name in [
        "agent-sandbox-controller",
        "agent-sandbox-controller-manager",
    ] {
        if let Ok(d) = client.get_path(&format!("{base}/{name}")).await {
            return Some(describe(&d));
        }
    }
    None
}

fn describe(deployment: &Value) -> ControllerDeployment {
    let label = deployment
        .pointer("/metadata/labels/app.kubernetes.io~1version")
        .and_then(Value::as_str);
    let image_tag = deployment
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .and_then(|c| {
            c.iter()
                .find_map(|c| c.get("image").and_then(Value::as_str))
        })
        .and_then(image_tag);
    ControllerDeployment {
        name: deployment
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        version: label.map(str::to_string).or(image_tag),
        ready_replicas: deployment
            .pointer("/status/readyReplicas")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        replicas: deployment
            .pointer("/status/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(0),
    }
}

/// The tag of `registry/name:tag[@digest]`, if any.
fn image_tag(image: &str) -> Option<String> {
    let without_digest = image.split('@').next()?;
    let last = without_digest.rsplit('/').next()?;
    last.split_once(':').map(|(_, tag)| tag.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn version_from_label_else_image_tag() {
        let d = json!({"metadata":{"name":"agent-sandbox-controller","labels":{"app.kubernetes.io/version":"v0.5.6"}}});
        assert_eq!(describe(&d).version.as_deref(), Some("v0.5.6"));
        let d = json!({"metadata":{"name":"x"},"spec":{"template":{"spec":{"containers":[
            {"image":"registry.k8s.io:443/agent-sandbox/agent-sandbox-controller:v0.4.6@sha256:abc"}]}}}});
        assert_eq!(describe(&d).version.as_deref(), Some("v0.4.6"));
        assert_eq!(image_tag("localhost:5000/ctrl"), None);
    }
}

//! Typed objects of the four kinds, in both API versions, usable with
//! `kube::Api<T>`.
//!
//! Every struct keeps the fields it does not know in `extra`, and pod specs
//! stay raw JSON ([`PodTemplate::spec`]), so a read-modify-write never drops
//! what a newer controller or Kubernetes release added. Still, change objects
//! that embed a PodSpec with a merge patch or server-side apply
//! ([`crate::Client::merge_patch`], [`crate::Client::apply`]), not a full PUT.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Fields a struct does not model, kept as they came.
pub type Extra = Map<String, Value>;

/// Labels and annotations of a pod template.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PodMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A pod template whose spec is kept as raw JSON (the CRDs embed the PodSpec
/// of their own Kubernetes release, which may be newer than this crate's).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PodTemplate {
    #[serde(default)]
    pub metadata: PodMetadata,
    #[serde(default)]
    pub spec: Map<String, Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl PodTemplate {
    /// The spec as a typed `PodSpec` (fields unknown to k8s-openapi are dropped
    /// in the result; the template itself keeps them).
    pub fn pod_spec(&self) -> serde_json::Result<PodSpec> {
        serde_json::from_value(Value::Object(self.spec.clone()))
    }

    /// A template from a typed `PodSpec`.
    pub fn from_pod_spec(spec: &PodSpec) -> serde_json::Result<Self> {
        let Value::Object(spec) = serde_json::to_value(spec)? else {
            unreachable!("a PodSpec serialises to an object")
        };
        Ok(PodTemplate {
            spec,
            ..PodTemplate::default()
        })
    }
}

/// A PVC template (`volumeClaimTemplates[]`), spec kept raw.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PersistentVolumeClaimTemplate {
    #[serde(default)]
    pub metadata: Map<String, Value>,
    #[serde(default)]
    pub spec: Map<String, Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `{name}` references.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameRef {
    pub name: String,
    #[serde(flatten)]
    pub extra: Extra,
}

macro_rules! resource {
    ($ty:ident, $kind:literal, $group:expr, $version:literal, $plural:literal, $spec:ty, $status:ty) => {
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $ty {
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub api_version: Option<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub kind: Option<String>,
            #[serde(default)]
            pub metadata: ObjectMeta,
            #[serde(default)]
            pub spec: $spec,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub status: Option<$status>,
            #[serde(flatten)]
            pub extra: Extra,
        }

        impl $ty {
            /// A new object with `apiVersion` and `kind` set.
            pub fn new(name: &str, spec: $spec) -> Self {
                $ty {
                    api_version: Some(format!("{}/{}", $group, $version)),
                    kind: Some($kind.to_string()),
                    metadata: ObjectMeta {
                        name: Some(name.to_string()),
                        ..ObjectMeta::default()
                    },
                    spec,
                    status: None,
                    extra: Extra::new(),
                }
            }
        }

        impl kube::Resource for $ty {
            type DynamicType = ();
            type Scope = k8s_openapi::NamespaceResourceScope;

            fn kind(_: &()) -> Cow<'_, str> {
                $kind.into()
            }
            fn group(_: &()) -> Cow<'_, str> {
                $group.into()
            }
            fn version(_: &()) -> Cow<'_, str> {
                $version.into()
            }
            fn plural(_: &()) -> Cow<'_, str> {
                $plural.into()
            }
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }
    };
}

/// The current API (controllers v0.5 and later).
pub mod v1beta1 {
    use super::*;
    use crate::resources::{EXTENSIONS_GROUP, GROUP};

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SandboxSpec {
        #[serde(default)]
        pub pod_template: PodTemplate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub volume_claim_templates: Option<Vec<PersistentVolumeClaimTemplate>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub service: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub shutdown_time: Option<String>,
        /// `Delete` or `Retain` (default).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub shutdown_policy: Option<String>,
        /// `Running` (default) or `Suspended`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub operating_mode: Option<String>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SandboxStatus {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub conditions: Option<Vec<Condition>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub selector: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none", rename = "podIPs")]
        pub pod_ips: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub node_name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub service: Option<String>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            rename = "serviceFQDN"
        )]
        pub service_fqdn: Option<String>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SandboxTemplateSpec {
        #[serde(default)]
        pub pod_template: PodTemplate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub volume_claim_templates: Option<Vec<PersistentVolumeClaimTemplate>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub service: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub network_policy: Option<Map<String, Value>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub network_policy_management: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub env_vars_injection_policy: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub volume_claim_templates_policy: Option<String>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ClaimLifecycle {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub shutdown_time: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ttl_seconds_after_finished: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub shutdown_policy: Option<String>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SandboxClaimSpec {
        #[serde(default)]
        pub warm_pool_ref: NameRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub lifecycle: Option<ClaimLifecycle>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub additional_pod_metadata: Option<PodMetadata>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub env: Option<Vec<Map<String, Value>>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub volume_claim_templates: Option<Vec<PersistentVolumeClaimTemplate>>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ClaimSandboxStatus {
        /// Controllers up to v0.2 wrote `Name`.
        #[serde(default, skip_serializing_if = "Option::is_none", alias = "Name")]
        pub name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none", rename = "podIPs")]
        pub pod_ips: Option<Vec<String>>,
        /// The Sandbox's Service, mirrored by the claim (v1.x).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            rename = "serviceFQDN"
        )]
        pub service_fqdn: Option<String>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SandboxClaimStatus {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub conditions: Option<Vec<Condition>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sandbox: Option<ClaimSandboxStatus>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SandboxWarmPoolSpec {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub replicas: Option<i32>,
        #[serde(default)]
        pub sandbox_template_ref: NameRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub update_strategy: Option<Map<String, Value>>,
        /// How long a new member may take to become Ready before the pool
        /// replaces it; at least 30 (v1.0.12).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub readiness_grace_period_seconds: Option<i32>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SandboxWarmPoolStatus {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub replicas: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ready_replicas: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub selector: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub observed_generation: Option<i64>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    resource!(
        Sandbox,
        "Sandbox",
        GROUP,
        "v1beta1",
        "sandboxes",
        SandboxSpec,
        SandboxStatus
    );
    resource!(
        SandboxTemplate,
        "SandboxTemplate",
        EXTENSIONS_GROUP,
        "v1beta1",
        "sandboxtemplates",
        SandboxTemplateSpec,
        Extra
    );
    resource!(
        SandboxClaim,
        "SandboxClaim",
        EXTENSIONS_GROUP,
        "v1beta1",
        "sandboxclaims",
        SandboxClaimSpec,
        SandboxClaimStatus
    );
    resource!(
        SandboxWarmPool,
        "SandboxWarmPool",
        EXTENSIONS_GROUP,
        "v1beta1",
        "sandboxwarmpools",
        SandboxWarmPoolSpec,
        SandboxWarmPoolStatus
    );
}

/// The older API (controllers v0.1 to v0.4; deprecated in v0.5).
pub mod v1alpha1 {
    use super::*;
    use crate::resources::{EXTENSIONS_GROUP, GROUP};

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SandboxSpec {
        #[serde(default)]
        pub pod_template: PodTemplate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub volume_claim_templates: Option<Vec<PersistentVolumeClaimTemplate>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub shutdown_time: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub shutdown_policy: Option<String>,
        /// 1 (running, default) or 0 (suspended).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub replicas: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub service: Option<bool>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SandboxStatus {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub conditions: Option<Vec<Condition>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub replicas: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub selector: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none", rename = "podIPs")]
        pub pod_ips: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub service: Option<String>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            rename = "serviceFQDN"
        )]
        pub service_fqdn: Option<String>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SandboxClaimSpec {
        #[serde(default)]
        pub sandbox_template_ref: NameRef,
        /// `none`, `default` (default) or a pool name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub warmpool: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub lifecycle: Option<super::v1beta1::ClaimLifecycle>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub additional_pod_metadata: Option<PodMetadata>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub env: Option<Vec<Map<String, Value>>>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SandboxWarmPoolSpec {
        #[serde(default)]
        pub replicas: i32,
        #[serde(default)]
        pub sandbox_template_ref: NameRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub update_strategy: Option<Map<String, Value>>,
        #[serde(flatten)]
        pub extra: Extra,
    }

    pub use super::v1beta1::{SandboxClaimStatus, SandboxTemplateSpec, SandboxWarmPoolStatus};

    resource!(
        Sandbox,
        "Sandbox",
        GROUP,
        "v1alpha1",
        "sandboxes",
        SandboxSpec,
        SandboxStatus
    );
    resource!(
        SandboxTemplate,
        "SandboxTemplate",
        EXTENSIONS_GROUP,
        "v1alpha1",
        "sandboxtemplates",
        SandboxTemplateSpec,
        Extra
    );
    resource!(
        SandboxClaim,
        "SandboxClaim",
        EXTENSIONS_GROUP,
        "v1alpha1",
        "sandboxclaims",
        SandboxClaimSpec,
        SandboxClaimStatus
    );
    resource!(
        SandboxWarmPool,
        "SandboxWarmPool",
        EXTENSIONS_GROUP,
        "v1alpha1",
        "sandboxwarmpools",
        SandboxWarmPoolSpec,
        SandboxWarmPoolStatus
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let wire = json!({
            "apiVersion": "agents.x-k8s.io/v1beta1", "kind": "Sandbox",
            "metadata": {"name": "s", "namespace": "n", "annotations": {"a": "b"}},
            "spec": {"operatingMode": "Running", "futureSpecField": {"x": 1},
                "podTemplate": {"metadata": {"labels": {"l": "v"}},
                    "spec": {"containers": [{"name": "sandbox", "image": "i", "fieldFrom137": true}], "hostUsers": false}}},
            "status": {"selector": "h", "podIPs": ["10.0.0.1"], "newStatusField": 2},
            "topLevelUnknown": "kept"
        });
        let typed: v1beta1::Sandbox = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(typed.spec.operating_mode.as_deref(), Some("Running"));
        assert_eq!(
            typed.status.as_ref().unwrap().pod_ips.as_deref(),
            Some(&["10.0.0.1".to_string()][..])
        );
        assert_eq!(serde_json::to_value(&typed).unwrap(), wire);
        let pod = typed.spec.pod_template.pod_spec().unwrap();
        assert_eq!(pod.containers[0].name, "sandbox");
    }

    #[test]
    fn claim_status_accepts_the_old_capital_name() {
        let s: v1beta1::ClaimSandboxStatus = serde_json::from_value(json!({"Name": "x"})).unwrap();
        assert_eq!(s.name.as_deref(), Some("x"));
    }

    #[test]
    fn resources_know_their_coordinates() {
        use kube::Resource;
        assert_eq!(
            v1alpha1::SandboxClaim::api_version(&()),
            "extensions.agents.x-k8s.io/v1alpha1"
        );
        assert_eq!(v1beta1::SandboxWarmPool::plural(&()), "sandboxwarmpools");
        let s = v1beta1::Sandbox::new("x", v1beta1::SandboxSpec::default());
        assert_eq!(s.kind.as_deref(), Some("Sandbox"));
    }
}

//! v1alpha1 <-> v1beta1 conversion of objects, as the upstream conversion
//! webhook does it, so that callers can speak v1alpha1 to a cluster that
//! serves only v1beta1 (and the reverse).
//!
//! Conversion works on JSON so that every field it does not know is kept.

use serde_json::{Map, Value, json};

use crate::resources::{Kind, Version};

const SHADOW_POOL_PREFIX: &str = "shadow-pool-";
const VCT_POLICY_ANNOTATION: &str = "api.agents.x-k8s.io/v1beta1-volume-claim-templates-policy";

/// Converts one object of `kind` to `to`. Objects already at `to`, or of an
/// unknown version, are returned unchanged.
pub fn convert(kind: Kind, mut obj: Value, to: Version) -> Value {
    let from = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .and_then(|av| av.rsplit('/').next())
        .and_then(Version::parse);
    let Some(from) = from else { return obj };
    if from == to {
        return obj;
    }
    if let Some(map) = obj.as_object_mut() {
        match (kind, to) {
            (Kind::Sandbox, Version::V1beta1) => sandbox_to_beta(map),
            (Kind::Sandbox, Version::V1alpha1) => sandbox_to_alpha(map),
            (Kind::SandboxClaim, Version::V1beta1) => claim_to_beta(map),
            (Kind::SandboxClaim, Version::V1alpha1) => claim_to_alpha(map),
            (Kind::SandboxWarmPool, Version::V1beta1) => {}
            (Kind::SandboxWarmPool, Version::V1alpha1) => pool_to_alpha(map),
            (Kind::SandboxTemplate, Version::V1beta1) => template_to_beta(map),
            (Kind::SandboxTemplate, Version::V1alpha1) => template_to_alpha(map),
        }
        map.insert(
            "apiVersion".into(),
            Value::String(format!("{}/{}", kind.group(), to.as_str())),
        );
    }
    obj
}

/// Converts a list object and each of its items (which omit `apiVersion` on
/// the wire; they are at the list's version).
pub fn convert_list(kind: Kind, mut list: Value, to: Version) -> Value {
    let Some(map) = list.as_object_mut() else {
        return list;
    };
    let list_version = map
        .get("apiVersion")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(items) = map.get_mut("items").and_then(Value::as_array_mut) {
        for item in items.iter_mut() {
            let had_version = item.get("apiVersion").is_some();
            if let (false, Some(av), Some(m)) = (had_version, &list_version, item.as_object_mut()) {
                m.insert("apiVersion".into(), json!(av));
            }
            *item = convert(kind, item.take(), to);
            if !had_version && let Some(m) = item.as_object_mut() {
                m.remove("apiVersion");
            }
        }
    }
    if list_version.is_some() {
        map.insert(
            "apiVersion".into(),
            json!(format!("{}/{}", kind.group(), to.as_str())),
        );
    }
    list
}

fn obj<'a>(map: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Map<String, Value>> {
    map.get_mut(key).and_then(Value::as_object_mut)
}

fn sandbox_to_beta(map: &mut Map<String, Value>) {
    if let Some(spec) = obj(map, "spec") {
        let replicas = spec.remove("replicas").and_then(|r| r.as_i64());
        let mode = if replicas == Some(0) {
            "Suspended"
        } else {
            "Running"
        };
        spec.insert("operatingMode".into(), json!(mode));
    }
    if let Some(status) = obj(map, "status") {
        status.remove("replicas");
    }
}

fn sandbox_to_alpha(map: &mut Map<String, Value>) {
    let mut suspended = false;
    if let Some(spec) = obj(map, "spec") {
        suspended = spec
            .remove("operatingMode")
            .and_then(|m| m.as_str().map(|s| s == "Suspended"))
            == Some(true);
        spec.insert("replicas".into(), json!(if suspended { 0 } else { 1 }));
    }
    if let Some(status) = obj(map, "status") {
        status.remove("nodeName");
        status.insert("replicas".into(), json!(if suspended { 0 } else { 1 }));
    }
}

fn claim_to_beta(map: &mut Map<String, Value>) {
    let claim_name = map
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let bound = map
        .get("status")
        .and_then(|s| s.get("sandbox"))
        .and_then(|s| s.get("name").or_else(|| s.get("Name")))
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(spec) = obj(map, "spec") {
        let template = spec
            .remove("sandboxTemplateRef")
            .and_then(|r| r.get("name").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        let warmpool = spec
            .remove("warmpool")
            .and_then(|w| w.as_str().map(str::to_string))
            .unwrap_or_default();
        let pool = match warmpool.as_str() {
            "" | "none" | "default" => match bound.filter(|b| *b != claim_name) {
                // Warm adoption: members are named `<pool>-<suffix>`.
                Some(sandbox) => sandbox
                    .rsplit_once('-')
                    .map(|(p, _)| p.to_string())
                    .unwrap_or(sandbox),
                None => format!("{SHADOW_POOL_PREFIX}{template}"),
            },
            named => named.to_string(),
        };
        spec.insert("warmPoolRef".into(), json!({ "name": pool }));
    }
}

fn claim_to_alpha(map: &mut Map<String, Value>) {
    if let Some(spec) = obj(map, "spec") {
        let pool = spec
            .remove("warmPoolRef")
            .and_then(|r| r.get("name").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        spec.remove("volumeClaimTemplates");
        match pool.strip_prefix(SHADOW_POOL_PREFIX) {
            Some(template) => {
                spec.insert("sandboxTemplateRef".into(), json!({ "name": template }));
                spec.insert("warmpool".into(), json!("default"));
            }
            None => {
                spec.insert("sandboxTemplateRef".into(), json!({ "name": pool }));
                spec.insert("warmpool".into(), json!(pool));
            }
        }
    }
}

fn pool_to_alpha(map: &mut Map<String, Value>) {
    if let Some(spec) = obj(map, "spec") {
        spec.entry("replicas").or_insert(json!(1));
    }
    if let Some(status) = obj(map, "status") {
        status.remove("observedGeneration");
    }
}

fn template_to_alpha(map: &mut Map<String, Value>) {
    let policy = obj(map, "spec").and_then(|s| s.remove("volumeClaimTemplatesPolicy"));
    if let Some(Value::String(policy)) = policy {
        let meta = map.entry("metadata").or_insert_with(|| json!({}));
        if let Some(meta) = meta.as_object_mut() {
            let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
            if let Some(a) = annotations.as_object_mut() {
                a.insert(VCT_POLICY_ANNOTATION.into(), json!(policy));
            }
        }
    }
}

fn template_to_beta(map: &mut Map<String, Value>) {
    let policy = obj(map, "metadata")
        .and_then(|m| obj(m, "annotations"))
        .and_then(|a| a.remove(VCT_POLICY_ANNOTATION));
    if let Some(policy) = policy
        && let Some(spec) = obj(map, "spec")
    {
        spec.insert("volumeClaimTemplatesPolicy".into(), policy);
    }
    if let Some(meta) = obj(map, "metadata")
        && meta
            .get("annotations")
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
    {
        meta.remove("annotations");
    }
}

/// Rewrites a v1alpha1 merge patch for a v1beta1 server (and the reverse),
/// field by field, so that `{spec:{replicas:0}}` means suspend on both.
pub fn convert_patch(kind: Kind, mut patch: Value, to: Version) -> Value {
    if kind != Kind::Sandbox {
        return patch;
    }
    if let Some(spec) = patch.get_mut("spec").and_then(Value::as_object_mut) {
        match to {
            Version::V1beta1 => {
                if let Some(r) = spec.remove("replicas") {
                    let mode = match r.as_i64() {
                        Some(0) => json!("Suspended"),
                        Some(_) => json!("Running"),
                        None => Value::Null,
                    };
                    spec.insert("operatingMode".into(), mode);
                }
            }
            Version::V1alpha1 => {
                if let Some(m) = spec.remove("operatingMode") {
                    let replicas = match m.as_str() {
                        Some("Suspended") => json!(0),
                        Some(_) => json!(1),
                        None => Value::Null,
                    };
                    spec.insert("replicas".into(), replicas);
                }
            }
        }
    }
    patch
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_replicas_and_operating_mode_round_trip() {
        let alpha = json!({"apiVersion":"agents.x-k8s.io/v1alpha1","kind":"Sandbox","metadata":{"name":"s"},
            "spec":{"replicas":0,"podTemplate":{"spec":{"containers":[{"name":"sandbox","futureField":1}]}}},
            "status":{"replicas":0}});
        let beta = convert(Kind::Sandbox, alpha.clone(), Version::V1beta1);
        assert_eq!(beta["apiVersion"], "agents.x-k8s.io/v1beta1");
        assert_eq!(beta["spec"]["operatingMode"], "Suspended");
        assert!(beta["spec"].get("replicas").is_none());
        assert_eq!(
            beta["spec"]["podTemplate"]["spec"]["containers"][0]["futureField"],
            1
        );
        let back = convert(Kind::Sandbox, beta, Version::V1alpha1);
        assert_eq!(back, alpha);
    }

    #[test]
    fn unset_replicas_means_running() {
        let alpha = json!({"apiVersion":"agents.x-k8s.io/v1alpha1","spec":{}});
        assert_eq!(
            convert(Kind::Sandbox, alpha, Version::V1beta1)["spec"]["operatingMode"],
            "Running"
        );
    }

    #[test]
    fn claim_template_ref_and_warm_pool_ref() {
        let cold = json!({"apiVersion":"extensions.agents.x-k8s.io/v1alpha1","metadata":{"name":"c"},
            "spec":{"sandboxTemplateRef":{"name":"tpl"}}});
        let beta = convert(Kind::SandboxClaim, cold, Version::V1beta1);
        assert_eq!(
            beta["spec"],
            json!({"warmPoolRef":{"name":"shadow-pool-tpl"}})
        );
        let alpha = convert(Kind::SandboxClaim, beta, Version::V1alpha1);
        assert_eq!(
            alpha["spec"],
            json!({"sandboxTemplateRef":{"name":"tpl"},"warmpool":"default"})
        );

        let named = json!({"apiVersion":"extensions.agents.x-k8s.io/v1alpha1","metadata":{"name":"c"},
            "spec":{"sandboxTemplateRef":{"name":"tpl"},"warmpool":"pool-a"}});
        assert_eq!(
            convert(Kind::SandboxClaim, named, Version::V1beta1)["spec"]["warmPoolRef"]["name"],
            "pool-a"
        );

        let adopted = json!({"apiVersion":"extensions.agents.x-k8s.io/v1alpha1","metadata":{"name":"c"},
            "spec":{"sandboxTemplateRef":{"name":"tpl"}},"status":{"sandbox":{"Name":"pool-b-x7k2p"}}});
        assert_eq!(
            convert(Kind::SandboxClaim, adopted, Version::V1beta1)["spec"]["warmPoolRef"]["name"],
            "pool-b"
        );
    }

    #[test]
    fn pool_replicas_default_when_read_as_alpha() {
        let beta = json!({"apiVersion":"extensions.agents.x-k8s.io/v1beta1","spec":{"sandboxTemplateRef":{"name":"t"}},
            "status":{"observedGeneration":3,"replicas":1}});
        let alpha = convert(Kind::SandboxWarmPool, beta, Version::V1alpha1);
        assert_eq!(alpha["spec"]["replicas"], 1);
        assert!(alpha["status"].get("observedGeneration").is_none());
    }

    #[test]
    fn template_policy_travels_in_an_annotation() {
        let beta = json!({"apiVersion":"extensions.agents.x-k8s.io/v1beta1","metadata":{"name":"t"},
            "spec":{"volumeClaimTemplatesPolicy":"Allowed","podTemplate":{"spec":{}}}});
        let alpha = convert(Kind::SandboxTemplate, beta.clone(), Version::V1alpha1);
        assert_eq!(
            alpha["metadata"]["annotations"][VCT_POLICY_ANNOTATION],
            "Allowed"
        );
        assert_eq!(
            convert(Kind::SandboxTemplate, alpha, Version::V1beta1),
            beta
        );
    }

    #[test]
    fn lists_convert_items_without_api_version() {
        let list = json!({"apiVersion":"agents.x-k8s.io/v1beta1","kind":"SandboxList",
            "items":[{"metadata":{"name":"a"},"spec":{"operatingMode":"Suspended"}}]});
        let alpha = convert_list(Kind::Sandbox, list, Version::V1alpha1);
        assert_eq!(alpha["apiVersion"], "agents.x-k8s.io/v1alpha1");
        assert_eq!(alpha["items"][0]["spec"]["replicas"], 0);
    }

    #[test]
    fn patches_follow_the_field_mapping() {
        let p = convert_patch(
            Kind::Sandbox,
            json!({"spec":{"replicas":0}}),
            Version::V1beta1,
        );
        assert_eq!(p, json!({"spec":{"operatingMode":"Suspended"}}));
        let p = convert_patch(
            Kind::Sandbox,
            json!({"spec":{"operatingMode":"Running"}}),
            Version::V1alpha1,
        );
        assert_eq!(p, json!({"spec":{"replicas":1}}));
    }
}
